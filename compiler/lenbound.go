package compiler

import (
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/vm"
)

// Length bounds of collections, for the static cost bound of the loops of
// higher-order builtins (language.md §11.3; builtins count at their
// declared cost, not what they charge for a large input). A loop runs
// once per element, so it is bounded when its list's length is: a
// constant, a list literal, range of a constant, filter or map of a
// bounded list, or a let, a parameter (at every call site outside tests)
// or a function result that is one of these. Anything else (request data,
// a builtin's result) has no known maximum size, and a loop over it leaves
// route without a bound.

// lenBound returns an upper bound of the length of the list e evaluates to.
func (c *compiler) lenBound(e lang.Expr) (int64, bool) {
	if c.lenMemo == nil {
		c.lenMemo = map[lang.Node]lenResult{}
	}
	if r, ok := c.lenMemo[e]; ok {
		return r.n, r.ok
	}
	c.lenMemo[e] = lenResult{} // a cycle has no bound
	n, ok := c.lenBound0(e)
	c.lenMemo[e] = lenResult{n, ok}
	return n, ok
}

type lenResult struct {
	n  int64
	ok bool
}

func (c *compiler) lenBound0(e lang.Expr) (int64, bool) {
	if v, ok := c.constValue(e); ok {
		if v.Kind() != vm.KindList {
			return 0, false
		}
		return int64(v.Len()), true
	}
	switch e := e.(type) {
	case *lang.ParenExpr:
		return c.lenBound(e.X)
	case *lang.ListLit:
		return int64(len(e.Elems)), true
	case *lang.BinaryExpr:
		if e.Op == "??" {
			return c.maxLen(e.X, e.Y)
		}
	case *lang.Ident:
		return c.objLenBound(c.info.Uses[e])
	case *lang.BlockExpr, *lang.IfExpr, *lang.MatchExpr:
		return c.maxLen(results(e)...)
	case *lang.CallExpr:
		call := c.info.Calls[e]
		if call == nil {
			return 0, false
		}
		switch call.Kind {
		case lang.CallFunc, lang.CallSuper:
			if d, ok := c.callee(call).Decl.(*lang.FuncDecl); ok {
				return c.maxLen(append(results(d.Body), returns(d.Body)...)...)
			}
		case lang.CallBuiltin:
			b := call.Builtin
			if b.Module != "" || len(call.Args) == 0 {
				break
			}
			switch b.Name {
			case "filter", "map": // never longer than their list
				return c.lenBound(call.Args[0])
			case "range":
				if v, ok := c.constValue(call.Args[0]); ok && v.Kind() == vm.KindInt {
					return max(v.Int(), 0), true
				}
			}
		}
	}
	return 0, false
}

// objLenBound bounds a named list: a constant's, a let's value or a
// parameter's arguments.
func (c *compiler) objLenBound(o *lang.Object) (int64, bool) {
	if o == nil {
		return 0, false
	}
	switch d := c.resolveFunc(o).Decl.(type) { // a constant as overridden
	case *lang.LetStmt:
		return c.lenBound(d.Value)
	case *lang.ConstDecl:
		return c.lenBound(d.Value)
	case *lang.Param:
		args, ok := c.paramArgs()[o]
		if !ok {
			return 0, false // no caller outside tests: unknown (route's request)
		}
		return c.maxLen(args...)
	}
	return 0, false
}

func (c *compiler) maxLen(es ...lang.Expr) (int64, bool) {
	var m int64
	for _, e := range es {
		n, ok := c.lenBound(e)
		if !ok {
			return 0, false
		}
		m = max(m, n)
	}
	return m, true
}

// paramArgs maps each parameter of a user function to the arguments given
// for it at the calls outside test blocks.
func (c *compiler) paramArgs() map[*lang.Object][]lang.Expr {
	if c.params != nil {
		return c.params
	}
	c.params = map[*lang.Object][]lang.Expr{}
	inTest := map[*lang.CallExpr]bool{}
	for _, f := range c.prog.Main.Files {
		for _, d := range f.Decls {
			if td, ok := d.(*lang.TestDecl); ok {
				lang.Inspect(td, func(n lang.Node) bool {
					if ce, ok := n.(*lang.CallExpr); ok {
						inTest[ce] = true
					}
					return true
				})
			}
		}
	}
	for ce, call := range c.info.Calls {
		if inTest[ce] || (call.Kind != lang.CallFunc && call.Kind != lang.CallSuper) {
			continue
		}
		d, ok := c.callee(call).Decl.(*lang.FuncDecl)
		if !ok {
			continue
		}
		for i, prm := range d.Params {
			if o := c.info.Defs[prm.Name]; o != nil && i < len(call.Args) {
				c.params[o] = append(c.params[o], call.Args[i])
			}
		}
	}
	return c.params
}

// results returns the expressions whose value e takes: a block's last
// expression, both branches of an if, every arm of a match.
func results(e lang.Expr) []lang.Expr {
	switch x := e.(type) {
	case *lang.ParenExpr:
		return results(x.X)
	case *lang.BlockExpr:
		if n := len(x.Stmts); n > 0 {
			if es, ok := x.Stmts[n-1].(*lang.ExprStmt); ok {
				return results(es.X)
			}
		}
		return nil // ends in return: see returns
	case *lang.IfExpr:
		if x.Else == nil {
			return []lang.Expr{x} // no value: no bound
		}
		return append(results(x.Then), results(x.Else)...)
	case *lang.MatchExpr:
		var rs []lang.Expr
		for _, a := range x.Arms {
			rs = append(rs, results(a.Body)...)
		}
		return rs
	}
	return []lang.Expr{e}
}

// returns returns the values of the return statements in body.
func returns(body lang.Expr) []lang.Expr {
	var rs []lang.Expr
	lang.Inspect(body, func(n lang.Node) bool {
		if r, ok := n.(*lang.ReturnStmt); ok && r.Value != nil {
			rs = append(rs, r.Value)
		}
		return true
	})
	return rs
}
