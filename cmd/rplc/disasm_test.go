package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDisasmNamesFilesOnly: disasm names a function's file relative to
// the working directory, and leaves the rest of the listing as it is: it
// cut ") DIR/" out of the whole text, so a constant ") DIR/x" (DIR the
// working directory) was shown as ") x".
func TestDisasmNamesFilesOnly(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	path := ") " + cwd + string(filepath.Separator) + "x"
	src := "package d\n\nconst s = \"" + path + "\"\n\nfn route(r: Request) -> Decision { to(r.id + s) }\n"
	if err := os.WriteFile("d.rpl", []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"disasm", "d.rpl"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	if want := "const 0 = \"" + path + "\"\n"; !strings.Contains(out, want) {
		t.Errorf("the constant is not shown as it is, %q:\n%s", want, out)
	}
	if want := ", stack 2) d.rpl\n"; !strings.Contains(out, want) {
		t.Errorf("route's file is not named d.rpl:\n%s", out)
	}
}
