package lang

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"golang.org/x/tools/txtar"
)

// The -update flag rewrites goldens (testdata/parse/*.txtar) and
// spec/grammar.ebnf. It is registered only if no other test file of the
// package registered it first, so several golden tests can share it.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files and spec/grammar.ebnf")
	}
}

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// ---- AST dump ----

// dumpAST renders a node as an indented tree, one node per line with its
// span as line:col-line:col. Nil fields are omitted.
func dumpAST(f *File, n any) string {
	var b strings.Builder
	d := &dumper{f: f, w: &b}
	d.node("", n, 0)
	return b.String()
}

type dumper struct {
	f *File
	w *strings.Builder
}

var (
	posType  = reflect.TypeOf(Pos(0))
	spanType = reflect.TypeOf(Span{})
	fileType = reflect.TypeOf(&File{})
)

func (d *dumper) pos(p Pos) string {
	pp := d.f.Position(p)
	return fmt.Sprintf("%d:%d", pp.Line, pp.Col)
}

func (d *dumper) span(s Span) string { return d.pos(s.Start) + "-" + d.pos(s.End) }

func (d *dumper) node(label string, n any, depth int) {
	indent := strings.Repeat("  ", depth)
	v := reflect.ValueOf(n)
	if v.Kind() == reflect.Pointer && v.IsNil() {
		return
	}
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		v = v.Elem()
	}
	t := v.Type()
	fmt.Fprintf(d.w, "%s%s%s", indent, label, t.Name())
	if nd, ok := n.(Node); ok {
		fmt.Fprintf(d.w, " %s", d.span(nd.Span()))
	}
	// Leaves are printed on one line.
	switch x := n.(type) {
	case *Ident:
		fmt.Fprintf(d.w, " %s\n", x.Name)
		return
	case *BasicLit:
		fmt.Fprintf(d.w, " %s %s", x.Kind, x.Raw)
		if x.Kind == LitString {
			fmt.Fprintf(d.w, " value=%q", x.Value)
		}
		d.w.WriteString("\n")
		return
	case *Comment:
		fmt.Fprintf(d.w, " %q\n", x.Text)
		return
	}
	// Scalar fields first, on the node's line.
	for i := 0; i < t.NumField(); i++ {
		fv, ft := v.Field(i), t.Field(i)
		switch {
		case ft.Type == posType:
			fmt.Fprintf(d.w, " %s=%s", ft.Name, d.pos(fv.Interface().(Pos)))
		case ft.Type.Kind() == reflect.String:
			fmt.Fprintf(d.w, " %s=%q", ft.Name, fv.String())
		case ft.Type.Kind() == reflect.Bool:
			if fv.Bool() {
				fmt.Fprintf(d.w, " %s", ft.Name)
			}
		}
	}
	d.w.WriteString("\n")
	for i := 0; i < t.NumField(); i++ {
		fv, ft := v.Field(i), t.Field(i)
		switch {
		case ft.Type == posType, ft.Type == spanType, ft.Type == fileType, ft.Type.Kind() == reflect.String, ft.Type.Kind() == reflect.Bool:
		case ft.Type.Kind() == reflect.Slice:
			if fv.Len() == 0 {
				continue
			}
			fmt.Fprintf(d.w, "%s  %s:\n", indent, ft.Name)
			for j := 0; j < fv.Len(); j++ {
				d.node("- ", fv.Index(j).Interface(), depth+2)
			}
		case ft.Type.Kind() == reflect.Pointer || ft.Type.Kind() == reflect.Interface:
			if fv.IsNil() {
				continue
			}
			d.node(ft.Name+": ", fv.Interface(), depth+1)
		default:
			panic(fmt.Sprintf("dumpAST: unhandled field %s.%s of type %s", t.Name(), ft.Name, ft.Type))
		}
	}
}

// formatDiags renders diagnostics one per line, with their exact spans.
func formatDiags(l DiagList) string {
	var b strings.Builder
	for _, d := range l {
		s, e := d.Position(), d.EndPosition()
		fmt.Fprintf(&b, "%s:%d:%d-%d:%d: %s[%s]: %s\n", s.Filename, s.Line, s.Col, e.Line, e.Col, d.Severity, d.Code, d.Message)
	}
	return b.String()
}

// ---- goldens ----

// TestParseGolden parses the in.rpl of every testdata/parse/*.txtar and
// compares the AST dump and the diagnostics with out/ast and out/diags.
// go test ./lang -run TestParseGolden -update rewrites them.
func TestParseGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/parse/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no goldens in testdata/parse")
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".txtar")
		t.Run(name, func(t *testing.T) {
			ar, err := txtar.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var src []byte
			for _, f := range ar.Files {
				if f.Name == "in.rpl" {
					src = f.Data
				}
			}
			if src == nil {
				t.Fatal("no in.rpl section")
			}
			node, diags := Parse("in.rpl", src)
			got := map[string]string{
				"out/ast":   dumpAST(node.File, node),
				"out/diags": formatDiags(diags),
			}
			if updating() {
				files := []txtar.File{{Name: "in.rpl", Data: src}}
				for _, k := range []string{"out/ast", "out/diags"} {
					files = append(files, txtar.File{Name: k, Data: []byte(got[k])})
				}
				ar.Files = files
				if err := os.WriteFile(path, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			for _, k := range []string{"out/ast", "out/diags"} {
				var want []byte
				found := false
				for _, f := range ar.Files {
					if f.Name == k {
						want, found = f.Data, true
					}
				}
				if !found {
					t.Errorf("missing section %s (run with -update)", k)
					continue
				}
				if string(want) != got[k] {
					t.Errorf("%s differs (run with -update to accept):\n%s", k, lineDiff(string(want), got[k]))
				}
			}
		})
	}
}

// lineDiff is a small line-oriented diff for test failures.
func lineDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	n := max(len(wl), len(gl))
	shown := 0
	for i := 0; i < n && shown < 40; i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			fmt.Fprintf(&b, "line %d:\n  want: %s\n  got:  %s\n", i+1, w, g)
			shown++
		}
	}
	return b.String()
}

// ---- error recovery ----

func TestRecoveryReportsEveryBrokenDecl(t *testing.T) {
	src := `package p

const good1 = 1

const bad1 = (1 +

fn good2(x: int) -> int = x * 2

fn header_kept(a: int, b: string) -> bool {
  let = 3
}

type T = {a: int,, b: int}

test "good3" {
  expect good2(1) == 2
}

fn bad3( -> int = 1

const good4 = [1, 2, 3]
`
	node, diags := Parse("r.rpl", []byte(src))
	// One error per broken declaration, in order, at the offending token.
	wantErrs := []struct {
		line, col int
		sub       string
	}{
		{5, 18, "unexpected end of declaration"}, // const bad1: the operand is missing
		{10, 7, `unexpected "="`},                // let without a name
		{13, 18, `unexpected ","`},               // doubled comma in a record type
		{19, 10, `unexpected "->"`},              // missing ')'
	}
	if len(diags) != len(wantErrs) {
		t.Fatalf("got %d diagnostics, want %d:\n%s", len(diags), len(wantErrs), formatDiags(diags))
	}
	for i, w := range wantErrs {
		d := diags[i]
		p := d.Position()
		if d.Code != CodeSyntax || p.Line != w.line || p.Col != w.col || !strings.Contains(d.Message, w.sub) {
			t.Errorf("diag %d = %s [%s], want %d:%d %q", i, d.Error(), d.Code, w.line, w.col, w.sub)
		}
	}
	var got []string
	for _, d := range node.Decls {
		switch d := d.(type) {
		case *ConstDecl:
			s := "const " + d.Name.Name
			if _, bad := d.Value.(*BadExpr); bad {
				s += " (bad value)"
			}
			got = append(got, s)
		case *FuncDecl:
			s := "fn " + d.Name.Name
			if _, bad := d.Body.(*BadExpr); bad {
				s += " (bad body)"
			}
			got = append(got, s)
		case *TestDecl:
			got = append(got, "test "+d.Name.Value)
		case *TypeDecl:
			s := "type " + d.Name.Name
			if _, bad := d.Type.(*BadType); bad {
				s += " (bad type)"
			}
			got = append(got, s)
		case *BadDecl:
			got = append(got, "bad "+strings.Fields(src[d.Sp.Start:d.Sp.End])[0])
		}
	}
	want := []string{"const good1", "const bad1 (bad value)", "fn good2", "fn header_kept (bad body)", "type T (bad type)", "test good3", "bad fn", "const good4"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("declarations:\n got  %s\n want %s", strings.Join(got, "; "), strings.Join(want, "; "))
	}
	if node.Package == nil || node.Package.Name.Name != "p" {
		t.Errorf("package clause lost")
	}
	fn := node.Decls[3].(*FuncDecl)
	if len(fn.Params) != 2 || fn.Params[1].Name.Name != "b" || fn.Result == nil {
		t.Errorf("header of header_kept not kept: %s", dumpAST(node.File, fn))
	}
}

