package vm

import (
	"strings"
	"testing"
)

// The fuel of comparing strings is that of the bytes compared: for an
// equality, both strings when they have the same length and not the same
// bytes; for an ordering, their common prefix, in whole blocks of 64.
func TestStringComparisonCharge(t *testing.T) {
	long := strings.Repeat("a", 4096)
	a, b := Str(long+"x"), Str(long+"x")
	differ := func(at int) Value {
		s := []byte(long + "x")
		s[at] = 'b'
		return Str(string(s))
	}
	eq := []struct {
		name string
		x, y Value
		fuel int64
	}{
		{"equal", a, b, 4097 >> 6},
		{"same bytes", a, a, 0},
		{"other length", a, Str(long), 0},
		{"differ at once", a, differ(0), 4097 >> 6}, // the length is what is known
		{"short", Str("abc"), Str("abd"), 0},
		{"int", Int(4097), Int(4097), 0},
	}
	for _, c := range eq {
		eq, f := equalFuel(c.x, c.y)
		if want := Equal(c.x, c.y); eq != want || f != c.fuel {
			t.Errorf("equality, %s: %v, fuel %d; want %v, fuel %d", c.name, eq, f, want, c.fuel)
		}
	}
	ord := []struct {
		name string
		x, y Value
		fuel int64
	}{
		{"equal", a, b, 4097 >> 6},
		{"same bytes", a, a, 0},
		{"prefix", Str(long), a, 4096 >> 6},
		{"differ at 0", a, differ(0), 0},
		{"differ at 63", a, differ(63), 0},
		{"differ at 64", a, differ(64), 1},
		{"differ at 1000", a, differ(1000), 1000 >> 6},
		{"short", Str("abc"), Str("abd"), 0},
	}
	for _, c := range ord {
		for _, swap := range []bool{false, true} {
			x, y := c.x, c.y
			if swap {
				x, y = y, x
			}
			r, f := compareStr(x, y)
			if want := strings.Compare(x.str(), y.str()); r != want || f != c.fuel {
				t.Errorf("ordering, %s (swapped %v): %d, fuel %d; want %d, fuel %d", c.name, swap, r, f, want, c.fuel)
			}
		}
	}
}
