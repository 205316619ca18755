package vm

import (
	"context"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
)

// TestFinder: Finder and Contains find what the strings package does,
// patterns longer than longPattern (searched with Knuth–Morris–Pratt)
// included.
func TestFinder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	gen := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "ab"[r.IntN(2)]
		}
		return string(b)
	}
	for range 3000 {
		unit := gen(1 + r.IntN(8))
		s := strings.Repeat(unit, r.IntN(400)) + gen(r.IntN(20))
		var p string
		switch r.IntN(3) {
		case 0:
			p = gen(r.IntN(100))
		case 1:
			p = strings.Repeat(unit, r.IntN(40)) + gen(r.IntN(3))
		default:
			if len(s) > 0 {
				i := r.IntN(len(s))
				p = s[i:min(len(s), i+r.IntN(150))]
			}
		}
		f := NewFinder(p, s)
		if got, want := f.Index(s), strings.Index(s, p); got != want {
			t.Fatalf("Index(%q, %q) = %d, want %d", s, p, got, want)
		}
		if got, want := f.Count(s), strings.Count(s, p); got != want {
			t.Fatalf("Count(%q, %q) = %d, want %d", s, p, got, want)
		}
		if got, want := Contains(s, p), strings.Contains(s, p); got != want {
			t.Fatalf("Contains(%q, %q) = %v, want %v", s, p, got, want)
		}
		if p != "" {
			want := strings.ReplaceAll(s, p, "<>")
			if got := f.ReplaceAll(s, "<>", len(want)); got != want {
				t.Fatalf("ReplaceAll(%q, %q) = %q, want %q", s, p, got, want)
			}
		}
	}
}

// BenchmarkContainsAdversarial is `sub in s` of a 2 MB periodic string
// and a 1 MB pattern that almost occurs in it: the worst case of
// strings.Contains for long patterns (len(s)·len(sub)/16 comparisons,
// about a second), which the in operator and contains now search in
// linear time.
func BenchmarkContainsAdversarial(b *testing.B) {
	unit := "a" + strings.Repeat("b", 15)
	s := strings.Repeat(unit, (2<<20)/16)
	sub := strings.Repeat(unit, (1<<20)/16) + "x"
	for b.Loop() {
		if Contains(s, sub) {
			b.Fatal("found")
		}
	}
}

// TestContainsLongerPattern: a pattern longer than the string is not
// looked for: `in` charges the string searched, and the pattern's
// Finder was built all the same (8 MB in "x": 134 ms for 4 fuel); so
// did contains, replace and split, which charge the pattern too (an 8 MB
// one half the default fuel, for nothing).
func TestContainsLongerPattern(t *testing.T) {
	big := strings.Repeat("ab", 1<<20)
	if Contains("x", big) || Contains(big[:100], big) {
		t.Error("found a pattern longer than the string")
	}
	if !Contains(big, big) || !Contains(big+"x", big) {
		t.Error("did not find the pattern in a string as long or longer")
	}
	if n := testing.AllocsPerRun(5, func() { Contains("x", big) }); n != 0 {
		t.Errorf("%v allocations for a pattern longer than the string, want none", n)
	}
	// So for contains, replace and split, whose Finder is the same.
	if n := testing.AllocsPerRun(5, func() { NewFinder(big, "x").Count("x") }); n != 0 {
		t.Errorf("%v allocations for a Finder of a pattern longer than its string, want none", n)
	}
}

// A search for a pattern of more than 64 bytes builds a table of 4 bytes
// a byte of the pattern (Finder): IN_STR accounts it to the run's memory
// before the search when the pattern is not one of the program's
// constants (here a parameter, the same bytes as a constant's). It was
// made outside the memory limit: 32 MB for an 8 MB pattern, and 4 GiB,
// past MaxAlloc, for one of 1 GiB.
func TestSearchTableAccounted(t *testing.T) {
	const n = 1 << 19
	s, pat := strings.Repeat("ab", n), strings.Repeat("ab", n/2)+"x"
	p := build(t, []Value{Str(s), Str(pat)}, nil, nil, nil, fn{name: "main", params: 1, asm: func(a *Assembler) {
		a.Emit(OpLoadLocal, 0)
		a.Emit(OpConst, 0)
		a.Emit(OpInStr)
		a.Emit(OpReturn)
	}})
	arg := []Value{Str(strings.Clone(pat))}
	v, st, err := NewMachine().RunNamed(context.Background(), p, "main", arg, Limits{Fuel: 1 << 30, Memory: 1 << 30}, Input{})
	if err != nil || v.Bool() {
		t.Fatalf("%v, %v", v, err)
	}
	if want := FinderBytes(pat, s); want != 4*int64(len(pat)) || st.Memory < want {
		t.Errorf("memory %d, want at least %d", st.Memory, want)
	}
	_, _, err = NewMachine().RunNamed(context.Background(), p, "main", arg, Limits{Fuel: 1 << 30, Memory: 1 << 20}, Input{})
	wantCode(t, err, CodeMemoryExhausted)
}

