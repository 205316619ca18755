package stdlib_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/rpl-lang/rpl/vm"
)

// TestConstCheckAgrees checks that the checker's RPL326 (a builtin's
// ConstCheck) and the run agree, call by call: a call the checker warns
// of, at the argument marked, fails when a test block runs it with the
// error the warning names, and a call it does not warn of runs. Each call
// is checked, compiled and run as rplc test runs it, in a test block with
// a fresh MemState.
func TestConstCheckAgrees(t *testing.T) {
	u, err := stdlib.Universe()
	if err != nil {
		t.Fatal(err)
	}
	tab, err := stdlib.Table()
	if err != nil {
		t.Fatal(err)
	}
	long := `"openai:` + strings.Repeat("m", 249) + `"` // 256 bytes
	tooLong := `"openai:` + strings.Repeat("m", 250) + `"`
	// call is a statement of a test block; at, the argument the warning
	// points at ("" for none): its first occurrence in call.
	cases := []struct{ call, at string }{
		{`to("openai:gpt-4o")`, ""},
		{`to("openai")`, ""},
		{`to("")`, `""`},
		{`to(" openai:gpt-4o")`, `" openai:gpt-4o"`},
		{`to("openai:gpt 4o")`, `"openai:gpt 4o"`},
		{`to("openai:gpt-4o\n")`, `"openai:gpt-4o\n"`},
		{`to("openai:\t")`, `"openai:\t"`},
		{`to("p:")`, `"p:"`},
		{`to(":m")`, `":m"`},
		{`to(":")`, `":"`},
		{`to("a:b:c")`, ""},
		{`to("été:modèle")`, ""},
		{"to(\"openai:\u00a0x\")", "\"openai:\u00a0x\""},
		{"to(\"openai:\u2028x\")", "\"openai:\u2028x\""},
		{`to(` + long + `)`, ""},
		{`to(` + tooLong + `)`, tooLong},
		{`to("openai:" + "gpt-4o")`, ""},
		{`to("openai:" + " gpt")`, `"openai:" + " gpt"`},
		{`to("a").fallback("b:c")`, ""},
		{`to("a").fallback("b:")`, `"b:"`},
		{`to("a").fallback("b", on: [])`, `[]`},
		{`to("a").fallback("b", on: [timeout])`, ""},
		{`to("a").fallback("b", retries: 0, backoff: 0s)`, ""},
		{`to("a").fallback("b", retries: -1)`, `-1`},
		{`to("a").fallback("b", backoff: -1ms)`, `-1ms`},
		{`to("a").fallback("", on: [], retries: -1)`, `""`},
		{`to("a").fallback("b", on: [], retries: -1)`, `[]`},
		{`weighted({"a:b": 1, "c": 0})`, ""},
		{`weighted({"a:b": 1, "c ": 1})`, `{`},
		{`weighted({"a:b": 0, "c": 0})`, `{`},
		{`weighted({"a:b": -1, "c": 2})`, `{`},
		{`weighted({"a": 4611686018427387904})`, ""},
		{`weighted({"a": 4611686018427387904, "b": 1})`, `{`},
		{`weighted({})`, `{`},
		{`weighted({"a:b": len(string(now())), "c": 1})`, ""},
		{`weighted({"a:b": len(string(now())), "c d": 1})`, `{`},
		{`weighted({"a:b": len(string(now())), "": 1})`, `{`},
		{`weighted({"a:b": len(string(now())), "c": -1})`, `{`},
		{`weighted({"a:b": len(string(now())), "c": 0})`, ""},
		{`weighted({"a:b": len(string(now())), "c": 4611686018427387905})`, `{`},
		{`ab.arm("e", "k", {"x": len(string(now())), "y": 0})`, ""},
		{`ab.arm("e", "k", {"x": len(string(now())), "y": -2})`, `{`},
		{`ab.arm("e", "k", {"x": 1, "y": 1})`, ""},
		{`ab.arm("e", "k", {"x": 0})`, `{`},
		{`ab.arm("e", "k", {"x": -2, "y": 3})`, `{`},
		{`to("a").sticky("k", ttl: 1s)`, ""},
		{`to("a").sticky("k", ttl: 0s)`, `0s`},
		{`to("a").sticky("k", ttl: -5m)`, `-5m`},
		{`to("a").tag("team", "")`, ""},
		{`to("a").tag("", "x")`, `""`},
		{`to("a").pre("x").validate("y").post("z")`, ""},
		{`to("a").pre("")`, `""`},
		{`to("a").validate("")`, `""`},
		{`to("a").post("")`, `""`},
		{`matches("gpt-4o", "^gpt-4")`, ""},
		{`matches("x", "(")`, `"("`},
		{`matches("x", "[z-a]")`, `"[z-a]"`},
		{`matches("x", "a{1001}")`, `"a{1001}"`},
		{`matches("x", "\\8")`, `"\\8"`},
		{`matches("x", "(?P<n>a)(?P<n>b)")`, ""}, // RE2 takes a name twice
		{`bucket("k", 1)`, ""},
		{`bucket("k", 0)`, `0`},
		{`bucket("k", -3)`, `-3`},
		{`int(9.2e18) + int(-9.2e18) + int(0.5)`, ""},
		{`int(1e19)`, `1e19`},
		{`int(-1e19)`, `-1e19`},
		{`int(-9223372036854775808.0)`, ""},
		{`int(9223372036854775808.0)`, `9223372036854775808.0`},
		{`money(9.2e9)`, ""},
		{`money(9.3e9)`, `9.3e9`},
		{`money(-1e300)`, `-1e300`},
		{`round(9.2e18) + floor(-9.2e18) + ceil(1.5)`, ""},
		{`round(1e300)`, `1e300`},
		{`floor(-1e20)`, `-1e20`},
		{`ceil(1e19)`, `1e19`},
		{`abs(-9223372036854775807)`, ""},
		{`abs(-9223372036854775807 - 1)`, `-9223372036854775807 - 1`},
		{`sum([9223372036854775807, 1, -1])`, ""},
		{`sum([9223372036854775807, 1])`, `[`},
		{`sum([-9223372036854775807, -2])`, `[`},
		{`sum([$9223372036, $0.85])`, ""},
		{`sum([$9223372036, $1])`, `[`},
		{`testing.set_price("openai:gpt-4o", $1, $2)`, ""},
		{`testing.set_price("a b", $1, $2)`, `"a b"`},
		{`testing.set_price("a", -$1, $2)`, `-$1`},
		{`testing.set_price("a", $1, -$0.5)`, `-$0.5`},
		{`testing.set_health("a", false, error_rate: 0.5)`, ""},
		{`testing.set_health(":x", false)`, `":x"`},
		{`testing.set_health("a", true, error_rate: 1.5)`, `1.5`},
		{`testing.set_health("a", true, error_rate: -1)`, `-1`},
		{`testing.set_latency("a", 0s)`, ""},
		{`testing.set_latency("", 1s)`, `""`},
		{`testing.set_latency("a", -1s)`, `-1s`},
		{`testing.set_spend("acme", month: $1, day: $0)`, ""},
		{`testing.set_spend("acme", month: -$1)`, `-$1`},
		{`testing.set_spend("acme", day: -$1)`, `-$1`},
		{`testing.set_now("2025-06-01T14:00:00Z")`, ""},
		{`testing.set_now("2025-06-01 14:00")`, `"2025-06-01 14:00"`},
		{`testing.set_now("2300-01-01T00:00:00Z")`, `"2300-01-01T00:00:00Z"`},
		// Through calls of pure builtins, folded as the compiler folds them.
		{`to("a:" + lower("XY"))`, ""},
		{`to("a:" + lower("X Y"))`, `"a:" + lower("X Y")`},
		{`to(trim("  openai:gpt-4o  "))`, ""},
		{`to(replace("openai:gpt", "gpt", ""))`, `replace(`},
		{`to(first(split("p:q,r", ",")) ?? "")`, ""},
		{`to(first(split("p:,q", ",")) ?? "")`, `first(`},
		{`to(json_get("{\"t\": \"p:\"}", "t") ?? "x")`, `json_get(`},
		{`to(join(reverse(["m", ":"]), ""))`, `join(`},
		{`to(upper(string(timeout)) + ":" + string(len("abc")))`, ""},
		{`to(string(random()))`, ""},                  // random() is not pure: not folded
		{`to("a:" + string(len(range(200000))))`, ""}, // beyond the fold's budget: not folded
		{`to("a").fallback(lower("B:"))`, `lower(`},
		{`to("a").fallback("b", retries: -len("ab"))`, `-len("ab")`},
		{`to("a").fallback("b", backoff: min(1s, -1ms))`, `min(`},
		{`to("a").fallback("b", on: filter([timeout], (t) => t == timeout))`, ""}, // a lambda: not folded
		{`to("a").sticky("k", ttl: max(0s, -1s))`, `max(`},
		{`to("a").tag(substr("abc", 2, 1), "x")`, `substr(`},
		{`to("a").pre(trim(" x "))`, ""},
		{`to("a").post(trim("  "))`, `trim(`},
		{`weighted({"a:b": len("ab"), "c": len("")})`, ""},
		{`weighted({"a:b": len(""), "c": abs(0)})`, `{`},
		{`ab.arm("e", "k", {"x": len("ab") - 3})`, `{`},
		{`matches("x", "(" + lower("A"))`, `"(" + lower("A")`},
		{`matches("x", "(" + lower("A") + ")")`, ""},
		{`bucket("k", len(""))`, `len("")`},
		{`bucket("k", hash("k") % 7 + 1)`, ""},
		{`int(float(9223372036854775807) * 2.0)`, `float(9223372036854775807) * 2.0`},
		{`int(seconds(1s) * 1e19)`, `seconds(1s) * 1e19`},
		// An overflow to infinity, or NaN, is the machine's value, not
		// RPL315's: the call given it is judged as it runs.
		{`int(float(1) * 1e308 * 10.0)`, `float(1) * 1e308 * 10.0`},
		{`int(float(0) * (float(1) * 1e308 * 10.0))`, `float(0) * (float(1) * 1e308 * 10.0)`},
		{`matches("x", string(float(1) * 1e308 * 10.0))`, `string(float(1) * 1e308 * 10.0)`},
		{`money(float($1) * 1e10)`, `float($1) * 1e10`},
		{`abs(min(-9223372036854775807 - 1, 0))`, `min(`},
		{`abs(-len("ab"))`, ""},
		{`sum([max(9223372036854775807, 0), 1])`, `[`},
		{`sum(range(3)) + sum(sort([3, 1]))`, ""},
		{`testing.set_price(lower("A B"), $1, $2)`, `lower(`},
		{`testing.set_price("a", min($1, -$1), $2)`, `min(`},
		{`testing.set_health("a", true, error_rate: float(len("ab")))`, `float(`},
		{`testing.set_latency("a", min(1s, -1s))`, `min(`},
		{`testing.set_now(replace("2025-06-01T14:00:00Z", "T", " "))`, `replace(`},
		{`testing.set_spend(lower("ACME"), month: -max($1, $2))`, `-max(`},
	}
	for _, tc := range cases {
		t.Run(tc.call, func(t *testing.T) {
			stmt := tc.call
			if !strings.HasPrefix(stmt, "testing.") {
				stmt = "expect string(" + stmt + ") != \"\""
			}
			const prefix = "  "
			prog, warned := checkWarned(t, u, "", prefix+stmt)
			wantCol := 0
			if tc.at != "" {
				wantCol = len(prefix) + strings.Index(stmt, tc.at) + 1
			}
			// Compiled without folding, and folding pure calls as
			// rplc builds: the compiler leaves a call that fails to
			// the run.
			for _, opts := range []compiler.Options{{}, {Builtins: tab}} {
				runAgrees(t, prog, opts, tab, warned, 7, wantCol)
			}
		})
	}
}

