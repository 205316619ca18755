package lang

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ---- recursive descent ----
//
// The parser proper is a hand-written recursive descent over the tokens of
// one declaration chunk. It accepts exactly the grammar of grammar.go (the
// participle structs, printed as spec/grammar.ebnf): each function below
// is the production of the same name, commits as soon as a production has
// consumed a token (participle.UseLookahead(0)), and uses the same
// lookaheads. parseFile(..., true) runs the participle parser instead, and
// TestDescentMatchesGrammar and FuzzParse check that both give the same
// trees and the same error positions. The descent is what makes parsing
// fast: participle builds its trees by reflection.

// bailout unwinds the descent at the first syntax error of a chunk.
type bailout struct{}

type descent struct {
	p       *parser
	toks    []token // significant tokens of the chunk
	i       int
	eof     Pos // just after the chunk's last token
	errSp   Span
	errMsg  string
	fnHead  *FuncDecl  // the header of the fn being parsed, once complete
	cHead   *ConstDecl // the name (and type) of the const being parsed, once its = is read
	tHead   *TypeDecl  // the name of the type declaration being parsed, once its = is read
	bodyPos Pos        // where that fn's body, const's value or type's type starts
	depth   int        // nesting of expressions and types
	chained int        // nodes folded onto a chain in the current nesting level (see checkHeight)
	inner   int        // bound on the height of the levels nested in the current one, so far

	// The int literal 9223372036854775808, reported as overflowing,
	// and its diagnostic: the unary minus that folds it in says how
	// to write the smallest int.
	minInt     *BasicLit
	minIntDiag *Diagnostic

	// stmtHead is the start of the expression statement being parsed,
	// or -1 (see headsStmt).
	stmtHead Pos
	// condEnd is the index of the token just after the last expect's
	// condition (0: none yet): a = there was meant as == (misspelling).
	condEnd int
}

// maxNesting bounds the nesting of expressions and types, so that no input
// can exhaust the stack: brackets, blocks, unary operators and types
// within the outermost expression or type, which is no level of its own
// (nest counts it as depth 1), so 500 nested parentheses parse and 501
// do not.
const maxNesting = 500

// level is what nest saves of the level it enters (see checkHeight).
type level struct{ chained, inner int }

// nest enters a level of nesting; its caller defers unnest(nest()).
func (d *descent) nest() level {
	d.depth++
	if d.depth > maxNesting+1 {
		t := d.peek()
		d.errSp = Span{d.pos(), d.pos()}
		if t != nil {
			d.errSp.End += Pos(len(t.Value))
		}
		d.errMsg = fmt.Sprintf("nesting deeper than %d levels", maxNesting)
		panic(bailout{})
	}
	saved := level{d.chained, d.inner}
	d.chained, d.inner = 0, 0
	return saved
}

// unnest leaves the level that nest entered, adding the bound on its
// height to the level it returns to.
func (d *descent) unnest(saved level) {
	d.depth--
	h := d.height()
	d.chained, d.inner = saved.chained, max(saved.inner, h)
}

// height bounds the height of the tree parsed at the current level of
// nesting: its chains' nodes, at most levelNodes others, and the highest of
// the levels nested in it.
func (d *descent) height() int { return d.chained + levelNodes + d.inner }

// maxHeight bounds the height of a declaration's tree. The nesting that
// the descent recurses for is bounded by maxNesting, but a chain (a + b +
// c, x.f().g(), a[0][1], else if) is parsed by a loop into a tree whose
// height grows with its length, and the checker and the compiler recurse
// along it: 200,000 operators exhausted their stack.
const maxHeight = 10_000

// levelNodes bounds the nodes on a path down a tree that one level of
// nesting adds besides its chains' (an if, its block and a statement; a
// match, an arm and a qualified pattern's selector and names).
const levelNodes = 8

// checkHeight makes a tree rooted at root deeper than maxHeight the
// chunk's syntax error, placed at the first node (in source order) below
// that height: a binary operator, a field's name, a call's parenthesis, an
// index's closing bracket, an else's if. The descent keeps a bound on the
// height (nest, unnest), and walks the tree only when the bound exceeds
// maxHeight, so a declaration without long chains is not walked.
func (d *descent) checkHeight(root Node) {
	if d.height() <= maxHeight {
		return
	}
	type item struct {
		n      Node
		height int
	}
	stack := []item{{root, 1}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if it.height > maxHeight {
			sp := it.n.Span()
			sp.End = sp.Start + 1
			switch n := it.n.(type) {
			case *BinaryExpr:
				sp = Span{n.OpPos, n.OpPos + Pos(len(n.Op))}
			case *SelectorExpr:
				sp = n.Sel.Sp
			case *CallExpr:
				sp = Span{n.Lparen, n.Lparen + 1}
			case *IndexExpr:
				sp = Span{n.Sp.End - 1, n.Sp.End}
			case *IfExpr:
				sp.End = sp.Start + Pos(len("if"))
			}
			d.errSp = sp
			d.errMsg = fmt.Sprintf("expression nesting deeper than %d levels: each operator, call, field or else if of a chain is one (split the chain with let)", maxHeight)
			panic(bailout{})
		}
		cs := children(it.n)
		for i := len(cs) - 1; i >= 0; i-- {
			stack = append(stack, item{cs[i], it.height + 1})
		}
	}
}

