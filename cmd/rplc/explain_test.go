package main

import (
	"math"
	"testing"
)

// TestTracedFuel: explain's traced run gets 4 times the normal run's
// fuel, the VM's default limit included: with no --fuel it had the
// default alone, less than the normal run needs once tracing is charged,
// and a path that the normal run completed was cut short silently.
func TestTracedFuel(t *testing.T) {
	for _, c := range []struct{ normal, want int64 }{
		{0, 4_000_000}, {5, 20}, {math.MaxInt64, math.MaxInt64 / 4 * 4},
	} {
		if got := tracedFuel(c.normal); got != c.want {
			t.Errorf("tracedFuel(%d) = %d, want %d", c.normal, got, c.want)
		}
	}
}
