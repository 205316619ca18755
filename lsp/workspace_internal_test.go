package lsp

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/lang"
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

// BenchmarkPositionsLoneCR converts an offset on every line of a 3,000-line
// file holding one lone CR (its line table was rebuilt and sorted at each
// conversion, found by a review: semantic tokens took 1.46 s for such a
// file, 0.145 s without the CR).
func BenchmarkPositionsLoneCR(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("package p\n# mac\rline\n")
	for i := range 3000 {
		fmt.Fprintf(&sb, "fn f%d(a: int) -> int = a + 1 # c\n", i)
	}
	f := lang.NewFile("p.rpl", []byte(sb.String()))
	var offs []lang.Pos
	for l := 1; l < f.LineCount(); l++ { // the last line is empty
		offs = append(offs, f.LineStart(l)+3)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range offs {
			if pos := toPosition(f, p); toOffset(f, pos) != p {
				b.Fatalf("offset %d: position %+v maps back to %d", p, pos, toOffset(f, pos))
			}
		}
	}
}
