package lsp_test

import (
	"path/filepath"
	"testing"

	"github.com/rpl-lang/rpl/lsp"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// The lens of a test named "" runs it: the command refused the name "" as
// missing.
func TestLensRunsTestNamedEmpty(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "p.rpl"), "package p\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n\ntest \"\" {\n  expect route({}).target == \"a:b\"\n}\n")
	c := newClient(t, dir, lsp.Options{})
	u := c.open("p.rpl")
	var lenses []protocol.CodeLens
	c.call("textDocument/codeLens", map[string]any{"textDocument": map[string]any{"uri": u}}, &lenses)
	var run *protocol.Command
	for _, l := range lenses {
		if l.Command != nil && l.Command.Command == lsp.CommandRunTest {
			run = l.Command
		}
	}
	if run == nil {
		t.Fatalf("no run test lens: %+v", lenses)
	}
	var r lsp.CommandResult
	if err := c.call("workspace/executeCommand", map[string]any{"command": run.Command, "arguments": run.Arguments}, &r); err != nil || !r.OK {
		t.Errorf("run the test named \"\": %+v %v", r, err)
	}
	if err := c.call("workspace/executeCommand", map[string]any{"command": lsp.CommandRunTest, "arguments": []any{u}}, &r); err == nil {
		t.Errorf("run without a test name: %+v, want it refused", r)
	}
}
