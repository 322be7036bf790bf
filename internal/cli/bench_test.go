package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tcplab/tcplab/internal/bench"
	"github.com/tcplab/tcplab/internal/syncbuf"
	"github.com/tcplab/tcplab/internal/tcptest"
)

// benchServer serves the lab's exchange on loopback until the test ends,
// replying "Server of Nuk,42" to every request.
func benchServer(t *testing.T) string {
	t.Helper()
	return tcptest.Start(t, func(c net.Conn) {
		tcptest.Recv(c)
		c.Write([]byte("Server of Nuk,42"))
	})
}

func TestBenchRunJSON(t *testing.T) {
	addr := benchServer(t)
	var stdout, stderr bytes.Buffer
	err := Run(context.Background(), []string{"bench", "--addr", addr, "--concurrency", "4", "--count", "50", "--duration", "1m", "--format", "json"}, strings.NewReader(""), &stdout, &stderr)
	if err != nil {
		t.Fatalf("Run(bench) = %v; stderr:\n%s", err, stderr.String())
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr = %q, want nothing (not a terminal)", stderr.String())
	}
	var got map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, stdout.String())
	}
	// Drop what depends on the machine's speed, check it separately.
	for _, k := range []string{"elapsed_s", "exchanges_per_s", "latency_us"} {
		if _, ok := got[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
		delete(got, k)
	}
	want := map[string]any{
		"addr": addr, "mode": "closed", "concurrency": 4.0, "rate": 0.0,
		"duration_s": 60.0, "count": 50.0, "timeout_s": 5.0,
		"exchanges": 50.0, "ok": 50.0, "failed": 0.0, "missed": 0.0, "aborted": 0.0,
		"failures": map[string]any{
			"connect_refused": 0.0, "connect_timeout": 0.0, "connect_error": 0.0, "reset": 0.0,
			"timeout": 0.0, "short_reply": 0.0, "wrong_reply": 0.0, "io_error": 0.0,
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
	}
}

func TestBenchRunRefused(t *testing.T) {
	addr := tcptest.RefusedAddr(t)
	var stdout, stderr bytes.Buffer
	err := Run(context.Background(), []string{"bench", "--addr", addr, "--concurrency", "1", "--count", "3"}, strings.NewReader(""), &stdout, &stderr)
	if err != nil {
		t.Fatalf("Run(bench) = %v, want nil: failures are results", err)
	}
	containsAll(t, "output", stdout.String(), []string{"0 ok, 3 failed", "failures    connect_refused 3\n"})
}

// fixedResult is a run with known figures, for the output formats.
func fixedResult(rate float64) *bench.Result {
	res := &bench.Result{
		Config: bench.Config{
			Addr: "127.0.0.1:2000", Concurrency: 16, Rate: rate, Duration: 10 * time.Second,
			Count: 5000, Timeout: 5 * time.Second, Name: bench.DefaultName,
		},
		Elapsed: 2 * time.Second,
		OK:      1000,
		Missed:  7,
		Latency: new(bench.Histogram),
	}
	res.Failures[bench.Reset] = 2
	res.Failures[bench.ConnectTimeout] = 1
	for i := range 1000 {
		res.Latency.Record(time.Duration(100+i) * time.Microsecond)
	}
	return res
}

func TestBenchText(t *testing.T) {
	var b bytes.Buffer
	if err := writeBenchText(&b, fixedResult(600)); err != nil {
		t.Fatal(err)
	}
	want := `server      127.0.0.1:2000
run         open loop, 600/s, at most 16 in flight, for 10s or 5000 exchanges
elapsed     2s
exchanges   1000 ok, 3 failed, 500.0 ok/s
latency     min 100µs  p50 600.1µs  p90 997.4µs  p99 1.085ms  p99.9 1.099ms  max 1.099ms  mean 599.5µs
failures    connect_timeout 1, reset 2
missed      7 scheduled exchanges never started: every worker was busy (raise --concurrency)
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("text output (-want +got):\n%s", diff)
	}
}

func TestBenchJSON(t *testing.T) {
	var b bytes.Buffer
	if err := writeBenchJSON(&b, fixedResult(0)); err != nil {
		t.Fatal(err)
	}
	want := `{
  "addr": "127.0.0.1:2000",
  "mode": "closed",
  "concurrency": 16,
  "rate": 0,
  "duration_s": 10,
  "count": 5000,
  "timeout_s": 5,
  "elapsed_s": 2,
  "exchanges": 1003,
  "ok": 1000,
  "failed": 3,
  "failures": {
    "connect_error": 0,
    "connect_refused": 0,
    "connect_timeout": 1,
    "io_error": 0,
    "reset": 2,
    "short_reply": 0,
    "timeout": 0,
    "wrong_reply": 0
  },
  "missed": 7,
  "aborted": 0,
  "exchanges_per_s": 500,
  "latency_us": {
    "max": 1099,
    "mean": 599.5,
    "min": 100,
    "p50": 600.063,
    "p90": 997.375,
    "p99": 1085.439,
    "p999": 1099
  }
}
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("JSON output (-want +got):\n%s", diff)
	}
}

func TestBenchUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"unknown format", []string{"--format", "xml"}},
		{"positional argument", []string{"42"}},
		{"zero concurrency", []string{"--concurrency", "0"}},
		{"zero duration", []string{"--duration", "0s"}},
		{"negative rate", []string{"--rate", "-5"}},
		{"zero timeout", []string{"--timeout", "0s"}},
		{"address without port", []string{"--addr", "127.0.0.1"}},
		{"unknown flag", []string{"--workers", "3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := Run(context.Background(), append([]string{"bench"}, tt.args...), strings.NewReader(""), &stdout, &stderr)
			if got := ExitCode(err); got != 2 {
				t.Errorf("Run(bench %q) = %v, exit code %d, want 2", tt.args, err, got)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", stdout.String())
			}
		})
	}
}

func TestIsTerminal(t *testing.T) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for _, tt := range []struct {
		name string
		w    io.Writer
	}{{"buffer", &bytes.Buffer{}}, {"pipe", w}, {"/dev/null", null}} {
		if isTerminal(tt.w) {
			t.Errorf("isTerminal(%s) = true, want false", tt.name)
		}
	}
}

func TestShowProgress(t *testing.T) {
	r, err := bench.New(bench.Config{Addr: benchServer(t), Concurrency: 2, Duration: time.Minute, Count: 20})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	var out syncbuf.Buffer
	stop := showProgress(&out, r, time.Millisecond)
	for i := 0; !strings.Contains(out.String(), "20 ok") && i < 5000; i++ {
		time.Sleep(time.Millisecond)
	}
	stop()
	got := out.String()
	if !strings.HasPrefix(got, "\r\033[Kbench: ") || !strings.Contains(got, "  20 ok  0 failed  ") {
		t.Errorf("progress = %q, want lines like \"\\r\\033[Kbench: 0s  20 ok  0 failed  N/s\"", got)
	}
	if !strings.HasSuffix(got, "\r\033[K") {
		t.Errorf("progress = %q, want it to end by erasing its line", got)
	}
}
