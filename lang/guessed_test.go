package lang_test

import (
	"os"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/lang"
)

// TestGuessedNameTaken: a constant or function guessed from a stray line
// (limit = 3, g() -> int = 2: RPL100) is not declared where the name is
// taken in another file of the module (a stray line of the policy and one
// of its test file that guess the same name, a declaration written out
// in either, an import, in a test file what the policy inherits): each
// stray line is its RPL100 alone, with no RPL201 about a declaration the
// user never wrote, nor one made of the declaration written out.
func TestGuessedNameTaken(t *testing.T) {
	u := universe(t)
	const route = "fn route(r: Request) -> Decision = to(\"a:b\")\n"
	const test = "test \"t\" {\n  expect true\n}\n"
	for _, tc := range []struct {
		name  string
		files map[string]string // p.rpl is checked
		want  int               // RPL100s, the only errors
	}{
		{"guessed in both", map[string]string{
			"p.rpl":      "package p\n\nlimit = 3\n\n" + route,
			"p_test.rpl": "package p\n\nlimit = 4\n\n" + test,
		}, 2},
		{"guessed in the policy, written in the test file", map[string]string{
			"p.rpl":      "package p\n\nlimit = 3\n\n" + route,
			"p_test.rpl": "package p\n\nconst limit = 4\n\n" + test,
		}, 1},
		{"written in the policy, guessed in the test file", map[string]string{
			"p.rpl":      "package p\n\nfn g() -> int = 3\n\n" + route,
			"p_test.rpl": "package p\n\ng() -> int = 4\n\n" + test,
		}, 1},
		{"taken by an import of the file", map[string]string{
			"p.rpl": "package p\n\nimport \"std/ab\"\n\nab = 3\n\n" + route,
		}, 1},
		{"taken by an import of the test file", map[string]string{
			"p.rpl":      "package p\n\nab = 3\n\n" + route,
			"p_test.rpl": "package p\n\nimport \"std/ab\"\n\n" + test,
		}, 1},
		{"inherited, guessed in the test file", map[string]string{
			"p.rpl":      "package p\n\nextends \"org\"\n",
			"org.rpl":    "package org\n\nconst limit = 1\n" + route,
			"p_test.rpl": "package p\n\nlimit = 4\n\n" + test,
		}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			read := func(p string) ([]byte, error) {
				if s, ok := tc.files[strings.TrimPrefix(p, "/v/")]; ok {
					return []byte(s), nil
				}
				return nil, os.ErrNotExist
			}
			_, diags := lang.Check(&lang.Config{Universe: u, ReadFile: read, Policy: true}, "/v/p.rpl")
			n := 0
			for _, d := range diags {
				switch {
				case d.Code == lang.CodeSyntax:
					n++
				case d.Severity == lang.SevError:
					t.Errorf("unexpected: %v", d)
				}
			}
			if n != tc.want {
				t.Errorf("%d RPL100, want %d: %v", n, tc.want, diags)
			}
		})
	}
}
