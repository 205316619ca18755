package stdlib_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/rpl-lang/rpl/vm"
)

// FuzzConstCheck fuzzes the property TestConstCheckAgrees and
// TestConstCheckThroughFunctions check case by case: RPL326 is reported
// exactly where the run fails. The input drives a generator (constGen) of
// calls of the builtins that have a ConstCheck and of the policy's
// functions that call them (constFns), with arguments built from the
// input's strings and numbers, literals, constants, folded pure builtins
// (lower, replace, len, min, …), operators and a few values that are not
// constant (now(), random()). Every such call, nested ones too, is the one
// statement of a test block of its own, and every argument of it is the
// statement of another; the blocks are checked, compiled (folding pure
// calls and not) and run as rplc test runs them. It asserts:
//
//   - a warning at an argument of a call (at the call, for a call of a
//     function) is on a call whose run fails; when its arguments run and
//     are all constant, with the error the warning names: a builtin_error
//     whose cause is its text, or an int_overflow of the builtin. With an
//     argument that is not constant, the run may fail in the same call
//     for that argument first, which the check cannot know (a weight of
//     weighted's split before the negative constant one, a target of
//     fallback before its retries, set_spend's tenant in the message);
//   - a call whose arguments are all constant, each of which runs, and
//     whose run fails in the builtin (or in the builtin call a function
//     always makes), with a builtin_error or the builtin's int_overflow,
//     is warned of, a float operation that gives an infinity or NaN
//     included (the check folds it as the machine computes it);
//   - both compilations run each block alike.
func FuzzConstCheck(f *testing.F) {
	u, err := stdlib.Universe()
	if err != nil {
		f.Fatal(err)
	}
	tab, err := stdlib.Table()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range constFuzzSeeds {
		f.Add(s.code, s.s1, s.s2, s.n1, s.n2, s.x)
	}
	f.Fuzz(func(t *testing.T, code []byte, s1, s2 string, n1, n2 int64, x float64) {
		g := newConstGen(code, s1, s2, n1, n2, x)
		g.generate()
		if len(g.calls) == 0 {
			return
		}
		checkConstGen(t, u, tab, g)
	})
}

// constFuzzSeeds are FuzzConstCheck's seeds, each with a call it
// generates (TestConstFuzzSeeds keeps them in step with the generator).
var constFuzzSeeds = []struct {
	want   string
	code   []byte
	s1, s2 string
	n1, n2 int64
	x      float64
}{
	{`to("")`, []byte{0, 0, 2, 0}, "", "", 0, 0, 0},
	{`to(" x")`, []byte{0, 0, 0}, " x", "", 0, 0, 0},
	{`to("openai:gpt-4o")`, []byte{0, 0, 0}, "openai:gpt-4o", "", 0, 0, 0},
	{`to("a:" + (lower("X Y")))`, []byte{0, 0, 8, 0, 5, 2, 8}, "a:", "", 0, 0, 0},
	{`to("p:").fallback("b", retries: -1)`, []byte{0, 2, 0, 2, 3, 0, 1, 0, 2, 2, 1}, "b", "", 0, 0, 0},
	{`to("a").fallback(string(now()), retries: -1)`, []byte{0, 2, 0, 0, 4, 1, 0, 2, 2, 1}, "a", "", 0, 0, 0},
	{`weighted({"a:b": -1, "c": 2})`, []byte{0, 1, 1, 2, 2, 5, 2, 2, 0, 0}, "c", "", 2, 0, 0},
	{`weighted({"a": -len(string(now())), "b": -1})`, []byte{0, 1, 1, 2, 0, 9, 1, 1, 2, 2}, "a", "b", 0, 0, 0},
	{`int(1e+19)`, []byte{1, 13, 0, 1, 1}, "", "", 0, 0, 0},
	{`int(float(1) * 1e308 * 10.0)`, []byte{1, 13, 0, 7, 0}, "", "", 0, 0, 0},
	{`abs(-9223372036854775807 - 1)`, []byte{1, 7, 2, 6}, "", "", 0, 0, 0},
	{`bucket("k", len(""))`, []byte{1, 11, 0, 4, 2, 0}, "k", "", 0, 0, 0},
	{`sum([9223372036854775807, 1])`, []byte{1, 14, 1, 1, 2, 5, 2, 1}, "", "", 0, 0, 0},
	{`matches("x", "(")`, []byte{2, 0, 2, 7}, "x", "", 0, 0, 0},
	{`pick("")`, []byte{0, 6, 0, 2, 0}, "", "", 0, 0, 0},
	{`retry(0)`, []byte{0, 6, 5, 2, 0}, "", "", 0, 0, 0},
	{`half(1e+300)`, []byte{1, 15, 0, 1, 6}, "", "", 0, 0, 0},
	{`deep("")`, []byte{0, 6, 11, 2, 0}, "", "", 0, 0, 0},
	{`deeper("")`, []byte{0, 6, 12, 2, 0}, "", "", 0, 0, 0},
	{`backup(to("a:b"), "p:")`, []byte{0, 6, 13, 0, 2, 5, 2, 3}, "", "", 0, 0, 0},
	{`short("abcd", "(")`, []byte{10, 0, 0, 2, 7}, "abcd", "", 0, 0, 0},
	{`int(sum([1.7e+308, 1.7e+308]))`, []byte{1, 13, 0, 11, 0, 0}, "", "", 0, 0, 1.7e308},
	{`testing.set_now("2300-01-01T00:00:00Z")`, []byte{8, 0}, "2300-01-01T00:00:00Z", "", 0, 0, 0},
	{`weighted(W)`, []byte{0, 1, 0}, "", "a:b", 1, -1, 0},
	{`to("a").fallback("b", on: ON)`, []byte{0, 2, 0, 2, 12, 0, 0, 3, 0, 1, 1}, "b", "", 0, 1, 0},
	{`testing.set_spend(string(now()), month: -$1)`, []byte{7, 4, 0, 1, 2, 1}, "", "", 0, 0, 0},
}

