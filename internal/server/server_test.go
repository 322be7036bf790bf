package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tcplab/tcplab/internal/syncbuf"
	"github.com/tcplab/tcplab/internal/tcptest"
)

// testServer is a Server serving on loopback for one test.
type testServer struct {
	*Server
	addr   string
	logs   *syncbuf.Buffer
	out    *syncbuf.Buffer
	served chan error // Serve's result
}

// start runs a Server for cfg on network ("tcp4" or "tcp6") loopback,
// logging JSON to a buffer, and stops it when the test ends.
func start(t *testing.T, cfg Config, network string) *testServer {
	t.Helper()
	host := "127.0.0.1:0"
	if network == "tcp6" {
		host = "[::1]:0"
	}
	ln, err := net.Listen(network, host)
	if err != nil {
		if network == "tcp6" {
			t.Skipf("no IPv6 loopback (%v): enable IPv6 on lo to run this test", err)
		}
		t.Fatal(err)
	}
	return startOn(t, cfg, ln)
}

// startOn is start with a listener of the test's own.
func startOn(t *testing.T, cfg Config, ln net.Listener) *testServer {
	t.Helper()
	ts := &testServer{logs: &syncbuf.Buffer{}, out: &syncbuf.Buffer{}, served: make(chan error, 1), addr: ln.Addr().String()}
	cfg.Logger = slog.New(slog.NewJSONHandler(ts.logs, nil))
	if cfg.Output == nil {
		cfg.Output = ts.out
	}
	var err error
	ts.Server, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	go func() { ts.served <- ts.Serve(context.Background(), ln) }()
	t.Cleanup(func() {
		ts.Close()
		if err := <-ts.served; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve = %v, want ErrServerClosed", err)
		}
	})
	return ts
}

// waitAccepted waits up to 10 s until the server has accepted n
// connections.
func (ts *testServer) waitAccepted(t *testing.T, n uint64) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); ts.Stats().Accepted < n; time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("server accepted %d connections in 10 s, want %d", ts.Stats().Accepted, n)
		}
	}
}

// logEntry is one JSON log line of the server.
type logEntry struct {
	Msg    string `json:"msg"`
	Peer   string `json:"peer"`
	Kind   string `json:"kind"`
	Reason string `json:"reason"`
}

// waitLog waits up to 10 s for a "closed connection" log line about peer
// and returns it.
func (ts *testServer) waitLog(t *testing.T, peer string) logEntry {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		for _, e := range ts.entries(t) {
			if e.Msg == "closed connection" && e.Peer == peer {
				return e
			}
		}
	}
	t.Fatalf("no log line about %s; logs:\n%s", peer, ts.logs)
	return logEntry{}
}

func (ts *testServer) entries(t *testing.T) []logEntry {
	t.Helper()
	var es []logEntry
	sc := bufio.NewScanner(strings.NewReader(ts.logs.String()))
	for sc.Scan() {
		var e logEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("log line %q is not JSON: %v", sc.Text(), err)
		}
		es = append(es, e)
	}
	return es
}

var replyRE = regexp.MustCompile(`^Server of Nuk,([1-9][0-9]?|100)$`)

// checkServed checks that the server answers a good request now.
func checkServed(t *testing.T, ts *testServer) {
	t.Helper()
	if got := tcptest.Exchange(t, ts.addr, "Client of Louis,42"); !replyRE.MatchString(got) {
		t.Errorf("good request while a bad peer is connected: reply %q, want %v", got, replyRE)
	}
}

// checkClosed checks that the server has closed c: a read returns end of
// stream or a reset, not data and not a timeout.
func checkClosed(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(c)
	if len(b) > 0 {
		t.Errorf("bad peer received %q, want nothing", b)
	}
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("bad peer's read = %v, want end of stream or reset", err)
	}
}

