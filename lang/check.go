package lang

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Config configures a check.
type Config struct {
	Universe *Universe
	// ReadFile reads a source file; nil means os.ReadFile. Tools with
	// unsaved buffers (the LSP) supply their own.
	ReadFile func(path string) ([]byte, error)
	// NoTests skips the sibling x_test.rpl file.
	NoTests bool
	// Policy says the file checked is a policy, which the toolchain
	// builds, runs or tests, rather than a library, which is only
	// imported: it must then have a route function, its own or
	// inherited, or tests (RPL212). A library needs neither.
	Policy bool
	// NeedRoute says the policy is compiled without its tests, to be run
	// (rplc eval and explain, rpl.CompileOptions.NoTests): with Policy, it
	// needs a route function even when it has tests (RPL212).
	NeedRoute bool
	// Session, when set, shares the libraries that the checks using it
	// import: each is parsed and checked once (see Session).
	Session *Session
	// Catalogue, when not nil, is the targets ("provider:model") of the
	// price catalogue beside the policies (catalogue.json): a constant
	// target given to to or fallback, or as a key of weighted's split,
	// that is none of them, nor a provider of one given alone, is a
	// warning (RPL221).
	Catalogue []string
}

// Package is one policy or module: its file, the sibling test file when
// present, and its package scope.
type Package struct {
	Path    string      // the policy file's path, as loaded
	Name    string      // from the package clause
	Files   []*FileNode // the policy file, then its test file
	Scope   *Scope      // top-level declarations; parent: the extended package's scope or the universe
	Extends *Package    // the refined parent policy, or nil
	Imports []*Package  // user modules imported by the files

	fileScopes map[*FileNode]*Scope
	declFiles  map[Node]*FileNode // the file of each top-level declaration (collect)
}

// Func returns the package's own function of that name, or nil.
//
// A function declared in the test file is the tests', not the package's
// (language.md §8.4): a test file's route is no entry point.
func (p *Package) Func(name string) *Object {
	if o := p.Scope.Lookup(name); o != nil && o.Kind == ObjFunc && !p.testDecl(o) {
		return o
	}
	return nil
}

// testDecl reports whether o is declared in the package's test file.
func (p *Package) testDecl(o *Object) bool {
	f := p.declFiles[o.Decl]
	return f != nil && IsTestFile(f.File.Name)
}

// HiddenFrom reports whether the code of f does not see o: o is declared
// in a policy's test file and f is no test file (the policy does not see
// its test file's declarations, language.md §8.4). Nothing is hidden from
// a nil f.
func (o *Object) HiddenFrom(f *FileNode) bool {
	return f != nil && o.Pkg != nil && o.Pkg.testDecl(o) && !IsTestFile(f.File.Name)
}

// Program is the result of a check: the main package, everything it
// loaded, and the side tables describing every node.
type Program struct {
	Universe *Universe
	Main     *Package
	Packages []*Package // dependencies before dependents; Main last
	Info     *Info

	// exhaustive holds the matches without an unguarded catch-all arm
	// whose unguarded arms cover every value of their subject in the
	// composed program (Exhaustive).
	exhaustive map[*MatchExpr]bool
}

// Exhaustive reports whether every value of the subject of the match e
// has an unguarded arm that applies, its constant patterns read with the
// composed program's constants (Derived): e has an unguarded catch-all
// arm, or arms that cover every value of a bool or enum subject, and
// none for an optional one (language.md §6.12). The compiler asks it of a
// statement match, whose "no arm" outcome (§10) exists only when it is
// false. It is false for a match with a pattern in error.
func (p *Program) Exhaustive(e *MatchExpr) bool {
	if p.exhaustive[e] {
		return true
	}
	for _, arm := range e.Arms {
		if arm.Guard == nil && slices.ContainsFunc(arm.Patterns, isWildcard) {
			return true
		}
	}
	return false
}