// TestRecoveryUnbalancedBrackets checks that a declaration keyword at the
// start of a line ends a declaration whose brackets never closed.
func TestRecoveryUnbalancedBrackets(t *testing.T) {
	src := "package p\nfn f() -> int {\n  let x = [1, 2\n\nfn g() -> int = 1\ntest \"t\" { expect g() == 1 }\n"
	node, diags := Parse("u.rpl", []byte(src))
	if len(diags) != 1 {
		t.Fatalf("want 1 diagnostic, got:\n%s", formatDiags(diags))
	}
	if len(node.Decls) != 3 {
		t.Fatalf("want 3 declarations, got %d", len(node.Decls))
	}
	if g, ok := node.Decls[1].(*FuncDecl); !ok || g.Name.Name != "g" {
		t.Errorf("fn g lost: %T", node.Decls[1])
	}
	if _, ok := node.Decls[2].(*TestDecl); !ok {
		t.Errorf("test lost: %T", node.Decls[2])
	}
}

// ---- lexical and literal errors at exact positions ----

func TestParseErrorPositions(t *testing.T) {
	tests := []struct {
		name string
		src  string // one declaration after "package p\n"
		code Code
		at   string // line:col-line:col of the diagnostic span
		sub  string
	}{
		{"invalid char", "const a = 1 @ 2", CodeInvalidChar, "2:13-2:14", `invalid character "@"`},
		{"invalid multibyte char", "const a = 1 + é", CodeInvalidChar, "2:15-2:17", `invalid character "é"`},
		{"euro sign", "const a = 1 + €", CodeInvalidChar, "2:15-2:18", `invalid character "€"`},
		// A character that is no visible stand-alone graphic is named by
		// its code point, never drawn onto the quote or hidden, and by
		// what it is where no hint says more.
		{"combining acute", "const a = 1 + \u0301", CodeInvalidChar, "2:15-2:17", `invalid character U+0301 (a combining mark)`},
		{"combining enclosing circle", "const a = 1 + \u20dd", CodeInvalidChar, "2:15-2:18", `invalid character U+20DD (a combining mark)`},
		{"spacing combining mark", "const a = 1 + \u0903", CodeInvalidChar, "2:15-2:18", `invalid character U+0903 (a combining mark)`},
		{"zero width space", "const a = 1\u200b", CodeInvalidChar, "2:12-2:15", `invalid character U+200B (an invisible space: delete it)`},
		{"soft hyphen", "const a = 1\u00ad", CodeInvalidChar, "2:12-2:14", `invalid character U+00AD (a format character)`},
		{"right-to-left override", "const a = 1 \u202e", CodeInvalidChar, "2:13-2:16", `invalid character U+202E (a format character)`},
		{"control character", "const a = 1 \x01", CodeInvalidChar, "2:13-2:14", `invalid character U+0001 (a control character)`},
		{"escape", "const a = 1 \x1b[31m", CodeInvalidChar, "2:13-2:14", `invalid character U+001B (a control character)`},
		{"C1 control", "const a = 1 \u0085", CodeInvalidChar, "2:13-2:15", `invalid character U+0085 (a control character)`},
		{"no-break space", "const a = 1\u00a0+ 2", CodeInvalidChar, "2:12-2:14", `invalid character U+00A0 (a no-break space: write a plain space)`},
		{"ideographic space", "const a = 1\u3000+ 2", CodeInvalidChar, "2:12-2:15", `invalid character U+3000 (a space)`},
		{"line separator", "const a = 1\u2028", CodeInvalidChar, "2:12-2:15", `invalid character U+2028 (a line separator)`},
		{"paragraph separator", "const a = 1\u2029", CodeInvalidChar, "2:12-2:15", `invalid character U+2029 (a paragraph separator)`},
		{"hangul filler", "const a = 1 + \u3164", CodeInvalidChar, "2:15-2:18", `invalid character U+3164 (an invisible character)`},
		{"private use", "const a = 1 + \ue000", CodeInvalidChar, "2:15-2:18", `invalid character U+E000 (a private-use character)`},
		{"unassigned", "const a = 1 + \u0378", CodeInvalidChar, "2:15-2:17", `invalid character U+0378 (an unassigned code point)`},
		{"invalid utf8", "const a = \xff", CodeInvalidChar, "2:11-2:12", "invalid character"},
		{"invalid utf8 in a string", "const a = \"a\xffb\"", CodeInvalidChar, "2:13-2:14", `invalid character "\xff" (not UTF-8; write the byte as the escape \xff)`},
		{"invalid utf8 in a comment", "# a \xc3(\nconst a = 1", CodeInvalidChar, "2:5-2:6", `invalid character "\xc3" (not UTF-8)`},
		{"invalid utf8 in code", "const a = 1 \xff 2", CodeInvalidChar, "2:13-2:14", `invalid character "\xff" (not UTF-8)`},
		{"greek mu", "const a = 5\u03bcs", CodeInvalidChar, "2:12-2:14", `invalid character "μ" (a Greek mu: the unit is written µs, with the micro sign U+00B5, or us)`},
		{"en dash", "const a = 1 \u2013 2", CodeInvalidChar, "2:13-2:16", "(a dash: the minus is -)"},
		{"less or equal sign", "const a = 1 \u2264 2", CodeInvalidChar, "2:13-2:16", "(write <=)"},
		{"backtick", "const a = `x`", CodeInvalidChar, "2:11-2:12", "invalid character"},
		{"unterminated string", `const a = "abc`, CodeUnterminated, "2:11-2:15", "string literal not terminated"},
		{"unterminated string at newline", "const a = \"abc\nconst b = 1", CodeUnterminated, "2:11-2:15", "not terminated"},
		// A string closed on the next line is one error: the quote there
		// closes it, and opens no string of its own.
		{"string closed at the start of the next line", "const a = \"abc\n\"", CodeUnterminated, "2:11-2:15", "string literal not terminated"},
		{"string closed on the next line in a block", "fn f() -> string {\n  let s = \"abc\n  \"\n  s\n}", CodeUnterminated, "3:11-3:15", "string literal not terminated"},
		{"string closed at the end of the next line", "const a = f(\"abc\ndef\")", CodeUnterminated, "2:13-2:17", "string literal not terminated"},
		// Or on a later line, blank lines or text between: the message
		// says where its end was taken to be.
		{"string closed after a blank line", "const a = \"abc\n\n\"", CodeUnterminated, "2:11-2:15", `string literal not terminated: a string ends on its line (write a line break as \n); the quote on line 4 is taken as its end`},
		{"string closed two lines on in a block", "fn f() -> string {\n  let s = \"abc\n  def\n\n  ghi\"\n  s\n}", CodeUnterminated, "3:11-3:15", "the quote on line 6 is taken as its end"},
		// The CR of a CRLF line end is not part of the string's span.
		{"unterminated string before a CRLF", "const a = \"abc\r\nconst b = 1\r\n", CodeUnterminated, "2:11-2:15", "string literal not terminated"},
		{"string closed on the next CRLF line", "const a = \"abc\r\n\r\n  \"\r\n", CodeUnterminated, "2:11-2:15", "the quote on line 4 is taken as its end"},
		{"unknown duration unit", "const a = 5min", CodeBadLiteral, "2:11-2:15", `unknown unit "min"`},
		{"float without its exponent's digits", "const a = 1e", CodeBadLiteral, "2:11-2:13", `malformed float literal 1e: the exponent has no digits (like 1e3 or 1e-3)`},
		{"fraction without its exponent's digits", "const a = 2.5E", CodeBadLiteral, "2:11-2:15", `malformed float literal 2.5E: the exponent has no digits (like 2.5E3 or 2.5E-3)`},
		{"float with a sign but no exponent digits", "const a = 1e+", CodeBadLiteral, "2:11-2:14", `malformed float literal 1e+: the exponent has no digits (like 1e3 or 1e-3)`},
		{"fraction with a minus but no exponent digits, in a list", "const a = [2.5E-, 1]", CodeBadLiteral, "2:12-2:17", `malformed float literal 2.5E-: the exponent has no digits (like 2.5E3 or 2.5E-3)`},
		{"float with a sign but no exponent digits, a name on the next line", "fn f() -> int {\n  let a = 1e+\n  a\n}", CodeBadLiteral, "3:11-3:14", `malformed float literal 1e+: the exponent has no digits (like 1e3 or 1e-3)`},
		{"float without exponent digits minus a name", "fn f(x: int) -> float = 1e-x", CodeBadLiteral, "2:25-2:27", `malformed float literal 1e: the exponent has no digits (like 1e3 or 1e-3)`},
		{"smallest int as a literal", "const a = -9223372036854775808", CodeBadLiteral, "2:12-2:31", "integer literal 9223372036854775808 overflows int (the smallest int is written -9223372036854775807 - 1)"},
		{"money too precise", "const a = $1.0000000001", CodeBadLiteral, "2:11-2:24", "more than 9 decimal places"},
		{"money with an exponent", "const a = $0.1e3", CodeBadLiteral, "2:11-2:17", "malformed money literal $0.1e3: money takes no exponent (write $100)"},
		{"money with a signed exponent", "const a = max($1E+3, $2)", CodeBadLiteral, "2:15-2:20", "malformed money literal $1E+3: money takes no exponent (write $1000)"},
		{"money overflow", "const a = $10000000000", CodeBadLiteral, "2:11-2:23", "out of range"},
		{"money without a digit before the point", "const a = $.5", CodeBadLiteral, "2:11-2:14", "malformed money literal $.5: a digit must come before the point (write $0.5)"},
		{"negative money without a digit before the point", "const a = -$.2_5 * 2", CodeBadLiteral, "2:12-2:17", "malformed money literal $.2_5: a digit must come before the point (write $0.2_5)"},
		{"money without a digit before the point, too precise", "const a = $.1234567891", CodeBadLiteral, "2:11-2:23", "malformed money literal $.1234567891: a digit must come before the point, and money has at most 9 decimal places"},
		{"money without a digit before the point, trailing underscore", "const a = $.5_", CodeBadLiteral, "2:11-2:15", "malformed money literal $.5_: a digit must come before the point"},
		{"float without a digit before the point", "const a = .5", CodeBadLiteral, "2:11-2:13", "malformed float literal .5: a digit must come before the point (write 0.5)"},
		{"float without a digit after the point", "const a = 5.", CodeBadLiteral, "2:11-2:13", "malformed float literal 5.: a digit must follow the point (write 5.0)"},
		{"negative float without a digit after the point", "const a = -1_0. * 2", CodeBadLiteral, "2:12-2:16", "malformed float literal 1_0.: a digit must follow the point (write 1_0.0)"},
		{"money without a digit after the point", "const a = [$5., $1]", CodeBadLiteral, "2:12-2:15", "malformed money literal $5.: a digit must follow the point (write $5)"},
		{"float without a digit after the point, a name on the next line", "const a = 5.\nlimit = 3", CodeBadLiteral, "2:11-2:13", "malformed float literal 5.: a digit must follow the point (write 5.0)"},
		{"money without a digit after the point, a keyword on the next line", "fn f() -> int {\n  let a = $5.\n  type = 3\n  1\n}", CodeBadLiteral, "3:11-3:14", "malformed money literal $5.: a digit must follow the point (write $5)"},
		{"field of a name on the next line", "fn f(x: int) -> int = x.\nlimit = 3", CodeSyntax, "3:7-3:8", `unexpected "="`},
		{"field access with a number", "fn f(x: int) -> int = x.5", CodeSyntax, "2:25-2:26", "unexpected literal 5, expected a name"},
		// A keyword where a name or an operand must be is its
		// declaration's one error, at the keyword: it starts no
		// declaration of its own (which was a second error).
		{"keyword as a const's name", `const type = "chat"`, CodeSyntax, "2:7-2:11", "unexpected keyword type, expected a name"},
		{"keyword as a function's name", "fn test() -> int = 1", CodeSyntax, "2:4-2:8", "unexpected keyword test, expected a name"},
		{"keyword as a type's name", "type test = int", CodeSyntax, "2:6-2:10", "unexpected keyword test, expected a name"},
		{"keyword as an import's alias", `import "std/ab" as test`, CodeSyntax, "2:20-2:24", "unexpected keyword test, expected a name"},
		{"keyword as a parameter", "fn f(type: int) -> int = type", CodeSyntax, "2:6-2:10", `unexpected keyword type, expected a parameter name or ")"`},
		{"keyword as an operand", "fn f(x: int) -> bool = x > 1 && test", CodeSyntax, "2:33-2:37", "unexpected keyword test, expected an expression"},
		{"declaration as a value", `const a = fn g() -> int = 1`, CodeSyntax, "2:11-2:13", "unexpected keyword fn, expected an expression"},
		{"point then a number after a space", "const a = 5 .5", CodeSyntax, "2:14-2:15", "unexpected literal 5, expected a name"},
		{"duration without a digit before the point", "const a = .5s", CodeBadLiteral, "2:11-2:14", "malformed duration literal .5s: a digit must come before the point (write 0.5s)"},
		{"float with an exponent without a digit before the point", "const a = 1 + .5e3", CodeBadLiteral, "2:15-2:19", "malformed float literal .5e3: a digit must come before the point (write 0.5e3)"},
		{"point before a duration with a fraction not last", "const a = .1h30m", CodeSyntax, "2:11-2:12", `unexpected ".", expected an expression`},
		{"point where a type goes", "fn f(x: .5) -> int = 1", CodeSyntax, "2:9-2:10", `unexpected ".", expected a type`},
		{"dollar before a point alone", "const a = $.", CodeInvalidChar, "2:11-2:12", `invalid character "$"`},
		{"int overflow", "const a = 9223372036854775808", CodeBadLiteral, "2:11-2:30", "overflows int"},
		{"hex without digits", "const a = 0x", CodeBadLiteral, "2:11-2:13", "malformed integer"},
		{"double underscore", "const a = 1__000", CodeBadLiteral, "2:11-2:17", "malformed integer"},
		{"float overflow", "const a = 1e400", CodeBadLiteral, "2:11-2:16", "float literal 1e400 out of range"},
		{"duration overflow", "const a = 300000000000h", CodeBadLiteral, "2:11-2:24", "overflows"},
		{"unknown escape", `const a = "a\qb"`, CodeBadEscape, "2:13-2:15", `unknown escape sequence \q (a backslash is written \\ in a string: write \\q)`},
		{"regular expression's escape", `const a = "^gpt-\d+"`, CodeBadEscape, "2:17-2:19", `unknown escape sequence \d (a backslash is written \\ in a string: write \\d for a regular expression's \d)`},
		{"escaped point", `const a = "a\.b"`, CodeBadEscape, "2:13-2:15", `write \\. for a regular expression's \.`},
		{"backslash before a letter of two bytes", `const a = "x\éy"`, CodeBadEscape, "2:13-2:16", `unknown escape sequence \é (a backslash is written \\ in a string: write \\é)`},
		{"short hex escape", `const a = "\x4"`, CodeBadEscape, "2:12-2:15", `malformed escape sequence \x4: \x takes 2 hex digits (\x00 to \xff)`},
		{"hex escape without its digits", `const a = "\x"`, CodeBadEscape, "2:12-2:14", `malformed escape sequence \x: \x takes 2 hex digits`},
		{"hex escape of no hex digit", `const a = "\xg0"`, CodeBadEscape, "2:12-2:16", `malformed escape sequence \xg0: \x takes 2 hex digits`},
		{"short \\u escape", `const a = "\u12"`, CodeBadEscape, "2:12-2:16", `malformed escape sequence \u12: \u takes 4 hex digits (\u00e9)`},
		{"short \\U escape", `const a = "a\U1F600"`, CodeBadEscape, "2:13-2:20", `malformed escape sequence \U1F600: \U takes 8 hex digits (\U0001F600)`},
		{"octal escape above a byte", `const a = "x\400y"`, CodeBadEscape, "2:13-2:17", `octal escape \400 is above \377, the largest byte`},
		{"short octal escape", `const a = "\08"`, CodeBadEscape, "2:12-2:15", `octal escape \08 needs three octal digits (\000 to \377)`},
		{"surrogate escape", `const a = "\uD800"`, CodeBadEscape, "2:12-2:18", `\uD800 is not a Unicode code point (a surrogate, or above \U0010FFFF)`},
		{"braced escape above U+FFFF", `const a = "x\u{1F600}y"`, CodeBadEscape, "2:13-2:22", `\u{1F600} is not an escape: \u takes 4 hex digits, \U 8, without braces (write \U0001F600)`},
		{"braced escape below U+10000", `const a = "\u{e9}"`, CodeBadEscape, "2:12-2:18", `\u{e9} is not an escape: \u takes 4 hex digits, \U 8, without braces (write \u00E9)`},
		{"braced \\U escape", `const a = "\U{1F600}"`, CodeBadEscape, "2:12-2:21", `\U{1F600} is not an escape: \u takes 4 hex digits, \U 8, without braces (write \U0001F600)`},
		{"braced escape of no code point", `const a = "\u{110000}"`, CodeBadEscape, "2:12-2:22", `\u{110000} is not an escape: \u takes 4 hex digits, \U 8, without braces`},
		{"braced escape without its brace", `const a = "\u{1F600"`, CodeBadEscape, "2:12-2:15", `\u{ is not an escape: \u takes 4 hex digits, \U 8, without braces`},
		{"bad escape in import", `import "a\z"`, CodeBadEscape, "2:10-2:12", `\z`},
		{"misplaced import", "const a = 1\nimport \"x\"", CodeMisplacedDecl, "3:1-3:11", "import must come before"},
		{"misplaced package", "const a = 1\npackage q", CodeMisplacedDecl, "3:1-3:10", "package clause must come first"},
		{"second extends", "extends \"a\"\nextends \"b\"", CodeMisplacedDecl, "3:1-3:12", "extends must come once"},
		{"let without name", "fn f() -> int { let = 1 }", CodeSyntax, "2:21-2:22", `unexpected "="`},
		{"expect without condition", `test "t" { expect }`, CodeSyntax, "2:19-2:20", `unexpected "}"`},
		{"return without value", "fn f() -> int { return }", CodeSyntax, "2:24-2:25", `unexpected "}"`},
		{"selector after if", "fn f(c: bool) -> string = if c { \"A\" } else { \"B\" }.lower()", CodeSyntax, "2:52-2:53", `unexpected ".": an if, match or block takes no postfix (parenthesise it: (if c { a } else { b }).f())`},
		{"selector after match", "fn f(x: int) -> int = match x { _ => [1] }.len()", CodeSyntax, "2:43-2:44", `an if, match or block takes no postfix`},
		{"= in a condition", "fn f(x: int) -> int = if x = 1 { 1 } else { 2 }", CodeSyntax, "2:28-2:29", `unexpected "=", expected "{" (to compare, write ==)`},
		{"= after an expect's condition", "test \"t\" {\n  let d = 1\n  expect d = 1\n}", CodeSyntax, "4:12-4:13", `unexpected "=", expected "}" (to compare, write ==)`},
		{"= after a test name", `test "t" = { expect true }`, CodeSyntax, "2:10-2:11", `unexpected "=", expected "{"`},
		{"===", "fn f(x: int) -> bool = x === 1", CodeSyntax, "2:28-2:29", `unexpected "=", expected an expression (write ==)`},
		{"!==", "fn f(x: int) -> bool = x !== 1", CodeSyntax, "2:28-2:29", `(write !=)`},
		{":=", "fn f() -> int { let x := 1; x }", CodeSyntax, "2:24-2:25", `unexpected "=", expected a type (a let binds with =: let x = …; a : before it gives the type, let x: int = …)`},
		{"elif", "fn f(x: int) -> int = if x > 1 { 1 } elif x > 0 { 2 } else { 3 }", CodeSyntax, "2:38-2:42", `unexpected name elif (RPL has no elif: write else if)`},
		{"elif in a block", "fn f(x: int) -> int {\n  if x > 1 { 1 } elif x > 0 { 2 } else { 3 }\n}", CodeSyntax, "3:35-3:39", `unexpected keyword else, expected "}" (RPL has no elif: write else if)`},
		{"assignment", "fn f() -> int {\n  let y = 1\n  y = 2\n  y\n}", CodeSyntax, "4:5-4:6", `unexpected "=", expected "}" (RPL has no assignment: bind a new name with let y2 = …)`},
		{"compound assignment", "fn f(n: int) -> int {\n  let x = n\n  x += 1\n  x\n}", CodeSyntax, "4:5-4:7", `unexpected "+=" (RPL has no assignment: bind a new name with let x2 = x + …)`},
		{"assignment beside its new name", "fn f() -> int {\n  let y = 1\n  let y2 = 2\n  y = y2\n  y\n}", CodeSyntax, "5:5-5:6", `unexpected "=", expected "}" (RPL has no assignment: bind a new name with let y3 = …)`},
		{"compound assignment beside its new names", "fn f(x2: int) -> int {\n  let x = x2\n  if x > 0 {\n    x += 1\n  }\n  x2 + x3\n}\nconst x3 = 1", CodeSyntax, "5:7-5:9", `unexpected "+=" (RPL has no assignment: bind a new name with let x4 = x + …)`},
		{"compound subtraction", "fn f(n: int) -> int {\n  n -= 1\n  n\n}", CodeSyntax, "3:5-3:7", `unexpected "-=" (RPL has no assignment: bind a new name with let n2 = n - …)`},
		{"compound multiplication", "fn f(n: int) -> int {\n  n *= 2; n\n}", CodeSyntax, "3:5-3:7", `unexpected "*=" (RPL has no assignment: bind a new name with let n2 = n * …)`},
		{"compound division", "fn f(n: int) -> int {\n  n /= 2\n  n\n}", CodeSyntax, "3:5-3:7", `unexpected "/=" (RPL has no assignment: bind a new name with let n2 = n / …)`},
		{"compound remainder", "fn f(n: int) -> int {\n  n %= 2\n  n\n}", CodeSyntax, "3:5-3:7", `unexpected "%=" (RPL has no assignment: bind a new name with let n2 = n % …)`},
		{"compound assignment in an argument", "fn f(n: int) -> int = f(n += 1)", CodeSyntax, "2:27-2:29", `unexpected "+=" (RPL has no assignment: bind a new name with let n2 = n + …)`},
		{"compound assignment before a malformed literal", "fn f(n: int) -> int {\n  n += 1\n  n + 1__0\n}", CodeSyntax, "3:5-3:7", `unexpected "+="`}, // one error per broken declaration
		{"compound assignment to a field", "fn f(r: Request) -> int {\n  r.x += 2\n  1\n}", CodeSyntax, "3:8-3:9", `unexpected "=", expected an expression`},
		{"plus then =", "fn f(n: int) -> int {\n  n + = 1\n  n\n}", CodeSyntax, "3:7-3:8", `unexpected "=", expected an expression`},
		{"assignment to a field", "fn f(r: Request) -> int {\n  r.x = 2\n  1\n}", CodeSyntax, "3:7-3:8", `unexpected "=", expected "}"`},
		{"and", "fn f(a: bool, b: bool) -> bool = a and b", CodeSyntax, "2:36-2:39", `unexpected name and (write &&)`},
		{"or", "fn f(a: bool, b: bool) -> bool = a or b", CodeSyntax, "2:36-2:38", `unexpected name or (write ||)`},
		{"lone carriage return", "const a = 1\r", CodeInvalidChar, "2:12-2:13", `invalid character U+000D (a carriage return without a line feed: lines end with \n or \r\n)`},
		{"lone carriage return in a comment", "# a\rconst a = 1", CodeInvalidChar, "2:4-2:5", `invalid character U+000D (a carriage return without a line feed: lines end with \n or \r\n)`},
		{"lone carriage return in a string", "const a = \"a\rb\"", CodeInvalidChar, "2:13-2:14", `invalid character U+000D (a carriage return without a line feed`},
		{"single ampersand", "fn f(a: bool, b: bool) -> bool = a & b", CodeInvalidChar, "2:36-2:37", `invalid character "&" (the logical and is &&)`},
		{"single bar", "fn f(a: bool, b: bool) -> bool = a | b", CodeSyntax, "2:36-2:37", `unexpected "|" (write ||)`},
		{"caret", "fn f(a: int) -> int = a ^ 2", CodeInvalidChar, "2:25-2:26", `invalid character "^" (RPL has no bitwise or power operator)`},
		{"single quotes", "const a = 'x'", CodeInvalidChar, "2:11-2:12", `invalid character "'" (strings are written between double quotes ")`},
		{"chained comparison", "const a = 1 < 2 < 3", CodeSyntax, "2:17-2:18", `unexpected "<": comparisons do not chain (join two with &&, a < b && b < c, or parenthesise one)`},
		{"chained in", `const a = "x" not in "xy" == false`, CodeSyntax, "2:27-2:29", `unexpected "==": comparisons do not chain`},
		{"chained before in", `const a = 1 == 1 in [true]`, CodeSyntax, "2:18-2:20", `unexpected keyword in: comparisons do not chain`},
		{"chained before not in", `const a = 1 == 1 not in [true]`, CodeSyntax, "2:18-2:21", `unexpected keyword not: comparisons do not chain`},
		{"missing operand", "const a = 1 +", CodeSyntax, "2:14-2:14", "unexpected end of declaration"},
		{"keyword as name", "const if = 1", CodeSyntax, "2:7-2:9", "unexpected keyword if"},
		{"guard then missing arrow", "fn f(x: int) -> int = match x { 1 if x > 0 2 }", CodeSyntax, "2:44-2:45", "unexpected literal 2"},
		{"stray token after decl", "const a = 1 )", CodeSyntax, "2:13-2:14", `unexpected ")"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := Parse("e.rpl", []byte("package p\n"+tt.src))
			if len(diags) != 1 {
				t.Fatalf("want exactly one diagnostic, got:\n%s", formatDiags(diags))
			}
			d := diags[0]
			s, e := d.Position(), d.EndPosition()
			at := fmt.Sprintf("%d:%d-%d:%d", s.Line, s.Col, e.Line, e.Col)
			if d.Code != tt.code || at != tt.at || !strings.Contains(d.Message, tt.sub) {
				t.Errorf("got %s %s %q, want %s %s containing %q", d.Code, at, d.Message, tt.code, tt.at, tt.sub)
			}
		})
	}
}

// TestUnterminatedStringsOnTwoLines: a quote on the line after an
// unterminated string, code before and after it, opens a string of its
// own, which is reported too.
func TestUnterminatedStringsOnTwoLines(t *testing.T) {
	_, diags := Parse("e.rpl", []byte("package p\nfn f() -> string {\n  let a = \"x\n  let b = \"y\n  a\n}\n"))
	var at []string
	for _, d := range diags {
		if d.Code == CodeUnterminated {
			at = append(at, d.Position().String())
		}
	}
	if len(diags) != 2 || strings.Join(at, " ") != "e.rpl:3:11 e.rpl:4:11" {
		t.Errorf("want RPL102 at 3:11 and 4:11 only, got:\n%s", formatDiags(diags))
	}
}

// TestUnterminatedStringClosingQuoteRelated: the quote on a later line
// taken as an open string's end is a related location of the error, so an
// editor goes to it; the message named its line only.
func TestUnterminatedStringClosingQuoteRelated(t *testing.T) {
	for _, src := range []string{
		"package p\nconst a = \"abc\n\n  def\"\n",
		"package p\r\nconst a = \"abc\r\n\r\n  def\"\r\n",
		"package p\nfn f() -> string {\n  let s = \"abc\n  \"\n  s\n}\n",
	} {
		n, diags := Parse("e.rpl", []byte(src))
		f := n.File
		quote := Pos(strings.LastIndexByte(src, '"'))
		if len(diags) != 1 || diags[0].Code != CodeUnterminated {
			t.Fatalf("%q: want one RPL102, got:\n%s", src, formatDiags(diags))
		}
		d := diags[0]
		if len(d.Related) != 1 || d.Related[0].File != f || d.Related[0].Span != (Span{quote, quote + 1}) || d.Related[0].Message != "the quote taken as the string's end" {
			t.Errorf("%q: related %+v, want the quote at %s", src, d.Related, f.Position(quote))
		}
		if want := fmt.Sprintf("the quote on line %d is taken as its end", f.Position(quote).Line); !strings.Contains(d.Message, want) {
			t.Errorf("%q: message %q, want it to say %q", src, d.Message, want)
		}
	}
	// A string left open with no quote after it has nothing related.
	if _, diags := Parse("e.rpl", []byte("package p\nconst a = \"abc\nconst b = 1\n")); len(diags) != 1 || len(diags[0].Related) != 0 {
		t.Errorf("want one RPL102 with no related location, got:\n%s", formatDiags(diags))
	}
}

// TestUTF16File: a file saved as UTF-16 is one error at its start that
// says so, not an error for each NUL byte, CR and byte order mark that
// reading it as UTF-8 finds.
func TestUTF16File(t *testing.T) {
	const text = "package p\r\n\r\nfn route(r: Request) -> Decision = to(\"a:b\") # \u00e9\r\n"
	le := func(bom bool) []byte {
		var b []byte
		if bom {
			b = []byte{0xff, 0xfe}
		}
		for _, u := range utf16.Encode([]rune(text)) {
			b = append(b, byte(u), byte(u>>8))
		}
		return b
	}
	be := func(bom bool) []byte {
		var b []byte
		if bom {
			b = []byte{0xfe, 0xff}
		}
		for _, u := range utf16.Encode([]rune(text)) {
			b = append(b, byte(u>>8), byte(u))
		}
		return b
	}
	for _, c := range []struct {
		name, want string
		src        []byte
	}{
		{"little-endian with its mark", `invalid character "\xff\xfe": the file is UTF-16 (it starts with UTF-16's byte order mark): RPL source is UTF-8, save it as UTF-8`, le(true)},
		{"big-endian with its mark", `invalid character "\xfe\xff": the file is UTF-16 (it starts with UTF-16's byte order mark): RPL source is UTF-8, save it as UTF-8`, be(true)},
		{"little-endian", `invalid character "p\x00": the file is UTF-16 (a NUL byte beside each ASCII character): RPL source is UTF-8, save it as UTF-8`, le(false)},
		{"big-endian", `invalid character "\x00p": the file is UTF-16 (a NUL byte beside each ASCII character): RPL source is UTF-8, save it as UTF-8`, be(false)},
	} {
		_, diags := Parse("u.rpl", c.src)
		if len(diags) != 1 || diags[0].Code != CodeInvalidChar || diags[0].Span != (Span{0, 2}) || diags[0].Message != c.want {
			t.Errorf("%s: got\n%s\nwant one RPL101 at 0-2: %s", c.name, formatDiags(diags), c.want)
		}
	}
	// A UTF-8 file is read as one, its first character aside.
	if _, diags := Parse("u.rpl", []byte(text)); len(diags) != 0 {
		t.Errorf("UTF-8: %s", formatDiags(diags))
	}
}

// TestSmallestIntHint checks that the message of an int literal that
// overflows says how to write the smallest int only when a unary minus
// makes it that int's magnitude negated (language.md §2.5): without the
// minus, or with a binary one, 9223372036854775808 is just too large.
func TestSmallestIntHint(t *testing.T) {
	const hint = " (the smallest int is written -9223372036854775807 - 1)"
	tests := []struct{ src, want string }{
		{"const a = -9223372036854775808", "integer literal 9223372036854775808 overflows int" + hint},
		{"const a = -9_223_372_036_854_775_808", "integer literal 9_223_372_036_854_775_808 overflows int" + hint},
		{"const a = -0x8000000000000000", "integer literal 0x8000000000000000 overflows int" + hint},
		{"const a = -09223372036854775808", "integer literal 09223372036854775808 overflows int" + hint},
		{"const a = 9223372036854775808", "integer literal 9223372036854775808 overflows int"},
		{"const a = 0x8000000000000000", "integer literal 0x8000000000000000 overflows int"},
		{"const a = 1 - 9223372036854775808", "integer literal 9223372036854775808 overflows int"},
		{"const a = -9223372036854775809", "integer literal 9223372036854775809 overflows int"},
	}
	for _, tt := range tests {
		_, diags := Parse("e.rpl", []byte("package p\n"+tt.src))
		if len(diags) != 1 || diags[0].Message != tt.want {
			t.Errorf("%s: got\n%s\nwant %q", tt.src, formatDiags(diags), tt.want)
		}
	}
}

// TestParseDeepNesting checks that pathological nesting is an error, not
// a stack overflow.
func TestParseDeepNesting(t *testing.T) {
	for _, src := range []string{
		"package p\nconst a = " + strings.Repeat("(", 100_000) + "1" + strings.Repeat(")", 100_000),
		"package p\nconst a = " + strings.Repeat("-", 100_000) + "1",
		"package p\nconst a = " + strings.Repeat("[", 100_000),
		"package p\ntype T = " + strings.Repeat("list[", 100_000) + "int" + strings.Repeat("]", 100_000),
		"package p\nfn f() " + strings.Repeat("{", 100_000),
	} {
		_, diags := Parse("deep.rpl", []byte(src))
		if len(diags) != 1 || !strings.Contains(diags[0].Message, "nesting deeper than") {
			t.Errorf("%.40q...: want one nesting error, got:\n%s", src, formatDiags(diags))
		}
	}
	// Deep but reasonable nesting parses.
	src := "package p\nconst a = " + strings.Repeat("(", 100) + "1" + strings.Repeat(")", 100)
	if _, diags := Parse("ok.rpl", []byte(src)); len(diags) != 0 {
		t.Errorf("100 parentheses:\n%s", formatDiags(diags))
	}
	// 500 levels parse, 501 do not (diagnostics.md: "nested deeper than
	// 500 levels"), of each kind, in an expression of a statement too.
	for _, form := range []struct{ name, open, mid, close, pre string }{
		{"parentheses", "(", "1", ")", "const a = "},
		{"lists", "[", "1", "]", "const a = "},
		{"unary minus", "-", "x", "", "const a = "},
		{"list types", "list[", "int", "]", "type T = "},
		{"blocks", "{", "1", "}", "fn f() -> int {\n  "},
	} {
		for _, n := range []int{500, 501} {
			src := "package p\n" + form.pre + strings.Repeat(form.open, n) + form.mid + strings.Repeat(form.close, n)
			if strings.HasPrefix(form.pre, "fn") {
				src += "\n}"
			}
			_, diags := Parse("deep.rpl", []byte(src))
			failed := len(diags) == 1 && strings.Contains(diags[0].Message, "nesting deeper than 500 levels")
			if n == 500 && len(diags) != 0 || n == 501 && !failed {
				t.Errorf("%d %s: got\n%s", n, form.name, formatDiags(diags))
			}
		}
	}
}

// TestParseValidForms checks that a few forms parse without diagnostics
// (the goldens show their trees).
func TestParseValidForms(t *testing.T) {
	for _, src := range []string{
		"",
		"# only a comment",
		"package p",
		"package p;",
		"package p\nimport \"std/ab\" as x; import \"../common\"\nextends \"../org/policy\"",
		"package p\nconst a = [1, 2,]\nconst b = {x: 1,}\nconst c = {}\nconst d: map[string, int] = {\"a\": 1}",
		"package p\nfn f(a: int, b: int,) -> int = a",
		"package p\nfn f(xs: list[int]) -> bool = xs.any(x => x > 1) && xs.all((x) => x < 9)",
		"package p\nfn f(m: map[string, int]) -> list[string] = m.keys().sort_by((a, b) => a < b)",
		"package p\nfn f(x: int) -> int = match x { 1 | 2 => 1, _ if x > 10 => 2, _ => 3 }",
		"package p\nfn f(x: int) -> int = match x { -1 => 0 _ => 1 }",
		"package p\nfn f(b: bool) -> int = match b { true => 1, _ if b => 2, _ => 3 }",
		"package p\nfn f(x: int) -> bool = x not in [1, 2] || x in [3] && !(x == 4)",
		"package p\nfn f(x: int?) -> int = x ?? 0",
		"package p\nfn f(r: Request) -> Decision { to(\"a\").fallback(\"b\", on: [timeout, http_5xx], retries: 2).tag(\"exp\", \"x\") }",
		"package p\nfn f(r: Request) -> string = r.task.type",
		"package p\nconst r = {type: \"chat\", if: 1, none: 2}",
		"package p\ntype T = {type: string, opt: int?, f: fn(int, string) -> list[map[string, ab.Arm]]}",
		"package p\nfn f() -> int { let x: int = 1; let y = { let z = x; z + 1 }; y }",
		"package p\nfn f(x: int) -> int { if x > 1 { return 1 } else if x > 0 { 2 } else { 3 } }",
		"package p\nfn route(r: Request) -> Decision = super.route(r)",
		"package p\nconst d = [250ms, 10m, 1h30m, 1.5s, 2d, 3µs, 4us, 5ns]\nconst m = [$0.0025, $12.50, -$1, $1_000.000000001]",
		"package p\nconst n = [8_000, 0xff, 0.5, 1e3, 1.5e-3, -7]",
		"package p\nconst s = \"tab\\t quote\\\" nl\\n \\u00e9 \\x41\"",
		"package p\ntest \"t\" { expect 1 == 1, \"one is one\"; expect true }",
		"package p\nfn f() -> int {}",
		"package p\nfn f(x: int) -> int = (x)",
		"package p\nconst a = -(1) - -2",
		"package p\nconst a = 5.\n  abs()\nconst b = [1]\n  .map(x => x * 2)\nconst c = 5.abs()",
	} {
		_, diags := Parse("v.rpl", []byte(src))
		if len(diags) != 0 {
			t.Errorf("%q:\n%s", src, formatDiags(diags))
		}
	}
}

// ---- spec/diagnostics.md examples of parse-level codes ----

type specExample struct {
	code   Code
	title  string
	line   int // line of the example block in diagnostics.md
	src    string
	marks  map[int]specMark // by line of src
	hasMrk bool
}

type specMark struct {
	sev Severity
	sub string
}

var (
	specHeadingRx = regexp.MustCompile(`^## (RPL\d{3}) — (.+)$`)
	specMarkRx    = regexp.MustCompile(`#\s*(ERROR|WARNING|INFO)\s+"((?:[^"\\]|\\.)*)"\s*$`)
)

// readSpecExamples extracts, per code section of spec/diagnostics.md, the
// first ```rpl block and its # ERROR/# WARNING/# INFO markers.
func readSpecExamples(t *testing.T) []*specExample {
	t.Helper()
	data, err := os.ReadFile("../spec/diagnostics.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []*specExample
	var cur *specExample
	inBlock := false
	var buf []string
	for i, line := range strings.Split(string(data), "\n") {
		if m := specHeadingRx.FindStringSubmatch(line); m != nil {
			cur = &specExample{code: Code(m[1]), title: m[2], marks: map[int]specMark{}}
			out = append(out, cur)
			continue
		}
		switch {
		case !inBlock && line == "```rpl" && cur != nil && cur.src == "":
			inBlock, buf, cur.line = true, nil, i+1
		case inBlock && line == "```":
			inBlock = false
			cur.src = strings.Join(buf, "\n") + "\n"
			for j, l := range buf {
				if m := specMarkRx.FindStringSubmatch(l); m != nil {
					sev := SevError
					switch m[1] {
					case "WARNING":
						sev = SevWarning
					case "INFO":
						sev = SevInfo
					}
					text, err := strconv.Unquote(`"` + m[2] + `"`)
					if err != nil {
						t.Errorf("diagnostics.md:%d: bad marker %s", cur.line+j+1, m[0])
					}
					cur.marks[j+1] = specMark{sev, text}
				}
			}
		case inBlock:
			buf = append(buf, line)
		}
	}
	return out
}

// TestSpecDiagnosticsCatalogue checks that spec/diagnostics.md has one
// section per code, in the order of Codes, each with a marked example but
// RPL900's, RPL217's (a JSON file's), RPL218's (a directory's), RPL221's
// (a catalogue's: TestCatalogueTargets), RPL320's (TestMapLiteralSize) and
// RPL322's (rplc's TestCheckStackTooDeep).
func TestSpecDiagnosticsCatalogue(t *testing.T) {
	exs := readSpecExamples(t)
	var got, want []string
	for _, e := range exs {
		got = append(got, string(e.code))
		noExample := e.code == CodeTooMany || e.code == CodeTreeData || e.code == CodeNoFiles || e.code == CodeNotInCatalogue || e.code == CodeLiteralSize || e.code == CodeMachineLimit
		if e.src == "" || len(e.marks) == 0 {
			if !noExample {
				t.Errorf("%s: no example with a marker", e.code)
			}
		}
		first := e.src
		if e.code == CodeNoPolicy { // starts with === p_test.rpl: there is no p.rpl
			_, first, _ = strings.Cut(e.src, "\n")
		}
		if !strings.HasPrefix(first, "package ") && !noExample && e.code != CodeNoPackage {
			t.Errorf("%s: example must start with a package clause", e.code)
		}
	}
	for _, c := range Codes {
		want = append(want, string(c.Code))
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("sections of spec/diagnostics.md:\n got  %v\n want %v", got, want)
	}
	// Marker severity matches the catalogue.
	sev := map[Code]Severity{}
	for _, c := range Codes {
		sev[c.Code] = c.Severity
	}
	for _, e := range exs {
		for l, m := range e.marks {
			if m.sev != sev[e.code] {
				t.Errorf("%s: marker on line %d has severity %s, the code is a %s", e.code, l, m.sev, sev[e.code])
			}
		}
	}
}

// TestSpecDiagnosticsParseExamples parses the RPL1xx examples of
// spec/diagnostics.md and checks that each produces exactly the marked
// diagnostics: the code on the marked line with the marked substring.
func TestSpecDiagnosticsParseExamples(t *testing.T) {
	n := 0
	for _, e := range readSpecExamples(t) {
		if !strings.HasPrefix(string(e.code), "RPL1") {
			continue
		}
		n++
		t.Run(string(e.code), func(t *testing.T) {
			_, diags := Parse("example.rpl", []byte(e.src))
			seen := map[int]bool{}
			for _, d := range diags {
				l := d.Position().Line
				m, ok := e.marks[l]
				if !ok {
					t.Errorf("diagnostics.md:%d: unexpected %s on line %d: %s", e.line, d.Code, l, d.Message)
					continue
				}
				if d.Code != e.code || !strings.Contains(d.Message, m.sub) {
					t.Errorf("diagnostics.md:%d: line %d: got %s %q, want %s containing %q", e.line, l, d.Code, d.Message, e.code, m.sub)
				}
				seen[l] = true
			}
			for l := range e.marks {
				if !seen[l] {
					t.Errorf("diagnostics.md:%d: no diagnostic on marked line %d", e.line, l)
				}
			}
		})
	}
	if n != 6 {
		t.Errorf("found %d RPL1xx examples, want 6", n)
	}
}

// ---- fuzzing ----

// FuzzParse checks that Parse never panics or hangs, that its diagnostics
// are sorted and have valid spans inside the file, that every AST span is
// inside the file, and that the scanner and the descent agree with the
// lexer rules and the participle grammar (diffTokens, diffParsers). The
// corpus is every .rpl file of the repository, every golden input, every
// spec example and the crashers kept in testdata/fuzz/FuzzParse. An input
// takes milliseconds (the reference parser), so bound the minimization of
// new inputs, which otherwise takes up to a minute each (Makefile, fuzz):
//
//	go test ./lang -run '^$' -fuzz '^FuzzParse$' -fuzztime 5m -fuzzminimizetime 2s
func FuzzParse(f *testing.F) {
	_ = filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".rpl") {
			if data, err := os.ReadFile(path); err == nil {
				f.Add(data)
			}
		}
		return nil
	})
	goldens, _ := filepath.Glob("testdata/parse/*.txtar")
	for _, g := range goldens {
		if ar, err := txtar.ParseFile(g); err == nil {
			for _, file := range ar.Files {
				if file.Name == "in.rpl" {
					f.Add(file.Data)
				}
			}
		}
	}
	if data, err := os.ReadFile("../spec/diagnostics.md"); err == nil {
		for _, block := range strings.Split(string(data), "```rpl\n")[1:] {
			if i := strings.Index(block, "```"); i >= 0 {
				f.Add([]byte(block[:i]))
			}
		}
	}
	// Declarations with literals that the parsers read otherwise (1e+,
	// 5., left out of the comparison) among others.
	f.Add([]byte("package p\nconst a = 1e+\nconst b = [1, 2]\nfn f(x: float) -> float = x + 1e-3\nconst c = 2.5E-\nlimit = 3\nfn g() -> int = ("))
	f.Add([]byte("package p\nconst a = 5.\nconst b = [1, 2]\nfn f(x: float) -> float = x + .5e3\nconst c = $5.\nlimit = 3\nfn g() -> int = ("))
	f.Fuzz(func(t *testing.T, src []byte) {
		done := make(chan struct{})
		var node *FileNode
		var diags DiagList
		go func() {
			defer close(done)
			node, diags = Parse("fuzz.rpl", src)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("Parse hangs on %q", src)
		}
		if node == nil || node.File == nil {
			t.Fatal("nil FileNode")
		}
		if d := diffTokens(src); d != "" {
			t.Errorf("scanner differs from the lexer rules: %s", d)
		}
		if d := diffParsers(src); d != "" {
			t.Errorf("descent differs from the grammar on %q: %s", src, d)
		}
		if !sort.IsSorted(diags) {
			t.Errorf("diagnostics not sorted:\n%s", formatDiags(diags))
		}
		for _, d := range diags {
			if d.Span.Start < 0 || d.Span.End < d.Span.Start || int(d.Span.End) > len(src) {
				t.Errorf("diagnostic span %v outside the file (len %d): %s", d.Span, len(src), d.Error())
			}
			if d.Message == "" || d.Code == "" {
				t.Errorf("diagnostic without message or code: %#v", d)
			}
		}
		checkSpans(t, node, len(src))
	})
}