// TestBadPeers sends each kind of bad peer and checks that the server logs
// it in one line, closes its connection, and answers another client in the
// meantime.
func TestBadPeers(t *testing.T) {
	tests := []struct {
		name   string
		cfg    Config
		kind   string
		reason string // a substring of the log line's reason
		// bad misbehaves on c. It returns once the misbehaviour is under
		// way; the server's verdict is awaited after a good exchange.
		bad func(t *testing.T, c *net.TCPConn)
		// closedCheck reports whether to check that c was closed.
		closedCheck bool
	}{
		{
			name: "empty connection", kind: "empty", reason: "closed without sending anything",
			bad: func(t *testing.T, c *net.TCPConn) { c.Close() },
		},
		{
			name: "empty line", kind: "empty", reason: "empty message",
			bad:         func(t *testing.T, c *net.TCPConn) { io.WriteString(c, "\r\n") },
			closedCheck: true,
		},
		{
			name: "no comma, half-closed", kind: "no-comma", reason: `no comma between name and number: "hello"`,
			bad:         func(t *testing.T, c *net.TCPConn) { io.WriteString(c, "hello"); c.CloseWrite() },
			closedCheck: true,
		},
		{
			name: "no comma, newline", kind: "no-comma", reason: "no comma",
			bad:         func(t *testing.T, c *net.TCPConn) { io.WriteString(c, "hello\n") },
			closedCheck: true,
		},
		{
			name: "no comma, unterminated", cfg: Config{ReadTimeout: 300 * time.Millisecond},
			kind: "read-timeout", reason: `with 5 bytes received: "hello"`,
			bad:         func(t *testing.T, c *net.TCPConn) { io.WriteString(c, "hello") },
			closedCheck: true,
		},
		{
			name: "not a number", kind: "not-a-number", reason: `request at byte 16: not a number: "abc"`,
			bad:         func(t *testing.T, c *net.TCPConn) { io.WriteString(c, "Client of Louis,abc\n") },
			closedCheck: true,
		},
		{
			name: "out of range", kind: "out-of-range", reason: `check number "150"`,
			bad:         func(t *testing.T, c *net.TCPConn) { io.WriteString(c, "Client of Louis,150") },
			closedCheck: true,
		},
		{
			name: "more than 1024 bytes", kind: "too-long", reason: "longer than 1024 bytes",
			bad:         func(t *testing.T, c *net.TCPConn) { c.Write(bytes.Repeat([]byte("x"), 2000)) },
			closedCheck: true,
		},
		{
			name: "more than 1024 bytes with a comma", kind: "too-long", reason: "longer than 1024 bytes",
			bad: func(t *testing.T, c *net.TCPConn) {
				c.Write([]byte(strings.Repeat("x", 1100) + ",42"))
			},
			closedCheck: true,
		},
		{
			name: "invalid UTF-8", kind: "invalid-utf8", reason: `invalid UTF-8: "\xff,42"`,
			bad:         func(t *testing.T, c *net.TCPConn) { io.WriteString(c, "Client\xff,42") },
			closedCheck: true,
		},
		{
			name: "one byte per second", cfg: Config{ReadTimeout: 500 * time.Millisecond},
			kind: "read-timeout", reason: "request not complete before the read timeout",
			bad: func(t *testing.T, c *net.TCPConn) {
				go func() {
					for _, b := range []byte("Client of Louis,42") {
						if _, err := c.Write([]byte{b}); err != nil {
							return
						}
						time.Sleep(time.Second)
					}
				}()
			},
		},
		{
			name: "reset mid-exchange", kind: "reset", reason: "reset the connection",
			bad: func(t *testing.T, c *net.TCPConn) {
				io.WriteString(c, "Client of")
				time.Sleep(50 * time.Millisecond) // let the server read the first part
				c.SetLinger(0)                    // close sends RST
				c.Close()
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := start(t, tt.cfg, "tcp4")
			c, err := net.Dial("tcp", ts.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			peer := c.LocalAddr().String()
			tt.bad(t, c.(*net.TCPConn))
			checkServed(t, ts) // meanwhile
			e := ts.waitLog(t, peer)
			if e.Kind != tt.kind || !strings.Contains(e.Reason, tt.reason) {
				t.Errorf("log for %s: kind %q reason %q, want kind %q reason containing %q", tt.name, e.Kind, e.Reason, tt.kind, tt.reason)
			}
			if tt.closedCheck {
				checkClosed(t, c)
			}
			checkServed(t, ts) // and after
			if n := strings.Count(ts.logs.String(), peer); n != 1 {
				t.Errorf("%d log lines name %s, want 1:\n%s", n, peer, ts.logs)
			}
			st := ts.Stats()
			if st.Answered != 2 || st.OutOfRange+st.Failed != 1 {
				t.Errorf("Stats = %+v, want 2 answered and 1 failed or out of range", st)
			}
		})
	}
}

// smallSendBuffer is a listener whose connections have a small, fixed
// send buffer, so that a reply fills it quickly.
type smallSendBuffer struct{ net.Listener }

func (l smallSendBuffer) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		err = c.(*net.TCPConn).SetWriteBuffer(32 << 10)
	}
	return c, err
}

