package lang

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
)

// A match used as a value may do without a catch-all arm when its
// unguarded arms cover every value of its subject (RPL305), a constant
// pattern counting for the value it holds. With extends, a policy's
// declaration of a constant replaces its parent's everywhere, in the
// parent's own functions too (language.md §8.3), so a match of the parent
// that its constants made exhaustive may cover less in the composed policy:
// const PREMIUM = false in the child leaves the parent's
// match b { PREMIUM => …, false => … } without an arm for true. The
// checker checks each package once, with its own constants; this file
// checks the matches again with the constants of the composed policy, the
// values the compiler gives them, and reports a match that no longer
// covers every value at the declaration that breaks it.

// exhaustiveMatch is a match used as a value whose unguarded arms cover
// every value of its subject's type st without a catch-all, where it was
// checked: in file, inside the top-level function fn (nil in a test).
type exhaustiveMatch struct {
	e    *MatchExpr
	st   Type
	file *FileNode
	fn   *Object
}

// derived is c.prog.Derived(o).
func (c *checker) derived(o *Object) *Object { return c.prog.Derived(o) }

// override is a constant that the composed policy replaces: orig, the
// declaration an expression reads, and by, the one used instead.
type override struct{ orig, by *Object }

// overrideIn is the first constant that e reads, by name or through the
// value of a constant it names, that the composed policy replaces; the
// zero override when there is none, and e's value is the one the checker
// recorded (Info.Consts).
func (c *checker) overrideIn(e Expr) override {
	kept := chained(e)
	if kept {
		if v, ok := c.overrideExpr[e]; ok {
			return v
		}
	}
	var found override
	Inspect(e, func(n Node) bool {
		if found.orig != nil {
			return false
		}
		if x, ok := n.(Expr); ok && x != e && chained(x) {
			found = c.overrideIn(x)
			return false
		}
		if id, ok := n.(*Ident); ok {
			if o := c.info.Uses[id]; o != nil && o.Kind == ObjConst {
				found = c.constOverride(o)
			}
			return false
		}
		return true
	})
	if kept {
		if c.overrideExpr == nil {
			c.overrideExpr = map[Expr]override{}
		}
		c.overrideExpr[e] = found
	}
	return found
}

// chained reports whether e is a binary operation or a call, the links
// of a chain (a + b + c, to(t).tag(…).tag(…)) that overrideIn is asked
// about at each link: it keeps their answers.
func chained(e Expr) bool {
	switch e.(type) {
	case *BinaryExpr, *CallExpr:
		return true
	}
	return false
}

// constOverride is overrideIn for the constant o.
func (c *checker) constOverride(o *Object) override {
	if d := c.derived(o); d != o {
		return override{o, d}
	}
	if v, ok := c.overrideMemo[o]; ok {
		return v
	}
	if c.overrideMemo == nil {
		c.overrideMemo = map[*Object]override{}
	}
	c.overrideMemo[o] = override{} // a cycle (reported) reads nothing replaced
	var v override
	if d, ok := o.Decl.(*ConstDecl); ok {
		v = c.overrideIn(d.Value)
	}
	c.overrideMemo[o] = v
	return v
}

// derivedValue is the value of the constant expression e in the composed
// policy, its constants read from their derived declarations; ok is false
// when the checker cannot compute it.
func (c *checker) derivedValue(e Expr) (ConstValue, bool) {
	if c.overrideIn(e).orig == nil {
		v, ok := c.info.Consts[e]
		return v, ok
	}
	switch e := e.(type) {
	case *Ident:
		return c.derivedConst(c.info.Uses[e])
	case *SelectorExpr:
		return c.derivedConst(c.info.Uses[e.Sel])
	case *ParenExpr:
		return c.derivedValue(e.X)
	case *UnaryExpr:
		x, ok := c.derivedValue(e.X)
		if !ok {
			return nil, false
		}
		switch v := x.(type) {
		case bool:
			if e.Op == "!" {
				return !v, true
			}
		case int64:
			if e.Op == "-" && v != math.MinInt64 {
				return -v, true
			}
		case float64:
			if e.Op == "-" {
				return -v, true
			}
		}
	case *BinaryExpr:
		if r, ok := c.derivedExpr[e]; ok {
			return r.v, r.ok
		}
		var r derivedResult
		if v, msg := c.derivedFold(e); msg == "" && v != NotConst {
			r = derivedResult{v, true}
		}
		if c.allChecked { // before, a replacement's value may not be known yet
			if c.derivedExpr == nil {
				c.derivedExpr = map[Expr]derivedResult{}
			}
			c.derivedExpr[e] = r
		}
		return r.v, r.ok
	}
	return nil, false
}