// checkWarned checks a policy of a route and the declarations decls, and
// a test file whose one test holds stmt; it returns the program and its
// RPL326 warning (nil for none), the test failing if there are two or the
// files do not check.
func checkWarned(t *testing.T, u *lang.Universe, decls, stmt string) (*lang.Program, *lang.Diagnostic) {
	t.Helper()
	main := "package p\n\nfn route(r: Request) -> Decision = to(\"openai:gpt-4o\")\n"
	if decls != "" {
		main += "\n" + decls
	}
	files := map[string]string{
		"/v/p.rpl":      main,
		"/v/p_test.rpl": "package p\n\nimport \"std/ab\"\nimport \"std/testing\"\n\ntest \"t\" {\n" + stmt + "\n}\n",
	}
	read := func(p string) ([]byte, error) {
		if s, ok := files[p]; ok {
			return []byte(s), nil
		}
		return nil, os.ErrNotExist
	}
	prog, diags := lang.Check(&lang.Config{Universe: u, ReadFile: read}, "/v/p.rpl")
	if diags.HasErrors() {
		t.Fatalf("does not check: %v", diags.Err())
	}
	var warned *lang.Diagnostic
	for _, d := range diags {
		if d.Code == lang.CodeAlwaysFails {
			if warned != nil {
				t.Errorf("two warnings: %v; %v", warned, d)
			}
			warned = d
		}
	}
	return prog, warned
}

