package loadgen

import (
	"runtime"
	"slices"
	"sync"
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
	Threads  int           `json:"threads"`     // the threads that spun, each for Duration
	Count    int           `json:"count"`       // pauses longer than PauseMin, of all threads
	Paused   time.Duration `json:"paused_ns"`   // their total
	Longest  time.Duration `json:"longest_ns"`
	// Stalls are the pauses of StallMin or more: on the VMs measured so
	// far, a processor taken away for ~100 ms when all were busy.
	Stalls int `json:"stalls"`
	// Hit99 is the p99 of the delay that a pause adds to an instant
	// drawn uniformly in the probe, on any of its threads (0 for the
	// instants outside pauses): how long a 1-in-100 unlucky request
	// waits for the machine alone.
	Hit99 time.Duration `json:"hit_p99_ns"`
}

// PauseMin is the shortest gap Probe counts as a pause, and StallMin the
// shortest it counts as a stall.
const (
	PauseMin = 10 * time.Microsecond
	StallMin = 50 * time.Millisecond
)

// Probe spins on threads locked threads at once for d and reports their
// pauses. It keeps that many CPUs busy meanwhile: run it before a
// measurement, not during one. One thread sees the machine as a request
// does while the others are idle; as many as there are processors see
// it fully loaded, as the bench's highest rates load it.
func Probe(d time.Duration, threads int) Pauses {
	threads = max(threads, 1)
	each := make([][]time.Duration, threads)
	spans := make([]time.Duration, threads)
	var wg sync.WaitGroup
	for i := range threads {
		wg.Go(func() { each[i], spans[i] = spin(d) })
	}
	wg.Wait()
	p := Pauses{Duration: slices.Min(spans), Threads: threads}
	gaps := slices.Concat(each...)
	for _, g := range gaps {
		p.Count++
		p.Paused += g
		p.Longest = max(p.Longest, g)
		if g >= StallMin {
			p.Stalls++
		}
	}
	var total time.Duration
	for _, s := range spans {
		total += s
	}
	p.Hit99 = hitQuantile(gaps, total, 0.99)
	return p
}

// spin reads the clock on a locked thread for d, and returns the gaps
// longer than PauseMin between two reads and how long it spun.
func spin(d time.Duration) (gaps []time.Duration, spun time.Duration) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := time.Now()
	last := start
	for {
		now := time.Now()
		if g := now.Sub(last); g > PauseMin {
			gaps = append(gaps, g)
		}
		last = now
		if spun = now.Sub(start); spun >= d {
			return gaps, spun
		}
	}
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
