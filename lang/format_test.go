package lang

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"
)

// The -update flag rewrites the out.rpl sections of
// testdata/format/*.txtar. Other golden tests of the package share it, so
// it is registered by whichever test file comes first.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
}

func formatUpdating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// formatGoldens returns the golden archives: each has an `in.rpl` section
// and the expected `out.rpl`.
func formatGoldens(t testing.TB) []string {
	files, err := filepath.Glob(filepath.Join("testdata", "format", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no golden files in testdata/format")
	}
	return files
}

func txtarFile(a *txtar.Archive, name string) ([]byte, bool) {
	for _, f := range a.Files {
		if f.Name == name {
			return f.Data, true
		}
	}
	return nil, false
}

// TestFormat formats the in.rpl section of every golden archive and
// compares with its out.rpl section (rewritten by -update). The expected
// output must itself be formatted: formatting it again changes nothing.
func TestFormat(t *testing.T) {
	for _, file := range formatGoldens(t) {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			a, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			in, ok := txtarFile(a, "in.rpl")
			if !ok {
				t.Fatal("no in.rpl section")
			}
			got, err := FormatSource("in.rpl", in)
			if err != nil {
				t.Fatalf("FormatSource: %v", err)
			}
			checkLayout(t, got)
			if formatUpdating() {
				replaced := false
				for i := range a.Files {
					if a.Files[i].Name == "out.rpl" {
						a.Files[i].Data = got
						replaced = true
					}
				}
				if !replaced {
					a.Files = append(a.Files, txtar.File{Name: "out.rpl", Data: got})
				}
				if err := os.WriteFile(file, txtar.Format(a), 0o666); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, ok := txtarFile(a, "out.rpl")
			if !ok {
				t.Fatal("no out.rpl section (run with -update)")
			}
			if !bytes.Equal(got, want) {
				t.Errorf("formatted output differs (-want +got):\n%s", cmp.Diff(string(want), string(got)))
			}
			again, err := FormatSource("out.rpl", want)
			if err != nil {
				t.Fatalf("formatting out.rpl: %v", err)
			}
			if !bytes.Equal(again, want) {
				t.Errorf("out.rpl is not formatted (-want +got):\n%s", cmp.Diff(string(want), string(again)))
			}
		})
	}
}

// checkLayout checks properties of every formatted output: it ends with a
// single newline and has no tabs and no trailing blanks.
func checkLayout(t testing.TB, out []byte) {
	t.Helper()
	if len(out) == 0 {
		return
	}
	if !bytes.HasSuffix(out, []byte("\n")) || bytes.HasSuffix(out, []byte("\n\n")) {
		t.Errorf("output does not end with exactly one newline:\n%s", out)
	}
	for i, l := range strings.Split(string(out), "\n") {
		if strings.HasSuffix(l, " ") || strings.HasSuffix(l, "\t") {
			t.Errorf("line %d has trailing blanks: %q", i+1, l)
		}
		if strings.HasPrefix(strings.TrimLeft(l, " "), "\t") {
			t.Errorf("line %d is indented with a tab: %q", i+1, l)
		}
	}
}

// formatDumpTree prints a tree without positions, the File or the comments
// (compared separately by commentTexts), one node or field per line, so
// that two trees are equal but for layout exactly when their dumps are.
func formatDumpTree(n any) string {
	var b strings.Builder
	formatDumpValue(&b, reflect.ValueOf(n), 0)
	return b.String()
}

func formatDumpValue(b *strings.Builder, v reflect.Value, depth int) {
	pad := strings.Repeat("  ", depth)
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			b.WriteString("nil\n")
			return
		}
		formatDumpValue(b, v.Elem(), depth)
	case reflect.Struct:
		fmt.Fprintf(b, "%s {\n", v.Type().Name())
		for i := 0; i < v.NumField(); i++ {
			switch name := v.Type().Field(i).Name; name {
			case "Sp", "OpPos", "Lparen", "File", "Comments":
			default:
				fmt.Fprintf(b, "%s  %s: ", pad, name)
				formatDumpValue(b, v.Field(i), depth+1)
			}
		}
		fmt.Fprintf(b, "%s}\n", pad)
	case reflect.Slice:
		fmt.Fprintf(b, "[%d]\n", v.Len())
		for i := 0; i < v.Len(); i++ {
			fmt.Fprintf(b, "%s  - ", pad)
			formatDumpValue(b, v.Index(i), depth+1)
		}
	default:
		fmt.Fprintf(b, "%#v\n", v.Interface())
	}
}