// TestConstFuzzSeeds checks that each of FuzzConstCheck's seeds still
// generates the call it is kept for, in files that check.
func TestConstFuzzSeeds(t *testing.T) {
	u, err := stdlib.Universe()
	if err != nil {
		t.Fatal(err)
	}
	tab, err := stdlib.Table()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range constFuzzSeeds {
		g := newConstGen(s.code, s.s1, s.s2, s.n1, s.n2, s.x)
		g.generate()
		var got []string
		for _, c := range g.calls {
			got = append(got, c.text)
		}
		if !slices.Contains(got, s.want) {
			t.Errorf("seed %v generates %q, not %q", s.code, got, s.want)
		}
		if !checkConstGen(t, u, tab, g) {
			t.Errorf("seed %v: %q does not check", s.code, got)
		}
	}
}

// constFns are the policy's functions the generated calls may call: each
// passes its parameters to a builtin with a ConstCheck; always tells
// whether the body always makes that call, at most 3 calls deep (so that
// a failing one is warned of), args the types of its parameters, ret its
// result's.
var constFns = []struct {
	name   string
	args   []constType
	ret    constType
	always bool
}{
	{"pick", []constType{tStr}, tDecision, true},
	{"outer", []constType{tStr}, tDecision, true},
	{"both", []constType{tStr, tStr}, tDecision, true},
	{"tagged", []constType{tStr}, tDecision, true},
	{"split2", []constType{tInt}, tDecision, true},
	{"retry", []constType{tInt}, tDecision, true},
	{"pick2", []constType{tStr, tStr}, tDecision, true},
	{"guarded", []constType{tStr}, tDecision, false},
	{"ttl", []constType{tDur}, tDecision, true},
	{"rated", []constType{tStr, tFloat}, tDecision, true},
	{"chain", []constType{tStr, tStr}, tDecision, true},
	{"deep", []constType{tStr}, tDecision, true},
	{"deeper", []constType{tStr}, tDecision, false}, // 4 calls deep
	{"backup", []constType{tDecision, tStr}, tDecision, true},
	{"lets", []constType{tStr, tDur}, tDecision, true},
	{"half", []constType{tFloat}, tInt, true},
	{"short", []constType{tStr, tStr}, tBool, false},
}

// constFnDecls declares constFns in the policy (checkConstGen declares
// the constants the calls name: S1, N1, W, L and ON).
const constFnDecls = `fn pick(t: string) -> Decision = to(t)

fn outer(x: string) -> Decision = pick(x)

fn both(a: string, b: string) -> Decision = to(a).fallback(b)

fn tagged(k: string) -> Decision = to("a:b").tag(k, "v")

fn split2(n: int) -> Decision = weighted({"a:b": n, "c:d": 0})

fn retry(n: int) -> Decision = to("a").fallback("b", retries: n - 1)

fn pick2(p: string, m: string) -> Decision {
  let t = p + ":" + lower(m)
  return to(t).tag("k", "v")
}

fn guarded(t: string) -> Decision {
  if t == "" {
    return to("a:b")
  }
  to(t)
}

fn ttl(d: duration) -> Decision = to("a:b").sticky("k", ttl: d)

fn half(x: float) -> int = int(x / 2.0)

fn rated(t: string, r: float) -> Decision = to(t).tag("r", string(money(r)))

fn chain(t: string, k: string) -> Decision = pick(t).tag(k, "v")

fn deep(t: string) -> Decision = outer(t)

fn deeper(t: string) -> Decision = deep(t)

fn backup(d: Decision, b: string) -> Decision = d.fallback(b, on: [timeout])

fn lets(m: string, ttl: duration) -> Decision {
  let t = "openai:" + upper(m)
  let d = to(t)
  d.sticky("k", ttl: ttl)
}

fn short(t: string, p: string) -> bool = len(t) > 3 && matches(t, p)
`

