package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/tcplab/tcplab/internal/bench"
)

const benchDescription = `
Measure a server of the lab's exchange: each exchange connects, sends
"<name>,<number>" (numbers cycling through 1..100), reads the reply until the
server closes and checks it. Closed loop by default (--concurrency exchanges
in flight at all times); with --rate, open loop (that many exchanges started
per second, at most --concurrency in flight, latency counted from when each
was due). The run stops after --duration, or after --count exchanges if that
comes first. Failed exchanges are counted by kind; they do not change the
exit status, which is 0 whenever the run could be made.`

// benchQuantiles are the quantiles reported, with their JSON keys.
var benchQuantiles = []struct {
	key, label string
	q          float64
}{
	{"p50", "p50", 0.5},
	{"p90", "p90", 0.9},
	{"p99", "p99", 0.99},
	{"p999", "p99.9", 0.999},
}

func runBench(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "bench", "", benchDescription)
	addr := fs.String("addr", "127.0.0.1:2000", "server `address` (host:port, IPv6 as [::1]:2000)")
	concurrency := fs.Int("concurrency", 16, "exchanges in flight (closed loop), or their cap (open loop)")
	duration := fs.Duration("duration", 10*time.Second, "how long the run lasts at most")
	count := fs.Uint64("count", 0, "stop after this many exchanges (0: no limit but --duration)")
	rate := fs.Float64("rate", 0, "exchanges started per second, open loop (0: closed loop)")
	timeout := fs.Duration("timeout", bench.DefaultTimeout, "time limit of each exchange, connect to close")
	name := fs.String("name", bench.DefaultName, "client name sent in each request")
	format := fs.String("format", "text", "output `format`: text or json")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{fmt.Errorf("bench: unexpected argument %q", rest[0])}
	}
	if *format != "text" && *format != "json" {
		return usageError{fmt.Errorf("bench: --format %q: want text or json", *format)}
	}
	if *timeout == 0 {
		return usageError{errors.New("bench: --timeout must be positive")}
	}
	r, err := bench.New(bench.Config{
		Addr: *addr, Concurrency: *concurrency, Rate: *rate, Duration: *duration,
		Count: *count, Timeout: *timeout, Name: *name,
	})
	if err != nil {
		return usageError{err}
	}

	if isTerminal(env.Stderr) {
		stop := showProgress(env.Stderr, r, time.Second)
		defer stop()
	}
	res, err := r.Run(ctx)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if *format == "json" {
		return writeBenchJSON(env.Stdout, res)
	}
	return writeBenchText(env.Stdout, res)
}

// isTerminal reports whether w is a terminal, where progress lines make
// sense; pipes, files and /dev/null get none. A character device other than
// /dev/null is taken for a terminal, which needs no OS-specific ioctl.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err != nil || !os.SameFile(fi, null)
}

// showProgress rewrites one status line on w every interval until the
// returned function is called, which erases it.
func showProgress(w io.Writer, r *bench.Runner, interval time.Duration) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-done:
				fmt.Fprint(w, "\r\033[K")
				return
			case <-tick.C:
				p := r.Progress()
				rate := 0.0
				if p.Elapsed > 0 {
					rate = float64(p.OK) / p.Elapsed.Seconds()
				}
				fmt.Fprintf(w, "\r\033[Kbench: %s  %d ok  %d failed  %.0f/s", p.Elapsed.Round(time.Second), p.OK, p.Failed, rate)
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// benchJSON is the machine-readable result of a run. Its field names are a
// stable contract: add fields, never rename or remove them. Times are in
// seconds (_s) or microseconds (_us), as numbers.
type benchJSON struct {
	Addr        string  `json:"addr"`
	Mode        string  `json:"mode"` // "closed" or "open"
	Concurrency int     `json:"concurrency"`
	Rate        float64 `json:"rate"`
	DurationS   float64 `json:"duration_s"`
	Count       uint64  `json:"count"`
	TimeoutS    float64 `json:"timeout_s"`
	ElapsedS    float64 `json:"elapsed_s"`
	// Exchanges is OK + Failed: every exchange that ran to an outcome.
	Exchanges uint64 `json:"exchanges"`
	OK        uint64 `json:"ok"`
	Failed    uint64 `json:"failed"`
	// Failures has every failure kind as a key, 0 or not.
	Failures map[string]uint64 `json:"failures"`
	Missed   uint64            `json:"missed"`
	Aborted  uint64            `json:"aborted"`
	// PerSecond is OK exchanges per second of ElapsedS.
	PerSecond float64 `json:"exchanges_per_s"`
	// LatencyUS summarizes successful exchanges: min, mean, p50, p90, p99,
	// p999, max; all 0 when none succeeded.
	LatencyUS map[string]float64 `json:"latency_us"`
}

