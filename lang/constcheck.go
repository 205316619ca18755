package lang

import (
	"math"
	"strconv"
	"strings"
)

// NotConst stands, in the arguments given to a BuiltinDecl.ConstCheck, for
// an argument whose value is not known before the run: not a constant, or
// an optional parameter left out.
var NotConst ConstValue = notConst{}

type notConst struct{}

// ConstList is the value of a list literal of constants, given to a
// ConstCheck: one ConstValue per element (an enum member is its name).
type ConstList []ConstValue

// ConstMap is the value of a map literal whose keys are constants, given
// to a ConstCheck: its keys and their values, in the literal's order, a
// value that is not constant NotConst (weighted's targets are known
// before their weights).
type ConstMap struct {
	Keys, Values []ConstValue
}

// maxConstDepth bounds constArg's descent into nested literals, calls
// and the constants they name.
const maxConstDepth = 16

// maxFoldBytes bounds a string that + folds (RPL315 past it: a chain of
// constants each the sum of the one before took gigabytes and minutes to
// check, the router dying at each restart), and one that constArg builds
// with + from folded calls (not constant to it past it; each folded call
// is bounded by the Universe's Fold itself). maxCheckFoldBytes bounds
// the strings + folds in one check, each kept in its Info: a thousand
// constants of a megabyte each are no smaller.
const (
	maxFoldBytes      = 1 << 20
	maxCheckFoldBytes = 64 << 20
)

// maxConstWork bounds the values one constant evaluation (constValue)
// visits, and hands to Fold, and maxCheckConstWork those of all of a
// check's: past either, a value is not constant to it. A constant's value
// is walked again at each use, so a list of constants that name lists of
// constants is exponential in its nesting (A5 = [A4, A4, …]).
const (
	maxConstWork      = 1 << 16
	maxCheckConstWork = 1 << 24
)

// maxWalkFolds bounds the calls reportFnConstCalls folds in a check with
// the values a call gives a function's parameters: each is as costly as
// Fold allows (a megabyte string), and they are made again at each call
// of the function.
const maxWalkFolds = 256

// FoldFuel bounds the fuel of the calls a check hands to the
// Universe's Fold, each bounded by Fold itself (100,000 fuel) but not in
// all: 2,000 calls to("openai:" + string(len(sort(L)))) of a
// 10,000-element constant L took 14 s to check. A call is given what is
// left at most, and charged what it spent: past it, a call is not
// constant to the check, as one past Fold's own budget is not. It is
// the compiler's budget for the calls it folds too.
const FoldFuel = 1 << 22

// constValue is constArg's value of e, an evaluation bounded by
// maxConstWork.
func (c *checker) constValue(e Expr) ConstValue {
	c.constWork = maxConstWork
	return c.constArg(e, 0)
}

// spend takes n from the work left to the evaluation and the check,
// reporting false when there is not that much.
func (c *checker) spend(n int) bool {
	if n > c.constWork || n > maxCheckConstWork-c.constTotal {
		c.constWork = 0
		c.limited = true
		return false
	}
	c.constWork -= n
	c.constTotal += n
	return true
}

// constSize is the number of values v holds, itself included, counted up
// to limit+1.
func constSize(v ConstValue, limit int) int {
	n := 1
	switch v := v.(type) {
	case ConstList:
		for _, x := range v {
			if n > limit {
				break
			}
			n += constSize(x, limit-n)
		}
	case ConstMap:
		for i := range v.Keys {
			if n > limit {
				break
			}
			n += constSize(v.Keys[i], limit-n)
			n += constSize(v.Values[i], limit-n)
		}
	}
	return n
}

