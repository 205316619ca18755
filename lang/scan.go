package lang

import (
	"bytes"
	"iter"
	"strings"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2/lexer"
)

// token is a token of the parser: a lexer.Token without the file name,
// line and column, which the parser does not need (it reports offsets),
// in 24 bytes instead of 64. A file has a token every four bytes or so,
// and the parser holds them all at once: for a 5 MB policy, 32 MB
// instead of 85.
type token struct {
	Value string
	Pos   tokenPos
	Type  tokenType
}

// tokenType is a lexer.TokenType, in the four bytes that it needs.
type tokenType int32

// tokenPos is where a token starts: the Offset of a lexer.Position.
type tokenPos struct{ Offset Pos }

// lexAll tokenises the whole file with scan, a hand-written equivalent of
// rplLexer (the regular-expression rules in grammar.go, which define the
// tokens and are printed in spec/grammar.ebnf). The two are kept equal by
// TestScannerMatchesLexerRules and FuzzParse (through scanTokens, which
// adds the lines and columns); scan is about twenty times faster.
//
// The comments go straight to the FileNode; the descent gets only the
// significant tokens, the reference parser every token, as participle
// computes end positions from the trivia.
func (p *parser) lexAll() []token {
	toks, comments := scan(p.file.Src, p.reference)
	for _, t := range comments {
		p.node.Comments = append(p.node.Comments, newComment(t))
		p.invalidUTF8(t)
	}
	for _, t := range toks {
		if t.Type == tokString || t.Type == tokBadString {
			p.invalidUTF8(t)
		}
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

// bom is the byte order mark that some editors put at the start of a UTF-8
// file: skipped there, as whitespace.
var bom = []byte("\uFEFF")

// scan splits src into tokens exactly as rplLexer does (see nextToken).
// The comments are returned apart; with trivia, every token is in toks
// too, the comments among them; without, white space and comments are
// left out of toks. The token slice is sized for a token every
// three bytes, which the densest policies reach (the repository's have one
// every six bytes, the generated large policies every four).
func scan(src []byte, trivia bool) (toks, comments []token) {
	toks = make([]token, 0, len(src)/3+16)
	text := string(src) // token values are slices of one copy of the source
	for i := 0; i < len(src); {
		j, typ := nextToken(src, i)
		t := token{Type: typ, Value: text[i:j], Pos: tokenPos{Pos(i)}}
		if typ == tokComment {
			comments = append(comments, t)
		}
		if trivia || typ != tokWhitespace && typ != tokComment {
			toks = append(toks, t)
		}
		i = j
	}
	return toks, comments
}

// scanTokens is scan with participle's tokens: positions count lines from
// 1 and columns in runes from 1, as participle does.
func scanTokens(name string, src []byte, trivia bool) (toks, comments []lexer.Token) {
	all, _ := scan(src, true)
	pos := lexer.Position{Filename: name, Line: 1, Column: 1}
	for _, t := range all {
		v := t.Value
		lt := lexer.Token{Type: lexer.TokenType(t.Type), Value: v, Pos: pos}
		if t.Type == tokComment {
			comments = append(comments, lt)
		}
		if trivia || t.Type != tokWhitespace && t.Type != tokComment {
			toks = append(toks, lt)
		}
		// pos.Advance(v)
		pos.Offset += len(v)
		if nl := strings.LastIndexByte(v, '\n'); nl >= 0 {
			pos.Line += strings.Count(v, "\n")
			pos.Column = utf8.RuneCountInString(v[nl:])
		} else {
			pos.Column += utf8.RuneCountInString(v)
		}
	}
	return toks, comments
}

// exponentEnd is the end of the exponent ([eE][+-]?[0-9]+) at src[j:],
// or j when none starts there.
func exponentEnd(src []byte, j int) int {
	n := len(src)
	if j < n && (src[j] == 'e' || src[j] == 'E') {
		k := j + 1
		if k < n && (src[k] == '+' || src[k] == '-') {
			k++
		}
		if k < n && isDigit(src[k]) {
			for k < n && isDigit(src[k]) {
				k++
			}
			return k
		}
	}
	return j
}

// micro reports whether src[i:] starts with µ (U+00B5, two bytes in UTF-8).
func micro(src []byte, i int) bool { return i+1 < len(src) && src[i] == 0xC2 && src[i+1] == 0xB5 }

// nextToken returns the end and the type of the token that starts at
// src[i] (i < len(src)), as rplLexer finds it: the first rule that matches
// there, in the order Comment, Whitespace, Money, Number, String,
// BadString, Keyword, Ident, Op, Punct, Invalid.
func nextToken(src []byte, i int) (j int, typ tokenType) {
	n := len(src)
	c := src[i]
	j = i + 1
	switch {
	case i == 0 && bytes.HasPrefix(src, bom):
		j, typ = len(bom), tokWhitespace // language.md §2.1
	case c == '#':
		for j < n && src[j] != '\n' {
			j++
		}
		typ = tokComment
	case c == ' ' || c == '\t' || c == '\n' || c == '\r' && j < n && src[j] == '\n':
		// A CR is white space only before a LF: line ends are \n or
		// \r\n (language.md §2.1); a CR alone is an invalid character.
		for j = i; j < n; {
			switch {
			case src[j] == ' ' || src[j] == '\t' || src[j] == '\n':
				j++
				continue
			case src[j] == '\r' && j+1 < n && src[j+1] == '\n':
				j += 2
				continue
			}
			break
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
		// An exponent sticks to the amount, which it makes malformed
		// ($1e3: money takes none, language.md §2.6).
		j = exponentEnd(src, j)
		typ = tokMoney
	case isDigit(c):
		if c == '0' && j+1 < n && (src[j] == 'x' || src[j] == 'X') && isHexDigit(src[j+1]) {
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
			j = exponentEnd(src, j)
		}
		// A unit or any other letters stick to the number, and so do
		// more pairs of a duration, the last with a fraction (1m1.5s).
		if j < n && (isLetter(src[j]) || micro(src, j)) {
			for j < n && (isWordChar(src[j]) || micro(src, j)) {
				switch {
				case micro(src, j):
					j += 2
				case isDigit(src[j]) && j+2 < n && src[j+1] == '.' && isDigit(src[j+2]):
					j += 2
				default:
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
		if IsKeyword(string(src[i:j])) {
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
	return j, typ
}

// newComment is the comment of token t, the CR of a CRLF line end left
// out of its text and its span.
func newComment(t token) *Comment {
	text := strings.TrimRight(t.Value, "\r")
	return &Comment{Sp: Span{t.Pos.Offset, t.Pos.Offset + Pos(len(text))}, Text: text}
}

// TokenKind classifies a Token of Tokens.
type TokenKind uint8

const (
	TokenOther      TokenKind = iota // a keyword, number, money amount, operator, punctuation or invalid character
	TokenIdent                       // an identifier
	TokenComment                     // a comment, to the end of its line
	TokenString                      // a string literal with its closing quote
	TokenOpenString                  // a string literal whose line ends before its closing quote (RPL102)
)

// Token is a token of Tokens: its kind and its span.
type Token struct {
	Kind TokenKind
	Span Span
}

// Tokens yields the tokens of src, in order, as the parser splits it,
// white space left out, without allocating: for tools that read the text
// itself, such as the language server, which must tell code from comments
// and strings in a file that does not parse, or where the cursor is.
// Comments and string literals never span lines; the CR of a CRLF line end
// is not part of a comment's or an open string's span.
func Tokens(src []byte) iter.Seq[Token] {
	return func(yield func(Token) bool) {
		for i := 0; i < len(src); {
			j, typ := nextToken(src, i)
			k := TokenOther
			switch typ {
			case tokIdent:
				k = TokenIdent
			case tokComment:
				k = TokenComment
			case tokString:
				k = TokenString
			case tokBadString:
				k = TokenOpenString
			}
			end := j
			if (k == TokenComment || k == TokenOpenString) && src[end-1] == '\r' {
				end--
			}
			if typ != tokWhitespace && !yield(Token{Kind: k, Span: Span{Pos(i), Pos(end)}}) {
				return
			}
			i = j
		}
	}
}
