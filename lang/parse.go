package lang

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

var (
	tokComment    = tokenType(rplLexer.Symbols()["Comment"])
	tokWhitespace = tokenType(rplLexer.Symbols()["Whitespace"])
	tokKeyword    = tokenType(rplLexer.Symbols()["Keyword"])
	tokString     = tokenType(rplLexer.Symbols()["String"])
	tokBadString  = tokenType(rplLexer.Symbols()["BadString"])
	tokInvalid    = tokenType(rplLexer.Symbols()["Invalid"])
	tokPunct      = tokenType(rplLexer.Symbols()["Punct"])
	tokIdent      = tokenType(rplLexer.Symbols()["Ident"])
	tokNumber     = tokenType(rplLexer.Symbols()["Number"])
	tokMoney      = tokenType(rplLexer.Symbols()["Money"])
	tokOp         = tokenType(rplLexer.Symbols()["Op"])
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
	if how := utf16Start(src); how != "" {
		// Read as UTF-8, every character is an error (a NUL beside each
		// ASCII one): one says what the file is.
		p.errorf(CodeInvalidChar, Span{0, 2}, "invalid character %q: the file is UTF-16 (%s): RPL source is UTF-8, save it as UTF-8", src[:2], how)
		return p.node, p.diags
	}
	p.run()
	if len(p.diags) == 0 {
		return p.node, nil
	}
	if p.dropped > 0 {
		end := Pos(len(src))
		p.diags = append(p.diags, &Diagnostic{File: f, Span: Span{end, end}, Severity: SevInfo, Code: CodeTooMany, hidden: p.dropped, hiddenErrors: p.dropped})
	}
	return p.node, p.diags.Normalize()
}

// utf16Start says how src shows that it is UTF-16 text: it starts with
// UTF-16's byte order mark (FF FE or FE FF), or with two ASCII characters
// each beside a NUL (p\x00a\x00, \x00p\x00a); "" when it does not.
func utf16Start(src []byte) string {
	if len(src) >= 2 && (src[0] == 0xff && src[1] == 0xfe || src[0] == 0xfe && src[1] == 0xff) {
		return "it starts with UTF-16's byte order mark"
	}
	ascii := func(c byte) bool { return c != 0 && c < utf8.RuneSelf }
	if len(src) >= 4 && (ascii(src[0]) && src[1] == 0 && ascii(src[2]) && src[3] == 0 || src[0] == 0 && ascii(src[1]) && src[2] == 0 && ascii(src[3])) {
		return "a NUL byte beside each ASCII character"
	}
	return ""
}

type parser struct {
	file  *File
	node  *FileNode
	diags DiagList
	// reference selects the participle parser generated from grammar.go
	// instead of the hand-written one (the recursive descent at the end of this file); tests
	// compare the two.
	reference bool
	// guessed are the constants declared from stray lines (limit = 3)
	// that dropGuessed checks against the file's declarations, as it does
	// the functions (g() -> int = 2) that start at guessedFns.
	guessed    []Decl
	guessedFns []Pos
	// dropped counts the errors past maxParseDiags, not kept;
	// lastDropped, whether the last one reported was.
	dropped     int
	lastDropped bool
}

// maxParseDiags bounds the diagnostics the parser keeps of a file, those
// after it counted in the RPL900 note: a file of random bytes made an
// RPL101 a byte, 10 million for 20 MB (22 s and 2.6 GB to check), of
// which Normalize shows MaxDiagnostics.
const maxParseDiags = 10 * MaxDiagnostics

func (p *parser) errorf(code Code, sp Span, format string, args ...any) {
	if p.lastDropped = len(p.diags) >= maxParseDiags; p.lastDropped {
		p.dropped++
		return
	}
	p.diags = append(p.diags, &Diagnostic{File: p.file, Span: sp, Severity: SevError, Code: code, Message: fmt.Sprintf(format, args...)})
}

// fix attaches a suggested edit to the diagnostic reported last.
func (p *parser) fix(f Fix) {
	if p.lastDropped {
		return
	}
	d := p.diags[len(p.diags)-1]
	d.Fixes = append(d.Fixes, f)
}

func (p *parser) run() {
	toks := p.lexAll()
	for _, c := range chunksOf(p.file.Src, toks) {
		p.parseChunk(c)
	}
	p.dropGuessed()
	p.checkOrder()
}