// constArg is the value of the argument e for a ConstCheck: a scalar
// constant's (Info.Consts), a list literal's of constants, a map
// literal's of constant keys, a constant's naming one, a call of a pure
// builtin on such values (Universe.Fold), and an operator over them;
// NotConst for anything else.
func (c *checker) constArg(e Expr, depth int) ConstValue {
	if e == nil {
		return NotConst
	}
	if depth > maxConstDepth || !c.spend(1) {
		c.limited = true
		return NotConst
	}
	if v, ok := c.info.Consts[e]; ok {
		if c.prog.Main == nil || c.prog.Main.Extends == nil || c.overrideIn(e).orig == nil {
			return v
		}
		// A constant the composed policy replaces (§8.3): its value
		// is the replacement's, in the parent's functions too.
		if v, ok := c.derivedValue(e); ok {
			return v
		}
		return NotConst
	}
	switch e := e.(type) {
	case *ParenExpr:
		return c.constArg(e.X, depth+1)
	case *CallExpr:
		return c.foldCall(e, depth)
	case *UnaryExpr:
		return c.foldUnary(e, depth)
	case *BinaryExpr:
		return c.foldOperator(e, depth)
	case *Ident:
		switch o := c.info.Uses[e]; {
		case o == nil:
		case o.Kind == ObjEnum:
			return e.Name
		case o.Kind == ObjVar:
			if v, ok := c.constEnv[o]; ok {
				return v // reportFnConstCalls's parameters and lets
			}
		case o.Kind == ObjConst:
			if d, ok := c.derived(o).Decl.(*ConstDecl); ok {
				return c.constArg(d.Value, depth+1)
			}
		}
	case *ListLit:
		l := make(ConstList, len(e.Elems))
		for i, x := range e.Elems {
			if l[i] = c.constArg(x, depth+1); l[i] == NotConst {
				return NotConst
			}
		}
		return l
	case *BraceLit:
		if _, isMap := c.info.Lits[e].(*Map); !isMap {
			return NotConst
		}
		m := ConstMap{Keys: make([]ConstValue, len(e.Entries)), Values: make([]ConstValue, len(e.Entries))}
		for i, en := range e.Entries {
			m.Keys[i], m.Values[i] = c.constArg(en.Key, depth+1), c.constArg(en.Value, depth+1)
			if m.Keys[i] == NotConst {
				return NotConst
			}
		}
		return m
	}
	return NotConst
}

// foldCall is the value of a call of a pure builtin whose arguments are
// constant (constArg), as the Universe's Fold computes it, NotConst for
// any other call, one whose value is not a ConstValue (a Decision) and
// one that fails or needs more than Fold's budget. Calls are folded once
// (c.folded): a chain to(t).tag(k, v).tag(…) asks for its receivers again
// at each step.
func (c *checker) foldCall(e *CallExpr, depth int) ConstValue {
	call := c.info.Calls[e]
	if c.u == nil || c.u.Fold == nil || call == nil || call.Kind != CallBuiltin || !call.Builtin.Pure || !constType(c.info.Types[e], 0) {
		return NotConst
	}
	if len(c.constEnv) > 0 {
		return c.foldCall0(call, depth) // its value may depend on the environment
	}
	if v, ok := c.folded[e]; ok {
		return v
	}
	v := c.foldCall0(call, depth)
	if c.folded == nil {
		c.folded = map[*CallExpr]ConstValue{}
	}
	c.folded[e] = v
	return v
}

func (c *checker) foldCall0(call *Call, depth int) ConstValue {
	vals, types := make([]ConstValue, len(call.Args)), make([]Type, len(call.Args))
	for i, a := range call.Args {
		if a == nil {
			continue // an omitted optional parameter: none
		}
		if vals[i] = c.constArg(a, depth+1); vals[i] == NotConst {
			return NotConst
		}
		types[i] = c.info.Types[a]
		// A value folded once may be named many times in a list
		// ([R, R, R]): Fold is given all of them.
		if !c.spend(constSize(vals[i], c.constWork)) {
			return NotConst
		}
	}
	if len(c.constEnv) > 0 {
		// Not kept (foldCall): each call of a function folds its
		// body's calls again.
		if c.walkFolds >= maxWalkFolds {
			c.limited = true
			return NotConst
		}
		c.walkFolds++
	}
	left := FoldFuel - c.foldFuel
	if left <= 0 {
		c.limited = true
		return NotConst
	}
	v, spent, ok := c.u.Fold(call.Builtin, vals, types, left)
	c.foldFuel += spent
	if !ok {
		if spent >= left {
			c.limited = true // maybe the check's budget, not the call's
		}
		return NotConst
	}
	return v
}

