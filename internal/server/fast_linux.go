package server

import (
	"context"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// serveFast serves a *net.TCPListener on its socket directly; for any
// other listener it returns false and does nothing.
//
// An exchange is short and its request nearly always arrives whole before
// the connection is accepted. So the goroutine that accepts a connection
// serves it, with non-blocking system calls on the accepted socket: accept4,
// read, write, close, as a C epoll server does. The connection is never
// registered with the runtime's poller, and Go's per-connection setup
// (getsockname, TCP_NODELAY, a finalizer, epoll_ctl to add and to remove)
// and a new goroutine per connection are saved. TCP_NODELAY stays off, as
// in the original server: the reply is written at once and the connection
// closed, so Nagle's algorithm never delays it.
//
// When an exchange has to wait for its peer (a request in pieces, a reply
// the peer does not take), its socket is handed to the runtime's poller as
// an *os.File, which honours the same deadlines as a net.Conn, and a new
// goroutine takes over accepting (fdConn.toFile). One goroutine accepts at
// a time, so Serve's result comes from exactly one of them.
func (s *Server) serveFast(ctx context.Context, ln net.Listener) (bool, error) {
	tl, ok := ln.(*net.TCPListener)
	if !ok {
		return false, nil
	}
	rc, err := tl.SyscallConn()
	if err != nil {
		return false, nil
	}
	// A listener's RawConn cannot wait for a connection (its Read fails
	// with EINVAL), so the accept loop waits on a duplicate of the
	// listening socket, registered with the runtime's poller as a file.
	lf, err := dupFile(rc)
	if err != nil {
		return false, nil
	}
	wait, err := lf.SyscallConn()
	if err != nil {
		lf.Close()
		return false, nil
	}
	a := &acceptor{s: s, ctx: ctx, ln: ln, rc: rc, wait: wait, result: make(chan error, 1)}
	a.try = a.tryAccept
	a.control = func(fd uintptr) { a.tryAccept(fd) }
	// The duplicate is closed with the listener: on Shutdown or Close, when
	// ctx ends, and when Serve returns.
	ended := make(chan struct{})
	go func() {
		select {
		case <-s.done:
		case <-ctx.Done():
		case <-ended:
		}
		lf.Close()
	}()
	go a.loop()
	err = <-a.result
	close(ended)
	return true, err
}

// dupFile returns a duplicate of the listening socket in rc as a file in
// the runtime's poller. The socket is non-blocking (package net made it so,
// and the duplicate shares the flag), which os.NewFile takes as the sign to
// register it.
func dupFile(rc syscall.RawConn) (*os.File, error) {
	var fd int
	var derr error
	if err := rc.Control(func(lfd uintptr) {
		fd, derr = dupCloexec(int(lfd))
	}); err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, os.NewSyscallError("fcntl", derr)
	}
	return os.NewFile(uintptr(fd), "tcp listener"), nil
}

// dupCloexec duplicates fd with close-on-exec set, as F_DUPFD_CLOEXEC.
func dupCloexec(fd int) (int, error) {
	r, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_DUPFD_CLOEXEC, 0)
	if errno != 0 {
		return -1, errno
	}
	return int(r), nil
}

// accept4 is syscall.Accept4; tests replace it to fail as a process out of
// file descriptors would.
var accept4 = syscall.Accept4

// acceptor is the state of serveFast's accept loop. Only the goroutine
// that currently accepts touches the fields below result.
type acceptor struct {
	s      *Server
	ctx    context.Context
	ln     net.Listener
	rc     syscall.RawConn // the listener's: accept4 without waiting
	wait   syscall.RawConn // its duplicate's: accept4, waiting when none is queued
	result chan error      // Serve's result, sent by the last accepting goroutine

	delay   time.Duration // accept backoff; 0 after a success
	try     func(fd uintptr) bool
	control func(fd uintptr)
	fd      int // tryAccept's results
	sa      syscall.Sockaddr
	err     error
}

