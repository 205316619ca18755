package state

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime"
)

// clock is a settable Options.Now.
type clock struct{ now time.Time }

func newClock() *clock                   { return &clock{time.Unix(1_700_000_000, 0)} }
func (c *clock) Now() time.Time          { return c.now }
func (c *clock) advance(d time.Duration) { c.now = c.now.Add(d) }

func feed(t *testing.T, m *Mem, n int, f runtime.Feedback) {
	t.Helper()
	for range n {
		if err := m.RecordFeedback(&f); err != nil {
			t.Fatal(err)
		}
	}
}

// The latency statistics cover the last two windows: a target that slows
// down shows it within minutes, however fast it was before (a histogram of
// all time kept the old median), and one without a success in that time
// has no latency.
func TestLatencyIsRecent(t *testing.T) {
	c := newClock()
	const w = time.Minute
	m := NewMem(Options{LatencyWindow: w, Now: c.Now})
	check := func(when string, want time.Duration, known bool) {
		t.Helper()
		got, ok := m.Latency("p:m")
		q, _ := m.Quantile("p:m", 0.5)
		if ok != known || got != q || known && (got < want || got > want+want/32) {
			t.Errorf("%s: Latency %v %v, Quantile(0.5) %v; want %v %v", when, got, ok, q, want, known)
		}
	}
	feed(t, m, 300, runtime.Feedback{Target: "p:m", Status: "ok", LatencyMs: 100})
	check("300 × 100ms", 100*time.Millisecond, true)
	c.advance(w)
	feed(t, m, 250, runtime.Feedback{Target: "p:m", Status: "ok", LatencyMs: 5000})
	check("250 × 5s in the next window", 100*time.Millisecond, true)
	c.advance(w) // no feedback: the 100ms window is over
	check("a window later", 5*time.Second, true)
	feed(t, m, 1, runtime.Feedback{Target: "p:m", Status: "ok", LatencyMs: 5000})
	check("and one more 5s", 5*time.Second, true)
	if got := m.Targets()[0].P50Ms; got < 5000 || got > 5200 {
		t.Errorf("Targets p50 %vms, want about 5000", got)
	}
	c.advance(2 * w)
	check("two windows without feedback", 0, false)
	feed(t, m, 1, runtime.Feedback{Target: "p:m", Status: "timeout"})
	check("and a failure", 0, false)
	feed(t, m, 1, runtime.Feedback{Target: "p:m", Status: "ok", LatencyMs: 40})
	check("a success after the lull", 40*time.Millisecond, true)
}

// A feedback without a latency (latency_ms absent: 0) records none, where
// it was a sample of 0ms.
func TestLatencyAbsent(t *testing.T) {
	m := NewMem(Options{})
	feed(t, m, 3, runtime.Feedback{Target: "p:m", Status: "ok"})
	if d, ok := m.Latency("p:m"); ok {
		t.Errorf("three successes without a latency: %v", d)
	}
	feed(t, m, 1, runtime.Feedback{Target: "p:m", Status: "ok", LatencyMs: 80})
	feed(t, m, 5, runtime.Feedback{Target: "p:m", Status: "ok"})
	if d, ok := m.Latency("p:m"); !ok || d < 80*time.Millisecond || d > 83*time.Millisecond {
		t.Errorf("one 80ms success among others without a latency: %v %v, want 80ms", d, ok)
	}
	if got := m.Targets()[0]; got.Requests != 9 || got.Errors != 0 {
		t.Errorf("Targets %+v", got)
	}
}

