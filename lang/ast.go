package lang

// The AST. Every node records its byte span in its file. Nodes produced for
// input that failed to parse are Bad* nodes, so a partial tree is still
// walkable. The checker never mutates the tree; what it learns goes into
// Info side tables keyed by node.

// Node is any AST node.
type Node interface{ Span() Span }

// Expr is an expression node.
type Expr interface {
	Node
	exprNode()
}

// Stmt is a statement inside a block.
type Stmt interface {
	Node
	stmtNode()
}

// Decl is a top-level declaration.
type Decl interface {
	Node
	declNode()
}

// TypeExpr is a written type.
type TypeExpr interface {
	Node
	typeNode()
}

// Comment is a `#` comment, kept for the formatter and tools.
type Comment struct {
	Sp   Span
	Text string // including the leading '#'
}

func (c *Comment) Span() Span { return c.Sp }

// FileNode is a parsed source file.
type FileNode struct {
	File     *File
	Package  *PackageClause
	Imports  []*ImportDecl
	Extends  *ExtendsDecl
	Decls    []Decl // const, type, fn, test and Bad declarations, in order
	Comments []*Comment
}

func (f *FileNode) Span() Span { return Span{0, Pos(len(f.File.Src))} }

// Ident is a name.
type Ident struct {
	Sp   Span
	Name string
}

func (x *Ident) Span() Span { return x.Sp }
func (*Ident) exprNode()    {}

// ---- declarations ----

// PackageClause is `package name`.
type PackageClause struct {
	Sp   Span
	Name *Ident
}

func (d *PackageClause) Span() Span { return d.Sp }
func (*PackageClause) declNode()    {}

// ImportDecl is `import "path" [as name]`.
type ImportDecl struct {
	Sp    Span
	Path  *BasicLit // a string literal
	Alias *Ident    // nil when absent
}

func (d *ImportDecl) Span() Span { return d.Sp }
func (*ImportDecl) declNode()    {}

// ExtendsDecl is `extends "path"`: the file refines the policy at path.
type ExtendsDecl struct {
	Sp   Span
	Path *BasicLit
}

func (d *ExtendsDecl) Span() Span { return d.Sp }
func (*ExtendsDecl) declNode()    {}

// ConstDecl is `const name [: type] = value`.
type ConstDecl struct {
	Sp    Span
	Name  *Ident
	Type  TypeExpr // nil when inferred
	Value Expr
	// Guessed is set on a constant declared from a stray line (limit =
	// 3) that is RPL100: the const is not the user's, what only a const
	// must be is not reported (RPL309).
	Guessed bool
}

func (d *ConstDecl) Span() Span { return d.Sp }
func (*ConstDecl) declNode()    {}

// TypeDecl is `type Name = type`.
type TypeDecl struct {
	Sp   Span
	Name *Ident
	Type TypeExpr
}

func (d *TypeDecl) Span() Span { return d.Sp }
func (*TypeDecl) declNode()    {}

// Param is a function parameter `name: type`.
type Param struct {
	Sp   Span
	Name *Ident
	Type TypeExpr
}

func (p *Param) Span() Span { return p.Sp }

// FuncDecl is `fn name(params) -> result = expr` or `fn name(params) -> result { ... }`.
// The function named route is a policy's entry point.
type FuncDecl struct {
	Sp     Span
	Name   *Ident
	Params []*Param
	Result TypeExpr // nil when inferred from the body
	Body   Expr     // *BlockExpr for the block form
	// Guessed is set on a function declared from a stray line (g() ->
	// int = 2) that is RPL100, as ConstDecl.Guessed on a constant.
	Guessed bool
}

func (d *FuncDecl) Span() Span { return d.Sp }
func (*FuncDecl) declNode()    {}

// TestDecl is `test "name" { ... }`.
type TestDecl struct {
	Sp   Span
	Name *BasicLit
	Body *BlockExpr
}

func (d *TestDecl) Span() Span { return d.Sp }
func (*TestDecl) declNode()    {}

// BadDecl stands for a declaration that failed to parse.
type BadDecl struct{ Sp Span }

func (d *BadDecl) Span() Span { return d.Sp }
func (*BadDecl) declNode()    {}

// ---- types ----

// NamedType is a type name, possibly qualified by a module: `int`, `Request`, `ab.Arm`.
type NamedType struct {
	Sp     Span
	Module *Ident // nil when unqualified
	Name   *Ident
}

