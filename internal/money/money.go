// Package money is the conversion of a decimal amount in currency units to
// RPL's money, an int64 count of nano-units (10^-9 units), shared by the
// money literal (lang), the amounts a request's JSON carries (jsonx), the
// money(float) builtin (stdlib) and a money times a float (the machine's
// MUL_MONEY_FLOAT, vm), so that one amount is one count of nanos, rounded
// one way, wherever it is written. Each caller reads its own syntax and
// words its own errors; Nanos says only which problem an amount has.
package money

import "math"

// Scale is the number of nano-units in a currency unit.
const Scale = 1_000_000_000

// Problem is why an amount has no money value.
type Problem uint8

const (
	OK    Problem = iota
	Finer         // a digit finer than a nano-unit, which only rounding drops
	Range         // beyond the int64 nanos (about ±9.22 billion units)
)

// Nanos is the amount whose decimal digits are digits (ASCII '0' to '9',
// leading and trailing zeros allowed) with the point after the first
// point of them (point may be negative, or beyond len(digits): 0.0012 is
// "12" and -2, 1200 is "12" and 4), negated when neg, in nano-units.
//
// Digits past the ninth decimal are rounded half to even when round is
// set; otherwise any of them but 0 is Finer. A magnitude beyond
// math.MaxInt64 is Range, so -math.MaxInt64 is the smallest amount; when
// both apply, the amount is Finer. Nanos does not allocate.
func Nanos[T string | []byte](digits T, point int, neg, round bool) (int64, Problem) {
	q, p := Magnitude(digits, point, round)
	switch {
	case p != OK:
		return 0, p
	case q > math.MaxInt64:
		return 0, Range
	case neg:
		return -int64(q), OK
	}
	return int64(q), OK
}

// Magnitude is Nanos of the amount without its sign, up to 2^63 (the
// magnitude of math.MinInt64, for a caller whose range holds it); beyond
// is Range.
func Magnitude[T string | []byte](digits T, point int, round bool) (uint64, Problem) {
	// The nanos' integer part is the first point+9 digits (zeros past
	// the end), the rest is the fraction of a nano-unit.
	cut := point + 9
	if !round {
		for i := max(cut, 0); i < len(digits); i++ {
			if digits[i] != '0' {
				return 0, Finer
			}
		}
	}
	const limit = 1 << 63
	var q uint64
	for i := 0; i < cut; i++ {
		d := uint64(0)
		if i < len(digits) {
			d = uint64(digits[i] - '0')
		}
		if q > (limit-d)/10 {
			return 0, Range
		}
		q = q*10 + d
	}
	if round && cut >= 0 && cut < len(digits) && roundsUp(digits[cut], digits[cut+1:], q) {
		if q == limit {
			return 0, Range
		}
		q++
	}
	return q, OK
}

// roundsUp is whether q and the fraction first·rest of a unit round up to
// q+1, half to even.
func roundsUp[T string | []byte](first byte, rest T, q uint64) bool {
	switch {
	case first > '5':
		return true
	case first < '5':
		return false
	}
	for i := 0; i < len(rest); i++ {
		if rest[i] != '0' {
			return true
		}
	}
	return q&1 == 1
}