// TestPeerNeverReads checks that the write deadline ends an exchange with
// a client that never reads its reply. The reply only blocks once the
// client's receive buffer and the server's send buffer are full, so the
// buffers are made small and the server's name large.
func TestPeerNeverReads(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	checkPeerNeverReads(t, smallSendBuffer{ln})
}

// checkPeerNeverReads serves a 2 MiB server name on ln (whose accepted
// sockets must have a small send buffer) to a client with a small receive
// buffer that never reads: the write deadline must end that exchange,
// with a write-timeout log line, while another client is answered in full.
func checkPeerNeverReads(t *testing.T, ln net.Listener) {
	t.Helper()
	big := strings.Repeat("N", 2<<20)
	ts := startOn(t, Config{Name: big, WriteTimeout: time.Second, Output: io.Discard}, ln)
	d := net.Dialer{Control: func(network, address string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = setRecvBuffer(fd, 4096)
		})
		return errors.Join(err, serr)
	}}
	c, err := d.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "Client of Louis,42"); err != nil {
		t.Fatal(err)
	}
	// Meanwhile another client is answered in full.
	if got := tcptest.Exchange(t, ts.addr, "Client of Louis,42"); !strings.HasPrefix(got, big+",") {
		t.Errorf("good client got %d bytes, want the %d-byte name and a number", len(got), len(big))
	}
	e := ts.waitLog(t, c.LocalAddr().String())
	if e.Kind != "write-timeout" || !strings.Contains(e.Reason, "the peer is not reading") {
		t.Errorf("log: kind %q reason %q, want write-timeout", e.Kind, e.Reason)
	}
}

// TestFragmented sends requests in pieces and checks that the server
// waits for the whole number before it answers.
func TestFragmented(t *testing.T) {
	// A long settle time, so that a busy test machine cannot stretch the
	// gap between two pieces beyond it.
	ts := start(t, Config{Settle: 500 * time.Millisecond, Rand: rand.NewPCG(1, 2)}, "tcp4")
	onePerWrite := func(s string) []string { return strings.Split(s, "") }
	tests := []struct {
		name      string
		pieces    []string
		halfClose bool
		number    string // Client_number as printed
	}{
		{name: "one byte at a time, settle ends it", pieces: onePerWrite("Client of Louis,42"), number: "42"},
		{name: "one byte at a time, half-close ends it", pieces: onePerWrite("Client of Louis,42"), halfClose: true, number: "42"},
		{name: "one byte at a time, Chinese name", pieces: onePerWrite("李旼學,7"), number: "7"},
		{name: "split at the comma", pieces: []string{"Client of Louis", ",42"}, number: "42"},
		{name: "split after the comma", pieces: []string{"Client of Louis,", "42"}, number: "42"},
		{name: "split inside a character", pieces: []string{"李\xe6\x97", "\xbc學,99"}, number: "99"},
		{name: "newline ends it", pieces: []string{"Client of Louis,4", "2\n"}, number: "42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := net.Dial("tcp", ts.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			for _, p := range tt.pieces {
				if _, err := io.WriteString(c, p); err != nil {
					t.Fatal(err)
				}
				time.Sleep(2 * time.Millisecond) // separate segments, separate reads
			}
			if tt.halfClose {
				c.(*net.TCPConn).CloseWrite()
			}
			reply, err := io.ReadAll(c)
			if err != nil || !replyRE.Match(reply) {
				t.Fatalf("reply %q, %v; want %v", reply, err, replyRE)
			}
			want := fmt.Sprintf("Client_number: %s\n", tt.number)
			syncbuf.WaitFor(t, "the server's output", ts.out, regexp.MustCompile(regexp.QuoteMeta(want)))
		})
	}
}