type constType int

const (
	tStr constType = iota
	tInt
	tFloat
	tMoney
	tDur
	tDecision
	tBool
)

// constExpr is a generated expression: its text, and whether it is
// constant (built of literals, constants, pure builtins and operators).
type constExpr struct {
	text  string
	konst bool
	name  string // a named argument's parameter
}

// constCall is a generated call of a builtin with a ConstCheck, or of
// one of constFns: its text, and its arguments' (each with its offset in
// text).
type constCall struct {
	text   string
	args   []constArg
	void   bool // a std/testing setter
	fn     bool // a call of a function of constFns
	always bool // not a function's, or one whose body always makes its call
}

type constArg struct {
	text  string
	off   int
	konst bool
}

// constGen generates calls from a fuzz input: code's bytes choose, one at
// a time, what to build (0 once they run out), the strings and numbers
// are the literals' values.
type constGen struct {
	code   []byte
	pos    int
	s1, s2 string
	n1, n2 int64
	x      float64
	calls  []*constCall
	seen   map[string]bool
}

// maxConstGenDepth bounds the nesting of generated calls, and the
// strings' length is bounded, so that every constant stays within the
// checker's fold budget.
const (
	maxConstGenDepth = 3
	maxConstGenStr   = 300
	maxConstGenCalls = 6
)

func newConstGen(code []byte, s1, s2 string, n1, n2 int64, x float64) *constGen {
	if len(s1) > maxConstGenStr {
		s1 = s1[:maxConstGenStr]
	}
	if len(s2) > maxConstGenStr {
		s2 = s2[:maxConstGenStr]
	}
	return &constGen{code: code, s1: s1, s2: s2, n1: n1, n2: n2, x: x, seen: map[string]bool{}}
}

func (g *constGen) pick(n int) int {
	if g.pos >= len(g.code) {
		return 0
	}
	b := g.code[g.pos]
	g.pos++
	return int(b) % n
}

// generate makes up to maxConstGenCalls top-level expressions, while
// code lasts.
func (g *constGen) generate() {
	for i := 0; i < maxConstGenCalls && (i == 0 || g.pos < len(g.code)); i++ {
		g.top()
	}
}

func (g *constGen) top() {
	switch g.pick(11) {
	case 0:
		g.decision(0)
	case 1:
		g.intExpr(0)
	case 2:
		g.call("matches", g.str(1), g.str(1))
	case 3:
		g.call("ab.arm", g.str(1), g.str(1), g.split(1, true))
	case 4:
		g.setter("set_price", g.str(1), g.money(1), g.money(1))
	case 5:
		h := lit([]string{"true", "false"}[g.pick(2)])
		if g.pick(2) == 0 {
			g.setter("set_health", g.str(1), h)
		} else {
			g.setter("set_health", g.str(1), h, g.named("error_rate", g.float(1)))
		}
	case 6:
		g.setter("set_latency", g.str(1), g.dur(1))
	case 7:
		args := []constExpr{g.str(1)}
		if g.pick(2) == 0 {
			args = append(args, g.named("month", g.money(1)))
		}
		if g.pick(2) == 0 {
			args = append(args, g.named("day", g.money(1)))
		}
		g.setter("set_spend", args...)
	case 8:
		g.setter("set_now", g.str(1))
	case 9:
		g.money(0)
	case 10:
		g.fnOf(tBool, 0)
	}
}

// named marks an argument given by name.
func (g *constGen) named(name string, e constExpr) constExpr {
	e.name = name
	return e
}

// call records and returns the call of the builtin name, a method call
// whose receiver is args[0] when name starts with ".".
func (g *constGen) call(name string, args ...constExpr) constExpr {
	return g.record(name, false, false, true, args)
}

// setter records the call of the std/testing setter name.
func (g *constGen) setter(name string, args ...constExpr) {
	g.record("testing."+name, true, false, true, args)
}

