package lsp_test

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/rpl-lang/rpl/lsp"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// quickFixCases are policies with one error that a quick fix repairs: the
// file p.rpl (other files are there too), the error's code, the fix's
// title and the text it leaves.
var quickFixCases = []struct {
	name  string
	files map[string]string
	code  string
	title string
	want  string // a line of p.rpl after the fix
}{
	{
		name: "stray line without fn",
		files: map[string]string{"p.rpl": `package p

g(x: int) -> int = x * 2

fn route(r: Request) -> Decision = to(if g(1) > 1 { "a:b" } else { "c:d" })
`},
		code: "RPL100", title: "Insert fn", want: "fn g(x: int) -> int = x * 2",
	},
	{
		name: "indented stray line without fn",
		files: map[string]string{"p.rpl": `package p

const b = 1
  g() -> int = b

fn route(r: Request) -> Decision = to(if g() > 1 { "a:b" } else { "c:d" })
`},
		code: "RPL100", title: "Insert fn", want: "  fn g() -> int = b",
	},
	{
		name: "undefined name",
		files: map[string]string{"p.rpl": `package p

fn route(r: Request) -> Decision = to(lowr("A:B"))
`},
		code: "RPL200", title: "Change lowr to lower", want: `fn route(r: Request) -> Decision = to(lower("A:B"))`,
	},
	{
		name: "standard module not imported",
		files: map[string]string{"p.rpl": `package p

import "std/ab"

fn route(r: Request) -> Decision = if cost.remaining(r.tenant) < $5 { to("a:b") } else { to(ab.winner("x") ?? "c:d") }
`},
		code: "RPL200", title: `Add import "std/cost"`, want: `import "std/cost"`,
	},
	{
		name: "elif",
		files: map[string]string{"p.rpl": `package p

fn f(x: int) -> int {
  if x > 1 { return 1 }
  elif x > 0 { return 2 }
  3
}

fn route(r: Request) -> Decision = to("a:b").priority(f(1))
`},
		code: "RPL200", title: "Change elif to else if", want: "  else if x > 0 { return 2 }",
	},
	{
		name: "unknown field",
		files: map[string]string{"p.rpl": `package p

fn route(r: Request) -> Decision = to("a:b").tag("t", r.tenant.tierr)
`},
		code: "RPL202", title: "Change tierr to tier", want: `fn route(r: Request) -> Decision = to("a:b").tag("t", r.tenant.tier)`,
	},
	{
		name: "unknown field in a record literal",
		files: map[string]string{"p.rpl": `package p

type Pair = {left: string, right: string}

const pair: Pair = {left: "a:b", rigth: "c:d"}

fn route(r: Request) -> Decision = to(pair.left).tag("r", pair.right)
`},
		code: "RPL202", title: "Change rigth to right", want: `const pair: Pair = {left: "a:b", right: "c:d"}`,
	},
	{
		name: "unknown enum member",
		files: map[string]string{"p.rpl": `package p

fn route(r: Request) -> Decision = to("a:b").fallback("c:d", on: [Trigger.timout])
`},
		code: "RPL202", title: "Change timout to timeout", want: `fn route(r: Request) -> Decision = to("a:b").fallback("c:d", on: [Trigger.timeout])`,
	},
	{
		name: "unknown builtin method",
		files: map[string]string{"p.rpl": `package p

fn route(r: Request) -> Decision = to("a:b").tagg("t", "x")
`},
		code: "RPL202", title: "Change tagg to tag", want: `fn route(r: Request) -> Decision = to("a:b").tag("t", "x")`,
	},
	{
		name: "field called as a method",
		files: map[string]string{"p.rpl": `package p

fn route(r: Request) -> Decision {
  let d = to("a:b")
  d.tags("t", "x")
}
`},
		code: "RPL303", title: "Change tags to tag", want: `  d.tag("t", "x")`,
	},
	{
		name: "unknown named argument",
		files: map[string]string{"p.rpl": `package p

fn pick(model: string, fallback: string) -> Decision = to(model).fallback(fallback)

fn route(r: Request) -> Decision = pick("a:b", fallbak: "c:d")
`},
		code: "RPL206", title: "Change fallbak to fallback", want: `fn route(r: Request) -> Decision = pick("a:b", fallback: "c:d")`,
	},
	{
		name: "undefined member of a standard module",
		files: map[string]string{"p.rpl": `package p

import "std/cost"

fn route(r: Request) -> Decision = if cost.month_spnd(r.tenant) > $1 { to("a:b") } else { to("c:d") }
`},
		code: "RPL200", title: "Change month_spnd to month_spend", want: `fn route(r: Request) -> Decision = if cost.month_spend(r.tenant) > $1 { to("a:b") } else { to("c:d") }`,
	},
	{
		name: "undefined member of an imported module",
		files: map[string]string{
			"p.rpl": `package p

import "lib/common"

fn route(r: Request) -> Decision = to(common.targt)
`,
			"lib/common.rpl": `package common

const target = "openai:gpt-4o"
`},
		code: "RPL200", title: "Change targt to target", want: `fn route(r: Request) -> Decision = to(common.target)`,
	},
	{
		name: "unknown type",
		files: map[string]string{"p.rpl": `package p

fn kind(t: Triger) -> string = match t { Trigger.timeout => "slow", _ => "other" }

fn route(r: Request) -> Decision = to("a:b").tag("k", kind(Trigger.timeout))
`},
		code: "RPL306", title: "Change Triger to Trigger", want: `fn kind(t: Trigger) -> string = match t { Trigger.timeout => "slow", _ => "other" }`,
	},
	{
		name: "unknown standard module",
		files: map[string]string{"p.rpl": `package p

import "std/cots"

fn route(r: Request) -> Decision = to("a:b")
`},
		code: "RPL203", title: "Change std/cots to std/cost", want: `import "std/cost"`,
	},
	{
		name:  "comparison written with a lookalike",
		files: map[string]string{"p.rpl": "package p\n\nfn route(r: Request) -> Decision = if 1 \u2264 2 { to(\"a:b\") } else { to(\"c:d\") }\n"},
		code:  "RPL101", title: "Change \u2264 to <=", want: `fn route(r: Request) -> Decision = if 1 <= 2 { to("a:b") } else { to("c:d") }`,
	},
	{
		name:  "minus written with a dash",
		files: map[string]string{"p.rpl": "package p\n\nconst n = 3 \u2013 1\n\nfn route(r: Request) -> Decision = to(\"a:b\").priority(n)\n"},
		code:  "RPL101", title: "Change \u2013 to -", want: `const n = 3 - 1`,
	},
	{
		name:  "invisible space",
		files: map[string]string{"p.rpl": "package p\n\nfn route(r: Request) -> Decision =\u200bto(\"a:b\")\n"},
		code:  "RPL101", title: "Delete the invisible space", want: `fn route(r: Request) -> Decision =to("a:b")`,
	},
	{
		name:  "no-break space between two words",
		files: map[string]string{"p.rpl": "package p\n\nfn route(r: Request) -> Decision {\n  let\u00a0m = \"a:b\"\n  to(m)\n}\n"},
		code:  "RPL101", title: "Change the no-break space to a space", want: `  let m = "a:b"`,
	},
	{
		name:  "Greek mu for the micro sign",
		files: map[string]string{"p.rpl": "package p\n\nfn route(r: Request) -> Decision = to(\"a:b\").fallback(\"c:d\", backoff: 500\u03bcs)\n"},
		code:  "RPL101", title: "Change the Greek mu to the micro sign \u00b5", want: "fn route(r: Request) -> Decision = to(\"a:b\").fallback(\"c:d\", backoff: 500\u00b5s)",
	},
	{
		name: "function of the policy called as a method",
		files: map[string]string{"p.rpl": `package p

fn norm(m: string) -> string = lower(m)

fn route(r: Request) -> Decision = to(r.model.norm())
`},
		code: "RPL202", title: "Call norm(r.model)", want: `fn route(r: Request) -> Decision = to(norm(r.model))`,
	},
	{
		name: "function of the policy called as a method, with arguments",
		files: map[string]string{"p.rpl": `package p

fn pick(m: string, other: string, cheap: bool) -> string = if cheap { other } else { m }

fn route(r: Request) -> Decision {
  to(r.model
    .pick("c:d", cheap: true))
}
`},
		code: "RPL202", title: "Call pick(r.model, …)", want: `  to(pick(r.model, "c:d", cheap: true))`,
	},
	{
		name: "default of ?? read as a comparison",
		files: map[string]string{"p.rpl": `package p

fn slow(r: Request) -> bool = r.constraints.max_latency ?? 1s > 500ms

fn route(r: Request) -> Decision = if slow(r) { to("a:b") } else { to("c:d") }
`},
		code: "RPL300", title: "Change to (r.constraints.max_latency ?? 1s) > 500ms", want: `fn slow(r: Request) -> bool = (r.constraints.max_latency ?? 1s) > 500ms`,
	},
	{
		name: "enum member hidden by a variable in a pattern",
		files: map[string]string{"p.rpl": `package p

fn kind(t: Trigger) -> string {
  let timeout = "slow"
  match t { timeout => timeout, _ => "other" }
}

fn route(r: Request) -> Decision = to("a:b").tag("k", kind(Trigger.timeout))
`},
		code: "RPL318", title: "Change timeout to Trigger.timeout", want: `  match t { Trigger.timeout => timeout, _ => "other" }`,
	},
	{
		name: "no route, a function of a close name",
		files: map[string]string{"p.rpl": `package p

fn rout(r: Request) -> Decision = to("a:b")
`},
		code: "RPL212", title: "Rename rout to route", want: `fn route(r: Request) -> Decision = to("a:b")`,
	},
	{
		name: "super naming no function of the parent",
		files: map[string]string{
			"p.rpl": `package p

extends "org"

fn route(r: Request) -> Decision = super.rout(r).tag("team", "p")
`,
			"org.rpl": `package org

fn route(r: Request) -> Decision = to("a:b")
`},
		code: "RPL209", title: "Change rout to route", want: `fn route(r: Request) -> Decision = super.route(r).tag("team", "p")`,
	},
}