// TestLines checks the exact lines of one exchange against the original's
// format.
func TestLines(t *testing.T) {
	ts := start(t, Config{Rand: rand.NewPCG(7, 7)}, "tcp4")
	want := rand.New(rand.NewPCG(7, 7)).IntN(100) + 1
	c, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	port := c.LocalAddr().(*net.TCPAddr).Port
	io.WriteString(c, "李旼學, 42")
	reply, _ := io.ReadAll(c)
	c.Close()
	if got, w := string(reply), fmt.Sprintf("Server of Nuk,%d", want); got != w {
		t.Errorf("reply = %q, want %q", got, w)
	}
	lines := fmt.Sprintf("listening on %s\n"+
		"Connection from ('127.0.0.1', %d)\n"+
		"Client_name: 李旼學\n"+
		"Server_name: Server of Nuk\n"+
		"Client_number:  42\n"+
		"Server_number: %d\n"+
		"Sum: %d\n", ts.addr, port, want, 42+want)
	if diff := cmp.Diff(lines, ts.out.String()); diff != "" {
		t.Errorf("lines mismatch (-want +got):\n%s", diff)
	}
}

func TestConnectionFrom(t *testing.T) {
	tests := []struct {
		peer string
		want string
	}{
		{"127.0.0.1:59765", "Connection from ('127.0.0.1', 59765)\n"},
		{"[::1]:59765", "Connection from ('::1', 59765, 0, 0)\n"},
		{"[::ffff:127.0.0.1]:2", "Connection from ('::ffff:127.0.0.1', 2, 0, 0)\n"},
		{"[fe80::1%7]:3", "Connection from ('fe80::1', 3, 0, 7)\n"},
	}
	for _, tt := range tests {
		if got := string(AppendConnectionFrom(nil, netip.MustParseAddrPort(tt.peer))); got != tt.want {
			t.Errorf("AppendConnectionFrom(%s) = %q, want %q", tt.peer, got, tt.want)
		}
	}
}

