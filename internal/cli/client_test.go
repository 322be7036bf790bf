package cli

import (
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tcplab/tcplab/internal/tcptest"
)

// replyServer serves on loopback until the test ends, recording each
// request (one read, as the original server does) and answering with
// reply(request).
func replyServer(t *testing.T, reply func(req string) string) (addr string, requests <-chan string) {
	t.Helper()
	reqs := make(chan string, 16)
	addr = tcptest.Start(t, func(c net.Conn) {
		req := tcptest.Recv(c)
		select {
		case reqs <- req:
		default:
		}
		io.WriteString(c, reply(req))
	})
	return addr, reqs
}

func TestClientPrompt(t *testing.T) {
	addr, reqs := replyServer(t, func(string) string { return "Server of Nuk,17" })
	tests := []struct {
		name    string
		stdin   string
		request string
		number  string
		sum     int
	}{
		{"line", "42\n", "Client of Louis,42", "42", 59},
		{"no final newline", "42", "Client of Louis,42", "42", 59},
		{"crlf", "42\r\n", "Client of Louis,42", "42", 59},
		{"spaces kept as typed", " 42 \n", "Client of Louis, 42 ", " 42 ", 59},
		{"only the first line", "5\n6\n", "Client of Louis,5", "5", 22},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errs, code := runCLIClient(t, tt.stdin, "--addr", addr)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			want := "Enter the number between 1 and 100:" +
				"Client Name: Client of Louis\nServer Name: Server of Nuk\n" +
				"Client Number: " + tt.number + "\nServer Number: 17\n" +
				fmt.Sprintf("Sum: %d\n", tt.sum)
			if diff := cmp.Diff(want, out); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			if got := <-reqs; got != tt.request {
				t.Errorf("request on the wire = %q, want %q", got, tt.request)
			}
		})
	}
}

func TestClientArgument(t *testing.T) {
	addr, reqs := replyServer(t, func(string) string { return "Server of Nuk,1" })
	// Flags after the number work too.
	out, errs, code := runCLIClient(t, "ignored\n", "100", "--addr", addr, "--name", "李旼學")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	want := "Client Name: 李旼學\nServer Name: Server of Nuk\nClient Number: 100\nServer Number: 1\nSum: 101\n"
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("stdout (-want +got):\n%s", diff)
	}
	if got := <-reqs; got != "李旼學,100" {
		t.Errorf("request = %q", got)
	}
}

// TestClientFailures checks each failure's exit status and message, and
// that no failure prints a stack trace or anything on stdout but the
// prompt.
func TestClientFailures(t *testing.T) {
	closed := tcptest.RefusedAddr(t)
	lab := startCLIServer(t, "-q")
	silent, _ := replyServer(t, func(string) string { time.Sleep(2 * time.Second); return "" })
	garbage, _ := replyServer(t, func(string) string { return "garbage" })
	tests := []struct {
		name  string
		stdin string
		args  []string
		code  int
		msg   string
	}{
		{"not a number", "", []string{"abc"}, 2, `"abc" is not a number`},
		{"not a number on stdin", "4 2\n", nil, 2, `"4 2" is not a number`},
		{"empty stdin", "", nil, 2, "standard input ended"},
		{"out of range refused", "", []string{"--addr", closed, "150"}, 2,
			"the number 150 is outside 1..100, so the lab server would close the connection without replying; add --send-out-of-range"},
		{"zero refused", "0\n", []string{"--addr", closed}, 2, "the number 0 is outside 1..100"},
		{"out of range sent", "", []string{"--addr", lab.addr, "--send-out-of-range", "150"}, 1,
			"server " + lab.addr + " closed the connection without replying: the number 150 is outside 1..100, so the lab server closes without answering"},
		{"unreachable", "", []string{"--addr", closed, "42"}, 1,
			"cannot connect to " + closed + ": connection refused; is the server running?"},
		{"timeout", "", []string{"--addr", silent, "--timeout", "200ms", "42"}, 1,
			"no answer from " + silent + " within 200ms (timed out waiting for the reply)"},
		{"malformed reply", "", []string{"--addr", garbage, "42"}, 1,
			"server " + garbage + " sent a malformed reply: reply at byte 7: no comma between name and number"},
		{"two numbers", "", []string{"1", "2"}, 2, "at most one NUMBER"},
		{"bad address", "", []string{"--addr", "nope", "42"}, 1, "cannot connect to nope"},
		{"bad flag", "", []string{"--bogus"}, 2, "unknown option -bogus"},
		{"bad timeout", "", []string{"--timeout", "0s", "1"}, 2, "positive duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errs, code := runCLIClient(t, tt.stdin, tt.args...)
			if code != tt.code || !strings.Contains(errs, tt.msg) {
				t.Errorf("client %q: exit %d, stderr:\n%s\nwant exit %d and %q", tt.args, code, errs, tt.code, tt.msg)
			}
			if out != "" && out != "Enter the number between 1 and 100:" {
				t.Errorf("stdout = %q, want at most the prompt", out)
			}
			if strings.Contains(errs, "goroutine ") || strings.Contains(errs, "panic") {
				t.Errorf("stack trace on stderr:\n%s", errs)
			}
		})
	}
	lab.stop(t)
	if !strings.Contains(lab.stderr.String(), "accepted=1 ") {
		t.Errorf("the lab server saw other than the one out-of-range connection:\n%s", lab.stderr)
	}
}
