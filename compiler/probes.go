package compiler

import (
	"cmp"
	"slices"
	"strings"

	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/vm"
)

// Instrumentation. With Options.Cover the compiler emits COVER k before
// every statement and at the start of every branch outcome, and describes
// counter k in Output.Counters; with Options.Trace it emits TRACE k at
// function entries, parameters, branch conditions, comparison operands and
// match arms, described by Output.TracePoints. The VM hands the counts and
// events to the host through vm.Input.Probes. Without these options no
// probe is emitted: normal programs pay nothing.

// CounterKind says what a coverage counter counts.
type CounterKind uint8

// Counter kinds.
const (
	CountStmt   CounterKind = iota + 1 // a statement ran
	CountBranch                        // a branch outcome was taken
)

// Span is a source range, 1-based lines and byte columns, end exclusive.
type Span struct {
	File                       string
	Line, Col, EndLine, EndCol int
}

// Counter describes coverage counter k (vm.Probes.Counts[k]).
type Counter struct {
	Kind CounterKind
	Func string // the compiled function holding it ("route", "test:name")
	Span        // the statement, or the code the outcome runs
	// Branch is the index in Output.Branches of the branch point an
	// outcome belongs to; -1 for statements.
	Branch int
	// Outcome names a branch outcome: "then", "else", "arm 1" (1-based),
	// "no arm" (of a statement match that is not
	// lang.Program.Exhaustive), "short" (the left operand decided && or ||), "long",
	// "present" or "default" (??).
	Outcome string
}

// Branch is a branch point: an if, a match, &&, || or ??.
type Branch struct {
	Kind string // "if", "match", "&&", "||", "??"
	Func string
	Span
	Text     string // the condition, subject or expression, as written
	Outcomes []int  // counter indexes, one per outcome
}

// TraceKind says what a trace point observes.
type TraceKind uint8

// Trace point kinds. The event's value is, by kind: none (TraceCall), the
// argument (TraceParam, TraceArg, TraceLambda), the condition (TraceIf),
// the left operand (TraceAnd, TraceOr, TraceCoalesce), the operand
// (TraceOperand), the match subject (TraceArm), the value returned
// (TraceReturn, TraceBuiltin, TraceLambdaReturn, TraceLoopEnd), the list
// (TraceLoop), the number of calls (TraceLoopCalls).
//
// The events of a builtin call nest: its arguments' TraceArg (each after
// the events of the calls within it), then its TraceBuiltin. Those of a
// higher-order builtin (filter, map, any, all, count, min_by, max_by):
// its TraceLoop, each of the first TraceLambdaCalls calls of its lambda
// (TraceLambda, the body's events, TraceLambdaReturn), then its
// TraceLoopCalls and TraceLoopEnd.
const (
	TraceCall         TraceKind = iota + 1 // a function was entered
	TraceParam                             // a parameter's value on entry
	TraceIf                                // an if condition was evaluated
	TraceArm                               // a match arm was taken
	TraceAnd                               // the left operand of && was evaluated
	TraceOr                                // the left operand of || was evaluated
	TraceCoalesce                          // the left operand of ?? was evaluated
	TraceOperand                           // an operand of a comparison was evaluated
	TraceReturn                            // a function returned (its body's end, or a return)
	TraceArg                               // an argument of a builtin call was evaluated
	TraceBuiltin                           // a builtin returned; TracePoint.Args says how many TraceArg events before it are its
	TraceLoop                              // a higher-order builtin started; its list (TracePoint.Args 1), or none (0: over range(n))
	TraceLambda                            // its lambda was called: the lambda's argument
	TraceLambdaReturn                      // the lambda returned: its value
	TraceLoopCalls                         // the number of calls of its lambda, all told
	TraceLoopEnd                           // the higher-order builtin returned: its value
)

// TraceLambdaCalls is how many calls of its lambda a higher-order builtin
// records each time it is called; the others run the body compiled
// without probes, which calls copies of the policy's functions compiled
// without them (compiler.quietIndex), so that a long list does not fill
// the trace.
const TraceLambdaCalls = 10