// A latency below the histograms' microsecond is a latency all the same:
// it counts as 1µs. Recorded as 0, a target whose successes all took less
// read as having none, and health.latency answered the catalogue default
// (1s) for the fastest target.
func TestLatencyBelowAMicrosecond(t *testing.T) {
	m := NewMem(Options{})
	feed(t, m, 3, runtime.Feedback{Target: "p:m", Status: "ok", LatencyMs: 0.0004})
	if d, ok := m.Latency("p:m"); !ok || d != time.Microsecond {
		t.Errorf("three successes of 400ns: %v %v, want 1µs", d, ok)
	}
	if q, ok := m.Quantile("p:m", 0.99); !ok || q != time.Microsecond {
		t.Errorf("p99 %v %v, want 1µs", q, ok)
	}
	feed(t, m, 1, runtime.Feedback{Target: "q:m", Status: "ok", LatencyMs: 1e-9}) // a picosecond: 0ns
	if d, ok := m.Latency("q:m"); !ok || d != time.Microsecond {
		t.Errorf("a success of a picosecond: %v %v, want 1µs", d, ok)
	}
}

// A target that failed and got no traffic since (fallback_chain skips it
// above an error rate of 0.2) recovers with time: its error rate decays,
// where it stayed at 1 until feedback came, which it never did.
func TestErrorRateDecays(t *testing.T) {
	c := newClock()
	m := NewMem(Options{Now: c.Now})
	feed(t, m, 5, runtime.Feedback{Target: "p:m", Status: "http_5xx"})
	usable := func() bool { return m.Healthy("p:m") && m.ErrorRate("p:m") < 0.2 }
	if r := m.ErrorRate("p:m"); r != 1 || usable() {
		t.Fatalf("after 5 × http_5xx: error rate %v, usable %v", r, usable())
	}
	c.advance(5 * time.Second)
	if r := m.ErrorRate("p:m"); r != 1 {
		t.Errorf("5s later: error rate %v, want 1 (five recent outcomes weigh more than one)", r)
	}
	c.advance(30 * time.Second)
	if r := m.ErrorRate("p:m"); !usable() || r > 0.05 {
		t.Errorf("35s later: error rate %v, usable %v; want below 0.05", r, usable())
	}
	// A failure after the lull counts fully: a target failing every
	// request reads 1 however seldom it is asked.
	c.advance(time.Hour)
	feed(t, m, 1, runtime.Feedback{Target: "p:m", Status: "timeout"})
	if r := m.ErrorRate("p:m"); r != 1 {
		t.Errorf("a failure an hour later: error rate %v, want 1", r)
	}
	// A busy target's rate follows its last outcomes: after 20 successes
	// the failure weighs (1-Alpha)^20 = 0.36 of 13.2.
	feed(t, m, 20, runtime.Feedback{Target: "p:m", Status: "ok", LatencyMs: 10})
	if r := m.ErrorRate("p:m"); r < 0.026 || r > 0.029 {
		t.Errorf("after 20 successes: error rate %v, want 0.027", r)
	}
}

// However long a target failed, its rate decays below 0.2 within 34s of
// its last failure (the outcomes weigh at most 1/Alpha = 20, halved every
// 5s), as health.error_rate says: the 25s it says for 5 failures is not
// enough after a long outage.
func TestErrorRateDecaysAfterAnOutage(t *testing.T) {
	c := newClock()
	m := NewMem(Options{Now: c.Now})
	feed(t, m, 1000, runtime.Feedback{Target: "p:m", Status: "timeout"})
	c.advance(25 * time.Second)
	if r := m.ErrorRate("p:m"); r < 0.2 {
		t.Errorf("25s after 1000 failures: error rate %v, want 0.2 or more (weight 20 / 2^5)", r)
	}
	c.advance(9 * time.Second)
	if r := m.ErrorRate("p:m"); r >= 0.2 {
		t.Errorf("34s after 1000 failures: error rate %v, want below 0.2", r)
	}
}

