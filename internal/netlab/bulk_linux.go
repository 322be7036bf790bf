//go:build linux

package netlab

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tcplab/tcplab/internal/impair"
)

// BulkTransfer sends opts.Bytes bytes from a client socket in the client
// host to a server socket in the server host, optionally capturing the
// connection with tcpdump, and waits for the whole exchange, teardown
// included: the client half-closes after the data, and the server closes
// once it has read everything.
//
// It is how tests produce impaired captures:
//
//	n, err := netlab.New(ctx, netlab.Config{Impair: spec})
//	...
//	defer n.Close()
//	res, err := n.BulkTransfer(ctx, netlab.BulkOptions{Bytes: 1 << 20, Capture: "impaired.pcap"})
//
// then read impaired.pcap with tshark or tcplab analyze.
func (n *Network) BulkTransfer(ctx context.Context, opts BulkOptions) (res BulkResult, err error) {
	if err := opts.setDefaults(); err != nil {
		return res, err
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	// Closing the network cuts the link under the sockets, which would
	// otherwise retransmit into the void until the timeout.
	ctx, cancelCause := context.WithCancelCause(ctx)
	defer cancelCause(nil)
	go func() {
		select {
		case <-n.done:
			cancelCause(fmt.Errorf("netlab: %w", ErrClosed))
		case <-ctx.Done():
		}
	}()

	dst := netip.AddrPortFrom(ServerAddr, uint16(opts.Port))
	if opts.IPv6 {
		dst = netip.AddrPortFrom(ServerAddr6, uint16(opts.Port))
	}

	if opts.Capture != "" {
		ifname := ServerIf
		if opts.CaptureAt == Client {
			ifname = ClientIf
		}
		capture, cerr := n.startTcpdump(ctx, opts.CaptureAt, ifname, opts.Capture, opts.Snaplen, "tcp port "+strconv.Itoa(opts.Port))
		if cerr != nil {
			return res, cerr
		}
		defer func() {
			if cerr := capture.stop(n.quietPeriod()); cerr != nil && err == nil {
				err = cerr
			}
			res.Capture = opts.Capture
			res.Stats = n.Stats()
		}()
	}

	srvc, closeServer, err := n.bulkServer(ctx, dst)
	if err != nil {
		return res, err
	}
	defer closeServer()
	start := time.Now()
	conn, closeClient, err := n.bulkClient(ctx, dst)
	if err != nil {
		return res, err
	}
	defer closeClient()
	if err := sendBulk(ctx, conn, opts.Bytes, &res.Sent); err != nil {
		return res, err
	}
	srv := <-srvc
	res.Elapsed = time.Since(start)
	res.Received = srv.n
	if srv.err != nil {
		return res, fmt.Errorf("netlab: bulk transfer: server: %w", ctxErr(ctx, srv.err))
	}
	if info, err := tcpInfo(conn); err == nil {
		res.RTT = time.Duration(info.Rtt) * time.Microsecond
		res.Retransmits = info.Total_retrans
		res.SegsOut = info.Segs_out
	}
	if err := conn.Close(); err != nil {
		return res, fmt.Errorf("netlab: bulk transfer: close: %w", err)
	}
	res.Stats = n.Stats()
	if res.Received != res.Sent {
		return res, fmt.Errorf("netlab: bulk transfer: server read %d bytes of %d", res.Received, res.Sent)
	}
	return res, nil
}

// setDefaults checks o and fills in the defaults of the fields left
// zero.
func (o *BulkOptions) setDefaults() error {
	if o.Bytes <= 0 {
		return fmt.Errorf("netlab: bulk transfer of %d bytes: want a positive size", o.Bytes)
	}
	if o.Port == 0 {
		o.Port = 5001
	}
	if o.Port < 1 || o.Port > 65535 {
		return fmt.Errorf("netlab: bulk transfer: port %d is out of range", o.Port)
	}
	if o.CaptureAt == 0 {
		o.CaptureAt = Server
	}
	if o.CaptureAt != Server && o.CaptureAt != Client {
		return fmt.Errorf("netlab: bulk transfer: capture at %v: want client or server", o.CaptureAt)
	}
	if o.Timeout == 0 {
		o.Timeout = 2 * time.Minute
	}
	return nil
}

// served is what the bulk transfer's server read, and why it stopped.
type served struct {
	n   int64
	err error
}

// bulkServer listens on dst in the server host and, in a goroutine,
// accepts one connection and reads it to its end, then sends what it
// read on the channel returned. Cancelling ctx closes the listener and
// cuts the read short; closeServer closes the listener.
func (n *Network) bulkServer(ctx context.Context, dst netip.AddrPort) (srvc <-chan served, closeServer func(), err error) {
	var ln net.Listener
	if err := n.Do(Server, func() error {
		var err error
		ln, err = net.Listen("tcp", dst.String())
		return err
	}); err != nil {
		return nil, nil, fmt.Errorf("netlab: bulk transfer: listen on %v: %w", dst, err)
	}
	stopAccept := context.AfterFunc(ctx, func() { ln.Close() })
	c := make(chan served, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			c <- served{err: err}
			return
		}
		defer conn.Close()
		stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
		defer stop()
		got, err := io.Copy(io.Discard, conn)
		c <- served{n: got, err: err}
	}()
	return c, func() { stopAccept(); ln.Close() }, nil
}

