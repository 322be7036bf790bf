package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/tcplab/tcplab/internal/labproto"
)

// Prompt is what the original client prints, without a newline, before it
// reads the number from standard input.
const Prompt = "Enter the number between 1 and 100:"

// Defaults for the zero values of Config.
const (
	DefaultTimeout = 10 * time.Second
	DefaultSettle  = 50 * time.Millisecond
)

// Sentinel errors: an *Error wraps one of them.
var (
	// ErrUnreachable means no connection could be made: nothing listens
	// at the address, or no route leads there.
	ErrUnreachable = errors.New("server unreachable")
	// ErrNoReply means the server closed or reset the connection without
	// sending a reply.
	ErrNoReply = errors.New("server closed the connection without replying")
	// ErrTimeout means the exchange did not finish within the timeout.
	ErrTimeout = errors.New("timed out")
	// ErrMalformedReply means the reply is not "<name>,<number>".
	ErrMalformedReply = errors.New("malformed reply")
)

// Error is a failed exchange: the step (Op), the server's address, the
// sentinel for the kind of failure and its cause.
type Error struct {
	// Op is "connect to", "send request to", "read reply from" or "parse
	// reply from".
	Op string
	// Addr is the server's address as given.
	Addr string
	// Kind is ErrUnreachable, ErrNoReply, ErrTimeout, ErrMalformedReply or
	// the context's error.
	Kind error
	// Err is the underlying cause; it may be nil.
	Err error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("client: %s %s: %v", e.Op, e.Addr, e.Kind)
	}
	return fmt.Sprintf("client: %s %s: %v: %v", e.Op, e.Addr, e.Kind, e.Err)
}

