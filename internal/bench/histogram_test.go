package bench

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestBucketLayout checks that every value falls inside its bucket, that
// buckets are contiguous and in order, and that none is wider than 1/128 of
// its lower bound.
func TestBucketLayout(t *testing.T) {
	var next uint64
	for i := range nBuckets {
		lower, width := bucketRange(i)
		if lower != next {
			t.Fatalf("bucketRange(%d) starts at %d, want %d (contiguous)", i, lower, next)
		}
		if lower >= subCount && width*subCount > lower {
			t.Fatalf("bucketRange(%d) = [%d, +%d): wider than 1/%d of its lower bound", i, lower, width, subCount)
		}
		for _, v := range []uint64{lower, lower + width/2, lower + width - 1} {
			if got := bucketOf(v); got != i {
				t.Fatalf("bucketOf(%d) = %d, want %d", v, got, i)
			}
		}
		next = lower + width
	}
	if next != 1<<maxBits {
		t.Errorf("buckets end at %d, want %d", next, uint64(1)<<maxBits)
	}
	if got := bucketOf(math.MaxUint64); got != nBuckets-1 {
		t.Errorf("bucketOf(MaxUint64) = %d, want the top bucket %d", got, nBuckets-1)
	}
}

// TestQuantileAccuracy compares the histogram's quantiles with the exact
// ones of the same data, for distributions shaped like real latencies.
func TestQuantileAccuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	dists := map[string]func() time.Duration{
		"uniform 10µs..10ms": func() time.Duration {
			return 10*time.Microsecond + time.Duration(rng.Int64N(int64(10*time.Millisecond)))
		},
		"log-uniform 1µs..10s": func() time.Duration {
			return time.Duration(math.Exp(math.Log(1e3) + rng.Float64()*(math.Log(1e10)-math.Log(1e3))))
		},
		"fast with slow tail": func() time.Duration {
			if rng.IntN(1000) == 0 {
				return time.Second + time.Duration(rng.Int64N(int64(2*time.Second)))
			}
			return 50*time.Microsecond + time.Duration(rng.ExpFloat64()*float64(30*time.Microsecond))
		},
		"tiny exact values": func() time.Duration { return time.Duration(rng.IntN(100)) },
	}
	for name, draw := range dists {
		t.Run(name, func(t *testing.T) {
			var h Histogram
			vals := make([]time.Duration, 200000)
			for i := range vals {
				vals[i] = draw()
				h.Record(vals[i])
			}
			slices.Sort(vals)
			for _, q := range []float64{0.001, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999} {
				rank := int(math.Ceil(q * float64(len(vals))))
				want := vals[rank-1]
				got := h.Quantile(q)
				// Half a bucket: 1/256 of the value, or 0 below 128 ns.
				tol := float64(want) / 256
				if math.Abs(float64(got-want)) > tol {
					t.Errorf("Quantile(%v) = %v, want %v ± %.1fns", q, got, want, tol)
				}
			}
			if got, want := h.Max(), vals[len(vals)-1]; got != want {
				t.Errorf("Max() = %v, want %v", got, want)
			}
			if got, want := h.Min(), vals[0]; got != want {
				t.Errorf("Min() = %v, want %v", got, want)
			}
			if got, want := h.Quantile(1), vals[len(vals)-1]; got != want {
				t.Errorf("Quantile(1) = %v, want Max %v", got, want)
			}
			if got := h.Count(); got != uint64(len(vals)) {
				t.Errorf("Count() = %d, want %d", got, len(vals))
			}
		})
	}
}

func TestHistogramMergeAndEdges(t *testing.T) {
	var empty Histogram
	if got := empty.Quantile(0.5); got != 0 {
		t.Errorf("empty Quantile(0.5) = %v, want 0", got)
	}
	if empty.Min() != 0 || empty.Max() != 0 || empty.Mean() != 0 {
		t.Errorf("empty Min, Max, Mean = %v, %v, %v, want 0, 0, 0", empty.Min(), empty.Max(), empty.Mean())
	}

	var a, b, all Histogram
	for i := 1; i <= 1000; i++ {
		d := time.Duration(i) * time.Microsecond
		all.Record(d)
		if i%3 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	a.Merge(&b)
	a.Merge(&empty)
	if a != all {
		t.Errorf("merging two halves differs from recording all: Count %d, Min %v, Max %v, want %d, %v, %v",
			a.Count(), a.Min(), a.Max(), all.Count(), all.Min(), all.Max())
	}
	if got, want := a.Mean(), 500500*time.Nanosecond; got != want {
		t.Errorf("Mean() = %v, want %v", got, want)
	}

	var edge Histogram
	edge.Record(-time.Second)
	edge.Record(time.Duration(math.MaxInt64))
	if edge.Min() != 0 || edge.Max() != math.MaxInt64 {
		t.Errorf("Min, Max after -1s and MaxInt64 = %v, %v, want 0, %v", edge.Min(), edge.Max(), time.Duration(math.MaxInt64))
	}
	if got := edge.Quantile(0.9); got != math.MaxInt64 {
		t.Errorf("Quantile(0.9) = %v, want the clamped Max %v", got, time.Duration(math.MaxInt64))
	}
	if got := edge.Quantile(math.NaN()); got != 0 {
		t.Errorf("Quantile(NaN) = %v, want Min 0", got)
	}
}

func BenchmarkHistogramRecord(b *testing.B) {
	var h Histogram
	d := 37 * time.Microsecond
	b.ReportAllocs()
	for b.Loop() {
		h.Record(d)
		d = d*7%(time.Second) + time.Microsecond
	}
}

func BenchmarkHistogramQuantile(b *testing.B) {
	var h Histogram
	for i := range 100000 {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	b.ReportAllocs()
	for b.Loop() {
		h.Quantile(0.999)
	}
}
