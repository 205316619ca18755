package compiler_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
)

// TestIfWithoutElseValueNeverCompiled: an if without else has no value
// (language.md §6.12), so wherever its value is used the checker refuses
// the policy (RPL313, at the if, alone: no RPL325 for its branch's value)
// and the compiler never receives it. A list element, a record field, a
// map value, the argument of string or of any builtin with versions, a
// match subject, a return without a declared result type and the body of
// a lambda passed to map were accepted: the compiler emitted code that
// pushes nothing for the if, which the verifier refused as "a compiler
// bug" (stack underflow), so rplc check and eval failed with an internal
// error; operands were refused for the type void (RPL301, RPL300) beside
// RPL325, the arm of a match whose other arms have a value for the arms'
// types (RPL304), and a match of no arm with a value as "… produces no
// value".
func TestIfWithoutElseValueNeverCompiled(t *testing.T) {
	u, err := stdlib.Universe()
	if err != nil {
		t.Fatal(err)
	}
	const f = "fn f(x: bool) {\n  return if x { 1 }\n}\n"
	for _, tc := range []struct{ name, decl, use string }{
		{"list element", `let v = [if x { 3 }]`, `len(v)`},
		{"record field", `let v = {k: if x { 4 }}`, `len(string(v))`},
		{"map value", `let v = {"a": if x { 4 }}`, `len(v)`},
		{"string argument", `let v = string(if x { 5 })`, `len(v)`},
		{"argument of a builtin with versions", `let v = max(if x { 5 }, 2)`, `v`},
		{"operand", `let v = (if x { 1 }) + 1`, `v`},
		{"match subject", `let v = match (if x { 1 }) { _ => 2 }`, `v`},
		{"match arm", `let v = match x { true => 1, _ => if x { 2 } }`, `v`},
		{"match arms", `let v = match x { _ => if x { 2 } }`, `v`},
		{"lambda body", `let v = [1].map(y => if x { y })`, `len(v)`},
		{"return", `let v = f(x)`, `v`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := fmt.Sprintf(`package p

fn n(r: Request) -> int {
  let x = r.model == "a"
  %s
  %s
}

fn route(r: Request) -> Decision = to("a:" + string(n(r)))
`, tc.decl, tc.use)
			line := 5
			if tc.name == "return" {
				src += f
				line = 11
			}
			col := strings.Index(strings.Split(src, "\n")[line-1], "if x") + 1
			read := func(p string) ([]byte, error) {
				if p == "/p/p.rpl" {
					return []byte(src), nil
				}
				return nil, os.ErrNotExist
			}
			prog, diags := lang.Check(&lang.Config{Universe: u, ReadFile: read, Policy: true}, "/p/p.rpl")
			if !diags.HasErrors() {
				out, err := compiler.Compile(prog, compiler.Options{Builtins: builtinTable(t), NoTests: true})
				if err == nil {
					_, err = out.Program(builtinTable(t))
				}
				t.Fatalf("checked without error (compiled: %v), want RPL313 at %d:%d", err, line, col)
			}
			var got []string
			for _, d := range diags {
				p := d.Position()
				got = append(got, fmt.Sprintf("%d:%d %s %s", p.Line, p.Col, d.Code, d.Message))
			}
			want := fmt.Sprintf("%d:%d RPL313 if without else produces no value: used as a value, an if needs an else", line, col)
			if len(got) != 1 || got[0] != want {
				t.Errorf("diagnostics:\n%s\nwant only:\n%s", strings.Join(got, "\n"), want)
			}
		})
	}
}
