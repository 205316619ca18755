package vm

import (
	"context"
	"math"
	"testing"
	"time"
)

// sharedNest returns a list of 10 copies of a list of 10 copies … (levels
// deep) of [0..9]: 10^levels leaves in 10·levels list cells.
func sharedNest(levels int) Value {
	leaf := make([]Value, 10)
	for i := range leaf {
		leaf[i] = Int(int64(i))
	}
	v := NewList(leaf)
	for range levels - 1 {
		xs := make([]Value, 10)
		for i := range xs {
			xs[i] = v
		}
		v = NewList(xs)
	}
	return v
}

// compareProgram has one function per deep comparison of the interpreter:
// each takes x (and y) and returns a bool. The constant is an equal copy
// of the nest made by sharedNest(3).
func compareProgram(t testing.TB) *Program {
	two := func(op Opcode) func(a *Assembler) {
		return func(a *Assembler) {
			a.Emit(OpLoadLocal, 0)
			a.Emit(OpLoadLocal, 1)
			a.Emit(op)
			a.Emit(OpReturn)
		}
	}
	withConst := func(op Opcode) func(a *Assembler) {
		return func(a *Assembler) {
			a.Emit(OpLoadLocal, 0)
			a.Emit(op, 0)
			a.Emit(OpReturn)
		}
	}
	jump := func(op Opcode) func(a *Assembler) {
		return func(a *Assembler) {
			a.Emit(OpLoadLocal, 0)
			a.Emit(op, 0, a.JumpTo("t"))
			a.Emit(OpFalse)
			a.Emit(OpReturn)
			a.Label("t")
			a.Emit(OpTrue)
			a.Emit(OpReturn)
		}
	}
	return build(t, []Value{sharedNest(3)}, nil, nil, nil,
		fn{name: "eq", params: 2, asm: two(OpEq)},
		fn{name: "ne", params: 2, asm: two(OpNe)},
		fn{name: "in", params: 2, asm: two(OpInList)},
		fn{name: "eqc", params: 1, asm: withConst(OpEqConst)},
		fn{name: "nec", params: 1, asm: withConst(OpNeConst)},
		fn{name: "jeq", params: 1, asm: jump(OpJmpIfEqConst)},
		fn{name: "jne", params: 1, asm: jump(OpJmpIfNeConst)},
		fn{name: "before", params: 2, asm: two(OpBefore)},
		fn{name: "after", params: 2, asm: two(OpAfter)},
	)
}

// TestDeepEqualChargesFuel: comparing two equal nests of 10^6 shared
// elements used to cost 1 fuel and walk them all (1 s at 10^8); now the
// walk is charged (1 per 8 element pairs) and stops at the fuel limit, and
// at the deadline when fuel is plenty.
func TestDeepEqualChargesFuel(t *testing.T) {
	p := compareProgram(t)
	big, big2 := sharedNest(6), sharedNest(6) // equal, distinct, 10^6 leaves
	cases := []struct {
		entry string
		args  []Value
	}{
		{"eq", []Value{big, big2}},
		{"eq", []Value{big, big}}, // the same list: no short cut (NaN)
		{"ne", []Value{big, big2}},
		{"in", []Value{big, NewList([]Value{Int(1), big2})}},
		{"before", []Value{big, big2}},
		{"after", []Value{big, big2}},
	}
	for _, c := range cases {
		_, st, err := NewMachine().RunNamed(context.Background(), p, c.entry, c.args, Limits{Fuel: 10000}, Input{})
		wantCode(t, err, CodeFuelExhausted)
		if st.Fuel != 10000 {
			t.Errorf("%s: fuel %d, want 10000", c.entry, st.Fuel)
		}
		// Plenty of fuel, a deadline already passed: the walk checks it.
		lim := Limits{Fuel: math.MaxInt64, Deadline: time.Now().Add(-time.Second)}
		_, _, err = NewMachine().RunNamed(context.Background(), p, c.entry, c.args, lim, Input{})
		wantCode(t, err, CodeDeadlineExceeded)
	}

	// The constant forms, against the 3-level constant (1000 leaves):
	// equal costs about 1110/8 fuel beyond the instructions.
	small := sharedNest(3)
	for _, entry := range []string{"eqc", "nec", "jeq", "jne"} {
		v, st, err := NewMachine().RunNamed(context.Background(), p, entry, []Value{small}, Limits{}, Input{})
		if err != nil {
			t.Fatal(entry, err)
		}
		if want := entry == "eqc" || entry == "jeq"; v.Bool() != want {
			t.Errorf("%s: %v, want %v", entry, v, want)
		}
		if st.Fuel < 1110/8 || st.Fuel > 1110/8+5 {
			t.Errorf("%s: fuel %d, want about %d", entry, st.Fuel, 1110/8)
		}
		_, _, err = NewMachine().RunNamed(context.Background(), p, entry, []Value{small}, Limits{Fuel: 100}, Input{})
		wantCode(t, err, CodeFuelExhausted)
	}
}

