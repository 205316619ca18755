package lang

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// collect enters the top-level declarations of pkg into its scope and the
// imports of each file into the file's scope.
func (c *checker) collect(pkg *Package) {
	if pkg.fileScopes == nil {
		pkg.fileScopes = map[*FileNode]*Scope{}
	}
	pkg.declFiles = map[Node]*FileNode{}
	for _, f := range pkg.Files {
		for _, d := range f.Decls {
			pkg.declFiles[d] = f
		}
	}
	saved := c.file
	defer func() { c.file = saved }()
	// Test names are the module's, a policy's and its test file's alike:
	// the compiler names each test's entry by it.
	type testAt struct {
		decl *TestDecl
		file *File
	}
	tests := map[string]testAt{}
	// The names that declarations written out take, in any file: a
	// stray line of another that guesses one is not declared (as
	// dropGuessed does in a file).
	written := map[string]bool{}
	for _, f := range pkg.Files {
		for _, d := range f.Decls {
			if id := declName(d); id != nil && !guessed(d) {
				written[id.Name] = true
			}
		}
	}
	for _, f := range pkg.Files {
		c.file = f
		fs := NewScope(pkg.Scope, f)
		pkg.fileScopes[f] = fs
		for _, imp := range f.Imports {
			c.collectImport(pkg, fs, imp)
		}
		for _, d := range f.Decls {
			if id := declName(d); id != nil && guessed(d) && c.guessTaken(pkg, f, fs, id.Name, written) {
				continue
			}
			var obj *Object
			var name *Ident
			switch d := d.(type) {
			case *ConstDecl:
				name, obj = d.Name, &Object{Kind: ObjConst, Name: d.Name.Name, Decl: d, Pkg: pkg}
			case *TypeDecl:
				name, obj = d.Name, &Object{Kind: ObjType, Name: d.Name.Name, Decl: d, Pkg: pkg}
			case *FuncDecl:
				name, obj = d.Name, &Object{Kind: ObjFunc, Name: d.Name.Name, Decl: d, Pkg: pkg}
				c.info.Funcs[d] = obj
			case *TestDecl:
				if prev, ok := tests[d.Name.Value]; ok {
					c.errAt(d.Name, CodeRedeclared, "test %s declared twice", d.Name.Raw).Related = []Related{{File: prev.file, Span: prev.decl.Name.Sp, Message: "previous declaration"}}
					continue
				}
				tests[d.Name.Value] = testAt{d, f.File}
				continue
			default:
				continue
			}
			if name.Name == "_" {
				c.errAt(name, CodeBlankDecl, "cannot declare _")
				continue
			}
			c.info.Defs[name] = obj
			if pkg.Extends != nil && IsTestFile(f.File.Name) {
				// A test file cannot replace what the policy inherits: the
				// replacement would be built and served (§8.4).
				if prev := pkg.Extends.Scope.LookupParent(name.Name); prev != nil && prev.Pkg != nil {
					c.errAt(name, CodeRedeclared, "%s redeclared in the test file: the policy inherits it from %s, which its tests cannot replace", name.Name, baseName(prev.Pkg.Path)).Related = c.declaredAt(prev, "inherited declaration")
					continue
				}
			}
			if prev := pkg.Scope.Insert(obj); prev != nil {
				c.errAt(name, CodeRedeclared, "%s redeclared", name.Name).Related = c.declaredAt(prev, "previous declaration")
				continue
			}
			if fs.Lookup(name.Name) != nil {
				c.errAt(name, CodeRedeclared, "%s redeclared: the name is taken by an import", name.Name)
			}
		}
	}
	// A policy and its test file are one module (§5.1, §8.4): an import of
	// one may not take a name that the other declares either.
	for _, f := range pkg.Files {
		c.file = f
		fs := pkg.fileScopes[f]
		for _, n := range fs.Names() {
			imp, ok := fs.Lookup(n).Decl.(*ImportDecl)
			d := pkg.Scope.Lookup(n)
			if !ok || d == nil || d.Decl == nil || pkg.declFiles[d.Decl] == f || guessed(d.Decl) {
				continue
			}
			// The error goes to the test file, whose names must not clash
			// with its policy's.
			df, dsp := c.fileOf(d), Span{d.Pos(), d.Pos() + Pos(len(d.Name))}
			if IsTestFile(df.Name) && !IsTestFile(f.File.Name) {
				c.errorf(df, dsp, CodeRedeclared, "%s redeclared: the name is taken by an import of %s", n, baseName(f.File.Name)).Related = []Related{{File: f.File, Span: imp.Span(), Message: "import"}}
				continue
			}
			c.errAt(imp, CodeRedeclared, "%s imported: the name is taken by the %s %s declared in %s", n, d.Kind, n, baseName(df.Name)).Related = []Related{{File: df, Span: dsp, Message: "declaration"}}
		}
	}
}

// guessed reports whether d is a constant or a function declared from a
// stray line (RPL100): not the user's declaration.
func guessed(d Node) bool {
	switch d := d.(type) {
	case *ConstDecl:
		return d.Guessed
	case *FuncDecl:
		return d.Guessed
	}
	return false
}

