package lang

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

// maxConstDepth bounds constArg's descent into nested literals and the
// constants they name.
const maxConstDepth = 16

// constArg is the value of the argument e for a ConstCheck: a scalar
// constant's (Info.Consts), a list literal's of constants, a map
// literal's of constant keys, or a constant's naming one; NotConst for
// anything else.
func (c *checker) constArg(e Expr, depth int) ConstValue {
	if e == nil || depth > maxConstDepth {
		return NotConst
	}
	if v, ok := c.info.Consts[e]; ok {
		return v
	}
	switch e := e.(type) {
	case *ParenExpr:
		return c.constArg(e.X, depth+1)
	case *Ident:
		switch o := c.info.Uses[e]; {
		case o == nil:
		case o.Kind == ObjEnum:
			return e.Name
		case o.Kind == ObjConst:
			if d, ok := o.Decl.(*ConstDecl); ok {
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

// constCheck warns (RPL326) of a call of b, named name as written, whose
// constant arguments b's ConstCheck refuses: the call can only fail when
// it runs. args are the call's, one per parameter (Call.Args). It is a
// warning, not an error: the call may sit in code that never runs, and a
// policy that built before still builds. An argument that names a
// constant has the constant's declaration as its related location.
func (c *checker) constCheck(name string, b *Builtin, args []Expr) {
	vals := make([]ConstValue, len(args))
	known := false
	for i, a := range args {
		vals[i] = c.constArg(a, 0)
		known = known || vals[i] != NotConst
	}
	if !known {
		return
	}
	i, why := b.ConstCheck(vals)
	if why == "" || i < 0 || i >= len(args) || args[i] == nil {
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
	if o := c.info.Uses[id]; o != nil && o.Kind == ObjConst && o.Decl != nil {
		return o
	}
	return nil
}
