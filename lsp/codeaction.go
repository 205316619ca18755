package lsp

import (
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tliron/glsp"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// codeAction offers the quick fixes of the diagnostics touching the range,
// those that lang attached to them (lang.Fix, such as "change lenght to
// length", "insert fn", "call norm(r.model)"), each with its one edit.
func (s *Server) codeAction(_ *glsp.Context, p *protocol.CodeActionParams) (any, error) {
	kind := protocol.CodeActionKindQuickFix
	if !kindRequested(kind, p.Context.Only) {
		// The client asked for other kinds only (source.organizeImports
		// on save): it would drop every quick fix.
		return []protocol.CodeAction{}, nil
	}
	path := uriToPath(p.TextDocument.URI)
	return answer(s, string(protocol.MethodTextDocumentCodeAction), s.pin(path), true, func(sn *snapshot) (any, error) {
		return s.quickFixes(sn, path, p)
	})
}

// quickFixes is codeAction's answer from sn.
func (s *Server) quickFixes(sn *snapshot, path string, p *protocol.CodeActionParams) (any, error) {
	kind := protocol.CodeActionKindQuickFix
	fn := sn.fileNode(path)
	if fn == nil {
		return []protocol.CodeAction{}, nil
	}
	want := toSpan(fn.File, p.Range)
	actions := []protocol.CodeAction{}
	for _, d := range sn.diags {
		if d.File == nil || filepath.Clean(d.File.Name) != path {
			continue
		}
		if d.Span.End < want.Start || d.Span.Start > want.End {
			continue
		}
		if len(d.Fixes) == 0 {
			continue
		}
		diag := s.toDiagnostic(d)
		for _, fx := range d.Fixes {
			preferred := len(d.Fixes) == 1
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
	if t == "" {
		return t
	}
	r, n := utf8.DecodeRuneInString(t)
	return string(unicode.ToUpper(r)) + t[n:]
}

// kindRequested reports whether code actions of kind are among those a
// client asked for in context.only: all when it names none, else those of
// a kind named or a kind under one named (LSP's hierarchy: quickfix.x is
// a quickfix; the empty kind contains them all, as in VS Code).
func kindRequested(kind protocol.CodeActionKind, only []protocol.CodeActionKind) bool {
	if len(only) == 0 {
		return true
	}
	for _, o := range only {
		if o == "" || kind == o || strings.HasPrefix(string(kind), string(o)+".") {
			return true
		}
	}
	return false
}
