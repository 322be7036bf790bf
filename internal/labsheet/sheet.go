package labsheet

import (
	"slices"
	"strconv"
	"time"

	"github.com/tcplab/tcplab/internal/congestion"
	"github.com/tcplab/tcplab/internal/conversation"
	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/explain"
	"github.com/tcplab/tcplab/internal/seqnum"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// Alpha is the weight of a new SampleRTT in EstimatedRTT (RFC 6298's
// 1/8, the lab's α).
const Alpha = 0.125

// SegmentsAsked is how many data segments the lab asks about.
const SegmentsAsked = 6

// maxFrames caps the frame lists of a sheet (the counts cover all).
const maxFrames = 100

// Seconds is a time or a duration, in JSON as seconds with nine decimals
// (the contract's ack_rtt and time).
type Seconds time.Duration

// MarshalJSON writes s as seconds with nine decimals.
func (s Seconds) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, time.Duration(s).Seconds(), 'f', 9, 64), nil
}

// Sheet is the lab sheet of one conversation. Frame numbers are the
// capture's; sequence numbers are relative (tcp.seq) with the raw ones
// beside them; windows are after scaling (tcp.window_size).
type Sheet struct {
	Stream int `json:"stream"`
	// Client sent the first SYN (or, without one, the first packet).
	Client Endpoint `json:"client"`
	Server Endpoint `json:"server"`
	// DataFrom is the side that sent more data ("client" or "server"):
	// the sender the data questions are about.
	DataFrom string `json:"data_from"`
	// Packets is the conversation's packet count.
	Packets int `json:"packets"`
	// Vantage is where the capture was made, as the handshake tells
	// (congestion.Vantage's names), "" when too little data to read.
	Vantage    string      `json:"vantage,omitempty"`
	SYN        *Handshake  `json:"syn,omitempty"`
	SYNACK     *Handshake  `json:"synack,omitempty"`
	FirstData  *DataSeg    `json:"first_data,omitempty"`
	Segments   []SampleRow `json:"segments"`
	Window     *Window     `json:"window,omitempty"`
	Retrans    Retrans     `json:"retransmissions"`
	Acks       *Acks       `json:"acks,omitempty"`
	Throughput *Throughput `json:"throughput,omitempty"`
	SlowStart  SlowStart   `json:"slow_start"`
}

// Endpoint is one end of the conversation.
type Endpoint struct {
	Addr  string `json:"addr"`
	Port  uint16 `json:"port"`
	Frame int    `json:"frame"` // its first packet
}

// Handshake is the SYN or the SYN/ACK.
type Handshake struct {
	Frame  int     `json:"frame"`
	Time   Seconds `json:"time"`
	Seq    uint32  `json:"seq"`
	SeqRaw uint32  `json:"seq_raw"`
	// Ack and AckRaw only on the SYN/ACK: the peer's ISN + 1.
	Ack    *uint32 `json:"ack,omitempty"`
	AckRaw *uint32 `json:"ack_raw,omitempty"`
	// Flags are the TCP flag bits (tcp.flags): SYN alone, or SYN and ACK,
	// is what identifies the segment.
	Flags uint16 `json:"flags"`
	Win   int    `json:"win"` // as sent: a SYN's window is never scaled
	MSS   int    `json:"mss,omitempty"`
}

// DataSeg is a data segment.
type DataSeg struct {
	Frame  int     `json:"frame"`
	Time   Seconds `json:"time"`
	Seq    uint32  `json:"seq"`
	SeqRaw uint32  `json:"seq_raw"`
	Len    int     `json:"len"`
}

