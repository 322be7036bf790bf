//go:build !windows

package listing

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/client"
	"github.com/tcplab/tcplab/internal/server"
	"github.com/tcplab/tcplab/internal/tcptest"
)

// The live parity tests capture real traffic on loopback with tcpdump and
// compare tcplab's analysis of it with tshark's.

const seedDir = "/work/shared/seed"

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startPythonServer runs the lab's original server on port and waits for
// it to listen.
func startPythonServer(t *testing.T, port int) {
	t.Helper()
	script := filepath.Join(seedDir, "original_server.py")
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "python3", "-u", script, strconv.Itoa(port))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot run %s: %v", script, err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.Contains(line, "listening") {
		t.Fatalf("original server did not start: %q, %v", line, err)
	}
	go io.Copy(io.Discard, out)
}

func runPythonClient(t *testing.T, port int, number string) {
	t.Helper()
	cmd := exec.Command("python3", filepath.Join(seedDir, "original_client.py"), strconv.Itoa(port))
	cmd.Stdin = strings.NewReader(number + "\n")
	cmd.Run() // out of range, the client fails on the empty reply: expected
}

func TestParityLabOriginals(t *testing.T) {
	needTshark(t)
	port := freePort(t)
	startPythonServer(t, port)
	file := tcpdump(t, "lo", []string{"tcp port " + strconv.Itoa(port)}, func() {
		runPythonClient(t, port, "42")
		runPythonClient(t, port, "200")
		runPythonClient(t, port, "7")
	})
	if n := compareWithTshark(t, file); n < 20 {
		t.Fatalf("only %d TCP packets captured", n)
	}
}

func replyOnce(c net.Conn) {
	c.SetDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 1024)
	n, err := c.Read(buf)
	if err != nil {
		return
	}
	c.Write(append([]byte("Server of Nuk,"), buf[:min(n, 3)]...))
}

// TestParityShortConnections opens many short connections from the same
// client port (closed with RST, so the port is reusable at once): every
// new SYN reuses the ports of the previous conversation.
func TestParityShortConnections(t *testing.T) {
	needTshark(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcptest.Serve(t, ln, replyOnce)
	port := ln.Addr().(*net.TCPAddr).Port
	cport := freePort(t)
	file := tcpdump(t, "lo", []string{"tcp port " + strconv.Itoa(port)}, func() {
		for i := range 8 {
			local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: cport}
			if i%2 == 1 {
				local = nil // and some from ephemeral ports
			}
			d := net.Dialer{LocalAddr: local, Timeout: 2 * time.Second}
			c, err := d.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Logf("dial %d: %v", i, err)
				continue
			}
			c.Write([]byte("Client of Louis," + strconv.Itoa(i)))
			buf := make([]byte, 64)
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			c.Read(buf)
			c.(*net.TCPConn).SetLinger(0)
			c.Close()
			time.Sleep(20 * time.Millisecond)
		}
	})
	compareWithTshark(t, file)
}

// TestParityResetAndRefused covers a reset by the client and a connection
// refused by a closed port.
func TestParityResetAndRefused(t *testing.T) {
	needTshark(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcptest.Serve(t, ln, func(c net.Conn) { io.Copy(io.Discard, c) })
	port := ln.Addr().(*net.TCPAddr).Port
	closed := freePort(t)
	file := tcpdump(t, "lo", []string{"tcp port " + strconv.Itoa(port) + " or tcp port " + strconv.Itoa(closed)}, func() {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte("hello"))
		time.Sleep(20 * time.Millisecond)
		c.(*net.TCPConn).SetLinger(0)
		c.Close()
		if c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(closed)); err == nil {
			c.Close()
		}
	})
	compareWithTshark(t, file)
}

// TestParityKeepAlive lets a connection idle with one-second keep-alives.
func TestParityKeepAlive(t *testing.T) {
	needTshark(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcptest.Serve(t, ln, func(c net.Conn) { io.Copy(io.Discard, c) })
	file := tcpdump(t, "lo", []string{"tcp port " + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)}, func() {
		d := net.Dialer{KeepAliveConfig: net.KeepAliveConfig{Enable: true, Idle: time.Second, Interval: time.Second, Count: 5}}
		c, err := d.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte("x"))
		time.Sleep(3500 * time.Millisecond)
		c.Close()
	})
	compareWithTshark(t, file)
}

// TestParitySlowReader fills a small receive buffer: window full, zero
// window, Linux's persist probes, window updates.
func TestParitySlowReader(t *testing.T) {
	needTshark(t)
	lc := net.ListenConfig{Control: func(network, address string, rc syscall.RawConn) error {
		var serr error
		rc.Control(func(fd uintptr) { serr = setRecvBuffer(fd, 4096) })
		return serr
	}}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcptest.Serve(t, ln, func(c net.Conn) {
		buf := make([]byte, 256)
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		time.Sleep(300 * time.Millisecond)
		for start := time.Now(); time.Since(start) < 1500*time.Millisecond; {
			if _, err := c.Read(buf); err != nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		io.Copy(io.Discard, c)
	})
	file := tcpdump(t, "lo", []string{"tcp port " + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)}, func() {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		chunk := make([]byte, 4096)
		for range 24 {
			if _, err := c.Write(chunk); err != nil {
				t.Log(err)
				break
			}
		}
		c.Close()
		time.Sleep(300 * time.Millisecond)
	})
	compareWithTshark(t, file)
}

