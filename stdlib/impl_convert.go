package stdlib

import (
	"cmp"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/rpl-lang/rpl/internal/arith"
	"github.com/rpl-lang/rpl/internal/money"
	"github.com/rpl-lang/rpl/vm"
)

// outOfRange is the error of a result that does not fit in 64 bits:
// int_overflow, saying which result is out of the range of which type
// (int, money, duration), what outOfRangeProblem says, after the
// builtin's name. They said only "integer overflow".
func outOfRange(c *vm.Call, result, what string) error {
	return vm.Errorf(vm.CodeIntOverflow, "%s: %s", c.Name(), outOfRangeProblem(result, what))
}

// outOfRangeProblem is what outOfRange says after the builtin's name.
func outOfRangeProblem(result, what string) string {
	return result + " is out of the " + what + " range"
}

// absProblem is what abs says of the smallest int.
const absProblem = "the absolute value of -9223372036854775808 is out of the int range"

// noInt is the error of converting the float x to an int or money (what)
// that has none: int_overflow, saying what x is: NaN, which no rounding
// makes a number, or a float out of the range.
func noInt(c *vm.Call, x float64, what string) error {
	return vm.Errorf(vm.CodeIntOverflow, "%s: %s", c.Name(), noIntProblem(x, what))
}

// noIntProblem is what noInt says of x after the builtin's name: that a
// NaN has no value, that x (an infinity or a finite float) is out of the
// range. A finite x said only "integer overflow", which named neither.
func noIntProblem(x float64, what string) string {
	if math.IsNaN(x) {
		return fmt.Sprintf("NaN has no %s value", what)
	}
	return fmt.Sprintf("%v is out of the %s range", x, what)
}

// convString spells x as a literal: 42, 0.5, 250ms, $0.0025, true. A string
// is returned unchanged, a time in RFC 3339 (UTC), none as "none", lists,
// maps and records as vm.Value.FormatShaped writes them by the shape of
// x's type, which the compiler passes after x when x's type has records
// or enums inside (compiler.TakesShape).
func convString(c *vm.Call, a []vm.Value) (vm.Value, error) {
	x, shape := a[0], vm.Nil()
	if len(a) > 1 {
		shape = a[1]
	}
	switch x.Kind() {
	case vm.KindString:
		return x, nil
	case vm.KindTime:
		return c.NewStr(x.Time().Format(time.RFC3339Nano))
	case vm.KindList, vm.KindMap, vm.KindRecord:
		// Charge an upper bound of the text before building it: a list can
		// hold the same big value many times.
		w := formatWalk{c: c}
		if err := w.walk(x, shape, 0); err != nil {
			return vm.Value{}, err
		}
		if err := w.flush(); err != nil {
			return vm.Value{}, err
		}
		if err := c.Alloc(w.bytes + strHeader); err != nil {
			return vm.Value{}, err
		}
		text, err := c.StringShaped(x, shape)
		if err != nil {
			return vm.Value{}, err
		}
		return vm.Str(text), nil
	}
	return c.NewStr(x.String())
}

// formatWalk bounds the length of v.StringShaped(shape) and charges 1
// fuel per value and per 16 bytes of strings and field names, and of the
// 48 bytes of a number, money, duration or time, as it goes, so a huge
// shared structure runs out of fuel rather than being walked.
type formatWalk struct {
	c       *vm.Call
	bytes   int64
	pending int64 // fuel not charged yet
}

const maxFormatDepth = 64 // as vm.Value.String

