package userstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"time"

	"github.com/tcplab/tcplab/internal/netlab"
)

// DefaultBulkTimeout bounds a bulk transfer whose options give no
// timeout.
const DefaultBulkTimeout = 2 * time.Minute

// BulkTransfer sends bytes from the client host to port of the server
// host and waits for the whole exchange, teardown included: the client
// half-closes after the data and the server closes once it has read
// everything, as netlab's BulkTransfer does. RTT, Retransmits and
// SegsOut come from the client's stack (its smoothed RTT, its counters)
// where netlab reads the kernel's TCP_INFO. A stalled connection ends
// the transfer with the watchdog's *StallError.
func (n *Network) BulkTransfer(ctx context.Context, bytes int64, port int, timeout time.Duration) (netlab.BulkResult, error) {
	var res netlab.BulkResult
	if bytes <= 0 {
		return res, fmt.Errorf("userstack: bulk transfer of %d bytes: want a positive size", bytes)
	}
	if timeout <= 0 {
		timeout = DefaultBulkTimeout
	}
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	defer cancelTimeout()
	ctx, cancel := n.Guard(ctx)
	defer cancel()
	ln, err := n.Listen(port)
	if err != nil {
		return res, err
	}
	defer ln.Close()
	received := make(chan readResult, 1)
	go func() { received <- drain(ctx, ln) }()
	start := time.Now()
	dst := netip.AddrPortFrom(netlab.ServerAddr, uint16(port)).String()
	c, err := n.Dial(ctx, "tcp", dst)
	if err != nil {
		ln.Close()
		<-received
		return res, fmt.Errorf("userstack: bulk transfer: %w", cause(ctx, err))
	}
	conn := c.(*Conn)
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	res.Sent, err = send(conn, bytes)
	if err == nil {
		err = conn.CloseWrite()
	}
	if err != nil {
		ln.Close()
		<-received
		return res, fmt.Errorf("userstack: bulk transfer: send: %w", cause(ctx, err))
	}
	r := <-received
	res.Elapsed = time.Since(start)
	res.Received = r.n
	if r.err != nil {
		return res, fmt.Errorf("userstack: bulk transfer: server: %w", cause(ctx, r.err))
	}
	res.RTT = conn.Info().RTT
	hs := n.HostStats(netlab.Client)
	res.Retransmits, res.SegsOut = uint32(hs.Retransmits), uint32(hs.SegmentsSent)
	// Wait for the server's FIN so that the teardown crosses the link
	// before the caller stops the captures.
	if err := waitEOF(conn); err != nil {
		return res, fmt.Errorf("userstack: bulk transfer: close: %w", cause(ctx, err))
	}
	res.Stats = n.Stats()
	if res.Received != res.Sent {
		return res, fmt.Errorf("userstack: bulk transfer: server read %d bytes of %d", res.Received, res.Sent)
	}
	return res, nil
}

// readResult is what the server side of a bulk transfer read.
type readResult struct {
	n   int64
	err error
}

// drain accepts one connection on ln, reads it to its end and closes it.
func drain(ctx context.Context, ln net.Listener) readResult {
	c, err := ln.Accept()
	if err != nil {
		return readResult{err: err}
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	n, err := io.Copy(io.Discard, c)
	return readResult{n: n, err: err}
}

// send writes bytes bytes of a repeating pattern to c.
func send(c net.Conn, bytes int64) (int64, error) {
	buf := make([]byte, 64<<10)
	for i := range buf {
		buf[i] = byte('a' + i%26)
	}
	var sent int64
	for sent < bytes {
		k, err := c.Write(buf[:min(int64(len(buf)), bytes-sent)])
		sent += int64(k)
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// waitEOF reads c until the peer's FIN.
func waitEOF(c net.Conn) error {
	var b [1]byte
	_, err := c.Read(b[:])
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err == nil {
		return errors.New("unexpected data from the server")
	}
	return err
}

// cause returns the reason ctx ended when it did (a *StallError, the
// deadline), else err.
func cause(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return err
}
