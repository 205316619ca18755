package lang

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// lookup resolves a value or type name from the current scope outwards,
// ending with the universe.
func (c *checker) lookup(name string) *Object {
	c.hidden = nil
	if c.scope != nil {
		if o := c.scope.LookupParent(name); o != nil {
			if o.HiddenFrom(c.file) {
				// A policy does not see its test file's declarations,
				// which are no part of what it builds (§8.4): the name
				// is what it is without them (a builtin, an enum
				// member), if anything.
				if ps := o.Pkg.Scope.Parent; ps != nil {
					if outer := ps.LookupParent(name); outer != nil {
						return outer
					}
				}
				c.hidden = o
				return nil
			}
			return o
		}
	}
	return c.u.Scope.Lookup(name)
}

// undefined reports name, used at n as a value, as undefined (RPL200).
func (c *checker) undefined(n Node, name string) {
	c.notDeclared(n, false, name)
}

// notDeclared reports name, used at n as a value or (typ) a type, as
// undefined (RPL200, RPL306): as declared in the test file when the last
// lookup hid such a declaration, else with the nearest names.
func (c *checker) notDeclared(n Node, typ bool, name string) {
	code, what := CodeUndefined, "undefined"
	if typ {
		code, what = CodeUnknownType, "undefined type"
	}
	if o := c.hidden; o != nil && o.Name == name && (o.Kind == ObjType) == typ {
		c.errAt(n, code, "%s: %s (declared in the test file %s, which the policy does not see: move it to the policy)", what, name, baseName(c.fileOf(o).Name))
		return
	}
	if !typ && c.stdModuleUnimported(n, name) {
		return
	}
	if hint, ok := otherLanguages[name]; ok && !typ {
		d := c.errAt(n, code, "%s: %s (%s)", what, name, hint.msg)
		if hint.to != "" {
			d.Fixes = append(d.Fixes, Fix{Title: "change " + name + " to " + hint.to, Span: n.Span(), NewText: hint.to})
		}
		return
	}
	c.errSuggest(n, code, name, c.visibleNames(typ), "%s: %s", what, name)
}

// otherLanguages are the value names that other languages have and RPL
// spells otherwise, undefined in RPL, which no spelling suggestion
// reaches (length for len): the hint, and the name to write instead when
// it is one, called as a function or, when a builtin takes the receiver,
// as a method (xs.length()).
var otherLanguages = map[string]struct{ msg, to string }{
	"null": {"RPL has no null: the absent value is none", "none"},
	"nil":  {"RPL has no nil: the absent value is none", "none"},
	"elif": {"RPL has no elif: write else if", ""},
	// Builtins that other languages name otherwise (stdlib.md).
	"length":      {"the length of a string, list or map is len(x)", "len"},
	"size":        {"the length of a string, list or map is len(x)", "len"},
	"strlen":      {"the length of a string, list or map is len(x)", "len"},
	"lenght":      {"the length of a string, list or map is len(x)", "len"},
	"toLowerCase": {"RPL's is lower(s)", "lower"},
	"tolower":     {"RPL's is lower(s)", "lower"},
	"toUpperCase": {"RPL's is upper(s)", "upper"},
	"toupper":     {"RPL's is upper(s)", "upper"},
	"includes":    {"RPL's is contains(s, sub), or x in xs", "contains"},
	"startsWith":  {"RPL's is starts_with(s, prefix)", "starts_with"},
	"endsWith":    {"RPL's is ends_with(s, suffix)", "ends_with"},
	"str":         {"RPL's is string(x)", "string"},
	"parseInt":    {"RPL's is int(s), none when s is not an int", "int"},
	"atoi":        {"RPL's is int(s), none when s is not an int", "int"},
	"sorted":      {"RPL's is sort(xs)", "sort"},
}

// elifStmt reports whether the statement stmts[i] is an undefined elif
// just after an if statement: else if written elif, which parses as
// statements of its own (elif, its condition, its block).
func (c *checker) elifStmt(stmts []Stmt, i int) bool {
	es, ok := stmts[i].(*ExprStmt)
	if !ok || i == 0 {
		return false
	}
	id, ok := es.X.(*Ident)
	if !ok || id.Name != "elif" || c.lookup(id.Name) != nil {
		return false
	}
	prev, ok := stmts[i-1].(*ExprStmt)
	if !ok {
		return false
	}
	_, ok = prev.X.(*IfExpr)
	return ok
}

// stdModuleUnimported reports name, used at n as a value, as undefined
// when it is exactly the binding of a standard module that the file may
// import (std/testing in a test file only) and does not: the message and
// its fix add the import, on a line after the file's last import or else
// after its package clause (after a comment ending that line), rather than suggest a name spelled alike (cost is not
// a misspelt post). When the file imports the module under another name,
// that name is suggested. It reports whether it reported.
func (c *checker) stdModuleUnimported(n Node, name string) bool {
	if c.u.Modules[name] == nil || c.file == nil || (name == TestingModule && !IsTestFile(c.file.File.Name)) {
		return false
	}
	path := "std/" + name
	for _, imp := range c.file.Imports {
		if imp.Path.Value == path && imp.Alias != nil && imp.Alias.Name != name {
			alias := imp.Alias.Name
			d := c.errAt(n, CodeUndefined, "undefined: %s (%s is imported as %s)", name, path, alias)
			d.Fixes = append(d.Fixes, Fix{Title: "change " + name + " to " + alias, Span: n.Span(), NewText: alias})
			return true
		}
	}
	line := "import " + strconv.Quote(path)
	var fix Fix
	switch f := c.file; {
	case len(f.Imports) > 0:
		at, eol := lineEnd(f.File.Src, f.Imports[len(f.Imports)-1].Span().End)
		fix = Fix{Span: Span{at, at}, NewText: eol + line}
	case f.Package != nil:
		at, eol := lineEnd(f.File.Src, f.Package.Span().End)
		fix = Fix{Span: Span{at, at}, NewText: eol + eol + line}
	default:
		fix = Fix{NewText: line + "\n\n"}
	}
	fix.Title = "add " + line
	d := c.errAt(n, CodeUndefined, "undefined: %s (%s is a standard module: add %s)", name, name, line)
	d.Fixes = append(d.Fixes, fix)
	return true
}

// lineEnd gives where a line inserted after a clause ending at offset at
// of src goes: the end of its line when only blanks and a comment follow
// it there (what is inserted goes on a line of its own, not into the
// comment's text), else at itself (a declaration follows on the line,
// after a ;, which the inserted line must stay before); and the line
// break the file uses ("\r\n" or "\n").
func lineEnd(src []byte, at Pos) (Pos, string) {
	i := min(int(at), len(src))
	eol := "\n"
	if j := bytes.IndexByte(src, '\n'); j > 0 && src[j-1] == '\r' {
		eol = "\r\n"
	}
	for i < len(src) && (src[i] == ' ' || src[i] == '\t') {
		i++
	}
	if i < len(src) && src[i] != '#' && src[i] != '\r' && src[i] != '\n' {
		return at, eol
	}
	for i < len(src) && src[i] != '\n' {
		i++
	}
	if i > int(at) && i < len(src) && src[i-1] == '\r' {
		i--
	}
	return Pos(i), eol
}

func (c *checker) use(id *Ident, o *Object) {
	c.info.Uses[id] = o
	// Only locals and imports are reported unused. The universe's objects
	// are shared by concurrent checks and must not be written to.
	if o.Kind == ObjVar || o.Kind == ObjModule {
		o.used = true
	}
}

// visibleNames lists the value names or (typ) the type names visible
// from the current scope, for "did you mean" suggestions: none that the
// current file does not see (HiddenFrom).
func (c *checker) visibleNames(typ bool) []string {
	seen := map[string]bool{}
	var names []string
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	for s := c.scope; s != nil; s = s.Parent {
		for n, o := range s.objects {
			if (o.Kind == ObjType) == typ && !o.HiddenFrom(c.file) {
				add(n)
			}
		}
	}
	if typ {
		for n := range c.u.Types {
			add(n)
		}
	} else {
		for n := range c.u.Scope.objects {
			add(n)
		}
	}
	return names
}

// record stores and returns the type of e.
func (c *checker) record(e Expr, t Type) Type {
	c.info.Types[e] = t
	return t
}

// exprAs checks e where a value of type want is expected (want may be nil)
// and reports a mismatch.
func (c *checker) exprAs(e Expr, want Type, w what) Type {
	if want == nil {
		return c.expr(e, nil)
	}
	t := c.exprOrVoid(e, want)
	c.requireValue(e, t, want, w)
	return t
}

// expr checks e, whose value is used, with an optional expected type,
// which guides the typing of literals (empty lists, brace literals, ints
// in float context) and lambdas. It does not report mismatches against
// want; exprAs does. An e of no value (an if without else, a block that
// ends with a let) is an error (RPL313, see noValueUsed), and the type
// expr returns is then invalid, wherever a value is used, as for let v =
// e; Info records void, e's type (see valueType).
func (c *checker) expr(e Expr, want Type) Type {
	t := c.exprOrVoid(e, want)
	if isBasic(t, Void) {
		c.noValueUsed(e)
		return Typ[Invalid]
	}
	return t
}

// valueType is the type Info records for e, checked where its value is
// used, as expr returned it: invalid for an e of no value (void), which
// expr reported.
func (c *checker) valueType(e Expr) Type {
	t := c.info.Types[e]
	if t != nil && isBasic(t, Void) {
		return Typ[Invalid]
	}
	return t
}

// exprOrVoid checks e as expr does where it may have no value (type
// void): an expression statement, the value of a block or within
// parentheses (whose own use says whether a value is wanted), a body
// whose missing value is reported as such (a function's, a lambda's, a
// match arm's, or where requireValue does with the type expected).
func (c *checker) exprOrVoid(e Expr, want Type) Type {
	return c.record(e, c.expr0(e, want))
}

// noValueUsed reports e, of no value (type void), where its value is used
// (RPL313): at the if without else (or the block) within the parentheses,
// with what to do when an if without else is why.
func (c *checker) noValueUsed(e Expr) {
	at := Unparen(e)
	if m, ok := at.(*MatchExpr); ok {
		// Its arms give its value: those of none are the error.
		for _, arm := range m.Arms {
			if t := c.info.Types[arm.Body]; t != nil && isBasic(t, Void) {
				c.noValueUsed(arm.Body)
			}
		}
		return
	}
	if x, ok := at.(*IfExpr); ok && x.Else != nil {
		// An if with an else has no value through a branch of none:
		// the error is at the if without else that ends it, if one does.
		if y := elseless(x); y != nil {
			at = y
		} else if y := elseless(x.Then); y != nil {
			at = y
		}
	}
	c.errAt(at, CodeMissingValue, "%s produces no value%s", voidName(at), elseHint(at))
	c.noValue(e)
}

func (c *checker) expr0(e Expr, want Type) Type {
	switch e := e.(type) {
	case *BadExpr:
		return Typ[Invalid]
	case *Ident:
		return c.ident(e)
	case *BasicLit:
		return c.basicLit(e, want)
	case *ParenExpr:
		t := c.exprOrVoid(e.X, want)
		if v, ok := c.info.Consts[e.X]; ok {
			c.info.Consts[e] = v
		}
		return t
	case *ListLit:
		return c.listLit(e, want)
	case *BraceLit:
		return c.braceLit(e, want)
	case *UnaryExpr:
		return c.unary(e, want)
	case *BinaryExpr:
		return c.binary(e, want)
	case *SelectorExpr:
		return c.selector(e)
	case *IndexExpr:
		return c.index(e)
	case *CallExpr:
		return c.call(e, want)
	case *LambdaExpr:
		c.errAt(e, CodeBadLambda, "a lambda can only be an argument of a builtin that takes a function (filter, map, any, all, min_by, …)")
		return Typ[Invalid]
	case *IfExpr:
		return c.ifExpr(e, want, true)
	case *MatchExpr:
		return c.match(e, want, true)
	case *BlockExpr:
		return c.block(e, want, true)
	}
	return Typ[Invalid]
}