// chunksOf splits the tokens of src into chunks, one per top-level
// declaration: a declaration keyword at bracket depth 0, or at the start
// of a line (which recovers from unbalanced brackets), starts one. A
// keyword in field position (`r.task.type`, `{type: "chat"}`, a named
// argument `test: 1`) and `fn` starting a function type (`fn(int) ->
// bool`) start nothing. Each chunk is parsed on its own.
func chunksOf(src []byte, toks []token) [][]token {
	var chunks [][]token
	start, depth := 0, 0
	for i, t := range toks {
		switch t.Type {
		case tokKeyword:
			if declKeywords[t.Value] && startsDecl(src, toks, i, depth) {
				if i > start {
					chunks = append(chunks, toks[start:i])
				}
				start, depth = i, 0
			}
		case tokPunct:
			depth = nesting(t, depth)
		}
	}
	if start < len(toks) {
		chunks = append(chunks, toks[start:])
	}
	return chunks
}

// dropGuessed leaves undeclared each constant or function guessed from a
// stray line (limit = 3, g() -> int = 2) whose name the file declares as
// well, or a stray line above guesses too: the stray line is reported
// (RPL100) and the name's uses resolve without it, which would make the
// declaration written out, or the one guessed first, a redeclaration
// (RPL201) that the user never wrote.
func (p *parser) dropGuessed() {
	for _, d := range p.node.Decls {
		if f, ok := d.(*FuncDecl); ok && slices.Contains(p.guessedFns, f.Span().Start) {
			f.Guessed = true
			p.guessed = append(p.guessed, f)
		}
	}
	for _, g := range p.guessed {
		name := declName(g).Name
		if !slices.ContainsFunc(p.node.Decls, func(d Decl) bool {
			id := declName(d)
			if d == g || id == nil || id.Name != name {
				return false
			}
			return !slices.Contains(p.guessed, d) || d.Span().Start < g.Span().Start
		}) {
			continue
		}
		if i := slices.Index(p.node.Decls, g); i >= 0 {
			p.node.Decls[i] = &BadDecl{Sp: g.Span()}
		}
	}
}

