package lsp

import (
	"sort"

	"github.com/rpl-lang/rpl/lang"
	"github.com/tliron/glsp"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// The semantic token legend. Indexes into these slices are the token types
// and modifier bits sent to the client.
var (
	tokenTypes     = []string{"namespace", "type", "enumMember", "function", "method", "parameter", "variable", "property", "string", "number", "comment"}
	tokenModifiers = []string{"declaration", "readonly", "defaultLibrary"}
)

const (
	tokNamespace = iota
	tokType
	tokEnumMember
	tokFunction
	tokMethod
	tokParameter
	tokVariable
	tokProperty
	tokString
	tokNumber
	tokComment
)

const (
	modDeclaration = 1 << iota
	modReadonly
	modDefaultLibrary
)

type semToken struct {
	sp   lang.Span
	typ  int
	mods int
}

// semanticTokens classifies the names of a file by what the checker
// resolved them to (a constant, parameter, function, builtin, type, module,
// enum member, field), which a grammar cannot know, plus literals and
// comments.
func (s *Server) semanticTokens(_ *glsp.Context, p *protocol.SemanticTokensParams) (*protocol.SemanticTokens, error) {
	path := uriToPath(p.TextDocument.URI)
	return answer(s, string(protocol.MethodTextDocumentSemanticTokensFull), s.pin(path), true, func(sn *snapshot) (*protocol.SemanticTokens, error) {
		fn := sn.fileNode(path)
		if fn == nil {
			return &protocol.SemanticTokens{Data: []uint32{}}, nil
		}
		toks := collectTokens(sn.prog.Info, fn)
		return &protocol.SemanticTokens{Data: encodeTokens(fn.File, toks)}, nil
	})
}

func collectTokens(info *lang.Info, fn *lang.FileNode) []semToken {
	var toks []semToken
	var stack []lang.Node
	lang.Inspect(fn, func(n lang.Node) bool {
		for len(stack) > 0 && stack[len(stack)-1].Span().End < n.Span().Start {
			stack = stack[:len(stack)-1]
		}
		var parent lang.Node
		if len(stack) > 0 {
			parent = stack[len(stack)-1]
		}
		stack = append(stack, n)
		switch n := n.(type) {
		case *lang.Ident:
			if t, ok := identToken(info, n, parent); ok {
				toks = append(toks, t)
			}
		case *lang.BasicLit:
			switch n.Kind {
			case lang.LitString:
				toks = append(toks, semToken{n.Sp, tokString, 0})
			case lang.LitInt, lang.LitFloat, lang.LitDuration, lang.LitMoney:
				toks = append(toks, semToken{n.Sp, tokNumber, 0})
			}
		}
		return true
	})
	for _, c := range fn.Comments {
		toks = append(toks, semToken{c.Sp, tokComment, 0})
	}
	sort.Slice(toks, func(i, j int) bool { return toks[i].sp.Start < toks[j].sp.Start })
	return toks
}

func identToken(info *lang.Info, id *lang.Ident, parent lang.Node) (semToken, bool) {
	t := semToken{sp: id.Sp}
	o := info.Defs[id]
	if o != nil {
		t.mods |= modDeclaration
	} else {
		o = info.Uses[id]
	}
	if o == nil {
		// A name that resolves to no object is classified by its place,
		// as the name of a field or argument; elsewhere (an undefined
		// name, say, in the value of an argument or field, or left of a
		// dot) it gets no token: it is no property, parameter or module.
		switch p := parent.(type) {
		case *lang.SelectorExpr:
			if p.Sel != id {
				return t, false
			}
			t.typ = tokProperty
		case *lang.Entry:
			if p.Key != lang.Expr(id) {
				return t, false
			}
			t.typ = tokProperty
		case *lang.FieldType:
			if p.Name != id {
				return t, false
			}
			t.typ = tokProperty
		case *lang.Arg:
			if p.Name != id {
				return t, false
			}
			t.typ = tokParameter
		case *lang.PackageClause:
			if p.Name != id {
				return t, false
			}
			t.typ = tokNamespace
		default:
			return t, false
		}
		return t, true
	}
	if o.Pkg == nil || o.Pkg.Path == "std/prelude.rpl" {
		t.mods |= modDefaultLibrary
	}
	switch o.Kind {
	case lang.ObjConst:
		t.typ, t.mods = tokVariable, t.mods|modReadonly
	case lang.ObjVar:
		t.typ = tokVariable
		switch o.Decl.(type) {
		case *lang.Param, *lang.Ident:
			t.typ = tokParameter
		}
	case lang.ObjFunc:
		t.typ = tokFunction
	case lang.ObjBuiltin:
		t.typ = tokFunction
		if sel, ok := parent.(*lang.SelectorExpr); ok && sel.Sel == id {
			if x, ok := sel.X.(*lang.Ident); !ok || info.Uses[x] == nil || info.Uses[x].Kind != lang.ObjModule {
				t.typ = tokMethod
			}
		}
	case lang.ObjType:
		t.typ = tokType
	case lang.ObjModule:
		t.typ = tokNamespace
	case lang.ObjEnum:
		t.typ, t.mods = tokEnumMember, t.mods|modReadonly
	}
	return t, true
}

// encodeTokens writes tokens in LSP's relative encoding (line delta, start
// delta in UTF-16 units, length, type, modifiers). A token that spans
// lines (a comment or string holding a lone CR, which ends a line for the
// client) is written as one token per line, as a client without
// multilineTokenSupport needs.
func encodeTokens(f *lang.File, toks []semToken) []uint32 {
	data := make([]uint32, 0, len(toks)*5)
	var line, char uint32
	emit := func(start, end protocol.Position, t semToken) {
		if start.Line != end.Line || end.Character <= start.Character {
			return
		}
		dl := start.Line - line
		dc := start.Character
		if dl == 0 {
			dc = start.Character - char
		}
		data = append(data, dl, dc, end.Character-start.Character, uint32(t.typ), uint32(t.mods))
		line, char = start.Line, start.Character
	}
	starts := f.EditorLines()
	for _, t := range toks {
		start, end := toPosition(f, t.sp.Start), toPosition(f, t.sp.End)
		for l := start.Line; l < end.Line && int(l)+1 < len(starts); l++ {
			// The part on line l, up to its line end (\r\n, \n or \r).
			next := int(starts[l+1])
			stop := next - 1
			if f.Src[stop] == '\n' && stop > 0 && f.Src[stop-1] == '\r' {
				stop--
			}
			emit(start, toPosition(f, lang.Pos(stop)), t)
			start = toPosition(f, lang.Pos(next))
		}
		emit(start, end, t)
	}
	return data
}
