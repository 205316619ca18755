package vm

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// fuelOf runs main of p with fuel and returns the fuel it took.
func fuelOf(t *testing.T, p *Program, fuel int64) (int64, error) {
	t.Helper()
	_, st, err := NewMachine().RunNamed(context.Background(), p, "main", nil, Limits{Fuel: fuel}, Input{})
	return st.Fuel, err
}

// BEFORE of two maps takes their entries in ascending key order: sorting
// (or checking the order of) their keys is work on every key, which the
// run pays for as it pays for the element pairs it compares. It was free:
// two maps of 4096 keys in descending order, which differ at their least
// key, cost 4 fuel however often they were compared, and two maps of long
// keys sharing a prefix paid for none of the bytes their order check
// compared.
func TestMapOrderCharged(t *testing.T) {
	const n = 4096
	keys := make([]Value, n)
	a, b := make([]Value, n), make([]Value, n)
	for i := range n {
		keys[i] = Int(int64(n - 1 - i)) // descending: the maps must be sorted
		a[i], b[i] = Int(0), Int(0)
	}
	b[n-1] = Int(1) // key 0, the first compared
	ma, err := NewMap(keys, a)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := NewMap(append([]Value(nil), keys...), b)
	if err != nil {
		t.Fatal(err)
	}

	const m = 256
	prefix := strings.Repeat("k", 1024)
	skeys, sa, sb := make([]Value, m), make([]Value, m), make([]Value, m)
	for i := range m {
		skeys[i] = Str(fmt.Sprintf("%s%04d", prefix, i)) // ascending
		sa[i], sb[i] = Int(0), Int(0)
	}
	sb[0] = Int(1)
	msa, err := NewMap(skeys, sa)
	if err != nil {
		t.Fatal(err)
	}
	msb, err := NewMap(append([]Value(nil), skeys...), sb)
	if err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name string
		x, y Value
		min  int64 // what ordering one map's keys takes at least
	}{
		{"int keys to sort", ma, mb, n / elemsPerFuel},
		{"sorted long keys", msa, msb, (m - 1) * int64(len(prefix)>>strFuelShift)},
	} {
		for _, op := range []Opcode{OpBefore, OpAfter} {
			p := one(t, []Value{c.x, c.y}, func(a *Assembler) {
				a.Emit(OpConst, 0)
				a.Emit(OpConst, 1)
				a.Emit(op)
				a.Emit(OpReturn)
			})
			fuel, err := fuelOf(t, p, 1<<40)
			if err != nil {
				t.Fatal(err)
			}
			if fuel < c.min {
				t.Errorf("%s, %s: %d fuel, want at least %d", c.name, op, fuel, c.min)
			}
			// And a budget below it stops the comparison.
			if _, err := fuelOf(t, p, c.min/2); err == nil {
				t.Errorf("%s, %s: no error with %d fuel", c.name, op, c.min/2)
			} else {
				wantCode(t, err, CodeFuelExhausted)
			}
		}
	}
}

