package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tcplab/tcplab/internal/labproto"
)

// Defaults for the zero values of Config.
const (
	DefaultMaxConns     = 1024
	DefaultReadTimeout  = 10 * time.Second
	DefaultWriteTimeout = 10 * time.Second
	DefaultSettle       = 50 * time.Millisecond
)

// Accept errors back off from minBackoff, doubling up to maxBackoff, as
// net/http.Server does.
const (
	minBackoff = 5 * time.Millisecond
	maxBackoff = time.Second
)

// ErrServerClosed is returned by Serve after Shutdown or Close.
var ErrServerClosed = errors.New("server: server closed")

// Config is how a Server behaves. The zero value is the original's
// server, except that it answers many clients at once and prints nothing.
type Config struct {
	// Name is the server's name in replies and lines; empty means
	// labproto.DefaultServerName. It may not contain a comma or a line
	// break: the original client splits the reply at every comma.
	Name string

	// Rand draws the server's numbers; nil means a random source seeded
	// by the runtime. With a fixed source (rand.NewPCG(seed, seed)) the
	// numbers repeat from run to run in the order exchanges draw them.
	Rand rand.Source

	// MaxConns caps connections served at once; further connections wait
	// in the kernel's accept queue. Zero means DefaultMaxConns.
	MaxConns int

	// ReadTimeout bounds the time from accepting a connection to having
	// the whole request; zero means DefaultReadTimeout.
	ReadTimeout time.Duration

	// WriteTimeout bounds writing the reply; zero means
	// DefaultWriteTimeout.
	WriteTimeout time.Duration

	// Settle is how long a complete request that arrived in pieces waits
	// for more bytes before it is taken (see package labproto); zero
	// means DefaultSettle.
	Settle time.Duration

	// AcceptLoops is how many accept loops serve a *net.TCPListener on
	// Linux, where Serve runs the exchanges on the sockets directly (see
	// fast_linux.go); zero means 1. One loop serves tens of thousands of
	// exchanges a second on one core, and more help only once it
	// saturates one: on two CPUs shared with the clients, two loops cost
	// about a third more CPU per exchange and had a longer latency tail
	// than one (docs/BENCHMARKS.md). Loops wake together for each new
	// connection, and a loop whose goroutine waits in the runtime's poller
	// may wait until the runtime polls again while another loop keeps a
	// thread busy.
	AcceptLoops int

	// Logger receives one line per bad peer and accept error; nil means no
	// logs.
	Logger *slog.Logger

	// Output receives the lab's lines ("listening on", "Connection
	// from", Client_name...), one Write per exchange; nil means none.
	// Writes are serialized, so any io.Writer will do.
	Output io.Writer
}

// Stats counts what a Server has done since it was created.
type Stats struct {
	// Accepted is the number of connections accepted.
	Accepted uint64
	// Answered is the number of requests answered with a reply.
	Answered uint64
	// OutOfRange is the number of requests closed without a reply because
	// the number was outside 1..100.
	OutOfRange uint64
	// Failed is the number of connections closed because of a bad peer:
	// bad request, timeout, reset, reply not delivered.
	Failed uint64
}

// Server serves the lab's exchange. Create it with New.
type Server struct {
	name         string
	maxConns     int
	acceptLoops  int
	readTimeout  time.Duration
	writeTimeout time.Duration
	settle       time.Duration
	log          *slog.Logger
	out          io.Writer

	randMu sync.Mutex
	rand   *rand.Rand // nil: use the global source, which is safe for concurrent use

	outMu sync.Mutex

	sem chan struct{}

	mu        sync.Mutex
	closing   bool
	done      chan struct{} // closed when closing becomes true
	listeners map[net.Listener]struct{}
	conns     map[conn]struct{}

	accepted, answered, outOfRange, failed atomic.Uint64
}

