package lang

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

var (
	tokComment    = rplLexer.Symbols()["Comment"]
	tokWhitespace = rplLexer.Symbols()["Whitespace"]
	tokKeyword    = rplLexer.Symbols()["Keyword"]
	tokString     = rplLexer.Symbols()["String"]
	tokBadString  = rplLexer.Symbols()["BadString"]
	tokInvalid    = rplLexer.Symbols()["Invalid"]
	tokPunct      = rplLexer.Symbols()["Punct"]
	tokIdent      = rplLexer.Symbols()["Ident"]
	tokNumber     = rplLexer.Symbols()["Number"]
	tokMoney      = rplLexer.Symbols()["Money"]
)

// declKeywords start a top-level declaration; the parser re-synchronises on
// them after a syntax error.
var declKeywords = map[string]bool{
	"package": true, "import": true, "extends": true, "const": true,
	"type": true, "fn": true, "test": true,
}

// Parse parses one source file. It always returns a FileNode: declarations
// that fail to parse become BadDecl, and every syntax error of the file is
// in the returned list (sorted, deduplicated, capped). The list is nil when
// the file parsed cleanly.
func Parse(filename string, src []byte) (*FileNode, DiagList) {
	f := NewFile(filename, src)
	p := &parser{file: f, node: &FileNode{File: f}}
	p.run()
	if len(p.diags) == 0 {
		return p.node, nil
	}
	return p.node, p.diags.Normalize()
}

type parser struct {
	file  *File
	node  *FileNode
	diags DiagList
}

func (p *parser) errorf(code Code, sp Span, format string, args ...any) {
	p.diags = append(p.diags, &Diagnostic{File: p.file, Span: sp, Severity: SevError, Code: code, Message: fmt.Sprintf(format, args...)})
}

// lexAll tokenises the whole file. The lexer has a catch-all rule, so it
// never fails on valid UTF-8 input; any error is reported and ends the scan.
func (p *parser) lexAll() []lexer.Token {
	lx, err := rplLexer.LexString(p.file.Name, string(p.file.Src))
	if err != nil {
		p.errorf(CodeInvalidChar, Span{0, 0}, "%s", err)
		return nil
	}
	var toks []lexer.Token
	for {
		t, err := lx.Next()
		if err != nil {
			var pe participle.Error
			off := Pos(len(p.file.Src))
			if errors.As(err, &pe) {
				off = Pos(pe.Position().Offset)
			}
			p.errorf(CodeInvalidChar, Span{off, off + 1}, "invalid character")
			return toks
		}
		if t.EOF() {
			return toks
		}
		toks = append(toks, t)
	}
}

func (p *parser) run() {
	toks := p.lexAll()
	// Split into chunks, one per top-level declaration: a declaration
	// keyword at bracket depth 0, or at the start of a line (which
	// recovers from unbalanced brackets). A keyword in field position
	// (`r.task.type`, `{type: "chat"}`, a named argument `test: 1`) and
	// `fn` starting a function type (`fn(int) -> bool`) start nothing.
	var chunks [][]lexer.Token
	start, depth := 0, 0
	atLineStart := true
	for i, t := range toks {
		switch t.Type {
		case tokComment:
			p.node.Comments = append(p.node.Comments, &Comment{Sp: Span{Pos(t.Pos.Offset), Pos(t.Pos.Offset + len(t.Value))}, Text: strings.TrimRight(t.Value, "\r")})
			continue
		case tokWhitespace:
			if strings.Contains(t.Value, "\n") {
				atLineStart = true
			}
			continue
		case tokKeyword:
			if declKeywords[t.Value] && startsDecl(toks, i, depth, atLineStart && t.Pos.Column == 1) {
				if i > start {
					chunks = append(chunks, toks[start:i])
				}
				start, depth = i, 0
			}
		case tokPunct:
			switch t.Value {
			case "(", "[", "{":
				depth++
			case ")", "]", "}":
				if depth > 0 {
					depth--
				}
			}
		}
		atLineStart = false
	}
	if start < len(toks) {
		chunks = append(chunks, toks[start:])
	}
	for _, c := range chunks {
		p.parseChunk(c)
	}
	p.checkOrder()
}