// Each quick fix of quickFixCases is offered on its diagnostic, a quickfix
// carrying that diagnostic, and its edit repairs the file: applied, the
// diagnostic is gone and no error appears that was not there before.
func TestQuickFixes(t *testing.T) {
	for _, tc := range quickFixCases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, src := range tc.files {
				write(t, filepath.Join(dir, name), src)
			}
			c := newClient(t, dir, lsp.Options{})
			u := c.open("p.rpl")
			ds := c.waitDiags(u, 1)
			var target *diagnostic
			before := map[string]bool{} // the other errors
			for i, d := range ds {
				if fmt.Sprint(d.Code) == tc.code {
					if target != nil {
						t.Fatalf("two %s diagnostics: %+v", tc.code, ds)
					}
					target = &ds[i]
				} else if d.Severity == 1 {
					before[fmt.Sprint(d.Code, d.Message)] = true
				}
			}
			if target == nil {
				t.Fatalf("no %s diagnostic among %+v", tc.code, ds)
			}
			var got []protocol.CodeAction
			c.call("textDocument/codeAction", map[string]any{
				"textDocument": map[string]any{"uri": u},
				"range":        target.Range,
				"context":      map[string]any{"diagnostics": []any{target}},
			}, &got)
			var fix *protocol.CodeAction
			var titles []string
			for i, a := range got {
				titles = append(titles, a.Title)
				if a.Title == tc.title {
					fix = &got[i]
				}
			}
			if fix == nil {
				t.Fatalf("%s: %s: no quick fix %q among %q", tc.code, target.Message, tc.title, titles)
			}
			if len(got) == 1 && (fix.IsPreferred == nil || !*fix.IsPreferred) {
				t.Errorf("the one quick fix is not preferred")
			}
			if fix.Kind == nil || *fix.Kind != protocol.CodeActionKindQuickFix {
				t.Errorf("kind %v, want quickfix", fix.Kind)
			}
			if len(fix.Diagnostics) != 1 || fix.Diagnostics[0].Range != target.Range || fix.Diagnostics[0].Message != target.Message {
				t.Errorf("diagnostics %+v, want the %s one", fix.Diagnostics, tc.code)
			}
			if fix.Edit == nil || len(fix.Edit.Changes) != 1 || len(fix.Edit.Changes[u]) == 0 {
				t.Fatalf("edit %+v, want edits of %s only", fix.Edit, u)
			}
			text := applyUTF16Edits(t, c.texts[u], fix.Edit.Changes[u])
			if !strings.Contains(text, "\n"+tc.want+"\n") {
				t.Errorf("after the fix:\n%s\nwant the line %q", text, tc.want)
			}
			for _, d := range c.waitDiags(u, c.change(u, text)) {
				if fmt.Sprint(d.Code) == tc.code || d.Severity == 1 && !before[fmt.Sprint(d.Code, d.Message)] {
					t.Errorf("after the fix, %v: %s\n%s", d.Code, d.Message, text)
				}
			}
		})
	}
}

