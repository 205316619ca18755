package lsp_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/lsp"
	"github.com/rpl-lang/rpl/stdlib"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// idPolicy is a policy with the id pkg.
func idPolicy(pkg string) string {
	return "package " + pkg + "\n\nfn route(r: Request) -> Decision = to(\"openai:gpt-4o\")\n"
}

// settle waits until the latest diagnostics of u satisfy ok, failing the
// test after ten seconds (waitFor waits a minute).
func (c *client) settle(u string, what string, ok func([]diagnostic) bool) []diagnostic {
	c.tb.Helper()
	return c.await(u, time.After(10*time.Second), func(p published) bool { return ok(p.Diagnostics) }, func(p published) string {
		return fmt.Sprintf("%s: diagnostics of %s are %+v", what, u, p.Diagnostics)
	}).Diagnostics
}

func none(ds []diagnostic) bool { return len(ds) == 0 }

// dupOf reports whether ds is exactly the RPL216 error that `rplc check`
// gives a policy whose id p the policy in earlier (under the workspace,
// slash-separated) has, both package clauses on the first line.
func dupOf(c *client, earlier string) func([]diagnostic) bool {
	return func(ds []diagnostic) bool {
		if len(ds) != 1 {
			return false
		}
		d := ds[0]
		name := protocol.Range{Start: pos(0, 8), End: pos(0, 9)}
		return d.Code == "RPL216" && d.Severity == 1 && d.Range == name &&
			d.Message == "policy id p is also the package of "+earlier+" (policy ids must be unique)" &&
			len(d.RelatedInformation) == 1 && d.RelatedInformation[0].Location.URI == uri(filepath.Join(c.dir, filepath.FromSlash(earlier))) &&
			d.RelatedInformation[0].Location.Range == name && d.RelatedInformation[0].Message == "policy p declared here"
	}
}

