package compiler

import (
	"fmt"
	"strings"

	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/vm"
)

// funcCompiler emits the code of one function.
type funcCompiler struct {
	c       *compiler
	file    *lang.File
	asm     vm.Assembler
	locals  map[*lang.Object]int
	nlocals int
	name    string // the function's name in the program
	self    *lang.Object
	inlined []*lang.Object   // functions being inlined here, innermost last
	inl     []vm.InlineEntry // calls inlined so far, innermost first when nested
	lines   []vm.LineEntry
	pos     lang.Pos
	nlabels int
	// unbounded: the function loops over a list of unknown length, so no
	// static cost bound exists (lenbound.go); unboundedAt is where the
	// first such loop is.
	unbounded   bool
	unboundedAt lang.Pos
	// afterBuiltin: the last instruction emitted is a builtin call and no
	// label follows it, so the value on top of the stack is that call's
	// result on every path (CALL_BUILTIN_TEMP).
	afterBuiltin bool
	// quiet > 0 while compiling code of a traced program that records no
	// trace events (a lambda's calls past TraceLambdaCalls).
	quiet int

	work work // what the code emitted so far costs, loops counted (compile.go)

	err error // the first internal error met (fail)
	// limit is the first instruction met that names more than the
	// machine holds (emit): the author's to fix, at its position.
	limit *LimitError

	// inConst > 0 while a const's value is compiled where the const is
	// used (expr): its positions are in the const's file, not this
	// function's, so the use's position stands.
	inConst int
}

func (f *funcCompiler) at(p lang.Pos) {
	if f.inConst == 0 {
		f.pos = p
	}
}

// fail records an internal error at p: code the checker should have
// refused, or the compiler cannot compile. compileFunc returns the first.
func (f *funcCompiler) fail(p lang.Pos, format string, args ...any) {
	if f.err == nil {
		f.err = fmt.Errorf("%s: internal error: %s", f.file.Position(p), fmt.Sprintf(format, args...))
	}
}

func (f *funcCompiler) emit(op vm.Opcode, args ...int) {
	if f.limit == nil {
		f.checkLimits(op, args)
	}
	pc := uint32(f.asm.PC())
	pos := f.file.Position(f.pos)
	if n := len(f.lines); pos.IsValid() && (n == 0 || f.lines[n-1].Line != uint32(pos.Line) || f.lines[n-1].Col != uint32(pos.Col)) {
		if n > 0 && f.lines[n-1].PC == pc {
			f.lines[n-1] = vm.LineEntry{PC: pc, Line: uint32(pos.Line), Col: uint32(pos.Col)}
		} else {
			f.lines = append(f.lines, vm.LineEntry{PC: pc, Line: uint32(pos.Line), Col: uint32(pos.Col)})
		}
	}
	f.asm.Emit(op, args...)
	f.work.own++
	f.afterBuiltin = op == vm.OpCallBuiltin || op == vm.OpCallBuiltinTemp
}

// checkLimits records, as f.limit, an operand of op past what the machine
// holds: the code that needs it is the author's to split.
func (f *funcCompiler) checkLimits(op vm.Opcode, args []int) {
	info := op.Info()
	if info == nil {
		return
	}
	for i, k := range info.Operands {
		if i >= len(args) {
			return
		}
		var msg string
		switch a := args[i]; {
		case k == vm.ArgJump:
		case k == vm.ArgConst && a >= vm.MaxConstants:
			msg = fmt.Sprintf("this program needs more than %d distinct constants: make some of its data one constant (a list or map literal of constants is one), or split the policy", vm.MaxConstants)
		case k == vm.ArgLocal && a >= vm.MaxLocals:
			msg = fmt.Sprintf("this function needs more than %d local variables (its parameters and lets, and the compiler's own for the calls it inlines, lambdas and matches): split it into functions", vm.MaxLocals)
		case k == vm.ArgFunc && a >= vm.MaxFunctions:
			msg = fmt.Sprintf("this program needs more than %d functions: split the policy", vm.MaxFunctions)
		case a > vm.MaxOperand:
			msg = fmt.Sprintf("this code needs a %s of %d, more than an instruction holds (%d): split it", k, a, vm.MaxOperand)
		}
		if msg != "" {
			p := f.file.Position(f.pos)
			f.limit = &LimitError{File: f.file.Name, Line: p.Line, Col: p.Col, Msg: msg}
			return
		}
	}
}

func (f *funcCompiler) label() string {
	f.nlabels++
	return fmt.Sprintf("L%d", f.nlabels)
}

func (f *funcCompiler) jump(op vm.Opcode, label string, args ...int) {
	f.emit(op, append(args, f.asm.JumpTo(label))...)
}

func (f *funcCompiler) mark(label string) {
	f.asm.Label(label)
	f.afterBuiltin = false
}

func (f *funcCompiler) newLocal() int {
	f.nlocals++
	return f.nlocals - 1
}

func (f *funcCompiler) typeOf(e lang.Expr) lang.Type { return f.c.info.Types[e] }

