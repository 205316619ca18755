package lsp_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/lsp"
)

// hasMessage reports whether ds holds one diagnostic whose message
// contains text.
func hasMessage(text string) func([]diagnostic) bool {
	return func(ds []diagnostic) bool {
		return len(ds) == 1 && strings.Contains(ds[0].Message, text)
	}
}

// A policy that is not open is published as long as its open test file
// checks it, and follows the disk; once neither is open, its diagnostics
// are cleared, as when the policy itself is closed.
func TestClosedTestFileClearsPolicy(t *testing.T) {
	dir := t.TempDir()
	policy := filepath.Join(dir, "main.rpl")
	write(t, policy, "package main\n\nfn route(r: Request) -> Decision = to(nope)\n")
	write(t, filepath.Join(dir, "main_test.rpl"), "package main\n\ntest \"t\" {\n  expect route({}).target == \"x\"\n}\n")
	c := newClient(t, dir, lsp.Options{})
	pu := uri(policy)
	tu := c.open("main_test.rpl")
	c.settle(pu, "main.rpl with main_test.rpl open", hasMessage("nope"))

	// Opened and closed again: still checked through its test file, and
	// current with the disk.
	c.open("main.rpl")
	c.waitDiags(pu, 1)
	c.notify("textDocument/didClose", map[string]any{"textDocument": map[string]any{"uri": pu}})
	write(t, policy, "package main\n\nfn route(r: Request) -> Decision = to(other)\n")
	c.notify("workspace/didChangeWatchedFiles", map[string]any{"changes": []map[string]any{{"uri": pu, "type": 2}}})
	c.settle(pu, "main.rpl closed, main_test.rpl open, changed on disk", hasMessage("other"))

	// The test file closed: nothing checks main.rpl any more.
	c.notify("textDocument/didClose", map[string]any{"textDocument": map[string]any{"uri": tu}})
	c.settle(pu, "main.rpl after main_test.rpl was closed", none)
	c.settle(tu, "main_test.rpl after it was closed", none)
}

// hasCode reports whether ds holds exactly one diagnostic, with code.
func hasCode(code string) func([]diagnostic) bool {
	return func(ds []diagnostic) bool {
		return len(ds) == 1 && ds[0].Code == code
	}
}

// A file without route is RPL212 unless another file imports it: an
// edit of an open importer that adds or removes the import publishes the
// open library again.
func TestNoRouteFollowsImporters(t *testing.T) {
	dir := t.TempDir()
	const plain = "package main\n\nfn route(r: Request) -> Decision = to(\"openai:gpt-4o\")\n"
	write(t, filepath.Join(dir, "main.rpl"), plain)
	write(t, filepath.Join(dir, "lib2.rpl"), "package lib2\n\nfn helper() -> string = \"h\"\n")
	c := newClient(t, dir, lsp.Options{})
	lu := c.open("lib2.rpl")
	if ds := c.waitDiags(lu, 1); !hasCode("RPL212")(ds) {
		t.Fatalf("lib2.rpl, imported by no file: %+v", ds)
	}
	mu := c.open("main.rpl")
	c.waitDiags(mu, 1)
	v := c.change(mu, "package main\n\nimport \"lib2\"\n\nfn route(r: Request) -> Decision = to(lib2.helper())\n")
	if ds := c.waitDiags(mu, v); len(ds) != 0 {
		t.Fatalf("main.rpl importing lib2: %+v", ds)
	}
	c.settle(lu, "lib2.rpl imported by main.rpl", none)
	v = c.change(mu, plain)
	c.waitDiags(mu, v)
	c.settle(lu, "lib2.rpl no longer imported", hasCode("RPL212"))
}

