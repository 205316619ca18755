package loadgen

import (
	"math"
	"math/bits"
	"sort"
	"time"
)

// subBits is the number of bits of precision kept per power of two: values
// are recorded with a relative error below 2^-(subBits-1) (0.8%).
const subBits = 8

const (
	subCount = 1 << subBits
	subHalf  = subCount / 2
)

// Histogram is an HDR-style histogram of durations: linear sub-buckets
// inside logarithmic buckets, so every value from 1ns to hours is kept
// with a relative error below 0.8%, in a few kilobytes. Histograms merge
// (Merge) and travel as JSON (Export, Import). It is not safe for
// concurrent use: give each goroutine its own and merge them.
type Histogram struct {
	counts []uint64
	n      uint64
	min    int64
	max    int64
	sum    float64
}

// NewHistogram returns an empty histogram.
func NewHistogram() *Histogram { return &Histogram{min: math.MaxInt64} }

func index(v int64) int {
	if v < subCount {
		return int(v)
	}
	e := bits.Len64(uint64(v)) - subBits
	return e*subHalf + int(uint64(v)>>uint(e))
}

// lowest and highest values of bucket i.
func bounds(i int) (lo, hi int64) {
	if i < subCount {
		return int64(i), int64(i)
	}
	e := (i - subHalf) / subHalf
	m := int64(i - e*subHalf)
	return m << uint(e), (m+1)<<uint(e) - 1
}

// Record adds one duration (negative durations count as 0).
func (h *Histogram) Record(d time.Duration) {
	v := int64(d)
	if v < 0 {
		v = 0
	}
	i := index(v)
	if i >= len(h.counts) {
		n := max(i+1, 2*len(h.counts), 16*subHalf)
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
// bucket holding the ⌈q·n⌉-th smallest value, clamped to the exact max.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			_, hi := bounds(i)
			return time.Duration(min(max(hi, h.min), h.max))
		}
	}
	return time.Duration(h.max)
}

// Merge adds o's values to h.
func (h *Histogram) Merge(o *Histogram) {
	if o == nil || o.n == 0 {
		return
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
}

// Export returns the histogram's wire form.
func (h *Histogram) Export() Exported {
	x := Exported{Buckets: map[int]uint64{}, Min: h.min, Max: h.max, Sum: h.sum}
	for i, c := range h.counts {
		if c > 0 {
			x.Buckets[i] = c
		}
	}
	return x
}

// Import rebuilds a histogram from its wire form.
func Import(x Exported) *Histogram {
	h := NewHistogram()
	idx := make([]int, 0, len(x.Buckets))
	for i := range x.Buckets {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	if len(idx) > 0 {
		h.counts = make([]uint64, idx[len(idx)-1]+1)
	}
	for _, i := range idx {
		h.counts[i] = x.Buckets[i]
		h.n += x.Buckets[i]
	}
	if h.n > 0 {
		h.min, h.max, h.sum = x.Min, x.Max, x.Sum
	}
	return h
}