func (w *formatWalk) walk(v vm.Value, shape vm.Value, depth int) error {
	if depth > maxFormatDepth {
		w.bytes += 3
		return nil
	}
	w.pending++
	if w.pending >= 256 {
		if err := w.flush(); err != nil {
			return err
		}
	}
	sp := vm.PartsOf(shape, v)
	switch v.Kind() {
	case vm.KindString:
		s := v.Str()
		n := int64(len(s)) + 2
		for i := 0; i < len(s); i++ {
			if b := s[i]; b < 0x20 || b >= 0x7f || b == '"' || b == '\\' {
				n = 4*int64(len(s)) + 2 // \xNN is the longest escape per byte
				break
			}
		}
		w.bytes += n
		w.pending += int64(len(s)) >> 4
	case vm.KindList:
		xs := v.List()
		w.bytes += 2 + 2*int64(len(xs))
		for _, e := range xs {
			if err := w.walk(e, sp.Part(0), depth+1); err != nil {
				return err
			}
		}
	case vm.KindRecord:
		xs := v.Record()
		w.bytes += 2 + 2*int64(len(xs))
		for i, e := range xs {
			if sp.Names != nil {
				name := int64(len(sp.Names[i].Str()))
				w.bytes += name + 2 // "name: "
				w.pending += name >> 4
			}
			if err := w.walk(e, sp.Part(i), depth+1); err != nil {
				return err
			}
		}
	case vm.KindMap:
		m := v.Map()
		w.bytes += 2 + 4*int64(m.Len())
		// Its keys are written in ascending order: sorting them costs
		// vm.SortFuel(n) and each key's bytes for the comparisons it
		// takes part in (vm.OrderKeysFuel).
		w.pending += vm.OrderKeysFuel(m.Len(), m.KeysFuel())
		for i, k := range m.Keys() {
			if err := w.walk(k, sp.Part(0), depth+1); err != nil {
				return err
			}
			if err := w.walk(m.Values()[i], sp.Part(1), depth+1); err != nil {
				return err
			}
		}
	default:
		w.bytes += 48 // the longest scalar: a time("…") or a duration
		if k := v.Kind(); k != vm.KindNil && k != vm.KindBool {
			// A number, money, duration or time: the 48 bytes' fuel
			// besides the value's 1. Writing one takes 2 to 5 times a
			// none's work, and at 1 fuel 10,000 of them took 120 to 280
			// ns a fuel (floats, times, durations: 2.7 ms on 10,006).
			w.pending += 48 >> 4
		}
	}
	return nil
}

func (w *formatWalk) flush() error {
	f := w.pending
	w.pending = 0
	return w.c.Charge(f)
}

func convIntFloat(c *vm.Call, a []vm.Value) (vm.Value, error) {
	i, ok := truncInt(a[0].Float())
	if !ok {
		return vm.Value{}, noInt(c, a[0].Float(), "int")
	}
	return vm.Int(i), nil
}

// The conversions of a float to an int (money's nano-units) that int,
// money, round, floor and ceil make, reporting whether the result fits.
func truncInt(x float64) (int64, bool) { return floatToInt(math.Trunc(x)) }
func roundInt(x float64) (int64, bool) { return floatToInt(math.Round(x)) }
func floorInt(x float64) (int64, bool) { return floatToInt(math.Floor(x)) }
func ceilInt(x float64) (int64, bool)  { return floatToInt(math.Ceil(x)) }

// floatToInt converts an integral float, reporting whether it fits.
func floatToInt(f float64) (int64, bool) {
	if !(f >= -(1<<63) && f < 1<<63) { // also false for NaN
		return 0, false
	}
	return int64(f), true
}

// moneyNanos is x currency units in nano-units: x as written, its
// shortest decimal form (the one string(x) gives), rounded half to even at
// 9 decimals, as a money literal of more decimals would be (money.OfFloat).
// It was RoundToEven(x * 1e9), which rounded twice, the product first:
// 6.47605e-05 (a half, 64760.5 nanos) gave 64761, -8763847.90232 gave
// -8763847902319999, and above 2^53 nanos (9,007,199 units) the product
// had no nanos to round at all.
func moneyNanos(x float64) (int64, bool) {
	n, p := money.OfFloat(x)
	return n, p == money.OK
}

func convIntString(c *vm.Call, a []vm.Value) (vm.Value, error) {
	s := a[0].Str()
	if err := chargeBytes(c, len(s)); err != nil {
		return vm.Value{}, err
	}
	i, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return vm.Nil(), nil
	}
	return vm.Int(i), nil
}

func convFloatInt(c *vm.Call, a []vm.Value) (vm.Value, error) {
	return vm.Float(float64(a[0].Int())), nil
}

func convFloatMoney(c *vm.Call, a []vm.Value) (vm.Value, error) {
	return vm.Float(moneyFloat(a[0].Money())), nil
}

// moneyFloat is the float nearest n nano-units in currency units
// (arith.Ratio, as seconds(d) and a money over a money are). It was
// float64(n) / 1e9, which rounds n first past 2^53 nanos (9,007,199
// units): $8456222330.67113 gave 8456222330.671129, which money() reads
// back as $8456222330.671129.
func moneyFloat(n int64) float64 { return arith.Ratio(n, money.Scale) }

