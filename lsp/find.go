package lsp

import (
	"sort"
	"strings"

	"github.com/rpl-lang/rpl/lang"
)

// This file answers "what is at this offset?" for the features: the
// identifier under the cursor, the object it denotes (from Info.Defs and
// Info.Uses), or the record field or parameter it names.

// target is what a position names.
type target struct {
	file *lang.FileNode
	path []lang.Node  // outermost first
	id   *lang.Ident  // the identifier at the position, or nil
	obj  *lang.Object // what id declares or refers to

	record *lang.Record // id names a field of record
	field  *lang.Field
	call   *lang.Call // id names a parameter of call's callee (named argument)
	param  int
	// paramObj is the declared parameter that a named argument names, when
	// the callee is a function of the source (not a builtin).
	paramObj *lang.Object
}

// declared is the object the position names: obj, or for a named
// argument its parameter (paramObj).
func (t target) declared() *lang.Object {
	if t.obj != nil {
		return t.obj
	}
	return t.paramObj
}

// targetAt finds what the offset p of fn names.
func (sn *snapshot) targetAt(fn *lang.FileNode, p lang.Pos) target {
	t := target{file: fn, path: lang.PathEnclosing(fn, p), param: -1}
	if len(t.path) == 0 {
		return t
	}
	id, ok := t.path[len(t.path)-1].(*lang.Ident)
	if !ok {
		return t
	}
	t.id = id
	info := sn.prog.Info
	if o := info.Defs[id]; o != nil {
		t.obj = o
	} else if o := info.Uses[id]; o != nil {
		t.obj = o
	}
	if t.obj != nil || len(t.path) < 2 {
		return t
	}
	switch parent := t.path[len(t.path)-2].(type) {
	case *lang.SelectorExpr:
		if parent.Sel == id {
			if r, ok := lang.Unwrap(info.Types[parent.X]).(*lang.Record); ok {
				t.record = r
			}
		}
	case *lang.Entry:
		if parent.Key == lang.Expr(id) && len(t.path) >= 3 {
			if b, ok := t.path[len(t.path)-3].(*lang.BraceLit); ok {
				if r, ok := info.Lits[b].(*lang.Record); ok {
					t.record = r
				}
			}
		}
	case *lang.FieldType:
		// A field in a written record type: find its record from the type
		// of the enclosing type declaration or parameter, down the fields
		// that hold it.
		for i := len(t.path) - 3; i >= 0; i-- {
			var o *lang.Object
			switch n := t.path[i].(type) {
			case *lang.TypeDecl:
				o = info.Defs[n.Name]
			case *lang.Param:
				o = info.Defs[n.Name]
			default:
				continue
			}
			if o != nil {
				t.record = recordAlong(o.Type, t.path[i+1:len(t.path)-2])
			}
			break
		}
	case *lang.Arg:
		if parent.Name == id && len(t.path) >= 3 {
			if c, ok := t.path[len(t.path)-3].(*lang.CallExpr); ok {
				if call := info.Calls[c]; call != nil && call.Type != nil {
					for i, fp := range call.Type.Params {
						if fp.Name == id.Name {
							t.call, t.param = call, i
						}
					}
					t.paramObj = paramObject(info, call, id.Name)
				}
			}
		}
	}
	if t.record != nil {
		if i := t.record.FieldIndex(id.Name); i >= 0 {
			t.field = t.record.Fields[i]
		} else {
			t.record = nil
		}
	}
	return t
}

// paramObject returns the object of the parameter called name of the
// function that call calls, when it is declared in source, or nil.
func paramObject(info *lang.Info, call *lang.Call, name string) *lang.Object {
	if call == nil || call.Func == nil {
		return nil
	}
	fd, ok := call.Func.Decl.(*lang.FuncDecl)
	if !ok {
		return nil
	}
	for _, p := range fd.Params {
		if p.Name != nil && p.Name.Name == name {
			return info.Defs[p.Name]
		}
	}
	return nil
}

// recordAlong follows, from t, the fields that path's field types name
// (the nodes between a declaration and the field type of the name, outer
// first) and returns the record type that holds the last of them. The
// record may be an element of a list, a map or an optional, as written.
// A search by name from t took the first record with such a field, which
// in {inner: {id: int}, id: string} made the inner id the outer one.
func recordAlong(t lang.Type, path []lang.Node) *lang.Record {
	for _, n := range path {
		ft, ok := n.(*lang.FieldType)
		if !ok {
			continue
		}
		r := recordIn(t)
		if r == nil {
			return nil
		}
		i := r.FieldIndex(ft.Name.Name)
		if i < 0 {
			return nil
		}
		t = r.Fields[i].Type
	}
	return recordIn(t)
}

// recordIn is the record type t is, or holds as its element.
func recordIn(t lang.Type) *lang.Record {
	for {
		switch u := t.(type) {
		case *lang.Record:
			return u
		case *lang.List:
			t = u.Elem
		case *lang.Map:
			t = u.Elem
		case *lang.Optional:
			t = u.Elem
		default:
			return nil
		}
	}
}