// Derived is the declaration of the constant or function o that the
// composed program uses: the most derived one of its name along the main
// policy's extends chain, from the main policy up to o's package (a
// redeclaration in a child replaces its parent's for every user, the
// parent's own functions included). Anything else, and an import's
// declaration, is itself. The checker and the compiler resolve names
// with it alike.
func (p *Program) Derived(o *Object) *Object {
	if o == nil || (o.Kind != ObjConst && o.Kind != ObjFunc) {
		return o
	}
	var first *Object // the most derived declaration so far
	for pkg := p.Main; pkg != nil; pkg = pkg.Extends {
		if first == nil {
			if f := pkg.Scope.Lookup(o.Name); f != nil && f.Kind == o.Kind {
				first = f
			}
		}
		if pkg == o.Pkg {
			if first != nil {
				return first
			}
			return o
		}
	}
	return o // not declared in the extends chain: an import's
}

// Info holds what the checker learnt, keyed by AST node. The compiler, the
// formatter and the LSP read it; nothing writes to it after Check.
type Info struct {
	Types  map[Expr]Type       // the type of every checked expression (void for one of no value, used as a value or not)
	Defs   map[*Ident]*Object  // declaring identifiers
	Uses   map[*Ident]*Object  // referring identifiers
	Scopes map[Node]*Scope     // scopes opened by fn, test, block, lambda and match-arm nodes
	Calls  map[*CallExpr]*Call // how each call resolved
	Consts map[Expr]ConstValue // values of constant expressions
	Lits   map[*BraceLit]Type  // a brace literal's resolved record or map type
	Funcs  map[*FuncDecl]*Object
}

// CallKind says what a call invokes.
type CallKind uint8

const (
	CallFunc    CallKind = iota // a user function (possibly of another package)
	CallBuiltin                 // a builtin
	CallSuper                   // the parent policy's version of a function
)

// Call describes a resolved call. Args holds one expression per parameter
// of the callee in parameter order (the receiver first for method-style
// calls); a nil entry is an omitted optional parameter.
type Call struct {
	Kind    CallKind
	Func    *Object  // CallFunc, CallSuper
	Builtin *Builtin // CallBuiltin
	Args    []Expr
	Type    *Func // the callee's signature with type variables substituted
}

// newInfo makes the side tables, sized for about n bytes of source (ratios
// measured on routing policies: an expression every 7 bytes, a name use
// every 24…), so that they do not rehash as they grow.
func newInfo(n int) *Info {
	return &Info{
		Types:  make(map[Expr]Type, n/7),
		Defs:   make(map[*Ident]*Object, n/1024),
		Uses:   make(map[*Ident]*Object, n/24),
		Scopes: make(map[Node]*Scope, n/256),
		Calls:  make(map[*CallExpr]*Call, n/64),
		Consts: make(map[Expr]ConstValue, n/28),
		Lits:   map[*BraceLit]Type{},
		Funcs:  map[*FuncDecl]*Object{},
	}
}

// TestFileName returns the test file that belongs to a policy file.
func TestFileName(path string) string {
	return strings.TrimSuffix(path, ".rpl") + "_test.rpl"
}

// TestingModule is the standard module that only test files may import
// (std/testing: it sets the router state tests run against).
const TestingModule = "testing"

// IsTestFile reports whether path names a policy test file.
func IsTestFile(path string) bool { return strings.HasSuffix(path, "_test.rpl") }

// PolicyOf is the policy whose check covers path: path itself, unless it
// is a test file x_test.rpl, which belongs to x.rpl. A test file of a test
// file (x_test_test.rpl) belongs to none: PolicyOf returns it as it is,
// and Check refuses it (RPL215).
func PolicyOf(path string) string {
	if !IsTestFile(path) {
		return path
	}
	if p := testedFile(path); !IsTestFile(p) {
		return p
	}
	return path
}

// testedFile is the file x.rpl whose tests the test file x_test.rpl holds.
func testedFile(path string) string { return strings.TrimSuffix(path, "_test.rpl") + ".rpl" }

// Check loads the policy at path (a test file selects its policy), its
// test file, and every module it imports or extends, then type-checks them
// all. The Program is returned even when there are errors, as complete as
// the errors allow. A test file whose policy does not exist is reported on
// the test file (RPL215), which is not checked further.
func Check(cfg *Config, path string) (*Program, DiagList) {
	prog, diags, conflict := check(cfg, path)
	if conflict {
		// A library shared by the session is loaded otherwise too (the
		// policy extends it): checked as without one.
		cc := *cfg
		cc.Session = nil
		prog, diags, _ = check(&cc, path)
	}
	return prog, diags
}