// An importer never edited while the server ran, changed on disk so that
// it no longer imports an open library, brings the library's RPL212 back:
// what it named before was not recorded, and was taken for nothing (found
// by a review).
func TestNoRouteFollowsUnseenImporter(t *testing.T) {
	dir := t.TempDir()
	main := filepath.Join(dir, "main.rpl")
	write(t, main, "package main\n\nimport \"lib2\"\n\nfn route(r: Request) -> Decision = to(lib2.helper())\n")
	write(t, filepath.Join(dir, "lib2.rpl"), "package lib2\n\nfn helper() -> string = \"h\"\n")
	c := newClient(t, dir, lsp.Options{})
	lu := c.open("lib2.rpl")
	if ds := c.waitDiags(lu, 1); len(ds) != 0 {
		t.Fatalf("lib2 imported: %+v", ds)
	}
	write(t, main, "package main\n\nfn route(r: Request) -> Decision = to(\"openai:gpt-4o\")\n")
	c.notify("workspace/didChangeWatchedFiles", map[string]any{"changes": []map[string]any{{"uri": uri(main), "type": 2}}})
	c.settle(lu, "lib2.rpl no longer imported (on disk)", hasCode("RPL212"))
}

// hasCodeAmong reports whether one of ds has code.
func hasCodeAmong(code string) func([]diagnostic) bool {
	return func(ds []diagnostic) bool {
		for _, d := range ds {
			if d.Code == code {
				return true
			}
		}
		return false
	}
}

// An import that cannot be loaded, once it exists, clears the importer's
// error: created on disk, or opened as a new buffer. The check that
// failed to read it did not record the path, and nothing checked the
// importer again until it was edited (found by a review).
func TestMissingImportAppears(t *testing.T) {
	const main = "package main\n\nimport \"lib2\"\n\nfn route(r: Request) -> Decision = to(lib2.helper())\n"
	const lib = "package lib2\n\nfn helper() -> string = \"openai:gpt-4o\"\n"
	for _, how := range []string{"created on disk", "opened"} {
		t.Run(how, func(t *testing.T) {
			dir := t.TempDir()
			write(t, filepath.Join(dir, "main.rpl"), main)
			c := newClient(t, dir, lsp.Options{})
			mu := c.open("main.rpl")
			if ds := c.waitDiags(mu, 1); !hasCodeAmong("RPL203")(ds) {
				t.Fatalf("main.rpl importing a missing lib2: %+v, want RPL203", ds)
			}
			path := filepath.Join(dir, "lib2.rpl")
			if how == "opened" {
				c.notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{
					"uri": uri(path), "languageId": "rpl", "version": 1, "text": lib}})
			} else {
				write(t, path, lib)
				c.notify("workspace/didChangeWatchedFiles", map[string]any{"changes": []map[string]any{{"uri": uri(path), "type": 1}}})
			}
			c.settle(mu, "main.rpl after lib2.rpl was "+how, none)
		})
	}
}

// Adding or removing a workspace folder publishes the open policies
// again: a folder that imports an open file without route makes it a
// library (no RPL212), and removing the folder makes it RPL212 again.
// Only an edit published them before (found by a review).
func TestFoldersChangeRepublishes(t *testing.T) {
	root := t.TempDir()
	a, b := filepath.Join(root, "a"), filepath.Join(root, "b")
	write(t, filepath.Join(b, "lib.rpl"), "package lib\n\nfn helper() -> string = \"h\"\n")
	write(t, filepath.Join(a, "main.rpl"), "package main\n\nimport \"../b/lib\"\n\nfn route(r: Request) -> Decision = to(lib.helper())\n")
	c := newClient(t, b, lsp.Options{})
	lu := c.open("lib.rpl")
	if ds := c.waitDiags(lu, 1); !hasCode("RPL212")(ds) {
		t.Fatalf("lib.rpl, with folder b only: %+v, want RPL212", ds)
	}
	folder := []map[string]any{{"uri": uri(a), "name": "a"}}
	c.notify("workspace/didChangeWorkspaceFolders", map[string]any{"event": map[string]any{"added": folder, "removed": []any{}}})
	c.settle(lu, "lib.rpl after folder a, which imports it, was added", none)
	c.notify("workspace/didChangeWorkspaceFolders", map[string]any{"event": map[string]any{"added": []any{}, "removed": folder}})
	c.settle(lu, "lib.rpl after folder a was removed", hasCode("RPL212"))
}