// startsDecl reports whether the declaration keyword toks[i] starts a
// declaration. At the start of a line in column 1 it does (this recovers
// from unbalanced brackets), unless a ':' follows (a record key). Elsewhere
// it must be outside brackets, not after '.' (a field name), not before
// ':' (a named argument) and, for fn, not before '(' (a function type).
func startsDecl(toks []lexer.Token, i, depth int, col1 bool) bool {
	var prev, next string
	for j := i - 1; j >= 0; j-- {
		if t := toks[j]; t.Type != tokComment && t.Type != tokWhitespace {
			prev = t.Value
			break
		}
	}
	for j := i + 1; j < len(toks); j++ {
		if t := toks[j]; t.Type != tokComment && t.Type != tokWhitespace {
			next = t.Value
			break
		}
	}
	if next == ":" {
		return false
	}
	if col1 {
		return true
	}
	return depth == 0 && prev != "." && !(toks[i].Value == "fn" && next == "(")
}

// sliceLexer feeds a chunk of already-lexed tokens to participle.
type sliceLexer struct {
	toks []lexer.Token
	i    int
	eof  lexer.Position
}

func (l *sliceLexer) Next() (lexer.Token, error) {
	if l.i < len(l.toks) {
		l.i++
		return l.toks[l.i-1], nil
	}
	return lexer.EOFToken(l.eof), nil
}

func (p *parser) parseChunk(toks []lexer.Token) {
	// The declaration spans its significant tokens, without the trivia
	// around it; end of input is reported just after its last token.
	first, last := toks[0], toks[len(toks)-1]
	for j := len(toks) - 1; j >= 0; j-- {
		if toks[j].Type != tokComment && toks[j].Type != tokWhitespace {
			last = toks[j]
			break
		}
	}
	for _, t := range toks {
		if t.Type != tokComment && t.Type != tokWhitespace {
			first = t
			break
		}
	}
	sp := Span{Pos(first.Pos.Offset), Pos(last.Pos.Offset + len(last.Value))}
	// Lexical errors first: they explain the syntax error that follows.
	lexBad := false
	for _, t := range toks {
		tsp := Span{Pos(t.Pos.Offset), Pos(t.Pos.Offset + len(t.Value))}
		switch t.Type {
		case tokInvalid:
			p.errorf(CodeInvalidChar, tsp, "invalid character %q", t.Value)
			lexBad = true
		case tokBadString:
			p.errorf(CodeUnterminated, tsp, "string literal not terminated")
			lexBad = true
		}
	}
	onlyTrivia := true
	for _, t := range toks {
		if t.Type != tokComment && t.Type != tokWhitespace {
			onlyTrivia = false
			break
		}
	}
	if onlyTrivia {
		return
	}
	eof := last.Pos
	eof.Offset += len(last.Value)
	peek, err := lexer.Upgrade(&sliceLexer{toks: toks, eof: eof}, tokComment, tokWhitespace)
	if err == nil {
		var g *gFile
		g, err = rplParser.ParseFromLexer(peek)
		if err == nil {
			for _, d := range g.Decls {
				p.addDecl(d)
			}
			return
		}
	}
	if !lexBad {
		p.syntaxError(err, sp)
	}
	p.node.Decls = append(p.node.Decls, p.recoverDecl(toks, sp))
}

// recoverDecl keeps what can be kept of a declaration that failed to parse:
// a function's header (name, parameters, result) with a bad body, so tools
// still see the name; otherwise a BadDecl.
func (p *parser) recoverDecl(toks []lexer.Token, sp Span) Decl {
	if toks[0].Value != "fn" {
		return &BadDecl{Sp: sp}
	}
	// Cut at the first '=' or '{' after the parameters.
	depth, cut := 0, -1
	for i, t := range toks {
		if t.Type != tokPunct && t.Value != "=>" {
			continue
		}
		switch t.Value {
		case "(", "[":
			depth++
		case ")", "]":
			depth--
		case "=", "{":
			if depth == 0 && cut < 0 && i > 0 && toks[i-1].Type != tokPunct || depth == 0 && cut < 0 && toks[i-1].Value == ")" {
				cut = i
			}
		}
		if cut >= 0 {
			break
		}
	}
	if cut < 0 {
		return &BadDecl{Sp: sp}
	}
	head := append(append([]lexer.Token(nil), toks[:cut]...), lexer.Token{Type: tokPunct, Value: "=", Pos: toks[cut].Pos}, lexer.Token{Type: rplLexer.Symbols()["Ident"], Value: "_", Pos: toks[cut].Pos})
	peek, err := lexer.Upgrade(&sliceLexer{toks: head, eof: toks[cut].Pos}, tokComment, tokWhitespace)
	if err != nil {
		return &BadDecl{Sp: sp}
	}
	g, err := rplParser.ParseFromLexer(peek)
	if err != nil || len(g.Decls) != 1 || g.Decls[0].Fn == nil {
		return &BadDecl{Sp: sp}
	}
	fn := convFn(p, g.Decls[0].Fn)
	fn.Sp = sp
	fn.Body = &BadExpr{Sp: Span{Pos(toks[cut].Pos.Offset), sp.End}}
	return fn
}

