package conversation

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// Side is one end of a conversation.
type Side int

// The two sides. The client is the side that sent the first SYN, or the
// side that sent the first packet when the capture has no SYN.
const (
	Client Side = 0
	Server Side = 1
)

// Other returns the opposite side.
func (s Side) Other() Side { return 1 - s }

// Window scale values of Segment.WinScale, as in the analysis contract's
// win_scale.
const (
	ScaleUnknown = -1 // the handshake was not captured
	ScaleNone    = -2 // window scaling not in use
)

// Conversation is one TCP conversation as the explanation needs it.
type Conversation struct {
	// Stack names whose TCP the conversation's hosts ran, when the
	// capture's maker knows it: StackNetstack for tcplab's user-space
	// stack (demo --stack user); "" for an operating system's (or not
	// known), which the walk-through describes as Linux's.
	Stack  string
	Stream int            // Wireshark's tcp.stream
	Client netip.AddrPort // the side that sent the first SYN (else the first packet)
	Server netip.AddrPort
	// Packets are the conversation's segments in capture order.
	Packets []Segment
	// SinglePoint is true when every packet has one capture time (one
	// capture point), so a packet's send and receive times are the same
	// number: the ladder draws arrows at a fixed slant and the RTT is
	// measured at that point. Captures merged from both hosts set it
	// false and fill Segment.Arrival.
	SinglePoint bool
	// State is Zeek's conn_state for the conversation ("SF", "S0", ...),
	// empty when unknown.
	State string
	// Summary describes the whole conversation, which may have more
	// packets than Packets holds (adapters keep a bounded number).
	Summary Summary
}

// Summary is a conversation's line in the conversation table.
type Summary struct {
	Packets int // packets in the conversation
	// BytesC2S and BytesS2C are the distinct payload bytes each way: each
	// byte of sequence space once, however often it was sent (the
	// analysis' tcpanalysis.Stream.BytesC2S and BytesS2C).
	BytesC2S, BytesS2C int64
	Start, End         time.Duration
	// Handshake is "complete", "partial" or "none"; Close is "fin",
	// "half", "rst" or "open" (the analysis contract's values).
	Handshake, Close string
	// Flagged counts the packets with at least one expert flag.
	Flagged int
}

// Summarize fills c.Summary from c.Packets when Summary.Packets is 0 (no
// adapter filled it).
func (c *Conversation) Summarize() {
	if c.Summary.Packets != 0 || len(c.Packets) == 0 {
		return
	}
	s := Summary{Packets: len(c.Packets), Start: c.Packets[0].Time, End: c.Packets[len(c.Packets)-1].Time}
	b := DistinctBytes(c.Packets)
	s.BytesC2S, s.BytesS2C = b[Client], b[Server]
	var syn, synack, ack bool
	var fin [2]bool
	rst := false
	for i := range c.Packets {
		p := &c.Packets[i]
		if p.Analysis != 0 {
			s.Flagged++
		}
		switch {
		case p.Has(decode.FlagSYN | decode.FlagACK):
			synack = true
		case p.Has(decode.FlagSYN):
			syn = true
		case p.Has(decode.FlagACK) && syn && synack && p.From == Client:
			ack = true
		}
		if p.Has(decode.FlagFIN) && (p.From == Client || p.From == Server) {
			fin[p.From] = true
		}
		rst = rst || p.Has(decode.FlagRST)
	}
	switch {
	case syn && synack && ack:
		s.Handshake = "complete"
	case syn || synack:
		s.Handshake = "partial"
	default:
		s.Handshake = "none"
	}
	switch {
	case rst:
		s.Close = "rst"
	case fin[0] && fin[1]:
		s.Close = "fin"
	case fin[0] || fin[1]:
		s.Close = "half"
	default:
		s.Close = "open"
	}
	c.Summary = s
}

// DistinctBytes counts the distinct payload bytes each side sent in
// packets, as the analysis does (tcpanalysis.Stream.BytesC2S): the union
// of the sequence ranges [Seq, Seq+Len), each byte once however often it
// was sent, so a retransmission whose first copy is missing counts.
func DistinctBytes(packets []Segment) [2]int64 {
	type span struct{ lo, hi int64 }
	var spans [2][]span
	var pos [2]int64 // each side's last segment start, unwrapped
	var moved [2]bool
	for i := range packets {
		p := &packets[i]
		if p.Len <= 0 || (p.From != Client && p.From != Server) {
			continue
		}
		f := p.From
		lo := int64(p.Seq)
		if moved[f] {
			// The 64-bit number nearest the last one: relative numbers
			// wrap after 4 GiB.
			lo = max(pos[f]+int64(int32(p.Seq-uint32(pos[f]))), 0)
		}
		pos[f], moved[f] = lo, true
		spans[f] = append(spans[f], span{lo, lo + int64(p.Len)})
	}
	var n [2]int64
	for f := range spans {
		s := spans[f]
		slices.SortFunc(s, func(a, b span) int { return cmp.Compare(a.lo, b.lo) })
		end := int64(-1)
		for _, sp := range s {
			if sp.lo > end {
				n[f] += sp.hi - sp.lo
			} else if sp.hi > end {
				n[f] += sp.hi - end
			}
			end = max(end, sp.hi)
		}
	}
	return n
}

