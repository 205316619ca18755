// Package arith is the overflow-checked integer arithmetic of RPL's int
// and money values, shared by the checker's constant folding (lang) and
// the machine (vm), so that a constant folds to what the machine computes.
// Each function reports whether its result fits in an int64; none panics.
package arith

import (
	"math"
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

// Abs returns |x| as a uint64 (|MinInt64| is 1<<63).
func Abs(x int64) uint64 {
	if x < 0 {
		return uint64(-x)
	}
	return uint64(x)
}
