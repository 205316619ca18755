package loadgen

import (
	"testing"
	"time"
)

// TestCalibrate, on a clock the test moves: a call takes 3 µs (30 µs one
// time in ten, which the median ignores), a round of spin 2 ns, and each
// reading of the clock 40 ns, which calibrate takes out: 1,500 rounds.
func TestCalibrate(t *testing.T) {
	var clock time.Time
	now := func() time.Time { clock = clock.Add(40 * time.Nanosecond); return clock }
	call := func(i int) {
		d := 3 * time.Microsecond
		if i%10 == 0 {
			d = 30 * time.Microsecond
		}
		clock = clock.Add(d)
	}
	spin := func(n int) { clock = clock.Add(time.Duration(2*n) * time.Nanosecond) }
	rounds, median := calibrate(call, spin, now)
	if median != 3*time.Microsecond+40*time.Nanosecond {
		t.Errorf("median %v, want 3.04µs (the call and one reading of the clock)", median)
	}
	if rounds != 1500 {
		t.Errorf("%d rounds, want 1500", rounds)
	}
}

// TestSpin: Spin works on its register (the result changes with n), which
// the compiler therefore keeps.
func TestSpin(t *testing.T) {
	sink.Store(0)
	Spin(10)
	a := sink.Load()
	Spin(10)
	if a == 0 || sink.Load() == a {
		t.Errorf("sink %d then %d", a, sink.Load())
	}
}