// constType reports whether values of t are ConstValues: scalars, enum
// members, optionals, lists and maps of them; not records.
func constType(t Type, depth int) bool {
	if depth > maxConstDepth {
		return false
	}
	switch t := t.(type) {
	case *Basic:
		return t.Kind != Invalid && t.Kind != Void
	case *Enum:
		return true
	case *Optional:
		return constType(t.Elem, depth+1)
	case *List:
		return constType(t.Elem, depth+1)
	case *Map:
		return constType(t.Key, depth+1) && constType(t.Elem, depth+1)
	}
	return false
}

// foldUnary is the value of ! or - over a constant (constArg), as the
// checker folds them over literals (unary).
func (c *checker) foldUnary(e *UnaryExpr, depth int) ConstValue {
	switch x := c.constArg(e.X, depth+1).(type) {
	case bool:
		if e.Op == "!" {
			return !x
		}
	case int64:
		if e.Op == "-" && x != math.MinInt64 {
			return -x
		}
	case float64:
		if e.Op == "-" {
			return -x
		}
	}
	return NotConst
}

// foldOperator is the value of a binary operator over constants
// (constArg), as the checker folds it over literals (foldBinary), and of
// ?? over a constant optional.
func (c *checker) foldOperator(e *BinaryExpr, depth int) ConstValue {
	x := c.constArg(e.X, depth+1)
	if x == NotConst {
		return NotConst
	}
	if e.Op == "??" {
		if x != nil {
			return x
		}
		return c.constArg(e.Y, depth+1)
	}
	y := c.constArg(e.Y, depth+1)
	if y == NotConst {
		return NotConst
	}
	if a, ok := x.(string); ok && e.Op == "+" {
		// Each string built costs its bytes, 256 a unit of the
		// evaluation's work: [s + "x", s + "x", …] of a long s holds
		// them all.
		if b, ok := y.(string); ok && (len(a)+len(b) > maxFoldBytes || !c.spend((len(a)+len(b))/256)) {
			return NotConst
		}
	}
	if a, ok := x.(float64); ok {
		if b, ok := y.(float64); ok && !c.constOperands(e) {
			if r, ok := runFloat(e.Op, a, b); ok {
				return r
			}
		}
	}
	v, ok, _ := foldBinary(e.Op, c.info.Types[e.X], c.info.Types[e.Y], x, y)
	if !ok {
		return NotConst
	}
	return v
}

// constOperands reports whether both operands of e are constants the
// checker folded: e, not folded, is then a constant expression it refused
// (RPL315, 1e308 * 10.0), which never runs, so has no value to judge.
func (c *checker) constOperands(e *BinaryExpr) bool {
	_, x := c.info.Consts[e.X]
	_, y := c.info.Consts[e.Y]
	return x && y
}

// runFloat is float arithmetic as the machine does it: a result that
// overflows is an infinity, 0 times one is NaN (where a constant
// declaration's is RPL315), and only a division by zero fails. So a call
// given such a value (int(float(1) * 1e308 * 10.0)) is judged as it runs.
func runFloat(op string, a, b float64) (float64, bool) {
	switch op {
	case "+":
		return a + b, true
	case "-":
		return a - b, true
	case "*":
		return a * b, true
	case "/":
		return a / b, b != 0
	}
	return 0, false
}

