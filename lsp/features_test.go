package lsp_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/lsp"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

func write(t testing.TB, path, src string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}

// col is the UTF-16 column of the first occurrence of sub in line.
func col(t testing.TB, line, sub string) uint32 {
	i := strings.Index(line, sub)
	if i < 0 {
		t.Fatalf("%q not in %q", sub, line)
	}
	return uint32(len(utf16.Encode([]rune(line[:i]))))
}

const policySrc = `package p

fn route(r: Request) -> Decision {
  let who = r.tenant.id
  to("openai:gpt-4o").tag("who", who)
}
`

// While a line is being typed the file does not parse; completion still
// resolves the text before the dot in the scopes of the last good check.
func TestCompletionWhileTyping(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "p.rpl"), policySrc)
	c := newClient(t, dir, lsp.Options{})
	u := c.open("p.rpl")
	if ds := c.waitDiags(u, 1); len(ds) != 0 {
		t.Fatalf("diagnostics %+v", ds)
	}
	typed := strings.Replace(policySrc, "  to(", "  let b = r.tenant.budget.\n  to(", 1)
	v := c.change(u, typed)
	if ds := c.waitDiags(u, v); len(ds) == 0 {
		t.Fatal("want a diagnostic for the unfinished line")
	}
	line := "  let b = r.tenant.budget."
	var got protocol.CompletionList
	c.call("textDocument/completion", docPos(u, pos(4, len(line))), &got)
	var labels []string
	for _, it := range got.Items {
		labels = append(labels, it.Label)
	}
	for _, want := range []string{"monthly", "daily"} {
		if !slices.Contains(labels, want) {
			t.Errorf("completion %v lacks %s", labels, want)
		}
	}
	// Locals: who is in scope after its let, b (being typed) is not yet.
	c.call("textDocument/completion", docPos(u, pos(5, 2)), &got)
	labels = labels[:0]
	for _, it := range got.Items {
		labels = append(labels, it.Label)
	}
	if !slices.Contains(labels, "who") || !slices.Contains(labels, "r") {
		t.Errorf("completion of names lacks locals: %v", labels)
	}

	// An enum's members after its name, a member's methods after it.
	for _, c2 := range []struct {
		line string
		want []string
	}{
		{"  let k = Trigger.", []string{"timeout", "http_5xx", "any_error"}},
		{"  let k = Trigger.timeout.", []string{"string"}},
	} {
		v = c.change(u, strings.Replace(policySrc, "  to(", c2.line+"\n  to(", 1))
		c.waitDiags(u, v)
		c.call("textDocument/completion", docPos(u, pos(4, len(c2.line))), &got)
		labels = labels[:0]
		for _, it := range got.Items {
			labels = append(labels, it.Label)
		}
		for _, want := range c2.want {
			if !slices.Contains(labels, want) {
				t.Errorf("%q: completion %v lacks %s", c2.line, labels, want)
			}
		}
		if slices.Contains(labels, "tenant") || slices.Contains(labels, "who") {
			t.Errorf("%q: completion %v offers names that are no members", c2.line, labels)
		}
	}

	// An unfinished call: named arguments and signature help from the text.
	line = `  let d = to("a").fallback("b", `
	v = c.change(u, strings.Replace(policySrc, "  to(", line+"\n  to(", 1))
	c.waitDiags(u, v)
	c.call("textDocument/completion", docPos(u, pos(4, len(line))), &got)
	labels = labels[:0]
	for _, it := range got.Items {
		labels = append(labels, it.Label)
	}
	if !slices.Contains(labels, "on:") || !slices.Contains(labels, "retries:") || !slices.Contains(labels, "who") {
		t.Errorf("completion in an unfinished call: %v", labels)
	}
	var sig protocol.SignatureHelp
	c.call("textDocument/signatureHelp", docPos(u, pos(4, len(line))), &sig)
	if len(sig.Signatures) != 1 || sig.ActiveParameter == nil || *sig.ActiveParameter != 1 || !strings.HasPrefix(sig.Signatures[0].Label, "fallback(target: string, on?:") {
		s, _ := jsonString(sig)
		t.Errorf("signature help in an unfinished call: %s", s)
	}
}

