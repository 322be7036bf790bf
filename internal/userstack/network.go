package userstack

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/channel"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/waiter"

	"github.com/tcplab/tcplab/internal/impair"
	"github.com/tcplab/tcplab/internal/netlab"
)

// Defaults for the zero fields of Config.
const (
	// DefaultStall is how long a connection may leave sent data
	// unacknowledged before the watchdog reports it: longer than the
	// retransmission timer's back-off reaches after seven losses in a row
	// (0.2 s doubled seven times is 25.6 s), which burst loss can cause.
	DefaultStall = 60 * time.Second
	// MTU is the hosts' link MTU: with gVisor's 40 bytes kept for TCP
	// options, data segments carry 1420 bytes.
	MTU = 1500
	// queueLen is each endpoint's queue of packets waiting for the link's
	// goroutine; a full queue drops (counted as QueueDrops).
	queueLen = 4096
)

// CongestionControl is the congestion control both hosts use.
const CongestionControl = "reno"

// Config describes a user-space network.
type Config struct {
	// Impair is applied by the link: Impair.C2S to frames from the client
	// to the server, Impair.S2C to the others. A zero Seed is replaced by
	// a random one; Network.Spec returns the seed used.
	Impair impair.Spec
	// ClientCapture and ServerCapture, when not empty, are the pcapng
	// files of the captures at the client and the server host.
	ClientCapture, ServerCapture string
	// Stall is the watchdog's limit; zero means DefaultStall.
	Stall time.Duration
}