// record records the call of name (a builtin, or a function of constFns
// when fn) once: its text, and where each argument starts in it.
func (g *constGen) record(name string, void, fn, always bool, args []constExpr) constExpr {
	c := &constCall{void: void, fn: fn, always: always}
	var b strings.Builder
	konst := true
	rest := args
	if strings.HasPrefix(name, ".") { // a method call: args[0] is the receiver
		c.args = append(c.args, constArg{args[0].text, 0, args[0].konst})
		b.WriteString(args[0].text)
		konst = args[0].konst
		rest = args[1:]
	}
	b.WriteString(name)
	b.WriteByte('(')
	for i, a := range rest {
		if i > 0 {
			b.WriteString(", ")
		}
		if a.name != "" {
			b.WriteString(a.name + ": ")
		}
		c.args = append(c.args, constArg{a.text, b.Len(), a.konst})
		b.WriteString(a.text)
		konst = konst && a.konst
	}
	b.WriteByte(')')
	c.text = b.String()
	if !g.seen[c.text] {
		g.seen[c.text] = true
		g.calls = append(g.calls, c)
	}
	// A call of the policy's function is not constant: the checker
	// folds builtins only.
	return constExpr{text: c.text, konst: konst && !fn}
}

// pure is the call of a pure builtin without a ConstCheck: not recorded.
func pure(name string, args ...constExpr) constExpr {
	konst := true
	texts := make([]string, len(args))
	for i, a := range args {
		texts[i] = a.text
		konst = konst && a.konst
	}
	return constExpr{text: name + "(" + strings.Join(texts, ", ") + ")", konst: konst}
}

// binary is x op y, each parenthesised unless a literal or a call.
func binary(x constExpr, op string, y constExpr) constExpr {
	return constExpr{text: paren(x.text) + " " + op + " " + paren(y.text), konst: x.konst && y.konst}
}

func paren(s string) string {
	if strings.Contains(s, " ") {
		return "(" + s + ")"
	}
	return s
}

// neg is -x.
func neg(x constExpr) constExpr {
	return constExpr{text: "-(" + x.text + ")", konst: x.konst}
}

// constStrs are string literals the checks refuse or take.
var constStrs = []string{"", " ", ":", "p:", ":m", "a:b", "openai:gpt-4o", "(", "X Y", "2025-06-01T14:00:00Z", "a{1001}", `\8`, "a", "openai:" + strings.Repeat("m", 249), "openai:" + strings.Repeat("m", 250), "\u00a0", "k"}

func (g *constGen) str(depth int) constExpr {
	n := 16
	if depth >= maxConstGenDepth {
		n = 3
	}
	switch g.pick(n) {
	case 0:
		return lit(strconv.Quote(g.s1))
	case 1:
		return lit(strconv.Quote(g.s2))
	case 2:
		return lit(strconv.Quote(constStrs[g.pick(len(constStrs))]))
	case 3:
		return lit("S1")
	case 4:
		return notConst("string(now())")
	case 5:
		return pure("lower", g.str(depth+1))
	case 6:
		return pure("upper", g.str(depth+1))
	case 7:
		return pure("trim", g.str(depth+1))
	case 8:
		return binary(g.str(depth+1), "+", g.str(depth+1))
	case 9:
		return pure("replace", g.str(depth+1), g.str(depth+1), lit(strconv.Quote([]string{"", " ", ":", "x"}[g.pick(4)])))
	case 10:
		return pure("string", g.intExpr(depth+1))
	case 11:
		return pure("substr", g.str(depth+1), g.intExpr(depth+1), g.intExpr(depth+1))
	case 12:
		return binary(pure("first", pure("split", g.str(depth+1), g.str(depth+1))), "??", g.str(depth+1))
	case 13:
		return pure("string", g.float(depth+1))
	case 14:
		return pure("string", g.dur(depth+1))
	default:
		return binary(pure("json_get", g.str(depth+1), g.str(depth+1)), "??", g.str(depth+1))
	}
}

// intLit is n as an int literal (the smallest int as an operation).
func intLit(n int64) string {
	switch {
	case n == math.MinInt64:
		return "-9223372036854775807 - 1"
	case n < 0:
		return "-" + strconv.FormatInt(-n, 10)
	}
	return strconv.FormatInt(n, 10)
}

