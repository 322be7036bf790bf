package difftest

import (
	"container/heap"
	"math/rand/v2"
	"net/netip"
)

// Segment is a TCP segment as an endpoint sends it.
type Segment struct {
	From     int // 0 the client, 1 the server
	Seq, Ack uint32
	Flags    uint16
	Win      uint16
	Opts     []byte
	Len      int
	BadSum   bool
	Urg      uint16 // the urgent pointer
}

// captured is a segment the capture point saw, at time at (ns from the
// file's start).
type captured struct {
	at       int64
	seg      Segment
	from, to netip.AddrPort
	slot     int
	ipOpts   []byte // IPv4 options
}

type evKind int

const (
	evArrive  evKind = iota // seg arrives at end
	evRTO                   // end's retransmission timer
	evDelAck                // end's delayed ACK timer
	evPersist               // end's zero-window probe timer
	evApp                   // end's application: reads, writes, closes
)

type event struct {
	at   int64
	n    int // order of scheduling, to break ties
	kind evKind
	end  int
	gen  int // the timer generation it was armed with
	seg  Segment
}

type evHeap []event

func (h evHeap) Len() int { return len(h) }
func (h evHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].n < h[j].n
}
func (h evHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *evHeap) Push(x any)   { *h = append(*h, x.(event)) }
func (h *evHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

// sim runs one conversation.
type sim struct {
	r    *rand.Rand
	cfg  *convCfg
	now  int64
	q    evHeap
	n    int
	ends [2]*tcpEnd
	out  []captured
	// the applications' plan
	sizes  [2][]int
	rounds int
	// the wire: when each direction's link is free, when the capture
	// point last saw a frame each way
	wireFree, capLast [2]int64
}

func (s *sim) schedule(e event) {
	s.n++
	e.n = s.n
	heap.Push(&s.q, e)
}

// runConv simulates the conversation cfg describes and returns what the
// capture point saw, without the frames before a mid-stream start.
func runConv(r *rand.Rand, cfg *convCfg) []captured {
	s := &sim{r: r, cfg: cfg, now: cfg.start}
	for i := range s.ends {
		s.ends[i] = newEnd(s, i)
	}
	s.planSizes()
	s.ends[0].connect()
	deadline := cfg.start + 120e9
	for s.q.Len() > 0 && len(s.out) < cfg.budget*2 {
		e := heap.Pop(&s.q).(event)
		if e.at > deadline {
			break
		}
		s.now = e.at
		s.ends[e.end].handle(e)
	}
	if cfg.midStream > 0 {
		sortCaptured(s.out)
		s.out = s.out[min(cfg.midStream, len(s.out)):]
	}
	return s.out
}