func isVoid(t lang.Type) bool {
	b, ok := t.(*lang.Basic)
	return ok && b.Kind == lang.Void
}

func isNever(t lang.Type) bool {
	b, ok := t.(*lang.Basic)
	return ok && b.Kind == lang.Never
}

func basicKind(t lang.Type) lang.BasicKind {
	if b, ok := t.(*lang.Basic); ok {
		return b.Kind
	}
	return lang.Invalid
}

// pushConst emits the cheapest instruction that pushes v.
func (f *funcCompiler) pushConst(v vm.Value) {
	switch {
	case v.Kind() == vm.KindNil:
		f.emit(vm.OpNil)
	case v.Kind() == vm.KindBool && v.Bool():
		f.emit(vm.OpTrue)
	case v.Kind() == vm.KindBool:
		f.emit(vm.OpFalse)
	default:
		f.emit(vm.OpConst, f.c.constIndex(v))
	}
}

// stmtsOf compiles the statements of a block. With value set, the block's
// value (its last expression statement) is left on the stack.
func (f *funcCompiler) stmtsOf(b *lang.BlockExpr, value bool) {
	for i, s := range b.Stmts {
		last := i == len(b.Stmts)-1
		f.stmt(s, value && last)
		if isNever(f.stmtType(s)) {
			return // the rest is unreachable
		}
	}
}

func (f *funcCompiler) stmtType(s lang.Stmt) lang.Type {
	switch s := s.(type) {
	case *lang.ReturnStmt:
		return lang.Typ[lang.Never]
	case *lang.ExprStmt:
		return f.typeOf(s.X)
	}
	return lang.Typ[lang.Void]
}

func (f *funcCompiler) stmt(s lang.Stmt, value bool) {
	f.at(s.Span().Start)
	if es, ok := s.(*lang.ExprStmt); !ok || !isBlock(es.X) {
		f.coverStmt(stmtSpan(s))
	}
	switch s := s.(type) {
	case *lang.LetStmt:
		f.expr(s.Value)
		obj := f.c.info.Defs[s.Name]
		slot := f.newLocal()
		if obj != nil {
			f.locals[obj] = slot
		}
		f.at(s.Span().Start)
		f.emit(vm.OpStoreLocal, slot)
	case *lang.ReturnStmt:
		f.expr(s.Value)
		f.traceReturn(s.Span())
		f.at(s.Span().Start)
		f.emit(vm.OpReturn)
	case *lang.ExpectStmt:
		f.expect(s)
	case *lang.ExprStmt:
		if value {
			f.expr(s.X)
			return
		}
		f.discard(s.X)
	}
}

// discard lowers e, whose value is discarded (an expression statement
// that is not its block's value, the arm of a match used as a
// statement), as the checker checks it (lang's discardedExpr): an if or
// a match the checker typed void as a statement, a block's statements
// with the last one's value discarded too, within parentheses as well;
// anything else is evaluated and its value, if any, popped.
func (f *funcCompiler) discard(e lang.Expr) {
	t := f.typeOf(e)
	switch x := e.(type) {
	case *lang.IfExpr:
		if isVoid(t) {
			f.ifStmt(x)
			return
		}
	case *lang.MatchExpr:
		if isVoid(t) {
			f.match(x, false)
			return
		}
	case *lang.BlockExpr:
		f.stmtsOf(x, false)
		return
	case *lang.ParenExpr:
		if lang.IsStmtForm(x) {
			f.discard(x.X)
			return
		}
	}
	f.expr(e)
	if !isVoid(t) && !isNever(t) {
		f.emit(vm.OpPop)
	}
}

// expect lowers an expectation. A failed expect records the failure
// (EXPECT_FAIL) and the test goes on, so one run reports every failed
// expectation. For a comparison both operands are evaluated once into
// locals, and the failure shows them:
//
//	<x>; STORE a; <y>; STORE b; LOAD a; LOAD b; <cmp>; JMP_IF_TRUE ok
//	CONST "d.target"; LOAD a; LOAD b; EXPECT_FAIL 2 "=="   ; d.target: expected "b", got "a"
//	ok:
//
// A message given as `expect cond, msg` prefixes the description.
func (f *funcCompiler) expect(s *lang.ExpectStmt) {
	ok := f.label()
	if cmp, isCmp := Comparison(s.Cond); isCmp {
		a, b := f.newLocal(), f.newLocal()
		f.expr(cmp.X)
		f.emit(vm.OpStoreLocal, a)
		f.expr(cmp.Y)
		f.emit(vm.OpStoreLocal, b)
		f.at(cmp.OpPos)
		f.emit(vm.OpLoadLocal, a)
		f.emit(vm.OpLoadLocal, b)
		f.emit(compareOp(cmp.Op, basicKind(f.typeOf(cmp.X))))
		f.jump(vm.OpJmpIfTrue, ok)
		f.expectMessage(s, srcText(f.file, cmp.X))
		f.at(s.Sp.Start)
		f.emit(vm.OpLoadLocal, a)
		f.emit(vm.OpLoadLocal, b)
		f.emit(vm.OpExpectFail, 2, f.c.constIndex(vm.Str(cmp.Op)))
		f.mark(ok)
		return
	}
	f.expr(s.Cond)
	f.jump(vm.OpJmpIfTrue, ok)
	f.expectMessage(s, "")
	f.at(s.Sp.Start)
	f.emit(vm.OpExpectFail, 0, f.c.constIndex(vm.Str("")))
	f.mark(ok)
}

