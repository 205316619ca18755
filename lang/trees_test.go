package lang_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/lang"
)

// TestTrees: what the rules of a policy tree make of each of its files
// (lang.Trees): a policy (route, its own or inherited), a library
// (imported by another file, of whatever kind), a test module (refused in
// a tree that may not hold one), or a file refused by its RPL212; a file
// whose syntax errors leave route unknown is not judged. What the rules
// keep of a file is its package clause, none of its declarations.
func TestTrees(t *testing.T) {
	u := universe(t)
	const route = "fn route(r: Request) -> Decision = to(\"a:b\")\n"
	files := map[string]string{
		"parent.rpl": "package parent\n\nfn helper() -> int = 1\n\n" + route,
		"child.rpl":  "package child\n\nextends \"parent\"\n\nimport \"lib\"\n\nconst x = lib.y\n",
		"lib.rpl":    "package lib\n\nimport \"lib2\"\n\nconst y = lib2.z\n",
		"lib2.rpl":   "package lib2\n\nconst z = 1\n",
		"lone.rpl":   "package lone\n\nconst w = 1\n",
		"mod.rpl":    "package mod\n\ntest \"t\" {\n  expect true\n}\n",
		"broken.rpl": "package broken\n\nfn route(r: Request -> Decision = to(\"a:b\")\n\ntest \"t\" {\n  expect true\n}\n",
		"twin.rpl":   "package parent\n\n" + route,
	}
	read := func(p string) ([]byte, error) {
		if s, ok := files[strings.TrimPrefix(p, "/v/")]; ok {
			return []byte(s), nil
		}
		return nil, os.ErrNotExist
	}
	want := map[string]string{ // the verdicts, the errors' codes
		"/v/parent.rpl": "policy",
		"/v/child.rpl":  "policy",
		"/v/lib.rpl":    "library",
		"/v/lib2.rpl":   "library",
		"/v/lone.rpl":   "no route [RPL212]",
		"/v/mod.rpl":    "test module [RPL212]",
		"/v/broken.rpl": "no route",
		"/v/twin.rpl":   "policy [RPL216]",
	}
	kinds := map[lang.FileKind]string{lang.KindPolicy: "policy", lang.KindLibrary: "library", lang.KindTestModule: "test module", lang.KindNoRoute: "no route"}
	for _, testModules := range []bool{false, true} {
		var ts lang.Trees
		tree := ts.Tree("/v", testModules)
		for _, name := range []string{"broken.rpl", "child.rpl", "lib.rpl", "lib2.rpl", "lone.rpl", "mod.rpl", "parent.rpl", "twin.rpl"} {
			prog, diags := lang.Check(&lang.Config{Universe: u, ReadFile: read, Policy: true}, "/v/"+name)
			tf, rest := ts.File("/v/"+name, prog, diags)
			for _, d := range rest {
				if d.Code == lang.CodeNoRoute {
					t.Errorf("%s: File left %v", name, d)
				}
			}
			if tf.Clause == nil || tf.Clause.Package == nil || len(tf.Clause.Decls) > 0 || tf.Name != prog.Main.Name {
				t.Errorf("%s: the rules keep %+v", name, tf.Clause)
			}
			tree.Add(tf)
		}
		for _, v := range ts.Verdicts(tree) {
			got := kinds[v.Kind]
			for _, d := range v.Diags {
				got += fmt.Sprintf(" [%s]", d.Code)
			}
			w := want[v.Path]
			if testModules && v.Path == "/v/mod.rpl" {
				w = "test module"
			}
			if got != w {
				t.Errorf("test modules %v: %s is %q, want %q", testModules, v.Path, got, w)
			}
		}
		if ids := tree.Policies(); len(ids) != 2 || !ids["parent"] || !ids["child"] {
			t.Errorf("policies %v, want parent and child", ids)
		}
		n := 3 // lone, mod, twin
		if testModules {
			n = 2
		}
		if len(ts.Diags()) != n {
			t.Errorf("test modules %v: Diags %v", testModules, ts.Diags())
		}
	}
}