func TestIPv6(t *testing.T) {
	ts := start(t, Config{}, "tcp6")
	c, err := net.Dial("tcp6", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	port := c.LocalAddr().(*net.TCPAddr).Port
	io.WriteString(c, "Client of Louis,42")
	reply, _ := io.ReadAll(c)
	c.Close()
	if !replyRE.Match(reply) {
		t.Errorf("reply over IPv6 = %q", reply)
	}
	if want := fmt.Sprintf("listening on %s\nConnection from ('::1', %d, 0, 0)\n", ts.addr, port); !strings.HasPrefix(ts.out.String(), want) {
		t.Errorf("output = %q, want prefix %q", ts.out, want)
	}
}

// TestConcurrent runs many exchanges at once and checks that all are
// answered and that each exchange's lines stay together.
func TestConcurrent(t *testing.T) {
	const n = 64
	ts := start(t, Config{}, "tcp4")
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", ts.addr, 5*time.Second)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			fmt.Fprintf(c, "client %d,%d", i, i%100+1)
			reply, err := io.ReadAll(c)
			if err != nil || !replyRE.Match(reply) {
				errs <- fmt.Errorf("client %d: reply %q, %v", i, reply, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if st := ts.Stats(); st.Answered != n || st.Accepted != n {
		t.Errorf("Stats = %+v, want %d accepted and answered", st, n)
	}
	block := regexp.MustCompile(`Connection from \('127\.0\.0\.1', \d+\)\nClient_name: client (\d+)\nServer_name: Server of Nuk\nClient_number: (\d+)\nServer_number: \d+\nSum: \d+\n`)
	out := strings.TrimPrefix(ts.out.String(), "listening on "+ts.addr+"\n")
	if got := len(block.FindAllString(out, -1)); got != n || block.ReplaceAllString(out, "") != "" {
		t.Errorf("output has %d whole exchange blocks, want %d and nothing else:\n%s", got, n, out)
	}
}

// TestMaxConns checks that a connection beyond the cap waits until a slot
// frees, then is served.
func TestMaxConns(t *testing.T) {
	ts := start(t, Config{MaxConns: 1}, "tcp4")
	first, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	io.WriteString(first, "Client of") // holds the only slot
	ts.waitAccepted(t, 1)

	second, err := net.Dial("tcp", ts.addr) // waits in the accept queue
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	io.WriteString(second, "second,7")
	second.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if b, err := second.Read(make([]byte, 64)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("second connection served while the first holds the only slot: %d bytes, %v", b, err)
	}
	io.WriteString(first, " Louis,42\n")
	for _, c := range []net.Conn{first, second} {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if reply, err := io.ReadAll(c); err != nil || !replyRE.Match(reply) {
			t.Errorf("reply %q, %v; want %v", reply, err, replyRE)
		}
	}
}

// TestShutdown checks that Shutdown refuses new connections, lets an
// exchange in flight finish and returns nil.
func TestShutdown(t *testing.T) {
	ts := start(t, Config{}, "tcp4")
	c, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "Client of")
	ts.waitAccepted(t, 1)

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- ts.Shutdown(ctx)
	}()
	if err := <-ts.served; !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve after Shutdown = %v, want ErrServerClosed", err)
	}
	ts.served <- ErrServerClosed // for the cleanup
	if c2, err := net.Dial("tcp", ts.addr); err == nil {
		c2.Close()
		t.Error("new connection accepted during shutdown")
	}
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned %v with an exchange in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	io.WriteString(c, " Louis,42\n")
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if reply, err := io.ReadAll(c); err != nil || !replyRE.Match(reply) {
		t.Errorf("in-flight exchange: reply %q, %v", reply, err)
	}
	if err := <-done; err != nil {
		t.Errorf("Shutdown = %v, want nil", err)
	}
}

// TestShutdownTimeout checks that Shutdown gives up when its context ends
// and that Close then ends the connection left.
func TestShutdownTimeout(t *testing.T) {
	ts := start(t, Config{}, "tcp4")
	c, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "Client of") // never finished
	ts.waitAccepted(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := ts.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want context.DeadlineExceeded", err)
	}
	ts.Close()
	checkClosed(t, c)
	if e := ts.waitLog(t, c.LocalAddr().String()); e.Kind != "shutdown" {
		t.Errorf("log for a connection closed by Close: kind %q reason %q, want shutdown", e.Kind, e.Reason)
	}
}

// TestServeContext checks that Serve returns ctx.Err() when its context
// ends.
func TestServeContext(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	cancel()
	if err := <-served; !errors.Is(err, context.Canceled) {
		t.Errorf("Serve = %v, want context.Canceled", err)
	}
	if err := s.Serve(context.Background(), ln); err == nil {
		t.Error("Serve on a closed listener = nil, want an error")
	}
	s.Close()
	if err := s.Serve(context.Background(), ln); !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve after Close = %v, want ErrServerClosed", err)
	}
}

// flakyListener fails its first fails Accept calls as a process out of
// file descriptors would.
type flakyListener struct {
	net.Listener
	mu    sync.Mutex
	fails int
}

