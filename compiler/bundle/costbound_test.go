package bundle

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/vm"
)

// TestCostBoundFloor: Read refuses a bounded policy whose cost_bound is
// below the fewest instructions of a way through its route's code
// (leastFuel), which no run takes less of; it took any bound at all. At
// that floor, or above it, the bound is taken as the manifest says.
func TestCostBoundFloor(t *testing.T) {
	data := buildExamples(t, nil)
	b, err := Read(data, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range b.Policies {
		if least := leastFuel(p.VM); p.Bounded && (least < 2 || least > p.CostBound) {
			t.Errorf("policy %s: floor %d, bound %d: want from 2 (a value, RETURN) to the bound", p.ID, least, p.CostBound)
		}
	}
	p := b.Policies[0]
	if !p.Bounded {
		t.Fatalf("policy %s unbounded", p.ID)
	}
	least := leastFuel(p.VM)
	mOff, mLen := section(t, data, secManifest)
	js := string(data[mOff+32 : mOff+mLen])
	first := regexp.MustCompile(`"cost_bound": \d+`)
	loc := first.FindStringIndex(js)
	if loc == nil {
		t.Fatal("manifest has no cost_bound")
	}
	bound := func(n int64) []byte {
		return reframe(t, data, []byte(js[:loc[0]]+fmt.Sprintf(`"cost_bound": %d`, n)+js[loc[1]:]))
	}
	for _, n := range []int64{0, 1, least - 1} {
		_, err := Read(bound(n), ReadOptions{})
		want := fmt.Sprintf("bundle manifest: policies[0].cost_bound: %d, below the %d instructions of the shortest way through route's code (policy %q)", n, least, p.ID)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("cost_bound %d: %v, want %q", n, err, want)
		}
	}
	for _, n := range []int64{least, p.CostBound + 1} {
		if b, err := Read(bound(n), ReadOptions{}); err != nil || b.Policies[0].CostBound != n {
			t.Errorf("cost_bound %d: %v", n, err)
		}
	}
}

// TestLeastFuel: the floor is the shortest way to a RETURN or FAIL,
// a jump taken or not whatever its condition (a loop's body skipped).
func TestLeastFuel(t *testing.T) {
	var a vm.Assembler
	a.Emit(vm.OpLoadLocal, 0)
	a.Emit(vm.OpJmpIfFalse, a.JumpTo("short"))
	for range 5 {
		a.Emit(vm.OpNop)
	}
	a.Label("short")
	a.Emit(vm.OpLoadLocal, 0)
	a.Emit(vm.OpReturn)
	code, err := a.Code()
	if err != nil {
		t.Fatal(err)
	}
	prog, err := vm.NewProgram(&vm.ProgramSpec{
		Functions: []vm.FunctionSpec{{Name: "route", NumParams: 1, NumLocals: 1, Code: code, MaxStack: 1}},
		Entries:   map[string]int{"route": 0},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := leastFuel(prog); got != 4 {
		t.Errorf("leastFuel %d, want 4 (LOAD_LOCAL, JMP_IF_FALSE, LOAD_LOCAL, RETURN)", got)
	}
}
