package compiler_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/rpl-lang/rpl/vm"
)

// foldFuelProgram checks and compiles src, folding, and returns what it
// compiled, its disassembly and the number of calls of sort left in it.
func foldFuelProgram(t *testing.T, src string) (*compiler.Output, *vm.Program, int) {
	t.Helper()
	u, err := stdlib.Universe()
	if err != nil {
		t.Fatal(err)
	}
	prog, diags := lang.CheckSource(&lang.Config{Universe: u}, "f.rpl", []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	out, err := compiler.Compile(prog, compiler.Options{Builtins: builtinTable(t)})
	if err != nil {
		t.Fatal(err)
	}
	p, err := vm.NewProgram(out.Spec, builtinTable(t))
	if err != nil {
		t.Fatal(err)
	}
	return out, p, strings.Count(vm.Disassemble(p), "; sort(list[T])")
}

// constList is a constant list of n ints, not in order.
func constList(n int) string {
	elems := make([]string, n)
	for i := range elems {
		elems[i] = fmt.Sprint(i * 7919 % 10007)
	}
	return "[" + strings.Join(elems, ", ") + "]"
}

// TestFoldFuelBounded: the calls a compilation folds share one budget of
// fuel (compiler.FoldFuel), past which they are left to run time. Each
// len(sort(L)) of a 1,000-element L spends 5,000 fuel folded; 1,000 of
// them were all folded, 5 million fuel, and 2,000 of a 10,000-element L
// 140 million, 20 s of compilation. The calls not folded give the same
// values when they run.
func TestFoldFuelBounded(t *testing.T) {
	const calls, sortFuel = 1000, 1000 * 10 / 2 // stableSortFuel(1000)
	var src strings.Builder
	fmt.Fprintf(&src, "package f\nconst L = %s\nfn n(i: int) -> int {\n", constList(1000))
	for i := range calls {
		fmt.Fprintf(&src, "  if i == %d { return len(sort(L)) + %d }\n", i, i)
	}
	src.WriteString("  return 0\n}\nfn route(r: Request) -> Decision = to(\"openai:gpt-4o\")\n")
	src.WriteString("test \"first\" { expect n(0) == 1000 }\n")
	fmt.Fprintf(&src, "test \"last\" { expect n(%d) == %d }\n", calls-1, 1000+calls-1)
	out, p, left := foldFuelProgram(t, src.String())
	folded := calls - left
	if spent := compiler.FoldFuelOf(out); spent > compiler.FoldFuel {
		t.Errorf("folding charged %d fuel, more than the %d a compilation has", spent, compiler.FoldFuel)
	}
	if folded*sortFuel > compiler.FoldFuel || left == 0 {
		t.Errorf("%d of %d calls folded, spending %d fuel, more than the %d a compilation has", folded, calls, folded*sortFuel, compiler.FoldFuel)
	}
	if folded == 0 {
		t.Errorf("no call folded")
	}
	m := vm.NewMachine()
	for _, tc := range out.Tests {
		if _, _, err := m.RunNamed(context.Background(), p, tc.Entry, nil, vm.Limits{}, vm.Input{}); err != nil {
			t.Errorf("test %q: %v", tc.Name, err)
		}
	}
}

// TestFoldFuelPerCall: a call is folded whatever fuel it needs up to a
// call's limit (a 10,000-element sort: 70,000 fuel), and not past it (a
// 20,000-element one: 150,000), and the compilation is charged what the
// call spent, all of the limit for one that ran out.
func TestFoldFuelPerCall(t *testing.T) {
	for _, c := range []struct {
		n, left int
		spent   int64
	}{{10, 0, 0}, {10_000, 0, 10_000 * 14 / 2}, {20_000, 1, compiler.FoldLimit}} {
		src := fmt.Sprintf("package f\nconst L = %s\nfn route(r: Request) -> Decision = to(\"openai:m\").tag(\"n\", string(len(sort(L))))\n", constList(c.n))
		out, _, left := foldFuelProgram(t, src)
		if left != c.left {
			t.Errorf("sort of %d elements: %d calls left, want %d", c.n, left, c.left)
		}
		if spent := compiler.FoldFuelOf(out); spent < c.spent || spent > c.spent+c.spent/8+64 {
			t.Errorf("sort of %d elements: folding charged %d fuel, want %d and a little more", c.n, spent, c.spent)
		}
	}
}