// commentTexts lists a file's comments in order, without trailing blanks
// (the only change Format makes to a comment).
func commentTexts(f *FileNode) []string {
	var out []string
	for _, c := range f.Comments {
		out = append(out, strings.TrimRight(c.Text, " \t\r\f\v"))
	}
	return out
}

// checkFormatted checks everything Format promises for a source that
// parses: the output parses to the same tree (positions aside) with the
// same comments, and formatting it again changes nothing.
func checkFormatted(t testing.TB, name string, src []byte) {
	t.Helper()
	in, diags := Parse(name, src)
	if err := diags.Err(); err != nil {
		t.Fatalf("%s does not parse: %v", name, err)
	}
	checkFormattedTree(t, name, in)
}

func checkFormattedTree(t testing.TB, name string, in *FileNode) {
	t.Helper()
	out, err := Format(in)
	if err != nil {
		t.Fatalf("Format(%s): %v", name, err)
	}
	re, diags := Parse(name, out)
	if err := diags.Err(); err != nil {
		t.Fatalf("formatted %s does not parse: %v\n%s", name, err, out)
	}
	if before, after := formatDumpTree(in), formatDumpTree(re); before != after {
		t.Errorf("formatting %s changed the tree (-before +after):\n%s\noutput:\n%s", name, cmp.Diff(before, after), out)
	}
	if !slices.Equal(commentTexts(in), commentTexts(re)) {
		t.Errorf("formatting %s changed the comments (-before +after):\n%s\noutput:\n%s", name, cmp.Diff(commentTexts(in), commentTexts(re)), out)
	}
	again, err := Format(re)
	if err != nil {
		t.Fatalf("Format(formatted %s): %v", name, err)
	}
	if !bytes.Equal(out, again) {
		t.Errorf("formatting %s is not idempotent (-first +second):\n%s", name, cmp.Diff(string(out), string(again)))
	}
}

// TestFormatPreservesAST checks, for every golden input, that the output
// parses to the input's tree and keeps its comments.
func TestFormatPreservesAST(t *testing.T) {
	for _, file := range formatGoldens(t) {
		a, err := txtar.ParseFile(file)
		if err != nil {
			t.Fatal(err)
		}
		in, _ := txtarFile(a, "in.rpl")
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			checkFormatted(t, "in.rpl", in)
		})
	}
}