// Network is two user-space hosts joined by an impairing link.
type Network struct {
	spec  impair.Spec
	hosts [2]*host      // client, server
	dirs  [2]*direction // c2s, s2c
	log   fateLog
	dog   *watchdog

	stop      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// host is one end of the network: a stack with one NIC on a channel
// endpoint, and the capture at that host.
type host struct {
	which netlab.Host
	addr  netip.Addr
	mac   [6]byte
	s     *stack.Stack
	ep    *channel.Endpoint
	nic   *countingEndpoint // ep as the stack sees it
	cap   *captureFile      // nil without a capture
}

// countingEndpoint counts the packets the channel endpoint drops when its
// queue is full: it reports them to nobody (not even the stack's
// statistics), and the link must say that they were lost.
type countingEndpoint struct {
	*channel.Endpoint
	dropped atomic.Uint64
}

// WritePackets queues pkts and counts those that did not fit.
func (e *countingEndpoint) WritePackets(pkts stack.PacketBufferList) (int, tcpip.Error) {
	n, err := e.Endpoint.WritePackets(pkts)
	if err == nil && n < pkts.Len() {
		e.dropped.Add(uint64(pkts.Len() - n))
	}
	return n, err
}

// nicID is the one NIC of each host's stack.
const nicID tcpip.NICID = 1

// New builds the network and starts its link. Close it when done.
func New(cfg Config) (*Network, error) {
	spec := cfg.Impair
	if spec.Seed == 0 {
		spec.Seed = rand.Uint64() | 1
	}
	n := &Network{spec: spec, stop: make(chan struct{})}
	stall := cfg.Stall
	if stall <= 0 {
		stall = DefaultStall
	}
	n.dog = newWatchdog(stall)
	files := [2]string{cfg.ClientCapture, cfg.ServerCapture}
	// RACK only where the link delays: its probe timer has no floor.
	rack := spec.C2S.Delay > 0 || spec.S2C.Delay > 0
	for i, h := range []netlab.Host{netlab.Client, netlab.Server} {
		hs, err := newHost(h, files[i], rack)
		if err != nil {
			n.closeHosts()
			return nil, err
		}
		n.hosts[i] = hs
	}
	for i, p := range []impair.Params{spec.C2S, spec.S2C} {
		// Two streams of random numbers from the one seed, as netlab's
		// bridge draws them.
		link, err := impair.NewLink(p, spec.Seed+uint64(i)*0x9e3779b97f4a7c15)
		if err != nil {
			n.closeHosts()
			return nil, fmt.Errorf("userstack: %w", err)
		}
		d := &direction{c2s: i == 0, from: n.hosts[i], to: n.hosts[1-i], link: link, kick: make(chan struct{}, 1), n: n}
		c2s := d.c2s
		link.Observe(func(frame []byte, f *impair.Fate) { n.log.record(c2s, frame, f) })
		d.notify = d.from.ep.AddNotify(d)
		n.dirs[i] = d
	}
	for _, d := range n.dirs {
		n.wg.Add(1)
		go func() { defer n.wg.Done(); d.run(n.stop) }()
	}
	n.wg.Add(1)
	go func() { defer n.wg.Done(); n.dog.run(n.stop) }()
	return n, nil
}

// newHost makes host h's stack, with its capture file when file is not
// empty; rack chooses the loss recovery (configureTCP).
func newHost(h netlab.Host, file string, rack bool) (*host, error) {
	hs := &host{which: h, addr: netlab.ClientAddr, mac: [6]byte{0x02, 0x00, 0x0a, 0x4d, 0x00, 0x01}}
	if h == netlab.Server {
		hs.addr, hs.mac[5] = netlab.ServerAddr, 0x02
	}
	hs.s = stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol},
	})
	if err := configureTCP(hs.s, rack); err != nil {
		hs.s.Destroy()
		return nil, err
	}
	hs.ep = channel.New(queueLen, MTU, "")
	hs.nic = &countingEndpoint{Endpoint: hs.ep}
	if err := hs.s.CreateNIC(nicID, hs.nic); err != nil {
		hs.s.Destroy()
		return nil, fmt.Errorf("userstack: %v host: NIC: %s", h, err)
	}
	pa := tcpip.ProtocolAddress{Protocol: ipv4.ProtocolNumber, AddressWithPrefix: tcpip.AddrFrom4(hs.addr.As4()).WithPrefix()}
	if err := hs.s.AddProtocolAddress(nicID, pa, stack.AddressProperties{}); err != nil {
		hs.s.Destroy()
		return nil, fmt.Errorf("userstack: %v host: address %v: %s", h, hs.addr, err)
	}
	hs.s.SetRouteTable([]tcpip.Route{{Destination: header.IPv4EmptySubnet, NIC: nicID}})
	if file != "" {
		c, err := createCapture(file, interfaceName(h))
		if err != nil {
			hs.s.Destroy()
			return nil, err
		}
		hs.cap = c
	}
	return hs, nil
}

// configureTCP sets the TCP options of both hosts: Reno, SACK, receive
// buffer auto-tuning, and with rack RACK loss detection, else the
// classic recovery. (Measured with 2 MB transfers at loss=5%,delay=20ms:
// SACK with RACK finished in 9–12 s, SACK with the classic recovery in
// 17–20 s with smoothed RTTs inflated to 90–370 ms, and without SACK in
// 16–22 s or not at all. But RACK's tail-loss probe fires 2×SRTT after
// the last segment sent, with no floor: on a link without delay that is
// microseconds, and a mere scheduling delay before the peer's ACK is
// processed resends a FIN or a request needlessly.)
func configureTCP(s *stack.Stack, rack bool) error {
	cc := tcpip.CongestionControlOption(CongestionControl)
	sack := tcpip.TCPSACKEnabled(true)
	recovery := tcpip.TCPRecovery(0)
	if rack {
		recovery = tcpip.TCPRACKLossDetection
	}
	moderate := tcpip.TCPModerateReceiveBufferOption(true)
	for _, opt := range []tcpip.SettableTransportProtocolOption{&cc, &sack, &recovery, &moderate} {
		if err := s.SetTransportProtocolOption(tcp.ProtocolNumber, opt); err != nil {
			return fmt.Errorf("userstack: TCP option %T: %s", opt, err)
		}
	}
	return nil
}

// interfaceName names host h's interface as netlab names its veth.
func interfaceName(h netlab.Host) string {
	if h == netlab.Client {
		return netlab.ClientIf
	}
	return netlab.ServerIf
}

