package demo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tcplab/tcplab/internal/capture"
	"github.com/tcplab/tcplab/internal/client"
	"github.com/tcplab/tcplab/internal/i18n"
	"github.com/tcplab/tcplab/internal/impair"
	"github.com/tcplab/tcplab/internal/labproto"
	"github.com/tcplab/tcplab/internal/netlab"
	"github.com/tcplab/tcplab/internal/server"
)

// Defaults for the zero fields of Config.
const (
	DefaultAddr     = "127.0.0.1:0" // a free loopback port
	DefaultCapture  = "tcplab-demo.pcapng"
	DefaultReport   = "tcplab-demo.html"
	DefaultLabPort  = 2000 // the lab's port, used inside the impaired network
	DefaultBulkPort = 5001
	// DefaultSettle is how long the capture must have been quiet before
	// Run stops it without having seen every conversation's teardown.
	DefaultSettle = 300 * time.Millisecond
)

// DefaultNumbers are the client's numbers when Config.Numbers is empty:
// one in range and one outside it, the lab report's two cases.
var DefaultNumbers = []string{"42", "150"}

// ErrExchange is wrapped by the error Run returns when an exchange did
// not end as the lab expects (no reply to a number in range, a reply to
// one outside it, a timeout, an unreachable server). The outcome is still
// returned, with every case and the capture.
var ErrExchange = errors.New("exchange did not end as the lab expects")

// Config says what Run does. The zero value runs the lab report's two
// cases on a free loopback port without capturing.
type Config struct {
	// Addr is where the server listens on loopback; "" means DefaultAddr.
	// It is not used with Impair: the server listens on the server
	// host's address, port LabPort.
	Addr string
	// LabPort is the server's port in the impaired network; 0 means
	// DefaultLabPort.
	LabPort int
	// Numbers are the numbers the client sends, one exchange each, in
	// order; empty means DefaultNumbers. Each must be a number as
	// labproto.ParseNumber reads it.
	Numbers []string
	// ServerName and ClientName are the names in the messages; "" means
	// the lab's.
	ServerName, ClientName string
	// Rand draws the server's numbers; nil means random.
	Rand rand.Source
	// Timeout bounds each exchange; 0 means client.DefaultTimeout.
	Timeout time.Duration

	// Capture is the pcapng file the capture is written to; "" means no
	// capture.
	Capture string

	// Impair, when not nil, runs everything across an impaired network
	// (package netlab) with this impairment.
	Impair *impair.Spec
	// CaptureAt is the host whose interface is captured in the impaired
	// network: netlab.Server (the default for the zero Host) or
	// netlab.Client.
	CaptureAt netlab.Host
	// CapturePeer, with Impair and Capture, also captures at the other
	// host at the same time (the namespaces share one clock), into a file
	// beside Capture named by PeerFile: one capture at each end of the
	// network, so that each segment's send and arrival times are both
	// known.
	CapturePeer bool
	// Transfer, when positive, makes Run send that many bytes in one bulk
	// transfer across the impaired network instead of the lab's
	// exchanges. It needs Impair.
	Transfer int64
	// TransferTimeout bounds the bulk transfer; 0 means two minutes.
	TransferTimeout time.Duration
	// UserStack runs everything on tcplab's user-space TCP/IP stack
	// (package userstack: gVisor's netstack) instead of the kernel's:
	// the impaired network's two hosts inside this process, Impair (if
	// any) applied by tcplab's link, captured there. It needs no
	// privileges and works on any OS.
	UserStack bool
	// dial makes the client's connections; nil means the kernel's.
	dial func(ctx context.Context, network, addr string) (net.Conn, error)

	// ServerCmd, when not empty, is a student's server run instead of
	// tcplab's: its command line, with {port} where the port goes. Only
	// on loopback (not with Impair).
	ServerCmd []string
	// ClientCmd, when not empty, is a student's client run for each
	// number instead of tcplab's: {port} in its command line is the
	// server's port and {number} the number, which also comes on its
	// standard input as the original prompts for it.
	ClientCmd []string

	// Settle is how long the capture must be quiet before Run stops it
	// without having seen every teardown; 0 means DefaultSettle.
	Settle time.Duration
	// Progress, when not nil, receives a line for each step that takes
	// noticeable time (building the network, the transfer), in Lang.
	Progress io.Writer
	// Lang is the language of the progress lines; "" means English.
	Lang i18n.Lang
}

