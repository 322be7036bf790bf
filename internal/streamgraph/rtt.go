package streamgraph

import (
	"slices"
	"sort"

	"github.com/tcplab/tcplab/internal/seqnum"
)

// unacked is a range of forward data sent once and not yet acknowledged:
// what Wireshark's RTT graph keeps per segment (rtt_unack), with the
// frame that sent it.
type unacked struct {
	seq, end seqnum.Value
	t        int64
	frame    uint32
	// resent is true once any of the range has been sent again: under
	// Karn's rule no ACK of it can be timed.
	resent bool
}

// rtt is Wireshark's round-trip-time graph, with Karn's rule. Each
// forward segment with data that starts at or after the highest sequence
// number sent so far is remembered; a segment that starts below it is a
// retransmission (or came out of order): it is not remembered, and the
// remembered ranges it overlaps are marked resent. Each reverse segment
// with ACK then acknowledges, as in Wireshark 4.0:
//
//   - every remembered range its ACK number passes, whole (the range is
//     forgotten) or in part (the range shrinks to the rest);
//   - within the ranges it does not acknowledge whole, the parts its SACK
//     blocks cover (a range may split in two).
//
// Each acknowledgement of a range not marked resent gives a point at the
// range's send time: the time from it to the ACK, the data segment's
// frame (Frame) and the ACK's (Ref). Wireshark 4.0 also times resent
// ranges, from their first transmission; it plots by send time, as here,
// or by sequence number.
func rtt(segs []Segment, fwd bool) []Series {
	_, nd, _ := counts(segs, fwd)
	out := Series{Name: RTTSamples, Style: Dots, Unit: Nanoseconds, Points: make([]Point, 0, nd)}
	var (
		list    []unacked // by sequence number: new data is sent in order
		sndMax  seqnum.Value
		started bool
	)
	sample := func(u *unacked, ack *Segment) {
		if u.resent {
			return
		}
		d := ack.Time - u.t
		out.Points = append(out.Points, Point{Frame: u.frame, Ref: ack.Frame, T: u.t, V: d, V2: d})
	}
	for i := range segs {
		s := &segs[i]
		if forward(s, fwd) {
			if s.Len == 0 {
				continue
			}
			seq := seqnum.Value(s.Seq)
			end := seq.Add(seqnum.Size(s.Len))
			if !started || seq.GreaterEq(sndMax) {
				list = append(list, unacked{seq: seq, end: end, t: s.Time, frame: s.Frame})
				sndMax, started = end, true
				continue
			}
			// Sent before, in whole or in part: Karn.
			for j := range list {
				if list[j].seq.Less(end) && seq.Less(list[j].end) {
					list[j].resent = true
				}
			}
			if end.Greater(sndMax) {
				sndMax = end
			}
			continue
		}
		if !s.hasAck() || len(list) == 0 {
			continue
		}
		ack := seqnum.Value(s.Ack)
		// The cumulative ACK: whole ranges first, then at most one in
		// part. The acknowledged ranges leave from the front by
		// reslicing (append moves the rest to a new array when the
		// old one runs out).
		k := 0
		for ; k < len(list) && ack.GreaterEq(list[k].end); k++ {
			sample(&list[k], s)
		}
		list = list[k:]
		if len(list) > 0 && ack.Greater(list[0].seq) {
			sample(&list[0], s)
			list[0].seq = ack
		}
		for j := range int(s.NSACK) {
			list = selectiveAck(list, s.SACK[j], s, sample)
		}
	}
	// By send time; most come in that order already.
	byTime := func(a, b Point) int {
		switch {
		case a.T < b.T:
			return -1
		case a.T > b.T:
			return 1
		}
		return 0
	}
	if !slices.IsSortedFunc(out.Points, byTime) {
		slices.SortStableFunc(out.Points, byTime)
	}
	return []Series{out}
}

// selectiveAck acknowledges the parts of the ranges in list that SACK
// block b covers, giving a sample for each range it meets; it returns the
// list with those parts removed (a range that keeps bytes on both sides
// splits in two).
func selectiveAck(list []unacked, b Block, ack *Segment, sample func(*unacked, *Segment)) []unacked {
	l, r := seqnum.Value(b.Left), seqnum.Value(b.Right)
	if !l.Less(r) {
		return list
	}
	// The first range that ends after l: the list is sorted and disjoint.
	i := sort.Search(len(list), func(i int) bool { return list[i].end.Greater(l) })
	for i < len(list) && list[i].seq.Less(r) {
		u := &list[i]
		sample(u, ack)
		keepLeft, keepRight := u.seq.Less(l), r.Less(u.end)
		switch {
		case keepLeft && keepRight:
			right := *u
			right.seq = r
			u.end = l
			list = slices.Insert(list, i+1, right)
			return list // b ends inside this range
		case keepLeft:
			u.end = l
			i++
		case keepRight:
			u.seq = r
			return list
		default:
			list = slices.Delete(list, i, i+1)
		}
	}
	return list
}
