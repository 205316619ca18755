package lang

// Code is a stable diagnostic code. Codes never change meaning once
// released; spec/diagnostics.md documents each with an example that a test
// compiles to check that it produces the code.
type Code string

// Syntax (RPL1xx).
const (
	CodeSyntax        Code = "RPL100" // unexpected token
	CodeInvalidChar   Code = "RPL101" // a character that starts no token
	CodeUnterminated  Code = "RPL102" // unterminated string literal
	CodeBadLiteral    Code = "RPL103" // malformed number, duration or money literal
	CodeBadEscape     Code = "RPL104" // unknown escape sequence in a string
	CodeMisplacedDecl Code = "RPL105" // package, import or extends after other declarations
)

// Names, modules and composition (RPL2xx).
const (
	CodeUndefined      Code = "RPL200" // undefined name
	CodeRedeclared     Code = "RPL201" // name declared twice in the same scope
	CodeUnknownField   Code = "RPL202" // no such field or method
	CodeImportNotFound Code = "RPL203" // import or extends path cannot be loaded
	CodeImportCycle    Code = "RPL204" // import or extends cycle
	CodeUnusedImport   Code = "RPL205" // import never used (warning)
	CodeUnknownArg     Code = "RPL206" // unknown or repeated named argument
	CodeUnusedVar      Code = "RPL207" // local variable never used (warning)
	CodeBadOverride    Code = "RPL208" // override with a different signature
	CodeBadSuper       Code = "RPL209" // super used outside an extending policy, or naming nothing
	CodePackageName    Code = "RPL210" // test file's package differs from its policy's
	CodeNoPackage      Code = "RPL211" // file without a package clause
	CodeNoRoute        Code = "RPL212" // policy without a route function
	CodeBlankDecl      Code = "RPL213" // top-level declaration named _
	CodeTestingImport  Code = "RPL214" // std/testing imported outside a test file
	CodeNoPolicy       Code = "RPL215" // test file without its policy
	CodeDuplicateID    Code = "RPL216" // two policies of one tree with the same id
	CodeTreeData       Code = "RPL217" // a tree's tenants.json or catalogue.json refused
	CodeNoFiles        Code = "RPL218" // a directory named holds no .rpl file
	CodeNameKey        Code = "RPL219" // bare key of a map literal that names a constant, local, parameter or import (warning)
	CodeNoOverride     Code = "RPL220" // unused declaration of an extending policy that overrides nothing, its name close to a parent's (warning)
	CodeNotInCatalogue Code = "RPL221" // constant target that the catalogue beside the policies does not list (warning)
	CodeStickyNoSplit  Code = "RPL222" // sticky on a decision that to or deny makes, which has no split to keep a target of (warning)
)

// Types (RPL3xx).
const (
	CodeMismatch        Code = "RPL300" // value of the wrong type
	CodeBadOperand      Code = "RPL301" // operator not defined on the operand types
	CodeArgCount        Code = "RPL302" // wrong number of arguments
	CodeNotCallable     Code = "RPL303" // call of a non-function
	CodeBranchTypes     Code = "RPL304" // if/match branches of different types
	CodeNonExhaustive   Code = "RPL305" // match used as a value without a catch-all arm
	CodeUnknownType     Code = "RPL306" // undefined type name
	CodeBadLambda       Code = "RPL307" // lambda outside an argument that takes a function
	CodeDuplicateKey    Code = "RPL308" // field or key repeated in a literal
	CodeNotConstant     Code = "RPL309" // const initialiser is not a constant expression
	CodeUnreachable     Code = "RPL310" // statement after return (warning)
	CodeExpectOutside   Code = "RPL311" // expect outside a test
	CodeReturnOutside   Code = "RPL312" // return outside a function
	CodeMissingValue    Code = "RPL313" // block that must produce a value does not
	CodeCannotInfer     Code = "RPL314" // type cannot be inferred (empty literal without context)
	CodeConstOverflow   Code = "RPL315" // constant arithmetic overflows or divides by zero
	CodeNotOptional     Code = "RPL316" // ?? applied to a value that is never none (warning)
	CodeBadEntry        Code = "RPL317" // route has the wrong signature
	CodeInvalidPattern  Code = "RPL318" // match pattern of the wrong type or not constant
	CodeRecursiveType   Code = "RPL319" // type declaration that refers to itself
	CodeLiteralSize     Code = "RPL320" // map literal computed at run time with too many entries
	CodeTypeTooLarge    Code = "RPL321" // type whose every value holds too many values
	CodeMachineLimit    Code = "RPL322" // code beyond the machine's limits: operand stack, constants, locals, functions
	CodeFuncType        Code = "RPL323" // function type written outside a builtin's signature
	CodeUnreachableArm  Code = "RPL324" // match arm or pattern that never applies (warning)
	CodeDiscarded       Code = "RPL325" // value of an expression statement that nothing uses (warning)
	CodeAlwaysFails     Code = "RPL326" // call of a builtin with constant arguments it always refuses (warning)
	CodeRegexpBackspace Code = "RPL327" // \b, a backspace, in a string literal given as a regular expression (warning)
)

