package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// serveFast serves a *net.TCPListener on its socket directly; for any
// other listener it returns false and does nothing.
//
// An exchange is short, and the goroutine that accepts a connection serves
// it with non-blocking system calls on the accepted socket: accept4, read,
// write, close, as a C epoll server does. Go's per-connection setup
// (getsockname, TCP_NODELAY, a finalizer, registering with the runtime's
// poller and removing it) and a goroutine per connection are saved.
// TCP_NODELAY stays off, as in the original server: the reply is written at
// once and the connection closed, so Nagle's algorithm never delays it.
// None of these calls can block, so they are made without telling the
// runtime (rawsys_linux.go), which spares its monitor thread.
//
// A connection accepted before its request arrived waits in an epoll set of
// the accept loop's own, with the listener, until it is readable or its
// read timeout ends; the set's descriptor waits in the runtime's poller.
// When an exchange has to wait in the middle (a request in pieces, a reply
// the peer does not take), its socket is handed to the runtime's poller as
// an *os.File, which honours the same deadlines as a net.Conn, and a new
// goroutine takes over the accept loop (fdConn.toFile). There are
// Config.AcceptLoops loops (one by default), each with its own epoll set;
// one goroutine runs each loop at a time, and Serve returns the first
// loop's result.
//
// If ln is closed other than by Serve's context, Shutdown or Close, Serve
// notices at the next connection or readable request.
func (s *Server) serveFast(ctx context.Context, ln net.Listener) (bool, error) {
	tl, ok := ln.(*net.TCPListener)
	if !ok {
		return false, nil
	}
	rc, err := tl.SyscallConn()
	if err != nil {
		return false, nil
	}
	// Config.AcceptLoops loops; each sends one result.
	n := s.acceptLoops
	results := make(chan error, n)
	sh := &backoff{}
	loops := make([]*acceptor, 0, n)
	for range n {
		a, err := newAcceptor(s, ctx, ln, rc, results, sh)
		if err != nil {
			for _, a := range loops {
				a.epf.Close()
			}
			return false, nil
		}
		loops = append(loops, a)
	}
	// The epoll sets are closed on Shutdown or Close, when ctx ends, and
	// when Serve returns; a loop waiting on its set then ends.
	ended := make(chan struct{})
	go func() {
		select {
		case <-s.done:
		case <-ctx.Done():
		case <-ended:
		}
		for _, a := range loops {
			a.epf.Close()
		}
	}()
	for _, a := range loops {
		go a.loop()
	}
	err = <-results
	close(ended)
	return true, err
}

// backoff is the accept backoff the loops share, so that an error they all
// meet (EMFILE) logs one line per wait, not one per loop.
type backoff struct {
	failing atomic.Bool // an error since the last success: the fields below are in use
	mu      sync.Mutex
	delay   time.Duration
	until   time.Time // the end of the wait logged last
}

// acceptFailed is Server.acceptFailed with the shared backoff: a loop that
// fails during a wait another loop logged waits out the rest silently.
func (a *acceptor) acceptFailed(err error) error {
	if err := a.s.acceptEnd(a.ctx, a.ln, err); err != nil {
		return err
	}
	sh := a.backoff
	sh.mu.Lock()
	wait := time.Until(sh.until)
	if wait <= 0 {
		sh.delay = nextBackoff(sh.delay)
		wait = sh.delay
		sh.until = time.Now().Add(wait)
		a.s.logRetry(a.ln, err, wait)
	}
	sh.failing.Store(true)
	sh.mu.Unlock()
	return a.s.sleep(a.ctx, wait)
}

// succeeded resets the shared backoff after an accept.
func (sh *backoff) succeeded() {
	if !sh.failing.Load() {
		return
	}
	sh.mu.Lock()
	sh.delay, sh.until = 0, time.Time{}
	sh.failing.Store(false)
	sh.mu.Unlock()
}

// accept4 is rawAccept4; tests replace it to fail as a process out of
// file descriptors would.
var accept4 = rawAccept4

