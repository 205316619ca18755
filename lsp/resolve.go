package lsp

import (
	"bytes"
	"slices"
	"sort"

	"github.com/rpl-lang/rpl/internal/linediff"
	"github.com/rpl-lang/rpl/lang"
)

// This file serves completion and signature help, which run while the
// line being typed does not parse: they read the text before the cursor
// and resolve the names they find in the scopes and types of the last
// snapshot, mapping the cursor across the edits made since.

// mapPos maps an offset of the current text cur to the text old that a
// snapshot checked: offsets before the first difference stay, offsets after
// the last difference shift by the change in length. An offset between
// them (the texts differ in more than one place: the file broken in one
// place while a line is typed in another) maps by lines where its line
// and the text before it on the line are old's too (mapByLines), else to
// the first difference. Use it for what must be at the same place in old
// (the expression ending there); mapScopePos for a place in the same
// scope.
func mapPos(old, cur []byte, p lang.Pos) lang.Pos { return mapPosIn(old, cur, p, false) }

// mapScopePos is mapPos for a scope lookup: an offset on a line that is
// new, or that differs from old before the offset, goes to the end of the
// last line before it that old has too, whose scope is the cursor's. The
// first difference may be far above, outside the function: "d." on a
// line found no d when a line above did not parse.
func mapScopePos(old, cur []byte, p lang.Pos) lang.Pos { return mapPosIn(old, cur, p, true) }

func mapPosIn(old, cur []byte, p lang.Pos, scope bool) lang.Pos {
	n := min(len(old), len(cur))
	pre := 0
	for pre < n && old[pre] == cur[pre] {
		pre++
	}
	if int(p) <= pre {
		return p
	}
	suf := 0
	for suf < n-pre && old[len(old)-1-suf] == cur[len(cur)-1-suf] {
		suf++
	}
	if int(p) >= len(cur)-suf {
		return p - lang.Pos(len(cur)-len(old))
	}
	if q, ok := mapByLines(old, cur, int(p), scope); ok {
		return lang.Pos(q)
	}
	return lang.Pos(pre)
}

// mapByLines maps the offset p of cur to old through the lines that a
// shortest line edit script from old to cur keeps: on a kept line, to the
// same column; on a changed line, to the same column of the changed old
// line in its place while both lines agree up to it; else, for a scope,
// to the end of the last kept line before it.
func mapByLines(old, cur []byte, p int, scope bool) (int, bool) {
	a, b := lineSpans(old), lineSpans(cur)
	kept, ok := linediff.Common(len(a), len(b), func(i, j int) bool {
		return bytes.Equal(old[a[i][0]:a[i][1]], cur[b[j][0]:b[j][1]])
	}, maxFormatEdits)
	if !ok {
		return 0, false
	}
	l := sort.Search(len(b), func(j int) bool { return b[j][0] > p }) - 1
	col := p - b[l][0]
	i0, j0, i1 := -1, -1, len(a) // the kept lines around l
	for _, k := range kept {
		if k[1] == l {
			return a[k[0]][0] + min(col, a[k[0]][1]-a[k[0]][0]), true
		}
		if k[1] > l {
			i1 = k[0]
			break
		}
		i0, j0 = k[0], k[1]
	}
	if i := i0 + (l - j0); i < i1 {
		o, c := old[a[i][0]:a[i][1]], cur[b[l][0]:b[l][1]]
		n := 0
		for n < len(o) && n < len(c) && o[n] == c[n] {
			n++
		}
		if col <= n {
			return a[i][0] + col, true
		}
	}
	if !scope || i0 < 0 {
		return 0, false
	}
	return a[i0][1], true
}

// lineSpans splits src into lines after each "\n": the span of each
// line's text, without its line end.
func lineSpans(src []byte) [][2]int {
	var out [][2]int
	for start := 0; ; {
		n := bytes.IndexByte(src[start:], '\n')
		if n < 0 {
			return append(out, [2]int{start, len(src)})
		}
		end := start + n
		if end > start && src[end-1] == '\r' {
			end--
		}
		out = append(out, [2]int{start, end})
		start += n + 1
	}
}

func isIdentByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// wordBefore returns the start of the identifier that ends at p.
func wordBefore(src []byte, p int) int {
	i := p
	for i > 0 && isIdentByte(src[i-1]) {
		i--
	}
	return i
}

// chainBefore reads the selector chain `a.b.c` that ends at p (just
// before a dot or a parenthesis) and returns its names; complex reports
// that the chain starts after a closing bracket or quote (a call result,
// an index, a literal), whose type only the snapshot knows. Spaces, line
// ends and comments may stand around its dots: `r` ⏎ `.tenant`.
func chainBefore(src []byte, p int) (names []string, start int, complex bool) {
	end := p
	for {
		w := wordBefore(src, end)
		if w == end {
			if end > 0 && (src[end-1] == ')' || src[end-1] == ']' || src[end-1] == '"' || src[end-1] == '}') {
				complex = true
			}
			break
		}
		names = append([]string{string(src[w:end])}, names...)
		start = w
		if d := prevCode(src, w); d >= 0 && src[d] == '.' {
			end = codeEnd(src, d)
			continue
		}
		break
	}
	return names, start, complex
}