// declFile returns the parsed file that declares obj, or nil for objects
// without a declaration in source (builtins, enum members).
func declFile(obj *lang.Object) *lang.FileNode {
	if obj == nil || obj.Pkg == nil || obj.Decl == nil {
		return nil
	}
	p := obj.Pos()
	for _, f := range obj.Pkg.Files {
		if int(p) > len(f.File.Src) {
			continue
		}
		for _, d := range topDecls(f, p) {
			for _, n := range lang.PathEnclosing(d, p) { // d first
				if n == obj.Decl {
					return f
				}
			}
		}
	}
	return nil
}

// topDecls returns the imports, extends and declarations of f that hold
// the offset p. The declarations are in source order: it searches them,
// where lang.PathEnclosing would list and sort them all for each look-up
// (completion looks up every declaration).
func topDecls(f *lang.FileNode, p lang.Pos) []lang.Node {
	var out []lang.Node
	for _, imp := range f.Imports {
		if imp.Span().Contains(p) {
			out = append(out, imp)
		}
	}
	if f.Extends != nil && f.Extends.Span().Contains(p) {
		out = append(out, f.Extends)
	}
	i := sort.Search(len(f.Decls), func(i int) bool { return f.Decls[i].Span().End >= p })
	for ; i < len(f.Decls) && f.Decls[i].Span().Start <= p; i++ {
		if f.Decls[i].Span().Contains(p) {
			out = append(out, f.Decls[i])
		}
	}
	return out
}

// declName returns the identifier that declares obj in f, or nil.
func declName(obj *lang.Object, f *lang.FileNode) *lang.Ident {
	if f == nil {
		return nil
	}
	path := lang.PathEnclosing(f, obj.Pos())
	if len(path) == 0 {
		return nil
	}
	if id, ok := path[len(path)-1].(*lang.Ident); ok && id.Name == obj.Name {
		return id
	}
	return nil
}

// objDoc is the doc comment of o's declaration (docComment), "" for an
// object declared in no source file (builtins, enum members).
func objDoc(o *lang.Object) string {
	if f := declFile(o); f != nil {
		return docComment(f, o.Decl.Span().Start)
	}
	return ""
}

// docComment returns the comment block that ends on the line before the
// node starting at start (the declaration's doc), without the '#'s.
func docComment(f *lang.FileNode, start lang.Pos) string {
	line := f.File.Position(start).Line
	var lines []string
	// The comments are in source order: start from the last one before
	// start, so that a look-up costs the block it reads, not the file.
	first := sort.Search(len(f.Comments), func(i int) bool { return f.Comments[i].Sp.Start >= start })
	for i := first - 1; i >= 0; i-- {
		c := f.Comments[i]
		cl := f.File.Position(c.Sp.Start).Line
		if cl != line-1 {
			if cl < line-1 {
				break
			}
			continue
		}
		// Only a comment on a line of its own is a doc comment.
		if strings.TrimSpace(f.File.Line(cl)[:f.File.Position(c.Sp.Start).Col-1]) != "" {
			break
		}
		lines = append(lines, strings.TrimPrefix(strings.TrimPrefix(c.Text, "#"), " "))
		line = cl
	}
	for i, j := 0, len(lines)-1; i < j; i, j = i+1, j-1 {
		lines[i], lines[j] = lines[j], lines[i]
	}
	return strings.Join(lines, "\n")
}

// trailingComment returns the comment after code on the line of p, if any.
func trailingComment(f *lang.FileNode, p lang.Pos) string {
	line := f.File.Position(p).Line
	// The first comment after p, if on its line (comments are in order).
	i := sort.Search(len(f.Comments), func(i int) bool { return f.Comments[i].Sp.Start > p })
	if i < len(f.Comments) && f.File.Position(f.Comments[i].Sp.Start).Line == line {
		return strings.TrimSpace(strings.TrimPrefix(f.Comments[i].Text, "#"))
	}
	return ""
}

// innermostScope returns the innermost scope at p in file fn of the
// snapshot's program: the scope of a function, test, block, lambda or
// match arm, else the file's scope; nil when fn was not checked.
func (sn *snapshot) innermostScope(fn *lang.FileNode, p lang.Pos) *lang.Scope {
	for _, pkg := range sn.prog.Packages {
		for _, fs := range pkg.Scope.Children {
			if fs.Node == lang.Node(fn) {
				return fs.Innermost(p)
			}
		}
	}
	return nil
}

// visibleAt reports whether a local declared by obj is in scope at p: a
// let binding only after its statement.
func visibleAt(obj *lang.Object, p lang.Pos) bool {
	if l, ok := obj.Decl.(*lang.LetStmt); ok {
		return l.Sp.End <= p
	}
	return true
}
