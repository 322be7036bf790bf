package difftest

import "math/rand/v2"

// netModel is how the network and the capture point treat segments: each
// a probability per segment.
type netModel struct {
	lossBefore float64 // lost before the capture point: never captured
	lossAfter  float64 // captured, then lost: the receiver never sees it
	dupNet     float64 // duplicated before the capture point: captured and delivered twice
	dupCap     float64 // captured twice (a mirror port), delivered once
	reorder    float64 // delayed by up to a few RTTs: reordered
	capDrop    float64 // the capture misses it
	badSum     float64 // written with a wrong checksum
}

// randomNet picks a network for a file: often clean, sometimes lossy.
func randomNet(r *rand.Rand) netModel {
	lvl := func(ps ...float64) float64 { return pick(r, ps) }
	return netModel{
		lossBefore: lvl(0, 0, 0.01, 0.03, 0.08),
		lossAfter:  lvl(0, 0, 0.01, 0.03, 0.08),
		dupNet:     lvl(0, 0, 0.005, 0.02),
		dupCap:     lvl(0, 0, 0.005, 0.02),
		reorder:    lvl(0, 0, 0.01, 0.04),
		capDrop:    lvl(0, 0, 0, 0.005, 0.02),
		badSum:     lvl(0, 0, 0, 0.002),
	}
}

// transmit sends seg from its sender: captured (unless lost before the
// capture point or missed), and delivered to the peer (unless lost).
func (s *sim) transmit(seg Segment) {
	r, nm := s.r, &s.cfg.net
	if r.Float64() < nm.lossBefore {
		return
	}
	copies := 1
	if r.Float64() < nm.dupNet {
		copies = 2
	}
	for range copies {
		s.deliver(seg)
	}
}

// deliver carries one copy of seg past the capture point to the peer.
func (s *sim) deliver(seg Segment) {
	r, nm := s.r, &s.cfg.net
	owd := s.cfg.rtt / 2
	toCap := int64(float64(owd) * s.cfg.capPos)
	if seg.From == 1 {
		toCap = owd - toCap
	}
	// Segments leave one after the other at the link's rate; a reordered
	// one is held back without holding up the others.
	dir := seg.From
	wire := max(s.now, s.wireFree[dir]) + int64(54+seg.Len)*s.cfg.byteTime
	s.wireFree[dir] = wire
	capAt := wire + toCap + int64(r.IntN(1000))
	if r.Float64() < nm.reorder {
		capAt += r.Int64N(max(s.cfg.rtt*2, 1_000_000))
	}
	capAt = max(capAt, s.capLast[dir])
	s.capLast[dir] = capAt
	if r.Float64() >= nm.capDrop {
		seg.BadSum = r.Float64() < nm.badSum
		s.capture(capAt, seg)
		if r.Float64() < nm.dupCap {
			s.capture(capAt+int64(1+r.IntN(50_000)), seg)
		}
	}
	if r.Float64() < nm.lossAfter {
		return
	}
	arrive := capAt + (owd - toCap)
	if r.Float64() < nm.reorder {
		arrive += r.Int64N(max(s.cfg.rtt*2, 1_000_000))
	}
	s.schedule(event{at: arrive, kind: evArrive, end: 1 - seg.From, seg: seg})
}

// capture records seg as seen by the capture point at time at.
func (s *sim) capture(at int64, seg Segment) {
	from, to := s.cfg.a, s.cfg.b
	if seg.From == 1 {
		from, to = to, from
	}
	s.out = append(s.out, captured{at: at, seg: seg, from: from, to: to, slot: s.cfg.slot, ipOpts: s.cfg.shape.ipOpts})
}
