package hdr

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// Every value falls in a bucket whose bounds hold it, at most 2^-(bits-1)
// of its values wide, and the buckets tile the values without gaps.
func TestBuckets(t *testing.T) {
	for _, b := range []int{2, 5, 6, DefaultBits, 16} {
		h := New(b)
		for _, v := range []int64{0, 1, 255, 256, 257, 511, 512, 1000, 1 << 20, 1<<40 + 12345, math.MaxInt64} {
			lo, hi := h.bounds(h.index(v))
			if v < lo || v > hi {
				t.Errorf("%d bits: %d in bucket [%d, %d]", b, v, lo, hi)
			}
			if hi-lo > hi>>(b-1)+1 {
				t.Errorf("%d bits: %d: bucket [%d, %d] too wide", b, v, lo, hi)
			}
		}
		for i := range 40 << (b - 1) {
			_, hi := h.bounds(i)
			if lo, _ := h.bounds(i + 1); lo != hi+1 {
				t.Fatalf("%d bits: bucket %d ends at %d, the next starts at %d", b, i, hi, lo)
			}
		}
	}
}

func TestQuantiles(t *testing.T) {
	for _, b := range []int{6, DefaultBits} {
		h := New(b)
		var vals []int64
		rng := rand.New(rand.NewPCG(1, 2))
		for range 100_000 {
			v := int64(rng.ExpFloat64() * 50_000) // ~50µs mean, long tail
			vals = append(vals, v)
			h.Record(time.Duration(v))
		}
		slices.Sort(vals)
		width := math.Ldexp(1, 1-b)
		for _, q := range []float64{0.5, 0.9, 0.99, 0.999, 1} {
			exact := vals[max(int(q*float64(len(vals)))-1, 0)]
			got := int64(h.Quantile(q))
			if rel := float64(got-exact) / float64(exact); rel < 0 || rel > width {
				t.Errorf("%d bits: q%.3f: got %d, exact %d (%+.2f%%)", b, q, got, exact, 100*rel)
			}
		}
		if h.Max() != time.Duration(vals[len(vals)-1]) || h.Count() != uint64(len(vals)) {
			t.Errorf("%d bits: max %v, count %d", b, h.Max(), h.Count())
		}
	}
	// One value is exact (clamped to the min and max), a negative one 0.
	h := New(5)
	h.Record(20 * time.Millisecond)
	if got := h.Quantile(0.5); got != 20*time.Millisecond {
		t.Errorf("one value: %v", got)
	}
	h = New(5)
	h.Record(-time.Second)
	if got, mean := h.Quantile(1), h.Mean(); got != 0 || mean != 0 {
		t.Errorf("a negative value: %v, mean %v", got, mean)
	}
	if got := New(0).Quantile(0.5); got != 0 {
		t.Errorf("empty: %v", got)
	}
}

// The wire form round-trips at any precision, and merging adds.
func TestExportImportMerge(t *testing.T) {
	for _, b := range []int{6, DefaultBits} {
		h := New(b)
		for i := range 1000 {
			h.Record(time.Duration(i*i) * time.Microsecond)
		}
		data, err := json.Marshal(h.Export())
		if err != nil {
			t.Fatal(err)
		}
		if hasBits := strings.Contains(string(data), `"bits"`); hasBits != (b != DefaultBits) {
			t.Errorf("%d bits: %s", b, data)
		}
		var x Exported
		if err := json.Unmarshal(data, &x); err != nil {
			t.Fatal(err)
		}
		g, err := Import(x)
		if err != nil {
			t.Fatal(err)
		}
		if g.Bits() != b || g.Count() != h.Count() || g.Quantile(0.99) != h.Quantile(0.99) || g.Max() != h.Max() || g.Mean() != h.Mean() {
			t.Fatalf("%d bits: round trip: %d %d %v %v, want %d %v %v", b, g.Bits(), g.Count(), g.Quantile(0.99), g.Max(), h.Count(), h.Quantile(0.99), h.Max())
		}
		g.Merge(h)
		if g.Count() != 2*h.Count() || g.Quantile(0.5) != h.Quantile(0.5) || g.Mean() != h.Mean() {
			t.Fatalf("%d bits: merge: %d %v", b, g.Count(), g.Quantile(0.5))
		}
	}
	// A minimum or maximum outside the buckets' values: Quantile, which
	// starts at the minimum's bucket, indexed the counts at -5 (a panic),
	// or skipped every value and answered the maximum.
	for _, x := range []Exported{{Bits: 1}, {Bits: 17}, {Buckets: map[int]uint64{-1: 1}}, {Buckets: map[int]uint64{1 << 20: 1}},
		{Buckets: map[int]uint64{3: 1}, Min: -5, Max: 3},
		{Buckets: map[int]uint64{3: 1, 7: 1}, Min: 7, Max: 7},
		{Buckets: map[int]uint64{3: 1, 7: 1}, Min: 3, Max: 1 << 40},
		{Buckets: map[int]uint64{3: 1}, Min: 3, Max: 2},
		{Buckets: map[int]uint64{3: math.MaxUint64, 4: 2}, Min: 3, Max: 4}} {
		if h, err := Import(x); err == nil {
			t.Errorf("Import(%+v): no error (p50 %v)", x, h.Quantile(0.5))
		}
	}
	// Empty buckets and the zero histogram import as exported.
	for _, h := range []*Histogram{New(0), func() *Histogram { h := New(0); h.Record(5); h.Record(0); return h }()} {
		x := h.Export()
		x.Buckets[100] = 0
		if g, err := Import(x); err != nil || g.Count() != h.Count() || g.Quantile(0.5) != h.Quantile(0.5) {
			t.Errorf("Import(%+v): %v", x, err)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("merging histograms of different precision did not panic")
		}
	}()
	a, c := New(5), New(8)
	c.Record(time.Second)
	a.Merge(c)
}

