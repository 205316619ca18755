package state

import (
	"sync"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime"
)

// Latency is the median of the successful requests' latencies, kept up to
// date by every feedback: the same as Quantile(0.5), and unaffected by
// failed requests.
func TestLatencyIsTheKeptMedian(t *testing.T) {
	m := NewMem(Options{})
	if _, ok := m.Latency("p:m"); ok {
		t.Fatal("a latency before any feedback")
	}
	for i, ms := range []float64{300, 10, 20, 30, 5000} {
		status := "ok"
		if i == 4 {
			status = "timeout"
		}
		if err := m.RecordFeedback(&runtime.Feedback{Target: "p:m", Status: status, LatencyMs: ms}); err != nil {
			t.Fatal(err)
		}
		got, ok := m.Latency("p:m")
		want, _ := m.Quantile("p:m", 0.5)
		if !ok || got != want {
			t.Fatalf("after %d: Latency %v, Quantile(0.5) %v", i+1, got, want)
		}
	}
	if got, _ := m.Latency("p:m"); got < 18*time.Millisecond || got > 22*time.Millisecond {
		t.Errorf("median of 10, 20, 30, 300 ms: %v, want about 20 ms", got)
	}
}

// The provider-health reads take no lock: they answer while a writer
// holds it, with the figures of the feedback recorded before.
func TestHealthReadsTakeNoLock(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	m := NewMem(Options{Alpha: 0.5, MinSamples: 2, TripRate: 0.5, Cooldown: time.Minute, Now: func() time.Time { return now }})
	for _, f := range []runtime.Feedback{
		{Target: "p:m", Status: "ok", LatencyMs: 20},
		{Target: "p:m", Status: "timeout"},
		{Target: "p:m", Status: "error"},
	} {
		if err := m.RecordFeedback(&f); err != nil {
			t.Fatal(err)
		}
	}
	m.mu.Lock()
	healthy := m.Healthy("p:m")
	lat, ok := m.Latency("p:m")
	rate := m.ErrorRate("p:m")
	unknown := m.Healthy("q:m")
	_, unknownLat := m.Latency("q:m")
	m.mu.Unlock()
	// Weights 1/4, 1/2 and 1 (Alpha 0.5): failures weigh 1.5 of 1.75.
	if healthy || !ok || lat < 18*time.Millisecond || lat > 22*time.Millisecond || rate != 1.5/1.75 {
		t.Errorf("healthy %v, latency %v %v, error rate %v; want an open breaker, about 20ms, 6/7", healthy, lat, ok, rate)
	}
	if !unknown || unknownLat {
		t.Errorf("a target without feedback: healthy %v, latency known %v", unknown, unknownLat)
	}
	now = now.Add(time.Minute)
	if !m.Healthy("p:m") {
		t.Error("the breaker is still open after its cooldown")
	}
	if got := m.Targets(); len(got) != 1 || got[0].Requests != 3 || got[0].ErrorRate != m.ErrorRate("p:m") || !got[0].Healthy {
		t.Errorf("Targets %+v", got)
	}
}

// Reads race with feedback on new and known targets (run with -race).
func TestHealthConcurrent(t *testing.T) {
	m := NewMem(Options{})
	targets := []string{"a:1", "b:1", "c:1", "d:1"}
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			for i := range 500 {
				status := "ok"
				if i%3 == w {
					status = "error"
				}
				m.RecordFeedback(&runtime.Feedback{Target: targets[(i+w)%len(targets)], Status: status, LatencyMs: float64(i % 50)})
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			for i := range 2000 {
				name := targets[i%len(targets)]
				m.Healthy(name)
				if r := m.ErrorRate(name); r < 0 || r > 1 {
					t.Errorf("error rate %v", r)
				}
				if d, ok := m.Latency(name); ok && d <= 0 {
					t.Errorf("latency %v", d)
				}
			}
		})
	}
	wg.Wait()
	if got := m.Targets(); len(got) != len(targets) {
		t.Errorf("%d targets, want %d", len(got), len(targets))
	}
}

// TestDefaultClock: without Options.Now the health clock is the wall
// clock read once and then the monotonic one (one clock read per
// decision-path read instead of two), and keeps the wall time.
func TestDefaultClock(t *testing.T) {
	m := NewMem(Options{})
	before := time.Now().UnixNano()
	got := m.nowNano()
	after := time.Now().UnixNano()
	if got < before-int64(time.Millisecond) || got > after+int64(time.Millisecond) {
		t.Errorf("nowNano %d, want between %d and %d", got, before, after)
	}
	if next := m.nowNano(); next < got {
		t.Errorf("nowNano went back: %d after %d", next, got)
	}
}
