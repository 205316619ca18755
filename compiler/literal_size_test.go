package compiler_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/vm"
)

// bigLiteralPolicy declares xs(s), a list literal of n elements that are
// all s, and m(s), a map literal {"k0": s, …} of mapN entries, with a test
// that reads their lengths and last elements.
func bigLiteralPolicy(n, mapN int) string {
	var b strings.Builder
	b.WriteString("package big\n\nfn xs(s: string) -> list[string] = [")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("s")
	}
	b.WriteString("]\n\nfn m(s: string) -> map[string, string] = {")
	for i := range mapN {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q: s", fmt.Sprint("k", i))
	}
	fmt.Fprintf(&b, `}

fn route(r: Request) -> Decision = deny(xs(r.id)[%d] + (m(r.id)["k%d"] ?? "none"))

test "big literals" {
  expect len(xs("a")) == %d
  expect xs("b")[%d] == "b"
  expect len(m("a")) == %d
  expect m("c")["k%d"] == "c"
}
`, n-1, mapN-1, n, n-1, mapN, mapN-1)
	return b.String()
}

// TestBigListLiteral compiles list literals of computed elements longer
// than one MAKE_LIST may build (an operand is 16 bits, the verifier's
// operand stack 1<<16 values), and the largest map literal of computed
// values the checker allows: before, such a list passed rplc check and
// failed rplc build as "rejected by the verifier (a compiler bug)", with no
// position. Plain and traced (rplc explain) compilations alike.
func TestBigListLiteral(t *testing.T) {
	env, err := rpl.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{4096, 4097, 70_000} {
		for _, trace := range []bool{false, true} {
			path := filepath.Join(t.TempDir(), "big.rpl")
			if err := os.WriteFile(path, []byte(bigLiteralPolicy(n, lang.MaxComputedMapEntries)), 0o644); err != nil {
				t.Fatal(err)
			}
			prog, err := env.CompileWith(path, rpl.CompileOptions{Trace: trace})
			if err != nil {
				t.Fatalf("%d elements (trace %v): %v", n, trace, err)
			}
			for _, tc := range prog.Tests() {
				if _, err := prog.RunTest(context.Background(), tc.Name, vm.Input{}, vm.Limits{Fuel: 1 << 30, Memory: 256 << 20}); err != nil {
					t.Errorf("%d elements (trace %v): test %q: %v", n, trace, tc.Name, err)
				}
			}
		}
	}
}

// TestMapLiteralSize is RPL320, which spec/diagnostics.md describes
// without an example: a map literal of computed values with more entries
// than the machine builds at once is an error at the literal; one entry
// fewer is not, nor is a longer literal of constants.
func TestMapLiteralSize(t *testing.T) {
	env, err := rpl.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	over := lang.MaxComputedMapEntries + 1
	_, err = env.CompileSource("big.rpl", []byte(bigLiteralPolicy(1, over)))
	var diags lang.DiagList
	if !errors.As(err, &diags) || len(diags) != 1 {
		t.Fatalf("%d computed entries: %v, want one RPL320", over, err)
	}
	d := diags[0]
	pos := d.File.Position(d.Span.Start)
	if want := fmt.Sprintf("map literal of %d entries that are not all constants: a map computed at run time has at most %d", over, lang.MaxComputedMapEntries); d.Code != lang.CodeLiteralSize || !strings.Contains(d.Message, want) || pos.Line != 5 || pos.Col != 42 {
		t.Errorf("got %s %d:%d %q, want %s 5:42 %q", d.Code, pos.Line, pos.Col, d.Message, lang.CodeLiteralSize, want)
	}

	consts := strings.ReplaceAll(bigLiteralPolicy(1, over), `": s`, `": "c"`)
	prog, err := env.CompileSource("consts.rpl", []byte(consts))
	if err != nil {
		t.Fatalf("%d constant entries: %v", over, err)
	}
	for _, tc := range prog.Tests() {
		if _, err := prog.RunTest(context.Background(), tc.Name, vm.Input{}, vm.Limits{}); err != nil {
			t.Errorf("%d constant entries: test %q: %v", over, tc.Name, err)
		}
	}
}