// rplcCheck is the RPL216 errors that `rplc check dir` reports, computed
// as it computes them: the main package of each policy file of the tree,
// given to lang.CheckPolicyIDs. Each is "file:line:col: message (related
// file:line:col)", the files relative to dir.
func rplcCheck(t *testing.T, dir string) []string {
	t.Helper()
	u, err := stdlib.Universe()
	if err != nil {
		t.Fatal(err)
	}
	files, err := lang.SourceFiles([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	var mains []*lang.Package
	for _, f := range files {
		if !lang.IsTestFile(f) {
			prog, _ := lang.Check(&lang.Config{Universe: u, Policy: true}, f)
			mains = append(mains, prog.Main)
		}
	}
	var out []string
	for _, d := range lang.CheckPolicyIDs(dir, mains) {
		at := func(f *lang.File, sp lang.Span) string {
			rel, _ := filepath.Rel(dir, f.Name)
			at := f.Position(sp.Start)
			return fmt.Sprintf("%s:%d:%d", filepath.ToSlash(rel), at.Line, at.Col)
		}
		out = append(out, fmt.Sprintf("%s: %s (%s)", at(d.File, d.Span), d.Message, at(d.Related[0].File, d.Related[0].Span)))
	}
	return out
}

// Two open policies of the workspace folder with the same id: the later
// one (by path) has RPL216, as `rplc check` reports it, until either is
// renamed.
func TestPolicyIDsOpen(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.rpl"), idPolicy("p"))
	write(t, filepath.Join(dir, "b.rpl"), idPolicy("q"))
	c := newClient(t, dir, lsp.Options{})
	a, b := c.open("a.rpl"), c.open("b.rpl")
	if ds := c.waitDiags(a, 1); len(ds) != 0 {
		t.Fatalf("a.rpl: %+v", ds)
	}
	if ds := c.waitDiags(b, 1); len(ds) != 0 {
		t.Fatalf("b.rpl: %+v", ds)
	}

	// Unsaved: b takes a's id.
	v := c.change(b, idPolicy("p"))
	if ds := c.waitDiags(b, v); !dupOf(c, "a.rpl")(ds) {
		t.Fatalf("b.rpl with a's id: %+v", ds)
	}
	if ds := c.settle(a, "a.rpl, the first with the id", func([]diagnostic) bool { return true }); len(ds) != 0 {
		t.Errorf("a.rpl, the first with the id, has %+v", ds)
	}
	write(t, filepath.Join(dir, "b.rpl"), idPolicy("p"))
	if got, want := rplcCheck(t, dir), []string{"b.rpl:1:9: policy id p is also the package of a.rpl (policy ids must be unique) (a.rpl:1:9)"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rplc check: %q, want %q", got, want)
	}

	// Renaming the package of b clears it.
	v = c.change(b, idPolicy("r"))
	if ds := c.waitDiags(b, v); len(ds) != 0 {
		t.Fatalf("b.rpl renamed: %+v", ds)
	}
	v = c.change(b, idPolicy("p"))
	if ds := c.waitDiags(b, v); !dupOf(c, "a.rpl")(ds) {
		t.Fatalf("b.rpl with a's id again: %+v", ds)
	}
	// Renaming the package of a, the other file, clears b too.
	c.change(a, idPolicy("z"))
	c.settle(b, "b.rpl after a.rpl was renamed", none)
	// And taking the id back gives b its error again.
	c.change(a, idPolicy("p"))
	c.settle(b, "b.rpl after a.rpl took the id back", dupOf(c, "a.rpl"))
}

// A policy that is not open, on disk, has the id of the open one: the
// open one has RPL216 (naming a policy whose route is inherited through
// extends), until the other file is deleted, or closed and deleted.
func TestPolicyIDsOnDisk(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.rpl"), "package p\n\nextends \"base\"\n")
	write(t, filepath.Join(dir, "base.rpl"), idPolicy("base"))
	// A library of the same name is no policy, even with a constant
	// named route, nor is a hidden file, nor a file in a hidden directory.
	write(t, filepath.Join(dir, "lib.rpl"), "package p\n\nconst route = \"openai:gpt-4o\"\n")
	write(t, filepath.Join(dir, ".draft.rpl"), idPolicy("p"))
	write(t, filepath.Join(dir, ".old", "p.rpl"), idPolicy("p"))
	write(t, filepath.Join(dir, "sub", "b.rpl"), idPolicy("p"))
	if got, want := rplcCheck(t, dir), []string{"sub/b.rpl:1:9: policy id p is also the package of a.rpl (policy ids must be unique) (a.rpl:1:9)"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rplc check: %q, want %q", got, want)
	}
	c := newClient(t, dir, lsp.Options{})
	b := c.open("sub/b.rpl")
	if ds := c.waitDiags(b, 1); !dupOf(c, "a.rpl")(ds) {
		t.Fatalf("sub/b.rpl: %+v", ds)
	}

	// a.rpl deleted: cleared.
	if err := os.Remove(filepath.Join(dir, "a.rpl")); err != nil {
		t.Fatal(err)
	}
	c.notify("workspace/didChangeWatchedFiles", map[string]any{"changes": []map[string]any{{"uri": uri(filepath.Join(dir, "a.rpl")), "type": 3}}})
	c.settle(b, "sub/b.rpl after a.rpl was deleted", none)

	// c.rpl created with the id, opened, closed and deleted.
	write(t, filepath.Join(dir, "c.rpl"), idPolicy("p"))
	c.notify("workspace/didChangeWatchedFiles", map[string]any{"changes": []map[string]any{{"uri": uri(filepath.Join(dir, "c.rpl")), "type": 1}}})
	c.settle(b, "sub/b.rpl after c.rpl was created", dupOf(c, "c.rpl"))
	cu := c.open("c.rpl")
	if ds := c.waitDiags(cu, 1); len(ds) != 0 {
		t.Errorf("c.rpl, the first with the id, has %+v", ds)
	}
	c.notify("textDocument/didClose", map[string]any{"textDocument": map[string]any{"uri": cu}})
	if err := os.Remove(filepath.Join(dir, "c.rpl")); err != nil {
		t.Fatal(err)
	}
	c.notify("workspace/didChangeWatchedFiles", map[string]any{"changes": []map[string]any{{"uri": cu, "type": 3}}})
	c.settle(b, "sub/b.rpl after c.rpl was closed and deleted", none)
}

// A workspace folder too large to walk on each edit has its policy ids
// unchecked; the editor is told so once, as a warning, not only in the
// server's log, and told again once the folder is small enough and then
// too large again.
func TestPolicyIDsFolderTooLarge(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.rpl"), idPolicy("p"))
	write(t, filepath.Join(dir, "b.rpl"), idPolicy("p"))
	gen := filepath.Join(dir, "gen")
	if err := os.Mkdir(gen, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range 20000 {
		write(t, filepath.Join(gen, fmt.Sprintf("f%05d.txt", i)), "")
	}
	c := newClient(t, dir, lsp.Options{})
	b := c.open("b.rpl")
	if ds := c.waitDiags(b, 1); len(ds) != 0 {
		t.Fatalf("b.rpl in a folder too large: %+v", ds)
	}
	warned := func() []protocol.ShowMessageParams {
		c.mu.Lock()
		defer c.mu.Unlock()
		return append([]protocol.ShowMessageParams(nil), c.shown...)
	}
	want := protocol.ShowMessageParams{Type: protocol.MessageTypeWarning,
		Message: fmt.Sprintf("%s has more than 20000 entries: policy ids (RPL216) are not checked in it (rplc check %s checks them)", dir, dir)}
	if got := warned(); len(got) != 1 || got[0] != want {
		t.Fatalf("shown %+v, want %+v", got, want)
	}
	// An edit walks the folder again (on a change on disk): no second
	// warning; nor does switching documents, the folder's last one
	// closed before the next is opened (it was told again each time).
	c.notify("workspace/didChangeWatchedFiles", map[string]any{"changes": []map[string]any{{"uri": uri(filepath.Join(dir, "a.rpl")), "type": 2}}})
	v := c.change(b, idPolicy("p")+"\n")
	c.waitDiags(b, v)
	c.notify("textDocument/didClose", map[string]any{"textDocument": map[string]any{"uri": b}})
	a := c.open("a.rpl")
	c.waitDiags(a, 1)
	c.notify("textDocument/didClose", map[string]any{"textDocument": map[string]any{"uri": a}})
	b = c.open("b.rpl")
	v = c.change(b, idPolicy("p")) // flushes run in order: this one is after the others
	c.waitDiags(b, v)
	if got := warned(); len(got) != 1 {
		t.Fatalf("after an edit and switching documents, shown %+v, want the one warning", got)
	}
	// Small enough: RPL216 is back. Too large again: warned again.
	if err := os.RemoveAll(gen); err != nil {
		t.Fatal(err)
	}
	c.notify("workspace/didChangeWatchedFiles", map[string]any{"changes": []map[string]any{{"uri": uri(filepath.Join(gen, "f00000.txt")), "type": 3}}})
	c.change(b, idPolicy("p"))
	c.settle(b, "b.rpl once the folder is small", dupOf(c, "a.rpl"))
	for i := range 20000 {
		write(t, filepath.Join(dir, "gen2", fmt.Sprintf("f%05d.txt", i)), "")
	}
	c.notify("workspace/didChangeWatchedFiles", map[string]any{"changes": []map[string]any{{"uri": uri(filepath.Join(dir, "gen2", "f00000.txt")), "type": 1}}})
	c.change(b, idPolicy("p")+"\n")
	c.settle(b, "b.rpl in a folder too large again", none)
	if got := warned(); len(got) != 2 || got[1] != want {
		t.Fatalf("too large again, shown %+v, want the warning twice", got)
	}
}