func (c *checker) ident(e *Ident) Type {
	if e.Name == "_" {
		c.errAt(e, CodeUndefined, "_ is not a value")
		return Typ[Invalid]
	}
	if e.Name == "super" {
		c.errAt(e, CodeBadSuper, "super is not a value: call a function of the extended policy with super.name(...)")
		return Typ[Invalid]
	}
	o := c.lookup(e.Name)
	if o == nil {
		if t := c.u.Types[e.Name]; t != nil {
			c.errAt(e, CodeUndefined, "%s is a type, not a value", e.Name)
			return Typ[Invalid]
		}
		c.undefined(e, e.Name)
		return Typ[Invalid]
	}
	c.use(e, o)
	switch o.Kind {
	case ObjVar, ObjEnum:
		return o.Type
	case ObjConst:
		c.resolve(o)
		if d, ok := o.Decl.(*ConstDecl); ok {
			if v, ok := c.info.Consts[d.Value]; ok {
				c.info.Consts[e] = v
			}
		}
		return o.Type
	case ObjFunc, ObjBuiltin:
		c.errAt(e, CodeMismatch, "function %s used as a value: call it with (…)", e.Name)
	case ObjModule:
		c.errAt(e, CodeMismatch, "module %s used as a value: use %s.name", e.Name, e.Name)
	case ObjType:
		c.errAt(e, CodeUndefined, "%s is a type, not a value", e.Name)
	}
	return Typ[Invalid]
}

func (c *checker) basicLit(e *BasicLit, want Type) Type {
	var t Type
	switch e.Kind {
	case LitInt:
		t = Typ[Int]
		if isBasic(Unwrap(want), Float) {
			t = Typ[Float] // an int literal is also a float constant
		}
	case LitFloat:
		t = Typ[Float]
	case LitString:
		t = Typ[String]
	case LitDuration:
		t = Typ[Duration]
	case LitMoney:
		t = Typ[Money]
	case LitBool:
		t = Typ[Bool]
	case LitNone:
		t = Typ[NoneType]
		if o, ok := want.(*Optional); ok {
			t = o
		}
	}
	if v, ok := constLit(e, t); ok {
		c.info.Consts[e] = v
	}
	return t
}

func (c *checker) listLit(e *ListLit, want Type) Type {
	var elem Type
	if l, ok := Unwrap(want).(*List); ok {
		elem = l.Elem
	}
	if len(e.Elems) == 0 {
		if elem == nil {
			c.uninferred[e] = c.errAt(e, CodeCannotInfer, "cannot infer the element type of an empty list: it needs an expected type (%s)", emptyHint(e, nil))
			return Typ[Invalid]
		}
		return &List{Elem: elem}
	}
	for i, x := range e.Elems {
		if elem == nil {
			elem = c.expr(x, nil)
			if isBasic(elem, NoneType) {
				elem = nil
			}
			continue
		}
		t := c.exprOrVoid(x, elem)
		if isBasic(t, Void) && (IsInvalid(elem) || isBasic(elem, Never)) {
			// No element before has a type to want (requireValue), nor
			// may void become the elements' type.
			c.noValueUsed(x)
			continue
		}
		if i > 0 || !AssignableTo(t, elem) {
			if u := unifyBranch(elem, t); u != nil && !(want != nil && !AssignableTo(t, elem)) {
				elem = u
				continue
			}
		}
		c.requireValue(x, t, elem, what{"list element", "", ""})
	}
	if elem == nil {
		c.errAt(e, CodeCannotInfer, "cannot infer the element type of a list of none: it needs an expected type (let xs: list[string?] = [none])")
		return Typ[Invalid]
	}
	return &List{Elem: elem}
}

// braceLit types {k: v}: a record when keys are bare names (unless a map
// with string keys is expected), a map otherwise. With an expected record
// type, omitted fields take their zero value.
func (c *checker) braceLit(e *BraceLit, want Type) Type {
	wt := Unwrap(want)
	bare := true
	for _, en := range e.Entries {
		if _, ok := en.Key.(*Ident); !ok {
			bare = false
		}
	}
	mt, wantMap := wt.(*Map)
	rt, wantRec := wt.(*Record)
	if len(e.Entries) == 0 && !wantMap && !wantRec {
		c.uninferred[e] = c.errAt(e, CodeCannotInfer, "cannot infer the type of {}: it needs an expected type (%s)", emptyHint(e, nil))
		return Typ[Invalid]
	}
	if bare && !wantMap {
		seen := map[string]*Ident{}
		var fields []*Field
		for _, en := range e.Entries {
			name := en.Key.(*Ident)
			if first := seen[name.Name]; first != nil {
				c.errAt(name, CodeDuplicateKey, "duplicate field %s in record literal", name.Name).Related = c.earlier(first, "its first value")
				continue
			}
			seen[name.Name] = name
			var ft Type
			if wantRec {
				i := rt.FieldIndex(name.Name)
				if i < 0 {
					c.errSuggest(name, CodeUnknownField, name.Name, fieldNames(rt), "unknown field %s in %s", name.Name, rt)
					c.expr(en.Value, nil)
					continue
				}
				ft = rt.Fields[i].Type
				c.exprAs(en.Value, ft, what{"field", name.Name, ""})
			} else {
				ft = c.expr(en.Value, nil)
				if isBasic(ft, NoneType) {
					c.errAt(en.Value, CodeCannotInfer, "cannot infer the type of field %s from none: it needs an expected type (let r: {%s: string?} = {%s: none})", name.Name, name.Name, name.Name)
					ft = Typ[Invalid]
				}
			}
			fields = append(fields, &Field{Name: name.Name, Type: ft})
		}
		var t Type = NewRecord("", fields)
		if wantRec {
			t = rt
		}
		c.info.Lits[e] = t
		return t
	}
	// A map literal.
	var kt, vt Type
	if wantMap {
		kt, vt = mt.Key, mt.Elem
	}
	seen := map[any]Expr{}
	for _, en := range e.Entries {
		var k Type
		if id, ok := en.Key.(*Ident); ok {
			k = Typ[String]
			if et, isEnum := kt.(*Enum); isEnum && wantMap {
				// A map with enum keys takes the members bare:
				// {timeout: 2, http_5xx: 1} (spec §4.2).
				k = et
				if !slices.Contains(et.Members, id.Name) {
					c.errSuggest(id, CodeUnknownField, id.Name, et.Members, "%s has no member %s", et, id.Name)
					k = Typ[Invalid]
				}
			} else {
				c.nameKey(id)
			}
			c.info.Consts[en.Key] = id.Name
			c.record(en.Key, k)
		} else if l, ok := en.Key.(*BasicLit); ok && strings.HasPrefix(l.Raw, "-") && l.Kind != LitInt && l.Kind != LitFloat && l.Kind != LitDuration && l.Kind != LitMoney {
			// The grammar lets a - precede any literal key, as a
			// pattern (§6.8: a number's sign only).
			c.errAt(l, CodeBadOperand, "invalid operation: %s (operator - not defined on %s)", l.Raw, l.Kind)
			k = c.record(en.Key, Typ[Invalid])
		} else {
			k = c.expr(en.Key, kt)
		}
		if v, ok := c.info.Consts[en.Key]; ok {
			if first := seen[v]; first != nil {
				also := ""
				if exprString(first) != exprString(en.Key) {
					also = " (the key " + exprString(first) + " has that value)"
				}
				c.errAt(en.Key, CodeDuplicateKey, "duplicate key %s in map literal%s", exprString(en.Key), also).Related = c.earlier(first, "its first value")
			} else {
				seen[v] = en.Key
			}
		}
		if kt == nil {
			kt = k
			if !validKey(kt) && !IsInvalid(kt) { // an invalid key is reported already
				c.errAt(en.Key, CodeMismatch, "invalid map key type %s (want string, int or an enum)", kt)
			}
		} else {
			c.braceKey = en.Key
			c.requireValue(en.Key, k, kt, what{"map key", "", ""})
			c.braceKey = nil
		}
		if vt == nil {
			vt = c.expr(en.Value, nil)
		} else {
			c.exprAs(en.Value, vt, what{"map value", "", ""})
		}
	}
	if n := len(e.Entries); n > MaxComputedMapEntries && !c.isConstExpr(e) {
		c.errAt(e, CodeLiteralSize, "map literal of %d entries that are not all constants: a map computed at run time has at most %d (split it, or make every value a constant)", n, MaxComputedMapEntries)
	}
	t := &Map{Key: kt, Elem: vt}
	c.info.Lits[e] = t
	return t
}

// nameKey warns of the bare key id of a map literal with string keys,
// the string of its name, that names a constant, a local, a parameter,
// an imported module or an enum member where the literal is (RPL219): the value of the
// name was most often meant ({stable: 95} after const stable = "a:b").
// The fix quotes the key, which keeps its meaning and quiets the
// warning. A record's bare keys are its field names: never reported.
func (c *checker) nameKey(id *Ident) {
	o := c.lookup(id.Name)
	if o == nil {
		return
	}
	var what string
	switch o.Kind {
	case ObjConst:
		what = "the constant " + id.Name
		if d, ok := o.Decl.(*ConstDecl); ok {
			if v, ok := c.info.Consts[d.Value].(string); ok {
				what += " (" + strconv.Quote(v) + ")"
			}
		}
	case ObjVar:
		what = "the local " + id.Name
		switch o.Decl.(type) {
		case *Param, *Ident:
			what = "the parameter " + id.Name
		}
	case ObjModule:
		what = "the module " + id.Name
	case ObjEnum:
		what = "the enum member " + id.Name
		if o.Type != nil {
			what += " (a " + o.Type.String() + ")"
		}
	default:
		return
	}
	q := strconv.Quote(id.Name)
	d := c.errAt(id, CodeNameKey, "key %s is the string %s, not %s: a bare key of a map literal is a string; write %s to mean the string", id.Name, q, what, q)
	d.Fixes = append(d.Fixes, Fix{Title: "quote the key " + id.Name, Span: id.Span(), NewText: q})
}

// MaxComputedMapEntries is the most entries a map literal may have when
// some value is not a constant: the machine builds it from its keys and
// values on its operand stack. A literal of constants is built by the
// compiler and has no such limit; nor does a list literal.
const MaxComputedMapEntries = 1 << 14

func fieldNames(r *Record) []string {
	names := make([]string, len(r.Fields))
	for i, f := range r.Fields {
		names[i] = f.Name
	}
	return names
}

func (c *checker) unary(e *UnaryExpr, want Type) Type {
	switch e.Op {
	case "!":
		t := c.exprAs(e.X, Typ[Bool], what{"operand of !", "", ""})
		if v, ok := c.info.Consts[e.X].(bool); ok {
			c.info.Consts[e] = !v
		}
		_ = t
		return Typ[Bool]
	case "-":
		t := c.expr(e.X, want)
		if b, ok := t.(*Basic); ok {
			switch b.Kind {
			case Int, Float, Money, Duration:
				switch v := c.info.Consts[e.X].(type) {
				case int64:
					if v == math.MinInt64 {
						c.errAt(e, CodeConstOverflow, "constant expression %s is %s", exprString(e), outOfRange(b.Kind))
						return t
					}
					c.info.Consts[e] = -v
					c.noteFold(e)
				case float64:
					c.info.Consts[e] = -v
				}
				return t
			case Invalid:
				return t
			}
		}
		c.errAt(e, CodeBadOperand, "invalid operation: -%s (operator - not defined on %s)", exprString(e.X), t)
		return Typ[Invalid]
	}
	return Typ[Invalid]
}