// startsDecl reports whether the declaration keyword toks[i] starts a
// declaration. At the start of a line in column 1 it does (this recovers
// from unbalanced brackets), unless a ':' follows (a record key). Elsewhere
// it must be outside brackets, not after '.' (a field name), not before
// ':' (a named argument), for fn, not before '(' (a function type), and
// not after a token on its line that no declaration ends with and that a
// name or an operand must follow (const type = 1, package test, x > 1 &&
// test): the keyword is then a misused name, and its declaration's one
// error. At the start of an indented line it starts a declaration (const
// a = then const b = 2 on the next line: one error, b declared).
func startsDecl(src []byte, toks []token, i, depth int) bool {
	var prev, next string
	at := toks[i].Pos.Offset
	col1 := at == 0 || src[at-1] == '\n'
	lineStart := true // a line break between prev and the keyword
	for j := i - 1; j >= 0; j-- {
		if t := toks[j]; t.Type != tokComment && t.Type != tokWhitespace {
			prev, lineStart = t.Value, bytes.IndexByte(src[t.Pos.Offset:at], '\n') >= 0
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
	return depth == 0 && prev != "." && (lineStart || !needsOperand[prev]) && !(toks[i].Value == "fn" && next == "(")
}

// needsOperand holds the keywords and operators that a name, a string, an
// expression or a type must follow: no declaration ends with one.
var needsOperand = map[string]bool{
	"package": true, "import": true, "as": true, "extends": true, "const": true,
	"type": true, "fn": true, "test": true, "let": true, "return": true,
	"expect": true, "if": true, "match": true, "in": true, "not": true,
	"=": true, "->": true, "=>": true, "??": true, "||": true, "&&": true,
	"==": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true,
	"+": true, "-": true, "*": true, "/": true, "%": true, "!": true,
}

// sliceLexer feeds a chunk of already-lexed tokens to participle.
type sliceLexer struct {
	file *File
	toks []token
	i    int
	eof  Pos // the end of input
}

func (l *sliceLexer) Next() (lexer.Token, error) {
	if l.i < len(l.toks) {
		l.i++
		t := l.toks[l.i-1]
		return lexer.Token{Type: lexer.TokenType(t.Type), Value: t.Value, Pos: l.position(t.Pos.Offset)}, nil
	}
	return lexer.EOFToken(l.position(l.eof)), nil
}

// position is the lexer.Position of an offset (columns in bytes: the
// reference parser's trees and errors use only the offsets).
func (l *sliceLexer) position(off Pos) lexer.Position {
	pos := l.file.Position(off)
	return lexer.Position{Filename: l.file.Name, Offset: int(off), Line: pos.Line, Column: pos.Col}
}

// parsed is the outcome of parsing the tokens of a chunk.
type parsed struct {
	decls     []Decl // the declarations, when ok
	ok        bool
	errSp     Span // else the first syntax error
	errMsg    string
	recovered Decl // and what is kept of the declaration it breaks
}

// significant reports whether t is neither white space nor a comment.
// invalidUTF8 reports each byte of the string literal or comment t that
// is not valid UTF-8 as an invalid character (language.md §2.1): the file
// is UTF-8 text, and a string's bytes are written as escapes (\xff), so
// a stray byte is never read as the U+FFFD that would replace it. A CR
// that no LF follows is one too, in a comment or a string as elsewhere:
// shown as a line end, it would show a comment's end as code.
func (p *parser) invalidUTF8(t token) {
	v := t.Value
	for i := 0; i < len(v); {
		if v[i] == '\r' {
			at := Pos(t.Pos.Offset) + Pos(i)
			if src := p.file.Src; int(at)+1 >= len(src) || src[at+1] != '\n' {
				hint, _ := lookalike("\r", false)
				p.errorf(CodeInvalidChar, Span{at, at + 1}, "%s", invalidChar("\r", hint))
			}
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(v[i:])
		if r == utf8.RuneError && w == 1 {
			at := Pos(t.Pos.Offset) + Pos(i)
			hint := ""
			if t.Type != tokComment {
				hint = fmt.Sprintf("; write the byte as the escape \\x%02x", v[i])
			}
			p.errorf(CodeInvalidChar, Span{at, at + 1}, "invalid character %q (not UTF-8%s)", v[i:i+1], hint)
		}
		i += w
	}
}

// closingQuote reports whether the unterminated string at sp, on a line
// after an unterminated string's (no other string between them), is the
// quote that closes that string there, as the writer of a string on
// several lines meant it: only white space comes before it on its line,
// or only white space and closing brackets after it ("abc then def"), at
// the end of a call).
func closingQuote(src []byte, sp Span) bool {
	line := bytes.LastIndexByte(src[:sp.Start], '\n') + 1
	if len(bytes.TrimLeft(src[line:sp.Start], " \t")) == 0 {
		return true
	}
	return len(bytes.Trim(src[sp.Start+1:sp.End], " \t)]};,")) == 0
}

// statementKeyword are the keywords that begin a declaration or a
// statement: first on its line, one ends the text of a string left open
// on an earlier line (parseChunk).
var statementKeyword = map[string]bool{"let": true, "return": true, "expect": true, "if": true, "match": true, "fn": true, "const": true, "type": true, "test": true, "import": true}

func significant(t token) bool { return t.Type != tokComment && t.Type != tokWhitespace }

// chunkSpan is the span of the significant tokens of toks, without the
// trivia around them; ok is false when there are none.
func chunkSpan(toks []token) (sp Span, ok bool) {
	first, last := -1, -1
	for j := range toks {
		if significant(toks[j]) {
			first = j
			break
		}
	}
	for j := len(toks) - 1; j >= 0; j-- {
		if significant(toks[j]) {
			last = j
			break
		}
	}
	if first < 0 {
		return Span{}, false
	}
	return Span{Pos(toks[first].Pos.Offset), Pos(toks[last].Pos.Offset + Pos(len(toks[last].Value)))}, true
}

func (p *parser) parseChunk(toks []token) {
	// Lexical errors first: they explain the syntax error that follows.
	lexBad := false
	// The string last reported not terminated, while no other string
	// follows it.
	var open *Diagnostic
	prevEnd := Pos(-1) // the end of the token before (white space is none)
	for _, t := range toks {
		tsp := Span{Pos(t.Pos.Offset), Pos(t.Pos.Offset + Pos(len(t.Value)))}
		// First on its line: a line break since the token before.
		first := prevEnd >= 0 && prevEnd <= tsp.Start && bytes.IndexByte(p.file.Src[prevEnd:tsp.Start], '\n') >= 0
		prevEnd = tsp.End
		switch t.Type {
		case tokString:
			open = nil
		case tokKeyword:
			if first && statementKeyword[t.Value] {
				// Code again, not the string's text: a quote after it
				// is a string of its own.
				open = nil
			}
		case tokInvalid:
			if end := pointMoney(p.file.Src, tsp.Start); end > 0 {
				// $.5: a money literal but for the digit before its
				// point (language.md §2.6).
				lit := string(p.file.Src[tsp.Start:end])
				to := "$0" + lit[1:]
				switch _, err := ParseMoney(to); {
				case digitCount(lit[2:]) > 9:
					// $0… would be invalid too: no fix.
					p.errorf(CodeBadLiteral, Span{tsp.Start, end}, "malformed money literal %s: a digit must come before the point, and money has at most 9 decimal places", lit)
				case err != nil: // $.5_: no fix either
					p.errorf(CodeBadLiteral, Span{tsp.Start, end}, "malformed money literal %s: a digit must come before the point", lit)
				default:
					p.errorf(CodeBadLiteral, Span{tsp.Start, end}, "malformed money literal %s: a digit must come before the point (write %s)", lit, to)
					p.fix(Fix{Title: "change " + lit + " to " + to, Span: Span{tsp.Start, end}, NewText: to})
				}
				lexBad = true
				continue
			}
			hint, fix := lookalike(t.Value, tsp.Start > 0 && isDigit(p.file.Src[tsp.Start-1]))
			p.errorf(CodeInvalidChar, tsp, "%s", invalidChar(t.Value, hint))
			if fix != nil {
				fix.Span = tsp
				p.fix(*fix)
			}
			lexBad = true
		case tokBadString:
			lexBad = true
			// The CR of a CRLF line end is not the string's.
			tsp.End -= Pos(len(t.Value) - len(strings.TrimSuffix(t.Value, "\r")))
			if open != nil && closingQuote(p.file.Src, tsp) {
				// "abc then " on a later line: the string's closing
				// quote, reported with it, not a string of its own.
				line := p.file.Position(tsp.Start).Line
				open.Message = fmt.Sprintf("string literal not terminated: a string ends on its line (write a line break as \\n); the quote on line %d is taken as its end", line)
				// The quote is a related location: an editor jumps to it,
				// and numbers its line as it numbers lines (a lone CR
				// ends one for it, not for the message).
				open.Related = []Related{{File: p.file, Span: Span{tsp.Start, tsp.Start + 1}, Message: "the quote taken as the string's end"}}
				open = nil
				continue
			}
			open = nil
			p.errorf(CodeUnterminated, tsp, "string literal not terminated")
			if !p.lastDropped {
				open = p.diags[len(p.diags)-1]
			}
		}
	}
	// The declaration spans its significant tokens; end of input is
	// reported just after its last token.
	sp, ok := chunkSpan(toks)
	if !ok {
		return
	}
	quiet := false
	for {
		res := p.parseToks(toks, sp)
		if res.ok {
			p.node.Decls = append(p.node.Decls, res.decls...)
			return
		}
		// A name that starts a line where a declaration must start (what
		// comes before it parses) is a declaration without its keyword:
		// the declarations before it are kept, and it is one broken
		// declaration, up to the next keyword that starts one.
		if k := p.strayLine(toks, res.errSp.Start); k >= 0 {
			pre := parsed{ok: true}
			if psp, ok := chunkSpan(toks[:k]); ok {
				pre = p.parseToks(toks[:k], psp)
			}
			if pre.ok {
				p.node.Decls = append(p.node.Decls, pre.decls...)
				name := toks[k]
				nsp := Span{Pos(name.Pos.Offset), Pos(name.Pos.Offset + Pos(len(name.Value)))}
				sp.Start = nsp.Start
				if !looksLikeFn(toks[k:]) {
					// It is a broken declaration up to the next stray
					// line, which is parsed on its own.
					end := p.strayEnd(toks, k)
					bsp, _ := chunkSpan(toks[k:end])
					var decl Decl = &BadDecl{Sp: bsp}
					if looksLikeConst(toks[k:]) {
						p.errorf(CodeSyntax, nsp, "syntax error: unexpected name %s, expected a declaration (did you mean const %s = ...?)", name.Value, name.Value)
						p.fix(Fix{Title: "insert const", Span: Span{nsp.Start, nsp.Start}, NewText: "const "})
						// Declared as the constant it looks like, when it
						// parses as one, so that its uses resolve.
						c := append([]token{{Type: tokKeyword, Value: "const", Pos: name.Pos}}, toks[k:end]...)
						if res := p.parseToks(c, bsp); res.ok && len(res.decls) == 1 {
							decl = res.decls[0]
							if cd, ok := decl.(*ConstDecl); ok {
								cd.Guessed = true
							}
							p.guessed = append(p.guessed, decl)
						}
					} else {
						p.errorf(CodeSyntax, nsp, "syntax error: unexpected name %s, expected a declaration", name.Value)
					}
					p.node.Decls = append(p.node.Decls, decl)
					if end == len(toks) {
						return
					}
					// The token before the next line, parsed, becomes
					// white space, where a fn can be put without copying
					// the rest of the chunk.
					sp.Start = Pos(toks[end].Pos.Offset)
					toks = toks[end-1:]
					toks[0] = token{Type: tokWhitespace, Pos: toks[1].Pos}
					quiet = false
					continue
				}
				p.errorf(CodeSyntax, nsp, "syntax error: unexpected name %s, expected a declaration (did you mean fn %s(...)?)", name.Value, name.Value)
				p.fix(Fix{Title: "insert fn", Span: Span{nsp.Start, nsp.Start}, NewText: "fn "})
				// Parse it as the function it looks like, so that its
				// uses resolve; its own syntax errors, if any, are not
				// reported (one error per broken declaration). The fn
				// takes the place of the token before, which is parsed:
				// copying the rest of the chunk for each stray line of
				// it would make them quadratic.
				fn := token{Type: tokKeyword, Value: "fn", Pos: name.Pos}
				p.guessedFns = append(p.guessedFns, nsp.Start)
				if k > 0 {
					toks = toks[k-1:]
					toks[0] = fn
				} else {
					toks = append([]token{fn}, toks...)
				}
				quiet = true
				continue
			}
		}
		if !lexBad && !quiet {
			if lsp, msg, to, ok := pointLiteral(p.file.Src, toks, res.errSp, res.errMsg); ok {
				// .5, 5. or $5.: a literal but for a digit on one side of
				// its point (language.md §2.5, §2.6).
				lit := string(p.file.Src[lsp.Start:lsp.End])
				p.errorf(CodeBadLiteral, lsp, "%s %s: %s (write %s)", msg, lit, pointRule(lit), to)
				p.fix(Fix{Title: "change " + lit + " to " + to, Span: lsp, NewText: to})
			} else if !p.compoundAssign(toks, sp, res.errSp) {
				p.errorf(CodeSyntax, res.errSp, "syntax error: %s", res.errMsg)
			}
		}
		p.node.Decls = append(p.node.Decls, res.recovered)
		return
	}
}

// compoundAssign recognises the syntax error at errSp as a compound
// assignment to a name, x += e (or -=, *=, /=, %=), and reports it at
// its operator: RPL has no assignment, a binding is immutable and may
// not be bound again in its block (language.md §7.2). When it is a
// statement of a block, the fix binds its value to a new name, x2, which
// the uses after it are to name (RPL207 says so until one does). It
// reports whether the error is one.
func (p *parser) compoundAssign(toks []token, sp, errSp Span) bool {
	var sig []int // indexes in toks of the significant tokens up to the error
	for i, t := range toks {
		if Pos(t.Pos.Offset) > errSp.Start {
			break
		}
		if significant(t) {
			sig = append(sig, i)
		}
	}
	n := len(sig)
	if n < 3 {
		return false
	}
	name, op, eq := toks[sig[n-3]], toks[sig[n-2]], toks[sig[n-1]]
	opSp := Span{Pos(op.Pos.Offset), Pos(eq.Pos.Offset) + 1}
	if eq.Type != tokPunct || eq.Value != "=" || Pos(eq.Pos.Offset) != errSp.Start ||
		op.Type != tokPunct || !strings.Contains("+-*/%", op.Value) || Pos(op.Pos.Offset)+1 != errSp.Start ||
		name.Type != tokIdent || n > 3 && toks[sig[n-4]].Value == "." && toks[sig[n-4]].Type == tokPunct {
		return false
	}
	fresh := freshName(toks, name.Value)
	p.errorf(CodeSyntax, opSp, "syntax error: unexpected %q (RPL has no assignment: bind a new name with let %s = %s %s …)", op.Value+"=", fresh, name.Value, op.Value)
	// Parsed without its =, the statement is x + e, which gives the end
	// of e and whether x + e means x + (e). The = of each compound
	// assignment after it goes too, which would fail the parse (x += 1
	// then x *= 2 in one block, not reported: one error per broken
	// declaration).
	rest := make([]token, 0, len(toks))
	var before token // the significant token before t
	for i, t := range toks {
		if !significant(t) {
			rest = append(rest, t)
			continue
		}
		op := before
		before = t
		if i == sig[n-1] || i > sig[n-1] && t.Type == tokPunct && t.Value == "=" && op.Type == tokPunct &&
			len(op.Value) == 1 && strings.Contains("+-*/%", op.Value) && op.Pos.Offset+1 == t.Pos.Offset {
			continue
		}
		rest = append(rest, t)
	}
	mark, dropped := len(p.diags), p.dropped
	res := p.parseToks(rest, sp)
	p.diags, p.dropped = p.diags[:mark], dropped
	nameSp := Span{Pos(name.Pos.Offset), Pos(name.Pos.Offset + Pos(len(name.Value)))}
	var stmt Expr
	for _, d := range res.decls {
		Inspect(d, func(n Node) bool {
			if b, ok := n.(*BlockExpr); ok {
				for _, st := range b.Stmts {
					if es, ok := st.(*ExprStmt); ok && es.Span().Start == nameSp.Start {
						stmt = es.X
					}
				}
			}
			return stmt == nil
		})
	}
	if stmt == nil {
		return true
	}
	e := strings.TrimSpace(string(p.file.Src[opSp.End:stmt.Span().End]))
	if b, ok := stmt.(*BinaryExpr); !ok || b.Op != op.Value || b.X.Span() != nameSp {
		e = "(" + e + ")"
	}
	p.fix(Fix{Title: "bind the value to a new name, " + fresh, Span: Span{nameSp.Start, stmt.Span().End},
		NewText: fmt.Sprintf("let %s = %s %s %s", fresh, name.Value, op.Value, e)})
	return true
}

// freshName is the name that the hint of an assignment to name, x = 2 or
// x += 1, binds instead (name may not be bound again in its block): name2,
// or name3 and on when toks, the chunk, already names that. Bound in the
// same block, it would be RPL201; in an outer one, or at the top level, its
// uses after the new binding would read it.
func freshName(toks []token, name string) string {
	used := map[string]bool{}
	for _, t := range toks {
		if t.Type == tokIdent {
			used[t.Value] = true
		}
	}
	for n := 2; ; n++ {
		if s := name + strconv.Itoa(n); !used[s] {
			return s
		}
	}
}

// pointLiteral recognises the syntax error at errSp (errMsg being the
// descent's message) as a number or money literal with a point but no
// digit on one side of it: .5, .5e3 or .5s where an expression was
// expected, or 5. and $5. that the point made a field access without a
// field name, or with one on the next line just before the error (5.abs()
// and $5.x are field accesses, on one line or two, and x.5 is not a
// literal). It returns the literal's span, what it is ("malformed float
// literal"), and the literal to write instead, which must be well formed;
// ok is false otherwise.
func pointLiteral(src []byte, toks []token, errSp Span, errMsg string) (sp Span, what, to string, ok bool) {
	var sig []token
	k := -1
	for _, t := range toks {
		if !significant(t) {
			continue
		}
		if k < 0 && Pos(t.Pos.Offset) >= errSp.Start {
			k = len(sig)
		}
		sig = append(sig, t)
	}
	if k < 0 {
		k = len(sig)
	}
	end := func(t token) Pos { return Pos(t.Pos.Offset + Pos(len(t.Value))) }
	decimal := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if !isDigitOrUs(s[i]) {
				return false
			}
		}
		return s != "" && isDigit(s[0])
	}
	isPoint := func(t token) bool { return t.Type == tokPunct && t.Value == "." }
	switch {
	case strings.HasSuffix(errMsg, "expected an expression") && k+1 < len(sig) && isPoint(sig[k]) &&
		Pos(sig[k].Pos.Offset) == errSp.Start && sig[k+1].Type == tokNumber && Pos(sig[k+1].Pos.Offset) == errSp.Start+1 &&
		isDigit(sig[k+1].Value[0]):
		// .5, .5e3 or .5s
		to = "0." + sig[k+1].Value
		kind, err := classifyNumber(to)
		if err != nil || kind == LitInt {
			return Span{}, "", "", false
		}
		return Span{errSp.Start, end(sig[k+1])}, "malformed " + kind.String() + " literal", to, true
	}
	// 5. or $5. followed by no field name, or by a name on the next line
	// that the error follows (const a = 5. then limit = 3, read as
	// 5.limit = 3): the point ended the line, not a field access.
	n := -1
	switch {
	case strings.HasSuffix(errMsg, "expected a name") && k >= 2:
		n = k - 2
	case k >= 3 && (sig[k-1].Type == tokIdent || sig[k-1].Type == tokKeyword) &&
		bytes.ContainsRune(src[end(sig[k-2]):sig[k-1].Pos.Offset], '\n'):
		n = k - 3
	}
	if n >= 0 && isPoint(sig[n+1]) && end(sig[n]) == Pos(sig[n+1].Pos.Offset) {
		lit, sp := sig[n].Value, Span{Pos(sig[n].Pos.Offset), end(sig[n+1])}
		switch {
		case sig[n].Type == tokNumber && decimal(lit):
			to = lit + ".0"
			if _, err := ParseFloat(to); err == nil {
				return sp, "malformed float literal", to, true
			}
		case sig[n].Type == tokMoney && !strings.Contains(lit, "."):
			if _, err := ParseMoney(lit); err == nil {
				return sp, "malformed money literal", lit, true
			}
		}
	}
	return Span{}, "", "", false
}

// pointRule says which side of the point of lit, a literal that
// pointLiteral recognised, needs a digit.
func pointRule(lit string) string {
	if strings.HasPrefix(lit, ".") {
		return "a digit must come before the point"
	}
	return "a digit must follow the point"
}

// digitCount is the number of digits of s.
func digitCount(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			n++
		}
	}
	return n
}

