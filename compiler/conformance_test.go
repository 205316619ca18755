package compiler_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/rpl-lang/rpl/vm"
)

// build checks and compiles the policy at path.
func build(t testing.TB, path string) (*compiler.Output, *vm.Program) {
	t.Helper()
	u, err := stdlib.Universe()
	if err != nil {
		t.Fatal(err)
	}
	prog, diags := lang.Check(&lang.Config{Universe: u}, path)
	if diags.HasErrors() {
		for _, d := range diags {
			t.Log(d.Error())
		}
		t.Fatalf("%s does not check", path)
	}
	out, err := compiler.Compile(prog, compiler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := vm.NewProgram(out.Spec, builtinTable(t))
	if err != nil {
		t.Fatalf("verify %s: %v", path, err)
	}
	return out, p
}

// TestConformance runs every test block of testdata/conformance, on the
// freshly compiled program and on the program encoded and loaded back.
func TestConformance(t *testing.T) {
	files, _ := filepath.Glob("../testdata/conformance/*.rpl")
	if len(files) == 0 {
		t.Fatal("no conformance files")
	}
	for _, file := range files {
		if strings.HasSuffix(file, "_test.rpl") {
			continue
		}
		name := strings.TrimSuffix(filepath.Base(file), ".rpl")
		t.Run(name, func(t *testing.T) {
			out, fresh := build(t, file)
			if len(out.Tests) == 0 {
				t.Fatal("no tests")
			}
			data, err := fresh.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			loaded, err := vm.Load(data, builtinTable(t))
			if err != nil {
				t.Fatalf("load encoded program: %v", err)
			}
			m := vm.NewMachine()
			for _, tc := range out.Tests {
				for _, run := range []struct {
					how string
					p   *vm.Program
				}{{"fresh", fresh}, {"loaded", loaded}} {
					t.Run(tc.Name+"/"+run.how, func(t *testing.T) {
						_, _, err := m.RunNamed(context.Background(), run.p, tc.Entry, nil, vm.Limits{}, vm.Input{})
						if err != nil {
							t.Errorf("%s:%d: %v", tc.File, tc.Line, err)
							if e, ok := err.(*vm.Error); ok {
								t.Log(e.Backtrace())
							}
						}
					})
				}
			}
		})
	}
}