// A folder deleted is reported alone, not file by file (VS Code does so):
// the open policies that import a file under it are checked again, and
// find the import missing. Nothing was checked again, and their
// diagnostics said nothing of it. The server asks to hear of deleted
// folders: a watcher of deletions matching any path, beside the one of
// .rpl files.
func TestDeletedFolderChecksImporters(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "main.rpl"), "package main\n\nimport \"lib/two\"\n\nfn route(r: Request) -> Decision = to(two.helper())\n")
	write(t, filepath.Join(dir, "lib", "two.rpl"), "package two\n\nfn helper() -> string = \"openai:gpt-4o\"\n")
	c := newClient(t, dir, lsp.Options{})
	mu := c.open("main.rpl")
	if ds := c.waitDiags(mu, 1); len(ds) != 0 {
		t.Fatalf("main.rpl: %+v", ds)
	}
	if err := os.RemoveAll(filepath.Join(dir, "lib")); err != nil {
		t.Fatal(err)
	}
	c.notify("workspace/didChangeWatchedFiles", map[string]any{"changes": []map[string]any{{"uri": uri(filepath.Join(dir, "lib")), "type": 3}}})
	c.settle(mu, "main.rpl after folder lib was deleted", hasCodeAmong("RPL203"))

	rc := newRawClient(t)
	m := rc.call(1, "initialize", map[string]any{"processId": nil, "rootUri": nil, "capabilities": map[string]any{
		"workspace": map[string]any{"didChangeWatchedFiles": map[string]any{"dynamicRegistration": true}}}})
	if m["error"] != nil {
		t.Fatalf("initialize: %v", m)
	}
	rc.send(map[string]any{"method": "initialized", "params": map[string]any{}})
	for {
		var m map[string]any
		select {
		case m = <-rc.msgs:
		case <-time.After(time.Minute):
			t.Fatal("no client/registerCapability within a minute")
		}
		if m == nil {
			t.Fatal("the server closed the connection without registering file watchers")
		}
		if m["method"] != "client/registerCapability" {
			continue
		}
		b, _ := json.Marshal(m["params"])
		if !strings.Contains(string(b), `{"globPattern":"**/*.rpl"}`) || !strings.Contains(string(b), `{"globPattern":"**/catalogue.json"}`) || !strings.Contains(string(b), `{"globPattern":"**/*","kind":4}`) {
			t.Errorf("registered %s, want watchers of **/*.rpl, **/catalogue.json and of deletions of **/*", b)
		}
		break
	}
}

// Closing a document clears its diagnostics under the URI the client
// opened it with: an untitled buffer's were cleared under a file URI made
// from its path, which the client never knew, and stayed in its problems
// list.
func TestClosedUntitledClears(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "q.rpl"), "package q\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n")
	c := newClient(t, dir, lsp.Options{})
	const u = "untitled:Untitled-1"
	c.notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{
		"uri": u, "languageId": "rpl", "version": 1, "text": "package p\n\nfn route(r: Request) -> Decision = to(nope)\n"}})
	if ds := c.waitDiags(u, 1); !hasMessage("nope")(ds) {
		t.Fatalf("untitled buffer's diagnostics %+v", ds)
	}
	c.notify("textDocument/didClose", map[string]any{"textDocument": map[string]any{"uri": u}})
	// The clearing is published before any later document's diagnostics.
	c.waitDiags(c.open("q.rpl"), 1)
	c.mu.Lock()
	left := c.diags[u].Diagnostics
	c.mu.Unlock()
	if len(left) != 0 {
		t.Errorf("diagnostics of the closed untitled buffer %+v, want none", left)
	}
}

