package vm

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
)

// lookupBefore is how a key was found and charged before findFuel did
// both in one scan: find, then a second scan of a small map's keys for
// the fuel (the former lookupFuel). It is the contract the fuel of
// INDEX_MAP, IN_MAP, Call.Get, LookupFuel and EQ of two maps keeps: a
// string key's KeyFuel for each key of its length at another address
// that a map of up to 8 keys compares it with, up to the one it finds,
// once at least; once for a larger map, which hashes it.
func lookupBefore(m *mapObj, k Value) (int, int64) {
	j := m.find(k)
	f := KeyFuel(k)
	if f == 0 {
		return j, 0
	}
	if len(m.keys) > smallMap {
		return j, f
	}
	keys := m.keys
	if j >= 0 {
		keys = keys[:j+1]
	}
	var fuel int64
	for _, o := range keys {
		if o.k == KindString && o.n == k.n && o.p != k.p {
			fuel += f
		}
	}
	return j, max(fuel, f)
}

// lookupCase is a map and a key to find in it.
type lookupCase struct {
	name string
	m    Value
	k    Value
}

// lookupCases are maps of 0 to 12 keys, short, long (64 bytes and more,
// of one length or several, sharing a prefix), ints and a mix, and keys
// to find in each: every key at its own address and as a copy, keys
// absent of a map key's length and of another, short keys and ints.
func lookupCases(t *testing.T) []lookupCase {
	t.Helper()
	long := func(n, i int) string { // n bytes, sharing all but the last 4
		return strings.Repeat("p", n-4) + fmt.Sprintf("%04d", i)
	}
	pools := map[string]func(i int) Value{
		"short":   func(i int) Value { return Str(fmt.Sprint("k", i)) },
		"long64":  func(i int) Value { return Str(long(64, i)) },
		"long4k":  func(i int) Value { return Str(long(4096, i)) },
		"lengths": func(i int) Value { return Str(long(64+i%3*64, i)) },
		"mixed": func(i int) Value {
			switch i % 4 {
			case 0:
				return Int(int64(i))
			case 1:
				return Str(fmt.Sprint("k", i))
			case 2:
				return Str(long(63, i))
			}
			return Str(long(100, i))
		},
		"ints": func(i int) Value { return Int(int64(i)) },
	}
	var cases []lookupCase
	for _, pool := range slices.Sorted(maps.Keys(pools)) {
		key := pools[pool]
		for _, n := range []int{0, 1, 2, 5, 7, 8, 9, 12} {
			var keys, vals []Value
			for i := range n {
				keys, vals = append(keys, key(i)), append(vals, Int(int64(i)))
			}
			mv, err := NewMap(keys, vals)
			if err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("%s/%d", pool, n)
			add := func(what string, k Value) {
				cases = append(cases, lookupCase{name + "/" + what, mv, k})
			}
			for i, k := range mv.Map().Keys() {
				add(fmt.Sprint("own", i), k)
				if k.Kind() == KindString {
					add(fmt.Sprint("copy", i), Str(strings.Clone(k.Str())))
				}
			}
			add("absent", key(99))
			add("absent-64", Str(long(64, 99)))
			add("absent-4k", Str(long(4096, 99)))
			add("absent-63", Str(long(63, 99)))
			add("short", Str("k1"))
			add("int", Int(1))
		}
	}
	return cases
}

