package compiler_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/rpl-lang/rpl/vm"
)

// TestCostBoundLoops pins spec/language.md §11.3 for the loops of the
// higher-order builtins: a loop over a list whose length is known at
// compile time (a constant, a literal, range of a constant, filter or map
// of one, through lets, parameters and results) has a bound, and it is
// no less than the fuel the run takes, however many elements the
// predicates keep. Before, any such loop left route without a bound. A
// loop over request data has no known maximum size: no bound.
func TestCostBoundLoops(t *testing.T) {
	cases := []struct {
		name    string
		src     string
		bounded bool
	}{
		{"const list", `package p
const xs = ["a", "b", "c", "d"]
fn route(r: Request) -> Decision {
  let ys = xs.filter(x => x != r.model).map(x => x + "!")
  if ys.any(y => y == "a!") { return to("a") }
  to(ys.max_by(y => len(y)) ?? "none")
}`, true},
		{"nested, through params and results", `package p
const xs = [1, 2, 3, 4, 5]
fn big(ns: list[int], k: int) -> list[int] = ns.filter(n => n > k)
fn total(ns: list[int]) -> int = ns.count(n => range(10).all(i => i != n))
fn route(r: Request) -> Decision {
  let b = big(xs, len(r.model) - 20)
  to("t" + string(total(b) + [1, 2, 3].count(n => n > 1)))
}`, true},
		// A call costs by its callee's locals (vm.CallFuel).
		{"calls of a function of many locals", "package p\nfn wide(n: int) -> int {\n  let a0 = n + 1\n  let a1 = a0 + n\n  let a2 = a1 + n\n  let a3 = a2 + n\n  let a4 = a3 + n\n  let a5 = a4 + n\n  let a6 = a5 + n\n  let a7 = a6 + n\n  let a8 = a7 + n\n  let a9 = a8 + n\n  let a10 = a9 + n\n  let a11 = a10 + n\n  let a12 = a11 + n\n  let a13 = a12 + n\n  let a14 = a13 + n\n  let a15 = a14 + n\n  let a16 = a15 + n\n  let a17 = a16 + n\n  let a18 = a17 + n\n  let a19 = a18 + n\n  let a20 = a19 + n\n  let a21 = a20 + n\n  let a22 = a21 + n\n  let a23 = a22 + n\n  let a24 = a23 + n\n  let a25 = a24 + n\n  let a26 = a25 + n\n  let a27 = a26 + n\n  let a28 = a27 + n\n  let a29 = a28 + n\n  let a30 = a29 + n\n  let a31 = a30 + n\n  let a32 = a31 + n\n  let a33 = a32 + n\n  let a34 = a33 + n\n  let a35 = a34 + n\n  let a36 = a35 + n\n  let a37 = a36 + n\n  let a38 = a37 + n\n  let a39 = a38 + n\n  let a40 = a39 + n\n  let a41 = a40 + n\n  let a42 = a41 + n\n  let a43 = a42 + n\n  let a44 = a43 + n\n  let a45 = a44 + n\n  let a46 = a45 + n\n  let a47 = a46 + n\n  a47 % 1000\n}\nfn route(r: Request) -> Decision = to(\"t\" + string(wide(len(r.model)) + wide(1) + wide(2) + wide(3)))\n", true},
		// filter and map make room for their list (vm.ListCapFuel).
		{"filter and map of range(1024)", `package p
fn route(r: Request) -> Decision {
  let n = len(range(1024).filter(i => i >= len(r.model)))
  to("t" + string(n + len(range(1024).map(i => i + len(r.model)))))
}`, true},
		// A list literal longer than a MAKE_LIST is appended to a LIST_CAP.
		{"a literal of 5000 elements", "package p\nfn route(r: Request) -> Decision = to(\"t\" + string(len([" +
			strings.Repeat("len(r.model), ", 4999) + "1])))\n", true},
		// A map literal of up to 8 keys compares every pair of them.
		{"a map literal of 8 long keys", "package p\nfn route(r: Request) -> Decision = to(\"t\" + string(len({" +
			longKeys(8) + "})))\n", true},
		// A map of up to 8 keys compares a long key with each of its
		// length (vm.LookupFuel): a constant key costs what it may.
		{"a long key missing from a constant map of 8", "package p\nfn route(r: Request) -> Decision = to(\"t\" + string({" +
			strings.ReplaceAll(longKeys(8), "len(r.model)", "1") + "}[\"" + strings.Repeat("k", 99) + "9\"] ?? len(r.model)))\n", true},
		{"a long key in a map literal of 8", "package p\nfn route(r: Request) -> Decision = to(\"t\" + string(\"" +
			strings.Repeat("k", 99) + "9\" in {" + longKeys(8) + "}))\n", true},
		// IN_STR charges the pattern's bytes: a constant one's count.
		{"a long constant in request data", "package p\nfn route(r: Request) -> Decision = if \"" +
			strings.Repeat("k", 400) + "\" in r.model { to(\"a\") } else { to(\"b\") }\n", true},
		{"request list", `package p
fn route(r: Request) -> Decision = to(r.user.groups.filter(g => g != "x")[0] ?? "a")
`, false},
		{"parameter given request data", `package p
fn first_ok(gs: list[string]) -> string = gs.filter(g => g != "x")[0] ?? "a"
fn route(r: Request) -> Decision = to(first_ok(["a", "b"]) + first_ok(r.user.groups))
`, false},
	}
	env, err := rpl.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			prog, err := env.CompileSource("p.rpl", []byte(c.src))
			if err != nil {
				t.Fatal(err)
			}
			bound, ok := prog.CostBound()
			if ok != c.bounded {
				t.Fatalf("bounded = %v (bound %d), want %v", ok, bound, c.bounded)
			}
			if !ok {
				return
			}
			for _, model := range []string{"", "a", "openai:gpt-4o-mini-long-model-name"} {
				if fuel := decideFuel(t, prog, model); fuel > bound {
					t.Errorf("model %q: run took %d fuel, above the bound %d", model, fuel, bound)
				}
			}
		})
	}
}

