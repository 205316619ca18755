package stdlib_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/rpl-lang/rpl/vm"
)

// TestExamples runs the test blocks of the example policies and the
// conformance corpus end to end — checked, compiled, linked against
// Table — with an empty MemState as the host, as `rplc test` does.
func TestExamples(t *testing.T) {
	u, err := stdlib.Universe()
	if err != nil {
		t.Fatal(err)
	}
	tab, err := stdlib.Table()
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, pat := range []string{"../examples/policies/*.rpl", "../testdata/conformance/*.rpl"} {
		fs, _ := filepath.Glob(pat)
		files = append(files, fs...)
	}
	if len(files) == 0 {
		t.Fatal("no example policies")
	}
	for _, file := range files {
		if strings.HasSuffix(file, "_test.rpl") {
			continue
		}
		t.Run(filepath.Base(file), func(t *testing.T) {
			prog, diags := lang.Check(&lang.Config{Universe: u}, file)
			if diags.HasErrors() {
				t.Fatalf("does not check: %v", diags.Err())
			}
			out, err := compiler.Compile(prog, compiler.Options{})
			if err != nil {
				t.Fatalf("does not compile: %v", err)
			}
			p, err := vm.NewProgram(out.Spec, tab)
			if err != nil {
				t.Fatalf("link: %v", err)
			}
			m := vm.NewMachine()
			in := vm.Input{Now: time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC), Seed: 1, Host: &stdlib.MemState{}}
			var failed []string
			for _, tc := range out.Tests {
				if _, _, err := m.RunNamed(context.Background(), p, tc.Entry, nil, vm.Limits{}, in); err != nil {
					failed = append(failed, fmt.Sprintf("%s:%d: test %q: %v", tc.File, tc.Line, tc.Name, err))
				}
			}
			for _, f := range failed {
				t.Error(f)
			}
		})
	}
}