// Incremental edits address text by UTF-16 columns: an emoji is two
// units, an accented letter one.
func TestIncrementalEditUTF16(t *testing.T) {
	dir := t.TempDir()
	line := `const s = "é😀"; const t = zz`
	write(t, filepath.Join(dir, "p.rpl"), "package p\n\n"+line+"\n\nfn route(r: Request) -> Decision = to(t)\n")
	c := newClient(t, dir, lsp.Options{})
	u := c.open("p.rpl")
	ds := c.waitDiags(u, 1)
	start := col(t, line, "zz")
	if start != uint32(len(`const s = "`)+3+len(`"; const t = `)) { // é is 1 unit, 😀 2
		t.Fatalf("test arithmetic: %d", start)
	}
	if len(ds) == 0 || ds[0].Code != "RPL200" || ds[0].Range.Start != pos(2, int(start)) || ds[0].Range.End != pos(2, int(start)+2) {
		t.Fatalf("diagnostics %+v, want one at 3:%d-%d", ds, start, start+2)
	}
	v := c.edit(u, protocol.Range{Start: pos(2, int(start)), End: pos(2, int(start)+2)}, "s + \"ü\"")
	if ds := c.waitDiags(u, v); len(ds) != 0 {
		t.Fatalf("after the edit: %+v", ds)
	}
	// Hover on s after the emoji: its range is in UTF-16 units.
	var h protocol.Hover
	at := col(t, line, "zz")
	c.call("textDocument/hover", docPos(u, pos(2, int(at))), &h)
	if h.Range == nil || h.Range.Start != pos(2, int(at)) || h.Range.End != pos(2, int(at)+1) {
		t.Fatalf("hover range %+v", h.Range)
	}
}

// An incremental edit whose range ends before it starts replaces the same
// text as the range in order (VS Code's Range swaps its ends so): its
// text was taken twice, and the server's document, from then on, was not
// the editor's.
func TestIncrementalEditReversedRange(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "p.rpl"), "package p\n\nconst a = 1\nconst b = 2\n")
	c := newClient(t, dir, lsp.Options{})
	u := c.open("p.rpl")
	c.edit(u, protocol.Range{Start: pos(3, 0), End: pos(2, 0)}, "")
	var syms []protocol.DocumentSymbol
	c.call("textDocument/documentSymbol", map[string]any{"textDocument": map[string]any{"uri": u}}, &syms)
	var names []string
	for _, s := range syms {
		names = append(names, s.Name)
	}
	if strings.Join(names, " ") != "p b" {
		t.Errorf("symbols after deleting the line of a: %v, want [p b]", names)
	}
}

// Hover on a comment, a blank line or between statements of a block shows
// nothing: there is no expression there, and the type of the block (or of
// the if around it) over its whole extent said nothing about the place.
func TestHoverOutsideExpressions(t *testing.T) {
	dir := t.TempDir()
	src := `package p

fn route(r: Request) -> Decision {
  let who = r.tenant.id
  # a comment

  if who == "x" {
    # inside the if
    return deny("x")
  }
  to("openai:gpt-4o")
}
`
	write(t, filepath.Join(dir, "p.rpl"), src)
	c := newClient(t, dir, lsp.Options{})
	u := c.open("p.rpl")
	if ds := c.waitDiags(u, 1); len(ds) != 0 {
		t.Fatalf("diagnostics %+v", ds)
	}
	for _, p := range []protocol.Position{pos(4, 6), pos(5, 0), pos(7, 8), pos(3, 1)} {
		var h json.RawMessage
		c.call("textDocument/hover", docPos(u, p), &h)
		if string(h) != "null" {
			t.Errorf("hover at %d:%d: %s, want null", p.Line, p.Character, h)
		}
	}
	// Expressions in the block still have a hover.
	var h protocol.Hover
	c.call("textDocument/hover", docPos(u, pos(8, 14)), &h)
	if h.Range == nil || h.Range.Start.Line != 8 {
		t.Errorf("hover on deny: %+v", h)
	}
}

