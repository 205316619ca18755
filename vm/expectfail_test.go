package vm

import (
	"context"
	"testing"
)

// TestExpectFailKeepsValues: a failed comparison keeps its parts on the
// error (Error.Expect: the description, the operator, the values), so a
// host that knows the operands' types can write them its own way; Msg is
// Message with the values as String writes them. A failure without
// values has none.
func TestExpectFailKeepsValues(t *testing.T) {
	p := build(t, []Value{Str("<"), Str("d.priority"), Str("")}, nil, nil, nil,
		fn{name: "cmp", params: 2, asm: func(a *Assembler) {
			a.Emit(OpConst, 1)
			a.Emit(OpLoadLocal, 0)
			a.Emit(OpLoadLocal, 1)
			a.Emit(OpExpectFail, 2, 0)
			a.Emit(OpConst, 1)
			a.Emit(OpExpectFail, 0, 2) // no values
			a.Emit(OpTrue)
			a.Emit(OpReturn)
		}})
	got, want := NewRecord([]Value{Str("x"), Int(50)}), NewList([]Value{Str("timeout")})
	_, _, err := NewMachine().RunNamed(context.Background(), p, "cmp", []Value{got, want}, Limits{}, Input{})
	e := wantCode(t, err, CodeAssertionFailed)
	x := e.Expect
	if x == nil {
		t.Fatalf("no Expect on %v", e)
	}
	if x.Prefix != "d.priority" || x.Op != "<" || !x.HasWant || !Equal(x.Got, got) || !Equal(x.Want, want) {
		t.Errorf("Expect %+v", *x)
	}
	if m := `d.priority: expected < ["timeout"], got {"x", 50}`; e.Msg != m || x.Message(got.String(), want.String()) != m {
		t.Errorf("Msg %q, Message %q, want %q", e.Msg, x.Message(got.String(), want.String()), m)
	}
	if n := len(e.Also); n != 1 || e.Also[0].Expect != nil || e.Also[0].Msg != "d.priority" {
		t.Errorf("the failure without values: %+v", e.Also)
	}
	eq := ExpectFailure{Op: "==", Got: Int(1), Want: Int(2), HasWant: true}
	if m := eq.Message("1", "2"); m != "expected 2, got 1" {
		t.Errorf("== without prefix: %q", m)
	}
}
