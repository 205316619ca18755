package lsp

import (
	"path/filepath"

	"github.com/rpl-lang/rpl/lang"
	"github.com/tliron/glsp"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// codeAction offers the quick fixes that diagnostics carry (lang.Fix, such
// as "change lenght to length") for the diagnostics touching the range.
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
		if d.File == nil || filepath.Clean(d.File.Name) != path || len(d.Fixes) == 0 {
			continue
		}
		if d.Span.End < want.Start || d.Span.Start > want.End {
			continue
		}
		diag := s.toDiagnostic(d)
		for _, fx := range d.Fixes {
			preferred := len(d.Fixes) == 1
			actions = append(actions, protocol.CodeAction{
				Title:       fx.Title,
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

var _ = lang.Fix{}