// StackNetstack is Conversation.Stack for gVisor's netstack, the
// user-space TCP/IP stack tcplab runs the lab on with demo --stack user.
const StackNetstack = "netstack"

// Segment is one TCP segment with the values Wireshark computes for it.
type Segment struct {
	Frame int           // 1-based frame number in the capture
	Time  time.Duration // since the capture's first frame (frame.time_relative)
	// Arrival is the time the other end received it, when the capture
	// knows it (merged captures from both ends); zero otherwise.
	Arrival time.Duration
	From    Side   // the side that sent it
	Flags   uint16 // the TCP flag bits (decode.FlagSYN, ...)
	// Seq and Ack are relative (Wireshark's tcp.seq and tcp.ack); SeqRaw
	// and AckRaw are as on the wire. Ack and AckRaw mean nothing without
	// decode.FlagACK.
	Seq, Ack       uint32
	SeqRaw, AckRaw uint32
	Len            int // payload length (tcp.len)
	// WinRaw is the window field as sent; Win is the window after scaling
	// (tcp.window_size); WinScale is the multiplier (a power of two),
	// ScaleUnknown or ScaleNone, and 0 on a SYN (never scaled).
	WinRaw   int
	Win      int
	WinScale int
	Options  []Option
	// ChecksumStatus is "good", "bad", "partial", "unverified" or "" when
	// not known.
	Checksum       uint16
	ChecksumStatus string
	// Analysis holds the expert flags (Wireshark's tcp.analysis.*).
	Analysis tcpanalysis.Flags
	// DupAckOf and DupAckNum number a duplicate ACK ("Dup ACK 5#1").
	DupAckOf, DupAckNum int
	// AckedFrame, AckRTT, BytesInFlight and PushBytesSent are tshark's
	// [SEQ/ACK analysis] values (the analysis contract's acks_frame,
	// ack_rtt, bytes_in_flight and push_bytes_sent): the frame of the
	// segment this ACK acknowledges and the time since it, the bytes
	// sent and not yet acknowledged after this segment, and the bytes
	// sent since the last PSH flag. Each is 0 where tshark shows none.
	AckedFrame    int
	AckRTT        time.Duration
	BytesInFlight int
	PushBytesSent int
	// Info is the packet's Info column, if known.
	Info string
	// Payload holds the first bytes of the payload (possibly fewer than
	// Len), enough to recognise the lab's messages.
	Payload []byte
	// Fate is what the network really did to the segment, when the
	// capture was made in tcplab's own network, whose bridge logs every
	// frame (package groundtruth); nil otherwise.
	Fate *Fate
}

// Has reports whether every bit of flags is set.
func (s *Segment) Has(flags uint16) bool { return s.Flags&flags == flags }

// Label returns the text Wireshark shows in the Info column for the
// expert flag f of s, without the brackets: f's label, and a duplicate
// ACK's numbers when s has them ("TCP Dup ACK 5#1").
func (s *Segment) Label(f tcpanalysis.Flags) string {
	if f == tcpanalysis.DuplicateAck && s.DupAckOf > 0 {
		return fmt.Sprintf("%s %d#%d", f.Label(), s.DupAckOf, s.DupAckNum)
	}
	return f.Label()
}

// Option is one TCP option. Kind is the option kind (decode.OptMSS,
// decode.OptWS, ...: 2 MSS, 3 window scale, 4 SACK permitted, 5 SACK, 8
// timestamps, 1 NOP, 0 EOL, others).
type Option struct {
	Kind  uint8
	MSS   int         // kind 2
	Shift int         // kind 3: the shift count (WS=2^Shift)
	TSval uint32      // kind 8
	TSecr uint32      // kind 8
	SACK  [][2]uint32 // kind 5: left and right edges, relative
}

// FormatTime formats a capture time as Wireshark's default: seconds with
// six decimals.
func FormatTime(d time.Duration) string { return fmt.Sprintf("%.6f", d.Seconds()) }