// withoutDefaults is the text that replaces from..e.Y's end to remove
// the ?? and defaults of e's chain of RPL316 d (x ?? a ?? b, (x ?? a) ??
// b, from being the end of x), as keepComments gives it.
func (c *checker) withoutDefaults(d *Diagnostic, e *BinaryExpr, from Pos) (text string, ok bool) {
	// The spans dropped, the outermost ?? first: each operator and
	// default.
	var drop []Span
	for b := e; ; {
		drop = append(drop, b.Y.Span(), Span{b.OpPos, b.OpPos + Pos(len(b.Op))})
		inner, ok := Unparen(b.X).(*BinaryExpr)
		if !ok || c.neverNone[inner] != d {
			break
		}
		b = inner
	}
	return c.keepComments(drop, from, e.Y.Span().End)
}

// withoutNone is the text that replaces e's none operand and its ??
// (none ?? d, (none) ?? d: from the start of e to that of d), as
// keepComments gives it: a comment inside the parentheses of none, or
// around the operator, is kept.
func (c *checker) withoutNone(e *BinaryExpr) (text string, ok bool) {
	// The spans dropped, the last first: the operator, the closing
	// parentheses around none, none, the opening ones.
	drop := []Span{{e.OpPos, e.OpPos + Pos(len(e.Op))}}
	var opening []Span
	x := e.X
	for p, ok := x.(*ParenExpr); ok; p, ok = x.(*ParenExpr) {
		sp := p.Span()
		drop = append(drop, Span{sp.End - 1, sp.End})
		opening = append(opening, Span{sp.Start, sp.Start + 1})
		x = p.X
	}
	drop = append(drop, x.Span())
	slices.Reverse(opening)
	drop = append(drop, opening...)
	from := e.X.Span().Start
	text, ok = c.keepComments(drop, from, e.Y.Span().Start)
	// A comment first goes where none was, after the space before it.
	if ok && strings.HasPrefix(text, " ") && from > 0 && (c.file.File.Src[from-1] == ' ' || c.file.File.Src[from-1] == '\t') {
		text = text[1:]
	}
	return text, ok
}

// keepComments is the text that replaces from..to to remove the spans
// drop (in descending order: the last first): what it keeps of the
// source between them are closing parentheses and comments, each kept on
// a line of its own end (the text after them put on the next line,
// indented as it was, unless the line ends there). ok is false when the
// source between holds anything else.
func (c *checker) keepComments(drop []Span, from, to Pos) (text string, ok bool) {
	if c.file == nil || c.file.File == nil {
		return "", false
	}
	src := c.file.File.Src
	if from > to || int(to) > len(src) {
		return "", false
	}
	var out strings.Builder
	brk := "" // the line end and indentation owed after a comment
	for i := from; i < to; {
		if n := len(drop); n > 0 && i >= drop[n-1].Start {
			if i != drop[n-1].Start {
				return "", false
			}
			i = drop[n-1].End
			drop = drop[:n-1]
			continue
		}
		switch src[i] {
		case ' ', '\t', '\r', '\n':
			i++
		case ')':
			out.WriteString(brk)
			brk = ""
			out.WriteByte(')')
			i++
		case '#':
			if brk == "" {
				brk = " "
			}
			out.WriteString(brk)
			end := i + Pos(bytes.IndexByte(src[i:], '\n'))
			if end < i || end >= to {
				return "", false
			}
			text := bytes.TrimSuffix(src[i:end], []byte("\r"))
			out.Write(text)
			next := end + 1
			for next < to && (src[next] == ' ' || src[next] == '\t') {
				next++
			}
			brk = string(src[i+Pos(len(text)) : next])
			i = end
		default:
			return "", false
		}
	}
	if len(drop) != 0 {
		return "", false
	}
	if rest := src[to:]; brk != "" {
		if eol := bytes.IndexByte(rest, '\n'); eol >= 0 {
			rest = rest[:eol]
		}
		if len(bytes.TrimSpace(rest)) != 0 {
			out.WriteString(brk)
		}
	}
	return out.String(), true
}

// binary types the binary operators; see spec/language.md, "Operators".
func (c *checker) binary(e *BinaryExpr, want Type) Type {
	switch e.Op {
	case "&&", "||":
		c.exprAs(e.X, Typ[Bool], what{"operand of", e.Op, ""})
		c.exprAs(e.Y, Typ[Bool], what{"operand of", e.Op, ""})
		c.fold(e, Typ[Bool], Typ[Bool])
		return Typ[Bool]
	case "??":
		xt := c.expr(e.X, optionalOf(want))
		o, ok := xt.(*Optional)
		if isNoneLit(e.X) {
			// none ?? d, (none) ?? d, is d, whatever d's type: the edit
			// removes "none ?? ", keeping a comment around it.
			d := c.errAt(e.X, CodeNotOptional, "%s ?? %s is always its default: write %s alone", exprString(e.X), exprString(e.Y), exprString(e.Y))
			if text, ok := c.withoutNone(e); ok {
				d.Fixes = append(d.Fixes, Fix{Title: "remove " + exprString(e.X) + " ??", Span: Span{e.X.Span().Start, e.Y.Span().Start}, NewText: text})
			}
			return c.expr(e.Y, want)
		}
		if !ok {
			if inner, ok := Unparen(e.X).(*BinaryExpr); ok && c.neverNone[inner] != nil {
				// x ?? d ?? e, x never none: the one mistake is reported
				// at the first ??, whose fix removes this default too,
				// keeping the parentheses of (x ?? d) ?? e ((x)).
				d := c.neverNone[inner]
				c.neverNone[e] = d
				if n := len(d.Fixes); n > 0 && d.Fixes[n-1].Span.End == inner.Y.Span().End {
					f := &d.Fixes[n-1]
					if text, ok := c.withoutDefaults(d, e, f.Span.Start); ok {
						f.Title += " ?? " + exprString(e.Y)
						f.NewText = text
						f.Span.End = e.Y.Span().End
					} else {
						// A fix leaving this ?? would leave the warning.
						d.Fixes = d.Fixes[:n-1]
					}
				}
			} else if !IsInvalid(xt) {
				d := c.errAt(e.X, CodeNotOptional, "%s is never none (type %s): ?? has no effect", exprString(e.X), xt)
				c.neverNone[e] = d
				// x ?? d is x: the edit removes " ?? d", the space before
				// the operator with it, keeping a comment around it.
				if text, ok := c.withoutDefaults(d, e, e.X.Span().End); ok {
					d.Fixes = append(d.Fixes, Fix{Title: "remove ?? " + exprString(e.Y), Span: Span{e.X.Span().End, e.Y.Span().End}, NewText: text})
				}
			}
			c.exprAs(e.Y, xt, what{"default of ??", "", ""})
			return xt
		}
		yt := c.expr(e.Y, o.Elem)
		if AssignableTo(yt, o.Elem) {
			if _, yOpt := yt.(*Optional); yOpt {
				return o
			}
			return o.Elem
		}
		if AssignableTo(yt, o) {
			return o
		}
		if y, ok := e.Y.(*BinaryExpr); ok && y.Op != "??" && AssignableTo(c.info.Types[y.X], o.Elem) {
			// ?? binds loosest (§6.1): x ?? 1s > d is x ?? (1s > d),
			// whose default mismatches where (x ?? 1s) > d was meant.
			// Say so, and leave the expression untyped rather than
			// report its value again where it is used.
			d := c.errAt(e.Y, CodeMismatch, "cannot use %s as %s in default of ?? (?? binds more loosely than %s, so this reads %s ?? (%s): write (%s ?? %s) %s %s)",
				describeType(yt), o.Elem, y.Op, exprString(e.X), exprString(e.Y), exprString(e.X), exprString(y.X), y.Op, exprString(y.Y))
			// The edit parenthesises x ?? a in the source, comments and all.
			if from, to := e.X.Span().Start, y.X.Span().End; c.file != nil && c.file.File != nil && from <= to && int(to) <= len(c.file.File.Src) {
				d.Fixes = append(d.Fixes, Fix{
					Title:   fmt.Sprintf("change to (%s ?? %s) %s %s", exprString(e.X), exprString(y.X), y.Op, exprString(y.Y)),
					Span:    Span{from, to},
					NewText: "(" + string(c.file.File.Src[from:to]) + ")",
				})
			}
			return Typ[Invalid]
		}
		c.mismatch(e.Y, yt, o.Elem, what{"default of ??", "", ""})
		return o.Elem
	case "in", "not in":
		var xt, yt Type
		if _, xlit := e.X.(*BasicLit); xlit {
			// A literal takes the element or key type: 1 in xs, xs a
			// list[float].
			yt = c.expr(e.Y, nil)
			var want Type
			switch y := yt.(type) {
			case *List:
				want = y.Elem
			case *Map:
				want = y.Key
			}
			xt = c.expr(e.X, want)
		} else {
			xt = c.expr(e.X, nil)
			yt = c.expr(e.Y, nil)
		}
		if IsInvalid(xt) || IsInvalid(yt) {
			return Typ[Bool]
		}
		switch y := yt.(type) {
		case *List:
			if !AssignableTo(xt, y.Elem) && !AssignableTo(y.Elem, xt) {
				list, fix := c.memberList(e.Y, xt)
				if list != "" {
					list = "; an enum member is written without quotes: " + list
				}
				d := c.errAt(e, CodeBadOperand, "invalid operation: %s %s %s (%s is not an element type of %s%s)", exprString(e.X), e.Op, exprString(e.Y), xt, yt, list)
				if fix != nil {
					d.Fixes = append(d.Fixes, *fix)
				}
			}
			return Typ[Bool]
		case *Map:
			if !AssignableTo(xt, y.Key) {
				c.errAt(e, CodeBadOperand, "invalid operation: %s %s %s (%s is not the key type of %s)", exprString(e.X), e.Op, exprString(e.Y), xt, yt)
			}
			return Typ[Bool]
		case *Basic:
			if y.Kind == String && isBasic(xt, String) {
				c.fold(e, xt, yt)
				return Typ[Bool]
			}
		}
		c.errAt(e, CodeBadOperand, "invalid operation: %s %s %s (in needs a list, a map or a string on the right, have %s)", exprString(e.X), e.Op, exprString(e.Y), yt)
		return Typ[Bool]
	case "==", "!=":
		xt, yt := c.operands(e) // none == x, 0 == x for a float x: the literal takes x's type
		if !IsInvalid(xt) && !IsInvalid(yt) && !AssignableTo(xt, yt) && !AssignableTo(yt, xt) {
			why := fmt.Sprintf("mismatched types %s and %s%s", xt, yt, unitHint(e, xt, yt))
			// x == none of an x that is never none (§6.3: an optional
			// compares with none).
			if isBasic(yt, NoneType) {
				why = fmt.Sprintf("%s is never none: its type %s is not optional", exprString(e.X), xt)
			} else if isBasic(xt, NoneType) {
				why = fmt.Sprintf("%s is never none: its type %s is not optional", exprString(e.Y), yt)
			}
			lit, m := e.Y, c.memberSpelling(e.Y, xt)
			if m == "" {
				lit, m = e.X, c.memberSpelling(e.X, yt)
			}
			if m != "" {
				why += "; an enum member is written without quotes: " + m
			}
			d := c.errAt(e, CodeBadOperand, "invalid operation: %s %s %s (%s)", exprString(e.X), e.Op, exprString(e.Y), why)
			if m != "" {
				d.Fixes = append(d.Fixes, memberFix(lit, m))
			}
		}
		c.fold(e, xt, yt)
		return Typ[Bool]
	case "<", "<=", ">", ">=":
		xt, yt := c.operands(e)
		if IsInvalid(xt) || IsInvalid(yt) {
			return Typ[Bool]
		}
		if !Identical(xt, yt) {
			c.errAt(e, CodeBadOperand, "invalid operation: %s %s %s (mismatched types %s and %s%s)", exprString(e.X), e.Op, exprString(e.Y), xt, yt, unitHint(e, xt, yt))
		} else if !Ordered(xt) {
			c.errAt(e, CodeBadOperand, "invalid operation: %s %s %s (operator %s not defined on %s)", exprString(e.X), e.Op, exprString(e.Y), e.Op, xt)
		}
		c.fold(e, xt, yt)
		return Typ[Bool]
	}
	// Arithmetic.
	xt, yt := c.operands(e)
	if IsInvalid(xt) || IsInvalid(yt) {
		return Typ[Invalid]
	}
	if t := arithResult(e.Op, xt, yt); t != nil {
		c.fold(e, xt, yt)
		return t
	}
	c.errAt(e, CodeBadOperand, "invalid operation: %s %s %s (operator %s not defined on %s and %s%s)", exprString(e.X), e.Op, exprString(e.Y), e.Op, xt, yt, arithHint(e, xt, yt))
	return Typ[Invalid]
}