// checkSpans walks the AST and checks that every node's span lies within
// the file and is not inverted.
func checkSpans(t *testing.T, node *FileNode, n int) {
	t.Helper()
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			if v.IsNil() {
				return
			}
			if nd, ok := v.Interface().(Node); ok {
				sp := nd.Span()
				if sp.Start < 0 || sp.End < sp.Start || int(sp.End) > n {
					t.Errorf("%T span %v outside the file (len %d)", nd, sp, n)
				}
			}
			if v.Kind() == reflect.Pointer && v.Type() == fileType {
				return
			}
			walk(v.Elem())
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				walk(v.Field(i))
			}
		case reflect.Slice:
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i))
			}
		}
	}
	walk(reflect.ValueOf(node))
}

// ---- benchmark ----

// policy1000Rules generates a policy with 1,000 if-rules in route, plus
// helper functions and constants.
func policy1000Rules() []byte {
	var b bytes.Buffer
	b.WriteString("package bench\n\nimport \"std/cost\"\n\n")
	for i := range 50 {
		fmt.Fprintf(&b, "const tier_%d = [\"gold_%d\", \"platinum_%d\"]\nconst budget_%d = $%d.25\n", i, i, i, i, i+1)
		fmt.Fprintf(&b, "fn helper_%d(r: Request) -> bool = r.estimate.input_tokens > %d_000 && r.tenant.tier in tier_%d\n\n", i, i+1, i)
	}
	b.WriteString("# The rules.\nfn route(r: Request) -> Decision {\n")
	for i := range 1000 {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "  if helper_%d(r) && cost.month_spend(r.tenant) < budget_%d {\n    return to(\"provider_%d:model\").fallback(\"backup:model\", on: [timeout, http_5xx], retries: 2)\n  }\n", i%50, i%50, i)
		case 1:
			fmt.Fprintf(&b, "  if r.task.type == \"task_%d\" || r.metadata[\"k%d\"] == \"v\" {\n    return weighted({\"a:%d\": 70, \"b:%d\": 30}).sticky(r.session.id, ttl: %dm)\n  }\n", i, i, i, i, i%60+1)
		case 2:
			fmt.Fprintf(&b, "  if r.user.groups.any(g => g == \"group_%d\") {\n    return match r.tenant.tier {\n      \"gold\" | \"platinum\" => to(\"x:%d\").tag(\"rule\", \"%d\")\n      _ => deny(\"rule_%d\")\n    }\n  }\n", i, i, i, i)
		case 3:
			fmt.Fprintf(&b, "  if (r.constraints.max_latency ?? 10s) < %dms {\n    let t = if r.estimate.output_tokens > %d { \"big\" } else { \"small\" }\n    return to(\"fast:\" + t).priority(%d)\n  }\n", i+100, i*10, i%100)
		}
	}
	b.WriteString("  to(\"default:model\")\n}\n")
	return b.Bytes()
}

