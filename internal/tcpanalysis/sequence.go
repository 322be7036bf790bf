package tcpanalysis

import (
	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/seqnum"
)

// segment is one TCP segment as the sequence analysis sees it: the
// numbers on the wire and the payload length the IP header gives.
type segment struct {
	frame  uint32
	ts     int64 // nanoseconds since the Unix epoch
	seq    seqnum.Value
	ack    seqnum.Value // the field as sent, also when ACK is not set
	len    uint32
	flags  uint16
	window uint32 // the window field as sent, not scaled
}

// synOrFin reports whether the segment takes one sequence number for a
// SYN or FIN flag.
func (s *segment) synOrFin() bool { return s.flags&(decode.FlagSYN|decode.FlagFIN) != 0 }

// plain reports whether none of SYN, FIN and RST is set: only such
// segments are keep-alives, window updates or duplicate ACKs.
func (s *segment) plain() bool {
	return s.flags&(decode.FlagSYN|decode.FlagFIN|decode.FlagRST) == 0
}

// end is the sequence number after the segment: seq plus its length,
// plus one for SYN or FIN.
func (s *segment) end() seqnum.Value {
	e := s.seq.Add(seqnum.Size(s.len))
	if s.synOrFin() {
		e++
	}
	return e
}

// Thresholds of Wireshark's heuristics, in nanoseconds.
const (
	fastRetransWindow = 20_000_000 // a fast retransmission follows the last duplicate ACK within 20 ms
	outOfOrderDefault = 3_000_000  // out-of-order threshold while the initial RTT is unknown
)

// maxInFlight is the largest bytes-in-flight value Wireshark shows; a
// larger difference of sequence numbers is taken as nonsense.
const maxInFlight = 2_000_000_000

// seqAnalysis is one run of Wireshark 4.0's tcp_analyze_sequence_number:
// the segment, both flows of its conversation and the result being
// filled. Its methods are the checks, called in Wireshark's order by run.
type seqAnalysis struct {
	c        *conn
	fwd, rev *flow
	s        segment
	fl       Flags
	r        *Result
	// ta is true once Wireshark would have made the segment's analysis
	// record (its tcp_acked) for something other than a flag.
	ta bool
}

// run sets the expert flags and the [SEQ/ACK analysis] values of one
// segment from the state of both flows, then updates the state.
func (a *seqAnalysis) run() {
	a.setBases()
	if a.s.flags&decode.FlagACK != 0 {
		a.rev.validBIF = true
	}
	if a.zeroWindowProbe() {
		a.endForward()
	} else {
		a.zeroWindow()
		a.lostSegment()
		a.keepAlive()
		a.windowUpdate()
		a.windowFull()
		if !a.keepAliveAck() && !a.zeroWindowProbeAck() {
			a.duplicateAck()
		}
		a.endForward()
	}
	a.ackedUnseen()
	if a.s.len != 0 || a.s.synOrFin() { // else retransmission has nothing to check
		a.retransmission()
	}
	a.remember()
	// The conditions on which acknowledge and inFlight return at once,
	// tested here to save the calls.
	if rev := a.rev; rev.unacked.n != 0 && !(rev.prunedValid && rev.prunedAt == a.s.ack) {
		a.acknowledge()
	}
	if a.s.len != 0 && a.fwd.unacked.n != 0 && a.fwd.validBIF {
		a.inFlight()
	}
}

// setBases fixes the flows' base sequence numbers from the first segment
// that shows them: a SYN's own number; else one less than the first
// number seen, so that the first segment shows 1; and the peer's from
// the first ACK (ack-1: usually the SYN/ACK's ISN).
func (a *seqAnalysis) setBases() {
	fwd, rev, s := a.fwd, a.rev, &a.s
	if !fwd.baseSet {
		if s.flags&decode.FlagSYN != 0 {
			fwd.baseSeq = uint32(s.seq)
			if s.flags&decode.FlagACK != 0 {
				fwd.sawSYNACK = true
			} else {
				fwd.sawSYN = true
			}
		} else {
			fwd.baseSeq = uint32(s.seq) - 1
		}
		fwd.baseSet = true
	}
	if !rev.baseSet && s.flags&decode.FlagACK != 0 {
		rev.baseSeq = uint32(s.ack) - 1
		rev.baseSet = true
	}
}

