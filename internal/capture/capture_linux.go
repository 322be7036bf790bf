//go:build linux

package capture

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/tcplab/tcplab/internal/afpacket"
	"github.com/tcplab/tcplab/internal/capfilter"
	"github.com/tcplab/tcplab/internal/decode"
)

// ringTimeout is how long the kernel fills a ring block before handing it
// over partly full: the longest a packet waits before Run sees it.
const ringTimeout = 10 * time.Millisecond

// After a cancel or the duration, Run keeps reading until no packet came
// for drainIdle, which is long enough for the kernel to hand over the
// block it was filling (one ringTimeout, twice for safety) and for packets
// still in the loopback backlog (softirq work deferred under load) to
// reach the ring, but for at most drainMax under continuous traffic.
const (
	drainIdle = 2*ringTimeout + 20*time.Millisecond
	drainMax  = 250 * time.Millisecond
)

// Capture is a live capture on one interface. Packets are captured from
// the moment Open returns; Run delivers them.
type Capture struct {
	cfg          Config
	info         Info
	conn         *afpacket.Conn
	ring         *afpacket.Ring
	skipOutgoing bool

	mu     sync.Mutex
	ran    bool
	closed bool
}

// Open starts capturing on cfg.Interface with cfg.Filter. It returns a
// *PermissionError without CAP_NET_RAW and a *capfilter.SyntaxError (wrapped)
// for a bad filter.
func Open(cfg Config) (*Capture, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	link, loopback, err := linkOf(cfg.Interface)
	if err != nil {
		return nil, err
	}
	prog, err := capfilter.Compile(cfg.Filter, link, uint32(cfg.SnapLen))
	if err != nil {
		return nil, fmt.Errorf("capture: filter %q: %w", cfg.Filter, err)
	}
	raw, err := bpf.Assemble(prog)
	if err != nil {
		return nil, fmt.Errorf("capture: filter %q: assemble: %w", cfg.Filter, err)
	}
	// On lo, drop the outgoing copy of every packet in the kernel, as
	// libpcap does; kernels before 4.20 lack the option, so Run also
	// checks each frame's packet type.
	conn, err := afpacket.Listen(cfg.Interface, &afpacket.Config{Filter: raw, IgnoreOutgoing: loopback})
	if err != nil && loopback && errors.Is(err, unix.ENOPROTOOPT) {
		conn, err = afpacket.Listen(cfg.Interface, &afpacket.Config{Filter: raw})
	}
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return nil, &PermissionError{Interface: cfg.Interface, Err: err}
		}
		return nil, fmt.Errorf("capture on %s: %w", cfg.Interface, err)
	}
	blockSize, blockCount := ringGeometry(cfg.SnapLen, cfg.BufferSize)
	ring, err := afpacket.NewRing(conn, afpacket.RingConfig{BlockSize: blockSize, BlockCount: blockCount, Timeout: ringTimeout})
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("capture on %s: %w", cfg.Interface, err)
	}
	// Frames that reached the socket between its bind and the ring sit in
	// its ordinary queue, which would keep the socket readable (poll
	// reports the queue too). They came before the capture started:
	// discard them (no new frame joins them now that the ring exists),
	// then reset the kernel's counters (reading them does) so Stats
	// counts what the ring saw.
	discard := make([]byte, 64)
	conn.SetReadDeadline(time.Now().Add(time.Millisecond))
	for {
		if _, _, err := conn.ReadFrame(discard); err != nil {
			break
		}
	}
	conn.SetReadDeadline(time.Time{})
	if _, err := conn.Stats(); err != nil {
		ring.Close()
		conn.Close()
		return nil, fmt.Errorf("capture on %s: %w", cfg.Interface, err)
	}
	var uts unix.Utsname
	osName := "Linux"
	if unix.Uname(&uts) == nil {
		osName = "Linux " + unix.ByteSliceToString(uts.Release[:])
	}
	return &Capture{
		cfg:          cfg,
		info:         Info{Interface: cfg.Interface, Link: link, SnapLen: cfg.SnapLen, Filter: cfg.Filter, OS: osName},
		conn:         conn,
		ring:         ring,
		skipOutgoing: loopback,
	}, nil
}

// ringGeometry sizes the ring: blocks large enough for a whole frame of
// snaplen bytes with the kernel's headers (at least 128 KiB, a power of
// two), and as many as fit in bufferSize (at least 4).
func ringGeometry(snaplen, bufferSize int) (blockSize, blockCount int) {
	need := max(snaplen+512, 128<<10)
	blockSize = 1 << bits.Len(uint(need-1))
	return blockSize, max(4, bufferSize/blockSize)
}

// Link-layer hardware types (ARPHRD_*, linux/if_arp.h) that capture knows.
const (
	arphrdEther    = 1
	arphrdLoopback = 772
)