// derivedFold is the value of the binary operation e over the values its
// operands have in the composed policy (derivedValue), NotConst when the
// checker cannot compute it, and foldBinary's error when there is one.
func (c *checker) derivedFold(e *BinaryExpr) (ConstValue, string) {
	x, ok1 := c.derivedValue(e.X)
	y, ok2 := c.derivedValue(e.Y)
	if !ok1 || !ok2 {
		return NotConst, ""
	}
	v, ok, msg := foldBinary(e.Op, c.info.Types[e.X], c.info.Types[e.Y], x, y)
	if !ok {
		return NotConst, msg
	}
	return v, ""
}

// derivedConst is the value of the constant o in the composed policy.
func (c *checker) derivedConst(o *Object) (ConstValue, bool) {
	if o == nil || o.Kind != ObjConst {
		return nil, false
	}
	o = c.derived(o)
	if r, ok := c.valueMemo[o]; ok {
		return r.v, r.ok
	}
	if c.valueMemo == nil {
		c.valueMemo = map[*Object]derivedResult{}
	}
	c.valueMemo[o] = derivedResult{} // a cycle (reported) has no value
	var r derivedResult
	if d, ok := o.Decl.(*ConstDecl); ok {
		r.v, r.ok = c.derivedValue(d.Value)
	}
	c.valueMemo[o] = r
	return r.v, r.ok
}

type derivedResult struct {
	v  ConstValue
	ok bool
}

// checkOverriddenMatches reports, for a policy that extends another, each
// match used as a value that the checker found exhaustive with its own
// package's constants but that the composed policy's constants leave
// without an arm for some value (RPL305): at the declaration that
// replaces the constant, with the match as a related location. A match in
// a function the policy replaces is not part of it, unless super calls
// that function.
func (c *checker) checkOverriddenMatches() {
	main := c.prog.Main
	if main == nil || main.Extends == nil {
		return
	}
	seen := map[*MatchExpr]bool{}
	for _, m := range c.exhaustive {
		if seen[m.e] || m.file == nil {
			continue
		}
		seen[m.e] = true
		if m.fn != nil && c.derived(m.fn) != m.fn && !c.superCalled[m.fn] {
			continue
		}
		// Reported at the first replaced constant of a pattern whose value
		// the replacement changes, else of any pattern.
		var ov override
		var pat Expr
		changed := false
		for _, arm := range m.e.Arms {
			if arm.Guard != nil {
				continue
			}
			for _, p := range arm.Patterns {
				o := c.overrideIn(p)
				if o.orig == nil || changed {
					continue
				}
				if ch := c.patternChanged(p); ch || ov.orig == nil {
					ov, pat, changed = o, p, ch
				}
			}
		}
		if ov.orig == nil {
			continue
		}
		missing := c.uncovered(m.e.Arms, m.st, true)
		if len(missing) == 0 {
			continue
		}
		c.reportOverriddenMatch(m, ov, pat, missing)
	}
}

// patternChanged reports whether the composed policy gives the pattern p
// another value than its package does.
func (c *checker) patternChanged(p Expr) bool {
	v, ok := c.derivedValue(p)
	w, wok := c.info.Consts[p]
	if ok != wok || !sameScalar(v, w) {
		return true
	}
	m, ok := c.enumPattern(p, 0, true)
	n, nok := c.enumPattern(p, 0, false)
	return ok != nok || m != n
}