func check(cfg *Config, path string) (*Program, DiagList, bool) {
	c := newChecker(cfg)
	if p := PolicyOf(path); p != path {
		path = p
	} else if IsTestFile(path) {
		if c.refuseTestFile(filepath.Clean(path), "test file of %s, itself a test file: a test file x_test.rpl belongs to the policy x.rpl (rename this one)", filepath.Base(testedFile(path))) {
			return c.prog, c.diags.Normalize(), false
		}
	}
	main := c.load(filepath.Clean(path), nil, true)
	if c.conflict {
		return nil, nil, true
	}
	c.prog.Main = main
	if main != nil {
		c.checkAll()
		if c.limited && len(c.shared) > 0 {
			// The shared libraries' work is not this check's: what a
			// bound cut short may differ from the check without them.
			return nil, nil, true
		}
		if cfg.Policy {
			c.requireRoute(main)
		}
	}
	return c.prog, c.diags.Normalize(), false
}

// CheckSource checks an in-memory policy: name is its path (for
// diagnostics and relative imports), src its contents. Imports are read
// through cfg.ReadFile.
func CheckSource(cfg *Config, name string, src []byte) (*Program, DiagList) {
	cc := *cfg
	inner := cfg.ReadFile
	if inner == nil {
		inner = ReadFile
	}
	cc.ReadFile = func(p string) ([]byte, error) {
		if filepath.Clean(p) == filepath.Clean(name) {
			return src, nil
		}
		return inner(p)
	}
	return Check(&cc, name)
}

type objState uint8

const (
	unresolved objState = iota
	resolving
	resolved
)

type checker struct {
	// braceKey is the key of a map literal's entry being checked: a
	// string there that spells an enum member is to be written as the
	// bare member (language.md §4.2), never qualified (memberSpelling).
	braceKey Expr

	cfg  *Config
	u    *Universe
	prog *Program
	// catalogue is Config.Catalogue's targets and their providers, made
	// at the first target checked (unknownTarget).
	catalogue map[string]bool
	info      *Info
	diags     DiagList
	loaded    map[string]*Package
	stack     []string // load stack, for cycle reports
	// shared are the packages of Config.Session's libraries, checked
	// already (sharedImport); conflict says the check loads one of them
	// otherwise too, and must be made without the session.
	shared   map[*Package]bool
	conflict bool

	state    map[*Object]objState
	pending  []*Object           // the objects being resolved, outermost first: a cycle's path
	typeVars map[string]*TypeVar // set while parsing builtin signatures

	fnCtx                                 // where checking is; see fnCtx
	bodyDone map[*FuncDecl]Type           // checked function bodies and their types
	calls    map[*Object]map[*Object]bool // call graph between user functions
	// exhaustive are the matches used as values whose arms cover every
	// value without a catch-all, and superCalled the functions super.f(...)
	// names: what checkOverriddenMatches reads.
	exhaustive  []exhaustiveMatch
	noCatchAll  []exhaustiveMatch // every match without a catch-all arm whose patterns checked: recordExhaustive's
	superCalled map[*Object]bool
	// hiddenImports are the imports a local of their name hid where an
	// error was reported (noteHiddenImport), each with the first such
	// local: the import's unused warning names it.
	hiddenImports map[*Object]*Object
	// afterBranches are the statements that follow an if, match or block
	// that may return on every path: reportAfterBranches decides, once the
	// composed policy's constants are known, which are unreachable.
	afterBranches []afterBranch
	overrideMemo  map[*Object]override      // constOverride's
	valueMemo     map[*Object]derivedResult // derivedConst's
	least         map[*Record]int64         // leastValues by record
	folded        map[*CallExpr]ConstValue  // foldCall's
	// constWork is the work left to a constant evaluation, constTotal
	// the work done by the check's (maxConstWork).
	constWork, constTotal int
	walkFolds             int   // the calls folded in reportFnConstCalls (maxWalkFolds)
	foldBytes             int   // the bytes of the strings + folded (maxCheckFoldBytes)
	foldFuel              int64 // the fuel of the calls handed to Fold (FoldFuel)
	// fnWalkUsed is the part of fnWalkBudget spent: by reportFnConstCalls,
	// or by the checks of the session's libraries shared with this one.
	fnWalkUsed int
	// limited says a bound of the check's constant evaluations was met
	// (maxConstDepth, maxConstWork, maxCheckConstWork, maxWalkFolds,
	// FoldFuel, fnWalkBudget): what the check found then depends
	// on the work done before, and a check sharing a session's
	// libraries, which has not done their work itself, is made again
	// without the session.
	limited bool
	// fnCalls are the calls of the policy's functions, constEnv the
	// values constArg gives to parameters and lets while
	// reportFnConstCalls follows one.
	fnCalls  []fnCall
	constEnv map[*Object]ConstValue
	// typeExpr's: inField while it resolves a record field's type, and
	// declType, the type a type declaration writes, which resolve
	// reports as too large itself (RPL321) where typeExpr reports a
	// record written anywhere else.
	inField  bool
	declType TypeExpr
	// hidden is the test file's declaration the last lookup hid from the
	// policy's code, for the undefined error to say so.
	hidden *Object
	// discardedAt is the RPL325 warning of each expression reported, and
	// unsaid the warnings that an error about the same code makes
	// pointless, which checkAll leaves out (see noValue).
	discardedAt map[Expr]*Diagnostic
	unsaid      map[*Diagnostic]bool
	// uninferred is the RPL314 error of each empty literal ([], {})
	// without an expected type: a branch of an if or a match whose
	// other branches have a type names it in the hint (branchHint).
	uninferred map[Expr]*Diagnostic
	// neverNone is the RPL316 warning of each x ?? d whose x is never
	// none: a ?? after it, (x ?? d) ?? e, is not reported again, the
	// warning's fix removing its default too.
	neverNone map[*BinaryExpr]*Diagnostic
	// folds are the constant operations folded in a policy that extends
	// another, and laterChecks the builtin calls whose constant arguments
	// read a constant the composed policy replaces: what
	// checkOverriddenFolds and checkOverriddenCalls judge again once every
	// package is checked. allChecked says they are.
	folds       []foldSite
	laterChecks []laterCheck
	allChecked  bool
	// overrideExpr and derivedExpr are overrideIn's answers for binary
	// operations and calls, and derivedValue's for binary operations,
	// which a chain (a + b + c, to(t).tag(…).tag(…)) asks of each of its
	// links again.
	overrideExpr map[Expr]override
	derivedExpr  map[Expr]derivedResult
}

