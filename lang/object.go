package lang

import "sort"

// ObjKind classifies named entities.
type ObjKind uint8

const (
	ObjConst   ObjKind = iota // top-level const
	ObjVar                    // let binding, parameter or lambda parameter
	ObjFunc                   // user function
	ObjType                   // type name
	ObjModule                 // imported module
	ObjBuiltin                // builtin function (possibly overloaded)
	ObjEnum                   // enum member such as timeout
)

var objKindNames = [...]string{"const", "variable", "function", "type", "module", "builtin", "enum member"}

func (k ObjKind) String() string { return objKindNames[k] }

// Object is a named entity: what an identifier denotes.
type Object struct {
	Kind ObjKind
	Name string
	Type Type     // for ObjFunc a *Func; for ObjType the denoted type
	Decl Node     // the declaring node (*ConstDecl, *FuncDecl, *LetStmt, *Param, *Ident for lambda params, *TypeDecl, *ImportDecl); nil for builtins
	Pkg  *Package // owning package; nil for universe objects

	Overloads []*Builtin // ObjBuiltin: candidates in declaration order
	Module    *Package   // ObjModule: a user module
	StdModule string     // ObjModule: the std module name ("ab" for std/ab)

	used bool
}

// Pos is the position of the object's name in its declaration, or NoPos.
func (o *Object) Pos() Pos {
	switch d := o.Decl.(type) {
	case *ConstDecl:
		return d.Name.Sp.Start
	case *FuncDecl:
		return d.Name.Sp.Start
	case *TypeDecl:
		return d.Name.Sp.Start
	case *LetStmt:
		return d.Name.Sp.Start
	case *Param:
		return d.Name.Sp.Start
	case *Ident:
		return d.Sp.Start
	case *ImportDecl:
		if d.Alias != nil {
			return d.Alias.Sp.Start
		}
		return d.Path.Sp.Start
	}
	return NoPos
}

// Scope maps names to objects and links to its parent.
type Scope struct {
	Parent   *Scope
	Node     Node // the node that opened the scope; nil for universe and package scopes
	objects  map[string]*Object
	Children []*Scope
}

// NewScope opens a scope inside parent.
func NewScope(parent *Scope, node Node) *Scope {
	s := &Scope{Parent: parent, Node: node}
	if parent != nil {
		parent.Children = append(parent.Children, s)
	}
	return s
}

// Lookup finds name in this scope only.
func (s *Scope) Lookup(name string) *Object { return s.objects[name] }

// LookupParent finds name here or in an enclosing scope.
func (s *Scope) LookupParent(name string) *Object {
	for ; s != nil; s = s.Parent {
		if o := s.objects[name]; o != nil {
			return o
		}
	}
	return nil
}

// Insert adds obj and returns the object it shadows in this very scope, if any.
func (s *Scope) Insert(obj *Object) *Object {
	if s.objects == nil {
		s.objects = map[string]*Object{}
	}
	if old := s.objects[obj.Name]; old != nil {
		return old
	}
	s.objects[obj.Name] = obj
	return nil
}

// Names lists the names of this scope, sorted.
func (s *Scope) Names() []string {
	names := make([]string, 0, len(s.objects))
	for n := range s.objects {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Innermost returns the innermost scope containing offset p among s and its
// children whose nodes belong to file f (for completion).
func (s *Scope) Innermost(p Pos) *Scope {
	for _, c := range s.Children {
		if c.Node != nil && c.Node.Span().Contains(p) {
			return c.Innermost(p)
		}
	}
	return s
}