// constCheck warns (RPL326) of a call of b, named name as written, whose
// constant arguments b's ConstCheck refuses: the call can only fail when
// it runs. args are the call's, one per parameter (Call.Args). It is a
// warning, not an error: the call may sit in code that never runs, and a
// policy that built before still builds. An argument that names a
// constant has the constant's declaration as its related location.
func (c *checker) constCheck(name string, b *Builtin, args []Expr) {
	if c.checkLater(name, b, args) {
		return
	}
	vals := make([]ConstValue, len(args))
	known := false
	for i, a := range args {
		vals[i] = c.constValue(a)
		known = known || vals[i] != NotConst
	}
	if !known {
		return
	}
	c.catalogueCheck(b, args, vals)
	i, why := b.ConstCheck(vals)
	if why == "" || i < 0 || i >= len(args) || args[i] == nil {
		return
	}
	if ov := c.overrideIn(args[i]); ov.orig != nil {
		// Only with the composed policy's constants (checkOverriddenCalls).
		p := b.Type.Params[i].Name
		d := c.atOverride(ov, CodeAlwaysFails, "%s(…) at %s always fails when it runs: %s", name, c.relPos(ov.by, c.file, args[i].Span().Start), why)
		d.Related = []Related{{File: c.file.File, Span: args[i].Span(), Message: name + "(…)'s " + p + ", which reads " + ov.by.Name}}
		return
	}
	d := c.errAt(args[i], CodeAlwaysFails, "%s(…) always fails when it runs: %s", name, why)
	if o := c.namedConst(args[i]); o != nil {
		d.Related = c.declaredAt(o, o.Name+" declared here")
	}
}

// namedConst is the constant that e, parenthesised or not, names (a
// module's too), nil when e names none.
func (c *checker) namedConst(e Expr) *Object {
	for {
		p, ok := e.(*ParenExpr)
		if !ok {
			break
		}
		e = p.X
	}
	var id *Ident
	switch e := e.(type) {
	case *Ident:
		id = e
	case *SelectorExpr:
		id = e.Sel
	default:
		return nil
	}
	if o := c.derived(c.info.Uses[id]); o != nil && o.Kind == ObjConst && o.Decl != nil {
		return o // the declaration whose value the composed policy uses
	}
	return nil
}

// A value through the policy's functions: fn f(t: string) = to(t) called
// as f(""). Once every body is checked, reportFnConstCalls follows each
// call of a policy's function that has a constant argument into the
// function's body, its parameters bound to the call's constants, and
// judges the builtin calls the body always makes (not those in an if's or
// match's branches, in a lambda, right of && || ??, or after a return
// that may come first) as constCheck does. A call that fails only with
// the call's constants is reported at the call, RPL326, with the builtin
// call as a related location. It follows calls of functions in the body
// the same way, maxFnDepth deep, and visits at most fnWalkBudget nodes
// in a check: no more than a bounded look through the call.

// maxFnDepth bounds the functions a value is followed through: f calling
// g calling to is 2.
const maxFnDepth = 3

// fnWalkBudget bounds the expressions reportFnConstCalls visits in one
// check, the builtin calls it judges included.
const fnWalkBudget = 1 << 16

// fnCall is a call of a policy's function, in file, recorded for
// reportFnConstCalls.
type fnCall struct {
	e    *CallExpr
	call *Call
	file *FileNode
}

// fnWalk is the state of following one call through the bodies.
type fnWalk struct {
	c *checker
	// env binds the parameters and lets of the functions walked to the
	// values the call gives them; base to those they have whatever the
	// call gives (NotConst, absent, for what the call's constants make).
	// A builtin call that fails with env but not with base fails because
	// of the call.
	env, base map[*Object]ConstValue
	hops      []fnHop // the calls followed, outermost first
	depth     int
	budget    *int
	// what was found: the builtin call, its failing argument and why.
	b     *Builtin
	arg   Expr
	param string // the builtin's parameter arg is given to
	why   string
}

