package lsp_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/rpl-lang/rpl/lsp"
	"github.com/sourcegraph/jsonrpc2"
)

// TestConcurrentRequests: edits, the requests that run on goroutines of
// their own (references, rename, workspace/symbol, a test run), the ones
// answered in turn and publishing, all at once, for the race detector
// (go test -race) to see the server's shared state used from all of them.
// Every request is answered, with a result or RequestCancelled,
// ContentModified or a refusal.
func TestConcurrentRequests(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "lib", "lib.rpl"), "package lib\n\nconst limit = 5\n")
	for i := range 4 {
		write(t, filepath.Join(dir, fmt.Sprintf("p%d.rpl", i)), fmt.Sprintf("package p%d\n\nimport \"lib/lib\"\n\nfn route(r: Request) -> Decision = if lib.limit > %d { to(\"a:b\") } else { deny(\"no\") }\n\ntest \"t\" {\n  expect route({}).target == \"a:b\"\n}\n", i, i))
	}
	c := newClient(t, dir, lsp.Options{})
	u := c.open("lib/lib.rpl")
	p0 := c.open("p0.rpl")
	var waits []jsonrpc2.Waiter
	dispatch := func(method string, params any) uint64 {
		id := uint64(1000 + len(waits))
		w, err := c.conn.DispatchCall(context.Background(), method, params, jsonrpc2.PickID(jsonrpc2.ID{Num: id}))
		if err != nil {
			t.Fatal(err)
		}
		waits = append(waits, w)
		return id
	}
	for i := range 10 {
		c.change(u, fmt.Sprintf("package lib\n\nconst limit = %d\n", i))
		dispatch("textDocument/references", refParams(u, pos(2, 7)))
		rename := dispatch("textDocument/rename", map[string]any{"textDocument": map[string]any{"uri": u}, "position": pos(2, 7), "newName": "cap"})
		dispatch("workspace/symbol", map[string]any{"query": "l"})
		dispatch("workspace/executeCommand", map[string]any{"command": lsp.CommandRunTest, "arguments": []any{p0, "t"}})
		dispatch("workspace/executeCommand", map[string]any{"command": lsp.CommandExplain, "arguments": []any{p0}})
		dispatch("textDocument/hover", docPos(p0, pos(4, 50)))
		dispatch("textDocument/semanticTokens/full", map[string]any{"textDocument": map[string]any{"uri": p0}})
		if i%3 == 0 {
			c.notify("$/cancelRequest", cancelParams(rename))
		}
	}
	for i, w := range waits {
		var r any
		err := w.Wait(t.Context(), &r)
		var je *jsonrpc2.Error
		if err != nil && (!asJSONRPC(err, &je) || je.Code != -32800 && je.Code != -32801 && je.Code != -32803) {
			t.Errorf("request %d: %v", i, err)
		}
	}
}
