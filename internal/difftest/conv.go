package difftest

import (
	"cmp"
	"math/rand/v2"
	"slices"
)

// Conversation modes.
const (
	modeReqResp = iota // requests and responses on a persistent connection
	modeBulk2          // bulk data both ways at once
	modeBulk1          // bulk data from the client
	modeRefused        // the server refuses the SYN with RST/ACK
)

// Ways a conversation ends.
const (
	closeFin  = iota // FIN both ways
	closeHalf        // the client sends FIN, the server never does
	closeRST         // a RST (with or without ACK)
	closeOpen        // it just stops
)

// synOpts are the options an endpoint offers in its SYN.
type synOpts struct {
	mss   int
	sack  bool
	ts    bool
	shift int // window scale shift offered, -1 none
}

// convCfg describes a conversation for the simulation.
type convCfg struct {
	slotPlan
	slot      int
	budget    int // captured frames wanted, roughly
	net       netModel
	rtt       int64   // ns
	byteTime  int64   // ns per byte on the wire
	capPos    float64 // where the capture point is: 0 at the client, 1 at the server
	mode      int
	close     int
	midStream int // captured frames the capture misses at the start
	iss       [2]uint32
	syn       [2]synOpts
	rcvBuf    [2]int
	readRate  [2]int   // bytes the application reads per millisecond
	think     [2]int64 // ns an application waits before it writes
	shape     tcpShape
}

// convParams picks a conversation on p's 4-tuple starting at start.
func convParams(r *rand.Rand, p slotPlan, slot int, start int64, budget int, nm netModel) *convCfg {
	c := &convCfg{slotPlan: p, slot: slot, budget: budget, net: nm}
	c.start = start
	c.rtt = pick(r, []int64{50_000, 400_000, 2_500_000, 3_500_000, 20e6, 80e6, 200e6}) + r.Int64N(100_000)
	c.byteTime = pick(r, []int64{1, 8, 80, 800})
	c.capPos = pick(r, []float64{0, 0.02, 0.5, 0.98, 1})
	c.mode = pick(r, []int{modeReqResp, modeReqResp, modeBulk2, modeBulk1, modeRefused})
	if r.IntN(8) != 0 && c.mode == modeRefused {
		c.mode = modeReqResp
	}
	c.close = pick(r, []int{closeFin, closeFin, closeHalf, closeRST, closeOpen})
	if r.IntN(6) == 0 {
		c.midStream = 1 + r.IntN(budget/2+1)
	}
	for i := range 2 {
		c.iss[i] = r.Uint32()
		if r.IntN(5) == 0 {
			c.iss[i] = -uint32(r.IntN(20000)) // wraps past 2^32 soon
		}
		c.syn[i] = synOpts{mss: pick(r, []int{100, 300, 536, 1200, 1460}), sack: r.IntN(4) != 0, ts: r.IntN(3) != 0, shift: pick(r, []int{-1, 0, 2, 7, 14, -1, 0, 2, 7, 14, 15})}
		c.rcvBuf[i] = pick(r, []int{2000, 8000, 65535, 200_000, 1 << 20})
		c.readRate[i] = pick(r, []int{100, 2000, 1 << 20})
		c.think[i] = pick(r, []int64{0, 100_000, 5e6, 50e6, 2e9})
	}
	c.shape = pickShape(r)
	return c
}

// sortCaptured sorts frames by capture time.
func sortCaptured(cs []captured) {
	slices.SortStableFunc(cs, func(x, y captured) int { return cmp.Compare(x.at, y.at) })
}