// runAgrees compiles prog with opts, runs its first test block as rplc
// test runs it (a fresh MemState) and checks the run against warned, the
// RPL326 warning the checker gave (nil for none): with none (wantCol 0),
// the run succeeds; with one, at line:wantCol, the run fails with the
// error the warning names.
func runAgrees(t *testing.T, prog *lang.Program, opts compiler.Options, tab *vm.BuiltinTable, warned *lang.Diagnostic, line, wantCol int) {
	t.Helper()
	out, err := compiler.Compile(prog, opts)
	if err != nil {
		t.Fatalf("does not compile: %v", err)
	}
	p, err := vm.NewProgram(out.Spec, tab)
	if err != nil {
		t.Fatalf("link: %v", err)
	}
	in := vm.Input{Now: time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC), Seed: 1, Host: &stdlib.MemState{}}
	_, _, runErr := vm.NewMachine().RunNamed(context.Background(), p, out.Tests[0].Entry, nil, vm.Limits{}, in)
	switch {
	case wantCol == 0 && warned != nil:
		t.Errorf("warned of a call that may run: %v", warned)
	case wantCol == 0 && runErr != nil:
		t.Errorf("run failed: %v", runErr)
	case wantCol != 0 && warned == nil:
		t.Errorf("no warning; the run fails with %v", runErr)
	case wantCol != 0 && runErr == nil:
		t.Errorf("warned (%v), but the run succeeds", warned)
	case wantCol != 0:
		var ve *vm.Error
		if !errors.As(runErr, &ve) {
			t.Fatalf("run error %v, want a vm.Error", runErr)
		}
		_, why, _ := strings.Cut(warned.Message, "always fails when it runs: ")
		switch ve.Code {
		case vm.CodeBuiltinError: // the builtin's error
			if why == "" || ve.Cause == nil || ve.Cause.Error() != why {
				t.Errorf("warning %q, run error %q", warned.Message, ve.Cause)
			}
		case vm.CodeIntOverflow: // "int(float): 1e+300 is out of the int range"
			if why == "" || !strings.HasSuffix(ve.Msg, "): "+why) {
				t.Errorf("warning %q, run error %q", warned.Message, ve.Msg)
			}
		default:
			t.Errorf("run error %v, want a builtin_error or int_overflow", runErr)
		}
		if pos := warned.Position(); pos.Line != line || pos.Col != wantCol {
			t.Errorf("warning at %d:%d, want %d:%d: %v", pos.Line, pos.Col, line, wantCol, warned)
		}
	}
}

