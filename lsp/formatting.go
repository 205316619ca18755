package lsp

import (
	"bytes"

	"github.com/rpl-lang/rpl/lang"
	"github.com/tliron/glsp"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// formatting formats a document with the canonical formatter
// (lang.FormatSource); there are no options, RPL has one layout. A file
// with syntax errors is left alone (no edits): the diagnostics say why.
func (s *Server) formatting(_ *glsp.Context, p *protocol.DocumentFormattingParams) ([]protocol.TextEdit, error) {
	path := uriToPath(p.TextDocument.URI)
	cur := s.text(path)
	if cur == nil {
		return nil, nil
	}
	out, err := lang.FormatSource(path, cur.Src)
	if err != nil || bytes.Equal(out, cur.Src) {
		return []protocol.TextEdit{}, nil
	}
	whole := lang.Span{Start: 0, End: lang.Pos(len(cur.Src))}
	return []protocol.TextEdit{{Range: toRange(cur, whole), NewText: string(out)}}, nil
}
