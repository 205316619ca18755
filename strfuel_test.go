package rpl_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/vm"
)

// TestStringComparisonFuel: comparing, ordering, finding and hashing
// strings costs fuel by the bytes compared (1 per 64), so that a run
// comparing long strings lasts as long as its fuel says. Each policy
// compares a and b, two distinct equal strings of size bytes (or a and c,
// of the same size, which differ in their last byte), n times (at least):
// the run must be charged at least n·size/64.
func TestStringComparisonFuel(t *testing.T) {
	const size, n = 4096, 200
	e := env(t)
	long := strings.Repeat("a", size-1)
	cases := []struct{ name, expr string }{
		{"eq", `a == b`},
		{"ne", `a != b`},
		{"eq-const", `a == "` + long + `b"`},
		{"lt", `a < b`},
		{"ge", `a >= b`},
		{"min_by", `min_by([a, b], s => s) == none`},
		{"in-list", `b in [a]`},
		{"index-small-map", `{"a": 1}[b] == none`},
		{"in-large-map", `b in {"0": 1, "1": 1, "2": 1, "3": 1, "4": 1, "5": 1, "6": 1, "7": 1, "8": 1}`},
		{"map-literal", `len({"` + long + `b": i}) == 1`},
		{"list-eq", `[a] == [b]`},
		{"list-ne", `[a] == [c]`}, // the same length, other bytes
		{"in-list-ne", `c in [a]`},
		{"map-eq", `{"k": a} == {"k": b}`},
		{"list-before", `min_by([[a], [b]], s => s) == none`},
		{"optional-before", `min_by([opt(a), opt(b)], s => s) == none`},
		{"sort", `len(sort([a, b])) == 2`},
		{"contains-list", `contains([a], b)`},
		{"tag", `to("x:y").tag("k", a).tag("k", b).target == "x:y"`},
		// A split's arms are literals: two long ones that differ last (a
		// weighted split's targets, at most 256 bytes, cannot be long).
		{"ab.arm", `ab.arm("e", r.model, {"` + long + `b": 1, "` + long + `c": 1}) != ""`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := `package p
import "std/ab"
fn opt(s: string) -> string? = if len(s) > 0 { s } else { none }
fn route(r: Request) -> Decision {
  let a = r.model + "b"
  let b = r.model + "b"
  let c = r.model + "c"
  let k = range(` + strconv.Itoa(n) + `).count(i => ` + c.expr + `)
  to("x:y").priority(k % 2)
}`
			p, err := e.CompileSource("p.rpl", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			req, err := p.RequestFromJSON([]byte(`{"model": "` + long + `"}`))
			if err != nil {
				t.Fatal(err)
			}
			lim := rpl.Limits{Fuel: 1 << 40, Memory: 1 << 30, MaxDepth: 100}
			res, err := p.DecideWithLimits(context.Background(), req, rpl.Input{}, lim)
			if err != nil {
				t.Fatal(err)
			}
			min := int64(n * size >> 6)
			if res.Stats.Fuel < min {
				t.Fatalf("%d comparisons of %d bytes took %d fuel, want at least %d", n, size, res.Stats.Fuel, min)
			}
			// With half that fuel, the run stops.
			lim.Fuel = min / 2
			_, err = p.DecideWithLimits(context.Background(), req, rpl.Input{}, lim)
			var ve *vm.Error
			if !errors.As(err, &ve) || ve.Code != vm.CodeFuelExhausted {
				t.Fatalf("with fuel %d: %v, want fuel_exhausted", lim.Fuel, err)
			}
		})
	}
}