// guessTaken reports whether name, guessed by a stray line of file f of
// pkg (RPL100), is taken: by a declaration written out in any file of
// pkg (written), one declared before it (a stray line of another file),
// an import of f, or, in a test file, the policy it extends. The guess is
// then not declared, rather than be reported a redeclaration (RPL201)
// that the user never wrote, or make one of the declaration written out.
func (c *checker) guessTaken(pkg *Package, f *FileNode, fs *Scope, name string, written map[string]bool) bool {
	if written[name] || pkg.Scope.Lookup(name) != nil || fs.Lookup(name) != nil {
		return true
	}
	if pkg.Extends != nil && IsTestFile(f.File.Name) {
		if prev := pkg.Extends.Scope.LookupParent(name); prev != nil && prev.Pkg != nil {
			return true
		}
	}
	return false
}

// declaredAt is where o's name is declared, as the related location of
// an error, saying msg.
func (c *checker) declaredAt(o *Object, msg string) []Related {
	return []Related{{File: c.fileOf(o), Span: Span{o.Pos(), o.Pos() + Pos(len(o.Name))}, Message: msg}}
}

func (c *checker) fileOf(o *Object) *File {
	if o.Pkg == nil {
		return nil
	}
	if f := o.Pkg.declFiles[o.Decl]; f != nil && int(o.Pos()) < len(f.File.Src) {
		return f.File
	}
	return o.Pkg.Files[0].File
}

// brokenModule reports whether o is the module of an import that failed
// (reported at the import): its name is bound, nothing is in it, and
// what is read from it is invalid, reported no further.
func brokenModule(o *Object) bool {
	return o.Kind == ObjModule && o.Module == nil && o.StdModule == ""
}

// unknownStd says that path, std/ and a name, names no standard module,
// suggesting the nearest one that the file may import (std/testing in a
// test file only), best ("" for none).
func (c *checker) unknownStd(path string) (msg, best string) {
	mods := mapKeys(c.u.Modules)
	if c.file == nil || !IsTestFile(c.file.File.Name) {
		mods = slices.DeleteFunc(mods, func(m string) bool { return m == TestingModule })
	}
	best = Nearest(strings.TrimPrefix(path, "std/"), mods)
	msg = "unknown standard module " + path
	if best != "" {
		msg += " (did you mean std/" + best + "?)"
	}
	return msg, best
}

func (c *checker) collectImport(pkg *Package, fs *Scope, imp *ImportDecl) {
	path := imp.Path.Value
	obj := &Object{Kind: ObjModule, Decl: imp, Pkg: pkg}
	// An import that failed (reported) still binds its name, a module
	// with nothing in it (brokenModule), so that its uses are not
	// reported as undefined too.
	if mod, ok := strings.CutPrefix(path, "std/"); ok {
		obj.Name = mod
		switch {
		case c.u.Modules[mod] == nil:
			msg, best := c.unknownStd(path)
			d := c.errAt(imp.Path, CodeImportNotFound, "%s", msg)
			if best != "" {
				d.Fixes = append(d.Fixes, Fix{Title: "change " + path + " to std/" + best, Span: imp.Path.Span(), NewText: strconv.Quote("std/" + best)})
			}
		case mod == TestingModule && c.file != nil && !IsTestFile(c.file.File.Name):
			c.errAt(imp.Path, CodeTestingImport, "std/%s can only be imported by test files (*_test.rpl)", mod)
		default:
			obj.StdModule = mod
		}
	} else {
		obj.Name = strings.TrimSuffix(baseName(path), ".rpl")
		// nil: reported by load
		if dep := c.loaded[resolvePath(dirOf(pkg.Path), path)]; dep != nil {
			obj.Module = dep
			obj.Name = cmp.Or(dep.Name, obj.Name)
		}
	}
	if brokenModule(obj) {
		obj.used = true // not also reported unused
	}
	if imp.Alias != nil {
		obj.Name = imp.Alias.Name
		c.info.Defs[imp.Alias] = obj
	}
	if prev := fs.Insert(obj); prev != nil {
		first, _ := prev.Decl.(*ImportDecl)
		switch {
		case first == nil:
			c.errAt(imp, CodeRedeclared, "%s imported twice", obj.Name)
		case first.Path.Value == imp.Path.Value:
			c.errAt(imp, CodeRedeclared, "%s imported twice", obj.Name).Related = c.earlier(first, "previous import")
		default:
			// Two modules, one name: the second needs another.
			c.errAt(imp, CodeRedeclared, "%s imported twice: %s and %s both bind %s (name one of them: import %s as NAME)", obj.Name, first.Path.Raw, imp.Path.Raw, obj.Name, imp.Path.Raw).Related = c.earlier(first, "previous import")
		}
	} else if pkg.Extends != nil {
		// The module scope includes the parent's (§5.1): an import may
		// not take a name declared there either.
		if inh := pkg.Extends.Scope.LookupParent(obj.Name); inh != nil && inh.Pkg != nil {
			c.errAt(imp, CodeRedeclared, "%s imported: the name is taken by %s.%s, inherited through extends", obj.Name, inh.Pkg.Name, inh.Name)
		}
	}
}

func dirOf(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[:i]
	}
	return "."
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

func mapKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// withDecl switches the checker's context to the file and package that
// declare obj, for lazy resolution from another function.
func (c *checker) withDecl(obj *Object, fn func()) {
	file := obj.Pkg.declFiles[obj.Decl]
	saved := c.fnCtx
	c.fnCtx = fnCtx{pkg: obj.Pkg, file: file, scope: obj.Pkg.fileScopes[file]}
	if obj.Kind == ObjConst {
		c.constObj = obj
	}
	fn()
	c.fnCtx = saved
}

// cyclePath spells the cycle through obj that resolving it again closes,
// from obj back to itself through the declarations being resolved, as
// " (a -> b -> a)"; nothing when obj refers to itself directly. A name of
// another module is qualified by its package's name.
func (c *checker) cyclePath(obj *Object) string {
	i := slices.Index(c.pending, obj)
	if i < 0 || i == len(c.pending)-1 {
		return ""
	}
	var b strings.Builder
	b.WriteString(" (")
	for j, o := range append(slices.Clip(c.pending[i:]), obj) {
		if j > 0 {
			b.WriteString(" -> ")
		}
		if o.Pkg != obj.Pkg && o.Pkg != nil {
			b.WriteString(o.Pkg.Name + ".")
		}
		b.WriteString(o.Name)
	}
	b.WriteString(")")
	return b.String()
}

// resolve computes the type of a top-level object on first use.
func (c *checker) resolve(obj *Object) {
	switch c.state[obj] {
	case resolved:
		return
	case resolving:
		switch obj.Kind {
		case ObjType:
			c.withDecl(obj, func() {
				c.errAt(obj.Decl.(*TypeDecl).Name, CodeRecursiveType, "invalid recursive type %s%s", obj.Name, c.cyclePath(obj))
			})
		case ObjConst:
			c.withDecl(obj, func() {
				c.errAt(obj.Decl.(*ConstDecl).Name, CodeNotConstant, "initialisation cycle: const %s refers to itself%s", obj.Name, c.cyclePath(obj))
			})
		case ObjFunc:
			c.withDecl(obj, func() {
				c.errAt(obj.Decl.(*FuncDecl).Name, CodeCannotInfer, "cannot infer the result type of recursive function %s: declare it (fn %s(...) -> T)", obj.Name, obj.Name)
			})
		}
		obj.Type = Typ[Invalid]
		c.state[obj] = resolved
		return
	}
	if obj.Pkg == nil || c.shared[obj.Pkg] {
		// A shared library's is resolved by its own check (Session).
		c.state[obj] = resolved
		return
	}
	c.state[obj] = resolving
	c.pending = append(c.pending, obj)
	defer func() { c.pending = c.pending[:len(c.pending)-1] }()
	c.withDecl(obj, func() {
		switch d := obj.Decl.(type) {
		case *TypeDecl:
			// This declaration may be resolved from within another's.
			declType := c.declType
			c.declType = d.Type
			t := c.typeExpr(d.Type)
			c.declType = declType
			own := false // a record written here, not another type's
			if r, ok := t.(*Record); ok && r.Name == "" {
				t, own = &Record{Name: obj.Name, Fields: r.Fields}, true
			}
			obj.Type = t
			// Another type's record (an alias, also of a record of the
			// same name in another package) is its declaration's to report.
			if own && c.leastValues(t) > MaxLeastValues {
				c.tooLarge(d.Name, "type "+obj.Name, t.(*Record))
			}
		case *ConstDecl:
			var want Type
			if d.Type != nil {
				want = c.typeExpr(d.Type)
			}
			before := len(c.diags)
			t := c.exprAs(d.Value, want, what{"const", obj.Name, ""})
			if want != nil {
				t = want
			} else if isBasic(t, NoneType) {
				// As [] and {} (language.md §4.2).
				c.errAt(d.Value, CodeCannotInfer, "cannot infer the type of %s from none: write const %s: T? = none", obj.Name, obj.Name)
				t = Typ[Invalid]
			}
			// An error in the value (an undefined name, lenght("x")) says
			// what is wrong with it: not also that it is not constant. Nor
			// is a constant guessed from a stray line (route = to("a:b"),
			// RPL100) the user's: its uses have the value's type.
			if !d.Guessed && !c.diags[before:].HasErrors() && !c.isConstExpr(d.Value) {
				c.errAt(d.Value, CodeNotConstant, "const %s must be a constant expression (literals, operators, lists, maps and records of constants)", obj.Name)
			}
			obj.Type = t
		case *FuncDecl:
			ft := &Func{}
			for _, p := range d.Params {
				ft.Params = append(ft.Params, &FuncParam{Name: p.Name.Name, Type: c.typeExpr(p.Type)})
			}
			obj.Type = ft
			if d.Result != nil {
				ft.Result = c.typeExpr(d.Result)
				c.state[obj] = resolved
				return
			}
			// Infer the result from the body; recursion is caught above.
			ft.Result = c.funcBody(obj, d)
		}
	})
	c.state[obj] = resolved
}

