package vm

import (
	"context"
	"fmt"
	"testing"
)

// An error's policy call stack holds at most MaxBacktrace frames, the
// innermost: an inline table may nest as deep as it has entries (here 600
// over the same code), and each active call adds as many. Before, a
// recursion to the default call depth through such a function made a
// stack of 200 × 601 frames (a few hundred KB of program can make it
// gigabytes), which no limit charged.
func TestBacktraceBound(t *testing.T) {
	const nest = 600
	var a Assembler
	a.Emit(OpCall, 0, 0)
	a.Emit(OpReturn)
	code, err := a.Code()
	if err != nil {
		t.Fatal(err)
	}
	f := FunctionSpec{Name: "f", File: "deep.rpl", Code: code, Lines: []LineEntry{{PC: 0, Line: 1, Col: 1}}}
	for i := range nest {
		f.Inlined = append(f.Inlined, InlineEntry{Start: 0, End: uint32(len(code)), Func: fmt.Sprint("in", i), Line: uint32(i + 2), Col: 1})
	}
	p, err := NewProgram(&ProgramSpec{Functions: []FunctionSpec{f}, Entries: map[string]int{"f": 0}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = NewMachine().Run(context.Background(), p, 0, nil, Limits{}, Input{})
	e := wantCode(t, err, CodeStackOverflow)
	if len(e.Stack) != MaxBacktrace {
		t.Fatalf("%d frames, want %d", len(e.Stack), MaxBacktrace)
	}
	// Innermost first: the entries of the failing CALL, innermost first
	// (each at the call site of the one inside it), then f; then its
	// caller's the same way.
	for i, fr := range e.Stack {
		j := i % (nest + 1)
		want := Frame{Func: "f", File: "deep.rpl", Line: 2, Col: 1}
		switch {
		case j == 0:
			want = Frame{Func: fmt.Sprint("in", nest-1), File: "deep.rpl", Line: 1, Col: 1}
		case j < nest:
			want = Frame{Func: fmt.Sprint("in", nest-1-j), File: "deep.rpl", Line: nest - j + 2, Col: 1}
		}
		if fr != want {
			t.Fatalf("frame %d: %+v, want %+v", i, fr, want)
		}
	}
}

// Backtrace names a test's frame as every command's stack does
// (FrameLabel): `test "NAME"`, `(unnamed test)`, not the entry `test:NAME`.
func TestBacktraceTestFrame(t *testing.T) {
	e := &Error{Code: CodeFuelExhausted, Msg: "fuel exhausted", Stack: []Frame{
		{Func: "f", File: "p.rpl", Line: 2, Col: 3},
		{Func: TestPrefix + `a "b"`, File: "p.rpl", Line: 5, Col: 1},
		{Func: TestPrefix, File: "p.rpl", Line: 9, Col: 1},
	}}
	want := e.Error() + " [fuel_exhausted]\n" +
		"  at f (p.rpl:2:3)\n" +
		"  at test \"a \\\"b\\\"\" (p.rpl:5:1)\n" +
		"  at (unnamed test) (p.rpl:9:1)\n"
	if got := e.Backtrace(); got != want {
		t.Fatalf("Backtrace:\n%s\nwant:\n%s", got, want)
	}
}

// Backtrace writes a recursion's run of identical frames once, with its
// count, as every command's stack does (WriteStack): a stack overflow
// listed each of its 200 frames.
func TestBacktraceRecursion(t *testing.T) {
	f := Frame{Func: "f", File: "p.rpl", Line: 3, Col: 5}
	e := &Error{Code: CodeStackOverflow, Msg: "stack overflow", Stack: []Frame{f, f, f, {Func: TestPrefix + "t", File: "p.rpl", Line: 8, Col: 1}}}
	want := e.Error() + " [stack_overflow]\n" +
		"  at f (p.rpl:3:5) × 3\n" +
		"  at test \"t\" (p.rpl:8:1)\n"
	if got := e.Backtrace(); got != want {
		t.Fatalf("Backtrace:\n%s\nwant:\n%s", got, want)
	}
}