// TestDeepEqualResults: the charged comparisons give Equal's answers.
func TestDeepEqualResults(t *testing.T) {
	p := compareProgram(t)
	nan := NewList([]Value{Float(math.NaN())})
	m1, _ := NewMap([]Value{Str("a"), Str("b")}, []Value{Int(1), sharedNest(2)})
	m2, _ := NewMap([]Value{Str("b"), Str("a")}, []Value{sharedNest(2), Int(1)})
	m3, _ := NewMap([]Value{Str("b"), Str("a")}, []Value{sharedNest(2), Int(2)})
	cases := []struct {
		x, y Value
		want bool
	}{
		{sharedNest(4), sharedNest(4), true},
		{sharedNest(4), sharedNest(3), false},
		{nan, nan, false},
		{m1, m2, true},
		{m1, m3, false},
		{NewRecord([]Value{Int(1), sharedNest(2)}), NewRecord([]Value{Int(1), sharedNest(2)}), true},
		{NewRecord([]Value{Int(1), sharedNest(2)}), NewRecord([]Value{Int(2), sharedNest(2)}), false},
		{sharedNest(2), Int(3), false},
	}
	for i, c := range cases {
		for _, entry := range []string{"eq", "ne"} {
			v, err := run(t, p, entry, c.x, c.y)
			if err != nil {
				t.Fatal(i, err)
			}
			if v.Bool() != (c.want == (entry == "eq")) || Equal(c.x, c.y) != c.want {
				t.Errorf("%d: %s = %v, Equal = %v, want equal %v", i, entry, v, Equal(c.x, c.y), c.want)
			}
		}
		v, err := run(t, p, "in", c.x, NewList([]Value{Int(0), c.y}))
		if err != nil || v.Bool() != c.want {
			t.Errorf("%d: in = %v, %v, want %v", i, v, err, c.want)
		}
	}
}

// TestCallCompareCharges: Call.Equal and Call.Compare, for builtins such
// as contains and sort, charge the walk; Compare short-cuts the same list.
func TestCallCompareCharges(t *testing.T) {
	bt, err := NewBuiltinTable(
		Builtin{Name: "eq", MinArgs: 2, MaxArgs: 2, Pure: true, Fn: func(c *Call, a []Value) (Value, error) {
			eq, err := c.Equal(a[0], a[1])
			return Bool(eq), err
		}},
		Builtin{Name: "cmp", MinArgs: 2, MaxArgs: 2, Pure: true, Fn: func(c *Call, a []Value) (Value, error) {
			r, err := c.Compare(a[0], a[1])
			return Int(int64(r)), err
		}},
	)
	if err != nil {
		t.Fatal(err)
	}
	call := func(i int) func(a *Assembler) {
		return func(a *Assembler) {
			a.Emit(OpLoadLocal, 0)
			a.Emit(OpLoadLocal, 1)
			a.Emit(OpCallBuiltin, i, 2)
			a.Emit(OpReturn)
		}
	}
	p := build(t, nil, nil, bt, []string{"eq", "cmp"},
		fn{name: "eq", params: 2, asm: call(0)}, fn{name: "cmp", params: 2, asm: call(1)})
	big, big2 := sharedNest(6), sharedNest(6)
	for _, entry := range []string{"eq", "cmp"} {
		_, st, err := NewMachine().RunNamed(context.Background(), p, entry, []Value{big, big2}, Limits{Fuel: 10000}, Input{})
		wantCode(t, err, CodeFuelExhausted)
		if st.Fuel != 10000 {
			t.Errorf("%s: %d fuel to exhaust 10000", entry, st.Fuel)
		}
		v, st, err := NewMachine().RunNamed(context.Background(), p, entry, []Value{sharedNest(3), sharedNest(3)}, Limits{}, Input{})
		if err != nil || (entry == "eq") != v.Bool() || st.Fuel < 1110/8 {
			t.Errorf("%s: %v, %v, fuel %d", entry, v, err, st.Fuel)
		}
	}
	v, st, err := NewMachine().RunNamed(context.Background(), p, "cmp", []Value{big, big}, Limits{Fuel: 100}, Input{})
	if err != nil || v.Int() != 0 || st.Fuel > 10 {
		t.Errorf("cmp of the same list: %v, %v, fuel %d", v, err, st.Fuel)
	}
	if Compare(sharedNest(3), sharedNest(4)) >= 0 || Compare(big, big2) != 0 {
		t.Error("Compare")
	}
}