// typeExpr resolves a written type. A record written outermost (not as
// a field's type of another) that is too large is RPL321 here, but the
// one a type declaration writes, which resolve reports by its name.
func (c *checker) typeExpr(t TypeExpr) Type {
	inField := c.inField
	c.inField = false
	defer func() { c.inField = inField }()
	switch t := t.(type) {
	case *NamedType:
		if t.Module != nil {
			mod := c.lookup(t.Module.Name)
			if mod != nil && mod.Kind != ObjModule {
				c.errAt(t.Module, CodeUndefined, "%s is %s, not a module", t.Module.Name, withArticle(mod.Kind.String()))
				return Typ[Invalid]
			}
			if mod == nil {
				c.errAt(t.Module, CodeUndefined, "undefined module: %s", t.Module.Name)
				return Typ[Invalid]
			}
			c.use(t.Module, mod)
			if brokenModule(mod) {
				return Typ[Invalid] // its import failed, reported
			}
			if mod.Module == nil {
				c.errAt(t.Name, CodeUnknownType, "module %s declares no type %s", mod.Name, t.Name.Name)
				return Typ[Invalid]
			}
			o := mod.Module.Scope.Lookup(t.Name.Name)
			if o != nil && o.Kind != ObjType {
				c.errAt(t.Name, CodeUnknownType, "%s.%s is %s, not a type", t.Module.Name, t.Name.Name, withArticle(o.Kind.String()))
				return Typ[Invalid]
			}
			if o == nil {
				hint := inherited(mod.Module, t.Module.Name, t.Name.Name)
				c.errAt(t.Name, CodeUnknownType, "undefined type: %s.%s%s", t.Module.Name, t.Name.Name, hint)
				return Typ[Invalid]
			}
			c.use(t.Name, o)
			c.resolve(o)
			return o.Type
		}
		name := t.Name.Name
		if c.typeVars != nil && name == "void" {
			return Typ[Void] // builtin signatures only: a builtin called for its effect (std/testing)
		}
		if c.typeVars != nil && len(name) == 1 && name[0] >= 'A' && name[0] <= 'Z' {
			tv := c.typeVars[name]
			if tv == nil {
				tv = &TypeVar{Name: name}
				c.typeVars[name] = tv
			}
			return tv
		}
		if o := c.lookup(name); o != nil && o.Kind == ObjType {
			c.use(t.Name, o)
			c.resolve(o)
			return o.Type
		}
		if o := c.u.Types[name]; o != nil {
			c.use(t.Name, o)
			return o.Type
		}
		if o := c.lookup(name); o != nil {
			c.errAt(t.Name, CodeUnknownType, "%s is %s, not a type", name, withArticle(o.Kind.String()))
			return Typ[Invalid]
		}
		c.notDeclared(t.Name, true, name)
		return Typ[Invalid]
	case *ListType:
		return &List{Elem: c.typeExpr(t.Elem)}
	case *MapType:
		k := c.typeExpr(t.Key)
		if !IsInvalid(k) && !validKey(k) {
			c.errAt(t.Key, CodeMismatch, "invalid map key type %s (want string, int or an enum)", k)
		}
		return &Map{Key: k, Elem: c.typeExpr(t.Elem)}
	case *RecordType:
		var fields []*Field
		seen := map[string]*Ident{}
		for _, f := range t.Fields {
			if first := seen[f.Name.Name]; first != nil {
				c.errAt(f.Name, CodeDuplicateKey, "duplicate field %s", f.Name.Name).Related = c.earlier(first, "previous declaration")
				continue
			}
			seen[f.Name.Name] = f.Name
			c.inField = true
			fields = append(fields, &Field{Name: f.Name.Name, Type: c.typeExpr(f.Type)})
		}
		r := NewRecord("", fields)
		if !inField && TypeExpr(t) != c.declType && c.leastValues(r) > MaxLeastValues {
			c.tooLarge(t, "this record type", r)
		}
		return r
	case *OptionalType:
		e := c.typeExpr(t.Elem)
		if _, ok := e.(*Optional); ok {
			return e
		}
		return &Optional{Elem: e}
	case *FuncType:
		if c.typeVars == nil {
			// Spec §3.2: function types are in builtins' signatures only;
			// a record field, list element or parameter of one would
			// hold a function value, which RPL has not.
			c.errAt(t, CodeFuncType, "function type outside a builtin's signature: RPL has no function values (a lambda is written only as a builtin's argument)")
			return Typ[Invalid]
		}
		ft := &Func{Result: c.typeExpr(t.Result)}
		for _, p := range t.Params {
			ft.Params = append(ft.Params, &FuncParam{Type: c.typeExpr(p)})
		}
		return ft
	}
	return Typ[Invalid]
}

func validKey(t Type) bool {
	switch t := t.(type) {
	case *Basic:
		return t.Kind == String || t.Kind == Int
	case *Enum, *TypeVar:
		return true
	}
	return false
}