func TestPolicy1000RulesParses(t *testing.T) {
	src := policy1000Rules()
	node, diags := Parse("bench.rpl", src)
	if len(diags) != 0 {
		t.Fatalf("generated policy has errors:\n%s", formatDiags(diags))
	}
	if len(node.Decls) != 151 {
		t.Errorf("got %d declarations, want 151", len(node.Decls))
	}
}

func BenchmarkParse1000Rules(b *testing.B) {
	src := policy1000Rules()
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, diags := Parse("bench.rpl", src); len(diags) != 0 {
			b.Fatal(diags)
		}
	}
}

// ---- the descent is the grammar ----

// diffParsers parses src with the recursive descent (Parse) and with the
// participle parser generated from grammar.go, and describes the first
// difference: the trees and diagnostics must be equal when the file has no
// syntax error, and the syntax errors must be at the same places when it
// has. (With a syntax error in a declaration the descent may keep more: it
// reports literal errors found before the syntax error, and keeps function
// headers that the reference's token-level cut loses, and the names of
// constants and types whose values did not parse.)
//
// A float literal whose exponent has a sign but no digits, 1e+ where no
// operand follows the sign on its line, is one malformed literal to the
// descent and 1e then an operator to the reference (which has no
// lookahead across a line end), and a literal without a digit on one side
// of its point (5., $5., .5) a malformed literal to the descent and a
// syntax error to the reference: the declaration that holds one is left
// out of the comparison, the rest of the file compared.
func diffParsers(src []byte) string {
	got, gotDiags := Parse("d.rpl", src)
	for _, d := range gotDiags {
		if strings.Contains(d.Message, "nesting deeper than") {
			return "" // the reference has no such limit
		}
	}
	want, wantDiags := parseFile("d.rpl", src, true)
	return compareParses(src, got, gotDiags, want, wantDiags)
}