// TestConstCheckAnyValues calls every builtin's ConstCheck with
// arguments of every kind a ConstValue holds, not constant and of the
// wrong type among them (a call whose argument was refused still reaches
// it): it must not panic, and it names an argument of the call.
func TestConstCheckAnyValues(t *testing.T) {
	u, err := stdlib.Universe()
	if err != nil {
		t.Fatal(err)
	}
	vals := []lang.ConstValue{lang.NotConst, nil, int64(-1), int64(0), 1e300, -0.0, "", ":x", true,
		lang.ConstList{}, lang.ConstList{int64(1), "a"}, lang.ConstMap{}, lang.ConstMap{Keys: []lang.ConstValue{"a", "a"}, Values: []lang.ConstValue{int64(1), int64(2)}},
		lang.ConstMap{Keys: []lang.ConstValue{int64(1)}, Values: []lang.ConstValue{"x"}}}
	n := 0
	for _, b := range u.Builtins {
		if b.ConstCheck == nil {
			continue
		}
		n++
		args := make([]lang.ConstValue, len(b.Type.Params))
		for _, v := range vals {
			for i := range args {
				for j := range args {
					args[j] = lang.NotConst
				}
				args[i] = v
				func() {
					defer func() {
						if r := recover(); r != nil {
							t.Errorf("%s with argument %d %#v: panic %v", b.Key(), i, v, r)
						}
					}()
					if at, why := b.ConstCheck(args); why != "" && (at < 0 || at >= len(args)) {
						t.Errorf("%s with argument %d %#v: %q at argument %d of %d", b.Key(), i, v, why, at, len(args))
					}
				}()
			}
		}
	}
	if n < 20 {
		t.Errorf("%d builtins with a ConstCheck", n)
	}
}

