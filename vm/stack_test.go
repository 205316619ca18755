package vm

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// deepFrames is a program whose entry calls itself with MaxLocals locals:
// its value stack grows by 32768 slots (768 KB) a call.
func deepFrames(t testing.TB) *Program {
	t.Helper()
	p, err := NewProgram(&ProgramSpec{
		Functions: []FunctionSpec{{Name: "f", NumLocals: MaxLocals, Code: MustAsm(I(OpCall, 0, 0), I(OpReturn))}},
		Entries:   map[string]int{"route": 0},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestStackWithinMemoryLimit: the value stack may not outgrow the memory
// limit. {NumLocals: 32768, CALL 0 0} with a 64 KB limit grew the stack to
// 24 MB (47 MB allocated) before stack_overflow; now the entry frame
// itself does not fit, on a new machine and on one whose stack is already
// large (the outcome does not depend on the machine's past).
func TestStackWithinMemoryLimit(t *testing.T) {
	p := deepFrames(t)
	warm := NewMachine()
	if _, _, err := warm.Run(context.Background(), p, 0, nil, Limits{Memory: 1 << 30, MaxDepth: 8}, Input{}); err == nil {
		t.Fatal("no error")
	}
	if len(warm.stack) < 8*MaxLocals {
		t.Fatalf("stack of %d slots", len(warm.stack))
	}
	var errs []string
	for _, m := range []*Machine{NewMachine(), warm} {
		var a, b runtime.MemStats
		runtime.ReadMemStats(&a)
		_, st, err := m.Run(context.Background(), p, 0, nil, Limits{Memory: 1 << 16}, Input{})
		runtime.ReadMemStats(&b)
		e := wantCode(t, err, CodeStackOverflow)
		if !strings.Contains(e.Msg, "memory limit of 65536") || st.Calls > 1 {
			t.Errorf("%d calls: %q", st.Calls, e.Msg)
		}
		errs = append(errs, fmt.Sprintf("%v (%d frames, %d calls)", err, len(e.Stack), st.Calls))
		if n := b.TotalAlloc - a.TotalAlloc; n > 1<<16 {
			t.Errorf("%d bytes allocated", n)
		}
	}
	// The same error on both, with the entry function's position: a new
	// machine failed in Run before any frame, a warm one in exec.
	if errs[0] != errs[1] {
		t.Errorf("new machine: %s; warm machine: %s", errs[0], errs[1])
	}
	// Within the limit, the calls that fit run: 4 frames of 768 KB in 4 MB.
	_, st, err := NewMachine().Run(context.Background(), p, 0, nil, Limits{Memory: 4 << 20}, Input{})
	e := wantCode(t, err, CodeStackOverflow)
	if st.Calls != 5 || !strings.Contains(e.Msg, "memory limit") {
		t.Errorf("%d calls: %v", st.Calls, e)
	}
}

// TestPutDropsLargeStack: a pooled machine does not keep the stack of a
// deep run (24 MB stayed in the pool).
func TestPutDropsLargeStack(t *testing.T) {
	p := deepFrames(t)
	m := NewMachine()
	m.Run(context.Background(), p, 0, nil, Limits{Memory: 1 << 30, MaxDepth: 8}, Input{})
	if len(m.stack) <= maxPooledStack {
		t.Fatalf("stack of %d slots", len(m.stack))
	}
	Put(m)
	if len(m.stack) > maxPooledStack || cap(m.frames) > maxPooledStack {
		t.Errorf("pooled machine keeps %d slots, %d frames", len(m.stack), cap(m.frames))
	}
}
