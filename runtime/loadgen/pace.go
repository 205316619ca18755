package loadgen

import (
	"runtime"
	"time"
)

// Pace is how a generator waits for a request's scheduled send time.
type Pace int

const (
	// PaceSleep parks the generator on a timer of the kernel's (a timerfd
	// read through the netpoller on Linux; time.Sleep elsewhere). It
	// leaves the processor between sends to what the send readied (the
	// NATS client's flusher, which writes the request) and to the server,
	// but it wakes as late as the machine's timers do: on the 2-core VM of
	// docs/performance.md's figures, a 50 µs nanosleep wakes 58 µs late at
	// the median and 200 µs at p99. That lateness is measured (Late) and
	// is part of Latency, not of Service.
	PaceSleep Pace = iota
	// PaceSpin waits on the processor until the send is due, sleeping
	// only the part of a wait beyond spinBelow; sends go out within a
	// microsecond or so of their schedule, and the generator takes a
	// processor's idle time. RunNATS yields (runtime.Gosched) while it
	// waits, so that the process's other goroutines (its NATS client's)
	// run meanwhile. RunSync, whose calls run on the waiting goroutine,
	// reads the clock on a locked thread without yielding: other
	// goroutines run on the other processors, not on this one's caches
	// between two calls.
	PaceSpin
)

// spinBelow is the wait under which PaceSpin yields instead of sleeping.
const spinBelow = 2 * time.Millisecond

// ParsePace reads "sleep" or "spin".
func ParsePace(s string) (Pace, bool) {
	switch s {
	case "sleep":
		return PaceSleep, true
	case "spin":
		return PaceSpin, true
	}
	return 0, false
}

func (p Pace) String() string {
	if p == PaceSpin {
		return "spin"
	}
	return "sleep"
}

// pacer waits for send times in the manner of its Pace.
type pacer struct {
	pace  Pace
	yield bool // PaceSpin: yield the processor while waiting
	sleeper
}

func newPacer(p Pace, yield bool) *pacer {
	pc := &pacer{pace: p, yield: yield}
	if p == PaceSleep {
		pc.sleeper.open()
	}
	return pc
}

func (p *pacer) close() {
	if p.pace == PaceSleep {
		p.sleeper.close()
	}
}

// until waits until start+at.
func (p *pacer) until(start time.Time, at time.Duration) {
	for {
		d := at - time.Since(start)
		switch {
		case d <= 0:
			return
		case p.pace == PaceSleep:
			p.sleep(d)
		case d > spinBelow:
			time.Sleep(d - spinBelow)
		case p.yield:
			runtime.Gosched()
		}
	}
}
