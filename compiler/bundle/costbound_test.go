package bundle

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/compiler"
)

// TestCostBoundFloor: Read refuses a bounded policy whose cost_bound is
// below the fewest instructions of a way through its route's code
// (vm.Program.LeastSteps), which no run takes less of; it took any bound at all. At
// that floor, or above it, the bound is taken as the manifest says.
func TestCostBoundFloor(t *testing.T) {
	data := buildExamples(t, nil)
	b, err := Read(data, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range b.Policies {
		if least := p.VM.LeastSteps(compiler.EntryRoute); p.Bounded && (least < 2 || least > p.CostBound) {
			t.Errorf("policy %s: floor %d, bound %d: want from 2 (a value, RETURN) to the bound", p.ID, least, p.CostBound)
		}
	}
	p := b.Policies[0]
	if !p.Bounded {
		t.Fatalf("policy %s unbounded", p.ID)
	}
	least := p.VM.LeastSteps(compiler.EntryRoute)
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
