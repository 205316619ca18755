package compiler_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/rpl-lang/rpl/vm"
)

// srcTextPolicy writes conditions, operands and match patterns over
// several lines, with comments and a string holding # and spaces.
const srcTextPolicy = `package st

fn route(r: Request) -> Decision {
  if r.model == "a  #b" &&   # a comment
      len(r.model) > 3 {
    return to("a:b")
  }
  match r.model {
    "x" |
      "y" => to("x:y")
    _ => to("c:d")
  }
}

test "multi-line condition" {
  let a = len("") == 0
  expect a &&   # why
    len("x") == 0
}
test "multi-line operand" {
  expect len(
    "x"
  ) == 0, "msg"
}
`

// TestSourceTextOneLine: the source text a failed expect's message, a
// trace point and a branch show is on one line, each line end and the
// indentation after it one space, comments left out, strings as written
// (each is one line of rplc test's or rplc explain's report). A condition
// written over two lines broke the report's line.
func TestSourceTextOneLine(t *testing.T) {
	want := map[string]string{
		"multi-line condition": `expect a && len("x") == 0 failed`,
		"multi-line operand":   `msg (len("x"))`,
	}
	n := runTestsEachWay(t, "st.rpl", srcTextPolicy, func(opts compiler.Options, test string, err error) {
		var ve *vm.Error
		if !errors.As(err, &ve) || ve.Code != vm.CodeAssertionFailed {
			t.Fatalf("%s: %v", test, err)
		}
		if got := ve.Msg; !strings.HasPrefix(got, want[test]) {
			t.Errorf("cover %v trace %v: %s: message %q, want it to start %q", opts.Cover, opts.Trace, test, got, want[test])
		}
	})
	if n != len(want) {
		t.Fatalf("%d tests", n)
	}
	u, _ := stdlib.Universe()
	prog, diags := lang.CheckSource(&lang.Config{Universe: u}, "st.rpl", []byte(srcTextPolicy))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	out, err := compiler.Compile(prog, compiler.Options{Cover: true, Trace: true})
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, p := range out.TracePoints {
		texts = append(texts, p.Text)
	}
	for _, b := range out.Branches {
		texts = append(texts, b.Text)
	}
	for _, w := range []string{`r.model == "a  #b" && len(r.model) > 3`, `"x" | "y"`} {
		found := false
		for _, s := range texts {
			found = found || s == w
		}
		if !found {
			t.Errorf("no trace point or branch reads %q: %q", w, texts)
		}
	}
	for _, s := range texts {
		if strings.ContainsAny(s, "\r\n") {
			t.Errorf("text on several lines: %q", s)
		}
	}
}
