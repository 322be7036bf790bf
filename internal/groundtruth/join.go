package groundtruth

import (
	"time"

	"github.com/tcplab/tcplab/internal/netlab"
)

// join indexes the bridge's log for a capture at one point.
type join struct {
	point netlab.Host
	fates []netlab.FrameFate
	byKey map[netlab.Segment][]int // log entries of each segment, in arrival order
	dir   [2][]int                 // TCP log entries of each direction (0: c2s), in arrival order
	pos   []int                    // each entry's place in its direction's list
	seen  map[netlab.Segment]int   // sights of each segment at the capture point so far
	// starting holds each direction's data entries by first sequence
	// number, in arrival order.
	starting [2]map[uint32][]int
}

func newJoin(point netlab.Host, fates []netlab.FrameFate) *join {
	j := &join{point: point, fates: fates, byKey: map[netlab.Segment][]int{}, seen: map[netlab.Segment]int{}, pos: make([]int, len(fates)),
		starting: [2]map[uint32][]int{{}, {}}}
	for i := range fates {
		f := &fates[i]
		if !f.TCP {
			continue
		}
		j.byKey[f.Segment] = append(j.byKey[f.Segment], i)
		d := dirIndex(f.C2S)
		j.pos[i] = len(j.dir[d])
		j.dir[d] = append(j.dir[d], i)
		if f.Segment.Len > 0 {
			j.starting[d][f.Segment.Seq] = append(j.starting[d][f.Segment.Seq], i)
		}
	}
	return j
}

func dirIndex(c2s bool) int {
	if c2s {
		return 0
	}
	return 1
}

// see counts a sight of s at the capture point and returns how many came
// before it.
func (j *join) see(s netlab.Segment) int {
	n := j.seen[s]
	j.seen[s] = n + 1
	return n
}

// downstream reports whether the capture point lies past the bridge for
// the direction of f.
func (j *join) downstream(f *netlab.FrameFate) bool {
	return f.C2S == (j.point == netlab.Server)
}

// fate returns the log entry of the occ-th sight of s: past the bridge,
// counting the copies each entry sent on; before it, one sight per
// entry.
func (j *join) fate(s netlab.Segment, occ int) (*netlab.FrameFate, int, bool) {
	idx := j.byKey[s]
	if len(idx) == 0 {
		return nil, 0, false
	}
	if !j.downstream(&j.fates[idx[0]]) {
		return &j.fates[idx[min(occ, len(idx)-1)]], 0, true
	}
	for _, i := range idx {
		f := &j.fates[i]
		k := kept(f)
		if occ < k {
			return f, occ, true
		}
		occ -= k
	}
	f := &j.fates[idx[len(idx)-1]]
	return f, max(kept(f)-1, 0), true
}

// kept counts the copies of f that left the bridge.
func kept(f *netlab.FrameFate) int {
	n := 0
	for _, c := range f.Copy[:f.Copies] {
		if c.Dropped == 0 {
			n++
		}
	}
	return n
}

// earlier returns the latest log entry before f in its direction whose
// bytes (or SYN or FIN) hold f's first sequence number, sent apart from f.
func (j *join) earlier(f *netlab.FrameFate) *netlab.FrameFate {
	list := j.dir[dirIndex(f.C2S)]
	for k := j.pos[j.index(f)] - 1; k >= 0; k-- {
		e := &j.fates[list[k]]
		if e.Segment != f.Segment && inRange(f.Segment.Seq, e.Segment.Seq, seqLen(e.Segment)) {
			return e
		}
	}
	return nil
}

// seqLen is the sequence space s takes: its bytes, SYN and FIN.
func seqLen(s netlab.Segment) int {
	n := s.Len
	if s.Flags&0x02 != 0 {
		n++
	}
	if s.Flags&0x01 != 0 {
		n++
	}
	return n
}

// index returns f's place in the log.
func (j *join) index(f *netlab.FrameFate) int {
	for _, i := range j.byKey[f.Segment] {
		if &j.fates[i] == f {
			return i
		}
	}
	return -1
}

// overtook counts the segments of f's direction that reached the bridge
// after f and left it before release.
func (j *join) overtook(f *netlab.FrameFate, release time.Time) int {
	list := j.dir[dirIndex(f.C2S)]
	n := 0
	for _, i := range list[j.pos[j.index(f)]+1:] {
		e := &j.fates[i]
		if !e.Arrived.Before(release) {
			break
		}
		for _, c := range e.Copy[:e.Copies] {
			if c.Dropped == 0 && c.Release.Before(release) && e.Segment.Len > 0 {
				n++
				break
			}
		}
	}
	return n
}

// gapAt returns why the receiver of a duplicate ACK still waited for
// sequence number seq of the data direction (dataC2S): the first
// transmission holding seq that a capture at the receiver has not shown
// yet (any, at the sender), lost by the network, held back, or neither.
func (j *join) gapAt(dataC2S bool, seq uint32) (Cause, *netlab.FrameFate) {
	d := dirIndex(dataC2S)
	atReceiver := dataC2S == (j.point == netlab.Server)
	for _, i := range j.starting[d][seq] {
		e := &j.fates[i]
		if atReceiver && j.seen[e.Segment] >= kept(e) && kept(e) > 0 {
			continue // it reached the receiver before this ACK
		}
		if kept(e) == 0 {
			return AfterLoss, e
		}
		for _, c := range e.Copy[:e.Copies] {
			if c.Dropped == 0 && c.Reordered {
				return AfterReorder, e
			}
		}
		return Delivered, e
	}
	return Delivered, nil
}

// gapBefore returns the segment missing just before f at a capture past
// the bridge: the latest one before f in its direction holding f's
// sequence number less one that the capture has not shown yet.
func (j *join) gapBefore(f *netlab.FrameFate) *netlab.FrameFate {
	list := j.dir[dirIndex(f.C2S)]
	prev := f.Segment.Seq - 1
	for k := j.pos[j.index(f)] - 1; k >= 0; k-- {
		e := &j.fates[list[k]]
		if e.Segment.Len > 0 && inRange(prev, e.Segment.Seq, e.Segment.Len) && j.seen[e.Segment] == 0 {
			return e
		}
	}
	return nil
}
