package lang_test

import "testing"

// TestSessionSameDiagnosticsImporters: libraries with constants of
// constants, records, matches, calls that always fail, an unused import
// and recursion, imported in both orders, by policies that fail, extend
// them or a policy importing them, and by a test file.
func TestSessionSameDiagnosticsImporters(t *testing.T) {
	files := map[string]string{
		"/virtual/lib/base.rpl":   "package base\n\nconst K = 10\n\nconst T = \"openai:gpt-4o\"\n\nconst EMPTY = \"\"\n\nconst L = [K, K * 2]\n\ntype Plan = {name: string, cap: int}\n\nfn g(x: int) -> int = x * 2\n\nfn tr(t: Trigger) -> string = match t {\n  Trigger.timeout => \"t\"\n  _ => \"o\"\n}\n\nfn dest(s: string) -> Decision = to(s)\n",
		"/virtual/lib/mid.rpl":    "package mid\n\nimport \"base\"\n\nconst M = base.K + 1\n\nconst ML = [base.K, M]\n\nconst P: base.Plan = {name: \"x\", cap: M}\n\nfn h(xs: list[int]) -> list[int] = xs.map(x => base.g(x)).filter(x => x > M)\n\nfn apply(x: int) -> int = x + M\n\nfn sel(b: bool) -> int {\n  if b {\n    return 1\n  }\n  2\n}\n",
		"/virtual/lib/unused.rpl": "package unused\n\nimport \"base\"\n\nfn u() -> int = 1\n",
		"/virtual/lib/rec.rpl":    "package rec\n\nfn f(n: int) -> int = if n > 0 { f(n - 1) } else { 0 }\n",
		"/virtual/a.rpl":          "package a\n\nimport \"lib/mid\"\nimport \"lib/base\"\n\nconst X = mid.M * base.K\n\nconst Y = mid.ML[1] + base.L[0]\n\nfn route(r: Request) -> Decision {\n  let p: base.Plan = mid.P\n  if X > 100 && p.cap > Y {\n    return to(base.T)\n  }\n  base.dest(base.EMPTY).because(base.tr(Trigger.timeout) + string(mid.apply(X)) + string(len(mid.h([1, 2, 3]))))\n}\n",
		"/virtual/b.rpl":          "package b\n\nimport \"lib/base\"\nimport \"lib/mid\"\n\nfn route(r: Request) -> Decision {\n  if mid.sel(true) > base.K {\n    return to(base.T)\n  }\n  to(base.EMPTY)\n}\n",
		"/virtual/c.rpl":          "package c\n\nimport \"lib/mid\"\n\nfn route(r: Request) -> Decision = to(mid.nope())\n",
		"/virtual/d.rpl":          "package d\n\nimport \"lib/mid\"\nimport \"lib/unused\"\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n",
		"/virtual/e.rpl":          "package e\n\nimport \"lib/rec\"\nimport \"lib/mid\"\n\nfn route(r: Request) -> Decision = to(\"a:b\").because(string(rec.f(mid.M)))\n",
		"/virtual/f.rpl":          "package f\n\nimport \"lib/mid\"\n\nfn h(x: int) -> int = mid.apply(h(x))\n\nfn route(r: Request) -> Decision = to(\"a:b\").because(string(h(1)))\n",
		"/virtual/g.rpl":          "package g\n\nimport \"lib/mid\"\n\nfn tr(t: Trigger) -> string = match t {\n  Trigger.timeout => \"t\"\n}\n\nfn route(r: Request) -> Decision = to(\"a:b\").because(tr(Trigger.timeout) + string(mid.M))\n",
		"/virtual/h.rpl":          "package h\n\nimport \"lib/base\"\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n",
		"/virtual/i.rpl":          "package i\n\nimport \"lib/mid\"\n\nfn route(r: Request) -> Decision = to(\"a:b\").because(string(mid.M))\n",
		"/virtual/i_test.rpl":     "package i\n\nimport \"lib/base\"\nimport \"lib/mid\"\n\ntest \"t\" {\n  expect base.K + mid.M == 21\n}\n",
		"/virtual/j.rpl":          "package j\n\nextends \"i\"\n\nimport \"lib/base\"\n\nfn route(r: Request) -> Decision = to(base.T)\n",
		"/virtual/k.rpl":          "package k\n\nextends \"lib/mid\"\n\nconst M = 50\n\nfn route(r: Request) -> Decision = to(\"a:b\").because(string(M))\n",
		"/virtual/l.rpl":          "package l\n\nimport \"lib/base\"\nextends \"lib/mid\"\n\nconst M = 50\n\nfn route(r: Request) -> Decision = to(\"a:b\").because(string(ML[1] + base.K))\n",
	}
	paths := sortedPaths(files)
	paths = append(paths, "/virtual/lib/mid.rpl", "/virtual/lib/base.rpl", "/virtual/i_test.rpl", "/virtual/a.rpl")
	sameWithSession(t, files, paths)
	// In reverse order.
	for i, j := 0, len(paths)-1; i < j; i, j = i+1, j-1 {
		paths[i], paths[j] = paths[j], paths[i]
	}
	sameWithSession(t, files, paths)
}
