package compiler_test

import (
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/rpl-lang/rpl/vm"
)

// TestFoldPureBuiltins: calls of pure builtins on constants become
// constants (no CALL_BUILTIN left), impure ones and failing ones stay
// calls, and folding needs the builtin table.
func TestFoldPureBuiltins(t *testing.T) {
	u, _ := stdlib.Universe()
	src := `package fold
fn route(r: Request) -> Decision {
  if r.task.type == "embed" {
    return to("openai:embed").fallback("cohere:embed", on: [timeout], retries: 1).tag("kind", "embed")
  }
  if r.task.type == "bad" {
    return to("")
  }
  weighted({"a": 1, "b": 1}).tag("k", lower("ABC"))
}
`
	prog, diags := lang.CheckSource(&lang.Config{Universe: u}, "fold.rpl", []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	disasm := func(opts compiler.Options) string {
		out, err := compiler.Compile(prog, opts)
		if err != nil {
			t.Fatal(err)
		}
		p, err := vm.NewProgram(out.Spec, builtinTable(t))
		if err != nil {
			t.Fatal(err)
		}
		return vm.Disassemble(p)
	}
	folded := disasm(compiler.Options{Builtins: builtinTable(t)})
	for _, gone := range []string{"fallback(", "lower("} {
		if strings.Contains(folded, gone) {
			t.Errorf("%s not folded:\n%s", gone, folded)
		}
	}
	// to("") fails, so it stays a call and fails at run time, with a position.
	if n := strings.Count(folded, "; to(string)"); n != 1 {
		t.Errorf("to(string) called %d times, want 1 (only the failing one):\n%s", n, folded)
	}
	for _, kept := range []string{"weighted(", `tag(Decision, string, string)`} {
		if !strings.Contains(folded, kept) {
			t.Errorf("%s folded, but weighted is not pure:\n%s", kept, folded)
		}
	}
	plain := disasm(compiler.Options{})
	if !strings.Contains(plain, "fallback(") {
		t.Errorf("folded without a builtin table:\n%s", plain)
	}
}
