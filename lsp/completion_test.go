package lsp_test

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/lsp"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// An empty completion list has items [], never null: CompletionList.items
// is a required array.
func TestCompletionEmptyItems(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "p.rpl"), policySrc)
	c := newClient(t, dir, lsp.Options{})
	u := c.open("p.rpl")
	c.waitDiags(u, 1)
	for _, line := range []string{`  let a = "x".`, `  let a = [1, 2].`, `  let a = nothing.`} {
		v := c.change(u, strings.Replace(policySrc, "  to(", line+"\n  to(", 1))
		c.waitDiags(u, v)
		var raw json.RawMessage
		c.call("textDocument/completion", docPos(u, pos(4, len(line))), &raw)
		var got struct {
			Items *[]json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(raw, &got); err != nil || got.Items == nil {
			t.Errorf("%q: completion %s, want a list with items", line, raw)
		}
	}
}

// In the path of an import or extends clause, completion offers module
// paths, as an import of the file would resolve them: the standard
// modules (for import) and the workspace's files, filtered by what is
// typed, each replacing the string's content.
func TestCompletionImportPaths(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "main.rpl"), policySrc)
	write(t, filepath.Join(dir, "main_test.rpl"), "package p\n\ntest \"t\" {\n  expect 1 == 1\n}\n")
	write(t, filepath.Join(dir, "lib.rpl"), "package lib\n\nconst target = \"x\"\n")
	write(t, filepath.Join(dir, "org_acme.rpl"), "package org_acme\n\nfn route(r: Request) -> Decision = to(\"x\")\n")
	write(t, filepath.Join(dir, "sub", "deep.rpl"), "package deep\n\nconst d = 1\n")
	c := newClient(t, dir, lsp.Options{})
	u := c.open("main.rpl")
	c.waitDiags(u, 1)
	type item struct {
		Label    string `json:"label"`
		TextEdit *struct {
			Range   struct{ Start, End struct{ Line, Character int } } `json:"range"`
			NewText string                                             `json:"newText"`
		} `json:"textEdit"`
	}
	for _, tc := range []struct {
		line, after string // the line, and the cursor's place: after the first `after`
		want, not   []string
		end         int // the edit's end column (the closing quote), -1 for the cursor
	}{
		{`import "`, `"`, []string{"lib", "org_acme", "sub/deep", "std/ab", "std/cost"}, []string{"main", "main_test", "abs", "route"}, -1},
		{`import "std/`, `/`, []string{"std/ab", "std/cost"}, []string{"lib", "abs"}, -1},
		{`import "li" as l`, `"li`, []string{"lib"}, []string{"org_acme", "std/ab"}, len(`import "li`)},
		{`extends "`, `"`, []string{"lib", "org_acme"}, []string{"std/ab", "abs", "main"}, -1},
	} {
		text := strings.Replace(policySrc, "package p\n", "package p\n"+tc.line+"\n", 1)
		v := c.change(u, text)
		c.waitDiags(u, v)
		at := strings.Index(tc.line, tc.after) + len(tc.after)
		var got struct {
			Items []item `json:"items"`
		}
		c.call("textDocument/completion", docPos(u, pos(1, at)), &got)
		labels := map[string]item{}
		for _, it := range got.Items {
			labels[it.Label] = it
		}
		for _, w := range tc.want {
			it, ok := labels[w]
			if !ok {
				t.Errorf("%q: completion lacks %s (has %d items)", tc.line, w, len(got.Items))
				continue
			}
			end := tc.end
			if end < 0 {
				end = at
			}
			if e := it.TextEdit; e == nil || e.NewText != w || e.Range.Start.Line != 1 || e.Range.Start.Character != strings.Index(tc.line, `"`)+1 || e.Range.End.Character != end {
				t.Errorf("%q: %s's edit %+v", tc.line, w, it.TextEdit)
			}
		}
		for _, n := range tc.not {
			if _, ok := labels[n]; ok {
				t.Errorf("%q: completion offers %s", tc.line, n)
			}
		}
	}

	// After a bare import, the paths quoted: the workspace's as well as
	// the standard modules (only those were offered).
	v := c.change(u, strings.Replace(policySrc, "package p\n", "package p\nimport \n", 1))
	c.waitDiags(u, v)
	var got struct {
		Items []item `json:"items"`
	}
	c.call("textDocument/completion", docPos(u, pos(1, len("import "))), &got)
	labels := map[string]bool{}
	for _, it := range got.Items {
		labels[it.Label] = true
	}
	for _, w := range []string{`"lib"`, `"org_acme"`, `"sub/deep"`, `"std/ab"`} {
		if !labels[w] {
			t.Errorf("import |: completion lacks %s (has %v)", w, labels)
		}
	}
	if labels[`"main"`] || labels[`"main_test"`] {
		t.Errorf("import |: completion offers the file itself or its test file: %v", labels)
	}
}

