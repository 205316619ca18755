package lsp_test

import (
	"path/filepath"
	"testing"

	"github.com/rpl-lang/rpl/lsp"
)

const catalogueMini = `{"providers": [{"name": "openai", "latency_ms": 800, "models": [
  {"name": "gpt-4o-mini", "input_per_mtok": "0.15", "output_per_mtok": "0.60"}]}]}`

// A constant target that the tree's catalogue.json does not list is shown
// as rplc check reports it (RPL221), the catalogue being that of the
// nearest directory up to the workspace folder; one created, changed or
// removed on disk is seen.
func TestCatalogueTargets(t *testing.T) {
	ws := t.TempDir()
	dir := filepath.Join(ws, "policies", "acme")
	write(t, filepath.Join(ws, "policies", "catalogue.json"), catalogueMini)
	write(t, filepath.Join(dir, "main.rpl"), "package main\n\nfn route(r: Request) -> Decision = to(\"openai:gpt-4o-mni\")\n")
	c := newClient(t, ws, lsp.Options{})
	u := c.open("policies/acme/main.rpl")
	c.settle(u, "a target not in the catalogue of the directory above", func(ds []diagnostic) bool {
		return hasCode("RPL221")(ds) && hasMessage(`did you mean "openai:gpt-4o-mini"?`)(ds)
	})

	// The nearest catalogue wins: one beside the policy that lists it.
	near := filepath.Join(dir, "catalogue.json")
	write(t, near, `{"providers": [{"name": "openai", "latency_ms": 800, "models": [
  {"name": "gpt-4o-mni", "input_per_mtok": "0.15", "output_per_mtok": "0.60"}]}]}`)
	c.notify("workspace/didChangeWatchedFiles", map[string]any{"changes": []map[string]any{{"uri": uri(near), "type": 1}}})
	c.settle(u, "a catalogue created beside the policy that lists its target", none)
}

// A catalogue outside the workspace folder is not the policy's: the
// folder is the tree, as the directory rplc check walks is.
func TestCatalogueOutsideFolder(t *testing.T) {
	top := t.TempDir()
	ws := filepath.Join(top, "ws")
	write(t, filepath.Join(top, "catalogue.json"), catalogueMini)
	write(t, filepath.Join(ws, "main.rpl"), "package main\n\nfn route(r: Request) -> Decision = to(\"openai:gpt-4o-mni\")\n")
	c := newClient(t, ws, lsp.Options{})
	u := c.open("main.rpl")
	c.settle(u, "a catalogue above the workspace folder", none)
	write(t, filepath.Join(ws, "catalogue.json"), catalogueMini)
	c.notify("workspace/didChangeWatchedFiles", map[string]any{"changes": []map[string]any{{"uri": uri(filepath.Join(ws, "catalogue.json")), "type": 1}}})
	c.settle(u, "a catalogue created in the workspace folder", hasCode("RPL221"))
}