// linkOf returns the link type of the frames a packet socket reads on
// the interface, and whether it is a loopback interface.
func linkOf(name string) (decode.LinkType, bool, error) {
	if name == "any" {
		return 0, false, fmt.Errorf("capture: tcplab captures on one interface at a time, not %q: name one (lo for the lab's traffic)", name)
	}
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		var names []string
		if all, e := net.Interfaces(); e == nil {
			for _, i := range all {
				names = append(names, i.Name)
			}
		}
		return 0, false, fmt.Errorf("capture: no interface %q (this host has: %s): %w", name, strings.Join(names, ", "), afpacket.ErrNoInterface)
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, false, fmt.Errorf("capture: interface %s: socket for ioctl: %w", name, err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(ifc.Name)
	if err != nil {
		return 0, false, fmt.Errorf("capture: interface %q: %w", name, err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFHWADDR, ifr); err != nil {
		return 0, false, fmt.Errorf("capture: interface %s: hardware type (SIOCGIFHWADDR): %w", name, err)
	}
	// The ioctl fills ifr_hwaddr, whose first field is sa_family: the
	// ARPHRD_ type.
	switch hw := ifr.Uint16(); hw {
	case arphrdEther:
		return decode.LinkEthernet, false, nil
	case arphrdLoopback:
		// Linux's lo has Ethernet headers with zero addresses.
		return decode.LinkEthernet, true, nil
	default:
		return 0, false, fmt.Errorf("capture: interface %s has hardware type %d (ARPHRD_*): tcplab captures on Ethernet, veth and loopback interfaces only", name, hw)
	}
}

// Info describes the capture.
func (c *Capture) Info() Info { return c.info }

// Run delivers captured packets to fn, in order, until ctx is done,
// Config.Count packets were delivered, Config.Duration passed since Run
// started, or fn returns an error (which Run returns, wrapped). On a
// cancel or the duration, Run first delivers the packets the kernel had
// already captured: it ends once none came for 40 ms, or after 250 ms of
// continuous traffic. It returns the capture's statistics, also on
// error. A context cancel is a normal end: Run returns a nil error. Run
// may be called once.
func (c *Capture) Run(ctx context.Context, fn func(*Packet) error) (Stats, error) {
	c.mu.Lock()
	if c.ran || c.closed {
		c.mu.Unlock()
		return Stats{}, errors.New("capture: Run called twice or after Close")
	}
	c.ran = true
	c.mu.Unlock()

	st := Stats{Start: time.Now().UnixNano()}
	if c.cfg.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.Duration)
		defer cancel()
	}
	// A deadline in the past wakes a blocked read (mdlayher/socket).
	stop := context.AfterFunc(ctx, func() { c.conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	defer c.conn.SetReadDeadline(time.Time{})

	err := c.loop(fn, &st)
	st.End = time.Now().UnixNano()
	if ks, serr := c.conn.Stats(); serr == nil {
		st.Received, st.Dropped = uint64(ks.Packets), uint64(ks.Drops)
	} else if err == nil {
		err = fmt.Errorf("capture on %s: statistics: %w", c.cfg.Interface, serr)
	}
	return st, err
}

func (c *Capture) loop(fn func(*Packet) error, st *Stats) error {
	var drainEnd time.Time // zero until stopped
	for c.cfg.Count == 0 || st.Captured < uint64(c.cfg.Count) {
		f, err := c.ring.Next()
		if err != nil {
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				return fmt.Errorf("capture on %s: %w", c.cfg.Interface, err)
			}
			if !drainEnd.IsZero() {
				return nil
			}
			// Stopped (the context's deadline, or Close): read what the
			// kernel already captured, then end.
			drainEnd = time.Now().Add(drainMax)
			c.conn.SetReadDeadline(time.Now().Add(drainIdle))
			continue
		}
		if !drainEnd.IsZero() {
			d := time.Now().Add(drainIdle)
			if d.After(drainEnd) {
				d = drainEnd
			}
			c.conn.SetReadDeadline(d)
		}
		if c.skipOutgoing && f.Info.Type == afpacket.PacketOutgoing {
			continue
		}
		st.Captured++
		p := Packet{
			Number:    st.Captured,
			Timestamp: f.Timestamp,
			Data:      f.Data,
			Length:    f.Info.Length,
			Link:      c.info.Link,
			Pending:   c.ring.Buffered(),
		}
		if err := fn(&p); err != nil {
			return fmt.Errorf("capture: packet %d: %w", p.Number, err)
		}
	}
	return nil
}

// Close stops capturing and releases the socket and its ring. Call it
// after Run has returned.
func (c *Capture) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	err := c.ring.Close()
	if cerr := c.conn.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("capture on %s: close: %w", c.cfg.Interface, err)
	}
	return nil
}
