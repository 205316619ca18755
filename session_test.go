package rpl_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/lang"
)

// TestCompileSessionSameProgram: a policy compiled with a session, its
// libraries shared with the other policies of the tree, is the program
// compiled without one, byte for byte: the examples, and a tree whose
// library has types, constants, matches (exhaustive without a catch-all
// too, which coverage reads), lambdas and a library of its own.
func TestCompileSessionSameProgram(t *testing.T) {
	e, err := rpl.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string]string{
		"lib/base.rpl": "package base\n\nconst limit = 1000\n\nfn high(n: int) -> bool = n > limit\n\nfn side(n: int) -> string {\n    match n > limit {\n        true => {\n            return \"a\"\n        },\n        false => {\n            return \"b\"\n        },\n    }\n}\n",
		"lib/common.rpl": "package common\n\nimport \"base\"\n\ntype Plan = { name: string, cap: int }\n\nconst plans: list[Plan] = [{name: \"a\", cap: 10}, {name: \"b\", cap: 20}]\n\n" +
			"fn pick(r: Request) -> string {\n    match base.high(r.estimate.input_tokens) {\n        true => \"anthropic:claude-sonnet\",\n        false => \"openai:gpt-4o-mini\",\n    }\n}\n\n" +
			"fn caps() -> int = len(plans.filter(p => p.cap > 10).map(p => p.name))\n\nfn label(s: string) -> string {\n    match s {\n        \"code\" => \"c\",\n        _ => \"o\",\n    }\n}\n",
		"p1.rpl": "package p1\n\nimport \"lib/common\"\n\nfn route(r: Request) -> Decision = to(common.pick(r)).because(common.label(r.task.type))\n",
		"p2.rpl": "package p2\n\nimport \"lib/common\"\nimport \"lib/base\"\n\nfn route(r: Request) -> Decision {\n    if common.caps() > base.limit {\n        return to(\"openai:gpt-4o\")\n    }\n    to(common.pick(r))\n}\n",
		"p3.rpl": "package p3\n\nimport \"lib/base\"\n\nfn route(r: Request) -> Decision = to(\"openai:gpt-4o-mini\").because(base.side(2))\n",
	}
	writeTree(t, dir, files)
	examples, _ := filepath.Glob("examples/policies/*.rpl")
	for _, paths := range [][]string{
		{filepath.Join(dir, "p1.rpl"), filepath.Join(dir, "p2.rpl"), filepath.Join(dir, "p3.rpl")},
		examples,
	} {
		s := lang.NewSession()
		for _, p := range paths {
			if lang.IsTestFile(p) {
				continue
			}
			// With coverage, a statement match's "no arm" outcome is
			// there unless the checker found the match exhaustive.
			sameWithSession(t, e, s, p, rpl.CompileOptions{}, rpl.CompileOptions{Cover: true})
		}
	}
}

// TestCompileSessionSameProgramImporters: the programs of policies that
// import shared libraries in both orders, extend one or a policy that
// imports one, with its test file, are the same with a session, with
// coverage, tracing or without tests.
func TestCompileSessionSameProgramImporters(t *testing.T) {
	e, err := rpl.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string]string{
		"lib/base.rpl": "package base\n\nconst K = 10\n\nconst T = \"openai:gpt-4o\"\n\nconst L = [K, K * 2]\n\ntype Plan = {name: string, cap: int}\n\nfn g(x: int) -> int = x * 2\n\nfn tr(t: Trigger) -> string = match t {\n  Trigger.timeout => \"t\"\n  _ => \"o\"\n}\n\nfn full(t: Trigger) -> string = match t {\n  Trigger.timeout => \"t\"\n  Trigger.http_5xx | Trigger.http_429 => \"h\"\n  connection_error => \"c\"\n  any_error => \"a\"\n}\n\nfn st(t: Trigger) -> string {\n  let x = \"\"\n  match t {\n    Trigger.timeout => {\n      return \"t\"\n    }\n    Trigger.http_5xx | Trigger.http_429 | connection_error | any_error => {\n      return \"o\"\n    }\n  }\n  x\n}\n\nfn dest(s: string) -> Decision = to(s)\n",
		"lib/mid.rpl":  "package mid\n\nimport \"base\"\n\nconst M = base.K + 1\n\nconst ML = [base.K, M]\n\nconst P: base.Plan = {name: \"x\", cap: M}\n\nfn h(xs: list[int]) -> list[int] = xs.map(x => base.g(x)).filter(x => x > M)\n\nfn apply(x: int) -> int = x + M\n\nfn sel(b: bool) -> int {\n  if b {\n    return 1\n  }\n  2\n}\n",
		"a.rpl":        "package a\n\nimport \"lib/mid\"\nimport \"lib/base\"\n\nconst X = mid.M * base.K\n\nconst Y = mid.M + base.K\n\nfn route(r: Request) -> Decision {\n  let p: base.Plan = mid.P\n  if X > 100 && p.cap > Y {\n    return to(base.T)\n  }\n  base.dest(base.T).because(base.tr(Trigger.timeout) + base.full(Trigger.http_429) + base.st(Trigger.timeout) + string(mid.apply(X)) + string(len(mid.h([1, 2, 3]))))\n}\n",
		"b.rpl":        "package b\n\nimport \"lib/base\"\nimport \"lib/mid\"\n\nfn route(r: Request) -> Decision {\n  if mid.sel(true) > base.K {\n    return to(base.T)\n  }\n  to(base.T).because(string(mid.P.cap))\n}\n",
		"i.rpl":        "package i\n\nimport \"lib/mid\"\n\nconst M = 3\n\nfn route(r: Request) -> Decision = to(\"a:b\").because(string(mid.M + M))\n",
		"i_test.rpl":   "package i\n\nimport \"lib/base\"\nimport \"lib/mid\"\n\ntest \"t\" {\n  expect base.K + mid.M == 21\n}\n",
		"j.rpl":        "package j\n\nextends \"i\"\n\nimport \"lib/base\"\n\nconst M = 4\n\nfn route(r: Request) -> Decision = to(base.T).because(string(M))\n",
		"l.rpl":        "package l\n\nimport \"lib/base\"\nextends \"lib/mid\"\n\nconst M = 50\n\nfn route(r: Request) -> Decision = to(\"a:b\").because(string(ML[1] + base.K + apply(1)))\n",
	}
	writeTree(t, dir, files)
	for _, order := range [][]string{{"a", "b", "i", "j", "l"}, {"l", "j", "i", "b", "a"}} {
		s := lang.NewSession()
		for _, n := range order {
			sameWithSession(t, e, s, filepath.Join(dir, n+".rpl"), rpl.CompileOptions{}, rpl.CompileOptions{Cover: true}, rpl.CompileOptions{NoTests: true}, rpl.CompileOptions{Trace: true})
		}
	}
}

// writeTree writes files, by slash-separated path, under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, src := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// sameWithSession compiles the policy at p with each of opts, without a
// session and then with s, and reports a program that differs.
func sameWithSession(t *testing.T, e *rpl.Env, s *lang.Session, p string, opts ...rpl.CompileOptions) {
	t.Helper()
	for _, o := range opts {
		want, err := e.CompileWith(p, o)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		o.Session = s
		got, err := e.CompileWith(p, o)
		if err != nil {
			t.Fatalf("%s with a session: %v", p, err)
		}
		wb, err := want.VM().MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		gb, err := got.VM().MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(wb, gb) {
			o.Session = nil
			t.Errorf("%s (%+v): the program compiled with a session differs", p, o)
		}
	}
}