// The breaker opens, lets the target be tried after its cooldown
// (half-open), and a failure then opens it again at once, a success
// closes it.
func TestBreakerHalfOpen(t *testing.T) {
	c := newClock()
	m := NewMem(Options{Now: c.Now})
	feed(t, m, 19, runtime.Feedback{Target: "p:m", Status: "http_5xx"})
	if !m.Healthy("p:m") {
		t.Fatal("open after 19 outcomes (MinSamples 20)")
	}
	feed(t, m, 1, runtime.Feedback{Target: "p:m", Status: "http_5xx"})
	if m.Healthy("p:m") {
		t.Fatal("closed after 20 failures")
	}
	c.advance(29 * time.Second)
	if m.Healthy("p:m") {
		t.Fatal("closed before its cooldown")
	}
	c.advance(time.Second)
	if !m.Healthy("p:m") {
		t.Fatal("not half-open after its cooldown")
	}
	feed(t, m, 1, runtime.Feedback{Target: "p:m", Status: "timeout"})
	if m.Healthy("p:m") {
		t.Fatal("a failure when half-open left it closed")
	}
	c.advance(30 * time.Second)
	feed(t, m, 1, runtime.Feedback{Target: "p:m", Status: "ok", LatencyMs: 10})
	feed(t, m, 1, runtime.Feedback{Target: "p:m", Status: "timeout"})
	if !m.Healthy("p:m") {
		t.Error("one failure after a success closed the breaker opened it again")
	}
}

// The breaker judges a target on its last outcomes however seldom it is
// asked: one failing every request, asked once in ten seconds (a router
// among ten sharing a trickle), opens after its 20th failure, where the
// error rate's half-life used to count each failure as the first after
// a lull, and it never opened. One failing 1 request in 20 at that pace
// never opens; a pause longer than the Lull starts the count again.
func TestBreakerSparseTraffic(t *testing.T) {
	c := newClock()
	m := NewMem(Options{Now: c.Now})
	for i := 1; i <= 20; i++ {
		feed(t, m, 1, runtime.Feedback{Target: "dead", Status: "http_5xx"})
		if healthy := m.Healthy("dead"); healthy != (i < 20) {
			t.Fatalf("after %d failures 10s apart: healthy %v", i, healthy)
		}
		c.advance(10 * time.Second)
	}
	for i := range 1000 {
		status := "ok"
		if i%20 == 19 {
			status = "timeout"
		}
		feed(t, m, 1, runtime.Feedback{Target: "flaky", Status: status, LatencyMs: 10})
		if !m.Healthy("flaky") {
			t.Fatalf("1 failure in 20, 10s apart: open after %d outcomes", i+1)
		}
		c.advance(10 * time.Second)
	}
	feed(t, m, 19, runtime.Feedback{Target: "paused", Status: "http_5xx"})
	c.advance(5*time.Minute + time.Second)
	feed(t, m, 19, runtime.Feedback{Target: "paused", Status: "http_5xx"})
	if !m.Healthy("paused") {
		t.Error("19 failures, a pause past the Lull, 19 more: open, want the count started again")
	}
	feed(t, m, 1, runtime.Feedback{Target: "paused", Status: "http_5xx"})
	if m.Healthy("paused") {
		t.Error("20 failures since the pause: still closed")
	}
}

// An open breaker stays open its Cooldown, no more: the failures of
// requests sent before it opened, reported meanwhile, do not push its
// end further.
func TestBreakerOpenNotExtended(t *testing.T) {
	c := newClock()
	m := NewMem(Options{Now: c.Now})
	feed(t, m, 20, runtime.Feedback{Target: "p:m", Status: "timeout"})
	opened := c.now
	for range 7 {
		c.advance(4 * time.Second)
		feed(t, m, 1, runtime.Feedback{Target: "p:m", Status: "timeout"})
	}
	c.now = opened.Add(30*time.Second - time.Millisecond)
	if m.Healthy("p:m") {
		t.Fatal("half-open before its cooldown")
	}
	c.now = opened.Add(30 * time.Second)
	if !m.Healthy("p:m") {
		t.Errorf("still open 30s after it opened (until %v after)", m.targets["p:m"].OpenUntil.Sub(opened))
	}
}