// A policy does not see its test file's declarations (spec §8.4):
// completing in the policy offers none of them, neither as names in scope
// nor through one of them before a dot, while completing in the test file
// offers the policy's names and the test file's alike. Hover and
// definition on such a name in the policy (undefined there) neither
// describe nor reach the test file's declaration, nor does signature help
// show its signature.
func TestCompletionTestFileDecls(t *testing.T) {
	dir := t.TempDir()
	policy := `package p

const limit = 10

fn route(r: Request) -> Decision {
  to("openai:gpt-4o").tag("n", string(limit))
}
`
	write(t, filepath.Join(dir, "p.rpl"), policy)
	write(t, filepath.Join(dir, "p_test.rpl"), `package p

type Plan = {tier: string}

const cheap: Plan = {tier: "low"}

fn target() -> string = "openai:gpt-4o"

test "t" {
  expect target() == "openai:gpt-4o"
}
`)
	c := newClient(t, dir, lsp.Options{})
	u := c.open("p.rpl")
	if ds := c.waitDiags(u, 1); len(ds) != 0 {
		t.Fatalf("diagnostics %+v", ds)
	}
	labels := func(u string, p protocol.Position) map[string]bool {
		var got protocol.CompletionList
		c.call("textDocument/completion", docPos(u, p), &got)
		out := map[string]bool{}
		for _, it := range got.Items {
			out[it.Label] = true
		}
		return out
	}
	testDecls := []string{"Plan", "cheap", "target"}
	got := labels(u, pos(5, 2))
	for _, w := range []string{"limit", "route", "r"} {
		if !got[w] {
			t.Errorf("completion in the policy lacks %s", w)
		}
	}
	for _, n := range testDecls {
		if got[n] {
			t.Errorf("completion in the policy offers the test file's %s", n)
		}
	}

	// Through a test file's name before a dot: nothing of it.
	line := "  let x = cheap."
	v := c.change(u, strings.Replace(policy, "  to(", line+"\n  to(", 1))
	c.waitDiags(u, v)
	if got := labels(u, pos(5, len(line))); got["tier"] {
		t.Errorf("%q: completion offers the fields of the test file's cheap", line)
	}

	tu := c.open("p_test.rpl")
	c.waitDiags(tu, 1)
	got = labels(tu, pos(9, 2))
	for _, w := range append([]string{"limit", "route"}, testDecls...) {
		if !got[w] {
			t.Errorf("completion in the test file lacks %s", w)
		}
	}

	// The test file's target, used in the policy.
	line = `  to(target())`
	v = c.change(u, strings.Replace(policy, `  to("openai:gpt-4o")`, line, 1))
	if ds := c.waitDiags(u, v); len(ds) != 1 || !strings.Contains(ds[0].Message, "which the policy does not see") {
		t.Fatalf("diagnostics %+v, want target undefined", ds)
	}
	at := pos(5, strings.Index(line, "target")+1)
	var h json.RawMessage
	c.call("textDocument/hover", docPos(u, at), &h)
	if strings.Contains(string(h), "fn target") {
		t.Errorf("hover on target in the policy describes the test file's: %s", h)
	}
	var def json.RawMessage
	c.call("textDocument/definition", docPos(u, at), &def)
	if s := string(def); s != "null" && s != "[]" {
		t.Errorf("definition of target in the policy: %s, want none", def)
	}
	var sig json.RawMessage
	c.call("textDocument/signatureHelp", docPos(u, pos(5, len("  to(target("))), &sig)
	if strings.Contains(string(sig), "target(") {
		t.Errorf("signature help in target( in the policy shows the test file's: %s", sig)
	}
}