func (d *descent) peek() *token {
	if d.i < len(d.toks) {
		return &d.toks[d.i]
	}
	return nil
}

// peekN is the token n places ahead (0 = next), or nil.
func (d *descent) peekN(n int) *token {
	if d.i+n < len(d.toks) {
		return &d.toks[d.i+n]
	}
	return nil
}

// is reports whether the next token is the punctuation, operator or
// keyword text s (as a grammar literal "s" matches any token with that
// text, string tokens aside, which always have quotes).
func (d *descent) is(s string) bool {
	t := d.peek()
	return t != nil && t.Value == s
}

func (d *descent) isType(n int, typ tokenType) bool {
	t := d.peekN(n)
	return t != nil && t.Type == typ
}

// end is the offset just after the last consumed token.
func (d *descent) end() Pos {
	if d.i == 0 {
		return d.pos()
	}
	t := d.toks[d.i-1]
	return Pos(t.Pos.Offset + Pos(len(t.Value)))
}

// pos is the offset of the next token (or the end of the chunk).
func (d *descent) pos() Pos {
	if t := d.peek(); t != nil {
		return Pos(t.Pos.Offset)
	}
	return d.eof
}

func (d *descent) next() token {
	t := d.toks[d.i]
	d.i++
	return t
}

// fail reports an unexpected token (or end) at the current position and
// unwinds to descend.
func (d *descent) fail(expected string) {
	t := d.peek()
	if t == nil {
		d.errSp = Span{d.eof, d.eof}
		d.errMsg = "unexpected end of declaration"
	} else {
		d.errSp = Span{Pos(t.Pos.Offset), Pos(t.Pos.Offset + Pos(len(t.Value)))}
		d.errMsg = "unexpected " + describeToken(*t)
	}
	if expected != "" {
		d.errMsg += ", expected " + expected
	}
	if t != nil {
		d.errMsg += d.misspelling(t, expected)
	}
	panic(bailout{})
}

// misspelling is a hint for the unexpected token t, expected in its
// place, when it is how another language writes what RPL writes otherwise:
// and, or, ===, = in a condition, :=.
func (d *descent) misspelling(t *token, expected string) string {
	var prev *token
	if d.i > 0 {
		prev = &d.toks[d.i-1]
	}
	switch {
	case t.Type == tokIdent && t.Value == "elif",
		t.Type == tokKeyword && t.Value == "else" && d.elifBefore():
		return " (RPL has no elif: write else if)"
	case t.Type == tokIdent && t.Value == "and":
		return " (write &&)"
	case t.Type == tokIdent && t.Value == "or",
		t.Type == tokPunct && t.Value == "|" && expected == "":
		return " (write ||)"
	case t.Type != tokPunct || t.Value != "=" || prev == nil:
		return ""
	case prev.Type == tokOp && (prev.Value == "==" || prev.Value == "!="):
		return " (write " + prev.Value + ")"
	case d.i == d.condEnd:
		// expect d.target = "x"
		return " (to compare, write ==)"
	case prev.Type == tokPunct && prev.Value == ":" && expected == "a type":
		return " (a let binds with =: let x = …; a : before it gives the type, let x: int = …)"
	case expected == `"}"` && prev.Type == tokIdent && (d.i < 2 || d.toks[d.i-2].Type != tokPunct || d.toks[d.i-2].Value != "."):
		// A statement x = 2 in a block. The hint names a new binding, as
		// the compound assignment's does (compoundAssign): x may not be
		// bound again in its block (language.md §7.2).
		return " (RPL has no assignment: bind a new name with let " + freshName(d.toks, prev.Value) + " = …)"
	case expected == `"{"` && prev.Type != tokString:
		// An if's or a match's subject: if x = 1 { (not test "t" = …).
		return " (to compare, write ==)"
	}
	return ""
}