// Case is one exchange of the lab.
type Case struct {
	// Number is the number the client sent, as given.
	Number string
	// InRange reports whether the number is in 1..100, so that the lab's
	// server should answer.
	InRange bool
	// Server holds the lines the server printed for the exchange
	// ("Connection from", "Client_name: ", ...).
	Server []byte
	// Result is the finished exchange; nil when Err is set.
	Result *client.Result
	// Err is why the client got no reply; for a number outside 1..100
	// it is the expected client.ErrNoReply. For a student's client
	// (Config.ClientCmd) it is nil when the program ended as the lab
	// expects.
	Err error
	// Client is what a student's client printed, standard output then
	// standard error, and ClientExit how it ended ("exit status 0");
	// both empty for tcplab's client.
	Client     []byte
	ClientExit string
}

// Expected reports whether the exchange ended as the lab says it must:
// a reply for a number in range, the connection closed without one for a
// number outside it.
func (c *Case) Expected() bool {
	if c.ClientExit != "" {
		return c.Err == nil
	}
	if c.InRange {
		return c.Err == nil && c.Result != nil
	}
	return c.Result == nil && errors.Is(c.Err, client.ErrNoReply)
}

// Network describes the impaired network a run crossed.
type Network struct {
	// Spec is the impairment with the seed the bridge used, so that the
	// run can be repeated.
	Spec impair.Spec
	// Stats are the bridge's counters at the end of the run.
	Stats netlab.Stats
	// CaptureAt is the host whose interface was captured.
	CaptureAt netlab.Host
	// Fates is the bridge's log: what it did to each frame (the ground
	// truth of package groundtruth); Unlogged counts frames past its
	// bound.
	Fates    []netlab.FrameFate
	Unlogged uint64
}

// Capture describes a finished capture.
type Capture struct {
	// File is the pcapng file written.
	File string
	// Host is the impaired network's host whose interface was captured;
	// zero without an impaired network.
	Host netlab.Host
	// Interface and Filter are where and what was captured.
	Interface, Filter string
	// Stats are the kernel's counts.
	Stats capture.Stats
	// Complete reports whether the teardown of every conversation was
	// seen before the capture was stopped (not only a quiet period).
	Complete bool
}

// Outcome is what a run did.
type Outcome struct {
	// Server is the address the server listened on.
	Server netip.AddrPort
	// Listening is the server's first line ("listening on ...").
	Listening []byte
	// Cases are the exchanges, in the order of Config.Numbers; empty for a
	// bulk transfer.
	Cases []Case
	// Bulk is the bulk transfer's result, when Config.Transfer asked for
	// one.
	Bulk *netlab.BulkResult
	// Network is the impaired network, when Config.Impair asked for one.
	Network *Network
	// Capture is the capture, nil when there is none.
	Capture *Capture
	// PeerCapture is the capture at the other host (Config.CapturePeer),
	// nil when there is none.
	PeerCapture *Capture
	// CaptureErr is why there is no capture although one was asked for:
	// a *capture.PermissionError without CAP_NET_RAW.
	CaptureErr error
	// UserStack reports that the run used tcplab's user-space TCP/IP
	// stack (Config.UserStack), not the kernel's TCP.
	UserStack bool
}

