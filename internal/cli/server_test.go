package cli

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
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tcplab/tcplab/internal/client"
	"github.com/tcplab/tcplab/internal/pcapio/pcaptest"
	"github.com/tcplab/tcplab/internal/privtest"
	"github.com/tcplab/tcplab/internal/sockstate"
	"github.com/tcplab/tcplab/internal/syncbuf"
	"github.com/tcplab/tcplab/internal/tcptest"
)

// cliServer is "tcplab server" running in the test through Run.
type cliServer struct {
	addr           string
	stdout, stderr *syncbuf.Buffer
	cancel         context.CancelFunc // what SIGINT/SIGTERM do in main
	done           chan error         // Run's result
}

var listeningRE = regexp.MustCompile(`listening on (\S+)\n|listening addr=(\S+)`)

// startCLIServer runs "tcplab server" with args through Run until the test
// ends, and waits until it listens.
func startCLIServer(t *testing.T, args ...string) *cliServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &cliServer{stdout: &syncbuf.Buffer{}, stderr: &syncbuf.Buffer{}, cancel: cancel, done: make(chan error, 1)}
	args = append([]string{"server", "--addr", "127.0.0.1:0"}, args...)
	go func() { s.done <- Run(ctx, args, strings.NewReader(""), s.stdout, s.stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(20 * time.Second):
			t.Errorf("server did not stop")
		}
	})
	for end := time.Now().Add(10 * time.Second); s.addr == "" && time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		for _, out := range []string{s.stdout.String(), s.stderr.String()} {
			if m := listeningRE.FindStringSubmatch(out); m != nil {
				s.addr = m[1] + m[2]
			}
		}
		select {
		case err := <-s.done:
			t.Fatalf("server exited: %v\nstderr:\n%s", err, s.stderr)
		default:
		}
	}
	if s.addr == "" {
		t.Fatalf("server never listened; stderr:\n%s", s.stderr)
	}
	return s
}

// stop cancels the server's context, as a signal would, and returns Run's
// result.
func (s *cliServer) stop(t *testing.T) error {
	t.Helper()
	s.cancel()
	select {
	case err := <-s.done:
		s.done <- err // for the cleanup
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("server did not stop within 20 s of its context ending")
		return nil
	}
}

// runClient runs "tcplab client" with args and stdin through Run.
func runCLIClient(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := Run(context.Background(), append([]string{"client"}, args...), strings.NewReader(stdin), &out, &errb)
	if err != nil {
		if msg := err.Error(); msg != "" {
			errb.WriteString("tcplab: " + msg + "\n")
		}
	}
	return out.String(), errb.String(), ExitCode(err)
}

// seededNumbers returns the first n server numbers of "--seed seed".
func seededNumbers(seed uint64, n int) []int {
	r := rand.New(rand.NewPCG(seed, seed))
	var ns []int
	for range n {
		ns = append(ns, 1+r.IntN(100))
	}
	return ns
}

func TestServerLines(t *testing.T) {
	s := startCLIServer(t, "--seed", "5")
	nums := seededNumbers(5, 2)
	out, errs, code := runCLIClient(t, "", "--addr", s.addr, "42")
	if code != 0 {
		t.Fatalf("client exit %d: %s", code, errs)
	}
	_, errs, code = runCLIClient(t, "", "--addr", s.addr, "--send-out-of-range", "150")
	if code != 1 {
		t.Fatalf("out-of-range client exit %d, want 1: %s", code, errs)
	}
	wantClient := fmt.Sprintf("Client Name: Client of Louis\nServer Name: Server of Nuk\nClient Number: 42\nServer Number: %d\nSum: %d\n", nums[0], 42+nums[0])
	if diff := cmp.Diff(wantClient, out); diff != "" {
		t.Errorf("client lines (-want +got):\n%s", diff)
	}
	syncbuf.WaitFor(t, "server output", s.stdout, regexp.MustCompile(`Closing connection\.\n`))
	got := regexp.MustCompile(`'127\.0\.0\.1', \d+\)`).ReplaceAllString(s.stdout.String(), "'127.0.0.1', PORT)")
	want := "listening on " + s.addr + "\n" +
		"Connection from ('127.0.0.1', PORT)\n" +
		"Client_name: Client of Louis\n" +
		"Server_name: Server of Nuk\n" +
		"Client_number: 42\n" +
		fmt.Sprintf("Server_number: %d\nSum: %d\n", nums[0], 42+nums[0]) +
		"Connection from ('127.0.0.1', PORT)\n" +
		"Client number is not in the range 1 to 100. Closing connection.\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("server lines (-want +got):\n%s", diff)
	}
	if err := s.stop(t); err != nil {
		t.Errorf("server Run = %v, want nil after its context ends", err)
	}
}

