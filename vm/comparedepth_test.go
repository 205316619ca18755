package vm

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
)

// nested returns a value levels lists, maps or records deep (a list of a
// list ... of 1), the innermost holding leaf.
func nested(kind Kind, levels int, leaf Value) Value {
	v := leaf
	for range levels {
		switch kind {
		case KindList:
			v = NewList([]Value{v})
		case KindRecord:
			v = NewRecord([]Value{Int(1), v})
		default:
			m, err := NewMap([]Value{Str("k")}, []Value{v})
			if err != nil {
				panic(err)
			}
			v = m
		}
	}
	return v
}

// The deep comparisons walk at most MaxCompareDepth levels: values
// nested deeper stop the run with stack_overflow instead of recursing on,
// which under limits large enough to build a value of millions of levels
// overflowed the goroutine's stack, a fatal error of the whole process.
// Values MaxCompareDepth levels deep compare as before.
func TestCompareDepth(t *testing.T) {
	ops := []struct {
		name string
		asm  func(a *Assembler)
	}{
		{"EQ", func(a *Assembler) { a.Emit(OpEq) }},
		{"NE", func(a *Assembler) { a.Emit(OpNe) }},
		{"BEFORE", func(a *Assembler) { a.Emit(OpBefore) }},
		{"AFTER", func(a *Assembler) { a.Emit(OpAfter) }},
		{"IN_LIST", func(a *Assembler) {
			a.Emit(OpMakeList, 1)
			a.Emit(OpInList)
		}},
	}
	for _, kind := range []Kind{KindList, KindMap, KindRecord} {
		for _, op := range ops {
			p := build(t, nil, nil, nil, nil, fn{name: "main", params: 2, asm: func(a *Assembler) {
				a.Emit(OpLoadLocal, 0)
				a.Emit(OpLoadLocal, 1)
				op.asm(a)
				a.Emit(OpReturn)
			}})
			for _, levels := range []int{MaxCompareDepth, MaxCompareDepth + 1} {
				// Equal but for the innermost value, so that the walk
				// goes all the way down.
				x, y := nested(kind, levels, Int(1)), nested(kind, levels, Int(2))
				lim := Limits{Fuel: 1 << 40}
				_, _, err := NewMachine().Run(context.Background(), p, 0, []Value{x, y}, lim, Input{})
				if levels <= MaxCompareDepth {
					if err != nil {
						t.Errorf("%s %s of %d levels: %v", op.name, kind, levels, err)
					}
					continue
				}
				if err == nil {
					t.Errorf("%s %s of %d levels: no error, want stack_overflow", op.name, kind, levels)
					continue
				}
				e := wantCode(t, err, CodeStackOverflow)
				if want := "stack overflow (values nested more than 10000 deep compared)"; e.Msg != want {
					t.Errorf("%s: %q, want %q", op.name, e.Msg, want)
				}
			}
		}
	}
}

// APPEND in place can put a list the run made into itself (code no
// compiler emits): a cycle, which costs no memory however deep the walk
// goes. Comparing it (EQ with itself, BEFORE with another cycle) recursed
// until the fuel ran out, 8 levels a unit: under a large fuel limit, past
// the goroutine's stack (a fatal error), and under the default limit,
// 8 million levels, near a gigabyte of stack. It stops at
// MaxCompareDepth.
func TestCompareCycle(t *testing.T) {
	// cycle leaves in local l the list [l].
	cycle := func(a *Assembler, l int) {
		a.Emit(OpConst, 0)
		a.Emit(OpListCap)
		a.Emit(OpStoreLocal, l)
		a.Emit(OpLoadLocal, l)
		a.Emit(OpAppendLocal, l)
	}
	for _, op := range []Opcode{OpEq, OpBefore} {
		p := build(t, []Value{Int(1)}, nil, nil, nil, fn{name: "main", locals: 2, asm: func(a *Assembler) {
			cycle(a, 0)
			cycle(a, 1)
			a.Emit(OpLoadLocal, 0)
			a.Emit(OpLoadLocal, 1)
			if op == OpEq {
				a.Emit(OpPop)
				a.Emit(OpLoadLocal, 0)
			}
			a.Emit(op)
			a.Emit(OpReturn)
		}})
		for _, lim := range []Limits{{}, {Fuel: 1 << 40}} {
			_, _, err := NewMachine().Run(context.Background(), p, 0, nil, lim, Input{})
			wantCode(t, err, CodeStackOverflow)
		}
	}
}

// spec/bytecode.md gives MaxCompareDepth.
func TestSpecCompareDepth(t *testing.T) {
	data, err := os.ReadFile("../spec/bytecode.md")
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("The walk goes at most %d levels deep (`vm.MaxCompareDepth`)", MaxCompareDepth)
	if !strings.Contains(strings.Join(strings.Fields(string(data)), " "), want) {
		t.Errorf("spec/bytecode.md does not say %q", want)
	}
}

// The depth a walk counts comes back up after each value it compares:
// values each MaxCompareDepth levels deep, one after the other in a list,
// a record or a map, or as the elements IN_LIST tries, compare as they
// would alone.
func TestCompareDepthRestored(t *testing.T) {
	deep := func(leaf int64) Value { return nested(KindList, MaxCompareDepth-1, Int(leaf)) }
	pair := func(kind Kind, x, y Value) Value {
		switch kind {
		case KindRecord:
			return NewRecord([]Value{x, y})
		case KindMap:
			m, err := NewMap([]Value{Str("a"), Str("b")}, []Value{x, y})
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		return NewList([]Value{x, y})
	}
	for _, c := range []struct {
		op   Opcode
		x, y Value
		want bool
	}{
		{OpInList, deep(1), NewList([]Value{deep(2), deep(3), deep(1)}), true},
		{OpEq, pair(KindList, deep(1), deep(2)), pair(KindList, deep(1), deep(2)), true},
		{OpEq, pair(KindRecord, deep(1), deep(2)), pair(KindRecord, deep(1), deep(2)), true},
		{OpEq, pair(KindMap, deep(1), deep(2)), pair(KindMap, deep(1), deep(2)), true},
		{OpBefore, pair(KindList, deep(1), deep(2)), pair(KindList, deep(1), deep(3)), true},
		{OpBefore, pair(KindRecord, deep(1), deep(3)), pair(KindRecord, deep(1), deep(2)), false},
		{OpBefore, pair(KindMap, deep(1), deep(2)), pair(KindMap, deep(1), deep(3)), true},
	} {
		p := build(t, nil, nil, nil, nil, fn{name: "main", params: 2, asm: func(a *Assembler) {
			a.Emit(OpLoadLocal, 0)
			a.Emit(OpLoadLocal, 1)
			a.Emit(c.op)
			a.Emit(OpReturn)
		}})
		v, _, err := NewMachine().Run(context.Background(), p, 0, []Value{c.x, c.y}, Limits{Fuel: 1 << 40}, Input{})
		if err != nil || v != Bool(c.want) {
			t.Errorf("%s: %v, %v; want %v", c.op, v, err, c.want)
		}
	}
}
