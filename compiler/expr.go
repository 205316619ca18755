package compiler

import (
	"fmt"
	"strings"
	"time"

	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/vm"
)

// expr emits code that leaves the value of e on the stack (nothing for a
// void expression).
func (f *funcCompiler) expr(e lang.Expr) {
	if v, ok := f.c.constValue(e); ok {
		f.at(e.Span().Start)
		f.pushConst(v)
		return
	}
	f.at(e.Span().Start)
	switch e := e.(type) {
	case *lang.Ident:
		obj := f.c.info.Uses[e]
		slot, ok := f.locals[obj]
		if !ok {
			if d, isConst := constDecl(f.c.resolveFunc(obj)); isConst {
				// A const the compiler does not fold: it reads a const a
				// derived policy redeclares (touchesOverride). Its value is
				// computed where it is used, positions kept at the use.
				f.inConst++
				f.expr(d.Value)
				f.inConst--
				return
			}
			// Neither a local nor a constant: never for a checked
			// program, and an error rather than a silent none.
			f.fail(e.Sp.Start, "%s has no value here", e.Name)
			f.emit(vm.OpNil)
			return
		}
		f.emit(vm.OpLoadLocal, slot)
	case *lang.ParenExpr:
		f.expr(e.X)
	case *lang.SelectorExpr:
		f.selector(e)
	case *lang.IndexExpr:
		f.expr(e.X)
		f.expr(e.Index)
		f.at(e.Sp.Start)
		if _, isMap := f.typeOf(e.X).(*lang.Map); isMap {
			f.emit(vm.OpIndexMap)
			f.work.own += f.lookupFuel(e.X, e.Index)
		} else {
			f.emit(vm.OpIndexList)
		}
	case *lang.UnaryExpr:
		f.expr(e.X)
		f.at(e.OpPos)
		if e.Op == "!" {
			f.emit(vm.OpNot)
			return
		}
		switch basicKind(f.typeOf(e.X)) {
		case lang.Float:
			f.emit(vm.OpNegFloat)
		case lang.Money:
			f.emit(vm.OpNegMoney)
		case lang.Duration:
			f.emit(vm.OpNegDur)
		default:
			f.emit(vm.OpNegInt)
		}
	case *lang.BinaryExpr:
		f.binary(e)
	case *lang.CallExpr:
		f.call(e)
	case *lang.ListLit:
		f.listLit(e)
	case *lang.BraceLit:
		f.braceLit(e)
	case *lang.IfExpr:
		f.ifExpr(e)
	case *lang.MatchExpr:
		f.match(e, true)
	case *lang.BlockExpr:
		f.stmtsOf(e, true)
	default: // never for a checked program (a literal is a constant)
		f.fail(e.Span().Start, "cannot compile %T", e)
		f.emit(vm.OpNil)
	}
}

// constDecl is the declaration of o when o is a const.
func constDecl(o *lang.Object) (*lang.ConstDecl, bool) {
	if o == nil || o.Kind != lang.ObjConst {
		return nil, false
	}
	d, ok := o.Decl.(*lang.ConstDecl)
	return d, ok
}

func (f *funcCompiler) localOf(e lang.Expr) (int, bool) {
	id, ok := e.(*lang.Ident)
	if !ok {
		return 0, false
	}
	slot, ok := f.locals[f.c.info.Uses[id]]
	return slot, ok
}

func (f *funcCompiler) selector(e *lang.SelectorExpr) {
	r, ok := f.typeOf(e.X).(*lang.Record)
	if !ok {
		f.emit(vm.OpNil)
		return
	}
	slot := r.FieldIndex(e.Sel.Name)
	if local, ok := f.localOf(e.X); ok {
		f.at(e.Sel.Sp.Start)
		f.emit(vm.OpLocalField, local, slot)
		return
	}
	// r.tenant.tier: one instruction when the inner record is a local's field.
	if inner, ok := e.X.(*lang.SelectorExpr); ok && !f.tracing() {
		if ir, ok := f.typeOf(inner.X).(*lang.Record); ok {
			if local, ok := f.localOf(inner.X); ok {
				f.at(e.Sel.Sp.Start)
				f.emit(vm.OpLocalField2, local, ir.FieldIndex(inner.Sel.Name), slot)
				return
			}
		}
	}
	f.expr(e.X)
	f.at(e.Sel.Sp.Start)
	f.emit(vm.OpField, slot)
}

