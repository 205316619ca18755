package lang_test

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/lang"
)

// sharedLibraryTree is a tree of n small policies t0000.rpl… that each
// import lib/common.rpl, a library of 150 functions, as files by path
// under /virtual.
func sharedLibraryTree(n int) map[string]string {
	var lib strings.Builder
	lib.WriteString("package common\n\n")
	for i := range 150 {
		fmt.Fprintf(&lib, "fn score%d(r: Request) -> int {\n    if r.task.type == \"code\" {\n        return %d + r.estimate.input_tokens\n    }\n    %d\n}\n\n", i, i, i)
	}
	files := map[string]string{"/virtual/lib/common.rpl": lib.String()}
	for i := range n {
		files[fmt.Sprintf("/virtual/t%04d.rpl", i)] = fmt.Sprintf("package t%04d\n\nimport \"lib/common\"\n\nfn route(r: Request) -> Decision {\n    if common.score%d(r) > 1000 {\n        return to(\"anthropic:claude-sonnet\").because(\"big\")\n    }\n    to(\"openai:gpt-4o-mini\")\n}\n", i, i%150)
	}
	return files
}

func readMap(files map[string]string) func(string) ([]byte, error) {
	return func(p string) ([]byte, error) {
		if s, ok := files[filepath.ToSlash(filepath.Clean(p))]; ok {
			return []byte(s), nil
		}
		return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
	}
}

// BenchmarkCheckSharedLibrary checks 100 policies that import one
// library of 150 functions, as rplc check does a tree: with a session,
// the library is checked once, not once per policy (195 ms, 108 MiB and
// 774k allocations without; 36 ms, 28 MiB and 29k with, most of it the
// copy of the library's side tables into each policy's Info).
func BenchmarkCheckSharedLibrary(b *testing.B) {
	u := universe(b)
	files := sharedLibraryTree(100)
	for _, shared := range []bool{false, true} {
		b.Run(fmt.Sprintf("session=%v", shared), func(b *testing.B) {
			for b.Loop() {
				cfg := &lang.Config{Universe: u, Policy: true, ReadFile: readMap(files)}
				if shared {
					cfg.Session = lang.NewSession()
				}
				for i := range 100 {
					if _, diags := lang.Check(cfg, fmt.Sprintf("/virtual/t%04d.rpl", i)); len(diags) > 0 {
						b.Fatal(diags)
					}
				}
			}
		})
	}
}

// checkTree checks each of paths with cfg, returning the diagnostics of
// each as text.
func checkTree(cfg *lang.Config, paths []string) []string {
	var out []string
	for _, p := range paths {
		prog, diags := lang.Check(cfg, p)
		var b strings.Builder
		for _, d := range diags {
			fmt.Fprintf(&b, "%s:%d:%d: %s %s\n", d.File.Name, d.Span.Start, d.Span.End, d.Code, d.Message)
		}
		if prog != nil {
			for _, pkg := range prog.Packages {
				fmt.Fprintf(&b, "pkg %s %s\n", pkg.Path, pkg.Name)
			}
		}
		out = append(out, b.String())
	}
	return out
}

