package compiler_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/rpl-lang/rpl/vm"
)

// FuzzCompileRun: any source that checks compiles (or says why not: no
// route and no tests, or a machine limit) to a program the
// verifier accepts (a rejection is a compiler bug), survives an encode and
// load round trip, and runs every entry point under small limits without
// a Go panic (the VM turns one into an internal error, which fails here);
// a second run on the same machine agrees with the first, and so does the
// coverage-instrumented program, compiled without the optimisations.
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
	// Lambdas called more than compiler.TraceLambdaCalls times, nested,
	// stopping early, whose later calls a traced program runs quietly.
	f.Add([]byte(`package z
fn big(x: int) -> bool = x > 5
fn route(r: Request) -> Decision {
  let xs = range(30).filter(i => big(i) && any(range(i), j => j == 12))
  let n = xs.count(x => x % 3 == 0)
  let m = range(25).map(i => i * 2).max_by(i => -i)
  let a = all(xs, x => x < 29)
  to("a:" + string(len(xs) + n + (m ?? 0)) + string(a))
}
`))
	noFiles := func(string) ([]byte, error) { return nil, os.ErrNotExist }
	f.Fuzz(func(t *testing.T, src []byte) {
		prog, diags := lang.CheckSource(&lang.Config{Universe: u, ReadFile: noFiles}, "fuzz.rpl", src)
		if diags.HasErrors() {
			return
		}
		out, err := compiler.Compile(prog, compiler.Options{})
		if err != nil {
			// Nothing to run (no route and no tests), or code beyond the
			// machine's limits (RPL322); any other failure of a program
			// that checks is a compiler bug.
			var limit *compiler.LimitError
			if !errors.As(err, &limit) && !strings.Contains(err.Error(), "no route function and no tests") {
				t.Fatalf("checks but does not compile: %v\n%s", err, src)
			}
			return
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
		// The reference: the same source compiled with coverage probes,
		// which turn off inlining, fused conditions, in-place decision
		// chains and (with probes attached) list reuse. Where both runs
		// succeed they must agree.
		refOut, err := compiler.Compile(prog, compiler.Options{Cover: true})
		if err != nil {
			t.Fatalf("compiles plain but not instrumented: %v\n%s", err, src)
		}
		ref, err := vm.NewProgram(refOut.Spec, table)
		if err != nil {
			t.Fatalf("verifier rejected instrumented program: %v\n%s", err, src)
		}
		// And with trace probes, whose lambdas past the first
		// TraceLambdaCalls calls run a body compiled without them.
		trOut, err := compiler.Compile(prog, compiler.Options{Trace: true})
		if err != nil {
			t.Fatalf("compiles plain but not traced: %v\n%s", err, src)
		}
		tr, err := vm.NewProgram(trOut.Spec, table)
		if err != nil {
			t.Fatalf("verifier rejected traced program: %v\n%s", err, src)
		}
		m, refM := vm.NewMachine(), vm.NewMachine()
		lim := vm.Limits{Fuel: 20_000, Memory: 1 << 20, MaxDepth: 50}
		for _, name := range p.Entries() {
			i, _ := p.Entry(name)
			args := make([]vm.Value, p.NumParams(i))
			for k := range args {
				args[k] = compiler.ZeroValue(out.Request)
			}
			run := func() (vm.Value, bool) {
				v, _, err := m.Run(context.Background(), p, i, args, lim, vm.Input{})
				if e, ok := err.(*vm.Error); ok && e.Code == vm.CodeInternal {
					t.Fatalf("%s: internal error: %v\n%s", name, err, src)
				}
				return v, err == nil
			}
			v, ok := run()
			got := v.Literal()
			// A second run on the same machine (which may reuse the first
			// run's lists) gives the same answer and leaves the first
			// run's result as it was.
			if v2, ok2 := run(); ok && ok2 && (v2.Literal() != got || v.Literal() != got) {
				t.Fatalf("%s: second run %s, first run's result now %s, was %s\n%s", name, v2, v, got, src)
			}
			j, found := ref.Entry(name)
			if !found || !ok {
				continue
			}
			rv, _, err := refM.Run(context.Background(), ref, j, args, lim, vm.Input{Probes: &vm.Probes{Counts: make([]uint64, len(refOut.Counters))}})
			if err == nil && rv.Literal() != got {
				t.Fatalf("%s: %s, instrumented %s\n%s", name, got, rv, src)
			}
			j, _ = tr.Entry(name)
			tv, _, err := refM.Run(context.Background(), tr, j, args, lim, vm.Input{Probes: &vm.Probes{}})
			if err == nil && tv.Literal() != got {
				t.Fatalf("%s: %s, traced %s\n%s", name, got, tv, src)
			}
		}
	})
}