// maxMakeList is the most elements a list literal pushes for one
// MAKE_LIST: a longer one is built by APPEND on a list made with room for
// them all, so that no literal needs a deeper operand stack than the
// verifier allows (1<<16 values) or a count wider than an operand.
const maxMakeList = 4096

func (f *funcCompiler) listLit(e *lang.ListLit) {
	if len(e.Elems) <= maxMakeList {
		for _, x := range e.Elems {
			f.expr(x)
		}
		f.at(e.Sp.Start)
		f.emit(vm.OpMakeList, len(e.Elems))
		return
	}
	f.at(e.Sp.Start)
	f.pushConst(vm.Int(int64(len(e.Elems))))
	f.emit(vm.OpListCap)
	f.work.own += vm.ListCapFuel(int64(len(e.Elems))) // the room it clears
	for _, x := range e.Elems {
		f.expr(x)
		f.at(e.Sp.Start)
		f.emit(vm.OpAppend)
	}
}

func (f *funcCompiler) braceLit(e *lang.BraceLit) {
	switch t := f.c.info.Lits[e].(type) {
	case *lang.Record:
		given := map[string]lang.Expr{}
		for _, en := range e.Entries {
			given[en.Key.(*lang.Ident).Name] = en.Value
		}
		vals := make([]lang.Expr, len(t.Fields)) // in field order, nil for an omitted field
		for i, fld := range t.Fields {
			vals[i] = given[fld.Name]
		}
		staged := f.stageWritten(vals, e.Sp.Start) // fields are evaluated as written
		for i, fld := range t.Fields {
			switch {
			case vals[i] != nil:
				f.exprStaged(vals[i], staged, i)
			case fld.Name == "arrival" && f.c.arrivesAtClock(e):
				if now := f.c.clockMoves(); now != nil {
					f.at(e.Sp.Start)
					f.emit(vm.OpCallBuiltin, f.c.builtinIndex(now), 0)
					f.work.own += now.Cost
				} else {
					f.pushConst(vm.TimeOf(TestClock))
				}
			default:
				f.pushZero(fld.Type)
			}
		}
		f.at(e.Sp.Start)
		f.emit(vm.OpMakeRecord, len(t.Fields))
	case *lang.Map:
		// The constant keys, for what MAKE_MAP charges them (vm.MapKeysFuel;
		// the others are none here, and cost what the bound cannot know).
		// Each a copy of its own: keys at the same address compare free.
		keys := make([]vm.Value, len(e.Entries))
		for i, en := range e.Entries {
			if id, ok := en.Key.(*lang.Ident); ok {
				f.pushConst(vm.Str(id.Name))
				keys[i] = vm.Str(strings.Clone(id.Name))
			} else {
				f.expr(en.Key)
				if k, ok := f.c.constValue(en.Key); ok && k.Kind() == vm.KindString {
					keys[i] = vm.Str(strings.Clone(k.Str()))
				}
			}
			f.expr(en.Value)
		}
		f.at(e.Sp.Start)
		f.emit(vm.OpMakeMap, len(e.Entries))
		f.work.own += int64(len(e.Entries)) + vm.MapKeysFuel(keys) // MAKE_MAP costs 1 per entry and its keys
	default:
		f.emit(vm.OpNil)
	}
}

// TestClock is the clock every test starts with (stdlib.TestNow, which
// is it): until testing.set_now, now() in a test.
var TestClock = time.Date(2025, time.June, 2, 12, 0, 0, 0, time.UTC)

// clockMoves is the builtin now when a test of the program may move the
// clock (it calls testing.set_now), nil otherwise. A Request a test
// writes without its arrival (arrivesAtClock) is then built at run time,
// its arrival the now() of that moment; otherwise it arrives at
// TestClock, which now() is throughout every test, and stays a constant
// as any other literal, costing what {} cost.
func (c *compiler) clockMoves() *lang.Builtin {
	if c.clockNow == nil {
		c.clockNow = new(*lang.Builtin)
		for _, call := range c.info.Calls {
			if call.Kind == lang.CallBuiltin && call.Builtin != nil && call.Builtin.Module == "testing" && call.Builtin.Name == "set_now" {
				for _, b := range c.prog.Universe.Builtins {
					if b.Module == "" && b.Name == "now" {
						*c.clockNow = b
					}
				}
				break
			}
		}
	}
	return *c.clockNow
}