// TestFormatRepository formats every .rpl file of the module twice. Files
// that do not parse are skipped (tests of parse errors), except under
// examples/, which must all parse.
func TestFormatRepository(t *testing.T) {
	root := ".."
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Skip("module root not found")
	}
	formatted, skipped := 0, 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" || d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".rpl") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if _, diags := Parse(rel, src); diags.Err() != nil {
			if strings.HasPrefix(filepath.ToSlash(rel), "examples/") {
				t.Errorf("example %s does not parse: %v", rel, diags.Err())
			}
			skipped++
			return nil
		}
		formatted++
		t.Run(filepath.ToSlash(rel), func(t *testing.T) {
			checkFormatted(t, rel, src)
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("formatted %d .rpl files, skipped %d that do not parse", formatted, skipped)
	if formatted == 0 {
		t.Fatal("no .rpl file found to format")
	}
}

func TestFormatSourceRefusesSyntaxErrors(t *testing.T) {
	src := []byte("package p\n\nconst a = (1 +\n\nfn f() -> int = 1\n")
	out, err := FormatSource("bad.rpl", src)
	if err == nil {
		t.Fatalf("FormatSource formatted a file with a syntax error:\n%s", out)
	}
	if _, ok := err.(DiagList); !ok {
		t.Errorf("error is %T, want DiagList", err)
	}
	f, _ := Parse("bad.rpl", src)
	if _, err := Format(f); err == nil {
		t.Error("Format accepted a tree with a BadDecl")
	}
}

func TestFormatEmpty(t *testing.T) {
	for _, src := range []string{"", "\n\n", "  "} {
		out, err := FormatSource("empty.rpl", []byte(src))
		if err != nil || len(out) != 0 {
			t.Errorf("FormatSource(%q) = %q, %v; want empty", src, out, err)
		}
	}
	out, err := FormatSource("c.rpl", []byte("\n\n# only\n\n\n# comments   \n\n"))
	if want := "# only\n\n# comments\n"; err != nil || string(out) != want {
		t.Errorf("got %q, %v; want %q", out, err, want)
	}
}

// FuzzFormat checks, for any input that parses, that formatting succeeds,
// the output parses to the same tree with the same comments, and
// formatting is idempotent. It is seeded with the golden inputs and outputs.
func FuzzFormat(f *testing.F) {
	for _, file := range formatGoldens(f) {
		a, err := txtar.ParseFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, af := range a.Files {
			f.Add(af.Data)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		tree, diags := Parse("fuzz.rpl", src)
		if diags.Err() != nil {
			return
		}
		checkFormattedTree(t, "fuzz.rpl", tree)
	})
}

// TestFormatCommentInEveryGap puts comments and blank lines in every gap
// between two tokens of each golden input, in turn: a comment that ends the
// line of the token before it, one on a line of its own after a blank line,
// a blank line alone, and a mix. Each variant must keep its comments and
// format idempotently to the same tree.
func TestFormatCommentInEveryGap(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	for _, file := range formatGoldens(t) {
		a, err := txtar.ParseFile(file)
		if err != nil {
			t.Fatal(err)
		}
		in, _ := txtarFile(a, "in.rpl")
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			t.Parallel()
			lx, err := rplLexer.LexString("in.rpl", string(in))
			if err != nil {
				t.Fatal(err)
			}
			var ends []int
			for {
				tok, err := lx.Next()
				if err != nil {
					t.Fatal(err)
				}
				if tok.EOF() {
					break
				}
				if tokenType(tok.Type) != tokWhitespace && tokenType(tok.Type) != tokComment {
					ends = append(ends, tok.Pos.Offset+len(tok.Value))
				}
			}
			for i, end := range ends {
				// Every gap gets both single comments; the blank line and
				// the mix take turns, to keep the test quick.
				extra := "\n\n "
				if i%2 == 1 {
					extra = " # gap 1\n\n # gap 2\n # gap 3\n\n "
				}
				for _, ins := range []string{" # gap\n ", "\n\n # gap\n ", extra} {
					src := []byte(string(in[:end]) + ins + string(in[end:]))
					tree, diags := Parse("gap.rpl", src)
					if diags.Err() != nil {
						continue // a newline where the parser needs none (reported separately)
					}
					checkFormattedTree(t, "gap.rpl", tree)
					if t.Failed() {
						t.Fatalf("input:\n%s", src)
					}
				}
			}
		})
	}
}

func TestFormatDumpTreeIgnoresLayoutOnly(t *testing.T) {
	dump := func(src string) string {
		f, diags := Parse("d.rpl", []byte(src))
		if err := diags.Err(); err != nil {
			t.Fatal(err)
		}
		return formatDumpTree(f)
	}
	a := dump("package p\nconst a = 1+2 # c\n")
	if b := dump("package p\n\n\nconst a=1 +\n  2\n"); a != b {
		t.Errorf("layout changed the dump:\n%s", cmp.Diff(a, b))
	}
	for _, src := range []string{"package p\nconst a = (1+2)\n", "package p\nconst a = 1+3\n", "package q\nconst a = 1+2\n"} {
		if b := dump(src); a == b {
			t.Errorf("dump of %q equals that of a different tree", src)
		}
	}
}

