package lang

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rpl-lang/rpl/internal/textcut"
)

// call types a call: of a user function, a builtin (possibly overloaded,
// possibly method-style), a module member, or the parent policy's version
// of a function through super.
func (c *checker) call(e *CallExpr, want Type) Type {
	var receiver Expr
	var cands []*Builtin
	var fn *Object
	kind := CallFunc
	name := exprString(e.Fun)

	switch f := e.Fun.(type) {
	case *Ident:
		o := c.lookup(f.Name)
		if o == nil {
			c.undefined(f, f.Name)
			c.skipArgs(e)
			return Typ[Invalid]
		}
		c.use(f, o)
		switch o.Kind {
		case ObjFunc:
			fn = o
		case ObjBuiltin:
			cands = o.Overloads
		default:
			if o.Kind != ObjVar || !IsInvalid(o.Type) { // an invalid type was reported (RPL323: a parameter of a function type)
				c.errAt(f, CodeNotCallable, "cannot call %s: %s is a %s%s", f.Name, f.Name, o.Kind, c.continued(f, e.Lparen, "("))
			}
			c.skipArgs(e)
			return Typ[Invalid]
		}
	case *SelectorExpr:
		if id, ok := f.X.(*Ident); ok && id.Name == "super" {
			kind = CallSuper
			o := c.superFunc(id, f.Sel)
			if o == nil {
				c.skipArgs(e)
				return Typ[Invalid]
			}
			c.use(f.Sel, o)
			if c.superCalled == nil {
				c.superCalled = map[*Object]bool{}
			}
			c.superCalled[o] = true
			fn = o
			break
		}
		if id, ok := f.X.(*Ident); ok {
			if o := c.lookup(id.Name); o != nil && o.Kind == ObjModule {
				c.use(id, o)
				if brokenModule(o) { // its import failed, reported
					c.skipArgs(e)
					return Typ[Invalid]
				}
				if o.Module == nil {
					m := c.u.Modules[o.StdModule].Lookup(f.Sel.Name)
					if m == nil {
						c.errSuggest(f.Sel, CodeUndefined, f.Sel.Name, c.u.Modules[o.StdModule].Names(), "undefined: %s.%s", id.Name, f.Sel.Name)
						c.skipArgs(e)
						return Typ[Invalid]
					}
					c.use(f.Sel, m)
					cands = m.Overloads
				} else {
					m := o.Module.Scope.Lookup(f.Sel.Name)
					if m == nil {
						c.errSuggest(f.Sel, CodeUndefined, f.Sel.Name, o.Module.Scope.Names(), "undefined function: %s.%s%s", id.Name, f.Sel.Name, inherited(o.Module, id.Name, f.Sel.Name))
						c.skipArgs(e)
						return Typ[Invalid]
					}
					if m.Kind != ObjFunc {
						// A member that is no function (lib.limit(), a
						// constant or a type) is there, as a local one is:
						// calling it is RPL303, not RPL200.
						c.use(f.Sel, m)
						c.errAt(f, CodeNotCallable, "cannot call %s.%s: %s.%s is a %s%s", id.Name, f.Sel.Name, id.Name, f.Sel.Name, m.Kind, c.continued(f, e.Lparen, "("))
						c.skipArgs(e)
						return Typ[Invalid]
					}
					c.use(f.Sel, m)
					fn = m
				}
				break
			}
		}
		// Method-style call of a builtin: x.f(args) is f(x, args).
		xt := c.expr(f.X, nil)
		if IsInvalid(xt) {
			c.skipArgs(e)
			return Typ[Invalid]
		}
		// Fields are never callable, so x.f(…) is always a method call; a
		// field of the same name (Decision.priority) does not hide it.
		o := c.u.Scope.Lookup(f.Sel.Name)
		if r, ok := xt.(*Record); ok && r.FieldIndex(f.Sel.Name) >= 0 && (o == nil || o.Kind != ObjBuiltin) {
			// Builtins only: a near builtin is what was meant (d.tags(…)
			// for d.tag(…)), never another field.
			var builtins []string
			for _, n := range c.methodNames(xt) {
				if r.FieldIndex(n) < 0 {
					builtins = append(builtins, n)
				}
			}
			c.errSuggest(f.Sel, CodeNotCallable, f.Sel.Name, builtins, "cannot call field %s of %s", f.Sel.Name, r)
			c.skipArgs(e)
			return Typ[Invalid]
		}
		if o == nil || o.Kind != ObjBuiltin {
			if fo := c.lookup(f.Sel.Name); fo != nil && fo.Kind == ObjFunc {
				// Method syntax is the builtins' only (§6.10): a
				// policy's function is called with its arguments.
				more := ""
				if len(e.Args) > 0 {
					more = ", …"
				}
				d := c.errAt(f.Sel, CodeUnknownField, "%s has no field or method %s (%s is a function of the policy, which method syntax does not call: write %s(%s%s))", xt, f.Sel.Name, f.Sel.Name, f.Sel.Name, exprString(f.X), more)
				if fx, ok := c.callAsFunction(e, f); ok {
					fx.Title = "call " + f.Sel.Name + "(" + exprString(f.X) + more + ")"
					d.Fixes = append(d.Fixes, fx)
				}
			} else if alias := otherLanguages[f.Sel.Name].to; alias != "" && slices.Contains(c.methodNames(xt), alias) {
				d := c.errAt(f.Sel, CodeUnknownField, "%s has no field or method %s (did you mean %s?)", xt, f.Sel.Name, alias)
				d.Fixes = append(d.Fixes, Fix{Title: "change " + f.Sel.Name + " to " + alias, Span: f.Sel.Span(), NewText: alias})
			} else {
				d := c.errSuggest(f.Sel, CodeUnknownField, f.Sel.Name, c.methodNames(xt), "%s has no field or method %s", xt, f.Sel.Name)
				c.noteHiddenImport(d, f.X, f.Sel.Name)
			}
			c.skipArgs(e)
			return Typ[Invalid]
		}
		c.use(f.Sel, o)
		receiver = f.X
		cands = o.Overloads
		name = f.Sel.Name
	default:
		t := c.expr(e.Fun, nil)
		if !IsInvalid(t) {
			c.errAt(e.Fun, CodeNotCallable, "cannot call %s (type %s)%s", exprString(e.Fun), t, c.continued(e.Fun, e.Lparen, "("))
		}
		c.skipArgs(e)
		return Typ[Invalid]
	}

	if fn != nil {
		c.resolve(fn)
		ft, ok := fn.Type.(*Func)
		if !ok {
			c.skipArgs(e)
			return Typ[Invalid]
		}
		if c.fnObj != nil {
			if c.calls[c.fnObj] == nil {
				c.calls[c.fnObj] = map[*Object]bool{}
			}
			c.calls[c.fnObj][fn] = true
		}
		args, ok := c.bindArgs(e, name, ft, nil)
		call := &Call{Kind: kind, Func: fn, Args: args, Type: ft}
		c.info.Calls[e] = call
		if !ok {
			c.skipUnbound(e, args, ft)
			return ft.Result
		}
		for i, a := range args {
			if a != nil {
				c.exprAs(a, ft.Params[i].Type, what{"argument", ft.Params[i].Name, name})
			}
		}
		if kind == CallFunc {
			c.fnCalls = append(c.fnCalls, fnCall{e: e, call: call, file: c.file})
		}
		if ft.Result == nil {
			return Typ[Invalid]
		}
		return ft.Result
	}
	return c.callBuiltin(e, name, cands, receiver, want)
}

