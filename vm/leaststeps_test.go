package vm

import "testing"

// TestLeastSteps: the floor is the shortest way to a RETURN or FAIL,
// a jump taken or not whatever its condition (a loop's body skipped).
func TestLeastSteps(t *testing.T) {
	var a Assembler
	a.Emit(OpLoadLocal, 0)
	a.Emit(OpJmpIfFalse, a.JumpTo("short"))
	for range 5 {
		a.Emit(OpNop)
	}
	a.Label("short")
	a.Emit(OpLoadLocal, 0)
	a.Emit(OpReturn)
	code, err := a.Code()
	if err != nil {
		t.Fatal(err)
	}
	prog, err := NewProgram(&ProgramSpec{
		Functions: []FunctionSpec{{Name: "route", NumParams: 1, NumLocals: 1, Code: code, MaxStack: 1}},
		Entries:   map[string]int{"route": 0},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := prog.LeastSteps("route"); got != 4 {
		t.Errorf("LeastSteps %d, want 4 (LOAD_LOCAL, JMP_IF_FALSE, LOAD_LOCAL, RETURN)", got)
	}
}