func TestSymbolsFormattingLensesTokens(t *testing.T) {
	dir := t.TempDir()
	src := "package p\n\nconst limit = 10\n\ntype Pair = {a: int, b: string}\n\nfn route(r: Request) -> Decision {\n    to(\"x\")   .priority(limit)\n}\n\ntest \"it routes\" {\n  expect route({}).target == \"x\"\n}\n"
	write(t, filepath.Join(dir, "p.rpl"), src)
	c := newClient(t, dir, lsp.Options{})
	u := c.open("p.rpl")

	var syms []protocol.DocumentSymbol
	c.call("textDocument/documentSymbol", map[string]any{"textDocument": map[string]any{"uri": u}}, &syms)
	var names []string
	for _, s := range syms {
		names = append(names, s.Name)
		for _, ch := range s.Children {
			names = append(names, s.Name+"."+ch.Name)
		}
	}
	if want := []string{"p", "limit", "Pair", "Pair.a", "Pair.b", "route", "route.r", "it routes"}; !slices.Equal(names, want) {
		t.Errorf("symbols %v, want %v", names, want)
	}

	var edits []protocol.TextEdit
	c.call("textDocument/formatting", map[string]any{"textDocument": map[string]any{"uri": u}, "options": map[string]any{"tabSize": 2, "insertSpaces": true}}, &edits)
	want, err := lang.FormatSource("p.rpl", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if got := applyEdits(src, edits); got != string(want) {
		t.Errorf("formatting edits %+v give\n%s\nwant\n%s", edits, got, want)
	}

	var lenses []protocol.CodeLens
	c.call("textDocument/codeLens", map[string]any{"textDocument": map[string]any{"uri": u}}, &lenses)
	var cmds []string
	for _, l := range lenses {
		cmds = append(cmds, l.Command.Command)
	}
	if !slices.Equal(cmds, []string{lsp.CommandExplain, lsp.CommandRunTest}) {
		t.Errorf("lenses %v", cmds)
	}

	var toks protocol.SemanticTokens
	c.call("textDocument/semanticTokens/full", map[string]any{"textDocument": map[string]any{"uri": u}}, &toks)
	if len(toks.Data)%5 != 0 || len(toks.Data) == 0 {
		t.Fatalf("tokens %v", toks.Data)
	}
	// Decode and find `limit` in route's body: a readonly variable.
	var line, char uint32
	found := false
	lines := strings.Split(src, "\n")
	for i := 0; i < len(toks.Data); i += 5 {
		if toks.Data[i] > 0 {
			char = 0
		}
		line += toks.Data[i]
		char += toks.Data[i+1]
		text := lines[line][char : char+toks.Data[i+2]]
		if text == "limit" && line == 7 {
			found = toks.Data[i+3] == 6 && toks.Data[i+4]&2 != 0 // variable, readonly
		}
	}
	if !found {
		t.Errorf("no readonly variable token for limit: %v", toks.Data)
	}
}

// Several workspace folders; a file changed on disk (not open) re-checks
// the open policies that import it.
func TestWorkspaceFoldersAndWatchedFiles(t *testing.T) {
	root := t.TempDir()
	a, b := filepath.Join(root, "a"), filepath.Join(root, "b")
	write(t, filepath.Join(a, "p.rpl"), "package p\n\nimport \"../b/lib\"\n\nfn route(r: Request) -> Decision = to(lib.target)\n")
	write(t, filepath.Join(b, "lib.rpl"), "package lib\n\nconst other = \"x\"\n")
	c := newClient(t, a, lsp.Options{})
	c.notify("workspace/didChangeWorkspaceFolders", map[string]any{"event": map[string]any{
		"added": []map[string]any{{"uri": uri(b), "name": "b"}}, "removed": []any{}}})
	u := c.open("p.rpl")
	if ds := c.waitDiags(u, 1); len(ds) != 1 || !strings.Contains(ds[0].Message, "lib.target") {
		t.Fatalf("diagnostics %+v", ds)
	}
	write(t, filepath.Join(b, "lib.rpl"), "package lib\n\nconst target = \"x\"\n")
	c.notify("workspace/didChangeWatchedFiles", map[string]any{"changes": []map[string]any{{"uri": uri(filepath.Join(b, "lib.rpl")), "type": 2}}})
	c.waitFor(u, func(ds []diagnostic) bool { return len(ds) == 0 })

	var syms []protocol.SymbolInformation
	c.call("workspace/symbol", map[string]any{"query": "targ"}, &syms)
	if len(syms) != 1 || syms[0].Name != "target" || !strings.HasSuffix(syms[0].Location.URI, "b/lib.rpl") {
		t.Errorf("workspace symbols %+v", syms)
	}
	c.call("workspace/symbol", map[string]any{"query": "route"}, &syms)
	if len(syms) != 1 || !strings.HasSuffix(syms[0].Location.URI, "a/p.rpl") {
		t.Errorf("workspace symbols %+v", syms)
	}
}

// A file changed on disk that the client does not report (it watches no
// files) is read again by the next request that needs it: a rename's
// edits in it are where its names are now, and the diagnostics of the
// open policies that import it follow it. The edits were computed from
// the text of the last check, and "# a comment" became "# a ccapt".
func TestUnreportedDiskChange(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "lib.rpl")
	write(t, lib, "package lib\n\nconst limit = 1\n")
	line := `fn route(r: Request) -> Decision = to("a:b").priority(lib.limit)`
	write(t, filepath.Join(dir, "main.rpl"), "package main\n\nimport \"lib\"\n\n"+line+"\n")
	c := newClient(t, dir, lsp.Options{})
	u := c.open("main.rpl")
	if ds := c.waitDiags(u, 1); len(ds) != 0 {
		t.Fatalf("diagnostics %+v", ds)
	}
	at := pos(4, int(col(t, line, "limit")))
	rename := func() []protocol.TextEdit {
		t.Helper()
		var edit protocol.WorkspaceEdit
		c.call("textDocument/rename", map[string]any{"textDocument": map[string]any{"uri": u}, "position": at, "newName": "cap"}, &edit)
		return edit.Changes[uri(lib)]
	}
	if edits := rename(); len(edits) != 1 || edits[0].Range.Start != pos(2, 6) {
		t.Fatalf("rename's edits in lib.rpl %+v, want one at 2:6", edits)
	}
	write(t, lib, "package lib\n\n# a comment\nconst   limit = 1\n")
	if edits := rename(); len(edits) != 1 || edits[0].Range != (protocol.Range{Start: pos(3, 8), End: pos(3, 13)}) {
		t.Fatalf("rename's edits in lib.rpl after it changed on disk %+v, want one at 3:8-3:13", edits)
	}
	write(t, lib, "package lib\n\nconst other = 1\n")
	var h json.RawMessage
	c.call("textDocument/hover", docPos(u, at), &h)
	c.waitFor(u, hasMessage("lib.limit"))
}

