package rpl_test

import (
	"testing"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/lang"
)

// TestFromJSONMoneyText: money given as a JSON string is written as a
// money literal is (spec §2.6), its "$" optional, a "-" before it
// allowed: what no literal writes is refused with its path, where " 1",
// "1.", ".5", "$5.", "$1e3" and "$0.1e1" were read as amounts. A number
// keeps JSON's forms, exponents included.
func TestFromJSONMoneyText(t *testing.T) {
	money := lang.Typ[lang.Money]
	for _, bad := range []string{`" 1"`, `"1 "`, `"\t1"`, `"1."`, `".5"`, `"$5."`, `"$.5"`, `"-.5"`, `"$1e3"`, `"$0.1e1"`, `"1e2"`, `"1_"`, `"_1"`, `"1__0"`, `"1._5"`, `"$-1"`, `"--1"`, `"+1"`, `"$"`, `"-"`, `""`, `"1,5"`} {
		_, err := rpl.FromJSONAt(money, []byte(bad), "request.cost")
		if want := `request.cost: want money ("$0.25" or 0.25), have ` + bad; err == nil || err.Error() != want {
			t.Errorf("%s: %v; want %s", bad, err, want)
		}
	}
	for in, want := range map[string]int64{
		`"$0.25"`: 250_000_000, `"0.25"`: 250_000_000, `"-$5"`: -5_000_000_000, `"-0.5"`: -500_000_000,
		`"$1_000.000_000_1"`: 1_000_000_000_100, `"007"`: 7_000_000_000, `"$0.000000001"`: 1,
		`1e-3`: 1_000_000, `2.5E2`: 250_000_000_000, `0`: 0,
	} {
		v, err := rpl.FromJSON(money, []byte(in))
		if err != nil || v.Money() != want {
			t.Errorf("%s: %v %v; want %d", in, v, err, want)
		}
	}
	// The errors of an amount beyond money's are ParseMoney's, its digits
	// given as written.
	if _, err := rpl.FromJSONAt(money, []byte(`"$1.0000000001"`), "request.cost"); err == nil || err.Error() != `request.cost: $1.0000000001 has more than 9 decimals (money is counted in nano-units, $0.000000001)` {
		t.Errorf("ten decimals: %v", err)
	}
}