// Completion offers nothing in a comment or a string, where "." ends a
// sentence: the members of r opened on "# see r." (a trigger character)
// and the Enter ending the line took one of them.
func TestCompletionNotInProse(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "p.rpl"), policySrc)
	c := newClient(t, dir, lsp.Options{})
	u := c.open("p.rpl")
	c.waitDiags(u, 1)
	for _, tc := range []struct {
		line string
		want bool
	}{
		{`  # see r.`, false},
		{`  let a = "r.`, false},
		{`  let a = "x\" r.`, false},
		{`  let a = "#" + r.`, true},
		{`  let a = r.tenant.tier # about r.`, false},
		{`  let a = r.`, true},
	} {
		v := c.change(u, strings.Replace(policySrc, "  to(", tc.line+"\n  to(", 1))
		c.waitDiags(u, v)
		var list protocol.CompletionList
		c.call("textDocument/completion", docPos(u, pos(4, len(tc.line))), &list)
		if got := len(list.Items) > 0; got != tc.want {
			t.Errorf("%q: %d items, want items %v", tc.line, len(list.Items), tc.want)
		}
	}
}

// Completion while the file is broken in one place and a line is typed in
// another: the cursor maps to the last good check by lines. It mapped to
// the first difference, a line above the function, where its locals are
// not in scope: "d." offered nothing.
func TestCompletionBrokenElsewhere(t *testing.T) {
	dir := t.TempDir()
	good := "package p\n\nconst a = 1\n\nfn route(r: Request) -> Decision {\n  let d = to(\"a:b\")\n  let n = 1\n  d\n}\n"
	write(t, filepath.Join(dir, "p.rpl"), good)
	c := newClient(t, dir, lsp.Options{})
	u := c.open("p.rpl")
	c.waitDiags(u, 1)
	broken := strings.Replace(good, "const a = 1", "const a = (1", 1)
	c.waitDiags(u, c.change(u, broken))
	for _, tc := range []struct {
		from, to string
		at       protocol.Position
		want     string
	}{
		{"  d\n", "  d.\n", pos(7, 4), "fallback"},                        // a changed line
		{"  let n = 1\n", "  let n = 1\n  d.ta\n", pos(7, 4), "fallback"}, // an inserted line
	} {
		c.waitDiags(u, c.change(u, strings.Replace(broken, tc.from, tc.to, 1)))
		var list protocol.CompletionList
		c.call("textDocument/completion", docPos(u, tc.at), &list)
		found := false
		for _, it := range list.Items {
			found = found || it.Label == tc.want
		}
		if !found {
			t.Errorf("%q: completion %d items, want %s among them", tc.to, len(list.Items), tc.want)
		}
	}
}

// TestCompletionDotNeverParsed: after a trailing dot in a file that has
// never parsed (opened broken, or typed from scratch), a call's result
// and a let-bound local get their members, as a parameter's did: with no
// earlier good parse, the broken one had neither the call's type nor
// the local, and completion offered nothing.
func TestCompletionDotNeverParsed(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{"  to(\"a:b\").", "fallback"},
		{"  return to(\"a:b\").", "fallback"},
		{"  let t = r.tenant\n  t.", "tier"},
		{"  let d = to(\"a:b\")\n  d.", "because"},
		{"  r.", "tenant"},
		{"  r.tenant.", "tier"},
	} {
		dir := t.TempDir()
		src := "package p\n\nfn route(r: Request) -> Decision {\n" + tc.body + "\n}\n"
		write(t, filepath.Join(dir, "p.rpl"), src)
		c := newClient(t, dir, lsp.Options{})
		u := c.open("p.rpl")
		c.waitDiags(u, 1)
		lines := strings.Split(src, "\n")
		line := 3 + strings.Count(tc.body, "\n")
		var list protocol.CompletionList
		c.call("textDocument/completion", docPos(u, pos(line, len(lines[line]))), &list)
		found := false
		for _, it := range list.Items {
			found = found || it.Label == tc.want
		}
		if !found {
			t.Errorf("%q: completion %d items, want %s among them", tc.body, len(list.Items), tc.want)
		}
	}
}