// labExchange starts a server of the lab's reply on addr (a loopback
// address, port 0) for the test and returns its address; dialExchange
// runs the exchanges with it.
func labExchange(t *testing.T, addr string) string {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("listen %s: %v", addr, err)
	}
	tcptest.Serve(t, ln, replyOnce)
	return ln.Addr().String()
}

func dialExchange(t *testing.T, addr string, n int) {
	for i := range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte("Client of Louis," + strconv.Itoa(i+40)))
		buf := make([]byte, 64)
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		c.Read(buf)
		c.Close()
	}
}

func TestParityIPv6(t *testing.T) {
	needTshark(t)
	addr := labExchange(t, "[::1]:0")
	_, port, _ := net.SplitHostPort(addr)
	file := tcpdump(t, "lo", []string{"tcp port " + port}, func() { dialExchange(t, addr, 2) })
	compareWithTshark(t, file)
}

// TestParityAny captures on the "any" interface, in Linux cooked capture
// v1 and v2.
func TestParityAny(t *testing.T) {
	needTshark(t)
	for _, link := range []string{"LINUX_SLL", "LINUX_SLL2"} {
		t.Run(link, func(t *testing.T) {
			addr := labExchange(t, "127.0.0.1:0")
			_, port, _ := net.SplitHostPort(addr)
			file := tcpdump(t, "any", []string{"-y", link, "tcp port " + port}, func() { dialExchange(t, addr, 2) })
			compareWithTshark(t, file)
		})
	}
}

// TestParitySnapLen captures with small snap lengths: the TCP header cut
// before its window (40), inside its fixed part (50, 52), options and
// payload cut short (60, 80).
func TestParitySnapLen(t *testing.T) {
	needTshark(t)
	for _, snap := range []string{"40", "50", "52", "60", "80"} {
		t.Run(snap, func(t *testing.T) {
			addr := labExchange(t, "127.0.0.1:0")
			_, port, _ := net.SplitHostPort(addr)
			file := tcpdump(t, "lo", []string{"-s", snap, "tcp port " + port}, func() { dialExchange(t, addr, 2) })
			compareWithTshark(t, file)
		})
	}
}

// TestParityMidConnection starts the capture after the handshake.
func TestParityMidConnection(t *testing.T) {
	needTshark(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcptest.Serve(t, ln, func(c net.Conn) { io.Copy(c, c) })
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 100)
	file := tcpdump(t, "lo", []string{"tcp port " + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)}, func() {
		for range 3 {
			c.Write([]byte("ping ping"))
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			c.Read(buf)
		}
		c.Close()
	})
	compareWithTshark(t, file)
}

// TestParityUrgent sends urgent (out-of-band) data.
func TestParityUrgent(t *testing.T) {
	needTshark(t)
	if runtime.GOOS != "linux" {
		t.Skip("MSG_OOB through syscall.Sendto: linux only")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcptest.Serve(t, ln, func(c net.Conn) { c.SetDeadline(time.Now().Add(3 * time.Second)); io.Copy(io.Discard, c) })
	file := tcpdump(t, "lo", []string{"tcp port " + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)}, func() {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte("normal"))
		rc, _ := c.(*net.TCPConn).SyscallConn()
		rc.Write(func(fd uintptr) bool {
			syscall.Sendto(int(fd), []byte("!"), syscall.MSG_OOB, nil)
			return true
		})
		time.Sleep(20 * time.Millisecond)
		c.Close()
	})
	compareWithTshark(t, file)
}

// TestParityLabTcplab runs the lab exchange with tcplab's server and
// client (in range and out of range), and the original client against
// tcplab's server.
func TestParityLabTcplab(t *testing.T) {
	needTshark(t)
	srv, err := server.New(server.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.Serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); srv.Close(); <-done })
	port := ln.Addr().(*net.TCPAddr).Port
	file := tcpdump(t, "lo", []string{"tcp port " + strconv.Itoa(port)}, func() {
		if _, err := client.Exchange(ctx, client.Config{}, ln.Addr().String(), "42"); err != nil {
			t.Errorf("client.Exchange(42): %v", err)
		}
		// Out of range: the server closes without replying.
		if _, err := client.Exchange(ctx, client.Config{}, ln.Addr().String(), "200"); !errors.Is(err, client.ErrNoReply) {
			t.Errorf("client.Exchange(200) = %v, want %v", err, client.ErrNoReply)
		}
		runPythonClient(t, port, "9")
	})
	if n := compareWithTshark(t, file); n < 20 {
		t.Fatalf("only %d TCP packets captured", n)
	}
}