// TestSessionSameDiagnostics checks trees with and without a session: a
// library with an error is reported with each importer, at the library's
// positions, as without one; one without is shared; a policy that
// extends what a shared library loads (d), or loads a file that does
// after importing it (f), is checked as without a session, and so is a
// library on a cycle of imports (h); a library imported by a library and
// a policy is one package (g).
func TestSessionSameDiagnostics(t *testing.T) {
	u := universe(t)
	files := map[string]string{
		"/virtual/lib/good.rpl":      "package good\n\nimport \"base\"\n\nfn f(x: int) -> int = base.g(x) + 1\n\nfn h(s: string) -> bool {\n    match s {\n        \"a\" => true,\n        _ => false,\n    }\n}\n",
		"/virtual/lib/base.rpl":      "package base\n\nfn g(x: int) -> int = x * 2\n",
		"/virtual/lib/bad.rpl":       "package bad\n\nfn f(x: int) -> int = x + \"s\"\n\nfn u() -> int {\n    let y = 1\n    2\n}\n",
		"/virtual/a.rpl":             "package a\n\nimport \"lib/good\"\nimport \"lib/bad\"\n\nfn route(r: Request) -> Decision {\n    if good.f(1) > bad.f(2) && good.h(\"a\") {\n        return to(\"openai:gpt-4o\")\n    }\n    to(\"openai:gpt-4o-mini\")\n}\n",
		"/virtual/b.rpl":             "package b\n\nimport \"lib/bad\"\nimport \"lib/good\"\n\nfn route(r: Request) -> Decision {\n    if bad.f(1) > good.f(2) {\n        return to(\"openai:gpt-4o\")\n    }\n    to(\"openai:gpt-4o-mini\")\n}\n",
		"/virtual/c.rpl":             "package c\n\nimport \"lib/good\"\n\nfn route(r: Request) -> Decision {\n    if good.f(\"x\") > 1 {\n        return to(\"openai:gpt-4o\")\n    }\n    to(\"openai:gpt-4o-mini\")\n}\n",
		"/virtual/d.rpl":             "package d\n\nimport \"lib/good\"\nextends \"lib/base\"\n\nfn g(x: int) -> int = x * 3\n\nfn route(r: Request) -> Decision {\n    if good.f(1) > g(2) {\n        return to(\"openai:gpt-4o\")\n    }\n    to(\"openai:gpt-4o-mini\")\n}\n",
		"/virtual/e.rpl":             "package e\n\nimport \"lib/good\"\n\nfn route(r: Request) -> Decision = to(\"openai:gpt-4o-mini\")\n",
		"/virtual/lib/ext.rpl":       "package ext\n\nextends \"base\"\n\nfn g(x: int) -> int = x * 4\n",
		"/virtual/f.rpl":             "package f\n\nimport \"lib/good\"\nimport \"lib/ext\"\n\nfn route(r: Request) -> Decision {\n    if good.f(1) > ext.g(2) {\n        return to(\"openai:gpt-4o\")\n    }\n    to(\"openai:gpt-4o-mini\")\n}\n",
		"/virtual/g.rpl":             "package g\n\nimport \"lib/base\"\nimport \"lib/good\"\n\nfn route(r: Request) -> Decision {\n    if good.f(1) > base.g(2) {\n        return to(\"openai:gpt-4o\")\n    }\n    to(\"openai:gpt-4o-mini\")\n}\n",
		"/virtual/lib/c1.rpl":        "package c1\n\nimport \"c2\"\n\nconst k = c2.k\n",
		"/virtual/lib/c2.rpl":        "package c2\n\nimport \"c1\"\n\nconst k = 1\n",
		"/virtual/h.rpl":             "package h\n\nimport \"lib/c1\"\n\nfn route(r: Request) -> Decision = to(\"openai:gpt-4o-mini\").because(\"x\" + c1.k)\n",
		"/virtual/lib/good_test.rpl": "package good\n\ntest \"never read\" {\n    assert 1 == 2\n}\n",
	}
	paths := []string{"/virtual/a.rpl", "/virtual/b.rpl", "/virtual/c.rpl", "/virtual/d.rpl", "/virtual/e.rpl", "/virtual/f.rpl", "/virtual/g.rpl", "/virtual/h.rpl", "/virtual/lib/good.rpl", "/virtual/lib/bad.rpl"}
	want := checkTree(&lang.Config{Universe: u, Policy: true, ReadFile: readMap(files)}, paths)
	got := checkTree(&lang.Config{Universe: u, Policy: true, ReadFile: readMap(files), Session: lang.NewSession()}, paths)
	for i := range paths {
		if got[i] != want[i] {
			t.Errorf("%s: with a session:\n%s\nwithout:\n%s", paths[i], got[i], want[i])
		}
	}
	if h := got[slices.Index(paths, "/virtual/h.rpl")]; !strings.Contains(h, "cycle of imports") {
		t.Errorf("h.rpl: want the cycle of lib/c1 and lib/c2 reported, have:\n%s", h)
	}
	// A library without errors is one package for all its importers.
	cfg := &lang.Config{Universe: u, Policy: true, ReadFile: readMap(files), Session: lang.NewSession()}
	var goods []*lang.Package
	for _, p := range []string{"/virtual/a.rpl", "/virtual/c.rpl", "/virtual/g.rpl"} {
		prog, _ := lang.Check(cfg, p)
		for _, pkg := range prog.Packages {
			if pkg.Path == "/virtual/lib/good.rpl" {
				goods = append(goods, pkg)
			}
		}
	}
	if len(goods) != 3 || goods[0] != goods[1] || goods[1] != goods[2] {
		t.Errorf("lib/good.rpl: %p, want one package for its 3 importers", goods)
	}
	// The library's error is each importer's, at the library's position.
	for i, p := range paths[:2] {
		if !strings.Contains(got[i], "/virtual/lib/bad.rpl:") {
			t.Errorf("%s: want the error of lib/bad.rpl, have:\n%s", p, got[i])
		}
	}
}
