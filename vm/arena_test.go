package vm

import (
	"context"
	"fmt"
	"testing"
)

// Slices taken from an arena are disjoint, full (no append reaches a
// neighbour) and zeroed, across chunk boundaries; what a run took stays
// valid until Reset; and a run that needed several chunks gets one chunk
// for all of it at the next Reset, so that repeating it allocates nothing.
func TestArenaChunks(t *testing.T) {
	sizes := []int{1, 3, 40, 7, 100, 2, 300, 5, 600} // 1,058 values: several chunks
	var a Arena
	got := make([][]Value, len(sizes))
	fill := func() [][]Value {
		for i, n := range sizes {
			s := a.Values(n)
			if len(s) != n || cap(s) != n {
				t.Fatalf("Values(%d): len %d, cap %d", n, len(s), cap(s))
			}
			for j := range s {
				if s[j] != (Value{}) {
					t.Fatalf("Values(%d)[%d] = %v, want zero", n, j, s[j])
				}
				s[j] = Int(int64(1000*i + j))
			}
			got[i] = s
		}
		return got
	}
	check := func(got [][]Value) {
		t.Helper()
		for i, s := range got {
			for j, v := range s {
				if v.Int() != int64(1000*i+j) {
					t.Fatalf("slice %d element %d = %v, overwritten", i, j, v)
				}
			}
		}
	}
	check(fill())
	if len(a.vals.full) == 0 {
		t.Fatal("the sizes fit in one chunk: the test does not cross chunks")
	}
	for range 2 {
		a.Reset()
		check(fill())
	}
	if len(a.vals.full) != 0 {
		t.Errorf("after Reset the run still needed %d more chunks", len(a.vals.full))
	}
	if n := testing.AllocsPerRun(100, func() { a.Reset(); fill() }); n != 0 {
		t.Errorf("a warm arena allocated %v times per run", n)
	}

	// A large request goes to the heap and leaves the chunk alone.
	a.Reset()
	big := a.Values(maxChunk)
	if len(big) != maxChunk || a.vals.used != 0 {
		t.Errorf("Values(%d) took %d values of the chunk", maxChunk, a.vals.used)
	}

	// A nil arena is the heap.
	var nilArena *Arena
	if s := nilArena.Values(4); len(s) != 4 || cap(s) != 4 {
		t.Errorf("nil arena: len %d cap %d", len(s), cap(s))
	}
}

// A run with an arena makes its records, maps and lists there (MAKE_RECORD,
// MAKE_MAP, and builtins through Call.Values, ListOf and MapOf): it gives
// the same results as a run on the heap, allocates nothing once the arena
// is warm, and its values are the arena's memory, zeroed by Reset.
func TestArenaRun(t *testing.T) {
	bt, err := NewBuiltinTable(Builtin{Name: "pair", MinArgs: 2, MaxArgs: 2, Pure: true, Fn: func(c *Call, a []Value) (Value, error) {
		kv := c.Values(4)
		kv[0], kv[1], kv[2], kv[3] = Str("first"), Str("second"), a[0], a[1]
		m, err := c.MapOf(kv[:2:2], kv[2:])
		if err != nil {
			return Value{}, err
		}
		l := c.ListOf(c.Values(2))
		l.List()[0], l.List()[1] = a[1], a[0]
		return NewRecord(append(c.Values(2)[:0], m, l)), nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	// main(x) = {pair(x, 2), {"k": x}, {x}}
	p := build(t, []Value{Int(2), Str("k")}, nil, bt, []string{"pair"}, fn{name: "main", params: 1, asm: func(a *Assembler) {
		a.Emit(OpLoadLocal, 0)
		a.Emit(OpConst, 0)
		a.Emit(OpCallBuiltin, 0, 2)
		a.Emit(OpConst, 1)
		a.Emit(OpLoadLocal, 0)
		a.Emit(OpMakeMap, 1)
		a.Emit(OpLoadLocal, 0)
		a.Emit(OpMakeRecord, 1)
		a.Emit(OpMakeRecord, 3)
		a.Emit(OpReturn)
	}})
	want := func(x int) string {
		return fmt.Sprintf(`{{{"first": %d, "second": 2}, [2, %d]}, {"k": %d}, {%d}}`, x, x, x, x)
	}
	ctx := context.Background()
	m := NewMachine()
	var arena Arena
	args := []Value{{}}
	runWith := func(x int, a *Arena) Value {
		t.Helper()
		args[0] = Int(int64(x))
		v, _, err := m.Run(ctx, p, 0, args, Limits{}, Input{Arena: a})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for x := range 5 {
		arena.Reset()
		if got, heap := runWith(x, &arena).String(), runWith(x, nil).String(); got != want(x) || heap != want(x) {
			t.Fatalf("run %d: arena %s, heap %s, want %s", x, got, heap, want(x))
		}
	}
	args[0] = Int(7)
	if n := testing.AllocsPerRun(100, func() {
		arena.Reset()
		if _, _, err := m.Run(ctx, p, 0, args, Limits{}, Input{Arena: &arena}); err != nil {
			panic(err)
		}
	}); n != 0 {
		t.Errorf("a run with a warm arena allocated %v times", n)
	}
	arena.Reset()
	v := runWith(9, &arena)
	arena.Reset()
	if s := v.Record(); s[2] != (Value{}) {
		t.Errorf("after Reset the result's slots are %v, want the arena's zeroed memory", s)
	}
}
