package server

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/tcplab/tcplab/internal/labproto"
)

// Why a connection ended without a normal exchange. A *PeerError wraps one
// of these (or a labproto parse error).
var (
	// ErrEmpty means the peer closed without sending anything.
	ErrEmpty = errors.New("empty connection: the peer closed without sending anything")
	// ErrTooLong means the request was longer than labproto.MaxRequest.
	ErrTooLong = errors.New("request longer than 1024 bytes")
	// ErrReadTimeout means the whole request did not arrive within the
	// read timeout.
	ErrReadTimeout = errors.New("request not complete before the read timeout")
	// ErrWriteTimeout means the reply could not be written within the
	// write timeout: the peer is not reading.
	ErrWriteTimeout = errors.New("reply not delivered before the write timeout: the peer is not reading")
	// ErrReset means the peer reset the connection.
	ErrReset = errors.New("the peer reset the connection")
	// ErrShutdown means the server was closed (Close, or Shutdown's time
	// ran out) while the exchange was in flight.
	ErrShutdown = errors.New("connection closed by the server shutting down")
	// ErrOutOfRange means the number was outside 1..100; the server
	// closes without replying, as the original does.
	ErrOutOfRange = errors.New("number outside 1..100: closed without replying, as the original does")
)

// PeerError is why the server closed a connection without a normal
// exchange: the peer, what the server was doing, and the cause.
type PeerError struct {
	// Peer is the remote address.
	Peer netip.AddrPort
	// Op is "read request", "parse request", "check number" or "write
	// reply".
	Op string
	// Got is how many bytes of the request had arrived.
	Got int
	// Err is the cause: one of the sentinels above, a labproto parse
	// error, or an I/O error.
	Err error
}

func (e *PeerError) Error() string {
	return fmt.Sprintf("peer %v: %s: %v", e.Peer, e.Op, e.Err)
}

func (e *PeerError) Unwrap() error { return e.Err }

// kind names a peer error in one word for machine-read (JSON) logs.
func kind(err error) string {
	switch {
	case errors.Is(err, ErrEmpty), errors.Is(err, labproto.ErrEmpty):
		return "empty"
	case errors.Is(err, ErrTooLong):
		return "too-long"
	case errors.Is(err, ErrReadTimeout):
		return "read-timeout"
	case errors.Is(err, ErrWriteTimeout):
		return "write-timeout"
	case errors.Is(err, ErrReset):
		return "reset"
	case errors.Is(err, ErrOutOfRange):
		return "out-of-range"
	case errors.Is(err, ErrShutdown):
		return "shutdown"
	case errors.Is(err, labproto.ErrNoComma):
		return "no-comma"
	case errors.Is(err, labproto.ErrNotNumber):
		return "not-a-number"
	case errors.Is(err, labproto.ErrInvalidUTF8):
		return "invalid-utf8"
	}
	return "io-error"
}

// connBuffers are one connection's buffers, pooled so that an exchange
// allocates nothing of its own.
type connBuffers struct {
	// req holds two bytes more than the limit: a request of exactly
	// MaxRequest bytes may be followed by "\r\n".
	req   [labproto.MaxRequest + 2]byte
	reply []byte
	lines []byte
}

var buffersPool = sync.Pool{New: func() any {
	return &connBuffers{reply: make([]byte, 0, 64), lines: make([]byte, 0, 256)}
}}

// errNotYet is what an fdConn's first Read returns while nothing has
// arrived (Linux only; see fast_linux.go), and its accept loop's accept
// when no connection is queued.
var errNotYet = errors.New("server: nothing has arrived yet")

// conn is what an exchange needs of a connection: a net.Conn, or an
// accepted socket served with system calls of its own (fdConn).
type conn interface {
	Read(p []byte) (int, error)
	Write(p []byte) (int, error)
	SetReadDeadline(t time.Time) error
	SetWriteDeadline(t time.Time) error
	Close() error
}

// serveConn runs one exchange on c, tracked by trackConn, and closes it.
// It returns false, having done nothing, when c's first read reports
// errNotYet (see fdConn): the caller serves c later.
func (s *Server) serveConn(c conn, peer netip.AddrPort) bool {
	bufs := buffersPool.Get().(*connBuffers)
	err := s.exchange(c, peer, bufs)
	if err == errNotYet {
		buffersPool.Put(bufs)
		return false
	}
	// Count before closing, so that a peer that sees the close also sees
	// the count.
	switch {
	case err == nil:
		s.answered.Add(1)
	case errors.Is(err, ErrOutOfRange):
		s.outOfRange.Add(1)
	default:
		s.failed.Add(1)
	}
	c.Close()
	s.untrackConn(c)
	<-s.sem
	buffersPool.Put(bufs)
	if err != nil {
		reason := err.Error()
		var pe *PeerError
		if errors.As(err, &pe) {
			reason = pe.Op + ": " + pe.Err.Error()
		}
		s.log.Warn("closed connection", "peer", peer.String(), "kind", kind(err), "reason", reason)
	}
	return true
}

