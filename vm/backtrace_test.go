package vm

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
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

// StackRuns is the stack as WriteStack writes it: each run of identical
// frames once with its count, the frames of none lost or merged across
// another.
func TestStackRuns(t *testing.T) {
	f := Frame{Func: "f", File: "p.rpl", Line: 3, Col: 5}
	g := Frame{Func: "g", File: "p.rpl", Line: 4, Col: 1}
	if r := StackRuns(nil); r != nil {
		t.Errorf("StackRuns(nil) = %v, want nil", r)
	}
	got := StackRuns([]Frame{f, f, f, g, f, f})
	want := []FrameRun{{f, 3}, {g, 1}, {f, 2}}
	if !slices.Equal(got, want) {
		t.Errorf("StackRuns = %v, want %v", got, want)
	}
}

// scanFrames is appendFrames as it was, the reference of
// TestInlineChains: the entries of f's inline table whose range holds
// the instruction's offset, found by a scan of the table up to it.
func scanFrames(f *funcCode, pc int) []Frame {
	line, col := f.pos(pc)
	var st []Frame
	if len(f.inlined) > 0 && pc >= 0 && pc < len(f.offs) {
		off := f.offs[pc]
		var c []InlineEntry
		for _, e := range f.inlined {
			if e.Start > off {
				break
			}
			if off < e.End {
				c = append(c, e)
			}
		}
		for i := len(c) - 1; i >= 0; i-- {
			st = append(st, Frame{Func: c[i].Func, File: f.file, Line: line, Col: col})
			line, col = int(c[i].Line), int(c[i].Col)
		}
	}
	return append(st, Frame{Func: f.name, File: f.file, Line: line, Col: col})
}

// TestInlineChains: the frames of an instruction inside inlined calls
// (appendFrames, through inner and parent) are those a scan of the inline
// table finds, for random nested tables over code of instructions of 1 to
// 5 bytes, whose entries may start or end within an instruction, nest
// with the same range, or hold no instruction's start.
func TestInlineChains(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 300 {
		var ins []Instr
		for range 1 + rng.IntN(40) {
			switch rng.IntN(3) {
			case 0:
				ins = append(ins, I(OpNop))
			case 1:
				ins = append(ins, I(OpNil), I(OpPop))
			default:
				ins = append(ins, I(OpJmp, 0)) // 5 bytes; patched below
			}
		}
		ins = append(ins, I(OpNil), I(OpReturn))
		code := MustAsm(ins...)
		// Jumps to the next instruction: every JMP is 5 bytes.
		for pc := 0; pc < len(code); {
			size := Opcode(code[pc]).Info().Size()
			if Opcode(code[pc]) == OpJmp {
				binary.LittleEndian.PutUint32(code[pc+1:], uint32(pc+size))
			}
			pc += size
		}
		// A random nested table: ranges split and nested recursively.
		var inl []InlineEntry
		var nest func(lo, hi uint32, depth int)
		nest = func(lo, hi uint32, depth int) {
			for lo < hi && depth < 6 && rng.IntN(3) > 0 {
				start := lo + uint32(rng.IntN(int(hi-lo)))
				end := start + 1 + uint32(rng.IntN(int(hi-start)))
				inl = append(inl, InlineEntry{Start: start, End: end, Func: fmt.Sprint("g", len(inl)), Line: uint32(len(inl) + 2), Col: uint32(depth + 1)})
				if rng.IntN(4) == 0 { // the same range again, nested
					inl = append(inl, InlineEntry{Start: start, End: end, Func: fmt.Sprint("g", len(inl)), Line: uint32(len(inl) + 2), Col: 9})
				}
				nest(start, end, depth+1)
				lo = end
			}
		}
		nest(0, uint32(len(code)), 0)
		var lines []LineEntry
		for pc := range len(code) {
			if rng.IntN(3) == 0 {
				lines = append(lines, LineEntry{PC: uint32(pc), Line: uint32(100 + pc), Col: 1})
			}
		}
		p, err := NewProgram(&ProgramSpec{
			Functions:  []FunctionSpec{{Name: "f", File: "f.rpl", Code: code, Lines: lines, Inlined: inl}},
			Entries:    map[string]int{"f": 0},
			MinVersion: 2,
		}, nil)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		f := p.funcs[0]
		for pc := -1; pc <= len(f.offs); pc++ {
			got, want := appendFrames(nil, f, pc), scanFrames(f, pc)
			if !slices.Equal(got, want) {
				t.Fatalf("round %d, instruction %d of %v, table %v:\n got %v\nwant %v", round, pc, f.offs, inl, got, want)
			}
		}
	}
}

// TestBacktraceWork: the stack of an error costs the work of its frames,
// not of the function's inline table: a run failing within 100,000
// nested inlined calls built the chain of the calls holding the failing
// instruction by a scan of the table, 8 MB of scratch space for a stack
// of 1,024 frames, at each active call (a recursion 200 deep through a
// function of 1,000,000 inline entries, failing past them, took 200 ms
// for 600 fuel).
func TestBacktraceWork(t *testing.T) {
	const nest = 100_000
	f := FunctionSpec{Name: "f", File: "deep.rpl", NumParams: 1, NumLocals: 1, Code: MustAsm(I(OpLoadLocal, 0), I(OpFail))}
	for i := range nest {
		f.Inlined = append(f.Inlined, InlineEntry{Start: 0, End: uint32(len(f.Code)), Func: "in", Line: uint32(i + 2), Col: 1})
	}
	p, err := NewProgram(&ProgramSpec{Functions: []FunctionSpec{f}, Entries: map[string]int{"f": 0}, MinVersion: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := NewMachine()
	run := func() {
		_, _, err := m.Run(context.Background(), p, 0, []Value{Str("no")}, Limits{}, Input{})
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeAssertionFailed || len(e.Stack) != MaxBacktrace {
			t.Fatalf("%v, want assertion_failed with %d frames", err, MaxBacktrace)
		}
	}
	run()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	run()
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("a failure within %d nested inlined calls allocated %d bytes, want at most %d", nest, n, 1<<20)
	}
}
