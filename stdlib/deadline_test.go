package stdlib

import (
	"context"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/vm"
)

// TestSortStopsAtDeadline: sort, keys and values charge their comparisons
// first, then sort: they check the deadline every vm.CheckEvery
// comparisons (Call.Pace), as the interpreter does every CheckEvery fuel,
// where they sorted to the end (a sort of a list of ints, whose
// comparisons charge nothing more, ran 35 ms past the deadline). The
// machine's clock passes the deadline after the reads of the checks of
// the charges (sort's one; keys' two, of its order check and its sort):
// the next check, in the sort, stops it.
func TestSortStopsAtDeadline(t *testing.T) {
	const n = 1 << 14
	xs := make([]vm.Value, n)
	ks, vs := make([]vm.Value, n), make([]vm.Value, n)
	for i := range xs {
		xs[i] = vm.Int(int64(n - i))
		ks[i], vs[i] = vm.Int(int64(n-i)), vm.Int(int64(i))
	}
	m, err := vm.NewMap(ks, vs)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		key     string
		arg     vm.Value
		charges int
	}{
		{"sort(list[T])", vm.NewList(xs), 1},
		{"keys(map[K, V])", m, 2},
		{"values(map[K, V])", m, 2},
	} {
		t.Run(c.key, func(t *testing.T) {
			var reads int
			mach := vm.NewMachine()
			mach.SetClock(func() time.Time {
				if reads++; reads <= c.charges {
					return deadline.Add(-time.Second)
				}
				return deadline.Add(time.Second)
			})
			_, _, err := mach.Run(context.Background(), program(t, c.key, 1), 0, []vm.Value{c.arg},
				vm.Limits{Fuel: 1 << 30, Deadline: deadline}, vm.Input{})
			e := wantCode(t, err, vm.CodeDeadlineExceeded)
			if e.Msg != "deadline exceeded" || reads != c.charges+1 {
				t.Errorf("%v after %d clock reads, want deadline exceeded after %d", e, reads, c.charges+1)
			}
		})
	}
}
