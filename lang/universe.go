package lang

import (
	"fmt"
	"regexp"
	"strings"
)

// BuiltinDecl declares a builtin function as data. The standard library
// (package stdlib) provides the table; the checker, `rplc doc`, the LSP and
// spec/stdlib.md all read the same declarations.
type BuiltinDecl struct {
	Module string // "" for universal builtins; "ab" for members of std/ab
	Name   string
	// Sig is the signature in RPL syntax with type variables (single
	// capital letters) and optional named parameters marked `name?:`:
	//   (xs: list[T], pred: fn(T) -> bool) -> list[T]
	//   (d: Decision, target: string, on?: list[Trigger], retries?: int) -> Decision
	Sig  string
	Doc  string
	Cost int64 // base fuel per call
	Pure bool  // no state reads: may be folded or reordered
	// ConstCheck, when set, tells why a call always fails when it runs,
	// from the values of its constant arguments: args holds one value per
	// parameter (ConstValue, or ConstList and ConstMap for a list literal
	// of constants or a map literal of constant keys), NotConst for an
	// argument that is not constant
	// and for an omitted optional one. It returns the index of the
	// argument the call fails for and what the run fails with, "" when the
	// call may succeed. It calls the validation the builtin's
	// implementation calls, so that the checker's warning (RPL326) and the
	// run's builtin_error never disagree.
	ConstCheck func(args []ConstValue) (arg int, problem string)
	// ConstFuel, when set, is the fuel a call takes beyond Cost that its
	// constant arguments alone set (args as for ConstCheck), whatever
	// the others' values: matches's parsing and compiling of a constant
	// pattern. The static cost bound counts it with Cost (language.md
	// §11.3); 0 where what it depends on is not constant.
	ConstFuel func(args []ConstValue) int64
	// Regexp names the parameter that is an RE2 regular expression
	// (matches's pattern), "" for none: a string literal given for it
	// that writes \b, a backspace in a string, where the expression's
	// word boundary \\b was surely meant, is warned of (RPL327).
	Regexp string
}

// Builtin is a declared builtin with its parsed signature. Index is its
// position in Universe.Builtins, the identity by which the compiler links
// calls to implementations.
type Builtin struct {
	BuiltinDecl
	Type  *Func
	Index int
}

// QualifiedName is module.name, or name for universal builtins.
func (b *Builtin) QualifiedName() string {
	if b.Module == "" {
		return b.Name
	}
	return b.Module + "." + b.Name
}

// EnumDecl declares an enum type and its members, which become
// predeclared constants.
type EnumDecl struct {
	Name    string
	Members []string
	Doc     string
}

// UniverseConfig is what a Universe is built from.
type UniverseConfig struct {
	Builtins    []BuiltinDecl
	Enums       []EnumDecl
	PreludeName string // file name for diagnostics, e.g. "<prelude>"
	Prelude     []byte // RPL source declaring the schema types (Request, Decision, …)
	// Fold, when set, evaluates a call of a pure builtin (BuiltinDecl.Pure)
	// whose arguments are all constant, for the checker's constant
	// evaluation of the arguments a ConstCheck judges (to("a:" +
	// lower(k))): args holds one value per parameter (nil for an omitted
	// optional one), types their types (nil for an omitted one), the
	// call given fuel at most. It returns the call's value as a
	// ConstValue (ConstList and ConstMap for lists and maps), or false
	// when the call fails, needs more than fuel or a small fixed budget,
	// or its value is not one (a record), and the fuel the call spent:
	// at most fuel, all of it when the call ran out (the check's budget
	// is then taken to be spent).
	// It runs the builtin's implementation, so it must be bounded: the
	// checker calls it on whatever constants a policy writes.
	Fold FoldFunc
}

// Universe is the outermost scope: basic types, schema types, enums,
// universal builtins and the std modules. Build it once; it is read-only
// afterwards and may be shared by concurrent checks.
type Universe struct {
	Scope    *Scope             // values: builtins, enum members
	Types    map[string]*Object // type names: basic, enums and prelude types
	Builtins []*Builtin
	Modules  map[string]*Scope // std modules by name ("ab" for std/ab)
	// Fold is UniverseConfig.Fold.
	Fold FoldFunc
}

// FoldFunc is UniverseConfig.Fold.
type FoldFunc func(b *Builtin, args []ConstValue, types []Type, fuel int64) (v ConstValue, spent int64, ok bool)

var optionalParamRE = regexp.MustCompile(`\b([a-z_][a-zA-Z0-9_]*)\?:`)

