package lang_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/lang"
)

var (
	sectionRE = regexp.MustCompile(`^## (RPL\d{3}) — `)
	exMarkRE  = regexp.MustCompile(`#\s*(ERROR|WARNING|INFO)\s+"((?:[^"\\]|\\.)*)"`)
)

// TestSpecDiagnosticsCheckExamples checks every example of
// spec/diagnostics.md from RPL200 on (the parse-level ones are tested with
// the parser): the example, a complete policy (`=== name.rpl` lines start
// further files), must produce exactly the marked diagnostics, each with
// the section's code, on the marked line, containing the marked text. The
// first file is p.rpl unless the example starts with a `=== name.rpl` line
// (RPL215's, a test file without its policy). Only RPL212's example is
// checked as a policy, and RPL216's as a policy tree (every file that is
// not a test file as a policy, then lang.CheckPolicyIDs): the others are
// fragments.
func TestSpecDiagnosticsCheckExamples(t *testing.T) {
	u := universe(t)
	data, err := os.ReadFile("../spec/diagnostics.md")
	if err != nil {
		t.Fatal(err)
	}
	type example struct {
		code lang.Code
		line int
		src  []string
	}
	var exs []*example
	var cur *example
	in := false
	for i, l := range strings.Split(string(data), "\n") {
		if m := sectionRE.FindStringSubmatch(l); m != nil {
			cur = &example{code: lang.Code(m[1])}
			continue
		}
		switch {
		case cur != nil && !in && l == "```rpl": // a section may have several
			if cur.line != 0 {
				cur = &example{code: cur.code}
			}
			cur.line, in = i+2, true
		case in && l == "```":
			in = false
			exs = append(exs, cur)
		case in:
			cur.src = append(cur.src, l)
		}
	}
	covered := map[lang.Code]bool{}
	for _, ex := range exs {
		if ex.code < "RPL200" {
			continue
		}
		t.Run(string(ex.code), func(t *testing.T) {
			files := map[string]string{}
			var order []string
			name := "p.rpl"
			var cur []string
			flush := func() {
				files[name] = strings.Join(cur, "\n") + "\n"
				order = append(order, name)
				cur = nil
			}
			for _, l := range ex.src {
				if n, ok := strings.CutPrefix(l, "=== "); ok {
					if len(order) > 0 || len(cur) > 0 {
						flush()
					}
					name = n
					continue
				}
				cur = append(cur, l)
			}
			flush()
			// Files are named relative to /spec, the example's directory.
			relName := func(p string) string {
				rel, err := filepath.Rel("/spec", p)
				if err != nil {
					return p
				}
				return filepath.ToSlash(rel)
			}
			read := func(p string) ([]byte, error) {
				if s, ok := files[relName(p)]; ok {
					return []byte(s), nil
				}
				return nil, os.ErrNotExist
			}
			cfg := &lang.Config{Universe: u, ReadFile: read, Policy: ex.code == lang.CodeNoRoute}
			var diags lang.DiagList
			if ex.code == lang.CodeDuplicateID {
				cfg.Policy = true
				var mains []*lang.Package
				for _, f := range order {
					if lang.IsTestFile(f) {
						continue
					}
					prog, ds := lang.Check(cfg, "/spec/"+f)
					diags = append(diags, ds...)
					mains = append(mains, prog.Main)
				}
				diags = append(diags, lang.CheckPolicyIDs("/spec", mains)...)
			} else {
				_, diags = lang.Check(cfg, "/spec/"+order[0])
			}
			type mark struct {
				file string
				line int
				sev  string
				text string
				hit  bool
			}
			var marks []*mark
			for _, f := range order {
				for i, l := range strings.Split(files[f], "\n") {
					for _, m := range exMarkRE.FindAllStringSubmatch(l, -1) {
						text, _ := strconv.Unquote(`"` + m[2] + `"`)
						marks = append(marks, &mark{file: f, line: i + 1, sev: strings.ToLower(m[1]), text: text})
					}
				}
			}
			if len(marks) == 0 {
				t.Fatalf("diagnostics.md:%d: example has no marker", ex.line)
			}
			for _, d := range diags {
				pos := d.Position()
				matched := false
				for _, m := range marks {
					if m.file == relName(pos.Filename) && m.line == pos.Line && m.sev == d.Severity.String() && strings.Contains(d.Message, m.text) {
						if d.Code != ex.code {
							t.Errorf("diagnostics.md:%d: %s:%d: got code %s, want %s (%s)", ex.line, m.file, m.line, d.Code, ex.code, d.Message)
						}
						m.hit, matched = true, true
						covered[ex.code] = true
					}
				}
				if !matched {
					t.Errorf("diagnostics.md:%d: unexpected %s", ex.line, fmt.Sprintf("%s [%s] %s", d.Error(), d.Code, d.Severity))
				}
			}
			for _, m := range marks {
				if !m.hit {
					t.Errorf("diagnostics.md:%d: %s:%d: missing %s %q", ex.line, m.file, m.line, m.sev, m.text)
				}
			}
		})
	}
	for _, c := range lang.Codes {
		// RPL217 is rplc check's, about a JSON file (check_treedata.txtar);
		// RPL218 rplc check's, about a directory (check_empty.txtar);
		// RPL221 rplc check's, about a tree's catalogue
		// (check_catalogue_targets.txtar, TestCatalogueTargets);
		// RPL320's example would be 16,385 entries long (TestMapLiteralSize);
		// RPL322 is the compiler's, found by rplc check
		// (TestCheckStackTooDeep).
		if c.Code >= "RPL200" && c.Code != lang.CodeTooMany && c.Code != lang.CodeTreeData && c.Code != lang.CodeNoFiles && c.Code != lang.CodeNotInCatalogue && c.Code != lang.CodeLiteralSize && c.Code != lang.CodeMachineLimit && !covered[c.Code] {
			t.Errorf("%s has no example in spec/diagnostics.md that produces it", c.Code)
		}
	}
}

// TestSpecSnippetLayout: the caret snippet that spec/language.md §12 shows
// is what PrintSnippet prints for it, byte for byte (the spec's had two
// spaces before the line number, and a column the line did not have;
// found by a review).
func TestSpecSnippetLayout(t *testing.T) {
	data, err := os.ReadFile("../spec/language.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(data), "In full, the toolchain prints that line")
	_, block, ok2 := strings.Cut(after, "```\n")
	block, _, ok3 := strings.Cut(block, "```\n")
	if !ok || !ok2 || !ok3 {
		t.Fatal("spec/language.md §12: the snippet's example not found")
	}
	// The example's policy: its line 12 is the snippet's.
	src := "package p\n" + strings.Repeat("\n", 9) + "fn f(xs: list[int]) -> int {\n  let n = lenn(xs)\n  n\n}\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n"
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "policy.rpl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	_, diags := lang.Check(&lang.Config{Universe: universe(t)}, "policy.rpl")
	if len(diags) != 1 {
		t.Fatalf("diagnostics %v, want one", diags)
	}
	var got strings.Builder
	lang.PrintSnippet(&got, diags[0], lang.Style{})
	if got.String() != block {
		t.Errorf("PrintSnippet:\n%s\nspec/language.md §12:\n%s", got.String(), block)
	}
}