// arithHint suggests how to write an arithmetic operation that
// arithResult rejects, when there is a usual way; "" otherwise.
func arithHint(e *BinaryExpr, xt, yt Type) string {
	xk, yk := kindOf(xt), kindOf(yt)
	switch {
	case (xk == Int && yk == Float) || (xk == Float && yk == Int):
		return "; convert with float(x) or int(x)"
	case e.Op == "*" && xk == Int && (yk == Money || yk == Duration):
		return fmt.Sprintf("; write the int on the right: %s * %s", exprString(e.Y), exprString(e.X))
	case e.Op == "/" && xk == Duration && yk == Duration:
		return fmt.Sprintf("; divide their seconds: seconds(%s) / seconds(%s)", exprString(e.X), exprString(e.Y))
	case e.Op == "+" || e.Op == "-":
		// m + 1 is m + $1; m % 2 or m * 1.5 would be no better with $.
		return unitHint(e, xt, yt)
	}
	return ""
}

// unitHint says how to write an int or float literal operand as the money or
// duration the other operand is (m > 0, d + 5); "" for other operands.
func unitHint(e *BinaryExpr, xt, yt Type) string {
	h := writeAs(e.Y, xt)
	if h == "" {
		h = writeAs(e.X, yt)
	}
	if h == "" {
		return ""
	}
	return "; " + h
}

// writeAs says how to write the int or float literal e (parenthesised or not) as
// the money or duration t is (or t's element, an optional's): money with
// a $, a duration with its unit (language.md §2.5, §2.6), since only a
// float takes an int literal (§4.2); "" for another e or t. It suggests
// only the spellings that are literals (10000000000000s overflows,
// 0.0000001ms is finer than a nanosecond), else, for an int, an example
// (a float with an exponent, 1e3, has no spelling to suggest).
func writeAs(e Expr, t Type) string {
	l, ok := Unparen(e).(*BasicLit)
	if !ok || l.Kind != LitInt && l.Kind != LitFloat {
		return ""
	}
	if o, isOpt := t.(*Optional); isOpt {
		t = o.Elem
	}
	digits, neg := strings.CutPrefix(l.Raw, "-")
	sign := ""
	if neg {
		sign = "-"
	}
	switch kindOf(t) {
	case Money:
		if _, err := ParseMoney("$" + digits); err == nil {
			return fmt.Sprintf("money is written with a $: %s$%s", sign, digits)
		}
		if l.Kind == LitInt {
			return "money is written with a $, as $5"
		}
	case Duration:
		if l.Kind == LitInt && ValidDigits(digits) && strings.Trim(digits, "0_") == "" {
			return "a duration is written with its unit: 0s"
		}
		var ok []string
		for _, unit := range []string{"s", "ms"} {
			if _, err := ParseDuration(digits + unit); err == nil {
				ok = append(ok, sign+digits+unit)
			}
		}
		if len(ok) > 0 {
			return "a duration is written with its unit: " + strings.Join(ok, ", ") + ", …"
		}
		if l.Kind == LitInt {
			return "a duration is written with its unit, as 5s"
		}
	}
	return ""
}

// memberSpelling is how to write the string literal e (parenthesised or
// not) as the member of the enum t (or t's element, an optional's) it
// spells: the bare name where that denotes the member (and always as a
// map literal's key), else the name qualified by the enum's where that
// denotes the enum; "" when e is no
// string literal, t no enum, or the string no member of it. An enum value
// is no string (language.md §3.3), so "timeout" where a Trigger is
// expected is the member meant, quoted.
func (c *checker) memberSpelling(e Expr, t Type) string {
	l, ok := Unparen(e).(*BasicLit)
	if !ok || l.Kind != LitString {
		return ""
	}
	if o, isOpt := t.(*Optional); isOpt {
		t = o.Elem
	}
	en, ok := Unwrap(t).(*Enum)
	if !ok {
		return ""
	}
	name := l.Value
	if !slices.Contains(en.Members, name) {
		return ""
	}
	if e == c.braceKey {
		return name
	}
	hidden := c.hidden
	defer func() { c.hidden = hidden }()
	if o := c.lookup(name); o != nil && o.Kind == ObjEnum && Identical(o.Type, en) {
		return name
	}
	if c.namesEnum(en, name) {
		return en.Name + "." + name
	}
	return ""
}

// memberHint adds to d, reported for the string literal e used where
// the enum t is expected, how to write the member it spells, and the
// fix that writes it.
func (c *checker) memberHint(d *Diagnostic, e Expr, t Type) {
	m := c.memberSpelling(e, t)
	if m == "" {
		return
	}
	d.Message += fmt.Sprintf(" (an enum member is written without quotes: %s)", m)
	d.Fixes = append(d.Fixes, memberFix(e, m))
}

// memberList is how to write the list literal e of strings, each
// spelling a member of the enum t, as the list of those members (t in
// ["timeout", "http_5xx"]), and the fix that writes it, none when a
// comment inside the literal would be lost; "" and nil for another e.
func (c *checker) memberList(e Expr, t Type) (string, *Fix) {
	l, ok := Unparen(e).(*ListLit)
	if !ok || len(l.Elems) == 0 {
		return "", nil
	}
	names := make([]string, len(l.Elems))
	for i, el := range l.Elems {
		if names[i] = c.memberSpelling(el, t); names[i] == "" {
			return "", nil
		}
	}
	list := "[" + strings.Join(names, ", ") + "]"
	if c.file == nil {
		return list, nil
	}
	for _, cm := range c.file.Comments {
		if cm.Sp.Start >= l.Sp.Start && cm.Sp.Start < l.Sp.End {
			return list, nil
		}
	}
	return list, &Fix{Title: "change the list to " + list, Span: l.Sp, NewText: list}
}

// memberFix replaces the string literal e by the member m it spells.
func memberFix(e Expr, m string) Fix {
	return Fix{Title: "change " + exprString(e) + " to " + m, Span: e.Span(), NewText: m}
}

func optionalOf(t Type) Type {
	if t == nil {
		return nil
	}
	if _, ok := t.(*Optional); ok {
		return t
	}
	return &Optional{Elem: t}
}

// operands checks both operands, letting a literal on either side take the
// type of the other (so 2 * 1.5 and 1.5 < 2 are float).
func (c *checker) operands(e *BinaryExpr) (Type, Type) {
	if lit := emptyLit(e.X); lit != "" && emptyLit(e.Y) == "" && (e.Op == "==" || e.Op == "!=") {
		// [] == xs: the left operand is typed on its own (§4.2), and
		// an empty literal has no type of its own; the right one takes
		// the left's, so the literal goes there.
		yt := c.expr(e.Y, nil)
		what := "element type of an empty list"
		if lit == "{}" {
			what = "type of {}"
		}
		c.errAt(e.X, CodeCannotInfer, "cannot infer the %s on the left of %s: the right operand takes its type from the left one, so write %s %s %s", what, e.Op, exprString(e.Y), e.Op, lit)
		return Typ[Invalid], yt
	}
	if isNoneLit(e.X) && isComparison(e.Op) {
		// none == o: the literal takes o's type. None on both sides
		// (none == none) leaves the left one without an expected type
		// (§4.2), as [] == [] does.
		yt := c.expr(e.Y, nil)
		if !isBasic(yt, NoneType) {
			return c.expr(e.X, yt), yt
		}
		c.record(e.X, Typ[Invalid])
		hint := ""
		if e.Op == "==" || e.Op == "!=" {
			hint = fmt.Sprintf("; write the typed operand on the left, as in x %s none", e.Op)
		}
		c.errAt(e.X, CodeCannotInfer, "cannot infer the type of %s on the left of %s: it takes its type from the right operand, and %s has no type of its own%s", exprString(e.X), e.Op, exprString(e.Y), hint)
		return Typ[Invalid], yt
	}
	_, xlit := e.X.(*BasicLit)
	if xlit {
		yt := c.expr(e.Y, nil)
		xt := c.expr(e.X, yt)
		if _, ylit := e.Y.(*BasicLit); ylit && !Identical(xt, yt) {
			yt = c.expr(e.Y, xt) // 1.5 * 2: the int literal is the float
		}
		return xt, yt
	}
	xt := c.expr(e.X, nil)
	hint := xt
	if e.Op == "*" || e.Op == "/" || e.Op == "%" {
		if b, ok := xt.(*Basic); ok && (b.Kind == Money || b.Kind == Duration) {
			hint = nil
		}
	}
	return xt, c.expr(e.Y, hint)
}

// isNoneLit reports whether e is the literal none, parenthesised or not.
func isNoneLit(e Expr) bool {
	l, ok := Unparen(e).(*BasicLit)
	return ok && l.Kind == LitNone
}

// isComparison reports whether op is one of == != < <= > >=.
func isComparison(op string) bool {
	switch op {
	case "==", "!=", "<", "<=", ">", ">=":
		return true
	}
	return false
}

// emptyLit is "[]" or "{}" when e is that empty literal, else "".
func emptyLit(e Expr) string {
	switch e := e.(type) {
	case *ListLit:
		if len(e.Elems) == 0 {
			return "[]"
		}
	case *BraceLit:
		if len(e.Entries) == 0 {
			return "{}"
		}
	}
	return ""
}

// arithResult is the operator table for + - * / %.
func arithResult(op string, x, y Type) Type {
	xb, ok1 := x.(*Basic)
	yb, ok2 := y.(*Basic)
	if !ok1 || !ok2 {
		return nil
	}
	xk, yk := xb.Kind, yb.Kind
	switch op {
	case "+":
		switch {
		case xk == yk && (xk == Int || xk == Float || xk == String || xk == Money || xk == Duration):
			return x
		case xk == Time && yk == Duration:
			return x
		}
	case "-":
		switch {
		case xk == yk && (xk == Int || xk == Float || xk == Money || xk == Duration):
			return x
		case xk == Time && yk == Duration:
			return x
		case xk == Time && yk == Time:
			return Typ[Duration]
		}
	case "*":
		switch {
		case xk == yk && (xk == Int || xk == Float):
			return x
		case (xk == Money || xk == Duration) && yk == Int:
			return x
		}
	case "/":
		switch {
		case xk == yk && (xk == Int || xk == Float):
			return x
		case (xk == Money || xk == Duration) && yk == Int:
			return x
		case xk == Money && yk == Money:
			return Typ[Float]
		}
	case "%":
		if xk == Int && yk == Int {
			return x
		}
	}
	return nil
}

// fold records the constant value of e when both operands, of types xt
// and yt, are constant.
func (c *checker) fold(e *BinaryExpr, xt, yt Type) {
	x, ok1 := c.info.Consts[e.X]
	y, ok2 := c.info.Consts[e.Y]
	if !ok1 || !ok2 {
		return
	}
	v, ok, msg := foldBinary(e.Op, xt, yt, x, y)
	if s, isS := v.(string); isS && e.Op == "+" {
		if c.foldBytes += len(s); c.foldBytes > maxCheckFoldBytes {
			c.limited = true
			c.errAt(e, CodeConstOverflow, "constant expression %s takes the strings folded in the check past %d bytes in all", exprString(e), maxCheckFoldBytes)
			return
		}
	}
	switch msg {
	case "":
	case msgDivZero:
		c.errAt(e, CodeConstOverflow, "%s in constant expression %s", msg, exprString(e))
		return
	default: // out of a range, as the machine says it
		c.errAt(e, CodeConstOverflow, "constant expression %s is %s", exprString(e), msg)
		return
	}
	if ok {
		c.info.Consts[e] = v
		if arithmetic(e.Op) {
			c.noteFold(e)
		}
	}
}