// sameScalar reports whether a and b are the same scalar constant (a
// pattern's value is one).
func sameScalar(a, b ConstValue) bool {
	switch a.(type) {
	case nil, bool, int64, float64, string:
		return a == b
	}
	return false
}

func (c *checker) reportOverriddenMatch(m exhaustiveMatch, ov override, pat Expr, missing []string) {
	by := ov.by
	file := c.fileOf(by)
	at := m.file.File.Position(m.e.Sp.Start)
	where := m.file.File.Name
	if rel, err := filepath.Rel(filepath.Dir(file.Name), where); err == nil {
		where = filepath.ToSlash(rel)
	}
	via := ""
	if name := exprString(pat); name != by.Name && !strings.HasSuffix(name, "."+by.Name) {
		via = fmt.Sprintf(" (its pattern %s reads %s)", name, by.Name)
	}
	values := strings.Join(missing, ", ")
	d := c.errorf(file, Span{by.Pos(), by.Pos() + Pos(len(by.Name))}, CodeNonExhaustive,
		"%s overrides %s.%s, and the match at %s:%d:%d%s no longer covers %s: no arm would apply (a match used as a value must cover every value or have a catch-all arm _ => …)",
		by.Name, ov.orig.Pkg.Name, ov.orig.Name, where, at.Line, at.Col, via, values)
	d.Related = []Related{{File: m.file.File, Span: m.e.Sp, Message: "match without an arm for " + values + " once " + by.Name + " is overridden"}}
}

// recordExhaustive records, for Program.Exhaustive, each match without a
// catch-all arm that covers every value of its subject with the
// constants of the composed policy: the ones the compiler gives them.
func (c *checker) recordExhaustive() {
	for _, m := range c.noCatchAll {
		if len(c.uncovered(m.e.Arms, m.st, true)) == 0 {
			if c.prog.exhaustive == nil {
				c.prog.exhaustive = map[*MatchExpr]bool{}
			}
			c.prog.exhaustive[m.e] = true
		}
	}
}

// reportNoOverride warns of each top-level constant or function of the
// policy file of a policy that extends another (RPL220) that overrides
// nothing (no parent declares its name), is used nowhere in the policy
// or its test file, and whose name is close to that of a parent's
// constant or function that the policy does not override (Nearest, the
// distance of "did you mean"): a misspelled override (rout for route),
// which would silently leave the parent's in place. A helper of a name
// unlike the parents' is not reported, nor one that is used. A check
// that leaves out the test file (Config.NoTests) reports none: the
// tests, which it does not see, may use the declaration.
func (c *checker) reportNoOverride() {
	main := c.prog.Main
	if main == nil || main.Extends == nil || c.cfg.NoTests {
		return
	}
	// The parents' constants and functions, the nearest parent's of a
	// name, that the policy does not override.
	parents := map[string]*Object{}
	var names []string
	for p := main.Extends; p != nil; p = p.Extends {
		for _, f := range p.Files {
			if IsTestFile(f.File.Name) {
				continue
			}
			for _, d := range f.Decls {
				var id *Ident
				switch d := d.(type) {
				case *ConstDecl:
					id = d.Name
				case *FuncDecl:
					id = d.Name
				}
				if id == nil || parents[id.Name] != nil || main.Scope.Lookup(id.Name) != nil {
					continue
				}
				if o := c.info.Defs[id]; o != nil {
					parents[id.Name] = o
					names = append(names, id.Name)
				}
			}
		}
	}
	if len(names) == 0 {
		return
	}
	used := map[*Object]bool{}
	for _, o := range c.info.Uses {
		used[o] = true
	}
	f := main.Files[0]
	for _, d := range f.Decls {
		var id *Ident
		switch d := d.(type) {
		case *ConstDecl:
			if !d.Guessed {
				id = d.Name
			}
		case *FuncDecl:
			if !d.Guessed {
				id = d.Name
			}
		}
		if id == nil {
			continue
		}
		o := c.info.Defs[id]
		if o == nil || used[o] || overrides(main, id.Name) {
			continue
		}
		best := Nearest(id.Name, names)
		if best == "" {
			continue
		}
		po := parents[best]
		pf := c.fileOf(po)
		where := pf.Name
		if rel, err := filepath.Rel(filepath.Dir(f.File.Name), where); err == nil {
			where = filepath.ToSlash(rel)
		}
		at := pf.Position(po.Pos())
		d := c.errorf(f.File, id.Sp, CodeNoOverride, "%s overrides nothing and is not used: did you mean %s (declared in parent %s at %s:%d)?", id.Name, best, po.Pkg.Name, where, at.Line)
		d.Fixes = append(d.Fixes, Fix{Title: "change " + id.Name + " to " + best, Span: id.Sp, NewText: best})
		d.Related = []Related{{File: pf, Span: Span{po.Pos(), po.Pos() + Pos(len(best))}, Message: "the parent's " + po.Kind.String() + " " + best}}
	}
}

