package lang_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/lang"
)

// TestDiagListError checks the message of a DiagList used as an error: it
// leads with the first error even when a warning comes before it, and
// counts the other errors, not the warnings.
func TestDiagListError(t *testing.T) {
	u := universe(t)
	tests := []struct {
		name, src, want string
	}{
		{"one error", "package p\n\nfn route(r: Request) -> Decision = to(nope)\n",
			"/v/p.rpl:3:39: error[RPL200]: undefined: nope"},
		{"warning first", "package p\n\nimport \"std/ab\"\n\nfn route(r: Request) -> Decision = to(nope)\n",
			"/v/p.rpl:5:39: error[RPL200]: undefined: nope"},
		{"two errors", "package p\n\nimport \"std/ab\"\n\nfn route(r: Request) -> Decision = to(nope)\nfn f() -> int = \"x\"\n",
			"/v/p.rpl:5:39: error[RPL200]: undefined: nope (and 1 more error)"},
		{"three errors", "package p\n\nimport \"std/ab\"\n\nfn route(r: Request) -> Decision = to(nope)\nfn f() -> int = \"x\"\nfn g() -> int = nada\n",
			"/v/p.rpl:5:39: error[RPL200]: undefined: nope (and 2 more errors)"},
		{"warnings only", "package p\n\nimport \"std/ab\"\nimport \"std/cost\"\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n",
			"/v/p.rpl:3:1: warning[RPL205]: \"std/ab\" imported and not used (and 1 more diagnostics)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			read := func(p string) ([]byte, error) {
				if p == "/v/p.rpl" {
					return []byte(tc.src), nil
				}
				return nil, os.ErrNotExist
			}
			_, diags := lang.Check(&lang.Config{Universe: u, ReadFile: read, Policy: true}, "/v/p.rpl")
			if got := diags.Error(); got != tc.want {
				t.Errorf("got  %q\nwant %q\n(diagnostics: %v)", got, tc.want, []*lang.Diagnostic(diags))
			}
		})
	}
	if got := (lang.DiagList{}).Error(); got != "no errors" {
		t.Errorf("empty list: %q", got)
	}
}

// TestOneLineForm: a diagnostic's one-line form, Error() (the router's
// load errors and logs, rplc's one-line outputs), is the first line of its
// snippet, code and all (it had no code: an operator read
// `p.rpl:1:1: undefined: x` where rplc check printed error[RPL200]). With
// colour, the position is bold and the severity with its code coloured.
func TestOneLineForm(t *testing.T) {
	f := lang.NewFile("p.rpl", []byte("x\n"))
	cases := []struct {
		sev         lang.Severity
		code        lang.Code
		line, color string
	}{
		{lang.SevError, lang.CodeUndefined, "p.rpl:1:1: error[RPL200]: m",
			"\x1b[1mp.rpl:1:1\x1b[0m: \x1b[31;1merror[RPL200]\x1b[0m: m"},
		{lang.SevWarning, lang.CodeUnusedVar, "p.rpl:1:1: warning[RPL207]: m",
			"\x1b[1mp.rpl:1:1\x1b[0m: \x1b[33;1mwarning[RPL207]\x1b[0m: m"},
		{lang.SevInfo, lang.CodeTooMany, "p.rpl:1:1: info[RPL900]: m",
			"\x1b[1mp.rpl:1:1\x1b[0m: \x1b[34;1minfo[RPL900]\x1b[0m: m"},
		// Without a code, no empty brackets.
		{lang.SevError, "", "p.rpl:1:1: error: m",
			"\x1b[1mp.rpl:1:1\x1b[0m: \x1b[31;1merror\x1b[0m: m"},
	}
	for _, c := range cases {
		d := &lang.Diagnostic{File: f, Span: lang.Span{Start: 0, End: 1}, Severity: c.sev, Code: c.code, Message: "m"}
		if got := d.Error(); got != c.line {
			t.Errorf("Error() = %q, want %q", got, c.line)
		}
		for _, st := range []lang.Style{{}, {Color: true}} {
			var b strings.Builder
			lang.PrintSnippet(&b, d, st)
			want := c.line
			if st.Color {
				want = c.color
			}
			if got, _, _ := strings.Cut(b.String(), "\n"); got != want {
				t.Errorf("PrintSnippet (colour %v) first line %q, want %q", st.Color, got, want)
			}
		}
	}
}

