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
