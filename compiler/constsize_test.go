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

// TestManyZeroValues: a list of 400 {} of a record type of 21,845 values
// (allowed; 8.7M values written out, past what a constant may hold)
// compiles to a small program that shares the zero records: 300 of them
// took 23 MB of bytecode, and 2,000 of them 2.9 GB of memory and 12 s,
// each {} folded into a constant of its own.
func TestManyZeroValues(t *testing.T) {
	var src strings.Builder
	src.WriteString("package p\n\n")
	for i := range 7 {
		fmt.Fprintf(&src, "type T%d = {a: T%[2]d, b: T%[2]d, c: T%[2]d, d: T%[2]d}\n", i, i+1)
	}
	src.WriteString("type T7 = {n: int}\n\nfn route(r: Request) -> Decision {\n  let xs: list[T0] = [" + strings.Repeat("{}, ", 399) + "{}]\n  deny(string(len(xs)) + \"/\" + string(xs[len(r.id) + 397].d.d.d.d.d.d.d.n))\n}\n")
	got, prog := decideReason(t, src.String())
	if got != "400/0" {
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

// TestDeepZeroValues: {} of a record type nesting records deeper than a
// constant may nest, named (40 levels) or written in place (33), is built
// at run time from its fields' zero values; its zero value was a
// constant the verifier refused ("a compiler bug").
func TestDeepZeroValues(t *testing.T) {
	var src strings.Builder
	src.WriteString("package p\n\n")
	for i := range 39 {
		fmt.Fprintf(&src, "type T%d = {a: T%d, s: list[string]}\n", i, i+1)
	}
	src.WriteString("type T39 = {n: int}\n\nfn route(r: Request) -> Decision {\n  let x: T0 = {}\n")
	inline := strings.Repeat("{a: ", 32) + "{n: int}" + strings.Repeat("}", 32)
	src.WriteString("  let y: " + inline + " = {}\n")
	src.WriteString("  deny(string(x" + strings.Repeat(".a", 39) + ".n) + \"/\" + string(y" + strings.Repeat(".a", 32) + ".n) + \"/\" + string(len(x.a.s)))\n}\n")
	if got, _ := decideReason(t, src.String()); got != "0/0/0" {
		t.Errorf("deny reason %q", got)
	}
}

// TestMatchDeepConstant: a match pattern naming a constant too deep to
// fold compares with the value built at run time; the pattern was
// compiled as none (the value constValue returns with ok false), so a
// subject equal to it did not match and none did.
func TestMatchDeepConstant(t *testing.T) {
	d := strings.Repeat("[", 33) + "1" + strings.Repeat("]", 33)
	typ := strings.Repeat("list[", 33) + "int" + strings.Repeat("]", 33)
	src := "package p\n\nconst D = " + d + "\n\nfn route(r: Request) -> Decision {\n  let x = D\n  let none_: " + typ + "? = none\n" +
		"  let a = match x { D => \"match\", _ => \"no match\" }\n  let b = match none_ { D => \"match\", _ => \"no match\" }\n  deny(a + \"/\" + b)\n}\n"
	if got, _ := decideReason(t, src); got != "match/no match" {
		t.Errorf("deny reason %q", got)
	}
}

// TestSharedConstantTable: a constant map of 40,000 entries, each the
// same constant list of 26 ints (1,080,001 values as the encoding writes
// them), is still folded: a bound on constants' size that counted it so
// made it a literal built at run time, which needed 80,001 values on the
// operand stack.
func TestSharedConstantTable(t *testing.T) {
	var src strings.Builder
	src.WriteString("package p\n\nconst L = [" + strings.Repeat("1, ", 25) + "1]\n\nconst M = {")
	for i := range 40_000 {
		if i > 0 {
			src.WriteString(", ")
		}
		fmt.Fprintf(&src, "\"k%d\": L", i)
	}
	src.WriteString("}\n\nfn route(r: Request) -> Decision = deny(string(len(M)) + \"/\" + string(len(M[\"k39999\"] ?? [])))\n")
	if got, _ := decideReason(t, src.String()); got != "40000/26" {
		t.Errorf("deny reason %q", got)
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