// acceptor is the state of serveFast's accept loop. Only the goroutine
// that currently runs the loop touches the fields below result.
type acceptor struct {
	s       *Server
	ctx     context.Context
	ln      net.Listener
	rc      syscall.RawConn // the listener's
	lfd     int32           // the listener's descriptor, its events' mark
	epf     *os.File        // the epoll set, in the runtime's poller
	epw     syscall.RawConn // epf's: every use of the set goes through it
	result  chan error      // Serve's result: each loop sends one, from the last goroutine to run it
	backoff *backoff        // shared by the loops

	control func(fd uintptr)
	fd      int // tryAccept's results
	peer    netip.AddrPort
	errno   syscall.Errno

	waiting    map[int32]*fdConn // in the epoll set, by descriptor: accepted before their request
	pollFn     func(fd uintptr) bool
	pollNowFn  func(fd uintptr)
	accepts    int                  // since the waiting connections were last served
	nextExpiry time.Time            // no waiting connection's read timeout passes before (watch and expire keep it)
	events     []syscall.EpollEvent // poll's results: events[:nready]
	nready     int
	addFn      func(fd uintptr)
	addEv      syscall.EpollEvent
	addErr     syscall.Errno
	deadline   time.Time // epf's read deadline as last set
}

// newAcceptor creates the accept loop's epoll set, holding the listener
// (level-triggered: ready while connections are queued).
func newAcceptor(s *Server, ctx context.Context, ln net.Listener, rc syscall.RawConn, result chan error, sh *backoff) (*acceptor, error) {
	a := &acceptor{s: s, ctx: ctx, ln: ln, rc: rc, result: result, backoff: sh,
		waiting: make(map[int32]*fdConn), events: make([]syscall.EpollEvent, 64)}
	if err := rc.Control(func(fd uintptr) { a.lfd = int32(fd) }); err != nil {
		return nil, err
	}
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: a.lfd}
	if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, int(a.lfd), &ev); err != nil {
		syscall.Close(ep)
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	// Non-blocking, so that os.NewFile registers it with the runtime's
	// poller: an epoll set is readable while it has events.
	if err := syscall.SetNonblock(ep, true); err != nil {
		syscall.Close(ep)
		return nil, os.NewSyscallError("fcntl", err)
	}
	a.epf = os.NewFile(uintptr(ep), "epoll")
	if err := a.epf.SetReadDeadline(time.Time{}); err != nil { // not in the poller
		a.epf.Close()
		return nil, err
	}
	if a.epw, err = a.epf.SyscallConn(); err != nil {
		a.epf.Close()
		return nil, err
	}
	a.control = a.tryAccept
	a.pollFn = a.poll
	a.pollNowFn = func(fd uintptr) { a.poll(fd) }
	a.addFn = func(fd uintptr) {
		a.addErr = rawEpollCtl(int(fd), syscall.EPOLL_CTL_ADD, int(a.addEv.Fd), &a.addEv)
	}
	return a, nil
}

// loop accepts connections and serves each in turn until Serve's end,
// which it sends on a.result. It returns early, without a result, when an
// exchange had to wait for its peer and a new goroutine took over.
func (a *acceptor) loop() {
	s := a.s
	var ready []*fdConn
	for {
		select {
		case s.sem <- struct{}{}:
		default:
			// No slot left: the connections waiting for their request
			// hold some, and wait on their own while this waits for one.
			a.detach()
			select {
			case s.sem <- struct{}{}:
			case <-s.done:
				a.finish(ErrServerClosed)
				return
			case <-a.ctx.Done():
				a.finish(a.ctx.Err())
				return
			}
		}
		fd, peer, err := a.accept()
		if err != nil {
			<-s.sem
			if err == errNotYet {
				var stop bool
				a.accepts = 0
				if ready, stop = a.wait(ready[:0]); stop {
					return
				}
				continue
			}
			a.detach() // the backoff may last a second
			if err := a.acceptFailed(err); err != nil {
				a.finish(err)
				return
			}
			continue
		}
		a.backoff.succeeded()
		c := &fdConn{fd: fd, a: a, peer: peer, first: true, owned: true}
		if !s.trackConn(c) {
			rawClose(fd)
			<-s.sem
			a.finish(ErrServerClosed)
			return
		}
		s.accepted.Add(1)
		if s.serveConn(c, c.peer) {
			if c.handedOff {
				return
			}
		} else {
			a.watch(c)
		}
		if a.accepts++; a.accepts >= serveReadyEvery && len(a.waiting) > 0 {
			a.accepts = 0
			var stop bool
			if ready, stop = a.serveReady(ready[:0]); stop {
				return
			}
		}
	}
}

// serveReadyEvery is how many connections the loop accepts at most before
// it serves those of its waiting connections whose request has arrived.
const serveReadyEvery = 8

// finish ends the loop with Serve's result err.
func (a *acceptor) finish(err error) {
	a.detach()
	a.result <- err
}