// Unwrap returns the kind and the cause, so errors.Is matches either.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// Config is how a client exchange behaves. The zero value is the
// original's client with a 10 s timeout.
type Config struct {
	// Name is the client's name in the request; empty means
	// labproto.DefaultClientName.
	Name string
	// Timeout bounds the whole exchange, from connecting to the end of the
	// reply; zero means DefaultTimeout.
	Timeout time.Duration
	// Settle is how long a reply that arrived in pieces and already parses
	// waits for more bytes (see labproto.Frame); zero means DefaultSettle.
	Settle time.Duration
	// Dialer makes the connection; nil means a zero net.Dialer.
	Dialer *net.Dialer
	// Dial, when not nil, makes the connection instead of Dialer, with
	// net.Dialer.DialContext's signature: for a network other than the
	// kernel's, such as a user-space TCP/IP stack.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Result is one finished exchange.
type Result struct {
	// Local and Remote are the connection's addresses.
	Local, Remote netip.AddrPort
	// Request and Reply are the bytes sent and received.
	Request, Reply []byte
	// ClientName and ClientNumber are the name and the number text sent.
	ClientName, ClientNumber string
	// ServerName and ServerNumber are the reply's fields as received.
	ServerName, ServerNumber string
	// Sum is the client's number plus the server's.
	Sum int64
}

// AppendLines appends the original client's five lines to dst: Client
// Name, Server Name, Client Number, Server Number and Sum, with the
// numbers as sent and received.
func (r *Result) AppendLines(dst []byte) []byte {
	dst = append(dst, "Client Name: "...)
	dst = append(dst, r.ClientName...)
	dst = append(dst, "\nServer Name: "...)
	dst = append(dst, r.ServerName...)
	dst = append(dst, "\nClient Number: "...)
	dst = append(dst, r.ClientNumber...)
	dst = append(dst, "\nServer Number: "...)
	dst = append(dst, r.ServerNumber...)
	dst = append(dst, "\nSum: "...)
	dst = strconv.AppendInt(dst, r.Sum, 10)
	return append(dst, '\n')
}

// Exchange connects to addr ("127.0.0.1:2000", "[::1]:2000"), sends the
// request "<name>,<number>" with number exactly as given, reads the reply
// and closes the connection. number must be an integer as Python's int()
// reads it; its range is not checked, so the lab's out-of-range case can
// be shown. When ctx ends, the exchange stops at once with ctx's error as
// the Kind.
func Exchange(ctx context.Context, cfg Config, addr, number string) (*Result, error) {
	name := cfg.Name
	if name == "" {
		name = labproto.DefaultClientName
	}
	if err := labproto.CheckName(name, false); err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	v, off, ok := labproto.ParseNumber([]byte(number))
	if !ok {
		return nil, fmt.Errorf("client: number %q at byte %d: %w", number, off, labproto.ErrNotNumber)
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	settle := cfg.Settle
	if settle <= 0 {
		settle = DefaultSettle
	}
	deadline := time.Now().Add(timeout)
	dctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	dial := cfg.Dial
	if dial == nil {
		d := cfg.Dialer
		if d == nil {
			d = &net.Dialer{}
		}
		dial = d.DialContext
	}
	conn, err := dial(dctx, "tcp", addr)
	if err != nil {
		return nil, &Error{Op: "connect to", Addr: addr, Kind: dialKind(ctx, err), Err: dialCause(err, timeout)}
	}
	defer conn.Close()
	// Cancelling ctx moves the deadline into the past, which unblocks any
	// read or write at once.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if err := conn.SetDeadline(deadline); err != nil {
		return nil, &Error{Op: "connect to", Addr: addr, Kind: ErrUnreachable, Err: err}
	}

	r := &Result{
		Local:        addrPort(conn.LocalAddr()),
		Remote:       addrPort(conn.RemoteAddr()),
		Request:      labproto.AppendRequest(nil, name, number),
		ClientName:   name,
		ClientNumber: number,
	}
	if _, err := conn.Write(r.Request); err != nil {
		return nil, ioError(ctx, "send request to", addr, err, timeout)
	}
	reply, err := readReply(conn, settle, deadline)
	if err != nil {
		return nil, ioError(ctx, "read reply from", addr, err, timeout)
	}
	r.Reply = reply
	m, err := labproto.ParseReply(reply)
	if err != nil {
		return nil, &Error{Op: "parse reply from", Addr: addr, Kind: ErrMalformedReply, Err: err}
	}
	r.ServerName = string(m.Name)
	r.ServerNumber = string(m.Number)
	r.Sum = v + m.Value
	return r, nil
}

// errEmptyReply is readReply's error when the server closes having sent
// nothing.
var errEmptyReply = errors.New("end of stream before any reply byte")

// errReplyTooLong is readReply's error for a reply over the limit.
var errReplyTooLong = fmt.Errorf("reply longer than %d bytes", labproto.MaxReply)

// readReply reads the reply as the server reads a request (labproto.Frame):
// whole in one read, or ended by a newline, the server's close, the size
// limit or the settle time.
func readReply(conn net.Conn, settle time.Duration, deadline time.Time) ([]byte, error) {
	buf := make([]byte, labproto.MaxReply+2)
	n, reads := 0, 0
	var settled []byte
	for {
		m, err := conn.Read(buf[n:])
		n += m
		if m > 0 {
			reads++
		}
		eof := errors.Is(err, io.EOF)
		if err != nil && !eof {
			if settled != nil && errors.Is(err, os.ErrDeadlineExceeded) {
				return settled, nil
			}
			if n > 0 {
				return nil, fmt.Errorf("after %d bytes of reply %q: %w", n, buf[:n], err)
			}
			return nil, err
		}
		if eof && n == 0 {
			return nil, errEmptyReply
		}
		msg, d := labproto.Frame(buf[:n], reads == 1, eof)
		switch d {
		case labproto.Done:
			return append([]byte(nil), msg...), nil
		case labproto.TooLong:
			return nil, errReplyTooLong
		case labproto.Settle:
			settled = msg
			conn.SetReadDeadline(earlier(time.Now().Add(settle), deadline))
		case labproto.More:
			if settled != nil {
				settled = nil
				conn.SetReadDeadline(deadline)
			}
		}
	}
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// ioError classifies a failed send or read.
func ioError(ctx context.Context, op, addr string, err error, timeout time.Duration) error {
	switch {
	case ctx.Err() != nil:
		return &Error{Op: op, Addr: addr, Kind: ctx.Err()}
	case errors.Is(err, errReplyTooLong):
		return &Error{Op: op, Addr: addr, Kind: ErrMalformedReply, Err: err}
	case errors.Is(err, os.ErrDeadlineExceeded):
		return &Error{Op: op, Addr: addr, Kind: ErrTimeout, Err: fmt.Errorf("no reply within %v", timeout)}
	case errors.Is(err, errEmptyReply):
		return &Error{Op: op, Addr: addr, Kind: ErrNoReply}
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return &Error{Op: op, Addr: addr, Kind: ErrNoReply, Err: errors.New("connection reset")}
	}
	return &Error{Op: op, Addr: addr, Kind: ErrNoReply, Err: err}
}

// dialKind classifies a failed connect.
func dialKind(ctx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return ErrTimeout
	}
	return ErrUnreachable
}

// dialCause shortens a dial error to its cause ("connection refused"),
// since Error already names the step and the address.
func dialCause(err error, timeout time.Duration) error {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("no connection within %v", timeout)
	}
	var se *os.SyscallError
	if errors.As(err, &se) {
		return se.Err
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err
	}
	return err
}

func addrPort(a net.Addr) netip.AddrPort {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.AddrPort()
	}
	return netip.AddrPort{}
}
