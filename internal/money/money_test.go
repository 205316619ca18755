package money

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestNanos(t *testing.T) {
	for _, c := range []struct {
		digits string
		point  int
		neg    bool
		round  bool
		want   int64
		p      Problem
	}{
		{"", 0, false, false, 0, OK},
		{"1250", 2, false, false, 12_500_000_000, OK}, // 12.50
		{"00025", 1, true, false, -2_500_000, OK},     // -0.0025
		{"25", -2, false, false, 2_500_000, OK},       // 0.0025 as 0.25e-2
		{"1", -8, false, false, 1, OK},                // 1e-9
		{"1", -9, false, false, 0, Finer},             // 1e-10
		{"1", -9, false, true, 0, OK},                 // rounded off
		{"10000000000", -8, false, false, 1, OK},      // trailing zeros are no finer digit
		{"25", -8, false, true, 2, OK},                // 2.5 nanos: to even
		{"35", -8, false, true, 4, OK},                // 3.5 nanos: to even
		{"35", -8, true, true, -4, OK},                // -3.5 nanos
		{"250001", -8, false, true, 3, OK},            // past the half
		{"5", -9, false, true, 0, OK},                 // 0.5 nano
		{"9223372036854775807", 10, false, false, math.MaxInt64, OK},
		{"9223372036854775807", 10, true, false, -math.MaxInt64, OK},
		{"9223372036854775808", 10, true, false, 0, Range},  // MinInt64 is none
		{"92233720368547758075", 10, false, true, 0, Range}, // rounds up past it
		{"92233720368547758065", 10, false, true, math.MaxInt64 - 1, OK},
		{"1", 400, false, false, 0, Range},
		{"999999999999990000000001", 14, false, false, 0, Finer}, // both: Finer, as jsonx says
		{"000000000000000000000000001", 27, false, false, 1_000_000_000, OK},
	} {
		got, p := Nanos(c.digits, c.point, c.neg, c.round)
		if got != c.want || p != c.p {
			t.Errorf("Nanos(%q, %d, %v, %v) = %d, %d; want %d, %d", c.digits, c.point, c.neg, c.round, got, p, c.want, c.p)
		}
		if gotB, pB := Nanos([]byte(c.digits), c.point, c.neg, c.round); gotB != got || pB != p {
			t.Errorf("Nanos of bytes %q = %d, %d; of the string %d, %d", c.digits, gotB, pB, got, p)
		}
	}
}

func TestMagnitude(t *testing.T) {
	for _, c := range []struct {
		digits string
		point  int
		round  bool
		want   uint64
		p      Problem
	}{
		{"9223372036854775808", 10, false, 1 << 63, OK}, // math.MinInt64's
		{"9223372036854775809", 10, false, 0, Range},
		{"92233720368547758075", 10, true, 1 << 63, OK}, // rounds up to it
		{"92233720368547758085", 10, true, 1 << 63, OK}, // and down, to even
		{"92233720368547758086", 10, true, 0, Range},    // and up past it
		{"1", 400, false, 0, Range},
	} {
		if got, p := Magnitude(c.digits, c.point, c.round); got != c.want || p != c.p {
			t.Errorf("Magnitude(%q, %d, %v) = %d, %d; want %d, %d", c.digits, c.point, c.round, got, p, c.want, c.p)
		}
	}
}

func TestNanosAllocs(t *testing.T) {
	b := []byte("92233720368547758065")
	if n := testing.AllocsPerRun(100, func() { Nanos(b, 10, true, true) }); n != 0 {
		t.Errorf("Nanos allocates %v times", n)
	}
}

// decimal is the syntax FuzzNanos reads: a sign, digits with a point
// among them, an exponent of at most 3 digits (which math/big.Rat reads).
var decimal = regexp.MustCompile(`^(-?)([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]{1,3}))?$`)