// watch adds c, whose request has not arrived, to the epoll set, or
// failing that gives it a goroutine of its own.
func (a *acceptor) watch(c *fdConn) {
	c.mu.Lock()
	c.limit = c.rd // readRequest's deadline: just accepted + the read timeout
	c.mu.Unlock()
	a.addEv = syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLONESHOT, Fd: int32(c.fd)}
	err := a.epw.Control(a.addFn)
	if err == nil && a.addErr == 0 {
		if len(a.waiting) == 0 || c.limit.Before(a.nextExpiry) {
			a.nextExpiry = c.limit
		}
		a.waiting[int32(c.fd)] = c
		return
	}
	go a.s.serveAlone(c)
}

// wait serves the waiting connections whose request has arrived, or waits
// until one has, a connection is queued, or a.nextExpiry, when it ends
// those whose read timeout has passed. It reports whether this goroutine must stop running the
// loop: an exchange had to wait and a new goroutine took over, or the set
// was closed (then the result is sent).
func (a *acceptor) wait(ready []*fdConn) ([]*fdConn, bool) {
	var first time.Time // no deadline while none waits
	if len(a.waiting) > 0 {
		first = a.nextExpiry // early, if the first to expire was served: expire then finds none
	}
	if !first.Equal(a.deadline) {
		a.epf.SetReadDeadline(first)
		a.deadline = first
	}
	a.nready = 0
	if err := a.epw.Read(a.pollFn); err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			a.expire(time.Now())
			return ready, false
		}
		select {
		case <-a.s.done:
			a.finish(ErrServerClosed)
		case <-a.ctx.Done():
			a.finish(a.ctx.Err())
		default:
			a.finish(fmt.Errorf("server: waiting for connections on %v: %w", a.ln.Addr(), err))
		}
		return ready, true
	}
	return a.serveEvents(ready)
}

// serveReady serves the waiting connections whose request has arrived,
// without waiting for any. The loop calls it every few accepts: while
// connections keep coming, the accept queue may never be empty, and the
// connections that wait for their request would wait for that. It reports
// what wait does.
func (a *acceptor) serveReady(ready []*fdConn) ([]*fdConn, bool) {
	if now := time.Now(); !now.Before(a.nextExpiry) {
		a.expire(now)
	}
	a.nready = 0
	if err := a.epw.Control(a.pollNowFn); err != nil {
		return ready, false // the set is closed: the next wait ends the loop
	}
	return a.serveEvents(ready)
}

// expire ends the waiting connections whose read timeout has passed: each
// gets a goroutine that fails at once with the read timeout. It sets
// a.nextExpiry to the earliest time another may pass.
func (a *acceptor) expire(now time.Time) {
	a.nextExpiry = now.Add(a.s.readTimeout) // no connection watched from now on expires sooner
	for fd, c := range a.waiting {
		if !c.limit.After(now) {
			delete(a.waiting, fd)
			go a.s.serveAlone(c)
		} else if c.limit.Before(a.nextExpiry) {
			a.nextExpiry = c.limit
		}
	}
}

// serveEvents serves the waiting connections that poll's events say are
// readable, as wait does. It takes them all from the events before it
// serves any, as a goroutine that takes over the loop polls again.
func (a *acceptor) serveEvents(ready []*fdConn) ([]*fdConn, bool) {
	for _, ev := range a.events[:a.nready] {
		if c := a.waiting[ev.Fd]; c != nil && ev.Fd != a.lfd {
			delete(a.waiting, ev.Fd)
			ready = append(ready, c)
		}
	}
	handedOff := false
	for _, c := range ready {
		if handedOff {
			go a.s.serveAlone(c)
			continue
		}
		if !a.s.serveConn(c, c.peer) {
			go a.s.serveAlone(c)
		}
		handedOff = c.handedOff
	}
	return ready, handedOff
}

// poll takes the epoll set's ready events without waiting and reports
// whether there were any.
func (a *acceptor) poll(fd uintptr) bool {
	n, errno := rawEpollPoll(int(fd), a.events)
	if errno != 0 {
		return true // as ready: the loop tries again, and accept reports a closed listener
	}
	a.nready = n
	return n > 0
}

// detach gives every waiting connection a goroutine of its own, when this
// goroutine stops running the loop or may not get to them for a while.
func (a *acceptor) detach() {
	for fd, c := range a.waiting {
		delete(a.waiting, fd)
		go a.s.serveAlone(c)
	}
}

// serveAlone serves c, whose request had not arrived, in a goroutine of
// its own that waits for it.
func (s *Server) serveAlone(c *fdConn) {
	c.mu.Lock()
	c.first, c.owned = false, false
	c.mu.Unlock()
	s.serveConn(c, c.peer)
}