func (c *checker) methodNames(t Type) []string {
	var names []string
	for n, o := range c.u.Scope.objects {
		if o.Kind != ObjBuiltin {
			continue
		}
		for _, b := range o.Overloads {
			if len(b.Type.Params) > 0 && unify(b.Type.Params[0].Type, t, map[*TypeVar]Type{}) {
				names = append(names, n)
				break
			}
		}
	}
	if r, ok := t.(*Record); ok {
		names = append(names, fieldNames(r)...)
	}
	return names
}

// skipArgs checks the arguments of a call that failed, so their own
// errors and uses are still recorded.
func (c *checker) skipArgs(e *CallExpr) {
	from := len(c.diags)
	for _, a := range e.Args {
		if l, ok := a.Value.(*LambdaExpr); ok {
			c.skipLambda(l)
			continue
		}
		c.expr(a.Value, nil)
	}
	// The arguments had no expected type for want of a callee, not of
	// a type written: an empty literal among them ({}, []) is not also
	// RPL314 beside the call's error (cost.month_spend({}) without
	// import "std/cost" is RPL200 alone).
	for _, d := range c.diags[min(from, len(c.diags)):] {
		if d.Code == CodeCannotInfer {
			c.unsaid[d] = true
		}
	}
}

// skipLambda checks the lambda l of a call that failed, its parameters of
// no known type, so that its errors and the locals it uses are recorded:
// a local read only in it was reported unused.
func (c *checker) skipLambda(l *LambdaExpr) {
	ft := &Func{Result: Typ[Invalid]}
	for range l.Params {
		ft.Params = append(ft.Params, &FuncParam{Type: Typ[Invalid]})
	}
	c.record(l, c.lambda(l, ft, ""))
}

// skipUnbound checks the arguments of a call of ft whose arguments did
// not bind (an unknown name, a missing argument), so that their own
// errors and uses are still recorded: each that bound to a parameter with
// that parameter's type expected (fallback(…, on: [], retrys: 1) is no
// empty list without a type), the others without. (It checked only the
// unbound ones, so a local passed to a bound one was reported unused and
// an undefined name there was not reported.)
func (c *checker) skipUnbound(e *CallExpr, bound []Expr, ft *Func) {
	for _, a := range e.Args {
		if l, ok := a.Value.(*LambdaExpr); ok {
			c.skipLambda(l)
			continue
		}
		var want Type
		for i, b := range bound {
			if b == a.Value && i < len(ft.Params) {
				want = partialWant(ft.Params[i].Type)
			}
		}
		c.expr(a.Value, want)
	}
}

