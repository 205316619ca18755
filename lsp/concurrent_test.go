package lsp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/lsp"
	"github.com/sourcegraph/jsonrpc2"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// TestConcurrentRequests: edits, the requests that run on goroutines of
// their own (references, rename, workspace/symbol, a test run), the ones
// answered in turn and publishing, all at once, for the race detector
// (go test -race) to see the server's shared state used from all of them.
// Every request is answered as it can be: with its result; references and
// rename, which the edits after them may overtake, or with
// ContentModified; a rename the test canceled, or with RequestCancelled.
// (Any refusal passed, the test could not fail but by the race detector.)
func TestConcurrentRequests(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "lib", "lib.rpl"), "package lib\n\nconst limit = 5\n")
	for i := range 4 {
		write(t, filepath.Join(dir, fmt.Sprintf("p%d.rpl", i)), fmt.Sprintf("package p%d\n\nimport \"lib/lib\"\n\nfn route(r: Request) -> Decision = if lib.limit > %d { to(\"a:b\") } else { deny(\"no\") }\n\ntest \"t\" {\n  expect route({}).target == \"a:b\"\n}\n", i, i))
	}
	c := newClient(t, dir, lsp.Options{})
	u := c.open("lib/lib.rpl")
	p0 := c.open("p0.rpl")
	type request struct {
		method string
		id     uint64
		w      jsonrpc2.Waiter
		codes  []int64 // the errors it may be answered with
		// ok checks its result.
		ok func(json.RawMessage) error
	}
	var reqs []*request
	dispatch := func(method string, params any, ok func(json.RawMessage) error, codes ...int64) *request {
		id := uint64(1000 + len(reqs))
		w, err := c.conn.DispatchCall(context.Background(), method, params, jsonrpc2.PickID(jsonrpc2.ID{Num: id}))
		if err != nil {
			t.Fatal(err)
		}
		r := &request{method: method, id: id, w: w, codes: codes, ok: ok}
		reqs = append(reqs, r)
		return r
	}
	// decodes checks that the result decodes into v and that want holds.
	decodes := func(v any, want func() error) func(json.RawMessage) error {
		return func(raw json.RawMessage) error {
			if err := json.Unmarshal(raw, v); err != nil {
				return err
			}
			return want()
		}
	}
	const contentModified, requestCancelled = -32801, -32800
	for i := range 10 {
		c.change(u, fmt.Sprintf("package lib\n\nconst limit = %d\n", i))
		var locs []protocol.Location
		dispatch("textDocument/references", refParams(u, pos(2, 7)), decodes(&locs, func() error {
			if len(locs) != 5 { // the declaration and a use in each policy
				return fmt.Errorf("%d references, want 5", len(locs))
			}
			return nil
		}), contentModified)
		var edit protocol.WorkspaceEdit
		rename := dispatch("textDocument/rename", map[string]any{"textDocument": map[string]any{"uri": u}, "position": pos(2, 7), "newName": "cap"}, decodes(&edit, func() error {
			if len(edit.Changes) != 5 {
				return fmt.Errorf("edits of %d files, want 5", len(edit.Changes))
			}
			return nil
		}), contentModified)
		var syms []protocol.SymbolInformation
		dispatch("workspace/symbol", map[string]any{"query": "l"}, decodes(&syms, func() error {
			if len(syms) == 0 {
				return fmt.Errorf("no symbols")
			}
			return nil
		}))
		var run, explain lsp.CommandResult
		dispatch("workspace/executeCommand", map[string]any{"command": lsp.CommandRunTest, "arguments": []any{p0, "t"}}, decodes(&run, func() error {
			if !run.OK {
				return fmt.Errorf("test run failed: %+v", run)
			}
			return nil
		}))
		dispatch("workspace/executeCommand", map[string]any{"command": lsp.CommandExplain, "arguments": []any{p0}}, decodes(&explain, func() error {
			if explain.Summary == "" {
				return fmt.Errorf("explain: %+v", explain)
			}
			return nil
		}))
		var hover protocol.Hover
		dispatch("textDocument/hover", docPos(p0, pos(4, 44)), decodes(&hover, func() error {
			if !strings.Contains(fmt.Sprint(hover.Contents), "limit") {
				return fmt.Errorf("hover: %+v", hover.Contents)
			}
			return nil
		}))
		var tokens protocol.SemanticTokens
		dispatch("textDocument/semanticTokens/full", map[string]any{"textDocument": map[string]any{"uri": p0}}, decodes(&tokens, func() error {
			if len(tokens.Data) == 0 {
				return fmt.Errorf("no semantic tokens")
			}
			return nil
		}))
		if i%3 == 0 {
			rename.codes = append(rename.codes, requestCancelled)
			c.notify("$/cancelRequest", cancelParams(rename.id))
		}
	}
	for i, r := range reqs {
		var raw json.RawMessage
		err := r.w.Wait(t.Context(), &raw)
		var je *jsonrpc2.Error
		switch {
		case err == nil:
			if err := r.ok(raw); err != nil {
				t.Errorf("request %d (%s): %v", i, r.method, err)
			}
		case !asJSONRPC(err, &je) || !slices.Contains(r.codes, je.Code):
			t.Errorf("request %d (%s): %v, want a result or an error of code %v", i, r.method, err, r.codes)
		}
	}
}
