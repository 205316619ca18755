package runtime_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime"
)

// TestDecideMoneyText: a v2 request's money given as a string is written
// as a money literal is, its "$" optional ("$0.25", "0.25", "$1_000"),
// on the fast decoder's path and encoding/json's alike: what no literal
// writes (space around it, a point without a digit on both sides, an
// exponent, a "_" trailing) is invalid_request naming the field, where
// " 1", "1.", ".5", "$5.", "$1e3" and "$0.1e1" were taken. A number
// keeps its exponent forms (1e-3), as JSON writes numbers.
func TestDecideMoneyText(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "default.rpl", "package default\n\nfn route(r: Request) -> Decision = to(\"a:b\").because(string(r.constraints.max_cost ?? $0) + \" \" + string(r.tenant.budget.daily))\n")
	e := newEngine(t, runtime.Config{})
	load(t, e, dir)
	ctx := context.Background()
	// "m\u0061x_cost" and "d\u0061ily" are the fields, spelt so that the
	// fast decoder gives up.
	for _, slow := range []bool{false, true} {
		body := func(cost, daily string) []byte {
			f := `"constraints": {"max_cost": ` + cost + `}, "tenant": {"id": "t", "budget": {"daily": ` + daily + `}}`
			if slow {
				f = strings.NewReplacer(`"max_cost"`, `"m\u0061x_cost"`, `"daily"`, `"d\u0061ily"`).Replace(f)
			}
			return []byte(`{"request": {"id": "r", ` + f + `}}`)
		}
		for _, bad := range []string{`" 1"`, `"1 "`, `"1."`, `".5"`, `"$5."`, `"$.5"`, `"$1e3"`, `"$0.1e1"`, `"1E2"`, `"1_"`, `"1__0"`, `"$_1"`, `"1._5"`, `"$-1"`, `"+1"`, `"$"`, `""`} {
			for _, at := range []string{"constraints.max_cost", "tenant.budget.daily"} {
				cost, daily := `"$1"`, `"$2"`
				if at == "constraints.max_cost" {
					cost = bad
				} else {
					daily = bad
				}
				want := `"message":"request.` + at + `: want money (\"$0.25\" or 0.25), have ` + strings.ReplaceAll(bad, `"`, `\"`) + `","details":{"field":"request.` + at + `"}`
				out, code, _ := e.HandleV2(ctx, body(cost, daily), time.Now(), nil, nil)
				if code != runtime.CodeInvalidRequest || !strings.Contains(string(out), want) {
					t.Errorf("slow %v, %s %s: %s %s\nwant …%s", slow, at, bad, code, out, want)
				}
			}
		}
		for _, ok := range []struct{ cost, daily, reason string }{
			{`"$0.25"`, `"0.25"`, "$0.25 $0.25"},
			{`"$1_000.000_5"`, `"1_000"`, "$1000.0005 $1000.00"},
			{`1e-3`, `2.5E2`, "$0.001 $250.00"},
			{`"007"`, `0`, "$7.00 $0.00"},
		} {
			out, code, _ := e.HandleV2(ctx, body(ok.cost, ok.daily), time.Now(), nil, nil)
			if code != "" || !strings.Contains(string(out), `"reason":"`+ok.reason+`"`) {
				t.Errorf("slow %v, %s %s: %s %s", slow, ok.cost, ok.daily, code, out)
			}
		}
		// A negative amount is read, and refused as a router refuses it.
		out, code, _ := e.HandleV2(ctx, body(`"-$5"`, `"$1"`), time.Now(), nil, nil)
		if code != runtime.CodeInvalidRequest || !strings.Contains(string(out), `request.constraints.max_cost must be ≥ 0, have -$5.00`) {
			t.Errorf("slow %v, -$5: %s %s", slow, code, out)
		}
	}
}