// fnCtx is the checker's context within one declaration: the file and
// package it is in, the innermost scope, and what encloses the code being
// checked. Moving to another declaration (withDecl, funcBody, checkTest)
// saves it, sets a fresh one and restores the saved one as a whole, so no
// field is forgotten; blocks, match arms and lambdas change only scope and
// inLambda, and put them back themselves.
type fnCtx struct {
	pkg        *Package
	file       *FileNode
	scope      *Scope
	fn         *FuncDecl // the function whose body is checked; nil outside one
	fnObj      *Object
	constObj   *Object // the constant whose value is checked (resolve); nil elsewhere
	fnResult   Type    // fn's declared result type; nil when inferred
	returnType Type    // fn's returns so far, when its result is inferred
	inTest     bool    // in a test block
	inLambda   int     // depth of lambdas around the code
}

func newChecker(cfg *Config) *checker {
	c := &checker{cfg: cfg, u: cfg.Universe, info: newInfo(0), loaded: map[string]*Package{},
		state: map[*Object]objState{}, calls: map[*Object]map[*Object]bool{},
		discardedAt: map[Expr]*Diagnostic{}, unsaid: map[*Diagnostic]bool{}, uninferred: map[Expr]*Diagnostic{},
		neverNone: map[*BinaryExpr]*Diagnostic{}}
	c.prog = &Program{Universe: cfg.Universe, Info: c.info}
	return c
}

func (c *checker) errorf(f *File, sp Span, code Code, format string, args ...any) *Diagnostic {
	d := &Diagnostic{File: f, Span: sp, Severity: code.Severity(), Code: code, Message: fmt.Sprintf(format, args...)}
	c.diags = append(c.diags, d)
	return d
}

