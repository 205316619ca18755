package lang

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

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
	tokOp         = rplLexer.Symbols()["Op"]
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
	return parseFile(filename, src, false)
}

func parseFile(filename string, src []byte, reference bool) (*FileNode, DiagList) {
	f := NewFile(filename, src)
	p := &parser{file: f, node: &FileNode{File: f}, reference: reference}
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
	// reference selects the participle parser generated from grammar.go
	// instead of the hand-written one (the recursive descent at the end of this file); tests
	// compare the two.
	reference bool
}

func (p *parser) errorf(code Code, sp Span, format string, args ...any) {
	p.diags = append(p.diags, &Diagnostic{File: p.file, Span: sp, Severity: SevError, Code: code, Message: fmt.Sprintf(format, args...)})
}

// lexAll tokenises the whole file with scanTokens, a hand-written
// equivalent of rplLexer (the regular-expression rules in grammar.go, which
// define the tokens and are printed in spec/grammar.ebnf). The two are kept
// equal by TestScannerMatchesLexerRules and FuzzParse; scanTokens is about
// twenty times faster.
//
// The descent gets only the significant tokens, and the comments go
// straight to the FileNode; the reference parser gets every token, as
// participle computes end positions from the trivia.
func (p *parser) lexAll() []lexer.Token {
	toks, comments := scanTokens(p.file.Name, p.file.Src, p.reference)
	for _, t := range comments {
		p.node.Comments = append(p.node.Comments, &Comment{Sp: Span{Pos(t.Pos.Offset), Pos(t.Pos.Offset + len(t.Value))}, Text: strings.TrimRight(t.Value, "\r")})
	}
	return toks
}

// lexAllRules tokenises with the participle lexer rules themselves.
func lexAllRules(name string, src []byte) ([]lexer.Token, error) {
	lx, err := rplLexer.LexString(name, string(src))
	if err != nil {
		return nil, err
	}
	var toks []lexer.Token
	for {
		t, err := lx.Next()
		if err != nil {
			return toks, err
		}
		if t.EOF() {
			return toks, nil
		}
		toks = append(toks, t)
	}
}

