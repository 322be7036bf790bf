package difftest

// trySend sends what the window and the congestion window allow.
func (e *tcpEnd) trySend() {
	if e.state != stEstab {
		return
	}
	for {
		inflight := int(e.sndNxt - e.sndUna)
		room := min(e.cwnd, e.sndWnd) - inflight
		left := int(e.written - e.sndNxt)
		if e.finSent && !seqLT(e.sndNxt, e.written+1) {
			return
		}
		if left == 0 && !e.finWanted {
			return
		}
		if left > 0 && room <= 0 {
			if e.sndWnd == 0 && inflight == 0 {
				e.armPersist()
			}
			return
		}
		e.sendData(min(left, room, e.mss, e.toPush()))
	}
}

// toPush returns the bytes from sndNxt to the end of the application
// write it is in.
func (e *tcpEnd) toPush() int {
	for _, p := range e.pushAt {
		if seqLT(e.sndNxt, p) {
			return int(p - e.sndNxt)
		}
	}
	return int(e.written - e.sndNxt)
}

// sendData sends n bytes from sndNxt, with FIN when they reach the end of
// what the application wrote and it has closed.
func (e *tcpEnd) sendData(n int) {
	seg := Segment{Seq: e.sndNxt, Ack: e.rcvNxt, Flags: flACK, Len: n}
	end := e.sndNxt + uint32(n)
	for _, p := range e.pushAt {
		if p == end {
			seg.Flags |= flPSH
		}
	}
	if end == e.written && e.finWanted {
		seg.Flags |= flFIN
		e.finSent = true
		end++
	}
	e.sndNxt = end
	if seqLT(e.sndMax, end) {
		e.sndMax = end
	}
	e.send(seg)
	if !e.rtoArmed {
		e.armRTO()
	}
}

// onAck processes the acknowledgment and window of seg.
func (e *tcpEnd) onAck(seg Segment) {
	wnd := int(seg.Win) << e.peerShift
	switch {
	case seqLT(e.sndUna, seg.Ack) && seqLE(seg.Ack, e.sndMax):
		e.cwnd = min(e.cwnd+e.mss, 1<<20)
		e.sndUna, e.dupAcks, e.backoff = seg.Ack, 0, 0
		if seqLT(e.sndNxt, e.sndUna) {
			e.sndNxt = e.sndUna
		}
		e.rtoArmed = false
		if e.sndUna != e.sndMax {
			e.armRTO()
		} else {
			e.appWake()
		}
	case seg.Ack == e.sndUna && seg.Len == 0 && seg.Flags&(flSYN|flFIN) == 0 && e.sndUna != e.sndMax && wnd == e.sndWnd:
		e.dupAcks++
		if e.dupAcks == 3 {
			e.cwnd = max(e.cwnd/2, 2*e.mss)
			e.retransmit()
		}
	}
	e.sndWnd = wnd
}

// retransmit sends the data at sndUna again: one segment's worth, or a
// random part of it.
func (e *tcpEnd) retransmit() {
	out := int(e.sndMax - e.sndUna)
	if out == 0 {
		return
	}
	saved := e.sndNxt
	e.sndNxt = e.sndUna
	if out > 1 && e.s.r.IntN(8) == 0 {
		shift := 1 + e.s.r.IntN(out-1) // a later part only, as SACK recovery sends
		e.sndNxt += uint32(shift)
		out -= shift
	}
	n := min(out, e.mss)
	if e.finSent && e.sndNxt+uint32(n) == e.written+1 {
		n-- // the FIN's sequence number: sendData adds it
	}
	if n > 1 && e.s.r.IntN(4) == 0 {
		n = 1 + e.s.r.IntN(n)
	}
	e.sendData(n)
	if seqLT(e.sndNxt, saved) && e.s.r.IntN(2) == 0 {
		e.sndNxt = saved // not go-back-N: carry on after the highest sent
	}
}

// onRTO retransmits after a timeout, or gives up with a RST.
func (e *tcpEnd) onRTO() {
	e.rtoArmed = false
	e.backoff++
	if e.backoff > 7 {
		e.send(Segment{Seq: e.sndNxt, Flags: flRST})
		e.finish()
		return
	}
	switch e.state {
	case stSynSent:
		e.sendSyn(flSYN, 0)
	case stSynRcvd:
		e.sendSyn(flSYN|flACK, e.rcvNxt)
	case stEstab:
		e.cwnd = e.mss
		e.retransmit()
		e.armRTO()
	}
}

// armPersist starts the zero-window probe timer.
func (e *tcpEnd) armPersist() {
	e.persistGen++
	at := e.s.now + max(2*e.s.cfg.rtt, 200e6)<<min(e.backoff, 5)
	e.s.schedule(event{at: at, kind: evPersist, end: e.id, gen: e.persistGen})
}

// probe sends a zero-window probe: the next byte, or (as Linux does) no
// data one before.
func (e *tcpEnd) probe() {
	if e.sndWnd != 0 || e.written == e.sndNxt || e.state != stEstab {
		return
	}
	if e.s.r.IntN(3) == 0 {
		e.send(Segment{Seq: e.sndNxt - 1, Ack: e.rcvNxt, Flags: flACK})
	} else {
		e.send(Segment{Seq: e.sndNxt, Ack: e.rcvNxt, Flags: flACK, Len: 1})
	}
	e.backoff++
	e.armPersist()
}
