package lang_test

import (
	"testing"

	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
)

// TestDuplicateLambdaParam: a lambda's parameter named as an earlier one
// is an error RPL201 that points back at the first, as a function's is.
// No builtin of the standard library takes a function of two parameters
// (a lambda of two is then of the wrong arity, RPL302), so the universe
// here has one that does.
func TestDuplicateLambdaParam(t *testing.T) {
	decls := append(stdlib.Decls(), lang.BuiltinDecl{Name: "pairwise", Sig: "(xs: list[T], f: fn(T, T) -> bool) -> bool", Cost: 1, Pure: true})
	u, err := lang.NewUniverse(lang.UniverseConfig{Builtins: decls, Enums: stdlib.Enums, PreludeName: "std/prelude.rpl", Prelude: stdlib.Prelude()})
	if err != nil {
		t.Fatal(err)
	}
	src := "package p\n\nfn f(xs: list[int]) -> bool = pairwise(xs, (x, x) => x > 0)\n\nfn g(xs: list[int]) -> bool = pairwise(xs, (_, _) => true)\n"
	_, diags := lang.CheckSource(&lang.Config{Universe: u}, "p.rpl", []byte(src))
	if len(diags) != 1 {
		t.Fatalf("diagnostics %v, want one", diags)
	}
	d := diags[0]
	pos := d.Position()
	if d.Code != lang.CodeRedeclared || d.Message != "duplicate lambda parameter x" || pos.Line != 3 || pos.Col != 48 {
		t.Errorf("%v [%s], want p.rpl:3:48: duplicate lambda parameter x [RPL201]", d, d.Code)
	}
	if len(d.Related) != 1 || d.Related[0].Message != "previous declaration" ||
		d.Related[0].File.Position(d.Related[0].Span.Start).Col != 45 || d.Related[0].Span.End-d.Related[0].Span.Start != 1 {
		t.Errorf("related %+v, want the first x, at 3:45", d.Related)
	}
}