// fnHop is a call followed: the call, made in the body of in (nil for the
// reported call), of fn.
type fnHop struct {
	e  *CallExpr
	in *Object
	fn *Object
}

// walkStep is what walking code did: went on, returned from the function
// (what follows may not run), or stopped the walk.
type walkStep int

const (
	walkOn walkStep = iota
	walkReturned
	walkStopped
)

// reportFnConstCalls reports, RPL326, the calls of the policy's functions
// whose constant arguments reach a builtin that always refuses them.
func (c *checker) reportFnConstCalls() {
	budget := fnWalkBudget - c.fnWalkUsed
	defer func() { c.fnWalkUsed = fnWalkBudget - budget }()
	for _, fc := range c.fnCalls {
		if budget <= 0 {
			c.limited = true
			return
		}
		w := &fnWalk{c: c, env: map[*Object]ConstValue{}, base: map[*Object]ConstValue{}, budget: &budget}
		if !w.enter(fc.e, fc.call, nil) || w.b == nil {
			continue
		}
		c.reportFnConstCall(fc, w)
	}
}

func (c *checker) reportFnConstCall(fc fnCall, w *fnWalk) {
	names := make([]string, len(w.hops))
	var related []Related
	for i, h := range w.hops {
		names[i] = h.fn.Name
		if h.in != nil {
			related = append(related, Related{File: c.fileOf(h.in), Span: h.e.Span(), Message: h.fn.Name + "(…) called here, in " + h.in.Name})
		}
	}
	in := w.hops[len(w.hops)-1].fn
	name := w.b.QualifiedName()
	related = append(related, Related{File: c.fileOf(in), Span: w.arg.Span(), Message: name + "(…)'s " + w.param + " here, in " + in.Name})
	d := c.errorf(fc.file.File, fc.e.Span(), CodeAlwaysFails, "%s(…), reached through %s, always fails when it runs: %s", name, strings.Join(names, " and "), w.why)
	d.Related = related
}

// enter follows the call e of a policy's function (call) made in the
// body of in (nil for the reported call), its arguments valued with the
// walk's environments. It reports whether the walk stopped; a stopped
// walk that found what fails has w.b set.
func (w *fnWalk) enter(e *CallExpr, call *Call, in *Object) bool {
	c := w.c
	fn := call.Func
	if call.Kind != CallFunc || fn == nil {
		return false
	}
	d, ok := fn.Decl.(*FuncDecl)
	if !ok || d.Body == nil || c.derived(fn) != fn || w.depth >= maxFnDepth || len(d.Params) != len(call.Args) {
		return false // the run may call another function (an override)
	}
	env, base := map[*Object]ConstValue{}, map[*Object]ConstValue{}
	given := false
	for i, a := range call.Args {
		p := c.info.Defs[d.Params[i].Name]
		if a == nil || p == nil {
			continue
		}
		v := w.value(a, w.env)
		if v == NotConst {
			continue
		}
		env[p] = v
		// The reported call's arguments are what it gives; a call
		// followed from there gives what it is given.
		if bv := w.value(a, w.base); in != nil && bv != NotConst {
			base[p] = bv
		} else {
			given = true
		}
	}
	if !given {
		return false // nothing the call gives is known only from it
	}
	savedEnv, savedBase := w.env, w.base
	w.env, w.base = env, base
	w.hops = append(w.hops, fnHop{e: e, in: in, fn: fn})
	w.depth++
	step := w.expr(d.Body, fn)
	w.depth--
	w.env, w.base = savedEnv, savedBase
	if step == walkStopped {
		return true
	}
	w.hops = w.hops[:len(w.hops)-1]
	return false
}

// value is constArg's value of e with the parameters and lets of env.
func (w *fnWalk) value(e Expr, env map[*Object]ConstValue) ConstValue {
	saved := w.c.constEnv
	w.c.constEnv = env
	v := w.c.constValue(e)
	w.c.constEnv = saved
	return v
}

