package loadgen

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

// TestHistogramWire: the histogram's quantiles are internal/hdr's (tested
// there); what loadgen adds is the JSON form the tcp client's report
// travels in, at its precision.
func TestHistogramWire(t *testing.T) {
	h := NewHistogram()
	rng := rand.New(rand.NewPCG(1, 2))
	for range 10_000 {
		h.Record(time.Duration(rng.ExpFloat64() * 50_000)) // ~50µs mean, long tail
	}
	// The wire form round-trips, and merging adds.
	data, err := json.Marshal(h.Export())
	if err != nil {
		t.Fatal(err)
	}
	var x Exported
	if err := json.Unmarshal(data, &x); err != nil {
		t.Fatal(err)
	}
	g := Import(x)
	if g.Count() != h.Count() || g.Quantile(0.99) != h.Quantile(0.99) || g.Max() != h.Max() {
		t.Fatalf("round trip: %d %v %v, want %d %v %v", g.Count(), g.Quantile(0.99), g.Max(), h.Count(), h.Quantile(0.99), h.Max())
	}
	g.Merge(h)
	if g.Count() != 2*h.Count() || g.Quantile(0.5) != h.Quantile(0.5) {
		t.Fatalf("merge: %d %v", g.Count(), g.Quantile(0.5))
	}
}

func TestRunSyncOpenLoop(t *testing.T) {
	for _, pace := range []Pace{PaceSleep, PaceSpin} {
		t.Run(pace.String(), func(t *testing.T) { testOpenLoop(t, pace) })
	}
}

func testOpenLoop(t *testing.T, pace Pace) {
	// A call that stalls once for 50ms: an open loop charges the requests
	// scheduled during the stall, so the p99 shows it, although only one
	// call was slow.
	r := RunSync("stall", Options{Rate: 2000, Duration: 500 * time.Millisecond, Warmup: 50 * time.Millisecond, Workers: 1, Pace: pace}, func(int) func(int) error {
		return func(i int) error {
			if i == 400 {
				time.Sleep(50 * time.Millisecond)
			}
			return nil
		}
	})
	if r.Sent < 900 || r.OK != r.Sent {
		t.Fatalf("sent %d ok %d", r.Sent, r.OK)
	}
	if p99 := r.Latency.Quantile(0.99); p99 < 10*time.Millisecond {
		t.Errorf("p99 from the schedule %v: the stall is not charged", p99)
	}
	if p50 := r.Service.Quantile(0.5); p50 > 5*time.Millisecond {
		t.Errorf("service p50 %v", p50)
	}
	// The sends due during the stall went late: the generator's lateness
	// is kept apart.
	if late := r.Late.Quantile(0.99); late < 10*time.Millisecond || r.Late.Count() != r.Sent {
		t.Errorf("late p99 %v over %d sends: the stall's late sends are not seen", late, r.Late.Count())
	}
}

func TestMerge(t *testing.T) {
	run := func() Result {
		return RunSync("x", Options{Rate: 1000, Duration: 100 * time.Millisecond, Workers: 1}, func(int) func(int) error {
			return func(int) error { return nil }
		})
	}
	var r Result
	a, b := run(), run()
	r.Merge(a)
	r.Merge(b)
	if r.Sent != a.Sent+b.Sent || r.Latency.Count() != a.Latency.Count()+b.Latency.Count() || r.Duration != 200*time.Millisecond {
		t.Fatalf("merged %d %d %v", r.Sent, r.Latency.Count(), r.Duration)
	}
	if r.Achieved < 900 || r.Achieved > 1100 || a.Latency.Count() != a.OK {
		t.Fatalf("achieved %v", r.Achieved)
	}
}

// TestMergePerRequest: figures per request average over requests, and
// the share of stolen time over time: rounds of max mode differ in
// throughput (100,000 requests at 10 µs and 200,000 at 5 µs are 6.67
// µs a request; by duration they made 7.5).
func TestMergePerRequest(t *testing.T) {
	h := func() *Histogram { return NewHistogram() }
	a := Result{Sent: 100_000, Duration: time.Second, CPUPerReqUS: 10, AllocsPerReq: 10, BytesPerReq: 1000, StealPct: 1, Latency: h(), Service: h()}
	b := Result{Sent: 200_000, Duration: time.Second, CPUPerReqUS: 5, AllocsPerReq: 4, BytesPerReq: 400, StealPct: 3, Latency: h(), Service: h()}
	var r Result
	r.Merge(a)
	r.Merge(b)
	near := func(got, want float64) bool { return got > want-1e-9 && got < want+1e-9 }
	if !near(r.CPUPerReqUS, 20.0/3) || !near(r.AllocsPerReq, 6) || !near(r.BytesPerReq, 600) || !near(r.StealPct, 2) {
		t.Errorf("merged CPU %v µs, %v allocs, %v B per request, steal %v%%; want 6.67, 6, 600, 2", r.CPUPerReqUS, r.AllocsPerReq, r.BytesPerReq, r.StealPct)
	}
}

