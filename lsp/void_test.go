package lsp_test

import (
	"path/filepath"
	"strings"
	"testing"

	protocol "github.com/tliron/glsp/protocol_3_16"

	"github.com/rpl-lang/rpl/lsp"
)

// TestCompletionAfterVoid: an if without else has no value (RPL313), so
// nothing is offered after its point; the checker records its type, void,
// which a builtin whose receiver is any type would otherwise fit.
func TestCompletionAfterVoid(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "p.rpl"), policySrc)
	c := newClient(t, dir, lsp.Options{})
	u := c.open("p.rpl")
	c.waitDiags(u, 1)
	line := "  let k = (if true { 1 })."
	v := c.change(u, strings.Replace(policySrc, "  to(", line+"\n  to(", 1))
	c.waitDiags(u, v)
	var got protocol.CompletionList
	c.call("textDocument/completion", docPos(u, pos(4, len(line))), &got)
	if len(got.Items) != 0 {
		var labels []string
		for _, it := range got.Items {
			labels = append(labels, it.Label)
		}
		t.Errorf("completion after a value-less if offers %v", labels)
	}
}