// TestConstFoldBounded checks that the checker's folding of pure calls
// is bounded: a call beyond the fold's fuel or memory, or a string
// beyond what it builds with +, is not folded, so not judged, though
// each of these calls fails when it runs.
func TestConstFoldBounded(t *testing.T) {
	u, err := stdlib.Universe()
	if err != nil {
		t.Fatal(err)
	}
	// 600,000 bytes, each call within the fold's fuel (replace costs 1
	// per occurrence: 60,000 of them are beyond it).
	big := `replace(replace("xxxxxx", "x", "` + strings.Repeat("x", 100) + `"), "x", "` + strings.Repeat("x", 1000) + `")`
	for _, call := range []string{
		`to(" " + string(len(range(1000000000))))`,
		`to(" " + string(len(replace(` + big + `, "x", "xx"))))`,
		`to(" " + string(len(` + big + ` + ` + big + `)))`,
	} {
		src := "package p\n\nfn route(r: Request) -> Decision = " + call + "\n"
		_, diags := lang.Check(&lang.Config{Universe: u, ReadFile: readOnly(src)}, "/v/p.rpl")
		if diags.HasErrors() {
			t.Fatalf("%s does not check: %v", call, diags.Err())
		}
		for _, d := range diags {
			if d.Code == lang.CodeAlwaysFails {
				t.Errorf("%s: folded beyond the bound: %v", call, d)
			}
		}
	}
	// A list of strings built with + is bounded in its bytes, not only
	// each string: 200 strings of 600,000 bytes are 120 MB.
	terms := strings.TrimSuffix(strings.Repeat(`s + "x", `, 200), ", ")
	src := "package p\n\nfn f(s: string) -> Decision = to(\" \" + string(len([" + terms + "])))\n\nfn route(r: Request) -> Decision = f(" + big + ")\n"
	if _, diags := lang.Check(&lang.Config{Universe: u, ReadFile: readOnly(src)}, "/v/p.rpl"); len(diags) != 0 {
		t.Errorf("200 strings of 600,000 bytes folded beyond the bound: %v", diags)
	}
	// Within the bound, the same string is folded.
	src = "package p\n\nfn route(r: Request) -> Decision = to(\" \" + string(len(" + big + ")))\n"
	if _, diags := lang.Check(&lang.Config{Universe: u, ReadFile: readOnly(src)}, "/v/p.rpl"); len(diags) != 1 || diags[0].Code != lang.CodeAlwaysFails {
		t.Errorf("a 600,000-byte string is not folded: %v", diags)
	}
}

