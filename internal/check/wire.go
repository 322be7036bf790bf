package check

import (
	"cmp"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

// Bounds of one exchange with the program under test.
const (
	dialTimeout  = 2 * time.Second
	replyTimeout = 2 * time.Second
)

// talk is one connection's story as a client saw it.
type talk struct {
	// Sent is what was written.
	Sent []byte
	// Reply is every byte received until the end.
	Reply []byte
	// DialErr is set when no connection was made.
	DialErr error
	// Closed means the server closed its end (FIN); Reset that it reset
	// the connection; neither means it was still open at the deadline.
	Closed, Reset bool
	// Took is from dialling to the end; Connect the dial alone.
	Took, Connect time.Duration
	// Wait is how long the reply was waited for.
	Wait time.Duration
}

// answered reports whether bytes came back.
func (t *talk) answered() bool { return len(t.Reply) > 0 }

// talkOptions shape a connection.
type talkOptions struct {
	// pieces are written one after another, pause apart, after Sent.
	pieces [][]byte
	pause  time.Duration
	// halfClose shuts the write side after sending.
	halfClose bool
	// wait is how long to wait for the end; zero means replyTimeout.
	wait time.Duration
	// dial bounds connecting; zero means dialTimeout.
	dial time.Duration
}

// exchange connects to addr, sends req and reads until the server closes
// or the wait runs out.
func exchange(ctx context.Context, addr string, req []byte, o talkOptions) *talk {
	t := &talk{}
	start := time.Now()
	d := net.Dialer{Timeout: cmp.Or(o.dial, dialTimeout)}
	c, err := d.DialContext(ctx, "tcp", addr)
	t.Connect = time.Since(start)
	if err != nil {
		t.DialErr = err
		t.Took = t.Connect
		return t
	}
	defer c.Close()
	wait := o.wait
	if wait == 0 {
		wait = replyTimeout
	}
	t.Wait = wait
	deadline := time.Now().Add(wait)
	c.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	write := func(b []byte) bool {
		if len(b) == 0 {
			return true
		}
		_, err := c.Write(b)
		t.Sent = append(t.Sent, b...)
		return err == nil
	}
	ok := write(req)
	for _, p := range o.pieces {
		if !ok || ctx.Err() != nil {
			break
		}
		sleep(ctx, o.pause)
		ok = write(p)
	}
	if o.halfClose {
		if tc, isTCP := c.(*net.TCPConn); isTCP {
			tc.CloseWrite()
		}
	}
	t.read(c)
	t.Took = time.Since(start)
	return t
}

// read reads until the end of the stream, a reset or the deadline.
func (t *talk) read(c net.Conn) {
	buf := make([]byte, 4096)
	for len(t.Reply) < 64<<10 {
		n, err := c.Read(buf)
		t.Reply = append(t.Reply, buf[:n]...)
		switch {
		case err == nil:
			continue
		case errors.Is(err, io.EOF):
			t.Closed = true
		case errors.Is(err, syscall.ECONNRESET):
			t.Reset = true
		case errors.Is(err, os.ErrDeadlineExceeded):
		}
		return
	}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// resetConn makes Close send RST instead of FIN (SO_LINGER 0).
func resetConn(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}