// Cost (RPL4xx).
const (
	CodeUnboundedCost Code = "RPL400" // no static cost bound: recursion (info)
)

// Limits of the tool itself (RPL9xx).
const (
	CodeTooMany Code = "RPL900" // more diagnostics than shown
)

// CodeInfo describes a code for the catalogue.
type CodeInfo struct {
	Code     Code
	Severity Severity
	Summary  string
}

// Codes is the catalogue of all diagnostic codes in order.
var Codes = []CodeInfo{
	{CodeSyntax, SevError, "unexpected token"},
	{CodeInvalidChar, SevError, "invalid character"},
	{CodeUnterminated, SevError, "unterminated string literal"},
	{CodeBadLiteral, SevError, "malformed number, duration or money literal"},
	{CodeBadEscape, SevError, "unknown escape sequence"},
	{CodeMisplacedDecl, SevError, "package, import or extends after other declarations"},
	{CodeUndefined, SevError, "undefined name"},
	{CodeRedeclared, SevError, "name declared twice"},
	{CodeUnknownField, SevError, "no such field or method"},
	{CodeImportNotFound, SevError, "import or extends path cannot be loaded"},
	{CodeImportCycle, SevError, "import or extends cycle"},
	{CodeUnusedImport, SevWarning, "import never used"},
	{CodeUnknownArg, SevError, "unknown or repeated named argument"},
	{CodeUnusedVar, SevWarning, "local variable never used"},
	{CodeBadOverride, SevError, "override with a different signature"},
	{CodeBadSuper, SevError, "super outside an extending policy"},
	{CodePackageName, SevError, "test file's package differs from its policy's"},
	{CodeNoPackage, SevError, "file without a package clause"},
	{CodeNoRoute, SevError, "policy without a route function"},
	{CodeBlankDecl, SevError, "declaration named _"},
	{CodeTestingImport, SevError, "std/testing outside a test file"},
	{CodeNoPolicy, SevError, "test file without its policy"},
	{CodeDuplicateID, SevError, "two policies with the same id"},
	{CodeTreeData, SevError, "a tree's tenant registry or catalogue refused"},
	{CodeNoFiles, SevError, "directory without .rpl files"},
	{CodeNameKey, SevWarning, "bare map key that names a value"},
	{CodeNoOverride, SevWarning, "unused declaration close to a parent's"},
	{CodeNotInCatalogue, SevWarning, "target not in the catalogue"},
	{CodeStickyNoSplit, SevWarning, "sticky on a decision without a split"},
	{CodeMismatch, SevError, "value of the wrong type"},
	{CodeBadOperand, SevError, "operator not defined on the operand types"},
	{CodeArgCount, SevError, "wrong number of arguments"},
	{CodeNotCallable, SevError, "call of a non-function"},
	{CodeBranchTypes, SevError, "branches of different types"},
	{CodeNonExhaustive, SevError, "match without a catch-all arm"},
	{CodeUnknownType, SevError, "undefined type"},
	{CodeBadLambda, SevError, "lambda outside a function-typed argument"},
	{CodeDuplicateKey, SevError, "field or key repeated in a literal"},
	{CodeNotConstant, SevError, "const initialiser is not constant"},
	{CodeUnreachable, SevWarning, "unreachable code"},
	{CodeExpectOutside, SevError, "expect outside a test"},
	{CodeReturnOutside, SevError, "return outside a function"},
	{CodeMissingValue, SevError, "block does not produce a value"},
	{CodeCannotInfer, SevError, "type cannot be inferred"},
	{CodeConstOverflow, SevError, "constant overflow or division by zero"},
	{CodeNotOptional, SevWarning, "?? on a value that is never none"},
	{CodeBadEntry, SevError, "route has the wrong signature"},
	{CodeInvalidPattern, SevError, "invalid match pattern"},
	{CodeRecursiveType, SevError, "invalid recursive type"},
	{CodeLiteralSize, SevError, "map literal too large to compute"},
	{CodeTypeTooLarge, SevError, "type too large"},
	{CodeMachineLimit, SevError, "code beyond the machine's limits"},
	{CodeFuncType, SevError, "function type outside a builtin's signature"},
	{CodeUnreachableArm, SevWarning, "match arm that never applies"},
	{CodeDiscarded, SevWarning, "value computed and discarded"},
	{CodeAlwaysFails, SevWarning, "call that always fails"},
	{CodeRegexpBackspace, SevWarning, "backspace in a regular expression"},
	{CodeUnboundedCost, SevInfo, "no static cost bound"},
	{CodeTooMany, SevInfo, "more diagnostics than shown"},
}

// severities is Codes by code.
var severities = func() map[Code]Severity {
	m := make(map[Code]Severity, len(Codes))
	for _, ci := range Codes {
		m[ci.Code] = ci.Severity
	}
	return m
}()

// Severity is the severity of diagnostics with code c (SevError for a
// code not in Codes).
func (c Code) Severity() Severity {
	if s, ok := severities[c]; ok {
		return s
	}
	return SevError
}
