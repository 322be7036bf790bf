package capture

import (
	"net/netip"
	"sync"
	"time"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/seqnum"
)

// MaxTracked caps the connections a Teardowns follows at once, so that
// peers that vanish without closing cannot grow it without bound.
const MaxTracked = 1 << 16

// Teardowns follows the TCP connections of a live capture from their SYN
// until they are torn down: a FIN from each side, each acknowledged by
// the other side (RFC 9293 section 3.6), or a reset. The last packet of a
// conversation, the ACK of the later FIN, comes after the programs have
// closed their sockets, so a capture stopped as soon as they return would
// miss it: Wait lets the capture stop after it instead. Connections whose
// SYN was not captured are not followed.
//
// Packet is the capture's callback (Start's fn); Wait may run on any
// goroutine meanwhile.
type Teardowns struct {
	p decode.Packet // owned by the capture's goroutine

	mu      sync.Mutex
	conns   map[connKey]*teardown // connections not yet torn down
	torn    int                   // connections torn down
	last    time.Time             // when the last packet arrived
	changed chan struct{}         // signalled after each teardown, buffer 1
}

// connKey names a connection by its two endpoints, the lower first.
type connKey struct{ lo, hi netip.AddrPort }

// teardown is how far a connection is in its teardown; index 0 is the
// connection's lower endpoint, 1 the higher.
type teardown struct {
	fin     [2]bool         // a FIN sent from this side
	finNext [2]seqnum.Value // the sequence number after that FIN
	acked   [2]bool         // that FIN acknowledged by the other side
}

// NewTeardowns returns a Teardowns that follows no connection yet.
func NewTeardowns() *Teardowns {
	return &Teardowns{conns: make(map[connKey]*teardown), changed: make(chan struct{}, 1)}
}

// Packet follows the teardown of p's connection. It never fails; its
// error is Start's callback's.
func (t *Teardowns) Packet(p *Packet) error {
	// Decode's error is not needed: a frame cut short may still hold the
	// TCP header, which is all this reads.
	decode.Decode(p.Link, p.Data, &t.p)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.last = time.Now()
	if !t.p.TCP.Valid() {
		return nil
	}
	tcp := t.p.TCP
	src, dst := netip.AddrPortFrom(t.p.Src, tcp.SrcPort()), netip.AddrPortFrom(t.p.Dst, tcp.DstPort())
	key, side := connKey{src, dst}, 0
	if src.Compare(dst) > 0 {
		key, side = connKey{dst, src}, 1
	}
	flags := tcp.Flags()
	c := t.conns[key]
	switch {
	case flags&(decode.FlagSYN|decode.FlagACK) == decode.FlagSYN:
		// A new connection, or the same four-tuple used again.
		if c == nil && len(t.conns) >= MaxTracked {
			return nil
		}
		t.conns[key] = &teardown{}
		return nil
	case c == nil:
		return nil
	case flags&decode.FlagRST != 0:
		t.done(key)
		return nil
	}
	if flags&decode.FlagFIN != 0 {
		c.fin[side] = true
		c.finNext[side] = tcp.Seq().Add(seqnum.Size(t.p.PayloadLen) + 1)
	}
	if other := 1 - side; flags&decode.FlagACK != 0 && c.fin[other] && tcp.Ack().GreaterEq(c.finNext[other]) {
		c.acked[other] = true
	}
	if c.acked[0] && c.acked[1] {
		t.done(key)
	}
	return nil
}

// done records that key's connection is torn down. t.mu is held.
func (t *Teardowns) done(key connKey) {
	delete(t.conns, key)
	t.torn++
	select {
	case t.changed <- struct{}{}:
	default:
	}
}

// Torn returns the number of connections torn down so far.
func (t *Teardowns) Torn() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.torn
}

// Open returns the number of connections not torn down, counting as open
// those of want that the capture has not shown yet: the capture hands
// packets over some milliseconds after they pass.
func (t *Teardowns) Open(want int) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return max(len(t.conns), want-t.torn)
}

// Wait returns once want connections have been torn down and no other is
// open, once no packet has arrived for settle (when settle is positive;
// counted from the call when none has arrived at all), or after limit. It
// returns the number of connections still open (Open).
func (t *Teardowns) Wait(want int, settle, limit time.Duration) int {
	start := time.Now()
	end := start.Add(limit)
	for {
		t.mu.Lock()
		n, last := max(len(t.conns), want-t.torn), t.last
		t.mu.Unlock()
		if n == 0 {
			return 0
		}
		now := time.Now()
		next := end
		if settle > 0 {
			if last.IsZero() {
				last = start
			}
			if q := last.Add(settle); q.Before(next) {
				next = q
			}
		}
		if !now.Before(next) {
			return n
		}
		timer := time.NewTimer(next.Sub(now))
		select {
		case <-t.changed:
		case <-timer.C:
		}
		timer.Stop()
	}
}