// compareParses is diffParsers' comparison of the descent's parse of src
// (got) with the reference's (want).
func compareParses(src []byte, got *FileNode, gotDiags DiagList, want *FileNode, wantDiags DiagList) string {
	var skip []Span // the declarations left out
	for _, d := range gotDiags {
		switch {
		case d.Code != CodeBadLiteral:
		case strings.Contains(d.Message, "a digit must follow the point"), strings.Contains(d.Message, "a digit must come before the point (write 0"):
			// 5., $5. or .5: a syntax error to the reference
			skip = append(skip, declAround(src, d.Span.Start))
		case strings.Contains(d.Message, "the exponent has no digits") && strings.ContainsAny(string(src[d.Span.End-1]), "+-"):
			skip = append(skip, declAround(src, d.Span.Start))
		}
	}
	kept := func(sp Span) bool {
		return !slices.ContainsFunc(skip, func(s Span) bool { return s.Start <= sp.Start && sp.Start < s.End })
	}
	keep := func(l DiagList) DiagList {
		return slices.DeleteFunc(slices.Clone(l), func(d *Diagnostic) bool { return !kept(d.Span) })
	}
	gotDiags, wantDiags = keep(gotDiags), keep(wantDiags)
	// The first syntax error of each line (Normalize drops repeated
	// messages on a line, and the messages of the two parsers differ).
	syntaxAt := func(l DiagList) string {
		var b strings.Builder
		line := 0
		for _, d := range l {
			if d.Code == CodeSyntax && d.Position().Line != line {
				line = d.Position().Line
				fmt.Fprintf(&b, "%v ", d.Span)
			}
		}
		return b.String()
	}
	if g, w := syntaxAt(gotDiags), syntaxAt(wantDiags); g != w {
		return fmt.Sprintf("syntax errors at %s, reference at %s\ndescent:\n%sreference:\n%s", g, w, formatDiags(gotDiags), formatDiags(wantDiags))
	}
	for _, d := range wantDiags {
		switch d.Code {
		case CodeSyntax, CodeInvalidChar, CodeUnterminated: // a declaration failed
			return ""
		case CodeBadLiteral:
			if pointMoney(src, d.Span.Start) > 0 { // $.5, an invalid $ to the lexer
				return ""
			}
		}
	}
	if g, w := formatDiags(gotDiags), formatDiags(wantDiags); g != w {
		return fmt.Sprintf("diagnostics differ:\ndescent:\n%sreference:\n%s", g, w)
	}
	keptDecls := func(n *FileNode) *FileNode {
		c := *n
		c.Decls = slices.DeleteFunc(slices.Clone(n.Decls), func(d Decl) bool { return !kept(d.Span()) })
		return &c
	}
	if g, w := dumpAST(got.File, keptDecls(got)), dumpAST(want.File, keptDecls(want)); g != w {
		return "trees differ:\n" + lineDiff(w, g)
	}
	return ""
}