// SampleRow is one of the first data segments with its ACK: the first
// packet from the receiver whose acknowledgement number covers the
// segment's last byte.
type SampleRow struct {
	DataSeg
	AckFrame int      `json:"ack_frame,omitempty"`
	AckTime  *Seconds `json:"ack_time,omitempty"`
	// Sample is the ACK's time less the segment's; absent when no ACK
	// came or under Karn's rule (Karn: the bytes were sent again before
	// the ACK, so it cannot say which copy it answers).
	Sample *Seconds `json:"sample_rtt,omitempty"`
	Karn   bool     `json:"karn,omitempty"`
	// Estimated is EstimatedRTT after this row (the first sample, then
	// (1 − α) × EstimatedRTT + α × SampleRTT); absent before any sample.
	Estimated *Seconds `json:"estimated_rtt,omitempty"`
	// WiresharkRTT is tcp.analysis.ack_rtt of the ACK when its
	// tcp.analysis.acks_frame is this segment (the ACK acknowledges
	// exactly it), when the sheet was read from a capture.
	WiresharkRTT *Seconds `json:"ws_ack_rtt,omitempty"`
}

// Window answers whether the receiver's buffer held the sender back.
type Window struct {
	// Min is the smallest window the data's receiver advertised (SYN
	// aside: a SYN's window is not scaled), first in MinFrame; Max the
	// largest.
	Min      int `json:"min"`
	MinFrame int `json:"min_frame"`
	Max      int `json:"max"`
	// Throttled is true when the sender filled the advertised window:
	// Wireshark's tcp.analysis.window_full on its segments, a zero
	// window from the receiver, or rounds limited by the receiver's
	// window (package congestion).
	Throttled   bool  `json:"throttled"`
	FullFrames  []int `json:"window_full_frames,omitempty"`
	ZeroFrames  []int `json:"zero_window_frames,omitempty"`
	LimitFrames []int `json:"receiver_limited_frames,omitempty"`
}

// Retrans lists the sender's resends, found two ways.
type Retrans struct {
	// Flagged counts the segments Wireshark flags
	// tcp.analysis.retransmission (fast and spurious ones included);
	// Frames lists the first of them.
	Flagged int   `json:"flagged"`
	Frames  []int `json:"frames,omitempty"`
	// SeqBack counts the data segments whose sequence number is below
	// the highest sent before them (the time-sequence graph goes back):
	// resends, whatever Wireshark calls them; SeqBackFrames the first.
	SeqBack       int   `json:"seq_back"`
	SeqBackFrames []int `json:"seq_back_frames,omitempty"`
}

// Acks says how much the receiver's ACKs acknowledge.
type Acks struct {
	Count int `json:"count"` // ACKs that acknowledged new data
	// Median is the median of the bytes each acknowledged; MSS the
	// largest data segment.
	Median int `json:"median_bytes"`
	MSS    int `json:"mss"`
	// One, Two and More count the ACKs covering one, two (a delayed
	// ACK: RFC 1122 and 5681 allow one for every second segment) and
	// more segments; TwoFrame is the first covering two.
	One      int `json:"one_segment"`
	Two      int `json:"two_segments"`
	More     int `json:"more_segments"`
	TwoFrame int `json:"two_segments_frame,omitempty"`
}

// Throughput is the data's distinct bytes over the time from the first
// data segment to the ACK of the last byte.
type Throughput struct {
	Bytes      int64   `json:"bytes"`
	FirstFrame int     `json:"first_frame"`
	LastFrame  int     `json:"last_frame"` // the ACK of the last byte, else the last data segment
	Duration   Seconds `json:"duration"`
	BitsPerSec float64 `json:"bits_per_second"`
}

// SlowStart is where slow start starts and ends, or why the capture
// cannot tell.
type SlowStart struct {
	Known      bool     `json:"known"`
	StartFrame int      `json:"start_frame,omitempty"`
	StartTime  *Seconds `json:"start_time,omitempty"`
	EndFrame   int      `json:"end_frame,omitempty"`
	EndTime    *Seconds `json:"end_time,omitempty"`
	Rounds     int      `json:"rounds,omitempty"`
	// Next is the phase after it (congestion's names: "fast_recovery",
	// "congestion_avoidance"...), NextFrame its first frame; CAFrame the
	// first frame of congestion avoidance, if any.
	Next      string `json:"next,omitempty"`
	NextFrame int    `json:"next_frame,omitempty"`
	CAFrame   int    `json:"congestion_avoidance_frame,omitempty"`
	// Reason says why not Known: congestion's reasons
	// ("receiver_side_capture", "too_few_rounds", ...), or
	// "too_few_segments".
	Reason string `json:"reason,omitempty"`
}

