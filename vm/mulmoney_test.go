package vm

import (
	"context"
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"testing"
)

// FuzzMulMoneyFloat checks mulMoneyFloat against exact rational
// arithmetic (math/big.Rat): the nanos x times f as written (its shortest
// decimal form), rounded half to even, or no value beyond the int64 range.
func FuzzMulMoneyFloat(f *testing.F) {
	r := rand.New(rand.NewPCG(7, 11))
	for _, c := range []struct {
		x int64
		f float64
	}{
		{1e9, 0.0000000035}, {1e9, 0.0000000025}, {3, 0.8333333333333334}, {-9007199254740993, 1.5},
		{math.MinInt64, 1}, {math.MaxInt64, 0x1p-200}, {math.MaxInt64, 1.0000001}, {7, 1e18}, {-2e9, 3.238025e-05},
		{1, 5e-324}, {math.MinInt64, -1}, {math.MaxInt64, 1},
	} {
		f.Add(c.x, c.f)
	}
	for range 200 {
		f.Add(int64(r.Uint64()), math.Float64frombits(r.Uint64()))
		f.Add(r.Int64N(2e12)-1e12, float64(r.IntN(2_000_000)-1_000_000)*math.Pow(10, -float64(r.IntN(20))))
	}
	minInt, maxInt := big.NewRat(math.MinInt64, 1), big.NewRat(math.MaxInt64, 1)
	f.Fuzz(func(t *testing.T, x int64, fl float64) {
		got, ok := mulMoneyFloat(x, fl)
		if math.IsNaN(fl) || math.IsInf(fl, 0) {
			if ok {
				t.Fatalf("%d * %v = %d, want no value", x, fl, got)
			}
			return
		}
		want, _ := new(big.Rat).SetString(strconv.FormatFloat(fl, 'e', -1, 64))
		want.Mul(want, big.NewRat(x, 1))
		n := roundHalfEven(want)
		if n.Cmp(minInt.Num()) < 0 || n.Cmp(maxInt.Num()) > 0 {
			if ok {
				t.Fatalf("%d * %v = %d, want no value (%s)", x, fl, got, n)
			}
			return
		}
		if !ok || got != n.Int64() {
			t.Fatalf("%d * %v = %d, %v; want %s", x, fl, got, ok, n)
		}
	})
}

// roundHalfEven is r rounded to the nearest integer, ties to even.
func roundHalfEven(r *big.Rat) *big.Int {
	num, den := r.Num(), r.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int)) // toward zero
	twice := new(big.Int).Abs(m)
	twice.Lsh(twice, 1)
	if c := twice.Cmp(den); c > 0 || c == 0 && q.Bit(0) == 1 {
		q.Add(q, big.NewInt(int64(num.Sign())))
	}
	return q
}

// TestMulMoneyFloatNoAlloc: MUL_MONEY_FLOAT reads f's digits on the stack.
func TestMulMoneyFloatNoAlloc(t *testing.T) {
	for _, c := range []struct {
		x int64
		f float64
	}{{-9007199254740993, 0.0000000035}, {math.MaxInt64, 0.8333333333333334}, {3, 1e-300}} {
		if n := testing.AllocsPerRun(100, func() { mulMoneyFloat(c.x, c.f) }); n != 0 {
			t.Errorf("%d * %v: %v allocations", c.x, c.f, n)
		}
	}
}

func BenchmarkMulMoneyFloat(b *testing.B) {
	p := build(b, []Value{Float(0.0000000035)}, nil, nil, nil, fn{name: "mul", params: 1, asm: func(a *Assembler) {
		a.Emit(OpLoadLocal, 0)
		a.Emit(OpConst, 0)
		a.Emit(OpMulMoneyFloat)
		a.Emit(OpReturn)
	}})
	m := NewMachine()
	args := []Value{Money(-9007199254740993)}
	b.ReportAllocs()
	for b.Loop() {
		m.Run(context.Background(), p, 0, args, Limits{}, Input{})
	}
}
