package vm

import (
	"fmt"
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
