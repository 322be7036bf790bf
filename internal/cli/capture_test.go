package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tcplab/tcplab/internal/pcapio/pcaptest"
	"github.com/tcplab/tcplab/internal/privtest"
	"github.com/tcplab/tcplab/internal/syncbuf"
	"github.com/tcplab/tcplab/internal/tcptest"
)

func TestCaptureUsage(t *testing.T) {
	tests := []struct {
		args   []string
		stderr []string // substrings of stderr
		err    string   // substring of the error
	}{
		{[]string{"tcp", "port"}, []string{"  tcp port\n          ^\n"}, `at offset 8 (end of filter): expected a port number`},
		{[]string{"host", "localhost"}, []string{"  host localhost\n       ^\n"}, `"localhost": not an IP address (host names are not resolved)`},
		{[]string{"tcp[13]", "&", "2", "!=", "0"}, nil, "packet data accessors"},
		{[]string{"-s", "0"}, nil, "-s 0: want 1 to 262144"},
		{[]string{"-c", "-1"}, nil, "-c -1"},
		{[]string{"--buffer", "0"}, nil, "--buffer 0"},
		{[]string{"--duration", "-1s"}, nil, "--duration -1s"},
		{[]string{"--bogus"}, nil, "unknown option -bogus"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := Run(t.Context(), append([]string{"capture"}, tt.args...), strings.NewReader(""), &stdout, &stderr)
			if ExitCode(err) != 2 || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("capture %q = %v (exit %d), want exit 2 and an error containing %q", tt.args, err, ExitCode(err), tt.err)
			}
			for _, s := range tt.stderr {
				if !strings.Contains(stderr.String(), s) {
					t.Errorf("capture %q stderr:\n%s\nwant it to contain:\n%s", tt.args, stderr.String(), s)
				}
			}
		})
	}
}

// labPeer serves one lab exchange per connection on 127.0.0.1 and returns
// its address.
func labPeer(t *testing.T) string {
	t.Helper()
	return tcptest.Start(t, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if line, err := bufio.NewReader(c).ReadString('\n'); err == nil {
			fmt.Fprintf(c, "Server of Nuk,%s", line[strings.IndexByte(line, ',')+1:])
		}
	})
}

// labExchange runs one lab exchange with number n against addr.
func labExchange(t *testing.T, addr string, n int) {
	t.Helper()
	tcptest.Exchange(t, addr, fmt.Sprintf("Client of Louis,%d\n", n))
}

// startCapture runs "tcplab capture" with args through Run in the
// background and waits up to 10 s until it says it captures on lo; Run's
// result arrives on the returned channel. It skips the test, naming the
// capability, when the process may not capture.
func startCapture(t *testing.T, ctx context.Context, args []string, stdout io.Writer, stderr *syncbuf.Buffer) <-chan error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, append([]string{"capture"}, args...), strings.NewReader(""), stdout, stderr)
	}()
	for end := time.Now().Add(10 * time.Second); !strings.Contains(stderr.String(), "capturing on lo"); time.Sleep(5 * time.Millisecond) {
		select {
		case err := <-done:
			if err != nil && strings.Contains(err.Error(), "CAP_NET_RAW") {
				t.Skipf("needs CAP_NET_RAW: %v", err)
			}
			t.Fatalf("capture ended at once: %v\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(end) {
			t.Fatalf("capture did not start within 10s:\n%s", stderr.String())
		}
	}
	return done
}

// TestCaptureLive runs "tcplab capture -w FILE FILTER" while lab exchanges
// run, stops it as Ctrl-C does, and checks that the lines it printed live
// are the lines "tcplab analyze FILE" prints, that the file has every
// packet, and that tshark reads it.
func TestCaptureLive(t *testing.T) {
	addr := labPeer(t)
	_, port, _ := net.SplitHostPort(addr)
	file := filepath.Join(t.TempDir(), "live.pcapng")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stdout, stderr syncbuf.Buffer
	done := startCapture(t, ctx, []string{"-w", file, "tcp", "port", port}, &stdout, &stderr)
	const exchanges = 3
	for i := range exchanges {
		labExchange(t, addr, 40+i)
	}
	// Each exchange is at least 9 segments; wait for them to be listed.
	for end := time.Now().Add(10 * time.Second); strings.Count(stdout.String(), "\n") < 9*exchanges && time.Now().Before(end); {
		time.Sleep(10 * time.Millisecond)
	}
	cancel() // as Ctrl-C does
	if err := <-done; err != nil {
		t.Fatalf("capture after Ctrl-C = %v, want nil\n%s", err, stderr.String())
	}
	live, conv, _ := strings.Cut(stdout.String(), "=====")
	if !strings.Contains(conv, "TCP Conversations") {
		t.Errorf("no conversation table after the live list:\n%s", stdout.String())
	}
	var aout, aerr bytes.Buffer
	if err := Run(t.Context(), []string{"analyze", "--no-conv", file}, strings.NewReader(""), &aout, &aerr); err != nil {
		t.Fatalf("analyze %s: %v\n%s", file, err, aerr.String())
	}
	if diff := cmp.Diff(aout.String(), live); diff != "" {
		t.Errorf("live lines differ from 'tcplab analyze' of the file (-analyze +live):\n%s", diff)
	}
	n := strings.Count(live, "\n")
	if !strings.Contains(stderr.String(), fmt.Sprintf("%d packets captured on lo", n)) ||
		!strings.Contains(stderr.String(), "0 dropped by kernel") || !strings.Contains(stderr.String(), "wrote "+file) {
		t.Errorf("capture summary:\n%s\nwant %d packets captured, 0 dropped, wrote %s", stderr.String(), n, file)
	}
	if _, err := exec.LookPath("tshark"); err == nil {
		cmd := exec.Command("tshark", "-r", file)
		var terr bytes.Buffer
		cmd.Stderr = &terr
		out, err := cmd.Output()
		if err != nil || strings.Count(string(out), "\n") != n {
			t.Errorf("tshark -r %s: %v, %d packets, want %d\n%s", file, err, strings.Count(string(out), "\n"), n, terr.String())
		}
	}
}