// elifBefore reports whether the tokens read so far hold an elif just
// after a }: an if's else if written elif, which parses as statements of
// its own up to the else that follows them.
func (d *descent) elifBefore() bool {
	for k := d.i - 1; k > 0; k-- {
		if t := d.toks[k]; t.Type == tokIdent && t.Value == "elif" {
			if p := d.toks[k-1]; p.Type == tokPunct && p.Value == "}" {
				return true
			}
		}
	}
	return false
}

// expect consumes the token with text s or fails.
func (d *descent) expect(s string) token {
	if !d.is(s) || d.isType(0, tokString) {
		d.fail(strconv.Quote(s))
	}
	return d.next()
}

func (d *descent) accept(s string) bool {
	if d.is(s) && !d.isType(0, tokString) {
		d.i++
		return true
	}
	return false
}

// descend parses one chunk; on a syntax error it reports it (unless a
// lexical error already explains it) and keeps what can be kept.
func (p *parser) descend(toks []token, sp Span) parsed {
	d := &descent{p: p, eof: sp.End, toks: toks, stmtHead: -1} // no trivia: see lexAll
	var decls []Decl
	ok := func() (ok bool) {
		defer func() {
			if r := recover(); r != nil {
				if _, is := r.(bailout); !is {
					panic(r)
				}
			}
		}()
		for d.i < len(d.toks) {
			if len(decls) > 0 && !d.isType(0, tokKeyword) {
				d.fail("") // trailing tokens after a complete declaration
			}
			decls = append(decls, d.decl())
		}
		return true
	}()
	if ok {
		return parsed{decls: decls, ok: true}
	}
	res := parsed{errSp: d.errSp, errMsg: d.errMsg}
	switch {
	case d.fnHead != nil && len(decls) == 0:
		// Keep a function's header when only its body is broken.
		fn := d.fnHead
		fn.Sp = sp
		fn.Body = &BadExpr{Sp: Span{d.bodyPos, sp.End}}
		res.recovered = fn
	case d.cHead != nil && len(decls) == 0:
		// Keep a constant's name when only its value is broken, so that
		// its uses are not reported as undefined too (§12: one typo does
		// not hide the rest, nor make more).
		c := d.cHead
		c.Sp = sp
		c.Value = &BadExpr{Sp: Span{d.bodyPos, sp.End}}
		res.recovered = c
	case d.tHead != nil && len(decls) == 0:
		// And a type declaration's name, its type a BadType.
		td := d.tHead
		td.Sp = sp
		td.Type = &BadType{Sp: Span{d.bodyPos, sp.End}}
		res.recovered = td
	default:
		res.recovered = &BadDecl{Sp: sp}
	}
	return res
}

func (d *descent) name() *Ident {
	t := d.peek()
	if t == nil || t.Type != tokIdent {
		d.fail("a name")
	}
	d.i++
	off := Pos(t.Pos.Offset)
	return &Ident{Sp: Span{off, off + Pos(len(t.Value))}, Name: t.Value}
}

func (d *descent) fieldName() *Ident {
	t := d.peek()
	if t == nil || t.Type != tokIdent && t.Type != tokKeyword {
		d.fail("a name")
	}
	d.i++
	off := Pos(t.Pos.Offset)
	return &Ident{Sp: Span{off, off + Pos(len(t.Value))}, Name: t.Value}
}

func (d *descent) str() *BasicLit {
	t := d.peek()
	if t == nil || t.Type != tokString {
		d.fail("a string")
	}
	d.i++
	off := Pos(t.Pos.Offset)
	sp := Span{off, off + Pos(len(t.Value))}
	return &BasicLit{Sp: sp, Kind: LitString, Raw: t.Value, Value: d.p.unquote(t.Value, sp)}
}

func (d *descent) decl() Decl {
	start := d.pos()
	d.chained, d.inner = 0, 0
	var out Decl
	switch t := d.peek(); {
	case t.Type != tokKeyword:
		d.fail("a declaration")
	case t.Value == "package":
		d.i++
		n := d.name()
		out = &PackageClause{Sp: Span{start, d.end()}, Name: n}
	case t.Value == "import":
		d.i++
		imp := &ImportDecl{Path: d.str()}
		if d.accept("as") {
			imp.Alias = d.name()
		}
		imp.Sp = Span{start, d.end()}
		out = imp
	case t.Value == "extends":
		d.i++
		out = &ExtendsDecl{Path: d.str(), Sp: Span{start, d.end()}}
	case t.Value == "const":
		d.i++
		c := &ConstDecl{Name: d.name()}
		if d.accept(":") {
			c.Type = d.typ()
		}
		d.expect("=")
		d.cHead, d.bodyPos = &ConstDecl{Name: c.Name, Type: c.Type}, d.pos()
		c.Value = d.expr()
		d.checkHeight(c.Value)
		d.cHead = nil
		c.Sp = Span{start, d.end()}
		out = c
	case t.Value == "type":
		d.i++
		td := &TypeDecl{Name: d.name()}
		d.expect("=")
		d.tHead, d.bodyPos = &TypeDecl{Name: td.Name}, d.pos()
		td.Type = d.typ()
		d.tHead = nil
		td.Sp = Span{start, d.end()}
		out = td
	case t.Value == "fn":
		out = d.fn()
	case t.Value == "test":
		d.i++
		td := &TestDecl{Name: d.str()}
		td.Body = d.block()
		d.checkHeight(td.Body)
		td.Sp = Span{start, d.end()}
		out = td
	default:
		d.fail("a declaration")
	}
	d.accept(";")
	return out
}

