package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tcplab/tcplab/internal/sockstate"
	"github.com/tcplab/tcplab/internal/syncbuf"
	"github.com/tcplab/tcplab/internal/tcptest"
)

// TestFastPeerNeverReads is TestPeerNeverReads on serveFast's path (a
// bare *net.TCPListener): the reply does not fit the socket's buffers, so
// the exchange waits in the poller and the write deadline ends it, while
// other clients are answered meanwhile. Accepted sockets inherit the
// listener's small send buffer.
func TestFastPeerNeverReads(t *testing.T) {
	lc := net.ListenConfig{Control: func(network, address string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, 32<<10)
		})
		return errors.Join(err, serr)
	}}
	ln, err := lc.Listen(context.Background(), "tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	checkPeerNeverReads(t, ln)
}

// TestFastAcceptBackoff is TestAcceptBackoff on serveFast's path: accept4
// fails with EMFILE three times, the server logs and waits 5, 10 and 20 ms
// (fewer if another loop's wait covers a failure), then serves; with one
// loop and with two.
func TestFastAcceptBackoff(t *testing.T) {
	for _, loops := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d loops", loops), func(t *testing.T) {
			var mu sync.Mutex
			fails := 3
			accept4 = func(fd int) (int, netip.AddrPort, syscall.Errno) {
				mu.Lock()
				defer mu.Unlock()
				if fails > 0 {
					fails--
					return -1, netip.AddrPort{}, syscall.EMFILE
				}
				return rawAccept4(fd)
			}
			t.Cleanup(func() { accept4 = rawAccept4 })
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			logs := &syncbuf.Buffer{}
			s, err := New(Config{AcceptLoops: loops, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			served := make(chan error, 1)
			go func() { served <- s.Serve(context.Background(), ln) }()
			if got := tcptest.Exchange(t, ln.Addr().String(), "Client of Louis,42"); !replyRE.MatchString(got) {
				t.Errorf("reply after accept errors = %q", got)
			}
			waits := acceptWaits(logs)
			// The loops share the backoff: a loop failing during a wait another
			// logged waits silently, so three failures log one to three waits,
			// each twice the last.
			want := []string{"5ms", "10ms", "20ms"}
			if len(waits) == 0 || len(waits) > len(want) {
				t.Errorf("accept retries logged: %q, want 1 to 3 of %q\nlogs:\n%s", waits, want, logs)
			} else if diff := cmp.Diff(want[:len(waits)], waits); diff != "" {
				t.Errorf("accept retries (-want +got):\n%s\nlogs:\n%s", diff, logs)
			}
			s.Close()
			if err := <-served; !errors.Is(err, ErrServerClosed) {
				t.Errorf("Serve = %v", err)
			}
		})
	}
}

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// TestFastNoLeak checks that serveFast leaves no descriptor open (the
// listener's duplicate, accepted sockets) once Serve has returned, whether
// it ended by Close, by its context or after exchanges that had to wait.
func TestFastNoLeak(t *testing.T) {
	before := openFDs(t)
	for i, how := range []string{"close", "context", "close", "context"} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		s, err := New(Config{Settle: time.Millisecond, AcceptLoops: 1 + i/2*2}) // one loop, then three
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- s.Serve(ctx, ln) }()
		tcptest.Exchange(t, ln.Addr().String(), "Client of Louis,42")
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, "Client of") // waits in the poller
		time.Sleep(20 * time.Millisecond)
		io.WriteString(c, " Louis,42")
		io.ReadAll(c)
		c.Close()
		if how == "close" {
			s.Close()
		} else {
			cancel()
		}
		if err := <-served; err == nil {
			t.Errorf("%s: Serve = nil, want an error", how)
		}
		s.Close()
		cancel()
	}
	// The last connections' closes may still be under way.
	for end := time.Now().Add(5 * time.Second); openFDs(t) > before && time.Now().Before(end); {
		time.Sleep(10 * time.Millisecond)
	}
	if after := openFDs(t); after > before {
		t.Errorf("%d descriptors open before, %d after", before, after)
	}
}