// TestFormatRandomPrograms formats programs generated from the grammar,
// with random line breaks, blank lines and comments between tokens, and
// checks the same properties as FuzzFormat. It reaches combinations that
// byte-level fuzzing rarely produces. The seed is fixed: failures repeat.
func TestFormatRandomPrograms(t *testing.T) {
	n := 300
	if testing.Short() {
		n = 30
	}
	for seed := range n {
		g := &progGen{rnd: rand.New(rand.NewPCG(uint64(seed), 7))}
		src := []byte(g.file())
		tree, diags := Parse("gen.rpl", src)
		if err := diags.Err(); err != nil {
			t.Fatalf("seed %d: generated program does not parse: %v\n%s", seed, err, src)
		}
		checkFormattedTree(t, "gen.rpl", tree)
		if t.Failed() {
			t.Fatalf("seed %d:\n%s", seed, src)
		}
	}
}

// progGen writes random programs. Between tokens it puts a space, a line
// break, a blank line or a comment; it never puts a line break where the
// parser would read on (before `(`, `[` or `-` it writes `;` or `,`
// separators itself where they are needed).
type progGen struct {
	rnd   *rand.Rand
	b     strings.Builder
	depth int
	ncom  int
}

func (g *progGen) gap() {
	switch g.rnd.IntN(12) {
	case 0:
		g.b.WriteString("\n ")
	case 1:
		g.b.WriteString("\n\n ")
	case 2:
		g.ncom++
		fmt.Fprintf(&g.b, " # c%d\n ", g.ncom)
	case 3:
		g.ncom++
		fmt.Fprintf(&g.b, "\n # c%d\n ", g.ncom)
	default:
		g.b.WriteString(" ")
	}
}

func (g *progGen) tok(s ...string) {
	for _, t := range s {
		g.gap()
		g.b.WriteString(t)
	}
}

func (g *progGen) pick(xs ...string) string { return xs[g.rnd.IntN(len(xs))] }

func (g *progGen) file() string {
	g.b.WriteString("package gen")
	if g.rnd.IntN(2) == 0 {
		g.b.WriteString("\n")
		g.tok("import", `"std/ab"`)
	}
	for range 1 + g.rnd.IntN(4) {
		g.b.WriteString("\n")
		switch g.rnd.IntN(4) {
		case 0:
			g.tok("const", g.pick("a", "b", "limit"), "=")
			g.expr()
		case 1:
			g.tok("type", "T", "=")
			g.typ()
		case 2:
			g.tok("fn", "f", "(", "x", ":")
			g.typ()
			g.tok(",", "y", ":", "int", ")", "->")
			g.typ()
			if g.rnd.IntN(2) == 0 {
				g.tok("=")
				g.expr()
			} else {
				g.block()
			}
		default:
			g.tok("test", `"t"`)
			g.block()
		}
	}
	g.gap()
	g.b.WriteString("\n")
	return g.b.String()
}

func (g *progGen) typ() {
	g.depth++
	defer func() { g.depth-- }()
	switch k := g.rnd.IntN(8); {
	case k == 0 && g.depth < 4:
		g.tok("list", "[")
		g.typ()
		g.tok("]")
	case k == 1 && g.depth < 4:
		g.tok("map", "[", "string", ",")
		g.typ()
		g.tok("]")
	case k == 2 && g.depth < 4:
		g.tok("{")
		for i := range g.rnd.IntN(4) {
			if i > 0 {
				g.tok(",")
			}
			g.tok(g.pick("a", "b", "type", "long_field_name_for_width"), ":")
			g.typ()
		}
		g.tok("}")
	case k == 3 && g.depth < 4:
		g.tok("fn", "(", "int", ",", "string", ")", "->", "bool")
	case k == 4:
		g.tok("int", "?")
	default:
		g.tok(g.pick("int", "string", "Request", "ab.Arm", "money"))
	}
}

