package runtime_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/runtime"
)

// TestBuildDirLibraries: a directory is loaded as rplc build builds it.
// A file without route that another file imports is a library, and the
// policy importing it decides with it; the router refused such a tree
// ("no route function"), which rplc build accepted. A file without route
// that no file imports is refused, with or without tests (a test module,
// whose tests would never run: the router activated the tree without
// them, where rplc build refuses it).
func TestBuildDirLibraries(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	lib := map[string]string{
		"shared/targets.rpl": "package targets\n\nconst strong = \"anthropic:claude-sonnet\"\n",
		"user.rpl":           "package user\n\nimport \"shared/targets\"\n\nfn route(r: Request) -> Decision = to(targets.strong)\n",
	}
	dir := copyDir(t, examples, lib)
	good, err := e.LoadDir(context.Background(), dir)
	if err != nil {
		t.Fatalf("LoadDir with a library: %v", err)
	}
	out, code, _ := e.HandleV2(context.Background(), []byte(`{"policy_id":"user","request":{"id":"r1","tenant":{"id":"x"}}}`), good.Built, nil, nil)
	if code != "" || !strings.Contains(string(out), `"anthropic:claude-sonnet"`) {
		t.Fatalf("decide with user: %s %s", code, out)
	}

	// A library stays one when the file importing it has an error (only
	// that error is said, as build says it), or is an unused library
	// itself (only that one is refused).
	for _, tc := range []struct {
		files   map[string]string
		want    string
		notWant string
	}{
		{map[string]string{"tm.rpl": "package tm\n\ntest \"math\" {\n  expect 1 + 1 == 3\n}\n"}, "tm.rpl:1:1: error[RPL212]: test module in a policy tree", ""},
		{map[string]string{"lone.rpl": "package lone\n\nconst x = 1\n"}, "lone.rpl:1:1: error[RPL212]: no route function", ""},
		{map[string]string{"user.rpl": "package user\n\nimport \"shared/targets\"\n\nfn route(r: Request) -> Decision = to(targets.strong + undefined_x)\n"}, "undefined: undefined_x", "targets.rpl"},
		{map[string]string{"lib1.rpl": "package lib1\n\nimport \"lib2\"\n\nconst a = lib2.b\n", "lib2.rpl": "package lib2\n\nconst b = 1\n"}, "lib1.rpl:1:1: error[RPL212]: no route function", "lib2.rpl"},
	} {
		bad := copyDir(t, dir, lib)
		for name, src := range tc.files {
			writeFile(t, bad, name, src)
		}
		_, err := e.LoadDir(context.Background(), bad)
		if err == nil || !strings.Contains(err.Error(), tc.want) || (tc.notWant != "" && strings.Contains(err.Error(), tc.notWant)) {
			t.Errorf("%v: LoadDir: %v, want %q and not %q", slices.Collect(maps.Keys(tc.files)), err, tc.want, tc.notWant)
		}
		if cur := e.Current(); cur != good {
			t.Errorf("%s: active %s, want the running %s to stay", tc.want, cur.ShortVersion(), good.ShortVersion())
		}
	}
}

// TestBuildDirTestModulePlaced: a test module in a directory is refused
// by the router as rplc build refuses it, with the same placed error
// (RPL212 at its package clause, file:line:col and message); the router
// said "tm.rpl: no route function", without a position.
func TestBuildDirTestModulePlaced(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	dir := copyDir(t, examples, map[string]string{
		"sub/tm.rpl": "# The tests of no policy.\npackage tm\n\ntest \"math\" {\n  expect 1 + 1 == 2\n}\n",
	})
	res, err := bundle.Build(dir, bundle.BuildOptions{})
	if !errors.Is(err, bundle.ErrCheckFailed) || len(res.Diags) != 1 || res.Diags[0].Code != lang.CodeNoRoute {
		t.Fatalf("bundle.Build: %v %v, want one RPL212", err, res.Diags)
	}
	want := res.Diags[0].Error()
	if !strings.HasPrefix(want, "sub/tm.rpl:2:1: ") {
		t.Fatalf("rplc build says %q, want it at sub/tm.rpl:2:1", want)
	}
	_, err = e.LoadDir(context.Background(), dir)
	le, ok := errors.AsType[*runtime.LoadError](err)
	if !ok || !slices.Contains(le.Problems, want) {
		t.Fatalf("LoadDir: %v, want the problem %q", err, want)
	}
}
