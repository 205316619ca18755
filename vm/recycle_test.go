package vm

import (
	"context"
	"testing"
)

// recycleProgram maps its list argument (x => x * 10) into a LIST_CAP
// list, then ends with tail, which finds that list in local 4.
func recycleProgram(t *testing.T, bt *BuiltinTable, builtins []string, tail func(a *Assembler)) *Program {
	t.Helper()
	return mapProgram(t, bt, builtins, OpNextLocal, true, tail)
}

func ints3(a, b, c int64) Value { return NewList([]Value{Int(a), Int(b), Int(c)}) }

// A run that keeps its mapped list to itself (it returns the list's
// length) hands the list to the next run: once warm it allocates nothing,
// and every run still computes from its own input.
func TestRecycleTemporaryLists(t *testing.T) {
	p := recycleProgram(t, nil, nil, func(a *Assembler) {
		a.Emit(OpLoadLocal, 4)
		a.Emit(OpConst, 0)
		a.Emit(OpIndexList) // acc[0]
		a.Emit(OpReturn)
	})
	m := NewMachine()
	ctx := context.Background()
	for i := range int64(5) {
		v, _, err := m.Run(ctx, p, 0, []Value{ints3(i, 7, 8)}, Limits{}, Input{})
		if err != nil || v.Int() != 10*i {
			t.Fatalf("run %d: got %s, %v; want %d", i, v, err, 10*i)
		}
	}
	if len(m.spare) != 1 {
		t.Fatalf("%d spare lists, want 1", len(m.spare))
	}
	in := []Value{ints3(1, 2, 3)}
	if n := testing.AllocsPerRun(100, func() { m.Run(ctx, p, 0, in, Limits{}, Input{}) }); n != 0 {
		t.Errorf("%v allocs per warm run, want 0", n)
	}
}

// A list that the result can reach, directly, inside a record, through a
// slice a pure builtin returned, or that an impure builtin was given, is
// never reused: what the caller (or the host) holds stays as it was after
// any number of later runs.
func TestRecycleNeverReusesVisibleLists(t *testing.T) {
	var kept Value
	bt, err := NewBuiltinTable(
		Builtin{Name: "head", MinArgs: 1, MaxArgs: 1, Pure: true, Fn: func(c *Call, a []Value) (Value, error) {
			return NewList(a[0].List()[:1]), nil // shares a's backing array
		}},
		Builtin{Name: "keep", MinArgs: 1, MaxArgs: 1, Fn: func(c *Call, a []Value) (Value, error) {
			kept = a[0] // not Pure: it may keep what it is given
			return Int(1), nil
		}},
	)
	if err != nil {
		t.Fatal(err)
	}
	builtins := []string{"head", "keep"}
	cases := []struct {
		name string
		tail func(a *Assembler)
		seen func(result Value) Value // the value that must not change
		want string
	}{
		{"list", func(a *Assembler) {
			a.Emit(OpLoadLocal, 4)
			a.Emit(OpReturn)
		}, func(r Value) Value { return r }, "[10, 20, 30]"},
		{"record", func(a *Assembler) {
			a.Emit(OpLoadLocal, 0)
			a.Emit(OpLoadLocal, 4)
			a.Emit(OpMakeRecord, 2)
			a.Emit(OpReturn)
		}, func(r Value) Value { return r }, "{[1, 2, 3], [10, 20, 30]}"},
		{"shared slice", func(a *Assembler) {
			a.Emit(OpLoadLocal, 4)
			a.Emit(OpCallBuiltin, 0, 1)
			a.Emit(OpReturn)
		}, func(r Value) Value { return r }, "[10]"},
		{"impure builtin", func(a *Assembler) {
			a.Emit(OpLoadLocal, 4)
			a.Emit(OpCallBuiltin, 1, 1)
			a.Emit(OpReturn)
		}, func(Value) Value { return kept }, "[10, 20, 30]"},
	}
	for _, c := range cases {
		p := recycleProgram(t, bt, builtins, c.tail)
		m := NewMachine()
		r, _, err := m.Run(context.Background(), p, 0, []Value{ints3(1, 2, 3)}, Limits{}, Input{})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		seen := c.seen(r)
		if got := seen.String(); got != c.want {
			t.Errorf("%s: got %s after the run, want %s", c.name, got, c.want)
		}
		for i := range int64(4) {
			if _, _, err := m.Run(context.Background(), p, 0, []Value{ints3(-i, -i, -i)}, Limits{}, Input{}); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
		}
		if got := seen.String(); got != c.want {
			t.Errorf("%s: the first run's value changed to %s, want %s", c.name, got, c.want)
		}
		if len(m.spare) != 0 {
			t.Errorf("%s: %d lists kept for reuse, want 0", c.name, len(m.spare))
		}
	}
}

// Runs with probes, failed runs, and results too large to walk keep
// nothing.
func TestRecycleConservative(t *testing.T) {
	ret := recycleProgram(t, nil, nil, func(a *Assembler) {
		a.Emit(OpLoadLocal, 0) // the (possibly huge) input itself
		a.Emit(OpReturn)
	})
	fail := recycleProgram(t, nil, nil, func(a *Assembler) {
		a.Emit(OpLoadLocal, 4)
		a.Emit(OpConst, 1)
		a.Emit(OpIndexList) // acc[10]: out of range
		a.Emit(OpReturn)
	})
	big := make([]Value, 2*maxEscapeWalk)
	for i := range big {
		big[i] = NewList([]Value{Int(int64(i))})
	}
	for _, c := range []struct {
		name string
		p    *Program
		in   Value
		inp  Input
		fail bool
	}{
		{"probes", ret, ints3(1, 2, 3), Input{Probes: &Probes{}}, false},
		{"error", fail, ints3(1, 2, 3), Input{}, true},
		{"unwalkable result", ret, NewList(big), Input{}, false},
	} {
		m := NewMachine()
		if _, _, err := m.Run(context.Background(), c.p, 0, []Value{c.in}, Limits{}, c.inp); (err != nil) != c.fail {
			t.Fatalf("%s: run error %v, want failure %v", c.name, err, c.fail)
		}
		if len(m.spare) != 0 || len(m.made) != 0 {
			t.Errorf("%s: %d spare, %d made lists after the run; want none", c.name, len(m.spare), len(m.made))
		}
	}
	// The same program without probes and with a small result keeps one.
	m := NewMachine()
	if _, _, err := m.Run(context.Background(), ret, 0, []Value{ints3(1, 2, 3)}, Limits{}, Input{}); err != nil || len(m.spare) != 1 {
		t.Errorf("plain run: %v, %d spare lists; want 1", err, len(m.spare))
	}
}