// bindArgs maps positional and named arguments onto the parameters of ft.
// receiver, when set, fills the first parameter. It reports arity and
// naming errors and returns one expression per parameter.
func (c *checker) bindArgs(e *CallExpr, name string, ft *Func, receiver Expr) ([]Expr, bool) {
	args := make([]Expr, len(ft.Params))
	ok := true
	next := 0
	if receiver != nil {
		if len(args) == 0 {
			c.errAt(e, CodeArgCount, "%s takes no arguments", name)
			return args, false
		}
		args[0] = receiver
		next = 1
	}
	named := false
	for _, a := range e.Args {
		if a.Name == nil {
			if named {
				c.errAt(a, CodeUnknownArg, "positional argument after named arguments in call to %s", name)
				ok = false
				continue
			}
			if next >= len(args) {
				c.errAt(a, CodeArgCount, "too many arguments in call to %s: want %s", name, sigString(ft))
				return args, false
			}
			if p := ft.Params[next]; p.Optional {
				// An optional parameter is given by name only (§6.10):
				// fallback(t, [timeout], 2) would say nothing of what
				// the 2 is.
				d := c.errAt(a, CodeUnknownArg, "optional parameter %s of %s is given by name: write %s: %s", p.Name, name, p.Name, c.sourceText(a.Value))
				at := a.Span().Start
				d.Fixes = append(d.Fixes, Fix{Title: "name the argument " + p.Name, Span: Span{at, at}, NewText: p.Name + ": "})
				ok = false
				args[next] = a.Value
				next++
				continue
			}
			args[next] = a.Value
			next++
			continue
		}
		named = true
		idx := -1
		for i, p := range ft.Params {
			if p.Name == a.Name.Name {
				idx = i
			}
		}
		if idx < 0 {
			var names []string
			for _, p := range ft.Params {
				names = append(names, p.Name)
			}
			c.errSuggest(a.Name, CodeUnknownArg, a.Name.Name, names, "%s has no parameter %s", name, a.Name.Name)
			ok = false
			continue
		}
		if args[idx] != nil {
			c.errAt(a.Name, CodeUnknownArg, "argument %s given twice in call to %s", a.Name.Name, name)
			ok = false
			continue
		}
		args[idx] = a.Value
	}
	for i, p := range ft.Params {
		if args[i] == nil && !p.Optional {
			c.errAt(e, CodeArgCount, "not enough arguments in call to %s: missing %s (want %s)", name, p.Name, sigString(ft))
			return args, false
		}
	}
	return args, ok
}

// sigString spells a signature without the leading fn: (a: int) -> int.
func sigString(ft *Func) string { return strings.TrimPrefix(ft.String(), "fn") }

// callBuiltin resolves an overloaded builtin call and checks its arguments
// with type-variable inference; lambdas are checked last, with parameter
// types taken from the signature.
func (c *checker) callBuiltin(e *CallExpr, name string, cands []*Builtin, receiver Expr, want Type) Type {
	if len(cands) == 1 {
		return c.applyBuiltin(e, name, cands[0], receiver, want, false)
	}
	// Overloads: type the non-lambda arguments on their own, then pick the
	// first candidate they fit.
	var recvT Type
	if receiver != nil {
		recvT = c.info.Types[receiver]
	}
	argTypes := map[Expr]Type{}
	for _, a := range e.Args {
		if _, ok := a.Value.(*LambdaExpr); !ok {
			argTypes[a.Value] = c.expr(a.Value, nil)
		}
	}
	for _, b := range cands {
		if ok, floats := c.fits(e, b, receiver, recvT, argTypes); ok {
			for _, a := range floats {
				// An int literal where the version takes a float is
				// that float (§4.2): max(x, 0) with x a float.
				c.expr(a, Typ[Float])
			}
			t := c.applyBuiltin(e, name, b, receiver, want, true)
			for _, at := range argTypes {
				if IsInvalid(at) {
					// An argument whose type is unknown (reported: an
					// empty literal, an undefined name) fits any version;
					// the one picked must not report its result type
					// as the wrong one.
					return Typ[Invalid]
				}
			}
			return t
		}
	}
	// A lambda where no version takes a function is refused as such
	// (RPL307), not as a version missing.
	takesFn := false
	for _, b := range cands {
		for _, p := range b.Type.Params {
			if _, ok := p.Type.(*Func); ok {
				takesFn = true
			}
		}
	}
	var lambda *LambdaExpr
	for _, a := range e.Args {
		if l, ok := a.Value.(*LambdaExpr); ok {
			c.skipLambda(l)
			if lambda == nil {
				lambda = l
			}
		}
	}
	if lambda != nil && !takesFn {
		c.errAt(lambda, CodeBadLambda, "no version of %s takes a function: a lambda is not allowed here", name)
		return Typ[Invalid]
	}
	if c.misnamed(e, name, cands, receiver, recvT, argTypes) {
		return Typ[Invalid]
	}
	var sigs []string
	for _, b := range cands {
		sigs = append(sigs, name+strings.TrimPrefix(b.Type.String(), "fn"))
	}
	var have []string
	if recvT != nil {
		have = append(have, recvT.String())
	}
	for _, a := range e.Args {
		if t, ok := argTypes[a.Value]; ok {
			have = append(have, t.String())
		} else {
			have = append(have, "lambda")
		}
	}
	c.errAt(e, CodeMismatch, "no version of %s takes (%s); it takes %s", name, strings.Join(have, ", "), strings.Join(sigs, " or "))
	return Typ[Invalid]
}