func (g *progGen) block() {
	g.depth++
	defer func() { g.depth-- }()
	g.tok("{")
	n := g.rnd.IntN(4)
	if g.depth > 4 {
		n = 1
	}
	semi := true
	for range n {
		switch g.rnd.IntN(5) {
		case 0:
			g.tok("let", g.pick("x", "y", "z"), "=")
			g.expr()
		case 1:
			g.tok("return")
			g.expr()
		case 2:
			g.tok("expect")
			g.expr()
			if g.rnd.IntN(2) == 0 {
				g.tok(",", `"message"`)
			}
		case 3:
			g.tok("if")
			g.expr()
			g.block()
		default:
			if !semi {
				g.tok(";")
			}
			g.expr()
		}
		semi = g.rnd.IntN(4) == 0
		if semi {
			g.tok(";")
		}
	}
	g.tok("}")
}

func (g *progGen) expr() {
	g.depth++
	defer func() { g.depth-- }()
	g.unary()
	for g.depth < 6 && g.rnd.IntN(3) == 0 {
		op := g.pick("+", "-", "*", "/", "%", "==", "!=", "<", ">=", "&&", "||", "??", "in", "not in")
		g.tok(op)
		g.unary()
		if formatPrec(op) == 4 {
			break // comparisons do not chain
		}
	}
}

func (g *progGen) unary() {
	switch g.rnd.IntN(8) {
	case 0:
		g.tok("!")
	case 1:
		g.tok("-")
	}
	g.postfix()
}

func (g *progGen) postfix() {
	if g.primary() {
		return // if, match and blocks take no postfix operators
	}
	for g.rnd.IntN(3) == 0 {
		switch g.rnd.IntN(3) {
		case 0:
			g.tok(".", g.pick("tenant", "type", "id", "long_field_name_for_width"))
		case 1:
			g.tok("[")
			g.expr()
			g.tok("]")
		default:
			g.tok(".", g.pick("fallback", "tag", "map", "filter"))
			g.args()
		}
	}
}

func (g *progGen) args() {
	g.tok("(")
	n := g.rnd.IntN(4)
	for i := range n {
		if i > 0 {
			g.tok(",")
		}
		switch g.rnd.IntN(6) {
		case 0:
			g.tok(g.pick("on", "retries", "type"), ":")
			g.expr()
		case 1:
			g.tok("x", "=>")
			g.expr()
		case 2:
			g.tok("(", "a", ",", "b", ")", "=>")
			g.expr()
		default:
			g.expr()
		}
	}
	if n > 0 && g.rnd.IntN(4) == 0 {
		g.tok(",")
	}
	g.tok(")")
}

// primary writes a primary or compound expression and reports whether it
// was compound (if, match, block).
func (g *progGen) primary() (compound bool) {
	if g.depth > 5 {
		g.tok(g.pick("r", "1", `"s"`, "250ms", "$0.5", "true", "none", "0xff"))
		return false
	}
	switch g.rnd.IntN(14) {
	case 0:
		g.tok("(")
		g.expr()
		g.tok(")")
	case 1:
		g.tok("[")
		for i := range g.rnd.IntN(5) {
			if i > 0 {
				g.tok(",")
			}
			g.expr()
		}
		g.tok("]")
	case 2:
		g.tok("{")
		for i := range g.rnd.IntN(5) {
			if i > 0 {
				g.tok(",")
			}
			g.tok(g.pick("a", "b", `"k"`, "type", "long_field_name_for_width"), ":")
			g.expr()
		}
		g.tok("}")
	case 3:
		g.tok("if")
		g.expr()
		g.block()
		g.tok("else")
		if g.rnd.IntN(3) == 0 {
			g.tok("if")
			g.expr()
			g.block()
			g.tok("else")
		}
		g.block()
		return true
	case 4:
		g.tok("match")
		g.expr()
		g.tok("{")
		for i := range 1 + g.rnd.IntN(4) {
			if i > 0 {
				g.tok(",")
			}
			g.tok(g.pick("1", "-1", `"a"`, "_", "tiers.gold", "x"))
			if g.rnd.IntN(3) == 0 {
				g.tok("|", g.pick("2", "-2", `"b"`))
			}
			if g.rnd.IntN(4) == 0 {
				g.tok("if")
				g.expr()
			}
			g.tok("=>")
			g.expr()
		}
		g.tok("}")
		return true
	case 5:
		g.tok(g.pick("to", "deny", "f", "super.route", "ab.arm"))
		g.args()
	case 6:
		g.block()
		return true
	default:
		g.tok(g.pick("r", "x", "1", "-1", `"a string"`, "250ms", "$0.5", "true", "none", "1_000", "1.5e3"))
	}
	return false
}