func isDigit(c byte) bool     { return '0' <= c && c <= '9' }
func isHexDigit(c byte) bool  { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }
func isLetter(c byte) bool    { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' }
func isWordChar(c byte) bool  { return isLetter(c) || isDigit(c) }
func isDigitOrUs(c byte) bool { return isDigit(c) || c == '_' }

// isKeyword reports whether s is a keyword.
func isKeyword(s string) bool {
	switch s {
	case "package", "import", "as", "extends", "const", "type", "fn", "test",
		"let", "return", "expect", "if", "else", "match", "in", "not",
		"true", "false", "none", "super":
		return true
	}
	return false
}

// scanTokens splits src into tokens exactly as rplLexer does: at each
// position the first rule that matches, in the order Comment, Whitespace,
// Money, Number, String, BadString, Keyword, Ident, Op, Punct, Invalid.
// Positions count lines from 1 and columns in runes from 1, as participle
// does. With trivia, every token is in toks; without, white space is
// dropped and comments are returned apart.
func scanTokens(name string, src []byte, trivia bool) (toks, comments []lexer.Token) {
	toks = make([]lexer.Token, 0, len(src)/3+16)
	pos := lexer.Position{Filename: name, Line: 1, Column: 1}
	text := string(src) // token values are slices of one copy of the source
	n := len(src)
	// µ (U+00B5) is two bytes in UTF-8.
	micro := func(i int) bool { return i+1 < n && src[i] == 0xC2 && src[i+1] == 0xB5 }
	for i := 0; i < n; {
		c := src[i]
		j := i + 1
		var typ lexer.TokenType
		switch {
		case c == '#':
			for j < n && src[j] != '\n' {
				j++
			}
			typ = tokComment
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			for j < n && (src[j] == ' ' || src[j] == '\t' || src[j] == '\r' || src[j] == '\n') {
				j++
			}
			typ = tokWhitespace
		case c == '$' && j < n && isDigit(src[j]):
			for j < n && isDigitOrUs(src[j]) {
				j++
			}
			if j+1 < n && src[j] == '.' && isDigit(src[j+1]) {
				j += 2
				for j < n && isDigitOrUs(src[j]) {
					j++
				}
			}
			typ = tokMoney
		case isDigit(c):
			if c == '0' && j+1 < n && (src[j] == 'x' || src[j] == 'X') && (isHexDigit(src[j+1]) || src[j+1] == '_') {
				j += 2
				for j < n && (isHexDigit(src[j]) || src[j] == '_') {
					j++
				}
			} else {
				for j < n && isDigitOrUs(src[j]) {
					j++
				}
				if j+1 < n && src[j] == '.' && isDigit(src[j+1]) {
					j += 2
					for j < n && isDigitOrUs(src[j]) {
						j++
					}
				}
				if j < n && (src[j] == 'e' || src[j] == 'E') {
					k := j + 1
					if k < n && (src[k] == '+' || src[k] == '-') {
						k++
					}
					if k < n && isDigit(src[k]) {
						for k < n && isDigit(src[k]) {
							k++
						}
						j = k
					}
				}
			}
			// A unit or any other letters stick to the number.
			if j < n && (isLetter(src[j]) || micro(j)) {
				for j < n && (isWordChar(src[j]) || micro(j)) {
					if micro(j) {
						j += 2
					} else {
						j++
					}
				}
			}
			typ = tokNumber
		case c == '"':
			for j < n && src[j] != '"' && src[j] != '\n' {
				if src[j] == '\\' {
					if j+1 >= n || src[j+1] == '\n' {
						break
					}
					_, w := utf8.DecodeRune(src[j+1:])
					j += 1 + w
					continue
				}
				_, w := utf8.DecodeRune(src[j:])
				j += w
			}
			if j < n && src[j] == '"' {
				j++
				typ = tokString
			} else {
				typ = tokBadString
			}
		case isLetter(c):
			for j < n && isWordChar(src[j]) {
				j++
			}
			typ = tokIdent
			if isKeyword(string(src[i:j])) {
				typ = tokKeyword
			}
		default:
			if j < n {
				switch string(src[i : i+2]) {
				case "=>", "->", "??", "||", "&&", "==", "!=", "<=", ">=":
					j, typ = i+2, tokOp
				}
			}
			if typ == 0 {
				switch c {
				case '-', '+', '*', '/', '%', '<', '>', '=', '!', '.', ',', ':', ';', '(', ')', '[', ']', '{', '}', '|', '?':
					typ = tokPunct
				default:
					_, w := utf8.DecodeRune(src[i:])
					j, typ = i+w, tokInvalid
				}
			}
		}
		v := text[i:j]
		switch {
		case trivia || typ != tokWhitespace && typ != tokComment:
			toks = append(toks, lexer.Token{Type: typ, Value: v, Pos: pos})
		case typ == tokComment:
			comments = append(comments, lexer.Token{Type: typ, Value: v, Pos: pos})
		}
		// pos.Advance(v), without its allocation-free but slower counting.
		pos.Offset = j
		if nl := strings.LastIndexByte(v, '\n'); nl >= 0 {
			pos.Line += strings.Count(v, "\n")
			pos.Column = utf8.RuneCountInString(v[nl:])
		} else if typ == tokIdent || typ == tokKeyword || typ == tokPunct || typ == tokOp {
			pos.Column += len(v) // ASCII
		} else {
			pos.Column += utf8.RuneCountInString(v)
		}
		i = j
	}
	return toks, comments
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
	for i, t := range toks {
		switch t.Type {
		case tokComment:
			p.node.Comments = append(p.node.Comments, &Comment{Sp: Span{Pos(t.Pos.Offset), Pos(t.Pos.Offset + len(t.Value))}, Text: strings.TrimRight(t.Value, "\r")})
			continue
		case tokWhitespace:
			continue
		case tokKeyword:
			if declKeywords[t.Value] && startsDecl(toks, i, depth, t.Pos.Column == 1) {
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
	if !p.reference {
		p.descend(toks, sp, lexBad)
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
				entry.Key = p.convLit(en.Key)
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
	toks    []lexer.Token // significant tokens of the chunk
	i       int
	eof     Pos // just after the chunk's last token
	errSp   Span
	errMsg  string
	fnHead  *FuncDecl // the header of the fn being parsed, once complete
	bodyPos Pos       // where that fn's body starts
	depth   int       // nesting of expressions and types
}

// maxNesting bounds the nesting of expressions and types, so that no input
// can exhaust the stack.
const maxNesting = 500

func (d *descent) nest() {
	d.depth++
	if d.depth > maxNesting {
		t := d.peek()
		d.errSp = Span{d.pos(), d.pos()}
		if t != nil {
			d.errSp.End += Pos(len(t.Value))
		}
		d.errMsg = fmt.Sprintf("nesting deeper than %d levels", maxNesting)
		panic(bailout{})
	}
}

func (d *descent) peek() *lexer.Token {
	if d.i < len(d.toks) {
		return &d.toks[d.i]
	}
	return nil
}

// peekN is the token n places ahead (0 = next), or nil.
func (d *descent) peekN(n int) *lexer.Token {
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

func (d *descent) isType(n int, typ lexer.TokenType) bool {
	t := d.peekN(n)
	return t != nil && t.Type == typ
}

// end is the offset just after the last consumed token.
func (d *descent) end() Pos {
	if d.i == 0 {
		return d.pos()
	}
	t := d.toks[d.i-1]
	return Pos(t.Pos.Offset + len(t.Value))
}

// pos is the offset of the next token (or the end of the chunk).
func (d *descent) pos() Pos {
	if t := d.peek(); t != nil {
		return Pos(t.Pos.Offset)
	}
	return d.eof
}

func (d *descent) next() lexer.Token {
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
		d.errSp = Span{Pos(t.Pos.Offset), Pos(t.Pos.Offset + len(t.Value))}
		d.errMsg = "unexpected " + describeToken(*t)
	}
	if expected != "" {
		d.errMsg += ", expected " + expected
	}
	panic(bailout{})
}

// expect consumes the token with text s or fails.
func (d *descent) expect(s string) lexer.Token {
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
func (p *parser) descend(toks []lexer.Token, sp Span, lexBad bool) {
	d := &descent{p: p, eof: sp.End, toks: toks} // no trivia: see lexAll
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
		p.node.Decls = append(p.node.Decls, decls...)
		return
	}
	if !lexBad {
		p.errorf(CodeSyntax, d.errSp, "syntax error: %s", d.errMsg)
	}
	// Keep a function's header when only its body is broken.
	if d.fnHead != nil && len(decls) == 0 {
		fn := d.fnHead
		fn.Sp = sp
		fn.Body = &BadExpr{Sp: Span{d.bodyPos, sp.End}}
		p.node.Decls = append(p.node.Decls, fn)
		return
	}
	p.node.Decls = append(p.node.Decls, &BadDecl{Sp: sp})
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
		c.Value = d.expr()
		c.Sp = Span{start, d.end()}
		out = c
	case t.Value == "type":
		d.i++
		td := &TypeDecl{Name: d.name()}
		d.expect("=")
		td.Type = d.typ()
		td.Sp = Span{start, d.end()}
		out = td
	case t.Value == "fn":
		out = d.fn()
	case t.Value == "test":
		d.i++
		td := &TestDecl{Name: d.str()}
		td.Body = d.block()
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
	d.nest()
	defer func() { d.depth-- }()
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
		if d.accept(",") {
			e.Message = d.expr()
		}
		e.Sp = Span{start, d.end()}
		out = e
	default:
		out = &ExprStmt{X: d.expr()}
	}
	d.accept(";")
	return out
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
	d.nest()
	defer func() { d.depth-- }()
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
		return d.binary(op, at, x, d.add())
	}
	if t := d.peek(); t != nil && t.Type == tokKeyword && (t.Value == "in" || t.Value == "not") {
		at := Pos(t.Pos.Offset)
		d.i++
		op := "in"
		if t.Value == "not" {
			d.expect("in")
			op = "not in"
		}
		return d.binary(op, at, x, d.add())
	}
	return x
}

func (d *descent) add() Expr {
	x := d.mul()
	for {
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
	d.nest()
	defer func() { d.depth-- }()
	x := d.unary()
	// Fold -literal into the literal, so -5 and -$1 are constants.
	if lit, isLit := x.(*BasicLit); isLit && op == "-" && (lit.Kind == LitInt || lit.Kind == LitFloat || lit.Kind == LitMoney || lit.Kind == LitDuration) && !strings.HasPrefix(lit.Raw, "-") {
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
		// one starts the next statement.
		return x
	}
	for {
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
		}
	case tokNumber:
		kind, err := classifyNumber(t.Value)
		if err != nil {
			d.p.errorf(CodeBadLiteral, lit.Sp, "%v", err)
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
	switch n.Type {
	case tokIdent, tokKeyword, tokString, tokNumber:
		c := d.peekN(2)
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
		if t := d.peek(); t != nil && (t.Type == tokIdent || t.Type == tokKeyword || d.atLit()) {
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
	} else if d.atLit() {
		e.Key = d.lit()
	} else {
		d.fail("a key")
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
	neg := d.accept("-")
	if !d.atLit() {
		d.fail("a pattern")
	}
	lit := d.lit()
	if neg {
		lit.Sp.Start = start
		lit.Raw = "-" + lit.Raw
	}
	return lit
}