// misnamed reports (RPL206) the named arguments of a call of an
// overloaded builtin that fits none of its versions cands when the names
// are at fault: a version fits the arguments once each name it has no
// parameter of is read as the name of its next parameter not otherwise
// given (len(s: [1]) is len(xs: list[T]), max(a: 1, c: 2) max(a: int,
// b: int)), the first such version being the one named; else no version
// has a parameter of some name (the names of all of them suggested). It
// reports false, having said nothing, when every name is some version's.
func (c *checker) misnamed(e *CallExpr, name string, cands []*Builtin, receiver Expr, recvT Type, argTypes map[Expr]Type) bool {
	for _, b := range cands {
		renamed, as := renameArgs(e, b.Type, receiver != nil)
		if len(as) == 0 {
			continue
		}
		if ok, _ := c.fits(renamed, b, receiver, recvT, argTypes); !ok {
			continue
		}
		for _, a := range e.Args {
			if p, ok := as[a]; ok {
				c.errBest(a.Name, CodeUnknownArg, a.Name.Name, Nearest(a.Name.Name, []string{p}), "the version of %s that takes these arguments, %s%s, has no parameter %s", name, name, sigString(b.Type), a.Name.Name)
			}
		}
		return true
	}
	var names []string
	for _, b := range cands {
		for _, p := range b.Type.Params {
			if !slices.Contains(names, p.Name) {
				names = append(names, p.Name)
			}
		}
	}
	found := false
	for _, a := range e.Args {
		if a.Name != nil && !slices.Contains(names, a.Name.Name) {
			c.errSuggest(a.Name, CodeUnknownArg, a.Name.Name, names, "no version of %s has a parameter %s", name, a.Name.Name)
			found = true
		}
	}
	return found
}

// renameArgs is the call e with each named argument that ft has no
// parameter of named after the next parameter of ft not otherwise given
// (the first filled by the receiver, when recv), and what it names each
// (nil when none is renamed or there are not enough parameters left).
func renameArgs(e *CallExpr, ft *Func, recv bool) (*CallExpr, map[*Arg]string) {
	given := make([]bool, len(ft.Params))
	next := 0
	if recv && len(given) > 0 {
		given[0], next = true, 1
	}
	var unknown []*Arg
	for _, a := range e.Args {
		if a.Name == nil {
			if next < len(given) {
				given[next] = true
			}
			next++
			continue
		}
		i := slices.IndexFunc(ft.Params, func(p *FuncParam) bool { return p.Name == a.Name.Name })
		if i < 0 {
			unknown = append(unknown, a)
		} else {
			given[i] = true
		}
	}
	if len(unknown) == 0 {
		return nil, nil
	}
	as := map[*Arg]string{}
	for i, p := range ft.Params {
		if len(as) == len(unknown) {
			break
		}
		if !given[i] {
			as[unknown[len(as)]] = p.Name
		}
	}
	if len(as) < len(unknown) {
		return nil, nil
	}
	r := *e
	r.Args = make([]*Arg, len(e.Args))
	for i, a := range e.Args {
		r.Args[i] = a
		if p, ok := as[a]; ok {
			r.Args[i] = &Arg{Sp: a.Sp, Name: &Ident{Sp: a.Name.Sp, Name: p}, Value: a.Value}
		}
	}
	return &r, as
}

