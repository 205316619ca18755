package loadgen

import (
	"math"
	"runtime/debug"
	"runtime/metrics"
	"testing"
)

// TestSettlePhase checks what settle leaves: a collected heap, then
// garbage worth phase × triggerShare of the runway to the heap goal, and
// no collection meanwhile. (When the pacer then starts the next cycle
// varies too much from one cycle to the next, in a test's tiny heap, to
// be asserted on a few cycles.)
func TestSettlePhase(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(800))
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/cycles/total:gc-cycles"}, {Name: "/gc/heap/goal:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
	for _, phase := range []float64{0, 0.3, 0.6, 0.9} {
		settle(0)
		metrics.Read(s)
		a0, c0 := s[0].Value.Uint64(), s[1].Value.Uint64()
		runway := float64(s[2].Value.Uint64() - s[3].Value.Uint64())
		settle(phase)
		metrics.Read(s)
		got := float64(s[0].Value.Uint64() - a0)
		want := runway * triggerShare * phase
		if math.Abs(got-want) > 128<<10 {
			t.Errorf("settle(%v) allocated %.0f bytes, want %.0f (runway %.0f)", phase, got, want, runway)
		}
		if n := s[1].Value.Uint64() - c0; n != 1 {
			t.Errorf("settle(%v): %d collections, want 1 (its own)", phase, n)
		}
	}
}