// pointMoney is the end of the money literal without a digit before its
// point ($.5) that starts at src[at], or 0 when there is none there.
func pointMoney(src []byte, at Pos) Pos {
	i := int(at)
	if i+2 >= len(src) || src[i] != '$' || src[i+1] != '.' || !isDigit(src[i+2]) {
		return 0
	}
	j := i + 3
	for j < len(src) && isDigitOrUs(src[j]) {
		j++
	}
	return Pos(j)
}

// strayLine is the index of the token of toks at offset off when it is a
// name that starts its line, else -1.
func (p *parser) strayLine(toks []token, off Pos) int {
	for k := range toks {
		if toks[k].Pos.Offset != off || toks[k].Type != tokIdent {
			continue
		}
		for j := k - 1; j >= 0; j-- {
			if t := toks[j]; significant(t) {
				// Tokens span no line end: a line end between is a new
				// line. (A fn put before a name is at the name.)
				if end := t.Pos.Offset + Pos(len(t.Value)); end > off || bytes.IndexByte(p.file.Src[end:off], '\n') < 0 {
					return -1
				}
				break
			}
		}
		return k
	}
	return -1
}

// strayEnd is the index of the token of toks that starts the next stray
// line after the one that starts at toks[k] (len(toks) if none): a name
// that starts its line outside brackets, after a token that can end an
// expression (a name, a literal, a closing bracket). A name after an
// operator, a comma or an arrow continues the line before.
func (p *parser) strayEnd(toks []token, k int) int {
	depth := 0
	prev := toks[k]
	for j := k + 1; j < len(toks); j++ {
		t := toks[j]
		if !significant(t) {
			continue
		}
		if t.Type == tokIdent && depth == 0 && endsExpr(prev) {
			if end := prev.Pos.Offset + Pos(len(prev.Value)); bytes.IndexByte(p.file.Src[end:t.Pos.Offset], '\n') >= 0 {
				return j
			}
		}
		depth = nesting(t, depth)
		prev = t
	}
	return len(toks)
}