// checkPackage checks every declaration body of pkg.
func (c *checker) checkPackage(pkg *Package) {
	for _, f := range pkg.Files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ConstDecl, *TypeDecl:
				if obj := c.info.Defs[declName(d)]; obj != nil {
					c.resolve(obj)
					c.checkOverride(pkg, obj)
				}
			case *FuncDecl:
				obj := c.info.Funcs[d]
				if obj == nil {
					continue
				}
				c.resolve(obj)
				if d.Result != nil {
					c.state[obj] = resolved
					c.withDecl(obj, func() { c.funcBody(obj, d) })
				}
				c.checkOverride(pkg, obj)
				if obj.Name == "route" {
					c.checkEntry(obj)
				}
			case *TestDecl:
				c.checkTest(pkg, f, d)
			}
		}
		c.reportUnusedImports(pkg, f)
	}
}

func declName(d Decl) *Ident {
	switch d := d.(type) {
	case *ConstDecl:
		return d.Name
	case *TypeDecl:
		return d.Name
	case *FuncDecl:
		return d.Name
	}
	return nil
}

// checkOverride checks a declaration that replaces one of the extended
// policy: same kind, and for functions and consts the same type.
func (c *checker) checkOverride(pkg *Package, obj *Object) {
	if pkg.Extends == nil {
		return
	}
	prev := pkg.Extends.Scope.LookupParent(obj.Name)
	if prev == nil || prev.Pkg == nil {
		return
	}
	c.resolve(prev)
	c.withDecl(obj, func() {
		name := declName(obj.Decl.(Decl))
		switch {
		case prev.Kind != obj.Kind:
			c.errAt(name, CodeBadOverride, "%s overrides the %s %s of %s with a %s", obj.Name, prev.Kind, prev.Name, prev.Pkg.Name, obj.Kind)
		case obj.Kind == ObjFunc && !IsInvalid(obj.Type) && !IsInvalid(prev.Type) && !Identical(obj.Type, prev.Type):
			c.errAt(name, CodeBadOverride, "%s overrides %s.%s with a different signature: have %s, want %s", obj.Name, prev.Pkg.Name, prev.Name, obj.Type, prev.Type)
		case obj.Kind == ObjFunc && !IsInvalid(obj.Type) && !IsInvalid(prev.Type) && !sameParamNames(obj.Type, prev.Type):
			// The parent's calls name its parameters (f(b: 1, a: 10)) and
			// pass the arguments in the parent's order, which the child's
			// function takes by position: a name the parent gives another
			// parameter would read another's argument.
			c.errAt(name, CodeBadOverride, "%s overrides %s.%s with its parameters in another order: have %s, want %s (the parent's calls may name its parameters, and pass them in its order)", obj.Name, prev.Pkg.Name, prev.Name, obj.Type, prev.Type)
		case obj.Kind == ObjConst && !IsInvalid(obj.Type) && !IsInvalid(prev.Type) && !Identical(obj.Type, prev.Type):
			have, want := twoTypes(obj.Type, prev.Type)
			c.errAt(name, CodeBadOverride, "const %s overrides %s.%s with type %s, want %s", obj.Name, prev.Pkg.Name, prev.Name, have, want)
		case obj.Kind == ObjType && !IsInvalid(obj.Type) && !IsInvalid(prev.Type) && !Identical(obj.Type, prev.Type):
			have, want := twoTypes(obj.Type, prev.Type)
			c.errAt(name, CodeBadOverride, "type %s overrides %s.%s with a different type: have %s, want %s (a type may be redeclared only as the same type)", obj.Name, prev.Pkg.Name, prev.Name, have, want)
		}
	})
}

// twoTypes spells the types a and b, which differ, for a message: by
// their names, but two records of the same name (a child's type
// replacing its parent's) field by field.
func twoTypes(a, b Type) (string, string) {
	x, y := a.String(), b.String()
	ra, ok1 := a.(*Record)
	rb, ok2 := b.(*Record)
	if x == y && ok1 && ok2 {
		return ra.Literal(), rb.Literal()
	}
	return x, y
}

// sameParamNames reports whether the function type a, replacing b, names
// no parameter as b names another: the parent's calls bind named
// arguments by b's names and pass them in b's order, which a takes by
// position, so a parameter of a that b names at another position would
// receive another's argument (fn pick(b: int, a: int) replacing
// pick(a: int, b: int)). A new name (route(req: Request) replacing
// route(r: Request)) is fine: only its position can bind it.
func sameParamNames(a, b Type) bool {
	fa, ok1 := a.(*Func)
	fb, ok2 := b.(*Func)
	if !ok1 || !ok2 || len(fa.Params) != len(fb.Params) {
		return true // not functions of one arity: Identical decides
	}
	for i, p := range fa.Params {
		for j, q := range fb.Params {
			if j != i && p.Name == q.Name {
				return false
			}
		}
	}
	return true
}

// checkEntry checks the signature of a policy's entry point.
func (c *checker) checkEntry(obj *Object) {
	ft, ok := obj.Type.(*Func)
	req, dec := c.u.Types["Request"], c.u.Types["Decision"]
	if !ok || req == nil || dec == nil {
		return
	}
	if IsInvalid(ft.Result) || slices.ContainsFunc(ft.Params, func(p *FuncParam) bool { return IsInvalid(p.Type) }) {
		return // a type of the signature is undefined, reported as such
	}
	if len(ft.Params) != 1 || !Identical(ft.Params[0].Type, req.Type) || !Identical(ft.Result, dec.Type) {
		c.withDecl(obj, func() {
			c.errAt(obj.Decl.(*FuncDecl).Name, CodeBadEntry, "route must have the signature fn route(r: Request) -> Decision, have %s", ft)
		})
	}
}

