package lsp_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/lsp"
)

// An empty completion list has items [], never null: CompletionList.items
// is a required array.
func TestCompletionEmptyItems(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "p.rpl"), policySrc)
	c := newClient(t, dir, lsp.Options{})
	u := c.open("p.rpl")
	c.waitDiags(u, 1)
	for _, line := range []string{`  let a = "x".`, `  let a = [1, 2].`, `  let a = nothing.`} {
		v := c.change(u, strings.Replace(policySrc, "  to(", line+"\n  to(", 1))
		c.waitDiags(u, v)
		var raw json.RawMessage
		c.call("textDocument/completion", docPos(u, pos(4, len(line))), &raw)
		var got struct {
			Items *[]json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(raw, &got); err != nil || got.Items == nil {
			t.Errorf("%q: completion %s, want a list with items", line, raw)
		}
	}
}
