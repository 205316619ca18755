package lang_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
)

func universe(t testing.TB) *lang.Universe {
	t.Helper()
	u, err := stdlib.Universe()
	if err != nil {
		t.Fatalf("stdlib universe: %v", err)
	}
	return u
}

// markerRE matches expectation comments: # ERROR "substring", # WARNING
// "…", # INFO "…"; several may follow each other on one line.
var markerRE = regexp.MustCompile(`(ERROR|WARNING|INFO) ("(?:[^"\\]|\\.)*")`)

type expectation struct {
	sev  string
	text string
	line int
	hit  bool
}

// chunk is one case of a chunked test file: its files (the first is the
// policy; `=== name` lines start further files) and its first line in the
// test file.
type chunk struct {
	files map[string]string
	order []string
	line  int
}

// splitChunks splits a test file into cases at lines that are exactly ---.
func splitChunks(src string) []chunk {
	var out []chunk
	cur := chunk{files: map[string]string{}, line: 1}
	name := "p.rpl"
	var b strings.Builder
	flushFile := func() {
		if _, ok := cur.files[name]; !ok {
			cur.order = append(cur.order, name)
		}
		cur.files[name] = b.String()
		b.Reset()
	}
	lines := strings.SplitAfter(src, "\n")
	for i, l := range lines {
		trimmed := strings.TrimRight(l, "\r\n")
		switch {
		case trimmed == "---":
			flushFile()
			out = append(out, cur)
			cur = chunk{files: map[string]string{}, line: i + 2}
			name = "p.rpl"
		case strings.HasPrefix(trimmed, "=== "):
			flushFile()
			name = strings.TrimPrefix(trimmed, "=== ")
			// keep line numbers of later files relative to their own start
		default:
			b.WriteString(l)
		}
	}
	flushFile()
	out = append(out, cur)
	return out
}

// TestCheckMarkers runs every case of lang/testdata/check/*.rpl and
// compares the diagnostics with the markers at their lines.
func TestCheckMarkers(t *testing.T) {
	u := universe(t)
	files, _ := filepath.Glob("testdata/check/*.rpl")
	if len(files) == 0 {
		t.Fatal("no test files")
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range splitChunks(string(data)) {
			name := fmt.Sprintf("%s:%d", filepath.Base(file), ch.line)
			t.Run(name, func(t *testing.T) { runChunk(t, u, file, ch) })
		}
	}
}

func runChunk(t *testing.T, u *lang.Universe, file string, ch chunk) {
	dir := "/virtual"
	read := func(p string) ([]byte, error) {
		rel, err := filepath.Rel(dir, p)
		if err == nil {
			if s, ok := ch.files[rel]; ok {
				return []byte(s), nil
			}
		}
		return nil, os.ErrNotExist
	}
	cfg := &lang.Config{Universe: u, ReadFile: read}
	_, diags := lang.Check(cfg, filepath.Join(dir, ch.order[0]))
	var exps []*expectation
	for _, fname := range ch.order {
		for i, l := range strings.Split(ch.files[fname], "\n") {
			_, comment, ok := strings.Cut(l, "#")
			if !ok {
				continue
			}
			for _, m := range markerRE.FindAllStringSubmatch(comment, -1) {
				text, _ := strconv.Unquote(m[2])
				exps = append(exps, &expectation{sev: m[1], text: text, line: i + 1, hit: false})
				_ = fname
			}
		}
	}
	// Expectations are per line of the policy's files; diagnostics name the file.
	var unexpected []string
	for _, d := range diags {
		pos := d.Position()
		matched := false
		for _, e := range exps {
			if e.line == pos.Line && strings.EqualFold(e.sev, d.Severity.String()) && strings.Contains(d.Message+" ["+string(d.Code)+"]", e.text) {
				e.hit, matched = true, true
			}
		}
		if !matched {
			unexpected = append(unexpected, fmt.Sprintf("%s: %s [%s]", d.Error(), d.Severity, d.Code))
		}
	}
	sort.Strings(unexpected)
	for _, u := range unexpected {
		t.Errorf("%s: unexpected diagnostic: %s", file, u)
	}
	for _, e := range exps {
		if !e.hit {
			t.Errorf("%s: line %d (of case starting at line %d): missing %s %q", file, e.line, ch.line, e.sev, e.text)
		}
	}
}

