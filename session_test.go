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
	for name, src := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
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
			for _, cover := range []bool{false, true} {
				want, err := e.CompileWith(p, rpl.CompileOptions{Cover: cover})
				if err != nil {
					t.Fatalf("%s: %v", p, err)
				}
				got, err := e.CompileWith(p, rpl.CompileOptions{Cover: cover, Session: s})
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
					t.Errorf("%s (cover %v): the program compiled with a session differs", p, cover)
				}
			}
		}
	}
}
