package compiler_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/vm"
)

// evalOrderPolicy has tests that each evaluate two failing expressions,
// fz (division_by_zero) and fo (int_overflow); a test's name starts with
// the code of the one written first, which must be the error that stops
// it: language.md §6.10 and §11.1 evaluate operands, arguments (named
// ones too) and the values of literals left to right, as written. Before,
// named arguments were evaluated in the callee's parameter order and a
// record literal's fields in the order of their names.
const evalOrderPolicy = `package eo

fn id(x: int) -> int = x
fn fz() -> int = id(1) / id(0)
fn fo() -> int = id(9223372036854775807) + 1
fn g(a: int, b: int) -> int = a + b
fn h(a: int, b: int) -> int {
  let s = a + b
  s
}

test "division_by_zero: positional" { expect g(fz(), fo()) == 0 }
test "int_overflow: positional" { expect g(fo(), fz()) == 0 }
test "division_by_zero: named, in order" { expect g(a: fz(), b: fo()) == 0 }
test "division_by_zero: named, reversed" { expect g(b: fz(), a: fo()) == 0 }
test "int_overflow: named, reversed" { expect g(b: fo(), a: fz()) == 0 }
test "division_by_zero: named, reversed, not inlined" { expect h(b: fz(), a: fo()) == 0 }
test "int_overflow: positional then named" { expect h(fo(), b: fz()) == 0 }
test "division_by_zero: builtin named, reversed" {
  expect to("a:b").fallback("c", backoff: 1s * fz(), retries: fo()).priority == 0
}
test "int_overflow: builtin named, reversed" {
  expect to("a:b").fallback("c", backoff: 1s * fo(), retries: fz()).priority == 0
}
test "division_by_zero: record fields reversed" { expect {b: fz(), a: fo()}.a == 0 }
test "int_overflow: record fields reversed" { expect {b: fo(), a: fz()}.a == 0 }
test "division_by_zero: typed record, a constant between" {
  let r: {a: int, b: int, c: int} = {c: fz(), b: 1, a: fo()}
  expect r.a == 0
}
test "division_by_zero: binary operands" { expect fz() + fo() == 0 }
test "division_by_zero: map literal" { expect ({"b": fz(), "a": fo()}["a"] ?? 0) == 0 }
`

func TestEvaluationOrder(t *testing.T) {
	runTestsEachWay(t, "eo.rpl", evalOrderPolicy, func(opts compiler.Options, test string, err error) {
		want, _, _ := strings.Cut(test, ":")
		var ve *vm.Error
		if !errors.As(err, &ve) || string(ve.Code) != want {
			t.Errorf("cover %v trace %v: test %q: got %v, want %s", opts.Cover, opts.Trace, test, err, want)
		}
	})
}
