package stdlib

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rpl-lang/rpl/vm"
)

// orderFloats are the floats whose order is in question: NaNs with two
// payloads (so that which NaN a builtin returns shows), the infinities,
// the zeros and numbers between.
var orderFloats = []float64{
	math.NaN(), math.Float64frombits(0xfff8000000000000), math.Inf(-1), -1, math.Copysign(0, -1), 0, 0.5, math.Inf(1),
}

// TestMinMaxFloatOrder: min and max of floats order as sort does (Go's
// cmp.Compare, NaN first), whichever argument a NaN is, and return the
// first argument of two equal ones (-0.0 and 0.0, two NaNs), bit for bit.
func TestMinMaxFloatOrder(t *testing.T) {
	for _, x := range orderFloats {
		for _, y := range orderFloats {
			lo, hi := x, x
			if cmp.Less(y, x) {
				lo = y
			}
			if cmp.Less(x, y) {
				hi = y
			}
			for _, c := range []struct {
				key  string
				want float64
			}{{"min(float, float)", lo}, {"max(float, float)", hi}} {
				got := mustCall(t, c.key, vm.Float(x), vm.Float(y))
				if got.Kind() != vm.KindFloat || math.Float64bits(got.Float()) != math.Float64bits(c.want) {
					t.Errorf("%s(%v, %v) = %v (%#x), want %v (%#x)", c.key, x, y, got, math.Float64bits(got.Float()), c.want, math.Float64bits(c.want))
				}
			}
		}
	}
}

// TestSortFloatOrder: sort orders floats as Go's cmp.Compare, stably,
// wherever the NaNs are: the result is slices.SortStableFunc's with
// cmp.Compare, bit for bit (the NaN payloads and the signs of zero show
// that equal values keep their order).
func TestSortFloatOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 40 {
		for range 5 {
			xs := make([]float64, n)
			vs := make([]vm.Value, n)
			for i := range xs {
				xs[i] = orderFloats[r.IntN(len(orderFloats))]
				vs[i] = vm.Float(xs[i])
			}
			want := slices.Clone(xs)
			slices.SortStableFunc(want, cmp.Compare[float64])
			got := mustCall(t, "sort(list[T])", list(vs...)).List()
			for i := range want {
				if math.Float64bits(got[i].Float()) != math.Float64bits(want[i]) {
					t.Fatalf("sort(%v) = %v, want %v", xs, got, want)
				}
			}
		}
	}
}
