package congestion

import (
	"fmt"
	"time"

	"github.com/tcplab/tcplab/internal/streamgraph"
)

// Kind is a phase's kind.
type Kind uint8

// The phases.
const (
	SlowStart           Kind = iota + 1 // the flight roughly doubles each round trip
	CongestionAvoidance                 // the flight grows by about a segment each round trip (or, NotReno, otherwise slowly)
	FastRecovery                        // a fast retransmission and the recovery until the ACK passes the recovery point
	Timeout                             // a retransmission after the sender fell silent, with its back-off
	Retransmission                      // a resend neither fast nor after a timeout: a tail-loss probe or a needless resend
	ZeroWindowStall                     // the receiver advertised a zero window until it opened it again
	ReceiverLimited                     // the flight filled the receiver's advertised window
	SenderLimited                       // the sender had nothing more to send for a while
	CannotTell                          // the capture cannot support a reading here: see the Reason
)

var kindNames = [...]string{
	SlowStart: "slow_start", CongestionAvoidance: "congestion_avoidance", FastRecovery: "fast_recovery",
	Timeout: "timeout", Retransmission: "retransmission", ZeroWindowStall: "zero_window_stall",
	ReceiverLimited: "receiver_limited", SenderLimited: "sender_limited", CannotTell: "cannot_tell",
}

// String returns the kind's name in snake case ("slow_start").
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Reason says why the capture cannot support a reading, or qualifies one.
type Reason uint8

// The reasons.
const (
	NoReason Reason = iota
	// ReceiverSideCapture: the capture was made near the data's
	// receiver, where the sender's rounds and flight cannot be seen.
	ReceiverSideCapture
	// TooFewRounds: the data took fewer than three round trips.
	TooFewRounds
	// NoAcks: the capture holds no ACK of the data (one direction only).
	NoAcks
	// NoData: the direction carries no data.
	NoData
	// Irregular: the flight shrank without a loss, a full window or an
	// idle sender to explain it.
	Irregular
	// NotReno: in congestion avoidance the flight grew by clearly more
	// than one segment a round trip: not the textbook's Reno (Linux's
	// CUBIC, for one), so the textbook's reading does not apply as such.
	NotReno
	// VantageUnknown: the handshake was not captured, so where the
	// capture was made is not known; rounds are read as at the sender.
	VantageUnknown
	// InPathCapture: the capture was made between the ends; the flight
	// seen there is the part of it beyond the capture point.
	InPathCapture
)

var reasonNames = [...]string{
	NoReason: "", ReceiverSideCapture: "receiver_side_capture", TooFewRounds: "too_few_rounds", NoAcks: "no_acks",
	NoData: "no_data", Irregular: "irregular", NotReno: "not_reno", VantageUnknown: "vantage_unknown", InPathCapture: "in_path_capture",
}

// String returns the reason's name in snake case, or "" for NoReason.
func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return fmt.Sprintf("Reason(%d)", r)
}

// Vantage is where the capture was made, as far as the handshake tells.
type Vantage uint8

// The vantage points.
const (
	VantageUnknownPoint Vantage = iota // no handshake in the capture
	AtSender                           // near the data's sender
	AtReceiver                         // near the data's receiver
	InPath                             // between the two
	SameHost                           // both ends on one host (loopback): no delay to place
)

var vantageNames = [...]string{"unknown", "sender", "receiver", "in_path", "same_host"}

// String returns "unknown", "sender", "receiver", "in_path" or "same_host".
func (v Vantage) String() string {
	if int(v) < len(vantageNames) {
		return vantageNames[v]
	}
	return fmt.Sprintf("Vantage(%d)", v)
}

// Limit is what held a round's flight back.
type Limit uint8

// The limits.
const (
	LimitNetwork  Limit = iota // none of the others: the congestion window, so the network's signals
	LimitReceiver              // the receiver's advertised window
	LimitSender                // the sender: it went idle with nothing outstanding
)

