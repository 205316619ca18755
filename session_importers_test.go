package rpl_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/lang"
)

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
	for name, src := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(src), 0o644)
	}
	for _, order := range [][]string{{"a", "b", "i", "j", "l"}, {"l", "j", "i", "b", "a"}} {
		s := lang.NewSession()
		for _, n := range order {
			p := filepath.Join(dir, n+".rpl")
			for _, opts := range []rpl.CompileOptions{{}, {Cover: true}, {NoTests: true}, {Trace: true}} {
				want, err := e.CompileWith(p, opts)
				if err != nil {
					t.Fatalf("%s: %v", p, err)
				}
				opts.Session = s
				got, err := e.CompileWith(p, opts)
				if err != nil {
					t.Fatalf("%s with a session: %v", p, err)
				}
				wb, _ := want.VM().MarshalBinary()
				gb, _ := got.VM().MarshalBinary()
				if !bytes.Equal(wb, gb) {
					t.Errorf("%s (%+v): the program compiled with a session differs", p, opts)
				}
			}
		}
	}
}
