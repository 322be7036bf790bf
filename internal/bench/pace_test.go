package bench

import (
	"math"
	"testing"
	"time"
)

func TestPace(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name     string
		p        Pacer
		elapsed  time.Duration
		sent     uint64
		wantWait time.Duration
		wantStop bool
	}{
		{"closed loop starts at once", Pacer{Duration: time.Second}, 0, 0, 0, false},
		{"closed loop mid-run", Pacer{Duration: time.Second}, 500 * ms, 1e6, 0, false},
		{"closed loop stops at duration", Pacer{Duration: time.Second}, time.Second, 3, 0, true},
		{"closed loop stops at count", Pacer{Duration: time.Second, Count: 10}, 0, 10, 0, true},
		{"closed loop last of count", Pacer{Duration: time.Second, Count: 10}, 0, 9, 0, false},
		{"open loop first is due at 0", Pacer{Rate: 100, Duration: time.Second}, 0, 0, 0, false},
		{"open loop waits for slot", Pacer{Rate: 100, Duration: time.Second}, 0, 1, 10 * ms, false},
		{"open loop waits the rest", Pacer{Rate: 100, Duration: time.Second}, 25 * ms, 5, 25 * ms, false},
		{"open loop behind starts at once", Pacer{Rate: 100, Duration: time.Second}, 900 * ms, 5, 0, false},
		{"open loop last slot before duration", Pacer{Rate: 100, Duration: time.Second}, 0, 99, 990 * ms, false},
		{"open loop slot at duration stops", Pacer{Rate: 100, Duration: time.Second}, 0, 100, 0, true},
		{"open loop late slot still runs", Pacer{Rate: 100, Duration: time.Second}, 1500 * ms, 99, 0, false},
		{"open loop count first", Pacer{Rate: 100, Duration: time.Second, Count: 3}, 0, 3, 0, true},
		{"open loop fractional rate", Pacer{Rate: 0.5, Duration: time.Minute}, time.Second, 1, time.Second, false},
		{"open loop huge index saturates", Pacer{Rate: 1e-9, Duration: time.Hour}, 0, math.MaxUint64, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wait, stop := tt.p.Pace(tt.elapsed, tt.sent)
			if wait != tt.wantWait || stop != tt.wantStop {
				t.Errorf("%+v.Pace(%v, %d) = %v, %v, want %v, %v", tt.p, tt.elapsed, tt.sent, wait, stop, tt.wantWait, tt.wantStop)
			}
		})
	}
}

// TestPaceNeverWaitsPastDuration checks the open-loop invariant over a
// sweep: whatever is not stopped is due before Duration.
func TestPaceNeverWaitsPastDuration(t *testing.T) {
	p := Pacer{Rate: 333, Duration: 2 * time.Second}
	for n := uint64(0); n < 1000; n++ {
		for _, elapsed := range []time.Duration{0, time.Second, 3 * time.Second} {
			wait, stop := p.Pace(elapsed, n)
			if !stop && elapsed+wait >= p.Duration && wait > 0 {
				t.Fatalf("Pace(%v, %d) = %v, false: starts at %v, past Duration %v", elapsed, n, wait, elapsed+wait, p.Duration)
			}
			if wait < 0 {
				t.Fatalf("Pace(%v, %d) = %v: negative wait", elapsed, n, wait)
			}
		}
	}
}

func TestPlanned(t *testing.T) {
	tests := []struct {
		p    Pacer
		want uint64
	}{
		{Pacer{Duration: time.Second}, 0},
		{Pacer{Rate: 100, Duration: time.Second}, 100},
		{Pacer{Rate: 100, Duration: time.Second + time.Nanosecond}, 101},
		{Pacer{Rate: 100, Duration: time.Second, Count: 7}, 7},
		{Pacer{Rate: 3, Duration: time.Second}, 3},
		{Pacer{Rate: 0.5, Duration: 3 * time.Second}, 2},
		{Pacer{Rate: 1e-12, Duration: time.Second}, 1},
	}
	for _, tt := range tests {
		if got := tt.p.Planned(); got != tt.want {
			t.Errorf("%+v.Planned() = %d, want %d", tt.p, got, tt.want)
		}
		// Planned must agree with Pace: exactly Planned exchanges are not
		// stopped.
		if tt.p.Rate > 0 {
			if _, stop := tt.p.Pace(0, tt.want); !stop {
				t.Errorf("%+v.Pace(0, Planned()=%d) does not stop", tt.p, tt.want)
			}
			if tt.want > 0 {
				if _, stop := tt.p.Pace(0, tt.want-1); stop {
					t.Errorf("%+v.Pace(0, %d) stops before Planned()", tt.p, tt.want-1)
				}
			}
		}
	}
}