// A line starting with the dot, as rplc fmt lays out a method chain, gets
// the members of what ends on the lines above, comments aside: the text
// before the dot was read without skipping the line end, and completion
// offered nothing. Signature help reads such a chain alike.
func TestCompletionLeadingDot(t *testing.T) {
	dir := t.TempDir()
	good := "package p\n\nfn route(r: Request) -> Decision {\n  let xs = [\"a:b\"]\n  to(\"a:b\")\n    .tag(\"k\", \"v\")\n}\n"
	write(t, filepath.Join(dir, "p.rpl"), good)
	c := newClient(t, dir, lsp.Options{})
	u := c.open("p.rpl")
	c.waitDiags(u, 1)
	for _, tc := range []struct {
		from, to string
		want     string
	}{
		{`.tag("k", "v")` + "\n", `.tag("k", "v")` + "\n    .\n", "because"},                                         // after the chain
		{`.tag("k", "v")` + "\n", `.tag("k", "v")` + "\n    # a comment\n\n    .\n", "because"},                      // comments and blank lines between
		{`  to("a:b")` + "\n", `  to("a:b")` + "\n    .\n", "because"},                                               // mid-chain
		{`  to("a:b")` + "\n    .tag(\"k\", \"v\")\n", "  return deny(\"no\")\n    .because(\"x\")\n    .\n", "tag"}, // after return
		{`  to("a:b")` + "\n", "  r\n    .tenant\n    .\n  to(\"a:b\")\n", "tier"},                                   // names
	} {
		// First parsed without the dot line, then the dot typed.
		text := strings.Replace(good, tc.from, tc.to, 1)
		c.waitDiags(u, c.change(u, strings.Replace(text, "    .\n", "", 1)))
		c.waitDiags(u, c.change(u, text))
		lines := strings.Split(text, "\n")
		line := 0
		for i, l := range lines {
			if strings.TrimSpace(l) == "." {
				line = i
			}
		}
		var list protocol.CompletionList
		c.call("textDocument/completion", docPos(u, pos(line, len(lines[line]))), &list)
		found := false
		for _, it := range list.Items {
			found = found || it.Label == tc.want
		}
		if !found {
			t.Errorf("%q: completion %d items, want %s among them", tc.to, len(list.Items), tc.want)
		}
	}

	text := strings.Replace(good, `.tag("k", "v")`+"\n", `.tag("k", "v")`+"\n    .fallback(\n", 1)
	c.waitDiags(u, c.change(u, text))
	var sig protocol.SignatureHelp
	c.call("textDocument/signatureHelp", docPos(u, pos(6, len("    .fallback("))), &sig)
	if len(sig.Signatures) == 0 || !strings.Contains(sig.Signatures[0].Label, "fallback(") {
		t.Errorf("signature help in a chain's .fallback( on a line of its own: %+v", sig)
	}
}