// readOnly is a lang.Config.ReadFile with one file, /v/p.rpl, of source src.
// alwaysFails checks src as /v/p.rpl, the test failing if it does not
// check, and reports whether it is warned RPL326, with its diagnostics.
func alwaysFails(t *testing.T, u *lang.Universe, src string) (bool, lang.DiagList) {
	t.Helper()
	_, diags := lang.Check(&lang.Config{Universe: u, ReadFile: readOnly(src)}, "/v/p.rpl")
	if diags.HasErrors() {
		t.Fatalf("does not check: %v\n%s", diags.Err(), src)
	}
	for _, d := range diags {
		if d.Code == lang.CodeAlwaysFails {
			return true, diags
		}
	}
	return false, diags
}

func readOnly(src string) func(string) ([]byte, error) {
	return func(p string) ([]byte, error) {
		if p != "/v/p.rpl" {
			return nil, os.ErrNotExist
		}
		return []byte(src), nil
	}
}

// TestConstCheckThroughFunctions checks RPL326 at a call of the policy's
// function whose constant arguments reach a builtin that refuses them
// (fn pick(t: string) = to(t) called as pick("")) against the run, as
// TestConstCheckAgrees does: warned at the call, the run fails with the
// error the warning names; not warned, the run succeeds. The warning's
// last related location is the builtin's argument in the function, inner.
func TestConstCheckThroughFunctions(t *testing.T) {
	u, err := stdlib.Universe()
	if err != nil {
		t.Fatal(err)
	}
	tab, err := stdlib.Table()
	if err != nil {
		t.Fatal(err)
	}
	const fns = `fn pick(t: string) -> Decision = to(t)

fn pick2(p: string, m: string) -> Decision {
  let t = p + ":" + lower(m)
  return to(t).tag("k", "v")
}

fn outer(x: string) -> Decision = pick(x)

fn guarded(t: string) -> Decision {
  if t == "" {
    return to("a:b")
  }
  to(t)
}

fn backup(d: Decision, b: string) -> Decision = d.fallback(b, on: [timeout])

fn both(a: string, b: string) -> Decision = to(a).fallback(b)

fn tagged(k: string) -> Decision = to("a:b").tag(k, "v")

fn split2(n: int) -> Decision = weighted({"a:b": n, "c:d": 0})

fn retry(n: int) -> Decision = to("a").fallback("b", retries: n - 1)

fn half(x: float) -> int = int(x / 2.0)

fn short(t: string) -> bool = len(t) > 3 && matches(t, t)

fn plain(n: int) -> int = n + 1

fn orelse(t: string, c: bool) -> Decision {
  let ok = c || { return to("a:b") }
  to(t).tag("k", string(ok))
}

fn dflt(t: string, o: string?) -> Decision {
  let v = o ?? { return to("a:b") }
  to(t).tag("k", v)
}
`
	// call is a statement of a test block; at, the call the warning
	// points at ("" for none), inner the text of its related location.
	cases := []struct{ call, at, inner string }{
		{`pick("openai:gpt-4o")`, "", ""},
		{`pick("")`, `pick(`, `t`},
		{`pick(" x")`, `pick(`, `t`},
		{`pick(lower("A B"))`, `pick(`, `t`},
		{`pick2("openai", "GPT-4o")`, "", ""},
		{`pick2("openai", "GPT 4")`, `pick2(`, `t`},
		{`pick2("", "x")`, `pick2(`, `t`},
		{`outer("a:b")`, "", ""},
		{`outer(":x")`, `outer(`, `t`},
		{`guarded("")`, "", ""},
		{`backup(to("a:b"), "c:d")`, "", ""},
		{`backup(to("a:b"), "p:")`, `backup(`, `b`},
		{`both("a", "b")`, "", ""},
		{`both("", "b")`, `both(`, `a`},
		{`both("a", "")`, `both(`, `b`},
		{`tagged("team")`, "", ""},
		{`tagged("")`, `tagged(`, `k`},
		{`split2(1)`, "", ""},
		{`split2(0)`, `split2(`, `{"a:b": n, "c:d": 0}`},
		{`split2(-1)`, `split2(`, `{"a:b": n, "c:d": 0}`},
		{`retry(1)`, "", ""},
		{`retry(0)`, `retry(`, `n - 1`},
		{`half(1e300) + half(-3.0)`, `half(`, `x / 2.0`},
		{`half(1e18)`, "", ""},
		{`short("ab")`, "", ""}, // right of &&: may not run
		{`plain(1)`, "", ""},
		{`orelse("", false)`, "", ""}, // returns right of ||
		{`dflt("", none)`, "", ""},    // returns right of ??
	}
	for _, tc := range cases {
		t.Run(tc.call, func(t *testing.T) {
			stmt := "expect string(" + tc.call + ") != \"\""
			const prefix = "  "
			prog, warned := checkWarned(t, u, fns, prefix+stmt)
			wantCol := 0
			if tc.at != "" {
				wantCol = len(prefix) + strings.Index(stmt, tc.at) + 1
			}
			if warned != nil && tc.inner != "" {
				if len(warned.Related) == 0 {
					t.Errorf("no related location: %v", warned)
				} else if r := warned.Related[len(warned.Related)-1]; string(r.File.Src[r.Span.Start:r.Span.End]) != tc.inner {
					t.Errorf("related location %q (%s), want %q", r.File.Src[r.Span.Start:r.Span.End], r.Message, tc.inner)
				}
			}
			for _, opts := range []compiler.Options{{}, {Builtins: tab}} {
				runAgrees(t, prog, opts, tab, warned, 7, wantCol)
			}
		})
	}
}