// sideName names a side in the sheet's data.
func sideName(s conversation.Side) string {
	if s == conversation.Server {
		return "server"
	}
	return "client"
}

// Build answers the lab's questions for c.
func Build(c *conversation.Conversation) *Sheet {
	s := &Sheet{Stream: c.Stream, Packets: len(c.Packets), Segments: []SampleRow{}}
	s.Client = endpoint(c, conversation.Client)
	s.Server = endpoint(c, conversation.Server)
	bytes := conversation.DistinctBytes(c.Packets)
	sender := conversation.Client
	if bytes[conversation.Server] > bytes[conversation.Client] {
		sender = conversation.Server
	}
	s.DataFrom = sideName(sender)
	// The congestion phases, read once for the window and slow start.
	phases, ok := explain.Phases(c, sender)
	s.handshake(c)
	s.samples(c, sender)
	s.window(c, sender, phases.Phases)
	s.retrans(c, sender)
	s.acks(c, sender)
	s.throughput(c, sender, bytes[sender])
	s.slowStart(phases, ok)
	return s
}

func endpoint(c *conversation.Conversation, side conversation.Side) Endpoint {
	ap := c.Client
	if side == conversation.Server {
		ap = c.Server
	}
	e := Endpoint{Addr: ap.Addr().String(), Port: ap.Port()}
	if i := slices.IndexFunc(c.Packets, func(p conversation.Segment) bool { return p.From == side }); i >= 0 {
		e.Frame = c.Packets[i].Frame
	}
	return e
}

func (s *Sheet) handshake(c *conversation.Conversation) {
	for i := range c.Packets {
		p := &c.Packets[i]
		switch {
		case s.SYN == nil && p.From == conversation.Client && p.Flags&(decode.FlagSYN|decode.FlagACK) == decode.FlagSYN:
			s.SYN = handshakeOf(p)
		case s.SYNACK == nil && p.From == conversation.Server && p.Has(decode.FlagSYN|decode.FlagACK):
			h := handshakeOf(p)
			ack, raw := p.Ack, p.AckRaw
			h.Ack, h.AckRaw = &ack, &raw
			s.SYNACK = h
		}
	}
}

func handshakeOf(p *conversation.Segment) *Handshake {
	h := &Handshake{Frame: p.Frame, Time: Seconds(p.Time), Seq: p.Seq, SeqRaw: p.SeqRaw, Flags: p.Flags, Win: p.WinRaw}
	for _, o := range p.Options {
		if o.Kind == decode.OptMSS {
			h.MSS = o.MSS
		}
	}
	return h
}

// samples fills FirstData and the first SegmentsAsked segments of new
// data with their ACKs and RTTs.
func (s *Sheet) samples(c *conversation.Conversation, sender conversation.Side) {
	var high seqnum.Value
	started := false
	var est time.Duration
	haveEst := false
	for i := range c.Packets {
		p := &c.Packets[i]
		if p.From != sender || p.Len <= 0 {
			continue
		}
		seq := seqnum.Value(p.Seq)
		end := seq.Add(seqnum.Size(p.Len))
		isNew := !started || end.Greater(high)
		if !started || end.Greater(high) {
			high, started = end, true
		}
		if s.FirstData == nil {
			s.FirstData = &DataSeg{Frame: p.Frame, Time: Seconds(p.Time), Seq: p.Seq, SeqRaw: p.SeqRaw, Len: p.Len}
		}
		if !isNew || len(s.Segments) == SegmentsAsked {
			continue
		}
		row := SampleRow{DataSeg: DataSeg{Frame: p.Frame, Time: Seconds(p.Time), Seq: p.Seq, SeqRaw: p.SeqRaw, Len: p.Len}}
		if k := ackOf(c.Packets, i, end); k >= 0 {
			a := &c.Packets[k]
			at := Seconds(a.Time)
			row.AckFrame, row.AckTime = a.Frame, &at
			if resentBefore(c.Packets, i, k, seq, end) {
				row.Karn = true
			} else {
				sample := a.Time - p.Time
				if haveEst {
					est = time.Duration((1-Alpha)*float64(est) + Alpha*float64(sample))
				} else {
					est, haveEst = sample, true
				}
				sm := Seconds(sample)
				row.Sample = &sm
			}
			if a.AckedFrame == p.Frame && a.AckRTT > 0 {
				// tshark shows no ack_rtt of zero.
				ws := Seconds(a.AckRTT)
				row.WiresharkRTT = &ws
			}
		}
		if haveEst {
			e := Seconds(est)
			row.Estimated = &e
		}
		s.Segments = append(s.Segments, row)
	}
}

