package vm

import (
	"fmt"
	"strings"
	"testing"
)

// Constant sets of every size answer membership exactly: each element is
// in, near misses are out, duplicates in the spec are harmless, and a
// string set never matches an int of the same bits.
func TestConstSetMembership(t *testing.T) {
	for _, n := range []int{1, 7, 8, 9, 50, 300, 2000} {
		var strs, ints []Value
		for i := range n {
			strs = append(strs, Str(fmt.Sprintf("tenant-%02d", i)))
			ints = append(ints, Int(int64(i*7919-3)))
		}
		strs = append(strs, strs[0]) // a duplicate
		for _, c := range []struct {
			elems []Value
			miss  []Value
		}{
			{strs, []Value{Str("tenant-"), Str(fmt.Sprintf("tenant-%02d", n)), Str(""), Int(0)}},
			{ints, []Value{Int(-2), Int(int64(n * 7919)), Str("x")}},
		} {
			s, err := buildSet(SetSpec{Elems: c.elems})
			if err != nil {
				t.Fatalf("n=%d: %v", n, err)
			}
			for _, e := range c.elems {
				if !s.has(e) {
					t.Fatalf("n=%d: %s not found", n, e)
				}
			}
			for _, m := range c.miss {
				if s.has(m) {
					t.Fatalf("n=%d: %s found", n, m)
				}
			}
		}
	}
}

func benchSetStrings() ([]Value, Value) {
	var elems []Value
	for i := range 50 {
		elems = append(elems, Str(fmt.Sprintf("tenant-%02d", i)))
	}
	return elems, Str(fmt.Sprintf("tenant-%02d", 37))
}

// BenchmarkConstSetString compares the strSet lookup of a 50-member set
// with the Go map it replaces.
func BenchmarkConstSetString(b *testing.B) {
	elems, probe := benchSetStrings()
	s, err := buildSet(SetSpec{Elems: elems})
	if err != nil || s.fast == nil {
		b.Fatal(err, s.fast == nil)
	}
	probe = Str(string([]byte(probe.str()))) // not the member's pointer
	miss := Str("tenant-99")
	m := make(map[string]struct{})
	for _, e := range elems {
		m[e.str()] = struct{}{}
	}
	b.Run("strset/hit", func(b *testing.B) {
		for b.Loop() {
			if !s.has(probe) {
				b.Fatal()
			}
		}
	})
	b.Run("strset/miss", func(b *testing.B) {
		for b.Loop() {
			if s.has(miss) {
				b.Fatal()
			}
		}
	})
	b.Run("gomap/hit", func(b *testing.B) {
		for b.Loop() {
			if _, ok := m[probe.str()]; !ok {
				b.Fatal()
			}
		}
	})
	b.Run("gomap/miss", func(b *testing.B) {
		for b.Loop() {
			if _, ok := m[miss.str()]; ok {
				b.Fatal()
			}
		}
	})
}

// String sets that the cheap hash cannot tell apart fall back to a Go map
// and still answer exactly; sets it can tell apart use strSet, including
// members that differ only in their middle, and the empty string.
func TestConstSetStringLayouts(t *testing.T) {
	pad := strings.Repeat("x", 40)
	cases := []struct {
		name  string
		elems []string
		fast  bool
	}{
		{"short", []string{"", "a", "ab", "abc", "abcd", "abcde", "abcdefg", "abcdefgh", "b", "c", "d"}, true},
		{"middle", gen(60, func(i int) string { return pad + fmt.Sprintf("%03d", i) + pad }), true},
		// differ at bytes 10-12 only: both ends and the middle are equal.
		{"blind", gen(60, func(i int) string { return pad[:10] + fmt.Sprintf("%03d", i) + pad }), false},
	}
	for _, c := range cases {
		var elems []Value
		for _, e := range c.elems {
			elems = append(elems, Str(e))
		}
		s, err := buildSet(SetSpec{Elems: elems})
		if err != nil {
			t.Fatal(err)
		}
		if (s.fast != nil) != c.fast {
			t.Errorf("%s: strSet used = %v, want %v", c.name, s.fast != nil, c.fast)
		}
		for _, e := range c.elems {
			if !s.has(Str(string([]byte(e)))) {
				t.Errorf("%s: %q not found", c.name, e)
			}
			for _, miss := range []string{e + "?", "?" + e, strings.ToUpper(e) + "!"} {
				if s.has(Str(miss)) {
					t.Errorf("%s: %q found", c.name, miss)
				}
			}
		}
		if s.fast != nil && s.fast.longestRun() > maxStrRun {
			t.Errorf("%s: longest run %d", c.name, s.fast.longestRun())
		}
	}
}

func gen(n int, f func(int) string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

// BenchmarkConstSetStringShapes looks up, in turn, every member (hit) or
// a near miss of every member (miss) of string sets of a few shapes and
// sizes: short members (the inline hash), long members whose ends are
// equal (the hash that reads the middle too) and ids with a common
// prefix and suffix, as the constSet of SET_MEMBER holds them.
func BenchmarkConstSetStringShapes(b *testing.B) {
	shapes := []struct {
		name string
		n    int
		f    func(i int) string
	}{
		{"tenant", 50, func(i int) string { return fmt.Sprintf("tenant-%02d", i) }},
		{"tenant", 1000, func(i int) string { return fmt.Sprintf("tenant-%04d", i) }},
		{"model", 50, func(i int) string { return fmt.Sprintf("model-%07d-xxxxxxxx", i) }},
		{"model", 5000, func(i int) string { return fmt.Sprintf("model-%07d-xxxxxxxx", i) }},
		{"provider", 200, func(i int) string { return fmt.Sprintf("provider-%d:gpt-4o-mini-%d", i%7, i) }},
	}
	for _, sh := range shapes {
		members := gen(sh.n, sh.f)
		elems := make([]Value, len(members))
		for i, m := range members {
			elems[i] = Str(m)
		}
		s, err := buildSet(SetSpec{Elems: elems})
		if err != nil {
			b.Fatal(err)
		}
		hits := make([]Value, len(members))
		misses := make([]Value, len(members))
		for i, m := range members {
			hits[i] = Str(string([]byte(m))) // not the member's pointer
			miss := []byte(m)
			miss[len(miss)/2] ^= 0x40
			misses[i] = Str(string(miss))
		}
		for _, c := range []struct {
			kind   string
			probes []Value
			want   bool
		}{{"hit", hits, true}, {"miss", misses, false}} {
			b.Run(fmt.Sprintf("%s-%d/fast=%v/%s", sh.name, sh.n, s.fast != nil, c.kind), func(b *testing.B) {
				i := 0
				for b.Loop() {
					if s.has(c.probes[i]) != c.want {
						b.Fatal(c.probes[i])
					}
					if i++; i == len(c.probes) {
						i = 0
					}
				}
			})
		}
	}
}