func (p *parser) syntaxError(err error, chunk Span) {
	var perr participle.Error
	if errors.As(err, &perr) {
		off := Pos(perr.Position().Offset)
		msg := perr.Message()
		end := off + 1
		var ut *participle.UnexpectedTokenError
		if errors.As(err, &ut) {
			if ut.Unexpected.EOF() {
				msg = "unexpected end of declaration"
				if ut.Expect != "" {
					msg += " (expected " + ut.Expect + ")"
				}
				end = off
			} else {
				end = off + Pos(len(ut.Unexpected.Value))
				msg = fmt.Sprintf("unexpected %s", describeToken(ut.Unexpected))
				if ut.Expect != "" {
					msg += " (expected " + ut.Expect + ")"
				}
			}
		}
		p.errorf(CodeSyntax, Span{off, end}, "syntax error: %s", msg)
		return
	}
	p.errorf(CodeSyntax, Span{chunk.Start, chunk.Start}, "syntax error: %v", err)
}

func describeToken(t lexer.Token) string {
	switch t.Type {
	case tokString:
		return "string " + t.Value
	case tokKeyword:
		return "keyword " + t.Value
	case tokIdent:
		return "name " + t.Value
	case tokNumber, tokMoney:
		return "literal " + t.Value
	}
	return strconv.Quote(t.Value)
}

// checkOrder reports package/import/extends clauses that come after other
// declarations, and repeated package or extends clauses.
func (p *parser) checkOrder() {
	seenBody := false
	decls := p.node.Decls[:0]
	for _, d := range p.node.Decls {
		switch d := d.(type) {
		case *PackageClause:
			if seenBody || p.node.Package != nil || len(p.node.Imports) > 0 || p.node.Extends != nil {
				p.errorf(CodeMisplacedDecl, d.Sp, "package clause must come first, once")
				continue
			}
			p.node.Package = d
			continue
		case *ImportDecl:
			if seenBody {
				p.errorf(CodeMisplacedDecl, d.Sp, "import must come before other declarations")
			}
			p.node.Imports = append(p.node.Imports, d)
			continue
		case *ExtendsDecl:
			if seenBody || p.node.Extends != nil {
				p.errorf(CodeMisplacedDecl, d.Sp, "extends must come once, before other declarations")
				if p.node.Extends != nil {
					continue
				}
			}
			p.node.Extends = d
			continue
		}
		seenBody = true
		decls = append(decls, d)
	}
	p.node.Decls = decls
}

// ---- conversion from the parse tree to the AST ----

func span(a, b lexer.Position) Span { return Span{Pos(a.Offset), Pos(b.Offset)} }

func (p *parser) addDecl(d *gDecl) {
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
	default:
		return
	}
	p.node.Decls = append(p.node.Decls, out)
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
			switch raw[i+1] {
			case 'x':
				n = 4
			case 'u':
				n = 6
			case 'U':
				n = 10
			}
		}
		if i+n > len(raw)-1 {
			n = len(raw) - 1 - i
		}
		if _, _, _, err := strconv.UnquoteChar(raw[i:len(raw)-1], '"'); err != nil {
			p.errorf(CodeBadEscape, Span{sp.Start + Pos(i), sp.Start + Pos(i+n)}, "unknown escape sequence %s", raw[i:i+n])
			return ""
		}
		i++
	}
	p.errorf(CodeBadEscape, sp, "invalid string literal")
	return ""
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
	}
	return &ExprStmt{X: p.convExpr(s.Expr)}
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
	x := p.convUnary(e.X)
	// Fold -literal into the literal, so -5 and -$1 are constants.
	if lit, ok := x.(*BasicLit); ok && e.Op == "-" && (lit.Kind == LitInt || lit.Kind == LitFloat || lit.Kind == LitMoney || lit.Kind == LitDuration) && !strings.HasPrefix(lit.Raw, "-") {
		lit.Sp.Start = Pos(e.Pos.Offset)
		lit.Raw = "-" + lit.Raw
		return lit
	}
	return &UnaryExpr{Sp: span(e.Pos, e.EndPos), Op: e.Op, OpPos: Pos(e.Pos.Offset), X: x}
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
	case e.If != nil:
		return p.convIf(e.If)
	case e.Match != nil:
		m := &MatchExpr{Sp: sp, Subject: p.convExpr(e.Match.Subject)}
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
				entry.Key = p.convLit(en.Key)
			}
			b.Entries = append(b.Entries, entry)
		}
		return b
	case e.Block != nil:
		return p.convBlock(e.Block)
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