// TestTooManyDiagnosticsCount checks the RPL900 note that ends a file with
// more than MaxDiagnostics diagnostics: it counts every one not shown,
// syntax errors included, although the parser's list (with its own note)
// is normalized again inside the checker's; and the list's one-line error
// counts the errors not shown with the others.
func TestTooManyDiagnosticsCount(t *testing.T) {
	u := universe(t)
	tests := []struct {
		name   string
		broken int // lines fn fN( = 1, one syntax error each
		undef  int // lines fn gN() -> int = nope, one checker error each
		note   string
	}{
		{"at the cap", lang.MaxDiagnostics, 0, ""},
		{"one over", lang.MaxDiagnostics + 1, 0, "1 more diagnostic not shown"},
		{"syntax errors", 120, 0, "20 more diagnostics not shown"},
		{"more syntax errors", 150, 0, "50 more diagnostics not shown"},
		{"syntax and checker errors", 90, 30, "20 more diagnostics not shown"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			b.WriteString("package p\n")
			for i := range tc.broken {
				fmt.Fprintf(&b, "fn f%d( = 1\n", i)
			}
			for i := range tc.undef {
				fmt.Fprintf(&b, "fn g%d() -> int = nope\n", i)
			}
			read := func(p string) ([]byte, error) {
				if p == "/v/p.rpl" {
					return []byte(b.String()), nil
				}
				return nil, os.ErrNotExist
			}
			_, diags := lang.Check(&lang.Config{Universe: u, ReadFile: read}, "/v/p.rpl")
			var notes []string
			shown := 0
			for _, d := range diags {
				if d.Code == lang.CodeTooMany {
					notes = append(notes, d.Message)
				} else {
					shown++
				}
			}
			if want := min(tc.broken+tc.undef, lang.MaxDiagnostics); shown != want {
				t.Errorf("%d diagnostics shown, want %d", shown, want)
			}
			// Every one an error: the list's one line counts those not
			// shown too.
			if want := lang.AndMoreErrors(tc.broken + tc.undef - 1); !strings.HasSuffix(diags.Error(), want) {
				t.Errorf("list's error %q, want it to end %q", diags.Error(), want)
			}
			switch {
			case tc.note == "" && len(notes) != 0:
				t.Errorf("notes %q, want none", notes)
			case tc.note != "" && (len(notes) != 1 || notes[0] != tc.note):
				t.Errorf("notes %q, want [%q]", notes, tc.note)
			}
		})
	}
}

// TestTooManyDiagnosticsRank: a file over the cap keeps its errors, then
// its call that always fails (RPL326), its other warnings, its unused
// bindings, its infos, the earliest of each first, shown in position
// order: the unused bindings ahead of an RPL326 and an error filled the
// cap with noise, and the note counted the RPL326 as not shown.
func TestTooManyDiagnosticsRank(t *testing.T) {
	const unused = lang.MaxDiagnostics + 20
	var b strings.Builder
	b.WriteString("package p\n\nfn f() -> int {\n")
	for i := range unused {
		fmt.Fprintf(&b, "  let u%d = %d\n", i, i)
	}
	b.WriteString("  2\n}\n\n")
	b.WriteString("fn fact(n: int) -> int = if n <= 1 { 1 } else { n * fact(n - 1) }\n")
	b.WriteString("fn g(n: int) -> int = n ?? 0\n")
	b.WriteString("fn h() -> Decision = to(\"openai:\")\n")
	b.WriteString("fn k() -> int = nope\n")
	read := func(p string) ([]byte, error) {
		if p == "/v/p.rpl" {
			return []byte(b.String()), nil
		}
		return nil, os.ErrNotExist
	}
	_, diags := lang.Check(&lang.Config{Universe: universe(t), ReadFile: read}, "/v/p.rpl")
	var codes []lang.Code
	count := map[lang.Code]int{}
	for i, d := range diags {
		codes = append(codes, d.Code)
		count[d.Code]++
		if i > 0 && d.Span.Start < diags[i-1].Span.Start {
			t.Errorf("%s after %s: not in position order", d, diags[i-1])
		}
	}
	rest := lang.MaxDiagnostics - 3 // the error, RPL326 and RPL316 shown
	want := map[lang.Code]int{lang.CodeUndefined: 1, lang.CodeAlwaysFails: 1, lang.CodeNotOptional: 1, lang.CodeUnusedVar: rest, lang.CodeTooMany: 1}
	if fmt.Sprint(count) != fmt.Sprint(want) {
		t.Fatalf("codes %v, want %v", count, want)
	}
	if d := diags[rest-1]; d.Code != lang.CodeUnusedVar || !strings.Contains(d.Message, fmt.Sprintf("u%d ", rest-1)) {
		t.Errorf("last unused binding shown: %s, want u%d's", d, rest-1)
	}
	note := diags[len(diags)-1]
	if want := unused - rest + 1; note.Code != lang.CodeTooMany || note.Hidden() != want || note.Message != fmt.Sprintf("%d more diagnostics not shown", want) {
		t.Errorf("last %s (hidden %d), want the note of %d more", note, note.Hidden(), want)
	}
}

