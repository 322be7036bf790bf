//go:build linux

package netlab

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/tcplab/tcplab/internal/afpacket"
	"github.com/tcplab/tcplab/internal/impair"
)

// bridgeReadBuffer is each bridge socket's receive buffer: room for a few
// thousand full frames while a goroutine is descheduled.
const bridgeReadBuffer = 4 << 20

// frameBuffer is the largest frame the bridge forwards; with offloads off
// frames are at most MTU plus the Ethernet header.
const frameBuffer = 9000 + 14 + 4

// bridge forwards frames between the middle host's two veths, one
// direction per pair of goroutines.
type bridge struct {
	conns [2]*afpacket.Conn // facing the client, facing the server
	dirs  [2]*direction     // c2s, s2c
	wg    sync.WaitGroup
	stop  chan struct{}
	once  sync.Once
	// log holds every frame's fate, both directions; logMu guards it
	// (each direction records under its own lock too).
	logMu sync.Mutex
	log   *fateLog
}

// direction is one way through the bridge: frames read from in go through
// link and are written to out.
type direction struct {
	in, out *afpacket.Conn

	mu   sync.Mutex
	link *impair.Link
	st   DirectionStats // WriteErrors and Oversize; the rest comes from link

	kick chan struct{} // a frame was pushed: the writer rechecks its timer
}

// startBridge opens the packet sockets in the middle namespace and starts
// forwarding.
func (n *Network) startBridge() (*bridge, error) {
	b := &bridge{stop: make(chan struct{}), log: &fateLog{}}
	err := n.Do(Middle, func() error {
		for i, ifname := range []string{MiddleClientIf, MiddleServerIf} {
			// Ignore outgoing frames: those are the ones the bridge
			// itself writes to this veth.
			c, err := afpacket.Listen(ifname, &afpacket.Config{IgnoreOutgoing: true, ReadBuffer: bridgeReadBuffer})
			if err != nil {
				return err
			}
			b.conns[i] = c
		}
		return nil
	})
	if err != nil {
		b.closeConns()
		return nil, fmt.Errorf("netlab: bridge: %w", err)
	}
	// Two different streams of random numbers, both from the one seed.
	for i, p := range []impair.Params{n.spec.C2S, n.spec.S2C} {
		link, err := impair.NewLink(p, n.spec.Seed+uint64(i)*0x9e3779b97f4a7c15)
		if err != nil {
			b.closeConns()
			return nil, fmt.Errorf("netlab: bridge: %w", err)
		}
		b.dirs[i] = &direction{in: b.conns[i], out: b.conns[1-i], link: link, kick: make(chan struct{}, 1)}
		c2s := i == 0
		link.Observe(func(frame []byte, f *impair.Fate) {
			b.logMu.Lock()
			b.log.record(c2s, frame, f)
			b.logMu.Unlock()
		})
	}
	for _, d := range b.dirs {
		b.wg.Add(2)
		go func() { defer b.wg.Done(); d.read() }()
		go func() { defer b.wg.Done(); d.write(b.stop) }()
	}
	return b, nil
}

// read moves frames from the socket into the link until the socket is
// closed.
func (d *direction) read() {
	buf := make([]byte, frameBuffer)
	for {
		n, info, err := d.in.ReadFrame(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // a transient error (ENOBUFS...): keep forwarding
		}
		d.mu.Lock()
		if info.Length > n {
			d.st.Oversize++
		} else {
			d.link.Push(time.Now(), buf[:n])
		}
		d.mu.Unlock()
		select {
		case d.kick <- struct{}{}:
		default:
		}
	}
}

// write sends each frame when the link releases it, until stop closes.
func (d *direction) write(stop <-chan struct{}) {
	out := make([]byte, frameBuffer)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		// Send everything due, copying each frame out of the link so the
		// lock is not held while writing.
		var next time.Time
		var pending bool
		for {
			d.mu.Lock()
			f, ok := d.link.Pop(time.Now())
			if !ok {
				next, pending = d.link.Next()
				d.mu.Unlock()
				break
			}
			n := copy(out, f)
			d.mu.Unlock()
			if _, err := d.out.WriteFrame(out[:n]); err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				d.mu.Lock()
				d.st.WriteErrors++
				d.mu.Unlock()
			}
		}
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

func (d *direction) stats() DirectionStats {
	d.mu.Lock()
	defer d.mu.Unlock()
	// The kernel resets its counters on each read: add them up.
	if ks, err := d.in.Stats(); err == nil {
		d.st.KernelDrops += uint64(ks.Drops)
	}
	st := d.st
	st.Stats = d.link.Stats()
	return st
}

func (b *bridge) stats() Stats {
	return Stats{C2S: b.dirs[0].stats(), S2C: b.dirs[1].stats()}
}

// fates returns a copy of the log and the count of frames past its bound.
func (b *bridge) fates() ([]FrameFate, uint64) {
	b.logMu.Lock()
	defer b.logMu.Unlock()
	return append([]FrameFate(nil), b.log.fates...), b.log.dropped
}

func (b *bridge) closeConns() {
	for _, c := range b.conns {
		if c != nil {
			c.Close()
		}
	}
}

// close stops the goroutines and closes the sockets; frames still held
// are dropped.
func (b *bridge) close() {
	b.once.Do(func() {
		close(b.stop)
		b.closeConns()
		b.wg.Wait()
	})
}