// arithmetic reports whether op is an operator whose constant result may
// overflow or divide by zero (RPL315).
func arithmetic(op string) bool {
	switch op {
	case "+", "-", "*", "/", "%":
		return true
	}
	return false
}

func (c *checker) selector(e *SelectorExpr) Type {
	if id, ok := e.X.(*Ident); ok {
		if id.Name == "super" {
			// As a call would say: no parent, or no such function of
			// it, before "call it".
			if c.superFunc(id, e.Sel) != nil {
				c.errAt(e, CodeBadSuper, "super.%s is not a value: call it", e.Sel.Name)
			}
			return Typ[Invalid]
		}
		if o := c.lookup(id.Name); o != nil && o.Kind == ObjModule {
			c.use(id, o)
			return c.moduleMember(e, o)
		}
	}
	if en := c.enumTypeName(e.X); en != nil {
		return c.enumMember(e, en)
	}
	xt := c.expr(e.X, nil)
	if IsInvalid(xt) {
		return Typ[Invalid]
	}
	if o, ok := xt.(*Optional); ok {
		if r, ok := o.Elem.(*Record); ok && r.FieldIndex(e.Sel.Name) >= 0 {
			c.errAt(e.Sel, CodeMismatch, "%s may be none (type %s): give a default with ?? before reading .%s", exprString(e.X), xt, e.Sel.Name)
			return Typ[Invalid]
		}
	}
	r, ok := xt.(*Record)
	if !ok {
		d := c.errAt(e.Sel, CodeUnknownField, "%s has no field %s (type %s is not a record)", exprString(e.X), e.Sel.Name, xt)
		// A builtin read as a field (xs.len, s.length): say how to
		// call it.
		name := e.Sel.Name
		if alias := otherLanguages[name].to; alias != "" {
			name = alias
		}
		if slices.Contains(c.methodNames(xt), name) {
			args := "…"
			if o := c.u.Scope.objects[name]; o != nil {
				for _, b := range o.Overloads {
					if n := len(b.Type.Params); n > 0 && unify(b.Type.Params[0].Type, xt, map[*TypeVar]Type{}) && (n == 1 || b.Type.Params[1].Optional) {
						args = ""
					}
				}
			}
			d.Message = fmt.Sprintf("%s has no field %s (type %s is not a record; the builtin %s is called: %s.%s(%s))", exprString(e.X), e.Sel.Name, xt, name, exprString(e.X), name, args)
		}
		c.noteHiddenImport(d, e.X, e.Sel.Name)
		return Typ[Invalid]
	}
	i := r.FieldIndex(e.Sel.Name)
	if i < 0 {
		d := c.errBest(e.Sel, CodeUnknownField, e.Sel.Name, nearestField(e.Sel.Name, fieldNames(r)), "%s has no field %s", r, e.Sel.Name)
		c.noteHiddenImport(d, e.X, e.Sel.Name)
		return Typ[Invalid]
	}
	return r.Fields[i].Type
}

// namesEnum reports whether en's name, in the current scope, denotes an
// enum of that name with the member (as enumTypeName resolves it: a value
// of that name hides the type), so that en.Name.member written there is
// that member.
func (c *checker) namesEnum(en *Enum, member string) bool {
	hidden := c.hidden
	defer func() { c.hidden = hidden }()
	o := c.lookup(en.Name)
	if o == nil {
		o = c.u.Types[en.Name]
	}
	if o == nil || o.Kind != ObjType {
		return false
	}
	c.resolve(o)
	t, ok := o.Type.(*Enum)
	return ok && t.Name == en.Name && slices.Contains(t.Members, member)
}

// enumTypeName returns the enum type that x names, Trigger or m.Reason (a
// type declared as an enum, possibly by an imported module), recording the
// uses of its names; nil when x names anything else, a value first (a
// local Trigger shadows the type). Other type names are left to expr,
// which reports that they are not values.
func (c *checker) enumTypeName(x Expr) *Enum {
	switch x := x.(type) {
	case *Ident:
		o := c.lookup(x.Name)
		if o == nil {
			o = c.u.Types[x.Name]
		}
		if o == nil || o.Kind != ObjType {
			return nil
		}
		c.resolve(o)
		en, ok := o.Type.(*Enum)
		if ok {
			c.use(x, o)
		}
		return en
	case *SelectorExpr:
		id, ok := x.X.(*Ident)
		if !ok {
			return nil
		}
		mod := c.lookup(id.Name)
		if mod == nil || mod.Kind != ObjModule || mod.Module == nil {
			return nil
		}
		o := mod.Module.Scope.Lookup(x.Sel.Name)
		if o == nil || o.Kind != ObjType {
			return nil
		}
		c.resolve(o)
		en, ok := o.Type.(*Enum)
		if ok {
			c.use(id, mod)
			c.use(x.Sel, o)
		}
		return en
	}
	return nil
}

// enumMember types E.m where E names the enum type en (spec §6.9): the
// member m, a constant of type en; a name that is no member of en is
// RPL202, with a spelling suggestion.
func (c *checker) enumMember(e *SelectorExpr, en *Enum) Type {
	name := e.Sel.Name
	if !slices.Contains(en.Members, name) {
		if Nearest(name, en.Members) != "" {
			c.errSuggest(e.Sel, CodeUnknownField, name, en.Members, "%s has no member %s", en, name)
		} else {
			c.errAt(e.Sel, CodeUnknownField, "%s has no member %s (its members: %s)", en, name, strings.Join(en.Members, ", "))
		}
		return Typ[Invalid]
	}
	// The universe's member object, when it is this enum's (a member name
	// that two enums share gets an object of its own).
	o := c.u.Scope.Lookup(name)
	if o == nil || o.Kind != ObjEnum || o.Type != Type(en) {
		o = &Object{Kind: ObjEnum, Name: name, Type: en}
	}
	c.use(e.Sel, o)
	return en
}

// moduleMember types m.name for an imported module m (not a call).
func (c *checker) moduleMember(e *SelectorExpr, mod *Object) Type {
	if brokenModule(mod) {
		return Typ[Invalid] // its import failed, reported
	}
	if mod.Module == nil {
		o := c.u.Modules[mod.StdModule].Lookup(e.Sel.Name)
		if o == nil {
			c.errSuggest(e.Sel, CodeUndefined, e.Sel.Name, c.u.Modules[mod.StdModule].Names(), "undefined: %s.%s", mod.Name, e.Sel.Name)
			return Typ[Invalid]
		}
		c.use(e.Sel, o)
		c.errAt(e, CodeMismatch, "function %s.%s used as a value: call it with (…)", mod.Name, e.Sel.Name)
		return Typ[Invalid]
	}
	o := mod.Module.Scope.Lookup(e.Sel.Name)
	if o == nil {
		c.errSuggest(e.Sel, CodeUndefined, e.Sel.Name, mod.Module.Scope.Names(), "undefined: %s.%s%s", mod.Name, e.Sel.Name, inherited(mod.Module, mod.Name, e.Sel.Name))
		return Typ[Invalid]
	}
	c.use(e.Sel, o)
	c.resolve(o)
	switch o.Kind {
	case ObjConst:
		if d, ok := o.Decl.(*ConstDecl); ok {
			if v, ok := c.info.Consts[d.Value]; ok {
				c.info.Consts[e] = v
			}
		}
		return o.Type
	case ObjFunc:
		c.errAt(e, CodeMismatch, "function %s.%s used as a value: call it with (…)", mod.Name, e.Sel.Name)
	default:
		c.errAt(e, CodeUndefined, "%s.%s is a type, not a value", mod.Name, e.Sel.Name)
	}
	return Typ[Invalid]
}

func (c *checker) index(e *IndexExpr) Type {
	xt := c.expr(e.X, nil)
	switch x := xt.(type) {
	case *List:
		c.exprAs(e.Index, Typ[Int], what{"list index", "", ""})
		return x.Elem
	case *Map:
		c.exprAs(e.Index, x.Key, what{"map key", "", ""})
		return optionalOf(x.Elem)
	}
	c.expr(e.Index, nil)
	if !IsInvalid(xt) {
		c.errAt(e, CodeBadOperand, "invalid operation: cannot index %s (type %s)%s", exprString(e.X), xt, c.continued(e.X, e.Index.Span().Start, "["))
	}
	return Typ[Invalid]
}

// continued is a hint for an index or a call (tok, at at) of x that fails,
// when at is on a later line than x ends: newlines do not end statements
// (§2.2), so a line starting with [ or ( continues the one before it,
// which the author likely meant as a statement of its own.
func (c *checker) continued(x Expr, at Pos, tok string) string {
	if c.file == nil || c.file.File == nil {
		return ""
	}
	f := c.file.File
	if f.Position(at).Line <= f.Position(x.Span().End).Line {
		return ""
	}
	return fmt.Sprintf(" (the %s on the next line continues %s: newlines do not end statements; end the line before with ; to start a new one)", tok, exprString(x))
}

// unifyBranch is the common type of two branches, or nil.
func unifyBranch(a, b Type) Type {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case IsInvalid(a):
		return b
	case IsInvalid(b):
		return a
	case isBasic(a, Never):
		return b
	case isBasic(b, Never):
		return a
	case Identical(a, b):
		return a
	case isBasic(a, NoneType):
		if _, ok := b.(*Optional); ok {
			return b
		}
		return optionalOf(b)
	case isBasic(b, NoneType):
		return unifyBranch(b, a)
	case AssignableTo(a, b):
		return b
	case AssignableTo(b, a):
		return a
	}
	return nil
}

// emptyHint is the declaration RPL314 suggests for e, an empty literal:
// of type t, the type of the other branches where e is a branch's value,
// when it is one e can be, else of an example type.
func emptyHint(e Expr, t Type) string {
	switch e.(type) {
	case *ListLit:
		if _, ok := Unwrap(t).(*List); !ok || hasInvalid(t) {
			t = &List{Elem: Typ[String]}
		}
		return fmt.Sprintf("let xs: %s = []", t)
	}
	switch Unwrap(t).(type) {
	case *Map, *Record:
		if !hasInvalid(t) {
			return fmt.Sprintf("let m: %s = {}", t)
		}
	}
	return "let m: map[string, int] = {}"
}

// hasInvalid reports whether t is or holds the invalid type.
func hasInvalid(t Type) bool {
	switch t := t.(type) {
	case *List:
		return hasInvalid(t.Elem)
	case *Map:
		return hasInvalid(t.Key) || hasInvalid(t.Elem)
	case *Optional:
		return hasInvalid(t.Elem)
	case *Record:
		for _, f := range t.Fields {
			if hasInvalid(f.Type) {
				return true
			}
		}
		return false
	}
	return t == nil || IsInvalid(t)
}

// branchHint names t, the type of a conditional's other branches, in
// the RPL314 hint of branch, a branch whose value is an empty literal
// without an expected type: the example type it named (list[string])
// could be another branch's type or none of them.
func (c *checker) branchHint(branch Expr, t Type) {
	x := branch
	if b, ok := x.(*BlockExpr); ok && len(b.Stmts) > 0 {
		if es, ok := b.Stmts[len(b.Stmts)-1].(*ExprStmt); ok {
			x = es.X
		}
	}
	x = Unparen(x)
	d := c.uninferred[x]
	if d == nil || t == nil {
		return
	}
	what, _, _ := strings.Cut(d.Message, " (")
	d.Message = what + " (" + emptyHint(x, t) + ")"
}

