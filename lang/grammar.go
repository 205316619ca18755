package lang

import (
	"slices"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// This file holds the grammar of RPL: the lexer rules (rplLexer) and the
// participle parse-tree structs whose tags are the grammar.
// spec/grammar.ebnf is this grammar as participle prints it, kept equal by
// TestGrammarMatchesSpec.
//
// The grammar is the definition; Parse runs a hand-written scanner and
// recursive descent (parse.go) that implement it about fifty times faster
// than participle's reflection. parseFile(name, src, true) runs participle
// on these structs instead, and TestScannerMatchesLexerRules,
// TestDescentMatchesGrammar and FuzzParse check that both give the same
// tokens, trees and error positions. Change the grammar here first, then
// the descent, then regenerate the spec with -update.

// keywords of the language, the one list that the lexer rules, the
// scanner (IsKeyword) and tools (Keywords: the language server's
// completion and rename) use. Field names, record keys and named arguments
// may still be keywords (`task.type`).
var keywords = []string{
	"package", "import", "as", "extends", "const", "type", "fn", "test",
	"let", "return", "expect", "if", "else", "match", "in", "not",
	"true", "false", "none", "super",
}

var keywordSet = func() map[string]bool {
	m := make(map[string]bool, len(keywords))
	for _, k := range keywords {
		m[k] = true
	}
	return m
}()

// Keywords returns the keywords of the language, in a new slice.
func Keywords() []string { return slices.Clone(keywords) }

// IsKeyword reports whether s is a keyword.
func IsKeyword(s string) bool { return keywordSet[s] }

// IsIdent reports whether s can name a declaration, a parameter or a
// local: an identifier (a letter or _, then letters, digits and _) that is
// not a keyword. `_` is one, though it discards rather than names.
func IsIdent(s string) bool {
	if s == "" || !isLetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isWordChar(s[i]) {
			return false
		}
	}
	return !IsKeyword(s)
}

func keywordPattern() string {
	p := `\b(?:`
	for i, k := range keywords {
		if i > 0 {
			p += "|"
		}
		p += k
	}
	return p + `)\b`
}

var rplLexer = lexer.MustSimple([]lexer.SimpleRule{
	{Name: "Comment", Pattern: `#[^\n]*`},
	{Name: "Whitespace", Pattern: `(?:[ \t\n]|\r\n)+`},
	{Name: "Money", Pattern: `\$[0-9][0-9_]*(?:\.[0-9][0-9_]*)?(?:[eE][+-]?[0-9]+)?`},
	{Name: "Number", Pattern: `(?:0[xX][0-9a-fA-F][0-9a-fA-F_]*|[0-9][0-9_]*(?:\.[0-9][0-9_]*)?(?:[eE][+-]?[0-9]+)?)(?:[a-zA-Zµ_](?:[a-zA-Zµ_]|[0-9]+(?:\.[0-9]+)*)*)?`},
	{Name: "String", Pattern: `"(?:\\.|[^"\\\n])*"`},
	{Name: "BadString", Pattern: `"(?:\\.|[^"\\\n])*`},
	{Name: "Keyword", Pattern: keywordPattern()},
	{Name: "Ident", Pattern: `[a-zA-Z_][a-zA-Z0-9_]*`},
	{Name: "Op", Pattern: `=>|->|\?\?|\|\||&&|==|!=|<=|>=`},
	{Name: "Punct", Pattern: `[-+*/%<>=!.,:;()\[\]{}|?]`},
	{Name: "Invalid", Pattern: `.`},
})

type gFile struct {
	Decls []*gDecl `parser:"@@*"`
}

type gDecl struct {
	Pos     lexer.Position
	EndPos  lexer.Position
	Package *gPackage  `parser:"(  @@"`
	Import  *gImport   `parser:" | @@"`
	Extends *gExtends  `parser:" | @@"`
	Const   *gConst    `parser:" | @@"`
	Type    *gTypeDecl `parser:" | @@"`
	Fn      *gFn       `parser:" | @@"`
	Test    *gTest     `parser:" | @@ ) ';'?"`
}

type gName struct {
	Pos  lexer.Position
	Name string `parser:"@Ident"`
}

// gFieldName is a name in field position, where keywords are allowed.
type gFieldName struct {
	Pos  lexer.Position
	Name string `parser:"@(Ident | Keyword)"`
}

type gString struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Raw    string `parser:"@String"`
}

type gPackage struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Name   *gName `parser:"'package' @@"`
}

type gImport struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Path   *gString `parser:"'import' @@"`
	Alias  *gName   `parser:"('as' @@)?"`
}

type gExtends struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Path   *gString `parser:"'extends' @@"`
}

type gConst struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Name   *gName `parser:"'const' @@"`
	Type   *gType `parser:"(':' @@)?"`
	Value  *gExpr `parser:"'=' @@"`
}

type gTypeDecl struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Name   *gName `parser:"'type' @@"`
	Type   *gType `parser:"'=' @@"`
}