// zeroWindowProbe: one byte at the next expected sequence number while
// the peer advertises a zero window. It ends the checks of this flow.
func (a *seqAnalysis) zeroWindowProbe() bool {
	if a.s.len == 1 && a.s.seq == a.fwd.nextSeq && a.rev.window == 0 {
		a.fl |= ZeroWindowProbe
		return true
	}
	return false
}

// zeroWindow: the segment advertises a zero window (not on SYN, FIN or
// RST).
func (a *seqAnalysis) zeroWindow() {
	if a.s.window == 0 && a.s.plain() {
		a.fl |= ZeroWindow
	}
}

// lostSegment: the segment starts beyond the next expected sequence
// number, so something in between was not captured (not checked on RST).
// Bytes in flight are not known again until the peer ACKs.
func (a *seqAnalysis) lostSegment() {
	fwd := a.fwd
	if fwd.nextSeq != 0 && a.s.seq.Greater(fwd.nextSeq) && a.s.flags&decode.FlagRST == 0 {
		a.fl |= LostSegment
		fwd.validBIF = false
	}
}

// keepAlive: 0 or 1 byte starting one byte before the next expected
// sequence number.
func (a *seqAnalysis) keepAlive() {
	if a.s.len <= 1 && a.s.seq == a.fwd.nextSeq-1 && a.s.plain() {
		a.fl |= KeepAlive
	}
}

// repeats reports whether the segment is empty and repeats the flow's
// next sequence number and last ACK: the common ground of window
// updates, keep-alive ACKs, zero window probe ACKs and duplicate ACKs.
func (a *seqAnalysis) repeats() bool {
	return a.s.len == 0 && a.s.seq == a.fwd.nextSeq && a.s.ack == a.fwd.lastAck && a.s.plain()
}

// windowUpdate: an empty segment repeating the last ACK with a new,
// non-zero window.
func (a *seqAnalysis) windowUpdate() {
	if a.s.window != 0 && a.s.window != a.fwd.window && a.repeats() {
		a.fl |= WindowUpdate
	}
}

// windowFull: the data reaches exactly the right edge of the window the
// peer advertised last (known only once the scale is known).
func (a *seqAnalysis) windowFull() {
	rev := a.rev
	if a.s.len == 0 || rev.winScale == ScaleUnknown || !a.s.plain() {
		return
	}
	shift := uint(0)
	if !rev.isFirstAck && rev.winScale != ScaleNone {
		shift = uint(rev.winScale)
	}
	if a.s.seq.Add(seqnum.Size(a.s.len)) == rev.lastAck.Add(seqnum.Size(rev.window<<shift)) {
		a.fl |= WindowFull
	}
}

// keepAliveAck: an unchanged ACK answering the peer's keep-alive. It
// ends the checks of this flow.
func (a *seqAnalysis) keepAliveAck() bool {
	if a.s.window != 0 && a.s.window == a.fwd.window && a.repeats() && a.rev.lastSegFlags&KeepAlive != 0 {
		a.fl |= KeepAliveAck
		return true
	}
	return false
}

// zeroWindowProbeAck: an unchanged zero-window ACK answering the peer's
// zero window probe. It ends the checks of this flow.
func (a *seqAnalysis) zeroWindowProbeAck() bool {
	if a.s.window == 0 && a.fwd.window == 0 && a.repeats() && a.rev.lastSegFlags&ZeroWindowProbe != 0 {
		a.fl |= ZeroWindowProbeAck
		return true
	}
	return false
}

// duplicateAck: an empty segment repeating the flow's last ACK and
// window. It is numbered from the last segment that was not one; a
// count of -1 (an ACKed-unseen report, see ackedUnseen) restarts at 1.
func (a *seqAnalysis) duplicateAck() {
	fwd := a.fwd
	if a.s.window == 0 || a.s.window != fwd.window || !a.repeats() {
		return
	}
	if fwd.dupAckNum == heldBack {
		fwd.dupAckNum = 1
	} else {
		fwd.dupAckNum++
	}
	a.fl |= DuplicateAck
	a.r.DupAckNum = fwd.dupAckNum
	a.r.DupAckOf = fwd.lastNonDupAck
}

// endForward restarts the duplicate ACK count when the ACK moved.
func (a *seqAnalysis) endForward() {
	if a.s.ack != a.fwd.lastAck {
		a.fwd.lastNonDupAck = a.s.frame
		a.fwd.dupAckNum = 0
	}
}