// Looking a string up in a constant set (SET_MEMBER, JMP_UNLESS_MEMBER,
// LOCAL_FIELD_SET_MEMBER: `x in [...]` of constant strings) costs the
// bytes of the string, as a map's `in` does: it hashes it or compares it
// with the members of its length. It cost nothing, so a loop testing a
// long string against a set of long members compared megabytes a fuel.
func TestSetMemberStringCharged(t *testing.T) {
	const size = 4096
	prefix := strings.Repeat("a", size-1)
	for _, members := range []int{4, 16} {
		var set SetSpec
		for i := range members {
			set.Elems = append(set.Elems, Str(fmt.Sprintf("%s%c", prefix, 'A'+i)))
		}
		for _, op := range []Opcode{OpSetMember, OpJmpUnlessMember, OpLocalFieldSetMember} {
			// local 0 = {prefix + "9"}, made by the run (its own bytes).
			p := build(t, []Value{Str(prefix), Str("9")}, []SetSpec{set}, nil, nil, fn{name: "main", locals: 1, asm: func(a *Assembler) {
				a.Emit(OpConst, 0)
				a.Emit(OpConst, 1)
				a.Emit(OpConcat)
				a.Emit(OpMakeRecord, 1)
				a.Emit(OpStoreLocal, 0)
				switch op {
				case OpLocalFieldSetMember:
					a.Emit(op, 0, 0, 0)
				case OpSetMember:
					a.Emit(OpLocalField, 0, 0)
					a.Emit(op, 0)
				case OpJmpUnlessMember:
					a.Emit(OpLocalField, 0, 0)
					a.Emit(op, 0, a.JumpTo("out"))
					a.Label("out")
					a.Emit(OpFalse)
				}
				a.Emit(OpReturn)
			}})
			fuel, err := fuelOf(t, p, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			// CONCAT's 64 for its result, as much for the lookup.
			if want := 2 * int64(size>>strFuelShift); fuel < want {
				t.Errorf("%d members, %s: %d fuel, want at least %d", members, op, fuel, want)
			}
		}
	}
}

// A call clears its callee's locals: a frame of MaxLocals slots is 768 KB
// of stores, which cost 1 fuel as a call of one local did, so a loop of
// such calls ran thousands of times longer than its fuel said (and checked
// the deadline as seldom). A call now costs 1 more per 32 locals of its
// callee (CallFuel).
func TestCallChargesLocals(t *testing.T) {
	p := build(t, nil, nil, nil, nil,
		fn{name: "main", asm: func(a *Assembler) {
			a.Emit(OpCall, 1, 0)
			a.Emit(OpReturn)
		}},
		fn{name: "wide", locals: MaxLocals, asm: func(a *Assembler) {
			a.Emit(OpNil)
			a.Emit(OpReturn)
		}})
	fuel, err := fuelOf(t, p, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(MaxLocals >> 5); fuel < want {
		t.Errorf("a call of %d locals: %d fuel, want at least %d", MaxLocals, fuel, want)
	}
	if want := CallFuel(MaxLocals) + 4; fuel != want {
		t.Errorf("a call of %d locals: %d fuel, want %d", MaxLocals, fuel, want)
	}
}

// EXPECT_FAIL writes its values in at most MaxFailValue bytes, but a
// map's entries in ascending key order: ordering a large map's keys is
// work on all of them, which cost nothing, so a loop of failed
// expectations on a map of 100,000 keys took 1.4 ms a fuel (a 10 ms
// deadline was passed by 280 ms). It now costs SortFuel of the keys of
// every map it writes.
func TestExpectFailChargesMapOrder(t *testing.T) {
	const n = 4096
	keys, vals := make([]Value, n), make([]Value, n)
	for i := range n {
		keys[i], vals[i] = Int(int64(n-i)), Int(0)
	}
	mv, err := NewMap(keys, vals)
	if err != nil {
		t.Fatal(err)
	}
	p := one(t, []Value{mv, Str("==")}, func(a *Assembler) {
		a.Emit(OpNil)
		a.Emit(OpConst, 0)
		a.Emit(OpConst, 0)
		a.Emit(OpExpectFail, 2, 1)
		a.Emit(OpTrue)
		a.Emit(OpReturn)
	})
	fuel, err := fuelOf(t, p, 1<<30)
	wantCode(t, err, CodeAssertionFailed)
	if want := 2 * SortFuel(n); fuel < want {
		t.Errorf("EXPECT_FAIL of two maps of %d keys: %d fuel, want at least %d", n, fuel, want)
	}
}

// MAKE_MAP of up to 8 keys compares every pair of them to find a repeated
// key: each pair of string keys of the same length costs their bytes, as
// an equality does, besides each key (MapKeysFuel); a larger map hashes
// each key once. It charged each key once either way: 8 keys of 4 KiB
// sharing a prefix cost 8 keys' bytes for the 28 pairs compared.
func TestMakeMapChargesKeyPairs(t *testing.T) {
	prefix := strings.Repeat("m", 4090)
	const per = 4096 >> strFuelShift
	for _, c := range []struct {
		n    int
		keys int64 // fuel of the keys
	}{
		{8, (8 + 28) * per},
		{3, (3 + 3) * per},
		{2, (2 + 1) * per},
		{1, per},
		{9, 9 * per},
		{16, 16 * per},
	} {
		var consts []Value
		for i := range c.n {
			consts = append(consts, Str(fmt.Sprintf("%s%06d", prefix, i)))
		}
		consts = append(consts, Int(1))
		p := one(t, consts, func(a *Assembler) {
			for i := range c.n {
				a.Emit(OpConst, i)
				a.Emit(OpConst, c.n)
			}
			a.Emit(OpMakeMap, c.n)
			a.Emit(OpReturn)
		})
		fuel, err := fuelOf(t, p, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		// 2 CONSTs an entry, MAKE_MAP and 1 an entry, RETURN, the keys.
		if want := int64(3*c.n+2) + c.keys; fuel != want {
			t.Errorf("%d keys: %d fuel, want %d", c.n, fuel, want)
		}
	}
}

// INDEX_MAP and IN_MAP in a map of up to 8 keys compare the key with each
// key of its length up to the one they find: each comparison costs the
// key's bytes, as an equality does, once at least (a larger map hashes
// the key). They charged it once: a 4 KiB key missing from 8 keys of its
// length sharing its prefix cost 64 fuel for 32 KiB compared.
func TestMapLookupChargesComparisons(t *testing.T) {
	prefix := strings.Repeat("m", 4090)
	const per = 4096 >> strFuelShift
	key := func(i int) Value { return Str(fmt.Sprintf("%s%06d", prefix, i)) }
	for _, c := range []struct {
		n    int   // keys of the map
		at   int   // the key looked up
		fuel int64 // for the key
	}{
		{8, 99, 8 * per}, // absent: compared with all
		{8, 2, 3 * per},  // found third
		{8, 0, per},
		{1, 99, per},
		{12, 99, per}, // hashed
		{12, 5, per},
	} {
		var keys, vals []Value
		for i := range c.n {
			keys, vals = append(keys, key(i)), append(vals, Int(int64(i)))
		}
		mp, err := NewMap(keys, vals)
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range []Opcode{OpIndexMap, OpInMap} {
			p := one(t, []Value{mp, key(c.at)}, func(a *Assembler) { // key(c.at): its own bytes
				if op == OpIndexMap {
					a.Emit(OpConst, 0)
					a.Emit(OpConst, 1)
				} else {
					a.Emit(OpConst, 1)
					a.Emit(OpConst, 0)
				}
				a.Emit(op)
				a.Emit(OpReturn)
			})
			fuel, err := fuelOf(t, p, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if want := 4 + c.fuel; fuel != want {
				t.Errorf("%s of key %d in %d keys: %d fuel, want %d", op, c.at, c.n, fuel, want)
			}
		}
	}
}

// EQ of two maps finds each key of one in the other: in a map of up to 8
// keys, which find scans, that compares it with each key of its length up
// to the one it finds, charged as INDEX_MAP charges it (findFuel). It
// charged the key once: two maps of the same 8 keys of 4 KiB sharing their
// prefix, in opposite orders, cost 8 keys' fuel for 36 comparisons.
func TestEqualMapsChargesLookups(t *testing.T) {
	prefix := strings.Repeat("e", 4090)
	const per = 4096 >> strFuelShift
	key := func(i int) Value { return Str(fmt.Sprintf("%s%06d", prefix, i)) }
	var xk, yk, vals []Value
	for i := range 8 {
		xk, yk, vals = append(xk, key(i)), append(yk, key(7-i)), append(vals, Int(1))
	}
	x, err := NewMap(xk, vals)
	if err != nil {
		t.Fatal(err)
	}
	y, err := NewMap(yk, vals)
	if err != nil {
		t.Fatal(err)
	}
	p := one(t, []Value{x, y}, func(a *Assembler) {
		a.Emit(OpConst, 0)
		a.Emit(OpConst, 1)
		a.Emit(OpEq)
		a.Emit(OpReturn)
	})
	fuel, err := fuelOf(t, p, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	// Key i of x is the 8-i-th of y: 8+7+…+1 comparisons, and 1 per entry.
	if want := int64(36*per + 8); fuel < want || fuel > want+10 {
		t.Errorf("EQ of two maps of 8 long keys in opposite orders: %d fuel, want %d and a few", fuel, want)
	}
}

// A map's entries cost 1 fuel each in a deep comparison, where list and
// record elements cost 1 per 8: EQ finds each key of one map in the other
// (hashing it, past 8 keys), and BEFORE orders each map's keys first, 1
// fuel a comparison of keys. At 1 per 8, EQ of two maps of 10,000 keys
// took 240 ns a fuel, and BEFORE 330.
func TestMapEntriesCharged(t *testing.T) {
	const n = 10_000
	ks, rev, vals := make([]Value, n), make([]Value, n), make([]Value, n)
	for i := range n {
		ks[i], rev[i], vals[i] = Str(fmt.Sprintf("k%05d", i*7919%n)), Str(fmt.Sprintf("k%05d", (n-1-i)*7919%n)), Int(1)
	}
	x, err := NewMap(ks, vals)
	if err != nil {
		t.Fatal(err)
	}
	y, err := NewMap(rev, vals)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		op   Opcode
		want int64
	}{
		{OpEq, n},              // an entry each
		{OpBefore, 2 * n * 13}, // two sorts of n keys, about n·log2(n) comparisons each, and more
	} {
		p := one(t, []Value{x, y}, func(a *Assembler) {
			a.Emit(OpConst, 0)
			a.Emit(OpConst, 1)
			a.Emit(c.op)
			a.Emit(OpReturn)
		})
		fuel, err := fuelOf(t, p, 1<<40)
		if err != nil {
			t.Fatal(err)
		}
		if fuel < c.want {
			t.Errorf("%s of two maps of %d keys: %d fuel, want at least %d", c.op, n, fuel, c.want)
		}
	}
}
