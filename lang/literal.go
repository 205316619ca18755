package lang

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/rpl-lang/rpl/internal/durtext"
	"github.com/rpl-lang/rpl/internal/money"
)

// MoneyScale is the number of money units per currency unit: money is an
// exact int64 count of nano-units (1e-9), so $0.000000001 is the smallest
// amount and sums never drift.
const MoneyScale = money.Scale

// ParseMoney decodes a money literal such as `$12.50` or `-$0.0025` into
// nano-units.
func ParseMoney(raw string) (int64, error) {
	s := raw
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if !strings.HasPrefix(s, "$") {
		return 0, fmt.Errorf("malformed money literal %s", raw)
	}
	s = strings.TrimPrefix(s, "$")
	if strings.ContainsAny(s, "eE") {
		return 0, &exponentError{raw: raw, to: moneyWithoutExponent(raw)}
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	if !ValidDigits(whole) || hasFrac && !ValidDigits(frac) {
		return 0, fmt.Errorf("malformed money literal %s", raw)
	}
	whole, frac = strings.ReplaceAll(whole, "_", ""), strings.ReplaceAll(frac, "_", "")
	if len(frac) > 9 {
		return 0, fmt.Errorf("money literal %s has more than 9 decimal places", raw)
	}
	n, p := money.Nanos(whole+frac, len(whole), neg, false)
	if p != money.OK { // Range: with 9 decimals at most, no digit is finer
		return 0, fmt.Errorf("money literal %s out of range", raw)
	}
	return n, nil
}

// moneyWithoutExponent is raw, a money literal with an exponent ($0.1e3),
// written without it ($100); "" when raw is no amount with an exponent
// or the amount is no money literal (more than 9 decimals, out of range).
func moneyWithoutExponent(raw string) string {
	body, neg := strings.CutPrefix(raw, "-")
	body, isMoney := strings.CutPrefix(body, "$")
	i := strings.IndexAny(body, "eE")
	if !isMoney || i < 0 {
		return ""
	}
	whole, frac, hasFrac := strings.Cut(body[:i], ".")
	exp, err := strconv.Atoi(body[i+1:])
	if !ValidDigits(whole) || hasFrac && !ValidDigits(frac) || err != nil || exp < -40 || exp > 40 {
		return ""
	}
	digits := strings.ReplaceAll(whole+frac, "_", "")
	point := len(strings.ReplaceAll(whole, "_", "")) + exp
	if point < 0 {
		digits, point = strings.Repeat("0", -point)+digits, 0
	}
	if point > len(digits) {
		digits += strings.Repeat("0", point-len(digits))
	}
	w := strings.TrimLeft(digits[:point], "0")
	if w == "" {
		w = "0"
	}
	to := "$" + w
	if f := strings.TrimRight(digits[point:], "0"); f != "" {
		to += "." + f
	}
	if neg {
		to = "-" + to
	}
	if _, err := ParseMoney(to); err != nil {
		return ""
	}
	return to
}

// FormatMoney renders nano-units as a literal with the fewest decimals
// that keep it exact (at least two): $12.50, $0.0025.
func FormatMoney(n int64) string {
	var b [24]byte // "-$9223372036.854775808" at most
	return string(AppendMoney(b[:0], n))
}

// AppendMoney appends FormatMoney(n) to b, without allocating: the
// runtime's JSON encoders write money this way on the request path.
func AppendMoney(b []byte, n int64) []byte { return money.Append(b, n) }

// AppendDecimals appends frac billionths (below 10^9) as a decimal
// fraction: '.' and its nine digits without trailing zeros, keeping at
// least min of them; nothing when frac is 0 and min is 0.
func AppendDecimals(b []byte, frac uint64, min int) []byte {
	return money.AppendDecimals(b, frac, min)
}

// DurationUnits are the units of duration literals, largest first
// (durtext.Units: the one table that parsing, formatting and the
// runtime's JSON codecs read). "µs" is also accepted for "us".
var DurationUnits = durtext.Units

// durationUnit returns the length of the unit name and its rank in
// DurationUnits (0 for the largest); ok is false for no unit.
func durationUnit(name string) (d time.Duration, rank int, ok bool) {
	if name == "µs" {
		name = "us"
	}
	for i, u := range DurationUnits {
		if u.Name == name {
			return u.D, i, true
		}
	}
	return 0, 0, false
}

// classifyNumber tells an int, float or duration literal apart and checks
// that it is well formed.
func classifyNumber(raw string) (LitKind, error) {
	s := strings.TrimPrefix(raw, "-")
	i := 0
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		if _, err := ParseInt(raw); err != nil {
			return LitInt, err
		}
		return LitInt, nil
	}
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '_' || s[i] == '.' ||
		(s[i] == 'e' || s[i] == 'E') && i+1 < len(s) && (s[i+1] >= '0' && s[i+1] <= '9' || s[i+1] == '+' || s[i+1] == '-') ||
		(s[i] == '+' || s[i] == '-') && i > 0 && (s[i-1] == 'e' || s[i-1] == 'E')) {
		i++
	}
	if i < len(s) && (s[i:] == "e" || s[i:] == "E") && i > 0 && isDigit(s[i-1]) && !strings.ContainsAny(s[:i], "eE") {
		// 1e, 2.5E: a float whose exponent lost its digits, not a
		// duration of the unit e, which there is none of.
		return LitFloat, noExponentDigits(raw, raw)
	}
	if i < len(s) {
		if _, err := ParseDuration(raw); err != nil {
			return LitDuration, err
		}
		return LitDuration, nil
	}
	if strings.ContainsAny(s, ".eE") {
		if _, err := ParseFloat(raw); err != nil {
			return LitFloat, err
		}
		return LitFloat, nil
	}
	if _, err := ParseInt(raw); err != nil {
		return LitInt, err
	}
	return LitInt, nil
}