// applyUTF16Edits applies non-overlapping edits, positions in UTF-16 columns,
// to text.
func applyUTF16Edits(t *testing.T, text string, edits []protocol.TextEdit) string {
	t.Helper()
	offset := func(p protocol.Position) int {
		lines := strings.SplitAfter(text, "\n")
		if int(p.Line) >= len(lines) {
			t.Fatalf("position %v past the text", p)
		}
		off := 0
		for _, l := range lines[:p.Line] {
			off += len(l)
		}
		units := 0
		for i, r := range lines[p.Line] {
			if units == int(p.Character) {
				return off + i
			}
			units += len(utf16.Encode([]rune{r}))
		}
		if units == int(p.Character) {
			return off + len(lines[p.Line])
		}
		t.Fatalf("position %v past its line", p)
		return 0
	}
	type span struct {
		start, end int
		text       string
	}
	var spans []span
	for _, e := range edits {
		spans = append(spans, span{offset(e.Range.Start), offset(e.Range.End), e.NewText})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start > spans[j].start })
	for i, s := range spans {
		if i > 0 && s.end > spans[i-1].start {
			t.Fatalf("overlapping edits %+v", edits)
		}
		text = text[:s.start] + s.text + text[s.end:]
	}
	return text
}

// A quick fix is offered only where the message names the edit and the
// edit is right: in a file of seven errors, the stray line with a
// parameter list gets Insert fn and the stray assignment Insert const;
// the stray call (no keyword suggested), the typographic quote (which of two straight quotes is meant depends on
// its pair), the method call of a function with a comment before its dot
// (the rewrite would drop the comment) and the pattern whose member the
// message qualifies with Trigger where a parameter Trigger hides the type
// get none.
func TestQuickFixOnlyWhereNamed(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "p.rpl"), "package p\n\ng(x: int) -> int = x\nlimit = 3\nlog(1)\n\n"+
		"fn route(r: Request) -> Decision = to(\u201ca:b\u201d)\n\n"+
		"fn norm(m: string) -> string = lower(m)\n\nfn model(r: Request) -> string = r.model # lower case\n  .norm()\n\n"+
		"fn kind(t: Trigger, Trigger: string) -> string {\n  let timeout = Trigger\n  match t { timeout => timeout, _ => \"other\" }\n}\n")
	c := newClient(t, dir, lsp.Options{})
	u := c.open("p.rpl")
	ds := c.waitDiags(u, 1)
	offered := map[int][]string{} // titles by line
	for _, d := range ds {
		var got []protocol.CodeAction
		c.call("textDocument/codeAction", map[string]any{
			"textDocument": map[string]any{"uri": u},
			"range":        d.Range,
			"context":      map[string]any{"diagnostics": []any{d}},
		}, &got)
		for _, a := range got {
			offered[int(d.Range.Start.Line)] = append(offered[int(d.Range.Start.Line)], a.Title)
		}
	}
	if len(ds) < 7 {
		t.Fatalf("want errors on lines 3, 4, 5, 7 (two), 12 and 16, got %+v", ds)
	}
	want := map[int][]string{2: {"Insert fn"}, 3: {"Insert const"}}
	if fmt.Sprint(offered) != fmt.Sprint(want) {
		t.Errorf("quick fixes by line %v, want %v (diagnostics %+v)", offered, want, ds)
	}
}