// Imports resolve through open buffers first: an unsaved edit to a module
// is what its importers see.
func TestImportsSeeUnsavedBuffers(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "p.rpl"), "package p\n\nimport \"lib\"\n\nfn route(r: Request) -> Decision = to(lib.target)\n")
	write(t, filepath.Join(dir, "lib.rpl"), "package lib\n\nconst target = \"x\"\n")
	c := newClient(t, dir, lsp.Options{})
	up := c.open("p.rpl")
	ul := c.open("lib.rpl")
	c.waitDiags(up, 1)
	c.change(ul, "package lib\n\nconst renamed = \"x\"\n")
	ds := c.waitFor(up, func(ds []diagnostic) bool { return len(ds) == 1 })
	if !strings.Contains(ds[0].Message, "lib.target") || ds[0].Code != "RPL200" {
		t.Errorf("diagnostics %+v", ds)
	}
}

func TestRequestsAfterShutdownFail(t *testing.T) {
	c := newClient(t, t.TempDir(), lsp.Options{})
	var r any
	if err := c.call("textDocument/hover", docPos("file:///x.rpl", pos(0, 0)), &r); err != nil {
		t.Fatalf("hover before shutdown: %v", err)
	}
	if err := c.call("shutdown", nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.call("textDocument/hover", docPos("file:///x.rpl", pos(0, 0)), &r); err == nil {
		t.Fatal("hover after shutdown succeeded")
	}
}

// A sample decision is decided with a test's input: its clock
// (2025-06-02T12:00:00Z), seed and state, so it is the same each time.
func TestExplainRunsAsATest(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "p.rpl"), "package p\n\nfn route(r: Request) -> Decision = to(\"a:b\").because(string(now()))\n")
	c := newClient(t, dir, lsp.Options{})
	var r lsp.CommandResult
	err := c.call("workspace/executeCommand", map[string]any{"command": lsp.CommandExplain, "arguments": []any{uri(filepath.Join(dir, "p.rpl"))}}, &r)
	if err != nil || !r.OK || r.Summary != "sample decision: route a:b, because 2025-06-02T12:00:00Z" {
		t.Errorf("explain: %+v %v, want the decision at the clock of a test", r, err)
	}
}

