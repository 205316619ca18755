package lsp_test

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/internal/testpolicy"
	"github.com/rpl-lang/rpl/lsp"
)

// TestTreeRulesAgree opens every file of each policy tree of
// testdata/trees, the workspace folder, and wants the errors the editor
// publishes to be those rplc check reports of the directory (cmd/rplc's
// TestTreeRulesAgree holds rplc check, rplc build, the router and rplc
// test to them): "file:line:col: error[code]: message", file relative to
// the tree.
func TestTreeRulesAgree(t *testing.T) {
	testpolicy.EachTreeCase(t, "../testdata/trees", func(t *testing.T, tc testpolicy.TreeCase) {
		want := tc.InTree()
		c := newClient(t, tc.Dir, lsp.Options{})
		var uris []string
		filepath.WalkDir(tc.Dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".rpl") {
				rel, _ := filepath.Rel(tc.Dir, p)
				uris = append(uris, c.open(rel))
			}
			return err
		})
		for _, u := range uris {
			c.waitDiags(u, 1)
		}
		// The tree's errors may follow the first publications.
		var got []string
		for deadline := time.Now().Add(10 * time.Second); ; {
			got = editorErrors(c, tc.Dir)
			if fmt.Sprint(got) == fmt.Sprint(want) || time.Now().After(deadline) {
				break
			}
			select {
			case <-c.arrived:
			case <-time.After(100 * time.Millisecond):
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("the editor:\n got %q\nwant %q", got, want)
		}
	})
}

// editorErrors is the errors last published for every file, each once,
// sorted, as "file:line:col: error[code]: message" with file relative to
// dir.
func editorErrors(c *client, dir string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for u, p := range c.diags {
		rel, _ := filepath.Rel(dir, strings.TrimPrefix(u, "file://"))
		for _, d := range p.Diagnostics {
			if d.Severity == 1 {
				out = append(out, fmt.Sprintf("%s:%d:%d: error[%v]: %s", filepath.ToSlash(rel), d.Range.Start.Line+1, d.Range.Start.Character+1, d.Code, d.Message))
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