func (d *descent) fn() *FuncDecl {
	start := d.pos()
	d.expect("fn")
	fn := &FuncDecl{Name: d.name()}
	d.expect("(")
	if d.isType(0, tokIdent) {
		fn.Params = append(fn.Params, d.param())
		for d.is(",") && !(d.peekN(1) != nil && d.peekN(1).Value == ")") {
			d.i++
			fn.Params = append(fn.Params, d.param())
		}
		d.accept(",")
	} else if !d.is(")") {
		d.fail(`a parameter name or ")"`) // fn f(type: int), fn f( -> int
	}
	d.expect(")")
	if d.accept("->") {
		fn.Result = d.typ()
	}
	// The header is complete: a broken body keeps it.
	d.fnHead, d.bodyPos = &FuncDecl{Name: fn.Name, Params: fn.Params, Result: fn.Result}, d.pos()
	switch {
	case d.accept("="):
		fn.Body = d.expr()
	case d.is("{"):
		fn.Body = d.block()
	default:
		d.fail(`"=" or a block`)
	}
	d.checkHeight(fn.Body)
	d.fnHead = nil
	fn.Sp = Span{start, d.end()}
	return fn
}

func (d *descent) param() *Param {
	start := d.pos()
	pa := &Param{Name: d.name()}
	d.expect(":")
	pa.Type = d.typ()
	pa.Sp = Span{start, d.end()}
	return pa
}

// ---- types ----

func (d *descent) typ() TypeExpr {
	defer d.unnest(d.nest())
	start := d.pos()
	out := d.baseType()
	if d.accept("?") {
		out = &OptionalType{Sp: Span{start, d.end()}, Elem: out}
	}
	return out
}

func (d *descent) canStartType() bool {
	t := d.peek()
	return t != nil && (t.Type == tokIdent || t.Value == "{" && t.Type == tokPunct || t.Value == "fn" && t.Type == tokKeyword)
}

func (d *descent) baseType() TypeExpr {
	start := d.pos()
	switch {
	case d.accept("list"):
		d.expect("[")
		elem := d.typ()
		d.expect("]")
		return &ListType{Sp: Span{start, d.end()}, Elem: elem}
	case d.accept("map"):
		d.expect("[")
		k := d.typ()
		d.expect(",")
		v := d.typ()
		d.expect("]")
		return &MapType{Sp: Span{start, d.end()}, Key: k, Elem: v}
	case d.accept("{"):
		rt := &RecordType{}
		if t := d.peek(); t != nil && (t.Type == tokIdent || t.Type == tokKeyword) {
			rt.Fields = append(rt.Fields, d.fieldType())
			for d.is(",") && !(d.peekN(1) != nil && d.peekN(1).Value == "}") {
				d.i++
				rt.Fields = append(rt.Fields, d.fieldType())
			}
			d.accept(",")
		}
		d.expect("}")
		rt.Sp = Span{start, d.end()}
		return rt
	case d.accept("fn"):
		ft := &FuncType{}
		d.expect("(")
		if d.canStartType() {
			ft.Params = append(ft.Params, d.typ())
			for d.accept(",") {
				ft.Params = append(ft.Params, d.typ())
			}
		}
		d.expect(")")
		d.expect("->")
		ft.Result = d.typ()
		ft.Sp = Span{start, d.end()}
		return ft
	case d.isType(0, tokIdent):
		nt := &NamedType{Name: d.name()}
		if d.accept(".") {
			nt.Module, nt.Name = nt.Name, d.name()
		}
		nt.Sp = Span{start, d.end()}
		return nt
	}
	d.fail("a type")
	return nil
}

func (d *descent) fieldType() *FieldType {
	start := d.pos()
	f := &FieldType{Name: d.fieldName()}
	d.expect(":")
	f.Type = d.typ()
	f.Sp = Span{start, d.end()}
	return f
}

// ---- statements ----