func (t *NamedType) Span() Span { return t.Sp }
func (*NamedType) typeNode()    {}

// ListType is `list[T]`.
type ListType struct {
	Sp   Span
	Elem TypeExpr
}

func (t *ListType) Span() Span { return t.Sp }
func (*ListType) typeNode()    {}

// MapType is `map[K, V]`.
type MapType struct {
	Sp        Span
	Key, Elem TypeExpr
}

func (t *MapType) Span() Span { return t.Sp }
func (*MapType) typeNode()    {}

// FieldType is one `name: type` of a record type.
type FieldType struct {
	Sp   Span
	Name *Ident
	Type TypeExpr
}

func (t *FieldType) Span() Span { return t.Sp }

// RecordType is `{a: T, b: U}`.
type RecordType struct {
	Sp     Span
	Fields []*FieldType
}

func (t *RecordType) Span() Span { return t.Sp }
func (*RecordType) typeNode()    {}

// OptionalType is `T?`.
type OptionalType struct {
	Sp   Span
	Elem TypeExpr
}

func (t *OptionalType) Span() Span { return t.Sp }
func (*OptionalType) typeNode()    {}

// FuncType is `fn(T, U) -> R`, used in builtin signatures.
type FuncType struct {
	Sp     Span
	Params []TypeExpr
	Result TypeExpr
}

func (t *FuncType) Span() Span { return t.Sp }
func (*FuncType) typeNode()    {}

// BadType stands for a type that failed to parse.
type BadType struct{ Sp Span }

func (t *BadType) Span() Span { return t.Sp }
func (*BadType) typeNode()    {}

// ---- expressions ----

// LitKind is the kind of a literal token.
type LitKind uint8

const (
	LitInt LitKind = iota
	LitFloat
	LitString
	LitDuration
	LitMoney
	LitBool
	LitNone
)

var litKindNames = [...]string{"int", "float", "string", "duration", "money", "bool", "none"}

func (k LitKind) String() string { return litKindNames[k] }

// BasicLit is a literal. Raw is the source text; Value holds the decoded
// string for LitString (escapes resolved).
type BasicLit struct {
	Sp    Span
	Kind  LitKind
	Raw   string
	Value string
}

func (x *BasicLit) Span() Span { return x.Sp }
func (*BasicLit) exprNode()    {}

// ListLit is `[a, b, c]`.
type ListLit struct {
	Sp    Span
	Elems []Expr
}

func (x *ListLit) Span() Span { return x.Sp }
func (*ListLit) exprNode()    {}

// Entry is one `key: value` of a brace literal. Key is an *Ident for record
// fields (and string-keyed maps written with bare names), or any expression
// for map keys.
type Entry struct {
	Sp    Span
	Key   Expr
	Value Expr
}

func (e *Entry) Span() Span { return e.Sp }

// BraceLit is `{k: v, ...}`: a record literal when every key is a bare
// name, a map literal otherwise; an expected map type makes bare names
// string keys.
type BraceLit struct {
	Sp      Span
	Entries []*Entry
}

func (x *BraceLit) Span() Span { return x.Sp }
func (*BraceLit) exprNode()    {}

// UnaryExpr is `!x` or `-x`.
type UnaryExpr struct {
	Sp    Span
	Op    string
	OpPos Pos
	X     Expr
}

func (x *UnaryExpr) Span() Span { return x.Sp }
func (*UnaryExpr) exprNode()    {}

// BinaryExpr is `x op y`. Op is one of
// ?? || && == != < <= > >= in "not in" + - * / %.
type BinaryExpr struct {
	Sp    Span
	Op    string
	OpPos Pos
	X, Y  Expr
}

func (x *BinaryExpr) Span() Span { return x.Sp }
func (*BinaryExpr) exprNode()    {}

// SelectorExpr is `x.name`: a field, a module member, or (as the callee of
// a CallExpr) a method-style call of a builtin.
type SelectorExpr struct {
	Sp  Span
	X   Expr
	Sel *Ident
}

func (x *SelectorExpr) Span() Span { return x.Sp }
func (*SelectorExpr) exprNode()    {}

// IndexExpr is `x[i]`.
type IndexExpr struct {
	Sp    Span
	X     Expr
	Index Expr
}

