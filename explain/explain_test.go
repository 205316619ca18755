package explain

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/vm"
)

// TestValueCutAtCharacter: a long value is cut at a character boundary,
// never inside a UTF-8 sequence (which wrote an invalid byte to the text
// output and U+FFFD to the JSON).
func TestValueCutAtCharacter(t *testing.T) {
	points := []compiler.TracePoint{{Kind: compiler.TraceOperand, Func: "route", Text: "m"}}
	for _, s := range []string{"x" + strings.Repeat("é", 60), strings.Repeat("日", 40), strings.Repeat("a", 100)} {
		steps := Path(points, []vm.TraceEvent{{Point: 0, Value: vm.Str(s), Depth: 1}})
		if len(steps) != 1 {
			t.Fatalf("%d steps", len(steps))
		}
		v := steps[0].Value
		if !utf8.ValidString(v) || !strings.HasSuffix(v, "...") || len(v) > MaxValue {
			t.Errorf("value %q (%d bytes): want valid UTF-8 of at most %d bytes ending in ...", v, len(v), MaxValue)
		}
	}
}