// overrides reports whether main's declaration of name overrides one of
// a parent: a parent declares name, outside its test file.
func overrides(main *Package, name string) bool {
	for p := main.Extends; p != nil; p = p.Extends {
		if o := p.Scope.Lookup(name); o != nil && !p.testDecl(o) {
			return true
		}
	}
	return false
}

// A constant operation of a parent may overflow or divide by zero with
// the constants of the composed policy alone: const PER = 100 / LIMIT in
// the parent, const LIMIT = 0 in the child. The checker folds each
// operation with its own package's constants (RPL315 for one that fails
// there); checkOverriddenFolds folds again those that read a constant
// the composed policy replaces, with the values the compiler gives them,
// and reports one that fails at the declaration that breaks it, as
// checkOverriddenMatches reports a match: it is the child's value that
// is wrong for the parent, the file its author is editing, and an
// operation of the parent that is right on its own is not where the
// change has to be made. checkOverriddenCalls does the same for a
// builtin call that then always fails (RPL326).

// foldSite is a constant operation (a binary arithmetic operator, or
// unary -) folded in file, in the top-level function fn or the value of
// the constant cnst (both nil in a test).
type foldSite struct {
	e        Expr
	file     *FileNode
	fn, cnst *Object
}

// noteFold records the constant operation e, just folded, for
// checkOverriddenFolds: in a policy that extends another only.
func (c *checker) noteFold(e Expr) {
	if main := c.prog.Main; main != nil && main.Extends != nil {
		c.folds = append(c.folds, foldSite{e, c.file, c.fnObj, c.constObj})
	}
}

// replaced reports whether the composed policy leaves out the code of
// the top-level function fn or constant cnst: another declaration of its
// name replaces it, and super does not call the function.
func (c *checker) replaced(fn, cnst *Object) bool {
	if fn != nil && c.derived(fn) != fn && !c.superCalled[fn] {
		return true
	}
	return cnst != nil && c.derived(cnst) != cnst
}