// TestTooManyDiagnosticsOrder: with several files over the cap, each
// file's RPL900 note follows its own diagnostics, in the same order every
// time (the notes came in the order of a map's iteration, at the end).
func TestTooManyDiagnosticsOrder(t *testing.T) {
	var l lang.DiagList
	for _, name := range []string{"a.rpl", "b.rpl", "c.rpl"} {
		f := lang.NewFile(name, []byte(strings.Repeat("x\n", 200)))
		for i := range lang.MaxDiagnostics + 5 {
			l = append(l, &lang.Diagnostic{File: f, Span: lang.Span{Start: lang.Pos(2 * i), End: lang.Pos(2 * i)}, Severity: lang.SevError, Code: lang.CodeSyntax, Message: fmt.Sprint("e", i)})
		}
	}
	for range 20 {
		out := append(lang.DiagList(nil), l...).Normalize()
		var notes []int
		for i, d := range out {
			if d.Code == lang.CodeTooMany {
				notes = append(notes, i)
				if d.File.Name != out[i-1].File.Name || d.Message != "5 more diagnostics not shown" {
					t.Fatalf("note %d (%s: %s) after %s", i, d.File.Name, d.Message, out[i-1].File.Name)
				}
			}
		}
		if want := []int{lang.MaxDiagnostics, 2*lang.MaxDiagnostics + 1, 3*lang.MaxDiagnostics + 2}; fmt.Sprint(notes) != fmt.Sprint(want) {
			t.Fatalf("notes at %v, want %v", notes, want)
		}
	}
}

// TestCycleMessage: a cycle of extends names its files relative to the
// policy's directory (it named them absolute, as "import cycle"), from
// the file it is reported in, whose clause closes it (it started at the
// policy checked: c.rpl said a.rpl -> b.rpl -> c.rpl -> a.rpl).
func TestCycleMessage(t *testing.T) {
	files := map[string]string{
		"/v/a.rpl": "package a\nextends \"b\"\nfn route(r: Request) -> Decision = to(\"x:y\")\n",
		"/v/b.rpl": "package b\nextends \"c\"\n",
		"/v/c.rpl": "package c\nextends \"a\"\n",
	}
	read := func(p string) ([]byte, error) {
		if src, ok := files[p]; ok {
			return []byte(src), nil
		}
		return nil, os.ErrNotExist
	}
	_, diags := lang.Check(&lang.Config{Universe: universe(t), ReadFile: read}, "/v/a.rpl")
	want := "cycle of imports and extends: c.rpl -> a.rpl -> b.rpl -> c.rpl"
	for _, d := range diags {
		if d.Code == lang.CodeImportCycle && d.Message == want && d.File.Name == "/v/c.rpl" {
			return
		}
	}
	t.Errorf("diagnostics %v, want %q", diags, want)
}

