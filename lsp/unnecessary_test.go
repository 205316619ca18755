package lsp_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/rpl-lang/rpl/lsp"
)

// TestUnnecessaryFaded: the warnings of code that does nothing (an
// unused local, unreachable code, a value computed and discarded) carry
// the Unnecessary tag (1), which editors show faded; others do not.
func TestUnnecessaryFaded(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "p.rpl"), `package p

fn route(r: Request) -> Decision {
  let unused = 1
  let d = to("openai:gpt-4o")
  d.tag("k", "v")
  return d
  d
}
`)
	c := newClient(t, dir, lsp.Options{})
	u := c.open("p.rpl")
	ds := c.waitDiags(u, 1)
	want := map[string]bool{"RPL207": true, "RPL325": true, "RPL310": true}
	seen := map[string]bool{}
	for _, d := range ds {
		code, _ := d.Code.(string)
		seen[code] = true
		if faded := slices.Contains(d.Tags, 1); faded != want[code] {
			t.Errorf("%s %q: faded %v, want %v", code, d.Message, faded, want[code])
		}
	}
	for code := range want {
		if !seen[code] {
			t.Errorf("no %s among %+v", code, ds)
		}
	}
}
