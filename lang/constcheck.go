package lang

import "math"

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

// maxFoldBytes bounds a string that constArg builds with + from folded
// calls: a longer one is not constant to it (each folded call is bounded
// by the Universe's Fold itself).
const maxFoldBytes = 1 << 20

// constArg is the value of the argument e for a ConstCheck: a scalar
// constant's (Info.Consts), a list literal's of constants, a map
// literal's of constant keys, a constant's naming one, a call of a pure
// builtin on such values (Universe.Fold), and an operator over them;
// NotConst for anything else.
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
	}
	v, ok := c.u.Fold(call.Builtin, vals, types)
	if !ok {
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
		if b, ok := y.(string); ok && len(a)+len(b) > maxFoldBytes {
			return NotConst
		}
	}
	v, ok, _ := foldBinary(e.Op, c.info.Types[e.X], c.info.Types[e.Y], x, y)
	if !ok {
		return NotConst
	}
	return v
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
