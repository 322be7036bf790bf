package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for the fields of Config left zero.
const (
	DefaultName    = "Client of Louis"
	DefaultTimeout = 5 * time.Second
	// MaxConcurrency caps the number of workers, and so of connections in
	// flight, whatever the caller asks.
	MaxConcurrency = 10000
)

// ErrAlreadyRun is returned by Run when the Runner has already run: a Runner
// is good for one run.
var ErrAlreadyRun = errors.New("bench: runner already run")

// Config describes a run.
type Config struct {
	// Addr is the server's host:port.
	Addr string
	// Concurrency is the number of workers: the connections in flight in
	// closed loop, their cap in open loop. At least 1, at most
	// MaxConcurrency.
	Concurrency int
	// Rate, if positive, makes the run open loop: Rate exchanges start per
	// second whatever the server's pace.
	Rate float64
	// Duration bounds the run (see Pacer); it must be positive.
	Duration time.Duration
	// Count, if positive, also bounds the number of exchanges.
	Count uint64
	// Timeout bounds each exchange from connect to close; 0 means
	// DefaultTimeout.
	Timeout time.Duration
	// Name is the client name sent in each request; "" means DefaultName.
	Name string
}

// Result is what a run measured.
type Result struct {
	// Config is the run's configuration, with defaults filled in.
	Config Config
	// Elapsed is the time from the start of the run to the end of its last
	// exchange.
	Elapsed time.Duration
	// OK is the number of exchanges that succeeded.
	OK uint64
	// Failures counts failed exchanges by kind (index Kind; Failures[OK] is
	// always 0).
	Failures [numKinds]uint64
	// Missed is, in open loop, the number of scheduled exchanges that never
	// started because every worker stayed busy until the run's hard stop
	// (Duration plus Timeout); always 0 in closed loop.
	Missed uint64
	// Aborted is the number of exchanges cut short by Stop or by the
	// context; they count neither as OK nor as failures.
	Aborted uint64
	// Latency holds the duration of every successful exchange, from
	// connect (in open loop: from when it was due) to the server's close.
	Latency *Histogram
}

// Failed returns the number of failed exchanges.
func (r *Result) Failed() uint64 {
	var n uint64
	for _, c := range r.Failures[1:] {
		n += c
	}
	return n
}

// Throughput returns successful exchanges per second of Elapsed.
func (r *Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.OK) / r.Elapsed.Seconds()
}

// Progress is a snapshot of a run in progress.
type Progress struct {
	Elapsed time.Duration
	OK      uint64
	Failed  uint64
}

// Runner runs one load run. Stop may be called from any goroutine, any
// number of times, before, during or after Run.
type Runner struct {
	cfg   Config
	pacer Pacer

	ran atomic.Bool

	mu      sync.Mutex
	stopped bool
	cancel  context.CancelFunc

	start  atomic.Int64 // UnixNano of the start, 0 before Run
	ok     atomic.Uint64
	failed atomic.Uint64
}

// New checks cfg, fills in its defaults and returns a Runner for it.
func New(cfg Config) (*Runner, error) {
	if cfg.Addr == "" {
		return nil, errors.New("bench: no server address")
	}
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return nil, fmt.Errorf("bench: server address %q: %w", cfg.Addr, err)
	}
	if cfg.Concurrency < 1 || cfg.Concurrency > MaxConcurrency {
		return nil, fmt.Errorf("bench: concurrency %d is outside 1..%d", cfg.Concurrency, MaxConcurrency)
	}
	if cfg.Duration <= 0 {
		return nil, fmt.Errorf("bench: duration %v is not positive: every run needs a bound in time", cfg.Duration)
	}
	if cfg.Rate < 0 || math.IsNaN(cfg.Rate) || math.IsInf(cfg.Rate, 0) {
		return nil, fmt.Errorf("bench: rate %v is not a finite number ≥ 0", cfg.Rate)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("bench: timeout %v is negative", cfg.Timeout)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Name == "" {
		cfg.Name = DefaultName
	}
	if strings.ContainsAny(cfg.Name, "\x00") {
		return nil, fmt.Errorf("bench: client name %q contains a NUL byte", cfg.Name)
	}
	return &Runner{cfg: cfg, pacer: Pacer{Rate: cfg.Rate, Duration: cfg.Duration, Count: cfg.Count}}, nil
}