// codeEnd is the end of the code before p: p, less the spaces, line ends
// and comments before it. A method chain is written one call a line, each
// line starting with its dot (as rplc fmt lays it out): the receiver of
// `.` ends on a line above.
func codeEnd(src []byte, p int) int { return prevCode(src, p) + 1 }

// resolved is what a chain of names denotes.
type resolved struct {
	typ    lang.Type    // a value of this type
	module *lang.Object // an imported module
	enum   *lang.Enum   // an enum type (Trigger.)
	super  bool         // super: the parent policy
	obj    *lang.Object // the last name's object, when it has one
}

// resolveChain resolves names in the scope at the snapshot offset p of fn.
func (s *Server) resolveChain(sn *snapshot, fn *lang.FileNode, p lang.Pos, names []string) (r resolved, ok bool) {
	if len(names) == 0 {
		return r, false
	}
	var scope *lang.Scope
	if fn != nil {
		scope = sn.innermostScope(fn, p)
	}
	first := names[0]
	var o *lang.Object
	if scope != nil {
		if o = scope.LookupParent(first); o != nil && o.HiddenFrom(fn) {
			o = nil // the test file's, which the policy does not see
		}
	}
	if o == nil {
		o = s.u.Scope.Lookup(first)
	}
	switch {
	case first == "super" && sn.prog.Main != nil && sn.prog.Main.Extends != nil:
		r.super = true
	case o == nil:
		if t := s.u.Types[first]; t != nil {
			if e, ok := t.Type.(*lang.Enum); ok {
				r.enum = e
				break
			}
		}
		return r, false
	case o.Kind == lang.ObjModule:
		r.module, r.obj = o, o
	case o.Kind == lang.ObjVar || o.Kind == lang.ObjConst || o.Kind == lang.ObjEnum:
		r.typ, r.obj = o.Type, o
	case o.Kind == lang.ObjType && isEnum(o.Type):
		r.enum, r.obj = o.Type.(*lang.Enum), o // type Reason = Trigger
	default:
		r.obj = o
		if len(names) > 1 {
			return r, false
		}
		return r, true
	}
	for _, name := range names[1:] {
		switch {
		case r.module != nil:
			m := r.module
			r.module = nil
			if m.Module == nil {
				return r, false // std modules have only functions
			}
			mo := m.Module.Scope.Lookup(name)
			switch {
			case mo != nil && mo.Kind == lang.ObjConst:
				r.typ, r.obj = mo.Type, mo
			case mo != nil && mo.Kind == lang.ObjType && isEnum(mo.Type):
				r.enum, r.obj = mo.Type.(*lang.Enum), mo
			default:
				return r, false
			}
		case r.enum != nil:
			// Trigger.timeout: a value of the enum.
			if !slices.Contains(r.enum.Members, name) {
				return r, false
			}
			r.typ, r.enum, r.obj = r.enum, nil, nil
		case r.typ != nil:
			rec, ok := r.typ.(*lang.Record)
			if !ok {
				return r, false
			}
			i := rec.FieldIndex(name)
			if i < 0 {
				return r, false
			}
			r.typ, r.obj = rec.Fields[i].Type, nil
		default:
			return r, false
		}
	}
	return r, true
}

func isEnum(t lang.Type) bool {
	_, ok := t.(*lang.Enum)
	return ok
}

// exprEndingAt returns the innermost expression of fn that ends at the
// snapshot offset p and has a type with members, and that type (a call
// result or an index before a dot), or nil.
func exprEndingAt(sn *snapshot, fn *lang.FileNode, p lang.Pos) (lang.Expr, lang.Type) {
	var best lang.Expr
	var bt lang.Type
	lang.Inspect(fn, func(n lang.Node) bool {
		sp := n.Span()
		if sp.Start > p || sp.End < p {
			return false
		}
		if e, ok := n.(lang.Expr); ok && sp.End == p {
			// Invalid (an error) or void (no value: an if without
			// else) has no members.
			if t := sn.prog.Info.Types[e]; !lang.IsInvalid(t) && !isVoid(t) {
				best, bt = e, t // the innermost wins: it is visited last
			}
		}
		return true
	})
	return best, bt
}

func isVoid(t lang.Type) bool {
	b, ok := t.(*lang.Basic)
	return ok && b.Kind == lang.Void
}

// receiverFits reports whether a value of type t may be the first argument
// of a builtin whose first parameter has type pt (type variables match
// anything).
func receiverFits(pt, t lang.Type) bool {
	switch p := pt.(type) {
	case *lang.TypeVar:
		return true
	case *lang.List:
		l, ok := t.(*lang.List)
		return ok && receiverFits(p.Elem, l.Elem)
	case *lang.Map:
		m, ok := t.(*lang.Map)
		return ok && receiverFits(p.Key, m.Key) && receiverFits(p.Elem, m.Elem)
	case *lang.Optional:
		if o, ok := t.(*lang.Optional); ok {
			return receiverFits(p.Elem, o.Elem)
		}
		return receiverFits(p.Elem, t)
	}
	return lang.AssignableTo(t, pt)
}

// methods lists the universal builtins callable as t.name(...).
func (s *Server) methods(t lang.Type) []*lang.Builtin {
	var out []*lang.Builtin
	for _, b := range s.u.Builtins {
		if b.Module == "" && len(b.Type.Params) > 0 && receiverFits(b.Type.Params[0].Type, t) {
			out = append(out, b)
		}
	}
	return out
}
