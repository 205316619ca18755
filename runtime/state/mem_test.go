package state

import (
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