// TracePoint describes trace point k (vm.TraceEvent.Point).
type TracePoint struct {
	Kind TraceKind
	Func string
	Span
	Text string // the expression, condition or pattern, as written; the parameter's name
	// (TraceParam, TraceLambda); the builtin's name (TraceBuiltin, TraceLoop,
	// TraceLoopEnd); the lambda (TraceLambdaReturn); "" for an argument
	// written as a literal (TraceArg), whose value says it.
	// Args is the number of arguments traced before a TraceBuiltin, 1 or 0
	// for a TraceLoop whose list is traced or not (range(n)).
	Args int
	List string // a TraceLoop's list ("" for a literal), a TraceLambda's lambda, as written
	// Param is the name a TraceArg's argument was given by (on of
	// on: [timeout]), "" for a positional one; Lit is a TraceArg's
	// literal as written when it is a constant ([timeout, http_5xx],
	// whose enum members the run-time value would show as strings).
	Param, Lit string
}

func (f *funcCompiler) span(sp lang.Span) Span {
	s, e := f.file.Position(sp.Start), f.file.Position(sp.End)
	return Span{File: f.file.Name, Line: s.Line, Col: s.Col, EndLine: e.Line, EndCol: e.Col}
}

func (f *funcCompiler) cover() bool   { return f.c.opts.Cover }
func (f *funcCompiler) tracing() bool { return f.c.opts.Trace && f.quiet == 0 }

// coverStmt emits a statement counter for the range sp.
func (f *funcCompiler) coverStmt(sp lang.Span) {
	if !f.cover() {
		return
	}
	f.c.out.Counters = append(f.c.out.Counters, Counter{Kind: CountStmt, Func: f.name, Span: f.span(sp), Branch: -1})
	f.emit(vm.OpCover, len(f.c.out.Counters)-1)
}

// branch declares a branch point and returns its index, or -1 when not
// covering.
func (f *funcCompiler) branch(kind string, sp lang.Span, text lang.Node) int {
	if !f.cover() {
		return -1
	}
	f.c.out.Branches = append(f.c.out.Branches, Branch{Kind: kind, Func: f.name, Span: f.span(sp), Text: srcText(f.file, text)})
	return len(f.c.out.Branches) - 1
}

// coverOutcome emits the counter of an outcome of branch point b for the
// code in sp.
func (f *funcCompiler) coverOutcome(b int, outcome string, sp lang.Span) {
	if b < 0 {
		return
	}
	f.c.out.Counters = append(f.c.out.Counters, Counter{Kind: CountBranch, Func: f.name, Span: f.span(sp), Branch: b, Outcome: outcome})
	k := len(f.c.out.Counters) - 1
	f.c.out.Branches[b].Outcomes = append(f.c.out.Branches[b].Outcomes, k)
	f.emit(vm.OpCover, k)
}

// trace emits TRACE for a new point observing the value on top of the
// stack.
func (f *funcCompiler) trace(kind TraceKind, sp lang.Span, text string) {
	if !f.tracing() {
		return
	}
	f.c.out.TracePoints = append(f.c.out.TracePoints, TracePoint{Kind: kind, Func: f.name, Span: f.span(sp), Text: text})
	f.emit(vm.OpTrace, len(f.c.out.TracePoints)-1)
}

// traceEntry records a function's entry and its arguments.
func (f *funcCompiler) traceEntry(d *lang.FuncDecl) {
	if !f.tracing() {
		return
	}
	f.at(d.Sp.Start)
	f.emit(vm.OpNil)
	f.trace(TraceCall, d.Name.Sp, d.Name.Name)
	f.emit(vm.OpPop)
	for i, p := range d.Params {
		f.emit(vm.OpLoadLocal, i)
		f.trace(TraceParam, p.Name.Sp, p.Name.Name)
		f.emit(vm.OpPop)
	}
}

// traceReturn records the value a function returns, on top of the stack
// before RETURN; its text is the function's name.
func (f *funcCompiler) traceReturn(sp lang.Span) {
	if f.tracing() {
		f.trace(TraceReturn, sp, f.name)
	}
}

// traceOperand records the value of a comparison operand that is not a
// constant.
func (f *funcCompiler) traceOperand(e lang.Expr) {
	if !f.tracing() {
		return
	}
	if _, ok := f.c.constValue(e); ok {
		return
	}
	if f.tracedBuiltin(e) {
		return // the call's step says its value
	}
	f.trace(TraceOperand, e.Span(), srcText(f.file, e))
}