func (c *checker) ifExpr(e *IfExpr, want Type, value bool) Type {
	c.exprAs(e.Cond, Typ[Bool], what{"if condition", "", ""})
	then := c.block(e.Then, want, value && e.Else != nil)
	if e.Else == nil {
		return Typ[Void]
	}
	var els Type
	switch x := e.Else.(type) {
	case *IfExpr:
		els = c.record(x, c.ifExpr(x, want, value))
	case *BlockExpr:
		els = c.record(x, c.block(x, want, value))
	}
	if !value {
		return Typ[Void]
	}
	if isBasic(then, Void) || isBasic(els, Void) {
		if isBasic(then, Never) || isBasic(els, Never) || (isBasic(then, Void) && isBasic(els, Void)) {
			return Typ[Void]
		}
	}
	u := unifyBranch(then, els)
	c.branchHint(e.Then, els)
	c.branchHint(e.Else, then)
	if u == nil {
		// The hint is the branch of no value's: an if without else that
		// ends it, whose branch's value noValue leaves unsaid.
		hint := elseHint(e.Else)
		if isBasic(then, Void) {
			hint = elseHint(e.Then)
		}
		c.errAt(e, CodeBranchTypes, "if branches have different types: %s and %s%s", then, els, hint)
		c.noValue(e)
		return Typ[Invalid]
	}
	return u
}

func (c *checker) match(e *MatchExpr, want Type, value bool) Type {
	st := c.expr(e.Subject, nil)
	var result Type
	catchAll := false
	refused := false // a pattern refused: what it meant to cover is not known
	bad := false     // a pattern reported: which arms apply is not known
	var voidArms []Expr
	for _, arm := range e.Arms {
		scope := NewScope(c.scope, arm)
		c.info.Scopes[arm] = scope
		for _, p := range arm.Patterns {
			if isWildcard(p) {
				if arm.Guard == nil {
					catchAll = true
				}
				continue
			}
			if l, ok := p.(*BasicLit); ok && strings.HasPrefix(l.Raw, "-") && l.Kind != LitInt && l.Kind != LitFloat && l.Kind != LitDuration && l.Kind != LitMoney {
				// The grammar lets a - precede any literal (§6.12: a
				// number's or money's sign only).
				c.errAt(p, CodeInvalidPattern, "- before a %s pattern: a - may precede only a number, duration or money literal", l.Kind)
				refused, bad = true, true
				continue
			}
			pt := c.expr(p, st)
			if IsInvalid(pt) {
				bad = true
				continue // reported (an undefined name, an unknown member)
			}
			if !c.isConstExpr(p) {
				msg := "match pattern must be a literal, a constant or _"
				var fixes []Fix
				if id, ok := p.(*Ident); ok {
					if o := c.info.Uses[id]; o != nil && o.Kind == ObjVar {
						if en, ok := Unwrap(st).(*Enum); ok && slices.Contains(en.Members, id.Name) {
							msg += fmt.Sprintf(": %s is a variable here, which hides the member of %s: write %s.%s", id.Name, en.Name, en.Name, id.Name)
							if c.namesEnum(en, id.Name) {
								q := en.Name + "." + id.Name
								fixes = append(fixes, Fix{Title: "change " + id.Name + " to " + q, Span: id.Span(), NewText: q})
							}
						} else {
							msg += fmt.Sprintf(": %s is a variable (to compare with it, write _ if %s == %s => …)", id.Name, exprString(e.Subject), id.Name)
						}
					}
				}
				c.errAt(p, CodeInvalidPattern, "%s", msg).Fixes = fixes
				bad = true
				continue
			}
			if !IsInvalid(st) && !IsInvalid(pt) && !AssignableTo(pt, st) && !AssignableTo(st, pt) {
				d := c.errAt(p, CodeInvalidPattern, "pattern of type %s cannot match %s of type %s", pt, exprString(e.Subject), st)
				c.memberHint(d, p, st)
				bad = true
			}
		}
		saved := c.scope
		c.scope = scope
		if arm.Guard != nil {
			c.exprAs(arm.Guard, Typ[Bool], what{"match guard", "", ""})
		}
		if !value {
			// A statement's arm: its value goes nowhere, as a bare
			// statement's (discardedExpr): a value computed there for
			// nothing (d.tag(…), n * 2) is RPL325, and an if, a match
			// or a block there is a statement. A none there is how an
			// arm that does nothing is written (_ => {} is an empty map,
			// RPL314), not a value computed for nothing: removing it
			// would let the arm's values fall to the next arm.
			if l, ok := arm.Body.(*BasicLit); ok && l.Kind == LitNone {
				c.exprOrVoid(arm.Body, nil)
			} else {
				c.discardedExpr(arm.Body, false)
			}
			c.scope = saved
			continue
		}
		t := c.exprOrVoid(arm.Body, want)
		c.scope = saved
		if isBasic(t, Void) {
			voidArms = append(voidArms, arm.Body)
			continue
		}
		u := unifyBranch(result, t)
		if u == nil {
			c.errAt(arm.Body, CodeBranchTypes, "match arms have different types: %s and %s", result, t)
			continue
		}
		result = u
	}
	for _, arm := range e.Arms {
		c.branchHint(arm.Body, result)
	}
	if len(voidArms) > 0 {
		if result == nil || isBasic(result, Never) || IsInvalid(result) {
			// No arm has a value: nor has the match, which is an
			// error where its value is used (noValueUsed), not in a
			// block whose value is discarded.
			result = Typ[Void]
		} else {
			// Where other arms have one, an arm of no value is the
			// error (an if without else), not the arms' types.
			for _, b := range voidArms {
				c.noValueUsed(b)
			}
		}
	}
	if !bad && !IsInvalid(st) {
		c.unreachableArms(e, st)
		if !catchAll {
			c.noCatchAll = append(c.noCatchAll, exhaustiveMatch{e, st, c.file, c.fnObj})
		}
	}
	if !value {
		return Typ[Void]
	}
	if !catchAll && !refused && !IsInvalid(st) {
		if missing := c.uncovered(e.Arms, st, false); len(missing) > 0 {
			// With a pattern reported (timout, "timeout"), the member
			// said missing may be the one it meant: only a subject whose
			// values no arms can list still needs its catch-all.
			if !bad || slices.Contains(missing, everyValue) {
				c.errAt(e, CodeNonExhaustive, "match used as a value must have a catch-all arm (_ => …)%s", c.missingArms(e, missing))
			}
		} else {
			c.exhaustive = append(c.exhaustive, exhaustiveMatch{e, st, c.file, c.fnObj})
		}
	}
	if result == nil {
		return Typ[Invalid]
	}
	return result
}

// missingArms says which values of a match's subject, missing (uncovered),
// no arm matches, for RPL305's message: nothing for a subject whose values
// arms cannot list.
func (c *checker) missingArms(e *MatchExpr, missing []string) string {
	if slices.Contains(missing, everyValue) {
		return ""
	}
	no := "no arm"
	if slices.ContainsFunc(e.Arms, func(a *MatchArm) bool { return a.Guard != nil }) {
		no = "no arm without a guard"
	}
	list := missing[0]
	if n := len(missing); n > 1 {
		list = strings.Join(missing[:n-1], ", ") + " or " + missing[n-1]
	}
	return ", or arms for every value: " + no + " matches " + list
}

// earlier is the related location of n, in the current file, that a
// diagnostic about a repeat of it points back to.
func (c *checker) earlier(n Node, msg string) []Related {
	return []Related{{File: c.file.File, Span: n.Span(), Message: msg}}
}

// isWildcard reports whether the pattern p is _, which matches anything.
func isWildcard(p Expr) bool {
	id, ok := p.(*Ident)
	return ok && id.Name == "_"
}

// patKey is what a match pattern matches, comparable with ==: an enum
// member by name, or a scalar constant (nil for none).
type patKey struct {
	member string
	v      ConstValue
}

// patternKey is the value that the pattern p matches: an enum member,
// bare, qualified or through a constant (enumPattern), or a scalar
// constant's value, none included. A constant pattern counts for its value
// in its package, or with derived in the composed policy
// (checker.derived). ok is false for _ and for a pattern whose value the
// checker does not know.
func (c *checker) patternKey(p Expr, derived bool) (patKey, bool) {
	if m, ok := c.enumPattern(p, 0, derived); ok {
		return patKey{member: m}, true
	}
	v, ok := c.info.Consts[p]
	if derived {
		v, ok = c.derivedValue(p)
	}
	switch v.(type) {
	case nil, bool, int64, float64, string:
		return patKey{v: v}, ok
	}
	return patKey{}, false
}

// everyValue is what uncovered lists when the patterns cover no value of
// a type whose values are past naming.
const everyValue = "every value"

// uncovered lists the values of the subject type st that no unguarded arm
// of arms matches (patternKey): true or false, an enum's members, none;
// nothing after an unguarded catch-all arm. Only bools, enums and their
// optionals can be covered without a catch-all: for another type the list
// holds "every value". The checker asks it of a match's arms (RPL305, and
// Program.Exhaustive) and of the arms before one (RPL324).
func (c *checker) uncovered(arms []*MatchArm, st Type, derived bool) []string {
	covered := map[patKey]bool{}
	for _, arm := range arms {
		if arm.Guard != nil {
			continue
		}
		for _, p := range arm.Patterns {
			if isWildcard(p) {
				return nil
			}
			if k, ok := c.patternKey(p, derived); ok {
				covered[k] = true
			}
		}
	}
	var out []string
	if o, ok := st.(*Optional); ok {
		if !covered[patKey{}] {
			out = append(out, "none")
		}
		st = o.Elem
	}
	if isBasic(st, Bool) {
		if !covered[patKey{v: true}] {
			out = append(out, "true")
		}
		if !covered[patKey{v: false}] {
			out = append(out, "false")
		}
	} else if en, ok := st.(*Enum); ok {
		for _, m := range en.Members {
			if !covered[patKey{member: m}] {
				out = append(out, m)
			}
		}
	} else {
		out = append(out, everyValue)
	}
	return out
}

// deadPattern is a match pattern that never applies: why, and the arm
// that matches its values first (-1 for none).
type deadPattern struct {
	p   Expr
	why string
	by  int
}

// unreachableArms warns of each arm of e that never applies (RPL324):
// after an unguarded catch-all, after unguarded arms that cover every value
// of the subject's type st (uncovered), or whose every pattern an earlier
// unguarded arm matches already, or is none for a subject that never is. A
// pattern that never applies in an arm that does is reported alone, a
// pattern its own arm repeats as well. The constants are the package's:
// an override that makes two patterns equal is not reported (the parent's
// arms are not wrong where they are written).
func (c *checker) unreachableArms(e *MatchExpr, st Type) {
	_, optional := st.(*Optional)
	u := Unwrap(st)
	_, isEnum := u.(*Enum)
	finite := isEnum || isBasic(u, Bool) // a type whose every value arms can list
	first := map[patKey]int{}            // the first unguarded arm to match each value
	firstPat := map[patKey]Expr{}        // and its pattern that does
	wild, full := -1, -1                 // the first unguarded catch-all arm; the first arm after which no value is left
	// where names arm i for a message about the pattern p: by its line,
	// or by its column when it is on p's line.
	where := func(i int, p Expr) string {
		at, here := c.file.File.Position(e.Arms[i].Sp.Start), c.file.File.Position(p.Span().Start)
		if at.Line == here.Line {
			return fmt.Sprintf("column %d", at.Col)
		}
		return fmt.Sprintf("line %d", at.Line)
	}
	for i, arm := range e.Arms {
		var dead []deadPattern
		own := map[patKey]Expr{} // the arm's first pattern of each value
		for _, p := range arm.Patterns {
			k, known := c.patternKey(p, false)
			j, seen := first[k]
			switch {
			case wild >= 0:
				dead = append(dead, deadPattern{p, fmt.Sprintf("the catch-all arm _ at %s matches every value first", where(wild, p)), wild})
			case full >= 0:
				dead = append(dead, deadPattern{p, fmt.Sprintf("the arms up to %s cover every value of %s", where(full, p), st), full})
			case known && seen:
				why := fmt.Sprintf("%s is matched by the arm at %s already", exprString(p), where(j, p))
				if q := exprString(firstPat[k]); q != exprString(p) {
					why += " (by its pattern " + q + ")"
				}
				dead = append(dead, deadPattern{p, why, j})
			case known && k == patKey{} && !optional:
				dead = append(dead, deadPattern{p, fmt.Sprintf("%s is none, which %s of type %s never is", exprString(p), exprString(e.Subject), st), -1})
			case known && own[k] != nil:
				dead = append(dead, deadPattern{p, fmt.Sprintf("this arm's pattern %s matches it already", exprString(own[k])), -1})
			case known:
				own[k] = p
			}
		}
		if len(dead) > 0 && len(dead) == len(arm.Patterns) {
			c.warnDeadArm(e, arm, dead, wild >= 0)
		} else {
			for _, d := range dead {
				w := c.errAt(d.p, CodeUnreachableArm, "pattern %s never applies: %s", exprString(d.p), d.why)
				if d.by >= 0 {
					w.Related = []Related{{File: c.file.File, Span: e.Arms[d.by].Head(), Message: "the arm that matches " + exprString(d.p) + " first"}}
				}
			}
		}
		if arm.Guard != nil {
			continue
		}
		grew := false
		for _, p := range arm.Patterns {
			if isWildcard(p) && wild < 0 {
				wild = i
			}
			if k, ok := c.patternKey(p, false); ok {
				if _, seen := first[k]; !seen {
					first[k], firstPat[k], grew = i, p, true
				}
			}
		}
		// Only a new value can leave none uncovered: asked again only then.
		if finite && grew && full < 0 && wild < 0 && len(c.uncovered(e.Arms[:i+1], st, false)) == 0 {
			full = i
		}
	}
}

