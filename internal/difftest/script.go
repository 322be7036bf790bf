package difftest

// script drives the application: a response once a request has been
// read, the next request once its response has, and the close.
func (e *tcpEnd) script() {
	a, c := &e.app, e.s.cfg
	if e.state != stEstab || a.closed {
		return
	}
	peer := &e.peer().app
	switch {
	case c.mode == modeReqResp && a.round < e.s.rounds && a.got >= a.expect+e.peerSize(a.round):
		a.expect += e.peerSize(a.round)
		a.round++
		if e.id == 1 {
			e.writeLater(a.round - 1)
		} else {
			e.writeLater(a.round)
		}
	case e.id == 0 && e.doneSending() && a.got >= sum(peer.sizes) && (c.mode != modeReqResp || a.round >= e.s.rounds):
		e.closeConn()
	case e.id == 1 && e.peerFin && e.doneSending() && c.close == closeFin:
		a.closed = true
		e.finWanted = true
		e.trySend()
	}
}

// peerSize is the size of the peer's write number i, 0 past the last.
func (e *tcpEnd) peerSize(i int) int {
	ps := e.peer().app.sizes
	if i >= len(ps) {
		return 0
	}
	return ps[i]
}

// doneSending reports whether everything written is sent and
// acknowledged.
func (e *tcpEnd) doneSending() bool {
	return len(e.app.pending) == 0 && e.sndUna == e.sndMax && e.written == e.sndNxt
}

// closeConn ends the client's side as the conversation's close mode says.
func (e *tcpEnd) closeConn() {
	e.app.closed = true
	switch e.s.cfg.close {
	case closeFin, closeHalf:
		e.finWanted = true
		e.trySend()
	case closeRST:
		fl := uint16(flRST)
		if e.s.r.IntN(2) == 0 {
			fl |= flACK
		}
		e.send(Segment{Seq: e.sndNxt, Ack: e.rcvNxt, Flags: fl})
		e.finish()
	}
}

func sum(xs []int) int {
	t := 0
	for _, x := range xs {
		t += x
	}
	return t
}