// accept returns the next queued connection, a non-blocking socket, or
// errNotYet if none is queued.
func (a *acceptor) accept() (int, netip.AddrPort, error) {
	// Control takes no lock on the listener.
	if err := a.rc.Control(a.control); err != nil {
		return -1, netip.AddrPort{}, err
	}
	switch a.errno {
	case 0:
		return a.fd, a.peer, nil
	case syscall.EAGAIN:
		return -1, netip.AddrPort{}, errNotYet
	}
	return -1, netip.AddrPort{}, &net.OpError{Op: "accept", Net: a.ln.Addr().Network(), Addr: a.ln.Addr(), Err: os.NewSyscallError("accept4", a.errno)}
}

// tryAccept calls accept4 on the listener's descriptor.
func (a *acceptor) tryAccept(lfd uintptr) {
	a.fd, a.peer, a.errno = accept4(int(lfd))
}

// fdConn is an accepted socket that serveFast serves with system calls of
// its own until it has to wait, then through an *os.File in the runtime's
// poller. Its methods are those of a net.Conn that an exchange uses, with
// the same errors: io.EOF, net.ErrClosed after Close, wrapped errnos, and
// os.ErrDeadlineExceeded once it waits. Close may be called from another
// goroutine (Server.Close); mu keeps it from closing the descriptor while a
// system call is using it.
type fdConn struct {
	a *acceptor

	peer netip.AddrPort

	mu     sync.Mutex
	fd     int
	closed bool
	file   *os.File  // non-nil once the exchange had to wait
	rd, wd time.Time // deadlines to give the file
	first  bool      // no byte read yet: Read may return errNotYet
	owned  bool      // served by the goroutine running the accept loop
	limit  time.Time // if set, no read deadline is later: accepted + read timeout

	handedOff bool // a new goroutine accepts now; only the serving goroutine uses it
}

func (c *fdConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return 0, net.ErrClosed
	}
	if c.file == nil {
		n, errno := rawRead(c.fd, p)
		if errno == syscall.EAGAIN && c.first && c.owned {
			c.mu.Unlock()
			return 0, errNotYet
		}
		c.first = false
		if errno != syscall.EAGAIN {
			c.mu.Unlock()
			switch {
			case errno != 0:
				return 0, os.NewSyscallError("read", errno)
			case n == 0 && len(p) > 0:
				return 0, io.EOF
			}
			return n, nil
		}
		if err := c.toFile(); err != nil {
			c.mu.Unlock()
			return 0, err
		}
	}
	f := c.file
	c.mu.Unlock()
	return f.Read(p)
}

func (c *fdConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return 0, net.ErrClosed
	}
	n := 0
	if c.file == nil {
		for n < len(p) {
			m, errno := rawWrite(c.fd, p[n:])
			if errno == syscall.EAGAIN {
				break
			}
			if errno != 0 {
				c.mu.Unlock()
				return n, os.NewSyscallError("write", errno)
			}
			n += m
		}
		if n == len(p) {
			c.mu.Unlock()
			return n, nil
		}
		if err := c.toFile(); err != nil {
			c.mu.Unlock()
			return n, err
		}
	}
	f := c.file
	c.mu.Unlock()
	m, err := f.Write(p[n:])
	return n + m, err
}

// toFile moves the socket into the runtime's poller, so that the exchange
// can wait with deadlines, and starts a new goroutine accepting. c.mu is
// held.
func (c *fdConn) toFile() error {
	// os.NewFile registers a non-blocking descriptor with the poller;
	// from here on the file owns the descriptor.
	c.file = os.NewFile(uintptr(c.fd), "tcp connection")
	if err := c.file.SetReadDeadline(c.rd); err != nil {
		return err
	}
	if err := c.file.SetWriteDeadline(c.wd); err != nil {
		return err
	}
	if c.owned && !c.handedOff {
		c.handedOff = true
		go c.a.loop()
	}
	return nil
}

func (c *fdConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return net.ErrClosed
	}
	if !c.limit.IsZero() && (t.IsZero() || t.After(c.limit)) {
		t = c.limit
	}
	if c.file != nil {
		return c.file.SetReadDeadline(t)
	}
	c.rd = t
	return nil
}

func (c *fdConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		return net.ErrClosed
	case c.file != nil:
		return c.file.SetWriteDeadline(t)
	}
	c.wd = t
	return nil
}

// Close closes the socket; a Read or Write waiting in the poller returns
// os.ErrClosed. A second Close returns net.ErrClosed.
func (c *fdConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return net.ErrClosed
	}
	c.closed = true
	if c.file != nil {
		return c.file.Close()
	}
	if errno := rawClose(c.fd); errno != 0 {
		return os.NewSyscallError("close", errno)
	}
	return nil
}
