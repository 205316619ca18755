// Package money is the conversion of a decimal amount in currency units to
// RPL's money, an int64 count of nano-units (10^-9 units), shared by the
// money literal (lang), the amounts a request's JSON carries (jsonx), the
// money(float) builtin (stdlib) and a money times a float (the machine's
// MUL_MONEY_FLOAT, vm), so that one amount is one count of nanos, rounded
// one way, wherever it is written. Each caller reads its own syntax and
// words its own errors; Nanos says only which problem an amount has.
// Append is the other way, the one spelling of a money as a literal.
package money

import (
	"bytes"
	"math"
	"strconv"
)

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

// Shortest is the decimal a float is written as: the shortest digits
// that read back as |f| (strconv's 'e' form, d.ddde±dd, without its point,
// appended to buf), the place of the point after the first point of them
// (as Nanos takes it), and f's sign. f is finite.
func Shortest(buf []byte, f float64) (digits []byte, point int, neg bool) {
	b := strconv.AppendFloat(buf, f, 'e', -1, 64)[len(buf):]
	if neg = b[0] == '-'; neg {
		b = b[1:]
	}
	e := bytes.IndexByte(b, 'e')
	exp := 0
	for _, c := range b[e+2:] {
		exp = exp*10 + int(c-'0')
	}
	if b[e+1] == '-' {
		exp = -exp
	}
	digits = b[:e] // d, or d.ddd: the point overwritten by the first d
	if e > 1 {
		b[1] = b[0]
		digits = b[1:e]
	}
	return digits, exp + 1, neg
}

// OfFloat is f currency units in nano-units, f read as written (its
// shortest decimal, Shortest) and rounded half to even at 9 decimals, as
// a money literal of more decimals would be: so money(0.0000000035) is
// 4 nanos, where RoundToEven(f * 1e9) rounds the product first. A NaN or
// an infinity is Range. It does not allocate.
func OfFloat(f float64) (int64, Problem) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, Range
	}
	var buf [32]byte
	digits, point, neg := Shortest(buf[:0], f)
	return Nanos(digits, point, neg, true)
}

// Append appends the literal of n nano-units to b, with the fewest
// decimals that keep it exact and at least two: $12.50, $0.0025, -$3.00,
// -$9223372036.854775808. It allocates only to grow b: the one spelling
// of a money that the checker (lang.FormatMoney), the machine's values
// (vm) and the runtime's JSON encoders write.
func Append(b []byte, n int64) []byte {
	u := uint64(n)
	if n < 0 {
		b = append(b, '-')
		u = -u // also right for math.MinInt64
	}
	b = append(b, '$')
	b = strconv.AppendUint(b, u/Scale, 10)
	return AppendDecimals(b, u%Scale, 2)
}

// AppendDecimals appends frac billionths (below 10^9) as a decimal
// fraction: '.' and its nine digits without trailing zeros, keeping at
// least min of them; nothing when frac is 0 and min is 0.
func AppendDecimals(b []byte, frac uint64, min int) []byte {
	if frac == 0 && min == 0 {
		return b
	}
	var d [10]byte
	d[0] = '.'
	for i := 9; i > 0; i-- {
		d[i] = byte('0' + frac%10)
		frac /= 10
	}
	n := len(d)
	for n > 1+min && d[n-1] == '0' {
		n--
	}
	return append(b, d[:n]...)
}
