package compiler_test

import (
	"testing"

	"github.com/rpl-lang/rpl/compiler"
)

// blockStmtPolicy has blocks whose value is discarded (language.md §7.4):
// block statements, within parentheses or not, and the arms of a match
// used as a statement. Their last statement is a statement, as the
// checker checks it: a match without a catch-all arm there does nothing
// when no arm applies, an if without else nothing when its condition is
// false, and a value computed there is dropped. They were compiled as
// values: a match without a catch-all failed ("no match arm matched")
// where no arm applied, and the checker refused them before (RPL305,
// RPL304).
const blockStmtPolicy = `package bs

fn f(n: int, a: bool, b: bool) -> int {
  { match n { 1 => 2 } };
  { if a && n == 0 { return 100 } else if b && n == 0 { return 200 } }
  { let m = n + 1; match m { 3 => { return 3 } } }
  (match n { 4 => { return 4 } });
  ({ match n { 5 => { return 5 } } });
  (if a && n == 6 { return 6 } else if b && n == 6 { return 7 });
  match n {
    8 => { match a { true => { return 8 } } }
    9 => if a { return 9 } else if b { return 10 }
    10 => match b { true => { return 11 } }
    _ => { if a && n == 12 { return 12 } }
  }
  { { match n { 13 => { return 13 } } } }
  { if a { 1 } else if b { 2 } }
  ({ n * 2 })
  0
}

test "an arm or a branch taken" {
  expect f(1, false, false) == 0
  expect f(0, true, false) == 100
  expect f(0, false, true) == 200
  expect f(2, false, false) == 3
  expect f(4, false, false) == 4
  expect f(5, false, false) == 5
  expect f(6, true, false) == 6
  expect f(6, false, true) == 7
  expect f(8, true, false) == 8
  expect f(9, true, false) == 9
  expect f(9, false, true) == 10
  expect f(10, false, true) == 11
  expect f(12, true, false) == 12
  expect f(13, false, false) == 13
}

test "no arm and no branch taken" {
  expect f(0, false, false) == 0
  expect f(7, true, true) == 0
  expect f(8, false, false) == 0
  expect f(9, false, false) == 0
  expect f(10, false, false) == 0
  expect f(12, false, false) == 0
  expect f(14, true, false) == 0
}
`

func TestBlockStatementValueDiscarded(t *testing.T) {
	n := runTestsEachWay(t, "bs.rpl", blockStmtPolicy, func(opts compiler.Options, test string, err error) {
		if err != nil {
			t.Errorf("cover %v trace %v: test %q: %v", opts.Cover, opts.Trace, test, err)
		}
	})
	if n != 2 {
		t.Fatalf("%d tests, want 2", n)
	}
}
