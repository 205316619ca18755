package lang_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/lang"
)

// TestCheckFoldFuelBounded: the calls a check hands to the Universe's
// Fold share one budget of fuel (FoldFuel), each given what is
// left at most and charged what it spent, past which a call is not
// constant to the check. 2,000 calls to("openai:m" + string(len(sort(L))))
// of a 1,000-element L were all folded, 2 million values sorted, and of
// a 10,000-element L 1,600 of them, 14 s of checking.
func TestCheckFoldFuelBounded(t *testing.T) {
	u := *universe(t) // the shared one, its Fold counted in a copy
	var spent int64
	sorts := 0
	fold := u.Fold
	u.Fold = func(b *lang.Builtin, args []lang.ConstValue, types []lang.Type, fuel int64) (lang.ConstValue, int64, bool) {
		v, n, ok := fold(b, args, types, fuel)
		if ok && b.Name == "sort" {
			sorts++
		}
		if n > fuel {
			t.Errorf("a call given %d fuel spent %d", fuel, n)
		}
		spent += n
		return v, n, ok
	}
	elems := make([]string, 1000)
	for i := range elems {
		elems[i] = fmt.Sprint(i * 7919 % 10007)
	}
	var src strings.Builder
	fmt.Fprintf(&src, "package f\nconst L = [%s]\nfn route(r: Request) -> Decision {\n", strings.Join(elems, ", "))
	for i := range 2000 {
		fmt.Fprintf(&src, "  if r.estimate.input_tokens == %d { return to(\"openai:m\" + string(len(sort(L)))) }\n", i)
	}
	src.WriteString("  to(\"openai:gpt-4o\")\n}\n")
	_, diags := lang.CheckSource(&lang.Config{Universe: &u}, "f.rpl", []byte(src.String()))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if sorts == 0 {
		t.Fatal("no sort folded")
	}
	if spent > lang.FoldFuel || sorts == 2000 {
		t.Errorf("%d of 2,000 sorts folded, spending %d fuel; a check may spend %d", sorts, spent, lang.FoldFuel)
	}
}
