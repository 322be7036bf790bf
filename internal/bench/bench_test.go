package bench

import (
	"bytes"
	"context"
	"errors"
	"math"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tcplab/tcplab/internal/tcptest"
)

// labServer is the lab's protocol: reply "Server of Nuk,<n>" to a number in
// 1..100, close otherwise.
func labServer(c net.Conn) {
	req := tcptest.Recv(c) // the bench client sends it in one write
	i := strings.LastIndexByte(req, ',')
	if i < 0 {
		return
	}
	n, err := strconv.Atoi(strings.TrimSpace(req[i+1:]))
	if err != nil || n < 1 || n > 100 {
		return
	}
	c.Write([]byte("Server of Nuk," + strconv.Itoa(101-n)))
}

func reply(s string) func(net.Conn) {
	return func(c net.Conn) {
		tcptest.Recv(c)
		c.Write([]byte(s))
	}
}

func run(t *testing.T, cfg Config) *Result {
	t.Helper()
	r, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	res, err := r.Run(context.Background())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

// counts returns the nonzero outcome counts of res by name.
func counts(res *Result) map[string]uint64 {
	m := map[string]uint64{}
	if res.OK > 0 {
		m["ok"] = res.OK
	}
	for _, k := range FailureKinds() {
		if c := res.Failures[k]; c > 0 {
			m[k.String()] = c
		}
	}
	if res.Missed > 0 {
		m["missed"] = res.Missed
	}
	if res.Aborted > 0 {
		m["aborted"] = res.Aborted
	}
	return m
}

func TestRunClosedLoopCount(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	addr := tcptest.Start(t, func(c net.Conn) {
		req := tcptest.Recv(c)
		mu.Lock()
		seen[req]++
		mu.Unlock()
		c.Write([]byte("Server of Nuk,7"))
	})
	res := run(t, Config{Addr: addr, Concurrency: 8, Duration: time.Minute, Count: 300})
	if diff := cmp.Diff(map[string]uint64{"ok": 300}, counts(res)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if got := res.Latency.Count(); got != 300 {
		t.Errorf("Latency.Count() = %d, want 300", got)
	}
	if res.Elapsed <= 0 || res.Throughput() <= 0 {
		t.Errorf("Elapsed %v, Throughput %v: want both positive", res.Elapsed, res.Throughput())
	}
	// The numbers cycle through 1..100, each request in the lab's format.
	want := map[string]int{}
	for n := 1; n <= 100; n++ {
		want["Client of Louis,"+strconv.Itoa(n)] = 3
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("requests received (-want +got):\n%s", diff)
	}
}

func TestRunClosedLoopDuration(t *testing.T) {
	addr := tcptest.Start(t, labServer)
	res := run(t, Config{Addr: addr, Concurrency: 4, Duration: 200 * time.Millisecond, Name: "李旼學"})
	if res.OK == 0 || res.Failed() != 0 {
		t.Errorf("outcomes %v: want only ok, at least one", counts(res))
	}
	if res.Elapsed < 200*time.Millisecond {
		t.Errorf("Elapsed = %v, want at least the 200ms Duration", res.Elapsed)
	}
}

func TestRunOpenLoop(t *testing.T) {
	addr := tcptest.Start(t, labServer)
	res := run(t, Config{Addr: addr, Concurrency: 4, Rate: 500, Duration: 100 * time.Millisecond})
	// The schedule holds exactly 50 exchanges; on a slow machine some may
	// be missed, but none may be lost or added.
	if got := res.OK + res.Failed() + res.Missed; got != 50 || res.Failed() != 0 {
		t.Errorf("outcomes %v: want ok + missed = 50 and no failure", counts(res))
	}
}

func TestRunFailureKinds(t *testing.T) {
	refused := func() string { return tcptest.RefusedAddr(t) }
	tests := []struct {
		name    string
		addr    func(t *testing.T) string
		timeout time.Duration
		want    Kind
	}{
		{"lab server", func(t *testing.T) string { return tcptest.Start(t, labServer) }, 0, OK},
		{"refused", func(*testing.T) string { return refused() }, 0, ConnectRefused},
		{"close without reply", func(t *testing.T) string { return tcptest.Start(t, func(c net.Conn) { tcptest.Recv(c) }) }, 0, ShortReply},
		{"reply without comma", func(t *testing.T) string { return tcptest.Start(t, reply("Server of Nuk")) }, 0, ShortReply},
		{"reply without number", func(t *testing.T) string { return tcptest.Start(t, reply("Server of Nuk,")) }, 0, ShortReply},
		{"number out of range", func(t *testing.T) string { return tcptest.Start(t, reply("Server of Nuk,101")) }, 0, WrongReply},
		{"number zero", func(t *testing.T) string { return tcptest.Start(t, reply("Server of Nuk,0")) }, 0, WrongReply},
		{"not a number", func(t *testing.T) string { return tcptest.Start(t, reply("Server of Nuk,4x")) }, 0, WrongReply},
		{"invalid UTF-8", func(t *testing.T) string { return tcptest.Start(t, reply("Server \xff,4")) }, 0, WrongReply},
		{"too long", func(t *testing.T) string {
			return tcptest.Start(t, reply(string(bytes.Repeat([]byte("a"), 2000))+",4"))
		}, 0, WrongReply},
		{"reset", func(t *testing.T) string {
			return tcptest.Start(t, func(c net.Conn) {
				tcptest.Recv(c)
				c.(*net.TCPConn).SetLinger(0)
			})
		}, 0, Reset},
		{"no reply", func(t *testing.T) string {
			return tcptest.Start(t, func(c net.Conn) {
				tcptest.Recv(c)
				c.Read(make([]byte, 1)) // until the client gives up
			})
		}, 100 * time.Millisecond, Timeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(t, Config{Addr: tt.addr(t), Concurrency: 2, Duration: time.Minute, Count: 6, Timeout: tt.timeout})
			if diff := cmp.Diff(map[string]uint64{tt.want.String(): 6}, counts(res)); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
			if tt.want != OK && res.Latency.Count() != 0 {
				t.Errorf("Latency.Count() = %d, want 0: failures have no latency", res.Latency.Count())
			}
		})
	}
}

func TestCheckReply(t *testing.T) {
	tests := []struct {
		reply string
		want  Kind
	}{
		{"Server of Nuk,1", OK},
		{"Server of Nuk,100", OK},
		{"a,b,c,42", OK},          // the name may contain commas
		{"李旼學,99", OK},            // and any UTF-8
		{"Server of Nuk,007", OK}, // leading zeros are still 7
		{"", ShortReply},
		{"Server of Nuk", ShortReply},
		{"Server of Nuk,", ShortReply},
		{",5", WrongReply},
		{"Server of Nuk,101", WrongReply},
		{"Server of Nuk,1000", WrongReply},
		{"Server of Nuk, 5", WrongReply},
		{"Server of Nuk,-5", WrongReply},
		{"Server of Nuk,5\n", WrongReply},
		{"\xc3,5", WrongReply},
	}
	for _, tt := range tests {
		if got := checkReply([]byte(tt.reply)); got != tt.want {
			t.Errorf("checkReply(%q) = %v, want %v", tt.reply, got, tt.want)
		}
	}
}

func FuzzCheckReply(f *testing.F) {
	f.Add([]byte("Server of Nuk,42")) // a valid reply
	f.Add([]byte(""))                 // the server closed without replying
	f.Add([]byte("a,b,100"))          // commas in the name, top of the range
	f.Add([]byte("x,0"))              // just below the range
	f.Add([]byte("\xff,1"))           // invalid UTF-8 name
	f.Add([]byte("x,99999999999999")) // a number that overflows int
	f.Fuzz(func(t *testing.T, b []byte) {
		got := checkReply(b)
		// Reference: the last comma splits name and a plain decimal.
		i := bytes.LastIndexByte(b, ',')
		want := ShortReply
		if i >= 0 && i < len(b)-1 {
			want = WrongReply
			digits := string(b[i+1:])
			n, err := strconv.Atoi(digits)
			plain := err == nil && digits[0] >= '0' && digits[0] <= '9'
			if i > 0 && plain && n >= 1 && n <= 100 && len(digits) <= 3 && isUTF8(b) {
				want = OK
			}
		}
		if got != want {
			t.Errorf("checkReply(%q) = %v, want %v", b, got, want)
		}
	})
}

func isUTF8(b []byte) bool { return string([]rune(string(b))) == string(b) }

func TestStopIsIdempotent(t *testing.T) {
	started := make(chan struct{}, 100)
	addr := tcptest.Start(t, func(c net.Conn) {
		tcptest.Recv(c)
		started <- struct{}{}
		c.Read(make([]byte, 1)) // never replies; the client must abort
	})
	r, err := New(Config{Addr: addr, Concurrency: 3, Duration: time.Hour, Timeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	type out struct {
		res *Result
		err error
	}
	done := make(chan out, 1)
	go func() {
		res, err := r.Run(context.Background())
		done <- out{res, err}
	}()
	for range 3 {
		<-started
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(r.Stop)
	}
	wg.Wait()
	r.Stop()
	select {
	case o := <-done:
		if o.err != nil {
			t.Fatalf("Run: %v", o.err)
		}
		if diff := cmp.Diff(map[string]uint64{"aborted": 3}, counts(o.res)); diff != "" {
			t.Errorf("outcomes (-want +got):\n%s", diff)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return within 30s of Stop")
	}
	r.Stop()
	if _, err := r.Run(context.Background()); !errors.Is(err, ErrAlreadyRun) {
		t.Errorf("second Run: err = %v, want ErrAlreadyRun", err)
	}
}

func TestStopBeforeRunAndContext(t *testing.T) {
	addr := tcptest.Start(t, labServer)
	r, err := New(Config{Addr: addr, Concurrency: 2, Duration: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	r.Stop()
	res, err := r.Run(context.Background())
	if err != nil || res.OK+res.Failed() != 0 {
		t.Errorf("Run after Stop = %v, %v: want no exchange and no error", counts(res), err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	r, err = New(Config{Addr: addr, Concurrency: 2, Duration: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	res, err = r.Run(ctx)
	if err != nil || res.Failed() != 0 || res.Missed != 0 {
		t.Errorf("Run until the context ends = %v, %v: want no failure, nothing missed, no error", counts(res), err)
	}
	if p := r.Progress(); p.OK != res.OK || p.Failed != 0 || p.Elapsed <= 0 {
		t.Errorf("Progress() = %+v after the run, want OK %d, Failed 0, Elapsed > 0", p, res.OK)
	}
}

func TestNewRejects(t *testing.T) {
	good := Config{Addr: "127.0.0.1:2000", Concurrency: 1, Duration: time.Second}
	tests := []struct {
		name string
		edit func(*Config)
	}{
		{"no address", func(c *Config) { c.Addr = "" }},
		{"address without port", func(c *Config) { c.Addr = "127.0.0.1" }},
		{"zero concurrency", func(c *Config) { c.Concurrency = 0 }},
		{"huge concurrency", func(c *Config) { c.Concurrency = MaxConcurrency + 1 }},
		{"no duration", func(c *Config) { c.Duration = 0 }},
		{"negative rate", func(c *Config) { c.Rate = -1 }},
		{"infinite rate", func(c *Config) { c.Rate = math.Inf(1) }},
		{"negative timeout", func(c *Config) { c.Timeout = -time.Second }},
		{"NUL in name", func(c *Config) { c.Name = "a\x00b" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.edit(&cfg)
			if _, err := New(cfg); err == nil {
				t.Errorf("New(%+v) = nil error, want one", cfg)
			}
		})
	}
	r, err := New(good)
	if err != nil {
		t.Fatalf("New(%+v): %v", good, err)
	}
	if r.cfg.Timeout != DefaultTimeout || r.cfg.Name != DefaultName {
		t.Errorf("defaults: Timeout %v, Name %q, want %v, %q", r.cfg.Timeout, r.cfg.Name, DefaultTimeout, DefaultName)
	}
}

func BenchmarkExchange(b *testing.B) {
	e := newExchanger(tcptest.Start(b, labServer), DefaultName, DefaultTimeout)
	var n uint64
	b.ReportAllocs()
	for b.Loop() {
		if k, _ := e.do(context.Background(), n); k != OK {
			b.Fatalf("exchange %d: %v", n, k)
		}
		n++
	}
}
