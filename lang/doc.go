// Package lang is the front end of the Router Policy Language: positions,
// lexer and parser, AST, type checker, diagnostics and the canonical
// formatter. spec/ is the authority on the language; this package
// implements it.
//
// Pipeline:
//
//	Parse(name, src)   → *FileNode (always; partial on error) + DiagList
//	Check(cfg, path)   → *Program (Main, Packages, Info) + DiagList
//	Format(file)       → canonical source (comments kept)
//
// Contracts:
//   - Positions are byte offsets (Pos) into one File; line and column are
//     computed only for display, through the File's line table. Editors'
//     UTF-16 columns are computed at the LSP edge, not here.
//   - Parse reports every syntax error of a file (it re-synchronises at
//     top-level declarations) and returns a usable partial tree: a broken
//     declaration becomes BadDecl, a function with a broken body keeps its
//     header. It never panics and bounds nesting.
//   - The hand-written scanner and recursive-descent parser accept exactly
//     the participle grammar of grammar.go (printed as spec/grammar.ebnf):
//     tests and FuzzParse compare the two on every input.
//   - Check resolves names, infers and checks types, and records what it
//     learns in Info side tables (types of expressions, definitions, uses,
//     scopes, resolved calls, constant values) that the compiler, the
//     formatter and the language server read. It never mutates the AST.
//     The Program is returned even when there are errors.
//   - Check looks at one file and what it loads. The rules between the
//     files of a policy tree (language.md §8.2) are Trees': which files
//     are policies (HasRoute), libraries (imported or extended by another
//     file), test modules (tests, no route: refused in a tree, RPL212,
//     but run by rplc test) or refused (RPL212), and that the policies
//     have distinct ids, their package names (RPL216, CheckPolicyIDs
//     alone). rplc check, rplc build (bundle.Build), rplc test
//     (policytest.RunTrees) and the router apply them to the files of a
//     tree, the language server the rule of one file (TreeFile.Verdict),
//     so each says the same errors at the same places.
//   - Every Diagnostic has a stable Code (codes.go, documented with a
//     checked example in spec/diagnostics.md), a span, and one-line
//     Error() text `path:line:col: error[RPL200]: message`; PrintSnippet
//     adds the caret snippet under it. DiagList.Normalize sorts,
//     de-duplicates and caps.
//   - The Universe (builtins, enums, request schema) comes from outside,
//     as data (package stdlib provides the standard one); lang does not
//     import the standard library.
//
// Nothing in this package runs policy code.
package lang
