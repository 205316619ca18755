package lsp_test

import (
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rpl-lang/rpl/lsp"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// A rename is refused when a file it searched does not parse and names
// the target where the parse has no identifier: the code that did not
// parse may use it, and the rename would leave that use behind (it was
// made without it). A syntax error elsewhere, or in a policy that does
// not load the target's file, does not stop a rename.
func TestRenameRefusedWhenUnparsed(t *testing.T) {
	for _, tc := range []struct {
		name, p, q string
		refused    string // the file named by the refusal, or "" when renamed
		edits      int
	}{
		{"own file", "package p\n\nconst lim = 3\n\nfn g() -> int = lim + (\n\nfn route(r: Request) -> Decision = to(\"a:b\").priority(lim)\n",
			"package q\n\nimport \"p\"\n\nfn route(r: Request) -> Decision = to(\"a:b\").priority(p.lim)\n", "p.rpl:5", 0},
		{"importer", "package p\n\nconst lim = 3\n\nfn route(r: Request) -> Decision = to(\"a:b\").priority(lim)\n",
			"package q\n\nimport \"p\"\n\nfn route(r: Request) -> Decision {\n  let x = [p.lim,\n  to(\"a:b\")\n}\n", "q.rpl:6", 0},
		{"elsewhere", "package p\n\nconst lim = 3 # lim\n\nfn g() -> string = \"lim\" + string(5µlim) + (\n\nfn route(r: Request) -> Decision = to(\"a:b\").priority(lim)\n",
			"package q\n\nimport \"p\"\n\nfn route(r: Request) -> Decision = to(\"a:b\").priority(p.lim)\n", "", 3},
		{"unrelated", "package p\n\nconst lim = 3\n\nfn route(r: Request) -> Decision = to(\"a:b\").priority(lim)\n",
			"package q\n\nfn route(r: Request) -> Decision {\n  let lim = 2\n  let x = [lim,\n  to(\"a:b\")\n}\n", "", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, filepath.Join(dir, "p.rpl"), tc.p)
			write(t, filepath.Join(dir, "q.rpl"), tc.q)
			c := newClient(t, dir, lsp.Options{})
			u := c.open("p.rpl")
			var edit protocol.WorkspaceEdit
			err := c.call("textDocument/rename", map[string]any{"textDocument": map[string]any{"uri": u}, "position": pos(2, 7), "newName": "cap"}, &edit)
			if tc.refused != "" {
				if err == nil || !strings.Contains(err.Error(), tc.refused) || !strings.Contains(err.Error(), "does not parse") {
					t.Fatalf("rename: %v, %+v; want it refused for %s", err, edit, tc.refused)
				}
				return
			}
			n := 0
			for _, es := range edit.Changes {
				n += len(es)
			}
			if err != nil || n != tc.edits {
				t.Fatalf("rename: %v, %+v; want %d edits", err, edit, tc.edits)
			}
		})
	}
}

// TestRenameChecksOnce: a rename checks each policy of the workspace
// that is not open once, though the server keeps the snapshots of the
// open policies only: the search of references, the checks of capture
// (at each reference) and of files that do not parse share them.
func TestRenameChecksOnce(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "p.rpl"), "package p\n\nconst lim = 3\n\nfn route(r: Request) -> Decision = to(\"a:b\").priority(lim)\n")
	q := filepath.Join(dir, "q.rpl")
	write(t, q, "package q\n\nimport \"p\"\n\nfn route(r: Request) -> Decision = to(\"a:b\").priority(p.lim + p.lim)\n")
	var mu sync.Mutex
	checks := 0
	lsp.SetCheckHook(func(policy string, joined bool) {
		if policy == q && !joined {
			mu.Lock()
			checks++
			mu.Unlock()
		}
	})
	t.Cleanup(func() { lsp.SetCheckHook(nil) })
	c := newClient(t, dir, lsp.Options{})
	u := c.open("p.rpl")
	c.waitDiags(u, 1)
	mu.Lock()
	checks = 0
	mu.Unlock()
	var edit protocol.WorkspaceEdit
	if err := c.call("textDocument/rename", map[string]any{"textDocument": map[string]any{"uri": u}, "position": pos(2, 7), "newName": "cap"}, &edit); err != nil {
		t.Fatal(err)
	}
	if n := len(edit.Changes[uri(q)]); n != 2 {
		t.Errorf("%d edits in q.rpl, want 2: %+v", n, edit)
	}
	mu.Lock()
	defer mu.Unlock()
	if checks != 1 {
		t.Errorf("q.rpl checked %d times by a rename, want once", checks)
	}
}
