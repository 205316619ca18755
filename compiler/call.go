package compiler

import (
	"cmp"
	"slices"

	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/vm"
)

func (f *funcCompiler) call(e *lang.CallExpr) {
	call := f.c.info.Calls[e]
	if call == nil {
		f.emit(vm.OpNil)
		return
	}
	switch call.Kind {
	case lang.CallFunc, lang.CallSuper:
		target := f.c.callee(call)
		if f.inline(e, target, call.Args, f.expr) {
			return
		}
		idx := f.c.funcIndex(target)
		if f.quiet > 0 {
			idx = f.c.quietIndex(target) // a call of a lambda's not recorded
		}
		staged := f.stageWritten(call.Args, e.Lparen)
		for i, a := range call.Args {
			f.exprStaged(a, staged, i)
		}
		f.at(e.Lparen)
		f.emit(vm.OpCall, idx, len(call.Args))
		f.work.callees = append(f.work.callees, callee{idx, 1})
		return
	}
	b := call.Builtin
	if op, k, ok := f.strTest(call); ok {
		f.expr(call.Args[0])
		f.at(e.Lparen)
		f.emit(vm.OpStrTestConst, op, f.c.constIndex(k))
		f.work.own += vm.StrTestFuel(op, 0, uint64(k.Len()))
		return
	}
	if b.Module == "" {
		switch b.Name {
		case "filter", "map", "any", "all", "count", "min_by", "max_by":
			f.loop(e, call)
			return
		case "len":
			f.expr(call.Args[0])
			if f.tracing() {
				f.traceArg(e, call.Args[0])
			}
			f.at(e.Lparen)
			f.emit(vm.OpLen)
			if f.tracing() {
				f.traceBuiltin(e, b, 1)
			}
			return
		}
	}
	// A first argument that comes straight from another builtin call is a
	// temporary the callee may refine in place (vm.Call.Reusable), except
	// in instrumented programs, whose probes may keep it.
	op := vm.OpCallBuiltin
	traced := f.tracedBuiltin(e)
	nargs := 0
	staged := f.stageWritten(call.Args, e.Lparen)
	for i, a := range call.Args {
		if a == nil {
			f.pushConst(vm.Nil()) // an omitted optional argument: the builtin's default
			continue
		}
		f.exprStaged(a, staged, i)
		if traced {
			f.traceArg(e, a)
			nargs++
		}
		if i == 0 && f.afterBuiltin && !f.cover() && !f.tracing() {
			op = vm.OpCallBuiltinTemp
		}
	}
	argc := len(call.Args)
	if shape, ok := f.c.hiddenShape(call); ok {
		f.pushConst(shape)
		argc++
		f.c.spec.MinVersion = max(f.c.spec.MinVersion, shapeVersion)
	}
	f.at(e.Lparen)
	f.emit(op, f.c.builtinIndex(b), argc)
	f.work.own += b.Cost
	if b.ConstFuel != nil {
		f.work.own += b.ConstFuel(f.c.constArgs(call.Args))
	}
	if traced {
		f.traceBuiltin(e, b, nargs)
	}
	if isVoid(b.Type.Result) {
		f.emit(vm.OpPop) // called for its effect (std/testing): no value
	}
}

// strTest reports whether call is starts_with, ends_with or contains of a
// string and a constant string, which compile to STR_TEST_CONST (or
// JMP_UNLESS_STR_CONST) instead of a builtin call in uninstrumented
// programs (FuzzCompileRun compares the two).
func (f *funcCompiler) strTest(call *lang.Call) (op int, k vm.Value, ok bool) {
	if call == nil || call.Kind != lang.CallBuiltin || f.cover() || f.tracing() {
		return 0, vm.Value{}, false // instrumented programs call the builtins
	}
	b := call.Builtin
	if b.Module != "" || len(call.Args) != 2 || basicKind(call.Type.Params[0].Type) != lang.String {
		return 0, vm.Value{}, false
	}
	switch b.Name {
	case "starts_with":
		op = vm.StrStartsWith
	case "ends_with":
		op = vm.StrEndsWith
	case "contains":
		op = vm.StrContains
	default:
		return 0, vm.Value{}, false
	}
	k, ok = f.c.constValue(call.Args[1])
	if !ok || k.Kind() != vm.KindString {
		return 0, vm.Value{}, false
	}
	return op, k, true
}