// bulkClient connects to dst from the client host. Cancelling ctx cuts
// the connection's I/O short; closeClient closes it.
func (n *Network) bulkClient(ctx context.Context, dst netip.AddrPort) (conn *net.TCPConn, closeClient func(), err error) {
	if err := n.Do(Client, func() error {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", dst.String())
		if err != nil {
			return err
		}
		conn = c.(*net.TCPConn)
		return nil
	}); err != nil {
		return nil, nil, fmt.Errorf("netlab: bulk transfer: connect to %v: %w", dst, err)
	}
	stopClient := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	return conn, func() { stopClient(); conn.Close() }, nil
}

// sendBulk writes size bytes of a pattern to conn, counting them in
// sent, half-closes it and waits for the server's close.
func sendBulk(ctx context.Context, conn *net.TCPConn, size int64, sent *int64) error {
	buf := make([]byte, 64<<10)
	for i := range buf {
		buf[i] = byte(i) // a pattern, so payloads are not all zero
	}
	for *sent < size {
		chunk := buf[:min(int64(len(buf)), size-*sent)]
		w, err := conn.Write(chunk)
		*sent += int64(w)
		if err != nil {
			return fmt.Errorf("netlab: bulk transfer: send after %d bytes: %w", *sent, ctxErr(ctx, err))
		}
	}
	if err := conn.CloseWrite(); err != nil {
		return fmt.Errorf("netlab: bulk transfer: half-close: %w", err)
	}
	// The server closes once it has read everything: wait for its FIN.
	if _, err := io.Copy(io.Discard, conn); err != nil {
		return fmt.Errorf("netlab: bulk transfer: wait for the server's close: %w", ctxErr(ctx, err))
	}
	return nil
}

// ctxErr prefers the context's cause (the network closed, the timeout),
// which says why I/O was cut short.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%w)", context.Cause(ctx), err)
	}
	return err
}

// tcpInfo returns the kernel's TCP_INFO for c.
func tcpInfo(c syscall.Conn) (*unix.TCPInfo, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	var info *unix.TCPInfo
	var ierr error
	if err := rc.Control(func(fd uintptr) {
		info, ierr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
	}); err != nil {
		return nil, err
	}
	return info, ierr
}

// quietPeriod is how long a capture must see no new packet before it is
// considered complete: long enough for the last frames to cross the
// bridge with its delays.
func (n *Network) quietPeriod() time.Duration {
	q := 500 * time.Millisecond
	for _, p := range []struct {
		d, j, g time.Duration
		reorder bool
	}{
		{n.spec.C2S.Delay, n.spec.C2S.Jitter, n.spec.C2S.ReorderGap, n.spec.C2S.Reorder > 0},
		{n.spec.S2C.Delay, n.spec.S2C.Jitter, n.spec.S2C.ReorderGap, n.spec.S2C.Reorder > 0},
	} {
		extra := p.d + p.j
		if p.reorder {
			extra += cmp.Or(p.g, impair.DefaultReorderGap)
		}
		q += 2 * extra
	}
	return min(q, 5*time.Second)
}

