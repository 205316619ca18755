package explain

import (
	"fmt"
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

// TestIndentBounded: WriteText indents at most MaxIndent levels; a step
// deeper is written at that indentation with its depth before it. A
// recursion 200 deep indented its innermost lines by 400 spaces.
func TestIndentBounded(t *testing.T) {
	const deep = 200
	root := &Step{Kind: "call", Func: "f", File: "p.rpl", Line: 3, Col: 1}
	for s, d := root, 1; d <= deep; d++ {
		c := &Step{Kind: "call", Func: "f", File: "p.rpl", Line: 3, Col: 1}
		s.Steps = append(s.Steps, c)
		s = c
	}
	var b strings.Builder
	WriteText(&b, []*Step{root}, nil)
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != deep+1 {
		t.Fatalf("%d lines, want %d", len(lines), deep+1)
	}
	for d, line := range lines {
		want := strings.Repeat("  ", min(d, MaxIndent))
		if d > MaxIndent {
			want += fmt.Sprintf("[%d] ", d)
		}
		want += "f()  at p.rpl:3:1"
		if line != want {
			t.Fatalf("depth %d: %q, want %q", d, line, want)
		}
	}
}
