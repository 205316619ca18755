package lsp

import (
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rpl-lang/rpl/lang"
	"github.com/tliron/glsp"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// codeAction offers the quick fixes of the diagnostics touching the range:
// those the diagnostics carry (lang.Fix, such as "change lenght to
// length") and those derived from a message that names its edit (fixesOf).
func (s *Server) codeAction(_ *glsp.Context, p *protocol.CodeActionParams) (any, error) {
	path := uriToPath(p.TextDocument.URI)
	sn := s.snapshotFor(path)
	fn := sn.fileNode(path)
	if fn == nil {
		return []protocol.CodeAction{}, nil
	}
	want := toSpan(fn.File, p.Range)
	kind := protocol.CodeActionKindQuickFix
	actions := []protocol.CodeAction{}
	for _, d := range sn.diags {
		if d.File == nil || filepath.Clean(d.File.Name) != path {
			continue
		}
		if d.Span.End < want.Start || d.Span.Start > want.End {
			continue
		}
		fixes := fixesOf(d, fn, sn)
		if len(fixes) == 0 {
			continue
		}
		diag := s.toDiagnostic(d)
		for _, fx := range fixes {
			preferred := len(fixes) == 1
			actions = append(actions, protocol.CodeAction{
				Title:       title(fx.Title),
				Kind:        &kind,
				Diagnostics: []protocol.Diagnostic{diag},
				IsPreferred: &preferred,
				Edit: &protocol.WorkspaceEdit{Changes: map[protocol.DocumentUri][]protocol.TextEdit{
					p.TextDocument.URI: {{Range: toRange(d.File, fx.Span), NewText: fx.NewText}},
				}},
			})
		}
	}
	return actions, nil
}

// title is a fix's title as editors show one, in sentence case: lang's
// "change lenght to length" is offered as "Change lenght to length".
func title(t string) string {
	r, n := utf8.DecodeRuneInString(t)
	return string(unicode.ToUpper(r)) + t[n:]
}

// fixesOf returns the quick fixes of d: those it carries, else those its
// message names exactly, which lang reports without a Fix:
//
//   - RPL100, a top-level line whose fn was forgotten ("unexpected name g,
//     expected a declaration (did you mean fn g(...)?)"), spanning the
//     name: fn is inserted before it;
//   - RPL203, an import of an unknown standard module ("unknown standard
//     module std/cots (did you mean std/cost?)"), spanning the path: the
//     path is replaced;
//   - RPL101, an invalid character that stands for a valid one ("(write
//     <=)", "(a dash: the minus is -)", an invisible space, a Greek mu):
//     the character is replaced or deleted;
//   - RPL300, the default of ?? read as a comparison ("?? binds more
//     loosely than >, … write (x ?? 1s) > d)"), spanning that comparison:
//     the ?? and the comparison's left operand are parenthesised;
//   - RPL318, a match pattern naming a variable that hides a member of the
//     enum matched ("timeout is a variable here, which hides the member of
//     Trigger: write Trigger.timeout"), spanning the name: it is qualified,
//     when the enum's name denotes the enum there;
//   - RPL202, a function of the policy called with method syntax
//     ("(norm is a function of the policy, which method syntax does not
//     call: write norm(r.model))"), spanning the name: x.f(args) is
//     rewritten f(x, args), the call found in fn, the file's tree.
//
// Each is offered only when the source at the span, or the tree around
// it, is what the message says it is, so that a message reworded in lang
// makes no wrong edit (it makes none: a Fix that lang attached would be
// sturdier, see lang.Fix).
func fixesOf(d *lang.Diagnostic, fn *lang.FileNode, sn *snapshot) []lang.Fix {
	if len(d.Fixes) > 0 {
		return d.Fixes
	}
	src := d.File.Src
	if d.Span.Start < 0 || d.Span.End < d.Span.Start || int(d.Span.End) > len(src) {
		return nil
	}
	at := string(src[d.Span.Start:d.Span.End])
	switch d.Code {
	case lang.CodeSyntax:
		if m := strayFn.FindStringSubmatch(d.Message); m != nil && m[1] == at && m[2] == at {
			return []lang.Fix{{Title: "insert fn", Span: lang.Span{Start: d.Span.Start, End: d.Span.Start}, NewText: "fn "}}
		}
	case lang.CodeImportNotFound:
		if m := unknownStd.FindStringSubmatch(d.Message); m != nil {
			if v, err := strconv.Unquote(at); err == nil && v == m[1] {
				return []lang.Fix{{Title: "change " + m[1] + " to " + m[2], Span: d.Span, NewText: strconv.Quote(m[2])}}
			}
		}
	case lang.CodeUnknownField:
		if m := methodOfPolicy.FindStringSubmatch(d.Message); m != nil && m[1] == at && m[2] == at && fn != nil && fn.File == d.File {
			if fx, ok := callAsFunction(fn, d.Span); ok {
				fx.Title = "call " + m[3]
				return []lang.Fix{fx}
			}
		}
	case lang.CodeMismatch:
		if m := looseDefault.FindStringSubmatch(d.Message); m != nil && fn != nil && fn.File == d.File {
			if fx, ok := bindDefault(fn, d.Span); ok {
				fx.Title = "change to " + m[1]
				return []lang.Fix{fx}
			}
		}
	case lang.CodeInvalidPattern:
		m := hiddenMember.FindStringSubmatch(d.Message)
		if m == nil || m[1] != at || m[2] != m[3] || m[4] != at || fn == nil || fn.File != d.File {
			break
		}
		// The enum's name as the checker resolves it there (enumTypeName):
		// a value of that name hides the type.
		sc := sn.innermostScope(fn, d.Span.Start)
		if sc == nil || sn.prog == nil || sn.prog.Universe == nil {
			break
		}
		o := sc.LookupParent(m[2])
		if o == nil {
			o = sn.prog.Universe.Types[m[2]]
		}
		if o == nil || o.Kind != lang.ObjType {
			break
		}
		if en, ok := o.Type.(*lang.Enum); ok && en.Name == m[2] && slices.Contains(en.Members, at) {
			return []lang.Fix{{Title: "change " + at + " to " + m[2] + "." + at, Span: d.Span, NewText: m[2] + "." + at}}
		}
	case lang.CodeInvalidChar:
		m := invalidChar.FindStringSubmatch(d.Message)
		if m == nil {
			break
		}
		if c, err := strconv.Unquote(m[1]); err != nil || c != at {
			break
		}
		hint := m[2]
		switch {
		case strings.HasPrefix(hint, "write ") && !strings.ContainsAny(hint[len("write "):], " \t"):
			to := hint[len("write "):]
			return []lang.Fix{{Title: "change " + at + " to " + to, Span: d.Span, NewText: to}}
		case hint == "a dash: the minus is -":
			return []lang.Fix{{Title: "change " + at + " to -", Span: d.Span, NewText: "-"}}
		case hint == "an invisible space: delete it":
			return []lang.Fix{{Title: "delete the invisible space", Span: d.Span, NewText: ""}}
		case at == "\u03bc" && strings.Contains(hint, "micro sign U+00B5"):
			return []lang.Fix{{Title: "change the Greek mu to the micro sign µ", Span: d.Span, NewText: "\u00b5"}}
		}
	}
	return nil
}

// callAsFunction rewrites the call x.f(args) whose f spans sel as
// f(x, args), unless a comment stands between x and the parenthesis.
func callAsFunction(fn *lang.FileNode, sel lang.Span) (lang.Fix, bool) {
	var call *lang.CallExpr
	var x lang.Expr
	lang.Inspect(fn, func(n lang.Node) bool {
		if call != nil || !n.Span().Contains(sel.Start) {
			return false
		}
		if c, ok := n.(*lang.CallExpr); ok {
			if s, ok := c.Fun.(*lang.SelectorExpr); ok && s.Sel != nil && s.Sel.Span() == sel && s.X != nil {
				call, x = c, s.X
				return false
			}
		}
		return true
	})
	src := fn.File.Src
	if call == nil || call.Lparen < sel.End || int(call.Lparen) >= len(src) || src[call.Lparen] != '(' {
		return lang.Fix{}, false
	}
	name := string(src[sel.Start:sel.End])
	recv := string(src[x.Span().Start:x.Span().End])
	if strings.Join(strings.Fields(string(src[x.Span().End:call.Lparen])), "") != "."+name {
		return lang.Fix{}, false
	}
	sep := ""
	if len(call.Args) > 0 {
		sep = ", "
	}
	// One edit, from the receiver to just inside the parenthesis.
	return lang.Fix{
		Span:    lang.Span{Start: x.Span().Start, End: call.Lparen + 1},
		NewText: name + "(" + recv + sep,
	}, true
}

// bindDefault parenthesises x ?? a in x ?? a op b, whose a op b spans y.
func bindDefault(fn *lang.FileNode, y lang.Span) (lang.Fix, bool) {
	var from, to lang.Pos
	found := false
	lang.Inspect(fn, func(n lang.Node) bool {
		if found || !n.Span().Contains(y.Start) {
			return false
		}
		if e, ok := n.(*lang.BinaryExpr); ok && e.Op == "??" && e.X != nil && e.Y != nil && e.Y.Span() == y {
			if b, ok := e.Y.(*lang.BinaryExpr); ok && b.Op != "??" && b.X != nil {
				from, to, found = e.X.Span().Start, b.X.Span().End, true
				return false
			}
		}
		return true
	})
	if !found || from > to || int(to) > len(fn.File.Src) {
		return lang.Fix{}, false
	}
	return lang.Fix{Span: lang.Span{Start: from, End: to}, NewText: "(" + string(fn.File.Src[from:to]) + ")"}, true
}

var (
	hiddenMember   = regexp.MustCompile(`: (\S+) is a variable here, which hides the member of (\S+): write (\S+)\.(\S+)$`)
	looseDefault   = regexp.MustCompile(`^cannot use .* in default of \?\? \(\?\? binds more loosely than \S+, so this reads .*: write (.*)\)$`)
	methodOfPolicy = regexp.MustCompile(`^.* has no field or method (\S+) \((\S+) is a function of the policy, which method syntax does not call: write (.*)\)$`)
	strayFn        = regexp.MustCompile(`^syntax error: unexpected name (\S+), expected a declaration \(did you mean fn (\S+)\(\.\.\.\)\?\)$`)
	unknownStd     = regexp.MustCompile(`^unknown standard module (std/\S+) \(did you mean (std/\S+)\?\)$`)
	invalidChar    = regexp.MustCompile(`^invalid character ("(?:[^"\\]|\\.)*") \((.*)\)$`)
)