// arrivesAtClock reports whether e is a Request brace literal that leaves
// out its arrival written in a test block or in a function of a test file
// (*_test.rpl). Such a request arrives at the test's clock, now(), as a
// router makes an absent arrival the time it received the request, so
// that r.arrival and now() agree in tests too (spec/stdlib.md,
// std/testing; clockMoves says how).
func (c *compiler) arrivesAtClock(e *lang.BraceLit) bool {
	if c.clockLits == nil {
		c.clockLits = map[*lang.BraceLit]bool{}
		for _, f := range c.prog.Main.Files {
			testFile := lang.IsTestFile(f.File.Name)
			for _, d := range f.Decls {
				if _, ok := d.(*lang.TestDecl); !ok && !testFile {
					continue
				}
				lang.Inspect(d, func(n lang.Node) bool {
					b, ok := n.(*lang.BraceLit)
					if !ok || c.info.Lits[b] != c.out.Request || c.out.Request == nil {
						return true
					}
					for _, en := range b.Entries {
						if id, ok := en.Key.(*lang.Ident); ok && id.Name == "arrival" {
							return true
						}
					}
					c.clockLits[b] = true
					return true
				})
			}
		}
	}
	return c.clockLits[e]
}

func (f *funcCompiler) binary(e *lang.BinaryExpr) {
	switch e.Op {
	case "&&", "||":
		op, kind := vm.OpJmpIfFalseOrPop, TraceAnd
		if e.Op == "||" {
			op, kind = vm.OpJmpIfTrueOrPop, TraceOr
		}
		f.shortCircuit(e, op, kind, "short", "long")
		return
	case "??":
		f.shortCircuit(e, vm.OpCoalesce, TraceCoalesce, "present", "default")
		return
	case "in", "not in":
		f.in(e)
		if e.Op == "not in" {
			f.emit(vm.OpNot)
		}
		return
	case "==", "!=":
		x, y := e.X, e.Y
		if _, ok := f.c.constValue(x); ok {
			x, y = y, x
		}
		if v, ok := f.c.constValue(y); ok {
			f.expr(x)
			f.traceOperand(x)
			f.at(e.OpPos)
			op := vm.OpEqConst
			if e.Op == "!=" {
				op = vm.OpNeConst
			}
			f.emit(op, f.c.constIndex(v))
			return
		}
		f.expr(x)
		f.traceOperand(x)
		f.expr(y)
		f.traceOperand(y)
		f.at(e.OpPos)
		if e.Op == "==" {
			f.emit(vm.OpEq)
		} else {
			f.emit(vm.OpNe)
		}
		return
	case "<", "<=", ">", ">=":
		f.compare(e)
		return
	}
	xt, yt := f.typeOf(e.X), f.typeOf(e.Y)
	xk, yk := basicKind(xt), basicKind(yt)
	var op vm.Opcode
	switch e.Op {
	case "+":
		switch {
		case xk == lang.Float:
			op = vm.OpAddFloat
		case xk == lang.String:
			op = vm.OpConcat
		case xk == lang.Money:
			op = vm.OpAddMoney
		case xk == lang.Duration:
			op = vm.OpAddDur
		case xk == lang.Time:
			op = vm.OpAddTimeDur
		default:
			op = vm.OpAddInt
		}
	case "-":
		switch {
		case xk == lang.Float:
			op = vm.OpSubFloat
		case xk == lang.Money:
			op = vm.OpSubMoney
		case xk == lang.Duration:
			op = vm.OpSubDur
		case xk == lang.Time && yk == lang.Time:
			op = vm.OpSubTime
		case xk == lang.Time:
			op = vm.OpSubTimeDur
		default:
			op = vm.OpSubInt
		}
	case "*":
		switch {
		case xk == lang.Float:
			op = vm.OpMulFloat
		case xk == lang.Money: // the int on the right (§6.2)
			op = vm.OpMulMoneyInt
		case xk == lang.Duration:
			op = vm.OpMulDurInt
		default:
			op = vm.OpMulInt
		}
	case "/":
		switch {
		case xk == lang.Float:
			op = vm.OpDivFloat
		case xk == lang.Money && yk == lang.Money:
			op = vm.OpDivMoney
		case xk == lang.Money:
			op = vm.OpDivMoneyInt
		case xk == lang.Duration: // by an int (§6.2: not by a duration)
			op = vm.OpDivDurInt
		default:
			op = vm.OpDivInt
		}
	case "%":
		op = vm.OpModInt
	}
	f.expr(e.X)
	f.expr(e.Y)
	f.at(e.OpPos)
	f.emit(op)
}

