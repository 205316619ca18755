package stdlib

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite spec/stdlib.md")

const docPath = "../spec/stdlib.md"

// TestStdlibDoc checks that spec/stdlib.md is what the declarations
// generate; -update rewrites it.
func TestStdlibDoc(t *testing.T) {
	got := Markdown()
	if *update {
		if err := os.WriteFile(docPath, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatalf("%v (run go test ./stdlib -run TestStdlibDoc -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale: run go test ./stdlib -run TestStdlibDoc -update", docPath)
	}
}

// TestModulesDocumented checks that every module of a declaration has a
// section, and the document has every builtin and the prelude.
func TestModulesDocumented(t *testing.T) {
	known := map[string]bool{}
	for _, m := range Modules {
		known[m.Name] = true
	}
	doc := string(Markdown())
	for _, d := range Decls() {
		if !known[d.Module] {
			t.Errorf("module %q of %s has no ModuleDoc", d.Module, d.Name)
		}
		if !strings.Contains(doc, d.Sig) {
			t.Errorf("%s%s is not documented", d.Name, d.Sig)
		}
	}
	if !strings.Contains(doc, string(bytes.TrimSpace(Prelude()))) {
		t.Error("the prelude is not included verbatim")
	}
}