// declAround is the span of src from the start of the top-level
// declaration (the chunk, as the parser splits the file) that holds
// offset at to the start of the next one, or past the end of src: where
// the declaration's diagnostics are, an error at its end too.
func declAround(src []byte, at Pos) Span {
	toks, _ := scan(src, false)
	sp := Span{0, Pos(len(src)) + 1}
	for _, c := range chunksOf(src, toks) {
		start := c[0].Pos.Offset
		if start > at {
			sp.End = start
			break
		}
		sp.Start = start
	}
	return sp
}

func TestDescentMatchesGrammar(t *testing.T) {
	var srcs []string
	files, _ := filepath.Glob("testdata/parse/*.txtar")
	for _, f := range files {
		ar, err := txtar.ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, string(ar.Files[0].Data))
	}
	if data, err := os.ReadFile("../spec/diagnostics.md"); err == nil {
		for _, block := range strings.Split(string(data), "```rpl\n")[1:] {
			srcs = append(srcs, block[:strings.Index(block, "```")])
		}
	}
	srcs = append(srcs, string(policy1000Rules()[:20_000]))
	srcs = append(srcs,
		"package p\nfn f() = g(a: 1, if: 2, x => x, (a, b) => a, (a), (a, b), )",
		"package p\nfn f() = m(x => y => z)",
		"package p\nfn f() = match x { a.b | -1 | $2 | \"s\" | none if c => 1, _ => {} }",
		"package p\nfn f() = {a: 1}.a + {}.b - {x}",
		"package p\nfn f() = [ , ]",
		"package p\nfn f() = (x, y) + 1",
		"package p\nfn f() = x not y",
		"package p\ntype T = fn(int,) -> int",
		"package p\ntype T = {a: int, , }",
		"package p\nfn f(,) = 1",
		"package p\nconst a = {$1: 2}",
		"package p\nconst a = {1: 2, $3: 4, true: 5, \"s\": 6}",
		"package p\nfn f() { let x = 1; ; }",
		"package p\nfn f() = if a { } else if b { } else { }",
		"package p\nfn f() = if a { } else match",
		"package p\nfn f() = super.x(super)",
		"package p\nconst a = 1 const b = 2; const c = 3 )",
		"x = 1",
		"g(x: int) -> int = x\npackage p\nconst a = 1\nh(y) = 2\ni(z: int) = (\nk",
		"package p\nfn f() = f(\"(\")",
		"package p\nfn f(n: int) -> int {\n  n -= n - 1\n  n\n}\nfn g(n: int) -> int = g(n += 1)",
		"package p\nconst a = [2.5E-, 1]\nfn f() -> int {\n  let a = 1e+\n  a\n}",
		"package p\nconst a = 1e+\nconst b = [1, 2]\nfn f(x: float) -> float = x + 1e-3\nconst c = 2.5E-\nlimit = 3\nfn g() -> int = (",
		"package p\nfn g(x: int) -> float = 1e-x", // no sign taken in: compared whole
		"package p\nconst a = f(\"abc\ndef\")\nconst b = \"abc\n\"",
	)
	for _, src := range srcs {
		if d := diffParsers([]byte(src)); d != "" {
			t.Errorf("%.80q:\n%s", src, d)
		}
	}
}

