package loadgen

import (
	"runtime"
	"slices"
	"time"
)

// Pauses is what a thread that never blocks saw of the machine: the gaps
// between consecutive clock reads longer than PauseMin, when the thread
// was not running (the hypervisor ran another guest, the kernel another
// task, an interrupt took the CPU). A request in flight during a pause
// waits for it, whatever the software does: they set the floor under the
// tails of requests that span such instants (every NATS round trip, which
// wakes several threads).
type Pauses struct {
	Duration time.Duration `json:"duration_ns"` // the probe's length
	Count    int           `json:"count"`       // pauses longer than PauseMin
	Paused   time.Duration `json:"paused_ns"`   // their total
	Longest  time.Duration `json:"longest_ns"`
	// Hit99 is the p99 of the delay that a pause adds to an instant
	// drawn uniformly in the probe (0 for the instants outside pauses):
	// how long a 1-in-100 unlucky request waits for the machine alone.
	Hit99 time.Duration `json:"hit_p99_ns"`
}

// PauseMin is the shortest gap Probe counts as a pause.
const PauseMin = 10 * time.Microsecond

// Probe spins on a locked thread for d and reports its pauses. It keeps a
// CPU busy meanwhile: run it before a measurement, not during one.
func Probe(d time.Duration) Pauses {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var gaps []time.Duration
	p := Pauses{}
	start := time.Now()
	last := start
	for {
		now := time.Now()
		if g := now.Sub(last); g > PauseMin {
			p.Count++
			p.Paused += g
			p.Longest = max(p.Longest, g)
			gaps = append(gaps, g)
		}
		last = now
		if now.Sub(start) >= d {
			p.Duration = now.Sub(start)
			break
		}
	}
	p.Hit99 = hitQuantile(gaps, p.Duration, 0.99)
	return p
}

// hitQuantile returns the delay exceeded by a fraction 1-q of the
// instants of a period of length total with the given pauses: an instant
// at offset u in a pause of length g waits g-u, so the fraction of
// instants waiting more than x is Σ max(g-x, 0) / total, which decreases
// with x; bisect for the x where it reaches 1-q.
func hitQuantile(gaps []time.Duration, total time.Duration, q float64) time.Duration {
	target := (1 - q) * float64(total)
	over := func(x time.Duration) float64 {
		var s float64
		for _, g := range gaps {
			if g > x {
				s += float64(g - x)
			}
		}
		return s
	}
	if over(0) <= target {
		return 0
	}
	lo, hi := time.Duration(0), slices.Max(gaps)
	for hi-lo > time.Microsecond/10 {
		mid := (lo + hi) / 2
		if over(mid) > target {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}
