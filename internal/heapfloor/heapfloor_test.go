package heapfloor

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	const mb = 1 << 20
	for _, c := range []struct {
		live, floor uint64
		base, want  int
	}{
		{1 * mb, 64 * mb, 100, 6300},  // goal 64 MB instead of 2
		{20 * mb, 64 * mb, 100, 220},  // 20 × 3.2 = 64
		{32 * mb, 64 * mb, 100, 100},  // twice the live heap is the floor
		{60 * mb, 64 * mb, 100, 100},  // a large heap: GOGC unchanged
		{40 * mb, 64 * mb, 50, 60},    // base 50: goal 60 MB < 64
		{0, 64 * mb, 100, MaxPercent}, // nothing measured yet
		{64 * mb, 64 * mb, 0, 0},      // GOGC=0 with a heap at the floor
		{1 * mb, 0, 100, 100},         // no floor
	} {
		if got := Percent(c.live, c.floor, c.base); got != c.want {
			t.Errorf("Percent(%d MB, %d MB, %d) = %d, want %d", c.live/mb, c.floor/mb, c.base, got, c.want)
		}
	}
}

var sink []byte

// churn allocates n bytes of garbage in 1 KB pieces and returns the
// number of collections meanwhile.
func churn(n int) uint32 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.NumGC
	for range n / 1024 {
		sink = make([]byte, 1024)
	}
	runtime.ReadMemStats(&ms)
	return ms.NumGC - before
}

// TestFloor: with a small live heap, 64 MB of garbage makes a dozen
// collections at GOGC=100 (Go's 4 MB minimum heap; fewer on a loaded
// machine, where the collector's CPU limiter lets the heap overshoot: 3
// were seen in CI) and at most one under a 256 MB floor; the floor is
// recomputed after collections; Stop restores GOGC.
func TestFloor(t *testing.T) {
	t.Setenv("GOGC", "") // Start must not see an operator's GOGC
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	runtime.GC()
	without := churn(64 << 20)
	if without < 2 {
		t.Fatalf("%d collections without a floor: the test cannot tell", without)
	}
	f := Start(256 << 20)
	if f == nil {
		t.Fatal("no floor")
	}
	if p := f.Percent(); p <= 100 {
		t.Fatalf("GOGC %d under a 256 MB floor", p)
	}
	if n := churn(64 << 20); n > 1 || n >= without {
		t.Errorf("%d collections under the floor, %d without", n, without)
	}
	runtime.GC()
	runtime.GC()
	deadline := time.Now().Add(10 * time.Second)
	for f.Adjustments() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if f.Adjustments() == 0 {
		t.Error("the floor was not recomputed after a collection")
	}
	f.Stop()
	if p := debug.SetGCPercent(100); p != 100 {
		t.Errorf("GOGC %d after Stop, want 100", p)
	}
}

func TestOperatorGOGC(t *testing.T) {
	t.Setenv("GOGC", "200")
	if f := Start(64 << 20); f != nil {
		f.Stop()
		t.Fatal("a floor under GOGC=200 from the environment")
	}
}
