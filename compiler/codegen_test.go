package compiler_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/rpl-lang/rpl/vm"
)

var update = flag.Bool("update", false, "rewrite golden files (testdata/codegen)")

// TestCodegen compiles the policy `in.rpl` of each
// testdata/codegen/*.txtar and compares the disassembly with
// `out/disasm`. The archive's comment may name compile options, one a
// line: "tests" (keep test blocks), "cover", "trace". -update rewrites the
// expected output.
func TestCodegen(t *testing.T) {
	files, _ := filepath.Glob("testdata/codegen/*.txtar")
	if len(files) == 0 {
		t.Fatal("no testdata/codegen/*.txtar")
	}
	u, err := stdlib.Universe()
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			opts := compiler.Options{NoTests: true}
			for _, line := range strings.Split(string(ar.Comment), "\n") {
				switch strings.TrimSpace(line) {
				case "tests":
					opts.NoTests = false
				case "cover":
					opts.Cover = true
				case "trace":
					opts.Trace = true
				}
			}
			var src []byte
			out := -1
			for i, f := range ar.Files {
				switch f.Name {
				case "in.rpl":
					src = f.Data
				case "out/disasm":
					out = i
				}
			}
			if src == nil {
				t.Fatal("no in.rpl")
			}
			prog, diags := lang.CheckSource(&lang.Config{Universe: u}, "in.rpl", src)
			if diags.HasErrors() {
				t.Fatalf("in.rpl does not check:\n%v", diags.Err())
			}
			o, err := compiler.Compile(prog, opts)
			if err != nil {
				t.Fatal(err)
			}
			p, err := vm.NewProgram(o.Spec, builtinTable(t))
			if err != nil {
				t.Fatalf("verifier: %v", err)
			}
			got := vm.Disassemble(p)
			if *update {
				if out < 0 {
					ar.Files = append(ar.Files, txtar.File{Name: "out/disasm"})
					out = len(ar.Files) - 1
				}
				ar.Files[out].Data = []byte(got)
				if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if out < 0 {
				t.Fatal("no out/disasm (run go test ./compiler -run Codegen -update)")
			}
			if want := string(ar.Files[out].Data); got != want {
				t.Errorf("disassembly differs (run go test ./compiler -run Codegen -update)\ngot:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}
