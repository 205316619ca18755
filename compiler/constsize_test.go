package compiler_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl"
)

// decideReason compiles src and returns route's deny reason for an
// empty request.
func decideReason(t *testing.T, src string) (string, *rpl.Program) {
	t.Helper()
	env, err := rpl.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	prog, err := env.CompileSource("p.rpl", []byte(src))
	if err != nil {
		t.Fatalf("%.300v", err)
	}
	req, _ := prog.RequestFromJSON([]byte(`{"id": "r1"}`))
	res, err := prog.DecideWithLimits(context.Background(), req, rpl.DefaultInput(time.Unix(0, 0), "r1"), rpl.Limits{Fuel: 1 << 30, Memory: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	return res.Value.Record()[prog.DecisionType().FieldIndex("deny_reason")].Str(), prog
}

// TestManyZeroValues: a list of 300 {} of a record type of 21,845 values
// (allowed) compiles to a small program that shares the zero records: it
// took 23 MB of bytecode, and 2,000 of them 2.9 GB of memory and 12 s,
// each {} folded into a constant of its own.
func TestManyZeroValues(t *testing.T) {
	var src strings.Builder
	src.WriteString("package p\n\n")
	for i := range 7 {
		fmt.Fprintf(&src, "type T%d = {a: T%[2]d, b: T%[2]d, c: T%[2]d, d: T%[2]d}\n", i, i+1)
	}
	src.WriteString("type T7 = {n: int}\n\nfn route(r: Request) -> Decision {\n  let xs: list[T0] = [" + strings.Repeat("{}, ", 299) + "{}]\n  deny(string(len(xs)) + \"/\" + string(xs[299].d.d.d.d.d.d.d.n))\n}\n")
	got, prog := decideReason(t, src.String())
	if got != "300/0" {
		t.Errorf("deny reason %q", got)
	}
	data, err := prog.VM().MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 1<<20 {
		t.Errorf("%d bytes of bytecode", len(data))
	}
}

// TestDeepLiteral: a literal nested deeper than a constant may be (40
// lists) is built at run time; it was folded into a constant the verifier
// refused ("a compiler bug").
func TestDeepLiteral(t *testing.T) {
	lit, index := "1", ""
	for range 40 {
		lit, index = "["+lit+"]", index+"[0]"
	}
	got, _ := decideReason(t, "package p\n\nfn route(r: Request) -> Decision {\n  let x = "+lit+"\n  deny(string(x"+index+"))\n}\n")
	if got != "1" {
		t.Errorf("deny reason %q", got)
	}
}
