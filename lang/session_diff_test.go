package lang_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/lang"
)

// diagText is every diagnostic of a check, with its related positions
// and fixes, as text.
func diagText(prog *lang.Program, diags lang.DiagList) string {
	var b strings.Builder
	for _, d := range diags {
		name := ""
		if d.File != nil {
			name = d.File.Name
		}
		fmt.Fprintf(&b, "%s:%d:%d: %s %s %s\n", name, d.Span.Start, d.Span.End, d.Severity, d.Code, d.Message)
		for _, r := range d.Related {
			rn := ""
			if r.File != nil {
				rn = r.File.Name
			}
			fmt.Fprintf(&b, "  related %s:%d:%d %s\n", rn, r.Span.Start, r.Span.End, r.Message)
		}
		for _, f := range d.Fixes {
			fmt.Fprintf(&b, "  fix %q %d:%d %q\n", f.Title, f.Span.Start, f.Span.End, f.NewText)
		}
	}
	if prog != nil {
		for _, pkg := range prog.Packages {
			fmt.Fprintf(&b, "pkg %s %s\n", pkg.Path, pkg.Name)
		}
	}
	return b.String()
}

// sameWithSession checks the policies of files (paths under /virtual, in
// order) with one session and without, and reports each difference.
func sameWithSession(t *testing.T, files map[string]string, paths []string) {
	t.Helper()
	u := universe(t)
	s := lang.NewSession()
	for _, p := range paths {
		wp, wd := lang.Check(&lang.Config{Universe: u, Policy: true, ReadFile: readMap(files)}, p)
		gp, gd := lang.Check(&lang.Config{Universe: u, Policy: true, ReadFile: readMap(files), Session: s}, p)
		if testing.Verbose() {
			t.Logf("%s:\n%s", p, diagText(wp, wd))
		}
		if w, g := diagText(wp, wd), diagText(gp, gd); w != g {
			t.Errorf("%s: with a session:\n%s\nwithout:\n%s", p, g, w)
		}
	}
}

func sortedPaths(files map[string]string) []string {
	var ps []string
	for p := range files {
		if !strings.Contains(p, "/lib/") && !strings.HasSuffix(p, "_test.rpl") {
			ps = append(ps, p)
		}
	}
	sort.Strings(ps)
	return ps
}

// A library's calls of its own functions with constant arguments are
// followed by the importer's check too (RPL326), out of one budget.
func TestSessionFnWalkBudget(t *testing.T) {
	var lib strings.Builder
	lib.WriteString("package walk\n\nfn g(s: string) -> string {\n    let t = upper(s)\n    t\n}\n\nfn many() -> string {\n    let x = \"\"\n")
	for i := range 400 {
		fmt.Fprintf(&lib, "    let x%d = g(\"a%d\")\n", i, i)
	}
	lib.WriteString("    x")
	for i := range 400 {
		fmt.Fprintf(&lib, " + x%d", i)
	}
	lib.WriteString("\n}\n\nfn bad(s: string) -> Decision {\n    let t = lower(s)\n    to(t)\n}\n")
	files := map[string]string{
		"/virtual/lib/walk.rpl": lib.String(),
		"/virtual/p.rpl":        "package p\n\nimport \"lib/walk\"\n\nfn route(r: Request) -> Decision = walk.bad(\"\").because(walk.many())\n",
	}
	sameWithSession(t, files, sortedPaths(files))
}

// The same with the nodes the walks visit (fnWalkBudget), no call folded.
func TestSessionFnWalkNodes(t *testing.T) {
	var lib strings.Builder
	lib.WriteString("package walk\n\nfn g(s: string) -> string {\n")
	for i := range 300 {
		fmt.Fprintf(&lib, "    let _t%d = s\n", i)
	}
	lib.WriteString("    s\n}\n\nfn many() -> string {\n    let x = \"\"\n")
	for i := range 300 {
		fmt.Fprintf(&lib, "    let x%d = g(\"a%d\")\n", i, i)
	}
	lib.WriteString("    x")
	for i := range 300 {
		fmt.Fprintf(&lib, " + x%d", i)
	}
	lib.WriteString("\n}\n\nfn bad(s: string) -> Decision = to(s)\n")
	files := map[string]string{
		"/virtual/lib/walk.rpl": lib.String(),
		"/virtual/p.rpl":        "package p\n\nimport \"lib/walk\"\n\nfn route(r: Request) -> Decision = walk.bad(\"\").because(walk.many())\n",
		"/virtual/q.rpl":        "package q\n\nimport \"lib/walk\"\n\nfn route(r: Request) -> Decision = walk.bad(\"a:b\").because(walk.many())\n",
	}
	sameWithSession(t, files, sortedPaths(files))
}

// The same with the values the check's constant evaluations visit
// (maxCheckConstWork): the library's leave the importer too few for its
// own, which without a session find nothing.
func TestSessionCheckConstWork(t *testing.T) {
	nested := func(name string) string {
		return "const " + name + "1 = [1, 1, 1, 1, 1, 1, 1]\n\nconst " + name + "2 = [" + name + "1, " + name + "1, " + name + "1, " + name + "1, " + name + "1, " + name + "1, " + name + "1]\n\n" +
			"const " + name + "3 = [" + name + "2, " + name + "2, " + name + "2, " + name + "2, " + name + "2, " + name + "2, " + name + "2]\n\n" +
			"const " + name + "4 = [" + name + "3, " + name + "3, " + name + "3, " + name + "3, " + name + "3, " + name + "3, " + name + "3]\n\n" +
			"const " + name + "5 = [" + name + "4, " + name + "4, " + name + "4, " + name + "4, " + name + "4, " + name + "4, " + name + "4]\n\n"
	}
	var lib strings.Builder
	lib.WriteString("package work\n\n" + nested("C") + "fn total() -> int {\n    let x = 0\n")
	for i := range 420 {
		fmt.Fprintf(&lib, "    let x%d = bucket(string(C5), 4)\n", i)
	}
	lib.WriteString("    x")
	for i := range 420 {
		fmt.Fprintf(&lib, " + x%d", i)
	}
	lib.WriteString("\n}\n")
	var p strings.Builder
	p.WriteString("package p\n\nimport \"lib/work\"\n\n" + nested("D") + "fn route(r: Request) -> Decision {\n    let n = work.total()\n")
	for i := range 20 {
		fmt.Fprintf(&p, "    let n%d = bucket(string(D5), 4)\n", i)
	}
	p.WriteString("    to(\"\").because(string(n")
	for i := range 20 {
		fmt.Fprintf(&p, " + n%d", i)
	}
	p.WriteString("))\n}\n")
	files := map[string]string{"/virtual/lib/work.rpl": lib.String(), "/virtual/p.rpl": p.String()}
	sameWithSession(t, files, sortedPaths(files))
}
