package lang_test

import (
	"os"
	"testing"

	"github.com/rpl-lang/rpl/lang"
)

// TestDiagListError checks the message of a DiagList used as an error: it
// leads with the first error even when a warning comes before it, and
// counts the other errors, not the warnings.
func TestDiagListError(t *testing.T) {
	u := universe(t)
	tests := []struct {
		name, src, want string
	}{
		{"one error", "package p\n\nfn route(r: Request) -> Decision = to(nope)\n",
			"/v/p.rpl:3:39: undefined: nope"},
		{"warning first", "package p\n\nimport \"std/ab\"\n\nfn route(r: Request) -> Decision = to(nope)\n",
			"/v/p.rpl:5:39: undefined: nope"},
		{"two errors", "package p\n\nimport \"std/ab\"\n\nfn route(r: Request) -> Decision = to(nope)\nfn f() -> int = \"x\"\n",
			"/v/p.rpl:5:39: undefined: nope (and 1 more error)"},
		{"three errors", "package p\n\nimport \"std/ab\"\n\nfn route(r: Request) -> Decision = to(nope)\nfn f() -> int = \"x\"\nfn g() -> int = nada\n",
			"/v/p.rpl:5:39: undefined: nope (and 2 more errors)"},
		{"warnings only", "package p\n\nimport \"std/ab\"\nimport \"std/cost\"\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n",
			"/v/p.rpl:3:1: warning: \"std/ab\" imported and not used (and 1 more diagnostics)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			read := func(p string) ([]byte, error) {
				if p == "/v/p.rpl" {
					return []byte(tc.src), nil
				}
				return nil, os.ErrNotExist
			}
			_, diags := lang.Check(&lang.Config{Universe: u, ReadFile: read, Policy: true}, "/v/p.rpl")
			if got := diags.Error(); got != tc.want {
				t.Errorf("got  %q\nwant %q\n(diagnostics: %v)", got, tc.want, []*lang.Diagnostic(diags))
			}
		})
	}
	if got := (lang.DiagList{}).Error(); got != "no errors" {
		t.Errorf("empty list: %q", got)
	}
}
