package lsp

import (
	"bytes"
	"strings"

	"github.com/rpl-lang/rpl/lang"
	"github.com/tliron/glsp"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// signatureHelp shows the signature of the call whose argument list holds
// the cursor, with the active parameter: by position, or by name for a
// named argument (`on: [...]`). Builtin overloads are all listed, active
// the one the call resolved to in the last good check, else the first that
// can take the arguments typed so far; a method-style call (`d.fallback(`)
// drops the receiver.
func (s *Server) signatureHelp(_ *glsp.Context, p *protocol.SignatureHelpParams) (*protocol.SignatureHelp, error) {
	path := uriToPath(p.TextDocument.URI)
	cur := s.text(path)
	if cur == nil {
		return nil, nil
	}
	pos := int(toOffset(cur, p.Position))
	src := cur.Src
	open, commas, named, _, ok := openCall(src, pos)
	if !ok {
		return nil, nil
	}
	return answerGood(s, string(protocol.MethodTextDocumentSignatureHelp), path, func(sn *snapshot) (*protocol.SignatureHelp, error) {
		return s.signatureIn(sn, path, src, pos, open, commas, named)
	})
}

// signatureIn is signatureHelp's answer from the scopes of sn, for the
// call opened at open in src (the text at the request), the cursor at pos
// after commas commas, in the argument named named.
func (s *Server) signatureIn(sn *snapshot, path string, src []byte, pos, open, commas int, named string) (*protocol.SignatureHelp, error) {
	fn := sn.fileNode(path)
	sigs := s.calleeSigs(sn, fn, src, open)
	if len(sigs) == 0 {
		return nil, nil
	}

	help := &protocol.SignatureHelp{}
	active := -1
	for i, sg := range sigs {
		info := protocol.SignatureInformation{}
		var b strings.Builder
		b.WriteString(sg.label + "(")
		activeParam := -1
		for j, fp := range sg.params() {
			if j > 0 {
				b.WriteString(", ")
			}
			from := utf16Len([]byte(b.String()))
			b.WriteString(paramSig(fp))
			to := utf16Len([]byte(b.String()))
			info.Parameters = append(info.Parameters, protocol.ParameterInformation{Label: []uint32{uint32(from), uint32(to)}})
			if (named != "" && fp.Name == named) || (named == "" && j == commas) {
				activeParam = j
			}
		}
		b.WriteString(")")
		if sg.ft != nil {
			b.WriteString(" -> " + typeString(sg.ft.Result))
		}
		info.Label = b.String()
		if sg.doc != "" {
			info.Documentation = protocol.MarkupContent{Kind: protocol.MarkupKindMarkdown, Value: sg.doc}
		}
		if activeParam >= 0 {
			ap := uint32(activeParam)
			info.ActiveParameter = &ap
			if active < 0 {
				active = i
			}
		}
		help.Signatures = append(help.Signatures, info)
	}
	// The overload the checker resolved the call to, when the last good
	// check has the call: the one whose parenthesis is open (not a call
	// written as its first argument, which holds the offset after it).
	if c := callAt(fn, mapPos(fileSrc(fn), src, lang.Pos(open))); c != nil {
		if call := sn.prog.Info.Calls[c]; call != nil && call.Builtin != nil {
			for i, sg := range sigs {
				if sg.b == call.Builtin {
					active = i
				}
			}
		}
	}
	if active < 0 {
		active = 0
	}
	as := uint32(active)
	help.ActiveSignature = &as
	if ap := help.Signatures[active].ActiveParameter; ap != nil {
		help.ActiveParameter = ap
	}
	return help, nil
}

// callAt returns the call of fn whose '(' is at p, or nil.
func callAt(fn *lang.FileNode, p lang.Pos) *lang.CallExpr {
	if fn == nil {
		return nil
	}
	var out *lang.CallExpr
	for _, n := range lang.PathEnclosing(fn, p) {
		if c, ok := n.(*lang.CallExpr); ok && c.Lparen == p {
			out = c
		}
	}
	return out
}

// openCall reads the tokens of src before p (strings and comments aside)
// and finds the innermost unclosed '(' before p, after the last
// declaration keyword that starts a line: its offset, the number of
// commas directly inside it before p, and the name of the named argument
// being written (`on:`), if any; direct reports that no other bracket
// opened since (the cursor is in the argument list itself, not in a
// literal in it).
func openCall(src []byte, p int) (open, commas int, named string, direct, ok bool) {
	type frame struct {
		c      byte
		at     int
		commas int
		argAt  int // start of the current argument
	}
	var stack []frame
	p = min(p, len(src))
	for t := range lang.Tokens(src) {
		i := int(t.Span.Start)
		if i >= p {
			break
		}
		if isProse(t) {
			continue // a comment or a string: its brackets and commas are text
		}
		if (i == 0 || src[i-1] == '\n') && declKeywords[string(src[i:t.Span.End])] &&
			!bytes.HasPrefix(bytes.TrimLeft(src[t.Span.End:], " \t"), []byte(":")) {
			// A declaration starting a line (not a key or named argument
			// `type:`): no call opened before it is open around it (one
			// left unclosed above, being typed).
			stack = stack[:0]
			continue
		}
		switch c := src[i]; c {
		case '(', '[', '{':
			stack = append(stack, frame{c: c, at: i, argAt: i + 1})
		case ')', ']', '}':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case ',':
			if len(stack) > 0 {
				stack[len(stack)-1].commas++
				stack[len(stack)-1].argAt = i + 1
			}
		}
	}
	for i := len(stack) - 1; i >= 0; i-- {
		if stack[i].c == '(' {
			f := stack[i]
			return f.at, f.commas, argName(src[f.argAt:p]), i == len(stack)-1, true
		}
	}
	return 0, 0, "", false, false
}

// declKeywords start the top-level declarations.
var declKeywords = map[string]bool{"package": true, "import": true, "extends": true, "const": true, "type": true, "fn": true, "test": true}

// argName returns the name of the named argument whose text, up to the
// cursor, is arg: its first two tokens, comments aside, are a name (a
// keyword too) and ':'. It returns "" for any other argument.
func argName(arg []byte) string {
	var name string
	for t := range lang.Tokens(arg) {
		text := string(arg[t.Span.Start:t.Span.End])
		switch {
		case t.Kind == lang.TokenComment:
			continue
		case name != "":
			if text == ":" {
				return name
			}
			return ""
		case t.Kind == lang.TokenIdent || lang.IsKeyword(text):
			name = text
		default:
			return ""
		}
	}
	return ""
}

// sig is a callable's signature as the call is written: drop leading
// parameters are not written (the receiver of a method-style call).
type sig struct {
	label string
	ft    *lang.Func
	drop  int
	doc   string
	b     *lang.Builtin // the overload, for a builtin's
}

// params are the parameters written in the call's parentheses.
func (sg sig) params() []*lang.FuncParam {
	if sg.ft == nil || len(sg.ft.Params) < sg.drop {
		return nil
	}
	return sg.ft.Params[sg.drop:]
}

// calleeSigs resolves the callee written before the '(' at open (a
// function, a builtin's overloads, a module member, a method-style builtin
// call, super.f) in the scopes of the snapshot.
func (s *Server) calleeSigs(sn *snapshot, fn *lang.FileNode, src []byte, open int) []sig {
	names, start, complex := chainBefore(src, open)
	if len(names) == 0 {
		return nil
	}
	old := mapScopePos(fileSrc(fn), src, lang.Pos(start))
	name := names[len(names)-1]

	var sigs []sig
	addBuiltins := func(bs []*lang.Builtin, drop int) {
		for _, b := range bs {
			sigs = append(sigs, sig{b.QualifiedName(), b.Type, drop, b.Doc, b})
		}
	}
	addFunc := func(o *lang.Object) {
		ft, _ := o.Type.(*lang.Func)
		sigs = append(sigs, sig{o.Name, ft, 0, objDoc(o), nil})
	}
	if complex || len(names) > 1 {
		var recv resolved
		var rok bool
		if complex && fn != nil && len(names) == 1 {
			if _, t := exprEndingAt(sn, fn, mapPos(fn.File.Src, src, lang.Pos(codeEnd(src, prevCode(src, start))))); t != nil {
				recv, rok = resolved{typ: t}, true
			}
		} else if len(names) > 1 {
			recv, rok = s.resolveChain(sn, fn, old, names[:len(names)-1])
		}
		switch {
		case rok && recv.super:
			if o := sn.prog.Main.Extends.Scope.LookupParent(name); o != nil && o.Kind == lang.ObjFunc {
				addFunc(o)
			}
		case rok && recv.module != nil && recv.module.StdModule != "":
			if o := s.u.Modules[recv.module.StdModule].Lookup(name); o != nil {
				addBuiltins(o.Overloads, 0)
			}
		case rok && recv.module != nil && recv.module.Module != nil:
			if o := recv.module.Module.Scope.Lookup(name); o != nil && o.Kind == lang.ObjFunc {
				addFunc(o)
			}
		default:
			if o := s.u.Scope.Lookup(name); o != nil && o.Kind == lang.ObjBuiltin {
				var bs []*lang.Builtin
				for _, b := range o.Overloads {
					if !rok || recv.typ == nil || receiverFits(b.Type.Params[0].Type, recv.typ) {
						bs = append(bs, b)
					}
				}
				addBuiltins(bs, 1)
			}
		}
	} else if r, rok := s.resolveChain(sn, fn, old, names); rok && r.obj != nil {
		switch r.obj.Kind {
		case lang.ObjFunc:
			addFunc(r.obj)
		case lang.ObjBuiltin:
			addBuiltins(r.obj.Overloads, 0)
		}
	}
	return sigs

}