// TestCaptureCountQuiet stops after -c packets and lists nothing with -q.
func TestCaptureCountQuiet(t *testing.T) {
	addr := labPeer(t)
	_, port, _ := net.SplitHostPort(addr)
	var stdout, stderr syncbuf.Buffer
	done := startCapture(t, t.Context(), []string{"-q", "-c", "4", "--duration", "20s", "port " + port}, &stdout, &stderr)
	labExchange(t, addr, 1)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("capture -c 4 did not stop")
	}
	if stdout.String() != "" || !strings.Contains(stderr.String(), "4 packets captured on lo") {
		t.Errorf("capture -q -c 4: stdout %q, stderr %q", stdout.String(), stderr.String())
	}
}

// TestCaptureNotPermitted runs "tcplab capture" in a child process that
// lacks CAP_NET_RAW: it exits 1 and names the capability and the remedy.
func TestCaptureNotPermitted(t *testing.T) {
	if privtest.Mode() == "capture" {
		var stderr bytes.Buffer
		err := Run(context.Background(), []string{"capture", "-w", filepath.Join(t.TempDir(), "x.pcapng"), "tcp port 2000"}, strings.NewReader(""), io.Discard, &stderr)
		fmt.Printf("EXIT %d\nERROR %v\nSTDERR %s\n", ExitCode(err), err, stderr.String())
		return
	}
	out, err := privtest.Rerun(t.Context(), t, "-net_raw", "TestCaptureNotPermitted", "capture")
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	containsAll(t, "capture without CAP_NET_RAW", string(out), []string{"EXIT 1\n", "CAP_NET_RAW", "run tcplab as root", "sudo setcap cap_net_raw+ep ./tcplab"})
}

// TestCaptureToStdout writes the pcapng file to stdout with "-w -" and
// checks that tshark reads it from a pipe.
func TestCaptureToStdout(t *testing.T) {
	addr := labPeer(t)
	_, port, _ := net.SplitHostPort(addr)
	var stdout, stderr syncbuf.Buffer
	done := startCapture(t, t.Context(), []string{"-w", "-", "-c", "9", "tcp port " + port}, &stdout, &stderr)
	labExchange(t, addr, 2)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	pcaptest.NeedTools(t, "tshark")
	cmd := exec.Command("tshark", "-r", "-")
	cmd.Stdin = strings.NewReader(stdout.String())
	out, err := cmd.Output()
	if err != nil || strings.Count(string(out), "\n") != 9 {
		t.Errorf("tshark -r - of the capture on stdout: %v\n%s", err, out)
	}
}

// pipeGone is a stdout whose reader went away after the first write.
type pipeGone struct {
	mu     sync.Mutex
	writes int
}

func (p *pipeGone) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.writes++
	if p.writes > 1 {
		return 0, syscall.EPIPE
	}
	return len(b), nil
}

// TestCaptureBrokenPipe checks that "tcplab capture -w FILE | head" ends
// the capture quietly when head exits, with the file complete.
func TestCaptureBrokenPipe(t *testing.T) {
	addr := labPeer(t)
	_, port, _ := net.SplitHostPort(addr)
	file := filepath.Join(t.TempDir(), "pipe.pcapng")
	var stderr syncbuf.Buffer
	done := startCapture(t, t.Context(), []string{"-w", file, "--duration", "30s", "tcp port " + port}, &pipeGone{}, &stderr)
	// Exchanges until the broken pipe ends the capture.
	for i := 0; ; i++ {
		labExchange(t, addr, i)
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("capture after the pipe broke = %v, want nil", err)
			}
			if !strings.Contains(stderr.String(), "wrote "+file) {
				t.Errorf("no summary after the pipe broke:\n%s", stderr.String())
			}
			var aout, aerr bytes.Buffer
			if err := Run(t.Context(), []string{"analyze", file}, strings.NewReader(""), &aout, &aerr); err != nil {
				t.Errorf("analyze %s: %v\n%s", file, err, aerr.String())
			}
			return
		case <-time.After(100 * time.Millisecond):
		}
		if i == 100 {
			t.Fatal("capture did not end after stdout broke")
		}
	}
}

// TestWithoutEPIPE checks that a broken pipe is dropped from the errors
// that end a capture and every other error is kept.
func TestWithoutEPIPE(t *testing.T) {
	errDisk := errors.New("no space left")
	pipe := fmt.Errorf("capture: writing the packet list: %w", syscall.EPIPE)
	tests := []struct {
		name string
		err  error
		want []error // errors.Is holds for each; nil: the result is nil
	}{
		{"nil", nil, nil},
		{"broken pipe", pipe, nil},
		{"other", errDisk, []error{errDisk}},
		{"joined pipes", errors.Join(pipe, errors.Join(pipe)), nil},
		{"pipe and disk", errors.Join(errors.Join(pipe, errDisk), nil), []error{errDisk}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := withoutEPIPE(tt.err)
			if (got == nil) != (tt.want == nil) || errors.Is(got, syscall.EPIPE) {
				t.Fatalf("withoutEPIPE(%v) = %v, want %v", tt.err, got, tt.want)
			}
			for _, w := range tt.want {
				if !errors.Is(got, w) {
					t.Errorf("withoutEPIPE(%v) = %v, lost %v", tt.err, got, w)
				}
			}
		})
	}
}
