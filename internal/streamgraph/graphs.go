package streamgraph

import (
	"math"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/seqnum"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// forward reports whether s travels in the graphed direction (fromServer
// true: server → client).
func forward(s *Segment, fromServer bool) bool { return s.FromServer == fromServer }

// counts returns how many segments of segs travel each way, so that the
// series can be allocated once: forward, forward with data, reverse.
func counts(segs []Segment, fwd bool) (nf, nd, nr int) {
	for i := range segs {
		switch {
		case !forward(&segs[i], fwd):
			nr++
		case segs[i].Len > 0:
			nd++
			nf++
		default:
			nf++
		}
	}
	return nf, nd, nr
}

// stevens is Wireshark's Stevens graph: the relative sequence number of
// every forward segment, pure ACKs included.
func stevens(segs []Segment, fwd bool) []Series {
	nf, _, _ := counts(segs, fwd)
	seq := Series{Name: Seq, Style: Dots, Unit: Bytes, Points: make([]Point, 0, nf)}
	for i := range segs {
		s := &segs[i]
		if !forward(s, fwd) {
			continue
		}
		v := int64(s.Seq)
		seq.Points = append(seq.Points, Point{Frame: s.Frame, T: s.Time, V: v, V2: v, Mark: mark(s)})
	}
	return []Series{seq}
}

// tcptrace is Wireshark's tcptrace graph: a bar per forward segment with
// data, and from the reverse segments with ACK the ACK line, the
// receive-window line (ack + window), the SACK blocks and the duplicate
// ACKs (an ACK that repeats both the last ACK and the last window edge:
// Wireshark's own test, not tcp.analysis.duplicate_ack). Zero-window
// marks are forward segments (without SYN, FIN or RST) advertising a zero
// window, as Wireshark draws them; PeerZeroWindow adds the reverse ACKs
// tcpanalysis flags as zero windows.
func tcptrace(segs []Segment, fwd bool) []Series {
	_, nd, nr := counts(segs, fwd)
	bars := Series{Name: Segments, Style: Bars, Unit: Bytes, Points: make([]Point, 0, nd)}
	acks := Series{Name: Acks, Style: Steps, Unit: Bytes, Points: make([]Point, 0, nr)}
	rwin := Series{Name: RWin, Style: Steps, Unit: Bytes, Points: make([]Point, 0, nr)}
	sack := Series{Name: SACK, Style: Bars, Unit: Bytes}
	sack2 := Series{Name: SACK2, Style: Bars, Unit: Bytes}
	dup := Series{Name: DupAcks, Style: Ticks, Unit: Bytes}
	zw := Series{Name: ZeroWindow, Style: Crosses, Unit: Bytes}
	pzw := Series{Name: PeerZeroWindow, Style: Crosses, Unit: Bytes}
	for i := range segs {
		s := &segs[i]
		if forward(s, fwd) {
			lo := int64(s.Seq)
			if s.Len > 0 {
				bars.Points = append(bars.Points, Point{Frame: s.Frame, T: s.Time, V: lo, V2: lo + int64(s.Len), Mark: mark(s)})
			}
			if s.Win == 0 && s.Flags&(decode.FlagRST|decode.FlagFIN|decode.FlagSYN) == 0 {
				mid := lo + int64(s.Len)/2
				zw.Points = append(zw.Points, Point{Frame: s.Frame, T: s.Time, V: mid, V2: mid})
			}
			continue
		}
		if !s.hasAck() {
			continue // a SYN or RST need not carry an ACK
		}
		ack := int64(s.Ack)
		edge := ack + int64(s.Win)
		for j := range int(s.NSACK) {
			b := s.SACK[j]
			p := Point{Frame: s.Frame, T: s.Time, V: int64(b.Left), V2: int64(b.Right)}
			if j == 0 {
				sack.Points = append(sack.Points, p)
			} else {
				sack2.Points = append(sack2.Points, p)
			}
		}
		if n := len(acks.Points); n > 0 && acks.Points[n-1].V == ack && rwin.Points[n-1].V == edge {
			dup.Points = append(dup.Points, Point{Frame: s.Frame, T: s.Time, V: ack, V2: ack})
		}
		acks.Points = append(acks.Points, Point{Frame: s.Frame, T: s.Time, V: ack, V2: ack})
		rwin.Points = append(rwin.Points, Point{Frame: s.Frame, T: s.Time, V: edge, V2: edge})
		if s.Analysis&tcpanalysis.ZeroWindow != 0 {
			pzw.Points = append(pzw.Points, Point{Frame: s.Frame, T: s.Time, V: ack, V2: ack})
		}
	}
	return []Series{bars, acks, rwin, sack, sack2, dup, zw, pzw}
}

// movingAverage is one rate series of the throughput graph: Wireshark's
// time-based moving average. Each sample (a segment and the bytes it
// counts) enters the window at its time and leaves it one window later;
// the series gets a point where a sample leaves and where one enters, and
// a sample no later than the last point updates that point (its value,
// and its frame to the sample's) instead.
type movingAverage struct {
	window int64 // nanoseconds
	times  []int64
	lens   []uint64
	frames []uint32
	oldest int
	sum    uint64
	out    Series
}

// newMovingAverage returns a moving average over window for about n
// samples.
func newMovingAverage(window int64, n int, out Series) *movingAverage {
	out.Points = make([]Point, 0, 2*n) // a point where each sample enters, one where it leaves
	return &movingAverage{window: window, out: out,
		times: make([]int64, 0, n), lens: make([]uint64, 0, n), frames: make([]uint32, 0, n)}
}

func (m *movingAverage) rate() int64 {
	return int64(math.Round(float64(m.sum) * 8 * 1e9 / float64(m.window)))
}

func (m *movingAverage) add(frame uint32, t int64, n uint64) {
	m.times = append(m.times, t)
	m.lens = append(m.lens, n)
	m.frames = append(m.frames, frame)
	for m.oldest < len(m.times) && t-m.times[m.oldest] > m.window {
		m.sum -= m.lens[m.oldest]
		r := m.rate()
		m.out.Points = append(m.out.Points, Point{Frame: m.frames[m.oldest], T: m.times[m.oldest] + m.window, V: r, V2: r})
		m.oldest++
	}
	m.sum += n
	r := m.rate()
	if k := len(m.out.Points); k > 0 && t <= m.out.Points[k-1].T {
		p := &m.out.Points[k-1]
		p.Frame, p.V, p.V2 = frame, r, r
		return
	}
	m.out.Points = append(m.out.Points, Point{Frame: frame, T: t, V: r, V2: r})
}

// throughput is Wireshark's throughput graph: each forward segment's
// length (SegLen), the forward payload rate (Tput) and the goodput: the
// bytes each reverse segment newly acknowledges, cumulatively or by SACK
// (bytes SACKed earlier are not counted again when the cumulative ACK
// covers them), as a rate over the same window.
func throughput(segs []Segment, fwd bool, window int64) []Series {
	nf, _, nr := counts(segs, fwd)
	lens := Series{Name: SegLen, Style: Dots, Unit: Bytes, Points: make([]Point, 0, nf)}
	tput := newMovingAverage(window, nf, Series{Name: Tput, Style: Steps, Unit: BitsPerSecond, Axis: Right})
	gput := newMovingAverage(window, nr, Series{Name: Goodput, Style: Steps, Unit: BitsPerSecond, Axis: Right})
	// The first reverse ACK starts the count of acknowledged bytes.
	var lastAck seqnum.Value
	for i := range segs {
		if s := &segs[i]; !forward(s, fwd) && s.hasAck() {
			lastAck = seqnum.Value(s.Ack)
			break
		}
	}
	var sacked sackSet
	for i := range segs {
		s := &segs[i]
		if forward(s, fwd) {
			lens.Points = append(lens.Points, Point{Frame: s.Frame, T: s.Time, V: int64(s.Len), V2: int64(s.Len), Mark: mark(s)})
			tput.add(s.Frame, s.Time, uint64(s.Len))
			continue
		}
		var n uint64
		if ack := seqnum.Value(s.Ack); s.hasAck() && ack.GreaterEq(lastAck) {
			n = uint64(ack.Sub(lastAck))
			lastAck = ack
			n = sacked.account(n, ack, s.SACK[:s.NSACK])
		}
		gput.add(s.Frame, s.Time, n)
	}
	return []Series{lens, tput.out, gput.out}
}

// sackSet holds the SACKed ranges above the cumulative ACK, sorted and
// disjoint, so that goodput counts each byte once.
type sackSet struct{ r []Block }

// account returns n, the bytes a cumulative ACK to ack newly covers, less
// the bytes of those that were SACKed (and counted) before, plus the
// bytes that blocks SACK newly cover above ack; it updates the set.
func (ss *sackSet) account(n uint64, ack seqnum.Value, blocks []Block) uint64 {
	// Ranges now below the cumulative ACK were counted when SACKed.
	k := 0
	for ; k < len(ss.r); k++ {
		b := &ss.r[k]
		if ack.Less(seqnum.Value(b.Right)) {
			if ack.Greater(seqnum.Value(b.Left)) {
				n = sub(n, uint64(ack.Sub(seqnum.Value(b.Left))))
				b.Left = uint32(ack)
			}
			break
		}
		n = sub(n, uint64(seqnum.Value(b.Right).Sub(seqnum.Value(b.Left))))
	}
	ss.r = ss.r[:copy(ss.r, ss.r[k:])]
	for _, nb := range blocks {
		l, r := seqnum.Value(nb.Left), seqnum.Value(nb.Right)
		if !l.Less(r) || !ack.Less(r) {
			continue // empty, or all below the cumulative ACK
		}
		if l.Less(ack) {
			l = ack
		}
		n += ss.add(l, r)
	}
	return n
}

// sub returns a-b, or 0 when b is larger.
func sub(a, b uint64) uint64 {
	if b > a {
		return 0
	}
	return a - b
}

// add merges [l, r) into the set and returns how many of its bytes were
// not in it.
func (ss *sackSet) add(l, r seqnum.Value) uint64 {
	var covered uint64
	out := ss.r[:0:0]
	merged := Block{uint32(l), uint32(r)}
	placed := false
	for _, b := range ss.r {
		bl, br := seqnum.Value(b.Left), seqnum.Value(b.Right)
		switch {
		case br.Less(l):
			out = append(out, b)
		case r.Less(bl):
			if !placed {
				out = append(out, merged)
				placed = true
			}
			out = append(out, b)
		default: // touching or overlapping: merge
			lo, hi := bl, br
			if l.Greater(lo) {
				lo = l
			}
			if r.Less(hi) {
				hi = r
			}
			if lo.Less(hi) {
				covered += uint64(hi.Sub(lo))
			}
			if bl.Less(seqnum.Value(merged.Left)) {
				merged.Left = b.Left
			}
			if br.Greater(seqnum.Value(merged.Right)) {
				merged.Right = b.Right
			}
		}
	}
	if !placed {
		out = append(out, merged)
	}
	ss.r = out
	return uint64(r.Sub(l)) - covered
}

// window is Wireshark's window scaling graph: the receive window each
// reverse segment (without SYN or RST) advertises (RWin), and for each
// forward segment once an ACK has been seen, Wireshark's outstanding
// bytes (Unacked: the segment's end less the highest ACK so far, when
// not below it); Flight adds tcp.analysis.bytes_in_flight on the forward
// segments where tshark shows it.
func window(segs []Segment, fwd bool) []Series {
	nf, _, nr := counts(segs, fwd)
	rwin := Series{Name: RWin, Style: Steps, Unit: Bytes, Points: make([]Point, 0, nr)}
	unacked := Series{Name: Unacked, Style: Steps, Unit: Bytes, Points: make([]Point, 0, nf)}
	flight := Series{Name: Flight, Style: Steps, Unit: Bytes, Points: make([]Point, 0, nf)}
	var lastAck seqnum.Value
	seenAck := false
	for i := range segs {
		s := &segs[i]
		if forward(s, fwd) {
			end := seqnum.Value(s.Seq).Add(seqnum.Size(s.Len))
			if seenAck && end.GreaterEq(lastAck) {
				v := int64(end.Sub(lastAck))
				unacked.Points = append(unacked.Points, Point{Frame: s.Frame, T: s.Time, V: v, V2: v, Mark: mark(s)})
			}
			if s.BytesInFlight != 0 {
				v := int64(s.BytesInFlight)
				flight.Points = append(flight.Points, Point{Frame: s.Frame, T: s.Time, V: v, V2: v, Mark: mark(s)})
			}
			continue
		}
		if s.Flags&(decode.FlagSYN|decode.FlagRST) == 0 {
			v := int64(s.Win)
			rwin.Points = append(rwin.Points, Point{Frame: s.Frame, T: s.Time, V: v, V2: v})
		}
		if ack := seqnum.Value(s.Ack); s.hasAck() && (!seenAck || ack.GreaterEq(lastAck)) {
			lastAck, seenAck = ack, true
		}
	}
	return []Series{flight, unacked, rwin}
}