// requireRoute reports a policy without an entry point: no route function
// of its own or inherited through extends, and no tests to run instead
// (tests do not count with Config.NeedRoute). The error is on the package clause; a function of the policy file with a
// name close to route (rout, Route, router) is suggested, with a fix that
// renames it. Nothing is reported when the policy file has syntax errors,
// which may have swallowed route's header.
func (c *checker) requireRoute(pkg *Package) {
	if HasRoute(pkg) {
		return
	}
	hasTests := HasTests(pkg)
	if hasTests && !c.cfg.NeedRoute {
		return // a test module
	}
	if !hasTests && c.cfg.NoTests {
		// Its test file is left out (run without its tests): there,
		// it may hold the tests that make the policy a test module.
		_, err := c.readFile(TestFileName(pkg.Path))
		hasTests = err == nil
	}
	f := pkg.Files[0]
	if c.syntaxErrors(f) {
		return
	}
	var names []string
	decls := map[string]*FuncDecl{}
	for _, d := range f.Decls {
		if fd, ok := d.(*FuncDecl); ok && fd.Name.Name != "_" {
			names = append(names, fd.Name.Name)
			decls[fd.Name.Name] = fd
		}
	}
	sp := Span{0, 0}
	if f.Package != nil {
		sp = f.Package.Sp
	}
	msg := "no route function: a policy needs fn route(r: Request) -> Decision"
	best := Nearest("route", names)
	switch {
	case best == "" && hasTests:
		c.errorf(f.File, sp, CodeNoRoute, "%s to be run without its tests (a test module, tests and no route, is run by rplc test)", msg)
		return
	case best == "":
		c.errorf(f.File, sp, CodeNoRoute, "%s (a library needs none, but must be imported by a policy)", msg)
		return
	}
	d := c.errorf(f.File, sp, CodeNoRoute, "%s (did you mean %s?)", msg, best)
	at := decls[best].Name.Sp
	d.Related = []Related{{File: f.File, Span: at, Message: best + " declared here"}}
	d.Fixes = []Fix{{Title: "rename " + best + " to route", Span: at, NewText: "route"}}
}

// reportUnusedImports reports the imports of f that nothing refers to.
// Nothing is reported when f has syntax errors: the parser skips a broken
// declaration whole, and the import's uses may be in it (removing the
// import, as the warning says, would break the declaration once fixed).
func (c *checker) reportUnusedImports(pkg *Package, f *FileNode) {
	if c.syntaxErrors(f) {
		return
	}
	fs := pkg.fileScopes[f]
	for _, imp := range f.Imports {
		for _, n := range fs.Names() {
			o := fs.Lookup(n)
			if o.Decl == imp && !o.used {
				d := c.errorf(f.File, imp.Sp, CodeUnusedImport, "%s imported and not used", imp.Path.Raw)
				if l := c.hiddenImports[o]; l != nil {
					at := f.File.Position(l.Pos())
					d.Message += fmt.Sprintf(" (the %s %s declared on line %d hides it where it is read)", localKind(l), l.Name, at.Line)
				}
			}
		}
	}
}

// syntaxErrors reports whether f has syntax errors (the codes below
// RPL200), which may have swallowed declarations whole: what the checker
// would say of their absence (RPL212, RPL205) is then left unsaid.
func (c *checker) syntaxErrors(f *FileNode) bool {
	for _, d := range c.diags {
		if d.File == f.File && d.Code < CodeUndefined {
			return true
		}
	}
	return false
}

// declareParam declares o, the parameter written as name, in scope, its
// function's or lambda's. A parameter named as an earlier one is an error
// RPL201, "duplicate WHAT NAME" (what: "parameter", "lambda parameter"),
// that points back at the first: the Decl of its object is its *Param
// (a function's) or its name (a lambda's). A parameter named _ is not
// declared.
func (c *checker) declareParam(scope *Scope, o *Object, name *Ident, what string) {
	if name.Name == "_" {
		return // discarded, as a let's _ (§5.1): several may be
	}
	prev := scope.Insert(o)
	if prev == nil {
		return
	}
	d := c.errAt(name, CodeRedeclared, "duplicate %s %s", what, name.Name)
	switch first := prev.Decl.(type) {
	case *Param:
		d.Related = c.earlier(first.Name, "previous declaration")
	case *Ident:
		d.Related = c.earlier(first, "previous declaration")
	}
}