// The code lenses' commands run a test with package policytest and explain
// a sample decision with package explain.
func TestLensCommands(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"premium.rpl", "premium_test.rpl"} {
		src, err := os.ReadFile(filepath.Join("..", "examples", "policies", f))
		if err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(dir, f), string(src))
	}
	write(t, filepath.Join(dir, "premium_test.rpl"), "package premium\n\ntest \"passes\" {\n  expect route({tenant: {tier: \"gold\"}, estimate: {input_tokens: 9000}}).target == \"anthropic:claude-sonnet\"\n}\n\ntest \"fails\" {\n  expect route({}).target == \"nowhere\"\n}\n")
	c := newClient(t, dir, lsp.Options{})
	u := c.open("premium_test.rpl")
	run := func(cmd string, args ...any) (lsp.CommandResult, error) {
		var r lsp.CommandResult
		err := c.call("workspace/executeCommand", map[string]any{"command": cmd, "arguments": args}, &r)
		return r, err
	}
	if r, err := run(lsp.CommandRunTest, u, "passes"); err != nil || !r.OK || !strings.HasPrefix(r.Summary, "PASS: passes") {
		t.Errorf("run passes: %+v %v", r, err)
	}
	if r, err := run(lsp.CommandRunTest, u, "fails"); err != nil || r.OK || !strings.HasPrefix(r.Summary, "FAIL: fails") || !strings.Contains(r.Output, "nowhere") {
		t.Errorf("run fails: %+v %v", r, err)
	}
	r, err := run(lsp.CommandExplain, uri(filepath.Join(dir, "premium.rpl")))
	if err != nil || !r.OK || !strings.Contains(r.Summary, "route openai:gpt-4o-mini") && !strings.Contains(r.Summary, "route anthropic:claude-haiku") {
		t.Errorf("explain: %+v %v", r, err)
	}
	if !strings.Contains(r.Output, "is_premium") || !strings.Contains(r.Output, "decision:") {
		t.Errorf("explain output:\n%s", r.Output)
	}
	r, err = run(lsp.CommandExplain, uri(filepath.Join(dir, "premium.rpl")), map[string]any{"tenant": map[string]any{"tier": "platinum"}, "estimate": map[string]any{"input_tokens": 20000}})
	if err != nil || !strings.Contains(r.Summary, "anthropic:claude-sonnet") {
		t.Errorf("explain with a request: %+v %v", r, err)
	}
	// A test being written, with an error, does not keep the policy from
	// being explained, as with rplc explain; the policy's own error does.
	c.change(u, "package premium\n\ntest \"t\" {\n  expect nope\n}\n")
	if r, err := run(lsp.CommandExplain, uri(filepath.Join(dir, "premium.rpl"))); err != nil || !r.OK {
		t.Errorf("explain with an error in the test file: %+v %v", r, err)
	}
	pu := c.open("premium.rpl")
	c.change(pu, "package premium\n\nfn route(r: Request) -> Decision = to(nope)\n")
	if _, err := run(lsp.CommandExplain, pu); err == nil || !strings.Contains(err.Error(), "errors") {
		t.Errorf("explain with an error in the policy: %v", err)
	}
	c.change(u, "package premium\n")
	if _, err := run(lsp.CommandRunTest, u, "passes"); err == nil || !strings.Contains(err.Error(), "save") {
		t.Errorf("running an unsaved test: %v", err)
	}
}