// TestFastSilentPeer checks that a connection accepted before its request,
// which waits in the accept loop's epoll set, still ends with the read
// timeout when nothing comes, while other clients are answered.
func TestFastSilentPeer(t *testing.T) {
	ts := start(t, Config{ReadTimeout: 300 * time.Millisecond}, "tcp4")
	c, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := tcptest.Exchange(t, ts.addr, "Client of Louis,42"); !replyRE.MatchString(got) {
		t.Errorf("reply to another client = %q", got)
	}
	e := ts.waitLog(t, c.LocalAddr().String())
	if e.Kind != "read-timeout" || !strings.Contains(e.Reason, "nothing received") {
		t.Errorf("log: kind %q reason %q, want read-timeout with nothing received", e.Kind, e.Reason)
	}
	checkClosed(t, c)
}

// orderWriter is a server's Output that records the order of the
// exchanges by client name, and holds the exchange of client hold (in
// the accept loop that serves it) until release is closed.
type orderWriter struct {
	hold    string
	held    chan struct{} // closed when the exchange of hold writes
	release chan struct{}

	mu    sync.Mutex
	names []string
}

func (w *orderWriter) Write(p []byte) (int, error) {
	_, name, _ := strings.Cut(string(p), "Client_name: ")
	name, _, _ = strings.Cut(name, "\n")
	w.mu.Lock()
	w.names = append(w.names, name)
	w.mu.Unlock()
	if name == w.hold {
		close(w.held)
		<-w.release
	}
	return len(p), nil
}

// TestFastWaitingServedWhileAccepting checks that a connection whose
// request arrived after it was accepted is served within a few accepts,
// even while the accept queue never empties. The accept loop (one) is held in an exchange while the waiting connection's
// request arrives and 20 more connections queue with theirs; once it is
// released, the waiting connection must come within serveReadyEvery + 1
// exchanges, not after all 20.
func TestFastWaitingServedWhileAccepting(t *testing.T) {
	out := &orderWriter{hold: "X", held: make(chan struct{}), release: make(chan struct{})}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := startOn(t, Config{Output: out, AcceptLoops: 1}, ln)
	released := false
	defer func() {
		if !released {
			close(out.release)
		}
	}()
	dial := func(req string) net.Conn { return tcptest.DialSend(t, ts.addr, req) }
	w := dial("") // accepted before its request: it waits in the loop's set
	ts.waitAccepted(t, 1)
	conns := []net.Conn{w, dial("X,1")}
	select {
	case <-out.held:
	case <-time.After(10 * time.Second):
		t.Fatal("X's exchange not served in 10 s")
	}
	if _, err := io.WriteString(w, "W,2"); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		conns = append(conns, dial(fmt.Sprintf("Q%d,3", i)))
	}
	// Wait until the kernel holds all of it: W's request in its socket,
	// the 20 connections in the listener's accept queue.
	server := w.RemoteAddr().(*net.TCPAddr).AddrPort()
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		ws, _, err1 := sockstate.Lookup(server, w.LocalAddr().(*net.TCPAddr).AddrPort())
		l, _, err2 := sockstate.Lookup(server, netip.AddrPortFrom(netip.IPv4Unspecified(), 0))
		if err := errors.Join(err1, err2); err != nil {
			t.Fatal(err)
		}
		if ws.RxQueue == 3 && l.RxQueue == 20 {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("after 10 s: W's socket %+v, listener %+v; want 3 bytes to read and 20 connections queued", ws, l)
		}
	}
	close(out.release)
	released = true
	for _, c := range conns {
		if reply, err := io.ReadAll(c); err != nil || !strings.HasPrefix(string(reply), "Server of Nuk,") {
			t.Fatalf("reply %q, %v", reply, err)
		}
	}
	out.mu.Lock()
	names := out.names
	out.mu.Unlock()
	at := slices.Index(names, "W") - slices.Index(names, "X")
	if at < 1 || at > serveReadyEvery+1 {
		t.Errorf("W served %d exchanges after X, want 1 to %d; order: %v", at, serveReadyEvery+1, names)
	}
}
