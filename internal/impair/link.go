package impair

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Stats count what a Link did to the frames pushed into it.
type Stats struct {
	Received     uint64 // frames pushed
	Forwarded    uint64 // copies popped, duplicates included
	DroppedLoss  uint64 // frames dropped by the loss model
	DroppedQueue uint64 // copies dropped because the rate limiter's queue was full
	DroppedLimit uint64 // copies dropped because the link held Limit frames
	Duplicated   uint64 // extra copies made
	Reordered    uint64 // copies held back by the reorder gap
	Marked       uint64 // copies whose ECN field was set to CE
}

// Drop says why a link dropped a frame or a copy of it.
type Drop uint8

const (
	NotDropped Drop = iota
	DropLoss        // the loss model
	DropQueue       // the rate limiter's queue was full
	DropLimit       // the link held Limit frames
)

// CopyFate is what became of one copy of a frame the link kept: when it
// leaves, whether the reorder gap held it back, whether it was marked CE.
type CopyFate struct {
	Release   time.Time
	Dropped   Drop // DropQueue or DropLimit; then the copy never leaves
	Reordered bool
	Marked    bool
}

// Fate is what a link did to one frame pushed into it: dropped by the
// loss model, or taken as one copy or two (duplicated), each with its
// fate. It is the ground truth the link's counters sum up.
type Fate struct {
	Arrived time.Time
	Lost    bool // dropped by the loss model: no copy
	Copies  int  // copies taken: 1, or 2 when duplicated (0 when Lost)
	Copy    [2]CopyFate
}

// Link is one direction of an impaired link. It is not safe for concurrent
// use; the caller serializes Push, Pop and Next.
type Link struct {
	p   Params
	rng *rand.Rand

	bad bool // Gilbert–Elliott state

	// Rate limiter: the time the link finishes sending the last accepted
	// frame, and the finish times of the frames still queued, in order.
	linkFree   time.Time
	departures ring

	lastRelease time.Time // latest release of an in-order frame: jitter keeps order
	held        heap      // frames waiting for their release time
	seq         uint64    // tie-breaker: equal release times leave in push order

	free   [][]byte // recycled frame buffers
	popped []byte   // the buffer returned by the last Pop, recycled by the next call

	stats   Stats
	observe func(frame []byte, f *Fate)
	fate    Fate // the last frame's, handed to observe
}

// Observe makes the link call fn with each frame pushed and its fate,
// from Push (so under the caller's serialization). The frame is the
// caller's buffer and the fate the link's, both valid during the call
// only.
func (l *Link) Observe(fn func(frame []byte, f *Fate)) { l.observe = fn }

// NewLink returns a link applying p, its random choices seeded with seed.
func NewLink(p Params, seed uint64) (*Link, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("impair: %w", err)
	}
	if p.ReorderGap == 0 {
		p.ReorderGap = DefaultReorderGap
	}
	if p.Queue == 0 {
		p.Queue = DefaultQueue
	}
	if p.Limit == 0 {
		p.Limit = DefaultLimit
	}
	l := &Link{
		p:   p,
		rng: rand.New(rand.NewPCG(seed, 0x7463706c6162)), // second word: "tcplab"
	}
	if p.Rate != 0 {
		l.departures = newRing(p.Queue)
	}
	return l, nil
}

// Params returns the link's parameters, with defaults filled in.
func (l *Link) Params() Params { return l.p }

// Stats returns the link's counters.
func (l *Link) Stats() Stats { return l.stats }

// Len returns the number of copies the link holds.
func (l *Link) Len() int { return len(l.held) }

// chance reports true with probability pct.
func (l *Link) chance(pct Percent) bool {
	return pct > 0 && (pct >= 100 || l.rng.Float64() < pct.Prob())
}

// lost runs the loss model for one frame.
func (l *Link) lost() bool {
	if g := l.p.GE; g != nil {
		var loss bool
		if l.bad {
			loss = l.chance(g.LossBad)
			if l.chance(g.R) {
				l.bad = false
			}
		} else {
			loss = l.chance(g.LossGood)
			if l.chance(g.P) {
				l.bad = true
			}
		}
		return loss
	}
	return l.chance(l.p.Loss)
}

// Push hands the link a frame that arrives at now. The frame is copied;
// the caller may reuse its buffer at once.
func (l *Link) Push(now time.Time, frame []byte) {
	l.stats.Received++
	f := &l.fate
	*f = Fate{Arrived: now}
	if l.lost() {
		l.stats.DroppedLoss++
		f.Lost = true
	} else {
		f.Copies = 1
		if l.chance(l.p.Dup) {
			f.Copies = 2
			l.stats.Duplicated++
		}
		for i := range f.Copies {
			f.Copy[i] = l.admit(now, frame)
		}
	}
	if l.observe != nil {
		l.observe(frame, f)
	}
}