// TestConstCheckThroughFunctionsBounded checks that RPL326 follows a
// value through at most 3 functions, and that a function calling itself
// ends the look.
func TestConstCheckThroughFunctionsBounded(t *testing.T) {
	u, err := stdlib.Universe()
	if err != nil {
		t.Fatal(err)
	}
	const fns = `package p

fn f1(t: string) -> Decision = f2(t)

fn f2(t: string) -> Decision = f3(t)

fn f3(t: string) -> Decision = f4(t)

fn f4(t: string) -> Decision = to(t)

fn again(t: string) -> Decision = again(t + "x")

fn route(r: Request) -> Decision {
`
	for _, tc := range []struct {
		call string
		warn bool
	}{
		{`f4("")`, true},
		{`f2("")`, true},
		{`f1("")`, false},
		{`again("")`, false},
	} {
		src := fns + "  " + tc.call + "\n}\n"
		warned, diags := alwaysFails(t, u, src)
		if warned != tc.warn {
			t.Errorf("%s: warned %v, want %v: %v", tc.call, warned, tc.warn, diags)
		}
	}
}

// TestConstCheckOverridden checks that RPL326 judges a constant with the
// value of the declaration that replaces it in a policy that extends
// another (§8.3): the parent's calls that fail with its own M = "" run with
// the child's M = "a:b", so the child has no warning, directly, through a
// folded builtin or through the parent's function. The parent checked alone
// has the three.
func TestConstCheckOverridden(t *testing.T) {
	u, err := stdlib.Universe()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"/v/parent.rpl": `package parent

const M = ""

fn pick(t: string) -> Decision = to(t)

fn route(r: Request) -> Decision {
  let a = to(M)
  let b = to(lower(M))
  let c = pick(M)
  let all = [a, b, c]
  all[0]
}
`,
		"/v/child.rpl": `package child

extends "./parent"

const M = "a:b"
`,
	}
	read := func(p string) ([]byte, error) {
		if src, ok := files[p]; ok {
			return []byte(src), nil
		}
		return nil, os.ErrNotExist
	}
	for path, want := range map[string]int{"/v/child.rpl": 0, "/v/parent.rpl": 3} {
		_, diags := lang.Check(&lang.Config{Universe: u, ReadFile: read}, path)
		if diags.HasErrors() {
			t.Fatalf("%s does not check: %v", path, diags.Err())
		}
		n := 0
		for _, d := range diags {
			if d.Code == lang.CodeAlwaysFails {
				n++
			}
		}
		if n != want {
			t.Errorf("%s: %d RPL326 warnings, want %d: %v", path, n, want, diags)
		}
	}
}

