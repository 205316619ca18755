package vm

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// ordered runs main of p with fuel and returns the fuel it took.
func fuelOf(t *testing.T, p *Program, fuel int64) (int64, error) {
	t.Helper()
	_, st, err := NewMachine().RunNamed(context.Background(), p, "main", nil, Limits{Fuel: fuel}, Input{})
	return st.Fuel, err
}

// BEFORE of two maps takes their entries in ascending key order: sorting
// (or checking the order of) their keys is work on every key, which the
// run pays for as it pays for the element pairs it compares. It was free:
// two maps of 4096 keys in descending order, which differ at their least
// key, cost 4 fuel however often they were compared, and two maps of long
// keys sharing a prefix paid for none of the bytes their order check
// compared.
func TestMapOrderCharged(t *testing.T) {
	const n = 4096
	keys := make([]Value, n)
	a, b := make([]Value, n), make([]Value, n)
	for i := range n {
		keys[i] = Int(int64(n - 1 - i)) // descending: the maps must be sorted
		a[i], b[i] = Int(0), Int(0)
	}
	b[n-1] = Int(1) // key 0, the first compared
	ma, err := NewMap(keys, a)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := NewMap(append([]Value(nil), keys...), b)
	if err != nil {
		t.Fatal(err)
	}

	const m = 256
	prefix := strings.Repeat("k", 1024)
	skeys, sa, sb := make([]Value, m), make([]Value, m), make([]Value, m)
	for i := range m {
		skeys[i] = Str(fmt.Sprintf("%s%04d", prefix, i)) // ascending
		sa[i], sb[i] = Int(0), Int(0)
	}
	sb[0] = Int(1)
	msa, err := NewMap(skeys, sa)
	if err != nil {
		t.Fatal(err)
	}
	msb, err := NewMap(append([]Value(nil), skeys...), sb)
	if err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name string
		x, y Value
		min  int64 // what ordering one map's keys takes at least
	}{
		{"int keys to sort", ma, mb, n / elemsPerFuel},
		{"sorted long keys", msa, msb, (m - 1) * int64(len(prefix)>>strFuelShift)},
	} {
		for _, op := range []Opcode{OpBefore, OpAfter} {
			p := one(t, []Value{c.x, c.y}, func(a *Assembler) {
				a.Emit(OpConst, 0)
				a.Emit(OpConst, 1)
				a.Emit(op)
				a.Emit(OpReturn)
			})
			fuel, err := fuelOf(t, p, 1<<40)
			if err != nil {
				t.Fatal(err)
			}
			if fuel < c.min {
				t.Errorf("%s, %s: %d fuel, want at least %d", c.name, op, fuel, c.min)
			}
			// And a budget below it stops the comparison.
			if _, err := fuelOf(t, p, c.min/2); err == nil {
				t.Errorf("%s, %s: no error with %d fuel", c.name, op, c.min/2)
			} else {
				wantCode(t, err, CodeFuelExhausted)
			}
		}
	}
}