// TestCodeActionOnly: a client that asks for some kinds of code action
// (context.only) gets only those: the quick fixes when it asks for
// quickfix, or for none, or for the empty kind (all); none when it asks
// for source.organizeImports, refactor, or quickfix.x (a kind under
// quickfix, which a quickfix is not). Every quick fix was offered
// whatever the kinds asked for.
func TestCodeActionOnly(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "p.rpl"), "package p\n\nfn route(r: Request) -> Decision = to(lowr(\"A:B\"))\n")
	c := newClient(t, dir, lsp.Options{})
	u := c.open("p.rpl")
	ds := c.waitDiags(u, 1)
	if len(ds) == 0 {
		t.Fatal("no diagnostics")
	}
	for _, tc := range []struct {
		only []string // nil: not sent
		want int
	}{
		{nil, 1},
		{[]string{"quickfix"}, 1},
		{[]string{"source.organizeImports", "quickfix"}, 1},
		{[]string{""}, 1},
		{[]string{"source.organizeImports"}, 0},
		{[]string{"source"}, 0},
		{[]string{"refactor", "source.fixAll"}, 0},
		{[]string{"quickfix.x"}, 0},
		{[]string{"quick"}, 0},
	} {
		ctx := map[string]any{"diagnostics": []any{ds[0]}}
		if tc.only != nil {
			ctx["only"] = tc.only
		}
		var got []protocol.CodeAction
		if err := c.call("textDocument/codeAction", map[string]any{
			"textDocument": map[string]any{"uri": u}, "range": ds[0].Range, "context": ctx,
		}, &got); err != nil {
			t.Fatalf("only %q: %v", tc.only, err)
		}
		if len(got) != tc.want {
			var titles []string
			for _, a := range got {
				titles = append(titles, a.Title)
			}
			t.Errorf("only %q: actions %q, want %d", tc.only, titles, tc.want)
		}
		for _, a := range got {
			if a.Kind == nil || *a.Kind != protocol.CodeActionKindQuickFix || a.Title != "Change lowr to lower" {
				t.Errorf("only %q: action %q of kind %v", tc.only, a.Title, a.Kind)
			}
		}
	}
}