func (d *descent) block() *BlockExpr {
	start := d.pos()
	d.expect("{")
	b := &BlockExpr{}
	for !d.is("}") && d.canStartStmt() {
		b.Stmts = append(b.Stmts, d.stmt())
	}
	d.expect("}")
	b.Sp = Span{start, d.end()}
	return b
}

func (d *descent) canStartStmt() bool {
	t := d.peek()
	if t != nil && t.Type == tokKeyword && (t.Value == "let" || t.Value == "return" || t.Value == "expect") {
		return true
	}
	return d.canStartExpr()
}

func (d *descent) stmt() Stmt {
	start := d.pos()
	var out Stmt
	switch t := d.peek(); {
	case t.Type == tokKeyword && t.Value == "let":
		d.i++
		l := &LetStmt{Name: d.name()}
		if d.accept(":") {
			l.Type = d.typ()
		}
		d.expect("=")
		l.Value = d.expr()
		l.Sp = Span{start, d.end()}
		out = l
	case t.Type == tokKeyword && t.Value == "return":
		d.i++
		out = &ReturnStmt{Value: d.expr(), Sp: Span{start, d.end()}}
	case t.Type == tokKeyword && t.Value == "expect":
		d.i++
		e := &ExpectStmt{Cond: d.expr()}
		d.condEnd = d.i
		if d.accept(",") {
			e.Message = d.expr()
		}
		e.Sp = Span{start, d.end()}
		out = e
	default:
		saved := d.stmtHead
		d.stmtHead = start
		out = &ExprStmt{X: d.expr()}
		d.stmtHead = saved
	}
	d.accept(";")
	return out
}

// headsStmt says whether x is the if, match or block that starts the
// expression statement being parsed: a "-" right after it starts the next
// statement (§6.7), as ( and [ do after any compound.
func (d *descent) headsStmt(x Expr) bool {
	switch x.(type) {
	case *IfExpr, *MatchExpr, *BlockExpr:
		return x.Span().Start == d.stmtHead
	}
	return false
}

// ---- expressions ----

func (d *descent) canStartExpr() bool {
	t := d.peek()
	if t == nil {
		return false
	}
	switch t.Type {
	case tokIdent, tokNumber, tokMoney, tokString:
		return true
	case tokKeyword:
		switch t.Value {
		case "true", "false", "none", "if", "match", "super":
			return true
		}
	case tokPunct:
		switch t.Value {
		case "(", "[", "{", "!", "-":
			return true
		}
	}
	return false
}

// binaryOp consumes the next token if it is one of ops and returns it.
func (d *descent) binaryOp(ops ...string) (string, Pos, bool) {
	t := d.peek()
	if t == nil || t.Type != tokOp && t.Type != tokPunct {
		return "", 0, false
	}
	for _, op := range ops {
		if t.Value == op {
			d.i++
			return op, Pos(t.Pos.Offset), true
		}
	}
	return "", 0, false
}

func (d *descent) expr() Expr {
	defer d.unnest(d.nest())
	x := d.or()
	for {
		op, at, ok := d.binaryOp("??")
		if !ok {
			return x
		}
		x = d.binary(op, at, x, d.or())
	}
}

func (d *descent) binary(op string, at Pos, x, y Expr) Expr {
	d.chained++
	return &BinaryExpr{Sp: Span{x.Span().Start, y.Span().End}, Op: op, OpPos: at, X: x, Y: y}
}

func (d *descent) or() Expr {
	x := d.and()
	for {
		op, at, ok := d.binaryOp("||")
		if !ok {
			return x
		}
		x = d.binary(op, at, x, d.and())
	}
}

func (d *descent) and() Expr {
	x := d.cmp()
	for {
		op, at, ok := d.binaryOp("&&")
		if !ok {
			return x
		}
		x = d.binary(op, at, x, d.cmp())
	}
}

func (d *descent) cmp() Expr {
	x := d.add()
	if op, at, ok := d.binaryOp("==", "!=", "<=", ">=", "<", ">"); ok {
		return d.unchained(d.binary(op, at, x, d.add()))
	}
	if t := d.peek(); t != nil && t.Type == tokKeyword && (t.Value == "in" || t.Value == "not") {
		at := Pos(t.Pos.Offset)
		d.i++
		op := "in"
		if t.Value == "not" {
			d.expect("in")
			op = "not in"
		}
		return d.unchained(d.binary(op, at, x, d.add()))
	}
	return x
}

