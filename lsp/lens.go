package lsp

import (
	"github.com/rpl-lang/rpl/lang"
	"github.com/tliron/glsp"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// codeLens puts "run test" above every test declaration and "explain a
// sample decision" above route.
func (s *Server) codeLens(_ *glsp.Context, p *protocol.CodeLensParams) ([]protocol.CodeLens, error) {
	path := uriToPath(p.TextDocument.URI)
	cur := s.text(path)
	if cur == nil {
		return nil, nil
	}
	fn, _ := lang.Parse(path, cur.Src)
	lenses := []protocol.CodeLens{}
	for _, d := range fn.Decls {
		switch d := d.(type) {
		case *lang.TestDecl:
			lenses = append(lenses, protocol.CodeLens{Range: toRange(fn.File, d.Name.Sp), Command: &protocol.Command{
				Title: "▶ run test", Command: CommandRunTest, Arguments: []any{p.TextDocument.URI, d.Name.Value},
			}})
		case *lang.FuncDecl:
			if d.Name.Name == "route" {
				lenses = append(lenses, protocol.CodeLens{Range: toRange(fn.File, d.Name.Sp), Command: &protocol.Command{
					Title: "explain a sample decision", Command: CommandExplain, Arguments: []any{p.TextDocument.URI},
				}})
			}
		}
	}
	return lenses, nil
}

// executeCommand runs a code lens's command.
func (s *Server) executeCommand(_ *glsp.Context, p *protocol.ExecuteCommandParams) (any, error) {
	switch p.Command {
	case CommandRunTest, CommandExplain:
		return nil, refuse("%s: running tests and explaining decisions need the policytest package, which this build lacks", p.Command)
	}
	return nil, refuse("unknown command %s", p.Command)
}
