package lsp

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// TestSnapshotsOfOpenDocuments: the server keeps the snapshots of the
// open documents' policies only, one each, and the last snapshot in
// which a file parsed only for an open file: those of documents opened
// and closed, and of requests on files never opened (any URI a client
// names), are dropped. Both were kept for the session, one per policy
// and per file ever checked.
func TestSnapshotsOfOpenDocuments(t *testing.T) {
	u, err := stdlib.Universe()
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{Universe: u, Debounce: time.Hour}) // no flush: the test checks
	defer func() {
		s.mu.Lock()
		s.timer.Stop()
		s.mu.Unlock()
	}()
	dir := t.TempDir()
	src := func(v int) string {
		return fmt.Sprintf("package p\n\nfn route(r: Request) -> Decision = to(\"a:%d\")\n", v)
	}
	broken := "package p\n\nfn route(r: Request) -> Decision = to(\n"
	open := func(path, text string) {
		s.didOpen(&protocol.DidOpenTextDocumentParams{TextDocument: protocol.TextDocumentItem{URI: pathToURI(path), LanguageID: "rpl", Version: 1, Text: text}})
	}
	change := func(path string, v int, text string) {
		s.didChange(&protocol.DidChangeTextDocumentParams{
			TextDocument:   protocol.VersionedTextDocumentIdentifier{TextDocumentIdentifier: protocol.TextDocumentIdentifier{URI: pathToURI(path)}, Version: protocol.Integer(v)},
			ContentChanges: []any{protocol.TextDocumentContentChangeEventWhole{Text: text}},
		})
	}
	closeDoc := func(path string) {
		s.didClose(&protocol.DidCloseTextDocumentParams{TextDocument: protocol.TextDocumentIdentifier{URI: pathToURI(path)}})
	}
	var want []string // the paths left open
	for i := range 12 {
		path := filepath.Join(dir, fmt.Sprintf("p%d.rpl", i))
		if i%3 == 2 {
			path = lang.TestFileName(path) // a test file: its policy's snapshot
		}
		open(path, src(0))
		for v := 1; v <= 3; v++ {
			change(path, v+1, src(v))
			s.snapshotFor(path)
		}
		change(path, 5, broken) // the last parsed snapshot kept aside
		s.goodOf(s.lastSnapshot(path), path)
		if i%4 == 0 {
			want = append(want, path)
			continue
		}
		closeDoc(path)
	}
	for i := range 5 { // requests on files never opened
		s.snapshotFor(filepath.Join(dir, fmt.Sprintf("never%d.rpl", i)))
		p := filepath.Join(dir, fmt.Sprintf("never%d.rpl", i))
		s.goodOf(s.lastSnapshot(p), p)
	}
	wantPolicies := make([]string, len(want))
	for i, p := range want {
		wantPolicies[i] = policyOf(p)
	}
	slices.Sort(wantPolicies)
	s.mu.Lock()
	defer s.mu.Unlock()
	if got := slices.Sorted(maps.Keys(s.snaps)); !slices.Equal(got, wantPolicies) {
		t.Errorf("snapshots kept of %q, want those of the open documents' policies %q", got, wantPolicies)
	}
	for p := range s.good {
		if s.docs[p] == nil {
			t.Errorf("the last parsed snapshot of %s kept, a file not open", p)
		}
	}
}
