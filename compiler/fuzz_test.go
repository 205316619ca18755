package compiler_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/rpl-lang/rpl/vm"
)

// FuzzCompileRun: any source that checks compiles to a program the
// verifier accepts (a rejection is a compiler bug), survives an encode and
// load round trip, and runs every entry point under small limits without
// a Go panic (the VM turns one into an internal error, which fails here).
func FuzzCompileRun(f *testing.F) {
	u, err := stdlib.Universe()
	if err != nil {
		f.Fatal(err)
	}
	table := builtinTable(f)
	for _, pattern := range []string{"../testdata/conformance/*.rpl", "../testdata/adversarial/*.rpl", "../examples/policies/*.rpl"} {
		files, _ := filepath.Glob(pattern)
		for _, p := range files {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
	noFiles := func(string) ([]byte, error) { return nil, os.ErrNotExist }
	f.Fuzz(func(t *testing.T, src []byte) {
		prog, diags := lang.CheckSource(&lang.Config{Universe: u, ReadFile: noFiles}, "fuzz.rpl", src)
		if diags.HasErrors() {
			return
		}
		out, err := compiler.Compile(prog, compiler.Options{})
		if err != nil {
			return // nothing to run (no route and no tests)
		}
		p, err := vm.NewProgram(out.Spec, table)
		if err != nil {
			t.Fatalf("verifier rejected compiled program: %v\n%s", err, src)
		}
		data, err := p.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := vm.Load(data, table); err != nil {
			t.Fatalf("encoded program does not load: %v", err)
		}
		m := vm.NewMachine()
		lim := vm.Limits{Fuel: 20_000, Memory: 1 << 20, MaxDepth: 50}
		for _, name := range p.Entries() {
			i, _ := p.Entry(name)
			args := make([]vm.Value, p.NumParams(i))
			for k := range args {
				args[k] = compiler.ZeroValue(out.Request)
			}
			_, _, err := m.Run(context.Background(), p, i, args, lim, vm.Input{})
			if e, ok := err.(*vm.Error); ok && e.Code == vm.CodeInternal {
				t.Fatalf("%s: internal error: %v\n%s", name, err, src)
			}
		}
	})
}