// TestLookupFuelUnchanged: finding a key in one scan (findFuel) charges
// what finding it and then counting the keys compared (lookupBefore)
// charged, to the unit, wherever a map lookup is charged: INDEX_MAP,
// IN_MAP, Call.Get, LookupFuel (the compiler's static bound), EQ of two
// maps; and finds the same entry.
func TestLookupFuelUnchanged(t *testing.T) {
	bt, err := NewBuiltinTable(Builtin{Name: "get", MinArgs: 2, MaxArgs: 2, Fn: func(c *Call, a []Value) (Value, error) {
		v, _, err := c.Get(a[0].Map(), a[1])
		return v, err
	}})
	if err != nil {
		t.Fatal(err)
	}
	charged := 0
	for _, c := range lookupCases(t) {
		mo := (*mapObj)(c.m.p)
		j, fuel := lookupBefore(mo, c.k)
		charged += int(min(fuel, 1))
		if f := KeyFuel(c.k); f > 0 {
			if j2, fuel2 := mo.findFuel(c.k, f); j2 != j || fuel2 != fuel {
				t.Errorf("%s: findFuel = %d, %d; want %d, %d", c.name, j2, fuel2, j, fuel)
			}
		}
		if got := LookupFuel(c.m.Map(), c.k); got != fuel {
			t.Errorf("%s: LookupFuel = %d, want %d", c.name, got, fuel)
		}
		want := Value{}
		if j >= 0 {
			want = mo.vals[j]
		}
		// CONST, CONST, the lookup, RETURN: 4 and the lookup's fuel.
		for _, op := range []Opcode{OpIndexMap, OpInMap, OpCallBuiltin} {
			p := build(t, []Value{c.m, c.k}, nil, bt, []string{"get"}, fn{name: "main", asm: func(a *Assembler) {
				switch op {
				case OpInMap:
					a.Emit(OpConst, 1)
					a.Emit(OpConst, 0)
					a.Emit(op)
				case OpIndexMap:
					a.Emit(OpConst, 0)
					a.Emit(OpConst, 1)
					a.Emit(op)
				default:
					a.Emit(OpConst, 0)
					a.Emit(OpConst, 1)
					a.Emit(OpCallBuiltin, 0, 2)
				}
				a.Emit(OpReturn)
			}})
			v, st, err := NewMachine().RunNamed(t.Context(), p, "main", nil, Limits{Fuel: 1 << 30}, Input{})
			if err != nil {
				t.Fatalf("%s %s: %v", c.name, op, err)
			}
			if st.Fuel != 4+fuel {
				t.Errorf("%s: %s charged %d fuel, want %d", c.name, op, st.Fuel, 4+fuel)
			}
			if op == OpInMap {
				if v.Bool() != (j >= 0) {
					t.Errorf("%s: IN_MAP = %v, want %v", c.name, v, j >= 0)
				}
			} else if !Equal(v, want) {
				t.Errorf("%s: %s = %v, want %v", c.name, op, v, want)
			}
		}
	}
	if charged == 0 {
		t.Fatal("no case charges a lookup")
	}
	// EQ of two maps finds each key of one in the other: a map and its
	// copy in reverse order, the keys copied, charge the element pairs
	// (as two maps of int keys do) and each lookup.
	eqs := 0
	for _, c := range lookupCases(t) {
		mo := (*mapObj)(c.m.p)
		if !strings.HasSuffix(c.name, "/own0") {
			continue
		}
		var keys, ikeys, vals []Value
		var lookups int64
		for i, k := range slices.Backward(mo.keys) {
			if k.k == KindString {
				k = Str(strings.Clone(k.Str()))
			}
			_, fuel := lookupBefore(mo, k)
			keys, ikeys, vals, lookups = append(keys, k), append(ikeys, Int(int64(i))), append(vals, mo.vals[i]), lookups+fuel
		}
		x, err := NewMap(keys, vals)
		if err != nil {
			t.Fatal(err)
		}
		xi, err := NewMap(ikeys, vals)
		if err != nil {
			t.Fatal(err)
		}
		yi, err := NewMap(slices.Clone(ikeys), slices.Clone(vals))
		if err != nil {
			t.Fatal(err)
		}
		const budget = 1 << 40
		w, wi := walk{budget: budget}, walk{budget: budget}
		eqs++
		if !equal(x, c.m, &w, 0) || !equal(xi, yi, &wi, 0) {
			t.Fatalf("%s: a map and its copy differ", c.name)
		}
		if got, want := budget-w.budget, budget-wi.budget+lookups; got != want {
			t.Errorf("%s: EQ of a map and its copy charged %d fuel, want %d", c.name, got, want)
		}
	}
	if eqs == 0 {
		t.Fatal("no map compared")
	}
}