// TestConstCheckListsBounded checks that the checker's evaluation of a
// constant argument is bounded in the values it builds and folds: each
// use of a constant walks its value again, so constants naming lists of
// constants grow exponentially with their nesting (A4 holds 30^4 strings,
// A6 would hold 30^6), and a folded list named many times is handed to
// the fold as many times. Past the bound the argument is not constant, so
// not judged, though each of these calls fails when it runs; within it
// (A3, 27,000 strings) the call is judged.
func TestConstCheckListsBounded(t *testing.T) {
	u, err := stdlib.Universe()
	if err != nil {
		t.Fatal(err)
	}
	var consts strings.Builder
	consts.WriteString("const A0 = \"x\"\n")
	for i := 1; i <= 4; i++ {
		fmt.Fprintf(&consts, "const A%d = [%s]\n", i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("A%d, ", i-1), 30), ", "))
	}
	rs := strings.TrimSuffix(strings.Repeat("range(20000), ", 30), ", ")
	for _, tc := range []struct {
		call string
		warn bool
	}{
		{`to(" " + string(len(A3)))`, true},
		{`to(" " + string(len(A4)))`, false},
		{`to(" " + string(len(range(20000))))`, true},
		{`to(" " + string(len([` + rs + `])))`, false},
	} {
		src := "package p\n\n" + consts.String() + "\nfn route(r: Request) -> Decision = " + tc.call + "\n"
		warned, _ := alwaysFails(t, u, src)
		if warned != tc.warn {
			t.Errorf("%.40s: warned %v, want %v", tc.call, warned, tc.warn)
		}
	}
}

// TestConstCheckThroughFunctionsFoldsBounded checks that the calls a
// check folds while following calls of the policy's functions are
// bounded in number: they are folded again at each call (f(Y) 2,000 times
// makes 2,000 folds of replace), each as costly as the fold allows (a
// megabyte string). Past the bound a call is not judged: f(X) after them
// is not, though it fails when it runs; alone, it is.
func TestConstCheckThroughFunctionsFoldsBounded(t *testing.T) {
	u, err := stdlib.Universe()
	if err != nil {
		t.Fatal(err)
	}
	for _, calls := range []int{0, 2000} {
		var src strings.Builder
		src.WriteString("package p\n\nconst X = \"x\"\n\nconst Y = \"a:b\"\n\nfn f(t: string) -> Decision = to(replace(t, \"x\", \"x y\"))\n\nfn route(r: Request) -> Decision {\n")
		src.WriteString("  let ds = [")
		for range calls {
			src.WriteString("f(Y), ")
		}
		src.WriteString("f(X)]\n  ds[0]\n}\n")
		warned, _ := alwaysFails(t, u, src.String())
		if warned != (calls == 0) {
			t.Errorf("f(X) after %d calls of f(Y): warned %v", calls, warned)
		}
	}
}

// TestConstCheckRefusedFloat: a float constant expression that overflows
// is RPL315 (language.md §5.2) and never runs, so a call given it, directly
// or through a constant, is not RPL326 as well (+Inf is out of the int
// range), as one given float(1) * 1e308 * 10.0, which runs, is.
func TestConstCheckRefusedFloat(t *testing.T) {
	u, err := stdlib.Universe()
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{
		"package p\n\nfn f() -> int = int(1e308 * 10.0)\n",
		"package p\n\nconst big = 1e308 * 10.0\n\nfn f() -> int = int(big)\n",
		"package p\n\nfn f() -> int = int(2.0 * (1e308 * 10.0))\n",
	} {
		_, diags := lang.Check(&lang.Config{Universe: u, ReadFile: readOnly(src)}, "/v/p.rpl")
		overflow := 0
		for _, d := range diags {
			switch d.Code {
			case lang.CodeAlwaysFails:
				t.Errorf("%q: RPL326 beside RPL315: %v", src, d)
			case lang.CodeConstOverflow:
				overflow++
			}
		}
		if overflow != 1 {
			t.Errorf("%q: %d RPL315, want 1: %v", src, overflow, diags)
		}
	}
}