// noExponentDigits is the error of lit, a float literal whose exponent
// has no digits: mant is lit up to its e, before the sign of 1e+.
func noExponentDigits(lit, mant string) error { return &exponentDigitsError{lit, mant} }

type exponentDigitsError struct{ lit, mant string }

func (e *exponentDigitsError) Error() string {
	return "malformed float literal " + e.lit + ": the exponent has no digits (like " + e.mant + "3 or " + e.mant + "-3)"
}

// ParseInt decodes an int literal (decimal or 0x hex, with _ separators
// between digits: 0x_ff, which Go accepts, is malformed). A decimal
// literal is decimal whatever its leading zeros: 010 is ten, not Go's
// octal eight, and 08 is eight.
func ParseInt(raw string) (int64, error) {
	var v int64
	var err error
	body := strings.TrimPrefix(raw, "-")
	if len(body) >= 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X') {
		v, err = strconv.ParseInt(raw, 0, 64)
		if err == nil && len(body) > 2 && body[2] == '_' {
			err = strconv.ErrSyntax
		}
	} else if !ValidDigits(body) {
		err = strconv.ErrSyntax
	} else {
		v, err = strconv.ParseInt(strings.ReplaceAll(raw, "_", ""), 10, 64)
	}
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, fmt.Errorf("integer literal %s overflows int", raw)
		}
		return 0, fmt.Errorf("malformed integer literal %s", raw)
	}
	return v, nil
}

// isMinIntMagnitude reports whether raw, an int literal without a sign,
// is 9223372036854775808 (or 0x8000000000000000): the magnitude of the
// smallest int, which overflows as a literal.
func isMinIntMagnitude(raw string) bool {
	s, base := strings.ReplaceAll(raw, "_", ""), 10
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		s, base = s[2:], 16
	}
	u, err := strconv.ParseUint(s, base, 64)
	return err == nil && u == 1<<63
}

// ParseFloat decodes a float literal.
func ParseFloat(raw string) (float64, error) {
	body := strings.TrimPrefix(raw, "-")
	mant, exp, hasExp := strings.Cut(strings.ToLower(body), "e")
	whole, frac, hasFrac := strings.Cut(mant, ".")
	exp = strings.TrimLeft(exp, "+-")
	if !ValidDigits(whole) || hasFrac && !ValidDigits(frac) || hasExp && !ValidDigits(exp) || strings.Contains(exp, "_") {
		return 0, fmt.Errorf("malformed float literal %s", raw)
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(raw, "_", ""), 64)
	if errors.Is(err, strconv.ErrRange) && math.IsInf(v, 0) {
		return 0, fmt.Errorf("float literal %s out of range", raw)
	}
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("malformed float literal %s", raw)
	}
	return v, nil
}

// ParseDuration decodes a duration literal: number+unit pairs, largest
// unit first and each unit once, with units ns, us (or µs), ms, s, m, h, d
// (`250ms`, `1h30m`, `1.5s`). Only the last pair may have a fraction, and
// the value must be a whole number of nanoseconds that fits in an int64.
func ParseDuration(raw string) (time.Duration, error) {
	if d, ok := parseSimpleDuration(raw); ok {
		return d, nil
	}
	return parseDuration(raw)
}