// TestSnippetLongLine checks the caret snippet of a line longer than a
// terminal: a window of it around the span, each cut end marked with …,
// and the caret still under the span. Before, the whole line was printed,
// and a generated policy's one-line table gave a megabyte per diagnostic.
func TestSnippetLongLine(t *testing.T) {
	pad := strings.Repeat("é", 300) // 2 bytes, 1 column each
	cases := []struct {
		name, line, span string
		want             string
	}{
		{"short", `x = "é" + bad`, "bad", " 1 | x = \"é\" + bad\n   |           ^^^\n"},
		{"end", `x = "` + pad + `" + bad`, "bad",
			" 1 | …" + strings.Repeat("é", 113) + "\" + bad\n   | " + strings.Repeat(" ", 118) + "^^^\n"},
		{"start", `bad + "` + pad + `"`, "bad",
			" 1 | bad + \"" + strings.Repeat("é", 113) + "…\n   | ^^^\n"},
		{"middle", `x = "` + pad + `" + bad + "` + pad + `"`, "bad",
			" 1 | …" + strings.Repeat("é", 36) + "\" + bad + \"" + strings.Repeat("é", 73) + "…\n   | " + strings.Repeat(" ", 41) + "^^^\n"},
		{"wide span", `x = ` + pad, pad,
			" 1 | x = " + strings.Repeat("é", 116) + "…\n   |     " + strings.Repeat("^", 116) + "\n"},
		// East Asian wide and fullwidth runes take two columns each: the
		// caret is placed and sized by them (it was six columns left of
		// s + 1 after 日本語日本語), in a window of a long line too.
		{"wide", `let s = "日本語日本語"; let y = s + 1`, "s + 1",
			" 1 | let s = \"日本語日本語\"; let y = s + 1\n   | " + strings.Repeat(" ", 32) + "^^^^^\n"},
		{"wide span", `x = "ｆｕｌｌ" + 1`, "\"ｆｕｌｌ\"", " 1 | x = \"ｆｕｌｌ\" + 1\n   |     " + strings.Repeat("^", 10) + "\n"},
		// The window is cut by columns too: at most 120 of them (it was
		// 120 runes, 240 columns of wide ones).
		{"wide end", `x = "` + strings.Repeat("語", 300) + `" + bad`, "bad",
			" 1 | …" + strings.Repeat("語", 56) + "\" + bad\n   | " + strings.Repeat(" ", 117) + "^^^\n"},
		{"wide middle", `x = "` + strings.Repeat("語", 300) + `" + bad + "` + strings.Repeat("語", 300) + `"`, "bad",
			" 1 | …" + strings.Repeat("語", 18) + "\" + bad + \"" + strings.Repeat("語", 36) + "…\n   | " + strings.Repeat(" ", 41) + "^^^\n"},
		{"wide start", `bad + "` + strings.Repeat("ｆ", 300) + `"`, "bad",
			" 1 | bad + \"" + strings.Repeat("ｆ", 56) + "…\n   | ^^^\n"},
		// A combining mark and an invisible format character take no
		// column: the caret is under bad after e\u0301, a zero width space
		// and a zero width joiner (it was one column right for each), and
		// under the whole of a span holding them; a window cut on its left
		// does not start with an accent cut from its e.
		{"zero width", "x = \"e\u0301\u200b\u200d\u20dd\" + bad", "bad",
			" 1 | x = \"e\u0301\u200b\u200d\u20dd\" + bad\n   | " + strings.Repeat(" ", 10) + "^^^\n"},
		// A soft hyphen is a format character a terminal draws, one
		// column (wcwidth): the caret was one column left of bad.
		{"soft hyphen", "x = \"co\u00adop\" + bad", "bad",
			" 1 | x = \"co\u00adop\" + bad\n   | " + strings.Repeat(" ", 14) + "^^^\n"},
		{"zero width span", "x = \"e\u0301\" + 1", "\"e\u0301\"", " 1 | x = \"e\u0301\" + 1\n   |     ^^^\n"},
		{"zero width end", `x = "` + strings.Repeat("e\u0301", 300) + `" + bad`, "bad",
			" 1 | …" + strings.Repeat("e\u0301", 113) + "\" + bad\n   | " + strings.Repeat(" ", 118) + "^^^\n"},
		// Control characters in a string (an escape sequence, a bell)
		// show as U+FFFD, one column each: the terminal must not act on
		// them. So do invalid bytes, as they are counted.
		{"control", "x = \"\x1b[31mred\x1b]0;t\x07\xff\" + bad", "bad",
			" 1 | x = \"\uFFFD[31mred\uFFFD]0;t\uFFFD\uFFFD\" + bad\n   | " + strings.Repeat(" ", 24) + "^^^\n"},
	}
	for _, c := range cases {
		f := lang.NewFile("p.rpl", []byte(c.line+"\n"))
		at := strings.Index(c.line, c.span)
		d := &lang.Diagnostic{File: f, Span: lang.Span{Start: lang.Pos(at), End: lang.Pos(at + len(c.span))}, Severity: lang.SevError, Code: lang.CodeUndefined, Message: "m"}
		var b strings.Builder
		lang.PrintSnippet(&b, d, lang.Style{})
		got, _ := strings.CutPrefix(b.String(), fmt.Sprintf("p.rpl:1:%d: error[RPL200]: m\n", at+1))
		if got != c.want {
			t.Errorf("%s:\n%s\nwant\n%s", c.name, got, c.want)
		}
	}
}