// fits reports, without diagnostics, whether the typed arguments fit b,
// and which int literals among them fit it as floats: an int literal whose
// parameter is a float, or the type variable a float bound (max(x, 0),
// contains(xs, 1) with xs a list[float]), is that float, as it is where a
// float is expected (§4.1, §4.2). The literals are unified last, so that
// the other arguments bind the type variables first.
func (c *checker) fits(e *CallExpr, b *Builtin, receiver Expr, recvT Type, argTypes map[Expr]Type) (bool, []Expr) {
	saved := len(c.diags)
	args, ok := c.bindArgs(e, b.Name, b.Type, receiver)
	c.diags = c.diags[:saved]
	if !ok {
		return false, nil
	}
	subst := map[*TypeVar]Type{}
	var lits []int
	for i, a := range args {
		if a == nil {
			continue
		}
		var t Type
		if a == receiver {
			t = recvT
		} else if at, ok := argTypes[a]; ok {
			t = at
		} else {
			if _, isFn := b.Type.Params[i].Type.(*Func); !isFn {
				return false, nil
			}
			continue
		}
		if IsInvalid(t) {
			continue
		}
		if a != receiver && isBasic(t, Int) && isIntLit(a) {
			lits = append(lits, i)
			continue
		}
		if !unify(b.Type.Params[i].Type, t, subst) {
			return false, nil
		}
	}
	var floats []Expr
	for _, i := range lits {
		pt := b.Type.Params[i].Type
		if unify(pt, Typ[Int], subst) {
			continue
		}
		if !isBasic(Unwrap(apply(pt, subst)), Float) || !unify(pt, Typ[Float], subst) {
			return false, nil
		}
		floats = append(floats, args[i])
	}
	return true, floats
}

// isIntLit reports whether e is an int literal, parenthesised or not (a
// minus folded in, §2.5).
func isIntLit(e Expr) bool {
	for {
		p, ok := e.(*ParenExpr)
		if !ok {
			break
		}
		e = p.X
	}
	l, ok := e.(*BasicLit)
	return ok && l.Kind == LitInt
}

// applyBuiltin checks a call of builtin b. typed says the non-lambda
// arguments were already checked (overload resolution did it).
func (c *checker) applyBuiltin(e *CallExpr, name string, b *Builtin, receiver Expr, want Type, typed bool) Type {
	ft := b.Type
	args, ok := c.bindArgs(e, name, ft, receiver)
	call := &Call{Kind: CallBuiltin, Builtin: b, Args: args}
	c.info.Calls[e] = call
	if !ok {
		c.skipUnbound(e, args, ft)
		if !hasTypeVars(ft.Result) {
			return ft.Result
		}
		return Typ[Invalid]
	}
	subst := map[*TypeVar]Type{}
	// The expected result can bind type variables (to([]) etc.).
	if want != nil && hasTypeVars(ft.Result) {
		trial := map[*TypeVar]Type{}
		if unify(ft.Result, want, trial) {
			for k, v := range trial {
				if !isBasic(v, NoneType) {
					subst[k] = v
				}
			}
		}
	}
	failed := false
	// First pass: everything but lambdas.
	for i, a := range args {
		if a == nil {
			continue
		}
		if _, isLambda := a.(*LambdaExpr); isLambda {
			continue
		}
		pt := apply(ft.Params[i].Type, subst)
		var at Type
		switch {
		case a == receiver || typed:
			at = c.valueType(a)
		case hasTypeVars(pt):
			at = c.expr(a, partialWant(pt))
		default:
			at = c.exprAs(a, pt, what{"argument", ft.Params[i].Name, name})
			continue
		}
		if IsInvalid(at) {
			failed = true
			continue
		}
		if !unify(ft.Params[i].Type, at, subst) {
			c.mismatch(a, at, apply(ft.Params[i].Type, subst), what{"argument", ft.Params[i].Name, name})
			failed = true
		}
	}
	// Second pass: lambdas, whose parameter types are now known.
	for i, a := range args {
		lam, isLambda := a.(*LambdaExpr)
		if !isLambda {
			continue
		}
		pt, isFn := apply(ft.Params[i].Type, subst).(*Func)
		if !isFn {
			c.errAt(lam, CodeBadLambda, "argument %s to %s is not a function: a lambda is not allowed here", ft.Params[i].Name, name)
			failed = true
			continue
		}
		rt := c.lambda(lam, pt, name)
		if IsInvalid(rt) {
			failed = true
			continue
		}
		if !unify(ft.Params[i].Type.(*Func).Result, rt, subst) {
			c.mismatch(lam.Body, rt, apply(pt.Result, subst), what{"lambda passed to", name, ""})
			failed = true
		}
	}
	call.Type = apply(ft, subst).(*Func)
	if !failed && b.ConstCheck != nil {
		c.constCheck(name, b, args)
	}
	if !failed {
		c.stickyWithoutSplit(b, args)
	}
	if !failed && b.Regexp != "" {
		c.regexpBackspace(b, ft, args)
	}
	res := apply(ft.Result, subst)
	if hasTypeVars(res) {
		if !failed {
			c.errAt(e, CodeCannotInfer, "cannot infer the result type of %s: %s", name, res)
		}
		return Typ[Invalid]
	}
	return res
}

// partialWant turns a parameter type with unbound variables into an
// expectation that still guides literals (list[T] → a list, element
// unknown): it drops what is unknown.
func partialWant(t Type) Type {
	if !hasTypeVars(t) {
		return t
	}
	return nil
}