func BenchmarkRecord(b *testing.B) {
	for _, bits := range []int{6, DefaultBits} {
		b.Run("bits"+string(rune('0'+bits)), func(b *testing.B) {
			h := New(bits)
			for i := range b.N {
				h.Record(time.Duration(i&0xfffff) * time.Microsecond)
			}
		})
	}
}

// BenchmarkMedian is what state.Mem does on every successful feedback:
// record a latency (a provider's: 20ms and an exponential tail, mean
// 80ms), then recompute the median.
func BenchmarkMedian(b *testing.B) {
	for _, bits := range []int{6, DefaultBits} {
		b.Run("bits"+string(rune('0'+bits)), func(b *testing.B) {
			h := New(bits)
			rng := rand.New(rand.NewPCG(1, 2))
			for i := range b.N {
				h.Record(20*time.Millisecond + time.Duration(rng.ExpFloat64()*60e6) + time.Duration(i&1))
				h.Quantile(0.5)
			}
		})
	}
}

// TestQuantileBoundaries pins known answers: the p99 of 1…100 µs is the
// 99th value (its bucket's upper bound, within 2^-(bits-1)), p50 the
// 50th, p100 the max exactly; zeros are 0; a merge of histograms of
// different ranges is the histogram of all their values; a value far
// beyond the buckets in use grows them.
func TestQuantileBoundaries(t *testing.T) {
	us := time.Microsecond
	h := New(0)
	for i := 1; i <= 100; i++ {
		h.Record(time.Duration(i) * us)
	}
	within := func(got, want time.Duration) bool { return got >= want && float64(got-want) <= float64(want)/128 }
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 50 * us}, {0.9, 90 * us}, {0.99, 99 * us}, {0.999, 100 * us}, {1, 100 * us}} {
		if got := h.Quantile(c.q); !within(got, c.want) || got >= c.want+us {
			t.Errorf("q%v of 1…100 µs: %v, want %v", c.q, got, c.want)
		}
	}
	z := New(0)
	for range 99 {
		z.Record(0)
	}
	z.Record(time.Second)
	if z.Quantile(0.99) != 0 || z.Quantile(1) != time.Second {
		t.Errorf("99 zeros and 1s: p99 %v, max %v", z.Quantile(0.99), z.Quantile(1))
	}
	lo, hi := New(0), New(0)
	for i := 1; i <= 50; i++ {
		lo.Record(time.Duration(i) * us)
		hi.Record(time.Duration(i)*us + time.Hour)
	}
	lo.Merge(hi)
	if lo.Count() != 100 || !within(lo.Quantile(0.5), 50*us) || !within(lo.Quantile(0.51), time.Hour+us) || lo.Max() != time.Hour+50*us {
		t.Errorf("merged: %d, p50 %v, p51 %v, max %v", lo.Count(), lo.Quantile(0.5), lo.Quantile(0.51), lo.Max())
	}
	hi.Merge(New(0))
	hi.Record(math.MaxInt64)
	if hi.Quantile(1) != math.MaxInt64 || !within(hi.Quantile(0.98), time.Hour+50*us) {
		t.Errorf("the largest duration: %v, p98 %v", hi.Quantile(1), hi.Quantile(0.98))
	}
}
