package bench

import (
	"math"
	"math/bits"
	"time"
)

// The histogram's layout, as in HdrHistogram: values below 2^subBits
// nanoseconds have a bucket each; above, every power-of-two range
// [2^m, 2^(m+1)) is cut into 2^subBits equal buckets. A bucket is thus at
// most 1/128 of its lower bound wide, and its midpoint is within 0.4% of
// any value in it.
const (
	subBits  = 7
	subCount = 1 << subBits
	// maxBits bounds the values kept apart: 2^38 ns is about 4.6 minutes,
	// far beyond any exchange timeout. Larger values share the top bucket
	// (Max still reports them exactly).
	maxBits  = 38
	nBuckets = (maxBits - subBits + 1) * subCount
)

// Histogram counts durations in fixed logarithmic buckets, so that its size
// does not depend on how many values it holds and quantiles are accurate to
// under 0.4%. Min, Max and Mean are exact. The zero value is empty and ready
// to use; a Histogram is not safe for concurrent use (give each worker its
// own and Merge them).
type Histogram struct {
	counts [nBuckets]uint64
	total  uint64
	sum    float64 // nanoseconds; float so that it cannot overflow
	min    uint64
	max    uint64
}

// bucketOf returns the index of the bucket holding v nanoseconds.
func bucketOf(v uint64) int {
	if v >= 1<<maxBits {
		return nBuckets - 1
	}
	m := bits.Len64(v) - 1 // position of the highest set bit; -1 for 0
	if m < subBits {
		return int(v)
	}
	shift := m - subBits
	return (shift+1)*subCount + int(v>>shift) - subCount
}

// bucketRange returns the lowest value of bucket i and its width.
func bucketRange(i int) (lower, width uint64) {
	seg := i >> subBits
	if seg == 0 {
		return uint64(i), 1
	}
	shift := seg - 1
	return uint64(i&(subCount-1)+subCount) << shift, 1 << shift
}

// Record adds one duration. Negative durations count as 0.
func (h *Histogram) Record(d time.Duration) {
	v := uint64(max(d, 0))
	h.counts[bucketOf(v)]++
	if h.total == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.total++
	h.sum += float64(v)
}

// Merge adds all values of o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.total == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.total == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.total += o.total
	h.sum += o.sum
}

// Count returns the number of durations recorded.
func (h *Histogram) Count() uint64 { return h.total }

// Min returns the smallest duration recorded, or 0 if none was.
func (h *Histogram) Min() time.Duration { return time.Duration(h.min) }

// Max returns the largest duration recorded, or 0 if none was.
func (h *Histogram) Max() time.Duration { return time.Duration(min(h.max, math.MaxInt64)) }

// Mean returns the average duration recorded, or 0 if none was.
func (h *Histogram) Mean() time.Duration {
	if h.total == 0 {
		return 0
	}
	return time.Duration(h.sum / float64(h.total))
}

// Quantile returns the duration below or at which a fraction q of the
// recorded durations lie (q = 0.5 is the median, 0.999 the 99.9th
// percentile): the midpoint of the bucket holding the value of rank
// ceil(q × Count), kept within [Min, Max]. q ≤ 0 gives Min, q ≥ 1 gives
// Max, and an empty histogram gives 0.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	if q <= 0 || math.IsNaN(q) {
		return h.Min()
	}
	if q >= 1 {
		return h.Max()
	}
	rank := uint64(math.Ceil(q * float64(h.total)))
	rank = max(rank, 1)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			if i == nBuckets-1 {
				// The top bucket also holds every larger value.
				return h.Max()
			}
			lower, width := bucketRange(i)
			v := lower + (width-1)/2
			return time.Duration(min(max(v, h.min), h.max))
		}
	}
	return h.Max()
}
