package procs

import (
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestNext: one processor until the rate reaches Up, then Max until
// the rate has stayed below Down for Hold (a tick at or above Down starts
// that over); between Down and Up it stays where it is.
func TestNext(t *testing.T) {
	cfg := Config{Max: 4, Up: 20_000, Down: 15_000, Hold: time.Second}
	t0 := time.Unix(0, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	s := state{procs: 1}
	for _, c := range []struct {
		ms   int
		rate float64
		want int // 0: unchanged
		now  int // the processors after
	}{
		{0, 0, 0, 1},
		{100, 19_999, 0, 1}, // under Up
		{200, 20_000, 4, 4}, // at Up
		{300, 0, 0, 4},      // under Down since 200
		{1100, 14_000, 0, 4},
		{1200, 16_000, 0, 4}, // at or above Down: starts over
		{1300, 14_999, 0, 4}, // under Down since 1200
		{2100, 14_999, 0, 4},
		{2200, 1_000, 1, 1},  // under Down for Hold
		{2300, 17_000, 0, 1}, // between: stays on one
		{2400, 25_000, 4, 4}, // up again at once
		{2500, 1_000, 0, 4},  // a stall's tick
		{2600, 30_000, 0, 4}, // and the load again: starts over
		{3400, 30_000, 0, 4},
		{3500, 1_000, 0, 4}, // under Down since 3400
		{4300, 1_000, 0, 4},
		{4400, 1_000, 1, 1},
	} {
		if got := s.next(cfg, c.rate, at(c.ms)); got != c.want || s.procs != c.now {
			t.Fatalf("at %d ms, rate %v: next %d (now %d), want %d (now %d)", c.ms, c.rate, got, s.procs, c.want, c.now)
		}
	}
}

// TestController: a Controller started on a process of several
// processors runs it on one, sets Max when the count climbs at Up or
// faster, one again once it stops (after Hold), and Max at Stop.
func TestController(t *testing.T) {
	t.Setenv("GOMAXPROCS", "") // the operator's variable would leave it alone
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	runtime.GOMAXPROCS(2)
	var n atomic.Int64
	c := Start(Config{Count: n.Load, Max: 2, Up: 1000, Down: 500, Tick: 10 * time.Millisecond, Hold: 50 * time.Millisecond})
	if c == nil {
		t.Fatal("Start: nil on 2 processors")
	}
	if p := runtime.GOMAXPROCS(0); p != 1 || c.Max() != 2 {
		t.Fatalf("after Start: %d processors, Max %d, want 1 and 2", p, c.Max())
	}
	waitFor := func(want int, load func()) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			load()
			if runtime.GOMAXPROCS(0) == want {
				return
			}
		}
		t.Fatalf("GOMAXPROCS %d, want %d", runtime.GOMAXPROCS(0), want)
	}
	waitFor(2, func() { n.Add(100) }) // 100 a millisecond at least: 100,000/s
	waitFor(1, func() {})
	if c.Changes() < 2 {
		t.Errorf("Changes %d, want 2 or more", c.Changes())
	}
	c.Stop()
	if p := runtime.GOMAXPROCS(0); p != 2 {
		t.Errorf("after Stop: %d processors, want 2", p)
	}
}

// TestStartLeavesOperatorsChoice: GOMAXPROCS in the environment, or a
// Max of one processor, and Start changes nothing.
func TestStartLeavesOperatorsChoice(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	runtime.GOMAXPROCS(2)
	t.Setenv("GOMAXPROCS", "2")
	if c := Start(Config{Count: func() int64 { return 0 }}); c != nil {
		c.Stop()
		t.Error("Start with GOMAXPROCS in the environment: a Controller")
	}
	if p := runtime.GOMAXPROCS(0); p != 2 {
		t.Errorf("Start with GOMAXPROCS in the environment set %d processors", p)
	}
	t.Setenv("GOMAXPROCS", "")
	runtime.GOMAXPROCS(1)
	if c := Start(Config{Count: func() int64 { return 0 }, Max: 1}); c != nil {
		c.Stop()
		t.Error("Start with Max 1: a Controller")
	}
	var c *Controller
	c.Stop() // nil: nothing to stop
	if c.Changes() != 0 || c.Max() != runtime.GOMAXPROCS(0) {
		t.Errorf("nil Controller: %d changes, Max %d", c.Changes(), c.Max())
	}
}