// New returns a Server for cfg, or an error naming the first bad setting.
func New(cfg Config) (*Server, error) {
	s := &Server{
		name:         cfg.Name,
		maxConns:     cfg.MaxConns,
		acceptLoops:  cfg.AcceptLoops,
		readTimeout:  cfg.ReadTimeout,
		writeTimeout: cfg.WriteTimeout,
		settle:       cfg.Settle,
		log:          cfg.Logger,
		out:          cfg.Output,
		done:         make(chan struct{}),
		listeners:    make(map[net.Listener]struct{}),
		conns:        make(map[conn]struct{}),
	}
	if s.name == "" {
		s.name = labproto.DefaultServerName
	}
	if err := labproto.CheckName(s.name, true); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	for _, d := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"read timeout", &s.readTimeout, DefaultReadTimeout},
		{"write timeout", &s.writeTimeout, DefaultWriteTimeout},
		{"settle time", &s.settle, DefaultSettle},
	} {
		if *d.v < 0 {
			return nil, fmt.Errorf("server: %s %v is negative", d.name, *d.v)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if s.maxConns < 0 {
		return nil, fmt.Errorf("server: max connections %d is negative", s.maxConns)
	}
	if s.maxConns == 0 {
		s.maxConns = DefaultMaxConns
	}
	if s.acceptLoops < 0 {
		return nil, fmt.Errorf("server: accept loops %d is negative", s.acceptLoops)
	}
	s.acceptLoops = max(1, s.acceptLoops)
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if cfg.Rand != nil {
		s.rand = rand.New(cfg.Rand)
	}
	s.sem = make(chan struct{}, s.maxConns)
	return s, nil
}

// Name returns the server's name as it appears in replies.
func (s *Server) Name() string { return s.name }

// Stats returns the server's counters.
func (s *Server) Stats() Stats {
	return Stats{
		Accepted:   s.accepted.Load(),
		Answered:   s.answered.Load(),
		OutOfRange: s.outOfRange.Load(),
		Failed:     s.failed.Load(),
	}
}

// Serve writes the "listening on" line to Config.Output, then accepts
// connections on ln and serves them, at most Config.MaxConns at a time. It
// returns ErrServerClosed after Shutdown or Close, ctx.Err() when ctx is
// done (exchanges in flight go on: call Shutdown to wait for them), or the
// listener's error if it fails for good. Serve closes ln before it returns.
//
// On Linux, a *net.TCPListener is served on its socket directly (see
// serveFast): the goroutine that accepts a connection serves it with its
// own non-blocking system calls and hands accepting over to a new goroutine
// only if the exchange has to wait for the peer. Any other listener (for
// example one that wraps a *net.TCPListener) gets a goroutine per
// connection and net.Conn's deadlines; a listener from
// net.ListenConfig{KeepAlive: -1} then saves the keep-alive system calls on
// every accepted connection, which an exchange of milliseconds never needs.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if !s.trackListener(ln) {
		ln.Close()
		return ErrServerClosed
	}
	defer s.untrackListener(ln)
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()

	if s.out != nil {
		s.write(AppendListening(nil, ln.Addr()))
	}
	if ok, err := s.serveFast(ctx, ln); ok {
		return err
	}
	return s.serveEach(ctx, ln)
}

// serveEach accepts connections on ln and serves each in a goroutine of
// its own.
func (s *Server) serveEach(ctx context.Context, ln net.Listener) error {
	var delay time.Duration
	for {
		select {
		case s.sem <- struct{}{}:
		case <-s.done:
			return ErrServerClosed
		case <-ctx.Done():
			return ctx.Err()
		}
		c, err := ln.Accept()
		if err != nil {
			<-s.sem
			if err := s.acceptFailed(ctx, ln, err, &delay); err != nil {
				return err
			}
			continue
		}
		delay = 0
		if !s.trackConn(c) {
			c.Close()
			<-s.sem
			return ErrServerClosed
		}
		s.accepted.Add(1)
		go s.serveConn(c, peerOf(c)) // a net.Conn never reports errNotYet
	}
}