// loop lowers a higher-order builtin over a list to a bottom-tested loop.
// The lambda's parameter becomes a local; no closure exists at run time.
// Over range(n) the loop counts instead, and the list is never made.
//
//	xs (or n); STORE l; 0; STORE l+1; [init acc]; JMP next
//	top: <body>; <step>
//	next: NEXT_LOCAL (or NEXT_RANGE) l x top
//	<result>
//
// Its body and NEXT cost as many times as the list may have elements (the
// static cost bound): without a bound of its length, the function has
// none.
func (f *funcCompiler) loop(e *lang.CallExpr, call *lang.Call) {
	n, bounded := f.c.lenBound(call.Args[0])
	if !bounded && !f.unbounded {
		f.unbounded, f.unboundedAt = true, call.Args[0].Span().Start // the list
	}
	lam := call.Args[1].(*lang.LambdaExpr)
	list := f.newLocal()
	idx := f.newLocal() // list+1: locals are numbered in order
	x := f.newLocal()
	f.locals[f.c.info.Defs[lam.Params[0]]] = x
	next := vm.OpNextLocal
	if n := f.rangeLimit(call.Args[0]); n != nil {
		next = vm.OpNextRange
		f.expr(n)
		f.traceLoop(e, call, 0)
	} else {
		f.expr(call.Args[0])
		f.traceLoop(e, call, 1)
	}
	f.at(e.Lparen)
	f.emit(vm.OpStoreLocal, list)
	f.pushConst(vm.Int(0))
	f.emit(vm.OpStoreLocal, idx)

	name := call.Builtin.Name
	acc := f.newLocal()
	var key, found int
	switch name {
	case "filter", "map":
		// One allocation: the result is never longer than the input.
		f.emit(vm.OpLoadLocal, list)
		if next == vm.OpNextLocal {
			f.emit(vm.OpLen)
		}
		f.emit(vm.OpListCap)
		f.work.own += vm.ListCapFuel(n) // the room it clears
		f.emit(vm.OpStoreLocal, acc)
	case "count":
		f.pushConst(vm.Int(0))
		f.emit(vm.OpStoreLocal, acc)
	case "min_by", "max_by":
		// acc, the best element, none for an empty list; found, whether
		// there is one yet (an element may itself be none).
		key, found = f.newLocal(), f.newLocal()
		f.emit(vm.OpNil)
		f.emit(vm.OpStoreLocal, acc)
		f.emit(vm.OpFalse)
		f.emit(vm.OpStoreLocal, found)
	}
	top, step, end := f.label(), f.label(), f.label()
	f.jump(vm.OpJmp, step)
	outer := f.work
	f.work = work{}
	f.mark(top)
	// A traced program records the first TraceLambdaCalls calls of the
	// lambda; the others run its body compiled without probes, so that a
	// long list does not fill the trace with steps not shown.
	// The static cost bound counts each copy for the calls that run it,
	// not both for every call: the traced one min(n, TraceLambdaCalls)
	// times, the quiet one for the others, and the check between them
	// every time.
	capped := f.tracing() && !f.cover()
	var quiet string
	var check work // capped: the body's work up to the cap's check
	if capped {
		quiet = f.label()
		f.emit(vm.OpLoadLocal, idx)
		f.pushConst(vm.Int(TraceLambdaCalls))
		f.emit(compareOp(">", lang.Int))
		f.jump(vm.OpJmpIfTrue, quiet)
		check, f.work = f.work, work{}
	}
	if f.tracing() {
		f.emit(vm.OpLoadLocal, x)
		f.trace(TraceLambda, lam.Params[0].Span(), lam.Params[0].Name)
		f.c.out.TracePoints[len(f.c.out.TracePoints)-1].List = srcText(f.file, lam)
		f.emit(vm.OpPop)
	}
	// iteration emits the lambda's call and what is done with its value.
	iteration := func() {
		if !isBlock(lam.Body) {
			f.coverStmt(exprSpan(lam.Body))
		}
		// lamValue records the lambda's value, on top of the stack.
		lamValue := func() {
			if f.tracing() {
				f.trace(TraceLambdaReturn, lam.Span(), srcText(f.file, lam))
			}
		}
		// A predicate is compiled as jumps (jumpIf) unless the program is
		// instrumented, where every condition is a value with its probes.
		pred := func(when bool, target string) {
			if f.cover() || f.tracing() {
				f.expr(lam.Body)
				lamValue()
				f.at(e.Lparen)
				op := vm.OpJmpIfFalse
				if when {
					op = vm.OpJmpIfTrue
				}
				f.jump(op, target)
				return
			}
			f.jumpIf(lam.Body, when, target)
			f.at(e.Lparen)
		}
		switch name {
		case "any":
			pred(false, step)
			f.emit(vm.OpTrue)
			f.jump(vm.OpJmp, end)
		case "all":
			pred(true, step)
			f.emit(vm.OpFalse)
			f.jump(vm.OpJmp, end)
		case "filter":
			pred(false, step)
			f.emit(vm.OpLoadLocal, x)
			f.emit(vm.OpAppendLocal, acc)
		case "map":
			f.expr(lam.Body)
			lamValue()
			f.at(e.Lparen)
			f.emit(vm.OpAppendLocal, acc)
		case "count":
			pred(false, step)
			f.emit(vm.OpLoadLocal, acc)
			f.pushConst(vm.Int(1))
			f.emit(vm.OpAddInt)
			f.emit(vm.OpStoreLocal, acc)
		case "min_by", "max_by":
			// key on the stack: take it when there is no best yet or it
			// beats the best.
			f.expr(lam.Body)
			lamValue()
			f.at(e.Lparen)
			take := f.label()
			k := f.newLocal()
			f.emit(vm.OpStoreLocal, k)
			f.emit(vm.OpLoadLocal, found)
			f.jump(vm.OpJmpIfFalse, take)
			f.emit(vm.OpLoadLocal, k)
			f.emit(vm.OpLoadLocal, key)
			f.emit(better(name, call.Type.Params[1].Type.(*lang.Func).Result))
			f.jump(vm.OpJmpIfFalse, step)
			f.mark(take)
			f.emit(vm.OpLoadLocal, x)
			f.emit(vm.OpStoreLocal, acc)
			f.emit(vm.OpLoadLocal, k)
			f.emit(vm.OpStoreLocal, key)
			f.emit(vm.OpTrue)
			f.emit(vm.OpStoreLocal, found)
		}
	}
	iteration()
	if capped {
		f.jump(vm.OpJmp, step)
		traced := f.work
		f.work = work{}
		f.mark(quiet)
		f.quiet++
		iteration()
		f.quiet--
		outer.add(traced, min(n, TraceLambdaCalls))
		outer.add(f.work, max(n-TraceLambdaCalls, 0))
		f.work = check
	}
	f.mark(step)
	f.at(e.Lparen)
	f.jump(next, top, list, x)
	outer.add(f.work, n)
	outer.own++ // the last NEXT, which ends the loop
	f.work = outer
	switch name {
	case "any":
		f.emit(vm.OpFalse)
	case "all":
		f.emit(vm.OpTrue)
	default:
		f.emit(vm.OpLoadLocal, acc)
	}
	f.mark(end)
	if f.tracing() {
		f.emit(vm.OpLoadLocal, idx) // the lambda's calls
		f.trace(TraceLoopCalls, e.Span(), call.Builtin.QualifiedName())
		f.emit(vm.OpPop)
		f.trace(TraceLoopEnd, e.Span(), call.Builtin.QualifiedName())
	}
}

