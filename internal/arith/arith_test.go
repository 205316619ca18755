package arith

import (
	"math"
	"math/big"
	"testing"
)

// Mul and DivRoundHalfEven agree with exact arithmetic on the edges.
func TestAgainstBig(t *testing.T) {
	vals := []int64{0, 1, -1, 2, -2, 3, 7, -7, 10, 1 << 31, -(1 << 31), 1<<32 + 1, math.MaxInt64, math.MinInt64, math.MaxInt64 / 2, math.MinInt64 / 2, 3037000499, 3037000500, -3037000500}
	fits := func(b *big.Int) bool { return b.IsInt64() }
	for _, x := range vals {
		for _, y := range vals {
			want := new(big.Int).Mul(big.NewInt(x), big.NewInt(y))
			got, ok := Mul(x, y)
			if ok != fits(want) || ok && got != want.Int64() {
				t.Errorf("Mul(%d, %d) = %d, %v; want %s", x, y, got, ok, want)
			}
			if y == 0 {
				continue
			}
			// Exact x/y rounded half to even.
			q, r := new(big.Int).QuoRem(big.NewInt(x), big.NewInt(y), new(big.Int))
			twice := new(big.Int).Abs(new(big.Int).Mul(r, big.NewInt(2)))
			cmp := twice.Cmp(new(big.Int).Abs(big.NewInt(y)))
			if cmp > 0 || cmp == 0 && q.Bit(0) == 1 {
				if (x < 0) != (y < 0) {
					q.Sub(q, big.NewInt(1))
				} else {
					q.Add(q, big.NewInt(1))
				}
			}
			d, ok := DivRoundHalfEven(x, y)
			if ok != fits(q) || ok && d != q.Int64() {
				t.Errorf("DivRoundHalfEven(%d, %d) = %d, %v; want %s", x, y, d, ok, q)
			}
		}
	}
}

// Ratio is the float nearest the exact quotient, beyond 2^53 too, where
// float64(x) / float64(y) rounds twice (it is one float off for some of
// the pairs below); a zero quotient has IEEE's sign, as before.
func TestRatio(t *testing.T) {
	vals := []int64{1, -1, 2, 3, -3, 7, 10, 1e9, 1 << 53, 1<<53 - 1, -(1 << 53), 1<<53 + 1, -(1<<53 + 1), 1<<53 + 3,
		1<<62 + 1<<9 + 1, 3<<61 - 1, math.MaxInt64, math.MinInt64, math.MaxInt64 - 1, math.MinInt64 + 1,
		9223372036854775001, 4611686018427388039, 2305843009213693967, 1<<60 + 12345, 999999999999999999}
	twice := 0
	for _, x := range append(vals, 0) {
		for _, y := range vals {
			want, _ := new(big.Rat).SetFrac(big.NewInt(x), big.NewInt(y)).Float64()
			if x == 0 {
				want = math.Copysign(0, float64(y)) // +0 over y > 0, -0 over y < 0
			}
			if float64(x)/float64(y) != want {
				twice++
			}
			if got := Ratio(x, y); got != want || math.Signbit(got) != math.Signbit(want) {
				t.Errorf("Ratio(%d, %d) = %v, want %v", x, y, got, want)
			}
		}
	}
	if twice == 0 {
		t.Error("no pair where float64(x) / float64(y) is off: the test checks nothing beyond it")
	}
}

// Ratio allocates nothing, beyond 2^53 too.
func TestRatioNoAlloc(t *testing.T) {
	for _, c := range [][2]int64{{1<<53 - 1, -3}, {-(1 << 53), 1<<53 - 1}, {0, math.MinInt64}, {math.MinInt64, 3}, {9007199254740993, -1e9}} {
		if n := testing.AllocsPerRun(100, func() { _ = Ratio(c[0], c[1]) }); n != 0 {
			t.Errorf("Ratio(%d, %d) allocates %v times", c[0], c[1], n)
		}
	}
}

// FuzzRatio checks Ratio against big.Rat's nearest float.
func FuzzRatio(f *testing.F) {
	for _, c := range [][2]int64{{9007199254740993, 3}, {math.MinInt64, -1}, {math.MaxInt64, 1e9}, {1, math.MinInt64}, {-1682635046, 1e9}, {1<<53 + 1, 1<<53 - 1}} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, x, y int64) {
		if y == 0 {
			return
		}
		want, _ := new(big.Rat).SetFrac(big.NewInt(x), big.NewInt(y)).Float64()
		if x == 0 {
			want = math.Copysign(0, float64(y))
		}
		if got := Ratio(x, y); got != want || math.Signbit(got) != math.Signbit(want) {
			t.Fatalf("Ratio(%d, %d) = %v, want %v", x, y, got, want)
		}
	})
}