// errAt reports at a node of the current file.
func (c *checker) errAt(n Node, code Code, format string, args ...any) *Diagnostic {
	var f *File
	if c.file != nil {
		f = c.file.File
	}
	return c.errorf(f, n.Span(), code, format, args...)
}

func (c *checker) readFile(path string) ([]byte, error) {
	if c.cfg.ReadFile != nil {
		return c.cfg.ReadFile(path)
	}
	return ReadFile(path)
}

// load parses the policy at path and, recursively, what it imports and
// extends. from is the node that asked for it (nil for the root).
func (c *checker) load(path string, from *BasicLit, withTests bool) *Package {
	if p, ok := c.loaded[path]; ok {
		if p == nil {
			// Still loading: a cycle.
			i := 0
			for i < len(c.stack) && c.stack[i] != path {
				i++
			}
			// Named relative to the root policy's directory, as every
			// other diagnostic names its files.
			// It starts at the file that reports it, the last loading,
			// whose clause closes it.
			ring := c.stack[i:]
			last := len(ring) - 1
			var cycle []string
			for _, p := range append(append([]string{ring[last]}, ring[:last]...), ring[last]) {
				if rel, err := filepath.Rel(filepath.Dir(c.stack[0]), p); err == nil {
					p = filepath.ToSlash(rel)
				}
				cycle = append(cycle, p)
			}
			c.errAt(from, CodeImportCycle, "cycle of imports and extends: %s", strings.Join(cycle, " -> "))
		}
		return p
	}
	src, err := c.readFile(path)
	if err != nil {
		if from == nil {
			if withTests && !c.cfg.NoTests && errors.Is(err, fs.ErrNotExist) && c.noPolicy(path) {
				return nil
			}
			c.diags = append(c.diags, &Diagnostic{File: NewFile(path, nil), Span: Span{NoPos, NoPos}, Code: CodeImportNotFound, Message: fmt.Sprintf("cannot read policy: %v", unwrapPathError(err))})
		} else if errors.Is(err, fs.ErrNotExist) && !filepath.IsAbs(from.Value) && c.file != nil {
			c.notFound(from)
		} else {
			// Named with the path tried when it is not the one written:
			// "/etc/passwd" is /etc/passwd.rpl, which is what is missing.
			tried := ""
			if !strings.HasSuffix(from.Value, ".rpl") {
				tried = filepath.ToSlash(from.Value + ".rpl")
				if filepath.IsAbs(from.Value) {
					tried = filepath.ToSlash(path)
				}
				tried += ": "
			}
			c.errAt(from, CodeImportNotFound, "cannot load %s: %s%v", from.Raw, tried, unwrapPathError(err))
		}
		return nil
	}
	if from == nil && len(c.info.Types) == 0 {
		*c.info = *newInfo(len(src))
	}
	c.loaded[path] = nil
	c.stack = append(c.stack, path)
	defer func() { c.stack = c.stack[:len(c.stack)-1] }()

	f, diags := Parse(path, src)
	c.diags = append(c.diags, diags...)
	c.requirePackage(f, diags)
	pkg := &Package{Path: path, Files: []*FileNode{f}, fileScopes: map[*FileNode]*Scope{}}
	if f.Package != nil {
		pkg.Name = f.Package.Name.Name
	}
	if withTests && !c.cfg.NoTests {
		tpath := TestFileName(path)
		tsrc, err := c.readFile(tpath)
		if err != nil && (!errors.Is(err, fs.ErrNotExist) || isLink(tpath)) {
			// There and unreadable (a link to nothing, a directory): its
			// tests would silently not run.
			c.diags = append(c.diags, &Diagnostic{File: NewFile(tpath, nil), Span: Span{NoPos, NoPos}, Code: CodeImportNotFound, Message: fmt.Sprintf("cannot read test file: %v", unwrapPathError(err))})
		}
		if err == nil {
			tf, tdiags := Parse(tpath, tsrc)
			c.diags = append(c.diags, tdiags...)
			c.requirePackage(tf, tdiags)
			pkg.Files = append(pkg.Files, tf)
			if tf.Package != nil && f.Package != nil && tf.Package.Name.Name != pkg.Name {
				c.errorf(tf.File, tf.Package.Name.Sp, CodePackageName, "test file declares package %s, but its policy %s declares package %s", tf.Package.Name.Name, filepath.Base(path), pkg.Name)
			}
		}
	}
	// Dependencies first.
	dir := filepath.Dir(path)
	saved := c.file
	for _, file := range pkg.Files {
		c.file = file
		if ext := file.Extends; ext != nil && file != pkg.Files[0] {
			c.errAt(ext.Path, CodeImportNotFound, "cannot extend %s in a test file: the test file is checked with its policy, which is the one to extend", ext.Path.Raw)
		} else if ext != nil {
			switch p := ext.Path.Value; {
			case strings.HasPrefix(p, "std/") && c.u.Modules[strings.TrimPrefix(p, "std/")] == nil:
				msg, _ := c.unknownStd(p)
				c.errAt(ext.Path, CodeImportNotFound, "cannot extend %s: %s; extends names a parent policy's file", ext.Path.Raw, msg)
			case p == "std/"+TestingModule:
				// Only a test file may import it (RPL214), and a test
				// file extends nothing: "import it" would be wrong here.
				c.errAt(ext.Path, CodeImportNotFound, "cannot extend %s: %s is for test files (*_test.rpl) only, which import it; extends names a parent policy's file", ext.Path.Raw, p)
			case strings.HasPrefix(p, "std/"):
				c.errAt(ext.Path, CodeImportNotFound, "cannot extend %s: a standard module is imported (import %q), not extended; extends names a parent policy's file", ext.Path.Raw, p)
			case IsTestFile(resolvePath(dir, p)):
				c.errAt(ext.Path, CodeImportNotFound, "cannot extend %s: it is a test file; extends names a parent policy's file, whose test file is not part of it", ext.Path.Raw)
			default:
				pkg.Extends = c.load(resolvePath(dir, p), ext.Path, false)
				if pkg.Extends != nil && c.shared[pkg.Extends] {
					c.conflict = true
				}
			}
		}
		for _, imp := range file.Imports {
			if strings.HasPrefix(imp.Path.Value, "std/") {
				continue
			}
			if IsTestFile(resolvePath(dir, imp.Path.Value)) {
				c.errAt(imp.Path, CodeImportNotFound, "cannot import %s: it is a test file, whose declarations are its tests'; import a library, or the policy", imp.Path.Raw)
				continue
			}
			dep := c.sharedImport(resolvePath(dir, imp.Path.Value))
			if dep == nil {
				dep = c.load(resolvePath(dir, imp.Path.Value), imp.Path, false)
			}
			if dep != nil {
				pkg.Imports = append(pkg.Imports, dep)
			}
		}
	}
	c.file = saved
	if pkg.Extends != nil {
		pkg.Scope = NewScope(pkg.Extends.Scope, nil)
	} else {
		// Not NewScope: the universe is shared by concurrent checks and
		// outlives them, so a package scope must not be recorded among its
		// children (that would race, and keep every checked program alive).
		pkg.Scope = &Scope{Parent: c.u.Scope}
	}
	c.loaded[path] = pkg
	c.prog.Packages = append(c.prog.Packages, pkg)
	return pkg
}

