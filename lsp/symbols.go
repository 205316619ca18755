package lsp

import (
	"context"
	"strings"

	"github.com/rpl-lang/rpl/lang"
	"github.com/tliron/glsp"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// documentSymbol outlines a file: package, imports, constants, types
// (with their fields), functions (with their parameters) and tests. It
// needs only the parse, so a broken file still has an outline: a broken
// function keeps its header, a broken test its name.
func (s *Server) documentSymbol(_ *glsp.Context, p *protocol.DocumentSymbolParams) (any, error) {
	path := uriToPath(p.TextDocument.URI)
	return parsed(s, string(protocol.MethodTextDocumentDocumentSymbol), path, func(fn *lang.FileNode) (any, error) {
		return fileSymbols(fn), nil
	})
}

func fileSymbols(fn *lang.FileNode) []protocol.DocumentSymbol {
	f := fn.File
	sym := func(name string, kind protocol.SymbolKind, detail string, whole lang.Span, sel lang.Span) protocol.DocumentSymbol {
		ds := protocol.DocumentSymbol{Name: name, Kind: kind, Range: toRange(f, whole), SelectionRange: toRange(f, sel)}
		if detail != "" {
			ds.Detail = &detail
		}
		return ds
	}
	out := []protocol.DocumentSymbol{}
	if fn.Package != nil && fn.Package.Name != nil {
		out = append(out, sym(fn.Package.Name.Name, protocol.SymbolKindPackage, "package", fn.Package.Sp, fn.Package.Name.Sp))
	}
	for _, imp := range fn.Imports {
		name := litName(imp.Path)
		if imp.Alias != nil {
			name += " as " + imp.Alias.Name
		}
		out = append(out, sym(name, protocol.SymbolKindModule, "import", imp.Sp, imp.Path.Sp))
	}
	if fn.Extends != nil {
		out = append(out, sym(litName(fn.Extends.Path), protocol.SymbolKindModule, "extends", fn.Extends.Sp, fn.Extends.Path.Sp))
	}
	for _, d := range fn.Decls {
		switch d := d.(type) {
		case *lang.ConstDecl:
			out = append(out, sym(d.Name.Name, protocol.SymbolKindConstant, srcOf(f, d.Type), d.Sp, d.Name.Sp))
		case *lang.TypeDecl:
			ds := sym(d.Name.Name, protocol.SymbolKindStruct, "", d.Sp, d.Name.Sp)
			if rt, ok := d.Type.(*lang.RecordType); ok {
				for _, ft := range rt.Fields {
					ds.Children = append(ds.Children, sym(ft.Name.Name, protocol.SymbolKindField, srcOf(f, ft.Type), ft.Sp, ft.Name.Sp))
				}
			} else {
				detail := srcOf(f, d.Type)
				ds.Detail = &detail
			}
			out = append(out, ds)
		case *lang.FuncDecl:
			sig := "(" + srcOf(f, paramsSpan(d)) + ")"
			if d.Result != nil {
				sig += " -> " + srcOf(f, d.Result)
			}
			ds := sym(d.Name.Name, protocol.SymbolKindFunction, sig, d.Sp, d.Name.Sp)
			for _, p := range d.Params {
				ds.Children = append(ds.Children, sym(p.Name.Name, protocol.SymbolKindVariable, srcOf(f, p.Type), p.Sp, p.Name.Sp))
			}
			out = append(out, ds)
		case *lang.TestDecl:
			out = append(out, sym(litName(d.Name), protocol.SymbolKindMethod, "test", d.Sp, d.Name.Sp))
		case *lang.BadDecl:
			if name, sel, ok := brokenTest(f.Src, d.Sp); ok {
				out = append(out, sym(name, protocol.SymbolKindMethod, "test", d.Sp, sel))
			}
		}
	}
	return out
}

// brokenTest reads a declaration that did not parse, at sp of src: when
// it starts as a test does, `test "name"` (a test whose body is being
// typed), it returns the test's name and the span of its literal. The
// parser keeps a broken function's header, not a test's.
func brokenTest(src []byte, sp lang.Span) (name string, sel lang.Span, ok bool) {
	var toks []lang.Token
	for t := range lang.Tokens(src[sp.Start:sp.End]) {
		if t.Kind != lang.TokenComment {
			if toks = append(toks, t); len(toks) == 2 {
				break
			}
		}
	}
	if len(toks) < 2 || toks[1].Kind != lang.TokenString || string(src[sp.Start+toks[0].Span.Start:sp.Start+toks[0].Span.End]) != "test" {
		return "", sel, false
	}
	sel = lang.Span{Start: sp.Start + toks[1].Span.Start, End: sp.Start + toks[1].Span.End}
	// The literal's value, as the parser reads it: in a test of its own.
	fn, _ := lang.Parse("", []byte("test "+string(src[sel.Start:sel.End])+" {}"))
	if len(fn.Decls) != 1 {
		return "", sel, false
	}
	td, isTest := fn.Decls[0].(*lang.TestDecl)
	if !isTest || td.Name == nil {
		return "", sel, false
	}
	return litName(td.Name), sel, true
}

// litName names a symbol after a string: its value, or the literal as
// written when that is empty (import "", test ""), since a client refuses
// a symbol without a name, and with it the whole outline (VS Code: "name
// must not be falsy").
func litName(lit *lang.BasicLit) string {
	switch {
	case lit.Value != "":
		return lit.Value
	case lit.Raw != "":
		return lit.Raw
	}
	return `""`
}

type spanNode lang.Span

func (s spanNode) Span() lang.Span { return lang.Span(s) }

// paramsSpan covers a function's parameters.
func paramsSpan(d *lang.FuncDecl) lang.Node {
	if len(d.Params) == 0 {
		return nil
	}
	return spanNode{Start: d.Params[0].Sp.Start, End: d.Params[len(d.Params)-1].Sp.End}
}

// srcOf is the source text of n, or "" for nil.
func srcOf(f *lang.File, n lang.Node) string {
	if n == nil {
		return ""
	}
	switch v := n.(type) {
	case lang.TypeExpr:
		if v == nil {
			return ""
		}
	}
	sp := n.Span()
	if sp.Start < 0 || int(sp.End) > len(f.Src) || sp.End < sp.Start {
		return ""
	}
	return string(f.Src[sp.Start:sp.End])
}

// workspaceSymbol finds top-level declarations by name in every policy of
// the workspace folders: the names holding the query's characters in
// order, ignoring case (lp finds long_prompt), as clients filter the list
// themselves (VS Code, fuzzily: a substring match left out what it would
// have shown). It reads and parses every file of the workspace (200 ms
// for 40 policies of 200 rules) for each query, which a client sends at
// each key typed, canceling the one before: it runs on a goroutine of its
// own (later), cancellable, so that neither the requests after it nor
// the next query wait for it.
func (s *Server) workspaceSymbol(_ *glsp.Context, p *protocol.WorkspaceSymbolParams) ([]protocol.SymbolInformation, error) {
	q := strings.ToLower(p.Query)
	s.later(string(protocol.MethodWorkspaceSymbol), func(ctx context.Context) (any, error) {
		out := []protocol.SymbolInformation{}
		for _, policy := range s.workspacePolicies() {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			for _, path := range []string{policy, lang.TestFileName(policy)} {
				f := s.text(path)
				if f == nil {
					continue
				}
				fn, _ := lang.Parse(path, f.Src)
				for _, ds := range fileSymbols(fn) {
					if ds.Kind == protocol.SymbolKindModule || !subsequence(strings.ToLower(ds.Name), q) {
						continue
					}
					container := ""
					if fn.Package != nil {
						container = fn.Package.Name.Name
					}
					out = append(out, protocol.SymbolInformation{Name: ds.Name, Kind: ds.Kind,
						Location: protocol.Location{URI: s.uriOf(path), Range: ds.SelectionRange}, ContainerName: &container})
				}
			}
		}
		return out, nil
	})
	return nil, nil
}

// subsequence reports whether q's characters occur in s in order.
func subsequence(s, q string) bool {
	for _, r := range q {
		i := strings.IndexRune(s, r)
		if i < 0 {
			return false
		}
		s = s[i+len(string(r)):]
	}
	return true
}
