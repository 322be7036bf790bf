package tcptest

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// Serve runs handle on each connection ln accepts, each in its own
// goroutine, and closes the connection when handle returns. When the test
// ends it closes ln, sets a deadline in the past on the connections still
// open so that their blocked reads and writes return, and waits until the
// accept loop and every handler have returned.
func Serve(t testing.TB, ln net.Listener, handle func(c net.Conn)) {
	t.Helper()
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		conns  = map[net.Conn]struct{}{}
		closed bool // the test has ended
	)
	past := time.Unix(1, 0)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			if closed { // accepted just before the listener closed
				c.SetDeadline(past)
			}
			conns[c] = struct{}{}
			mu.Unlock()
			wg.Go(func() {
				defer func() {
					mu.Lock()
					delete(conns, c)
					mu.Unlock()
					c.Close()
				}()
				handle(c)
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		closed = true
		for c := range conns {
			c.SetDeadline(past)
		}
		mu.Unlock()
		wg.Wait()
	})
}

// Start listens on 127.0.0.1 at a port the kernel picks, serves handle
// there as Serve does until the test ends, and returns the address.
func Start(t testing.TB, handle func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	Serve(t, ln, handle)
	return ln.Addr().String()
}

// RefusedAddr returns an address on 127.0.0.1 where nothing listens, so
// that connecting to it is refused: a port the kernel picked for a
// listener that is closed again at once.
func RefusedAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// DialSend connects to addr, sends s, and returns the connection, which
// has a 20 s deadline for what the test does next and is closed when the
// test ends. It fails the test if the connection or the send fails.
func DialSend(t testing.TB, addr, s string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(c, s); err != nil {
		t.Fatal(err)
	}
	return c
}

// Recv returns what one read of at most 1024 bytes from c returns, as the
// lab's original server takes a request with a single recv(1024); the read
// has 10 s, and a failed read returns what arrived, possibly "".
func Recv(c net.Conn) string {
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	b := make([]byte, 1024)
	n, _ := c.Read(b)
	return string(b[:n])
}

// Exchange sends req to addr on a new connection and returns everything
// the server sends before it closes, within 10 s. It fails the test if the
// connection, the send or the read fails.
func Exchange(t testing.TB, addr, req string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	reply, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("reading the reply to %q: %v", req, err)
	}
	return string(reply)
}
