package tcptest

import (
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"
)

func TestStartEcho(t *testing.T) {
	addr := Start(t, func(c net.Conn) { io.Copy(c, c) })
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, "Client of Louis,42"); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).CloseWrite()
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "Client of Louis,42" {
		t.Errorf("echo = %q, %v; want %q", got, err, "Client of Louis,42")
	}
}

// TestCleanupEndsHandlers checks that the end of a test unblocks a handler
// stuck in a read and waits for it, and that the listener is closed.
func TestCleanupEndsHandlers(t *testing.T) {
	started, returned := make(chan struct{}), make(chan error, 1)
	var addr string
	var client net.Conn // open until the handler has returned
	defer func() {
		if client != nil {
			client.Close()
		}
	}()
	t.Run("server", func(t *testing.T) {
		addr = Start(t, func(c net.Conn) {
			close(started)
			_, err := c.Read(make([]byte, 1))
			returned <- err
		})
		var err error
		if client, err = net.Dial("tcp", addr); err != nil {
			t.Fatal(err)
		}
		select {
		case <-started:
		case <-time.After(10 * time.Second):
			t.Fatal("no connection accepted in 10 s")
		}
	})
	select {
	case err := <-returned:
		if !isTimeout(err) {
			t.Errorf("handler's read ended with %v, want a timeout", err)
		}
	default:
		t.Fatal("the subtest ended before its handler returned")
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Errorf("dial %s after the test: connected, want refused", addr)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestDialSend(t *testing.T) {
	got := make(chan string, 1)
	addr := Start(t, func(c net.Conn) {
		b, _ := io.ReadAll(c)
		got <- string(b)
	})
	c := DialSend(t, addr, "Client of Louis,42")
	c.(*net.TCPConn).CloseWrite()
	select {
	case s := <-got:
		if s != "Client of Louis,42" {
			t.Errorf("server read %q, want %q", s, "Client of Louis,42")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server read nothing in 10 s")
	}
}

func TestExchange(t *testing.T) {
	addr := Start(t, func(c net.Conn) { io.WriteString(c, "reply to "+Recv(c)) })
	if got, want := Exchange(t, addr, "Client of Louis,42"), "reply to Client of Louis,42"; got != want {
		t.Errorf("Exchange = %q, want %q", got, want)
	}
}

func TestRefusedAddr(t *testing.T) {
	addr := RefusedAddr(t)
	c, err := net.Dial("tcp", addr)
	if err == nil {
		c.Close()
		t.Fatalf("dial %s: connected, want refused", addr)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial %s = %v, want connection refused", addr, err)
	}
}