func (g *constGen) intExpr(depth int) constExpr {
	n := 19
	if depth >= maxConstGenDepth {
		n = 4
	}
	switch g.pick(n) {
	case 0:
		return lit(intLit(g.n1))
	case 1:
		return lit(intLit(g.n2))
	case 2:
		return lit(intLit([]int64{0, 1, -1, 2, 1 << 62, math.MaxInt64, math.MinInt64, -3}[g.pick(8)]))
	case 3:
		return lit("N1")
	case 4:
		return pure("len", g.str(depth+1))
	case 5:
		return neg(g.intExpr(depth + 1))
	case 6:
		return binary(g.intExpr(depth+1), "+", g.intExpr(depth+1))
	case 7:
		return g.call("abs", g.intExpr(depth+1))
	case 8:
		return pure([]string{"min", "max"}[g.pick(2)], g.intExpr(depth+1), g.intExpr(depth+1))
	case 9:
		return notConst([]string{"len(string(now()))", "-len(string(now()))"}[g.pick(2)])
	case 10:
		return binary(g.intExpr(depth+1), "-", g.intExpr(depth+1))
	case 11:
		return g.call("bucket", g.str(depth+1), g.intExpr(depth+1))
	case 12:
		return pure("millis", g.dur(depth+1))
	case 13:
		return g.call([]string{"int", "round", "floor", "ceil"}[g.pick(4)], g.float(depth+1))
	case 14:
		if g.pick(4) == 0 {
			return g.call("sum", lit("L"))
		}
		k := 1 + g.pick(3) // sum([]) has no type
		elems := make([]string, k)
		konst := true
		for i := range elems {
			e := g.intExpr(depth + 1)
			elems[i], konst = e.text, konst && e.konst
		}
		return g.call("sum", constExpr{text: "[" + strings.Join(elems, ", ") + "]", konst: konst})
	case 15:
		return g.fnOf(tInt, depth)
	case 16:
		return pure("len", g.split(depth+1, false))
	case 17:
		// int(s: string) -> int? has no ConstCheck; int(x: float) has.
		return binary(pure("int", g.str(depth+1)), "??", g.intExpr(depth+1))
	default:
		return g.call("int", pure("abs", g.float(depth+1)))
	}
}

// constInf and constNaN are an infinity and NaN, as operations that are
// not constant expressions (a constant one that overflows does not
// check, RPL315) but that RPL326 folds as the machine computes them.
const (
	constInf = "float(1) * 1e308 * 10.0"
	constNaN = "float(0) * (float(1) * 1e308 * 10.0)"
)

// floatLit is x as a float literal: infinities and NaN as operations.
func floatLit(x float64) string {
	switch {
	case math.IsNaN(x):
		return constNaN
	case math.IsInf(x, 1):
		return constInf
	case math.IsInf(x, -1):
		return "-(" + constInf + ")"
	}
	s := strconv.FormatFloat(math.Abs(x), 'g', -1, 64)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	if math.Signbit(x) {
		s = "-" + s
	}
	return s
}

func (g *constGen) float(depth int) constExpr {
	n := 13
	if depth >= maxConstGenDepth {
		n = 2
	}
	switch g.pick(n) {
	case 0:
		return lit(floatLit(g.x))
	case 1:
		return lit(floatLit([]float64{0.5, 1e19, -1e19, 9223372036854775808.0, -9223372036854775808.0, 9.2e18, 1e300, 9.3e9, -1, 1.5}[g.pick(10)]))
	case 2:
		return pure("float", g.intExpr(depth+1))
	case 3:
		return binary(g.float(depth+1), "*", g.float(depth+1))
	case 4:
		return binary(g.float(depth+1), "/", g.float(depth+1))
	case 5:
		return pure("seconds", g.dur(depth+1))
	case 6:
		return pure("float", g.money(depth+1))
	case 7:
		return lit([]string{constInf, constNaN}[g.pick(2)])
	case 8:
		return notConst("random()")
	case 9:
		return neg(g.float(depth + 1))
	case 10:
		return pure("abs", g.float(depth+1))
	case 11:
		// Folded by the check, as a call of a pure builtin: its
		// infinity is one to the check.
		x, y := g.float(depth+1), g.float(depth+1)
		return constExpr{text: "sum([" + x.text + ", " + y.text + "])", konst: x.konst && y.konst}
	default:
		return binary(pure("float", g.str(depth+1)), "??", g.float(depth+1))
	}
}

// moneyLit is the money literal of n nano-units (the smallest as an
// operation).
func moneyLit(n int64) string {
	if n == math.MinInt64 {
		return "-$9223372036.854775807 - $0.000000001"
	}
	return lang.FormatMoney(n)
}