// An error in a library that no open document shows is named on the
// import that leads to it, directly or through another library: the
// policy does not compile, as rplc check says, and showed no error
// (found by trying the server on a shared library). Once the library is
// open, its error is its own, not repeated on the import; fixed, the
// import's error goes.
func TestClosedLibraryErrorOnImport(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "main.rpl"), "package main\n\nimport \"mid\"\n\nfn route(r: Request) -> Decision = to(mid.target())\n")
	write(t, filepath.Join(dir, "mid.rpl"), "package mid\n\nimport \"lib2\"\n\nfn target() -> string = lib2.helper()\n")
	const bad = "package lib2\n\nfn helper() -> string = 1 + \"x\"\n"
	write(t, filepath.Join(dir, "lib2.rpl"), bad)
	c := newClient(t, dir, lsp.Options{})
	mu := c.open("main.rpl")
	ds := c.waitDiags(mu, 1)
	if len(ds) != 1 || !strings.Contains(ds[0].Message, "lib2.rpl has errors: 3:25: ") || ds[0].Range.Start != pos(2, 7) ||
		len(ds[0].RelatedInformation) != 1 || !strings.HasSuffix(ds[0].RelatedInformation[0].Location.URI, "/lib2.rpl") {
		t.Fatalf("main.rpl importing mid, which imports lib2 with an error: %+v", ds)
	}
	lu := c.open("lib2.rpl")
	if ds := c.waitDiags(lu, 1); len(ds) != 1 {
		t.Fatalf("lib2.rpl: %+v", ds)
	}
	c.settle(mu, "main.rpl with lib2.rpl open", none)
	c.notify("textDocument/didClose", map[string]any{"textDocument": map[string]any{"uri": lu}})
	c.settle(mu, "main.rpl with lib2.rpl closed again", hasMessage("lib2.rpl has errors"))
	lu = c.open("lib2.rpl")
	c.change(lu, "package lib2\n\nfn helper() -> string = \"openai:gpt-4o\"\n")
	c.settle(mu, "main.rpl with lib2.rpl fixed", none)
}

// TestOpenCycleOnImport: two files that import each other, both open.
// Each check reports the cycle on the clause that closes it, in the
// other file, which is open: the error of an open file was left to that
// file, whose own check put it on the first, so neither showed the cycle
// that `rplc check` fails. Each shows it on its import clause.
func TestOpenCycleOnImport(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "main.rpl"), "package main\n\nimport \"lib\"\n\nfn route(r: Request) -> Decision = to(lib.target())\n")
	write(t, filepath.Join(dir, "lib.rpl"), "package lib\n\nimport \"main\"\n\nfn target() -> string = \"openai:gpt-4o\"\n")
	c := newClient(t, dir, lsp.Options{})
	mu := c.open("main.rpl")
	c.settle(mu, "main.rpl alone", hasMessage("lib.rpl has errors: 3:8: cycle of imports and extends: lib.rpl -> main.rpl -> lib.rpl"))
	lu := c.open("lib.rpl")
	// lib.rpl's import of main is also unused (RPL205).
	c.settle(lu, "lib.rpl with main.rpl open", func(ds []diagnostic) bool {
		return slices.ContainsFunc(ds, func(d diagnostic) bool {
			return strings.Contains(d.Message, "main.rpl has errors: 3:8: cycle of imports and extends: main.rpl -> lib.rpl -> main.rpl")
		})
	})
	ds := c.settle(mu, "main.rpl with lib.rpl open", hasMessage("lib.rpl has errors: 3:8: cycle of imports and extends"))
	if ds[0].Range.Start != pos(2, 7) {
		t.Errorf("main.rpl: %+v, want the cycle on its import clause", ds)
	}
}

// The error named on the import of a closed library counts every error of
// the library, those past lang.MaxDiagnostics (the RPL900 note's) too: a
// library of 130 errors said "and 99 more errors".
func TestClosedLibraryErrorCount(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "main.rpl"), "package main\n\nimport \"lib\"\n\nfn route(r: Request) -> Decision = to(lib.target())\n")
	var b strings.Builder
	b.WriteString("package lib\n\nfn target() -> string = \"a:b\"\n")
	for i := range 130 {
		fmt.Fprintf(&b, "fn g%d() -> int = nope\n", i)
	}
	write(t, filepath.Join(dir, "lib.rpl"), b.String())
	c := newClient(t, dir, lsp.Options{})
	ds := c.waitDiags(c.open("main.rpl"), 1)
	if len(ds) != 1 || !strings.Contains(ds[0].Message, "lib.rpl has errors: 4:18: ") || !strings.HasSuffix(ds[0].Message, "(and 129 more errors)") {
		t.Fatalf("main.rpl importing lib, 130 errors: %+v", ds)
	}
}

