// Package procs runs a process on one processor while its request rate
// is low, and on all of them under load (GOMAXPROCS 1 or Max).
//
// With more than one processor, the Go scheduler hands a request's
// goroutines (the NATS client's reader, the subscription's, the
// handler, the flusher) to idle processors, and wakes an idle thread
// for them: a futex call and, where the processor's CPU has halted, an
// interrupt to wake it. On a virtual machine that costs tens of
// microseconds a wake-up; on the 2-core VMs the router is measured on,
// a round trip between two threads took 90 µs, and a request through
// the router and the embedded NATS server at 10,000/s had a p99 of
// 459–844 µs on two processors against 80–103 µs on one
// (docs/performance.md). One processor caps what the process does:
// ~60,000 requests/s through the embedded server on that machine, and
// over TCP it did not always keep up with 30,000/s. A Controller
// takes the process's requests per second each Tick and sets one
// processor once the rate has stayed below Down for Hold, and Max as soon
// as it is at or above Up. The rate is of the requests answered: a stall
// of the process (a pause of the machine, a collection) makes a tick
// read low, and a single low tick must not put a loaded process on one
// processor.
//
// Setting GOMAXPROCS stops the world briefly (~20 µs on that machine);
// the hysteresis between Down and Up, and Hold, keep the changes few.
// A GOMAXPROCS in the environment is the operator's choice: Start then
// changes nothing (unless the runtime ignores it: see EnvSet).
//
// Under load the process runs on the runtime's default (Config.Max 0),
// set by runtime.SetDefaultGOMAXPROCS rather than as a number: the
// runtime then goes on following the CPU limit (a container's cgroup
// quota, the affinity mask), which a GOMAXPROCS(n) call turns off. On one
// processor it is off (the controller set it); each time the load comes
// back the default is read again.
package procs

import (
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The default thresholds, in requests per second: on the 2-core VMs
// measured, one processor kept up with 30,000/s through the embedded
// server but not always over TCP (the kernel's share grows there), where
// two did.
const (
	DefaultUp   = 20_000
	DefaultDown = 15_000
)

// Config configures a Controller.
type Config struct {
	// Count returns the requests served so far (a running total).
	Count func() int64
	// Max is the processors under load; 0 means the runtime's default
	// (runtime.SetDefaultGOMAXPROCS), followed as the CPU limit changes.
	Max int
	// Up and Down are requests per second: at or above Up the process
	// runs on Max processors, below Down on one. 0 means DefaultUp and
	// DefaultDown.
	Up, Down float64
	// Tick is how often the rate is measured (0: 100ms); Hold, how long
	// the rate must stay below Down before the process goes back to one
	// processor (0: 1s).
	Tick, Hold time.Duration
}

// Controller sets GOMAXPROCS from the request rate; see the package doc.
type Controller struct {
	cfg  Config
	stop chan struct{}
	done chan struct{}
	once sync.Once
	// deflt: Max is the runtime's default, set by setDefault.
	deflt bool

	changes atomic.Int64
	max     atomic.Int64 // the processors under load, as last set
}

// setDefault sets GOMAXPROCS to the runtime's default, its updates on
// (runtime.SetDefaultGOMAXPROCS), and returns it; setProcs sets n. Tests
// replace them.
var (
	setDefault = func() int {
		runtime.SetDefaultGOMAXPROCS()
		return runtime.GOMAXPROCS(0)
	}
	setProcs = func(n int) { runtime.GOMAXPROCS(n) }
)

// Start starts a Controller on one processor. It returns nil, and
// changes nothing, when GOMAXPROCS is set in the environment; with
// Max 0 it sets the runtime's default (and its updates), and returns nil
// when that is one processor.
func Start(cfg Config) *Controller {
	if EnvSet() {
		return nil
	}
	deflt := cfg.Max <= 0
	if deflt {
		cfg.Max = setDefault()
	}
	if cfg.Max <= 1 {
		return nil
	}
	if cfg.Up <= 0 {
		cfg.Up = DefaultUp
	}
	if cfg.Down <= 0 {
		cfg.Down = DefaultDown
	}
	cfg.Down = min(cfg.Down, cfg.Up)
	if cfg.Tick <= 0 {
		cfg.Tick = 100 * time.Millisecond
	}
	if cfg.Hold <= 0 {
		cfg.Hold = time.Second
	}
	c := &Controller{cfg: cfg, stop: make(chan struct{}), done: make(chan struct{}), deflt: deflt}
	c.max.Store(int64(cfg.Max))
	setProcs(1)
	go c.run()
	return c
}

// set sets n processors: Max, where it is the runtime's default, through
// setDefault, which reads the default again.
func (c *Controller) set(n int) {
	if c.deflt && n == c.cfg.Max {
		c.max.Store(int64(setDefault()))
		return
	}
	setProcs(n)
}

// EnvSet reports whether GOMAXPROCS in the environment sets the
// processors: a number from 1 on, as the Go runtime reads it
// (strconv.ParseInt, so "+2" is 2; it ignores any other value, and runs
// on every CPU).
func EnvSet() bool {
	v := os.Getenv("GOMAXPROCS")
	n, err := strconv.ParseInt(v, 10, 32)
	return err == nil && n > 0
}

// Stop stops c and puts Max processors back (the runtime's default,
// its updates on, where Max is that).
func (c *Controller) Stop() {
	if c == nil {
		return
	}
	c.once.Do(func() { close(c.stop) })
	<-c.done
	c.set(c.cfg.Max)
}

// Max is the processors c sets under load, as last set: the runtime's
// default changes with the CPU limit (GOMAXPROCS for a nil c).
func (c *Controller) Max() int {
	if c == nil {
		return runtime.GOMAXPROCS(0)
	}
	return int(c.max.Load())
}

// Changes is the number of times c set GOMAXPROCS since Start.
func (c *Controller) Changes() int {
	if c == nil {
		return 0
	}
	return int(c.changes.Load())
}

func (c *Controller) run() {
	defer close(c.done)
	t := time.NewTicker(c.cfg.Tick)
	defer t.Stop()
	s := state{procs: 1}
	last, at := c.cfg.Count(), time.Now()
	for {
		select {
		case <-c.stop:
			return
		case now := <-t.C:
			n := c.cfg.Count()
			rate := float64(n-last) / now.Sub(at).Seconds()
			last, at = n, now
			if p := s.next(c.cfg, rate, now); p != 0 {
				c.set(p)
				c.changes.Add(1)
			}
		}
	}
}

// state is a Controller's, between ticks.
type state struct {
	procs int
	last  time.Time // the tick before
	low   time.Time // on Max: since when the rate is below Down (zero: it is not)
}

// next takes the rate measured over the tick that ends at now and
// returns the processors to set, or 0 to leave them.
func (s *state) next(cfg Config, rate float64, now time.Time) int {
	last := s.last
	s.last = now
	switch {
	case s.procs == 1:
		if rate >= cfg.Up {
			s.procs, s.low = cfg.Max, time.Time{}
			return cfg.Max
		}
	case rate >= cfg.Down:
		s.low = time.Time{}
	case s.low.IsZero():
		s.low = last // the low rate was measured from the tick before
		if last.IsZero() {
			s.low = now
		}
		fallthrough
	default:
		if now.Sub(s.low) >= cfg.Hold {
			s.procs, s.low = 1, time.Time{}
			return 1
		}
	}
	return 0
}