// lambda checks a lambda against the function type pt (whose parameter
// types must be known) and returns its body's type.
func (c *checker) lambda(l *LambdaExpr, pt *Func, callee string) Type {
	if len(l.Params) != len(pt.Params) {
		params := "parameters"
		if len(pt.Params) == 1 {
			params = "parameter"
		}
		c.errAt(l, CodeArgCount, "lambda passed to %s must take %d %s, has %d", callee, len(pt.Params), params, len(l.Params))
		c.record(l, Typ[Invalid])
		return Typ[Invalid]
	}
	scope := NewScope(c.scope, l)
	c.info.Scopes[l] = scope
	for i, p := range l.Params {
		t := pt.Params[i].Type
		if hasTypeVars(t) {
			c.errAt(p, CodeCannotInfer, "cannot infer the type of lambda parameter %s", p.Name)
			t = Typ[Invalid]
		}
		o := &Object{Kind: ObjVar, Name: p.Name, Type: t, Decl: p, Pkg: c.pkg, used: true}
		c.info.Defs[p] = o
		c.declareParam(scope, o, p, "lambda parameter")
	}
	saved := c.scope
	c.scope = scope
	c.inLambda++
	var want Type
	if !hasTypeVars(pt.Result) {
		want = pt.Result
	}
	rt := c.exprOrVoid(l.Body, want)
	switch {
	case want != nil:
		c.requireValue(l.Body, rt, want, what{"lambda passed to", callee, ""})
		if AssignableTo(rt, want) {
			rt = want
		}
	case isBasic(rt, Void):
		c.noValueUsed(l.Body)
	}
	if isBasic(rt, Void) {
		// Reported: the call does not report it again as a lambda of
		// the wrong type (RPL300), nor takes void for its result.
		rt = Typ[Invalid]
	}
	c.inLambda--
	c.scope = saved
	params := make([]*FuncParam, len(l.Params))
	for i := range l.Params {
		params[i] = &FuncParam{Name: l.Params[i].Name, Type: pt.Params[i].Type}
	}
	c.record(l, &Func{Params: params, Result: rt})
	return rt
}

// unify matches pattern (which may hold type variables) against an actual
// type, binding variables in subst. It reports whether actual fits.
func unify(pattern, actual Type, subst map[*TypeVar]Type) bool {
	if IsInvalid(actual) || isBasic(actual, Never) {
		return true
	}
	switch p := pattern.(type) {
	case *TypeVar:
		if bound, ok := subst[p]; ok {
			if AssignableTo(actual, bound) {
				return true
			}
			if u := unifyBranch(bound, actual); u != nil && AssignableTo(bound, u) {
				subst[p] = u
				return true
			}
			return false
		}
		subst[p] = actual
		return true
	case *List:
		a, ok := actual.(*List)
		return ok && unify(p.Elem, a.Elem, subst)
	case *Map:
		a, ok := actual.(*Map)
		return ok && unify(p.Key, a.Key, subst) && unify(p.Elem, a.Elem, subst)
	case *Optional:
		if isBasic(actual, NoneType) {
			return true
		}
		if a, ok := actual.(*Optional); ok {
			return unify(p.Elem, a.Elem, subst)
		}
		return unify(p.Elem, actual, subst)
	case *Func:
		a, ok := actual.(*Func)
		if !ok || len(a.Params) != len(p.Params) {
			return false
		}
		for i := range p.Params {
			if !unify(p.Params[i].Type, a.Params[i].Type, subst) {
				return false
			}
		}
		return unify(p.Result, a.Result, subst)
	}
	return AssignableTo(actual, pattern)
}

// apply substitutes bound type variables in t.
func apply(t Type, subst map[*TypeVar]Type) Type {
	if len(subst) == 0 || !hasTypeVars(t) {
		return t
	}
	switch t := t.(type) {
	case *TypeVar:
		if b, ok := subst[t]; ok {
			return b
		}
		return t
	case *List:
		return &List{Elem: apply(t.Elem, subst)}
	case *Map:
		return &Map{Key: apply(t.Key, subst), Elem: apply(t.Elem, subst)}
	case *Optional:
		e := apply(t.Elem, subst)
		if _, ok := e.(*Optional); ok {
			return e
		}
		return &Optional{Elem: e}
	case *Func:
		f := &Func{Result: apply(t.Result, subst)}
		for _, p := range t.Params {
			f.Params = append(f.Params, &FuncParam{Name: p.Name, Type: apply(p.Type, subst), Optional: p.Optional})
		}
		return f
	}
	return t
}

func hasTypeVars(t Type) bool {
	switch t := t.(type) {
	case *TypeVar:
		return true
	case *List:
		return hasTypeVars(t.Elem)
	case *Map:
		return hasTypeVars(t.Key) || hasTypeVars(t.Elem)
	case *Optional:
		return hasTypeVars(t.Elem)
	case *Func:
		for _, p := range t.Params {
			if hasTypeVars(p.Type) {
				return true
			}
		}
		return hasTypeVars(t.Result)
	}
	return false
}