// funcBody checks the body of a user function and returns its type.
func (c *checker) funcBody(obj *Object, d *FuncDecl) Type {
	if c.bodyDone == nil {
		c.bodyDone = map[*FuncDecl]Type{}
	}
	if t, ok := c.bodyDone[d]; ok {
		return t
	}
	ft := obj.Type.(*Func)
	scope := NewScope(c.scope, d)
	c.info.Scopes[d] = scope
	for i, p := range d.Params {
		po := &Object{Kind: ObjVar, Name: p.Name.Name, Type: ft.Params[i].Type, Decl: p, Pkg: obj.Pkg, used: true}
		c.info.Defs[p.Name] = po
		c.declareParam(scope, po, p.Name, "parameter")
	}
	// A fresh context: the returns of this body only (a caller's may be
	// pending).
	saved := c.fnCtx
	c.fnCtx = fnCtx{pkg: c.pkg, file: c.file, scope: scope, fn: d, fnObj: obj, fnResult: ft.Result}
	var t Type
	if ft.Result == nil {
		t = c.exprOrVoid(d.Body, nil)
		if isBasic(t, Void) {
			c.errAt(d.Name, CodeMissingValue, "function %s produces no value%s", d.Name.Name, elseHint(d.Body))
			c.noValue(d.Body)
			t = Typ[Invalid]
		}
		if isBasic(t, NoneType) {
			c.errAt(d.Name, CodeCannotInfer, "cannot infer the result type of %s from none: declare it", d.Name.Name)
			t = Typ[Invalid]
		}
		switch u := unifyBranch(c.returnType, t); {
		case isBasic(t, Never) && (c.returnType == nil || IsInvalid(c.returnType)):
			// No return gives a type (or its value was reported): the
			// result is unknown, not never, which would make the code
			// after each call unreachable (RPL310).
			t = Typ[Invalid]
		case u == nil:
			c.errAt(d.Name, CodeBranchTypes, "function %s returns %s but its body ends with %s: declare its result type", d.Name.Name, c.returnType, t)
			t = Typ[Invalid]
		default:
			t = u
		}
	} else {
		t = c.exprOrVoid(d.Body, ft.Result)
		c.requireValue(d.Body, t, ft.Result, what{"function", d.Name.Name, ""})
	}
	c.reportUnused(scope)
	c.fnCtx = saved
	c.bodyDone[d] = t
	return t
}

// requireValue reports a body or branch of type t that cannot be used
// where want is expected.
func (c *checker) requireValue(n Expr, t, want Type, w what) {
	if want != nil && isBasic(t, Void) && (IsInvalid(want) || isBasic(want, Never)) {
		// No type to name (a map's values after one of an invalid
		// type or that returns): the missing value is the error.
		c.noValueUsed(n)
		return
	}
	if want == nil || IsInvalid(t) || AssignableTo(t, want) {
		return
	}
	if isBasic(t, Void) {
		if _, ok := Unparen(n).(*MatchExpr); ok {
			c.noValueUsed(n) // at its arms of no value
			return
		}
		at := Node(Unparen(n))
		if b, ok := at.(*BlockExpr); ok && len(b.Stmts) > 0 {
			at = b.Stmts[len(b.Stmts)-1]
		}
		c.errAt(at, CodeMissingValue, "%s must end with a value of type %s%s", w, want, elseHint(n))
		c.noValue(n)
		return
	}
	c.mismatch(n, t, want, w)
}

// checkTest checks a test block of file f of pkg.
func (c *checker) checkTest(pkg *Package, f *FileNode, d *TestDecl) {
	scope := NewScope(pkg.fileScopes[f], d)
	c.info.Scopes[d] = scope
	saved := c.fnCtx
	c.fnCtx = fnCtx{pkg: pkg, file: f, scope: scope, inTest: true}
	// A test's body has no value: its last statement is one whose value
	// is discarded, as the compiler compiles it (an if or a match there
	// is not used as a value, §6.12).
	c.record(d.Body, c.block(d.Body, nil, false))
	c.reportUnused(scope)
	c.fnCtx = saved
}

func (c *checker) reportUnused(s *Scope) {
	for _, n := range s.Names() {
		o := s.Lookup(n)
		if o.Kind == ObjVar && !o.used && n != "_" && !strings.HasPrefix(n, "_") {
			if l, ok := o.Decl.(*LetStmt); ok {
				c.errAt(l.Name, CodeUnusedVar, "%s declared and not used", n)
			}
		}
	}
	for _, ch := range s.Children {
		c.reportUnused(ch)
	}
}

// reportRecursion reports functions on a call cycle: no static cost bound
// exists for them (the VM's fuel still bounds every run).
func (c *checker) reportRecursion() {
	// Tarjan's strongly connected components over the user call graph.
	index := map[*Object]int{}
	low := map[*Object]int{}
	onStack := map[*Object]bool{}
	var stack []*Object
	next := 0
	var nodes []*Object
	for f := range c.calls {
		nodes = append(nodes, f)
	}
	sort.Slice(nodes, func(i, j int) bool {
		return nodes[i].Pos() < nodes[j].Pos() || nodes[i].Pos() == nodes[j].Pos() && nodes[i].Name < nodes[j].Name
	})
	var visit func(v *Object)
	visit = func(v *Object) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		for w := range c.calls[v] {
			if _, ok := index[w]; !ok {
				visit(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] == index[v] {
			var comp []*Object
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				comp = append(comp, w)
				if w == v {
					break
				}
			}
			if len(comp) > 1 || c.calls[v][v] {
				names := make([]string, len(comp))
				for i, o := range comp {
					names[i] = o.Name
				}
				sort.Strings(names)
				for _, o := range comp {
					if o.Pkg != c.prog.Main && (c.prog.Main == nil || o.Pkg != c.prog.Main.Extends) {
						continue
					}
					c.withDecl(o, func() {
						c.errAt(o.Decl.(*FuncDecl).Name, CodeUnboundedCost, "no static cost bound: %s is recursive (%s); each run is still bounded by fuel", o.Name, strings.Join(names, ", "))
					})
				}
			}
		}
	}
	for _, v := range nodes {
		if _, ok := index[v]; !ok {
			visit(v)
		}
	}
}

