package bench

import (
	"math"
	"time"
)

// Pacer decides when each exchange of a run starts. The zero Rate means
// closed loop: start whenever a worker is free.
type Pacer struct {
	// Rate is the number of exchanges started per second in open loop, or 0
	// for closed loop.
	Rate float64
	// Duration bounds the run: in closed loop no exchange starts at or after
	// it; in open loop no exchange is scheduled at or after it.
	Duration time.Duration
	// Count bounds the number of exchanges; 0 means no bound but Duration.
	Count uint64
}

// Pace reports how long to wait before starting exchange number sent
// (counting from 0, so sent exchanges have already been started), elapsed
// after the start of the run, and whether the run must stop instead. It
// reads no clock, so the same arguments always give the same answer.
//
// In open loop exchange n is due at n/Rate seconds; one that is already due
// (the generator is behind) gets a zero wait and starts at once.
func (p Pacer) Pace(elapsed time.Duration, sent uint64) (wait time.Duration, stop bool) {
	if p.Count > 0 && sent >= p.Count {
		return 0, true
	}
	if p.Rate <= 0 {
		return 0, elapsed >= p.Duration
	}
	due := p.Due(sent)
	if due >= p.Duration {
		return 0, true
	}
	return max(due-elapsed, 0), false
}

// Due returns when exchange n is due after the start of the run in open
// loop (n/Rate seconds, saturating at the largest Duration), or 0 in closed
// loop.
func (p Pacer) Due(n uint64) time.Duration {
	if p.Rate <= 0 {
		return 0
	}
	d := float64(n) / p.Rate * float64(time.Second)
	if d >= math.MaxInt64 || math.IsNaN(d) {
		return math.MaxInt64
	}
	return time.Duration(d)
}

// Planned returns the number of exchanges the schedule of an open-loop run
// holds (those due before Duration, at most Count), or 0 in closed loop,
// whose number of exchanges depends on the server.
func (p Pacer) Planned() uint64 {
	if p.Rate <= 0 {
		return 0
	}
	// Start from the arithmetic estimate and correct it with Due itself,
	// so that rounding agrees with Pace exactly.
	est := math.Ceil(p.Rate * p.Duration.Seconds())
	var n uint64
	if est > 0 {
		n = uint64(min(est, 1<<62))
	}
	if p.Count > 0 && n > p.Count {
		n = p.Count
	}
	for n > 0 && p.Due(n-1) >= p.Duration {
		n--
	}
	for (p.Count == 0 || n < p.Count) && p.Due(n) < p.Duration {
		n++
	}
	return n
}
