package vm

import (
	"context"
	"testing"
)

// A builtin may refine its first argument in place only when that record
// was made fresh by the builtin called just before and came straight from
// it (CALL_BUILTIN_TEMP). Any copy in between (DUP, STORE_LOCAL, CALL,
// MAKE_*, APPEND*), another builtin call, or a plain CALL_BUILTIN makes it
// copy instead, so no value a policy holds ever changes.
func TestCallReusable(t *testing.T) {
	var copies int
	bt, err := NewBuiltinTable(
		Builtin{Name: "mk", MinArgs: 0, MaxArgs: 0, Pure: true, Fn: func(c *Call, a []Value) (Value, error) {
			return c.Fresh([]Value{Int(0)}), nil
		}},
		// inc adds 1 to slot 0: in place when it may, else in a copy.
		Builtin{Name: "inc", MinArgs: 1, MaxArgs: 1, Pure: true, Fn: func(c *Call, a []Value) (Value, error) {
			s := a[0].Record()
			if !c.Reusable() {
				copies++
				s = append([]Value(nil), s...)
			}
			s[0] = Int(s[0].Int() + 1)
			return c.Fresh(s), nil
		}},
		Builtin{Name: "id", MinArgs: 1, MaxArgs: 1, Pure: true, Fn: func(c *Call, a []Value) (Value, error) {
			return a[0], nil
		}},
	)
	if err != nil {
		t.Fatal(err)
	}
	builtins := []string{"mk", "inc", "id"}
	mk := func(a *Assembler) { a.Emit(OpCallBuiltin, 0, 0) }
	inc := func(a *Assembler) { a.Emit(OpCallBuiltinTemp, 1, 1) }
	cases := []struct {
		name   string
		asm    func(a *Assembler)
		want   string // the result
		copies int
	}{
		{"a chain refines in place", func(a *Assembler) {
			mk(a)
			inc(a)
			inc(a)
			inc(a)
			a.Emit(OpReturn)
		}, "{3}", 0},
		{"plain CALL_BUILTIN copies", func(a *Assembler) {
			mk(a)
			a.Emit(OpCallBuiltin, 1, 1)
			inc(a) // inc's own result is fresh again
			a.Emit(OpReturn)
		}, "{2}", 1},
		{"DUP: the other copy keeps its value", func(a *Assembler) {
			mk(a)
			a.Emit(OpDup)
			inc(a)
			a.Emit(OpMakeList, 2) // [orig, incremented]
			a.Emit(OpReturn)
		}, "[{0}, {1}]", 1},
		{"STORE_LOCAL then LOAD_LOCAL: the local keeps its value", func(a *Assembler) {
			mk(a)
			a.Emit(OpStoreLocal, 0)
			a.Emit(OpLoadLocal, 0)
			inc(a)
			a.Emit(OpLoadLocal, 0)
			a.Emit(OpMakeList, 2) // [incremented, local]
			a.Emit(OpReturn)
		}, "[{1}, {0}]", 1},
		{"a builtin between forgets the fresh record", func(a *Assembler) {
			mk(a)
			mk(a)
			a.Emit(OpSwap)
			inc(a) // the first mk's record, no longer the last made
			a.Emit(OpMakeList, 2)
			a.Emit(OpReturn)
		}, "[{0}, {1}]", 1},
		{"a record returned unchanged is not fresh", func(a *Assembler) {
			mk(a)
			a.Emit(OpStoreLocal, 0)
			a.Emit(OpLoadLocal, 0)
			a.Emit(OpCallBuiltinTemp, 2, 1) // id(local): not made by id
			inc(a)
			a.Emit(OpLoadLocal, 0)
			a.Emit(OpMakeList, 2)
			a.Emit(OpReturn)
		}, "[{1}, {0}]", 1},
	}
	for _, c := range cases {
		copies = 0
		p := build(t, nil, nil, bt, builtins, fn{name: "main", locals: 1, asm: c.asm})
		v, _, err := NewMachine().Run(context.Background(), p, 0, nil, Limits{}, Input{})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if v.String() != c.want || copies != c.copies {
			t.Errorf("%s: got %s with %d copies, want %s with %d", c.name, v, copies, c.want, c.copies)
		}
	}
}
