package stdlib

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/vm"
)

// TestSortStopsAtDeadline: sort, keys and values, the draws of weighted,
// sticky and ab.arm, which order a split's targets, and string of a
// collection charge their work first, then do it: they check the deadline
// every vm.CheckEvery comparisons or values written (Call.Pace), as the
// interpreter does every CheckEvery fuel, where they worked to the end (a sort of a list of
// ints, whose comparisons charge nothing more, ran 35 ms past the
// deadline). A call run with a clock that never reaches the deadline
// reads it at each check, more often than its charges alone would; run
// again with a clock that passes the deadline before its last read, that
// check stops it.
func TestSortStopsAtDeadline(t *testing.T) {
	const n = 1 << 14
	xs := make([]vm.Value, n)
	ks, vs := make([]vm.Value, n), make([]vm.Value, n)
	targets := make([]vm.Value, 2*n)
	for i := range xs {
		k := i * 7919 % n // shuffled
		xs[i] = vm.Int(int64(k))
		ks[i], vs[i] = vm.Int(int64(k)), vm.Int(int64(i))
		targets[2*i], targets[2*i+1] = vm.Str(fmt.Sprintf("p:m%05d", k)), vm.Int(1)
	}
	m, err := vm.NewMap(ks, vs)
	if err != nil {
		t.Fatal(err)
	}
	split := kv(t, targets...)
	decision := mustCall(t, "weighted(map[string, int])", split)
	deadline := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		key  string
		args []vm.Value
	}{
		{"sort(list[T])", []vm.Value{vm.NewList(xs)}},
		{"keys(map[K, V])", []vm.Value{m}},
		{"values(map[K, V])", []vm.Value{m}},
		{"weighted(map[string, int])", []vm.Value{split}},
		{"sticky(Decision, string, duration)", []vm.Value{decision, str("session"), vm.Nil()}},
		{keyArm, []vm.Value{str("e"), str("k"), split}},
		// string charges its text, then writes it (and sorts a map's keys).
		{"string(T)", []vm.Value{vm.NewList(xs)}},
		{"string(T)", []vm.Value{m}},
	} {
		t.Run(c.key, func(t *testing.T) {
			// run calls the builtin with a clock that passes the deadline
			// after its first `before` reads, and returns its reads.
			run := func(before int) (int, vm.Stats, error) {
				var reads int
				mach := vm.NewMachine()
				mach.SetClock(func() time.Time {
					if reads++; reads <= before {
						return deadline.Add(-time.Second)
					}
					return deadline.Add(time.Second)
				})
				_, st, err := mach.Run(context.Background(), program(t, c.key, len(c.args)), 0, c.args,
					vm.Limits{Fuel: 1 << 30, Deadline: deadline}, vm.Input{})
				return reads, st, err
			}
			// The charges read the clock at most once per CheckEvery fuel
			// they cross (and once more); the work, every CheckEvery of its
			// comparisons or values written, more often.
			all, st, err := run(1 << 30)
			if err != nil {
				t.Fatal(err)
			}
			if charges := int(st.Fuel/vm.CheckEvery) + 1; all <= charges {
				t.Fatalf("the clock was read %d times for %d fuel: the work does not check the deadline", all, st.Fuel)
			}
			reads, _, err := run(all - 1)
			e := wantCode(t, err, vm.CodeDeadlineExceeded)
			if e.Msg != "deadline exceeded" || reads != all {
				t.Errorf("%v after %d clock reads, want deadline exceeded after %d", e, reads, all)
			}
		})
	}
}

// TestInterruptedAllocatesNothing: sticky asks interrupted of every
// draw's error, nil most of the time, on the router's decision path,
// which must not allocate for it (errors.As would, its target escaping).
func TestInterruptedAllocatesNothing(t *testing.T) {
	for _, err := range []error{nil, errEmptySplit, vm.Errorf(vm.CodeDeadlineExceeded, "deadline exceeded")} {
		if n := testing.AllocsPerRun(100, func() { interrupted(err) }); n != 0 {
			t.Errorf("interrupted(%v): %v allocations", err, n)
		}
	}
}
