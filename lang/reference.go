package lang

// The reference parser: participle parses a declaration chunk with the
// grammar of grammar.go, and this file converts its parse tree to the AST.
// Parse uses the descent (descent.go); tests and FuzzParse compare the two.

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2/lexer"
)

// ---- conversion from the parse tree to the AST ----

func span(a, b lexer.Position) Span { return Span{Pos(a.Offset), Pos(b.Offset)} }

func (p *parser) convDecl(d *gDecl) Decl {
	var out Decl
	switch {
	case d.Package != nil:
		out = &PackageClause{Sp: span(d.Package.Pos, d.Package.EndPos), Name: convName(d.Package.Name)}
	case d.Import != nil:
		imp := &ImportDecl{Sp: span(d.Import.Pos, d.Import.EndPos), Path: p.convString(d.Import.Path)}
		if d.Import.Alias != nil {
			imp.Alias = convName(d.Import.Alias)
		}
		out = imp
	case d.Extends != nil:
		out = &ExtendsDecl{Sp: span(d.Extends.Pos, d.Extends.EndPos), Path: p.convString(d.Extends.Path)}
	case d.Const != nil:
		c := d.Const
		out = &ConstDecl{Sp: span(c.Pos, c.EndPos), Name: convName(c.Name), Type: p.convTypeOpt(c.Type), Value: p.convExpr(c.Value)}
	case d.Type != nil:
		out = &TypeDecl{Sp: span(d.Type.Pos, d.Type.EndPos), Name: convName(d.Type.Name), Type: p.convType(d.Type.Type)}
	case d.Fn != nil:
		out = convFn(p, d.Fn)
	case d.Test != nil:
		out = &TestDecl{Sp: span(d.Test.Pos, d.Test.EndPos), Name: p.convString(d.Test.Name), Body: p.convBlock(d.Test.Body)}
	}
	return out
}

func convFn(p *parser, g *gFn) *FuncDecl {
	fn := &FuncDecl{Sp: span(g.Pos, g.EndPos), Name: convName(g.Name), Result: p.convTypeOpt(g.Result)}
	for _, pa := range g.Params {
		fn.Params = append(fn.Params, &Param{Sp: span(pa.Pos, pa.EndPos), Name: convName(pa.Name), Type: p.convType(pa.Type)})
	}
	if g.Block != nil {
		fn.Body = p.convBlock(g.Block)
	} else {
		fn.Body = p.convExpr(g.Expr)
	}
	return fn
}

func convName(n *gName) *Ident {
	off := Pos(n.Pos.Offset)
	return &Ident{Sp: Span{off, off + Pos(len(n.Name))}, Name: n.Name}
}

func convFieldName(n *gFieldName) *Ident {
	off := Pos(n.Pos.Offset)
	return &Ident{Sp: Span{off, off + Pos(len(n.Name))}, Name: n.Name}
}

func (p *parser) convString(s *gString) *BasicLit {
	sp := Span{Pos(s.Pos.Offset), Pos(s.Pos.Offset + len(s.Raw))}
	return &BasicLit{Sp: sp, Kind: LitString, Raw: s.Raw, Value: p.unquote(s.Raw, sp)}
}

func (p *parser) unquote(raw string, sp Span) string {
	v, err := strconv.Unquote(raw)
	if err == nil {
		return v
	}
	// Locate the bad escape for a precise position.
	for i := 1; i < len(raw)-1; i++ {
		if raw[i] != '\\' {
			continue
		}
		n := 2
		if i+1 < len(raw) {
			switch c := raw[i+1]; {
			case c == 'x':
				n = 4
			case c == 'u':
				n = 6
			case c == 'U':
				n = 10
			case c >= '0' && c <= '7':
				n = 4
			}
		}
		if i+n > len(raw)-1 {
			n = len(raw) - 1 - i
		}
		if i+2 < len(raw)-1 && (raw[i+1] == 'u' || raw[i+1] == 'U') && raw[i+2] == '{' {
			p.braceEscape(raw[i:len(raw)-1], sp.Start+Pos(i))
			return ""
		}
		if _, _, _, err := strconv.UnquoteChar(raw[i:len(raw)-1], '"'); err != nil {
			if n == 2 && !strings.ContainsRune(`xuU01234567`, rune(raw[i+1])) {
				p.strayBackslash(raw, i, sp.Start)
				return ""
			}
			p.errorf(CodeBadEscape, Span{sp.Start + Pos(i), sp.Start + Pos(i+n)}, "%s", escapeProblem(raw[i:i+n]))
			return ""
		}
		i++
	}
	p.errorf(CodeBadEscape, sp, "invalid string literal")
	return ""
}

