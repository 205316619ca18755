package lsp

import (
	"path/filepath"
	"strings"

	"github.com/rpl-lang/rpl/lang"
	"github.com/tliron/glsp"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// definition jumps to the declaration of the name under the cursor, in
// whichever file declares it (an imported module, the extended parent
// policy, the test file's policy), or to the file an import or extends
// path names; a named argument goes to its parameter. Builtins and the
// prelude's types have no file to jump to.
func (s *Server) definition(_ *glsp.Context, p *protocol.DefinitionParams) (any, error) {
	return answerAt(s, string(protocol.MethodTextDocumentDefinition), p.TextDocument.URI, p.Position, s.definitionAt)
}

// definitionAt is definition's answer at pos of fn, checked in sn.
func (s *Server) definitionAt(sn *snapshot, fn *lang.FileNode, pos lang.Pos) (any, error) {
	if fn == nil {
		return nil, nil
	}
	t := sn.targetAt(fn, pos)
	if t.id == nil {
		// An import or extends path.
		for i := len(t.path) - 1; i > 0; i-- {
			lit, ok := t.path[i].(*lang.BasicLit)
			if !ok {
				continue
			}
			switch t.path[i-1].(type) {
			case *lang.ImportDecl, *lang.ExtendsDecl:
				if strings.HasPrefix(lit.Value, "std/") {
					return nil, nil
				}
				target := resolveImport(filepath.Dir(fn.File.Name), lit.Value)
				if !s.present(target) {
					return nil, nil // a file to create, not to open (the diagnostic says so)
				}
				return []protocol.Location{{URI: s.uriOf(target)}}, nil
			}
		}
		return nil, nil
	}
	if loc, ok := s.declLocation(t.declared()); ok {
		return []protocol.Location{loc}, nil
	}
	return nil, nil
}

// declLocation is where obj's name is declared, when that is a file the
// editor can open.
func (s *Server) declLocation(obj *lang.Object) (protocol.Location, bool) {
	f := declFile(obj)
	if f == nil {
		return protocol.Location{}, false
	}
	path := filepath.Clean(f.File.Name)
	if !s.present(path) {
		return protocol.Location{}, false // the prelude, or a file since deleted
	}
	sp := lang.Span{Start: obj.Pos(), End: obj.Pos() + lang.Pos(len(obj.Name))}
	if id := declName(obj, f); id != nil {
		sp = id.Sp
	} else if imp, ok := obj.Decl.(*lang.ImportDecl); ok && imp.Alias == nil {
		sp = imp.Path.Sp // the module's name is nowhere in its import: its path
	}
	return protocol.Location{URI: s.uriOf(path), Range: toRange(f.File, sp)}, true
}

// resolveImport resolves an import or extends path as the checker does.
func resolveImport(dir, p string) string {
	if !strings.HasSuffix(p, ".rpl") {
		p += ".rpl"
	}
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(dir, p)
}