// Feedback naming new targets, enough to fill the table many times over,
// does not forget a target whose breaker is open: forgotten, it would
// read healthy at once (the target a breaker keeps traffic from is the
// least recently used). The table stays bounded.
func TestEvictionKeepsOpenBreakers(t *testing.T) {
	m := NewMem(Options{MaxTargets: 64})
	feed(t, m, 20, runtime.Feedback{Target: "down", Status: "http_5xx"})
	for i := range 1000 {
		feed(t, m, 1, runtime.Feedback{Target: "x:junk-" + strconv.Itoa(i), Status: "canceled"})
		if n := len(m.targets); n > 64 {
			t.Fatalf("%d targets tracked, want at most 64", n)
		}
	}
	if m.Healthy("down") || m.ErrorRate("down") != 1 {
		t.Errorf("after 1000 new targets: healthy %v, error rate %v; want the breaker open", m.Healthy("down"), m.ErrorRate("down"))
	}

	// Only while open: names made up and tripped on purpose are
	// forgotten like any other once their cooldown is over, not kept for
	// good (crowding the real targets out of the table).
	c := newClock()
	m = NewMem(Options{MaxTargets: 64, Now: c.Now})
	for i := range 48 {
		feed(t, m, 20, runtime.Feedback{Target: "x:tripped-" + strconv.Itoa(i), Status: "http_5xx"})
	}
	c.advance(31 * time.Second)
	for i := range 200 {
		feed(t, m, 1, runtime.Feedback{Target: "x:new-" + strconv.Itoa(i), Status: "ok", LatencyMs: 10})
	}
	for name := range m.targets {
		if strings.HasPrefix(name, "x:tripped-") {
			t.Fatalf("%s, tripped 31s before, still tracked after 200 new targets in a table of 64", name)
		}
	}
}

// Feedback naming new targets, enough to fill the table many times over,
// does not forget the targets decisions read (Healthy, Latency,
// ErrorRate), however long ago their last feedback: they were the least
// recently used, forgotten first, their latency and error rate lost to
// names made up (feedback takes any well-formed target without a
// catalogue). Targets no decision reads any more are forgotten as
// before, and the table stays bounded.
func TestEvictionKeepsTargetsRead(t *testing.T) {
	c := newClock()
	m := NewMem(Options{MaxTargets: 64, Now: c.Now})
	feed(t, m, 1, runtime.Feedback{Target: "once-read", Status: "ok", LatencyMs: 10})
	m.Latency("once-read")
	c.advance(6 * time.Minute) // read more than a Lull before the flood
	feed(t, m, 20, runtime.Feedback{Target: "slow", Status: "ok", LatencyMs: 700})
	feed(t, m, 20, runtime.Feedback{Target: "failing", Status: "timeout"})
	for i := range 1000 {
		c.advance(100 * time.Millisecond)
		feed(t, m, 1, runtime.Feedback{Target: "x:junk-" + strconv.Itoa(i), Status: "ok", LatencyMs: 1})
		if n := len(m.targets); n > 64 {
			t.Fatalf("%d targets tracked, want at most 64", n)
		}
		if i%200 == 0 { // decisions, seldom beside the flood
			m.Latency("slow")
			m.ErrorRate("failing")
		}
	}
	if d, ok := m.Latency("slow"); !ok || d < 600*time.Millisecond {
		t.Errorf("after 1000 new targets: latency %v %v, want slow's 700ms", d, ok)
	}
	if f := m.targets["failing"]; f == nil || f.Errors != 20 {
		t.Errorf("after 1000 new targets: %+v, want failing's 20 errors kept", f)
	}
	if _, ok := m.targets["once-read"]; ok {
		t.Error("a target last read 6 minutes before 1000 new targets is still tracked")
	}
}

