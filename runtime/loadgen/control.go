package loadgen

import (
	"slices"
	"sync/atomic"
	"time"
)

// sink keeps Spin's result, so that the compiler keeps its loop; atomic,
// for callers on several goroutines (the max mode's).
var sink atomic.Uint64

// Spin does n rounds of arithmetic on one register (a xorshift step, each
// round waiting for the last): work that reads and writes no memory, so
// that nothing it needs can be evicted from a cache between two calls.
// Paced like a real call of the same length, its latency is what the
// machine alone does to a call that long (interrupts, the hypervisor
// taking the CPU), without what a cold cache costs a call that touches
// memory.
func Spin(n int) {
	x := sink.Load() | 1
	for range n {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	sink.Store(x)
}

// Calibrate returns the number of Spin rounds that take as long as call's
// median duration back to back (call(0), call(1)…, each timed alone), and
// that median.
func Calibrate(call func(i int) error) (rounds int, median time.Duration) {
	return calibrate(func(i int) { call(i) }, Spin, time.Now)
}

// calibrate is Calibrate with its work and its clock given.
func calibrate(call func(i int), spin func(n int), now func() time.Time) (rounds int, median time.Duration) {
	const warm, timed = 2000, 5000
	for i := range warm {
		call(i)
	}
	median = medianOf(timed, now, func(i int) { call(warm + i) })
	// The time of a round: the fastest of a few long runs (a pause
	// only lengthens a run).
	const long = 200_000
	best := time.Duration(1<<63 - 1)
	for range 5 {
		t := now()
		spin(long)
		best = min(best, now().Sub(t))
	}
	rounds = max(1, int(float64(median)/float64(best)*long))
	// Short runs carry the clock's own cost: correct once by the median
	// of spin(rounds) timed as the calls were.
	if got := medianOf(timed, now, func(int) { spin(rounds) }); got > 0 {
		rounds = max(1, int(float64(rounds)*float64(median)/float64(got)))
	}
	return rounds, median
}

// medianOf times n calls of f, each alone, and returns the median.
func medianOf(n int, now func() time.Time, f func(i int)) time.Duration {
	ds := make([]time.Duration, n)
	for i := range ds {
		t := now()
		f(i)
		ds[i] = now().Sub(t)
	}
	slices.Sort(ds)
	return ds[n/2]
}