// exchange reads the request, prints the lab's lines and writes the reply.
// A nil error means the reply was written.
func (s *Server) exchange(c conn, peer netip.AddrPort, bufs *connBuffers) error {
	lines := bufs.lines[:0]
	if s.out != nil {
		lines = AppendConnectionFrom(lines, peer)
	}
	defer func() { bufs.lines = lines[:0] }()

	req, n, err := s.readRequest(c, bufs.req[:])
	if err == errNotYet {
		return err
	}
	if err != nil {
		s.print(lines)
		return &PeerError{Peer: peer, Op: "read request", Got: n, Err: err}
	}
	m, err := labproto.ParseRequest(req)
	if err != nil {
		s.print(lines)
		return &PeerError{Peer: peer, Op: "parse request", Got: n, Err: err}
	}
	if !m.InRange() {
		if s.out != nil {
			lines = AppendOutOfRange(lines)
		}
		s.print(lines)
		return &PeerError{Peer: peer, Op: "check number " + strconv.Quote(string(m.Number)), Got: n, Err: ErrOutOfRange}
	}
	num := s.number()
	if s.out != nil {
		// Printed before the reply is sent, as the original does.
		lines = AppendExchange(lines, m.Name, m.Number, s.name, num, m.Value+int64(num))
	}
	s.print(lines)

	bufs.reply = labproto.AppendReply(bufs.reply[:0], s.name, num)
	if err := c.SetWriteDeadline(time.Now().Add(s.writeTimeout)); err != nil {
		return &PeerError{Peer: peer, Op: "write reply", Got: n, Err: err}
	}
	if _, err := c.Write(bufs.reply); err != nil {
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded):
			err = fmt.Errorf("%w (%v)", ErrWriteTimeout, s.writeTimeout)
		case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
			err = fmt.Errorf("%w before the reply was written: %v", ErrReset, err)
		case errors.Is(err, net.ErrClosed), errors.Is(err, os.ErrClosed):
			err = fmt.Errorf("%w before the reply was written", ErrShutdown)
		}
		return &PeerError{Peer: peer, Op: "write reply", Got: n, Err: err}
	}
	return nil
}

func (s *Server) print(lines []byte) {
	if s.out != nil && len(lines) > 0 {
		s.write(lines)
	}
}

// readRequest reads from c into buf until labproto.Frame says the request
// has ended, and returns it (aliasing buf) and the number of bytes read.
// The read timeout bounds the whole request, not each read, so that a
// sender of one byte per second cannot hold the connection forever.
func (s *Server) readRequest(c conn, buf []byte) ([]byte, int, error) {
	deadline := time.Now().Add(s.readTimeout)
	if err := c.SetReadDeadline(deadline); err != nil {
		return nil, 0, err
	}
	n, reads := 0, 0
	var settled []byte // the complete request while waiting the settle time
	for {
		m, err := c.Read(buf[n:])
		n += m
		if m > 0 {
			reads++
		}
		eof := errors.Is(err, io.EOF)
		if err != nil && !eof {
			if settled != nil && errors.Is(err, os.ErrDeadlineExceeded) {
				return settled, n, nil // nothing more arrived: the request is complete
			}
			return nil, n, readError(err, buf[:n], s.readTimeout)
		}
		if eof && n == 0 {
			return nil, 0, ErrEmpty
		}
		msg, d := labproto.Frame(buf[:n], reads == 1, eof)
		switch d {
		case labproto.Done:
			return msg, n, nil
		case labproto.TooLong:
			return nil, n, ErrTooLong
		case labproto.Settle:
			settled = msg
			if err := c.SetReadDeadline(earlier(time.Now().Add(s.settle), deadline)); err != nil {
				return nil, n, err
			}
		case labproto.More:
			if settled != nil {
				settled = nil
				if err := c.SetReadDeadline(deadline); err != nil {
					return nil, n, err
				}
			}
		}
	}
}

// earlier returns the earlier of two times.
func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// readError explains a failed read, naming what had arrived so far.
func readError(err error, got []byte, timeout time.Duration) error {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("%w (%v) %s", ErrReadTimeout, timeout, sofar(got))
	case errors.Is(err, syscall.ECONNRESET):
		return fmt.Errorf("%w %s", ErrReset, sofar(got))
	case errors.Is(err, net.ErrClosed), errors.Is(err, os.ErrClosed):
		return fmt.Errorf("%w %s", ErrShutdown, sofar(got))
	}
	return err
}

// sofar describes the partial request got for a log line.
func sofar(got []byte) string {
	if len(got) == 0 {
		return "with nothing received"
	}
	const max = 32
	if len(got) > max {
		return fmt.Sprintf("with %d bytes received: %s...", len(got), strconv.QuoteToASCII(string(got[:max])))
	}
	return fmt.Sprintf("with %d bytes received: %s", len(got), strconv.QuoteToASCII(string(got)))
}