func (c *checker) mismatch(n Node, have, want Type, w what) {
	if IsInvalid(have) || IsInvalid(want) {
		return
	}
	msg := fmt.Sprintf("cannot use %s as %s", describeType(have), want)
	switch {
	case w.s == "function":
		// A body's value is the function's result, which is what
		// does not fit.
		msg += " in the result of " + w.String()
	case w.s != "":
		msg += " in " + w.String()
	}
	d := c.errAt(n, CodeMismatch, "%s", msg)
	if o, ok := have.(*Optional); ok && AssignableTo(o.Elem, want) {
		d.Message += " (the value may be none: give a default with ??)"
	} else if e, ok := n.(Expr); ok {
		if h := writeAs(e, want); h != "" {
			d.Message += " (" + h + ")"
		}
		c.memberHint(d, e, want)
	}
}

func describeType(t Type) string {
	if isBasic(t, NoneType) {
		return "none"
	}
	return "value of type " + t.String()
}

// what says where a value is used ("argument target to to"), for mismatch
// messages; it is spelled out only when a mismatch is reported.
type what struct{ s, name, to string }

func (w what) String() string {
	out := w.s
	if w.name != "" {
		out += " " + w.name
	}
	if w.to != "" {
		out += " to " + w.to
	}
	return out
}

// MaxLeastValues is the most values the least value of a declared type
// may hold (its zero value: records hold every field, the rest one
// value). A record whose fields all have the next record type holds
// exponentially many, which no run could build (RPL321).
const MaxLeastValues = 1 << 16

// tooLarge reports RPL321 at at for the record r, named what in the
// message (a declared type, or a record type written elsewhere), whose
// least value holds more than MaxLeastValues values: a record written
// there (r, or one inline in it) with too many fields of its own, else
// records that multiply. A record too large only because it holds named records
// that are too large themselves is not reported: their declarations are.
func (c *checker) tooLarge(at Node, what string, r *Record) {
	if c.ownValues(r, true) <= MaxLeastValues {
		return
	}
	const hint = "a record has at most %d (group some of them into records, or use a map)"
	switch w := wideRecord(r, true); {
	case w == r:
		c.errAt(at, CodeTypeTooLarge, "%s has %d fields: "+hint, what, len(w.Fields), MaxLeastValues-1)
	case w != nil:
		c.errAt(at, CodeTypeTooLarge, "%s holds a record of %d fields: "+hint, what, len(w.Fields), MaxLeastValues-1)
	default:
		c.errAt(at, CodeTypeTooLarge, "every value of %s holds more than %d values: the record fields in it multiply (make some of them optional, or lists)", what, MaxLeastValues)
	}
}

// ownValues is leastValues with each named record that is too large
// itself counted as one value (root: t is the declaration's own, which
// is not), up to MaxLeastValues+1. It walks only the records written
// inline in one declaration (named records' sizes are memoized), so
// checking stays linear.
func (c *checker) ownValues(t Type, root bool) int64 {
	r, ok := t.(*Record)
	switch {
	case !ok:
		return 1
	case !root && r.Name != "":
		if n := c.leastValues(r); n <= MaxLeastValues {
			return n
		}
		return 1
	}
	n := int64(1)
	for _, f := range r.Fields {
		n = min(n+c.ownValues(f.Type, false), MaxLeastValues+1)
	}
	return n
}

// wideRecord returns a record with MaxLeastValues fields or more among t
// and the records written inline in it (not named ones), or nil.
func wideRecord(t Type, root bool) *Record {
	r, ok := t.(*Record)
	if !ok || !root && r.Name != "" {
		return nil
	}
	if len(r.Fields) >= MaxLeastValues {
		return r
	}
	for _, f := range r.Fields {
		if w := wideRecord(f.Type, false); w != nil {
			return w
		}
	}
	return nil
}

// leastValues is how many values the least value of t holds, counted up
// to MaxLeastValues+1: a record, itself and its fields'; a list, map or
// optional, which may be empty, and any other type, one. Each record is
// counted once per check (c.least), so checking is linear in the fields.
func (c *checker) leastValues(t Type) int64 {
	r, ok := t.(*Record)
	if !ok {
		return 1
	}
	if n, ok := c.least[r]; ok {
		return n
	}
	n := int64(1)
	for _, f := range r.Fields {
		n = min(n+c.leastValues(f.Type), MaxLeastValues+1)
	}
	if c.least == nil {
		c.least = map[*Record]int64{}
	}
	c.least[r] = n
	return n
}

// withArticle is what, a noun, after "a" or "an": "a const", "an enum
// member".
func withArticle(what string) string {
	if what != "" && strings.ContainsRune("aeiou", rune(what[0])) {
		return "an " + what
	}
	return "a " + what
}
