package stdlib

import (
	"context"
	"fmt"
	"strings"
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
			run := func(before int) (int, vm.Stats, error) { return runPastDeadline(t, c.key, c.args, deadline, before) }
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

// TestSearchStopsAtDeadline: contains, replace and split charge the bytes
// they search first, then search a block of vm.SearchBlock bytes at a time,
// counting their work (Call.PaceBy: 1 per 16 bytes read, as charged, and
// 1 per occurrence), so that they check the deadline as the interpreter
// does every CheckEvery fuel; an empty separator or old, one character at
// a time (Call.Pace); lower and upper count the bytes of each character
// they look up in the case tables. They searched the whole string at
// once: contains of 15 MB and a 101-byte pattern ran 40 ms past its one
// check, lower of 917 KB of Greek 12.6 ms. A call reads
// the clock once per 2·CheckEvery fuel it takes at least (it read it once,
// at its charge); run again with a clock that passes the deadline before
// its last read, that check stops it.
func TestSearchStopsAtDeadline(t *testing.T) {
	const n = 1 << 20
	a, ab := strings.Repeat("a", n), strings.Repeat("ab", n/2)
	long := strings.Repeat("a", 100) + "b"
	deadline := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name, key string
		args      []vm.Value
	}{
		{"contains, long pattern", "contains(string, string)", []vm.Value{str(a), str(long)}},
		{"contains, short pattern", "contains(string, string)", []vm.Value{str(a), str("ab")}},
		{"replace, dense", "replace(string, string, string)", []vm.Value{str(ab), str("ab"), str("")}},
		{"replace, last byte", "replace(string, string, string)", []vm.Value{str(a + "b"), str("b"), str("c")}},
		{"replace, long old", "replace(string, string, string)", []vm.Value{str(a + long), str(long), str("c")}},
		{"replace, empty old", "replace(string, string, string)", []vm.Value{str(a[:n/16]), str(""), str("-")}},
		{"split, dense", "split(string, string)", []vm.Value{str(ab[:n/4]), str("b")}},
		{"split, long separator", "split(string, string)", []vm.Value{str(a + long + "x"), str(long)}},
		{"split, empty separator", "split(string, string)", []vm.Value{str(a[:n/16]), str("")}},
		// lower and upper look a character that is not ASCII up in the
		// case tables, charged 1 per byte first.
		{"lower, Greek", "lower(string)", []vm.Value{str(strings.Repeat("Σ", n/16))}},
		{"upper, Greek", "upper(string)", []vm.Value{str(strings.Repeat("σ", n/16))}},
		// and go through ASCII a block at a time: the bytes that stay,
		// and those that change.
		{"lower, ASCII unchanged", "lower(string)", []vm.Value{str(a + "A")}},
		{"lower, ASCII", "lower(string)", []vm.Value{str(strings.Repeat("A", n))}},
		{"upper, ASCII", "upper(string)", []vm.Value{str(a)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			run := func(before int) (int, vm.Stats, error) { return runPastDeadline(t, c.key, c.args, deadline, before) }
			all, st, err := run(1 << 30)
			if err != nil {
				t.Fatal(err)
			}
			if want := int(st.Fuel / (2 * vm.CheckEvery)); all < want {
				t.Fatalf("the clock was read %d times for %d fuel, want %d at least: the work does not check the deadline", all, st.Fuel, want)
			}
			reads, _, err := run(all - 1)
			e := wantCode(t, err, vm.CodeDeadlineExceeded)
			if e.Msg != "deadline exceeded" || reads != all {
				t.Errorf("%v after %d clock reads, want deadline exceeded after %d", e, reads, all)
			}
		})
	}
}

// TestSearchAcrossBlocks: contains, replace and split find an occurrence
// that lies across the boundary of two blocks of their search
// (vm.SearchBlock), of a short pattern and of a long one, as the strings
// functions do.
func TestSearchAcrossBlocks(t *testing.T) {
	long := strings.Repeat("xy", 40) + "z"
	// longer than half a block, so that a block is 2*len(pat) bytes
	longer := strings.Repeat("xy", vm.SearchBlock/2+1) + "z"
	for _, pat := range []string{"ab", long, longer} {
		w := max(vm.SearchBlock, 2*len(pat)) // a block's width
		for _, at := range []int{w - len(pat) - 1, w - len(pat), w - 1, w, 2*w - 3, 3 * w} {
			s := strings.Repeat("x", at) + pat + strings.Repeat("y", w+7) + pat
			if got := mustCall(t, "contains(string, string)", str(s[:at+len(pat)]), str(pat)); !got.Bool() {
				t.Errorf("%d-byte pattern at %d: not found", len(pat), at)
			}
			if got := mustCall(t, "replace(string, string, string)", str(s), str(pat), str("_")).Str(); got != strings.ReplaceAll(s, pat, "_") {
				t.Errorf("%d-byte pattern at %d: replace gave %d bytes, want %d", len(pat), at, len(got), len(strings.ReplaceAll(s, pat, "_")))
			}
			got := mustCall(t, "split(string, string)", str(s), str(pat)).List()
			want := strings.Split(s, pat)
			if len(got) != len(want) {
				t.Fatalf("%d-byte pattern at %d: split gave %d parts, want %d", len(pat), at, len(got), len(want))
			}
			for i := range want {
				if got[i].Str() != want[i] {
					t.Errorf("%d-byte pattern at %d: part %d differs", len(pat), at, i)
				}
			}
		}
	}
}

// runPastDeadline calls the builtin key with args, under a clock that
// passes deadline after its first `before` reads (fuel and memory
// ample), and returns the clock's reads.
func runPastDeadline(t *testing.T, key string, args []vm.Value, deadline time.Time, before int) (int, vm.Stats, error) {
	t.Helper()
	var reads int
	mach := vm.NewMachine()
	mach.SetClock(func() time.Time {
		if reads++; reads <= before {
			return deadline.Add(-time.Second)
		}
		return deadline.Add(time.Second)
	})
	_, st, err := mach.Run(context.Background(), program(t, key, len(args)), 0, args,
		vm.Limits{Fuel: 1 << 30, Memory: 1 << 30, Deadline: deadline}, vm.Input{})
	return reads, st, err
}
