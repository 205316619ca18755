package lsp_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/rpl-lang/rpl/lsp"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// Every symbol has a name, as clients require (VS Code refuses a nameless
// one, and with it the whole outline): an import being typed, `import ""`
// once the editor closed the quote, and a test named "" were symbols named
// "".
func TestSymbolsNeverNameless(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "p.rpl"), "package p\n\nextends \"\"\n\nimport \"\"\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n\ntest \"\" {\n  expect true\n}\n")
	c := newClient(t, dir, lsp.Options{})
	u := c.open("p.rpl")
	var syms []protocol.DocumentSymbol
	c.call("textDocument/documentSymbol", map[string]any{"textDocument": map[string]any{"uri": u}}, &syms)
	var names []string
	for _, s := range syms {
		names = append(names, s.Name)
		if s.Name == "" {
			t.Errorf("document symbol without a name: %+v", s)
		}
	}
	if len(syms) != 5 {
		t.Errorf("document symbols %q, want 5", names)
	}
	var ws []protocol.SymbolInformation
	c.call("workspace/symbol", map[string]any{"query": ""}, &ws)
	for _, s := range ws {
		if s.Name == "" {
			t.Errorf("workspace symbol without a name: %+v", s)
		}
	}
}

// Workspace symbols match the query's characters in order, as clients
// filter (VS Code fuzzily): "lp" finds long_prompt, which a substring
// match left out.
func TestWorkspaceSymbolsFuzzy(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "p.rpl"), "package p\n\nfn long_prompt(r: Request) -> bool = true\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n")
	c := newClient(t, dir, lsp.Options{})
	for q, want := range map[string][]string{"lp": {"long_prompt"}, "LONG": {"long_prompt"}, "rte": {"route"}, "pl": nil} {
		var ws []protocol.SymbolInformation
		c.call("workspace/symbol", map[string]any{"query": q}, &ws)
		var got []string
		for _, s := range ws {
			got = append(got, s.Name)
		}
		if !slices.Equal(got, want) {
			t.Errorf("query %q: %v, want %v", q, got, want)
		}
	}
}

// A test whose body does not parse (being typed) is still in the outline,
// named, over the text up to the next declaration, which is there too:
// it was dropped.
func TestSymbolsBrokenTest(t *testing.T) {
	dir := t.TempDir()
	src := "package p\n\ntest \"ok\" {\n  expect true\n}\n\ntest \"broken \\\"🎉\\\"\" {\n  let x = \n\nfn helper(r: Request) -> int = 1\n"
	write(t, filepath.Join(dir, "p_test.rpl"), src)
	c := newClient(t, dir, lsp.Options{})
	u := c.open("p_test.rpl")
	var syms []protocol.DocumentSymbol
	c.call("textDocument/documentSymbol", map[string]any{"textDocument": map[string]any{"uri": u}}, &syms)
	var names []string
	for _, s := range syms {
		names = append(names, s.Name)
	}
	if want := []string{"p", "ok", `broken "🎉"`, "helper"}; !slices.Equal(names, want) {
		t.Fatalf("document symbols %q, want %q", names, want)
	}
	b := syms[2]
	if b.Kind != protocol.SymbolKindMethod || b.Range.Start.Line != 6 || b.Range.End.Line != 7 || b.SelectionRange.Start != (protocol.Position{Line: 6, Character: 5}) {
		t.Errorf("the broken test's symbol %+v", b)
	}
}