// Only the target's failures count against it: the client canceling, or
// its request refused (4xx other than 429), say nothing about the target.
func TestClientErrorsAreNotTheTargets(t *testing.T) {
	m := NewMem(Options{})
	feed(t, m, 20, runtime.Feedback{Target: "p:m", Status: "canceled"})
	feed(t, m, 30, runtime.Feedback{Target: "p:m", Status: "http_4xx", HTTPStatus: 400})
	if r := m.ErrorRate("p:m"); r != 0 || !m.Healthy("p:m") {
		t.Errorf("after canceled and 400s: error rate %v, healthy %v", r, m.Healthy("p:m"))
	}
	if got := m.Targets()[0]; got.Requests != 50 || got.Errors != 0 || got.ClientErrors != 50 {
		t.Errorf("Targets %+v", got)
	}
	for _, f := range []runtime.Feedback{
		{Status: "timeout"}, {Status: "error"}, {Status: "http_5xx"}, {Status: "http_429"},
		{Status: "http_4xx", HTTPStatus: 429},
	} {
		m := NewMem(Options{})
		f.Target = "p:m"
		feed(t, m, 20, f)
		if r := m.ErrorRate("p:m"); r != 1 || m.Healthy("p:m") {
			t.Errorf("%s %d: error rate %v, healthy %v; want 1, an open breaker", f.Status, f.HTTPStatus, r, m.Healthy("p:m"))
		}
	}
}

// Mem tracks at most MaxTargets: a new target beyond it forgets the least
// recently used quarter, and the one in use keeps its health.
func TestTargetsBounded(t *testing.T) {
	m := NewMem(Options{MaxTargets: 64})
	feed(t, m, 20, runtime.Feedback{Target: "hot", Status: "http_5xx"})
	for i := range 1000 {
		feed(t, m, 1, runtime.Feedback{Target: "t" + strconv.Itoa(i), Status: "ok", LatencyMs: 10})
		if i%10 == 0 {
			feed(t, m, 1, runtime.Feedback{Target: "hot", Status: "http_5xx"})
		}
		if n := len(m.targets); n > 64 {
			t.Fatalf("%d targets tracked, want at most 64", n)
		}
	}
	if len(m.Targets()) > 64 || m.health.n > 64 {
		t.Errorf("%d targets listed, %d in the table", len(m.Targets()), m.health.n)
	}
	if m.Healthy("hot") || m.ErrorRate("hot") != 1 {
		t.Error("the target in use lost its health")
	}
	if _, ok := m.Latency("t999"); !ok {
		t.Error("the newest target has no latency")
	}
	if _, ok := m.Latency("t0"); ok {
		t.Error("the oldest target is still tracked")
	}
	m = NewMem(Options{MaxTargets: 1})
	feed(t, m, 1, runtime.Feedback{Target: "a", Status: "ok", LatencyMs: 10})
	feed(t, m, 1, runtime.Feedback{Target: "b", Status: "ok", LatencyMs: 20})
	if got := m.Targets(); len(got) != 1 || got[0].Target != "b" {
		t.Errorf("MaxTargets 1: %+v", got)
	}
}

// The reads a decision makes do not allocate.
func TestHealthReadsDoNotAllocate(t *testing.T) {
	m := NewMem(Options{})
	feed(t, m, 3, runtime.Feedback{Target: "p:m", Status: "ok", LatencyMs: 30})
	if n := testing.AllocsPerRun(100, func() {
		m.Healthy("p:m")
		m.Latency("p:m")
		m.ErrorRate("p:m")
		m.Healthy("q:m")
	}); n != 0 {
		t.Errorf("%v allocations", n)
	}
}

// The medians record keeps are those a walk of the buckets finds, through
// records and rotations.
func TestKeptMedians(t *testing.T) {
	var l latencyWindows
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 20_000 {
		switch r := rng.IntN(1000); {
		case r == 0:
			l.rotate(l.window + 1 + int64(rng.IntN(2)))
		case r < 500:
			l.record(time.Duration(rng.ExpFloat64() * float64(80*time.Millisecond)))
		default: // bimodal: gaps of empty buckets
			l.record(time.Duration(rng.IntN(3)) * time.Second)
		}
		for _, both := range []bool{true, false} {
			if got, want := l.median(both), l.quantile(0.5, both); got != want {
				t.Fatalf("step %d, both %v: kept median %v, walked %v", i, both, got, want)
			}
		}
	}
}