// ackOf returns the index of the first packet after i from the other side
// whose ACK covers end, or -1.
func ackOf(ps []conversation.Segment, i int, end seqnum.Value) int {
	for k := i + 1; k < len(ps); k++ {
		a := &ps[k]
		if a.From != ps[i].From && a.Has(decode.FlagACK) && seqnum.Value(a.Ack).GreaterEq(end) {
			return k
		}
	}
	return -1
}

// resentBefore reports whether any byte of [seq, end) was sent again
// between packets i and k.
func resentBefore(ps []conversation.Segment, i, k int, seq, end seqnum.Value) bool {
	for j := i + 1; j < k; j++ {
		q := &ps[j]
		if q.From != ps[i].From || q.Len <= 0 {
			continue
		}
		qs := seqnum.Value(q.Seq)
		qe := qs.Add(seqnum.Size(q.Len))
		if qs.Less(end) && qe.Greater(seq) {
			return true
		}
	}
	return false
}

func (s *Sheet) window(c *conversation.Conversation, sender conversation.Side, phases []congestion.Phase) {
	w := &Window{Min: -1}
	for i := range c.Packets {
		p := &c.Packets[i]
		switch {
		case p.From == sender:
			if p.Analysis&tcpanalysis.WindowFull != 0 {
				w.FullFrames = appendCapped(w.FullFrames, p.Frame)
			}
		case !p.Has(decode.FlagSYN) && !p.Has(decode.FlagRST) && p.Has(decode.FlagACK):
			if w.Min < 0 || p.Win < w.Min {
				w.Min, w.MinFrame = p.Win, p.Frame
			}
			w.Max = max(w.Max, p.Win)
			if p.Analysis&tcpanalysis.ZeroWindow != 0 {
				w.ZeroFrames = appendCapped(w.ZeroFrames, p.Frame)
			}
		}
	}
	if w.Min < 0 {
		return
	}
	for _, ph := range phases {
		if ph.Kind == congestion.ReceiverLimited || ph.Kind == congestion.ZeroWindowStall {
			w.LimitFrames = appendCapped(w.LimitFrames, int(ph.Start))
		}
	}
	w.Throttled = len(w.FullFrames)+len(w.ZeroFrames)+len(w.LimitFrames) > 0
	s.Window = w
}

func appendCapped(l []int, f int) []int {
	if len(l) < maxFrames {
		l = append(l, f)
	}
	return l
}

func (s *Sheet) retrans(c *conversation.Conversation, sender conversation.Side) {
	var high seqnum.Value
	started := false
	for i := range c.Packets {
		p := &c.Packets[i]
		if p.From != sender {
			continue
		}
		if p.Analysis.Retransmitted() {
			s.Retrans.Flagged++
			s.Retrans.Frames = appendCapped(s.Retrans.Frames, p.Frame)
		}
		if p.Len <= 0 {
			continue
		}
		seq := seqnum.Value(p.Seq)
		end := seq.Add(seqnum.Size(p.Len))
		if started && seq.Less(high) {
			s.Retrans.SeqBack++
			s.Retrans.SeqBackFrames = appendCapped(s.Retrans.SeqBackFrames, p.Frame)
		}
		if !started || end.Greater(high) {
			high, started = end, true
		}
	}
}

