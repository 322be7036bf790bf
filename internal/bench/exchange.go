package bench

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"
	"unicode/utf8"
)

// Kind is the outcome of one exchange: OK or the way it failed.
type Kind int

// The outcomes of an exchange. Each failure is counted under exactly one
// kind: the first thing that went wrong.
const (
	// OK: the server replied "<name>,<number>" with number in 1..100 and
	// closed.
	OK Kind = iota
	// ConnectRefused: the connection was refused (RST to the SYN).
	ConnectRefused
	// ConnectTimeout: the connection was not established within the
	// exchange's timeout (SYNs dropped, e.g. a full listen queue).
	ConnectTimeout
	// ConnectError: connecting failed otherwise (e.g. no local port left).
	ConnectError
	// Reset: the server reset the connection after it was established.
	Reset
	// Timeout: the request was not taken or the reply did not end within
	// the exchange's timeout.
	Timeout
	// ShortReply: the server closed before a complete reply: nothing at
	// all, or no ",<digits>" part yet.
	ShortReply
	// WrongReply: the reply is complete but not "<name>,<1..100>" (not
	// UTF-8, not a number, out of range, longer than MaxReply).
	WrongReply
	// IOError: reading or writing failed in any other way.
	IOError

	numKinds = iota
)

var kindNames = [numKinds]string{
	OK:             "ok",
	ConnectRefused: "connect_refused",
	ConnectTimeout: "connect_timeout",
	ConnectError:   "connect_error",
	Reset:          "reset",
	Timeout:        "timeout",
	ShortReply:     "short_reply",
	WrongReply:     "wrong_reply",
	IOError:        "io_error",
}

// String returns the kind's stable snake_case name, as used in JSON.
func (k Kind) String() string {
	if k < 0 || int(k) >= numKinds {
		return "kind(" + strconv.Itoa(int(k)) + ")"
	}
	return kindNames[k]
}

// FailureKinds lists every failure kind in a fixed order, for reports.
func FailureKinds() []Kind {
	ks := make([]Kind, 0, numKinds-1)
	for k := ConnectRefused; k < numKinds; k++ {
		ks = append(ks, k)
	}
	return ks
}

// MaxReply is the longest reply accepted, as the lab's client reads with one
// recv(1024).
const MaxReply = 1024

// exchanger performs exchanges for one worker, reusing its buffers.
type exchanger struct {
	addr    string
	timeout time.Duration
	dialer  net.Dialer
	reqs    [][]byte // the request for each number 1..100, index number-1
	buf     []byte
}

func newExchanger(addr, name string, timeout time.Duration) *exchanger {
	e := &exchanger{addr: addr, timeout: timeout, buf: make([]byte, MaxReply+1)}
	for n := 1; n <= 100; n++ {
		e.reqs = append(e.reqs, []byte(name+","+strconv.Itoa(n)))
	}
	return e
}

// do runs exchange number seq (the number sent cycles through 1..100). It
// returns aborted if ctx was cancelled before it ended, in which case its
// outcome says nothing about the server.
func (e *exchanger) do(ctx context.Context, seq uint64) (kind Kind, aborted bool) {
	deadline := time.Now().Add(e.timeout)
	e.dialer.Deadline = deadline
	conn, err := e.dialer.DialContext(ctx, "tcp", e.addr)
	if err != nil {
		if ctx.Err() != nil {
			return ConnectError, true
		}
		return classifyDial(err), false
	}
	// Cancelling ctx aborts blocked I/O with a deadline in the past.
	release := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	kind = e.talk(conn, deadline, seq)
	conn.Close()
	if !release() && ctx.Err() != nil && kind != OK {
		return kind, true
	}
	return kind, false
}

func (e *exchanger) talk(conn net.Conn, deadline time.Time, seq uint64) Kind {
	if err := conn.SetDeadline(deadline); err != nil {
		return classifyIO(err)
	}
	if _, err := conn.Write(e.reqs[seq%100]); err != nil {
		return classifyIO(err)
	}
	n := 0
	for n < len(e.buf) {
		m, err := conn.Read(e.buf[n:])
		n += m
		if errors.Is(err, io.EOF) {
			return checkReply(e.buf[:n])
		}
		if err != nil {
			return classifyIO(err)
		}
	}
	return WrongReply // more than MaxReply bytes
}

// checkReply classifies a reply read up to the server's close.
func checkReply(b []byte) Kind {
	i := bytes.LastIndexByte(b, ',')
	if i < 0 || i == len(b)-1 {
		return ShortReply
	}
	if i == 0 || !utf8.Valid(b) {
		return WrongReply
	}
	digits := b[i+1:]
	if len(digits) > 3 {
		return WrongReply
	}
	v := 0
	for _, c := range digits {
		if c < '0' || c > '9' {
			return WrongReply
		}
		v = v*10 + int(c-'0')
	}
	if v < 1 || v > 100 {
		return WrongReply
	}
	return OK
}

func classifyDial(err error) Kind {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return ConnectRefused
	case isTimeout(err):
		return ConnectTimeout
	case errors.Is(err, syscall.ECONNRESET):
		return Reset
	}
	return ConnectError
}

func classifyIO(err error) Kind {
	switch {
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return Reset
	case isTimeout(err):
		return Timeout
	}
	return IOError
}

func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