// TestEnvSet: a GOMAXPROCS the Go runtime ignores (not a number from 1
// on) is not the operator's choice: Start runs a Controller (it left the
// process on every processor, found by a review).
func TestEnvSet(t *testing.T) {
	for v, want := range map[string]bool{"": false, "0": false, "-1": false, "x": false, " 2": false, "+2": true, "99999999999": false, "1": true, "2": true} {
		t.Setenv("GOMAXPROCS", v)
		if got := EnvSet(); got != want {
			t.Errorf("GOMAXPROCS=%q: EnvSet %v, want %v", v, got, want)
		}
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	runtime.GOMAXPROCS(2)
	t.Setenv("GOMAXPROCS", "0")
	c := Start(Config{Count: func() int64 { return 0 }})
	if c == nil {
		t.Fatal("Start with GOMAXPROCS=0, which the runtime ignores: nil")
	}
	c.Stop()
	c.Stop() // again: nothing more
	if p := runtime.GOMAXPROCS(0); p != 2 {
		t.Errorf("after Stop: %d processors, want 2", p)
	}
}

// procsLog replaces setDefault and setProcs for the test: they record
// what they are asked ("default", or the number), and the default is
// what def holds.
type procsLog struct {
	mu  sync.Mutex
	log []string
	def atomic.Int64
}

func newProcsLog(t *testing.T, def int) *procsLog {
	l := &procsLog{}
	l.def.Store(int64(def))
	oldDefault, oldProcs := setDefault, setProcs
	t.Cleanup(func() { setDefault, setProcs = oldDefault, oldProcs })
	setDefault = func() int { l.add("default"); return int(l.def.Load()) }
	setProcs = func(n int) { l.add(strconv.Itoa(n)) }
	return l
}

func (l *procsLog) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.log = append(l.log, s)
}

func (l *procsLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.log, " ")
}

// TestDefaultMax: with Max 0 the processors under load are the runtime's
// default, set through SetDefaultGOMAXPROCS (which keeps the runtime
// following the CPU limit), not a number (which turned that off): at
// Start (to read it), each time the load comes (read again: a changed
// limit is taken up) and at Stop. A default of one processor, and no
// Controller; GOMAXPROCS in the environment, and neither is called.
func TestDefaultMax(t *testing.T) {
	t.Setenv("GOMAXPROCS", "")
	l := newProcsLog(t, 4)
	var n atomic.Int64
	c := Start(Config{Count: n.Load, Up: 1000, Down: 500, Tick: 10 * time.Millisecond, Hold: 50 * time.Millisecond})
	if c == nil {
		t.Fatal("Start with a default of 4: nil")
	}
	if got := l.String(); got != "default 1" || c.Max() != 4 {
		t.Fatalf("after Start: %q, Max %d, want \"default 1\", 4", got, c.Max())
	}
	l.def.Store(3) // the CPU limit lowered while on one processor
	waitLog := func(want string, load func()) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			load()
			if l.String() == want {
				return
			}
		}
		t.Fatalf("set %q, want %q", l, want)
	}
	waitLog("default 1 default", func() { n.Add(100) })
	if c.Max() != 3 {
		t.Errorf("Max %d under load, want the default read again, 3", c.Max())
	}
	waitLog("default 1 default 1", func() {})
	c.Stop()
	if got, want := l.String(), "default 1 default 1 default"; got != want {
		t.Errorf("after Stop: %q, want %q", got, want)
	}

	l = newProcsLog(t, 1)
	if c := Start(Config{Count: n.Load}); c != nil {
		c.Stop()
		t.Error("Start with a default of one processor: a Controller")
	}
	if got := l.String(); got != "default" {
		t.Errorf("Start with a default of one processor: %q, want \"default\"", got)
	}
	t.Setenv("GOMAXPROCS", "3")
	l = newProcsLog(t, 4)
	if c := Start(Config{Count: n.Load}); c != nil {
		c.Stop()
		t.Error("Start with GOMAXPROCS in the environment: a Controller")
	}
	if got := l.String(); got != "" {
		t.Errorf("Start with GOMAXPROCS in the environment: %q, want nothing set", got)
	}
}

// TestDefaultMaxRuntime: through the runtime, Max 0 is its default
// (runtime.SetDefaultGOMAXPROCS), one processor after Start, the
// default again after Stop; no Controller where the default is one.
func TestDefaultMaxRuntime(t *testing.T) {
	t.Setenv("GOMAXPROCS", "")
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	runtime.GOMAXPROCS(1)
	runtime.SetDefaultGOMAXPROCS()
	def := runtime.GOMAXPROCS(0)
	runtime.GOMAXPROCS(1)
	c := Start(Config{Count: func() int64 { return 0 }})
	switch {
	case def <= 1 && c != nil:
		c.Stop()
		t.Fatal("Start with a default of one processor: a Controller")
	case def <= 1:
		return
	case c == nil:
		t.Fatalf("Start with a default of %d: nil", def)
	}
	if p := runtime.GOMAXPROCS(0); p != 1 || c.Max() != def {
		t.Errorf("after Start: %d processors, Max %d, want 1 and %d", p, c.Max(), def)
	}
	c.Stop()
	if p := runtime.GOMAXPROCS(0); p != def {
		t.Errorf("after Stop: %d processors, want the default %d", p, def)
	}
}
