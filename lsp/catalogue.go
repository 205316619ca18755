package lsp

import (
	"path/filepath"

	"github.com/rpl-lang/rpl/compiler/bundle"
)

// catalogueFor is the targets of the catalogue.json beside policy's tree,
// for the warning of a constant target it does not list (RPL221), as
// rplc check reports it for a tree it walks: that of the nearest
// directory holding one, from the policy's own up to the policy's tree
// (treeOf, as for policy ids); the policy's directory alone outside
// every tree. It is nil when there is none, or it is not a catalogue
// (rplc check reports that as RPL217; the editor shows no RPL221 then).
//
// Every catalogue.json looked at, there or not, is recorded as read
// (sn.asked, sn.disk), so that one created, changed or removed on disk
// checks the policy again, as an import does; the file watchers the
// server registers include catalogue.json.
func (s *Server) catalogueFor(policy string, sn *snapshot) []string {
	s.mu.Lock()
	top := treeOf(policy, s.folders)
	s.mu.Unlock()
	for dir := filepath.Dir(policy); ; {
		p := filepath.Join(dir, bundle.CatalogueFile)
		k := textKey(p, nil)
		sn.disk[p], sn.asked[p] = k, true
		if !k.mod.IsZero() {
			return bundle.TreeTargets(dir)
		}
		parent := filepath.Dir(dir)
		if top == "" || dir == top || parent == dir {
			return nil
		}
		if _, ok := under(top, parent); !ok {
			return nil
		}
		dir = parent
	}
}