// expr walks e, in the body of fn, in the order it runs, down to what
// always runs when e does.
func (w *fnWalk) expr(e Expr, fn *Object) walkStep {
	if e == nil {
		return walkOn
	}
	if *w.budget--; *w.budget <= 0 {
		w.c.limited = true
		return walkStopped
	}
	c := w.c
	switch e := e.(type) {
	case *ParenExpr:
		return w.expr(e.X, fn)
	case *UnaryExpr:
		return w.expr(e.X, fn)
	case *SelectorExpr:
		return w.expr(e.X, fn)
	case *BinaryExpr:
		if s := w.expr(e.X, fn); s != walkOn {
			return s
		}
		if e.Op == "&&" || e.Op == "||" || e.Op == "??" {
			return branchStep(e.Y) // c || { return d } may end the function
		}
		return w.expr(e.Y, fn)
	case *IndexExpr:
		if s := w.expr(e.X, fn); s != walkOn {
			return s
		}
		return w.expr(e.Index, fn)
	case *ListLit:
		for _, x := range e.Elems {
			if s := w.expr(x, fn); s != walkOn {
				return s
			}
		}
	case *BraceLit:
		for _, en := range e.Entries {
			if _, isName := en.Key.(*Ident); !isName {
				if s := w.expr(en.Key, fn); s != walkOn {
					return s
				}
			}
			if s := w.expr(en.Value, fn); s != walkOn {
				return s
			}
		}
	case *IfExpr:
		if s := w.expr(e.Cond, fn); s != walkOn {
			return s
		}
		return branchStep(e)
	case *MatchExpr:
		if s := w.expr(e.Subject, fn); s != walkOn {
			return s
		}
		return branchStep(e)
	case *BlockExpr:
		return w.block(e, fn)
	case *CallExpr:
		call := c.info.Calls[e]
		if call == nil {
			return walkOn
		}
		for _, a := range call.Args {
			if _, isLambda := a.(*LambdaExpr); isLambda {
				continue
			}
			if s := w.expr(a, fn); s != walkOn {
				return s
			}
		}
		switch {
		case call.Kind == CallBuiltin && call.Builtin.ConstCheck != nil:
			return w.judge(call)
		case call.Kind == CallFunc:
			if w.enter(e, call, fn) {
				return walkStopped
			}
		}
	}
	return walkOn
}

// block walks the statements of b up to its first return.
func (w *fnWalk) block(b *BlockExpr, fn *Object) walkStep {
	for _, st := range b.Stmts {
		switch st := st.(type) {
		case *LetStmt:
			if s := w.expr(st.Value, fn); s != walkOn {
				return s
			}
			if o := w.c.info.Defs[st.Name]; o != nil {
				if v := w.value(st.Value, w.env); v != NotConst {
					w.env[o] = v
				}
				if v := w.value(st.Value, w.base); v != NotConst {
					w.base[o] = v
				}
			}
		case *ReturnStmt:
			if s := w.expr(st.Value, fn); s != walkOn {
				return s
			}
			return walkReturned
		case *ExprStmt:
			if s := w.expr(st.X, fn); s != walkOn {
				return s
			}
		default:
			return walkReturned // not followed: stop here
		}
	}
	return walkOn
}

// branchStep is what an if or match whose branches are not walked, or
// the right operand of && || ??, does to the walk: a return in it may end
// the function there.
func branchStep(n Node) walkStep {
	ret := false
	Inspect(n, func(x Node) bool {
		if _, ok := x.(*ReturnStmt); ok {
			ret = true
		}
		return !ret
	})
	if ret {
		return walkReturned
	}
	return walkOn
}

