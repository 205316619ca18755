package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
)

// A policy's slim main package answers what the checks of its tree ask
// (its path, name, package clause, whether it has a route, inherited too)
// as the package does, and holds none of its declarations: check keeps one
// for every policy of a tree.
func TestSlimMain(t *testing.T) {
	dir := t.TempDir()
	for name, src := range map[string]string{
		"parent.rpl": "package parent\n\nfn helper() -> int = 1\n\nfn route(r: Request) -> Decision = to(\"p:m\")\n",
		"child.rpl":  "package child\n\nextends \"parent\"\n\nfn other() -> int = 2\n",
		"lib.rpl":    "package lib\n\nfn f() -> int = 1\n",
		"mod.rpl":    "package mod\n\ntest \"t\" {\n  expect true\n}\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	u, err := stdlib.Universe()
	if err != nil {
		t.Fatal(err)
	}
	cfg := &lang.Config{Universe: u, Policy: true}
	for name, route := range map[string]bool{"parent.rpl": true, "child.rpl": true, "lib.rpl": false, "mod.rpl": false} {
		prog, diags := lang.Check(cfg, filepath.Join(dir, name))
		for _, d := range diags {
			if d.Code != lang.CodeNoRoute { // a library checked alone
				t.Fatalf("%s: %v", name, d)
			}
		}
		if prog == nil || prog.Main == nil {
			t.Fatalf("%s: no main package", name)
		}
		m, s := prog.Main, slimMain(prog.Main)
		if lang.HasRoute(m) != route || lang.HasRoute(s) != route {
			t.Errorf("%s: HasRoute %v, slim %v, want %v", name, lang.HasRoute(m), lang.HasRoute(s), route)
		}
		if s.Path != m.Path || s.Name != m.Name || len(s.Files) != 1 || s.Files[0].File != m.Files[0].File || s.Files[0].Package != m.Files[0].Package {
			t.Errorf("%s: slim %+v, package %+v", name, s, m)
		}
		if o := s.Scope.Lookup("route"); s.Extends != nil || len(s.Imports) > 0 || len(s.Files[0].Decls) > 0 || len(s.Scope.Names()) > 1 || o != nil && o.Decl != nil {
			t.Errorf("%s: the slim package holds declarations: extends %v, scope %v", name, s.Extends, s.Scope.Names())
		}
	}
}
