//go:build linux

package netlab

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// BidiTransfer opens one connection from the client host to the server
// host and has both ends send at once: the client opts.ClientBytes, the
// server opts.ServerBytes, each reading what the other sends meanwhile.
// Each end half-closes after its data and closes once it has read the
// other's end of file. With opts.Capture set, tcpdump captures the
// connection, teardown included.
func (n *Network) BidiTransfer(ctx context.Context, opts BidiOptions) (res ConnResult, err error) {
	if opts.ClientBytes < 0 || opts.ServerBytes < 0 || opts.ClientBytes+opts.ServerBytes == 0 {
		return res, fmt.Errorf("netlab: bidi transfer of %d and %d bytes: want sizes not negative, one positive", opts.ClientBytes, opts.ServerBytes)
	}
	c, err := n.open(ctx, opts.ConnOptions, "bidi transfer")
	if err != nil {
		return res, err
	}
	defer func() { err = c.finish(&res, err) }()
	start := time.Now()
	type sent struct {
		sent, received int64
		err            error
	}
	srvc := make(chan sent, 1)
	go func() {
		s, r, err := sendAndReceive(c.server, opts.ServerBytes, 's')
		srvc <- sent{s, r, err}
	}()
	cs, cr, cerr := sendAndReceive(c.client, opts.ClientBytes, 'c')
	if cerr != nil {
		c.server.SetDeadline(time.Unix(1, 0))
	}
	srv := <-srvc
	res.Elapsed = time.Since(start)
	res.ClientSent, res.ClientReceived, res.ServerSent, res.ServerReceived = cs, cr, srv.sent, srv.received
	if cerr != nil {
		return res, fmt.Errorf("netlab: bidi transfer: client: %w", ctxErr(c.ctx, cerr))
	}
	if srv.err != nil {
		return res, fmt.Errorf("netlab: bidi transfer: server: %w", ctxErr(c.ctx, srv.err))
	}
	if cr != srv.sent || srv.received != cs {
		return res, fmt.Errorf("netlab: bidi transfer: client read %d bytes of %d, server %d of %d", cr, srv.sent, srv.received, cs)
	}
	return res, nil
}

// sendAndReceive writes size bytes of a pattern marked by who to conn and
// half-closes it, while reading conn to its end of file.
func sendAndReceive(conn *net.TCPConn, size int64, who byte) (sent, received int64, err error) {
	recvc := make(chan error, 1)
	go func() {
		var err error
		received, err = io.Copy(io.Discard, conn)
		recvc <- err
	}()
	sent, werr := writePattern(conn, size, who)
	if werr == nil {
		werr = conn.CloseWrite()
	}
	if werr != nil {
		// Unblock the reader: the connection is of no more use.
		conn.SetReadDeadline(time.Unix(1, 0))
	}
	rerr := <-recvc
	return sent, received, errors.Join(werr, rerr)
}