// judge asks the builtin's ConstCheck about call, a call the walk always
// makes, with the arguments' values given the call followed (env) and
// whatever it gives (base).
func (w *fnWalk) judge(call *Call) walkStep {
	*w.budget -= len(call.Args)
	vals, bases := make([]ConstValue, len(call.Args)), make([]ConstValue, len(call.Args))
	known := false
	for i, a := range call.Args {
		vals[i], bases[i] = w.value(a, w.env), w.value(a, w.base)
		known = known || vals[i] != NotConst
	}
	if !known {
		return walkOn
	}
	b := call.Builtin
	if _, why := b.ConstCheck(bases); why != "" {
		return walkStopped // it fails whatever the call gives: reported where that is known
	}
	i, why := b.ConstCheck(vals)
	if why == "" || i < 0 || i >= len(call.Args) || call.Args[i] == nil {
		return walkOn
	}
	w.b, w.arg, w.param, w.why = b, call.Args[i], b.Type.Params[i].Name, why
	return walkStopped
}

// catalogueCheck warns (RPL221) of each constant target of a call of b
// that the catalogue (Config.Catalogue) does not list: to's and
// fallback's target, the keys of weighted's split (at each key of its
// literal). vals are args' constant values (constValue).
func (c *checker) catalogueCheck(b *Builtin, args []Expr, vals []ConstValue) {
	if c.cfg.Catalogue == nil || b.Module != "" {
		return
	}
	switch b.Name {
	case "to", "fallback":
		i := 0
		if b.Name == "fallback" {
			i = 1 // fallback(d, target, …)
		}
		if i < len(vals) {
			if s, ok := vals[i].(string); ok {
				c.unknownTarget(args[i], s)
			}
		}
	case "weighted":
		m, ok := vals[0].(ConstMap)
		if !ok {
			return
		}
		lit, _ := Unparen(args[0]).(*BraceLit)
		for j, k := range m.Keys {
			if s, ok := k.(string); ok {
				at := args[0]
				if lit != nil && j < len(lit.Entries) {
					at = lit.Entries[j].Key
				}
				c.unknownTarget(at, s)
			}
		}
	}
}

// unknownTarget warns (RPL221) of target, the constant value of at, when
// the catalogue lists neither it nor, for a provider alone, a model of
// that provider; with the nearest target, which a fix writes where at is
// a string literal, and the constant at names as a related location.
func (c *checker) unknownTarget(at Expr, target string) {
	if c.catalogue == nil {
		c.catalogue = make(map[string]bool, len(c.cfg.Catalogue))
		for _, t := range c.cfg.Catalogue {
			c.catalogue[t] = true
			if p, _, ok := strings.Cut(t, ":"); ok {
				c.catalogue[p] = true // a provider alone
			}
		}
	}
	if target == "" || c.catalogue[target] {
		return
	}
	var d *Diagnostic
	if ov := c.overrideIn(at); ov.orig != nil {
		// Only with the composed policy's constants (checkOverriddenCalls).
		d = c.atOverride(ov, CodeNotInCatalogue, "target %s at %s is not in the catalogue (catalogue.json)", strconv.Quote(target), c.relPos(ov.by, c.file, at.Span().Start))
		d.Related = []Related{{File: c.file.File, Span: at.Span(), Message: "the target, which reads " + ov.by.Name}}
	} else {
		d = c.errAt(at, CodeNotInCatalogue, "target %s is not in the catalogue (catalogue.json)", strconv.Quote(target))
	}
	if best := Nearest(target, c.cfg.Catalogue); best != "" {
		d.Message += " (did you mean " + strconv.Quote(best) + "?)"
		if lit, ok := Unparen(at).(*BasicLit); ok && lit.Kind == LitString {
			d.Fixes = append(d.Fixes, Fix{Title: "change the target to " + best, Span: lit.Span(), NewText: strconv.Quote(best)})
		}
	}
	if o := c.namedConst(at); o != nil && d.Related == nil {
		d.Related = c.declaredAt(o, o.Name+" declared here")
	}
}
