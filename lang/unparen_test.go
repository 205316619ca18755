package lang_test

import (
	"testing"

	"github.com/rpl-lang/rpl/lang"
)

// TestUnparen checks that lang.Unparen sees through any number of
// parentheses, and leaves an expression without them as it is.
func TestUnparen(t *testing.T) {
	lit := &lang.BasicLit{Raw: "5", Value: "5"}
	if got := lang.Unparen(lit); got != lit {
		t.Errorf("Unparen(5) = %#v, want the literal itself", got)
	}
	in := &lang.ParenExpr{X: lit}
	if got := lang.Unparen(in); got != lit {
		t.Errorf("Unparen((5)) = %#v, want 5", got)
	}
	if got := lang.Unparen(&lang.ParenExpr{X: in}); got != lit {
		t.Errorf("Unparen(((5))) = %#v, want 5", got)
	}
	if got := lang.Unparen(nil); got != nil {
		t.Errorf("Unparen(nil) = %#v, want nil", got)
	}
}