// notFound reports the relative path of an import or extends clause of
// the current file, from, that names no file (RPL203): the path is
// relative to the directory of that file, which the message names, as a
// path read from the working directory or the policy tree's root is
// what was most often meant. When the path, taken from a directory
// above the file's (the nearest first) or from that of a file the check
// has loaded, names a file other than the current one, the message
// suggests the path that names it from the file's directory, and the fix
// writes it.
func (c *checker) notFound(from *BasicLit) {
	name := from.Value
	if !strings.HasSuffix(name, ".rpl") {
		name += ".rpl"
	}
	file := c.file.File.Name
	d := c.errAt(from, CodeImportNotFound, "cannot load %s: no file %s in the directory of %s (a path is taken from the directory of the file that names it)", from.Raw, filepath.ToSlash(name), filepath.Base(file))
	dir := filepath.Dir(file)
	var dirs []string
	for a := filepath.Dir(dir); ; a = filepath.Dir(a) {
		dirs = append(dirs, a)
		if a == filepath.Dir(a) {
			break
		}
	}
	loaded := slices.Sorted(maps.Keys(c.loaded))
	for _, p := range loaded {
		dirs = append(dirs, filepath.Dir(p))
	}
	for _, a := range dirs {
		if a == dir {
			continue
		}
		p := resolvePath(a, from.Value)
		if p == filepath.Clean(file) {
			continue // the file itself
		}
		if _, err := c.readFile(p); err != nil {
			continue
		}
		rel, err := filepath.Rel(dir, a)
		if err != nil {
			continue
		}
		alt := filepath.ToSlash(filepath.Join(rel, from.Value))
		d.Message = strings.TrimSuffix(d.Message, ")") + fmt.Sprintf("; did you mean %q?)", alt)
		d.Fixes = append(d.Fixes, Fix{Title: "change the path to " + alt, Span: from.Span(), NewText: strconv.Quote(alt)})
		return
	}
}