// TestEditedPublishedFirst: the diagnostics of an edited library are
// published once it is checked, before the open policies that import it
// are: they waited for all of those checks (5 open policies of 1,000
// rules: 0.5 to 1 s). A hook holds the importers' checks; the library's
// diagnostics must come meanwhile.
func TestEditedPublishedFirst(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "lib", "lib.rpl")
	write(t, lib, "package lib\n\nconst limit = 5\n")
	for _, p := range []string{"a", "b"} {
		write(t, filepath.Join(dir, p+".rpl"), "package "+p+"\n\nimport \"lib/lib\"\n\nfn route(r: Request) -> Decision = if lib.limit > 1 { to(\"a:b\") } else { deny(\"no\") }\n")
	}
	var mu sync.Mutex
	armed := false
	checks := make(chan string, 64) // the policies checked before arming
	release := make(chan struct{})
	lsp.SetCheckHook(func(policy string, joined bool) {
		mu.Lock()
		hold := armed && !joined && policy != lib
		if !armed {
			select {
			case checks <- policy:
			default:
			}
		}
		mu.Unlock()
		if hold {
			select {
			case <-release:
			case <-t.Context().Done():
			}
		}
	})
	t.Cleanup(func() { lsp.SetCheckHook(nil) })
	c := newClient(t, dir, lsp.Options{})
	a, b := c.open("a.rpl"), c.open("b.rpl")
	c.waitDiags(a, 1)
	c.waitDiags(b, 1)
	for len(checks) > 0 {
		<-checks
	}
	// Opening the library checks a and b again (they read it): once both
	// have started, no check of them is left from before the edit.
	u := c.open("lib/lib.rpl")
	seen := map[string]bool{}
	within(t, "the checks of the importers after the library opens", func() error {
		for !seen[filepath.Join(dir, "a.rpl")] || !seen[filepath.Join(dir, "b.rpl")] {
			seen[<-checks] = true
		}
		return nil
	})
	mu.Lock()
	armed = true
	mu.Unlock()
	v := c.change(u, "package lib\n\nconst limit = nope\n")
	if ds := c.waitDiags(u, v); len(ds) != 1 {
		t.Errorf("the library's diagnostics: %+v, want its error", ds)
	}
	close(release)
	// The importers' checks go on (the library's error is shown on the
	// library, open, not on their imports).
	var syms []any
	if err := c.call("textDocument/codeAction", map[string]any{"textDocument": map[string]any{"uri": a},
		"range": map[string]any{"start": pos(0, 0), "end": pos(0, 0)}, "context": map[string]any{"diagnostics": []any{}}}, &syms); err != nil {
		t.Errorf("code actions of an importer after the edit: %v", err)
	}
}

// A file outside every folder that imports an open file without route
// makes it a library while it is open only: once it is closed it is no
// file of the workspace, and the library is RPL212 again. It named the
// same on disk, and nothing checked the library again.
func TestClosedOutsideImporterRepublishes(t *testing.T) {
	root := t.TempDir()
	a, b := filepath.Join(root, "a"), filepath.Join(root, "b")
	write(t, filepath.Join(b, "lib.rpl"), "package lib\n\nfn helper() -> string = \"h\"\n")
	main := filepath.Join(a, "main.rpl")
	write(t, main, "package main\n\nimport \"../b/lib\"\n\nfn route(r: Request) -> Decision = to(lib.helper())\n")
	c := newClient(t, b, lsp.Options{})
	lu := c.open("lib.rpl")
	if ds := c.waitDiags(lu, 1); !hasCode("RPL212")(ds) {
		t.Fatalf("lib.rpl, imported by no file of folder b: %+v, want RPL212", ds)
	}
	src, err := os.ReadFile(main)
	if err != nil {
		t.Fatal(err)
	}
	c.notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{
		"uri": uri(main), "languageId": "rpl", "version": 1, "text": string(src)}})
	c.settle(lu, "lib.rpl while a/main.rpl, which imports it, is open", none)
	c.notify("textDocument/didClose", map[string]any{"textDocument": map[string]any{"uri": uri(main)}})
	c.settle(lu, "lib.rpl after a/main.rpl was closed", hasCode("RPL212"))
}