func (g *constGen) money(depth int) constExpr {
	n := 8
	if depth >= maxConstGenDepth {
		n = 2
	}
	switch g.pick(n) {
	case 0:
		return lit(moneyLit(g.n1))
	case 1:
		return lit([]string{"$0", "$1", "-$1", "$9223372036", "$0.85", "-$0.5"}[g.pick(6)])
	case 2:
		return g.call("money", g.float(depth+1))
	case 3:
		return pure([]string{"min", "max"}[g.pick(2)], g.money(depth+1), g.money(depth+1))
	case 4:
		return binary(g.money(depth+1), "+", g.money(depth+1))
	case 5:
		return neg(g.money(depth + 1))
	case 7:
		return binary(g.money(depth+1), []string{"*", "/"}[g.pick(2)], g.intExpr(depth+1))
	default:
		k := g.pick(3)
		elems := make([]string, k+1)
		konst := true
		for i := range elems {
			e := g.money(depth + 1)
			elems[i], konst = e.text, konst && e.konst
		}
		return g.call("sum", constExpr{text: "[" + strings.Join(elems, ", ") + "]", konst: konst})
	}
}

// durLit is the duration literal of n nanoseconds (the smallest as an
// operation).
func durLit(n int64) string {
	if n == math.MinInt64 {
		return "-" + lang.FormatDuration(math.MaxInt64) + " - 1ns"
	}
	return lang.FormatDuration(time.Duration(n))
}

func (g *constGen) dur(depth int) constExpr {
	n := 7
	if depth >= maxConstGenDepth {
		n = 2
	}
	switch g.pick(n) {
	case 0:
		return lit(durLit(g.n2))
	case 1:
		return lit([]string{"0s", "1s", "-1ms", "-5m", "10m", "1ns"}[g.pick(6)])
	case 2:
		return pure([]string{"min", "max"}[g.pick(2)], g.dur(depth+1), g.dur(depth+1))
	case 3:
		return binary(g.dur(depth+1), "+", g.dur(depth+1))
	case 4:
		return neg(g.dur(depth + 1))
	case 5:
		return notConst("since(now())")
	default:
		return binary(g.dur(depth+1), []string{"*", "/"}[g.pick(2)], g.intExpr(depth+1))
	}
}

// split is a map[string, int] literal of up to 3 entries, its keys
// literals as a brace literal's must be: a bare name is a string under a
// map's expected type. Where it has none (len), the literal has an
// entry, with no bare name.
func (g *constGen) split(depth int, expected bool) constExpr {
	min, keys := 0, 5
	if !expected {
		min, keys = 1, 3
	}
	k := min + g.pick(4-min)
	entries := make([]string, k)
	konst := true
	for i := range entries {
		var key string
		switch g.pick(keys) {
		case 0:
			key = strconv.Quote(g.s1)
		case 1:
			key = strconv.Quote(g.s2)
		case 2:
			key = strconv.Quote(constStrs[g.pick(len(constStrs))])
		case 3:
			key = "S1"
		default:
			key = "gold"
		}
		w := g.intExpr(depth + 1)
		entries[i] = key + ": " + w.text
		konst = konst && w.konst
	}
	return constExpr{text: "{" + strings.Join(entries, ", ") + "}", konst: konst}
}

func (g *constGen) triggers() constExpr {
	switch g.pick(4) {
	case 0:
		return lit("[]")
	case 1:
		return lit("[timeout]")
	case 2:
		return lit("[any_error, timeout]")
	}
	if g.pick(2) == 0 {
		return lit("ON")
	}
	return notConst("filter([timeout], (t) => t == timeout)")
}

// fnOf is a call of one of constFns whose result is of type t.
func (g *constGen) fnOf(t constType, depth int) constExpr {
	var fns []int
	for i, f := range constFns {
		if f.ret == t {
			fns = append(fns, i)
		}
	}
	f := constFns[fns[g.pick(len(fns))]]
	args := make([]constExpr, len(f.args))
	for i, t := range f.args {
		args[i] = g.of(t, depth+1)
	}
	return g.record(f.name, false, true, f.always, args)
}

func (g *constGen) of(t constType, depth int) constExpr {
	switch t {
	case tStr:
		return g.str(depth)
	case tInt:
		return g.intExpr(depth)
	case tFloat:
		return g.float(depth)
	case tMoney:
		return g.money(depth)
	case tDur:
		return g.dur(depth)
	}
	return g.decision(depth)
}