// superFunc is the function of the extended policy that super.sel names,
// or nil when there is none, reported (RPL209): the policy extends
// nothing, or its parent has no function sel, with a suggestion.
func (c *checker) superFunc(super *Ident, sel *Ident) *Object {
	if c.pkg == nil || c.pkg.Extends == nil {
		if !c.extendsFailed() {
			c.errAt(super, CodeBadSuper, "super used in a policy that extends nothing")
		}
		return nil
	}
	o := c.pkg.Extends.Scope.LookupParent(sel.Name)
	if o != nil && o.Kind == ObjFunc {
		return o
	}
	var fns []string
	for s := c.pkg.Extends.Scope; s != nil; s = s.Parent {
		for _, n := range s.Names() {
			if o := s.Lookup(n); o.Kind == ObjFunc {
				fns = append(fns, n)
			}
		}
	}
	switch {
	case o != nil && o.Kind == ObjBuiltin:
		c.errAt(sel, CodeBadSuper, "the extended policy %s has no function %s: %s is a builtin, called without super: %s(…)", c.pkg.Extends.Name, sel.Name, sel.Name, sel.Name)
	case o != nil && o.Pkg != nil:
		// A constant or type of the parent: there, but no function.
		c.errAt(sel, CodeBadSuper, "the extended policy %s has no function %s: %s is a %s of it, and super calls a function", c.pkg.Extends.Name, sel.Name, sel.Name, o.Kind)
	default:
		c.errSuggest(sel, CodeBadSuper, sel.Name, fns, "the extended policy %s has no function %s", c.pkg.Extends.Name, sel.Name)
	}
	return nil
}

// extendsFailed reports whether the current package has an extends
// clause whose parent did not load (reported at the clause: a file
// missing, a cycle, a standard module or a test file named): super is
// then not said to extend nothing as well. Only the policy's own files
// count: an extends in its test file is an error there (RPL203), and the
// policy still extends nothing.
func (c *checker) extendsFailed() bool {
	if c.pkg == nil {
		return false
	}
	for _, f := range c.pkg.Files {
		if f.Extends != nil && (f.File == nil || !IsTestFile(f.File.Name)) {
			return true
		}
	}
	return false
}

// callAsFunction rewrites the call x.f(args), e of selector f, as
// f(x, args): one edit, from x to just inside the parenthesis. There is
// none when anything but the dot and f, such as a comment, stands between
// x and the parenthesis, which the edit would drop.
func (c *checker) callAsFunction(e *CallExpr, f *SelectorExpr) (Fix, bool) {
	if c.file == nil || c.file.File == nil || f.X == nil || f.Sel == nil {
		return Fix{}, false
	}
	src := c.file.File.Src
	x := f.X.Span()
	if x.Start > x.End || e.Lparen < f.Sel.Span().End || int(e.Lparen) >= len(src) || src[e.Lparen] != '(' {
		return Fix{}, false
	}
	if strings.Join(strings.Fields(string(src[x.End:e.Lparen])), "") != "."+f.Sel.Name {
		return Fix{}, false
	}
	sep := ""
	if len(e.Args) > 0 {
		sep = ", "
	}
	return Fix{Span: Span{x.Start, e.Lparen + 1}, NewText: f.Sel.Name + "(" + string(src[x.Start:x.End]) + sep}, true
}

// maxSourceText is the most bytes of an expression's source that
// sourceText shows.
const maxSourceText = 40

// sourceText is e as written, for a message that suggests an edit around
// it: its first line, at most maxSourceText bytes of it, a cut marked
// with "…"; e's short form (exprString) when its source is not at hand.
func (c *checker) sourceText(e Expr) string {
	sp := e.Span()
	if c.file == nil || c.file.File == nil || !sp.Start.IsValid() || sp.Start > sp.End || int(sp.End) > len(c.file.File.Src) {
		return exprString(e)
	}
	s := string(c.file.File.Src[sp.Start:sp.End])
	cut := false
	end := 0 // of the tokens before a line end or a comment
	for t := range Tokens([]byte(s)) {
		if t.Kind == TokenComment || strings.IndexByte(s[end:t.Span.Start], '\n') >= 0 {
			s, cut = s[:end], true
			break
		}
		if end = int(t.Span.End); end > maxSourceText {
			break // cut below
		}
	}
	if len(s) > maxSourceText {
		s, cut = textcut.Prefix(s, maxSourceText), true
	}
	if cut {
		s += "…"
	}
	return s
}

