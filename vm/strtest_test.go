package vm

import (
	"strings"
	"testing"
)

// STR_TEST_CONST and JMP_UNLESS_STR_CONST: every test, both forms, and
// the internal errors of a non-string operand, a non-string constant and
// an unknown test (malformed bytecode).
func TestStrTestConst(t *testing.T) {
	consts := []Value{Str("ab"), Int(1), Str("yes"), Str("no")}
	value := func(op, k int) *Program {
		return build(t, consts, nil, nil, nil, fn{name: "main", params: 1, asm: func(a *Assembler) {
			a.Emit(OpLoadLocal, 0)
			a.Emit(OpStrTestConst, op, k)
			a.Emit(OpReturn)
		}})
	}
	jump := func(op, k int) *Program {
		return build(t, consts, nil, nil, nil, fn{name: "main", params: 1, asm: func(a *Assembler) {
			a.Emit(OpLoadLocal, 0)
			a.Emit(OpJmpUnlessStrConst, op, k, a.JumpTo("no"))
			a.Emit(OpConst, 2)
			a.Emit(OpReturn)
			a.Label("no")
			a.Emit(OpConst, 3)
			a.Emit(OpReturn)
		}})
	}
	for _, c := range []struct {
		op   int
		s    string
		want bool
	}{
		{StrStartsWith, "abc", true}, {StrStartsWith, "cab", false}, {StrStartsWith, "a", false},
		{StrEndsWith, "cab", true}, {StrEndsWith, "abc", false},
		{StrContains, "xaby", true}, {StrContains, "a b", false},
	} {
		v, err := run(t, value(c.op, 0), "main", Str(c.s))
		if err != nil || v != Bool(c.want) {
			t.Errorf("STR_TEST_CONST %d %q: got %v, %v; want %v", c.op, c.s, v, err, c.want)
		}
		want := map[bool]string{true: "yes", false: "no"}[c.want]
		v, err = run(t, jump(c.op, 0), "main", Str(c.s))
		if err != nil || v.Str() != want {
			t.Errorf("JMP_UNLESS_STR_CONST %d %q: got %v, %v; want %s", c.op, c.s, v, err, want)
		}
	}
	for _, p := range []*Program{value(StrContains, 1), jump(StrStartsWith, 1)} {
		_, err := run(t, p, "main", Str("ab"))
		wantCode(t, err, CodeInternal)
	}
	// An unknown test is refused at load, with its function and pc.
	for _, op := range []Opcode{OpStrTestConst, OpJmpUnlessStrConst} {
		_, err := NewProgram(buildSpec(t, consts, nil, nil, fn{name: "main", params: 1, asm: func(a *Assembler) {
			a.Emit(OpLoadLocal, 0)
			if op == OpStrTestConst {
				a.Emit(op, 7, 0)
			} else {
				a.Emit(op, 3, 0, a.JumpTo("end"))
				a.Label("end")
				a.Emit(OpTrue)
			}
			a.Emit(OpReturn)
		}}), nil)
		if err == nil || !strings.Contains(err.Error(), "string test") || !strings.Contains(err.Error(), "main") {
			t.Errorf("%s with an unknown test: %v", op, err)
		}
	}
	_, err := run(t, value(StrEndsWith, 0), "main", Int(5))
	wantCode(t, err, CodeInternal)
}