// A client that names its workspace by rootPath alone (older than rootUri
// and workspace folders) has it as its folder: its policies not open are
// found (it had no folder at all).
func TestRootPathFolder(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "lib.rpl"), "package lib\n\nconst target = \"x\"\n")
	c := newClientInit(t, dir, lsp.Options{}, map[string]any{"processId": nil, "rootUri": nil, "rootPath": dir, "capabilities": map[string]any{}})
	var syms []protocol.SymbolInformation
	c.call("workspace/symbol", map[string]any{"query": "targ"}, &syms)
	if len(syms) != 1 || syms[0].Name != "target" || !strings.HasSuffix(syms[0].Location.URI, "/lib.rpl") {
		t.Errorf("workspace symbols %+v, want target of lib.rpl", syms)
	}
}

// Hover on a name that names nothing shows nothing: it showed the type of
// the call or the condition holding it (Decision over to(...).tag(...),
// void over an if). On super, it shows the parent policy; it showed the
// type of super.route(r).
func TestHoverUndefinedAndSuper(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "lib.rpl"), "package lib\n\nfn here(r: Request) -> bool = true\n")
	write(t, filepath.Join(dir, "org.rpl"), "package org\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n")
	src := `package h

import "lib"

extends "org"

fn route(r: Request) -> Decision {
  if lib.is_premium(r) {
    return to("a:b").tag("g", nothere)
  }
  super.route(r).tag("x", string(lib.gone(r)))
}
`
	write(t, filepath.Join(dir, "h.rpl"), src)
	c := newClient(t, dir, lsp.Options{})
	u := c.open("h.rpl")
	c.waitDiags(u, 1)
	lines := strings.Split(src, "\n")
	at := func(word string) protocol.Position {
		for i, l := range lines {
			if j := strings.Index(l, word); j >= 0 {
				return pos(i, j+1)
			}
		}
		t.Fatalf("no %s", word)
		return protocol.Position{}
	}
	for _, w := range []string{"nothere", "gone", "is_premium"} {
		var h json.RawMessage
		c.call("textDocument/hover", docPos(u, at(w)), &h)
		if string(h) != "null" {
			t.Errorf("hover on the undefined %s: %s, want null", w, h)
		}
	}
	var h json.RawMessage
	c.call("textDocument/hover", docPos(u, at("super")), &h)
	if !strings.Contains(string(h), "package org") || !strings.Contains(string(h), "org.rpl") {
		t.Errorf("hover on super: %s, want the parent policy org", h)
	}
	// A name defined still shows what it names.
	c.call("textDocument/hover", docPos(u, at("string(")), &h)
	if !strings.Contains(string(h), "fn string(") {
		t.Errorf("hover on string: %s", h)
	}
}
