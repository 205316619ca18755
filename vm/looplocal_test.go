package vm

import (
	"strings"
	"testing"
)

// FOR_ITER_LOCAL and APPEND_LOCAL: a map loop that doubles its input
// list into a new one, leaving the input (not owned by the run) unchanged.
func TestLoopLocals(t *testing.T) {
	// locals: 0 input, 1 list, 2 index, 3 x, 4 acc
	p := build(t, []Value{Int(0), Int(2)}, nil, nil, nil, fn{name: "main", params: 1, locals: 5, asm: func(a *Assembler) {
		a.Emit(OpLoadLocal, 0)
		a.Emit(OpStoreLocal, 1)
		a.Emit(OpConst, 0)
		a.Emit(OpStoreLocal, 2)
		a.Emit(OpMakeList, 0)
		a.Emit(OpStoreLocal, 4)
		a.Label("top")
		a.Emit(OpForIterLocal, 1, 3, a.JumpTo("done"))
		a.Emit(OpLoadLocal, 3)
		a.Emit(OpConst, 1)
		a.Emit(OpMulInt)
		a.Emit(OpAppendLocal, 4)
		a.Emit(OpJmp, a.JumpTo("top"))
		a.Label("done")
		a.Emit(OpLoadLocal, 4)
		a.Emit(OpReturn)
	}})
	in := NewList([]Value{Int(1), Int(2), Int(3), Int(4), Int(5)})
	v, err := run(t, p, "main", in)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.String(); got != "[2, 4, 6, 8, 10]" {
		t.Fatalf("got %s", got)
	}
	if got := in.String(); got != "[1, 2, 3, 4, 5]" {
		t.Fatalf("input changed: %s", got)
	}
	// APPEND_LOCAL on a list the run does not own copies it first.
	q := build(t, []Value{Int(9)}, nil, nil, nil, fn{name: "main", params: 1, asm: func(a *Assembler) {
		a.Emit(OpConst, 0)
		a.Emit(OpAppendLocal, 0)
		a.Emit(OpLoadLocal, 0)
		a.Emit(OpReturn)
	}})
	v, err = run(t, q, "main", in)
	if err != nil || v.String() != "[1, 2, 3, 4, 5, 9]" || in.String() != "[1, 2, 3, 4, 5]" {
		t.Fatalf("got %v (%v), input %s", v, err, in)
	}
	if _, err := run(t, q, "main", Int(1)); err == nil {
		t.Fatal("APPEND_LOCAL on an int: no error")
	}
}

// mapProgram assembles main(src): a bottom-tested loop (next: NEXT_LOCAL
// or NEXT_RANGE) over src that appends x * 10 to a list in local 4 (made
// by LIST_CAP when listCap, else by MAKE_LIST), then tail, or returns the
// list when tail is nil.
func mapProgram(t testing.TB, bt *BuiltinTable, builtins []string, next Opcode, listCap bool, tail func(a *Assembler)) *Program {
	t.Helper()
	// locals: 0 input, 1 source, 2 position, 3 x, 4 acc
	return build(t, []Value{Int(0), Int(10)}, nil, bt, builtins, fn{name: "main", params: 1, locals: 5, asm: func(a *Assembler) {
		a.Emit(OpLoadLocal, 0)
		a.Emit(OpStoreLocal, 1)
		a.Emit(OpConst, 0)
		a.Emit(OpStoreLocal, 2)
		switch {
		case !listCap:
			a.Emit(OpMakeList, 0)
		case next == OpNextLocal:
			a.Emit(OpLoadLocal, 1)
			a.Emit(OpLen)
			a.Emit(OpListCap)
		default:
			a.Emit(OpLoadLocal, 1)
			a.Emit(OpListCap)
		}
		a.Emit(OpStoreLocal, 4)
		a.Emit(OpJmp, a.JumpTo("next"))
		a.Label("top")
		a.Emit(OpLoadLocal, 3)
		a.Emit(OpConst, 1)
		a.Emit(OpMulInt)
		a.Emit(OpAppendLocal, 4)
		a.Label("next")
		a.Emit(next, 1, 3, a.JumpTo("top"))
		if tail == nil {
			a.Emit(OpLoadLocal, 4)
			a.Emit(OpReturn)
			return
		}
		tail(a)
	}})
}

// NEXT_LOCAL and NEXT_RANGE: bottom-tested loops, over a list and over a
// count; a non-list (non-int) source is an internal error; the verifier
// rejects a loop whose pair of locals runs past the frame.
func TestNextLoops(t *testing.T) {
	list := mapProgram(t, nil, nil, OpNextLocal, false, nil)
	count := mapProgram(t, nil, nil, OpNextRange, false, nil)
	for _, c := range []struct {
		p    *Program
		in   Value
		want string
	}{
		{list, NewList([]Value{Int(1), Int(2), Int(5)}), "[10, 20, 50]"},
		{list, NewList(nil), "[]"},
		{count, Int(4), "[0, 10, 20, 30]"},
		{count, Int(0), "[]"},
		{count, Int(-5), "[]"},
	} {
		v, err := run(t, c.p, "main", c.in)
		if err != nil || v.String() != c.want {
			t.Errorf("over %s: got %s, %v; want %s", c.in, v, err, c.want)
		}
	}
	for _, c := range []struct {
		p  *Program
		in Value
	}{{list, Int(3)}, {count, Str("3")}, {count, NewList(nil)}} {
		_, err := run(t, c.p, "main", c.in)
		wantCode(t, err, CodeInternal)
	}

	for _, op := range []Opcode{OpForIter, OpForIterLocal, OpNextLocal, OpNextRange} {
		_, err := NewProgram(buildSpec(t, nil, nil, nil, fn{name: "f", locals: 2, asm: func(a *Assembler) {
			a.Label("top")
			if op == OpForIter {
				a.Emit(op, 1, a.JumpTo("top"))
			} else {
				a.Emit(op, 1, 0, a.JumpTo("top"))
			}
			a.Emit(OpNil)
			a.Emit(OpReturn)
		}}), nil)
		if err == nil || !strings.Contains(err.Error(), "out of range") {
			t.Errorf("%s with its pair at the last local: %v", op, err)
		}
	}
}
