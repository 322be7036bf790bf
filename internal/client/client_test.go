package client

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tcplab/tcplab/internal/server"
	"github.com/tcplab/tcplab/internal/tcptest"
)

// startServer runs the lab's server on loopback for one test.
func startServer(t *testing.T, cfg server.Config) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { s.Serve(context.Background(), ln); close(done) }()
	t.Cleanup(func() { s.Close(); <-done })
	return ln.Addr().String()
}

func TestExchange(t *testing.T) {
	addr := startServer(t, server.Config{Rand: rand.NewPCG(3, 3)})
	want := rand.New(rand.NewPCG(3, 3)).IntN(100) + 1
	r, err := Exchange(context.Background(), Config{}, addr, " 42")
	if err != nil {
		t.Fatal(err)
	}
	if got := string(r.Request); got != "Client of Louis, 42" {
		t.Errorf("request = %q, want %q", got, "Client of Louis, 42")
	}
	lines := "Client Name: Client of Louis\n" +
		"Server Name: Server of Nuk\n" +
		"Client Number:  42\n" +
		"Server Number: " + strconv.Itoa(want) + "\n" +
		"Sum: " + strconv.Itoa(42+want) + "\n"
	if diff := cmp.Diff(lines, string(r.AppendLines(nil))); diff != "" {
		t.Errorf("lines mismatch (-want +got):\n%s", diff)
	}
	if r.Remote.String() != addr || !r.Local.Addr().IsLoopback() {
		t.Errorf("addresses %v -> %v, want loopback -> %s", r.Local, r.Remote, addr)
	}
}

func TestExchangeErrors(t *testing.T) {
	refused := tcptest.RefusedAddr(t)
	tests := []struct {
		name    string
		addr    func(t *testing.T) string
		number  string
		timeout time.Duration
		kind    error
		msg     string // a substring of the error message
	}{
		{
			name: "out of range: server closes without replying", number: "150", kind: ErrNoReply,
			addr: func(t *testing.T) string { return startServer(t, server.Config{}) },
			msg:  "server closed the connection without replying",
		},
		{
			name: "unreachable", number: "42", kind: ErrUnreachable,
			addr: func(t *testing.T) string { return refused },
			msg:  "connect to " + refused + ": server unreachable: connection refused",
		},
		{
			name: "no reply in time", number: "42", kind: ErrTimeout, timeout: 200 * time.Millisecond,
			addr: func(t *testing.T) string {
				return tcptest.Start(t, func(c net.Conn) { tcptest.Recv(c); c.Read(make([]byte, 1)) }) // silent until the client leaves
			},
			msg: "read reply from",
		},
		{
			name: "reply without comma", number: "42", kind: ErrMalformedReply,
			addr: func(t *testing.T) string {
				return tcptest.Start(t, func(c net.Conn) { tcptest.Recv(c); io.WriteString(c, "garbage") })
			},
			msg: "no comma",
		},
		{
			name: "reply number not a number", number: "42", kind: ErrMalformedReply,
			addr: func(t *testing.T) string {
				return tcptest.Start(t, func(c net.Conn) { tcptest.Recv(c); io.WriteString(c, "Server of Nuk,x") })
			},
			msg: "not a number",
		},
		{
			name: "reply too long", number: "42", kind: ErrMalformedReply,
			addr: func(t *testing.T) string {
				return tcptest.Start(t, func(c net.Conn) { tcptest.Recv(c); io.WriteString(c, strings.Repeat("S", 5000)) })
			},
			msg: "longer than 1024 bytes",
		},
		{
			name: "server resets", number: "42", kind: ErrNoReply,
			addr: func(t *testing.T) string {
				return tcptest.Start(t, func(c net.Conn) { tcptest.Recv(c); c.(*net.TCPConn).SetLinger(0) })
			},
			msg: "reset",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := tt.addr(t)
			r, err := Exchange(context.Background(), Config{Timeout: tt.timeout}, addr, tt.number)
			var ce *Error
			if !errors.Is(err, tt.kind) || !errors.As(err, &ce) {
				t.Fatalf("Exchange = %+v, %v; want an *Error of kind %v", r, err, tt.kind)
			}
			if ce.Addr != addr || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q: want address %s and %q in it", err, addr, tt.msg)
			}
		})
	}
}

// TestReplyInPieces checks that a reply arriving in pieces is read whole.
func TestReplyInPieces(t *testing.T) {
	addr := tcptest.Start(t, func(c net.Conn) {
		tcptest.Recv(c)
		for _, p := range []string{"Server of Nuk", ",1", "7"} {
			io.WriteString(c, p)
			time.Sleep(5 * time.Millisecond)
		}
	})
	r, err := Exchange(context.Background(), Config{Settle: 500 * time.Millisecond}, addr, "42")
	if err != nil {
		t.Fatal(err)
	}
	if r.ServerName != "Server of Nuk" || r.ServerNumber != "17" || r.Sum != 59 {
		t.Errorf("result = %+v, want Server of Nuk, 17, sum 59", r)
	}
}

func TestExchangeCancel(t *testing.T) {
	addr := tcptest.Start(t, func(c net.Conn) { tcptest.Recv(c); c.Read(make([]byte, 1)) }) // silent until the client leaves
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := Exchange(ctx, Config{}, addr, "42")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Exchange after cancel = %v, want context.Canceled", err)
	}
}

func TestExchangeBadNumber(t *testing.T) {
	// The address refuses connections: a bad number must fail before
	// connecting.
	_, err := Exchange(context.Background(), Config{}, "127.0.0.1:1", "abc")
	if err == nil || errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "not a number") {
		t.Errorf("Exchange with number abc = %v, want a not-a-number error before connecting", err)
	}
	if _, err := Exchange(context.Background(), Config{Name: "a\nb"}, "127.0.0.1:1", "1"); err == nil {
		t.Error("Exchange with a newline in the name = nil error")
	}
}

// TestExchangeDial checks that Config.Dial makes the connection in place
// of the Dialer, and that its errors are classified like a dial's.
func TestExchangeDial(t *testing.T) {
	addr := startServer(t, server.Config{})
	var dialed []string
	dial := func(ctx context.Context, network, a string) (net.Conn, error) {
		dialed = append(dialed, network+" "+a)
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	// The address given is not the server's: only Dial knows where to go.
	if _, err := Exchange(context.Background(), Config{Dial: dial}, "10.77.0.2:2000", "42"); err != nil {
		t.Fatalf("Exchange with Dial: %v", err)
	}
	if diff := cmp.Diff([]string{"tcp 10.77.0.2:2000"}, dialed); diff != "" {
		t.Errorf("Dial calls mismatch (-want +got):\n%s", diff)
	}
	refused := func(ctx context.Context, network, a string) (net.Conn, error) {
		return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("connection refused")}
	}
	_, err := Exchange(context.Background(), Config{Dial: refused}, "10.77.0.2:2000", "42")
	if !errors.Is(err, ErrUnreachable) {
		t.Errorf("Exchange with a refusing Dial = %v, want ErrUnreachable", err)
	}
}