// admit takes one copy of a frame through the queue, marking, delay and
// reordering stages, and returns its fate.
func (l *Link) admit(now time.Time, frame []byte) CopyFate {
	if len(l.held) >= l.p.Limit {
		l.stats.DroppedLimit++
		return CopyFate{Dropped: DropLimit}
	}
	leave := now
	if l.p.Rate != 0 {
		for l.departures.len() > 0 && !l.departures.front().After(now) {
			l.departures.pop()
		}
		if l.departures.len() >= l.p.Queue {
			l.stats.DroppedQueue++
			return CopyFate{Dropped: DropQueue}
		}
		start := now
		if l.linkFree.After(start) {
			start = l.linkFree
		}
		bits := uint64(len(frame)) * 8
		leave = start.Add(time.Duration(bits * uint64(time.Second) / l.p.Rate))
		if bits*uint64(time.Second)/l.p.Rate == 0 {
			leave = start.Add(1) // every frame takes some time on the wire
		}
		l.linkFree = leave
		l.departures.push(leave)
	}
	var c CopyFate
	buf := l.buffer(len(frame))
	copy(buf, frame)
	if l.p.ECN > 0 && isECT(buf) && l.chance(l.p.ECN) && markCE(buf) {
		l.stats.Marked++
		c.Marked = true
	}
	release := leave.Add(l.p.Delay)
	if j := l.p.Jitter; j > 0 {
		release = release.Add(time.Duration(l.rng.Int64N(int64(2*j)+1)) - j)
		if release.Before(leave) {
			release = leave
		}
	}
	if l.chance(l.p.Reorder) {
		l.stats.Reordered++
		release = release.Add(l.p.ReorderGap)
		c.Reordered = true
	} else {
		if release.Before(l.lastRelease) {
			release = l.lastRelease
		}
		l.lastRelease = release
	}
	c.Release = release
	l.held.push(held{release: release, seq: l.seq, frame: buf})
	l.seq++
	return c
}

// Next returns the release time of the next frame, and false when the
// link holds none.
func (l *Link) Next() (time.Time, bool) {
	if len(l.held) == 0 {
		return time.Time{}, false
	}
	return l.held[0].release, true
}

// Pop returns the next frame whose release time is not after now, and
// false when there is none yet. The returned slice is the link's own
// buffer, valid until the next call to Pop.
func (l *Link) Pop(now time.Time) ([]byte, bool) {
	if l.popped != nil {
		l.free = append(l.free, l.popped[:0])
		l.popped = nil
	}
	if len(l.held) == 0 || l.held[0].release.After(now) {
		return nil, false
	}
	h := l.held.pop()
	l.popped = h.frame
	l.stats.Forwarded++
	return h.frame, true
}

// buffer returns a buffer of length n, recycled when one is free.
func (l *Link) buffer(n int) []byte {
	for len(l.free) > 0 {
		b := l.free[len(l.free)-1]
		l.free = l.free[:len(l.free)-1]
		if cap(b) >= n {
			return b[:n]
		}
	}
	return make([]byte, n, max(n, 2048))
}

// held is a frame copy waiting for its release time.
type held struct {
	release time.Time
	seq     uint64
	frame   []byte
}

func (a held) before(b held) bool {
	if !a.release.Equal(b.release) {
		return a.release.Before(b.release)
	}
	return a.seq < b.seq
}

// heap is a binary min-heap of held frames by release time, then push
// order. (container/heap would box every element in an interface.)
type heap []held

func (h *heap) push(x held) {
	*h = append(*h, x)
	s := *h
	for i := len(s) - 1; i > 0; {
		parent := (i - 1) / 2
		if !s[i].before(s[parent]) {
			break
		}
		s[i], s[parent] = s[parent], s[i]
		i = parent
	}
}

func (h *heap) pop() held {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s[last] = held{}
	s = s[:last]
	for i := 0; ; {
		small, l, r := i, 2*i+1, 2*i+2
		if l < len(s) && s[l].before(s[small]) {
			small = l
		}
		if r < len(s) && s[r].before(s[small]) {
			small = r
		}
		if small == i {
			break
		}
		s[i], s[small] = s[small], s[i]
		i = small
	}
	*h = s
	return top
}

// ring is a fixed-capacity FIFO of times.
type ring struct {
	buf        []time.Time
	head, size int
}

func newRing(n int) ring { return ring{buf: make([]time.Time, n)} }

func (r *ring) len() int         { return r.size }
func (r *ring) front() time.Time { return r.buf[r.head] }
func (r *ring) push(t time.Time) { r.buf[(r.head+r.size)%len(r.buf)] = t; r.size++ }
func (r *ring) pop()             { r.head = (r.head + 1) % len(r.buf); r.size-- }