// traceLoop records the start of higher-order builtin call e: its list,
// on top of the stack (list 1), or none (0: a range(n), whose n is).
func (f *funcCompiler) traceLoop(e *lang.CallExpr, call *lang.Call, list int) {
	if !f.tracing() {
		return
	}
	f.trace(TraceLoop, e.Span(), call.Builtin.QualifiedName())
	pt := &f.c.out.TracePoints[len(f.c.out.TracePoints)-1]
	pt.Args, pt.List = list, f.argText(call.Args[0])
}

// rangeLimit returns n when e is a call range(n) of the builtin, so that a
// loop over it can count instead of making the list.
func (f *funcCompiler) rangeLimit(e lang.Expr) lang.Expr {
	ce, ok := e.(*lang.CallExpr)
	if !ok {
		return nil
	}
	call := f.c.info.Calls[ce]
	if call == nil || call.Builtin == nil || call.Builtin.Module != "" || call.Builtin.Name != "range" || len(call.Args) != 1 {
		return nil
	}
	return call.Args[0]
}

// better is the strict comparison that makes a new key win: < for min_by,
// > for max_by, so the first of equal keys is kept. Keys compare in the
// order of sort (vm.Compare): with the operators' instructions where that
// is the same order (bools, the int-like types and strings), and with
// BEFORE_FLOAT and AFTER_FLOAT for floats (NaN first, where the operators
// find NaN neither smaller nor larger than anything) and BEFORE and AFTER
// for every other type (enums, optionals, lists, maps, records), which the
// operators do not order.
func better(name string, keyType lang.Type) vm.Opcode {
	isMin := name == "min_by"
	switch k := basicKind(keyType); k {
	case lang.Bool, lang.Int, lang.Duration, lang.Money, lang.Time, lang.String:
		if isMin {
			return compareOp("<", k)
		}
		return compareOp(">", k)
	case lang.Float:
		if isMin {
			return vm.OpBeforeFloat
		}
		return vm.OpAfterFloat
	}
	if isMin {
		return vm.OpBefore
	}
	return vm.OpAfter
}