// strayBackslash reports the unknown escape at raw[i] (a backslash and a
// character that starts none, \d), raw being a string literal with its
// quotes that starts at pos: the escape covers the whole character after
// the backslash, however many bytes it takes. A string has no raw form
// (language.md §2.7), so a backslash is written \\, as a regular
// expression's \d is ("^\\d+"): the message says so, and the fix doubles
// the backslash of that escape and of each such one after it in the
// string, up to an escape that is wrong otherwise (\x4), if any.
func (p *parser) strayBackslash(raw string, i int, pos Pos) {
	escLen := func(j int) int {
		_, size := utf8.DecodeRuneInString(raw[j+1 : len(raw)-1])
		return 1 + size
	}
	esc := raw[i : i+escLen(i)]
	msg := fmt.Sprintf(`unknown escape sequence %s (a backslash is written \\ in a string: write \%s`, esc, esc)
	if c := raw[i+1]; c < utf8.RuneSelf && (strings.IndexByte("dDwWsSpPAzQE", c) >= 0 || !isAlnum(c)) {
		msg += fmt.Sprintf(" for a regular expression's %s", esc)
	}
	p.errorf(CodeBadEscape, Span{pos + Pos(i), pos + Pos(i+len(esc))}, "%s)", msg)
	// The stray backslashes from raw[i] on: each escape after it is
	// read as strconv does, up to one it refuses that is no stray one.
	var stray []string
	var fixed strings.Builder
	end, from := i, i
	for j := i; j < len(raw)-1; {
		if raw[j] != '\\' {
			j++
			continue
		}
		rest := raw[j : len(raw)-1]
		if _, _, tail, err := strconv.UnquoteChar(rest, '"'); err == nil {
			j += len(rest) - len(tail)
			continue
		}
		if j+1 >= len(raw)-1 || strings.ContainsRune(`xuU01234567`, rune(raw[j+1])) {
			break
		}
		n := escLen(j)
		stray = append(stray, raw[j:j+n])
		fixed.WriteString(raw[from:j])
		fixed.WriteString(`\`)
		fixed.WriteString(raw[j : j+n])
		from, end = j+n, j+n
		j += n
	}
	title := "change " + esc + ` to \` + esc
	if len(stray) > 1 {
		shown := stray[:min(len(stray), 3)]
		more := ""
		if len(stray) > 3 {
			more = ", …"
		}
		title = fmt.Sprintf("double the backslash of the %d unknown escapes (%s%s)", len(stray), strings.Join(shown, ", "), more)
	}
	p.fix(Fix{Title: title, Span: Span{pos + Pos(i), pos + Pos(end)}, NewText: fixed.String()})
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// braceEscape reports a \u{...} or \U{...} escape, rest being the string
// from its backslash to the closing quote: RPL writes a code point with
// exactly 4 hex digits after \u or 8 after \U (language.md §2.7), no
// braces. The span covers the escape to its }, and the fix rewrites it when
// the braces hold a code point.
func (p *parser) braceEscape(rest string, at Pos) {
	const hint = `\u takes 4 hex digits, \U 8, without braces`
	end := strings.IndexByte(rest, '}')
	if end < 0 {
		p.errorf(CodeBadEscape, Span{at, at + 3}, "%s is not an escape: %s", rest[:3], hint)
		return
	}
	esc := rest[:end+1]
	sp := Span{at, at + Pos(len(esc))}
	r, err := strconv.ParseUint(esc[3:end], 16, 32)
	if err != nil || !utf8.ValidRune(rune(r)) {
		p.errorf(CodeBadEscape, sp, "%s is not an escape: %s", esc, hint)
		return
	}
	want := fmt.Sprintf(`\U%08X`, r)
	if r <= 0xFFFF {
		want = fmt.Sprintf(`\u%04X`, r)
	}
	p.errorf(CodeBadEscape, sp, "%s is not an escape: %s (write %s)", esc, hint, want)
	p.fix(Fix{Title: "change " + esc + " to " + want, Span: sp, NewText: want})
}

// escapeProblem says why esc, an escape sequence that strconv refuses, is
// not one of RPL's (language.md §2.7): an octal one above \377, a \u or
// \U one that is no code point, a short one (\x, \u, \U and octal ones
// with too few digits), or an unknown one.
func escapeProblem(esc string) string {
	digits := esc[min(len(esc), 1):]
	switch {
	case len(esc) == 4 && strings.Trim(digits, "01234567") == "":
		return fmt.Sprintf("octal escape %s is above \\377, the largest byte", esc)
	case len(esc) >= 2 && (esc[1] >= '0' && esc[1] <= '7'):
		return fmt.Sprintf("octal escape %s needs three octal digits (\\000 to \\377)", esc)
	case (len(esc) == 6 || len(esc) == 10) && (esc[1] == 'u' || esc[1] == 'U') && strings.Trim(esc[2:], "0123456789abcdefABCDEF") == "":
		return fmt.Sprintf("%s is not a Unicode code point (a surrogate, or above \\U0010FFFF)", esc)
	case len(esc) >= 2 && esc[1] == 'x':
		return fmt.Sprintf("malformed escape sequence %s: \\x takes 2 hex digits (\\x00 to \\xff)", esc)
	case len(esc) >= 2 && esc[1] == 'u':
		return fmt.Sprintf("malformed escape sequence %s: \\u takes 4 hex digits (\\u00e9)", esc)
	case len(esc) >= 2 && esc[1] == 'U':
		return fmt.Sprintf("malformed escape sequence %s: \\U takes 8 hex digits (\\U0001F600)", esc)
	}
	return "unknown escape sequence " + esc
}

func (p *parser) convTypeOpt(t *gType) TypeExpr {
	if t == nil {
		return nil
	}
	return p.convType(t)
}

func (p *parser) convType(t *gType) TypeExpr {
	b := t.Base
	var out TypeExpr
	bsp := span(b.Pos, b.EndPos)
	switch {
	case b.List != nil:
		out = &ListType{Sp: bsp, Elem: p.convType(b.List)}
	case b.MapKey != nil:
		out = &MapType{Sp: bsp, Key: p.convType(b.MapKey), Elem: p.convType(b.MapVal)}
	case b.Record != nil:
		rt := &RecordType{Sp: bsp}
		for _, f := range b.Record.Fields {
			rt.Fields = append(rt.Fields, &FieldType{Sp: span(f.Pos, f.EndPos), Name: convFieldName(f.Name), Type: p.convType(f.Type)})
		}
		out = rt
	case b.Func != nil:
		ft := &FuncType{Sp: bsp, Result: p.convType(b.Func.Result)}
		for _, pt := range b.Func.Params {
			ft.Params = append(ft.Params, p.convType(pt))
		}
		out = ft
	case b.Named != nil:
		nt := &NamedType{Sp: bsp, Name: convName(b.Named.First)}
		if b.Named.Second != nil {
			nt.Module, nt.Name = nt.Name, convName(b.Named.Second)
		}
		out = nt
	default:
		out = &BadType{Sp: bsp}
	}
	if t.Optional {
		out = &OptionalType{Sp: span(t.Pos, t.EndPos), Elem: out}
	}
	return out
}

func (p *parser) convBlock(b *gBlock) *BlockExpr {
	blk := &BlockExpr{Sp: span(b.Pos, b.EndPos)}
	for _, s := range b.Stmts {
		blk.Stmts = append(blk.Stmts, p.convStmt(s))
	}
	return blk
}

func (p *parser) convStmt(s *gStmt) Stmt {
	switch {
	case s.Let != nil:
		return &LetStmt{Sp: span(s.Let.Pos, s.Let.EndPos), Name: convName(s.Let.Name), Type: p.convTypeOpt(s.Let.Type), Value: p.convExpr(s.Let.Value)}
	case s.Return != nil:
		return &ReturnStmt{Sp: span(s.Return.Pos, s.Return.EndPos), Value: p.convExpr(s.Return.Value)}
	case s.Expect != nil:
		st := &ExpectStmt{Sp: span(s.Expect.Pos, s.Expect.EndPos), Cond: p.convExpr(s.Expect.Cond)}
		if s.Expect.Message != nil {
			st.Message = p.convExpr(s.Expect.Message)
		}
		return st
	case s.Compound != nil:
		return &ExprStmt{X: p.convCompoundStmt(s.Compound)}
	}
	return &ExprStmt{X: p.convExpr(s.Expr)}
}

// convCompoundStmt builds the expression of a statement that starts with
// a compound: the compound, then each level's tails in order of
// precedence, as convExpr's levels would.
func (p *parser) convCompoundStmt(s *gCompoundStmt) Expr {
	x := p.convCompound(s.Head)
	r := s.Rest
	if r == nil {
		return x
	}
	for _, t := range r.Mul {
		x = binary(t.Op, t.Pos, x, p.convUnary(t.X))
	}
	for _, t := range r.Add {
		x = binary(t.Op, t.Pos, x, p.convMul(t.X))
	}
	if r.Cmp != nil {
		op := r.Cmp.Op
		if op == "notin" {
			op = "not in"
		}
		x = binary(op, r.Cmp.Pos, x, p.convAdd(r.Cmp.Right))
	}
	for _, t := range r.And {
		x = binary(t.Op, t.Pos, x, p.convCmp(t.X))
	}
	for _, t := range r.Or {
		x = binary(t.Op, t.Pos, x, p.convAnd(t.X))
	}
	for _, t := range r.Coalesce {
		x = binary(t.Op, t.Pos, x, p.convOr(t.X))
	}
	return x
}

func binary(op string, opPos lexer.Position, x, y Expr) Expr {
	return &BinaryExpr{Sp: Span{x.Span().Start, y.Span().End}, Op: op, OpPos: Pos(opPos.Offset), X: x, Y: y}
}

func (p *parser) convExpr(e *gExpr) Expr {
	x := p.convOr(e.Head)
	for _, t := range e.Tail {
		x = binary(t.Op, t.Pos, x, p.convOr(t.X))
	}
	return x
}

func (p *parser) convOr(e *gOr) Expr {
	x := p.convAnd(e.Head)
	for _, t := range e.Tail {
		x = binary(t.Op, t.Pos, x, p.convAnd(t.X))
	}
	return x
}

func (p *parser) convAnd(e *gAnd) Expr {
	x := p.convCmp(e.Head)
	for _, t := range e.Tail {
		x = binary(t.Op, t.Pos, x, p.convCmp(t.X))
	}
	return x
}

func (p *parser) convCmp(e *gCmp) Expr {
	x := p.convAdd(e.Left)
	if e.Tail == nil {
		return x
	}
	op := e.Tail.Op
	if op == "notin" {
		op = "not in"
	}
	return binary(op, e.Tail.Pos, x, p.convAdd(e.Tail.Right))
}

func (p *parser) convAdd(e *gAdd) Expr {
	x := p.convMul(e.Head)
	for _, t := range e.Tail {
		x = binary(t.Op, t.Pos, x, p.convMul(t.X))
	}
	return x
}

func (p *parser) convMul(e *gMul) Expr {
	x := p.convUnary(e.Head)
	for _, t := range e.Tail {
		x = binary(t.Op, t.Pos, x, p.convUnary(t.X))
	}
	return x
}

func (p *parser) convUnary(e *gUnary) Expr {
	if e.Postfix != nil {
		return p.convPostfix(e.Postfix)
	}
	if e.Compound != nil {
		return p.convCompound(e.Compound)
	}
	x := p.convUnary(e.X)
	// Fold -literal into the literal, so -5 and -$1 are constants.
	if lit, ok := x.(*BasicLit); ok && e.Op == "-" && (lit.Kind == LitInt || lit.Kind == LitFloat || lit.Kind == LitMoney || lit.Kind == LitDuration) && !strings.HasPrefix(lit.Raw, "-") {
		lit.Sp.Start = Pos(e.Pos.Offset)
		lit.Raw = "-" + lit.Raw
		return lit
	}
	return &UnaryExpr{Sp: span(e.Pos, e.EndPos), Op: e.Op, OpPos: Pos(e.Pos.Offset), X: x}
}

func (p *parser) convCompound(e *gCompound) Expr {
	switch {
	case e.If != nil:
		return p.convIf(e.If)
	case e.Match != nil:
		m := &MatchExpr{Sp: span(e.Pos, e.EndPos), Subject: p.convExpr(e.Match.Subject)}
		for _, a := range e.Match.Arms {
			arm := &MatchArm{Sp: span(a.Pos, a.EndPos), Body: p.convExpr(a.Body)}
			for _, pat := range a.Patterns {
				arm.Patterns = append(arm.Patterns, p.convPattern(pat))
			}
			if a.Guard != nil {
				arm.Guard = p.convExpr(a.Guard)
			}
			m.Arms = append(m.Arms, arm)
		}
		return m
	}
	return p.convBlock(e.Block)
}

func (p *parser) convPostfix(e *gPostfix) Expr {
	x := p.convPrimary(e.Primary)
	for _, op := range e.Ops {
		sp := Span{x.Span().Start, Pos(op.EndPos.Offset)}
		switch {
		case op.Field != nil:
			x = &SelectorExpr{Sp: sp, X: x, Sel: convFieldName(op.Field)}
		case op.Index != nil:
			x = &IndexExpr{Sp: sp, X: x, Index: p.convExpr(op.Index)}
		case op.Call != nil:
			call := &CallExpr{Sp: sp, Fun: x, Lparen: Pos(op.Call.Pos.Offset)}
			for _, a := range op.Call.Args {
				arg := &Arg{Sp: span(a.Pos, a.EndPos)}
				if a.Lambda != nil {
					arg.Value = p.convLambda(a.Lambda)
				} else {
					arg.Value = p.convExpr(a.Value)
				}
				if a.Name != nil {
					arg.Name = convFieldName(a.Name)
				}
				call.Args = append(call.Args, arg)
			}
			x = call
		}
	}
	return x
}

func (p *parser) convPrimary(e *gPrimary) Expr {
	sp := span(e.Pos, e.EndPos)
	switch {
	case e.Lit != nil:
		return p.convLit(e.Lit)
	case e.List != nil:
		l := &ListLit{Sp: sp}
		for _, el := range e.List.Elems {
			l.Elems = append(l.Elems, p.convExpr(el))
		}
		return l
	case e.Brace != nil:
		b := &BraceLit{Sp: sp}
		for _, en := range e.Brace.Entries {
			entry := &Entry{Sp: span(en.Pos, en.EndPos), Value: p.convExpr(en.Value)}
			if en.Name != nil {
				entry.Key = convFieldName(en.Name)
			} else {
				lit := p.convLit(en.Key)
				if en.Neg {
					lit.Sp.Start = Pos(en.Pos.Offset)
					lit.Raw = "-" + lit.Raw
				}
				entry.Key = lit
			}
			b.Entries = append(b.Entries, entry)
		}
		return b
	case e.Paren != nil:
		return &ParenExpr{Sp: sp, X: p.convExpr(e.Paren)}
	case e.Super:
		return &Ident{Sp: Span{sp.Start, sp.Start + Pos(len("super"))}, Name: "super"}
	case e.Name != nil:
		return convName(e.Name)
	}
	return &BadExpr{Sp: sp}
}

func (p *parser) convLambda(g *gLambda) *LambdaExpr {
	l := &LambdaExpr{Sp: span(g.Pos, g.EndPos), Body: p.convExpr(g.Body)}
	for _, n := range g.Params {
		l.Params = append(l.Params, convName(n))
	}
	return l
}

func (p *parser) convIf(g *gIf) *IfExpr {
	x := &IfExpr{Sp: span(g.Pos, g.EndPos), Cond: p.convExpr(g.Cond), Then: p.convBlock(g.Then)}
	switch {
	case g.ElseIf != nil:
		x.Else = p.convIf(g.ElseIf)
	case g.Else != nil:
		x.Else = p.convBlock(g.Else)
	}
	return x
}

func (p *parser) convPattern(g *gPattern) Expr {
	if g.Name != nil {
		first := convName(g.Name.First)
		if g.Name.Second == nil {
			return first
		}
		return &SelectorExpr{Sp: span(g.Pos, g.EndPos), X: first, Sel: convName(g.Name.Second)}
	}
	lit := p.convLit(g.Lit)
	if g.Neg {
		lit.Sp.Start = Pos(g.Pos.Offset)
		lit.Raw = "-" + lit.Raw
	}
	return lit
}

func (p *parser) convLit(g *gLit) *BasicLit {
	off := Pos(g.Pos.Offset)
	mk := func(k LitKind, raw string) *BasicLit {
		return &BasicLit{Sp: Span{off, off + Pos(len(raw))}, Kind: k, Raw: raw, Value: raw}
	}
	switch {
	case g.String != "":
		lit := mk(LitString, g.String)
		lit.Value = p.unquote(g.String, lit.Sp)
		return lit
	case g.Money != "":
		lit := mk(LitMoney, g.Money)
		if _, err := ParseMoney(g.Money); err != nil {
			p.errorf(CodeBadLiteral, lit.Sp, "%v", err)
		}
		return lit
	case g.Bool != "":
		return mk(LitBool, g.Bool)
	case g.None:
		return mk(LitNone, "none")
	}
	lit := mk(LitInt, g.Number)
	kind, err := classifyNumber(g.Number)
	if err != nil {
		p.errorf(CodeBadLiteral, lit.Sp, "%v", err)
	}
	lit.Kind = kind
	return lit
}
