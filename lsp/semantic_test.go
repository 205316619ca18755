package lsp_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/lsp"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// TestSemanticTokensUndefinedNames: a name that resolves to nothing gets
// a token by its place only where it is the name of a field, argument or
// package; an undefined name in the value of an argument or of a record
// literal's field, or left of a dot, was coloured as a parameter or a
// property.
func TestSemanticTokensUndefinedNames(t *testing.T) {
	src := "package p\n\nfn route(r: Request) -> Decision {\n" +
		"  let q = {id: undef_entry}\n" +
		"  to(undef_arg).tag(key: undef_sel.x, value: r.model.nofield)\n}\n"
	got := semanticTokenTypes(t, src)
	for name, want := range map[string]string{
		"undef_entry": "", "undef_arg": "", "undef_sel": "",
		"id": "property", "key": "parameter", "value": "parameter", "x": "property", "nofield": "property", "p": "namespace",
	} {
		if got[name] != want {
			t.Errorf("%s: token %q, want %q", name, got[name], want)
		}
	}
}

// A builtin called as a module's member (cost.month_spend) is a function,
// one called on a value (to(…).tag) a method, as is a plain call of a
// builtin a function.
func TestSemanticTokensBuiltinCalls(t *testing.T) {
	src := "package p\n\nimport \"std/cost\"\n\nfn route(r: Request) -> Decision {\n" +
		"  let m = cost.month_spend(r.tenant)\n" +
		"  to(\"a:b\").tag(key: \"k\", value: \"v\")\n}\n"
	got := semanticTokenTypes(t, src)
	for name, want := range map[string]string{"cost": "namespace", "month_spend": "function", "to": "function", "tag": "method"} {
		if got[name] != want {
			t.Errorf("%s: token %q, want %q", name, got[name], want)
		}
	}
}

// semanticTokenTypes is the type of the semantic token of each text of
// the policy src, by the text.
func semanticTokenTypes(t *testing.T, src string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "p.rpl"), src)
	c := newClient(t, dir, lsp.Options{})
	u := c.open("p.rpl")
	var toks protocol.SemanticTokens
	c.call("textDocument/semanticTokens/full", map[string]any{"textDocument": map[string]any{"uri": u}}, &toks)
	got := map[string]string{}
	lines := strings.Split(src, "\n")
	var line, char uint32
	for i := 0; i+4 < len(toks.Data); i += 5 {
		if toks.Data[i] > 0 {
			char = 0
		}
		line += toks.Data[i]
		char += toks.Data[i+1]
		got[lines[line][char:char+toks.Data[i+2]]] = []string{"namespace", "type", "enumMember", "function", "method", "parameter", "variable", "property", "string", "number", "comment"}[toks.Data[i+3]]
	}
	return got
}
