package vm

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// fuelInstr is one instruction of a fuel test, and the fuel it costs.
type fuelInstr struct {
	op   Opcode
	args []int
	fuel int64
}

// lineFunc is a function of the instructions, each on its own line (the
// first on line 1), and the running total of their fuel.
func lineFunc(name string, params, locals int, code []fuelInstr) (FunctionSpec, []int64) {
	var a Assembler
	var lines []LineEntry
	var cum []int64
	var total int64
	for i, in := range code {
		lines = append(lines, LineEntry{PC: uint32(a.PC()), Line: uint32(i + 1), Col: 1})
		a.Emit(in.op, in.args...)
		total += in.fuel
		cum = append(cum, total)
	}
	c, err := a.Code()
	if err != nil {
		panic(err)
	}
	return FunctionSpec{Name: name, File: "fuel.rpl", NumParams: params, NumLocals: max(locals, params), Code: c, Lines: lines}, cum
}

// An instruction that costs more than 1 fuel (LIST_CAP and APPEND for
// the room they clear, CALL for its callee's locals, CONCAT, IN_STR,
// IN_LIST and MAKE_MAP for their operands) takes it before it goes on:
// under any limit below what a run needs, the run fails with
// fuel_exhausted at the first instruction that takes it past the limit,
// and reports no more fuel than the limit. Before, the overdraft was found
// at the next instruction, after the work (a list of the room made, a
// frame of the locals cleared).
func TestFuelExactAtInstruction(t *testing.T) {
	long := strings.Repeat("a", 32000)
	other := strings.Repeat("b", 32000)
	cases := []struct {
		name   string
		consts []Value
		args   []Value
		code   []fuelInstr
	}{
		{"LIST_CAP", []Value{Int(32000)}, nil, []fuelInstr{
			{OpConst, []int{0}, 1}, {OpListCap, nil, 1 + 1000}, {OpReturn, nil, 1}}},
		{"APPEND", []Value{Int(1)}, []Value{NewList(ints(16000))}, []fuelInstr{
			{OpLoadLocal, []int{0}, 1}, {OpConst, []int{0}, 1}, {OpAppend, nil, 1 + 1000}, {OpReturn, nil, 1}}},
		{"APPEND_LOCAL", []Value{Int(1)}, []Value{NewList(ints(16000))}, []fuelInstr{
			{OpConst, []int{0}, 1}, {OpAppendLocal, []int{0}, 1 + 1000}, {OpLoadLocal, []int{0}, 1}, {OpReturn, nil, 1}}},
		{"CONCAT", nil, []Value{Str(long)}, []fuelInstr{
			{OpLoadLocal, []int{0}, 1}, {OpLoadLocal, []int{0}, 1}, {OpConcat, nil, 1 + 1000}, {OpReturn, nil, 1}}},
		{"IN_STR", []Value{Str("x")}, []Value{Str(long + long)}, []fuelInstr{
			{OpConst, []int{0}, 1}, {OpLoadLocal, []int{0}, 1}, {OpInStr, nil, 1 + 4000}, {OpReturn, nil, 1}}},
		{"IN_LIST", []Value{Int(-1)}, []Value{NewList(ints(8000))}, []fuelInstr{
			{OpConst, []int{0}, 1}, {OpLoadLocal, []int{0}, 1}, {OpInList, nil, 1 + 1000}, {OpReturn, nil, 1}}},
		// Two keys of 500 fuel each, compared with each other (500).
		{"MAKE_MAP", []Value{Int(1)}, []Value{Str(long), Str(other)}, []fuelInstr{
			{OpLoadLocal, []int{0}, 1}, {OpConst, []int{0}, 1}, {OpLoadLocal, []int{1}, 1}, {OpConst, []int{0}, 1},
			{OpMakeMap, []int{2}, 1 + 2 + 1500}, {OpReturn, nil, 1}}},
	}
	for _, c := range cases {
		f, cum := lineFunc("main", len(c.args), 0, c.code)
		p, err := NewProgram(&ProgramSpec{Constants: c.consts, Functions: []FunctionSpec{f}, Entries: map[string]int{"main": 0}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		checkExact(t, c.name, p, c.args, cum, func(i int) []Frame {
			return []Frame{{Func: "main", File: "fuel.rpl", Line: i + 1, Col: 1}}
		})
	}

	// CALL of a function of 32768 locals: 1024 fuel more, which it takes
	// before it clears them and enters the callee.
	mainFn, cum := lineFunc("main", 0, 0, []fuelInstr{{OpCall, []int{1, 0}, 1 + 1024}, {OpReturn, nil, 1}})
	wide, wcum := lineFunc("wide", 0, MaxLocals, []fuelInstr{{OpNil, nil, 1}, {OpReturn, nil, 1}})
	// The callee's instructions run between main's CALL and RETURN.
	cum = []int64{cum[0], cum[0] + wcum[0], cum[0] + wcum[1], cum[1] + wcum[1]}
	p, err := NewProgram(&ProgramSpec{Functions: []FunctionSpec{mainFn, wide}, Entries: map[string]int{"main": 0}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkExact(t, "CALL", p, nil, cum, func(i int) []Frame {
		at := func(name string, line int) Frame { return Frame{Func: name, File: "fuel.rpl", Line: line, Col: 1} }
		switch i {
		case 0:
			return []Frame{at("main", 1)}
		case 3:
			return []Frame{at("main", 2)}
		}
		return []Frame{at("wide", i), at("main", 1)}
	})
}

// checkExact runs p under limits about each running total of cum (the
// fuel used up to and including each instruction, in the order they
// run): below the total, it must fail at the first instruction whose
// total exceeds the limit (stack(i) of the i-th), reporting the limit as
// the fuel used; with the total, it succeeds using exactly that.
func checkExact(t *testing.T, name string, p *Program, args []Value, cum []int64, stack func(i int) []Frame) {
	t.Helper()
	need := cum[len(cum)-1]
	var limits []int64
	for _, c := range cum {
		limits = append(limits, c-1, c, c+1)
	}
	for _, lim := range append(limits, 1, CheckEvery, CheckEvery+1) {
		if lim < 1 || lim > need {
			continue
		}
		_, st, err := NewMachine().Run(context.Background(), p, 0, args, Limits{Fuel: lim}, Input{})
		if lim == need {
			if err != nil || st.Fuel != need {
				t.Errorf("%s: limit %d: %v, fuel %d; want no error, fuel %d", name, lim, err, st.Fuel, need)
			}
			continue
		}
		i := 0
		for cum[i] <= lim {
			i++
		}
		if err == nil {
			t.Errorf("%s: limit %d: no error, want fuel_exhausted at instruction %d", name, lim, i)
			continue
		}
		e := wantCode(t, err, CodeFuelExhausted)
		if got, want := fmt.Sprint(e.Stack), fmt.Sprint(stack(i)); got != want {
			t.Errorf("%s: limit %d: failed at %s, want %s", name, lim, got, want)
		}
		if st.Fuel > lim {
			t.Errorf("%s: limit %d: fuel %d used, more than the limit", name, lim, st.Fuel)
		}
	}
}
