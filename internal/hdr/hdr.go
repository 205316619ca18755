// Package hdr is the log-linear (HDR-style) histogram of durations the
// module keeps: the load generator's latency figures (runtime/loadgen) and
// the router's per-target latency statistics (runtime/state).
//
// Values are counted in buckets that are linear inside each power of two:
// with b bits of precision, the values below 2^b have a bucket each, and
// every power of two above is cut into 2^(b-1) buckets of equal width, so a
// bucket is at most 2^-(b-1) of its values wide. A quantile is the upper
// bound of the bucket that holds it, clamped to the exact minimum and
// maximum: never below the true value, and above it by at most that
// relative width.
//
// The two users want the same histogram at different precisions, which a
// Histogram takes at construction. The load generator keeps a few
// histograms for a run and reports tail quantiles: 8 bits (DefaultBits,
// 0.8%). The router keeps one per target for as long as it runs, and
// recomputes the median from it on every successful feedback, under the
// state's write lock: 6 bits (3.1%, as precise as the midpoints of the
// 16-buckets-per-power-of-two histogram it kept before) holds a target's
// latencies up to tens of seconds in 8 KB where 8 bits takes 32 KB, and
// walks a quarter of the buckets to the median (BenchmarkMedian: about
// 100 vs 300 ns).
package hdr

import (
	"fmt"
	"math"
	"math/bits"
	"sort"
	"time"
)

// DefaultBits is the precision of New(0): a relative error below 2^-7
// (0.8%).
const DefaultBits = 8

// Histogram is a histogram of durations: every value from 1ns to hours is
// kept with a relative error below 2^-(bits-1), in a few kilobytes (the
// buckets grow up to the largest value recorded). Histograms of the same
// precision merge (Merge) and travel as JSON (Export, Import). It is not
// safe for concurrent use: give each goroutine its own and merge them, or
// guard it.
type Histogram struct {
	bits   uint // precision
	counts []uint64
	n      uint64
	min    int64
	max    int64
	sum    float64
}

// New returns an empty histogram with bits of precision (2–16; 0 means
// DefaultBits).
func New(bits int) *Histogram {
	if bits == 0 {
		bits = DefaultBits
	}
	if bits < 2 || bits > 16 {
		panic(fmt.Sprintf("hdr: %d bits of precision, want 2-16", bits))
	}
	return &Histogram{bits: uint(bits), min: math.MaxInt64}
}

// Bits is h's precision.
func (h *Histogram) Bits() int { return int(h.bits) }

// index is v's bucket (v ≥ 0).
func (h *Histogram) index(v int64) int {
	if v < 1<<h.bits {
		return int(v)
	}
	e := uint(bits.Len64(uint64(v))) - h.bits
	return int(e)<<(h.bits-1) + int(uint64(v)>>e)
}

// bounds are the lowest and highest values of bucket i.
func (h *Histogram) bounds(i int) (lo, hi int64) {
	if i < 1<<h.bits {
		return int64(i), int64(i)
	}
	half := 1 << (h.bits - 1)
	e := uint((i - half) / half)
	m := int64(i - int(e)*half)
	return m << e, (m+1)<<e - 1
}

// Record adds one duration (negative durations count as 0).
func (h *Histogram) Record(d time.Duration) {
	v := max(int64(d), 0)
	i := h.index(v)
	if i >= len(h.counts) {
		n := max(i+1, 2*len(h.counts), 16<<(h.bits-1))
		c := make([]uint64, n)
		copy(c, h.counts)
		h.counts = c
	}
	h.counts[i]++
	h.n++
	h.sum += float64(v)
	h.min = min(h.min, v)
	h.max = max(h.max, v)
}

// Count is the number of recorded values.
func (h *Histogram) Count() uint64 { return h.n }

// Max is the largest recorded value.
func (h *Histogram) Max() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.max)
}

// Mean is the mean of the recorded values.
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sum / float64(h.n))
}

// Quantile returns the value at quantile q (0–1): the upper bound of the
// bucket holding the ⌈q·n⌉-th smallest value, clamped to the exact min and
// max; 0 when h is empty.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	// The buckets below the minimum's are empty: a latency histogram's
	// first milliseconds are hundreds of them.
	var seen uint64
	for i := h.index(h.min); i < len(h.counts); i++ {
		seen += h.counts[i]
		if seen >= rank {
			_, hi := h.bounds(i)
			return time.Duration(min(max(hi, h.min), h.max))
		}
	}
	return time.Duration(h.max)
}

// Merge adds o's values to h. They must have the same precision.
func (h *Histogram) Merge(o *Histogram) {
	if o == nil || o.n == 0 {
		return
	}
	if o.bits != h.bits {
		panic(fmt.Sprintf("hdr: merging a histogram of %d bits into one of %d", o.bits, h.bits))
	}
	if len(o.counts) > len(h.counts) {
		c := make([]uint64, len(o.counts))
		copy(c, h.counts)
		h.counts = c
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	h.min = min(h.min, o.min)
	h.max = max(h.max, o.max)
}

// Exported is a histogram's wire form: the non-empty buckets.
type Exported struct {
	Buckets map[int]uint64 `json:"buckets"`
	Min     int64          `json:"min_ns"`
	Max     int64          `json:"max_ns"`
	Sum     float64        `json:"sum_ns"`
	// Bits is the precision; absent (0) means DefaultBits.
	Bits int `json:"bits,omitempty"`
}

// Export returns the histogram's wire form.
func (h *Histogram) Export() Exported {
	x := Exported{Buckets: map[int]uint64{}, Min: h.min, Max: h.max, Sum: h.sum}
	if h.bits != DefaultBits {
		x.Bits = int(h.bits)
	}
	for i, c := range h.counts {
		if c > 0 {
			x.Buckets[i] = c
		}
	}
	return x
}

// Import rebuilds a histogram from its wire form. Buckets beyond the
// largest duration and negative ones are an error, and so are counts
// whose total overflows and, when there are values, a minimum and a
// maximum outside the lowest and the highest non-empty buckets (which
// Quantile starts from and clamps to).
func Import(x Exported) (*Histogram, error) {
	if x.Bits != 0 && (x.Bits < 2 || x.Bits > 16) {
		return nil, fmt.Errorf("hdr: %d bits of precision, want 2-16", x.Bits)
	}
	h := New(x.Bits)
	idx := make([]int, 0, len(x.Buckets))
	for i := range x.Buckets {
		if i < 0 || i > h.index(math.MaxInt64) {
			return nil, fmt.Errorf("hdr: bucket %d out of range", i)
		}
		idx = append(idx, i)
	}
	sort.Ints(idx)
	if len(idx) > 0 {
		h.counts = make([]uint64, idx[len(idx)-1]+1)
	}
	lo, hi := -1, -1 // the lowest and highest non-empty buckets
	for _, i := range idx {
		c := x.Buckets[i]
		if h.n+c < h.n {
			return nil, fmt.Errorf("hdr: the counts of the buckets overflow")
		}
		h.counts[i] = c
		h.n += c
		if c > 0 {
			hi = i
			if lo < 0 {
				lo = i
			}
		}
	}
	if h.n > 0 {
		if x.Min < 0 || x.Max < x.Min || h.index(x.Min) != lo || h.index(x.Max) != hi {
			return nil, fmt.Errorf("hdr: min %d and max %d are not in the lowest and highest non-empty buckets (%d and %d)", x.Min, x.Max, lo, hi)
		}
		h.min, h.max, h.sum = x.Min, x.Max, x.Sum
	}
	return h, nil
}
