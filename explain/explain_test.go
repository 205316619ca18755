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

// TestLambdaCallsCapped: a loop's step holds the first MaxLambdaCalls
// calls of its lambda, and counts the others (More) with their steps left
// out, however many the trace records. A program the compiler traces
// records no more (compiler.TraceLambdaCalls, the later calls run without
// probes), so the cap is Path's guard for a trace that holds more; here,
// 12 calls, each with a comparison in it.
func TestLambdaCallsCapped(t *testing.T) {
	const calls = MaxLambdaCalls + 2
	points := []compiler.TracePoint{
		{Kind: compiler.TraceLoop, Func: "route", Text: "map", Args: 1, List: "xs"},
		{Kind: compiler.TraceLambda, Func: "route", Text: "t", List: "t => t > 1"},
		{Kind: compiler.TraceOperand, Func: "route", Text: "t"},
		{Kind: compiler.TraceLambdaReturn, Func: "route", Text: "t => t > 1"},
		{Kind: compiler.TraceLoopCalls, Func: "route", Text: "map"},
		{Kind: compiler.TraceLoopEnd, Func: "route", Text: "map"},
	}
	events := []vm.TraceEvent{{Point: 0, Value: vm.Nil(), Depth: 1}}
	for i := range calls {
		events = append(events,
			vm.TraceEvent{Point: 1, Value: vm.Int(int64(i)), Depth: 1},
			vm.TraceEvent{Point: 2, Value: vm.Int(int64(i)), Depth: 1},
			vm.TraceEvent{Point: 3, Value: vm.Bool(i > 1), Depth: 1})
	}
	events = append(events,
		vm.TraceEvent{Point: 4, Value: vm.Int(calls), Depth: 1},
		vm.TraceEvent{Point: 5, Value: vm.Nil(), Depth: 1})
	steps := Path(points, events)
	if len(steps) != 1 {
		t.Fatalf("%d root steps, want the loop's", len(steps))
	}
	loop := steps[0]
	if len(loop.Steps) != MaxLambdaCalls || loop.More != calls-MaxLambdaCalls {
		t.Fatalf("%d calls shown, %d more; want %d and %d", len(loop.Steps), loop.More, MaxLambdaCalls, calls-MaxLambdaCalls)
	}
	for i, s := range loop.Steps {
		if s.Kind != "lambda" || len(s.Steps) != 1 || s.Args[0].Value != fmt.Sprint(i) {
			t.Errorf("call %d: %+v, want the lambda's call of %d with its comparison", i, s, i)
		}
	}
	var b strings.Builder
	WriteText(&b, steps, nil)
	if want := "… 2 more calls of the lambda not shown"; !strings.Contains(b.String(), want) {
		t.Errorf("no %q in\n%s", want, b.String())
	}
}
