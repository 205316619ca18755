package vm

import (
	"context"
	"fmt"
	"testing"
)

// descending returns a map of n int keys written in descending order, so
// that writing it sorts them: OrderKeysFuel(n, 0) of fuel.
func descending(t *testing.T, n int) Value {
	keys := make([]Value, n)
	for i := range keys {
		keys[i] = Int(int64(n - i))
	}
	m, err := NewMap(keys, ints(n))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// FAIL of a message that is not a string writes it as EXPECT_FAIL writes
// its values, and now charges the same fuel for ordering its maps' keys,
// up to what the run has left: the maps past it are written "...". Before,
// it ordered them all for nothing, so that a value holding a large map
// many times (a cycle through a list that APPEND put into itself, up to
// MaxFormatDepth deep) sorted it again and again past the fuel and the
// deadline.
func TestFailFuel(t *testing.T) {
	const n = 100
	order := OrderKeysFuel(n, 0) // 87
	mp := descending(t, n)
	f, cum := lineFunc("main", 1, 0, []fuelInstr{{OpLoadLocal, []int{0}, 1}, {OpFail, nil, 1 + order}})
	p, err := NewProgram(&ProgramSpec{Functions: []FunctionSpec{f}, Entries: map[string]int{"main": 0}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, lim := range []int64{cum[1], cum[1] + 1, cum[1] - 1, cum[0] + 1} {
		_, st, err := NewMachine().Run(context.Background(), p, 0, []Value{mp}, Limits{Fuel: lim}, Input{})
		e := wantCode(t, err, CodeAssertionFailed)
		want, fuel := mp.String(), cum[1]
		if lim < cum[1] {
			want, fuel = "...", lim
		}
		if e.Msg != want || st.Fuel != fuel {
			t.Errorf("limit %d: %.40q, fuel %d; want %.40q, fuel %d", lim, e.Msg, st.Fuel, want, fuel)
		}
	}
}

// EXPECT_FAIL orders the keys of the maps it writes only as far as the
// run's fuel pays for, and stops the run there (fuel_exhausted at the
// EXPECT_FAIL, after the failure it records, with "..." for the map).
// Before, it ordered them all, then charged them, and the overdraft was
// found at the next instruction.
func TestExpectFailFuel(t *testing.T) {
	const n = 100
	order := OrderKeysFuel(n, 0)
	mp := descending(t, n)
	f, cum := lineFunc("main", 1, 0, []fuelInstr{
		{OpConst, []int{0}, 1}, {OpLoadLocal, []int{0}, 1}, {OpExpectFail, []int{1, 1}, 1 + order},
		{OpTrue, nil, 1}, {OpReturn, nil, 1}})
	p, err := NewProgram(&ProgramSpec{Constants: []Value{Str("m"), Str("")}, Functions: []FunctionSpec{f}, Entries: map[string]int{"main": 0}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	need := cum[len(cum)-1]
	for _, lim := range []int64{need, cum[2], cum[2] - 1, cum[1] + 1} {
		_, st, err := NewMachine().Run(context.Background(), p, 0, []Value{mp}, Limits{Fuel: lim}, Input{})
		e := wantCode(t, err, CodeAssertionFailed)
		msg, line := "m: got "+mp.String(), 0 // line: of the fuel error, 0 for none
		switch {
		case lim < cum[2]:
			msg, line = "m: got ...", 3
		case lim < need:
			line = 4
		}
		if e.Msg != msg {
			t.Errorf("limit %d: %.60q, want %.60q", lim, e.Msg, msg)
		}
		if line == 0 {
			if len(e.Also) != 0 || st.Fuel != need {
				t.Errorf("limit %d: also %v, fuel %d; want none, fuel %d", lim, e.Also, st.Fuel, need)
			}
			continue
		}
		at := fmt.Sprint([]Frame{{Func: "main", File: "fuel.rpl", Line: line, Col: 1}})
		if len(e.Also) != 1 || e.Also[0].Code != CodeFuelExhausted || fmt.Sprint(e.Also[0].Stack) != at || st.Fuel != lim {
			t.Errorf("limit %d: also %v, fuel %d; want fuel_exhausted at %s, fuel %d", lim, e.Also, st.Fuel, at, lim)
		}
	}
}
