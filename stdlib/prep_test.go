package stdlib

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/rpl-lang/rpl/vm"
)

// TestDrawConstSplit: a draw from a constant split (whose order, checks
// and hash are worked out when the program is built, drawPrep) gives the
// same target, error, fuel and memory for every seed as a draw from the
// same split made at run time (an argument), for weighted and ab.arm.
func TestDrawConstSplit(t *testing.T) {
	splits := map[string]vm.Value{
		"bad target":  kv(t, str("openai:a"), vm.Int(1), str("no target"), vm.Int(1), str("b c"), vm.Int(2)),
		"zero sum":    kv(t, str("openai:b"), vm.Int(0), str("openai:a"), vm.Int(0)),
		"negative":    kv(t, str("openai:b"), vm.Int(3), str("openai:a"), vm.Int(-1)),
		"ascending":   kv(t, str("openai:a"), vm.Int(1), str("openai:b"), vm.Int(2)),
		"long sorted": kv(t, str("a:0"), vm.Int(1), str("a:1"), vm.Int(1), str("a:2"), vm.Int(1), str("a:3"), vm.Int(1), str("a:4"), vm.Int(1), str("a:5"), vm.Int(1), str("a:6"), vm.Int(1), str("a:7"), vm.Int(1), str("a:8"), vm.Int(9)),
	}
	for _, n := range []int{1, 3, 16, 17, 20, 200} {
		splits[strconv.Itoa(n)] = splitOf(t, n)
	}
	ctx := context.Background()
	for name, split := range splits {
		for _, c := range []struct {
			key  string
			args []vm.Value
		}{
			{keyWeighted, []vm.Value{split}},
			{keyArm, []vm.Value{str("exp"), str("user-1"), split}},
		} {
			cp := constProgram(t, c.key, c.args...)
			if _, ok := cp.Constants()[len(c.args)-1].Map().Prepared().(*drawPrep); !ok {
				t.Fatalf("%s: the constant split is not prepared", name)
			}
			rp := program(t, c.key, len(c.args))
			m := vm.NewMachine()
			for seed := range uint64(300) {
				in := vm.Input{Seed: seed * 0x9E3779B97F4A7C15}
				args := c.args
				if c.key == keyArm {
					args = []vm.Value{str("exp"), str("user-" + strconv.FormatUint(seed, 10)), split}
					cp = constProgram(t, c.key, args...)
				}
				cv, cst, cerr := m.Run(ctx, cp, 0, nil, vm.Limits{}, in)
				rv, rst, rerr := m.Run(ctx, rp, 0, args, vm.Limits{}, in)
				if fmt.Sprint(cerr) != fmt.Sprint(rerr) || cerr == nil && cv.Literal() != rv.Literal() || cst != rst {
					t.Fatalf("%s %s seed %d: constant %v, %+v, %v; made at run time %v, %+v, %v", c.key, name, seed, cv, cst, cerr, rv, rst, rerr)
				}
			}
		}
	}
}

// TestWeightedConstNoAlloc: weighted of a constant split of more than 16
// targets allocates nothing (it ordered them on the heap on every draw).
func TestWeightedConstNoAlloc(t *testing.T) {
	for _, n := range []int{20, 200} {
		run := arenaRun(t, constProgram(t, keyWeighted, splitOf(t, n)))
		if allocs := testing.AllocsPerRun(20, func() { run(0) }); allocs != 0 {
			t.Errorf("weighted of a constant split of %d allocates %v times a draw", n, allocs)
		}
	}
}

// TestWeightedConstConcurrent: runs draw from one program's constant
// split at once (as a router's decisions do), reading what was prepared
// when the program was built; under the race detector, nothing is
// written.
func TestWeightedConstConcurrent(t *testing.T) {
	p := constProgram(t, keyWeighted, splitOf(t, 20))
	want, _, err := vm.NewMachine().Run(context.Background(), p, 0, nil, vm.Limits{}, vm.Input{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan string, 4)
	for range 4 {
		go func() {
			m := vm.NewMachine()
			for range 50 {
				v, _, err := m.Run(context.Background(), p, 0, nil, vm.Limits{}, vm.Input{Seed: 7})
				if err != nil || v.Literal() != want.Literal() {
					errs <- fmt.Sprintf("%v, %v; want %v", v, err, want)
					return
				}
			}
			errs <- ""
		}()
	}
	for range 4 {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
}
