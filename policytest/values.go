package policytest

import (
	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/vm"
)

// position is where an expect statement starts: the position of its
// failures (vm.Error.Stack[0]).
type position struct {
	file      string
	line, col int
}

// operands are the static types of a comparison's operands.
type operands struct{ x, y lang.Type }

// expects finds the expect statements of a checked program by position,
// so that a failed comparison shows its values with their static types.
// The index is built on first use: a run without failures never needs it.
type expects struct {
	prog  *lang.Program
	byPos map[position]operands
}

func (e *expects) types(f vm.Frame) (operands, bool) {
	if e == nil || e.prog == nil {
		return operands{}, false
	}
	if e.byPos == nil {
		e.byPos = map[position]operands{}
		for _, pkg := range e.prog.Packages {
			for _, file := range pkg.Files {
				e.index(file)
			}
		}
	}
	ops, ok := e.byPos[position{f.File, f.Line, f.Col}]
	return ops, ok
}

func (e *expects) index(file *lang.FileNode) {
	for _, d := range file.Decls {
		td, ok := d.(*lang.TestDecl)
		if !ok {
			continue
		}
		lang.Inspect(td, func(n lang.Node) bool {
			s, ok := n.(*lang.ExpectStmt)
			if !ok {
				return true
			}
			if cmp, ok := compiler.Comparison(s.Cond); ok {
				p := file.File.Position(s.Sp.Start)
				e.byPos[position{p.Filename, p.Line, p.Col}] = operands{e.prog.Info.Types[cmp.X], e.prog.Info.Types[cmp.Y]}
			}
			return true
		})
	}
}

// typedMessage is the message of a failed expectation e with its values
// written as literals of the operands' static types, or e.Msg when e
// showed no values or its expect is not known. It reads e's values, so it
// runs before their machine goes back to the pool.
func (e *expects) typedMessage(x *vm.Error) string {
	if x.Expect == nil || x.Code != vm.CodeAssertionFailed || len(x.Stack) == 0 {
		return x.Msg
	}
	ops, ok := e.types(x.Stack[0])
	if !ok {
		return x.Msg
	}
	// One side may say less than the other (none, an empty literal).
	if !informative(ops.x) {
		ops.x = ops.y
	}
	if !informative(ops.y) {
		ops.y = ops.x
	}
	want := ""
	if x.Expect.HasWant {
		want = rpl.FormatMax(ops.y, x.Expect.Want, vm.MaxFailValue)
	}
	return x.Expect.Message(rpl.FormatMax(ops.x, x.Expect.Got, vm.MaxFailValue), want)
}

// informative reports whether t says how to write a value: not unknown,
// nor the type of the literal none.
func informative(t lang.Type) bool {
	switch t := t.(type) {
	case nil:
		return false
	case *lang.Basic:
		return t.Kind != lang.NoneType && t.Kind != lang.Invalid
	case *lang.TypeVar:
		return false
	}
	return true
}