// heldBack is the peer's duplicate ACK count after an ACKed-unseen report
// that moved nothing (Wireshark's -1 in an unsigned counter).
const heldBack = ^uint32(0)

// ackedUnseen: an ACK beyond the highest in-order sequence number seen
// from the peer acknowledges segments that were not captured. When the
// peer has sent past that mark (its next sequence number is higher) the
// mark moves up to it and the gap is reported. Otherwise the report is
// made only when the peer's duplicate ACK count is 0, and the count is
// set to heldBack, so that the peer's pure ACKs do not repeat it
// (tshark 4.0.17's behaviour, pinned down by comparing with it on
// generated captures).
func (a *seqAnalysis) ackedUnseen() {
	rev := a.rev
	if rev.maxSeqToBeAcked == 0 || !a.s.ack.Greater(rev.maxSeqToBeAcked) || a.s.flags&decode.FlagACK == 0 {
		return
	}
	a.ta = true // even when nothing is reported
	if rev.maxSeqToBeAcked.Less(rev.nextSeq) {
		rev.maxSeqToBeAcked = rev.nextSeq
		a.fl |= AckLostSegment
		return
	}
	if rev.dupAckNum == 0 {
		a.fl |= AckLostSegment
	}
	rev.dupAckNum = heldBack
}

// retransmission: a segment with data, SYN or FIN that does not advance
// the flow's sequence number is a spurious, fast or plain retransmission
// or out of order, checked in that order.
func (a *seqAnalysis) retransmission() {
	s, fwd := &a.s, a.fwd
	if (s.len == 0 && !s.synOrFin()) || a.fl&KeepAlive != 0 {
		return
	}
	notAdvanced := fwd.nextSeq != 0 && s.seq.Less(fwd.nextSeq)
	// More than one byte starting one before the next expected
	// sequence number follows a zero window probe: new data.
	if s.len > 1 && fwd.nextSeq-1 == s.seq {
		notAdvanced = false
	}
	switch {
	case a.spurious():
		a.fl |= SpuriousRetransmission
	case notAdvanced && a.fast():
		a.fl |= FastRetransmission
	case notAdvanced && a.outOfOrder():
		a.fl |= OutOfOrder
	case notAdvanced:
		a.fl |= Retransmission
	}
}

// spurious: the data was all acknowledged already.
func (a *seqAnalysis) spurious() bool {
	last := a.rev.lastAck
	return a.s.len > 0 && last != 0 && a.s.seq.Add(seqnum.Size(a.s.len)).LessEq(last)
}

// fast: the peer sent at least two duplicate ACKs for this sequence
// number, the last less than 20 ms before (Wireshark's
// tcp.fastrt_supersedes_ooo, on by default, checks this before
// out-of-order).
func (a *seqAnalysis) fast() bool {
	rev := a.rev
	d := a.s.ts - rev.lastAckTime
	return rev.dupAckNum >= 2 && rev.lastAck == a.s.seq && d >= 0 && d < fastRetransWindow
}

// outOfOrder: the segment came less than the initial RTT (3 ms while
// unknown) after the highest one and does not end where that one did.
func (a *seqAnalysis) outOfOrder() bool {
	thres := int64(outOfOrderDefault)
	if a.c.tsFirstRTT != 0 {
		thres = a.c.tsFirstRTT
	}
	d := a.s.ts - a.fwd.nextSeqTime
	return d >= 0 && uint64(d) < uint64(thres) && a.fwd.nextSeq != a.s.end()
}

// remember records the segment: in the flow's list of unacknowledged
// segments (while it holds fewer than maxUnacked), as the highest
// sequence number when it is, and the flow's ACK, window and flags.
func (a *seqAnalysis) remember() {
	s, fwd := &a.s, a.fwd
	next := s.seq.Add(seqnum.Size(s.len))
	if (s.len != 0 || s.synOrFin()) && fwd.unacked.n < maxUnacked {
		next = s.end() // past the limit, a SYN or FIN does not count (a Wireshark quirk)
		fwd.unacked.add(unackedSeg{seq: s.seq, nextSeq: next, frame: s.frame, ts: s.ts})
		fwd.prunedValid = false
	}
	probe := a.fl&ZeroWindowProbe != 0
	if (next.Greater(fwd.nextSeq) || fwd.nextSeq == 0) && !probe {
		fwd.nextSeq = next
		fwd.nextSeqTime = s.ts
	}
	if (s.seq == fwd.maxSeqToBeAcked || fwd.maxSeqToBeAcked == 0) && !probe {
		fwd.maxSeqToBeAcked = fwd.nextSeq
	}
	fwd.window = s.window
	fwd.lastAck = s.ack
	fwd.lastAckTime = s.ts
	fwd.lastSegFlags = a.fl
}

