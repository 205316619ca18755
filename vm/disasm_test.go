package vm

import (
	"runtime"
	"strings"
	"testing"
)

// shortValue writes a value only as far as the listing shows it, and
// shows what short(v.String()) did: long strings cut in a character or an
// escape, long lists, nested maps and records, around the cut.
func TestShortValue(t *testing.T) {
	var vals []Value
	for n := 50; n < 75; n++ {
		for _, unit := range []string{"a", "é", "日本", "\x00", `"`, "\xff"} {
			s := strings.Repeat(unit, n/len(unit)+1)[:n]
			vals = append(vals, Str(s), NewList([]Value{Int(7), Str(s), Int(8)}))
		}
		vals = append(vals, NewList(ints(n)), NewRecord(ints(n/4)))
	}
	m, err := NewMap([]Value{Str(strings.Repeat("k", 40)), Str("a")}, []Value{NewList(ints(30)), Str(strings.Repeat("é", 40))})
	if err != nil {
		t.Fatal(err)
	}
	vals = append(vals, m, NewList([]Value{m, m}), Float(2.5), Nil())
	for _, v := range vals {
		if got, want := shortValue(v), short(v.String()); got != want {
			t.Errorf("shortValue %q, want %q", got, want)
		}
	}
}

// A constant whose parts are shared (as the compiler folds them) can
// hold millions of values in little memory: Disassemble wrote each whole
// (String) before cutting it to 60 bytes, at every instruction that named
// it. It now writes what it shows: here, under 1 MB where String writes
// tens of megabytes.
func TestDisassembleSharedConstant(t *testing.T) {
	v := NewList([]Value{Int(1), Int(2)})
	for range 22 { // 2^23 ints
		v = NewList([]Value{v, v})
	}
	p := one(t, []Value{v}, func(a *Assembler) {
		a.Emit(OpConst, 0)
		a.Emit(OpReturn)
	})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	text := Disassemble(p)
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("Disassemble allocated %d bytes", n)
	}
	if want := "const 0 = [[[[[[[[[[[[[[[[[[[[[[[1, 2], [1, 2]], [[1, 2], [1, 2]]],...\n"; !strings.Contains(text, want) {
		t.Errorf("no %q in\n%s", want, text)
	}
}
