package lsp

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// under takes a name starting with two dots for one in the folder (it was
// taken for one outside, and rename refused it).
func TestUnder(t *testing.T) {
	dir := filepath.Join(string(filepath.Separator)+"w", "ws")
	for path, want := range map[string]bool{
		filepath.Join(dir, "a.rpl"):        true,
		filepath.Join(dir, "..x.rpl"):      true,
		filepath.Join(dir, "sub", "b.rpl"): true,
		dir:                                true,
		filepath.Join(dir, "..", "c.rpl"):  false,
		filepath.Dir(dir):                  false,
		filepath.Join(string(filepath.Separator)+"w", "ws2", "d.rpl"): false,
	} {
		if _, got := under(dir, path); got != want {
			t.Errorf("under(%s, %s) = %v, want %v", dir, path, got, want)
		}
	}
}

// workspaceFiles leaves hidden files out, as rplc and the router do (an
// editor's lock file .#p.rpl was taken for a file importing others).
func TestWorkspaceFilesSkipHidden(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"p.rpl", ".#p.rpl", "..x.rpl", filepath.Join(".git", "q.rpl")} {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), []byte("package p\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := &Server{docs: map[string]*document{}, folders: []string{dir}}
	got := s.workspaceFiles()
	slices.Sort(got)
	if want := []string{filepath.Join(dir, "p.rpl")}; !slices.Equal(got, want) {
		t.Errorf("workspaceFiles = %v, want %v", got, want)
	}
}