// shortCircuit lowers x && y, x || y and x ?? y: op (JMP_IF_FALSE_OR_POP,
// JMP_IF_TRUE_OR_POP, COALESCE) jumps past y when x decides the result.
// With coverage, each outcome starts with its counter: skip when x
// decides, eval when y runs.
func (f *funcCompiler) shortCircuit(e *lang.BinaryExpr, op vm.Opcode, kind TraceKind, skip, eval string) {
	end := f.label()
	f.expr(e.X)
	f.at(e.OpPos)
	f.trace(kind, e.X.Span(), srcText(f.file, e.X))
	b := f.branch(e.Op, e.Sp, e)
	if b < 0 {
		f.jump(op, end)
		f.expr(e.Y)
		f.mark(end)
		return
	}
	skipped := f.label()
	f.jump(op, skipped)
	f.coverOutcome(b, eval, e.Y.Span())
	f.expr(e.Y)
	f.jump(vm.OpJmp, end)
	f.mark(skipped)
	f.coverOutcome(b, skip, e.X.Span())
	f.mark(end)
}

func (f *funcCompiler) compare(e *lang.BinaryExpr) {
	k := basicKind(f.typeOf(e.X))
	if k == lang.Int || k == lang.Money || k == lang.Duration || k == lang.Time {
		if v, ok := f.c.constValue(e.Y); ok {
			f.expr(e.X)
			f.traceOperand(e.X)
			f.at(e.OpPos)
			ops := [4]vm.Opcode{vm.OpLtIntConst, vm.OpLeIntConst, vm.OpGtIntConst, vm.OpGeIntConst}
			f.emit(ops[orderIndex(e.Op)], f.c.constIndex(v))
			return
		}
	}
	f.expr(e.X)
	f.traceOperand(e.X)
	f.expr(e.Y)
	f.traceOperand(e.Y)
	f.at(e.OpPos)
	f.emit(compareOp(e.Op, k))
}

// in lowers membership; a constant list of strings or ints becomes a set.
func (f *funcCompiler) in(e *lang.BinaryExpr) {
	if set, ok := f.c.constSet(e.Y); ok {
		if sel, isSel := e.X.(*lang.SelectorExpr); isSel && !f.tracing() {
			if local, isLocal := f.localOf(sel.X); isLocal {
				if r, isRec := f.typeOf(sel.X).(*lang.Record); isRec {
					f.at(e.OpPos)
					f.emit(vm.OpLocalFieldSetMember, local, r.FieldIndex(sel.Sel.Name), set)
					return
				}
			}
		}
		f.expr(e.X)
		f.traceOperand(e.X)
		f.at(e.OpPos)
		f.emit(vm.OpSetMember, set)
		return
	}
	f.expr(e.X)
	f.traceOperand(e.X)
	f.expr(e.Y)
	f.at(e.OpPos)
	switch f.typeOf(e.Y).(type) {
	case *lang.List:
		f.emit(vm.OpInList)
	case *lang.Map:
		f.emit(vm.OpInMap)
		f.work.own += f.lookupFuel(e.Y, e.X)
	default:
		f.emit(vm.OpInStr)
		if k, ok := f.c.constValue(e.X); ok && k.Kind() == vm.KindString {
			f.work.own += vm.InStrFuel(0, uint64(k.Len()))
		}
	}
}