func micros(d time.Duration) float64 { return math.Round(float64(d)) / 1e3 }

func writeBenchJSON(w io.Writer, res *bench.Result) error {
	c := res.Config
	out := benchJSON{
		Addr: c.Addr, Mode: "closed", Concurrency: c.Concurrency, Rate: c.Rate,
		DurationS: c.Duration.Seconds(), Count: c.Count, TimeoutS: c.Timeout.Seconds(),
		ElapsedS:  res.Elapsed.Seconds(),
		Exchanges: res.OK + res.Failed(), OK: res.OK, Failed: res.Failed(),
		Failures: map[string]uint64{}, Missed: res.Missed, Aborted: res.Aborted,
		PerSecond: math.Round(res.Throughput()*10) / 10,
		LatencyUS: map[string]float64{
			"min":  micros(res.Latency.Min()),
			"mean": micros(res.Latency.Mean()),
			"max":  micros(res.Latency.Max()),
		},
	}
	if c.Rate > 0 {
		out.Mode = "open"
	}
	for _, k := range bench.FailureKinds() {
		out.Failures[k.String()] = res.Failures[k]
	}
	for _, q := range benchQuantiles {
		out.LatencyUS[q.key] = micros(res.Latency.Quantile(q.q))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("bench: writing JSON: %w", err)
	}
	return nil
}

func writeBenchText(w io.Writer, res *bench.Result) error {
	c := res.Config
	var b strings.Builder
	mode := fmt.Sprintf("closed loop, %d in flight", c.Concurrency)
	if c.Rate > 0 {
		mode = fmt.Sprintf("open loop, %g/s, at most %d in flight", c.Rate, c.Concurrency)
	}
	limit := c.Duration.String()
	if c.Count > 0 {
		limit += fmt.Sprintf(" or %d exchanges", c.Count)
	}
	fmt.Fprintf(&b, "server      %s\n", c.Addr)
	fmt.Fprintf(&b, "run         %s, for %s\n", mode, limit)
	fmt.Fprintf(&b, "elapsed     %s\n", res.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(&b, "exchanges   %d ok, %d failed, %.1f ok/s\n", res.OK, res.Failed(), res.Throughput())
	if res.Latency.Count() > 0 {
		l := res.Latency
		fmt.Fprintf(&b, "latency     min %s", fmtLatency(l.Min()))
		for _, q := range benchQuantiles {
			fmt.Fprintf(&b, "  %s %s", q.label, fmtLatency(l.Quantile(q.q)))
		}
		fmt.Fprintf(&b, "  max %s  mean %s\n", fmtLatency(l.Max()), fmtLatency(l.Mean()))
	}
	if res.Failed() > 0 {
		var parts []string
		for _, k := range bench.FailureKinds() {
			if n := res.Failures[k]; n > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", k, n))
			}
		}
		fmt.Fprintf(&b, "failures    %s\n", strings.Join(parts, ", "))
	}
	if res.Missed > 0 {
		fmt.Fprintf(&b, "missed      %d scheduled exchanges never started: every worker was busy (raise --concurrency)\n", res.Missed)
	}
	if res.Aborted > 0 {
		fmt.Fprintf(&b, "aborted     %d exchanges in flight when the run was interrupted\n", res.Aborted)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("bench: writing result: %w", err)
	}
	return nil
}

// fmtLatency rounds d to what the histogram can tell apart.
func fmtLatency(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(time.Microsecond).String()
	}
	return d.Round(100 * time.Nanosecond).String()
}