// tcpdump is a running capture.
type tcpdump struct {
	cmd    *exec.Cmd
	file   string
	stderr *lockedBuffer
	exited chan error
}

// startTcpdump starts tcpdump on ifname in host h, writing packets that
// match filter to file, and waits until it is capturing. On ifname "any"
// it writes LINUX_SLL2 frames, which name each packet's interface.
func (n *Network) startTcpdump(ctx context.Context, h Host, ifname, file string, snaplen int, filter string) (*tcpdump, error) {
	// Buffers (KiB) well above tcpdump's default 2 MiB: on a loaded
	// machine tcpdump waits for the CPU while the transfer goes on, and
	// on "any" each frame may be seen twice.
	args := []string{"-i", ifname, "-n", "-U", "--immediate-mode", "-Z", "root", "-w", file, "-B", "16384"}
	if ifname == "any" {
		args = append(args, "-y", "LINUX_SLL2", "-B", "65536")
	}
	if snaplen > 0 {
		args = append(args, "-s", strconv.Itoa(snaplen))
	}
	args = append(args, filter)
	// Not CommandContext: stop interrupts tcpdump so it flushes the file.
	cmd := n.Command(context.Background(), h, "tcpdump", args...)
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("netlab: start tcpdump: %w", err)
	}
	t := &tcpdump{cmd: cmd, file: file, stderr: &lockedBuffer{}, exited: make(chan error, 1)}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		once := sync.Once{}
		for sc.Scan() {
			t.stderr.write(sc.Text() + "\n")
			if strings.Contains(sc.Text(), "listening on") {
				once.Do(func() { close(ready) })
			}
		}
		io.Copy(io.Discard, pr)
	}()
	go func() {
		err := cmd.Wait()
		pw.Close()
		t.exited <- err
	}()
	select {
	case <-ready:
		return t, nil
	case err := <-t.exited:
		return nil, fmt.Errorf("netlab: tcpdump in %s exited before capturing: %v: %s", n.Name(h), err, strings.TrimSpace(t.stderr.String()))
	case <-time.After(10 * time.Second):
	case <-ctx.Done():
	}
	cmd.Process.Kill()
	<-t.exited
	return nil, fmt.Errorf("netlab: tcpdump in %s did not start capturing: %s", n.Name(h), strings.TrimSpace(t.stderr.String()))
}

// stop waits until the capture file has stopped growing for quiet (at
// most 10s in all), then interrupts tcpdump, which flushes and closes the
// file.
func (t *tcpdump) stop(quiet time.Duration) error {
	const poll = 50 * time.Millisecond
	var last int64 = -1
	stable := time.Duration(0)
	for waited := time.Duration(0); waited < 10*time.Second && stable < quiet; waited += poll {
		time.Sleep(poll)
		size := int64(-1)
		if fi, err := os.Stat(t.file); err == nil {
			size = fi.Size()
		}
		if size == last {
			stable += poll
		} else {
			stable, last = 0, size
		}
	}
	t.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-t.exited:
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			return fmt.Errorf("netlab: tcpdump: %w", err)
		}
		// tcpdump's last words count the kernel's drops: a capture with
		// holes must not pass for a complete one.
		if m := droppedByKernel.FindStringSubmatch(t.stderr.String()); m != nil && m[1] != "0" {
			return fmt.Errorf("netlab: tcpdump: %s packets dropped by the kernel: the capture %s is incomplete", m[1], t.file)
		}
		return nil
	case <-time.After(5 * time.Second):
		t.cmd.Process.Kill()
		<-t.exited
		return fmt.Errorf("netlab: tcpdump did not stop on interrupt: %s", strings.TrimSpace(t.stderr.String()))
	}
}

var droppedByKernel = regexp.MustCompile(`(?m)^([0-9]+) packets? dropped by kernel`)

// lockedBuffer collects tcpdump's diagnostics from one goroutine for
// another.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) write(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() < 64<<10 {
		l.b.WriteString(s)
	}
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