// acknowledge forgets the peer's segments this ACK covers and notes the
// one it acknowledges exactly (tcp.analysis.acks_frame, ack_rtt). A
// segment acknowledged in part keeps only its unacknowledged part.
func (a *seqAnalysis) acknowledge() {
	rev, ack := a.rev, a.s.ack
	if rev.unacked.n == 0 || rev.prunedValid && rev.prunedAt == ack {
		return
	}
	segs := rev.unacked.segs()
	rev.prunedAt, rev.prunedValid = ack, true
	if !rev.unacked.gapped {
		// In order (see unackedList), and the ACK less than 2^31
		// after the first segment's start: with d and the segments'
		// numbers counted from that start, the segments ending at or
		// before d go, the one ending at d is acknowledged exactly,
		// and the one d falls within keeps its part from d; those
		// after start after d and are untouched, as the loop below
		// would leave them.
		first := segs[0].seq
		if d := uint32(ack - first); d < 1<<31 {
			k := 0
			for k < len(segs) && uint32(segs[k].nextSeq-first) <= d {
				k++
			}
			if k > 0 && uint32(segs[k-1].nextSeq-first) == d {
				u := &segs[k-1]
				a.r.AckedFrame, a.r.AckRTT = u.frame, a.s.ts-u.ts
				a.ta = true
			}
			if k < len(segs) && uint32(segs[k].seq-first) < d {
				segs[k].seq = ack
			}
			rev.unacked.removeFront(k)
			return
		}
	}
	kept := segs[:0]
	for _, u := range segs {
		switch {
		case u.nextSeq == ack:
			// Wireshark walks newest first and keeps the last
			// match: the oldest segment.
			if a.r.AckedFrame == 0 {
				a.r.AckedFrame, a.r.AckRTT = u.frame, a.s.ts-u.ts
			}
			a.ta = true
			continue
		case ack.Greater(u.seq) && ack.LessEq(u.nextSeq):
			u.seq = ack
		case !u.nextSeq.Greater(ack):
			continue
		}
		kept = append(kept, u)
	}
	rev.unacked.setKept(len(kept))
}

// inFlight sets bytes in flight (the span of the flow's unacknowledged
// segments, less the bytes the peer's last SACK blocks cover) and the
// bytes sent since the last PSH, for a segment with data while bytes in
// flight are known.
func (a *seqAnalysis) inFlight() {
	fwd, s := a.fwd, &a.s
	if s.len == 0 || fwd.unacked.n == 0 || !fwd.validBIF {
		return
	}
	a.ta = true
	segs := fwd.unacked.segs()
	last := segs[len(segs)-1] // Wireshark's list head: the newest
	first, end := uint32(segs[0].seq)-fwd.baseSeq, uint32(last.nextSeq)-fwd.baseSeq
	if fwd.unacked.gapped || end < first {
		// Not in order, or passing 2^32 counted from the base:
		// the lowest start and the highest end, each counted from the
		// base, over the whole list.
		first, end = uint32(last.seq)-fwd.baseSeq, uint32(last.nextSeq)-fwd.baseSeq
		for _, u := range segs {
			end = max(end, uint32(u.nextSeq)-fwd.baseSeq)
			first = min(first, uint32(u.seq)-fwd.baseSeq)
		}
	}
	n := end - first
	for _, d := range a.rev.sack[:a.rev.sackN] {
		n -= d
	}
	if n > 0 && n < maxInFlight {
		a.r.BytesInFlight = n
		if s.synOrFin() {
			a.r.BytesInFlight--
		}
	}
	// The count restarts after a segment with PSH, whatever this one's
	// flags.
	if fwd.pushSetLast {
		fwd.pushBytes = s.len
	} else {
		fwd.pushBytes += s.len
	}
	fwd.pushSetLast = s.flags&decode.FlagPSH != 0
	if a.r.BytesInFlight != 0 { // tshark shows it under bytes in flight
		a.r.PushBytesSent = fwd.pushBytes
	}
}
