package demo

import (
	"sync"
	"time"

	"github.com/tcplab/tcplab/internal/capture"
	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// teardownWatch follows the conversations of a live capture until each
// has been torn down: a FIN from each side, each acknowledged by the other
// side (RFC 9293 section 3.6), or a reset. The final ACK of the teardown
// leaves the sockets' view of the exchange after the programs have
// finished, so a capture stopped as soon as the client returns would miss
// it.
type teardownWatch struct {
	// Owned by the capture's goroutine.
	an    *tcpanalysis.Analyzer
	p     decode.Packet
	r     tcpanalysis.Result
	frame uint32

	mu      sync.Mutex
	streams map[uint32]*closing
	closed  int       // conversations torn down
	last    time.Time // when the last packet arrived
	notify  chan struct{}
}

// closing is the teardown state of one conversation.
type closing struct {
	fin     [2]bool   // a FIN seen from the client (0) and the server (1)
	finNext [2]uint32 // the relative sequence number after each FIN
	acked   [2]bool   // each FIN acknowledged by the other side
	done    bool
}

func newTeardownWatch() *teardownWatch {
	return &teardownWatch{an: tcpanalysis.New(), streams: make(map[uint32]*closing), notify: make(chan struct{}, 1)}
}

// packet is the capture's callback: it analyses p and updates the state of
// its conversation.
func (w *teardownWatch) packet(p *capture.Packet) error {
	w.frame++
	w.mu.Lock()
	defer w.mu.Unlock()
	w.last = time.Now()
	defer w.signal()
	if err := decode.Decode(p.Link, p.Data, &w.p); err != nil && !w.p.TCP.Valid() {
		return nil
	}
	if !w.an.Analyze(w.frame, p.Timestamp, p.Length, &w.p, &w.r) {
		return nil
	}
	c := w.streams[w.r.Stream]
	if c == nil {
		c = &closing{}
		w.streams[w.r.Stream] = c
	}
	if c.done {
		return nil
	}
	from := 0
	if w.r.FromServer {
		from = 1
	}
	const fin, rst, ack = 0x01, 0x04, 0x10
	switch {
	case w.r.TCPFlags&rst != 0:
		c.done = true
	default:
		if w.r.TCPFlags&fin != 0 {
			c.fin[from], c.finNext[from] = true, w.r.NextSeq
		}
		other := 1 - from
		if w.r.TCPFlags&ack != 0 && c.fin[other] && int32(w.r.Ack-c.finNext[other]) >= 0 {
			c.acked[other] = true
		}
		c.done = c.acked[0] && c.acked[1]
	}
	if c.done {
		w.closed++
	}
	return nil
}

func (w *teardownWatch) signal() {
	select {
	case w.notify <- struct{}{}:
	default:
	}
}

// wait returns true once want conversations have been torn down. It
// returns false when no packet has arrived for settle, or after limit.
func (w *teardownWatch) wait(want int, settle, limit time.Duration) bool {
	start := time.Now()
	end := start.Add(limit)
	for {
		w.mu.Lock()
		closed, last := w.closed, w.last
		w.mu.Unlock()
		if closed >= want {
			return true
		}
		if last.IsZero() {
			last = start
		}
		now := time.Now()
		if now.Sub(last) >= settle || !now.Before(end) {
			return false
		}
		t := time.NewTimer(min(last.Add(settle).Sub(now), end.Sub(now)))
		select {
		case <-w.notify:
		case <-t.C:
		}
		t.Stop()
	}
}