// maxInline bounds the size (in AST nodes) of a function body that is
// inlined at its call sites.
const maxInline = 40

// inline compiles a call of a small, non-recursive, expression-bodied
// function of the same file as its body, with the parameters bound to
// the arguments' locals: no frame, no CALL. body emits the body: as a
// value (f.expr), or as a condition's jumps (jumpIf). Instrumented
// programs keep every call, so coverage and traces see them.
func (f *funcCompiler) inline(e *lang.CallExpr, target *lang.Object, args []lang.Expr, body func(lang.Expr)) bool {
	if f.cover() || f.tracing() || target == f.self {
		return false
	}
	for _, o := range f.inlined {
		if o == target {
			return false
		}
	}
	d, ok := target.Decl.(*lang.FuncDecl)
	if !ok || !inSameFile(f.file, target) {
		return false
	}
	if n := inlineSize(d.Body); n < 0 || n > maxInline {
		return false
	}
	// Bind parameters: an argument that is already a local is shared
	// (locals never change); anything else is evaluated once into a new one,
	// in the order the arguments are written.
	for _, i := range writtenOrder(args) {
		a := args[i]
		slot, ok := f.localOf(a)
		if !ok {
			f.expr(a)
			slot = f.newLocal()
			f.at(e.Lparen)
			f.emit(vm.OpStoreLocal, slot)
		}
		f.locals[f.c.info.Defs[d.Params[i].Name]] = slot
	}
	f.inlined = append(f.inlined, target)
	start := f.asm.PC()
	body(d.Body)
	f.inlined = f.inlined[:len(f.inlined)-1]
	// Record the call for error stacks (vm.InlineEntry), at the position a
	// CALL would have had.
	if end, call := f.asm.PC(), f.file.Position(e.Lparen); end > start {
		f.inl = append(f.inl, vm.InlineEntry{Start: uint32(start), End: uint32(end), Func: f.c.funcName(target), Line: uint32(call.Line), Col: uint32(call.Col)})
	}
	return true
}

func inSameFile(file *lang.File, o *lang.Object) bool {
	f := declFile(o)
	return f != nil && f.File == file
}