// InterfaceName returns the name of host h's interface in the captures:
// "c0" or "s0", as in netlab.
func InterfaceName(h netlab.Host) string { return interfaceName(h) }

// Spec returns the impairment with the seed the link uses.
func (n *Network) Spec() impair.Spec { return n.spec }

// Stats returns the link's counters; QueueDrops of the sending host's
// endpoint are reported as KernelDrops (frames lost that no impairment
// asked for).
func (n *Network) Stats() netlab.Stats {
	return netlab.Stats{C2S: n.dirs[0].stats(), S2C: n.dirs[1].stats()}
}

// Fates returns a copy of the link's log of every frame's fate, and the
// count of frames past its bound.
func (n *Network) Fates() ([]netlab.FrameFate, uint64) { return n.log.snapshot() }

// Stalled returns a channel closed when the watchdog finds a stalled
// connection; Err then says which.
func (n *Network) Stalled() <-chan struct{} { return n.dog.stalled }

// Err returns the watchdog's *StallError, or nil.
func (n *Network) Err() error { return n.dog.err() }

// Closed returns how many connections have ended on the link: both FINs
// delivered and acknowledged, or a reset sent.
func (n *Network) Closed() int { return n.dog.closedConns() }

// WaitClosed waits until want connections have ended on the link
// (Closed), at most limit, and reports whether they had.
func (n *Network) WaitClosed(want int, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for n.Closed() < want {
		if !time.Now().Before(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// Guard returns a context that ends, with the watchdog's *StallError as
// its cause, when a connection stalls, and with ctx.
func (n *Network) Guard(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	go func() {
		select {
		case <-n.dog.stalled:
			cancel(n.dog.err())
		case <-ctx.Done():
		}
	}()
	return ctx, func() { cancel(nil) }
}

// Listen listens on port of the server host's TCP.
func (n *Network) Listen(port int) (net.Listener, error) {
	if port < 1 || port > 65535 {
		return nil, fmt.Errorf("userstack: listen: port %d is out of range", port)
	}
	addr := tcpip.FullAddress{NIC: nicID, Addr: tcpip.AddrFrom4(netlab.ServerAddr.As4()), Port: uint16(port)}
	ln, err := gonet.ListenTCP(n.hosts[1].s, addr, ipv4.ProtocolNumber)
	if err != nil {
		return nil, fmt.Errorf("userstack: listen on %v:%d: %w", netlab.ServerAddr, port, err)
	}
	return &listener{TCPListener: ln, done: make(chan struct{})}, nil
}

// listener makes Close end a pending Accept with net.ErrClosed, as a
// kernel socket's does.
type listener struct {
	*gonet.TCPListener
	done chan struct{}
	once sync.Once
}

func (l *listener) Close() error {
	l.once.Do(func() {
		close(l.done)
		l.TCPListener.Shutdown()
		l.TCPListener.Close()
	})
	return nil
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.TCPListener.Accept()
	if err != nil {
		select {
		case <-l.done:
			return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.Addr(), Err: net.ErrClosed}
		default:
		}
		return nil, err
	}
	return c, nil
}

// Dial connects from the client host's TCP to addr ("10.77.0.2:2000"),
// with the signature of net.Dialer.DialContext; network must be "tcp" or
// "tcp4". The connection is a *Conn.
func (n *Network) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if network != "tcp" && network != "tcp4" {
		return nil, fmt.Errorf("userstack: dial %s %s: only tcp over IPv4", network, addr)
	}
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().Is4() {
		return nil, fmt.Errorf("userstack: dial %s: want an IPv4 address and port", strconv.Quote(addr))
	}
	s := n.hosts[0].s
	var wq waiter.Queue
	ep, terr := s.NewEndpoint(tcp.ProtocolNumber, ipv4.ProtocolNumber, &wq)
	if terr != nil {
		return nil, fmt.Errorf("userstack: dial %s: %s", addr, terr)
	}
	entry, ready := waiter.NewChannelEntry(waiter.WritableEvents)
	wq.EventRegister(&entry)
	defer wq.EventUnregister(&entry)
	full := tcpip.FullAddress{NIC: nicID, Addr: tcpip.AddrFrom4(ap.Addr().As4()), Port: ap.Port()}
	terr = ep.Connect(full)
	if _, ok := terr.(*tcpip.ErrConnectStarted); ok {
		select {
		case <-ctx.Done():
			ep.Close()
			return nil, &net.OpError{Op: "dial", Net: "tcp", Addr: net.TCPAddrFromAddrPort(ap), Err: ctx.Err()}
		case <-ready:
		}
		terr = ep.LastError()
	}
	if terr != nil {
		ep.Close()
		return nil, &net.OpError{Op: "dial", Net: "tcp", Addr: net.TCPAddrFromAddrPort(ap), Err: dialError(terr)}
	}
	return &Conn{TCPConn: gonet.NewTCPConn(&wq, ep), ep: ep}, nil
}

// dialError maps netstack's connect errors to the errors a kernel
// socket's connect gives, so that callers test them alike.
func dialError(err tcpip.Error) error {
	switch err.(type) {
	case *tcpip.ErrConnectionRefused:
		return os.NewSyscallError("connect", syscall.ECONNREFUSED)
	case *tcpip.ErrTimeout:
		return os.ErrDeadlineExceeded
	}
	return errors.New(err.String())
}

// Conn is a TCP connection of the client host.
type Conn struct {
	*gonet.TCPConn
	ep tcpip.Endpoint
}

// Info is what the stack knows of a connection, as TCP_INFO tells of a
// kernel socket.
type Info struct {
	// RTT is the smoothed round-trip time.
	RTT time.Duration
	// CongestionWindow is the congestion window in segments.
	CongestionWindow uint32
}

// Info returns the stack's view of c.
func (c *Conn) Info() Info {
	var o tcpip.TCPInfoOption
	if err := c.ep.GetSockOpt(&o); err != nil {
		return Info{}
	}
	return Info{RTT: o.RTT, CongestionWindow: o.SndCwnd}
}

// HostStats are a host's TCP counters.
type HostStats struct {
	// SegmentsSent counts the TCP segments the host sent,
	// retransmissions included; Retransmits the segments it sent again.
	SegmentsSent, Retransmits uint64
}

// HostStats returns host h's TCP counters (every connection of the host).
func (n *Network) HostStats(h netlab.Host) HostStats {
	hs := n.hosts[0]
	if h == netlab.Server {
		hs = n.hosts[1]
	}
	st := hs.s.Stats().TCP
	return HostStats{SegmentsSent: st.SegmentsSent.Value(), Retransmits: st.Retransmits.Value()}
}

// CaptureStats returns how many frames the capture at host h has
// written; zero without one.
func (n *Network) CaptureStats(h netlab.Host) uint64 {
	hs := n.hosts[0]
	if h == netlab.Server {
		hs = n.hosts[1]
	}
	if hs.cap == nil {
		return 0
	}
	return hs.cap.count()
}

// Close stops the link, closes both stacks and writes out the captures;
// the error is the captures'. Frames still held by the link are dropped.
func (n *Network) Close() error {
	n.closeOnce.Do(func() {
		close(n.stop)
		n.wg.Wait()
		for _, d := range n.dirs {
			d.from.ep.RemoveNotify(d.notify)
		}
		n.closeErr = n.closeHosts()
	})
	return n.closeErr
}

// closeHosts destroys the stacks and closes the capture files.
func (n *Network) closeHosts() error {
	var errs []error
	for _, hs := range n.hosts {
		if hs == nil {
			continue
		}
		hs.s.Close()
		hs.ep.Close()
		hs.s.Wait()
		if hs.cap != nil {
			errs = append(errs, hs.cap.close())
		}
	}
	return errors.Join(errs...)
}