// decideFuel is the fuel prog takes to decide a request for model.
func decideFuel(t *testing.T, prog *rpl.Program, model string) int64 {
	t.Helper()
	req, err := prog.RequestFromJSON([]byte(`{"id": "r1", "model": "` + model + `"}`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := prog.Decide(context.Background(), req, rpl.DefaultInput(time.Unix(0, 0), "r1"))
	if err != nil {
		t.Fatal(err)
	}
	return res.Stats.Fuel
}

// TestCostBoundMatches: a call of matches with a constant pattern
// charges the pattern's parsing and compiling at each call, beyond its
// Cost: the bound counts it (ConstFuel), and so holds where s is empty
// (matching charges by the bytes of s times the pattern's instructions,
// beyond the bound as other charges by input size are); it counted 10
// for a call that took over 800.
func TestCostBoundMatches(t *testing.T) {
	env, err := rpl.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	for _, pat := range []string{"^gpt-4o(-mini)?$", `\\pL+`, "(?i)claude|gemini|llama|mistral"} {
		src := "package p\nconst pat = \"" + pat + "\"\nfn route(r: Request) -> Decision = if matches(r.model, pat) || matches(r.model, \"x\") { to(\"a:b\") } else { to(\"c:d\") }\n"
		prog, err := env.CompileSource("p.rpl", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		bound, ok := prog.CostBound()
		if !ok {
			t.Fatalf("%s: no bound", pat)
		}
		if fuel := decideFuel(t, prog, ""); fuel > bound || fuel < bound/2 {
			t.Errorf("%s: run took %d fuel, the bound is %d", pat, fuel, bound)
		}
	}
}

// TestCostBoundWhy: a policy without a bound says why, and where when it
// is a loop (rplc build prints it).
func TestCostBoundWhy(t *testing.T) {
	u, err := stdlib.Universe()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ src, why, at string }{
		{"package p\nfn route(r: Request) -> Decision =\n  to(r.user.groups.filter(g => g != \"x\")[0] ?? \"a\")\n",
			"a loop over a list of unknown length", "p.rpl:3:6"}, // r.user.groups
		{"package p\nfn f(n: int) -> int = if n <= 0 { 0 } else { f(n - 1) }\nfn route(r: Request) -> Decision = to(string(f(3)))\n",
			"recursion through f", "-"},
		{"package p\nfn route(r: Request) -> Decision = to([\"a\"].filter(g => g != \"x\")[0] ?? \"a\")\n", "", "-"},
	} {
		prog, diags := lang.CheckSource(&lang.Config{Universe: u}, "p.rpl", []byte(c.src))
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		out, err := compiler.Compile(prog, compiler.Options{Builtins: builtinTable(t)})
		if err != nil {
			t.Fatal(err)
		}
		if out.Unbounded != c.why || out.UnboundedAt.String() != c.at || out.Bounded != (c.why == "") {
			t.Errorf("%s: bounded %v, why %q at %s; want %q at %s", c.src, out.Bounded, out.Unbounded, out.UnboundedAt, c.why, c.at)
		}
	}
}

// TestCostBoundExact: the bound counts what instructions charge beyond 1
// when it is known at compile time: MAKE_MAP 1 per entry (and its keys'
// bytes), STR_TEST_CONST and JMP_UNLESS_STR_CONST what the builtin they
// stand for charges for the constant (contains: 1 more). A run that takes
// the longest path, with strings too short to cost by their size, takes no
// more than the bound, and as much when the code has no branch (the bound
// counts both of an if's branches).
func TestCostBoundExact(t *testing.T) {
	long := strings.Repeat("k", 100)
	ors := make([]string, 12)
	for i := range ors {
		ors[i] = `contains(r.model, "` + string(rune('a'+i)) + `")`
	}
	entries := make([]string, 16)
	for i := range entries {
		entries[i] = `"` + string(rune('a'+i)) + `": r.model`
	}
	for _, c := range []struct {
		name  string
		exact bool
		src   string
	}{
		{"map literal", true, `package p
fn route(r: Request) -> Decision = to("x:y").priority(len({` + strings.Join(entries, ", ") + `}))
`},
		{"map literal, long key", true, `package p
fn route(r: Request) -> Decision = to("x:y").priority(len({"` + long + `": r.model, "b": r.model}))
`},
		{"contains, values", true, `package p
fn route(r: Request) -> Decision = to("x:y").priority([` + strings.Join(ors, ", ") + `].count(b => !b))
`},
		{"contains, jumps", false, `package p
fn route(r: Request) -> Decision {
  if ` + strings.Join(ors, " || ") + ` {
    return to("a:b")
  }
  to("x:y")
}`},
		{"starts_with and ends_with, long constants", false, `package p
fn route(r: Request) -> Decision {
  if starts_with(r.model, "` + long + `") || ends_with(r.model, "` + long + `") { return to("a:b") }
  to("x:y").priority(if starts_with(r.model, "` + long + `") { 1 } else { 2 })
}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			env, err := rpl.NewEnv()
			if err != nil {
				t.Fatal(err)
			}
			prog, err := env.CompileSource("p.rpl", []byte(c.src))
			if err != nil {
				t.Fatal(err)
			}
			bound, ok := prog.CostBound()
			if !ok {
				t.Fatal("no bound")
			}
			req, err := prog.RequestFromJSON([]byte(`{"id": "r1", "model": ""}`))
			if err != nil {
				t.Fatal(err)
			}
			res, err := prog.Decide(context.Background(), req, rpl.DefaultInput(time.Unix(0, 0), "r1"))
			if err != nil {
				t.Fatal(err)
			}
			if res.Stats.Fuel > bound || c.exact && res.Stats.Fuel != bound {
				t.Errorf("run took %d fuel, bound %d (exact: %v)", res.Stats.Fuel, bound, c.exact)
			}
		})
	}
}

// longKeys is n entries of a map literal with keys of 100 bytes that share
// a prefix: "kk…k0": len(r.model), …
func longKeys(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%q: len(r.model), ", strings.Repeat("k", 99)+string(rune('0'+i)))
	}
	return b.String()
}

// TestCostBoundTracedLoop: a traced program (rplc explain) runs the first
// TraceLambdaCalls calls of a loop's lambda traced, and the others with
// its body compiled without probes; the bound counts each copy for the
// calls that run it. It counted both for every element, a traced body
// too many for each element past the tenth and a quiet one for each of
// the first ten. Here the lambda's body is straight code, so the bound is
// the traced run's fuel, exactly, whatever the list's length.
func TestCostBoundTracedLoop(t *testing.T) {
	env, err := rpl.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{3, 10, 11, 30, 100} {
		src := fmt.Sprintf(`package p
fn twice(t: int) -> int = t * 2
fn route(r: Request) -> Decision = to("x:y").priority(len(range(%d).map(t => twice(t) + len(r.model))))
`, n)
		path := filepath.Join(t.TempDir(), "p.rpl")
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		prog, err := env.CompileWith(path, rpl.CompileOptions{NoTests: true, Trace: true})
		if err != nil {
			t.Fatal(err)
		}
		bound, ok := prog.CostBound()
		if !ok {
			t.Fatalf("%d elements: no bound", n)
		}
		req, err := prog.RequestFromJSON([]byte(`{"id": "r1", "model": "m"}`))
		if err != nil {
			t.Fatal(err)
		}
		in := rpl.DefaultInput(time.Unix(0, 0), "r1")
		in.Probes = &vm.Probes{}
		res, err := prog.Decide(context.Background(), req, in)
		if err != nil {
			t.Fatal(err)
		}
		if res.Stats.Fuel != bound {
			t.Errorf("%d elements: the traced run took %d fuel, bound %d", n, res.Stats.Fuel, bound)
		}
	}
}