// A byte order mark at the start of a file, which some editors write, is
// skipped (language.md §2.1), and the canonical layout has none: it was
// RPL101 and then RPL105 on the package clause after it.
func TestByteOrderMark(t *testing.T) {
	src := []byte("\uFEFFpackage p\n\nconst n = 1 # one\n")
	f, diags := Parse("bom.rpl", src)
	if len(diags) != 0 || f.Package == nil || f.Package.Name.Name != "p" {
		t.Fatalf("Parse: %v, package %v", diags, f.Package)
	}
	out, err := FormatSource("bom.rpl", src)
	if err != nil || !bytes.Equal(out, src[len("\uFEFF"):]) {
		t.Errorf("FormatSource = %q, %v; want the file without its mark", out, err)
	}
	// A comment right after the mark leads the file: it was taken for a
	// trailing one, and the package clause went on a continuation line
	// (fmt's own output then needed formatting again).
	for _, src := range []string{"\uFEFF# top\npackage p\n", "\uFEFF# top\n\npackage p\n"} {
		out, err := FormatSource("bom.rpl", []byte(src))
		if want := src[len("\uFEFF"):]; err != nil || string(out) != want {
			t.Errorf("FormatSource(%q) = %q, %v; want %q", src, out, err, want)
		}
	}
	// Only at the start: elsewhere it is an invalid character.
	if _, diags := Parse("bom.rpl", []byte("package p\n\uFEFF\n")); len(diags) == 0 || diags[0].Code != CodeInvalidChar {
		t.Errorf("a mark after the start: %v, want RPL101", diags)
	}
}

// A comment inside the parentheses of a function type's or a lambda's
// parameters stays inside them: it was only placed at the next node, the
// result type or the lambda's body, after `) ->` or `) =>`.
func TestFormatCommentsStayInParameterParens(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{
			"package p\n\ntype F = fn(int # c\n) -> int\n",
			"package p\n\ntype F = fn(int # c\n    ) -> int\n",
		},
		{
			"package p\n\ntype F = fn(\n  # own\n) -> int\n",
			"package p\n\ntype F = fn(\n    # own\n    ) -> int\n",
		},
		{
			"package p\n\ntype F = fn(int, string # c\n) -> { a: int }\n",
			"package p\n\ntype F = fn(int, string # c\n    ) -> {a: int}\n",
		},
		{
			"package p\n\nfn f(r: Request) -> int = r.parents.reduce(0, (a, b # second\n) => a + b)\n",
			"package p\n\nfn f(r: Request) -> int = r.parents.reduce(\n  0,\n  (a, b # second\n      ) => a + b,\n)\n",
		},
		{
			"package p\n\nfn f(r: Request) -> int = r.parents.map((p\n  # own\n) => p.len())\n",
			"package p\n\nfn f(r: Request) -> int = r.parents.map(\n  (p\n      # own\n      ) => p.len(),\n)\n",
		},
	} {
		got, err := FormatSource("p.rpl", []byte(tc.src))
		if err != nil {
			t.Errorf("FormatSource(%q): %v", tc.src, err)
			continue
		}
		if string(got) != tc.want {
			t.Errorf("FormatSource(%q):\n%s\nwant:\n%s", tc.src, got, tc.want)
		}
		checkFormatted(t, "p.rpl", []byte(tc.src))
	}
}