// inlineSize counts the nodes of an expression made only of names,
// literals, operators, selections, indexing, calls and literals of lists
// and records; -1 for anything else (if, match and blocks may return).
func inlineSize(e lang.Expr) int {
	n := 1
	add := func(x lang.Expr) bool {
		k := inlineSize(x)
		if k < 0 {
			return false
		}
		n += k
		return true
	}
	switch x := e.(type) {
	case *lang.Ident, *lang.BasicLit:
	case *lang.ParenExpr:
		if !add(x.X) {
			return -1
		}
	case *lang.SelectorExpr:
		if !add(x.X) {
			return -1
		}
	case *lang.IndexExpr:
		if !add(x.X) || !add(x.Index) {
			return -1
		}
	case *lang.UnaryExpr:
		if !add(x.X) {
			return -1
		}
	case *lang.BinaryExpr:
		if !add(x.X) || !add(x.Y) {
			return -1
		}
	case *lang.CallExpr:
		if !add(x.Fun) {
			return -1
		}
		for _, a := range x.Args {
			if !add(a.Value) {
				return -1
			}
		}
	case *lang.LambdaExpr:
		if !add(x.Body) {
			return -1
		}
	case *lang.ListLit:
		for _, el := range x.Elems {
			if !add(el) {
				return -1
			}
		}
	case *lang.BraceLit:
		for _, en := range x.Entries {
			if !add(en.Value) {
				return -1
			}
		}
	default:
		return -1
	}
	return n
}

// writtenOrder returns the positions of args (a call's arguments in the
// callee's parameter order, or a record literal's values in field order;
// nil for one omitted) in the order they are written in the source.
func writtenOrder(args []lang.Expr) []int {
	order := make([]int, 0, len(args))
	for i, a := range args {
		if a != nil {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(i, j int) int { return cmp.Compare(args[i].Span().Start, args[j].Span().Start) })
	return order
}

// stageWritten keeps the evaluation order of the source (language.md
// §6.10, §11.1) for args given in another order than the one they are
// pushed in, as named arguments and record fields may be: when those that
// may fail (neither constants, locals nor fields of them) are out of the
// written order, it evaluates them in that order, each into a new local,
// and returns the local of each (-1 for the others, compiled in place
// after). It returns nil, emitting nothing, when the order is kept anyway.
func (f *funcCompiler) stageWritten(args []lang.Expr, at lang.Pos) []int {
	fallible := func(a lang.Expr) bool { return a != nil && !f.infallible(a) }
	last, sorted := lang.NoPos, true
	for _, a := range args {
		if !fallible(a) {
			continue
		}
		if p := a.Span().Start; p < last {
			sorted = false
			break
		} else {
			last = p
		}
	}
	if sorted {
		return nil
	}
	staged := make([]int, len(args))
	for i := range staged {
		staged[i] = -1
	}
	for _, i := range writtenOrder(args) {
		if a := args[i]; fallible(a) {
			f.expr(a)
			staged[i] = f.newLocal()
			f.at(at)
			f.emit(vm.OpStoreLocal, staged[i])
		}
	}
	return staged
}

// infallible reports whether e is a constant, a local or a field of one
// (r.estimate.input_tokens), which evaluate without error or effect.
func (f *funcCompiler) infallible(e lang.Expr) bool {
	if _, ok := f.c.constValue(e); ok {
		return true
	}
	switch x := e.(type) {
	case *lang.Ident:
		_, ok := f.localOf(x)
		return ok
	case *lang.ParenExpr:
		return f.infallible(x.X)
	case *lang.SelectorExpr:
		_, ok := f.typeOf(x.X).(*lang.Record)
		return ok && f.infallible(x.X)
	}
	return false
}

// exprStaged compiles args[i], a, or loads it from its local when
// stageWritten evaluated it already.
func (f *funcCompiler) exprStaged(a lang.Expr, staged []int, i int) {
	if staged != nil && staged[i] >= 0 {
		f.emit(vm.OpLoadLocal, staged[i])
		return
	}
	f.expr(a)
}