// expectMessage pushes the description of a failed expect: the message
// if given, then the left operand of a comparison (subject), or by
// default "expect <cond> failed".
func (f *funcCompiler) expectMessage(s *lang.ExpectStmt, subject string) {
	switch {
	case s.Message == nil && subject == "":
		f.pushConst(vm.Str("expect " + srcText(f.file, s.Cond) + " failed"))
	case s.Message == nil:
		f.pushConst(vm.Str(subject))
	default:
		if v, ok := f.c.constValue(s.Message); ok && v.Kind() == vm.KindString && subject != "" {
			f.pushConst(vm.Str(v.Str() + " (" + subject + ")"))
			return
		}
		f.expr(s.Message)
		if subject != "" {
			f.pushConst(vm.Str(" (" + subject + ")"))
			f.emit(vm.OpConcat)
		}
	}
}

// Comparison returns the condition of an expect as the comparison whose
// operands its failure shows (got, then want): ==, != on any type,
// ordering on numbers, durations, money, times and strings, parentheses
// around it aside. A test runner reads the operands' types from it.
func Comparison(cond lang.Expr) (*lang.BinaryExpr, bool) {
	for {
		p, ok := cond.(*lang.ParenExpr)
		if !ok {
			break
		}
		cond = p.X
	}
	b, ok := cond.(*lang.BinaryExpr)
	if !ok {
		return nil, false
	}
	switch b.Op {
	case "==", "!=", "<", "<=", ">", ">=":
		return b, true
	}
	return nil, false
}

// compareOp is the instruction comparing two values of kind k with op.
func compareOp(op string, k lang.BasicKind) vm.Opcode {
	switch op {
	case "==":
		return vm.OpEq
	case "!=":
		return vm.OpNe
	}
	var ops [4]vm.Opcode
	switch k {
	case lang.Float:
		ops = [4]vm.Opcode{vm.OpLtFloat, vm.OpLeFloat, vm.OpGtFloat, vm.OpGeFloat}
	case lang.String:
		ops = [4]vm.Opcode{vm.OpLtStr, vm.OpLeStr, vm.OpGtStr, vm.OpGeStr}
	default:
		ops = [4]vm.Opcode{vm.OpLtInt, vm.OpLeInt, vm.OpGtInt, vm.OpGeInt}
	}
	return ops[orderIndex(op)]
}

// orderIndex numbers the ordering operators <, <=, >, >= from 0 to 3:
// the order of compareOp's tables, of the *_INT_CONST instructions and of
// JMP_UNLESS_INT_CONST's comparison operand.
func orderIndex(op string) int {
	switch op {
	case "<":
		return 0
	case "<=":
		return 1
	case ">":
		return 2
	}
	return 3
}

func isBlock(e lang.Expr) bool {
	_, ok := e.(*lang.BlockExpr)
	return ok
}

// srcText is the source of n on one line, as a failed expect's message,
// a trace point and a branch show it, each one line of a report (rplc
// test, rplc explain): written over several lines, its line ends and
// the indentation after them are one space each, and its comments are
// left out.
func srcText(file *lang.File, n lang.Node) string {
	sp := n.Span()
	if int(sp.End) <= len(file.Src) && sp.Start >= 0 && sp.Start <= sp.End {
		return oneLine(string(file.Src[sp.Start:sp.End]))
	}
	return "condition"
}

// oneLine is the source text s with each run of white space that holds a
// line end, and each comment (# to the end of its line), one space, or
// none after an opening bracket and before a closing one, a comma or the
// dot of a method call on the line before (f(x)\n  .g() is f(x).g()); s
// itself when it is one line. A string literal, which is on one line,
// is kept as written.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	var b strings.Builder
	inStr, gap, newline := false, "", false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inStr:
			b.WriteByte(c)
			if c == '\\' && i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			} else if c == '"' || c == '\n' {
				inStr = false
			}
			continue
		case c == '#':
			for i+1 < len(s) && s[i+1] != '\n' {
				i++
			}
			newline = true
			continue
		case c == '\r' || c == '\n':
			newline = true
			continue
		case c == ' ' || c == '\t':
			gap += string(c)
			continue
		}
		if newline {
			gap = " "
			if b.Len() == 0 || strings.IndexByte("([{", b.String()[b.Len()-1]) >= 0 || strings.IndexByte(")]},.", c) >= 0 {
				gap = "" // f(\n  x\n) is f(x)
			}
		}
		b.WriteString(gap)
		gap, newline = "", false
		inStr = c == '"'
		b.WriteByte(c)
	}
	return b.String()
}