// On a Decision, completion offers the fields pre, post and priority and
// the builtins of those names callable as its methods (pre(d, extension)),
// each once: the fields came first and hid the methods.
func TestCompletionFieldAndMethod(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "p.rpl"), policySrc)
	c := newClient(t, dir, lsp.Options{})
	u := c.open("p.rpl")
	c.waitDiags(u, 1)
	text := strings.Replace(policySrc, "  to(", "  let d = to(\"a:b\")\n  to(", 1)
	c.waitDiags(u, c.change(u, text))
	c.waitDiags(u, c.change(u, strings.Replace(text, "  to(", "  let e = d.\n  to(", 1)))
	var list protocol.CompletionList
	c.call("textDocument/completion", docPos(u, pos(5, len("  let e = d."))), &list)
	kinds := map[string][]protocol.CompletionItemKind{}
	for _, it := range list.Items {
		kinds[it.Label] = append(kinds[it.Label], *it.Kind)
	}
	for _, n := range []string{"pre", "post", "priority"} {
		want := []protocol.CompletionItemKind{protocol.CompletionItemKindField, protocol.CompletionItemKindMethod}
		if !slices.Equal(kinds[n], want) {
			t.Errorf("%s: items of kinds %v, want %v", n, kinds[n], want)
		}
	}
	if k := kinds["because"]; len(k) != 1 {
		t.Errorf("because: items of kinds %v, want one method", k)
	}
}

// A dot typed with the text before it, newer than the last check, gets
// the members of that text: a check of the text without the dot runs when
// the snapshot kept has no expression of that text ending there. It ran
// only when the file had never parsed, and the file had parsed before the
// line was typed: nothing, or the members of another expression, was
// offered.
func TestCompletionDotNewerText(t *testing.T) {
	dir := t.TempDir()
	good := "package p\n\nfn route(r: Request) -> Decision {\n  let xs = [\"a:b\"]\n  let d = to(\"a:b\")\n  d\n}\n"
	write(t, filepath.Join(dir, "p.rpl"), good)
	c := newClient(t, dir, lsp.Options{})
	u := c.open("p.rpl")
	c.waitDiags(u, 1)
	for _, tc := range []struct{ line, want string }{
		{`  let y = xs.reverse().`, "first"},
		{`  let y = xs.first().`, "string"},
		{`  let y = to("x").`, "because"},
		{`  let y = d.tag("a", "b").`, "because"},
		{`  let y = xs[0].`, "upper"},
	} {
		c.waitDiags(u, c.change(u, good)) // checked without the line
		c.change(u, strings.Replace(good, "  d\n", tc.line+"\n  d\n", 1))
		var list protocol.CompletionList
		c.call("textDocument/completion", docPos(u, pos(5, len(tc.line))), &list)
		found := false
		for _, it := range list.Items {
			found = found || it.Label == tc.want
		}
		if !found {
			t.Errorf("%q: completion %d items, want %s among them", tc.line, len(list.Items), tc.want)
		}
	}
}

// The check of the text without the dot serves again while the text
// before the dot and the other documents are the same: a client asking
// again at each letter typed after the dot checked at each.
func TestCompletionDotCheckReused(t *testing.T) {
	dir := t.TempDir()
	src := "package p\n\nfn route(r: Request) -> Decision {\n  to(\"a:b\").\n}\n"
	write(t, filepath.Join(dir, "p.rpl"), src)
	var checks atomic.Int32
	lsp.SetCheckHook(func(string, bool) { checks.Add(1) })
	t.Cleanup(func() { lsp.SetCheckHook(nil) })
	c := newClient(t, dir, lsp.Options{Debounce: time.Hour}) // no check but the requests'
	u := c.open("p.rpl")
	complete := func(col int) {
		var list protocol.CompletionList
		c.call("textDocument/completion", docPos(u, pos(3, col)), &list)
		found := false
		for _, it := range list.Items {
			found = found || it.Label == "because"
		}
		if !found {
			t.Fatalf("completion %d items, want because among them", len(list.Items))
		}
	}
	complete(len(`  to("a:b").`))
	n := checks.Load() // the policy's, and the text's without the dot
	c.change(u, strings.Replace(src, `.`+"\n", `.be`+"\n", 1))
	complete(len(`  to("a:b").be`))
	if got := checks.Load(); got != n {
		t.Errorf("%d checks after a letter typed after the dot, want none", got-n)
	}
}
