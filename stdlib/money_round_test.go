package stdlib

import (
	"context"
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/rpl-lang/rpl/vm"
)

// TestMulMoneyFloatIsMoneyOf: a money m times a float f (MUL_MONEY_FLOAT)
// is money(float(m) * f) when that float product is exact as written:
// float(m) is m, and float(m) * f is written as the product of float(m)
// and f as written (string gives each). Both take a float as written and
// round once, half to even at 9 decimals. The machine took f's binary
// value, so $1 * 0.0000000035 was $0.000000003 and money(0.0000000035)
// $0.000000004.
func TestMulMoneyFloatIsMoneyOf(t *testing.T) {
	var a vm.Assembler
	a.Emit(vm.OpLoadLocal, 0)
	a.Emit(vm.OpLoadLocal, 1)
	a.Emit(vm.OpMulMoneyFloat)
	a.Emit(vm.OpReturn)
	code, err := a.Code()
	if err != nil {
		t.Fatal(err)
	}
	tab, err := Table()
	if err != nil {
		t.Fatal(err)
	}
	mul, err := vm.NewProgram(&vm.ProgramSpec{
		Functions: []vm.FunctionSpec{{Name: "main", File: "test.rpl", NumParams: 2, NumLocals: 2, Code: code,
			Lines: []vm.LineEntry{{PC: 0, Line: 1, Col: 1}}}},
		Entries: map[string]int{"main": 0},
	}, tab)
	if err != nil {
		t.Fatal(err)
	}
	m := vm.NewMachine()
	times := func(x int64, f float64) (vm.Value, error) {
		v, _, err := m.Run(context.Background(), mul, 0, []vm.Value{vm.Money(x), vm.Float(f)}, vm.Limits{}, vm.Input{})
		return v, err
	}

	// Amounts a float holds exactly: k/8 units, k odd or a power of 2.
	amounts := []int64{1e9, -1e9, 2e9, 125_000_000, -375_000_000, 4e9, 1024e9, 3e9, 5e9, -7e9}
	r := rand.New(rand.NewPCG(29, 3))
	exact := 0
	for i := range 20000 {
		x := amounts[i%len(amounts)]
		// f: a decimal of a few digits, which may put a half at the
		// ninth decimal of the product, or any float.
		var f float64
		switch i % 3 {
		case 0:
			f = float64(r.IntN(2_000_000)-1_000_000) * math.Pow(10, -float64(r.IntN(16)))
		case 1:
			f = float64(r.IntN(200)*10+5) * math.Pow(10, -float64(9+r.IntN(6)))
		case 2:
			f = math.Float64frombits(r.Uint64())
		}
		u := float64(x) / 1e9 // float(money), as convFloatMoney makes it
		p := u * f
		if math.IsNaN(p) || math.IsInf(p, 0) {
			continue
		}
		if asWritten(t, u).Cmp(big.NewRat(x, 1e9)) != 0 || asWritten(t, p).Cmp(new(big.Rat).Mul(asWritten(t, u), asWritten(t, f))) != 0 {
			continue // float(m) * f rounds what it shows
		}
		exact++
		got, gotErr := times(x, f)
		want, wantErr := call(t, "money(float)", vm.Float(p))
		if (gotErr != nil) != (wantErr != nil) || gotErr == nil && !vm.Equal(got, want) {
			t.Errorf("%s * %v = %v, %v; money(%v) = %v, %v", vm.Money(x), f, got, gotErr, p, want, wantErr)
		}
	}
	if exact < 5000 {
		t.Fatalf("only %d exact products", exact)
	}
}

// asWritten is x's shortest decimal form, which string(x) and money(x)
// read, as a rational.
func asWritten(t *testing.T, x float64) *big.Rat {
	r, ok := new(big.Rat).SetString(strconv.FormatFloat(x, 'e', -1, 64))
	if !ok {
		t.Fatalf("big.Rat cannot read %v", x)
	}
	return r
}

// TestFloatOfMoney: float(m) is the float nearest m, so money(float(m))
// is m for an amount of at most 15 significant digits. It was
// float64(nanos) / 1e9, which rounds the nanos first past 2^53:
// float($8456222330.67113) was 8456222330.671129.
func TestFloatOfMoney(t *testing.T) {
	r := rand.New(rand.NewPCG(29, 4))
	check := func(n int64) {
		got := mustCall(t, "float(money)", vm.Money(n)).Float()
		if want, _ := big.NewRat(n, 1e9).Float64(); got != want {
			t.Fatalf("float(%s) = %v, want %v", vm.Money(n), got, want)
		}
	}
	for _, n := range []int64{0, 1, -1, 1 << 53, 1<<53 + 1, -(1<<53 + 1), 8_456_222_330_671_130_000, 83_898_226_043_779_400, math.MaxInt64, math.MinInt64} {
		check(n)
	}
	for range 20000 {
		check(int64(r.Uint64()))
		// 15 significant digits, the last of them at most at the ninth
		// decimal, beyond 2^53 nanos.
		n := (r.Int64N(8.2e14) + 1e14) * int64(math.Pow10(r.IntN(5))) // below 9.22e18
		if r.IntN(2) == 0 {
			n = -n
		}
		check(n)
		if back := mustCall(t, "money(float)", mustCall(t, "float(money)", vm.Money(n))); back.Money() != n {
			t.Fatalf("money(float(%s)) = %s", vm.Money(n), back)
		}
	}
}
