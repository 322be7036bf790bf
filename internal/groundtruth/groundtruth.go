// Package groundtruth joins a capture made in tcplab's own network with
// what its impairing bridge did to each frame (netlab's fate log), to
// tell what really happened to the segments Wireshark's analysis flags,
// and to reconcile the counts each party keeps.
//
// Wireshark infers from one capture point; its flags name a symptom, not
// a cause. Its Out-Of-Order, for one, is a timing heuristic: a
// retransmission of a segment lost before the capture point that comes
// soon enough after the highest segment is called out of order, though
// the network reordered nothing. The bridge knows: it dropped the first
// copy, or held this one back, or made it.
package groundtruth

import (
	"time"

	"github.com/tcplab/tcplab/internal/impair"
	"github.com/tcplab/tcplab/internal/netlab"
	"github.com/tcplab/tcplab/internal/seqnum"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// Frame is a TCP segment a capture holds, as the analysis saw it.
type Frame struct {
	Number  uint32 // the frame's number in the capture
	Time    int64  // its capture time, ns since the epoch
	Segment netlab.Segment
	Flags   tcpanalysis.Flags
}

// Cause is what really happened to a flagged segment.
type Cause uint8

const (
	// Unknown: the bridge's log has no frame for it (a capture not made
	// in this network, or past the log's bound).
	Unknown Cause = iota
	// NetworkDuplicate: a second copy the network made of a segment the
	// sender sent once.
	NetworkDuplicate
	// NetworkReordered: the network held the segment back (Delay is how
	// long it spent crossing) and Overtaken later segments crossed
	// before it.
	NetworkReordered
	// ResentAfterLoss: the sender sent the bytes again because the
	// network lost the earlier copy (Original).
	ResentAfterLoss
	// ResentNeedlessly: the sender sent the bytes again though the
	// earlier copy (Original) crossed: its timer fired before the ACK
	// came back, or a probe (a tail loss probe) repeated them.
	ResentNeedlessly
	// AfterLoss: a duplicate ACK or a gap in sequence caused by a
	// segment the network lost (Original).
	AfterLoss
	// AfterReorder: a duplicate ACK or a gap in sequence caused by a
	// segment the network held back (Original), which came later.
	AfterReorder
	// Delivered: none of the above; the segment crossed as sent (the
	// flag comes from the analysis's view of timing or windows).
	Delivered
)

// Verdict is the ground truth for one flagged frame.
type Verdict struct {
	Frame Frame
	Cause Cause
	// Original is the bridge's log entry of the segment behind the cause:
	// the earlier copy of resent bytes, the missing segment of a gap.
	Original *netlab.FrameFate
	// Delay is the time a reordered copy took to cross the network, and
	// Overtaken how many segments of its direction crossed before it
	// though they reached the bridge after it.
	Delay     time.Duration
	Overtaken int
}

// resent is the set of flags that say the sender sent bytes again.
const resent = tcpanalysis.Retransmission | tcpanalysis.FastRetransmission | tcpanalysis.SpuriousRetransmission

// explained are the flags Explain gives a cause for.
const explained = resent | tcpanalysis.OutOfOrder | tcpanalysis.LostSegment | tcpanalysis.DuplicateAck

// Explain returns a verdict for each frame among frames (a capture at
// point, in capture order) that carries one of the flags about sequence:
// retransmissions, out of order, previous segment not captured,
// duplicate ACKs. fates is the bridge's log (netlab.Network.Fates).
func Explain(point netlab.Host, frames []Frame, fates []netlab.FrameFate) []Verdict {
	j := newJoin(point, fates)
	var out []Verdict
	for _, f := range frames {
		occ := j.see(f.Segment)
		if f.Flags&explained == 0 {
			continue
		}
		v := Verdict{Frame: f}
		fate, copyIdx, ok := j.fate(f.Segment, occ)
		switch {
		case !ok:
			// Unknown.
		case f.Flags&tcpanalysis.DuplicateAck != 0 && f.Segment.Len == 0:
			v.Cause, v.Original = j.gapAt(!fate.C2S, f.Segment.Ack)
		default:
			j.segmentCause(&v, fate, copyIdx)
		}
		out = append(out, v)
	}
	return out
}

// segmentCause fills v for a data segment (or a SYN or FIN) whose log
// entry is fate; past the bridge, the capture shows its copy-th copy to
// leave (0 or 1).
func (j *join) segmentCause(v *Verdict, fate *netlab.FrameFate, copy int) {
	f := v.Frame
	if j.downstream(fate) && fate.Copies > 0 {
		c := keptCopy(fate, copy)
		if copy == 1 {
			v.Cause = NetworkDuplicate
			return
		}
		if c.Reordered {
			v.Cause, v.Delay, v.Overtaken = NetworkReordered, c.Release.Sub(fate.Arrived), j.overtook(fate, c.Release)
			return
		}
	}
	if f.Flags&(resent|tcpanalysis.OutOfOrder) != 0 {
		if orig := j.earlier(fate); orig != nil {
			v.Cause, v.Original = ResentNeedlessly, orig
			if !crossed(orig) {
				v.Cause = ResentAfterLoss
			}
			return
		}
	}
	if f.Flags&tcpanalysis.LostSegment != 0 && j.downstream(fate) {
		// The bytes before this segment did not reach the capture.
		if gap := j.gapBefore(fate); gap != nil {
			v.Cause, v.Original = AfterLoss, gap
			if crossed(gap) {
				v.Cause = AfterReorder
			}
			return
		}
	}
	v.Cause = Delivered
}

// keptCopy returns the k-th copy of f to leave the bridge, in release
// order.
func keptCopy(f *netlab.FrameFate, k int) impair.CopyFate {
	var cs []impair.CopyFate
	for _, c := range f.Copy[:f.Copies] {
		if c.Dropped == 0 {
			cs = append(cs, c)
		}
	}
	if len(cs) == 2 && cs[1].Release.Before(cs[0].Release) {
		cs[0], cs[1] = cs[1], cs[0]
	}
	if len(cs) == 0 {
		return impair.CopyFate{}
	}
	return cs[min(k, len(cs)-1)]
}

// crossed reports whether a copy of the frame of f left the bridge.
func crossed(f *netlab.FrameFate) bool {
	for _, c := range f.Copy[:f.Copies] {
		if c.Dropped == 0 {
			return true
		}
	}
	return false
}

// inRange reports whether seq lies in [start, start+n).
func inRange(seq, start uint32, n int) bool {
	s := seqnum.Value(start)
	return seqnum.Value(seq).InRange(s, s.Add(seqnum.Size(n)))
}
