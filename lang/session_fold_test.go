package lang_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/lang"
)

// TestSessionFoldFuel: a check whose constant calls spend more than its
// fold budget (lang.FoldFuel) is marked limited, so that the session does
// not share what that check found. A library whose last call runs out of
// the budget is not shared: each importer loads and checks it again, as
// without a session. Two libraries that spend 60% of it each are shared,
// but their importer's check, which counts their fuel as its own, then
// finds none left for its own call: it is made again without the session.
// Nothing is refused: the calls past the budget are left to run time,
// where the program evaluates them.
func TestSessionFoldFuel(t *testing.T) {
	e, err := rpl.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	// ints is a constant list of 0…n-1: in order, so that sorting it is
	// quick, a check, but charged as a sort (n·log2(n)/2, and 4).
	ints := func(name string, n int) string {
		elems := make([]string, n)
		for i := range elems {
			elems[i] = strconv.Itoa(i)
		}
		return fmt.Sprintf("const %s = [%s]\n\n", name, strings.Join(elems, ", "))
	}
	// lib is a library of calls sort(L) of 10,000 ints (70,004 fuel),
	// each in its own branch, and after them, if heavy, one of 14,000
	// (98,004 fuel).
	lib := func(name string, calls int, heavy bool) string {
		var b strings.Builder
		fmt.Fprintf(&b, "package %s\n\n%s%sfn pick(n: int) -> Decision {\n", name, ints("L", 10_000), ints("M", 14_000))
		for i := range calls {
			fmt.Fprintf(&b, "    if n == %d {\n        return to(\"openai:m\" + string(len(sort(L)) + %d))\n    }\n", i, i)
		}
		if heavy {
			fmt.Fprintf(&b, "    if n == %d {\n        return to(\"openai:m\" + string(len(sort(M))))\n    }\n", calls)
		}
		b.WriteString("    to(\"openai:gpt-4o\")\n}\n")
		return b.String()
	}
	// fit sorts of L (and the few fuel of len, + and string after each)
	// fit in the budget, and leave it fewer than 70,100 fuel: the heavy
	// sort after them runs out.
	fit := int(lang.FoldFuel / 70_100)
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string]string{
		"lib/heavy.rpl": lib("heavy", fit, true),
		"lib/half1.rpl": lib("half1", fit*6/10, false),
		"lib/half2.rpl": lib("half2", fit*6/10, false),
		"p1.rpl":        "package p1\n\nimport \"lib/heavy\"\n\nfn route(r: Request) -> Decision = heavy.pick(r.estimate.input_tokens)\n",
		"p2.rpl":        "package p2\n\nimport \"lib/heavy\"\n\nfn route(r: Request) -> Decision = heavy.pick(r.estimate.input_tokens + 1)\n",
		"q1.rpl":        "package q1\n\nimport \"lib/half1\"\n\nfn route(r: Request) -> Decision = half1.pick(r.estimate.input_tokens)\n",
		"q2.rpl":        "package q2\n\nimport \"lib/half1\"\nimport \"lib/half2\"\n\nfn route(r: Request) -> Decision {\n    if r.estimate.input_tokens > 5 {\n        return half2.pick(r.estimate.input_tokens)\n    }\n    if r.estimate.input_tokens > 4 {\n        return to(lower(\"OPENAI:GPT-4O\"))\n    }\n    half1.pick(r.estimate.input_tokens)\n}\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(name)), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := lang.NewSession()
	// pkgs are the packages of lib/name.rpl in the checks of policies,
	// each checked with the session.
	pkgs := func(name string, policies ...string) []*lang.Package {
		var out []*lang.Package
		for _, p := range policies {
			prog, diags := lang.Check(&lang.Config{Universe: e.Universe(), Policy: true, Session: s}, filepath.Join(dir, p))
			if len(diags) > 0 {
				t.Fatalf("%s: %v", p, diags)
			}
			for _, pkg := range prog.Packages {
				if pkg.Path == filepath.Join(dir, "lib", name+".rpl") {
					out = append(out, pkg)
				}
			}
		}
		return out
	}
	if ps := pkgs("heavy", "p1.rpl", "p2.rpl"); len(ps) != 2 || ps[0] == ps[1] {
		t.Errorf("lib/heavy.rpl: %d packages, one shared; want one per importer: its check ran out of the fold budget", len(ps))
	}
	if ps := pkgs("half1", "q1.rpl", "q2.rpl"); len(ps) != 2 || ps[0] == ps[1] {
		t.Errorf("lib/half1.rpl: %d packages, one shared; want q2.rpl's its own: its check found no fold budget left", len(ps))
	}
	p, err := e.CompileWith(filepath.Join(dir, "p1.rpl"), rpl.CompileOptions{Session: s})
	if err != nil {
		t.Fatal(err)
	}
	// The first call is folded (a few fuel), the heavy one sorts at run
	// time (its 98,004 fuel).
	for _, c := range []struct {
		n        int
		target   string
		runSorts bool
	}{{0, "openai:m10000", false}, {fit, "openai:m14000", true}} {
		req, err := p.RequestFromJSON(fmt.Appendf(nil, `{"estimate": {"input_tokens": %d}}`, c.n))
		if err != nil {
			t.Fatal(err)
		}
		res, err := p.Decide(context.Background(), req, rpl.DefaultInput(time.Unix(1_700_000_000, 0), "req-1"))
		if err != nil {
			t.Fatal(err)
		}
		d := rpl.ToGo(p.DecisionType(), res.Value).(map[string]any)
		if d["target"] != c.target {
			t.Errorf("pick(%d): target %v, want %s", c.n, d["target"], c.target)
		}
		if sorted := res.Stats.Fuel > 98_004; sorted != c.runSorts {
			t.Errorf("pick(%d): %d fuel; sorting at run time: %v, want %v", c.n, res.Stats.Fuel, sorted, c.runSorts)
		}
	}
}
