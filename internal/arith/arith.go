// Package arith is the overflow-checked integer arithmetic of RPL's int
// and money values, shared by the checker's constant folding (lang) and
// the machine (vm), so that a constant folds to what the machine computes.
// Each integer function reports whether its result fits in an int64; none
// panics. Ratio is the float of a ratio of two int64s, rounded once: a
// money over a money, and stdlib's float(money) and seconds(d).
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

// Ratio returns x/y as the float64 nearest the exact quotient (ties to
// even), as a money divided by a money and a duration by a duration are.
// float64(x) / float64(y) rounds twice when an operand is beyond 2^53
// (the operand, then the quotient), which can land one float off: it is
// used only where both operands are exact floats; otherwise the quotient
// is computed to 64 bits with a sticky bit for the remainder and rounded
// once, without allocating. The caller rules out y == 0.
func Ratio(x, y int64) float64 {
	if (uint64(x)+1<<53)|(uint64(y)+1<<53) < 1<<54 { // x and y in [-2^53, 2^53)
		return float64(x) / float64(y) // exact operands, one rounding
	}
	return ratioWide(x, y)
}

// ratioWide is Ratio beyond 2^53. |x| shifted left by s is divided by
// |y| to a quotient q in [2^62, 2^64), of at least 63 bits; a non-zero
// remainder sets q's last bit, 10 places below the float's, so that the
// one rounding (uint64 to float64, to nearest, ties to even) sees an
// inexact quotient as no tie; then the float is scaled back by 2^-s,
// exactly.
func ratioWide(x, y int64) float64 {
	if x == 0 {
		return float64(x) / float64(y) // a zero with IEEE's sign
	}
	ax, ay := Abs(x), Abs(y)
	s := 63 - bits.Len64(ax) + bits.Len64(ay) // ax<<s < 2^(63+len(ay)): hi < ay
	var hi, lo uint64
	if s >= 64 {
		hi = ax << (s - 64)
	} else {
		hi, lo = ax>>(64-s), ax<<s // ax>>64 is 0 in Go
	}
	q, r := bits.Div64(hi, lo, ay)
	if r != 0 {
		q |= 1
	}
	f := math.Ldexp(float64(q), -s)
	if (x < 0) != (y < 0) {
		f = -f
	}
	return f
}

// Abs returns |x| as a uint64 (|MinInt64| is 1<<63).
func Abs(x int64) uint64 {
	if x < 0 {
		return uint64(-x)
	}
	return uint64(x)
}
