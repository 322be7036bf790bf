package difftest

// The endpoint model: a small TCP sender and receiver.

// Endpoint states.
const (
	stClosed = iota
	stSynSent
	stSynRcvd
	stEstab
	stDone
)

// TCP flag bits.
const (
	flFIN = 0x01
	flSYN = 0x02
	flRST = 0x04
	flPSH = 0x08
	flACK = 0x10
)

// span is a received range of sequence space, [lo, hi).
type span struct{ lo, hi uint32 }

// tcpEnd is one endpoint of a simulated conversation.
type tcpEnd struct {
	s     *sim
	id    int
	state int
	// negotiated
	shift, peerShift int // window scale shifts in effect (0 without scaling)
	ts, sack         bool
	mss              int
	tsRecent, tsOff  uint32
	// sender
	sndUna, sndNxt, sndMax uint32
	written                uint32   // sequence number after the last byte the application wrote
	pushAt                 []uint32 // ends of application writes, for PSH
	finWanted, finSent     bool
	sndWnd, cwnd           int
	dupAcks, backoff       int
	rtoGen, persistGen     int
	rtoArmed               bool
	lastSend               int64
	// receiver
	rcvNxt      uint32
	ooo         []span
	rcvUsed     int
	pendAck     int
	delackGen   int
	lastAdv     int
	peerFin     bool
	app         appState
	keepIdle    int64
	nextAppTick int64
}

// seq comparisons in sequence space.
func seqLT(a, b uint32) bool { return int32(a-b) < 0 }
func seqLE(a, b uint32) bool { return int32(a-b) <= 0 }

func newEnd(s *sim, id int) *tcpEnd {
	e := &tcpEnd{s: s, id: id, cwnd: 10 * 1460, tsOff: s.r.Uint32(), keepIdle: pick(s.r, []int64{0, 300e6, 1e9, 5e9})}
	iss := s.cfg.iss[id]
	e.sndUna, e.sndNxt, e.sndMax, e.written = iss, iss, iss, iss+1
	e.mss = s.cfg.syn[id].mss
	return e
}

func (e *tcpEnd) peer() *tcpEnd { return e.s.ends[1-e.id] }

// handle processes one event for e.
func (e *tcpEnd) handle(ev event) {
	if e.state == stDone {
		return
	}
	switch ev.kind {
	case evArrive:
		e.recv(ev.seg)
	case evRTO:
		if ev.gen == e.rtoGen && e.rtoArmed {
			e.onRTO()
		}
	case evDelAck:
		if ev.gen == e.delackGen && e.pendAck > 0 {
			e.sendAck()
		}
	case evPersist:
		if ev.gen == e.persistGen {
			e.probe()
		}
	case evApp:
		if ev.at == e.nextAppTick {
			e.appTick()
		}
	}
}

// connect sends the client's SYN.
func (e *tcpEnd) connect() {
	e.state = stSynSent
	e.sendSyn(flSYN, 0)
}

// sendSyn sends a SYN or SYN/ACK with e's SYN options.
func (e *tcpEnd) sendSyn(flags uint16, ack uint32) {
	o := e.s.cfg.syn[e.id]
	e.send(Segment{Seq: e.sndUna, Ack: ack, Flags: flags, Win: uint16(min(e.s.cfg.rcvBuf[e.id], 65535)), Opts: synOptions(o, e.tsval(), e.tsRecent)})
	e.sndNxt = e.sndUna + 1
	e.sndMax = e.sndNxt
	e.armRTO()
}

// tsval is e's timestamp clock: milliseconds.
func (e *tcpEnd) tsval() uint32 { return uint32(e.s.now/1e6) + e.tsOff }

// advertise returns the raw window field e sends now.
func (e *tcpEnd) advertise() uint16 {
	free := max(e.s.cfg.rcvBuf[e.id]-e.rcvUsed, 0)
	e.lastAdv = free
	return uint16(min(free>>e.shift, 65535))
}

// send stamps seg with e's identity and options and puts it on the wire.
func (e *tcpEnd) send(seg Segment) {
	seg.From = e.id
	if seg.Flags&flSYN == 0 && seg.Flags&flRST == 0 {
		seg.Win = e.advertise()
		if e.ts {
			seg.Opts = append(tsOption(e.tsval(), e.tsRecent), seg.Opts...)
		}
	}
	if seg.Flags&flACK != 0 {
		e.pendAck = 0
		e.delackGen++
	}
	e.shapeSegment(&seg)
	e.lastSend = e.s.now
	e.s.transmit(seg)
}

// sendAck sends a pure ACK, with SACK blocks when e holds data out of
// order.
func (e *tcpEnd) sendAck() {
	seg := Segment{Seq: e.sndNxt, Ack: e.rcvNxt, Flags: flACK}
	if e.sack && len(e.ooo) > 0 {
		seg.Opts = sackOption(e.ooo, e.ts)
	}
	e.send(seg)
}

// armRTO (re)starts the retransmission timer.
func (e *tcpEnd) armRTO() {
	e.rtoGen++
	e.rtoArmed = true
	rto := max(3*e.s.cfg.rtt, 200e6) << min(e.backoff, 6)
	e.s.schedule(event{at: e.s.now + rto, kind: evRTO, end: e.id, gen: e.rtoGen})
}

// finish ends e: no more timers or segments.
func (e *tcpEnd) finish() {
	e.state = stDone
	e.rtoArmed = false
}