// acceptFailed handles an error from accepting on ln: it returns the error
// Serve ends with, or nil after waiting the next backoff (delay, 0 after a
// success), with one log line per wait.
func (s *Server) acceptFailed(ctx context.Context, ln net.Listener, err error, delay *time.Duration) error {
	if err := s.acceptEnd(ctx, ln, err); err != nil {
		return err
	}
	*delay = nextBackoff(*delay)
	s.logRetry(ln, err, *delay)
	return s.sleep(ctx, *delay)
}

// acceptEnd returns the error Serve ends with after err from accepting on
// ln, or nil if accepting should go on after a backoff.
func (s *Server) acceptEnd(ctx context.Context, ln net.Listener, err error) error {
	if s.isClosing() {
		return ErrServerClosed
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrClosed) {
		return fmt.Errorf("server: accept on %v: %w", ln.Addr(), err)
	}
	return nil
}

// logRetry logs an accept error and the wait before the next try.
func (s *Server) logRetry(ln net.Listener, err error, wait time.Duration) {
	s.log.Warn("accept failed; retrying", "addr", ln.Addr().String(), "err", err.Error(), "retry_in", wait.String())
}

// sleep waits for d, or returns ErrServerClosed or ctx.Err() if the server
// closes or ctx ends first.
func (s *Server) sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-s.done:
		return ErrServerClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// nextBackoff returns the wait after an accept error that followed a wait
// of prev: 5 ms first, then twice the previous wait, at most 1 s.
func nextBackoff(prev time.Duration) time.Duration {
	if prev == 0 {
		return minBackoff
	}
	return min(2*prev, maxBackoff)
}

// Shutdown stops the server gracefully: it closes the listeners, so new
// connections are refused, then waits for the exchanges in flight to end
// (each is bounded by the read and write timeouts). If ctx ends first it
// returns ctx.Err() and leaves the remaining connections open; call Close
// to end them.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.beginClose()
	wait := time.Millisecond
	for {
		if s.activeConns() == 0 {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 50*time.Millisecond)
	}
}

// Close closes the listeners and every connection at once. Exchanges in
// flight fail.
func (s *Server) Close() error {
	err := s.beginClose()
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if cerr := c.Close(); cerr != nil && err == nil && !errors.Is(cerr, net.ErrClosed) {
			err = cerr
		}
	}
	return err
}

// beginClose marks the server closing and closes its listeners.
func (s *Server) beginClose() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closing {
		s.closing = true
		close(s.done)
	}
	var err error
	for ln := range s.listeners {
		if cerr := ln.Close(); cerr != nil && err == nil && !errors.Is(cerr, net.ErrClosed) {
			err = cerr
		}
		delete(s.listeners, ln)
	}
	return err
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

func (s *Server) trackListener(ln net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.listeners[ln] = struct{}{}
	return true
}

func (s *Server) untrackListener(ln net.Listener) {
	s.mu.Lock()
	delete(s.listeners, ln)
	s.mu.Unlock()
	ln.Close()
}

func (s *Server) trackConn(c conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) untrackConn(c conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

func (s *Server) activeConns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// write sends b to Output in one Write, serialized with other exchanges.
func (s *Server) write(b []byte) {
	s.outMu.Lock()
	_, err := s.out.Write(b)
	s.outMu.Unlock()
	if err != nil {
		s.log.Warn("writing the lab lines failed", "err", err.Error())
	}
}

// number draws the server's number in 1..100.
func (s *Server) number() int {
	if s.rand == nil {
		return labproto.MinNumber + rand.IntN(labproto.MaxNumber-labproto.MinNumber+1)
	}
	s.randMu.Lock()
	n := labproto.MinNumber + s.rand.IntN(labproto.MaxNumber-labproto.MinNumber+1)
	s.randMu.Unlock()
	return n
}

// peerOf returns c's remote address as a netip.AddrPort.
func peerOf(c net.Conn) netip.AddrPort {
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return ta.AddrPort()
	}
	ap, _ := netip.ParseAddrPort(c.RemoteAddr().String())
	return ap
}