// checkOverriddenFolds reports each constant operation that succeeds with
// its package's constants but overflows or divides by zero with the
// composed policy's (RPL315), at the declaration that replaces the
// constant it reads (the divisor's first), with the operation as a
// related location. An operation whose operand fails already is not
// reported again.
func (c *checker) checkOverriddenFolds() {
	for _, s := range c.folds {
		if c.overrideIn(s.e).orig == nil || c.replaced(s.fn, s.cnst) {
			continue
		}
		var msg string
		var ov override
		operand := s.e // the operand that reads the replacement
		switch e := s.e.(type) {
		case *BinaryExpr:
			if _, msg = c.derivedFold(e); msg == msgDivZero {
				if ov = c.overrideIn(e.Y); ov.orig != nil {
					operand = e.Y
				}
			}
		case *UnaryExpr:
			if v, ok := c.derivedValue(e.X); ok && v == ConstValue(int64(math.MinInt64)) {
				msg = outOfRange(kindOf(c.info.Types[e]))
			}
		}
		if msg == "" {
			continue
		}
		if ov.orig == nil {
			ov = c.overrideIn(s.e)
		}
		where := c.relPos(ov.by, s.file, s.e.Span().Start)
		if !c.names(operand, ov.orig) {
			where += fmt.Sprintf(" (%s reads %s)", exprString(operand), ov.by.Name)
		}
		text := exprString(s.e)
		var d *Diagnostic
		if msg == msgDivZero {
			d = c.atOverride(ov, CodeConstOverflow, "%s in constant expression %s at %s", msg, text, where)
		} else {
			d = c.atOverride(ov, CodeConstOverflow, "constant expression %s at %s is %s", text, where, msg)
		}
		d.Related = []Related{{File: s.file.File, Span: s.e.Span(), Message: msg + " once " + ov.by.Name + " is overridden"}}
	}
}

// names reports whether e names the constant o itself (not through
// another constant's value).
func (c *checker) names(e Expr, o *Object) bool {
	found := false
	Inspect(e, func(n Node) bool {
		if id, ok := n.(*Ident); ok && c.info.Uses[id] == o {
			found = true
		}
		return !found
	})
	return found
}

// laterCheck is a call of the builtin b, named name as written, in file,
// in the top-level function fn or constant cnst, whose constant arguments
// read a constant the composed policy replaces.
type laterCheck struct {
	name     string
	b        *Builtin
	args     []Expr
	file     *FileNode
	fn, cnst *Object
}

// checkLater reports whether the constCheck of a call of b with args is
// to wait until every package is checked: an argument reads a constant
// that the composed policy replaces, whose value the checker may not have
// checked yet. It records the call for checkOverriddenCalls.
func (c *checker) checkLater(name string, b *Builtin, args []Expr) bool {
	if main := c.prog.Main; c.allChecked || main == nil || main.Extends == nil {
		return false
	}
	for _, a := range args {
		if a != nil && c.overrideIn(a).orig != nil {
			c.laterChecks = append(c.laterChecks, laterCheck{name, b, args, c.file, c.fnObj, c.constObj})
			return true
		}
	}
	return false
}

// checkOverriddenCalls makes the constCheck of the calls checkLater put
// off: a call that always fails with the composed policy's constants is
// reported (RPL326) at the declaration that replaces the constant its
// failing argument reads, with the argument as a related location.
func (c *checker) checkOverriddenCalls() {
	saved := c.file
	defer func() { c.file = saved }()
	for _, l := range c.laterChecks {
		if c.replaced(l.fn, l.cnst) {
			continue
		}
		c.file = l.file
		c.constCheck(l.name, l.b, l.args)
	}
}

// relPos is the position at in file, for a message about the
// declaration o: the file's path relative to o's directory, its line and
// column.
func (c *checker) relPos(o *Object, file *FileNode, at Pos) string {
	where := file.File.Name
	if rel, err := filepath.Rel(filepath.Dir(c.fileOf(o).Name), where); err == nil {
		where = filepath.ToSlash(rel)
	}
	p := file.File.Position(at)
	return fmt.Sprintf("%s:%d:%d", where, p.Line, p.Col)
}

// atOverride reports at the name of ov's replacing declaration, its
// message led by "X overrides p.X: ".
func (c *checker) atOverride(ov override, code Code, format string, args ...any) *Diagnostic {
	by := ov.by
	lead := fmt.Sprintf("%s overrides %s.%s: ", by.Name, ov.orig.Pkg.Name, ov.orig.Name)
	return c.errorf(c.fileOf(by), Span{by.Pos(), by.Pos() + Pos(len(by.Name))}, code, lead+format, args...)
}