// unchained returns the comparison e unless another comparison operator
// follows it, which is a syntax error (comparisons do not associate,
// §6.1) that says so: a < b < c, x not in xs == false.
func (d *descent) unchained(e Expr) Expr {
	t := d.peek()
	if t == nil || t.Type == tokString {
		return e
	}
	switch t.Value {
	case "==", "!=", "<=", ">=", "<", ">", "in", "not":
		if t.Value != "in" && t.Value != "not" || t.Type == tokKeyword {
			d.errSp = Span{Pos(t.Pos.Offset), Pos(t.Pos.Offset + Pos(len(t.Value)))}
			d.errMsg = "unexpected " + describeToken(*t) + ": comparisons do not chain (join two with &&, a < b && b < c, or parenthesise one)"
			panic(bailout{})
		}
	}
	return e
}

func (d *descent) add() Expr {
	x := d.mul()
	for {
		if d.is("-") && d.headsStmt(x) {
			return x
		}
		op, at, ok := d.binaryOp("+", "-")
		if !ok {
			return x
		}
		x = d.binary(op, at, x, d.mul())
	}
}

func (d *descent) mul() Expr {
	x := d.unary()
	for {
		op, at, ok := d.binaryOp("*", "/", "%")
		if !ok {
			return x
		}
		x = d.binary(op, at, x, d.unary())
	}
}

func (d *descent) unary() Expr {
	op, at, ok := d.binaryOp("!", "-")
	if !ok {
		return d.postfix()
	}
	defer d.unnest(d.nest())
	x := d.unary()
	// Fold -literal into the literal, so -5 and -$1 are constants.
	if lit, isLit := x.(*BasicLit); isLit && op == "-" && (lit.Kind == LitInt || lit.Kind == LitFloat || lit.Kind == LitMoney || lit.Kind == LitDuration) && !strings.HasPrefix(lit.Raw, "-") {
		if lit == d.minInt {
			// -9223372036854775808: the minus of a literal that
			// overflows (language.md §2.5).
			d.minIntDiag.Message += " (the smallest int is written -9223372036854775807 - 1)"
		}
		lit.Sp.Start = at
		lit.Raw = "-" + lit.Raw
		return lit
	}
	return &UnaryExpr{Sp: Span{at, d.end()}, Op: op, OpPos: at, X: x}
}

func (d *descent) postfix() Expr {
	x := d.primary()
	switch x.(type) {
	case *IfExpr, *MatchExpr, *BlockExpr:
		// Compound expressions take no postfix operators: a ( or [ after
		// one starts the next statement. A . starts nothing: say how to
		// call the method meant (§6.7).
		if t := d.peek(); t != nil && t.Type == tokPunct && t.Value == "." {
			d.errSp = Span{Pos(t.Pos.Offset), Pos(t.Pos.Offset + 1)}
			d.errMsg = `unexpected ".": an if, match or block takes no postfix (parenthesise it: (if c { a } else { b }).f())`
			panic(bailout{})
		}
		return x
	}
	for ; ; d.chained++ {
		switch {
		case d.accept("."):
			x = &SelectorExpr{X: x, Sel: d.fieldName(), Sp: Span{x.Span().Start, d.end()}}
		case d.accept("["):
			idx := d.expr()
			d.expect("]")
			x = &IndexExpr{X: x, Index: idx, Sp: Span{x.Span().Start, d.end()}}
		case d.is("(") && !d.isType(0, tokString):
			lparen := d.pos()
			args := d.args()
			x = &CallExpr{Fun: x, Lparen: lparen, Args: args, Sp: Span{x.Span().Start, d.end()}}
		default:
			return x
		}
	}
}

func (d *descent) args() []*Arg {
	d.expect("(")
	var args []*Arg
	if d.canStartExpr() || d.isType(0, tokKeyword) && d.peekN(1) != nil && d.peekN(1).Value == ":" {
		args = append(args, d.arg())
		for d.is(",") && !(d.peekN(1) != nil && d.peekN(1).Value == ")") {
			d.i++
			args = append(args, d.arg())
		}
		d.accept(",")
	}
	d.expect(")")
	return args
}

func (d *descent) arg() *Arg {
	start := d.pos()
	a := &Arg{}
	if t, n := d.peekN(0), d.peekN(1); t != nil && (t.Type == tokIdent || t.Type == tokKeyword) && n != nil && n.Type == tokPunct && n.Value == ":" {
		a.Name = d.fieldName()
		d.i++ // ':'
	}
	if d.atLambda() {
		a.Value = d.lambda()
	} else {
		a.Value = d.expr()
	}
	a.Sp = Span{start, d.end()}
	return a
}

