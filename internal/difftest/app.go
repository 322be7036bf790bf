package difftest

// appState is an endpoint's application: what it writes, when, and what
// it waits to read first.
type appState struct {
	sizes    []int // its writes: requests, responses, or bulk chunks
	round    int
	expect   int // bytes to read before the next write (request/response)
	got      int // bytes read
	pending  []pendingWrite
	closed   bool
	lastRead int64
}

type pendingWrite struct {
	at int64
	n  int
}

// appStart queues the application's first writes once the connection
// is up.
func (e *tcpEnd) appStart() {
	c, a := e.s.cfg, &e.app
	a.sizes = e.s.sizes[e.id]
	a.lastRead = e.s.now
	switch c.mode {
	case modeReqResp:
		if e.id == 0 {
			e.writeLater(0)
		}
	case modeBulk1, modeBulk2:
		at := e.s.now + c.think[e.id]/100
		for _, n := range a.sizes {
			a.pending = append(a.pending, pendingWrite{at: at, n: n})
		}
		e.wakeAt(at)
	}
}

// planSizes picks both applications' writes: requests and responses, or
// bulk data in chunks.
func (s *sim) planSizes() {
	r, c := s.r, s.cfg
	mss := min(c.syn[0].mss, c.syn[1].mss)
	switch c.mode {
	case modeReqResp:
		s.rounds = 1 + r.IntN(max(c.budget/8, 1))
		for id := range 2 {
			for range s.rounds {
				s.sizes[id] = append(s.sizes[id], pick(r, []int{1, 50, 300, 1000, 5000, 20000}))
			}
		}
	case modeBulk1, modeBulk2:
		for id := range 2 {
			if c.mode == modeBulk1 && id == 1 {
				break
			}
			for total := c.budget * mss / 3; total > 0; {
				n := min(total, 1+r.IntN(16*mss))
				s.sizes[id] = append(s.sizes[id], n)
				total -= n
			}
		}
	}
}

// writeLater queues the application's write number i after its think
// time.
func (e *tcpEnd) writeLater(i int) {
	if i >= len(e.app.sizes) {
		return
	}
	at := e.s.now + e.s.cfg.think[e.id]
	e.app.pending = append(e.app.pending, pendingWrite{at: at, n: e.app.sizes[i]})
	e.wakeAt(at)
}

// write hands n bytes to TCP.
func (e *tcpEnd) write(n int) {
	if e.finWanted {
		return
	}
	e.written += uint32(n)
	e.pushAt = append(e.pushAt, e.written)
	if len(e.pushAt) > 64 {
		e.pushAt = e.pushAt[32:]
	}
	e.trySend()
}

// wakeAt makes sure the application runs at time at.
func (e *tcpEnd) wakeAt(at int64) {
	if e.nextAppTick != 0 && e.nextAppTick <= at && e.nextAppTick >= e.s.now {
		return
	}
	e.nextAppTick = at
	e.s.schedule(event{at: at, kind: evApp, end: e.id})
}

// appWake runs the application soon, to read what arrived.
func (e *tcpEnd) appWake() {
	e.wakeAt(e.s.now + int64(1+e.s.r.IntN(2000))*1000)
}

// appTick reads, writes what is due, follows the script, and sends
// keep-alives when idle.
func (e *tcpEnd) appTick() {
	e.nextAppTick = 0
	e.read()
	a := &e.app
	kept := a.pending[:0]
	for _, p := range a.pending {
		if p.at <= e.s.now {
			e.write(p.n)
		} else {
			kept = append(kept, p)
			e.wakeAt(p.at)
		}
	}
	a.pending = kept
	e.script()
	e.keepAlive()
	if e.rcvUsed > 0 || (e.s.cfg.close == closeOpen && e.state == stEstab && e.keepIdle > 0) {
		e.wakeAt(e.s.now + max(e.s.cfg.rtt/2, 1e6, e.keepIdle/2))
	}
}

// read consumes received bytes at the application's rate and sends a
// window update when the window opens.
func (e *tcpEnd) read() {
	ms := (e.s.now - e.app.lastRead) / 1e6
	e.app.lastRead = e.s.now
	n := min(e.rcvUsed, int(ms+1)*e.s.cfg.readRate[e.id])
	e.rcvUsed -= n
	e.app.got += n
	free := e.s.cfg.rcvBuf[e.id] - e.rcvUsed
	if n > 0 && e.state == stEstab && (e.lastAdv == 0 || free-e.lastAdv >= max(2*e.mss, e.s.cfg.rcvBuf[e.id]/2)) {
		e.sendAck()
	}
}

// keepAlive sends a keep-alive (sequence number one back, no data or one
// byte) when the connection has been idle long enough.
func (e *tcpEnd) keepAlive() {
	idle := e.sndUna == e.sndMax && e.written == e.sndNxt && !e.finSent && !e.peerFin
	if e.state != stEstab || !idle || e.keepIdle == 0 || e.s.now-e.lastSend < e.keepIdle {
		return
	}
	e.send(Segment{Seq: e.sndNxt - 1, Ack: e.rcvNxt, Flags: flACK, Len: e.s.r.IntN(2)})
}
