package vm

import (
	"context"
	"errors"
	"testing"
)

// LIST_CAP makes an empty, run-owned list that APPEND fills in place; a
// negative or non-int capacity is an internal error (the compiler only
// emits it after LEN), a huge one runs out of memory.
func TestListCap(t *testing.T) {
	p := one(t, []Value{Int(2), Int(7), Int(8)}, func(a *Assembler) {
		a.Emit(OpConst, 0)
		a.Emit(OpListCap)
		a.Emit(OpConst, 1)
		a.Emit(OpAppend)
		a.Emit(OpConst, 2)
		a.Emit(OpAppend)
		a.Emit(OpReturn)
	})
	v, err := run(t, p, "main")
	if err != nil {
		t.Fatal(err)
	}
	if got := v.String(); got != "[7, 8]" {
		t.Fatalf("got %s", got)
	}
	for _, c := range []struct {
		n    Value
		code Code
	}{
		{Int(-1), CodeInternal},
		{Str("x"), CodeInternal},
		{Int(1 << 30), CodeMemoryExhausted},
	} {
		p := one(t, []Value{c.n}, func(a *Assembler) {
			a.Emit(OpConst, 0)
			a.Emit(OpListCap)
			a.Emit(OpReturn)
		})
		_, _, err := NewMachine().RunNamed(context.Background(), p, "main", nil, Limits{Memory: 1 << 20}, Input{})
		var e *Error
		if !errors.As(err, &e) || e.Code != c.code {
			t.Errorf("LIST_CAP %s: got %v, want %s", c.n, err, c.code)
		}
	}
}