// TestCompareParsesExemptsOneDecl: a float literal whose exponent has a
// sign but no digits (1e+), or a literal without a digit on one side of
// its point (5., .5), which the two parsers read otherwise, leaves its
// declaration out of the comparison, and only it: a difference in the
// trees or the syntax errors of another declaration of the file is still
// found (the whole file was left out).
func TestCompareParsesExemptsOneDecl(t *testing.T) {
	for _, lits := range [][2]string{{"1e+", "f(1e-)"}, {"5.", "[$5., .5]"}} {
		a, c := "const a = "+lits[0]+"\n\n", "const c = "+lits[1]+"\n"
		src := []byte("package p\n\n" + a + "const b = 2\n\n" + c)
		parse := func() (*FileNode, DiagList, *FileNode, DiagList) {
			got, gotDiags := Parse("d.rpl", src)
			want, wantDiags := parseFile("d.rpl", src, true)
			return got, gotDiags, want, wantDiags
		}
		got, gotDiags, want, wantDiags := parse()
		if len(got.Decls) != 3 {
			t.Fatalf("%q: %d declarations, want 3", src, len(got.Decls))
		}
		if d := compareParses(src, got, gotDiags, want, wantDiags); d != "" {
			t.Fatalf("%q: the parses differ outside the literals: %s", src, d)
		}
		// Another value for b in the reference's tree.
		want.Decls[1].(*ConstDecl).Value.(*BasicLit).Raw = "3"
		if d := compareParses(src, got, gotDiags, want, wantDiags); !strings.HasPrefix(d, "trees differ") {
			t.Errorf("%q, b's value changed: got %q, want trees differ", src, d)
		}
		// A syntax error in b to the reference.
		got, gotDiags, want, _ = parse()
		wantDiags = append(slices.Clone(wantDiags), &Diagnostic{File: want.File, Span: got.Decls[1].Span(), Severity: SevError, Code: CodeSyntax, Message: "syntax error"})
		if d := compareParses(src, got, gotDiags, want, wantDiags.Normalize()); !strings.HasPrefix(d, "syntax errors at") {
			t.Errorf("%q, a syntax error in b: got %q, want syntax errors differ", src, d)
		}
		// Within a's and c's declarations the parsers differ, and that is
		// not reported.
		if sp := declAround(src, got.Decls[0].Span().Start); string(src[sp.Start:sp.End]) != a {
			t.Errorf("a's declaration is %q, want %q", src[sp.Start:sp.End], a)
		}
		if sp := declAround(src, got.Decls[2].Span().End-1); string(src[sp.Start:sp.End-1]) != c {
			t.Errorf("c's declaration is %q, want %q", src[sp.Start:sp.End-1], c)
		}
	}
}

