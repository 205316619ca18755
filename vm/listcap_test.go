package vm

import (
	"context"
	"errors"
	"math"
	"testing"
)

// LIST_CAP makes an empty, run-owned list that APPEND fills in place; a
// negative capacity (range(n) with n < 0) makes an empty one, a non-int
// is an internal error, a huge one runs out of memory, even under a
// memory limit too large to ever trip.
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
		mem  int64
		code Code // "": no error, an empty list
	}{
		{Int(-1), 1 << 20, ""},
		{Str("x"), 1 << 20, CodeInternal},
		{Int(1 << 30), 1 << 20, CodeMemoryExhausted},
		{Int(1 << 40), math.MaxInt64, CodeMemoryExhausted},
	} {
		p := one(t, []Value{c.n}, func(a *Assembler) {
			a.Emit(OpConst, 0)
			a.Emit(OpListCap)
			a.Emit(OpReturn)
		})
		v, _, err := NewMachine().RunNamed(context.Background(), p, "main", nil, Limits{Memory: c.mem}, Input{})
		if c.code == "" {
			if err != nil || v.String() != "[]" {
				t.Errorf("LIST_CAP %s: got %s, %v; want []", c.n, v, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Code != c.code {
			t.Errorf("LIST_CAP %s: got %v, want %s", c.n, err, c.code)
		}
	}
}