// Round is one round trip of the sender's data.
type Round struct {
	// Start is the round's first segment of new data; End the ACK that
	// acknowledged its first byte (the last frame of the stream when
	// none did).
	Start, End         uint32
	StartTime, EndTime int64
	Sent               uint32 // new bytes sent in the round
	Flight             uint32 // the most bytes in flight during the round
	// RWin is the window the receiver advertised when the round's last
	// new data went out (0 when it had advertised none).
	RWin    uint32
	Retrans int // resends in the round: data sent before, whatever Wireshark calls them
	// Full is the first segment of new data that reached the right edge
	// of the receiver's window (within half a segment), or that
	// Wireshark flags tcp.analysis.window_full, before any resend in
	// the round; 0 when none did.
	Full uint32
	// Idle is how long the sender waited, with nothing outstanding,
	// before the next round (0 when it did not).
	Idle  int64
	Limit Limit

	startIdx, endIdx int
	sawWin           bool
}

// Evidence is what a phase rests on. Only the fields of the phase's kind
// are set.
type Evidence struct {
	// Rounds is the range of Analysis.Rounds in the phase (First >
	// Last when none): growth and limited phases.
	First, Last int
	// FlightStart and FlightEnd are the flight of the first and last
	// round; Growth the mean factor from round to round and
	// GrowthSegments the trend in segments (MSS) a round (least
	// squares).
	FlightStart, FlightEnd uint32
	Growth, GrowthSegments float64

	// Retransmissions are the frames resent in a loss phase.
	Retransmissions []uint32
	// DupAcks counts the duplicate ACKs before a fast retransmission.
	DupAcks int
	// RecoveryPoint is the highest relative sequence number sent when
	// the fast recovery began: the recovery ends when the ACK passes it.
	RecoveryPoint uint32
	// Backoff holds, for a timeout, the sender's silence before each
	// retransmission of the same data (nanoseconds): each about twice
	// the one before under exponential back-off.
	Backoff []int64

	// Window is the receiver's advertised window (the smallest, for a
	// receiver-limited phase), and Full the first frame that filled it;
	// Probes counts the zero-window probes of a stall.
	Window uint32
	Full   uint32
	Probes int
	// Idle is how long a sender-limited phase's sender sat idle.
	Idle int64

	// Reason says why a CannotTell phase cannot tell, or qualifies a
	// reading (NotReno on congestion avoidance).
	Reason Reason
}

// Phase is one stretch of the transfer, from frame Start to frame End.
type Phase struct {
	Kind               Kind
	Start, End         uint32
	StartTime, EndTime int64
	Evidence           Evidence
}

// Analysis is the reading of one direction of a stream.
type Analysis struct {
	Dir     streamgraph.Dir
	Vantage Vantage
	MSS     uint32 // the largest segment sent
	// RTT is the median round-trip time of the data's segments
	// (Karn's rule applied), 0 when none was timed.
	RTT    int64
	Rounds []Round
	// Phases tile the transfer from the first data segment to the last
	// segment of the stream, in order.
	Phases []Phase
	// Caveats qualify the whole reading (VantageUnknown,
	// InPathCapture, NotReno).
	Caveats []Reason
}

// Thresholds of the reading.
const (
	// slowStartGrowth is the smallest growth factor per round read as
	// slow start: doubling with an ACK per segment, 1.5 with delayed
	// ACKs, and measurement noise.
	slowStartGrowth = 1.4
	// renoSegments is the steepest trend of the flight, in segments a
	// round over three or more rounds, read as Reno's congestion
	// avoidance (one, with noise).
	renoSegments = 3
	// shrinkTolerance is the smallest factor from round to round still
	// read as congestion avoidance: the flight measured at a round's
	// peak wanders by some percent without a loss.
	shrinkTolerance = 0.8
	// minTimeout is the shortest silence read as a retransmission
	// timeout: Linux's minimum RTO is 200 ms, RFC 6298's 1 s.
	minTimeout = 150 * time.Millisecond
	// vantageRatio is how much longer one half of the handshake must be
	// than the other to place the capture at one end.
	vantageRatio = 3
	// sameHost is the handshake round trip below which both ends are
	// taken to be on one host.
	sameHost = 200 * time.Microsecond
)
