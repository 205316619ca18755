// Package arith is the overflow-checked integer arithmetic of RPL's int
// and money values, shared by the checker's constant folding (lang) and
// the machine (vm), so that a constant folds to what the machine computes.
// Each function reports whether its result fits in an int64; none panics.
package arith

import (
	"math"
	"math/big"
	"math/bits"
)

// Mul returns x*y and whether it did not overflow.
func Mul(x, y int64) (int64, bool) {
	hi, lo := bits.Mul64(Abs(x), Abs(y))
	if hi != 0 {
		return 0, false
	}
	if (x < 0) != (y < 0) {
		if lo > 1<<63 {
			return 0, false
		}
		return -int64(lo), true
	}
	if lo >= 1<<63 {
		return 0, false
	}
	return int64(lo), true
}

// DivRoundHalfEven returns x/y rounded to the nearest integer, ties to
// even, as money divided by an int is; false for MinInt64 / -1, which
// overflows. The caller rules out y == 0.
func DivRoundHalfEven(x, y int64) (int64, bool) {
	if y == -1 && x == math.MinInt64 {
		return 0, false
	}
	q, r := x/y, x%y
	if r == 0 {
		return q, true
	}
	ar, ay := Abs(r), Abs(y)
	if 2*ar > ay || (2*ar == ay && q&1 != 0) {
		if (x < 0) != (y < 0) {
			q--
		} else {
			q++
		}
	}
	return q, true
}

// Ratio returns x/y as the float64 nearest the exact quotient (ties to
// even), as a money divided by a money and a duration by a duration are.
// float64(x) / float64(y) rounds twice when an operand is beyond 2^53
// (the operand, then the quotient), which can land one float off: it is
// used only where both operands are exact floats, and the exact quotient
// is rounded by math/big otherwise. The caller rules out y == 0.
func Ratio(x, y int64) float64 {
	if (uint64(x)+1<<53)|(uint64(y)+1<<53) < 1<<54 { // x and y in [-2^53, 2^53)
		return float64(x) / float64(y) // exact operands, one rounding
	}
	return ratioBig(x, y)
}

// ratioBig is Ratio's exact path, out of line so that Ratio allocates
// nothing and is inlined.
//
//go:noinline
func ratioBig(x, y int64) float64 {
	if x == 0 {
		return float64(x) / float64(y) // a zero with IEEE's sign, as big.Rat has none
	}
	f, _ := new(big.Rat).SetFrac(big.NewInt(x), big.NewInt(y)).Float64()
	return f
}

// Abs returns |x| as a uint64 (|MinInt64| is 1<<63).
func Abs(x int64) uint64 {
	if x < 0 {
		return uint64(-x)
	}
	return uint64(x)
}