// nesting is the bracket depth after t, from depth before it: an opening
// bracket deepens it, a closing one (an unbalanced one aside) lessens it.
func nesting(t token, depth int) int {
	if t.Type != tokPunct {
		return depth
	}
	switch t.Value {
	case "(", "[", "{":
		return depth + 1
	case ")", "]", "}":
		return max(depth-1, 0)
	}
	return depth
}

// endsExpr reports whether an expression can end with t.
func endsExpr(t token) bool {
	switch t.Type {
	case tokIdent, tokNumber, tokMoney, tokString:
		return true
	case tokKeyword:
		return t.Value == "true" || t.Value == "false" || t.Value == "none"
	case tokPunct:
		return t.Value == ")" || t.Value == "]" || t.Value == "}"
	}
	return false
}

// looksLikeFn reports whether toks, which start with a name, go on as a
// function's header: name(), or name(param: ...).
func looksLikeFn(toks []token) bool {
	var next []token // the three significant tokens after the name
	for _, t := range toks[1:] {
		if significant(t) {
			if next = append(next, t); len(next) == 3 {
				break
			}
		}
	}
	is := func(i int, typ tokenType, v string) bool {
		return i < len(next) && next[i].Type == typ && (v == "" || next[i].Value == v)
	}
	return is(0, tokPunct, "(") && (is(1, tokPunct, ")") || is(1, tokIdent, "") && is(2, tokPunct, ":"))
}