// atLambda is the lookahead of Lambda: `ident =>` or `(ident, ...) =>`.
func (d *descent) atLambda() bool {
	if d.isType(0, tokIdent) {
		n := d.peekN(1)
		return n != nil && n.Value == "=>" && n.Type == tokOp
	}
	if !d.is("(") || d.isType(0, tokString) {
		return false
	}
	k := 1
	for {
		if !d.isType(k, tokIdent) {
			return false
		}
		k++
		t := d.peekN(k)
		if t == nil || t.Type != tokPunct {
			return false
		}
		if t.Value == ")" {
			n := d.peekN(k + 1)
			return n != nil && n.Value == "=>" && n.Type == tokOp
		}
		if t.Value != "," {
			return false
		}
		k++
	}
}

func (d *descent) lambda() *LambdaExpr {
	start := d.pos()
	l := &LambdaExpr{}
	if d.accept("(") {
		l.Params = append(l.Params, d.name())
		for d.accept(",") {
			l.Params = append(l.Params, d.name())
		}
		d.expect(")")
	} else {
		l.Params = append(l.Params, d.name())
	}
	d.expect("=>")
	l.Body = d.expr()
	l.Sp = Span{start, d.end()}
	return l
}

// atLit reports whether the next token is a literal.
func (d *descent) atLit() bool {
	t := d.peek()
	if t == nil {
		return false
	}
	switch t.Type {
	case tokNumber, tokMoney, tokString:
		return true
	case tokKeyword:
		return t.Value == "true" || t.Value == "false" || t.Value == "none"
	}
	return false
}

func (d *descent) lit() *BasicLit {
	t := d.next()
	off := Pos(t.Pos.Offset)
	lit := &BasicLit{Sp: Span{off, off + Pos(len(t.Value))}, Raw: t.Value, Value: t.Value}
	switch t.Type {
	case tokString:
		lit.Kind = LitString
		lit.Value = d.p.unquote(t.Value, lit.Sp)
	case tokMoney:
		lit.Kind = LitMoney
		if _, err := ParseMoney(t.Value); err != nil {
			d.p.errorf(CodeBadLiteral, lit.Sp, "%v", err)
			if ee, ok := errors.AsType[*exponentError](err); ok && ee.to != "" {
				d.p.fix(Fix{Title: "change " + t.Value + " to " + ee.to, Span: lit.Sp, NewText: ee.to})
			}
		}
	case tokNumber:
		kind, err := classifyNumber(t.Value)
		if _, ok := errors.AsType[*exponentDigitsError](err); ok && d.exponentSign(lit.Sp.End) {
			// 1e+ or 2.5E-: the sign is the literal's, whose exponent
			// has no digits, not an operator without its operand.
			s := d.next()
			lit.Sp.End++
			lit.Raw += s.Value
			lit.Value = lit.Raw
			err = noExponentDigits(lit.Raw, t.Value)
		}
		if err != nil {
			d.p.errorf(CodeBadLiteral, lit.Sp, "%v", err)
			if kind == LitInt && isMinIntMagnitude(t.Value) && !d.p.lastDropped {
				d.minInt, d.minIntDiag = lit, d.p.diags[len(d.p.diags)-1]
			}
		}
		lit.Kind = kind
	default:
		lit.Kind = LitBool
		if t.Value == "none" {
			lit.Kind = LitNone
		}
	}
	return lit
}

// exponentSign reports whether the next token is the sign of the number
// literal ending at end, whose exponent lost its digits (1e, 2.5E): a +
// or - just after it that no operand follows on its line (1e-x stays 1e
// minus x).
func (d *descent) exponentSign(end Pos) bool {
	s := d.peek()
	if s == nil || s.Type != tokPunct || s.Value != "+" && s.Value != "-" || Pos(s.Pos.Offset) != end {
		return false
	}
	d.i++
	defer func() { d.i-- }()
	return !d.canStartExpr() || bytes.ContainsRune(d.p.file.Src[end+1:d.pos()], '\n')
}

// atBrace is the lookahead of Brace: `{` then `}` or a key and `:`.
func (d *descent) atBrace() bool {
	if !d.is("{") || d.isType(0, tokString) {
		return false
	}
	n := d.peekN(1)
	if n == nil {
		return false
	}
	if n.Value == "}" && n.Type == tokPunct {
		return true
	}
	k := 2
	if n.Value == "-" && n.Type == tokPunct {
		// A negative number or money key, {-1: "low"}; a - before
		// another literal key, which the checker refuses as it does -"a"
		// or -true (RPL301): the - of Entry's "-"? Lit; or a - before a
		// name, {-x: 1}, which Entry refuses as it does after a comma.
		n = d.peekN(2)
		if n == nil || n.Type != tokNumber && n.Type != tokMoney && n.Type != tokString &&
			n.Type != tokIdent && n.Type != tokKeyword {
			return false
		}
		k = 3
	}
	switch n.Type {
	case tokIdent, tokKeyword, tokString, tokNumber, tokMoney:
		c := d.peekN(k)
		return c != nil && c.Value == ":" && c.Type == tokPunct
	}
	return false
}