type gFn struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Name   *gName    `parser:"'fn' @@"`
	Params []*gParam `parser:"'(' (@@ ((?! ',' ')') ',' @@)* ','?)? ')'"`
	Result *gType    `parser:"('->' @@)?"`
	Expr   *gExpr    `parser:"( '=' @@"`
	Block  *gBlock   `parser:"| @@ )"`
}

type gParam struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Name   *gName `parser:"@@"`
	Type   *gType `parser:"':' @@"`
}

type gTest struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Name   *gString `parser:"'test' @@"`
	Body   *gBlock  `parser:"@@"`
}

// ---- types ----

type gType struct {
	Pos      lexer.Position
	EndPos   lexer.Position
	Base     *gBaseType `parser:"@@"`
	Optional bool       `parser:"@'?'?"`
}

type gBaseType struct {
	Pos    lexer.Position
	EndPos lexer.Position
	List   *gType       `parser:"  'list' '[' @@ ']'"`
	MapKey *gType       `parser:"| 'map' '[' @@ ','"`
	MapVal *gType       `parser:"  @@ ']'"`
	Record *gRecordType `parser:"| @@"`
	Func   *gFuncType   `parser:"| @@"`
	Named  *gQualified  `parser:"| @@"`
}

type gQualified struct {
	Pos    lexer.Position
	EndPos lexer.Position
	First  *gName `parser:"@@"`
	Second *gName `parser:"('.' @@)?"`
}

type gRecordType struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Fields []*gFieldType `parser:"'{' (@@ ((?! ',' '}') ',' @@)* ','?)? '}'"`
}

type gFieldType struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Name   *gFieldName `parser:"@@"`
	Type   *gType      `parser:"':' @@"`
}

type gFuncType struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Params []*gType `parser:"'fn' '(' (@@ (',' @@)*)? ')'"`
	Result *gType   `parser:"'->' @@"`
}

// ---- statements ----

type gBlock struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Stmts  []*gStmt `parser:"'{' @@* '}'"`
}

type gStmt struct {
	Pos      lexer.Position
	EndPos   lexer.Position
	Let      *gLet          `parser:"(  @@"`
	Return   *gReturn       `parser:" | @@"`
	Expect   *gExpect       `parser:" | @@"`
	Compound *gCompoundStmt `parser:" | @@"`
	Expr     *gExpr         `parser:" | @@ ) ';'?"`
}

// gCompoundStmt is an expression statement that starts with an if, a
// match or a block (not a brace literal, whose lookahead Brace repeats
// negated). Operators may follow the compound, but not a "-" right after
// it: that "-" starts the next statement, as a ( or [ does (§6.7), so
// `if c { return 1 }` followed by `-1` is two statements.
type gCompoundStmt struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Head   *gCompound     `parser:"(?! '{' ('}' | ('-'? (Ident | Keyword | String | Number | Money)) ':')) @@"`
	Rest   *gCompoundRest `parser:"@@?"`
}

// gCompoundRest is what follows the compound that starts a statement:
// the tails of each level of the expression, lowest first, the first of
// them not a "-".
type gCompoundRest struct {
	Pos      lexer.Position
	EndPos   lexer.Position
	Mul      []*gMulTail      `parser:"(?! '-') @@*"`
	Add      []*gAddTail      `parser:"@@*"`
	Cmp      *gCmpTail        `parser:"@@?"`
	And      []*gAndTail      `parser:"@@*"`
	Or       []*gOrTail       `parser:"@@*"`
	Coalesce []*gCoalesceTail `parser:"@@*"`
}

type gLet struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Name   *gName `parser:"'let' @@"`
	Type   *gType `parser:"(':' @@)?"`
	Value  *gExpr `parser:"'=' @@"`
}

type gReturn struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Value  *gExpr `parser:"'return' @@"`
}

type gExpect struct {
	Pos     lexer.Position
	EndPos  lexer.Position
	Cond    *gExpr `parser:"'expect' @@"`
	Message *gExpr `parser:"(',' @@)?"`
}

// ---- expressions, by increasing precedence ----

type gExpr struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Head   *gOr             `parser:"@@"`
	Tail   []*gCoalesceTail `parser:"@@*"`
}

type gCoalesceTail struct {
	Pos lexer.Position
	Op  string `parser:"@'??'"`
	X   *gOr   `parser:"@@"`
}

type gOr struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Head   *gAnd      `parser:"@@"`
	Tail   []*gOrTail `parser:"@@*"`
}

type gOrTail struct {
	Pos lexer.Position
	Op  string `parser:"@'||'"`
	X   *gAnd  `parser:"@@"`
}

type gAnd struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Head   *gCmp       `parser:"@@"`
	Tail   []*gAndTail `parser:"@@*"`
}

type gAndTail struct {
	Pos lexer.Position
	Op  string `parser:"@'&&'"`
	X   *gCmp  `parser:"@@"`
}

type gCmp struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Left   *gAdd     `parser:"@@"`
	Tail   *gCmpTail `parser:"@@?"`
}

