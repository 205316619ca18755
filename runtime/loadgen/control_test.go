package loadgen

import (
	"testing"
	"time"
)

// TestCalibrate: the rounds found for a call take about as long as it.
// Bounds are loose (a factor of 3 either way): the machine's noise is
// not under test, only that the rounds follow the call's length.
func TestCalibrate(t *testing.T) {
	for _, d := range []time.Duration{3 * time.Microsecond, 30 * time.Microsecond} {
		call := func(int) error {
			for t0 := time.Now(); time.Since(t0) < d; {
			}
			return nil
		}
		rounds, median := Calibrate(call)
		if median < d || median > 3*d {
			t.Errorf("call of %v: median %v", d, median)
		}
		got := medianOf(501, func(int) { Spin(rounds) })
		if got < median/3 || got > 3*median {
			t.Errorf("call of %v (median %v): %d rounds take %v", d, median, rounds, got)
		}
	}
}
