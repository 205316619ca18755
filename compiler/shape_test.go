package compiler_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/vm"
)

// TestStringShapeDeep: string() of a value whose type nests records
// deeper than a constant may nest builds and runs: the shape passed
// names the fields of the outer levels, and the levels below are written
// by position. (Its shape was as deep as the type, and the verifier
// refused the program: "constant 1: nested deeper than 32".)
func TestStringShapeDeep(t *testing.T) {
	const levels = 17
	var src strings.Builder
	src.WriteString("package deep\n\n")
	for i := range levels - 1 {
		fmt.Fprintf(&src, "type R%d = {r: R%d}\n", i, i+1)
	}
	fmt.Fprintf(&src, "type R%d = {n: int}\n", levels-1)
	src.WriteString("type L = {a: list[R0]}\n\n")
	src.WriteString("fn route(r: Request) -> Decision {\n  let x: R0 = {}\n  let l: L = {a: [x]}\n  deny(string(x) + \" \" + string(l))\n}\n")
	got, _ := decideReason(t, src.String())
	// 12 levels named (2 levels of the shape's nesting each), 5 by position.
	x := strings.Repeat("{r: ", 12) + strings.Repeat("{", 4) + "{0}" + strings.Repeat("}", 16)
	// Under L and its list (3 levels), 10 named, 7 by position.
	l := "{a: [" + strings.Repeat("{r: ", 10) + strings.Repeat("{", 6) + "{0}" + strings.Repeat("}", 16) + "]}"
	if want := x + " " + l; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestStringShapeVersion: a program that passes string a shape is
// bytecode format version 4, which routers of version 3 refuse by its
// version (they refused it by string's arity, a verifier error); one that
// does not keeps the oldest version that holds it.
func TestStringShapeVersion(t *testing.T) {
	env, err := rpl.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		arg  string
		want int
	}{{"{n: 1}", 4}, {"[timeout]", 4}, {"timeout", 1}, {"[1]", 1}} {
		src := "package v\n\nfn route(r: Request) -> Decision {\n  let x = " + c.arg + "\n  deny(string(x) + r.id)\n}\n"
		prog, err := env.CompileSource("v.rpl", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		data, err := prog.VM().MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := vm.ProgramVersion(data); v != c.want {
			t.Errorf("string(%s): format version %d, want %d", c.arg, v, c.want)
		}
	}
}

// TestStringShapeWide: a type whose records' fields are records, 6 to a
// level, 6 levels deep (9,331 values, allowed), gets a shape of at most
// shapeSize names and nodes: the first fields are named, the rest written
// by position. Written out in full, such shapes grow exponentially with
// the levels (a type of 12 levels made the compiler and the router run
// out of memory; that type is now RPL321).
func TestStringShapeWide(t *testing.T) {
	var src strings.Builder
	src.WriteString("package wide\n\n")
	for i := range 5 {
		fmt.Fprintf(&src, "type T%d = {a: T%[2]d, b: T%[2]d, c: T%[2]d, d: T%[2]d, e: T%[2]d, f: T%[2]d}\n", i, i+1)
	}
	src.WriteString("type T5 = {n: int}\n\nfn route(r: Request) -> Decision {\n  let x: T0 = {}\n  deny(string(x))\n}\n")
	got, prog := decideReason(t, src.String())
	if n := len(prog.VM().Spec().Constants); n > 10 {
		t.Errorf("%d constants", n)
	}
	if !strings.HasPrefix(got, "{a: {a: {a: {a: {a: {n: 0}, b: {n: 0}") || !strings.HasSuffix(got, "{0}, {0}, {0}, {0}, {0}, {0}}}}}}") {
		t.Errorf("got %.80s … %s", got, got[max(len(got)-80, 0):])
	}
}
