package userstack

import (
	"fmt"
	"net/netip"
	"sync"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip/header"
)

// StallError is the watchdog's report: a connection that left data (or a
// SYN or FIN) unacknowledged for longer than the limit.
type StallError struct {
	// Src and Dst are the sender's and the receiver's addresses.
	Src, Dst netip.AddrPort
	// Unacked is how many sequence numbers were sent and not
	// acknowledged.
	Unacked uint32
	// For is how long nothing new was acknowledged.
	For time.Duration
	// Sent is how many times the first unacknowledged segment was sent
	// in that time (its retransmissions and the original).
	Sent int
}

func (e *StallError) Error() string {
	return fmt.Sprintf("userstack: the connection %v → %v stalled: %d bytes sent and not acknowledged, no progress for %v (the first of them sent %d times)",
		e.Src, e.Dst, e.Unacked, e.For.Round(time.Second), e.Sent)
}

// flowKey is one direction of a connection: its sender, its receiver.
type flowKey struct{ src, dst netip.AddrPort }

// flow is what the watchdog knows of one direction of a connection.
type flow struct {
	sndMax uint32    // the end of the highest sequence number sent
	acked  uint32    // the highest acknowledgement delivered back
	since  time.Time // the last progress: acknowledged more, or began to send
	fin    bool      // a FIN was sent
	resent int       // sends of the first unacknowledged segment since the last progress
}

// outstanding is how many sequence numbers f sent and has not had
// acknowledged.
func (f *flow) outstanding() uint32 {
	if d := f.sndMax - f.acked; int32(d) > 0 {
		return d
	}
	return 0
}

// watchdog watches every connection crossing the link and reports the
// first one that stalls.
type watchdog struct {
	limit time.Duration

	mu      sync.Mutex
	flows   map[flowKey]*flow
	closed  int // connections closed both ways, or reset
	found   *StallError
	stalled chan struct{} // closed when found is set
}

func newWatchdog(limit time.Duration) *watchdog {
	return &watchdog{limit: limit, flows: map[flowKey]*flow{}, stalled: make(chan struct{})}
}

// segment returns the addresses and TCP header of an IPv4 packet, and
// false for anything else.
func segment(pkt []byte) (flowKey, header.TCP, int, bool) {
	ip := header.IPv4(pkt)
	if !ip.IsValid(len(pkt)) || ip.TransportProtocol() != header.TCPProtocolNumber || ip.FragmentOffset() != 0 {
		return flowKey{}, nil, 0, false
	}
	payload := ip.Payload()
	t := header.TCP(payload)
	if len(t) < header.TCPMinimumSize || int(t.DataOffset()) < header.TCPMinimumSize || int(t.DataOffset()) > len(t) {
		return flowKey{}, nil, 0, false
	}
	src, dst := ip.SourceAddress().As4(), ip.DestinationAddress().As4()
	k := flowKey{netip.AddrPortFrom(netip.AddrFrom4(src), t.SourcePort()), netip.AddrPortFrom(netip.AddrFrom4(dst), t.DestinationPort())}
	return k, t, len(t) - int(t.DataOffset()), true
}

// sent notes a packet the sending host sent at now.
func (w *watchdog) sent(now time.Time, pkt []byte) {
	k, t, n, ok := segment(pkt)
	if !ok {
		return
	}
	flags := t.Flags()
	w.mu.Lock()
	defer w.mu.Unlock()
	if flags.Contains(header.TCPFlagRst) {
		if w.flows[k] != nil || w.flows[flowKey{k.dst, k.src}] != nil {
			w.closed++
		}
		delete(w.flows, k)
		delete(w.flows, flowKey{k.dst, k.src})
		return
	}
	end := t.SequenceNumber() + uint32(n)
	if flags.Contains(header.TCPFlagSyn) || flags.Contains(header.TCPFlagFin) {
		end++
	}
	f := w.flows[k]
	if flags.Contains(header.TCPFlagSyn) && (f == nil || f.sndMax != end) {
		// A new connection: nothing acknowledged yet.
		w.flows[k] = &flow{sndMax: end, acked: t.SequenceNumber(), since: now, resent: 1}
		return
	}
	if f == nil {
		return // a connection already closed, or never seen opening
	}
	f.fin = f.fin || flags.Contains(header.TCPFlagFin)
	if t.SequenceNumber() == f.acked && end != f.acked {
		f.resent++
	}
	if int32(end-f.sndMax) > 0 {
		if f.outstanding() == 0 {
			f.since = now
		}
		f.sndMax = end
	}
}

// delivered notes a packet delivered to the receiving host at now: its
// acknowledgement is progress for the other direction.
func (w *watchdog) delivered(now time.Time, pkt []byte) {
	k, t, _, ok := segment(pkt)
	if !ok || !t.Flags().Contains(header.TCPFlagAck) {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	back := flowKey{k.dst, k.src}
	f := w.flows[back]
	if f == nil || int32(t.AckNumber()-f.acked) <= 0 {
		return
	}
	f.acked = t.AckNumber()
	f.since = now
	f.resent = 0
	// Both FINs acknowledged: the connection is over.
	if r := w.flows[k]; f.fin && f.outstanding() == 0 && r != nil && r.fin && r.outstanding() == 0 {
		delete(w.flows, k)
		delete(w.flows, back)
		w.closed++
	}
}

// closedConns returns how many connections have closed both ways (each
// FIN acknowledged) or been reset.
func (w *watchdog) closedConns() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.closed
}

// check reports the first flow with sequence numbers outstanding and no
// progress for longer than the limit at now.
func (w *watchdog) check(now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.found != nil {
		return
	}
	for k, f := range w.flows {
		if u := f.outstanding(); u > 0 && now.Sub(f.since) > w.limit {
			w.found = &StallError{Src: k.src, Dst: k.dst, Unacked: u, For: now.Sub(f.since), Sent: f.resent}
			close(w.stalled)
			return
		}
	}
}

// err returns the stall found, or nil.
func (w *watchdog) err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.found == nil {
		return nil
	}
	return w.found
}

// run checks the flows a few times per limit until stop closes.
func (w *watchdog) run(stop <-chan struct{}) {
	t := time.NewTicker(min(max(w.limit/10, 10*time.Millisecond), time.Second))
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			w.check(now)
		}
	}
}