func TestHitQuantile(t *testing.T) {
	ms := time.Millisecond
	// No pauses, or too little paused time: no instant in 100 waits.
	if got := hitQuantile(nil, time.Second, 0.99); got != 0 {
		t.Errorf("no pauses: %v", got)
	}
	if got := hitQuantile([]time.Duration{5 * ms}, time.Second, 0.99); got != 0 {
		t.Errorf("0.5%% paused: %v", got)
	}
	// One 20 ms pause in 1 s: 2% of instants wait, from 0 to 20 ms
	// uniformly; the 1% that wait longest wait more than 10 ms.
	got := hitQuantile([]time.Duration{20 * ms}, time.Second, 0.99)
	if d := got - 10*ms; d < -time.Microsecond || d > time.Microsecond {
		t.Errorf("one 20ms pause: %v, want 10ms", got)
	}
	// Two 15 ms pauses: Σ max(15ms - x, 0) = 10ms at x = 10ms.
	got = hitQuantile([]time.Duration{15 * ms, 15 * ms}, time.Second, 0.99)
	if d := got - 10*ms; d < -time.Microsecond || d > time.Microsecond {
		t.Errorf("two 15ms pauses: %v, want 10ms", got)
	}
}

func TestProbe(t *testing.T) {
	for _, threads := range []int{1, 2} {
		p := Probe(50*time.Millisecond, threads)
		if p.Threads != threads || p.Duration < 50*time.Millisecond || p.Paused > time.Duration(threads)*p.Duration || p.Longest > p.Paused ||
			(p.Count == 0) != (p.Paused == 0) || p.Hit99 > p.Longest || p.Stalls > p.Count || (p.Stalls > 0) != (p.Longest >= StallMin) {
			t.Fatalf("%d threads: %+v", threads, p)
		}
	}
}

// TestCollector: RunNATS's accounting of replies, with known times. A
// reply to a request scheduled in the warmup is neither counted nor
// recorded; an OK one is recorded once, from its schedule (Latency) and
// from its send (Service); an error reply is counted, not recorded; and
// once the run's figures are taken (close), a reply still in the handler
// changes nothing: before, it was counted as OK outside the histograms'
// lock and recorded after the run had returned them (a count without its
// latency, and a write racing with the caller's reads).
func TestCollector(t *testing.T) {
	us := time.Microsecond
	c := &collector{prefix: len("_INBOX.x."), warmup: time.Millisecond, ok: func(b []byte) bool { return string(b) == "ok" }, lat: NewHistogram(), svc: NewHistogram()}
	c.reply("_INBOX.x.999999.1000000", []byte("ok"), "", 1200*us)  // warmup
	c.reply("_INBOX.x.1000000.1010000", []byte("ok"), "", 1100*us) // 100 µs, 90 µs
	c.reply("_INBOX.x.2000000.2050000", []byte("ok"), "", 2300*us) // 300 µs, 250 µs
	c.reply("_INBOX.x.3000000.3000000", []byte("no"), "", 3100*us) // error
	c.reply("_INBOX.x.4000000.4000000", nil, "503", 4100*us)       // error
	c.reply("_INBOX.x.bad", []byte("ok"), "", 4200*us)             // not ours
	c.close()
	c.reply("_INBOX.x.5000000.5000000", []byte("ok"), "", 9000*us) // after the end
	if c.okN != 2 || c.koN != 2 || c.first != "no" || c.received.Load() != 6 {
		t.Fatalf("ok %d errors %d first %q received %d; want 2, 2, \"no\", 6", c.okN, c.koN, c.first, c.received.Load())
	}
	if c.lat.Count() != 2 || c.lat.Mean() != 200*us || c.lat.Max() != 300*us || c.svc.Count() != 2 || c.svc.Mean() != 170*us || c.svc.Max() != 250*us {
		t.Errorf("latency %d mean %v max %v, service %d mean %v max %v; want 2, 200µs, 300µs, 2, 170µs, 250µs",
			c.lat.Count(), c.lat.Mean(), c.lat.Max(), c.svc.Count(), c.svc.Mean(), c.svc.Max())
	}
	c = &collector{prefix: len("_INBOX.x."), ok: func(b []byte) bool { return len(b) > 0 }, lat: NewHistogram(), svc: NewHistogram()}
	c.reply("_INBOX.x.0.0", nil, "503", 0)
	if c.first != "empty reply (status 503)" {
		t.Errorf("first error %q", c.first)
	}
}

// TestTotal: a run counts every request it sent, the warmup's and those
// answered with an error included (Total, what the figures per request
// divide), and calls Started once, before the first of them.
func TestTotal(t *testing.T) {
	var started, calls int
	o := Options{Rate: 1000, Warmup: 50 * time.Millisecond, Duration: 100 * time.Millisecond, Workers: 1, Started: func() {
		if calls > 0 {
			t.Error("Started after a call")
		}
		started++
	}}
	r := RunSync("x", o, func(int) func(int) error {
		return func(i int) error {
			calls++
			if i%2 == 0 {
				return errors.New("even")
			}
			return nil
		}
	})
	// The schedule: requests 0…149 due every 1 ms in 150 ms, 50 of them
	// in the warmup.
	if started != 1 || r.Total != 150 || calls != 150 || r.Sent != 100 || r.OK != 50 || r.Errors != 50 {
		t.Fatalf("started %d, total %d, calls %d, sent %d, ok %d, errors %d; want 1, 150, 150, 100, 50, 50", started, r.Total, calls, r.Sent, r.OK, r.Errors)
	}
	var m Result
	m.Merge(r)
	m.Merge(r)
	if m.Total != 300 {
		t.Errorf("merged total %d", m.Total)
	}
}