// TestSnippetMultiLine: a span that goes past its first line has carets
// to the end of that line (trailing blanks left out) and a note of the line
// and column of its last character, white space after it left out (it had
// one caret, as if it were one character long); a span that ends with its
// first line's newline has no note.
func TestSnippetMultiLine(t *testing.T) {
	cases := []struct {
		name, src, span, want string
	}{
		{"two lines", "fn f() -> bool = 1 +\n  \"a\"\n", "1 +\n  \"a\"",
			" 1 | fn f() -> bool = 1 +\n   |                  ^^^ …to line 2:5\n"},
		{"trailing blanks", "x = if c {  \n  1\n} else {\n  \"é\" }\n", "if c {  \n  1\n} else {\n  \"é\" }",
			" 1 | x = if c {  \n   |     ^^^^^^ …to line 4:8\n"},
		{"ends with its newline", "x = bad\ny\n", "bad\n",
			" 1 | x = bad\n   |     ^^^\n"},
		{"last line's blanks", "x = a +\n  b\n\n", "a +\n  b\n\n",
			" 1 | x = a +\n   |     ^^^ …to line 2:3\n"},
	}
	for _, c := range cases {
		f := lang.NewFile("p.rpl", []byte(c.src))
		at := strings.Index(c.src, c.span)
		d := &lang.Diagnostic{File: f, Span: lang.Span{Start: lang.Pos(at), End: lang.Pos(at + len(c.span))}, Severity: lang.SevError, Code: lang.CodeUndefined, Message: "m"}
		var b strings.Builder
		lang.PrintSnippet(&b, d, lang.Style{})
		_, got, _ := strings.Cut(b.String(), "\n")
		if got != c.want {
			t.Errorf("%s:\n%s\nwant\n%s", c.name, got, c.want)
		}
	}
}

// TestBOMColumns: a byte order mark starting a file is skipped
// (language.md §2.1), by columns too, as editors hide it: the first line's
// columns, its snippet and Offset do not count its three bytes (an error
// at the 1 of "package 1" was at 1:12, the caret three columns right).
func TestBOMColumns(t *testing.T) {
	src := "\uFEFFpackage 1\nx\n"
	f := lang.NewFile("b.rpl", []byte(src))
	at := lang.Pos(strings.Index(src, "1"))
	if p := f.Position(at); p.Line != 1 || p.Col != 9 {
		t.Errorf("position of 1: %d:%d, want 1:9", p.Line, p.Col)
	}
	if got := f.Offset(1, 9); got != at {
		t.Errorf("Offset(1, 9) = %d, want %d", got, at)
	}
	if p := f.Position(lang.Pos(strings.Index(src, "x"))); p.Line != 2 || p.Col != 1 {
		t.Errorf("position of x: %d:%d, want 2:1", p.Line, p.Col)
	}
	if got := f.Line(1); got != "package 1" {
		t.Errorf("Line(1) = %q", got)
	}
	d := &lang.Diagnostic{File: f, Span: lang.Span{Start: at, End: at + 1}, Severity: lang.SevError, Code: lang.CodeSyntax, Message: "m"}
	var b strings.Builder
	lang.PrintSnippet(&b, d, lang.Style{})
	if want := "b.rpl:1:9: error[RPL100]: m\n 1 | package 1\n   |         ^\n"; b.String() != want {
		t.Errorf("snippet:\n%s\nwant\n%s", b.String(), want)
	}
}

// TestMessageControlCharacters: a message quoting a source's bytes (an
// import path), and a file's name, show their control characters as
// U+FFFD, as the snippet does; they reached the terminal, which acted on
// them.
func TestMessageControlCharacters(t *testing.T) {
	f := lang.NewFile("c\x1b]0;t\x07.rpl", []byte("x\n"))
	d := &lang.Diagnostic{File: f, Span: lang.Span{Start: 0, End: 1}, Severity: lang.SevError, Code: lang.CodeImportNotFound,
		Message: "cannot load \"\x1b]0;pwned\x07lib\"", Related: []lang.Related{{File: f, Span: lang.Span{Start: 0, End: 1}, Message: "here\x1b[2J"}}}
	var b strings.Builder
	lang.PrintSnippet(&b, d, lang.Style{})
	if got := b.String(); strings.ContainsAny(got, "\x1b\x07") || !strings.Contains(got, "cannot load \"\uFFFD]0;pwned\uFFFDlib\"") || !strings.Contains(got, "here\uFFFD[2J") || !strings.HasPrefix(got, "c\uFFFD]0;t\uFFFD.rpl:1:1: ") {
		t.Errorf("snippet %q", got)
	}
}