// Run runs the demo cfg describes. Without CAP_NET_RAW the exchanges still
// run and Outcome.CaptureErr says why nothing was captured. The error is
// non-nil when the run could not be made (the server could not listen,
// the network could not be built) — the outcome is then nil — or when an
// exchange did not end as the lab expects (ErrExchange, with the outcome).
func Run(ctx context.Context, cfg Config) (*Outcome, error) {
	numbers := cfg.Numbers
	if len(numbers) == 0 {
		numbers = DefaultNumbers
	}
	for _, n := range numbers {
		if _, _, ok := labproto.ParseNumber([]byte(n)); !ok {
			return nil, fmt.Errorf("demo: %q is not a number", n)
		}
	}
	cfg.Numbers = numbers
	if cfg.Settle <= 0 {
		cfg.Settle = DefaultSettle
	}
	if cfg.Transfer > 0 && cfg.Impair == nil {
		return nil, errors.New("demo: a bulk transfer needs the impaired network (an impairment spec)")
	}
	if cfg.UserStack {
		return runUserStack(ctx, cfg)
	}
	if cfg.Impair != nil {
		if len(cfg.ServerCmd) > 0 || len(cfg.ClientCmd) > 0 {
			return nil, errors.New("demo: a student's programs run on loopback only, not across the impaired network")
		}
		return runImpaired(ctx, cfg)
	}
	if len(cfg.ServerCmd) > 0 {
		return runServerProgram(ctx, cfg)
	}
	return runLoopback(ctx, cfg)
}

