package lang_test

import (
	"os"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/lang"
)

// An import whose only use is in a declaration the parser skipped (a
// syntax error in it) is not reported unused: the warning, and the
// removal it asks for, would break the declaration once fixed (found by
// trying rplc check on a half-written policy). A file without syntax
// errors still gets it, and so does another file of the policy.
func TestUnusedImportAfterSyntaxError(t *testing.T) {
	u := universe(t)
	tests := []struct {
		name  string
		files map[string]string
		want  []string // files with RPL205
	}{
		{"use in a broken declaration", map[string]string{
			"p.rpl": "package p\n\nimport \"std/cost\"\n\nfn route(r: Request) -> Decision {\n  if cost.remaining(r.tenant) < $5 {\n    return to(\"a:b\"\n  }\n  to(\"c:d\")\n}\n",
		}, nil},
		{"unused, no syntax error", map[string]string{
			"p.rpl": "package p\n\nimport \"std/cost\"\n\nfn route(r: Request) -> Decision = to(\"c:d\")\n",
		}, []string{"/v/p.rpl"}},
		{"syntax error in the other file", map[string]string{
			"p.rpl":      "package p\n\nimport \"std/cost\"\n\nfn route(r: Request) -> Decision = to(\"c:d\")\n",
			"p_test.rpl": "package p\n\ntest \"t\" {\n  expect route({}).target == \"c:d\"\n\n",
		}, []string{"/v/p.rpl"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			read := func(p string) ([]byte, error) {
				if s, ok := tc.files[strings.TrimPrefix(p, "/v/")]; ok {
					return []byte(s), nil
				}
				return nil, os.ErrNotExist
			}
			_, diags := lang.Check(&lang.Config{Universe: u, ReadFile: read, Policy: true}, "/v/p.rpl")
			var got []string
			for _, d := range diags {
				if d.Code == lang.CodeUnusedImport {
					got = append(got, d.File.Name)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("RPL205 in %v, want %v (diagnostics %v)", got, tc.want, diags)
			}
		})
	}
}