// parseDuration is ParseDuration's general path.
func parseDuration(raw string) (time.Duration, error) {
	s := raw
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	malformed := fmt.Errorf("malformed duration literal %s", raw)
	if s == "" {
		return 0, malformed
	}
	total := new(big.Int)
	lastRank := -1
	for s != "" {
		i := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '_' || s[i] == '.') {
			i++
		}
		if i == 0 {
			return 0, malformed
		}
		num := s[:i]
		j := i
		for j < len(s) && !(s[j] >= '0' && s[j] <= '9' || s[j] == '_' || s[j] == '.') {
			j++
		}
		unitName := s[i:j]
		whole, frac, hasFrac := strings.Cut(num, ".")
		// An unknown unit, then units out of order, are said before
		// malformed digits; a number without its unit (1h30, or a _
		// after the last unit: 1s_) after them, not as an unknown unit "".
		unit, rank, ok := durationUnit(unitName)
		switch {
		case !ok && unitName != "":
			return 0, fmt.Errorf("unknown unit %q in duration literal %s (use ns, us, ms, s, m, h or d)", unitName, raw)
		case ok && rank <= lastRank:
			return 0, fmt.Errorf("duration literal %s: units must go from largest to smallest, each once (like 1h30m)", raw)
		case !ValidDigits(whole) || hasFrac && !ValidDigits(frac):
			return 0, malformed
		case !ok:
			return 0, fmt.Errorf("duration literal %s: %s has no unit (use ns, us, ms, s, m, h or d)", raw, num)
		}
		lastRank = rank
		if hasFrac && j < len(s) {
			return 0, fmt.Errorf("duration literal %s: only the last unit may have a fraction", raw)
		}
		whole, frac = strings.ReplaceAll(whole, "_", ""), strings.ReplaceAll(frac, "_", "")
		w, _ := new(big.Int).SetString(whole, 10)
		total.Add(total, w.Mul(w, big.NewInt(int64(unit))))
		if frac != "" {
			f, _ := new(big.Int).SetString(frac, 10)
			f.Mul(f, big.NewInt(int64(unit)))
			den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(len(frac))), nil)
			q, r := new(big.Int).QuoRem(f, den, new(big.Int))
			if r.Sign() != 0 {
				return 0, fmt.Errorf("duration literal %s is not a whole number of nanoseconds", raw)
			}
			total.Add(total, q)
		}
		if !total.IsInt64() {
			return 0, fmt.Errorf("duration literal %s overflows", raw)
		}
		s = s[j:]
	}
	d := time.Duration(total.Int64())
	if neg {
		d = -d
	}
	return d, nil
}

// parseSimpleDuration reads the common literal of a whole number and one
// unit ("800ms", "30s") without the general path's big numbers: requests
// carry durations, and the runtime's decoders parse them on every
// decision. ok is false for anything else, overflow included.
func parseSimpleDuration(s string) (time.Duration, bool) {
	i := 0
	var n int64
	for i < len(s) && i < 15 && s[i] >= '0' && s[i] <= '9' {
		n = n*10 + int64(s[i]-'0')
		i++
	}
	if i == 0 || i == len(s) {
		return 0, false
	}
	unit, _, ok := durationUnit(s[i:])
	if !ok || n > int64(math.MaxInt64/unit) {
		return 0, false
	}
	return time.Duration(n) * unit, true
}

// ValidDigits reports whether s is one or more decimal digits with single
// underscores between digits, as a literal writes them ("8_000").
func ValidDigits(s string) bool {
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && s[i] != '_' {
			return false
		}
	}
	return true
}

// FormatDuration renders a duration as a literal (`1h30m`, `250ms`).
func FormatDuration(d time.Duration) string { return string(AppendDuration(nil, d)) }

// AppendDuration appends FormatDuration(d) (durtext.Append).
func AppendDuration(buf []byte, d time.Duration) []byte { return durtext.Append(buf, d) }

// exponentError is a money literal written with an exponent ($0.1e3),
// and to, the literal without it ($100; "" when there is none: too many
// decimals, out of range), which the message and the fix both give.
type exponentError struct{ raw, to string }

func (e *exponentError) Error() string {
	if e.to == "" {
		return "malformed money literal " + e.raw + ": money takes no exponent"
	}
	return "malformed money literal " + e.raw + ": money takes no exponent (write " + e.to + ")"
}