// runLoopback runs the lab's exchanges on loopback.
func runLoopback(ctx context.Context, cfg Config) (*Outcome, error) {
	addr := cfg.Addr
	if addr == "" {
		addr = DefaultAddr
	}
	lc := net.ListenConfig{KeepAlive: -1}
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("demo: listen on %s: %w", addr, err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	out := &Outcome{}
	cs, err := captureLoopback(ctx, cfg, port, out)
	if err != nil {
		ln.Close()
		return nil, err
	}
	err = serveAndExchange(ctx, cfg, ln, out, func(fn func() error) error { return fn() })
	if cs != nil {
		out.Capture, err = cs.finish(len(cfg.Numbers), cfg.Settle, 3*time.Second, err)
	}
	return out, err
}

// captureLoopback starts capturing port on lo when cfg asks for a
// capture. Without CAP_NET_RAW it records why in out.CaptureErr and
// returns no session and no error: the exchanges run all the same.
func captureLoopback(ctx context.Context, cfg Config, port int, out *Outcome) (*captureSession, error) {
	if cfg.Capture == "" {
		return nil, nil
	}
	cs, err := startCapture(ctx, cfg.Capture, capture.DefaultInterface, "tcp port "+strconv.Itoa(port))
	var pe *capture.PermissionError
	if errors.As(err, &pe) {
		out.CaptureErr = err
		return nil, nil
	}
	return cs, err
}

// runImpaired builds the impaired network and runs the lab's exchanges
// or the bulk transfer across it.
func runImpaired(ctx context.Context, cfg Config) (*Outcome, error) {
	at := cfg.CaptureAt
	if at == 0 {
		at = netlab.Server
	}
	if at != netlab.Server && at != netlab.Client {
		return nil, fmt.Errorf("demo: capture at %v: want the client or the server host", at)
	}
	progress(cfg, "demo.progress.network", "spec", cfg.Impair)
	n, err := netlab.New(ctx, netlab.Config{Impair: *cfg.Impair})
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	defer n.Close()
	out := &Outcome{Network: &Network{Spec: n.Spec(), CaptureAt: at}}
	port := cfg.LabPort
	if port == 0 {
		port = DefaultLabPort
	}
	if cfg.Transfer > 0 {
		port = DefaultBulkPort
	}
	var cs, peer *captureSession
	if cfg.Capture != "" {
		filter := "tcp port " + strconv.Itoa(port)
		if cs, err = captureAtHost(ctx, n, at, cfg.Capture, filter); err != nil {
			return nil, err
		}
		if cfg.CapturePeer {
			other := otherHost(at)
			if peer, err = captureAtHost(ctx, n, other, PeerFile(cfg.Capture, other), filter); err != nil {
				cs.rec.Stop()
				return nil, err
			}
		}
	}
	want := len(cfg.Numbers)
	if cfg.Transfer > 0 {
		want = 1
		progress(cfg, "demo.progress.transfer", "bytes", cfg.Transfer, "client", netlab.ClientAddr, "server", netlab.ServerAddr, "port", port)
		var res netlab.BulkResult
		res, err = n.BulkTransfer(ctx, netlab.BulkOptions{Bytes: cfg.Transfer, Port: port, Timeout: cfg.TransferTimeout})
		if err == nil {
			out.Bulk = &res
			out.Server = netip.AddrPortFrom(netlab.ServerAddr, uint16(port))
		} else {
			err = fmt.Errorf("demo: %w", err)
		}
	} else {
		var ln net.Listener
		err = n.Do(netlab.Server, func() error {
			var err error
			lc := net.ListenConfig{KeepAlive: -1}
			ln, err = lc.Listen(ctx, "tcp", netip.AddrPortFrom(netlab.ServerAddr, uint16(port)).String())
			return err
		})
		if err != nil {
			err = fmt.Errorf("demo: listen in the server host: %w", err)
		} else {
			err = serveAndExchange(ctx, cfg, ln, out, func(fn func() error) error { return n.Do(netlab.Client, fn) })
		}
	}
	if cs != nil {
		// Losses and delays stretch the teardown: allow for a
		// retransmission timeout or two.
		out.Capture, err = cs.finish(want, cfg.Settle+2*maxDelay(cfg.Impair), 10*time.Second, err)
		out.Capture.Host = at
	}
	if peer != nil {
		// The main capture has seen the teardowns: this one has too,
		// or will within the network's delay.
		out.PeerCapture, err = peer.finish(want, cfg.Settle+2*maxDelay(cfg.Impair), 10*time.Second, err)
		out.PeerCapture.Host = otherHost(at)
	}
	out.Network.Stats = n.Stats()
	out.Network.Fates, out.Network.Unlogged = n.Fates()
	if err != nil && !errors.Is(err, ErrExchange) {
		return nil, err
	}
	return out, err
}

// captureAtHost starts a capture of filter on host h's interface of the
// impaired network, written to file.
func captureAtHost(ctx context.Context, n *netlab.Network, h netlab.Host, file, filter string) (*captureSession, error) {
	ifname := netlab.ServerIf
	if h == netlab.Client {
		ifname = netlab.ClientIf
	}
	var cs *captureSession
	err := n.Do(h, func() error {
		var err error
		cs, err = startCapture(ctx, file, ifname, filter)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("demo: capture in the %v host: %w", h, err)
	}
	return cs, nil
}

// otherHost returns the end of the impaired network that is not h.
func otherHost(h netlab.Host) netlab.Host {
	if h == netlab.Client {
		return netlab.Server
	}
	return netlab.Client
}

// PeerFile names the file of the capture at host h beside the main
// capture file: "tcplab-demo.pcapng" becomes "tcplab-demo-client.pcapng".
func PeerFile(file string, h netlab.Host) string {
	ext := filepath.Ext(file)
	return strings.TrimSuffix(file, ext) + "-" + h.String() + ext
}

// maxDelay is the longest one-way delay spec may give a frame.
func maxDelay(spec *impair.Spec) time.Duration {
	d := 0 * time.Second
	for _, p := range []impair.Params{spec.C2S, spec.S2C} {
		d = max(d, p.Delay+p.Jitter+p.ReorderGap)
	}
	return d
}

// serveAndExchange serves the lab on ln and runs one exchange per number,
// each client made by dial (which runs its function where the client's
// socket must be made). It fills out.Server, out.Listening and out.Cases
// and shuts the server down.
func serveAndExchange(ctx context.Context, cfg Config, ln net.Listener, out *Outcome, dial func(func() error) error) error {
	lines := newChunks()
	srv, err := server.New(server.Config{Name: cfg.ServerName, Rand: cfg.Rand, Output: lines})
	if err != nil {
		ln.Close()
		return fmt.Errorf("demo: %w", err)
	}
	out.Server = ln.Addr().(*net.TCPAddr).AddrPort()
	out.Server = netip.AddrPortFrom(out.Server.Addr().Unmap(), out.Server.Port())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(context.Background(), ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if srv.Shutdown(sctx) != nil {
			srv.Close()
		}
		<-served
	}()
	if l, ok := lines.wait(0, time.Second); ok {
		out.Listening = l
	}
	for i, number := range cfg.Numbers {
		c := newCase(number)
		err := dial(func() error {
			exchange(ctx, cfg, out.Server.String(), &c)
			if c.ClientExit == "" {
				return c.Err
			}
			return nil
		})
		if err != nil {
			c.Result, c.Err = nil, err
		}
		// The server prints an exchange's lines before it replies or
		// closes, so they are there once the client is done; the wait
		// only covers a server that failed before printing.
		if l, ok := lines.wait(i+1, time.Second); ok {
			c.Server = l
		}
		serverSawNothing(&c)
		out.Cases = append(out.Cases, c)
		if ctx.Err() != nil {
			return fmt.Errorf("demo: %w", ctx.Err())
		}
	}
	return unexpected(out.Cases)
}

// unexpected returns an error wrapping ErrExchange that names the cases
// that did not end as the lab expects, or nil.
func unexpected(cases []Case) error {
	var bad []string
	for i := range cases {
		if c := &cases[i]; !c.Expected() {
			bad = append(bad, fmt.Sprintf("number %s: %v", c.Number, describeUnexpected(c)))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("demo: %w: %s", ErrExchange, strings.Join(bad, "; "))
	}
	return nil
}

func describeUnexpected(c *Case) string {
	switch {
	case c.Err != nil:
		return c.Err.Error()
	case !c.InRange:
		return "the server replied to a number outside 1..100"
	}
	return "no reply"
}

// progress writes message id of the catalog, in cfg.Lang, as a line of
// progress to cfg.Progress.
func progress(cfg Config, id string, args ...any) {
	if cfg.Progress != nil {
		fmt.Fprintf(cfg.Progress, "tcplab demo: %s\n", i18n.Msg(cmp.Or(cfg.Lang, i18n.English), id, args...))
	}
}

// chunks collects the server's writes, one per exchange, in order.
type chunks struct {
	mu     sync.Mutex
	list   [][]byte
	notify chan struct{}
}

func newChunks() *chunks { return &chunks{notify: make(chan struct{}, 1)} }

func (c *chunks) Write(b []byte) (int, error) {
	c.mu.Lock()
	c.list = append(c.list, append([]byte(nil), b...))
	c.mu.Unlock()
	select {
	case c.notify <- struct{}{}:
	default:
	}
	return len(b), nil
}

// wait returns write i (from 0), waiting at most timeout for it.
func (c *chunks) wait(i int, timeout time.Duration) ([]byte, bool) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		if i < len(c.list) {
			b := c.list[i]
			c.mu.Unlock()
			return b, true
		}
		c.mu.Unlock()
		select {
		case <-c.notify:
		case <-deadline.C:
			return nil, false
		}
	}
}

// captureSession is a capture to a file that watches for the end of the
// conversations it records.
type captureSession struct {
	file  string
	rec   *capture.Recording
	iface string
	filt  string
}

// startCapture starts capturing on iface with filter into a new file (made
// once the capture is open). It must run where the capture's socket
// belongs (on loopback, anywhere; in the impaired network, inside netlab's
// Do).
func startCapture(ctx context.Context, file, iface, filter string) (*captureSession, error) {
	r, err := capture.Record(ctx, capture.Config{Interface: iface, Filter: filter}, file)
	if err != nil {
		return nil, err
	}
	return &captureSession{file: file, rec: r, iface: iface, filt: filter}, nil
}

// finish waits until want conversations have been torn down in the
// capture and no other is open, or the traffic has been quiet for settle,
// at most limit, then stops the capture. runErr is the run's error so far, joined with the
// capture's.
func (cs *captureSession) finish(want int, settle, limit time.Duration, runErr error) (*Capture, error) {
	complete := cs.rec.Teardowns.Wait(want, settle, limit) == 0
	st, err := cs.rec.Stop() // the file is closed when Stop returns
	c := &Capture{File: cs.file, Interface: cs.iface, Filter: cs.filt, Stats: st, Complete: complete}
	if err != nil {
		return c, errors.Join(runErr, fmt.Errorf("demo: capture: %w", err))
	}
	return c, runErr
}