func (f *funcCompiler) ifStmt(e *lang.IfExpr) {
	if v, ok := f.c.constValue(e.Cond); ok && v.Kind() == vm.KindBool {
		if v.Bool() {
			f.stmtsOf(e.Then, false)
		} else if e.Else != nil {
			f.elseStmt(e.Else)
		}
		return
	}
	end := f.label()
	els := end
	if e.Else != nil || f.cover() {
		els = f.label()
	}
	b := f.condition(e, els)
	f.coverOutcome(b, "then", e.Then.Span())
	f.stmtsOf(e.Then, false)
	if e.Else != nil || b >= 0 {
		if !isNever(f.typeOf(e.Then)) {
			f.jump(vm.OpJmp, end)
		}
		f.mark(els)
		f.coverOutcome(b, "else", elseSpan(e))
		if e.Else != nil {
			f.elseStmt(e.Else)
		}
	}
	f.mark(end)
}

// condition emits an if's condition, jumping to els when it is false,
// and returns its branch point (-1 when not covering). An instrumented
// program evaluates the condition as a value, with its trace point; a
// normal one compiles &&, || and ! to jumps (jumpIf).
func (f *funcCompiler) condition(e *lang.IfExpr, els string) int {
	if !f.cover() && !f.tracing() {
		f.jumpIf(e.Cond, false, els)
		return -1
	}
	f.expr(e.Cond)
	f.trace(TraceIf, e.Cond.Span(), srcText(f.file, e.Cond))
	b := f.branch("if", e.Cond.Span(), e.Cond)
	f.jump(vm.OpJmpIfFalse, els)
	return b
}

// jumpIf emits e as control flow: it jumps to target when e's value is
// when, and falls through otherwise, leaving nothing on the stack. In
// a && b && c, the first false operand jumps straight to target.
func (f *funcCompiler) jumpIf(e lang.Expr, when bool, target string) {
	switch x := e.(type) {
	case *lang.ParenExpr:
		f.jumpIf(x.X, when, target)
		return
	case *lang.UnaryExpr:
		if x.Op == "!" {
			f.jumpIf(x.X, !when, target)
			return
		}
	case *lang.CallExpr:
		// An inlined predicate is a condition too: if is_premium(r) {…}
		call := f.c.info.Calls[x]
		if call != nil && call.Kind == lang.CallFunc {
			if f.inline(x, f.c.resolveFunc(call.Func), call.Args, func(body lang.Expr) { f.jumpIf(body, when, target) }) {
				return
			}
		}
		if op, k, ok := f.strTest(call); ok && !when {
			f.expr(call.Args[0])
			f.at(x.Lparen)
			f.jump(vm.OpJmpUnlessStrConst, target, op, f.c.constIndex(k))
			f.work.own += vm.StrTestFuel(op, 0, uint64(k.Len()))
			return
		}
	case *lang.BinaryExpr:
		if f.fusedCompare(x, target, when) {
			return
		}
		// x in set jumps unless a member; x not in set jumps when one.
		if set, ok := f.c.constSet(x.Y); ok && !f.tracing() && (x.Op == "in" && !when || x.Op == "not in" && when) {
			f.expr(x.X)
			f.at(x.OpPos)
			f.jump(vm.OpJmpUnlessMember, target, set)
			return
		}
		switch {
		case x.Op == "&&" && !when, x.Op == "||" && when:
			// Either operand decides: each jumps on its own.
			f.jumpIf(x.X, when, target)
			f.jumpIf(x.Y, when, target)
			return
		case x.Op == "&&", x.Op == "||":
			// The left operand can only rule the jump out.
			skip := f.label()
			f.jumpIf(x.X, !when, skip)
			f.jumpIf(x.Y, when, target)
			f.mark(skip)
			return
		}
	}
	f.expr(e)
	op := vm.OpJmpIfFalse
	if when {
		op = vm.OpJmpIfTrue
	}
	f.jump(op, target)
}