func TestServerQuiet(t *testing.T) {
	for _, flag := range []string{"-q", "--quiet"} {
		t.Run(flag, func(t *testing.T) {
			s := startCLIServer(t, flag)
			if _, errs, code := runCLIClient(t, "", "--addr", s.addr, "7"); code != 0 {
				t.Fatalf("client exit %d: %s", code, errs)
			}
			s.stop(t)
			if got := s.stdout.String(); got != "" {
				t.Errorf("%s: stdout = %q, want nothing", flag, got)
			}
			if !strings.Contains(s.stderr.String(), "INFO listening addr="+s.addr) {
				t.Errorf("%s: stderr lacks the listening address:\n%s", flag, s.stderr)
			}
		})
	}
}

func TestServerLogFormats(t *testing.T) {
	t.Run("text", func(t *testing.T) {
		s := startCLIServer(t)
		c := tcptest.DialSend(t, s.addr, "hello\n")
		io.ReadAll(c)
		peer := c.LocalAddr().String()
		re := regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d\.\d{3} WARN closed connection peer=` + regexp.QuoteMeta(peer) + ` kind=no-comma reason="parse request: labproto: request at byte 5: no comma between name and number: \\"hello\\""$`)
		syncbuf.WaitFor(t, "stderr", s.stderr, re)
	})
	t.Run("json", func(t *testing.T) {
		s := startCLIServer(t, "--log-format", "json")
		c := tcptest.DialSend(t, s.addr, "Client of Louis,abc\n")
		io.ReadAll(c)
		line := syncbuf.WaitFor(t, "stderr", s.stderr, regexp.MustCompile(`(?m)^(\{.*"closed connection".*\})$`))
		var e struct{ Level, Msg, Peer, Kind, Reason string }
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if e.Level != "WARN" || e.Peer != c.LocalAddr().String() || e.Kind != "not-a-number" || !strings.Contains(e.Reason, `"abc"`) {
			t.Errorf("log = %+v", e)
		}
	})
}

// waitAccepted returns once the server at addr has accepted in, a
// connection that sent part of a request, and read what it sent. It runs
// one whole exchange: the kernel queues connections for accept in the
// order their handshakes complete, so once this later one is answered, the
// earlier ones have usually been accepted. Not always: connect returns when
// the client has sent the handshake's last ACK, and on a busy machine the
// server's side may take it in after a later connection's. So on Linux it
// also waits until the server's socket of in is established with nothing
// left to read (readByServer).
func waitAccepted(t *testing.T, addr string, in net.Conn) {
	t.Helper()
	c := tcptest.DialSend(t, addr, "probe,7")
	if reply, err := io.ReadAll(c); err != nil || !bytes.HasPrefix(reply, []byte("Server of Nuk,")) {
		t.Fatalf("probe exchange: reply %q, %v", reply, err)
	}
	readByServer(t, in)
}

// readByServer waits (at most 10 s) until the server's end of c is an
// established socket whose receive queue is empty, as the kernel's socket
// table shows it: the server has accepted c and read what was sent. Where
// there is no such table (not Linux) it returns at once.
func readByServer(t *testing.T, c net.Conn) {
	t.Helper()
	client := c.LocalAddr().(*net.TCPAddr).AddrPort()
	server := c.RemoteAddr().(*net.TCPAddr).AddrPort()
	var last string
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		s, ok, err := sockstate.Lookup(server, client)
		if errors.Is(err, sockstate.ErrUnsupported) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if ok && s.State == sockstate.Established && s.RxQueue == 0 {
			return
		}
		last = fmt.Sprintf("%+v (found: %v)", s, ok)
	}
	t.Fatalf("the server has not read from %v after 10 s: its socket %s", client, last)
}

// TestServerShutdownInFlight ends the server's context, as SIGINT does,
// while an exchange is in flight, and checks that the exchange completes,
// new connections are refused, and Run returns nil (exit 0).
func TestServerShutdownInFlight(t *testing.T) {
	s := startCLIServer(t)
	c := tcptest.DialSend(t, s.addr, "Client of")
	waitAccepted(t, s.addr, c)
	s.cancel()
	// The listener closes soon after the context ends, while the
	// exchange is still in flight.
	refused := false
	for end := time.Now().Add(10 * time.Second); !refused && time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		c2, err := net.Dial("tcp", s.addr)
		if err != nil {
			refused = true
		} else {
			c2.Close()
		}
	}
	if !refused {
		t.Error("new connections still accepted 10 s after shutdown began")
	}
	io.WriteString(c, " Louis,42\n")
	reply, err := io.ReadAll(c)
	if err != nil || !regexp.MustCompile(`^Server of Nuk,\d+$`).Match(reply) {
		t.Errorf("in-flight exchange: reply %q, %v", reply, err)
	}
	if err := s.stop(t); err != nil || ExitCode(err) != 0 {
		t.Errorf("Run = %v, want nil (exit 0)", err)
	}
}

// TestServerAcceptLoops serves exchanges with several accept loops.
func TestServerAcceptLoops(t *testing.T) {
	s := startCLIServer(t, "--accept-loops", "3", "--quiet")
	for n := range 10 {
		c := tcptest.DialSend(t, s.addr, fmt.Sprintf("Client of Louis,%d", n+1))
		if reply, err := io.ReadAll(c); err != nil || !regexp.MustCompile(`^Server of Nuk,\d+$`).Match(reply) {
			t.Fatalf("exchange %d: reply %q, %v", n+1, reply, err)
		}
	}
	if err := s.stop(t); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
}

// TestServerShutdownTimeout checks that a peer that never finishes cannot
// hold the shutdown beyond --shutdown-timeout.
func TestServerShutdownTimeout(t *testing.T) {
	s := startCLIServer(t, "--shutdown-timeout", "200ms")
	c := tcptest.DialSend(t, s.addr, "Client of")
	waitAccepted(t, s.addr, c)
	if err := s.stop(t); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	if !strings.Contains(s.stderr.String(), "closing them") {
		t.Errorf("stderr does not say the last exchange was cut:\n%s", s.stderr)
	}
	if b, err := io.ReadAll(c); len(b) != 0 || err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("cut connection read %q, %v; want it closed", b, err)
	}
}

func TestServerIPv6(t *testing.T) {
	if ln, err := net.Listen("tcp6", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback (%v): enable IPv6 on lo to run this test", err)
	} else {
		ln.Close()
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, stderr := &syncbuf.Buffer{}, &syncbuf.Buffer{}
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"server", "--addr", "[::1]:0"}, strings.NewReader(""), stdout, stderr)
	}()
	addr := syncbuf.WaitFor(t, "stdout", stdout, regexp.MustCompile(`listening on (\[::1\]:\d+)\n`))
	out, errs, code := runCLIClient(t, "", "--addr", addr, "42")
	if code != 0 || !strings.Contains(out, "Server Name: Server of Nuk\n") {
		t.Fatalf("client over IPv6: exit %d, %q, %s", code, out, errs)
	}
	syncbuf.WaitFor(t, "stdout", stdout, regexp.MustCompile(`Connection from \('::1', \d+, 0, 0\)\nClient_name: Client of Louis\n`))
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
}

// TestServerConcurrentClients runs many "tcplab client" exchanges at once
// against one server; all must be answered.
func TestServerConcurrentClients(t *testing.T) {
	const n = 32
	s := startCLIServer(t, "-q")
	var wg sync.WaitGroup
	codes := make(chan string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, errs, code := runCLIClient(t, "", "--addr", s.addr, "--name", fmt.Sprint("client ", i), fmt.Sprint(i%100+1))
			if code != 0 || !strings.HasPrefix(out, fmt.Sprintf("Client Name: client %d\n", i)) {
				codes <- fmt.Sprintf("client %d: exit %d, %q, %s", i, code, out, errs)
			}
		}()
	}
	wg.Wait()
	close(codes)
	for c := range codes {
		t.Error(c)
	}
	s.stop(t)
	if !strings.Contains(s.stderr.String(), fmt.Sprintf("accepted=%d answered=%d", n, n)) {
		t.Errorf("server did not answer all %d clients:\n%s", n, s.stderr)
	}
}

func TestServerUsage(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--addr", "nope"}, 2, "missing port in address"},
		{[]string{"--name", "a,b"}, 2, "comma"},
		{[]string{"--log-format", "xml"}, 2, "want text or json"},
		{[]string{"--max-conns", "0"}, 2, "want at least 1"},
		{[]string{"--accept-loops", "0"}, 2, "--accept-loops 0: want at least 1"},
		{[]string{"--seed", "-1"}, 2, "non-negative integer"},
		{[]string{"--read-timeout", "0s"}, 2, "positive duration"},
		{[]string{"extra"}, 2, "takes no arguments"},
		{[]string{"--addr", busy.Addr().String()}, 1, "address already in use"},
		{[]string{"-h"}, 0, "usage: tcplab server"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		err := Run(context.Background(), append([]string{"server"}, tt.args...), strings.NewReader(""), &out, &errb)
		all := errb.String()
		if err != nil {
			all += err.Error()
		}
		if code := ExitCode(err); code != tt.code || !strings.Contains(all, tt.msg) {
			t.Errorf("server %q: exit %d (%v), want %d and %q in:\n%s", tt.args, code, err, tt.code, tt.msg, all)
		}
		if strings.Contains(all, "goroutine ") {
			t.Errorf("server %q printed a stack trace", tt.args)
		}
	}
}

// buildTCPLab builds the tcplab binary into dir, under a name that other
// tools' "pkill tcplab" cannot match.
func buildTCPLab(dir string) (string, error) {
	bin := filepath.Join(dir, "labserver-under-test")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/tcplab/tcplab/cmd/tcplab").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
}

// TestServerSignals runs the real binary and sends it SIGINT or SIGTERM
// with an exchange in flight: the exchange completes and the process
// exits 0.
func TestServerSignals(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM on windows")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not in PATH: cannot build the binary")
	}
	bin, err := buildTCPLab(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			stdout, stderr := &syncbuf.Buffer{}, &syncbuf.Buffer{}
			cmd := exec.Command(bin, "server", "--addr", "127.0.0.1:0")
			cmd.Stdout, cmd.Stderr = stdout, stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			defer func() {
				cmd.Process.Kill()
			}()
			addr := syncbuf.WaitFor(t, "stdout", stdout, regexp.MustCompile(`listening on (\S+)\n`))
			c := tcptest.DialSend(t, addr, "Client of")
			waitAccepted(t, addr, c)
			cmd.Process.Signal(sig)
			syncbuf.WaitFor(t, "stderr", stderr, regexp.MustCompile(`shutting down`))
			io.WriteString(c, " Louis,42")
			reply, err := io.ReadAll(c)
			if err != nil || !regexp.MustCompile(`^Server of Nuk,\d+$`).Match(reply) {
				t.Errorf("in-flight exchange after %v: reply %q, %v; stderr:\n%s", sig, reply, err, stderr)
			}
			select {
			case err := <-exited:
				if err != nil {
					t.Errorf("server exited with %v after %v, want status 0; stderr:\n%s", err, sig, stderr)
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("server still running 20 s after %v", sig)
			}
			if !strings.Contains(stdout.String(), "Client_number: 42\n") {
				t.Errorf("stdout lacks the in-flight exchange:\n%s", stdout)
			}
		})
	}
}

func TestJSONLog(t *testing.T) {
	var buf bytes.Buffer
	logger, err := newLogger(&buf, "json")
	if err != nil {
		t.Fatal(err)
	}
	logger.Info("x", "k", "v")
	var e map[string]any
	if err := json.Unmarshal(buf.Bytes(), &e); err != nil || e["k"] != "v" || e["msg"] != "x" {
		t.Errorf("json log line %q: %v", buf.Bytes(), err)
	}
}

// skipUnlessCaptureRoot skips a test that captures and reads the capture
// with tshark, naming the remedy.
func skipUnlessCaptureRoot(t *testing.T) {
	t.Helper()
	pcaptest.NeedRoot(t)
	pcaptest.NeedTools(t, "tshark")
}

// conversationLineRE parses a line of tsharkConversations.
var conversationLineRE = regexp.MustCompile(`^(c>s|s>c) (\S+) seq=(\d+)(?: ack=\d+)? len=(\d+)(?: (".*"))?$`)

// checkConversation checks that conv, one stream of tsharkConversations,
// is a whole conversation: the three-way handshake, then data that leaves
// no gap in either direction's sequence numbers, then a teardown that
// checkTeardown accepts (a FIN from each side, each acknowledged, the
// final ACK last), and no reset. It returns the bytes each side sent.
func checkConversation(conv []string) (client, server string, err error) {
	handshake := []string{"c>s SYN seq=0 len=0", "s>c SYN/ACK seq=0 ack=1 len=0", "c>s ACK seq=1 ack=1 len=0"}
	if len(conv) < len(handshake) {
		return "", "", fmt.Errorf("only %d packets", len(conv))
	}
	if d := cmp.Diff(handshake, conv[:3]); d != "" {
		return "", "", fmt.Errorf("handshake (-want +got):\n%s", d)
	}
	last := 2 // the last packet with data
	for i, p := range conv {
		m := conversationLineRE.FindStringSubmatch(p)
		if m == nil {
			return "", "", fmt.Errorf("packet %d %q: unexpected form", i+1, p)
		}
		if m[4] != "0" {
			last = i
		}
	}
	var sent [2]string // client's, server's
	for i, p := range conv[3 : last+1] {
		m := conversationLineRE.FindStringSubmatch(p)
		side := 0
		if m[1] == "s>c" {
			side = 1
		}
		if strings.Contains(m[2], "FIN") || strings.Contains(m[2], "RST") || strings.Contains(m[2], "SYN") {
			return "", "", fmt.Errorf("packet %d %q before the last data", i+4, p)
		}
		if m[4] == "0" {
			continue
		}
		if want := strconv.Itoa(1 + len(sent[side])); m[3] != want {
			return "", "", fmt.Errorf("packet %d %q: seq %s, want %s (a segment is missing)", i+4, p, m[3], want)
		}
		data, err := strconv.Unquote(m[5])
		if err != nil {
			return "", "", fmt.Errorf("packet %d %q: payload: %v", i+4, p, err)
		}
		sent[side] += data
	}
	if err := checkTeardown(conv[last+1:], 1+len(sent[0]), 1+len(sent[1])); err != nil {
		return "", "", fmt.Errorf("teardown: %v", err)
	}
	return sent[0], sent[1], nil
}

func TestCheckConversation(t *testing.T) {
	hs := []string{"c>s SYN seq=0 len=0", "s>c SYN/ACK seq=0 ack=1 len=0", "c>s ACK seq=1 ack=1 len=0"}
	whole := append(slices.Clone(hs),
		`c>s PSH/ACK seq=1 ack=1 len=4 "ab,7"`,
		"s>c ACK seq=1 ack=5 len=0",
		`s>c PSH/ACK seq=1 ack=5 len=3 "x,9"`,
		"s>c FIN/ACK seq=4 ack=5 len=0",
		"c>s FIN/ACK seq=5 ack=5 len=0",
		"s>c ACK seq=5 ack=6 len=0")
	tests := []struct {
		name string
		conv []string
		ok   bool
	}{
		{"whole", whole, true},
		{"request in two segments, no reply", append(slices.Clone(hs),
			`c>s PSH/ACK seq=1 ack=1 len=2 "ab"`,
			`c>s PSH/ACK seq=3 ack=1 len=2 ",7"`,
			"s>c FIN/ACK seq=1 ack=5 len=0",
			"c>s FIN/ACK seq=5 ack=2 len=0",
			"s>c ACK seq=2 ack=6 len=0"), true},
		{"no SYN", whole[1:], false},
		{"final ACK missing", whole[:len(whole)-1], false},
		{"a data segment missing", append(slices.Clone(hs),
			`c>s PSH/ACK seq=3 ack=1 len=2 ",7"`,
			"s>c FIN/ACK seq=1 ack=5 len=0",
			"c>s FIN/ACK seq=5 ack=2 len=0",
			"s>c ACK seq=2 ack=6 len=0"), false},
		{"reset", append(slices.Clone(whole[:6]), "c>s RST seq=5 len=0"), false},
	}
	for _, tt := range tests {
		if _, _, err := checkConversation(tt.conv); (err == nil) != tt.ok {
			t.Errorf("%s: checkConversation = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
	client, server, err := checkConversation(whole)
	if client != "ab,7" || server != "x,9" || err != nil {
		t.Errorf("checkConversation(whole) = %q, %q, %v; want \"ab,7\", \"x,9\", nil", client, server, err)
	}
}

// TestServerCapture runs "tcplab server --capture FILE" on 127.0.0.1:0,
// runs the lab's exchanges against it (in range, out of range, and one in
// flight when the context ends, as SIGINT does) while another server's
// traffic runs beside it, and checks with tshark that the file holds
// exactly the server's conversations, each whole from the handshake to
// the final ACK.
func TestServerCapture(t *testing.T) {
	skipUnlessCaptureRoot(t)
	file := filepath.Join(t.TempDir(), "server.pcapng")
	s := startCLIServer(t, "--capture", file, "--seed", "9")
	_, port, _ := net.SplitHostPort(s.addr)
	// The server draws a number for each answered exchange: 42, the
	// probe, then the exchange in flight.
	nums := seededNumbers(9, 3)
	want := syncbuf.WaitFor(t, "stderr", s.stderr, regexp.MustCompile(`INFO (capturing tcp port \d+ on lo to \S+)\n`))
	if want != "capturing tcp port "+port+" on lo to "+file {
		t.Errorf("stderr says %q, want %q", want, "capturing tcp port "+port+" on lo to "+file)
	}
	other := labPeer(t) // traffic on another port, which must not be recorded
	ctx := t.Context()
	if _, err := client.Exchange(ctx, client.Config{}, s.addr, "42"); err != nil {
		t.Fatalf("exchange 42: %v", err)
	}
	labExchange(t, other, 5)
	if _, err := client.Exchange(ctx, client.Config{}, s.addr, "150"); err == nil {
		t.Fatal("exchange 150: answered, want the server to close without replying")
	}
	// An exchange in flight when the server is told to stop.
	c := tcptest.DialSend(t, s.addr, "Client of")
	// As waitAccepted, with a client that closes its end, so that the
	// probe's conversation is whole too.
	probe, err := client.Exchange(ctx, client.Config{Name: "probe"}, s.addr, "7")
	if err != nil {
		t.Fatalf("probe exchange: %v", err)
	}
	readByServer(t, c)
	s.cancel()
	syncbuf.WaitFor(t, "stderr", s.stderr, regexp.MustCompile(`shutting down`))
	io.WriteString(c, " Louis,7\n")
	if reply, err := io.ReadAll(c); err != nil || !bytes.HasPrefix(reply, []byte("Server of Nuk,")) {
		t.Errorf("in-flight exchange: reply %q, %v", reply, err)
	}
	// A peer slow to close: longer than the capture's drain after a stop
	// (40 ms), so only the server's wait for the teardowns records its FIN
	// and the final ACK.
	time.Sleep(200 * time.Millisecond)
	c.Close()
	if err := s.stop(t); err != nil {
		t.Fatalf("server Run = %v, want nil after its context ends\n%s", err, s.stderr)
	}

	convs := tsharkConversations(t, file, port)
	wantSent := [][2]string{
		{"Client of Louis,42", fmt.Sprintf("Server of Nuk,%d", nums[0])},
		{"Client of Louis,150", ""},
		{"Client of Louis,7\n", fmt.Sprintf("Server of Nuk,%d", nums[2])}, // sent in two pieces
		{string(probe.Request), fmt.Sprintf("Server of Nuk,%d", nums[1])},
	}
	if len(convs) != len(wantSent) {
		t.Fatalf("tshark found %d conversations, want %d:\n%q", len(convs), len(wantSent), convs)
	}
	packets := 0
	for i, conv := range convs {
		packets += len(conv)
		client, server, err := checkConversation(conv)
		if err != nil {
			t.Errorf("conversation %d: %v\n%s", i, err, strings.Join(conv, "\n"))
			continue
		}
		if d := cmp.Diff(wantSent[i], [2]string{client, server}); d != "" {
			t.Errorf("conversation %d: bytes sent (-want +got):\n%s", i, d)
		}
	}
	// Only the server's port, and every packet written.
	out, err := exec.Command("tshark", "-r", file, "-T", "fields", "-e", "tcp.srcport", "-e", "tcp.dstport").Output()
	if err != nil {
		t.Fatalf("tshark -r %s: %v", file, err)
	}
	for line := range strings.Lines(string(out)) {
		if src, dst, _ := strings.Cut(strings.TrimSpace(line), "\t"); src != port && dst != port {
			t.Errorf("packet from port %s to port %s in the capture of port %s", src, dst, port)
		}
	}
	if !strings.Contains(s.stderr.String(), fmt.Sprintf("INFO wrote %s (open it with Wireshark, or: tcplab analyze %[1]s) iface=lo captured=%d received=%[2]d dropped=0\n", file, packets)) {
		t.Errorf("stderr lacks the capture's counts (%d packets, none dropped):\n%s", packets, s.stderr)
	}
}

func TestServerCaptureUsage(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "x.pcapng")
	tests := []struct {
		args []string
		msg  string
	}{
		{[]string{"--capture-iface", "lo"}, "--capture-iface lo: only with --capture FILE"},
		{[]string{"--capture", "-"}, "--capture -: the lab's lines go to standard output; name a file"},
		{[]string{"--addr", "0.0.0.0:0", "--capture", file}, "--capture with --addr 0.0.0.0:0: the server listens on every interface but tcplab captures on one: name it with --capture-iface (lo for clients on this machine; this host has: lo"},
		{[]string{"--addr", "[::]:0", "--capture", file}, "name it with --capture-iface"},
		{[]string{"--addr", ":0", "--capture", file}, "name it with --capture-iface"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		err := Run(context.Background(), append([]string{"server"}, tt.args...), strings.NewReader(""), &out, &errb)
		if code := ExitCode(err); code != 2 || err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("server %q: exit %d (%v), want 2 and %q", tt.args, code, err, tt.msg)
		}
		if out.Len() != 0 {
			t.Errorf("server %q served: %q", tt.args, out.String())
		}
	}
	if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused --capture left %s (%v)", file, err)
	}
}

// TestServerCaptureFails checks the errors of a capture that cannot
// start: the server exits 1 with a clear message and never serves.
func TestServerCaptureFails(t *testing.T) {
	skipUnlessCaptureRoot(t)
	dir := t.TempDir()
	tests := []struct {
		args []string
		msg  string
	}{
		{[]string{"--capture", filepath.Join(dir, "no", "such", "dir.pcapng")}, "--capture " + filepath.Join(dir, "no", "such", "dir.pcapng") + ": capture: open " + filepath.Join(dir, "no", "such", "dir.pcapng") + ": no such file or directory"},
		{[]string{"--capture", dir}, "is a directory"},
		{[]string{"--capture", filepath.Join(dir, "x.pcapng"), "--capture-iface", "nope0"}, `--capture ` + filepath.Join(dir, "x.pcapng") + `: capture: no interface "nope0" (this host has: lo`},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		err := Run(t.Context(), append([]string{"server", "--addr", "127.0.0.1:0"}, tt.args...), strings.NewReader(""), &out, &errb)
		if code := ExitCode(err); code != 1 || err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("server %q: exit %d (%v), want 1 and %q", tt.args, code, err, tt.msg)
		}
		if out.Len() != 0 {
			t.Errorf("server %q served: %q", tt.args, out.String())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.pcapng")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a capture that did not start left a file (%v)", err)
	}
}

// TestServerCaptureEveryInterface listens on 0.0.0.0 with --capture-iface
// lo: the exchange through 127.0.0.1 is recorded whole.
func TestServerCaptureEveryInterface(t *testing.T) {
	skipUnlessCaptureRoot(t)
	file := filepath.Join(t.TempDir(), "any.pcapng")
	port, res := capturedExchange(t, func(port string) string { return "127.0.0.1:" + port }, "--addr", "0.0.0.0:0", "--capture", file, "--capture-iface", "lo")
	oneConversation(t, file, port, res)
}

// capturedExchange runs "tcplab server" with args, which make it capture
// on lo, until it says it captures; then runs one exchange with it at
// addr(port), stops it, and returns the port and the exchange's result.
func capturedExchange(t *testing.T, addr func(port string) string, args ...string) (string, *client.Result) {
	t.Helper()
	s := startCLIServer(t, args...)
	_, port, _ := net.SplitHostPort(s.addr)
	syncbuf.WaitFor(t, "stderr", s.stderr, regexp.MustCompile(`INFO capturing tcp port `+port+` on lo to `))
	res, err := client.Exchange(t.Context(), client.Config{}, addr(port), "42")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.stop(t); err != nil {
		t.Fatalf("server Run = %v\n%s", err, s.stderr)
	}
	return port, res
}

// oneConversation checks that tshark finds one conversation on port in
// file, carrying res's request and reply, and returns its packets.
func oneConversation(t *testing.T, file, port string, res *client.Result) []string {
	t.Helper()
	convs := tsharkConversations(t, file, port)
	if len(convs) != 1 {
		t.Fatalf("tshark found %d conversations, want 1: %q", len(convs), convs)
	}
	if sent, reply, err := checkConversation(convs[0]); err != nil || sent != string(res.Request) || reply != string(res.Reply) {
		t.Errorf("conversation: sent %q, reply %q, %v; want %q, %q\n%s", sent, reply, err, res.Request, res.Reply, strings.Join(convs[0], "\n"))
	}
	return convs[0]
}

// TestServerCaptureNotPermitted runs "tcplab server --capture" in a child
// process without CAP_NET_RAW: it does not serve, exits 1, names the
// capability and the remedy, and creates no file.
func TestServerCaptureNotPermitted(t *testing.T) {
	if privtest.Mode() == "server" {
		dir, err := os.MkdirTemp("", "server-capture")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		var stdout, stderr bytes.Buffer
		err = Run(context.Background(), []string{"server", "--addr", "127.0.0.1:0", "--capture", filepath.Join(dir, "s.pcapng")}, strings.NewReader(""), &stdout, &stderr)
		entries, _ := os.ReadDir(dir)
		fmt.Printf("EXIT %d\nERROR %v\nFILES %d\nSTDOUT %q\nSTDERR %s\n", ExitCode(err), err, len(entries), stdout.String(), stderr.String())
		return
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	out, err := privtest.Rerun(ctx, t, "-net_raw", "TestServerCaptureNotPermitted", "server")
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	for _, want := range []string{
		"EXIT 1\n", "FILES 0\n", `STDOUT ""`,
		"ERROR --capture ", "capture on lo: not permitted: CAP_NET_RAW is missing",
		"run tcplab as root", "sudo setcap cap_net_raw+ep ./tcplab",
		"leave out --capture to serve without recording",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("server --capture without CAP_NET_RAW printed:\n%s\nwant it to contain %q", out, want)
		}
	}
}

// TestServerCaptureWriteFails records into /dev/full: when the capture
// cannot write, the server does not go on unrecorded: it shuts down by
// itself and Run returns the write error (exit 1).
func TestServerCaptureWriteFails(t *testing.T) {
	skipUnlessCaptureRoot(t)
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skipf("no /dev/full: %v", err)
	}
	s := startCLIServer(t, "--capture", "/dev/full")
	if _, err := client.Exchange(t.Context(), client.Config{}, s.addr, "42"); err != nil {
		t.Fatalf("exchange: %v", err)
	}
	select {
	case err := <-s.done:
		s.done <- err // for the cleanup
		if ExitCode(err) != 1 || !strings.Contains(err.Error(), "--capture /dev/full: ") || !strings.Contains(err.Error(), "no space left on device") {
			t.Errorf("Run = %v, want exit 1 and the write error", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("server still serving 20 s after its capture failed:\n%s", s.stderr)
	}
	if !strings.Contains(s.stderr.String(), "ERROR the capture failed; shutting down") {
		t.Errorf("stderr does not say why the server stopped:\n%s", s.stderr)
	}
}

// TestServerCaptureSIGTERM runs the real binary with --capture and stops it
// with SIGTERM: it exits 0 and the file holds the whole conversation.
func TestServerCaptureSIGTERM(t *testing.T) {
	skipUnlessCaptureRoot(t)
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not in PATH: cannot build the binary")
	}
	dir := t.TempDir()
	bin, err := buildTCPLab(dir)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "term.pcapng")
	stdout, stderr := &syncbuf.Buffer{}, &syncbuf.Buffer{}
	cmd := exec.Command(bin, "server", "--addr", "127.0.0.1:0", "--capture", file)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer cmd.Process.Kill()
	addr := syncbuf.WaitFor(t, "stdout", stdout, regexp.MustCompile(`listening on (\S+)\n`))
	res, err := client.Exchange(t.Context(), client.Config{}, addr, "42")
	if err != nil {
		t.Fatal(err)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("server exited with %v after SIGTERM, want status 0; stderr:\n%s", err, stderr)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("server still running 20 s after SIGTERM")
	}
	_, port, _ := net.SplitHostPort(addr)
	conv := oneConversation(t, file, port, res)
	if !strings.Contains(stderr.String(), "captured="+strconv.Itoa(len(conv))+" received="+strconv.Itoa(len(conv))+" dropped=0\n") {
		t.Errorf("stderr lacks the capture's counts (%d packets):\n%s", len(conv), stderr)
	}
}

// TestServerCapturePeerNeverCloses stops a server whose peer never closes
// its end: the server waits for the teardown at most captureLinger, then
// says which conversations the capture ends without.
func TestServerCapturePeerNeverCloses(t *testing.T) {
	skipUnlessCaptureRoot(t)
	file := filepath.Join(t.TempDir(), "open.pcapng")
	s := startCLIServer(t, "--capture", file)
	c := tcptest.DialSend(t, s.addr, "Client of Louis,42\n") // closed when the test ends
	if reply, err := bufio.NewReader(c).ReadString(','); err != nil || reply != "Server of Nuk," {
		t.Fatalf("reply %q, %v", reply, err)
	}
	if err := s.stop(t); err != nil {
		t.Fatalf("server Run = %v\n%s", err, s.stderr)
	}
	if !strings.Contains(s.stderr.String(), "INFO 1 connections still closing 1s after the shutdown: the capture ends without their last packets\n") {
		t.Errorf("stderr does not say that a conversation is cut:\n%s", s.stderr)
	}
	_, port, _ := net.SplitHostPort(s.addr)
	convs := tsharkConversations(t, file, port)
	if len(convs) != 1 || len(convs[0]) < 6 || !strings.HasPrefix(convs[0][len(convs[0])-1], "c>s ACK ") || !strings.HasPrefix(convs[0][len(convs[0])-2], "s>c FIN/ACK ") {
		t.Errorf("want one conversation ending with the server's FIN and its ACK, got:\n%s", strings.Join(slices.Concat(convs...), "\n"))
	}
}

// TestServerCaptureIPv6 records a server on [::1]: the capture is on lo
// and holds the whole conversation.
func TestServerCaptureIPv6(t *testing.T) {
	skipUnlessCaptureRoot(t)
	if ln, err := net.Listen("tcp6", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback (%v): enable IPv6 on lo to run this test", err)
	} else {
		ln.Close()
	}
	file := filepath.Join(t.TempDir(), "v6.pcapng")
	port, res := capturedExchange(t, func(port string) string { return net.JoinHostPort("::1", port) }, "--addr", "[::1]:0", "--capture", file)
	oneConversation(t, file, port, res)
}

func TestInterfaceNote(t *testing.T) {
	tests := []struct {
		addr     string
		iface    string
		loopback bool
		level    slog.Level
		msg      string
	}{
		{"127.0.0.1:2000", "lo", true, 0, ""},
		{"0.0.0.0:2000", "lo", true, 0, ""},
		{"127.0.0.1:2000", "eth0", false, slog.LevelWarn, "the server listens on 127.0.0.1:2000, whose traffic never passes eth0: the capture will stay empty (leave out --capture-iface to record on lo)"},
		{"[::1]:2000", "eth0", false, slog.LevelWarn, "the server listens on [::1]:2000, whose traffic never passes eth0"},
		{"192.0.2.10:2000", "eth0", false, slog.LevelInfo, "clients on this machine reach the server over lo, not eth0: their conversations are not recorded (--capture-iface lo records them)"},
		{"0.0.0.0:2000", "eth0", false, slog.LevelInfo, "clients on this machine reach the server over lo, not eth0"},
	}
	for _, tt := range tests {
		la := net.TCPAddrFromAddrPort(netip.MustParseAddrPort(tt.addr))
		level, msg := interfaceNote(la, tt.iface, tt.loopback)
		if level != tt.level || !strings.HasPrefix(msg, tt.msg) || (tt.msg == "") != (msg == "") {
			t.Errorf("interfaceNote(%s, %s) = %v, %q; want %v, %q", tt.addr, tt.iface, level, msg, tt.level, tt.msg)
		}
	}
}