// warnDeadArm reports the arm of e whose every pattern never applies, dead,
// at its patterns, with the arms that match them first as related
// locations; afterWild says a catch-all arm comes before it.
func (c *checker) warnDeadArm(e *MatchExpr, arm *MatchArm, dead []deadPattern, afterWild bool) {
	var whys []string
	var related []Related
	seenWhy, seenBy := map[string]bool{}, map[int]bool{}
	for _, d := range dead {
		if !seenWhy[d.why] {
			seenWhy[d.why] = true
			whys = append(whys, d.why)
		}
		if d.by >= 0 && !seenBy[d.by] {
			seenBy[d.by] = true
			related = append(related, Related{File: c.file.File, Span: e.Arms[d.by].Head(), Message: "the arm that matches first"})
		}
	}
	msg := "unreachable match arm: " + strings.Join(whys, "; ")
	if afterWild && !slices.ContainsFunc(arm.Patterns, isWildcard) {
		msg += " (an arm meant to apply goes above it)"
	}
	sp := Span{arm.Patterns[0].Span().Start, arm.Patterns[len(arm.Patterns)-1].Span().End}
	d := c.errorf(c.file.File, sp, CodeUnreachableArm, "%s", msg)
	d.Related = related
}

// enumPattern is the enum member that the pattern p denotes: a member,
// bare (timeout) or qualified (Trigger.timeout), or a constant whose
// value is one. A constant is followed to its value, not read by its
// name: const timeout = Trigger.any_error matches any_error. With
// derived, a constant is the declaration the composed policy uses
// (checker.derived), which a policy extending the constant's may replace.
func (c *checker) enumPattern(p Expr, depth int, derived bool) (string, bool) {
	var o *Object
	switch p := p.(type) {
	case *Ident:
		o = c.info.Uses[p]
	case *SelectorExpr:
		o = c.info.Uses[p.Sel]
	}
	if o == nil || depth > 100 {
		return "", false
	}
	switch o.Kind {
	case ObjEnum:
		return o.Name, true
	case ObjConst:
		if derived {
			o = c.derived(o)
		}
		if d, ok := o.Decl.(*ConstDecl); ok {
			return c.enumPattern(d.Value, depth+1, derived)
		}
	}
	return "", false
}

// block checks a block. Its value is its last statement's when that is an
// expression (value says whether the value is used); a block whose last
// statement returns has type never.
func (c *checker) block(b *BlockExpr, want Type, value bool) Type {
	scope := NewScope(c.scope, b)
	c.info.Scopes[b] = scope
	saved := c.scope
	c.scope = scope
	defer func() { c.scope = saved }()
	var t Type = Typ[Void]
	var returned Stmt // the statement that returns, before code it makes unreachable
	quiet := -1       // the last statement of an elif, whose discarded values and returns are not said
	for i, s := range b.Stmts {
		last := i == len(b.Stmts)-1
		if returned != nil {
			c.unreachable(s, returned)
			returned = nil // report once
		}
		if c.elifStmt(b.Stmts, i) {
			// The hint and its fix; the condition and the block that
			// follow are checked, but their values, which else if
			// would use, are not said to be discarded.
			id := s.(*ExprStmt).X.(*Ident)
			d := c.errAt(id, CodeUndefined, "undefined: elif (%s)", otherLanguages["elif"].msg)
			d.Fixes = append(d.Fixes, Fix{Title: "change elif to else if", Span: id.Span(), NewText: "else if"})
			c.record(id, Typ[Invalid])
			quiet = i + 1
			if i+2 < len(b.Stmts) {
				if es, ok := b.Stmts[i+2].(*ExprStmt); ok {
					if _, ok := es.X.(*BlockExpr); ok {
						quiet = i + 2
					}
				}
			}
			t = Typ[Void]
			continue
		}
		n := len(c.diags)
		t = c.stmt(s, want, value && last)
		if i <= quiet {
			for _, d := range c.diags[n:] {
				if d.Code == CodeDiscarded {
					c.unsaid[d] = true
				}
			}
			// Nor does a return in its block make what follows
			// unreachable: an else if's does not.
			if isBasic(t, Never) {
				t = Typ[Void]
			}
			continue
		}
		if isBasic(t, Never) {
			returned = s
		} else if !last && mayReturn(s) {
			c.afterBranches = append(c.afterBranches, afterBranch{b.Stmts[i+1], s, c.file})
		}
		if !last && !isBasic(t, Never) {
			t = Typ[Void]
		}
	}
	return t
}

// afterBranch is a statement, next, that follows the statement ret, an
// if, match or block of file that may return on every path.
type afterBranch struct {
	next, ret Stmt
	file      *FileNode
}

// mayReturn reports whether s is an expression statement that returns
// may find returning on every path: an if, a match or a block, within
// parentheses or not (IsStmtForm).
func mayReturn(s Stmt) bool {
	es, ok := s.(*ExprStmt)
	return ok && IsStmtForm(es.X)
}

// reportAfterBranches warns of each statement that follows one that
// returns on every path (RPL310). It runs once every package is checked:
// whether a match without a catch-all covers every value depends on the
// constants of the composed policy (a child's constant can leave a
// parent's match without an arm for some value, and the code after it
// runs), as Program.Exhaustive, and so the compiler, count them.
func (c *checker) reportAfterBranches() {
	saved := c.file
	defer func() { c.file = saved }()
	for _, a := range c.afterBranches {
		c.file = a.file
		if c.returns(a.ret) {
			c.unreachable(a.next, a.ret)
		}
	}
}

// returns reports whether the checked statement s returns on every path:
// a return; within parentheses or not, a block holding a statement that
// does; an if whose branches, else included, all do; a match whose arms
// all do and that has a catch-all arm or arms for every value of its
// subject (with the constants of the composed policy, as
// Program.Exhaustive counts them).
// A statement if or match keeps its type void for the compiler: this is
// what reportAfterBranches reads instead, once every package is checked.
func (c *checker) returns(s Stmt) bool {
	switch s := s.(type) {
	case *ReturnStmt:
		return true
	case *ExprStmt:
		return c.exprReturns(s.X)
	}
	return false
}

func (c *checker) exprReturns(e Expr) bool {
	if t, ok := c.info.Types[e]; ok && isBasic(t, Never) {
		return true
	}
	switch x := e.(type) {
	case *ParenExpr:
		return c.exprReturns(x.X)
	case *BlockExpr:
		return slices.ContainsFunc(x.Stmts, c.returns)
	case *IfExpr:
		return x.Else != nil && c.exprReturns(x.Then) && c.exprReturns(x.Else)
	case *MatchExpr:
		if len(x.Arms) == 0 {
			return false
		}
		for _, arm := range x.Arms {
			if !c.exprReturns(arm.Body) {
				return false
			}
		}
		st := c.valueType(x.Subject)
		if st == nil || IsInvalid(st) {
			return slices.ContainsFunc(x.Arms, func(a *MatchArm) bool {
				return a.Guard == nil && slices.ContainsFunc(a.Patterns, isWildcard)
			})
		}
		return len(c.uncovered(x.Arms, st, true)) == 0
	}
	return false
}

// voidName names e, an expression of no value, for a message: an if or a
// block by its kind (exprString spells them …), an if without else as such.
func voidName(e Expr) string {
	switch x := e.(type) {
	case *IfExpr:
		if x.Else != nil {
			return "the if"
		}
		return "if without else"
	case *BlockExpr:
		return "the block"
	}
	return exprString(e)
}

// elseHint is why e, of no value, has none when it is an if without else,
// or a block or if that ends with one (§6.12: used as a value, an if needs
// an else), or a block that ends with a let; "" otherwise.
func elseHint(e Expr) string {
	if elseless(e) != nil {
		return ": used as a value, an if needs an else"
	}
	if b, ok := Unparen(e).(*BlockExpr); ok && len(b.Stmts) > 0 {
		if l, ok := b.Stmts[len(b.Stmts)-1].(*LetStmt); ok && l.Name != nil {
			// Its RPL207 is left out (noValue): say what is missing.
			return fmt.Sprintf(": it ends with let %s, which gives no value; write the value after it", l.Name.Name)
		}
	}
	return ""
}

// elseless is the if without else that e is or that ends it (within
// parentheses, a block's last statement, an if's else branch), or nil.
func elseless(e Expr) *IfExpr {
	for {
		switch x := e.(type) {
		case *ParenExpr:
			e = x.X
			continue
		case *IfExpr:
			if x.Else == nil {
				return x
			}
			e = x.Else
			if b, ok := x.Else.(*BlockExpr); ok {
				e = b
			}
			continue
		case *BlockExpr:
			if len(x.Stmts) == 0 {
				return nil
			}
			es, ok := x.Stmts[len(x.Stmts)-1].(*ExprStmt)
			if !ok {
				return nil
			}
			e = es.X
			continue
		}
		return nil
	}
}

// unreachable warns of the statement s, which follows the statement ret
// that returns (RPL310), naming ret: a return, or a statement that returns
// on every path (returns), which is not as plain to see.
func (c *checker) unreachable(s, ret Stmt) {
	line := c.file.File.Position(ret.Span().Start).Line
	what := "the return at line %d leaves the function first"
	if _, ok := ret.(*ReturnStmt); !ok {
		what = "the statement at line %d returns first"
	}
	d := c.errAt(s, CodeUnreachable, "unreachable code: "+what, line)
	d.Related = []Related{{File: c.file.File, Span: ret.Span(), Message: "returns here"}}
}