// fusedCompare emits a comparison with a constant and its jump as one
// instruction: x == k jumps when false with JMP_IF_NE_CONST; int-like
// x < k (<=, >, >=) with JMP_UNLESS_INT_CONST. onTrue selects the jump
// taken when e is true. It reports false when e has no fused form.
func (f *funcCompiler) fusedCompare(e *lang.BinaryExpr, target string, onTrue bool) bool {
	v, ok := f.c.constValue(e.Y)
	if !ok {
		return false
	}
	switch e.Op {
	case "==", "!=":
		jumpWhenEqual := (e.Op == "==") == onTrue
		f.expr(e.X)
		f.at(e.OpPos)
		op := vm.OpJmpIfNeConst
		if jumpWhenEqual {
			op = vm.OpJmpIfEqConst
		}
		f.jump(op, target, f.c.constIndex(v))
		return true
	case "<", "<=", ">", ">=":
		if onTrue {
			return false
		}
		switch basicKind(f.typeOf(e.X)) {
		case lang.Int, lang.Money, lang.Duration, lang.Time:
		default:
			return false
		}
		f.expr(e.X)
		f.at(e.OpPos)
		cmp := orderIndex(e.Op)
		f.jump(vm.OpJmpUnlessIntConst, target, cmp, f.c.constIndex(v))
		return true
	}
	return false
}

// elseSpan is the code of an if's else outcome: the else branch, or the
// end of the if when it has none.
func elseSpan(e *lang.IfExpr) lang.Span {
	if e.Else != nil {
		return e.Else.Span()
	}
	return lang.Span{Start: e.Sp.End, End: e.Sp.End}
}

func (f *funcCompiler) elseStmt(e lang.Expr) {
	switch x := e.(type) {
	case *lang.IfExpr:
		f.ifStmt(x)
	case *lang.BlockExpr:
		f.stmtsOf(x, false)
	}
}

func (f *funcCompiler) ifExpr(e *lang.IfExpr) {
	if isVoid(f.typeOf(e)) {
		f.ifStmt(e)
		return
	}
	if v, ok := f.c.constValue(e.Cond); ok && v.Kind() == vm.KindBool {
		if v.Bool() {
			f.stmtsOf(e.Then, true)
		} else {
			f.expr(e.Else)
		}
		return
	}
	els, end := f.label(), f.label()
	b := f.condition(e, els)
	f.coverOutcome(b, "then", e.Then.Span())
	f.stmtsOf(e.Then, true)
	if !isNever(f.typeOf(e.Then)) {
		f.jump(vm.OpJmp, end)
	}
	f.mark(els)
	f.coverOutcome(b, "else", elseSpan(e))
	if _, isBlock := e.Else.(*lang.BlockExpr); !isBlock {
		if _, isIf := e.Else.(*lang.IfExpr); !isIf {
			f.coverStmt(exprSpan(e.Else))
		}
	}
	f.expr(e.Else)
	f.mark(end)
}

