package lsp_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rpl-lang/rpl/lsp"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// A workspace folder with more entries than a walk visits (a client whose
// root is / or a home directory) is walked up to the limit, not to its
// end, and the editor is told once, naming the limit.
func TestWalkFolderLimit(t *testing.T) {
	defer lsp.SetMaxWalkEntries(lsp.SetMaxWalkEntries(50))
	dir := t.TempDir()
	for i := range 200 {
		write(t, filepath.Join(dir, "gen", fmt.Sprintf("f%03d.txt", i)), "")
	}
	write(t, filepath.Join(dir, "lib.rpl"), "package lib\n") // no route: the check lists the workspace's files
	c := newClient(t, dir, lsp.Options{})
	u := c.open("lib.rpl")
	c.waitDiags(u, 1)
	shown := func() []protocol.ShowMessageParams {
		c.mu.Lock()
		defer c.mu.Unlock()
		return append([]protocol.ShowMessageParams(nil), c.shown...)
	}
	got := shown()
	if len(got) != 1 || got[0].Type != protocol.MessageTypeWarning || !strings.Contains(got[0].Message, dir+" has more than 50 entries") {
		t.Fatalf("shown %+v, want one warning naming the limit of 50", got)
	}
	// Walked again (a change on disk under it): not told again.
	c.notify("workspace/didChangeWatchedFiles", map[string]any{"changes": []map[string]any{{"uri": uri(filepath.Join(dir, "gen", "f000.txt")), "type": 2}}})
	v := c.change(u, "package lib\n\n")
	c.waitDiags(u, v)
	if got := shown(); len(got) != 1 {
		t.Fatalf("after a second walk, shown %+v, want the one warning", got)
	}
}

// A library imported only by a policy under node_modules is a library,
// as `rplc check DIR` says (lang.WalkPolicyTree walks every directory but
// hidden ones): the server skipped node_modules, and showed RPL212 on a
// file that `rplc check` passes.
func TestWalkFolderNodeModules(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "lib.rpl"), "package lib\n\nfn helper() -> string = \"h\"\n")
	write(t, filepath.Join(dir, "node_modules", "p", "main.rpl"),
		"package main\n\nimport \"../../lib\"\n\nfn route(r: Request) -> Decision = to(lib.helper())\n")
	c := newClient(t, dir, lsp.Options{})
	u := c.open("lib.rpl")
	if ds := c.waitDiags(u, 1); len(ds) != 0 {
		t.Fatalf("lib.rpl, imported by node_modules/p/main.rpl: %+v, want none", ds)
	}
}

// A node_modules directory of more entries than a walk visits does not
// keep the walk from the policies beside it, which come after it by
// name: node_modules is walked last. The walk stopped inside it, and a
// library imported by a policy beside it was RPL212. The editor is told
// that node_modules was walked in part, not to open the folder that
// holds the policies, which were all found.
func TestWalkFolderNodeModulesLast(t *testing.T) {
	defer lsp.SetMaxWalkEntries(lsp.SetMaxWalkEntries(50))
	dir := t.TempDir()
	for i := range 200 {
		write(t, filepath.Join(dir, "node_modules", "x", fmt.Sprintf("f%03d.js", i)), "")
	}
	write(t, filepath.Join(dir, "policies", "lib.rpl"), "package lib\n\nfn helper() -> string = \"h\"\n")
	write(t, filepath.Join(dir, "policies", "main.rpl"),
		"package main\n\nimport \"lib\"\n\nfn route(r: Request) -> Decision = to(lib.helper())\n")
	c := newClient(t, dir, lsp.Options{})
	u := c.open("policies/lib.rpl")
	if ds := c.waitDiags(u, 1); len(ds) != 0 {
		t.Fatalf("lib.rpl, imported by policies/main.rpl: %+v, want none", ds)
	}
	c.mu.Lock()
	shown := append([]protocol.ShowMessageParams(nil), c.shown...)
	c.mu.Unlock()
	nm := filepath.Join(dir, "node_modules")
	if len(shown) != 1 || !strings.Contains(shown[0].Message, "in "+nm) || !strings.Contains(shown[0].Message, "every .rpl file outside") ||
		strings.Contains(shown[0].Message, "open the folder") {
		t.Errorf("shown %+v, want one warning naming %s, saying the files outside it were found", shown, nm)
	}
}

// The walk of a folder's node_modules directories is kept across the
// walks of the rest of the folder (a change on disk beside them), and
// made again after a change under one: a JavaScript project's
// node_modules, of up to 100,000 entries, was walked whole each time.
// The policies it holds are still found.
func TestWalkFolderNodeModulesKept(t *testing.T) {
	dir := t.TempDir()
	for i := range 600 {
		write(t, filepath.Join(dir, "node_modules", "x", fmt.Sprintf("f%03d.js", i)), "")
	}
	write(t, filepath.Join(dir, "lib.rpl"), "package lib\n\nfn helper() -> string = \"h\"\n")
	write(t, filepath.Join(dir, "node_modules", "p", "main.rpl"),
		"package main\n\nimport \"../../lib\"\n\nfn route(r: Request) -> Decision = to(lib.helper())\n")
	var mu sync.Mutex
	most := 0 // the most entries a walk visited, as walkHook saw
	old := lsp.SetWalkHook(func(_ string, visited int) {
		mu.Lock()
		most = max(most, visited)
		mu.Unlock()
	})
	t.Cleanup(func() { lsp.SetWalkHook(old) })
	walked := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := most
		most = 0
		return n
	}
	c := newClient(t, dir, lsp.Options{})
	u := c.open("lib.rpl")
	if ds := c.waitDiags(u, 1); len(ds) != 0 {
		t.Fatalf("lib.rpl, imported by node_modules/p/main.rpl: %+v, want none", ds)
	}
	if n := walked(); n < 512 {
		t.Fatalf("the first walk visited %d entries, want node_modules's 600", n)
	}
	changed := func(rel string, text string) {
		t.Helper()
		c.notify("workspace/didChangeWatchedFiles", map[string]any{"changes": []map[string]any{{"uri": uri(filepath.Join(dir, rel)), "type": 1}}})
		v := c.change(u, text)
		if ds := c.waitDiags(u, v); len(ds) != 0 {
			t.Fatalf("lib.rpl after a change of %s: %+v, want none", rel, ds)
		}
	}
	write(t, filepath.Join(dir, "other.rpl"), "package other\n")
	changed("other.rpl", "package lib\n\nfn helper() -> string = \"i\"\n")
	if n := walked(); n >= 256 {
		t.Errorf("the walk after a change beside node_modules visited %d entries, want node_modules's kept", n)
	}
	write(t, filepath.Join(dir, "node_modules", "x", "new.js"), "")
	changed("node_modules/x/new.js", "package lib\n\nfn helper() -> string = \"j\"\n")
	if n := walked(); n < 512 {
		t.Errorf("the walk after a change in node_modules visited %d entries, want node_modules's 601", n)
	}
}
