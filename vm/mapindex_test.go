package vm

import (
	"context"
	"testing"
)

// TestMapIndex: a map of more than 8 keys finds each of its keys, of
// either kind, at its position and no other key, whether made on the heap
// (NewMap), in an arena (MAKE_MAP) or with repeated keys (dedupMap), at
// sizes around the index's powers of two.
func TestMapIndex(t *testing.T) {
	var a Arena
	for _, n := range []int{9, 15, 16, 17, 31, 32, 33, 100, 1000} {
		var keys, vals []Value
		for i := range n {
			k := Str("key-" + itoa(i))
			if i%3 == 0 {
				k = Int(int64(i*7 - 500))
			}
			keys, vals = append(keys, k), append(vals, Int(int64(i)))
		}
		heap, err := NewMap(keys, vals)
		if err != nil {
			t.Fatal(err)
		}
		made, err := makeMap(&a, append([]Value(nil), keys...), append([]Value(nil), vals...), nil)
		if err != nil {
			t.Fatal(err)
		}
		// Every key twice, the second time with its value + n.
		dkeys := append(append([]Value(nil), keys...), keys...)
		dvals := append([]Value(nil), vals...)
		for i := range n {
			dvals = append(dvals, Int(int64(i+n)))
		}
		dup, err := NewMap(dkeys, dvals)
		if err != nil {
			t.Fatal(err)
		}
		for name, c := range map[string]struct {
			m   Map
			off int64
		}{"heap": {heap.Map(), 0}, "arena": {made.Map(), 0}, "repeated": {dup.Map(), int64(n)}} {
			if c.m.Len() != n {
				t.Fatalf("%d %s: %d entries", n, name, c.m.Len())
			}
			for i, k := range keys {
				if v, ok := c.m.Get(k); !ok || v.Int() != int64(i)+c.off || !Equal(c.m.Keys()[i], k) {
					t.Errorf("%d %s: %v → %v, %v at %v", n, name, k, v, ok, c.m.Keys()[i])
				}
			}
			for _, k := range []Value{Str("key-x"), Str(""), Int(-501), Int(1 << 40), Str("key-0"), Float(1)} {
				if v, ok := c.m.Get(k); ok {
					t.Errorf("%d %s: absent %v → %v", n, name, k, v)
				}
			}
		}
		a.Reset()
	}
}

// TestMakeMapNoAlloc: MAKE_MAP of more than 8 keys in a warm arena takes
// nothing from the Go heap: its index is arena memory (it was a Go map,
// about 4 allocations a map).
func TestMakeMapNoAlloc(t *testing.T) {
	const n = 40
	consts := append(strs("key-", n), Int(1))
	p := build(t, consts, nil, nil, nil, fn{name: "main", asm: func(a *Assembler) {
		for i := range n {
			a.Emit(OpConst, i)
			a.Emit(OpConst, n)
		}
		a.Emit(OpMakeMap, n)
		a.Emit(OpReturn)
	}})
	m := NewMachine()
	in := Input{Arena: new(Arena)}
	run := func() {
		in.Arena.Reset()
		if _, _, err := m.Run(context.Background(), p, 0, nil, Limits{}, in); err != nil {
			t.Fatal(err)
		}
	}
	run()
	if allocs := testing.AllocsPerRun(20, run); allocs != 0 {
		t.Errorf("MAKE_MAP of %d keys: %v allocations a run", n, allocs)
	}
}