func (l *flakyListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	if l.fails > 0 {
		l.fails--
		l.mu.Unlock()
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	l.mu.Unlock()
	return l.Listener.Accept()
}

func TestAcceptBackoff(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncbuf.Buffer{}
	s, err := New(Config{Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(context.Background(), &flakyListener{Listener: ln, fails: 3}) }()
	if got := tcptest.Exchange(t, ln.Addr().String(), "Client of Louis,42"); !replyRE.MatchString(got) {
		t.Errorf("reply after accept errors = %q", got)
	}
	waits := acceptWaits(logs)
	if diff := cmp.Diff([]string{"5ms", "10ms", "20ms"}, waits); diff != "" {
		t.Errorf("accept retries (-want +got):\n%s\nlogs:\n%s", diff, logs)
	}
	s.Close()
	if err := <-served; !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve = %v", err)
	}
}

// acceptWaits returns the waits the server logged after accept failed for
// want of file descriptors, in order.
func acceptWaits(logs *syncbuf.Buffer) []string {
	var waits []string
	for line := range strings.SplitSeq(strings.TrimSpace(logs.String()), "\n") {
		var e struct {
			Msg     string `json:"msg"`
			Err     string `json:"err"`
			RetryIn string `json:"retry_in"`
		}
		json.Unmarshal([]byte(line), &e)
		if e.Msg == "accept failed; retrying" && strings.Contains(e.Err, "too many open files") {
			waits = append(waits, e.RetryIn)
		}
	}
	return waits
}

func TestNextBackoff(t *testing.T) {
	var got []time.Duration
	var d time.Duration
	for range 10 {
		d = nextBackoff(d)
		got = append(got, d)
	}
	ms := time.Millisecond
	want := []time.Duration{5 * ms, 10 * ms, 20 * ms, 40 * ms, 80 * ms, 160 * ms, 320 * ms, 640 * ms, time.Second, time.Second}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("backoff (-want +got):\n%s", diff)
	}
}

func TestNewRejects(t *testing.T) {
	for _, cfg := range []Config{
		{Name: "a,b"},
		{Name: "a\nb"},
		{MaxConns: -1},
		{AcceptLoops: -1},
		{ReadTimeout: -time.Second},
		{Settle: -1},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) = nil error, want one", cfg)
		}
	}
}

// TestSeedRepeats checks that a fixed random source gives the same server
// numbers from run to run.
func TestSeedRepeats(t *testing.T) {
	numbers := func() []string {
		ts := start(t, Config{Rand: rand.NewPCG(42, 42), Output: io.Discard}, "tcp4")
		var got []string
		for range 5 {
			got = append(got, tcptest.Exchange(t, ts.addr, "a,1"))
		}
		return got
	}
	a, b := numbers(), numbers()
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("two runs with the same seed differ (-first +second):\n%s", diff)
	}
}

func BenchmarkExchangeLines(b *testing.B) {
	peer := netip.MustParseAddrPort("127.0.0.1:59765")
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendConnectionFrom(buf[:0], peer)
		buf = AppendExchange(buf, []byte("Client of Louis"), []byte("42"), "Server of Nuk", 17, 59)
	}
}

// BenchmarkExchange measures whole exchanges over loopback, client and
// server in this process: connect, send, read the reply, close.
func BenchmarkExchange(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	s, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	go s.Serve(context.Background(), ln)
	defer s.Close()
	addr := ln.Addr().String()
	req := []byte("Client of Louis,42")
	buf := make([]byte, 64)
	b.ReportAllocs()
	for b.Loop() {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Write(req); err != nil {
			b.Fatal(err)
		}
		n := 0
		for err == nil {
			var m int
			m, err = c.Read(buf[n:])
			n += m
		}
		if !bytes.HasPrefix(buf[:n], []byte("Server of Nuk,")) {
			b.Fatalf("reply %q", buf[:n])
		}
		c.Close()
	}
}