// looksLikeConst reports whether the stray line that starts with the
// name toks[0] goes on with =, as a constant declaration does (limit = 3).
func looksLikeConst(toks []token) bool {
	for _, t := range toks[1:] {
		if significant(t) {
			return t.Type == tokPunct && t.Value == "="
		}
	}
	return false
}

// parseToks parses the tokens of a chunk (or of a part of one) with the
// descent, or with the participle parser for the reference.
func (p *parser) parseToks(toks []token, sp Span) parsed {
	if !p.reference {
		return p.descend(toks, sp)
	}
	peek, err := lexer.Upgrade(&sliceLexer{file: p.file, toks: toks, eof: sp.End}, lexer.TokenType(tokComment), lexer.TokenType(tokWhitespace))
	if err == nil {
		var g *gFile
		g, err = rplParser.ParseFromLexer(peek)
		if err == nil {
			res := parsed{ok: true}
			for _, d := range g.Decls {
				if out := p.convDecl(d); out != nil {
					res.decls = append(res.decls, out)
				}
			}
			return res
		}
	}
	res := parsed{recovered: p.recoverDecl(toks, sp)}
	res.errSp, res.errMsg = syntaxError(err, sp)
	return res
}

// recoverDecl keeps what can be kept of a declaration that failed to parse:
// a function's header (name, parameters, result) with a bad body, so tools
// still see the name; otherwise a BadDecl.
func (p *parser) recoverDecl(toks []token, sp Span) Decl {
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
	head := append(append([]token(nil), toks[:cut]...), token{Type: tokPunct, Value: "=", Pos: toks[cut].Pos}, token{Type: tokIdent, Value: "_", Pos: toks[cut].Pos})
	peek, err := lexer.Upgrade(&sliceLexer{file: p.file, toks: head, eof: toks[cut].Pos.Offset}, lexer.TokenType(tokComment), lexer.TokenType(tokWhitespace))
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

func syntaxError(err error, chunk Span) (Span, string) {
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
				msg = fmt.Sprintf("unexpected %s", describeToken(token{Type: tokenType(ut.Unexpected.Type), Value: ut.Unexpected.Value}))
				if ut.Expect != "" {
					msg += " (expected " + ut.Expect + ")"
				}
			}
		}
		return Span{off, end}, msg
	}
	return Span{chunk.Start, chunk.Start}, err.Error()
}

