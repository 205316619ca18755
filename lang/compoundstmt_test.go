package lang

import (
	"strings"
	"testing"
)

// TestMinusAfterCompoundStatement: a "-" right after the if, match or
// block that starts a statement starts the next statement (§6.7), as a (
// or [ does; the formatter prints the two statements so that they parse
// back as two. Elsewhere a "-" after a compound is still a subtraction.
func TestMinusAfterCompoundStatement(t *testing.T) {
	src := `package sign
fn sign(n: int) -> int {
  if n >= 0 { return 1 }
  -1
}
fn f(c: bool, n: int) -> int {
  match n { 0 => { return 1 }, _ => {} }
  -n
}
fn g(n: int) -> int {
  { let _ = 1 }
  -n
}
fn h(c: bool) -> int {
  if c { 1 } else { 2 } * 3 - 1
}
fn k(c: bool) -> int {
  let y = if c { 1 } else { 2 }
  -1
  y
}
fn m(c: bool) -> int {
  (if c { 1 } else { 2 }) - 1
}
`
	file, diags := Parse("sign.rpl", []byte(src))
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	body := func(name string) []Stmt {
		for _, d := range file.Decls {
			if fn, ok := d.(*FuncDecl); ok && fn.Name.Name == name {
				return fn.Body.(*BlockExpr).Stmts
			}
		}
		t.Fatalf("no fn %s", name)
		return nil
	}
	for _, name := range []string{"sign", "f", "g"} {
		stmts := body(name)
		if len(stmts) != 2 {
			t.Fatalf("%s: %d statements, want 2 (the - starts the second)", name, len(stmts))
		}
		if _, ok := stmts[0].(*ExprStmt).X.(*BinaryExpr); ok {
			t.Errorf("%s: the compound took the - as a subtraction", name)
		}
	}
	// Operators other than a leading - continue the statement.
	if stmts := body("h"); len(stmts) != 1 {
		t.Errorf("h: %d statements, want 1", len(stmts))
	} else if b, ok := stmts[0].(*ExprStmt).X.(*BinaryExpr); !ok || b.Op != "-" {
		t.Errorf("h: want (if … * 3) - 1, got %T", stmts[0].(*ExprStmt).X)
	}
	// A let's value is no statement of its own: its - continues it
	// (§2.2), as after any other expression.
	if stmts := body("k"); len(stmts) != 2 {
		t.Errorf("k: %d statements, want 2 (let y = … - 1, y)", len(stmts))
	}
	if stmts := body("m"); len(stmts) != 1 {
		t.Errorf("m: %d statements, want 1", len(stmts))
	}
	if d := diffParsers([]byte(src)); d != "" {
		t.Errorf("the parser and the grammar differ:\n%s", d)
	}
	checkFormatted(t, "sign.rpl", []byte(src))
	out, err := FormatSource("sign.rpl", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "} -\n") {
		t.Errorf("the formatter joined the statements:\n%s", out)
	}
	if strings.Contains(string(out), "};") {
		t.Errorf("the formatter put a needless ; after a compound statement:\n%s", out)
	}
}