// tracedBuiltin reports whether e is a call of a builtin that the traced
// program records as a step (with its arguments and result): every one
// but those called for their effect.
func (f *funcCompiler) tracedBuiltin(e lang.Expr) bool {
	ce, ok := e.(*lang.CallExpr)
	if !ok || !f.tracing() {
		return false
	}
	call := f.c.info.Calls[ce]
	return call != nil && call.Kind == lang.CallBuiltin && !isVoid(call.Builtin.Type.Result)
}

// traceArg records the value of argument a of the builtin call e, on top
// of the stack.
func (f *funcCompiler) traceArg(e *lang.CallExpr, a lang.Expr) {
	text := f.argText(a)
	f.trace(TraceArg, a.Span(), text)
	pt := &f.c.out.TracePoints[len(f.c.out.TracePoints)-1]
	for _, w := range e.Args {
		if w.Value == a && w.Name != nil {
			pt.Param = w.Name.Name
		}
	}
	if _, ok := f.c.constValue(a); ok && text == "" {
		pt.Lit = srcText(f.file, a)
	}
}

// argText is argument a as written, or "" for a literal, whose value says
// it.
func (f *funcCompiler) argText(a lang.Expr) string {
	switch a.(type) {
	case *lang.BasicLit, *lang.ListLit, *lang.BraceLit:
		return ""
	}
	return srcText(f.file, a)
}

// traceBuiltin records the value a builtin call e returned, on top of the
// stack, and that the last n TraceArg events were its arguments.
func (f *funcCompiler) traceBuiltin(e *lang.CallExpr, b *lang.Builtin, n int) {
	f.trace(TraceBuiltin, e.Span(), b.QualifiedName())
	f.c.out.TracePoints[len(f.c.out.TracePoints)-1].Args = n
}

// cutNested ends each statement counter that holds others (a let whose
// value is a block, a lambda's body, an if inside a call: exprSpan cuts
// only an if or match the statement is) where the first of them starts,
// so that no two statement ranges overlap, as Go's cover profile format
// wants (go tool cover -html nests overlapping ones wrong).
func cutNested(counters []Counter) {
	var idx []int
	for i, k := range counters {
		if k.Kind == CountStmt {
			idx = append(idx, i)
		}
	}
	start := func(k *Counter) (string, int, int) { return k.File, k.Line, k.Col }
	slices.SortFunc(idx, func(a, b int) int {
		fa, la, ca := start(&counters[a])
		fb, lb, cb := start(&counters[b])
		return cmp.Or(strings.Compare(fa, fb), cmp.Compare(la, lb), cmp.Compare(ca, cb))
	})
	for n, i := range idx {
		k := &counters[i]
		for _, j := range idx[n+1:] {
			o := &counters[j]
			if o.File != k.File || o.Line > k.EndLine || (o.Line == k.EndLine && o.Col >= k.EndCol) {
				break // past k's end: no statement within it
			}
			if o.Line > k.Line || o.Col > k.Col {
				k.EndLine, k.EndCol = o.Line, o.Col
				break
			}
		}
	}
}

// stmtSpan is the range a statement counter reports: the statement, cut
// before the first block of an if or match it holds (whose statements have
// counters of their own), so that ranges do not overlap.
func stmtSpan(s lang.Stmt) lang.Span {
	sp := s.Span()
	var x lang.Expr
	switch s := s.(type) {
	case *lang.ExprStmt:
		x = s.X
	case *lang.LetStmt:
		x = s.Value
	case *lang.ReturnStmt:
		x = s.Value
	}
	if x != nil {
		sp.End = exprSpan(x).End
		if sp.End < s.Span().Start {
			sp.End = s.Span().End
		}
	}
	return sp
}

// exprSpan is the range a counter for expression x reports: x, cut after
// the condition of an if or the subject of a match.
func exprSpan(x lang.Expr) lang.Span {
	sp := x.Span()
	switch x := x.(type) {
	case *lang.IfExpr:
		sp.End = x.Cond.Span().End
	case *lang.MatchExpr:
		sp.End = x.Subject.Span().End
	}
	return sp
}