// convFloatString parses a decimal number: digits, sign, point, exponent.
// Go's other spellings (inf, nan, hex floats, underscores) are none.
func convFloatString(c *vm.Call, a []vm.Value) (vm.Value, error) {
	s := a[0].Str()
	if err := chargeBytes(c, len(s)); err != nil {
		return vm.Value{}, err
	}
	for i := 0; i < len(s); i++ {
		switch b := s[i]; {
		case b >= '0' && b <= '9', b == '+', b == '-', b == '.', b == 'e', b == 'E':
		default:
			return vm.Nil(), nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return vm.Nil(), nil
	}
	return vm.Float(f), nil
}

// convMoney converts currency units to nano-units, rounding half to even.
func convMoney(c *vm.Call, a []vm.Value) (vm.Value, error) {
	n, ok := moneyNanos(a[0].Float())
	if !ok {
		return vm.Value{}, noInt(c, a[0].Float(), "money")
	}
	return vm.Money(n), nil
}

func convMillis(c *vm.Call, a []vm.Value) (vm.Value, error) {
	return vm.Int(a[0].Duration().Milliseconds()), nil
}

// convSeconds is the float nearest d/1e9. It was time.Duration.Seconds,
// float64(d/1e9) + float64(d%1e9)/1e9, which rounds the fraction and then
// the sum: seconds(1682635046ns) gave 1.6826350460000001 (string() wrote
// it so), where the nearest float is 1.682635046.
func convSeconds(c *vm.Call, a []vm.Value) (vm.Value, error) {
	return vm.Float(arith.Ratio(int64(a[0].Duration()), 1e9)), nil
}

// Math.

func mathAbsInt(c *vm.Call, a []vm.Value) (vm.Value, error) {
	x, ok := absInt(a[0].Int())
	if !ok {
		return vm.Value{}, vm.Errorf(vm.CodeIntOverflow, "%s: %s", c.Name(), absProblem)
	}
	return vm.Int(x), nil
}

// absInt is |x|, and whether it is an int (not for the smallest).
func absInt(x int64) (int64, bool) {
	if x == math.MinInt64 {
		return 0, false
	}
	return max(x, -x), true
}

func mathAbsFloat(c *vm.Call, a []vm.Value) (vm.Value, error) {
	return vm.Float(math.Abs(a[0].Float())), nil
}

// mathMinInt and mathMaxInt serve int, money and duration: they compare
// the int64 bits and return one of the arguments, so the kind is kept.
func mathMinInt(c *vm.Call, a []vm.Value) (vm.Value, error) {
	if a[1].Int() < a[0].Int() {
		return a[1], nil
	}
	return a[0], nil
}

func mathMaxInt(c *vm.Call, a []vm.Value) (vm.Value, error) {
	if a[1].Int() > a[0].Int() {
		return a[1], nil
	}
	return a[0], nil
}

// mathMinFloat and mathMaxFloat order as sort does (vm.Compare, Go's
// cmp.Compare): NaN before every other float, so min returns a NaN
// argument and max only when both are NaN; on a tie (-0.0 and 0.0, two
// NaNs) they return a, as mathMinInt and mathMaxInt do. Go's min and max
// would return NaN from both.
func mathMinFloat(c *vm.Call, a []vm.Value) (vm.Value, error) {
	if cmp.Less(a[1].Float(), a[0].Float()) {
		return a[1], nil
	}
	return a[0], nil
}

func mathMaxFloat(c *vm.Call, a []vm.Value) (vm.Value, error) {
	if cmp.Less(a[0].Float(), a[1].Float()) {
		return a[1], nil
	}
	return a[0], nil
}

func mathRound(c *vm.Call, a []vm.Value) (vm.Value, error) {
	return roundWith(c, a[0], roundInt)
}

func mathFloor(c *vm.Call, a []vm.Value) (vm.Value, error) {
	return roundWith(c, a[0], floorInt)
}

func mathCeil(c *vm.Call, a []vm.Value) (vm.Value, error) {
	return roundWith(c, a[0], ceilInt)
}

func roundWith(c *vm.Call, x vm.Value, f func(float64) (int64, bool)) (vm.Value, error) {
	i, ok := f(x.Float())
	if !ok {
		return vm.Value{}, noInt(c, x.Float(), "int")
	}
	return vm.Int(i), nil
}
