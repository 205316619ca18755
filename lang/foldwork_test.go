package lang_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/lang"
)

// TestCheckFoldWorkBounded: the calls a check hands to the Universe's
// Fold share one budget (maxCheckFoldWork), weighed by the values they
// are given, past which a call is not constant to the check. 2,000 calls
// to("openai:m" + string(len(sort(L)))) of a 1,000-element L were all
// folded, 2 million values sorted, and of a 10,000-element L 1,600 of
// them, 14 s of checking.
func TestCheckFoldWorkBounded(t *testing.T) {
	u := *universe(t) // the shared one, its Fold counted in a copy
	given, folds := 0, 0
	var weigh func(v lang.ConstValue) int
	weigh = func(v lang.ConstValue) int {
		n := 1
		switch v := v.(type) {
		case lang.ConstList:
			for _, x := range v {
				n += weigh(x)
			}
		case lang.ConstMap:
			for i := range v.Keys {
				n += weigh(v.Keys[i]) + weigh(v.Values[i])
			}
		}
		return n
	}
	fold := u.Fold
	u.Fold = func(b *lang.Builtin, args []lang.ConstValue, types []lang.Type) (lang.ConstValue, bool) {
		folds++
		for _, a := range args {
			given += weigh(a)
		}
		return fold(b, args, types)
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
	if folds == 0 {
		t.Fatal("no call folded")
	}
	if given > lang.MaxCheckFoldWork {
		t.Errorf("%d calls folded, given %d values, more than the %d a check may give", folds, given, lang.MaxCheckFoldWork)
	}
}