// The table of a search for a pattern that is one of the program's
// constants (IN_STR of a constant or an element of one, STR_TEST_CONST
// and JMP_UNLESS_STR_CONST testing contains) is the program's, built once and
// shared by its runs, and no run is charged for it: each search charged
// it, so a loop over contains(x, LONG_CONSTANT) ran out of memory, 2 MB a
// search here under a limit of 1 MB.
func TestConstantPatternTableShared(t *testing.T) {
	const n = 1 << 19
	s, pat := strings.Repeat("ab", n), strings.Repeat("ab", n/2)+"x"
	for _, c := range []struct {
		name string
		p    *Program
	}{
		{"IN_STR", one(t, []Value{Str(pat), Str(s)}, func(a *Assembler) {
			a.Emit(OpConst, 0)
			a.Emit(OpConst, 1)
			a.Emit(OpInStr)
			a.Emit(OpReturn)
		})},
		{"STR_TEST_CONST", one(t, []Value{Str(s), Str(pat)}, func(a *Assembler) {
			a.Emit(OpConst, 0)
			a.Emit(OpStrTestConst, StrContains, 1)
			a.Emit(OpReturn)
		})},
		{"IN_STR of a constant list's element", one(t, []Value{NewList([]Value{Str("x"), Str(pat)}), Int(1), Str(s)}, func(a *Assembler) {
			a.Emit(OpConst, 0)
			a.Emit(OpConst, 1)
			a.Emit(OpIndexList)
			a.Emit(OpConst, 2)
			a.Emit(OpInStr)
			a.Emit(OpReturn)
		})},
		{"JMP_UNLESS_STR_CONST", one(t, []Value{Str(s), Str(pat)}, func(a *Assembler) {
			a.Emit(OpConst, 0)
			a.Emit(OpJmpUnlessStrConst, StrContains, 1, a.JumpTo("no"))
			a.Emit(OpTrue)
			a.Emit(OpReturn)
			a.Label("no")
			a.Emit(OpFalse)
			a.Emit(OpReturn)
		})},
	} {
		var wg sync.WaitGroup
		for range 4 { // runs on several goroutines share the table
			wg.Go(func() {
				for range 3 {
					v, st, err := NewMachine().RunNamed(context.Background(), c.p, "main", nil, Limits{Fuel: 1 << 30, Memory: 1 << 20}, Input{})
					if err != nil || v.Bool() || st.Memory != 0 {
						t.Errorf("%s: %v, memory %d, %v; want false, 0", c.name, v, st.Memory, err)
					}
				}
			})
		}
		wg.Wait()
		t1, t2 := c.p.patterns.table(pat), c.p.patterns.table(pat)
		if len(t1) != len(pat) || &t1[0] != &t2[0] {
			t.Errorf("%s: the constant's table is not kept", c.name)
		}
	}
}

// TestSharedPatternsBounded: a program keeps the tables of constant
// patterns of maxSharedPatterns bytes in all at most; a constant past
// that is searched as any pattern is, its table charged to the run at
// each search (the constants taken in order: the first kept, the
// second, past the bound, charged at each run). Kept for any length, a 60 MB constant made a table of
// 240 MB that no run was charged.
func TestSharedPatternsBounded(t *testing.T) {
	s := strings.Repeat("ab", maxSharedPatterns)
	kept, over := strings.Repeat("ab", maxSharedPatterns/4)+"x", strings.Repeat("ba", maxSharedPatterns/4)+"xy"
	p := one(t, []Value{Str(kept), Str(over), Str(s)}, func(a *Assembler) {
		a.Emit(OpConst, 0)
		a.Emit(OpConst, 2)
		a.Emit(OpInStr)
		a.Emit(OpPop)
		a.Emit(OpConst, 1)
		a.Emit(OpConst, 2)
		a.Emit(OpInStr)
		a.Emit(OpReturn)
	})
	if p.patterns.table(kept) == nil || p.patterns.table(over) != nil {
		t.Fatalf("tables kept: %v for %d bytes, %v for %d more", p.patterns.table(kept) != nil, len(kept), p.patterns.table(over) != nil, len(over))
	}
	for range 2 {
		_, st, err := NewMachine().RunNamed(context.Background(), p, "main", nil, Limits{Fuel: 1 << 30, Memory: 1 << 26}, Input{})
		if err != nil || st.Memory < FinderBytes(over, s) || st.Memory >= FinderBytes(over, s)+FinderBytes(kept, s) {
			t.Errorf("memory %d, %v; want the table of the pattern past the bound, %d", st.Memory, err, FinderBytes(over, s))
		}
	}
}