func describeToken(t token) string {
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

// invalidChar is the message for the invalid character s, followed by
// hint (lookalike's). A visible stand-alone character is quoted as %q
// quotes it (invalid character "@", "é"); any other is named by its code
// point, which a terminal neither draws onto the quote before it (a
// combining mark, U+0301) nor hides (U+200B, U+202E, a control), and,
// without a hint, by what it is: invalid character U+0301 (a combining
// mark).
func invalidChar(s, hint string) string {
	r, w := utf8.DecodeRuneInString(s)
	if w != len(s) || r == utf8.RuneError {
		if hint == "" && !utf8.ValidString(s) {
			hint = " (not UTF-8)" // as in a string or a comment
		}
		return fmt.Sprintf("invalid character %q%s", s, hint)
	}
	var what string
	switch {
	case unicode.IsControl(r):
		what = "a control character"
	case unicode.Is(unicode.Cf, r):
		what = "a format character"
	case unicode.IsMark(r):
		what = "a combining mark"
	case unicode.Is(unicode.Zl, r):
		what = "a line separator"
	case unicode.Is(unicode.Zp, r):
		what = "a paragraph separator"
	case unicode.IsSpace(r) || unicode.Is(unicode.Zs, r):
		what = "a space"
	case unicode.Is(unicode.Co, r):
		what = "a private-use character"
	case unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r):
		what = "an invisible character"
	case !unicode.IsGraphic(r):
		what = "an unassigned code point"
	default:
		return fmt.Sprintf("invalid character %q%s", s, hint)
	}
	if hint == "" {
		hint = " (" + what + ")"
	}
	return fmt.Sprintf("invalid character U+%04X%s", r, hint)
}