// NewUniverse builds a universe; an error means a declaration is malformed
// (a bug in the declaring library, reported with the builtin's name).
func NewUniverse(cfg UniverseConfig) (*Universe, error) {
	u := &Universe{Scope: NewScope(nil, nil), Types: map[string]*Object{}, Modules: map[string]*Scope{}, Fold: cfg.Fold}
	for k := Bool; k <= Time; k++ {
		u.Types[Typ[k].name] = &Object{Kind: ObjType, Name: Typ[k].name, Type: Typ[k]}
	}
	for _, e := range cfg.Enums {
		et := &Enum{Name: e.Name, Members: e.Members}
		u.Types[e.Name] = &Object{Kind: ObjType, Name: e.Name, Type: et}
		for _, m := range e.Members {
			u.Scope.Insert(&Object{Kind: ObjEnum, Name: m, Type: et})
		}
	}
	if len(cfg.Prelude) > 0 {
		name := cfg.PreludeName
		if name == "" {
			name = "<prelude>"
		}
		if err := u.loadPrelude(name, cfg.Prelude); err != nil {
			return nil, err
		}
	}
	for _, d := range cfg.Builtins {
		ft, err := u.parseSig(d)
		if err != nil {
			return nil, fmt.Errorf("builtin %s: %w", qualified(d.Module, d.Name), err)
		}
		b := &Builtin{BuiltinDecl: d, Type: ft, Index: len(u.Builtins)}
		u.Builtins = append(u.Builtins, b)
		scope := u.Scope
		if d.Module != "" {
			scope = u.Modules[d.Module]
			if scope == nil {
				scope = NewScope(nil, nil)
				u.Modules[d.Module] = scope
			}
		}
		if o := scope.Lookup(d.Name); o != nil {
			if o.Kind != ObjBuiltin {
				return nil, fmt.Errorf("builtin %s: name taken by %s", qualified(d.Module, d.Name), o.Kind)
			}
			o.Overloads = append(o.Overloads, b)
			continue
		}
		scope.Insert(&Object{Kind: ObjBuiltin, Name: d.Name, Type: ft, Overloads: []*Builtin{b}})
	}
	return u, nil
}

func qualified(mod, name string) string {
	if mod == "" {
		return name
	}
	return mod + "." + name
}

// loadPrelude checks the prelude's type declarations and adds them to the
// universe's types.
func (u *Universe) loadPrelude(name string, src []byte) error {
	f, diags := Parse(name, src)
	if diags.HasErrors() {
		return diags
	}
	c := newChecker(&Config{Universe: u})
	pkg := &Package{Path: name, Files: []*FileNode{f}}
	pkg.Scope = NewScope(u.Scope, nil)
	c.collect(pkg)
	for _, d := range f.Decls {
		td, ok := d.(*TypeDecl)
		if !ok {
			return fmt.Errorf("%s: the prelude may only declare types", f.File.Position(d.Span().Start))
		}
		obj := pkg.Scope.Lookup(td.Name.Name)
		c.resolve(obj)
		u.Types[obj.Name] = obj
	}
	if c.diags.HasErrors() {
		return c.diags.Normalize()
	}
	return nil
}

// parseSig parses a builtin signature by reading it as the header of a
// function declaration in a scope where single capitals are type variables.
func (u *Universe) parseSig(d BuiltinDecl) (*Func, error) {
	sig := strings.TrimSpace(d.Sig)
	optional := map[string]bool{}
	for _, m := range optionalParamRE.FindAllStringSubmatch(sig, -1) {
		optional[m[1]] = true
	}
	sig = optionalParamRE.ReplaceAllString(sig, "$1:")
	src := "fn sig" + sig + " = none"
	f, diags := Parse("<signature>", []byte(src))
	if diags.HasErrors() || len(f.Decls) != 1 {
		return nil, fmt.Errorf("malformed signature %q: %v", d.Sig, diags.Err())
	}
	fd, ok := f.Decls[0].(*FuncDecl)
	if !ok || fd.Result == nil {
		return nil, fmt.Errorf("malformed signature %q: want (params) -> result", d.Sig)
	}
	c := newChecker(&Config{Universe: u})
	c.typeVars = map[string]*TypeVar{}
	ft := &Func{Result: c.typeExpr(fd.Result)}
	for _, p := range fd.Params {
		ft.Params = append(ft.Params, &FuncParam{Name: p.Name.Name, Type: c.typeExpr(p.Type), Optional: optional[p.Name.Name]})
	}
	if c.diags.HasErrors() {
		return nil, fmt.Errorf("signature %q: %v", d.Sig, c.diags.Normalize())
	}
	return ft, nil
}

// Key is the builtin's link name, unique among overloads: the qualified
// name and the parameter types, such as `len(string)` or
// `cost.month_spend(Tenant)`. Compiled programs refer to builtins by key.
func (b *Builtin) Key() string {
	var s strings.Builder
	s.WriteString(b.QualifiedName())
	s.WriteByte('(')
	for i, p := range b.Type.Params {
		if i > 0 {
			s.WriteString(", ")
		}
		s.WriteString(p.Type.String())
	}
	s.WriteByte(')')
	return s.String()
}
