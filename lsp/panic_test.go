package lsp_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/lsp"
	"github.com/sourcegraph/jsonrpc2"
)

// TestHandlerPanic: a handler's panic fails its request with an internal
// error and the session goes on; it ended the server (the editor would
// restart it, its documents' state lost).
func TestHandlerPanic(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "p.rpl"), []byte("package p\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lsp.SetHandlerHook(func(method string) {
		if method == "textDocument/hover" {
			panic("boom")
		}
	})
	t.Cleanup(func() { lsp.SetHandlerHook(nil) })
	c := newClient(t, dir, lsp.Options{})
	u := c.open("p.rpl")
	var res any
	err := c.call("textDocument/hover", docPos(u, pos(2, 4)), &res)
	var je *jsonrpc2.Error
	if !asJSONRPC(err, &je) || je.Code != jsonrpc2.CodeInternalError || !strings.Contains(je.Message, "boom") {
		t.Fatalf("hover: %v; want an internal error naming the panic", err)
	}
	var syms []any
	if err := c.call("textDocument/documentSymbol", map[string]any{"textDocument": map[string]any{"uri": u}}, &syms); err != nil || len(syms) == 0 {
		t.Fatalf("the session after the panic: %v, %d symbols", err, len(syms))
	}
}

func asJSONRPC(err error, target **jsonrpc2.Error) bool {
	e, ok := err.(*jsonrpc2.Error)
	*target = e
	return ok
}