func (g *constGen) decision(depth int) constExpr {
	if depth >= maxConstGenDepth {
		return lit(`to("a:b")`)
	}
	switch g.pick(7) {
	case 0:
		return g.call("to", g.str(depth+1))
	case 1:
		if g.pick(4) == 0 {
			return g.call("weighted", lit("W"))
		}
		return g.call("weighted", g.split(depth+1, true))
	case 2:
		args := []constExpr{g.decision(depth + 1), g.str(depth + 1)}
		if g.pick(2) == 0 {
			args = append(args, g.named("on", g.triggers()))
		}
		if g.pick(2) == 0 {
			args = append(args, g.named("retries", g.intExpr(depth+1)))
		}
		if g.pick(2) == 0 {
			args = append(args, g.named("backoff", g.dur(depth+1)))
		}
		return g.call(".fallback", args...)
	case 3:
		args := []constExpr{g.decision(depth + 1), g.str(depth + 1)}
		if g.pick(2) == 0 {
			args = append(args, g.named("ttl", g.dur(depth+1)))
		}
		return g.call(".sticky", args...)
	case 4:
		return g.call(".tag", g.decision(depth+1), g.str(depth+1), g.str(depth+1))
	case 5:
		return g.call("."+[]string{"pre", "validate", "post"}[g.pick(3)], g.decision(depth+1), g.str(depth+1))
	default:
		return g.fnOf(tDecision, depth)
	}
}

// constBlock is a test block of the generated test file: its statement
// evaluates call (or, arg ≥ 0, call's argument arg); at is the offset of
// the evaluated text in the file.
type constBlock struct {
	name string
	call int
	arg  int
	at   int
}

// checkConstGen writes g's calls as a policy and its test file, checks,
// compiles and runs them, and asserts what FuzzConstCheck says.
// It reports whether the files check.
func checkConstGen(t *testing.T, u *lang.Universe, tab *vm.BuiltinTable, g *constGen) bool {
	var main strings.Builder
	main.WriteString("package p\n\n")
	fmt.Fprintf(&main, "const S1 = %s\n\nconst N1 = %s\n\n", strconv.Quote(g.s1), intLit(g.n1))
	fmt.Fprintf(&main, "const W = {%s: N1, \"c:d\": %s}\n\nconst L = [N1, %s]\n\nconst ON: list[Trigger] = %s\n\n", strconv.Quote(g.s2), intLit(g.n2), intLit(g.n2), []string{"[timeout]", "[]"}[g.n2&1])
	main.WriteString("fn route(r: Request) -> Decision = to(\"openai:gpt-4o\")\n\n")
	main.WriteString(constFnDecls)
	var src strings.Builder
	src.WriteString("package p\n\nimport \"std/ab\"\nimport \"std/testing\"\n\n")
	var blocks []constBlock
	add := func(name string, call, arg int, text string, void bool) {
		fmt.Fprintf(&src, "test %q {\n  ", name)
		if void {
			blocks = append(blocks, constBlock{name, call, arg, src.Len()})
			src.WriteString(text)
		} else {
			src.WriteString("expect string(")
			blocks = append(blocks, constBlock{name, call, arg, src.Len()})
			src.WriteString(text)
			src.WriteString(") + \".\" != \"\"") // whatever the value
		}
		src.WriteString("\n}\n\n")
	}
	for j, c := range g.calls {
		add(fmt.Sprintf("c%d", j), j, -1, c.text, c.void)
		for i, a := range c.args {
			add(fmt.Sprintf("c%da%d", j, i), j, i, a.text, false)
		}
	}
	files := map[string]string{"/v/p.rpl": main.String(), "/v/p_test.rpl": src.String()}
	read := func(p string) ([]byte, error) {
		if s, ok := files[p]; ok {
			return []byte(s), nil
		}
		return nil, os.ErrNotExist
	}
	prog, diags := lang.Check(&lang.Config{Universe: u, ReadFile: read}, "/v/p.rpl")
	if diags.HasErrors() {
		return false // the generator made what does not check: an overflow, a key twice, …
	}
	dump := func() string { return files["/v/p_test.rpl"] }

	// Run every block, compiled without folding and folding pure calls;
	// both must agree.
	runs := map[string]error{}
	for k, opts := range []compiler.Options{{}, {Builtins: tab}} {
		out, err := compiler.Compile(prog, opts)
		if err != nil {
			var limit *compiler.LimitError
			if errors.As(err, &limit) {
				return true
			}
			t.Fatalf("checks but does not compile: %v\n%s", err, dump())
		}
		p, err := vm.NewProgram(out.Spec, tab)
		if err != nil {
			t.Fatalf("link: %v", err)
		}
		m := vm.NewMachine()
		for _, tb := range out.Tests {
			in := vm.Input{Now: time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC), Seed: 1, Host: &stdlib.MemState{}}
			_, _, err := m.RunNamed(context.Background(), p, tb.Entry, nil, vm.Limits{}, in)
			if k == 0 {
				runs[tb.Name] = err
			} else if a, b := runText(runs[tb.Name]), runText(err); a != b {
				t.Errorf("test %s: run %s, folding pure calls %s\n%s", tb.Name, a, b, dump())
			}
		}
	}

	// The warnings, by the offset of the argument (of the call, for a
	// function's) they are at.
	warned := map[int]*lang.Diagnostic{}
	for _, d := range diags {
		switch {
		case d.Code != lang.CodeAlwaysFails:
		case d.File == nil || d.File.Name != "/v/p_test.rpl":
			// The functions' bodies call builtins with their
			// parameters: nothing there always fails.
			t.Errorf("warned in the policy: %v\n%s", d, files["/v/p.rpl"])
		default:
			warned[int(d.Span.Start)] = d
		}
	}
	for _, b := range blocks {
		if b.arg >= 0 {
			continue
		}
		c := g.calls[b.call]
		// A call of a function is warned of at the call, a builtin at
		// an argument; not at its receiver, or at an argument that is
		// a call of a function, whose warnings are their own.
		var w *lang.Diagnostic
		if d := warned[b.at]; c.fn && d != nil && strings.Contains(d.Message, ", reached through ") {
			w = d
		}
		for _, a := range c.args {
			if d := warned[b.at+a.off]; !c.fn && a.off > 0 && d != nil && !strings.Contains(d.Message, ", reached through ") {
				w = d
			}
		}
		runErr := runs[b.name]
		// konst: every argument is constant; argsRun: each runs, so
		// that the call is made.
		konst, argsRun := true, true
		for i, a := range c.args {
			konst = konst && a.konst
			argsRun = argsRun && runs[fmt.Sprintf("c%da%d", b.call, i)] == nil
		}
		if w != nil {
			if runErr == nil {
				t.Errorf("%s: warned %q, the run succeeds\n%s", c.text, w.Message, dump())
				continue
			}
			if !argsRun {
				continue // an argument fails first
			}
			// The run fails with the error warned of; or, where an
			// argument is not constant, it may fail first for that
			// argument, in the same call.
			if why, ok := failsAsWarned(runErr, w); !ok && (konst || !failsInBuiltin(runErr)) {
				t.Errorf("%s: warned %q, the run %s (%s)\n%s", c.text, w.Message, runText(runErr), why, dump())
			}
			continue
		}
		// Not warned: the run may fail only where the check cannot know.
		if runErr == nil || !c.always || !failsInBuiltin(runErr) {
			continue
		}
		if konst && argsRun {
			t.Errorf("%s: not warned, the run fails: %s\n%s", c.text, runText(runErr), dump())
		}
	}
	return true
}