func (x *IndexExpr) Span() Span { return x.Sp }
func (*IndexExpr) exprNode()    {}

// Arg is a call argument, positional or named (`on: [timeout]`).
type Arg struct {
	Sp    Span
	Name  *Ident // nil when positional
	Value Expr
}

func (a *Arg) Span() Span { return a.Sp }

// CallExpr is `f(args)`.
type CallExpr struct {
	Sp     Span
	Fun    Expr
	Lparen Pos
	Args   []*Arg
}

func (x *CallExpr) Span() Span { return x.Sp }
func (*CallExpr) exprNode()    {}

// LambdaExpr is `x => body` or `(x, y) => body`.
type LambdaExpr struct {
	Sp     Span
	Params []*Ident
	Body   Expr
}

func (x *LambdaExpr) Span() Span { return x.Sp }
func (*LambdaExpr) exprNode()    {}

// ParenExpr is `(x)`.
type ParenExpr struct {
	Sp Span
	X  Expr
}

func (x *ParenExpr) Span() Span { return x.Sp }
func (*ParenExpr) exprNode()    {}

// Unparen is e without the parentheses around it: the expression inside
// any number of nested ParenExprs ((x) and ((x)) are x), or e itself when
// it is not parenthesized. The checker and the compiler use it to see what
// kind of expression stands behind the brackets.
func Unparen(e Expr) Expr {
	for {
		p, ok := e.(*ParenExpr)
		if !ok {
			return e
		}
		e = p.X
	}
}

// IfExpr is `if cond { ... } [else { ... } | else if ...]`. Without else it
// is only a statement.
type IfExpr struct {
	Sp   Span
	Cond Expr
	Then *BlockExpr
	Else Expr // nil, *BlockExpr or *IfExpr
}

func (x *IfExpr) Span() Span { return x.Sp }
func (*IfExpr) exprNode()    {}

// MatchArm is `pattern | pattern [if guard] => body`. A pattern is a
// literal, a constant name, or `_`.
type MatchArm struct {
	Sp       Span
	Patterns []Expr
	Guard    Expr // nil when absent
	Body     Expr
}

func (a *MatchArm) Span() Span { return a.Sp }

// Head is the range of the arm's patterns and guard: where a message about
// the arm, rather than its body, points.
func (a *MatchArm) Head() Span {
	if len(a.Patterns) == 0 {
		return a.Sp
	}
	sp := Span{a.Patterns[0].Span().Start, a.Patterns[len(a.Patterns)-1].Span().End}
	if a.Guard != nil {
		sp.End = a.Guard.Span().End
	}
	return sp
}

// MatchExpr is `match subject { arms }`.
type MatchExpr struct {
	Sp      Span
	Subject Expr
	Arms    []*MatchArm
}

func (x *MatchExpr) Span() Span { return x.Sp }
func (*MatchExpr) exprNode()    {}

// BlockExpr is `{ stmts }`; its value is the value of its last statement
// when that is an expression statement.
type BlockExpr struct {
	Sp    Span
	Stmts []Stmt
}

func (x *BlockExpr) Span() Span { return x.Sp }
func (*BlockExpr) exprNode()    {}

// BadExpr stands for an expression that failed to parse.
type BadExpr struct{ Sp Span }

func (x *BadExpr) Span() Span { return x.Sp }
func (*BadExpr) exprNode()    {}

// ---- statements ----

// LetStmt is `let name [: type] = value`.
type LetStmt struct {
	Sp    Span
	Name  *Ident
	Type  TypeExpr
	Value Expr
}

func (s *LetStmt) Span() Span { return s.Sp }
func (*LetStmt) stmtNode()    {}

// ReturnStmt is `return value`.
type ReturnStmt struct {
	Sp    Span
	Value Expr
}

func (s *ReturnStmt) Span() Span { return s.Sp }
func (*ReturnStmt) stmtNode()    {}

// ExpectStmt is `expect cond [, "message"]`, allowed in tests.
type ExpectStmt struct {
	Sp      Span
	Cond    Expr
	Message Expr // nil when absent
}

func (s *ExpectStmt) Span() Span { return s.Sp }
func (*ExpectStmt) stmtNode()    {}

// ExprStmt is an expression used as a statement.
type ExprStmt struct {
	X Expr
}

func (s *ExprStmt) Span() Span { return s.X.Span() }
func (*ExprStmt) stmtNode()    {}
