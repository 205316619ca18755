package vm

import (
	"strings"
	"testing"
)

// The condition superinstructions give the same answers as the sequences
// they replace.
func TestFusedConditions(t *testing.T) {
	inner := NewRecord([]Value{Int(9000), Str("gold")})
	rec := NewRecord([]Value{Str("x"), inner})
	// LOCAL_FIELD2 0 1 1 reads rec.slots[1].slots[1].
	p := build(t, nil, nil, nil, nil, fn{name: "main", params: 1, asm: func(a *Assembler) {
		a.Emit(OpLocalField2, 0, 1, 1)
		a.Emit(OpReturn)
	}})
	if v, err := run(t, p, "main", rec); err != nil || v.Str() != "gold" {
		t.Fatalf("LOCAL_FIELD2: %v %v", v, err)
	}
	if _, err := run(t, p, "main", NewRecord([]Value{Str("x"), Int(1)})); err == nil {
		t.Fatal("LOCAL_FIELD2 on a non-record: no error")
	}
	cases := []struct {
		op   Opcode
		cmp  int
		x, k Value
		jump bool
	}{
		{OpJmpIfNeConst, 0, Str("gold"), Str("gold"), false},
		{OpJmpIfNeConst, 0, Str("gold"), Str("silver"), true},
		{OpJmpIfEqConst, 0, Str("gold"), Str("gold"), true},
		{OpJmpIfEqConst, 0, Int(1), Int(2), false},
		{OpJmpUnlessIntConst, 0, Int(1), Int(2), false}, // 1 < 2 holds
		{OpJmpUnlessIntConst, 1, Int(2), Int(2), false},
		{OpJmpUnlessIntConst, 2, Int(2), Int(2), true}, // 2 > 2 fails
		{OpJmpUnlessIntConst, 3, Money(5), Money(4), false},
		{OpJmpUnlessIntConst, 2, Int(-9000), Int(8000), true},
	}
	for _, c := range cases {
		p := one(t, []Value{c.x, c.k}, func(a *Assembler) {
			a.Emit(OpConst, 0)
			if c.op == OpJmpUnlessIntConst {
				a.Emit(c.op, c.cmp, 1, a.JumpTo("jumped"))
			} else {
				a.Emit(c.op, 1, a.JumpTo("jumped"))
			}
			a.Emit(OpFalse)
			a.Emit(OpReturn)
			a.Label("jumped")
			a.Emit(OpTrue)
			a.Emit(OpReturn)
		})
		v, err := run(t, p, "main")
		if err != nil || v.Bool() != c.jump {
			t.Errorf("%s %d %s %s: jumped=%v err=%v, want jumped=%v", c.op, c.cmp, c.x, c.k, v.Bool(), err, c.jump)
		}
	}
	// An unknown comparison is refused at load, with its function and pc.
	_, err := NewProgram(buildSpec(t, []Value{Int(1)}, nil, nil, fn{name: "main", asm: func(a *Assembler) {
		a.Emit(OpConst, 0)
		a.Emit(OpJmpUnlessIntConst, 9, 0, a.JumpTo("end"))
		a.Label("end")
		a.Emit(OpTrue)
		a.Emit(OpReturn)
	}}), nil)
	if err == nil || !strings.Contains(err.Error(), "comparison 9") || !strings.Contains(err.Error(), "main") {
		t.Errorf("unknown comparison: %v", err)
	}
}