// FuzzNanos checks Nanos against exact rational arithmetic (math/big.Rat)
// on decimal text: the amount in nanos, rounded half to even or refused
// as finer than a nano-unit, and refused beyond ±math.MaxInt64.
func FuzzNanos(f *testing.F) {
	for _, s := range []string{"12.50", "-0.0025", "1e-9", "1e-10", "0.0000000025", "0.0000000035", "-6.47605e-05",
		"9223372036.854775807", "-9223372036.854775808", "9223372036.8547758075", "1e400", "00.000", "1.5e+3"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	limit := new(big.Rat).SetInt64(math.MaxInt64)
	scale := big.NewRat(Scale, 1)
	f.Fuzz(func(t *testing.T, s string, round bool) {
		m := decimal.FindStringSubmatch(s)
		if m == nil {
			return
		}
		exp, _ := strconv.Atoi(m[4])
		digits, point := m[2]+m[3], len(m[2])+exp
		got, p := Nanos(digits, point, m[1] == "-", round)

		want, ok := new(big.Rat).SetString(s)
		if !ok {
			t.Fatalf("big.Rat cannot read %q", s)
		}
		want.Mul(want, scale)
		if !want.IsInt() {
			if !round {
				if p != Finer {
					t.Fatalf("Nanos(%q) = %d, %d; want Finer", s, got, p)
				}
				return
			}
			want.SetInt(halfEven(want))
		}
		if new(big.Rat).Abs(want).Cmp(limit) > 0 {
			if p != Range {
				t.Fatalf("Nanos(%q, round %v) = %d, %d; want Range", s, round, got, p)
			}
			return
		}
		if p != OK || want.Num().Int64() != got {
			t.Fatalf("Nanos(%q, round %v) = %d, %d; want %s", s, round, got, p, want.Num())
		}
		if strings.Trim(digits, "0") == "" && got != 0 {
			t.Fatalf("Nanos(%q) = %d, want 0", s, got)
		}
	})
}

// halfEven is r rounded to the nearest integer, ties to even.
func halfEven(r *big.Rat) *big.Int {
	num, den := r.Num(), r.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int)) // toward zero
	twice := new(big.Int).Abs(m)
	twice.Lsh(twice, 1)
	switch c := twice.Cmp(den); {
	case c > 0, c == 0 && q.Bit(0) == 1:
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q
}

// TestOfFloat: a float is read as its shortest decimal (the text
// strconv.FormatFloat writes, which big.Rat reads exactly), rounded half
// to even at the ninth decimal; a NaN, an infinity and an amount past
// the int64 nanos are Range. It does not allocate.
func TestOfFloat(t *testing.T) {
	scale := big.NewRat(Scale, 1)
	limit := big.NewInt(math.MaxInt64)
	check := func(f float64) {
		t.Helper()
		got, p := OfFloat(f)
		want, _ := new(big.Rat).SetString(strconv.FormatFloat(f, 'e', -1, 64))
		w := halfEven(want.Mul(want, scale))
		if new(big.Int).Abs(w).Cmp(limit) > 0 {
			if p != Range {
				t.Fatalf("OfFloat(%v) = %d, %d; want Range", f, got, p)
			}
			return
		}
		if p != OK || w.Int64() != got {
			t.Fatalf("OfFloat(%v) = %d, %d; want %s", f, got, p, w)
		}
	}
	for _, f := range []float64{0, math.Copysign(0, -1), 6.47605e-05, -6.47605e-05, 0.0000000025, 0.0000000035, 1e-10,
		8456222330.67113, 9223372036.854775, -9223372036.854775, 9.3e9, 1e300, 5e-324, math.MaxFloat64} {
		check(f)
	}
	for i := range uint64(200000) {
		f := math.Float64frombits(i * 0x9e3779b97f4a7c15)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		check(f)
		check(float64(int64(i*0x9e3779b97f4a7c15)>>20) / 1e9) // amounts of a few thousand units
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, p := OfFloat(f); p != Range {
			t.Errorf("OfFloat(%v): %d, want Range", f, p)
		}
	}
	if n := testing.AllocsPerRun(100, func() { OfFloat(-6.47605e-05) }); n != 0 {
		t.Errorf("OfFloat allocates %v times", n)
	}
}

// Append writes the fewest decimals that keep the amount, at least two,
// as the fmt spelling would, allocating nothing within b's capacity.
func TestAppend(t *testing.T) {
	ref := func(n int64) string {
		sign, u := "", uint64(n)
		if n < 0 {
			sign, u = "-", -u
		}
		fs := strings.TrimRight(fmt.Sprintf("%09d", u%Scale), "0")
		for len(fs) < 2 {
			fs += "0"
		}
		return fmt.Sprintf("%s$%d.%s", sign, u/Scale, fs)
	}
	ns := []int64{0, 1, -1, 10, 2_500_000, 12_500_000_000, -3 * Scale, 123_456_789_012, math.MaxInt64, math.MinInt64}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		n := rng.Int64() >> rng.IntN(63)
		if rng.IntN(2) == 0 {
			n = -n
		}
		ns = append(ns, n)
	}
	var buf [24]byte
	for _, n := range ns {
		if got, want := string(Append(buf[:0], n)), ref(n); got != want {
			t.Fatalf("Append(%d) = %s, want %s", n, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { Append(buf[:0], math.MinInt64) }); n != 0 {
		t.Errorf("Append allocates %v times", n)
	}
}