// TestOperandStackTooDeep: literals nested so that more than
// vm.MaxStackDepth values wait on the operand stack at once (17 levels of
// 4,096 elements, each level's last element the next) check, and their
// build fails at the source position that grows the stack past the limit,
// for the author to split; it said "rejected by the verifier (a compiler
// bug)", with no position.
func TestOperandStackTooDeep(t *testing.T) {
	const n = 4096
	inner, typ := "["+strings.Repeat("s, ", n-1)+"s]", "list[string]"
	for range 16 {
		inner = "[" + strings.Repeat("[], ", n-1) + inner + "]"
		typ = "list[" + typ + "]"
	}
	src := "package nest\n\nfn xs(s: string) -> " + typ + " = " + inner + "\n\nfn route(r: Request) -> Decision = deny(string(len(xs(r.id))))\n"
	env, err := rpl.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	_, err = env.CompileSource("nest.rpl", []byte(src))
	var diags lang.DiagList
	if err == nil || errors.As(err, &diags) {
		t.Fatalf("compiled: %v", err)
	}
	// At an element of the innermost list, which the stack passes the
	// limit on.
	line := src[strings.Index(src, "fn xs"):strings.Index(src, "\n\nfn route")]
	var col int
	if _, err := fmt.Sscanf(err.Error(), "nest.rpl:3:%d: this code needs more than 65536 values on the operand stack at once", &col); err != nil {
		t.Fatalf("error %.200s: %v", err, err)
	}
	if innermost := strings.LastIndex(line, "[s, "); col <= innermost || col > len(line) || line[col-1] != 's' {
		t.Errorf("error at column %d (%q), want an element of the innermost list, from column %d", col, line[max(col-5, 0):min(col+5, len(line))], innermost+2)
	}
}

// TestMachineLimits: code with more distinct constants in a program, or
// local variables in a function, than an instruction can name is a
// LimitError at the code that passes the limit, for rplc check (RPL322)
// and build to report; it was "compile f: asm: CONST: operand 65536 out
// of range", with no position, or the verifier's refusal called a
// compiler bug.
func TestMachineLimits(t *testing.T) {
	env, err := rpl.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	var consts strings.Builder
	consts.WriteString("package k\n\nfn f(x: string) -> int = len([")
	for i := range vm.MaxConstants + 10 {
		if i > 0 {
			consts.WriteString(", ")
		}
		fmt.Fprintf(&consts, "x + \"s%d\"", i)
	}
	consts.WriteString("])\n\nfn route(r: Request) -> Decision = deny(string(f(r.id)))\n")

	var locals strings.Builder
	locals.WriteString("package l\n\nfn f(x: int) -> int {\n  let v0 = x + 1\n")
	for i := 1; i <= vm.MaxLocals; i++ {
		fmt.Fprintf(&locals, "  let v%d = v%d + 1\n", i, i-1)
	}
	fmt.Fprintf(&locals, "  v%d\n}\n\nfn route(r: Request) -> Decision = deny(string(f(1)))\n", vm.MaxLocals)
	// x is local 0, so v(MaxLocals-1) is the one past the limit, on line
	// 4 + MaxLocals - 1.
	tests := []struct {
		name, src string
		line      int
		at, msg   string // what the position points to; the message
	}{
		{"constants", consts.String(), 3, `"s`, fmt.Sprintf("this program needs more than %d distinct constants", vm.MaxConstants)},
		{"locals", locals.String(), 3 + vm.MaxLocals, fmt.Sprintf("let v%d ", vm.MaxLocals-1), fmt.Sprintf("this function needs more than %d local variables", vm.MaxLocals)},
	}
	for _, tc := range tests {
		_, err := env.CompileSource("k.rpl", []byte(tc.src))
		var limit *compiler.LimitError
		if !errors.As(err, &limit) {
			t.Errorf("%s: %.200v, want a LimitError", tc.name, err)
			continue
		}
		if limit.File != "k.rpl" || limit.Line != tc.line || !strings.HasPrefix(limit.Msg, tc.msg) {
			t.Errorf("%s: %s:%d:%d: %s, want line %d, %q", tc.name, limit.File, limit.Line, limit.Col, limit.Msg, tc.line, tc.msg)
			continue
		}
		line := strings.Split(tc.src, "\n")[limit.Line-1]
		if limit.Col < 1 || limit.Col > len(line) || !strings.HasPrefix(line[limit.Col-1:], tc.at) {
			t.Errorf("%s: column %d points at %.20q, want %q", tc.name, limit.Col, line[min(limit.Col-1, len(line)):], tc.at)
		}
	}
}
