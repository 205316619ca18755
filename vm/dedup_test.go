package vm

import (
	"context"
	"encoding/binary"
	"strconv"
	"testing"
)

func sectionBytes(out []byte, id byte, body []byte) []byte {
	out = append(out, id)
	out = binary.AppendUvarint(out, uint64(len(body)))
	return append(out, body...)
}

// mapConstProgram encodes a program whose constant 0 is a map of n int
// keys 0..n-2 and 0 again, and whose function returns it.
func mapConstProgram(n int) []byte {
	out := []byte("RPLP")
	out = binary.AppendUvarint(out, 1)
	out = sectionBytes(out, 1, []byte("\x02\x01f\x05route"))
	var c []byte
	c = binary.AppendUvarint(c, 1)
	c = append(c, byte(tagMap))
	c = binary.AppendUvarint(c, uint64(n))
	for i := range n {
		k := i
		if i == n-1 {
			k = 0 // one repeated key
		}
		c = append(c, byte(tagInt))
		c = binary.AppendVarint(c, int64(k))
		c = append(c, byte(tagInt))
		c = binary.AppendVarint(c, int64(i))
	}
	out = sectionBytes(out, 2, c)
	out = sectionBytes(out, 3, []byte{0})
	out = sectionBytes(out, 4, []byte{0})
	code := []byte{byte(OpConst), 0, 0, byte(OpReturn)}
	f := []byte{1, 0, 0, 0, 0, byte(len(code))}
	f = append(f, code...)
	f = append(f, 0)
	out = sectionBytes(out, 5, f)
	out = sectionBytes(out, 6, []byte{1, 1, 0})
	return out
}

// TestMapRepeatedKeyLinear: a large map with a repeated key is built
// through its hash index, from a constant (Load) and MAKE_MAP: dedupMap
// searched its keys linearly, so 392 KB of constant took 17 s to load
// and 20,000 entries about a second (BenchmarkMapRepeatedKey times it;
// here the index is checked, not the clock).
func TestMapRepeatedKeyLinear(t *testing.T) {
	const nLoad = 30000
	p, err := Load(mapConstProgram(nLoad), nil)
	if err != nil {
		t.Fatal(err)
	}
	v := mustRun(t, p, "route")
	if (*mapObj)(v.p).idx == nil {
		t.Error("the loaded map has no index: its keys were searched one by one")
	}
	m := v.Map()
	if m.Len() != nLoad-1 {
		t.Fatalf("%d entries, want %d", m.Len(), nLoad-1)
	}
	if v, _ := m.Get(Int(0)); v.Int() != nLoad-1 || !Equal(m.Keys()[0], Int(0)) || !Equal(m.Keys()[nLoad-2], Int(nLoad-2)) {
		t.Errorf("key 0 → %v at %v, last key %v", v, m.Keys()[0], m.Keys()[nLoad-2])
	}

	const n = 20000

	// MAKE_MAP of 20,000 pairs with string keys, every key twice.
	var consts []Value
	for i := range n / 2 {
		consts = append(consts, Str("k"+strconv.Itoa(i)))
	}
	mp := one(t, append(consts, Int(1), Int(2)), func(a *Assembler) {
		for i := range n {
			a.Emit(OpConst, i%(n/2))
			a.Emit(OpConst, n/2+i/(n/2))
		}
		a.Emit(OpMakeMap, n)
		a.Emit(OpReturn)
	})
	v, _, err = NewMachine().Run(context.Background(), mp, 0, nil, Limits{}, Input{})
	if err != nil {
		t.Fatal(err)
	}
	if (*mapObj)(v.p).idx == nil {
		t.Error("the map made has no index: its keys were searched one by one")
	}
	if m := v.Map(); m.Len() != n/2 || m.Keys()[1].Str() != "k1" {
		t.Errorf("%d entries, second key %v", m.Len(), m.Keys()[1])
	} else if x, _ := m.Get(Str("k7")); x.Int() != 2 {
		t.Errorf("k7 → %v, want the last value 2", x)
	}
}

// BenchmarkMapRepeatedKey: loading a 30,000-entry map constant with a
// repeated key (17 s for 392 KB before the index).
func BenchmarkMapRepeatedKey(b *testing.B) {
	prog := mapConstProgram(30000)
	for b.Loop() {
		if _, err := Load(prog, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// TestMapRepeatedKeys: a repeated key keeps its first position and takes
// its last value, in small and large maps, and a map that dedups to a small
// one still finds its keys.
func TestMapRepeatedKeys(t *testing.T) {
	for _, n := range []int{2, smallMap, smallMap + 1, 3 * smallMap} {
		var keys, vals []Value
		for i := range n {
			keys = append(keys, Str(strconv.Itoa(i%3)), Int(int64(i)))
			vals = append(vals, Int(int64(i)), Int(int64(-i)))
		}
		keys = append(keys, Str("0"))
		vals = append(vals, Str("last"))
		v, err := NewMap(keys, vals)
		if err != nil {
			t.Fatal(err)
		}
		m := v.Map()
		if want := min(n, 3) + n; m.Len() != want {
			t.Fatalf("n=%d: %d entries, want %d", n, m.Len(), want)
		}
		if k := m.Keys()[0]; k.Str() != "0" {
			t.Errorf("n=%d: first key %v", n, k)
		}
		if x, _ := m.Get(Str("0")); x.Str() != "last" {
			t.Errorf("n=%d: \"0\" → %v", n, x)
		}
		for i := range n {
			if x, ok := m.Get(Int(int64(i))); !ok || x.Int() != int64(-i) {
				t.Errorf("n=%d: %d → %v", n, i, x)
			}
		}
		last := -1 // the last i with key "2"
		for i := range n {
			if i%3 == 2 {
				last = i
			}
		}
		if x, ok := m.Get(Str("2")); ok != (last >= 0) || (ok && x.Int() != int64(last)) {
			t.Errorf("n=%d: \"2\" → %v", n, x)
		}
	}
	// 20 entries, all the same key: one entry, found by find's small scan.
	keys := make([]Value, 20)
	vals := make([]Value, 20)
	for i := range keys {
		keys[i], vals[i] = Str("k"), Int(int64(i))
	}
	v, _ := NewMap(keys, vals)
	if x, ok := v.Map().Get(Str("k")); v.Len() != 1 || !ok || x.Int() != 19 {
		t.Errorf("%v", v)
	}
}

// A map of more than 8 keys indexes them in a Go map sized for all of
// them at once: grown insert by insert, building the index of 1,000 keys
// allocated 23 times (and rehashed as often), for MAKE_MAP, a constant
// loaded and a builder's map (tag's, of every tag a decision has).
func TestMapIndexSized(t *testing.T) {
	for _, kind := range []string{"string", "int"} {
		ks, vs := make([]Value, 1000), make([]Value, 1000)
		for i := range ks {
			ks[i], vs[i] = Int(int64(i)), Int(1)
			if kind == "string" {
				ks[i] = Str("k" + strconv.Itoa(i))
			}
		}
		allocs := testing.AllocsPerRun(10, func() {
			if _, err := NewMap(ks, vs); err != nil {
				t.Fatal(err)
			}
		})
		if allocs > 10 {
			t.Errorf("a map of 1,000 %s keys: %.0f allocations, want at most 10", kind, allocs)
		}
	}
}