// noPolicy reports a test file whose policy, path, does not exist (RPL215),
// on the test file's package clause. It reports false when there is no test
// file either.
func (c *checker) noPolicy(path string) bool {
	name := filepath.Base(path)
	return c.refuseTestFile(TestFileName(path), "test file without its policy %s (tests that need no policy go in %s itself, a test module)", name, name)
}

// refuseTestFile reports the test file at path, which has no policy
// (RPL215), on its package clause; it is not checked further. It reports
// false when the file cannot be read.
func (c *checker) refuseTestFile(path, format string, args ...any) bool {
	src, err := c.readFile(path)
	if err != nil {
		return false
	}
	// Only the position of the package clause is wanted.
	f, _ := Parse(path, src)
	sp := Span{0, 0}
	if f.Package != nil {
		sp = f.Package.Sp
	}
	c.errorf(f.File, sp, CodeNoPolicy, format, args...)
	return true
}

// requirePackage reports a file without a package clause (unless a syntax
// error already explains it).
func (c *checker) requirePackage(f *FileNode, syntax DiagList) {
	if f.Package != nil || syntax.HasErrors() {
		return
	}
	c.errorf(f.File, Span{0, 0}, CodeNoPackage, "missing package clause: a policy file starts with package NAME")
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// Loads lists the files that f's import and extends clauses name
// (standard modules aside), resolved against f's directory as Check
// resolves them.
func (f *FileNode) Loads() []string {
	var out []string
	for _, l := range f.LoadClauses() {
		out = append(out, l.File)
	}
	return out
}

// A LoadClause is an extends or import clause of a file that names
// another file: its path literal and the file it resolves to.
type LoadClause struct {
	Path *BasicLit
	File string
}

// LoadClauses is Loads with the path literal of each, to place an error
// about the file it names.
func (f *FileNode) LoadClauses() []LoadClause {
	var out []LoadClause
	dir := filepath.Dir(f.File.Name)
	if f.Extends != nil {
		out = append(out, LoadClause{f.Extends.Path, resolvePath(dir, f.Extends.Path.Value)})
	}
	for _, imp := range f.Imports {
		if !strings.HasPrefix(imp.Path.Value, "std/") {
			out = append(out, LoadClause{imp.Path, resolvePath(dir, imp.Path.Value)})
		}
	}
	return out
}

func resolvePath(dir, p string) string {
	if !strings.HasSuffix(p, ".rpl") {
		p += ".rpl"
	}
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(dir, p)
}

// checkAll checks every loaded package in dependency order.
func (c *checker) checkAll() {
	for _, pkg := range c.prog.Packages {
		if !c.shared[pkg] {
			c.collect(pkg)
		}
	}
	for _, pkg := range c.prog.Packages {
		if !c.shared[pkg] {
			c.checkPackage(pkg)
		}
	}
	c.allChecked = true
	c.checkOverriddenMatches()
	c.checkOverriddenFolds()
	c.checkOverriddenCalls()
	c.reportNoOverride()
	c.recordExhaustive()
	c.reportAfterBranches()
	c.reportRecursion()
	c.reportFnConstCalls()
	if len(c.unsaid) > 0 {
		c.diags = slices.DeleteFunc(c.diags, func(d *Diagnostic) bool { return c.unsaid[d] })
	}
}

// isLink reports whether path is a symbolic link on disk: one to nothing
// reads as a file that is not there, though it is.
func isLink(path string) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.Mode()&fs.ModeSymlink != 0
}
