package tcpanalysis

import (
	"math/rand/v2"
	"testing"
)

func TestCoverage(t *testing.T) {
	type r struct{ rel, n uint32 }
	tests := []struct {
		name string
		adds []r
		want uint64
	}{
		{"in order", []r{{1, 100}, {101, 100}, {201, 50}}, 250},
		{"the same segment again", []r{{1, 100}, {1, 100}, {1, 100}}, 100},
		{"a hole filled later", []r{{1, 100}, {201, 100}, {101, 100}}, 300},
		{"a retransmission merging two", []r{{1, 100}, {101, 100}, {1, 200}}, 200},
		{"shifted overlap", []r{{1, 100}, {51, 100}}, 150},
		{"overlap across two islands", []r{{1, 10}, {21, 10}, {41, 10}, {5, 40}}, 50},
		{"a copy whose first was never seen", []r{{1, 100}, {301, 100}, {201, 100}, {201, 100}}, 300},
		{"empty segments", []r{{1, 0}, {1, 10}, {11, 0}}, 10},
		{"past 2^32", []r{{1<<32 - 100, 100}, {0, 100}, {100, 100}, {1<<32 - 100, 50}}, 300},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c coverage
			for _, a := range tc.adds {
				c.add(a.rel, a.n)
			}
			if c.total != tc.want {
				t.Errorf("total = %d, want %d (spans %v)", c.total, tc.want, c.spans)
			}
			for i := 1; i < len(c.spans); i++ {
				if c.spans[i-1].hi >= c.spans[i].lo {
					t.Errorf("spans %v not sorted, disjoint and apart", c.spans)
				}
			}
		})
	}
}

// TestCoverageBounded checks that a flow with more holes than maxSpans
// keeps its memory bounded.
func TestCoverageBounded(t *testing.T) {
	var c coverage
	for i := range uint32(3 * maxSpans) {
		c.add(1+20*i, 10)
	}
	if len(c.spans) > maxSpans {
		t.Errorf("%d spans, want at most %d", len(c.spans), maxSpans)
	}
	if c.total != 3*maxSpans*10 {
		t.Errorf("total = %d, want %d", c.total, 3*maxSpans*10)
	}
}

// TestCoverageRandom checks the distinct bytes counted against a set of
// the bytes, over random segments near one another (in order, resent,
// overlapping, with holes), also when a coverage's memory is reused.
func TestCoverageRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var c coverage
	for run := range 300 {
		c = coverage{spans: c.reuse()}
		seen := map[uint64]bool{}
		next := uint32(1000 + rng.IntN(1000))
		for range 1 + rng.IntN(60) {
			rel := next
			switch rng.IntN(4) {
			case 0: // resent or overlapping
				rel -= uint32(rng.IntN(200))
			case 1: // a hole
				rel += uint32(rng.IntN(200))
			}
			n := uint32(rng.IntN(100))
			c.add(rel, n)
			for b := range n {
				seen[uint64(rel+b)] = true
			}
			if rel+n > next {
				next = rel + n
			}
		}
		if c.total != uint64(len(seen)) {
			t.Fatalf("run %d: total = %d, want %d (spans %v)", run, c.total, len(seen), c.spans)
		}
		for i := 1; i < len(c.spans); i++ {
			if c.spans[i-1].hi >= c.spans[i].lo {
				t.Fatalf("run %d: spans %v not sorted, disjoint and apart", run, c.spans)
			}
		}
	}
}
