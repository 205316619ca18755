package lsp_test

import (
	"path/filepath"
	"strings"
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

// The commands' refusals say what is wrong: a policy's first error, with
// its position and code (it was "the policy has errors", which a policy
// that is no open document, or a file gone, leaves unexplained), and the
// untitled buffer to save by its URI (it was a path made from it,
// /untitled/Untitled-1.rpl, that the user never saw).
func TestCommandRefusalsPrecise(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "p.rpl"), "package p\n\nfn route(r: Request) -> Decision = to(nope)\n\ntest \"t\" {\n  expect route({}).target == \"a:b\"\n}\n")
	c := newClient(t, dir, lsp.Options{})
	u := uri(filepath.Join(dir, "p.rpl"))
	var r lsp.CommandResult
	err := c.call("workspace/executeCommand", map[string]any{"command": lsp.CommandExplain, "arguments": []any{u}}, &r)
	if err == nil || !strings.Contains(err.Error(), "p.rpl:3:39: error[RPL") {
		t.Errorf("explain of a policy with an error: %v, want its first error", err)
	}
	if err := c.call("workspace/executeCommand", map[string]any{"command": lsp.CommandRunTest, "arguments": []any{u, "t"}}, &r); err != nil ||
		r.OK || !strings.Contains(r.Summary, "p.rpl:3:39: error[RPL") {
		t.Errorf("run test of a policy with an error: %+v %v, want its first error in the summary", r, err)
	}
	const untitled = "untitled:Untitled-1"
	c.notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": untitled, "languageId": "rpl", "version": 1,
		"text": "package p\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n\ntest \"t\" {\n  expect route({}).target == \"a:b\"\n}\n"}})
	err = c.call("workspace/executeCommand", map[string]any{"command": lsp.CommandRunTest, "arguments": []any{untitled, "t"}}, &r)
	if err == nil || !strings.Contains(err.Error(), "save "+untitled+" first") {
		t.Errorf("run test of an untitled buffer: %v, want it named by its URI", err)
	}
}
