package vm

import (
	"context"
	"errors"
	"testing"
	"unsafe"
)

// TestExpectFailChargesRecord: EXPECT_FAIL keeps a failure for each
// expectation it records, with the policy call stack where it failed (a
// Frame per active call), and the run goes on: what it keeps is memory
// the run allocates and must be charged. Only the message's bytes were:
// at call depth 200 (the default MaxDepth) a loop of EXPECT_FAIL kept
// some 10 KB a failure while paying 32 bytes, so a test block within the
// default limits could make the host hold gigabytes. The test records
// failures deep in a recursion and checks that the memory charged covers
// the frames and failures kept.
func TestExpectFailChargesRecord(t *testing.T) {
	const depth, fails = 40, 8
	p := build(t, []Value{Int(0), Int(1), Int(depth)}, nil, nil, nil,
		fn{name: "main", asm: func(a *Assembler) {
			a.Emit(OpConst, 2)
			a.Emit(OpCall, 1, 1)
			a.Emit(OpReturn)
		}},
		fn{name: "deep", params: 1, asm: func(a *Assembler) {
			a.Emit(OpLoadLocal, 0)
			a.Emit(OpJmpUnlessIntConst, 2, 0, a.JumpTo("leaf")) // n > 0
			a.Emit(OpLoadLocal, 0)
			a.Emit(OpConst, 1)
			a.Emit(OpSubInt)
			a.Emit(OpCall, 1, 1)
			a.Emit(OpReturn)
			a.Label("leaf")
			for range fails {
				a.Emit(OpNil)
				a.Emit(OpExpectFail, 0, 0)
			}
			a.Emit(OpTrue)
			a.Emit(OpReturn)
		}})
	_, st, err := NewMachine().RunNamed(context.Background(), p, "main", nil, Limits{}, Input{})
	e := wantCode(t, err, CodeAssertionFailed)
	if n := 1 + len(e.Also); n != fails {
		t.Fatalf("%d failures, want %d: %v", n, fails, err)
	}
	var kept int64
	for _, f := range append([]*Error{e}, e.Also...) {
		kept += int64(unsafe.Sizeof(*f)) + int64(len(f.Stack))*int64(unsafe.Sizeof(Frame{})) + int64(len(f.Msg))
	}
	if len(e.Stack) < depth {
		t.Fatalf("a failure at depth %d has a stack of %d frames", depth, len(e.Stack))
	}
	if st.Memory < kept {
		t.Errorf("%d failures of %d frames kept %d bytes, charged %d", fails, len(e.Stack), kept, st.Memory)
	}

	// Within a memory limit, recording failures ends with memory_exhausted.
	lim := Limits{Memory: kept / 2}
	_, _, err = NewMachine().RunNamed(context.Background(), p, "main", nil, lim, Input{})
	var last *Error
	if !errors.As(err, &last) {
		t.Fatalf("error %v", err)
	}
	if all := append([]*Error{last}, last.Also...); all[len(all)-1].Code != CodeMemoryExhausted {
		t.Errorf("failures kept past the memory limit %d: %v", lim.Memory, err)
	}
}
