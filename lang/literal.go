package lang

import (
	"errors"
	"fmt"
	"math"
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
	s = strings.TrimPrefix(s, "$")
	s = strings.ReplaceAll(s, "_", "")
	whole, frac, _ := strings.Cut(s, ".")
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
	v, err := strconv.ParseFloat(strings.ReplaceAll(raw, "_", ""), 64)
	if err != nil {
		return 0, fmt.Errorf("malformed float literal %s", raw)
	}
	return v, nil
}

// ParseDuration decodes a duration literal: a sequence of number+unit
// pairs with units ns, us, ms, s, m, h, d (`250ms`, `1h30m`, `1.5s`).
func ParseDuration(raw string) (time.Duration, error) {
	s := raw
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	s = strings.ReplaceAll(s, "_", "")
	var total float64
	if s == "" {
		return 0, fmt.Errorf("malformed duration literal %s", raw)
	}
	for s != "" {
		i := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("malformed duration literal %s", raw)
		}
		num, err := strconv.ParseFloat(s[:i], 64)
		if err != nil {
			return 0, fmt.Errorf("malformed duration literal %s", raw)
		}
		j := i
		for j < len(s) && !(s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
			j++
		}
		unit, ok := durationUnits[s[i:j]]
		if !ok {
			return 0, fmt.Errorf("unknown unit %q in duration literal %s (use ns, us, ms, s, m, h or d)", s[i:j], raw)
		}
		total += num * float64(unit)
		s = s[j:]
	}
	if total > math.MaxInt64 {
		return 0, fmt.Errorf("duration literal %s overflows", raw)
	}
	d := time.Duration(total)
	if neg {
		d = -d
	}
	return d, nil
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
