package vm

import (
	"cmp"
	"math"
	"testing"
)

// specialFloats are the floats whose order is in question: NaNs (two
// payloads), the infinities, the zeros, and numbers around them.
var specialFloats = []float64{
	math.NaN(), math.Float64frombits(0xfff8000000000000), math.Inf(-1), -math.MaxFloat64, -1, -math.SmallestNonzeroFloat64,
	math.Copysign(0, -1), 0, math.SmallestNonzeroFloat64, 1, math.MaxFloat64, math.Inf(1),
}

// TestFloatOrder: the order of the builtins that order floats is Go's
// cmp.Compare, NaN first, in Compare (sort, keys, min, max) and in the
// BEFORE_FLOAT and AFTER_FLOAT instructions (min_by, max_by), whichever
// operand the NaN is; the operators' LT_FLOAT and GT_FLOAT stay IEEE's.
func TestFloatOrder(t *testing.T) {
	// op(x, y) as a function of two parameters.
	binary := func(op Opcode) *Program {
		return build(t, nil, nil, nil, nil, fn{name: "main", params: 2, asm: func(a *Assembler) {
			a.Emit(OpLoadLocal, 0)
			a.Emit(OpLoadLocal, 1)
			a.Emit(op)
			a.Emit(OpReturn)
		}})
	}
	before, after, lt, gt := binary(OpBeforeFloat), binary(OpAfterFloat), binary(OpLtFloat), binary(OpGtFloat)
	for _, x := range specialFloats {
		for _, y := range specialFloats {
			if got, want := Compare(Float(x), Float(y)), cmp.Compare(x, y); got != want {
				t.Errorf("Compare(%v, %v) = %d, want %d", x, y, got, want)
			}
			if got, want := floatBefore(x, y), cmp.Less(x, y); got != want {
				t.Errorf("floatBefore(%v, %v) = %v, want %v", x, y, got, want)
			}
			for _, c := range []struct {
				name string
				p    *Program
				want bool
			}{
				{"BEFORE_FLOAT", before, cmp.Less(x, y)},
				{"AFTER_FLOAT", after, cmp.Less(y, x)},
				{"LT_FLOAT", lt, x < y},
				{"GT_FLOAT", gt, x > y},
			} {
				if got := mustRun(t, c.p, "main", Float(x), Float(y)); got.Kind() != KindBool || got.Bool() != c.want {
					t.Errorf("%s %v %v = %s, want %v", c.name, x, y, got, c.want)
				}
			}
		}
	}
}

// TestBeforeAfter: BEFORE and AFTER (min_by and max_by on keys of any
// other type) order values as Compare, and so as sort: by kind (none
// first), then within the kind, NaN first among floats, lists and
// records element by element.
func TestBeforeAfter(t *testing.T) {
	p := compareProgram(t)
	mp, _ := NewMap([]Value{Str("a")}, []Value{Float(math.NaN())})
	values := []Value{Nil(), Bool(false), Bool(true), Int(-1), Int(3), Float(math.NaN()), Float(math.Inf(-1)), Float(-0.0), Float(0), Float(2),
		Str(""), Str("a"), Str("b"), Duration(1), Money(1), Time(1),
		NewList(nil), NewList([]Value{Float(math.NaN())}), NewList([]Value{Int(1)}), NewList([]Value{Int(1), Int(0)}), NewList([]Value{Int(2)}),
		NewList([]Value{Float(1)}), NewRecord([]Value{Int(1), Str("b")}), NewRecord([]Value{Int(1), Str("c")}), mp, sharedNest(2)}
	for _, x := range values {
		for _, y := range values {
			c := Compare(x, y)
			for _, f := range []struct {
				entry string
				want  bool
			}{{"before", c < 0}, {"after", c > 0}} {
				if got := mustRun(t, p, f.entry, x, y); got.Kind() != KindBool || got.Bool() != f.want {
					t.Errorf("%s %s %s = %s, want %v (Compare %d)", f.entry, x, y, got, f.want, c)
				}
			}
		}
	}
}
