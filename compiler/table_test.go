package compiler_test

import (
	"context"
	"testing"

	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/rpl-lang/rpl/vm"
)

func builtinTable(t testing.TB) *vm.BuiltinTable {
	t.Helper()
	table, err := stdlib.Table()
	if err != nil {
		t.Fatal(err)
	}
	return table
}

// runTestsEachWay checks src, compiles it three ways (folding pure
// builtins, with coverage, with tracing), and runs each of its test
// blocks in each, handing the block and its run's error to check; it
// returns the number of test blocks.
func runTestsEachWay(t *testing.T, name, src string, check func(opts compiler.Options, test string, err error)) int {
	t.Helper()
	u, err := stdlib.Universe()
	if err != nil {
		t.Fatal(err)
	}
	prog, diags := lang.CheckSource(&lang.Config{Universe: u}, name, []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	n := 0
	for _, opts := range []compiler.Options{{Builtins: builtinTable(t)}, {Cover: true}, {Trace: true}} {
		out, err := compiler.Compile(prog, opts)
		if err != nil {
			t.Fatal(err)
		}
		p, err := vm.NewProgram(out.Spec, builtinTable(t))
		if err != nil {
			t.Fatalf("cover %v trace %v: %v", opts.Cover, opts.Trace, err)
		}
		n = len(out.Tests)
		m := vm.NewMachine()
		for _, tc := range out.Tests {
			_, _, err := m.RunNamed(context.Background(), p, tc.Entry, nil, vm.Limits{}, vm.Input{})
			check(opts, tc.Name, err)
		}
	}
	return n
}