// Run performs the run and returns what it measured. It returns when the
// run's bounds are reached and the exchanges in flight have ended (each
// within Timeout), or soon after Stop is called or ctx is done, aborting
// the exchanges in flight. The error is ErrAlreadyRun on a second call, nil
// otherwise: failed exchanges are data in the Result, not errors.
func (r *Runner) Run(ctx context.Context) (*Result, error) {
	if !r.ran.CompareAndSwap(false, true) {
		return nil, ErrAlreadyRun
	}
	// The run's own context carries cancellation only: a deadline of ctx
	// must not reach the sockets, where it would turn into timeouts counted
	// against the server before ctx reports it is done.
	parent := ctx
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	defer cancel()
	defer context.AfterFunc(parent, cancel)()
	r.mu.Lock()
	r.cancel = cancel
	if r.stopped {
		cancel()
	}
	r.mu.Unlock()

	start := time.Now()
	r.start.Store(start.UnixNano())
	// In open loop the schedule cannot run later than this: past it the
	// generator stops taking slots it is behind on.
	hardStop := r.cfg.Duration + r.cfg.Timeout

	var (
		claimed atomic.Uint64
		wg      sync.WaitGroup
		mu      sync.Mutex
		res     = &Result{Config: r.cfg, Latency: new(Histogram)}
		last    time.Time
	)
	for range r.cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := worker{Histogram: new(Histogram), ex: newExchanger(r.cfg.Addr, r.cfg.Name, r.cfg.Timeout)}
			w.run(ctx, r, start, hardStop, &claimed)
			mu.Lock()
			defer mu.Unlock()
			res.Latency.Merge(w.Histogram)
			for k, c := range w.counts {
				if Kind(k) != OK {
					res.Failures[k] += c
				}
			}
			res.OK += w.counts[OK]
			res.Aborted += w.aborted
			if w.last.After(last) {
				last = w.last
			}
		}()
	}
	wg.Wait()
	if last.IsZero() {
		last = time.Now()
	}
	res.Elapsed = last.Sub(start)
	if r.cfg.Rate > 0 && ctx.Err() == nil {
		started := res.OK + res.Failed() + res.Aborted
		if p := r.pacer.Planned(); p > started {
			res.Missed = p - started
		}
	}
	return res, nil
}

// Stop ends the run early: no exchange starts after it and those in flight
// are aborted. It is safe to call at any time and more than once.
func (r *Runner) Stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = true
	if r.cancel != nil {
		r.cancel()
	}
}

// Progress returns the counts so far; it is safe to call during Run.
func (r *Runner) Progress() Progress {
	p := Progress{OK: r.ok.Load(), Failed: r.failed.Load()}
	if s := r.start.Load(); s != 0 {
		p.Elapsed = time.Since(time.Unix(0, s))
	}
	return p
}

// worker is one of a run's goroutines, with its own statistics so that
// workers share nothing but the schedule.
type worker struct {
	*Histogram
	ex      *exchanger
	counts  [numKinds]uint64
	aborted uint64
	last    time.Time
}

func (w *worker) run(ctx context.Context, r *Runner, start time.Time, hardStop time.Duration, claimed *atomic.Uint64) {
	var timer *time.Timer
	for ctx.Err() == nil {
		elapsed := time.Since(start)
		if elapsed >= hardStop {
			return
		}
		n := claimed.Add(1) - 1
		wait, stop := r.pacer.Pace(elapsed, n)
		if stop {
			return
		}
		if wait > 0 {
			if timer == nil {
				timer = time.NewTimer(wait)
				defer timer.Stop()
			} else {
				timer.Reset(wait)
			}
			select {
			case <-timer.C:
			case <-ctx.Done():
				return
			}
		}
		begin := time.Now()
		if r.pacer.Rate > 0 {
			begin = start.Add(r.pacer.Due(n))
		}
		kind, aborted := w.ex.do(ctx, n)
		end := time.Now()
		switch {
		case aborted:
			w.aborted++
			continue
		case kind == OK:
			w.Record(end.Sub(begin))
			r.ok.Add(1)
		default:
			r.failed.Add(1)
		}
		w.counts[kind]++
		w.last = end
	}
}
