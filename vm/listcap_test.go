package vm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"os"
	"strings"
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
		// Under limits that never trip, an allocation beyond MaxAlloc is
		// refused before it is made; so is one whose size overflows.
		{Int(MaxAlloc/valueSize + 1), math.MaxInt64, CodeMemoryExhausted},
		{Int(math.MaxInt64), math.MaxInt64, CodeMemoryExhausted},
	} {
		p := one(t, []Value{c.n}, func(a *Assembler) {
			a.Emit(OpConst, 0)
			a.Emit(OpListCap)
			a.Emit(OpReturn)
		})
		v, _, err := NewMachine().RunNamed(context.Background(), p, "main", nil, Limits{Memory: c.mem, Fuel: math.MaxInt64}, Input{})
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

// A machine reuses the lists of LIST_CAP (recycle.go), which may have more
// capacity than a later LIST_CAP asks for: appends past the capacity a run
// asked (and paid) for are charged as a new list's growth, and the run
// takes the same memory on a warm machine as on a fresh one, and fails
// the same way under a limit. Before, a warm machine's list took them for
// nothing.
func TestListCapReusedRoom(t *testing.T) {
	const appends = 100
	// main(c): a list of room c, appends 1s, returns its length (so that
	// the list is reused by the next run).
	p := build(t, []Value{Int(1)}, nil, nil, nil, fn{name: "main", params: 1, asm: func(a *Assembler) {
		a.Emit(OpLoadLocal, 0)
		a.Emit(OpListCap)
		for range appends {
			a.Emit(OpConst, 0)
			a.Emit(OpAppend)
		}
		a.Emit(OpLen)
		a.Emit(OpReturn)
	}})
	ctx := context.Background()
	runOn := func(m *Machine, c int64, lim Limits) (Stats, error) {
		v, st, err := m.Run(ctx, p, 0, []Value{Int(c)}, lim, Input{})
		if err == nil && v.Int() != appends {
			t.Fatalf("got %s, want %d", v, appends)
		}
		return st, err
	}
	fresh, err := runOn(NewMachine(), 0, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	warm := NewMachine()
	if _, err := runOn(warm, appends, Limits{}); err != nil {
		t.Fatal(err)
	}
	if len(warm.spare) != 1 || cap(warm.spare[0].elems) < appends {
		t.Fatalf("the machine kept no list of %d elements", appends)
	}
	got, err := runOn(warm, 0, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Memory != fresh.Memory || got.Memory < appends*valueSize {
		t.Errorf("a warm machine charged %d bytes, a fresh one %d; want the same, at least %d", got.Memory, fresh.Memory, appends*valueSize)
	}
	// Under a limit that the appends exceed: both fail.
	if _, err := runOn(warm, appends, Limits{}); err != nil {
		t.Fatal(err)
	}
	lim := Limits{Memory: fresh.Memory - 1}
	_, err = runOn(NewMachine(), 0, lim)
	wantCode(t, err, CodeMemoryExhausted)
	_, err = runOn(warm, 0, lim)
	wantCode(t, err, CodeMemoryExhausted)
}

// LIST_CAP n clears room for n elements: it costs 1 fuel more per 32 of
// them (ListCapFuel, as CALL's locals), and an APPEND that grows a list
// costs the same for the room it makes. Before, both cost 1 fuel, however
// large: LIST_CAP 1<<20 cleared 24 MiB for 1 fuel.
func TestListCapFuel(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want int64 // CONST, LIST_CAP, RETURN and the room
	}{
		{-5, 3},
		{0, 3},
		{31, 3},
		{32, 4},
		{4096, 3 + 128},
		{1 << 20, 3 + 1<<15},
	} {
		p := one(t, []Value{Int(c.n)}, func(a *Assembler) {
			a.Emit(OpConst, 0)
			a.Emit(OpListCap)
			a.Emit(OpReturn)
		})
		_, st, err := NewMachine().RunNamed(context.Background(), p, "main", nil, Limits{Memory: 1 << 30}, Input{})
		if err != nil {
			t.Fatal(err)
		}
		if st.Fuel != c.want {
			t.Errorf("LIST_CAP %d: %d fuel, want %d", c.n, st.Fuel, c.want)
		}
	}
	// APPEND of a 1000-element constant list copies it into room for 2000:
	// 1 + 2000/32. Within the room of LIST_CAP, APPEND costs 1.
	big := NewList(ints(1000))
	p := one(t, []Value{big, Int(1)}, func(a *Assembler) {
		a.Emit(OpConst, 0)
		a.Emit(OpConst, 1)
		a.Emit(OpAppend)
		a.Emit(OpReturn)
	})
	if fuel, err := fuelOf(t, p, 1<<20); err != nil || fuel != 4+2000/32 {
		t.Errorf("APPEND to a list of 1000: %d fuel, %v; want %d", fuel, err, 4+2000/32)
	}
	p = one(t, []Value{Int(64), Int(1)}, func(a *Assembler) {
		a.Emit(OpConst, 0)
		a.Emit(OpListCap)
		a.Emit(OpConst, 1)
		a.Emit(OpAppend)
		a.Emit(OpReturn)
	})
	if fuel, err := fuelOf(t, p, 1<<20); err != nil || fuel != 5+64/32 {
		t.Errorf("APPEND within LIST_CAP 64: %d fuel, %v; want %d", fuel, err, 5+64/32)
	}
}

// spec/bytecode.md gives MaxAlloc and the longest list LIST_CAP makes.
func TestSpecMaxAlloc(t *testing.T) {
	data, err := os.ReadFile("../spec/bytecode.md")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(data)), " ")
	for _, want := range []string{
		fmt.Sprintf("no single allocation of a run may take more than %d GiB (vm.MaxAlloc, 2^%d bytes)", MaxAlloc>>30, bits.Len(MaxAlloc)-1),
		fmt.Sprintf("a `LIST_CAP` of more than %d elements", (MaxAlloc-listHeader)/valueSize),
	} {
		if !strings.Contains(text, want) {
			t.Errorf("spec/bytecode.md does not say %q", want)
		}
	}
}
