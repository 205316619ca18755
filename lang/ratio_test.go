package lang

import "testing"

// A money over a money folds to the float nearest the exact ratio, as
// the machine's DIV_MONEY computes it (arith.Ratio): float64(x) /
// float64(y) rounded $9007199.254740993 to $9007199.254740992 first and
// folded $9007199.254740993 / $0.000000003 to 3002399751580330.5.
func TestFoldMoneyRatio(t *testing.T) {
	for _, c := range []struct {
		x, y int64
		want float64
	}{
		{9007199254740993, 3, 3002399751580331},
		{-9007199254740993, 3, -3002399751580331},
		{3, 4, 0.75},
	} {
		v, ok, msg := foldBinary("/", Typ[Money], Typ[Money], c.x, c.y)
		if f, isF := v.(float64); !ok || msg != "" || !isF || f != c.want {
			t.Errorf("%d / %d folds to %v, %v, %q; want %v", c.x, c.y, v, ok, msg, c.want)
		}
	}
}
