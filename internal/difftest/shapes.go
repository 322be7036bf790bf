package difftest

import "math/rand/v2"

// TCP shapes beyond the endpoint model's, per conversation: ECN (RFC
// 3168: ECE and CWR in the handshake, then echoes of congestion and
// window reductions), accurate ECN (RFC 9768: AE, CWR and ECE in the
// SYN, then the ACE counter in every segment), urgent data with its
// pointer, and a client SYN carrying data that the server does not take
// (a TCP Fast Open cookie request refused: the data is sent again after
// the handshake).

// ECN modes an end asks for or supports.
const (
	ecnNone = iota
	ecnClassic
	ecnAccurate
)

// Flag bits the endpoint model leaves alone.
const (
	flURG = 0x20
	flECE = 0x40
	flCWR = 0x80
	flAE  = 0x100
)

// tcpShape is a conversation's shapes.
type tcpShape struct {
	ecn     [2]int  // the ECN mode each end asks for (the client) or supports (the server)
	ceRate  float64 // segments an end sends that echo congestion (ECE, or a step of the ACE counter)
	urg     float64 // data segments sent urgent
	synData int     // bytes the client's first SYN carries
	ipOpts  []byte  // IPv4 options of every packet
	ace     [2]int  // accurate ECN: congestion each end has seen
}

// pickShape picks a conversation's shapes: most have none.
func pickShape(r *rand.Rand) tcpShape {
	var s tcpShape
	if r.IntN(4) == 0 {
		s.ecn = [2]int{pick(r, []int{ecnClassic, ecnAccurate}), pick(r, []int{ecnNone, ecnClassic, ecnAccurate, ecnAccurate})}
		s.ceRate = pick(r, []float64{0, 0.02, 0.1})
	}
	if r.IntN(10) == 0 {
		s.urg = pick(r, []float64{0.05, 0.5})
	}
	if r.IntN(10) == 0 {
		s.synData = pick(r, []int{1, 20, 100})
	}
	s.ipOpts = pickIPOptions(r)
	return s
}

// ecnMode is the mode the two ends agree on.
func (s *tcpShape) ecnMode() int { return min(s.ecn[0], s.ecn[1]) }

// shapeSegment adds e's conversation's shapes to seg, about to be sent.
func (e *tcpEnd) shapeSegment(seg *Segment) {
	sh, r := &e.s.cfg.shape, e.s.r
	syn := seg.Flags&flSYN != 0
	switch {
	case syn && seg.Flags&flACK == 0:
		switch sh.ecn[0] {
		case ecnClassic:
			seg.Flags |= flECE | flCWR
		case ecnAccurate:
			seg.Flags |= flAE | flCWR | flECE
		}
		if seg.Seq == e.s.cfg.iss[0] && e.id == 0 && e.backoff == 0 {
			seg.Len = sh.synData
		}
	case syn:
		switch {
		case sh.ecnMode() == ecnAccurate:
			seg.Flags |= flCWR // the SYN came not-ECT
		case sh.ecnMode() == ecnClassic:
			seg.Flags |= flECE
		}
	case seg.Flags&flRST != 0:
	case sh.ecnMode() == ecnAccurate:
		if r.Float64() < sh.ceRate {
			sh.ace[e.id]++
		}
		ace := (5 + sh.ace[e.id]) % 8
		seg.Flags |= uint16(ace) << 6 // AE, CWR, ECE
	case sh.ecnMode() == ecnClassic:
		if seg.Len == 0 && r.Float64() < sh.ceRate {
			seg.Flags |= flECE
		}
		if seg.Len > 0 && r.Float64() < sh.ceRate {
			seg.Flags |= flCWR
		}
	}
	if seg.Len > 0 && !syn && r.Float64() < sh.urg {
		seg.Flags |= flURG
		seg.Urg = uint16(1 + r.IntN(seg.Len))
	}
}