// writePattern writes size bytes to w: a pattern that starts with who, so
// that payloads are not all zero and each side's can be told apart.
func writePattern(w io.Writer, size int64, who byte) (int64, error) {
	var buf [16 << 10]byte
	for i := range buf {
		buf[i] = who + byte(i)
	}
	var sent int64
	for sent < size {
		m, err := w.Write(buf[:min(int64(len(buf)), size-sent)])
		sent += int64(m)
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// Exchange opens one connection from the client host to the server host
// and carries opts.Pairs request/response pairs of random sizes on it,
// some pipelined (see ExchangeOptions). A request is 8 bytes, the sizes
// of its body and of the response wanted, then its body; the server reads
// each request whole, then writes the response. The client then
// half-closes, and the server closes. With opts.Capture set, tcpdump
// captures the connection, teardown included.
func (n *Network) Exchange(ctx context.Context, opts ExchangeOptions) (res ConnResult, err error) {
	if opts.Pairs <= 0 {
		return res, fmt.Errorf("netlab: exchange of %d pairs: want a positive number", opts.Pairs)
	}
	if opts.MaxSize == 0 {
		opts.MaxSize = 32 << 10
	}
	if opts.MaxSize < 1 || opts.MaxSize > math.MaxUint32 {
		return res, fmt.Errorf("netlab: exchange: maximum size %d is out of range", opts.MaxSize)
	}
	c, err := n.open(ctx, opts.ConnOptions, "exchange")
	if err != nil {
		return res, err
	}
	defer func() { err = c.finish(&res, err) }()
	start := time.Now()
	srvc := make(chan error, 1)
	go func() { srvc <- serveRequests(c.server, opts.Pause, &res.ServerReceived, &res.ServerSent) }()
	cerr := sendRequests(c.client, opts, &res)
	if cerr != nil {
		c.server.SetDeadline(time.Unix(1, 0))
	}
	serr := <-srvc
	res.Elapsed = time.Since(start)
	if cerr != nil {
		return res, fmt.Errorf("netlab: exchange: client: %w", ctxErr(c.ctx, cerr))
	}
	if serr != nil {
		return res, fmt.Errorf("netlab: exchange: server: %w", ctxErr(c.ctx, serr))
	}
	if res.ClientReceived != res.ServerSent || res.ServerReceived != res.ClientSent {
		return res, fmt.Errorf("netlab: exchange: client read %d bytes of %d, server %d of %d", res.ClientReceived, res.ServerSent, res.ServerReceived, res.ClientSent)
	}
	return res, nil
}

// request is one request's body size and the size of the response wanted.
type request struct{ body, response int }

// plan draws the requests of an exchange, in batches sent back to back.
func plan(opts ExchangeOptions) [][]request {
	r := rand.New(rand.NewPCG(opts.Seed, 0x7c1ab))
	size := func() int {
		// Log-uniform between 1 and MaxSize.
		return min(opts.MaxSize, int(math.Exp(r.Float64()*math.Log(float64(opts.MaxSize)+1))))
	}
	var batches [][]request
	for left := opts.Pairs; left > 0; {
		k := 1
		if opts.Pipeline > 1 {
			k = 1 + r.IntN(opts.Pipeline)
		}
		k = min(k, left)
		left -= k
		b := make([]request, k)
		for i := range b {
			b[i] = request{size(), size()}
		}
		batches = append(batches, b)
	}
	return batches
}

// sendRequests is the client's side of Exchange: it writes each batch of
// requests while reading the previous one's responses, and half-closes
// after the last. It counts into res.
func sendRequests(conn *net.TCPConn, opts ExchangeOptions, res *ConnResult) error {
	batches := plan(opts)
	// The reader takes each batch as it is written, and says when its
	// responses are in, so that the next batch waits for them.
	written := make(chan []request, 1)
	readc := make(chan error, 2)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for b := range written {
			for _, rq := range b {
				time.Sleep(opts.Pause)
				m, err := io.CopyN(io.Discard, conn, int64(rq.response))
				res.ClientReceived += m
				if err != nil {
					readc <- fmt.Errorf("response %d: %w", res.Pairs+1, err)
					return
				}
				res.Pairs++
			}
			readc <- nil
		}
	}()
	var werr error
	for i, b := range batches {
		if i > 0 {
			if werr = <-readc; werr != nil {
				break
			}
		}
		written <- b // read the responses while writing the requests
		if werr = writeRequests(conn, b, &res.ClientSent); werr != nil {
			break
		}
	}
	close(written)
	if werr == nil {
		if werr = <-readc; werr == nil {
			werr = conn.CloseWrite()
		}
	}
	if werr != nil {
		conn.SetDeadline(time.Unix(1, 0))
	}
	<-done // the reader is done with res
	if werr != nil {
		return werr
	}
	// The server closes once it has read the end of the requests.
	rest, err := io.Copy(io.Discard, conn)
	res.ClientReceived += rest
	return err
}

// writeRequests writes a batch of requests to w, counting into sent.
func writeRequests(w io.Writer, batch []request, sent *int64) error {
	for _, rq := range batch {
		var hdr [8]byte
		binary.BigEndian.PutUint32(hdr[:], uint32(rq.body))
		binary.BigEndian.PutUint32(hdr[4:], uint32(rq.response))
		m, err := w.Write(hdr[:])
		*sent += int64(m)
		if err != nil {
			return err
		}
		b, err := writePattern(w, int64(rq.body), 'q')
		*sent += b
		if err != nil {
			return err
		}
	}
	return nil
}

// serveRequests is the server's side of Exchange: it answers requests
// until the client's end of file, then closes its side. It counts into
// received and sent.
func serveRequests(conn *net.TCPConn, pause time.Duration, received, sent *int64) error {
	for {
		time.Sleep(pause)
		var hdr [8]byte
		m, err := io.ReadFull(conn, hdr[:])
		*received += int64(m)
		if err == io.EOF {
			return conn.CloseWrite()
		}
		if err != nil {
			return err
		}
		body, err := io.CopyN(io.Discard, conn, int64(binary.BigEndian.Uint32(hdr[:])))
		*received += body
		if err != nil {
			return err
		}
		s, err := writePattern(conn, int64(binary.BigEndian.Uint32(hdr[4:])), 'r')
		*sent += s
		if err != nil {
			return err
		}
	}
}

// conn is an open connection between the client and server hosts, with
// its capture.
type conn struct {
	n              *Network
	ctx            context.Context
	cancel         context.CancelFunc
	client, server *net.TCPConn
	capture        *tcpdump
	file           string
	stops          []func() bool
}

// open validates opts, starts the capture, and connects a client socket
// to a server socket; what names the caller in errors. The connection's
// context ends with opts.Timeout or when the network closes, which cuts
// the sockets' I/O short. finish undoes what open did.
func (n *Network) open(ctx context.Context, opts ConnOptions, what string) (c *conn, err error) {
	if opts.Port == 0 {
		opts.Port = 5001
	}
	if opts.Port < 1 || opts.Port > 65535 {
		return nil, fmt.Errorf("netlab: %s: port %d is out of range", what, opts.Port)
	}
	if opts.CaptureAt == 0 {
		opts.CaptureAt = Server
	}
	if opts.CaptureAt != Server && opts.CaptureAt != Client {
		return nil, fmt.Errorf("netlab: %s: capture at %v: want client or server", what, opts.CaptureAt)
	}
	c = &conn{n: n, file: opts.Capture}
	c.ctx, c.cancel = n.transferContext(ctx, cmp.Or(opts.Timeout, 2*time.Minute))
	defer func() {
		if err != nil {
			c.finish(nil, err)
		}
	}()
	if opts.Capture != "" {
		ifname := map[Host]string{Server: ServerIf, Client: ClientIf}[opts.CaptureAt]
		if opts.CaptureAny {
			ifname = "any"
		}
		c.capture, err = n.startTcpdump(c.ctx, opts.CaptureAt, ifname, opts.Capture, opts.Snaplen, "tcp port "+strconv.Itoa(opts.Port))
		if err != nil {
			return c, err
		}
	}
	dst := netip.AddrPortFrom(ServerAddr, uint16(opts.Port))
	if opts.IPv6 {
		dst = netip.AddrPortFrom(ServerAddr6, uint16(opts.Port))
	}
	if err := c.connect(dst, opts.RcvBuf); err != nil {
		return c, fmt.Errorf("netlab: %s: connect to %v: %w", what, dst, ctxErr(c.ctx, err))
	}
	return c, nil
}

// transferContext returns a context that ends after timeout or when the
// network closes: closing the network cuts the link under the sockets,
// which would otherwise retransmit into the void until the timeout.
func (n *Network) transferContext(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	ctx, cancelCause := context.WithCancelCause(ctx)
	go func() {
		select {
		case <-n.done:
			cancelCause(fmt.Errorf("netlab: %w", ErrClosed))
		case <-ctx.Done():
		}
	}()
	return ctx, func() { cancelCause(nil); cancel() }
}

// connect listens in the server host, dials from the client host, and
// accepts, with SO_RCVBUF set to rcvbuf on both sockets when positive.
func (c *conn) connect(dst netip.AddrPort, rcvbuf int) error {
	control := func(_, _ string, rc syscall.RawConn) error {
		if rcvbuf <= 0 {
			return nil
		}
		var serr error
		if err := rc.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, rcvbuf)
		}); err != nil {
			return err
		}
		return serr
	}
	var ln net.Listener
	if err := c.n.Do(Server, func() error {
		var err error
		ln, err = (&net.ListenConfig{Control: control}).Listen(c.ctx, "tcp", dst.String())
		return err
	}); err != nil {
		return err
	}
	defer ln.Close()
	c.stops = append(c.stops, context.AfterFunc(c.ctx, func() { ln.Close() }))
	acceptc := make(chan error, 1)
	go func() {
		s, err := ln.Accept()
		if err == nil {
			c.server = s.(*net.TCPConn)
		}
		acceptc <- err
	}()
	derr := c.n.Do(Client, func() error {
		d := net.Dialer{Control: control}
		cl, err := d.DialContext(c.ctx, "tcp", dst.String())
		if err == nil {
			c.client = cl.(*net.TCPConn)
		}
		return err
	})
	if derr != nil {
		ln.Close()
	}
	if aerr := <-acceptc; derr == nil && aerr != nil {
		return aerr
	}
	if derr != nil {
		return derr
	}
	for _, s := range []*net.TCPConn{c.client, c.server} {
		c.stops = append(c.stops, context.AfterFunc(c.ctx, func() { s.SetDeadline(time.Unix(1, 0)) }))
	}
	return nil
}

// finish closes the sockets, stops the capture once it has been quiet
// for a while (so that the teardown's last frames are in), and fills in
// res's capture and counters. It returns err, or the first error in
// closing.
func (c *conn) finish(res *ConnResult, err error) error {
	for _, stop := range c.stops {
		stop()
	}
	for _, s := range []*net.TCPConn{c.client, c.server} {
		if s != nil {
			if cerr := s.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("netlab: close: %w", cerr)
			}
		}
	}
	if c.capture != nil {
		if cerr := c.capture.stop(c.n.quietPeriod()); cerr != nil && err == nil {
			err = cerr
		}
	}
	c.cancel()
	if res != nil {
		if c.capture != nil {
			res.Capture = c.file
		}
		res.Stats = c.n.Stats()
	}
	return err
}