// TestStrayLinesLinear: each stray line of a chunk (no keyword starts a
// line between them) is parsed once, so that what parsing such a file
// allocates grows with the file, not with its square: twice the lines,
// about twice the bytes. Half of them look like functions, half like
// constants (limit = 3), and each is a declaration of its own.
func TestStrayLinesLinear(t *testing.T) {
	alloc := func(n int) uint64 {
		var sb strings.Builder
		sb.WriteString("package p\n\nconst a = 1\n")
		for i := range n {
			fmt.Fprintf(&sb, "g%d(x: int, y: int) -> int = x + y + %d\nlimit%d = %d\n", i, i, i, i)
		}
		src := []byte(sb.String())
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		f, diags := Parse("s.rpl", src)
		runtime.ReadMemStats(&m1)
		if len(diags) == 0 || len(f.Decls) != 2*n+1 {
			t.Fatalf("%d lines: %d errors, %d declarations", 2*n, len(diags), len(f.Decls))
		}
		for i, d := range f.Decls[1:] {
			if _, ok := d.(*FuncDecl); i%2 == 0 && !ok {
				t.Fatalf("%d lines: a %T", 2*n, d)
			}
			if _, ok := d.(*ConstDecl); i%2 == 1 && !ok {
				t.Fatalf("%d lines: a %T", 2*n, d)
			}
		}
		return m1.TotalAlloc - m0.TotalAlloc
	}
	small, large := alloc(1000), alloc(2000)
	if large > 3*small {
		t.Errorf("parsing 4000 stray lines allocates %d bytes, 2000 lines %d: more than linear", large, small)
	}
}

// TestIndentedDeclarationAfterUnfinishedLine: a declaration keyword at
// the start of an indented line starts a declaration, even after a token
// that an operand must follow on the line before: "const a =" left
// unfinished is its one error, and b is declared (a use of it found),
// where the keyword was taken for a misused name, a second error.
func TestIndentedDeclarationAfterUnfinishedLine(t *testing.T) {
	for _, src := range []string{
		"package p\n\nconst a =\n  const b = 2\n",
		"package p\n\nconst a = 1 +\n  const b = 2\n",
	} {
		f, diags := Parse("p.rpl", []byte(src))
		if len(diags) != 1 {
			t.Errorf("%q: %d errors, want 1: %v", src, len(diags), diags)
		}
		found := false
		for _, d := range f.Decls {
			if c, ok := d.(*ConstDecl); ok && c.Name != nil && c.Name.Name == "b" {
				found = true
			}
		}
		if !found {
			t.Errorf("%q: const b not declared", src)
		}
	}
}

// TestUnterminatedStringsApart: a string left open, then a statement on
// a line of its own, then another quote: the quote opens a string of its
// own, unterminated too, and both are reported (the second was taken for
// the first's end, hidden until the first was mended).
func TestUnterminatedStringsApart(t *testing.T) {
	_, diags := Parse("e.rpl", []byte("package p\nfn f(x: int) -> string {\n  let a = \"abc\n  let b = x + 1\n  let c = \"\n  c\n}"))
	var got []string
	for _, d := range diags {
		got = append(got, fmt.Sprintf("%s %d:%d %s", d.Code, d.Position().Line, d.Position().Col, d.Message))
	}
	want := []string{"RPL102 3:11 string literal not terminated", "RPL102 5:11 string literal not terminated"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
