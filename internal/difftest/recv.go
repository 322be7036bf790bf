package difftest

// recv processes a segment arriving at e.
func (e *tcpEnd) recv(seg Segment) {
	switch {
	case seg.Flags&flRST != 0:
		e.finish()
	case seg.Flags&flSYN != 0:
		e.recvSyn(seg)
	case e.state == stSynRcvd && seg.Flags&flACK != 0 && seg.Ack == e.sndUna+1:
		e.sndUna = seg.Ack
		e.established()
		e.recvData(seg)
	case e.state == stEstab:
		e.recvData(seg)
	}
}

// recvSyn handles a SYN (at the server) or a SYN/ACK (at the client).
func (e *tcpEnd) recvSyn(seg Segment) {
	e.negotiate(seg.Opts)
	e.tsRecent = seg.tsval(e.tsRecent)
	if seg.Flags&flACK == 0 {
		if e.state == stClosed || e.state == stSynRcvd {
			if e.s.cfg.mode == modeRefused {
				e.send(Segment{Seq: 0, Ack: seg.Seq + 1, Flags: flRST | flACK})
				return
			}
			e.rcvNxt = seg.Seq + 1
			e.state = stSynRcvd
			e.sendSyn(flSYN|flACK, e.rcvNxt)
		}
		return
	}
	if e.state == stSynSent && seg.Ack == e.sndUna+1 {
		e.rcvNxt = seg.Seq + 1
		e.sndUna = seg.Ack
		e.sndWnd = int(seg.Win)
		e.established()
	}
	if e.state == stEstab {
		e.sendAck()
	}
}

// negotiate sets the options both ends offered, from the peer's SYN.
func (e *tcpEnd) negotiate(opts []byte) {
	mine := e.s.cfg.syn[e.id]
	theirs := e.s.cfg.syn[1-e.id]
	e.ts = mine.ts && theirs.ts
	e.sack = mine.sack && theirs.sack
	if mine.shift >= 0 && theirs.shift >= 0 {
		e.shift, e.peerShift = min(mine.shift, 14), min(theirs.shift, 14)
	}
	e.mss = min(mine.mss, theirs.mss)
	e.cwnd = 10 * e.mss
}

// established starts the connection's data phase.
func (e *tcpEnd) established() {
	e.state = stEstab
	e.rtoArmed = false
	e.backoff = 0
	e.appStart()
}

// recvData handles the ACK, window and data of an established segment.
func (e *tcpEnd) recvData(seg Segment) {
	e.tsRecent = seg.tsval(e.tsRecent)
	if seg.Flags&flACK != 0 {
		e.onAck(seg)
	}
	fin := seg.Flags&flFIN != 0
	if seg.Len > 0 || fin {
		e.accept(seg.Seq, seg.Len, fin)
	}
	e.trySend()
}

// accept takes n bytes (and a FIN) at seq into the receive buffer and
// acknowledges them now or later.
func (e *tcpEnd) accept(seq uint32, n int, fin bool) {
	free := e.s.cfg.rcvBuf[e.id] - e.rcvUsed
	end := seq + uint32(n)
	now := false
	switch {
	case seqLT(e.rcvNxt, seq):
		if int(end-e.rcvNxt) <= free {
			e.addOOO(span{seq, end})
		}
		now = true
	case seqLT(e.rcvNxt, end) || (fin && end == e.rcvNxt):
		take := min(int(end-e.rcvNxt), max(free, 0))
		e.rcvNxt += uint32(take)
		e.rcvUsed += take
		now = e.mergeOOO() || take < int(end-seq) || seq != e.rcvNxt-uint32(take)
		if fin && e.rcvNxt == end {
			e.rcvNxt++
			e.peerFin = true
			now = true
		}
	default:
		now = true // old data: a retransmission or a keep-alive
	}
	e.pendAck++
	e.appWake()
	if now || e.pendAck >= 2 {
		e.sendAck()
		return
	}
	e.s.schedule(event{at: e.s.now + int64(1+e.s.r.IntN(40))*1e6, kind: evDelAck, end: e.id, gen: e.delackGen})
}

// addOOO records a range received out of order.
func (e *tcpEnd) addOOO(sp span) {
	for _, o := range e.ooo {
		if seqLE(o.lo, sp.lo) && seqLE(sp.hi, o.hi) {
			return
		}
	}
	e.ooo = append([]span{sp}, e.ooo...)
}

// mergeOOO moves ranges that now follow rcvNxt into the buffer and
// reports whether any did.
func (e *tcpEnd) mergeOOO() bool {
	moved := false
	for again := true; again; {
		again = false
		kept := e.ooo[:0]
		for _, o := range e.ooo {
			switch {
			case seqLE(o.hi, e.rcvNxt):
				moved = true
			case seqLE(o.lo, e.rcvNxt):
				e.rcvUsed += int(o.hi - e.rcvNxt)
				e.rcvNxt = o.hi
				moved, again = true, true
			default:
				kept = append(kept, o)
			}
		}
		e.ooo = kept
	}
	return moved
}
