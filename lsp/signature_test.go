package lsp_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/lsp"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// The active signature of a builtin with overloads is the one the call
// resolved to, as hover shows it: max(1.5, 2.5) is max's float overload
// (it was the first, max(a: int, ...), the first that takes two
// arguments). It is that of the call whose parenthesis holds the cursor,
// not of a call written as its first argument: in max(abs(-1.5), 2.5) it
// was max's first (int), as abs's overload matched none of max's.
func TestSignatureHelpResolvedOverload(t *testing.T) {
	for _, line := range []string{"const mx = max(1.5, 2.5)", "const mx = max(abs(-1.5), 2.5)"} {
		dir := t.TempDir()
		write(t, filepath.Join(dir, "p.rpl"), "package p\n\n"+line+"\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n")
		c := newClient(t, dir, lsp.Options{})
		u := c.open("p.rpl")
		c.waitDiags(u, 1)
		var got protocol.SignatureHelp
		c.call("textDocument/signatureHelp", docPos(u, pos(2, int(col(t, line, "2.5")))), &got)
		if got.ActiveSignature == nil || int(*got.ActiveSignature) >= len(got.Signatures) {
			t.Fatalf("%s: signature help %+v", line, got)
		}
		label := got.Signatures[*got.ActiveSignature].Label
		if !strings.HasPrefix(label, "max(") || !strings.Contains(label, "float") || strings.Contains(label, "int") {
			t.Errorf("%s: active signature %q of %d, want max's float overload", line, label, len(got.Signatures))
		}
	}
}

// A call left unclosed in a declaration above (a half-typed file) is no
// call around the cursor in the declarations after it: signature help
// there showed to(target: string) while typing in another function. Inside the unclosed
// call, its signature is still shown.
func TestSignatureHelpUnclosedAbove(t *testing.T) {
	dir := t.TempDir()
	src := "package p\n\nfn pick() -> Decision = to(\n\nconst cap = 3\n\nfn route(r: Request) -> Decision {\n  let x = cap\n  to(\"a:b\")\n}\n"
	write(t, filepath.Join(dir, "p.rpl"), src)
	c := newClient(t, dir, lsp.Options{})
	u := c.open("p.rpl")
	c.waitDiags(u, 1)
	var got *protocol.SignatureHelp
	c.call("textDocument/signatureHelp", docPos(u, pos(7, len("  let x = cap"))), &got)
	if got != nil && len(got.Signatures) > 0 {
		t.Errorf("signature help in route: %s, want none", got.Signatures[0].Label)
	}
	var in *protocol.SignatureHelp
	c.call("textDocument/signatureHelp", docPos(u, pos(2, len("fn pick() -> Decision = to("))), &in)
	if in == nil || len(in.Signatures) == 0 || !strings.Contains(in.Signatures[0].Label, "to(target") {
		t.Errorf("signature help in the unclosed call: %+v, want to's", in)
	}
	// A key named by a keyword starting a line is no declaration.
	v := c.change(u, "package p\n\nfn kind(t: Task, n: int) -> string = t.type\n\nconst k = kind({\ntype: \"chat\"}, 2)\n")
	c.waitDiags(u, v)
	var key *protocol.SignatureHelp
	c.call("textDocument/signatureHelp", docPos(u, pos(5, len("type: \"chat\"}, "))), &key)
	if key == nil || len(key.Signatures) == 0 || !strings.Contains(key.Signatures[0].Label, "kind(t: Task") || key.Signatures[0].ActiveParameter == nil || *key.Signatures[0].ActiveParameter != 1 {
		t.Errorf("signature help after a key type: on its own line: %+v, want kind's, n active", key)
	}
}

// A function's doc comment comes with it in completion and in signature
// help, a constant's in completion; a local's (a let) has none.
func TestDocsOfDeclarations(t *testing.T) {
	dir := t.TempDir()
	src := "package p\n\n# Picks the target.\nfn pick(n: int) -> Decision = to(\"a:b\")\n\n# The cap.\nconst cap = 3\n\nfn route(r: Request) -> Decision {\n  # Not a doc.\n  let x = cap\n  pick(x)\n}\n"
	write(t, filepath.Join(dir, "p.rpl"), src)
	c := newClient(t, dir, lsp.Options{})
	u := c.open("p.rpl")
	c.waitDiags(u, 1)
	type doc struct {
		Value string `json:"value"`
	}
	var list struct {
		Items []struct {
			Label         string `json:"label"`
			Documentation *doc   `json:"documentation"`
		} `json:"items"`
	}
	c.call("textDocument/completion", docPos(u, pos(11, 2)), &list)
	docs := map[string]string{}
	for _, it := range list.Items {
		if it.Documentation != nil {
			docs[it.Label] = it.Documentation.Value
		}
	}
	if docs["pick"] != "Picks the target." || docs["cap"] != "The cap." || docs["x"] != "" {
		t.Errorf("completion's docs: pick %q, cap %q, x %q; want Picks the target., The cap. and none", docs["pick"], docs["cap"], docs["x"])
	}
	var help struct {
		Signatures []struct {
			Label         string `json:"label"`
			Documentation *doc   `json:"documentation"`
		} `json:"signatures"`
	}
	c.call("textDocument/signatureHelp", docPos(u, pos(11, len("  pick("))), &help)
	if len(help.Signatures) != 1 || help.Signatures[0].Documentation == nil || help.Signatures[0].Documentation.Value != "Picks the target." {
		t.Errorf("signature help of pick: %+v, want its doc", help.Signatures)
	}
}
