package compiler_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/rpl-lang/rpl/vm"
)

// TestConstantsMatchRunTime compiles `const k = x op y` for each case and
// runs two tests: k equals the expected value, and k equals x op y
// computed at run time from let-bound operands (the VM's rounding and
// truncation). A constant the compiler cannot compute would be none.
func TestConstantsMatchRunTime(t *testing.T) {
	cases := []struct{ x, op, y, want string }{
		{"$5", "*", "20", "$100"},
		{"10s", "*", "3", "30s"},
		{"$3", "/", "2", "$1.50"},
		{"6s", "/", "4", "1.5s"},
		{"$0.000000003", "/", "2", "$0.000000002"}, // 1.5 rounds to even 2
		{"$0.000000005", "/", "2", "$0.000000002"}, // 2.5 rounds to even 2
		{"$0.000000007", "/", "2", "$0.000000004"}, // 3.5 rounds to even 4
		{"$0.000000007", "/", "3", "$0.000000002"},
		{"-$0.000000005", "/", "2", "-$0.000000002"},
		{"$0.000000005", "/", "-2", "-$0.000000002"},
		{"7ns", "/", "2", "3ns"},
		{"-7ns", "/", "2", "-3ns"},
		{"$5", "/", "$2", "2.5"},
		{"-9223372036854775807 - 1", "%", "-1", "0"},
		{`"ell"`, "in", `"hello"`, "true"},
		{`"x"`, "not in", `"hello"`, "true"},
		{"[1, 2]", "==", "[1, 2]", "true"},
		{"[1]", "!=", "[2]", "true"},
		{"2", "in", "[1, 2]", "true"},
		{`"k"`, "not in", `{"k": 1}`, "false"},
		{"{a: 1, b: 2s}", "==", "{a: 1, b: 2s}", "true"},
	}
	for _, tc := range cases {
		expr := fmt.Sprintf("(%s) %s (%s)", tc.x, tc.op, tc.y)
		t.Run(expr, func(t *testing.T) {
			src := fmt.Sprintf(`package c
const k = %[1]s
test "constant" { expect k == %[2]s }
test "run time" {
  let x = %[3]s
  let y = %[4]s
  expect k == (x %[5]s y)
}
`, expr, tc.want, tc.x, tc.y, tc.op)
			runTests(t, src)
		})
	}
}

// TestConstantOperatorsOnComposites: ==, !=, in, ?? and ! over constants
// that are none, lists, maps or records are computed by the compiler (the
// checker folds only scalars).
func TestConstantOperatorsOnComposites(t *testing.T) {
	runTests(t, `package c
const none_int: int? = none
const four: int? = 4
const xs = [1, 2]
const a = none_int ?? 3
const b = four ?? 3
const c = [none_int, four] == [none, 4]
const d = !(xs == [2, 1]) && 3 not in xs
const e = {"ab": xs} == {"ab": [1, 2]} || false
test "values" {
  expect a == 3
  expect b == 4
  expect c
  expect d
  expect e
}
`)
}

// runTests checks, compiles and runs every test block of src.
func runTests(t *testing.T, src string) {
	t.Helper()
	u, err := stdlib.Universe()
	if err != nil {
		t.Fatal(err)
	}
	prog, diags := lang.CheckSource(&lang.Config{Universe: u}, "c.rpl", []byte(src))
	if diags.HasErrors() {
		t.Fatalf("%v\n%s", diags, src)
	}
	out, err := compiler.Compile(prog, compiler.Options{Builtins: builtinTable(t)})
	if err != nil {
		t.Fatal(err)
	}
	p, err := vm.NewProgram(out.Spec, builtinTable(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Tests) == 0 {
		t.Fatal("no tests")
	}
	m := vm.NewMachine()
	for _, tc := range out.Tests {
		if _, _, err := m.RunNamed(context.Background(), p, tc.Entry, nil, vm.Limits{}, vm.Input{}); err != nil {
			t.Errorf("test %q: %v\n%s", tc.Name, err, strings.TrimSpace(vm.Disassemble(p)))
		}
	}
}

// TestConstantWithoutValue: code the compiler cannot compute is an
// internal error naming its position, never code that loads none (which a
// checked program once got for `$5 * 20`). The checker's constant values
// are taken away to make some: the first is the literal "a".
func TestConstantWithoutValue(t *testing.T) {
	u, err := stdlib.Universe()
	if err != nil {
		t.Fatal(err)
	}
	src := "package c\nconst k = 5\nfn route(r: Request) -> Decision = to(\"a\").tag(\"k\", string(k))\n"
	prog, diags := lang.CheckSource(&lang.Config{Universe: u}, "c.rpl", []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	clear(prog.Info.Consts)
	_, err = compiler.Compile(prog, compiler.Options{Builtins: builtinTable(t)})
	if want := "c.rpl:3:39: internal error: cannot compile *lang.BasicLit"; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("compile: %v, want %q", err, want)
	}
}

// TestLongConstantsKeptApart: two string constants longer than what
// vm.Value.String spells out, the same but for their last byte, are two
// constants; interned by their String, they were one, and a policy read
// the second where it wrote the first.
func TestLongConstantsKeptApart(t *testing.T) {
	long := strings.Repeat("x", 3000)
	src := fmt.Sprintf(`package c
const a = "%[1]sa"
const b = "%[1]sb"
test "apart" {
  expect a != b
  expect ends_with(a, "xa")
  expect ends_with(b, "xb")
}
`, long)
	runTests(t, src)
}