// acks counts how many of the sender's segments each advancing ACK
// covers.
func (s *Sheet) acks(c *conversation.Conversation, sender conversation.Side) {
	var ends []seqnum.Value // the ends of new data, in order
	var high, last seqnum.Value
	started := false
	a := &Acks{}
	var sizes []int
	next := 0 // the first end not yet acknowledged
	for i := range c.Packets {
		p := &c.Packets[i]
		if p.From == sender {
			if p.Len <= 0 {
				continue
			}
			a.MSS = max(a.MSS, p.Len)
			end := seqnum.Value(p.Seq).Add(seqnum.Size(p.Len))
			if !started || end.Greater(high) {
				if !started {
					last = seqnum.Value(p.Seq)
				}
				high, started = end, true
				ends = append(ends, end)
			}
			continue
		}
		if !started || !p.Has(decode.FlagACK) || p.Has(decode.FlagSYN) {
			continue
		}
		ack := seqnum.Value(p.Ack)
		if ack.Greater(high) {
			ack = high // a FIN's sequence number is not data
		}
		if !ack.Greater(last) {
			continue
		}
		n := 0
		for next < len(ends) && ends[next].LessEq(ack) {
			next++
			n++
		}
		sizes = append(sizes, int(ack.Sub(last)))
		last = ack
		a.Count++
		switch {
		case n <= 1:
			a.One++
		case n == 2:
			a.Two++
			if a.TwoFrame == 0 {
				a.TwoFrame = p.Frame
			}
		default:
			a.More++
		}
	}
	if a.Count == 0 {
		return
	}
	slices.Sort(sizes)
	a.Median = sizes[len(sizes)/2]
	s.Acks = a
}

func (s *Sheet) throughput(c *conversation.Conversation, sender conversation.Side, bytes int64) {
	if s.FirstData == nil {
		return
	}
	var high seqnum.Value
	started := false
	lastData := -1
	for i := range c.Packets {
		p := &c.Packets[i]
		if p.From == sender && p.Len > 0 {
			end := seqnum.Value(p.Seq).Add(seqnum.Size(p.Len))
			if !started || end.Greater(high) {
				high, started = end, true
			}
			lastData = i
		}
	}
	t := &Throughput{Bytes: bytes, FirstFrame: s.FirstData.Frame}
	endTime := c.Packets[lastData].Time
	t.LastFrame = c.Packets[lastData].Frame
	if k := ackOf(c.Packets, lastData, high); k >= 0 {
		endTime, t.LastFrame = c.Packets[k].Time, c.Packets[k].Frame
	}
	d := endTime - time.Duration(s.FirstData.Time)
	t.Duration = Seconds(d)
	if d > 0 {
		t.BitsPerSec = float64(bytes) * 8 / d.Seconds()
	}
	s.Throughput = t
}

// slowStart reads where slow start starts and ends from the phases a
// (ok false: too few data segments to read).
func (s *Sheet) slowStart(a congestion.Analysis, ok bool) {
	if !ok {
		s.SlowStart.Reason = "too_few_segments"
		return
	}
	s.Vantage = a.Vantage.String()
	for i, p := range a.Phases {
		if p.Kind == congestion.CongestionAvoidance && s.SlowStart.CAFrame == 0 {
			s.SlowStart.CAFrame = int(p.Start)
		}
		if p.Kind == congestion.CannotTell && !s.SlowStart.Known && s.SlowStart.Reason == "" {
			s.SlowStart.Reason = p.Evidence.Reason.String()
		}
		if p.Kind != congestion.SlowStart || s.SlowStart.Known {
			continue
		}
		ss := &s.SlowStart
		ss.Known, ss.Reason = true, ""
		t0, t1 := Seconds(p.StartTime), Seconds(p.EndTime)
		ss.StartFrame, ss.StartTime = int(p.Start), &t0
		ss.EndFrame, ss.EndTime = int(p.End), &t1
		ss.Rounds = p.Evidence.Last - p.Evidence.First + 1
		if i+1 < len(a.Phases) {
			ss.Next, ss.NextFrame = a.Phases[i+1].Kind.String(), int(a.Phases[i+1].Start)
		}
	}
	if !s.SlowStart.Known && s.SlowStart.Reason == "" {
		s.SlowStart.Reason = congestion.TooFewRounds.String()
	}
}