// runText is a run's outcome: "ok", or its error's code and message.
func runText(err error) string {
	var ve *vm.Error
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &ve) && ve.Cause != nil:
		return fmt.Sprintf("%s: %s (%v)", ve.Code, ve.Msg, ve.Cause)
	case errors.As(err, &ve):
		return fmt.Sprintf("%s: %s", ve.Code, ve.Msg)
	}
	return err.Error()
}

// failsInBuiltin reports whether the run error err is a builtin's: a
// builtin_error, or an int_overflow a builtin names ("abs(int): integer
// overflow").
func failsInBuiltin(err error) bool {
	var ve *vm.Error
	if !errors.As(err, &ve) {
		return false
	}
	return ve.Code == vm.CodeBuiltinError || ve.Code == vm.CodeIntOverflow && strings.Contains(ve.Msg, "): ")
}

// failsAsWarned reports whether the run failed with the error the warning
// w names, and if not, why not.
func failsAsWarned(runErr error, w *lang.Diagnostic) (string, bool) {
	var ve *vm.Error
	if !errors.As(runErr, &ve) {
		return "no vm.Error", false
	}
	_, why, _ := strings.Cut(w.Message, "always fails when it runs: ")
	switch ve.Code {
	case vm.CodeBuiltinError:
		if why == "" || ve.Cause == nil || ve.Cause.Error() != why {
			return "another builtin_error", false
		}
	case vm.CodeIntOverflow:
		if why == "" || !strings.HasSuffix(ve.Msg, "): "+why) {
			return "another int_overflow", false
		}
	default:
		return "not a builtin's error", false
	}
	return "", true
}

// lit is a constant expression, notConst one that is not.
func lit(text string) constExpr      { return constExpr{text: text, konst: true} }
func notConst(text string) constExpr { return constExpr{text: text} }