// loop accepts connections and serves each in turn until Serve's end,
// which it sends on a.result. It returns early, without a result, when an
// exchange had to wait for its peer and a new goroutine took over.
func (a *acceptor) loop() {
	s := a.s
	for {
		select {
		case s.sem <- struct{}{}:
		case <-s.done:
			a.result <- ErrServerClosed
			return
		case <-a.ctx.Done():
			a.result <- a.ctx.Err()
			return
		}
		fd, sa, err := a.accept()
		if err != nil {
			<-s.sem
			if err := s.acceptFailed(a.ctx, a.ln, err, &a.delay); err != nil {
				a.result <- err
				return
			}
			continue
		}
		a.delay = 0
		c := &fdConn{fd: fd, a: a}
		if !s.trackConn(c) {
			syscall.Close(fd)
			<-s.sem
			a.result <- ErrServerClosed
			return
		}
		s.accepted.Add(1)
		s.serveConn(c, sockaddrPeer(sa))
		if c.handedOff {
			return
		}
	}
}

// accept returns the next connection, a non-blocking socket. It waits in
// the runtime's poller only when none is queued.
func (a *acceptor) accept() (int, syscall.Sockaddr, error) {
	// Control takes no lock on the listener: under load, when connections
	// are queued, this is all accepting costs.
	err := a.rc.Control(a.control)
	if err == nil && a.err == syscall.EAGAIN {
		err = a.wait.Read(a.try)
	}
	fd, sa, aerr := a.fd, a.sa, a.err
	a.sa = nil
	if err != nil {
		return -1, nil, err
	}
	if aerr != nil {
		return -1, nil, &net.OpError{Op: "accept", Net: a.ln.Addr().Network(), Addr: a.ln.Addr(), Err: os.NewSyscallError("accept4", aerr)}
	}
	return fd, sa, nil
}

// tryAccept calls accept4 once on the listener's descriptor, again after
// an interrupted call or a connection reset while queued (as package net
// does), and reports whether it is done: false means nothing is queued.
func (a *acceptor) tryAccept(lfd uintptr) bool {
	for {
		a.fd, a.sa, a.err = accept4(int(lfd), syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC)
		if a.err != syscall.EINTR && a.err != syscall.ECONNABORTED {
			return a.err != syscall.EAGAIN
		}
	}
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

	mu     sync.Mutex
	fd     int
	closed bool
	file   *os.File  // non-nil once the exchange had to wait
	rd, wd time.Time // deadlines to give the file

	handedOff bool // a new goroutine accepts now; only the serving goroutine uses it
}

func (c *fdConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return 0, net.ErrClosed
	}
	if c.file == nil {
		n, err := syscall.Read(c.fd, p)
		for err == syscall.EINTR {
			n, err = syscall.Read(c.fd, p)
		}
		if err != syscall.EAGAIN {
			c.mu.Unlock()
			switch {
			case err != nil:
				return 0, os.NewSyscallError("read", err)
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
			m, err := syscall.Write(c.fd, p[n:])
			if err == syscall.EAGAIN {
				break
			}
			if err == syscall.EINTR {
				continue
			}
			if err != nil {
				c.mu.Unlock()
				return n, os.NewSyscallError("write", err)
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
	if !c.handedOff {
		c.handedOff = true
		go c.a.loop()
	}
	return nil
}

func (c *fdConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		return net.ErrClosed
	case c.file != nil:
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
	if err := syscall.Close(c.fd); err != nil {
		return os.NewSyscallError("close", err)
	}
	return nil
}

// sockaddrPeer returns the address accept4 gave as a netip.AddrPort, as
// net.TCPAddr.AddrPort would: an IPv4 peer on an IPv6 socket stays
// IPv4-mapped, and an IPv6 zone is the interface's name.
func sockaddrPeer(sa syscall.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *syscall.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *syscall.SockaddrInet6:
		a := netip.AddrFrom16(sa.Addr)
		if sa.ZoneId != 0 {
			zone := strconv.FormatUint(uint64(sa.ZoneId), 10)
			if ifi, err := net.InterfaceByIndex(int(sa.ZoneId)); err == nil {
				zone = ifi.Name
			}
			a = a.WithZone(zone)
		}
		return netip.AddrPortFrom(a, uint16(sa.Port))
	}
	return netip.AddrPort{}
}