func (c *checker) stmt(s Stmt, want Type, value bool) Type {
	switch s := s.(type) {
	case *LetStmt:
		var t Type
		if s.Type != nil {
			t = c.typeExpr(s.Type)
			c.exprAs(s.Value, t, what{"let", s.Name.Name, ""})
		} else {
			t = c.expr(s.Value, nil)
			switch {
			case isBasic(t, NoneType):
				c.errAt(s.Value, CodeCannotInfer, "cannot infer the type of %s from none: write let %s: T? = none", s.Name.Name, s.Name.Name)
				t = Typ[Invalid]
			case isBasic(t, Never):
				t = Typ[Invalid]
			}
		}
		obj := &Object{Kind: ObjVar, Name: s.Name.Name, Type: t, Decl: s, Pkg: c.pkg}
		c.info.Defs[s.Name] = obj
		if s.Name.Name != "_" {
			if prev := c.scope.Insert(obj); prev != nil {
				c.errAt(s.Name, CodeRedeclared, "%s redeclared in this block", s.Name.Name).Related = []Related{{File: c.file.File, Span: Span{prev.Pos(), prev.Pos() + Pos(len(prev.Name))}, Message: "previous declaration"}}
			}
		}
		// A value that returns on every path (let x = if c { return a }
		// else { return b }) makes the let return: what follows is
		// unreachable.
		if vt, ok := c.info.Types[s.Value]; ok && isBasic(vt, Never) {
			return Typ[Never]
		}
		return Typ[Void]
	case *ReturnStmt:
		switch {
		case c.inLambda > 0:
			c.errAt(s, CodeReturnOutside, "return inside a lambda: a lambda's body is its value")
			c.expr(s.Value, nil)
		case c.fn == nil && c.inTest:
			c.errAt(s, CodeReturnOutside, "return in a test: a test has no result (state what it checks with expect)")
			c.expr(s.Value, nil)
		case c.fn == nil:
			c.errAt(s, CodeReturnOutside, "return outside a function")
			c.expr(s.Value, nil)
		case c.fnResult != nil:
			c.exprAs(s.Value, c.fnResult, what{"return", "", ""})
		default:
			t := c.expr(s.Value, nil)
			u := unifyBranch(c.returnType, t)
			if u == nil {
				c.errAt(s, CodeBranchTypes, "return of %s where an earlier return gives %s: declare the function's result type", t, c.returnType)
				break
			}
			c.returnType = u
		}
		return Typ[Never]
	case *ExpectStmt:
		if !c.inTest {
			c.errAt(s, CodeExpectOutside, "expect outside a test: expect states what a test checks, in a test \"name\" { … } block (in any file, most often a *_test.rpl file)")
		}
		c.exprAs(s.Cond, Typ[Bool], what{"expect", "", ""})
		if s.Message != nil {
			c.exprAs(s.Message, Typ[String], what{"expect message", "", ""})
		}
		return Typ[Void]
	case *ExprStmt:
		if value {
			return c.exprOrVoid(s.X, want)
		}
		return c.discardedExpr(s.X, true)
	}
	return Typ[Invalid]
}

// discardedExpr checks e, whose value is discarded (an expression
// statement that is not the value of its block, the arm of a match used
// as a statement), as a statement (§7.4): an if or a match there is not
// used as a value (§6.12), nor is one within parentheses or the last
// statement of a block there, whose value is discarded as well, and a
// value computed there for nothing is RPL325. compiler's discard lowers
// the same expressions as statements. stmt says e is an expression
// statement (a return may be written before it), not a match's arm.
func (c *checker) discardedExpr(e Expr, stmt bool) Type {
	switch x := e.(type) {
	case *IfExpr:
		return c.record(x, c.ifExpr(x, nil, false))
	case *MatchExpr:
		return c.record(x, c.match(x, nil, false))
	case *BlockExpr:
		return c.record(x, c.block(x, nil, false))
	case *ParenExpr:
		if IsStmtForm(x) {
			return c.record(x, c.discardedExpr(x.X, stmt))
		}
	}
	t := c.exprOrVoid(e, nil)
	c.discarded(e, t, stmt)
	return t
}

// IsStmtForm reports whether e, within parentheses or not, is an if, a
// match or a block: what the checker checks as a statement where its
// value is discarded (discardedExpr), and the compiler lowers as one.
func IsStmtForm(e Expr) bool {
	switch Unparen(e).(type) {
	case *IfExpr, *MatchExpr, *BlockExpr:
		return true
	}
	return false
}

// noValue is called where e, of type void, is reported as no value
// (RPL313, RPL304): an if without else that gives e's value is the error
// (§6.12), and the values its branch discards are not reported as well
// (RPL325), which would blur it; nor is the let that ends a block of no
// value unused (RPL207).
func (c *checker) noValue(e Expr) {
	valuePath(e, func(v Expr) {
		if b, ok := v.(*BlockExpr); ok && len(b.Stmts) > 0 {
			// A block that ends with a let: the value missing after it
			// is the error, not its name unused (RPL207), which that
			// value would most often have used.
			if l, ok := b.Stmts[len(b.Stmts)-1].(*LetStmt); ok && l.Name != nil {
				if o := c.info.Defs[l.Name]; o != nil {
					o.used = true
				}
			}
		}
		if ife, ok := v.(*IfExpr); ok && ife.Else == nil {
			valuePath(ife.Then, func(w Expr) {
				if d := c.discardedAt[w]; d != nil {
					c.unsaid[d] = true
				}
			})
		}
	})
}

// valuePath calls visit for e and for each expression whose value would
// be e's: within parentheses, a block's last statement, an if's branches,
// a match's arms.
func valuePath(e Expr, visit func(Expr)) {
	visit(e)
	switch x := e.(type) {
	case *ParenExpr:
		valuePath(x.X, visit)
	case *BlockExpr:
		if n := len(x.Stmts); n > 0 {
			if es, ok := x.Stmts[n-1].(*ExprStmt); ok {
				valuePath(es.X, visit)
			}
		}
	case *IfExpr:
		valuePath(x.Then, visit)
		if x.Else != nil {
			valuePath(x.Else, visit)
		}
	case *MatchExpr:
		for _, arm := range x.Arms {
			valuePath(arm.Body, visit)
		}
	}
}

// discarded warns of the expression statement e, of type t, whose value
// nothing uses (RPL325): values are never changed in place, so d.tag(…)
// on a line of its own leaves d as it was, and a comparison there is an
// if or an expect that was meant. A call evaluated for what else it does
// (a function of the policy, or a builtin that reads or records state:
// ab.arm records the assignment; weighted, whose draw reads the seed,
// is made for its value only) is left alone. (A block, an if or a
// match is never e: discardedExpr checks them as statements.) A decision
// that to, deny or weighted makes there, builders after it or not, was
// most often meant to be returned: where e is a statement of a function
// whose declared result takes a Decision, the warning suggests return
// and its fix inserts it.
func (c *checker) discarded(e Expr, t Type, stmt bool) {
	if IsInvalid(t) || isBasic(t, Void) || isBasic(t, Never) {
		return
	}
	if _, ok := Unparen(e).(*CallExpr); ok {
		// A call is left alone when it, or a call among its arguments,
		// may do more than compute its value, within parentheses too.
		// An operator, a field or an index applied to a value is
		// pointless whatever computed it.
		effect := false
		Inspect(e, func(n Node) bool {
			if call, ok := n.(*CallExpr); ok && !effect {
				if ci := c.info.Calls[call]; ci == nil || ci.Kind != CallBuiltin || ci.Builtin == nil || !ci.Builtin.Pure && !isWeighted(ci.Builtin) {
					effect = true
				}
			}
			return !effect
		})
		if effect {
			return
		}
	}
	d := c.errAt(e, CodeDiscarded, "the value of %s is discarded", exprString(e))
	c.discardedAt[e] = d
	switch dec := c.u.Types["Decision"]; {
	case dec != nil && Identical(t, dec.Type) && c.madeHere(e):
		if stmt && c.fn != nil && c.inLambda == 0 && c.fnResult != nil && AssignableTo(t, c.fnResult) {
			d.Message += fmt.Sprintf(": the decision it makes is not returned (did you mean return %s?)", exprString(e))
			at := e.Span().Start
			d.Fixes = append(d.Fixes, Fix{Title: "insert return", Span: Span{at, at}, NewText: "return "})
		} else {
			d.Message += ": the decision it makes is used by nothing; use its value (let d = …, return …)"
		}
	case dec != nil && Identical(t, dec.Type):
		d.Message += ": a decision builder returns a new decision and leaves its argument as it was; use its value (let d2 = …, return …)"
	case isBasic(t, Bool):
		d.Message += ": did you mean expect or if?"
	default:
		d.Message += ": use it (let x = …) or remove it"
	}
}

// madeHere reports whether the decision e is made by a call of to, deny
// or weighted, builders applied to it or not (to("a:b").tag(…)), rather
// than derived from a decision that a name or a function gives.
func (c *checker) madeHere(e Expr) bool { return c.madeBy(e) != nil }

// madeBy is the builtin, to, deny or weighted, whose call makes the
// decision e, builders applied to it method-style or not, nil when a name
// or a function gives it.
func (c *checker) madeBy(e Expr) *Builtin {
	for {
		call, ok := Unparen(e).(*CallExpr)
		if !ok {
			return nil
		}
		ci := c.info.Calls[call]
		if ci == nil || ci.Kind != CallBuiltin || ci.Builtin == nil {
			return nil
		}
		if b := ci.Builtin; b.Module == "" && (b.Name == "to" || b.Name == "deny") || isWeighted(b) {
			return b
		}
		sel, ok := call.Fun.(*SelectorExpr)
		if !ok || len(ci.Args) == 0 || ci.Args[0] != sel.X {
			return nil // not a method-style call on a receiver
		}
		e = sel.X
	}
}

// stickyWithoutSplit warns (RPL222) of a call of sticky, b, on a decision
// that to or deny makes (args[0], the builders after it adding no
// split): only a target drawn from a split is kept for a key, so the
// call keeps nothing, though the decision answers its sticky_key.
func (c *checker) stickyWithoutSplit(b *Builtin, args []Expr) {
	if b.Module != "" || b.Name != "sticky" || len(args) == 0 || args[0] == nil {
		return
	}
	if root := c.madeBy(args[0]); root != nil && !isWeighted(root) {
		c.errAt(args[0], CodeStickyNoSplit, "sticky keeps nothing for the key: the decision %s(…) makes has no split, and only a target drawn from a split (weighted) is kept for a key (the answer carries the sticky_key all the same)", root.Name)
	}
}

// isWeighted reports whether b is weighted: not pure, since its draw
// reads the request's seed, but made for its value only, which a
// statement that discards it loses (RPL325).
func isWeighted(b *Builtin) bool { return b.Module == "" && b.Name == "weighted" }

// exprString renders a short source form of e for messages.
func exprString(e Expr) string {
	var b strings.Builder
	writeExpr(&b, e, 0)
	return b.String()
}

func writeExpr(b *strings.Builder, e Expr, depth int) {
	if depth > 3 {
		b.WriteString("…")
		return
	}
	switch e := e.(type) {
	case *Ident:
		b.WriteString(e.Name)
	case *BasicLit:
		b.WriteString(e.Raw)
	case *SelectorExpr:
		writeExpr(b, e.X, depth+1)
		b.WriteByte('.')
		b.WriteString(e.Sel.Name)
	case *IndexExpr:
		writeExpr(b, e.X, depth+1)
		b.WriteByte('[')
		writeExpr(b, e.Index, depth+1)
		b.WriteByte(']')
	case *CallExpr:
		writeExpr(b, e.Fun, depth+1)
		b.WriteString("(…)")
	case *ParenExpr:
		b.WriteByte('(')
		writeExpr(b, e.X, depth+1)
		b.WriteByte(')')
	case *UnaryExpr:
		b.WriteString(e.Op)
		writeExpr(b, e.X, depth+1)
	case *BinaryExpr:
		writeExpr(b, e.X, depth+1)
		b.WriteString(" " + e.Op + " ")
		writeExpr(b, e.Y, depth+1)
	case *ListLit:
		b.WriteString("[…]")
	case *BraceLit:
		b.WriteString("{…}")
	default:
		b.WriteString("…")
	}
}

// inherited says, of a member name that the imported module mod (bound
// to as) does not declare, which policy it extends declares it: an import
// makes a module's own declarations its members, not what it inherits
// (language.md §8.1); "" when none does.
func inherited(mod *Package, as, name string) string {
	for p := mod.Extends; p != nil; p = p.Extends {
		if o := p.Scope.Lookup(name); o != nil && !p.testDecl(o) {
			return fmt.Sprintf(" (%s inherits %s from %s, which it extends: an import makes a module's own declarations its members, not those it inherits)", as, name, baseName(p.Path))
		}
	}
	return ""
}