// lookalike hints at the character meant by an invalid one that an editor
// or a copy from a document often puts for it, "" for others, and gives
// the edit that puts it right (its Span left to the caller), nil where the
// character meant is not certain (a typographic quote opens or closes,
// a Greek mu not after a number's digit is not a duration's unit, and the
// micro sign is no letter of a name either). afterDigit tells that a
// digit is just before the character.
func lookalike(s string, afterDigit bool) (string, *Fix) {
	change := func(to string) *Fix {
		return &Fix{Title: "change " + s + " to " + to, NewText: to}
	}
	switch s {
	case "\u03bc": // Greek mu
		hint := " (a Greek mu: the unit is written µs, with the micro sign U+00B5, or us)"
		if !afterDigit {
			return hint, nil
		}
		return hint, &Fix{Title: "change the Greek mu to the micro sign \u00b5", NewText: "\u00b5"}
	case "\u201c", "\u201d", "\u201e", "\u00ab", "\u00bb", "\u2018", "\u2019":
		return ` (a typographic quote: strings are written between straight quotes ")`, nil
	case "\u2013", "\u2014", "\u2212":
		return " (a dash: the minus is -)", change("-")
	case "\u00a0", "\u2007", "\u202f": // a space that is one, deleted it could join two words
		return " (a no-break space: write a plain space)", &Fix{Title: "change the no-break space to a space", NewText: " "}
	case "\r":
		return " (a carriage return without a line feed: lines end with \\n or \\r\\n)", nil
	case "&":
		return " (the logical and is &&)", change("&&")
	case "^":
		return " (RPL has no bitwise or power operator)", nil
	case "'", "`":
		return ` (strings are written between double quotes ")`, nil
	case "\u200b", "\ufeff":
		return " (an invisible space: delete it)", &Fix{Title: "delete the invisible space", NewText: ""}
	}
	to := map[string]string{"\u2264": "<=", "\u2265": ">=", "\u2260": "!=", "\u2192": "->", "\u21d2": "=>", "\u00d7": "*"}[s]
	if to == "" {
		return "", nil
	}
	return " (write " + to + ")", change(to)
}
