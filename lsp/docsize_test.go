package lsp_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/lsp"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// Edits that make an open document larger than the limit (each didChange
// may add a message's worth, without end) are not followed: the document
// is closed in the server, its diagnostics cleared, and the editor told
// with an error naming the limit.
func TestDocumentTooLarge(t *testing.T) {
	defer lsp.SetMaxDocument(lsp.SetMaxDocument(200))
	dir := t.TempDir()
	write(t, filepath.Join(dir, "p.rpl"), "package p\n\nfn helper() -> string = \"h\"\n") // RPL212: no route
	c := newClient(t, dir, lsp.Options{})
	u := c.open("p.rpl")
	if ds := c.waitDiags(u, 1); !hasCode("RPL212")(ds) {
		t.Fatalf("p.rpl without route: %+v, want RPL212", ds)
	}
	c.edit(u, protocol.Range{Start: pos(0, 0), End: pos(0, 0)}, "# "+strings.Repeat("x", 100)+"\n") // 142 bytes
	v := c.edit(u, protocol.Range{Start: pos(0, 0), End: pos(0, 0)}, "# "+strings.Repeat("y", 100)+"\n")
	c.settle(u, "p.rpl closed in the server", none)
	c.mu.Lock()
	shown := append([]protocol.ShowMessageParams(nil), c.shown...)
	c.mu.Unlock()
	if len(shown) != 1 || shown[0].Type != protocol.MessageTypeError || !strings.Contains(shown[0].Message, "more than the language server's limit of 200") {
		t.Fatalf("after edit %d, shown %+v, want one error naming the limit of 200", v, shown)
	}
}
