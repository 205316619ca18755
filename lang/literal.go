package lang

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// MoneyScale is the number of money units per currency unit: money is an
// exact int64 count of nano-units (1e-9), so $0.000000001 is the smallest
// amount and sums never drift.
const MoneyScale = 1_000_000_000

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
	whole, frac, hasFrac := strings.Cut(s, ".")
	if !validDigits(whole) || hasFrac && !validDigits(frac) {
		return 0, fmt.Errorf("malformed money literal %s", raw)
	}
	whole, frac = strings.ReplaceAll(whole, "_", ""), strings.ReplaceAll(frac, "_", "")
	if len(frac) > 9 {
		return 0, fmt.Errorf("money literal %s has more than 9 decimal places", raw)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > math.MaxInt64/MoneyScale {
		return 0, fmt.Errorf("money literal %s out of range", raw)
	}
	var f int64
	if frac != "" {
		f, _ = strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
	}
	if w*MoneyScale > math.MaxInt64-f {
		return 0, fmt.Errorf("money literal %s out of range", raw)
	}
	n := w*MoneyScale + f
	if neg {
		n = -n
	}
	return n, nil
}

// FormatMoney renders nano-units as a literal with the fewest decimals
// that keep it exact (at least two): $12.50, $0.0025.
func FormatMoney(n int64) string {
	sign := ""
	u := uint64(n)
	if n < 0 {
		sign, u = "-", uint64(-n)
	}
	whole, frac := u/MoneyScale, u%MoneyScale
	fs := fmt.Sprintf("%09d", frac)
	fs = strings.TrimRight(fs, "0")
	for len(fs) < 2 {
		fs += "0"
	}
	return fmt.Sprintf("%s$%d.%s", sign, whole, fs)
}

var durationUnits = map[string]time.Duration{
	"ns": time.Nanosecond, "us": time.Microsecond, "µs": time.Microsecond,
	"ms": time.Millisecond, "s": time.Second, "m": time.Minute, "h": time.Hour,
	"d": 24 * time.Hour,
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

// ParseInt decodes an int literal (decimal or 0x hex, with _ separators).
func ParseInt(raw string) (int64, error) {
	v, err := strconv.ParseInt(raw, 0, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, fmt.Errorf("integer literal %s overflows int", raw)
		}
		return 0, fmt.Errorf("malformed integer literal %s", raw)
	}
	return v, nil
}

// ParseFloat decodes a float literal.
func ParseFloat(raw string) (float64, error) {
	body := strings.TrimPrefix(raw, "-")
	mant, exp, hasExp := strings.Cut(strings.ToLower(body), "e")
	whole, frac, hasFrac := strings.Cut(mant, ".")
	exp = strings.TrimLeft(exp, "+-")
	if !validDigits(whole) || hasFrac && !validDigits(frac) || hasExp && !validDigits(exp) || strings.Contains(exp, "_") {
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
		unit, ok := durationUnits[unitName]
		if !ok {
			return 0, fmt.Errorf("unknown unit %q in duration literal %s (use ns, us, ms, s, m, h or d)", unitName, raw)
		}
		rank := durationRank[unitName]
		if rank <= lastRank {
			return 0, fmt.Errorf("duration literal %s: units must go from largest to smallest, each once (like 1h30m)", raw)
		}
		lastRank = rank
		whole, frac, hasFrac := strings.Cut(num, ".")
		if !validDigits(whole) || hasFrac && !validDigits(frac) {
			return 0, malformed
		}
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

// durationRank orders the units from largest to smallest.
var durationRank = map[string]int{"d": 0, "h": 1, "m": 2, "s": 3, "ms": 4, "us": 5, "µs": 5, "ns": 6}

// validDigits reports whether s is one or more decimal digits with single
// underscores between digits.
func validDigits(s string) bool {
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
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	var b strings.Builder
	b.WriteString(sign)
	for _, u := range []struct {
		name string
		d    time.Duration
	}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}, {"ms", time.Millisecond}, {"us", time.Microsecond}, {"ns", time.Nanosecond}} {
		if d >= u.d {
			fmt.Fprintf(&b, "%d%s", d/u.d, u.name)
			d %= u.d
		}
	}
	return b.String()
}
