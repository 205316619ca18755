package vm

import (
	"math/rand/v2"
	"testing"
)

// caller is a function of no parameters that calls each of callees, then
// builds a record of each of sizes (fields none), and returns none.
func caller(name string, callees []int, sizes ...int) fn {
	return fn{name: name, asm: func(a *Assembler) {
		for _, c := range callees {
			a.Emit(OpCall, c, 0)
			a.Emit(OpPop)
		}
		for _, n := range sizes {
			for range n {
				a.Emit(OpNil)
			}
			a.Emit(OpMakeRecord, n)
			a.Emit(OpPop)
		}
		a.Emit(OpNil)
		a.Emit(OpReturn)
	}}
}

// reachProgram builds fns, each an entry of its name, and checks that the
// program loaded from its encoding says the same of every entry.
func reachProgram(t *testing.T, fns ...fn) *Program {
	t.Helper()
	p := build(t, nil, nil, nil, nil, fns...)
	data, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	q, err := Load(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range p.Entries() {
		for n := range 80 {
			if p.MakesRecordsFrom(e, n) != q.MakesRecordsFrom(e, n) {
				t.Errorf("entry %s, %d fields: %v made, %v loaded", e, n, p.MakesRecordsFrom(e, n), q.MakesRecordsFrom(e, n))
			}
		}
	}
	return p
}

// TestMakesRecordsFrom: what an entry can build is what the functions it
// may call build, not what the program's other entries (a policy's test
// blocks) and the functions only they call do.
func TestMakesRecordsFrom(t *testing.T) {
	const dec = 13 // a Decision's size, say
	// 0 route, 1 shared (called by route and the test), 2 expected
	// (called by the test only), 3 test:literal, 4 test:direct.
	p := reachProgram(t,
		caller("route", []int{1}),
		caller("shared", nil, 2),
		caller("expected", nil, dec),
		caller("test:literal", []int{1, 2}),
		caller("test:direct", nil, dec, 70),
	)
	for _, c := range []struct {
		entry string
		n     int
		want  bool
	}{
		{"route", dec, false},
		{"route", 2, true}, // through shared
		{"route", 70, false},
		{"shared", 2, true},
		{"expected", dec, true},
		{"test:literal", dec, true}, // through expected
		{"test:literal", 2, true},
		{"test:direct", dec, true},
		{"test:direct", 70, true},
		{"test:direct", 2, false},
		{"nosuch", 2, false},
	} {
		if got := p.MakesRecordsFrom(c.entry, c.n); got != c.want {
			t.Errorf("MakesRecordsFrom(%q, %d) = %v, want %v", c.entry, c.n, got, c.want)
		}
	}
	// The whole program's: any function.
	for _, n := range []int{2, dec, 70} {
		if !p.MakesRecords(n) {
			t.Errorf("MakesRecords(%d) = false", n)
		}
	}
	if p.MakesRecords(3) || p.MakesRecords(71) {
		t.Error("MakesRecords of a size nothing builds")
	}

	// Through a chain of calls, and through recursion: route → a → b ⇄ c,
	// c building the record, b and c calling each other and a calling
	// itself; d, which calls route, builds another size, which route
	// does not reach.
	p = reachProgram(t,
		caller("route", []int{1}),
		caller("a", []int{1, 2}),
		caller("b", []int{3}),
		caller("c", []int{2}, dec),
		caller("d", []int{0}, 5),
	)
	for _, e := range []string{"route", "a", "b", "c", "d"} {
		if !p.MakesRecordsFrom(e, dec) {
			t.Errorf("%s reaches MAKE_RECORD %d through calls: false", e, dec)
		}
		if got := p.MakesRecordsFrom(e, 5); got != (e == "d") {
			t.Errorf("MakesRecordsFrom(%q, 5) = %v", e, got)
		}
	}
}

// TestFunctionOperands: CALL is the only instruction that names a
// function, the one edge of the call graph the interpreter follows. The
// verifier collects the operands of kind ArgFunc of every instruction
// (funcCode.calls), whatever its opcode; an instruction that names a
// function in another way (a closure made of a function index, a fused
// call) would need its own edge and a case in TestMakesRecordsFrom.
func TestFunctionOperands(t *testing.T) {
	for _, op := range Opcodes() {
		for _, k := range op.Info().Operands {
			if k == ArgFunc && op != OpCall {
				t.Errorf("%s names a function: MakesRecordsFrom must be shown to follow it", op)
			}
		}
	}
	p := reachProgram(t, caller("route", []int{1, 1, 2}), caller("f", nil), caller("g", []int{1}))
	if got := p.funcs[0].calls; len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Errorf("route calls %v, want [1 2]", got)
	}
}

// TestMakesRecordsFromRandom compares MakesRecordsFrom with a walk of
// the call graph from each entry, on random graphs with cycles.
func TestMakesRecordsFromRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		n := 1 + r.IntN(12)
		calls := make([][]int, n)
		sizes := make([][]int, n)
		var fns []fn
		for i := range n {
			for range r.IntN(4) {
				calls[i] = append(calls[i], r.IntN(n))
			}
			if r.IntN(3) == 0 {
				sizes[i] = append(sizes[i], []int{1, 2, 63, 64, 65}[r.IntN(5)])
			}
			fns = append(fns, caller(string(rune('a'+i)), calls[i], sizes[i]...))
		}
		p := reachProgram(t, fns...)
		for i := range n {
			seen := make([]bool, n)
			makes := map[int]bool{}
			work := []int{i}
			seen[i] = true
			for len(work) > 0 {
				f := work[len(work)-1]
				work = work[:len(work)-1]
				for _, s := range sizes[f] {
					makes[s] = true
				}
				for _, c := range calls[f] {
					if !seen[c] {
						seen[c] = true
						work = append(work, c)
					}
				}
			}
			for _, s := range []int{0, 1, 2, 3, 63, 64, 65, 66} {
				if got := p.MakesRecordsFrom(fns[i].name, s); got != makes[s] {
					t.Fatalf("graph %v sizes %v: MakesRecordsFrom(%q, %d) = %v, want %v", calls, sizes, fns[i].name, s, got, makes[s])
				}
			}
		}
	}
}
