package userstack

import (
	"encoding/binary"
	"sync"
	"time"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/channel"
	"gvisor.dev/gvisor/pkg/tcpip/stack"

	"github.com/tcplab/tcplab/internal/impair"
	"github.com/tcplab/tcplab/internal/netlab"
)

// ethHeaderLen is the fixed Ethernet header put in front of each packet
// on the link.
const ethHeaderLen = 14

// frameBuffer is the largest frame the link carries: the MTU and the
// Ethernet header.
const frameBuffer = MTU + ethHeaderLen

// direction is one way across the link: packets the from host sends go
// through link and are handed to the to host. One goroutine (run) owns
// the link; mu lets Stats read its counters meanwhile.
type direction struct {
	c2s      bool
	from, to *host
	n        *Network

	mu   sync.Mutex
	link *impair.Link
	st   netlab.DirectionStats // Oversize; the rest comes from link

	kick   chan struct{}               // a packet was queued at from's endpoint
	notify *channel.NotificationHandle // the endpoint's handle for kick
}

// WriteNotify is called by the sending host's endpoint after it queues a
// packet; it wakes run.
func (d *direction) WriteNotify() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// run moves packets across the link until stop closes: it drains the
// sending endpoint's queue at every wake-up, so that it never fills, and
// delivers each frame at its release time.
func (d *direction) run(stop <-chan struct{}) {
	in := make([]byte, 0, frameBuffer)
	out := make([]byte, frameBuffer)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		for pkt := d.from.ep.Read(); pkt != nil; pkt = d.from.ep.Read() {
			in = d.frame(in[:0], pkt)
			pkt.DecRef()
			d.send(in)
		}
		next, pending := d.deliver(out)
		wait := time.Hour
		if pending {
			wait = max(time.Until(next), 0)
		}
		timer.Reset(wait) // Go 1.23 timers: no stale tick survives Reset
		select {
		case <-stop:
			return
		case <-d.kick:
		case <-timer.C:
		}
	}
}

// frame appends pkt, an IPv4 packet, to dst behind the direction's
// Ethernet header.
func (d *direction) frame(dst []byte, pkt *stack.PacketBuffer) []byte {
	dst = append(dst, d.to.mac[:]...)
	dst = append(dst, d.from.mac[:]...)
	dst = binary.BigEndian.AppendUint16(dst, uint16(header.IPv4ProtocolNumber))
	for _, s := range pkt.AsSlices() {
		dst = append(dst, s...)
	}
	return dst
}

// send records a frame the sending host sent (capture, watchdog) and
// pushes it into the link.
func (d *direction) send(frame []byte) {
	if len(frame) > frameBuffer {
		d.mu.Lock()
		d.st.Oversize++
		d.mu.Unlock()
		return
	}
	now := time.Now()
	if d.from.cap != nil {
		now = d.from.cap.write(frame)
	}
	d.n.dog.sent(now, frame[ethHeaderLen:])
	d.mu.Lock()
	d.link.Push(now, frame)
	d.mu.Unlock()
}

// deliver hands every frame whose release time has come to the receiving
// host, and returns the next release time, if any.
func (d *direction) deliver(out []byte) (time.Time, bool) {
	for {
		d.mu.Lock()
		f, ok := d.link.Pop(time.Now())
		if !ok {
			next, pending := d.link.Next()
			d.mu.Unlock()
			return next, pending
		}
		n := copy(out, f)
		d.mu.Unlock()
		frame := out[:n]
		now := time.Now()
		if d.to.cap != nil {
			now = d.to.cap.write(frame)
		}
		d.n.dog.delivered(now, frame[ethHeaderLen:])
		pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithData(frame[ethHeaderLen:])})
		d.to.ep.InjectInbound(header.IPv4ProtocolNumber, pkt)
		pkt.DecRef()
	}
}

// stats returns the direction's counters: the link's, with the sending
// endpoint's queue drops as KernelDrops.
func (d *direction) stats() netlab.DirectionStats {
	d.mu.Lock()
	st := d.st
	st.Stats = d.link.Stats()
	d.mu.Unlock()
	st.KernelDrops = d.from.nic.dropped.Load()
	return st
}