// TestTypeTooManyFields: a record with 65,536 fields of its own or more
// is RPL321 saying so; it said "the record fields in it multiply", which
// is true only of records nested in records. One field fewer checks. A
// type holding such a record inline says that it does; an alias of a
// type too large (of any name), or a type too large only because it
// holds a named one, is not reported again (the named type's declaration
// is), but one too large without it is; an optional record does not
// count.
func TestTypeTooManyFields(t *testing.T) {
	u := universe(t)
	fields := func(n int) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "f%d: int", i)
		}
		return b.String() + "}"
	}
	const hint = ": a record has at most 65535 (group some of them into records, or use a map)"
	pFields := func(n int) string { // n fields of type P
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf("p%d: P", i)
		}
		return strings.Join(parts, ", ")
	}
	for _, c := range []struct {
		name, decls string
		want        []string
	}{
		{"65535", "type R = " + fields(lang.MaxLeastValues-1), nil},
		{"65536", "type R = " + fields(lang.MaxLeastValues), []string{"wide.rpl:3:6: error[RPL321]: type R has 65536 fields" + hint}},
		{"70000", "type R = " + fields(70_000), []string{"wide.rpl:3:6: error[RPL321]: type R has 70000 fields" + hint}},
		{"inline", "type R = {a: " + fields(70_000) + "}", []string{"wide.rpl:3:6: error[RPL321]: type R holds a record of 70000 fields" + hint}},
		{"named", "type R = {s: S}\ntype S = " + fields(70_000), []string{"wide.rpl:4:6: error[RPL321]: type S has 70000 fields" + hint}},
		{"named, inline in it", "type R = {s: S}\ntype S = {a: " + fields(70_000) + "}", []string{"wide.rpl:4:6: error[RPL321]: type S holds a record of 70000 fields" + hint}},
		{"alias", "type A = S\ntype S = " + fields(70_000), []string{"wide.rpl:4:6: error[RPL321]: type S has 70000 fields" + hint}},
		{"named, multiplying", "type U = {t: T}\ntype T = {" + strings.Repeat("p: P, ", 0) + pFields(25_000) + "}\ntype P = {a: int, b: int}",
			[]string{"wide.rpl:4:6: error[RPL321]: every value of type T holds more than 65536 values: the record fields in it multiply (make some of them optional, or lists)"}},
		// An optional record does not count in R, but is a record type
		// too large itself.
		{"optional", "type R = {s: " + fields(70_000) + "?}", []string{"wide.rpl:3:14: error[RPL321]: this record type has 70000 fields" + hint}},
		// Record types written outside type declarations.
		{"parameter", "fn f(x: " + fields(70_000) + ") -> int = x.f5", []string{"wide.rpl:3:9: error[RPL321]: this record type has 70000 fields" + hint}},
		{"list element", "type L = list[{a: " + fields(70_000) + "}]", []string{"wide.rpl:3:15: error[RPL321]: this record type holds a record of 70000 fields" + hint}},
		{"let, multiplying", "fn g() -> int {\n  let x: {" + pFields(40_000) + "}? = none\n  1\n}\ntype P = {x: int}",
			[]string{"wide.rpl:4:7: warning[RPL207]: x declared and not used",
				"wide.rpl:4:10: error[RPL321]: every value of this record type holds more than 65536 values: the record fields in it multiply (make some of them optional, or lists)"}},
		// A record of another package named as the alias is the other's.
		{"alias, same name", "type R = lib.R", []string{"lib.rpl:3:6: error[RPL321]: type R has 70000 fields" + hint}},
		// Too large without the named record it holds too: reported.
		{"holder too large itself", "type H = {r: lib.R, " + pFields(40_000) + "}\ntype P = {x: int}", []string{
			"lib.rpl:3:6: error[RPL321]: type R has 70000 fields" + hint,
			"wide.rpl:4:6: error[RPL321]: every value of type H holds more than 65536 values: the record fields in it multiply (make some of them optional, or lists)"}},
	} {
		src := "package wide\n\n" + c.decls + "\n\nfn route(r: Request) -> Decision = deny(\"x\")\n"
		if strings.Contains(c.decls, "lib.") {
			src = "package wide\n\nimport \"./lib\"\n" + c.decls + "\n\nfn route(r: Request) -> Decision = deny(\"x\")\n"
		}
		lib := "package lib\n\ntype R = " + fields(70_000) + "\n"
		read := func(p string) ([]byte, error) {
			switch p {
			case "/virtual/wide.rpl":
				return []byte(src), nil
			case "/virtual/lib.rpl":
				return []byte(lib), nil
			}
			return nil, os.ErrNotExist
		}
		_, diags := lang.Check(&lang.Config{Universe: u, ReadFile: read}, "/virtual/wide.rpl")
		var got []string
		for _, d := range diags {
			got = append(got, strings.TrimPrefix(d.Error(), "/virtual/"))
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// TestVoidUsedAsValueRecorded: an expression of no value where a value is
// used (RPL313) keeps its type, void, in Info.Types (the type of every
// checked expression, which the language server's hover shows), whether
// a type is expected there or not; what uses its value, a let or a call
// (max's overloads), is not given a type from it, nor reported again.
func TestVoidUsedAsValueRecorded(t *testing.T) {
	u := universe(t)
	src := "package p\n\nfn f(x: bool) -> string {\n  let v = if x { 1 }\n  let w: int = (if x { 2 })\n  string(if x { 3 })\n}\n\nfn g(x: bool) -> int = abs(if x { 4 })\nfn h(x: bool) -> list[int] = [if x { 5 }]\nfn k(x: bool) -> int = max(if x { 6 }, 2)\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n"
	read := func(p string) ([]byte, error) {
		if p == "/virtual/p.rpl" {
			return []byte(src), nil
		}
		return nil, os.ErrNotExist
	}
	prog, diags := lang.Check(&lang.Config{Universe: u, ReadFile: read}, "/virtual/p.rpl")
	var ifs []*lang.IfExpr
	lang.Inspect(prog.Packages[0].Files[0], func(n lang.Node) bool {
		if x, ok := n.(*lang.IfExpr); ok {
			ifs = append(ifs, x)
		}
		return true
	})
	n := 0
	for _, d := range diags {
		switch d.Code {
		case lang.CodeMissingValue:
			n++
		case lang.CodeUnusedVar:
		default:
			t.Errorf("unexpected %s", d)
		}
	}
	if len(ifs) != 6 || n != len(ifs) {
		t.Fatalf("%d ifs, %d RPL313, want 6 of each: %v", len(ifs), n, diags)
	}
	for _, x := range ifs {
		if got := prog.Info.Types[x]; got != lang.Typ[lang.Void] {
			t.Errorf("type of the if at %d: %v, want void", x.Span().Start, got)
		}
	}
}

// TestLongChains: a chain (a + b + c, x.f().g(), x[0][0], else if) is
// parsed by a loop, not by recursion, but its tree is as deep as it is
// long, and the checker and the compiler recurse along it. One too long
// for them is one syntax error, placed where it passes the limit; one just
// short of it is checked.
func TestLongChains(t *testing.T) {
	u := universe(t)
	check := func(decls string) []string {
		src := "package deep\n" + decls + "\nfn route(r: Request) -> Decision = deny(\"x\")\n"
		read := func(p string) ([]byte, error) {
			if p == "/virtual/deep.rpl" {
				return []byte(src), nil
			}
			return nil, os.ErrNotExist
		}
		_, diags := lang.Check(&lang.Config{Universe: u, ReadFile: read}, "/virtual/deep.rpl")
		var got []string
		for _, d := range diags {
			got = append(got, strings.TrimPrefix(d.Error(), "/virtual/"))
		}
		return got
	}
	const msg = "error[RPL100]: syntax error: expression nesting deeper than 10000 levels: each operator, call, field or else if of a chain is one (split the chain with let)"
	for _, c := range []struct {
		name, decls string
		want        []string
	}{
		{"sum", "const a = 1" + strings.Repeat(" + 1", 200_000), []string{"deep.rpl:2:760009: " + msg}},
		{"or", "fn f(b: bool) -> bool = b" + strings.Repeat(" || b", 200_000), []string{"deep.rpl:2:950022: " + msg}},
		{"coalesce", "fn f(x: int?) -> int = x" + strings.Repeat(" ?? x", 200_000) + " ?? 0", []string{"deep.rpl:2:950026: " + msg}},
		{"calls", "fn f(x: list[int]) -> list[int] = x" + strings.Repeat(".reverse()", 100_000), []string{"deep.rpl:2:950034: " + msg}},
		{"index", "fn f(x: list[int]) -> int = x" + strings.Repeat("[0]", 200_000), []string{"deep.rpl:2:570029: " + msg}},
		{"else if", "fn f(x: int) -> int = " + strings.Repeat("if x > 1 { 1 } else ", 200_000) + "{ 2 }", []string{"deep.rpl:2:199974: " + msg}},
		// The rest of the file is still checked, and the function keeps its
		// header: its uses are no error.
		{"rest checked", "fn f(x: int) -> int = x" + strings.Repeat(" + x", 200_000) + "\nfn g() -> int = f(1)\nconst d: int = \"s\"",
			[]string{"deep.rpl:2:760021: " + msg, "deep.rpl:4:16: error[RPL300]: cannot use value of type string as int in const d"}},
		// Four chains of 3,000, each the first operand of the next.
		{"nested chains", "const a = " + strings.Repeat("(", 4) + "1" + strings.Repeat(strings.Repeat(" + 1", 3_000)+")", 4), []string{"deep.rpl:2:8029: " + msg}},
		{"long but not too long", "const a = 1" + strings.Repeat(" + 1", 9_000) + "\nfn f(b: bool) -> bool = b" + strings.Repeat(" || b", 9_000), nil},
		// Chains of 6,000 operators and 6,000 fields, not one in another.
		{"wide, not deep", "fn f(x: {a: int}) -> int = x.a" + strings.Repeat(" + x.a", 6_000), nil},
	} {
		if got := check(c.decls); !slices.Equal(got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// TestNoOverrideTests: a declaration of an extending policy close to a
// parent's name that only its test file uses is no misspelled override
// (RPL220); without the test file it is one, and a check that leaves out
// the test file (NoTests), which cannot tell, reports none. Its fix
// renames it to the parent's name.
func TestNoOverrideTests(t *testing.T) {
	u := universe(t)
	files := map[string]string{
		"/v/p.rpl":      "package p\n\nextends \"org\"\n\nfn pick_modl() -> string = \"e:f\"\n",
		"/v/org.rpl":    "package org\n\nfn pick_model() -> string = \"c:d\"\nfn route(r: Request) -> Decision = to(pick_model())\n",
		"/v/p_test.rpl": "package p\n\ntest \"t\" {\n  expect pick_modl() == \"e:f\"\n}\n",
	}
	for _, tc := range []struct {
		name          string
		tests, noTest bool
		want          int
	}{
		{"used by the tests", true, false, 0},
		{"no test file", false, false, 1},
		{"tests left out", true, true, 0},
		{"no test file, tests left out", false, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			read := func(p string) ([]byte, error) {
				if s, ok := files[p]; ok && (tc.tests || !lang.IsTestFile(p)) {
					return []byte(s), nil
				}
				return nil, os.ErrNotExist
			}
			_, diags := lang.Check(&lang.Config{Universe: u, ReadFile: read, NoTests: tc.noTest}, "/v/p.rpl")
			n := 0
			for _, d := range diags {
				if d.Code == lang.CodeNoOverride {
					n++
					// The fix renames it to the parent's name.
					if len(d.Fixes) != 1 || d.Fixes[0].NewText != "pick_model" {
						t.Errorf("fixes %+v, want one to pick_model", d.Fixes)
					}
				} else if d.Severity == lang.SevError {
					t.Errorf("unexpected error: %v", d)
				}
			}
			if n != tc.want {
				t.Errorf("%d RPL220, want %d: %v", n, tc.want, diags)
			}
		})
	}
}

// TestCatalogueTargets: with the catalogue's targets (Config.Catalogue),
// a constant target of to, fallback or weighted's split that it does not
// list is a warning (RPL221) at the target, with the nearest, which the
// fix writes into a literal, and the constant named as related; a
// catalogued target, a provider of one alone and a target only known at
// run time are not reported, nor anything without a catalogue.
func TestCatalogueTargets(t *testing.T) {
	u := universe(t)
	src := `package p

const backup = "anthropic:claude-sonet"

fn route(r: Request) -> Decision {
  if r.task.type == "code" {
    return weighted({"openai:gpt-4o": 90, "openai:gpt-4o-mni": 10})
  }
  if r.task.type == "x" {
    return to(r.task.type)
  }
  return to("openai:gpt-4o-mni").fallback(backup).fallback("openai").fallback("mistral:large")
}
`
	read := func(p string) ([]byte, error) {
		if p != "/v/p.rpl" {
			return nil, os.ErrNotExist
		}
		return []byte(src), nil
	}
	catalogue := []string{"anthropic:claude-sonnet", "openai:gpt-4o", "openai:gpt-4o-mini"}
	for _, tc := range []struct {
		name      string
		catalogue []string
		want      []string
	}{
		{"no catalogue", nil, nil},
		{"catalogue", catalogue, []string{
			`7:43: target "openai:gpt-4o-mni" is not in the catalogue (catalogue.json) (did you mean "openai:gpt-4o-mini"?) fix "openai:gpt-4o-mini"`,
			`12:13: target "openai:gpt-4o-mni" is not in the catalogue (catalogue.json) (did you mean "openai:gpt-4o-mini"?) fix "openai:gpt-4o-mini"`,
			`12:43: target "anthropic:claude-sonet" is not in the catalogue (catalogue.json) (did you mean "anthropic:claude-sonnet"?) related backup declared here`,
			`12:79: target "mistral:large" is not in the catalogue (catalogue.json)`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := lang.Check(&lang.Config{Universe: u, ReadFile: read, Catalogue: tc.catalogue}, "/v/p.rpl")
			var got []string
			for _, d := range diags {
				if d.Severity == lang.SevError {
					t.Errorf("unexpected error: %v", d)
				}
				if d.Code != lang.CodeNotInCatalogue {
					continue
				}
				p := d.File.Position(d.Span.Start)
				s := fmt.Sprintf("%d:%d: %s", p.Line, p.Col, d.Message)
				for _, f := range d.Fixes {
					s += " fix " + f.NewText
				}
				for _, r := range d.Related {
					s += " related " + r.Message
				}
				got = append(got, s)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("RPL221 (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCatalogueOverriddenTarget: a parent's constant target that the
// child replaces is judged with the child's value (language.md §8.3), and
// a target the catalogue does not list is reported at the child's
// constant, the parent's argument a related location, as RPL315 and
// RPL326 are; the parent's own value is not reported.
func TestCatalogueOverriddenTarget(t *testing.T) {
	u := universe(t)
	files := map[string]string{
		"/v/org.rpl":  "package org\n\nconst T = \"openai:gpt-4o\"\n\nfn route(r: Request) -> Decision = to(T)\n",
		"/v/team.rpl": "package team\n\nextends \"org\"\n\nconst T = \"openai:gpt-4oo\"\n",
	}
	read := func(p string) ([]byte, error) {
		if s, ok := files[p]; ok {
			return []byte(s), nil
		}
		return nil, os.ErrNotExist
	}
	_, diags := lang.Check(&lang.Config{Universe: u, ReadFile: read, Catalogue: []string{"openai:gpt-4o"}}, "/v/team.rpl")
	var got []string
	for _, d := range diags {
		p := d.File.Position(d.Span.Start)
		s := fmt.Sprintf("%s:%d:%d: %s %s", filepath.Base(d.File.Name), p.Line, p.Col, d.Code, d.Message)
		for _, r := range d.Related {
			rp := r.File.Position(r.Span.Start)
			s += fmt.Sprintf(" related %s:%d:%d %s", filepath.Base(r.File.Name), rp.Line, rp.Col, r.Message)
		}
		got = append(got, s)
	}
	want := []string{`team.rpl:5:7: RPL221 T overrides org.T: target "openai:gpt-4oo" at org.rpl:5:39 is not in the catalogue (catalogue.json) (did you mean "openai:gpt-4o"?) related org.rpl:5:39 the target, which reads T`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}
