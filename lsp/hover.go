package lsp

import (
	"fmt"
	"strings"

	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/tliron/glsp"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// hover shows the type and documentation of the name under the cursor:
// declarations with their doc comments, builtins with every overload's
// signature and doc from their declarations, fields of records (the request
// schema's included) and named arguments, super's parent policy; for
// anything else, the type of the innermost expression, but nothing on a
// name that names nothing (undefined).
func (s *Server) hover(_ *glsp.Context, p *protocol.HoverParams) (*protocol.Hover, error) {
	return answerAt(s, string(protocol.MethodTextDocumentHover), p.TextDocument.URI, p.Position, s.hoverAt)
}

// hoverAt is hover's answer at pos of fn, checked in sn.
func (s *Server) hoverAt(sn *snapshot, fn *lang.FileNode, pos lang.Pos) (*protocol.Hover, error) {
	if fn == nil {
		return nil, nil
	}
	t := sn.targetAt(fn, pos)
	var text string
	var sp lang.Span
	switch {
	case t.obj != nil:
		text, sp = s.describe(sn, t.obj, t.path), t.id.Sp
	case t.field != nil:
		text, sp = describeField(s.u, t.record, t.field), t.id.Sp
	case t.call != nil:
		fp := t.call.Type.Params[t.param]
		text, sp = codeBlock(fmt.Sprintf("parameter %s: %s", fp.Name, fp.Type)), t.id.Sp
	case t.id != nil && t.id.Name == "super":
		if par := extendedBy(sn, fn); par != nil {
			text, sp = codeBlock("super: package "+par.Name)+"\n\nThe parent policy, "+par.Path, t.id.Sp
		}
	default:
		// The innermost expression under the cursor; none when the cursor
		// is in a block but on no expression of it (a comment, a blank
		// line, between statements): the block's type over the whole
		// body, or that of an if or a function around it, says nothing
		// about the place. On a name that names nothing (undefined), the
		// name's own type or its selector's only: that of the call or the
		// condition holding it is not the name's.
		last := 0
		if t.id != nil {
			last = len(t.path) - 1
			if sel, ok := t.path[max(last-1, 0)].(*lang.SelectorExpr); ok && sel.Sel == t.id {
				last--
			}
		}
		for i := len(t.path) - 1; i >= last; i-- {
			if _, ok := t.path[i].(*lang.BlockExpr); ok {
				break
			}
			if e, ok := t.path[i].(lang.Expr); ok {
				if ty := sn.prog.Info.Types[e]; ty != nil && !lang.IsInvalid(ty) {
					text, sp = codeBlock(ty.String()), e.Span()
					break
				}
			}
		}
	}
	if text == "" {
		return nil, nil
	}
	r := toRange(fn.File, sp)
	return &protocol.Hover{Contents: protocol.MarkupContent{Kind: protocol.MarkupKindMarkdown, Value: text}, Range: &r}, nil
}

// extendedBy is the package that the package of fn extends, or nil.
func extendedBy(sn *snapshot, fn *lang.FileNode) *lang.Package {
	for _, pkg := range sn.prog.Packages {
		for _, f := range pkg.Files {
			if f == fn {
				return pkg.Extends
			}
		}
	}
	return nil
}

func codeBlock(s string) string { return "```rpl\n" + s + "\n```" }

// describe renders an object for hover: its declaration and its doc.
func (s *Server) describe(sn *snapshot, o *lang.Object, path []lang.Node) string {
	var head, doc string
	switch o.Kind {
	case lang.ObjBuiltin:
		return describeBuiltin(o, sn.calledBuiltin(path))
	case lang.ObjFunc:
		ft, _ := o.Type.(*lang.Func)
		head = funcSig(o.Name, ft)
	case lang.ObjConst:
		head = fmt.Sprintf("const %s: %s", o.Name, typeString(o.Type))
		if d, ok := o.Decl.(*lang.ConstDecl); ok && d.Value != nil {
			if f := declFile(o); f != nil {
				sp := d.Value.Span()
				if v := string(f.File.Src[sp.Start:sp.End]); len(v) <= 80 && !strings.Contains(v, "\n") {
					head += " = " + v
				}
			}
		}
	case lang.ObjVar:
		what := "let"
		switch o.Decl.(type) {
		case *lang.Param:
			what = "parameter"
		case *lang.Ident:
			what = "lambda parameter"
		}
		head = fmt.Sprintf("%s %s: %s", what, o.Name, typeString(o.Type))
	case lang.ObjType:
		head = "type " + o.Name
		if r, ok := o.Type.(*lang.Record); ok {
			head += " = " + recordLiteral(r)
		} else if o.Type != nil && o.Type.String() != o.Name {
			head += " = " + o.Type.String()
		}
		if e, ok := o.Type.(*lang.Enum); ok {
			head += "\n# members: " + strings.Join(e.Members, ", ")
			doc = enumDoc(e.Name)
		}
	case lang.ObjModule:
		if o.StdModule != "" {
			head = fmt.Sprintf("import \"std/%s\"", o.StdModule)
			doc = "Standard library module: " + strings.Join(s.u.Modules[o.StdModule].Names(), ", ")
		} else if o.Module != nil {
			head = fmt.Sprintf("package %s", o.Module.Name)
			doc = "Module " + o.Module.Path
			if len(o.Module.Files) > 0 {
				if d := fileDoc(o.Module.Files[0]); d != "" {
					doc = d + "\n\n" + doc
				}
			}
		}
	case lang.ObjEnum:
		en, _ := o.Type.(*lang.Enum)
		if en != nil {
			head = fmt.Sprintf("%s.%s", en.Name, o.Name)
			doc = enumDoc(en.Name)
		}
	}
	if f := declFile(o); f != nil && doc == "" {
		start := o.Decl.Span().Start
		doc = docComment(f, start)
		if o.Pkg != nil && o.Pkg != sn.prog.Main {
			doc = strings.TrimSpace(doc + "\n\nDeclared in " + o.Pkg.Path)
		}
	}
	if doc != "" {
		return codeBlock(head) + "\n\n" + doc
	}
	return codeBlock(head)
}

// fileDoc is the comment block at the top of a file.
func fileDoc(f *lang.FileNode) string {
	if f.Package == nil {
		return ""
	}
	return docComment(f, f.Package.Sp.Start)
}

func enumDoc(name string) string {
	for _, e := range stdlib.Enums {
		if e.Name == name {
			return e.Doc
		}
	}
	return ""
}

// resolvedBuiltin returns the overload a call under the cursor resolved to.
func (sn *snapshot) resolvedBuiltin(path []lang.Node) *lang.Builtin {
	for i := len(path) - 1; i >= 0; i-- {
		if c, ok := path[i].(*lang.CallExpr); ok {
			if call := sn.prog.Info.Calls[c]; call != nil && call.Builtin != nil {
				return call.Builtin
			}
			return nil
		}
	}
	return nil
}

// calledBuiltin returns the overload that the call of the identifier
// ending path resolved to: nil when the identifier is not what the
// innermost call around it calls (len in xs.map(len), an error being
// typed, showed map's overload as len's).
func (sn *snapshot) calledBuiltin(path []lang.Node) *lang.Builtin {
	if len(path) == 0 {
		return nil
	}
	id, _ := path[len(path)-1].(*lang.Ident)
	for i := len(path) - 1; i >= 0; i-- {
		c, ok := path[i].(*lang.CallExpr)
		if !ok {
			continue
		}
		fun := c.Fun
		if sel, ok := fun.(*lang.SelectorExpr); ok {
			fun = sel.Sel
		}
		if id == nil || fun != lang.Expr(id) {
			return nil
		}
		return sn.resolvedBuiltin(path[:i+1])
	}
	return nil
}

// describeBuiltin lists a builtin's overloads (the resolved one first)
// with their docs.
func describeBuiltin(o *lang.Object, resolved *lang.Builtin) string {
	var b strings.Builder
	bs := o.Overloads
	if resolved != nil {
		bs = []*lang.Builtin{resolved}
	}
	for i, bi := range bs {
		if i > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(codeBlock(builtinSig(bi)))
		if bi.Doc != "" {
			b.WriteString("\n\n" + bi.Doc)
		}
	}
	if resolved != nil && len(o.Overloads) > 1 {
		fmt.Fprintf(&b, "\n\n(%d overloads)", len(o.Overloads))
	}
	return b.String()
}

// describeField renders a record field, with the doc comment of its
// declaration when it comes from the prelude (the request schema).
func describeField(u *lang.Universe, r *lang.Record, f *lang.Field) string {
	head := fmt.Sprintf("field %s: %s", f.Name, typeString(f.Type))
	owner := r.Name
	if owner == "" {
		owner = recordLiteral(r)
	}
	text := codeBlock(head) + "\n\nField of `" + owner + "`"
	if doc := preludeFieldDoc(u, r.Name, f.Name); doc != "" {
		text += "\n\n" + doc
	}
	return text
}

// preludeFieldDoc finds the comment of a field in the prelude's type
// declarations: the lines before it or the comment after it on its line.
func preludeFieldDoc(u *lang.Universe, record, field string) string {
	o := u.Types[record]
	if o == nil || o.Pkg == nil || len(o.Pkg.Files) == 0 {
		return ""
	}
	f := o.Pkg.Files[0]
	td, ok := o.Decl.(*lang.TypeDecl)
	if !ok {
		return ""
	}
	rt, ok := td.Type.(*lang.RecordType)
	if !ok {
		return ""
	}
	for _, ft := range rt.Fields {
		if ft.Name.Name == field {
			if d := docComment(f, ft.Sp.Start); d != "" {
				return d
			}
			return trailingComment(f, ft.Sp.End)
		}
	}
	return ""
}

// funcSig renders `fn name(a: T, b: U) -> R`.
func funcSig(name string, ft *lang.Func) string {
	if ft == nil {
		return "fn " + name + "(…)"
	}
	var b strings.Builder
	b.WriteString("fn " + name + "(")
	for i, p := range ft.Params {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(paramSig(p))
	}
	b.WriteString(") -> " + typeString(ft.Result))
	return b.String()
}

// paramSig renders a parameter as declared: `name: T`, `name?: T` when
// it may be omitted.
func paramSig(p *lang.FuncParam) string {
	opt := ""
	if p.Optional {
		opt = "?"
	}
	return p.Name + opt + ": " + typeString(p.Type)
}

// builtinSig renders a builtin as declared: `fn cost.month_spend(t: Tenant) -> money`.
func builtinSig(b *lang.Builtin) string { return "fn " + b.QualifiedName() + strings.TrimSpace(b.Sig) }

func typeString(t lang.Type) string {
	if t == nil {
		return "?"
	}
	return t.String()
}

// recordLiteral spells a record type out, one field per line when long.
func recordLiteral(r *lang.Record) string {
	s := r.Literal()
	if len(s) <= 80 {
		return s
	}
	var b strings.Builder
	b.WriteString("{\n")
	for _, f := range r.Fields {
		fmt.Fprintf(&b, "  %s: %s,\n", f.Name, typeString(f.Type))
	}
	b.WriteString("}")
	return b.String()
}
