package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckSharedLibraryError: rplc check of a tree whose library, which
// three policies import, has an error reports it once, at the library's
// position, as it did when each policy checked the library again; a
// policy's own error is its own. With the error gone, the library is
// checked once for the tree, and the policies' errors are theirs.
func TestCheckSharedLibraryError(t *testing.T) {
	for _, tc := range []struct {
		lib  string
		want []string // each once
	}{
		{"package common\n\nfn score0(r: Request) -> int = 1 + \"x\"\n\nfn score1(r: Request) -> int = 1\n",
			[]string{"lib/common.rpl:3:32:", "t0002.rpl:6:"}},
		{"package common\n\nfn score0(r: Request) -> int = 1\n\nfn score1(r: Request) -> int = 1\n",
			[]string{"t0002.rpl:6:"}},
	} {
		dir := t.TempDir()
		files := map[string]string{"lib/common.rpl": tc.lib}
		for i := range 3 {
			call := fmt.Sprintf("common.score%d(r)", i%2)
			if i == 2 {
				call = "common.score1(\"x\")" // an error of its own
			}
			files[fmt.Sprintf("t%04d.rpl", i)] = fmt.Sprintf("package t%04d\n\nimport \"lib/common\"\n\nfn route(r: Request) -> Decision {\n    if %s > 1000 {\n        return to(\"anthropic:claude-sonnet\")\n    }\n    to(\"openai:gpt-4o-mini\")\n}\n", i, call)
		}
		for name, src := range files {
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		var out bytes.Buffer
		if code := run([]string{"check", dir}, nil, &out, &out); code != exitFail {
			t.Errorf("exit %d, want %d:\n%s", code, exitFail, &out)
		}
		for _, w := range tc.want {
			if n := strings.Count(out.String(), w); n != 1 {
				t.Errorf("%q %d times, want once:\n%s", w, n, &out)
			}
		}
		if n := strings.Count(out.String(), "error[RPL"); n != len(tc.want) {
			t.Errorf("%d errors, want %d:\n%s", n, len(tc.want), &out)
		}
	}
}