// TestLatencyWindowsBeforeEpoch: under a clock before 1970 the latency
// windows move on as at any other time. A new target's windows started
// at window 0, so those before it (negative) never rotated, the first
// latency staying the median for good; and the window of a time was
// rounded toward zero, the two minutes either side of the epoch one
// window.
func TestLatencyWindowsBeforeEpoch(t *testing.T) {
	c := &clock{time.Date(1969, 12, 31, 23, 50, 0, 0, time.UTC)}
	m := NewMem(Options{LatencyWindow: 2 * time.Minute, Now: c.Now})
	feed(t, m, 1, runtime.Feedback{Target: "a", Status: "ok", LatencyMs: 10})
	c.advance(8*time.Minute + 30*time.Second) // 23:58:30: window -1
	feed(t, m, 1, runtime.Feedback{Target: "b", Status: "ok", LatencyMs: 10})
	c.advance(4 * time.Minute) // 00:02:30: window 1
	for _, target := range []string{"a", "b"} {
		if d, ok := m.Latency(target); ok {
			t.Errorf("%s: Latency %v, a latency from windows before the last two", target, d)
		}
		if d, ok := m.Quantile(target, 0.5); ok {
			t.Errorf("%s: Quantile %v, a latency from windows before the last two", target, d)
		}
	}
	feed(t, m, 1, runtime.Feedback{Target: "b", Status: "ok", LatencyMs: 20})
	if d, ok := m.Latency("b"); !ok || d < 20*time.Millisecond || d > 21*time.Millisecond {
		t.Errorf("b: Latency %v %v after a new latency of 20ms", d, ok)
	}
}

// A half-open breaker that a Lull passed over is closed when the target's
// outcomes come again: its next failure counts as one of the first after
// a lull, not as the failure of a half-open probe, which opened it again
// on the strength of an outage an hour old. Without a lull, a half-open
// breaker's failure still opens it at once (TestBreakerHalfOpen).
func TestBreakerHalfOpenAfterLull(t *testing.T) {
	c := newClock()
	m := NewMem(Options{Now: c.Now})
	feed(t, m, 20, runtime.Feedback{Target: "p:m", Status: "http_5xx"})
	if m.Healthy("p:m") {
		t.Fatal("closed after 20 failures")
	}
	c.advance(time.Hour)
	feed(t, m, 1, runtime.Feedback{Target: "p:m", Status: "http_429"})
	if !m.Healthy("p:m") {
		t.Fatal("one failure after an hour without outcomes opened the breaker again")
	}
	feed(t, m, 18, runtime.Feedback{Target: "p:m", Status: "http_5xx"})
	if !m.Healthy("p:m") {
		t.Fatal("19 failures since the lull (MinSamples 20): open")
	}
	feed(t, m, 1, runtime.Feedback{Target: "p:m", Status: "http_5xx"})
	if m.Healthy("p:m") {
		t.Fatal("20 failures since the lull: still closed")
	}
	// A Cooldown longer than the Lull: a lull while it is open does not
	// close it.
	m = NewMem(Options{Now: c.Now, Cooldown: time.Hour, Lull: time.Minute})
	feed(t, m, 20, runtime.Feedback{Target: "p:m", Status: "http_5xx"})
	c.advance(10 * time.Minute)
	feed(t, m, 1, runtime.Feedback{Target: "p:m", Status: "ok", LatencyMs: 10})
	if m.Healthy("p:m") {
		t.Fatal("a success after a lull, within the Cooldown, closed the breaker")
	}
}