// match compiles arms as a chain of constant comparisons on the subject,
// kept in a local.
func (f *funcCompiler) match(e *lang.MatchExpr, value bool) {
	subj, isLocal := f.localOf(e.Subject) // locals never change
	if !isLocal {
		subj = f.newLocal()
		f.expr(e.Subject)
		f.emit(vm.OpStoreLocal, subj)
	}
	b := f.branch("match", e.Subject.Span(), e.Subject)
	end := f.label()
	catchAll := false
	for i, arm := range e.Arms {
		body, next := f.label(), f.label()
		// Each pattern jumps to the body when it matches; without a
		// wildcard, the last one instead skips the body when it does not.
		wild, last := false, -1
		for j, p := range arm.Patterns {
			if id, ok := p.(*lang.Ident); ok && id.Name == "_" {
				wild = true
			} else {
				last = j
			}
		}
		for j, p := range arm.Patterns {
			if j == last && !wild {
				break
			}
			if id, ok := p.(*lang.Ident); ok && id.Name == "_" {
				continue
			}
			f.matchTest(subj, p, vm.OpJmpIfEqConst, body)
		}
		switch {
		case wild:
		case last < 0: // no pattern (not in the grammar): never matches
			f.jump(vm.OpJmp, next)
		default:
			f.matchTest(subj, arm.Patterns[last], vm.OpJmpIfNeConst, next)
		}
		f.mark(body)
		if arm.Guard != nil {
			if f.cover() || f.tracing() {
				f.expr(arm.Guard)
				f.jump(vm.OpJmpIfFalse, next)
			} else {
				f.jumpIf(arm.Guard, false, next)
			}
		} else if wild {
			catchAll = true
		}
		f.coverOutcome(b, fmt.Sprintf("arm %d", i+1), arm.Body.Span())
		if f.tracing() {
			f.emit(vm.OpLoadLocal, subj)
			f.trace(TraceArm, arm.Head(), srcText(f.file, spanNode(arm.Head())))
			f.emit(vm.OpPop)
		}
		t := f.typeOf(arm.Body)
		if value {
			if _, isBlock := arm.Body.(*lang.BlockExpr); !isBlock {
				f.coverStmt(exprSpan(arm.Body))
			}
			f.expr(arm.Body)
		} else {
			f.stmt(&lang.ExprStmt{X: arm.Body}, false)
		}
		if !isNever(t) {
			f.jump(vm.OpJmp, end)
		}
		f.mark(next)
	}
	// No arm matched: the checker only lets this happen for a statement,
	// and one whose arms cover every value (lang.Program.Exhaustive) gets
	// here never: it has no "no arm" outcome to cover.
	f.at(e.Sp.Start)
	if !value && !catchAll && !f.c.prog.Exhaustive(e) {
		f.coverOutcome(b, "no arm", lang.Span{Start: e.Sp.End, End: e.Sp.End})
	}
	if value && !catchAll { // an exhaustive match without a wildcard arm
		f.pushConst(vm.Str("no match arm matched"))
		f.emit(vm.OpFail)
	}
	f.mark(end)
}

// matchTest compares the match subject in local subj with the constant
// pattern p and jumps to target by op (JMP_IF_EQ_CONST or JMP_IF_NE_CONST).
func (f *funcCompiler) matchTest(subj int, p lang.Expr, op vm.Opcode, target string) {
	v, ok := f.c.constValue(p)
	f.at(p.Span().Start)
	f.emit(vm.OpLoadLocal, subj)
	if !ok {
		// A constant too large to fold (constFits): built, then compared.
		f.expr(p)
		f.at(p.Span().Start)
		f.emit(vm.OpEq)
		jmp := vm.OpJmpIfTrue
		if op == vm.OpJmpIfNeConst {
			jmp = vm.OpJmpIfFalse
		}
		f.jump(jmp, target)
		return
	}
	f.jump(op, target, f.c.constIndex(v))
}

// spanNode is a node covering sp, for srcText.
type spanNode lang.Span

func (s spanNode) Span() lang.Span { return lang.Span(s) }

// pushZero pushes the zero value of t: a constant, its records shared
// (zero) and found again by identity (constIndex), or, for a record
// nested deeper than a constant may be, built from its fields' zero
// values.
func (f *funcCompiler) pushZero(t lang.Type) {
	v := f.c.zero(t)
	if r, ok := lang.Unwrap(t).(*lang.Record); ok && v.Kind() == vm.KindRecord && !f.c.constFits(v) {
		for _, fld := range r.Fields {
			f.pushZero(fld.Type)
		}
		f.emit(vm.OpMakeRecord, len(r.Fields))
		return
	}
	f.pushConst(v)
}

// lookupFuel is what INDEX_MAP or IN_MAP charge beyond the instruction
// for finding the key k in the map m (vm.LookupFuel), for the static cost
// bound when k is a constant: exactly when m is one too, else the most a
// map may take, 8 times the key's bytes (up to 8 keys of its length that
// a small map compares it with); a key whose value is unknown costs what
// the bound cannot know. The key is a copy of its own: the VM compares a
// key at a map key's address for free.
func (f *funcCompiler) lookupFuel(m, k lang.Expr) int64 {
	kv, ok := f.c.constValue(k)
	if !ok || vm.KeyFuel(kv) == 0 {
		return 0
	}
	kv = vm.Str(strings.Clone(kv.Str()))
	if mv, ok := f.c.constValue(m); ok && mv.Kind() == vm.KindMap {
		return vm.LookupFuel(mv.Map(), kv)
	}
	return 8 * vm.KeyFuel(kv)
}