func (d *descent) primary() Expr {
	start := d.pos()
	t := d.peek()
	switch {
	case t == nil:
		d.fail("an expression")
	case t.Type == tokIdent:
		return d.name()
	case d.atLit():
		return d.lit()
	case t.Type == tokPunct && t.Value == "(":
		d.i++
		x := d.expr()
		d.expect(")")
		return &ParenExpr{Sp: Span{start, d.end()}, X: x}
	case t.Type == tokPunct && t.Value == "[":
		d.i++
		l := &ListLit{}
		if d.canStartExpr() {
			l.Elems = append(l.Elems, d.expr())
			for d.is(",") && !(d.peekN(1) != nil && d.peekN(1).Value == "]") {
				d.i++
				l.Elems = append(l.Elems, d.expr())
			}
			d.accept(",")
		}
		d.expect("]")
		l.Sp = Span{start, d.end()}
		return l
	case d.atBrace():
		d.i++
		b := &BraceLit{}
		if t := d.peek(); t != nil && (t.Type == tokIdent || t.Type == tokKeyword || d.atLit() || d.is("-") && d.isType(0, tokPunct)) {
			b.Entries = append(b.Entries, d.entry())
			for d.is(",") && !(d.peekN(1) != nil && d.peekN(1).Value == "}") {
				d.i++
				b.Entries = append(b.Entries, d.entry())
			}
			d.accept(",")
		}
		d.expect("}")
		b.Sp = Span{start, d.end()}
		return b
	case t.Type == tokPunct && t.Value == "{":
		return d.block()
	case t.Type == tokKeyword && t.Value == "if":
		return d.ifExpr()
	case t.Type == tokKeyword && t.Value == "match":
		return d.match()
	case t.Type == tokKeyword && t.Value == "super":
		d.i++
		return &Ident{Sp: Span{start, start + Pos(len("super"))}, Name: "super"}
	}
	d.fail("an expression")
	return nil
}

func (d *descent) entry() *Entry {
	start := d.pos()
	e := &Entry{}
	if t := d.peek(); t != nil && (t.Type == tokIdent || t.Type == tokKeyword) {
		e.Key = d.fieldName()
	} else {
		// A literal, a - before it as in a pattern: {-1: "low"}.
		e.Key = d.signedLit(start, "a key")
	}
	d.expect(":")
	e.Value = d.expr()
	e.Sp = Span{start, d.end()}
	return e
}

func (d *descent) ifExpr() *IfExpr {
	start := d.pos()
	d.expect("if")
	x := &IfExpr{Cond: d.expr()}
	x.Then = d.block()
	if d.accept("else") {
		if d.is("if") && d.isType(0, tokKeyword) {
			d.chained++
			x.Else = d.ifExpr()
		} else {
			x.Else = d.block()
		}
	}
	x.Sp = Span{start, d.end()}
	return x
}

func (d *descent) match() *MatchExpr {
	start := d.pos()
	d.expect("match")
	m := &MatchExpr{Subject: d.expr()}
	d.expect("{")
	for d.atLit() || d.isType(0, tokIdent) || d.is("-") && d.isType(0, tokPunct) {
		m.Arms = append(m.Arms, d.arm())
		d.accept(",")
	}
	d.expect("}")
	m.Sp = Span{start, d.end()}
	return m
}

func (d *descent) arm() *MatchArm {
	start := d.pos()
	a := &MatchArm{Patterns: []Expr{d.pattern()}}
	for d.accept("|") {
		a.Patterns = append(a.Patterns, d.pattern())
	}
	if d.is("if") && d.isType(0, tokKeyword) {
		d.i++
		a.Guard = d.expr()
	}
	d.expect("=>")
	a.Body = d.expr()
	a.Sp = Span{start, d.end()}
	return a
}

func (d *descent) pattern() Expr {
	start := d.pos()
	if d.isType(0, tokIdent) {
		first := d.name()
		if !d.accept(".") {
			return first
		}
		sel := d.name()
		return &SelectorExpr{Sp: Span{start, d.end()}, X: first, Sel: sel}
	}
	return d.signedLit(start, "a pattern")
}

// signedLit parses a literal, a - before it folded in (-1), which starts
// at start; a missing literal fails as what was wanted.
func (d *descent) signedLit(start Pos, what string) *BasicLit {
	neg := d.accept("-")
	if !d.atLit() {
		d.fail(what)
	}
	lit := d.lit()
	if neg {
		lit.Sp.Start = start
		lit.Raw = "-" + lit.Raw
	}
	return lit
}