// noteHiddenImport adds to d, an error about x.sel, that x is a local
// (a let, a parameter, a lambda's parameter) that hides an import of its
// name whose module has a member sel, when it is: let cost = 5 then
// cost.remaining(t) reads the local, an int, where the import "std/cost"
// was meant. The message says so and where the local is declared (a
// related location too), and the import, then unused, says which local
// hides it (reportUnusedImports).
func (c *checker) noteHiddenImport(d *Diagnostic, x Expr, sel string) {
	id, ok := x.(*Ident)
	if !ok || c.scope == nil {
		return
	}
	o := c.scope.LookupParent(id.Name)
	if o == nil || o.Kind != ObjVar {
		return
	}
	s := c.scope
	for s != nil && s.Lookup(id.Name) != o {
		s = s.Parent
	}
	if s == nil {
		return
	}
	m := s.Parent.LookupParent(id.Name)
	if m == nil || m.Kind != ObjModule {
		return
	}
	imp, ok := m.Decl.(*ImportDecl)
	if !ok {
		return
	}
	switch {
	case m.Module != nil && m.Module.Scope.Lookup(sel) != nil:
	case m.Module == nil && m.StdModule != "" && c.u.Modules[m.StdModule].Lookup(sel) != nil:
	default:
		return // no member of the module either
	}
	what := localKind(o)
	at := c.file.File.Position(o.Pos())
	d.Message += fmt.Sprintf(" (%s here is the %s declared on line %d, which hides the import %s: rename the %s)", id.Name, what, at.Line, imp.Path.Raw, what)
	d.Related = append(d.Related, Related{File: c.file.File, Span: Span{o.Pos(), o.Pos() + Pos(len(o.Name))}, Message: fmt.Sprintf("the %s %s, which hides the import %s", what, id.Name, imp.Path.Raw)})
	if c.hiddenImports == nil {
		c.hiddenImports = map[*Object]*Object{}
	}
	if _, ok := c.hiddenImports[m]; !ok {
		c.hiddenImports[m] = o
	}
}

// localKind names what declares o, an ObjVar: a "local" (let), a
// "parameter" or a "lambda's parameter".
func localKind(o *Object) string {
	switch o.Decl.(type) {
	case *Param:
		return "parameter"
	case *Ident:
		return "lambda's parameter"
	}
	return "local"
}

// regexpBackspace warns (RPL327) of a string literal given for b's
// regular expression parameter (Builtin.Regexp) that writes \b: in a
// string, \b is a backspace (language.md §2.7), which a regular
// expression matches as itself, where its word boundary, written \\b in
// a string, was surely meant (matches(m, "\bgpt\b") never matches a
// model name). The warning covers the first \b, and the fix doubles the
// backslash of every \b of the literal. A constant named for the
// argument is followed to its declaration when that is a literal of
// this file.
func (c *checker) regexpBackspace(b *Builtin, ft *Func, args []Expr) {
	i := slices.IndexFunc(ft.Params, func(p *FuncParam) bool { return p.Name == b.Regexp })
	if i < 0 || i >= len(args) || args[i] == nil || c.file == nil {
		return
	}
	arg := withoutParens(args[i])
	if o := c.namedConst(arg); o != nil {
		d, ok := o.Decl.(*ConstDecl)
		if !ok || d.Value == nil || !slices.ContainsFunc(c.file.Decls, func(x Decl) bool { return x == Decl(d) }) {
			return // not this file's literal: the fix could not edit it
		}
		arg = withoutParens(d.Value)
	}
	lit, ok := arg.(*BasicLit)
	if !ok || lit.Kind != LitString {
		return
	}
	raw := lit.Raw
	var at []int // the offsets in raw of its \b escapes
	for j := 1; j < len(raw)-1; {
		if raw[j] != '\\' {
			j++
			continue
		}
		if raw[j+1] == 'b' {
			at = append(at, j)
		}
		_, _, tail, err := strconv.UnquoteChar(raw[j:len(raw)-1], '"')
		if err != nil {
			return // RPL104's
		}
		j = len(raw) - 1 - len(tail)
	}
	if len(at) == 0 {
		return
	}
	start := lit.Sp.Start
	d := c.errorf(c.file.File, Span{start + Pos(at[0]), start + Pos(at[0]+2)}, CodeRegexpBackspace,
		`\b in a string is a backspace, which a regular expression matches as itself: write \\b for its word boundary`)
	var fixed strings.Builder
	from := at[0]
	for _, j := range at {
		fixed.WriteString(raw[from:j])
		fixed.WriteString(`\\b`)
		from = j + 2
	}
	title := `change \b to \\b`
	if len(at) > 1 {
		title = fmt.Sprintf(`change the %d \b to \\b`, len(at))
	}
	d.Fixes = []Fix{{Title: title, Span: Span{start + Pos(at[0]), start + Pos(from)}, NewText: fixed.String()}}
}

// withoutParens is e without the parentheses around it.
func withoutParens(e Expr) Expr {
	for p, ok := e.(*ParenExpr); ok; p, ok = e.(*ParenExpr) {
		e = p.X
	}
	return e
}