// gCmpTail is the operator and right operand of a comparison; comparisons
// do not chain (`a < b < c` is a syntax error).
type gCmpTail struct {
	Pos   lexer.Position
	Op    string `parser:"@('==' | '!=' | '<=' | '>=' | '<' | '>' | 'in' | 'not' 'in')"`
	Right *gAdd  `parser:"@@"`
}

type gAdd struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Head   *gMul       `parser:"@@"`
	Tail   []*gAddTail `parser:"@@*"`
}

type gAddTail struct {
	Pos lexer.Position
	Op  string `parser:"@('+' | '-')"`
	X   *gMul  `parser:"@@"`
}

type gMul struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Head   *gUnary     `parser:"@@"`
	Tail   []*gMulTail `parser:"@@*"`
}

type gMulTail struct {
	Pos lexer.Position
	Op  string  `parser:"@('*' | '/' | '%')"`
	X   *gUnary `parser:"@@"`
}

type gUnary struct {
	Pos      lexer.Position
	EndPos   lexer.Position
	Op       string     `parser:"(  @('!' | '-')"`
	X        *gUnary    `parser:"   @@"`
	Postfix  *gPostfix  `parser:" | @@"`
	Compound *gCompound `parser:" | @@ )"`
}

// gCompound is an expression made of blocks: if, match and blocks. It
// takes no postfix operators, so a line starting with ( or [ after one
// begins a new statement instead of calling or indexing it.
type gCompound struct {
	Pos    lexer.Position
	EndPos lexer.Position
	If     *gIf    `parser:"  @@"`
	Match  *gMatch `parser:"| @@"`
	Block  *gBlock `parser:"| @@"`
}

type gPostfix struct {
	Pos     lexer.Position
	EndPos  lexer.Position
	Primary *gPrimary  `parser:"@@"`
	Ops     []*gPostOp `parser:"@@*"`
}

type gPostOp struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Field  *gFieldName `parser:"(  '.' @@"`
	Index  *gExpr      `parser:" | '[' @@ ']'"`
	Call   *gArgs      `parser:" | @@ )"`
}

type gArgs struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Args   []*gArg `parser:"'(' (@@ ((?! ',' ')') ',' @@)* ','?)? ')'"`
}

type gArg struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Name   *gFieldName `parser:"((?= (Ident | Keyword) ':') @@ ':')?"`
	Lambda *gLambda    `parser:"(  @@"`
	Value  *gExpr      `parser:" | @@ )"`
}

type gPrimary struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Name   *gName  `parser:"  @@"`
	Lit    *gLit   `parser:"| @@"`
	Paren  *gExpr  `parser:"| '(' @@ ')'"`
	List   *gList  `parser:"| @@"`
	Brace  *gBrace `parser:"| @@"`
	Super  bool    `parser:"| @'super'"`
}

type gLambda struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Params []*gName `parser:"( (?= Ident '=>') @@ | (?= '(' Ident (',' Ident)* ')' '=>') '(' @@ (',' @@)* ')' )"`
	Body   *gExpr   `parser:"'=>' @@"`
}

type gLit struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Number string `parser:"  @Number"`
	Money  string `parser:"| @Money"`
	String string `parser:"| @String"`
	Bool   string `parser:"| @('true' | 'false')"`
	None   bool   `parser:"| @'none'"`
}

type gList struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Elems  []*gExpr `parser:"'[' (@@ ((?! ',' ']') ',' @@)* ','?)? ']'"`
}

type gBrace struct {
	Pos     lexer.Position
	EndPos  lexer.Position
	Entries []*gEntry `parser:"(?= '{' ('}' | ('-'? (Ident | Keyword | String | Number | Money)) ':')) '{' (@@ ((?! ',' '}') ',' @@)* ','?)? '}'"`
}

type gEntry struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Name   *gFieldName `parser:"(  @@"`
	Neg    bool        `parser:" | (@'-'?"`
	Key    *gLit       `parser:"   @@) ) ':'"`
	Value  *gExpr      `parser:"@@"`
}

type gIf struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Cond   *gExpr  `parser:"'if' @@"`
	Then   *gBlock `parser:"@@"`
	ElseIf *gIf    `parser:"( 'else' ( @@"`
	Else   *gBlock `parser:"        | @@ ) )?"`
}

type gMatch struct {
	Pos     lexer.Position
	EndPos  lexer.Position
	Subject *gExpr  `parser:"'match' @@"`
	Arms    []*gArm `parser:"'{' (@@ ','?)* '}'"`
}

type gArm struct {
	Pos      lexer.Position
	EndPos   lexer.Position
	Patterns []*gPattern `parser:"@@ ('|' @@)*"`
	Guard    *gExpr      `parser:"('if' @@)?"`
	Body     *gExpr      `parser:"'=>' @@"`
}

type gPattern struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Neg    bool        `parser:"(  @'-'?"`
	Lit    *gLit       `parser:"   @@"`
	Name   *gQualified `parser:" | @@ )"`
}

var rplParser = participle.MustBuild[gFile](
	participle.Lexer(rplLexer),
	participle.Elide("Comment", "Whitespace"),
	participle.UseLookahead(0),
)
