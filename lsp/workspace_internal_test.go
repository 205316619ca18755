package lsp

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/lang"
	protocol "github.com/tliron/glsp/protocol_3_16"
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

// imported follows the importers' texts, on disk and open, and parses
// again only the files whose text changed: it parsed every file of the
// workspace at each check of a file without route (300 ms an edit in a
// workspace of 1,000 policies, found by a review; BenchmarkLibraryEdit).
func TestImportedCachesLoads(t *testing.T) {
	dir := t.TempDir()
	lib, main, other := filepath.Join(dir, "lib.rpl"), filepath.Join(dir, "main.rpl"), filepath.Join(dir, "other.rpl")
	write := func(path, src string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const importing = "package main\n\nimport \"lib\"\n"
	write(lib, "package lib\n")
	write(main, importing)
	write(other, "package other\n\nimport \"main\"\n")
	s := &Server{docs: map[string]*document{}, folders: []string{dir}}
	check := func(what string, want bool) {
		t.Helper()
		if got := s.imported(lib, s.overlayLocked()); got != want {
			t.Errorf("%s: imported(lib.rpl) = %v, want %v", what, got, want)
		}
	}
	check("main.rpl imports it", true)
	// An unchanged file is not parsed again: its entry keeps its loads.
	before := s.fileLoads.m[other].loads
	check("again", true)
	if after := s.fileLoads.m[other].loads; len(after) != 1 || &after[0] != &before[0] {
		t.Errorf("other.rpl, unchanged, was parsed again")
	}

	write(main, "package main\n")
	check("main.rpl no longer imports it on disk", false)
	s.docs[main] = &document{path: main, version: 1, file: lang.NewFile(main, []byte(importing))}
	check("main.rpl imports it in an open buffer", true)
	s.docs[main] = &document{path: main, version: 2, file: lang.NewFile(main, []byte("package main\n"))}
	check("main.rpl's buffer no longer imports it", false)
	delete(s.docs, main)
	write(main, importing+"\n")
	check("main.rpl closed, importing it on disk", true)
	if err := os.Remove(main); err != nil {
		t.Fatal(err)
	}
	s.walks = nil // the folder walked again, as treeRecheck after the last walk
	check("main.rpl deleted", false)
	if _, ok := s.fileLoads.m[main]; ok {
		t.Errorf("main.rpl, deleted, is still cached")
	}
}

// A byte order mark starting a file counts no column, as editors hide it:
// a file read from disk (closed) had its first line's columns one unit
// too large.
func TestBOMColumns(t *testing.T) {
	f := lang.NewFile("p.rpl", []byte("\uFEFFpackage p\nfn f() -> int = 1\n"))
	for _, c := range []struct {
		off lang.Pos
		pos protocol.Position
	}{
		{3, protocol.Position{Line: 0, Character: 0}},  // package
		{11, protocol.Position{Line: 0, Character: 8}}, // p
		{13, protocol.Position{Line: 1, Character: 0}}, // fn
	} {
		if got := toPosition(f, c.off); got != c.pos {
			t.Errorf("toPosition(%d) = %+v, want %+v", c.off, got, c.pos)
		}
		if got := toOffset(f, c.pos); got != c.off {
			t.Errorf("toOffset(%+v) = %d, want %d", c.pos, got, c.off)
		}
	}
	if got := toPosition(f, 1); got != (protocol.Position{}) {
		t.Errorf("toPosition inside the mark = %+v, want 0:0", got)
	}
}

// The files of a workspace folder are walked again when the client
// reports a change on disk under it, when the folders change, or
// treeRecheck after the last walk; in between, the walk is kept. Every
// check of a policy without route walked the folder (150 ms a check in a
// folder of 100,000 files).
func TestWorkspaceFilesKeptWalk(t *testing.T) {
	dir := t.TempDir()
	p, q := filepath.Join(dir, "p.rpl"), filepath.Join(dir, "sub", "q.rpl")
	write := func(path, src string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(p, "package p\n")
	s := New(Options{})
	s.changeFolders([]protocol.WorkspaceFolder{{URI: pathToURI(dir)}}, nil)
	files := func() []string {
		got := s.workspaceFiles()
		slices.Sort(got)
		return got
	}
	if got := files(); !slices.Equal(got, []string{p}) {
		t.Fatalf("files %v", got)
	}
	s.walks[dir].at = time.Now().Add(time.Hour) // fresh however long the test takes
	write(q, "package q\n")
	if got := files(); !slices.Equal(got, []string{p}) {
		t.Errorf("files %v, want the kept walk's", got)
	}
	s.mu.Lock()
	s.changedOnDiskLocked([]string{filepath.Dir(q)}) // a folder created, as clients report it
	s.mu.Unlock()
	if got := files(); !slices.Equal(got, []string{p, q}) {
		t.Errorf("files after a reported change %v", got)
	}
	if err := os.Remove(q); err != nil {
		t.Fatal(err)
	}
	s.walks[dir].at = time.Now().Add(-treeRecheck)
	if got := files(); !slices.Equal(got, []string{p}) {
		t.Errorf("files after treeRecheck %v", got)
	}
}

// writeRPLTree writes n .rpl files under dir, in subdirectories.
func writeRPLTree(t *testing.T, dir string, n int) {
	t.Helper()
	for i := range n {
		p := filepath.Join(dir, fmt.Sprintf("d%02d", i%10), fmt.Sprintf("f%04d.rpl", i))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte("package p\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// A walk of a workspace folder stops at maxWalkEntries: the .rpl files
// among the first entries are listed, the limit is logged once, and a
// folder small enough again is walked to its end.
func TestWalkFolderBounded(t *testing.T) {
	dir := t.TempDir()
	writeRPLTree(t, dir, 300)
	defer func(n int) { maxWalkEntries = n }(maxWalkEntries)
	maxWalkEntries = 100
	var logged strings.Builder
	s := &Server{docs: map[string]*document{}, folders: []string{dir}, log: log.New(&logged, "", 0),
		dirty: map[string]bool{}, refolded: map[string]bool{}}
	if got := s.workspaceFiles(); len(got) == 0 || len(got) > 100 {
		t.Fatalf("walk bounded at 100 entries listed %d files", len(got))
	}
	s.forgetWalksLocked("")
	s.workspaceFiles()
	if n := strings.Count(logged.String(), "has more than 100 entries"); n != 1 {
		t.Fatalf("logged %q: want the limit said once", logged.String())
	}
	// Removed, the folder is forgotten: added again, it is said again.
	folder := []protocol.WorkspaceFolder{{URI: pathToURI(dir)}}
	s.changeFolders(nil, folder)
	if len(s.walkTooLarge) != 0 {
		t.Fatalf("a folder removed is still marked too large: %v", s.walkTooLarge)
	}
	s.changeFolders(folder, nil)
	s.workspaceFiles()
	if n := strings.Count(logged.String(), "has more than 100 entries"); n != 2 {
		t.Fatalf("logged %q: want the limit said again for the folder added again", logged.String())
	}
	maxWalkEntries = 1000
	s.forgetWalksLocked("")
	if got := s.workspaceFiles(); len(got) != 300 {
		t.Fatalf("walk of 300 files under the limit listed %d", len(got))
	}
	if s.walkTooLarge[dir] {
		t.Fatal("a folder small enough again is still marked too large")
	}
}

// A walk of a workspace folder ends when the session ends or the folder
// is removed meanwhile: it lists nothing, and is not kept.
func TestWalkFolderEnds(t *testing.T) {
	dir := t.TempDir()
	writeRPLTree(t, dir, 2000)
	for _, how := range []string{"folder removed", "session ended"} {
		ctx, cancel := context.WithCancel(context.Background())
		s := &Server{docs: map[string]*document{}, folders: []string{dir}, ctx: ctx, dirty: map[string]bool{}, refolded: map[string]bool{}}
		last := 0
		walkHook = func(_ string, visited int) {
			last = visited
			if visited == walkCheckEvery {
				if how == "session ended" {
					cancel()
				} else {
					s.changeFolders(nil, []protocol.WorkspaceFolder{{URI: pathToURI(dir)}})
				}
			}
		}
		got := s.workspaceFiles()
		walkHook = nil
		cancel()
		if len(got) != 0 || last != walkCheckEvery || s.walks[dir] != nil {
			t.Errorf("%s: listed %d files, walked on to %d entries, kept %v; want none, %d, none", how, len(got), last, s.walks[dir] != nil, walkCheckEvery)
		}
	}
}

// What an edited file's imports name is kept for the files of the
// workspace only: a file closed outside every folder, or under a folder
// removed, is dropped (every file a client ever opened or reported
// changed was kept for the session).
func TestLoadsKeptForWorkspace(t *testing.T) {
	ws, out := t.TempDir(), t.TempDir()
	in, away, open := filepath.Join(ws, "a.rpl"), filepath.Join(out, "b.rpl"), filepath.Join(out, "c.rpl")
	for _, p := range []string{in, away, open} {
		if err := os.WriteFile(p, []byte("package p\nimport \"lib\"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := &Server{docs: map[string]*document{}, folders: []string{ws}, loads: map[string][]string{},
		snaps: map[string]*snapshot{}, dirty: map[string]bool{}, refolded: map[string]bool{},
		ended: true} // no flush: changeFolders schedules one
	s.docs[open] = &document{path: open, file: lang.NewFile(open, []byte("package p\n"))}
	s.importsChanged(map[string]bool{in: true, away: true, open: true}, nil, s.overlayLocked())
	for p, want := range map[string]bool{in: true, away: false, open: true} {
		if _, got := s.loads[p]; got != want {
			t.Errorf("after a flush, kept %s: %v, want %v", p, got, want)
		}
	}
	s.changeFolders(nil, []protocol.WorkspaceFolder{{URI: pathToURI(ws)}})
	if _, ok := s.loads[in]; ok {
		t.Errorf("kept %s after its folder was removed", in)
	}
	if _, ok := s.loads[open]; !ok {
		t.Errorf("dropped the open %s after a folder was removed", open)
	}
}

// underAny agrees with under for the paths a check reads, which are
// clean.
func TestUnderAny(t *testing.T) {
	dirs := []string{"/", "/w", "/w/ws", "/w/ws/lib", "/w/ws/..x", "/w/ws2", "/other"}
	paths := []string{"/w/ws/a.rpl", "/w/ws/lib/b.rpl", "/w/ws/..x/c.rpl", "/w/ws2/d.rpl", "/w/ws/..y.rpl", "/x.rpl", "/w/ws"}
	for _, d := range dirs {
		for _, p := range paths {
			rel, ok := under(d, p)
			want := ok && rel != "."
			if got := underAny(map[string]bool{d: true}, p); got != want {
				t.Errorf("underAny(%s, %s) = %v, under says %v", d, p, got, want)
			}
		}
	}
}

// A change on disk of many paths that are no policy file (a checkout
// deleting files, reported one by one) costs each path its own work, not
// a comparison with every file the open policies' checks read: 10,000
// such paths with 20 open policies held the server 5 s. Counted in
// allocations, which each comparison made.
func TestChangedOnDiskManyPaths(t *testing.T) {
	s := &Server{docs: map[string]*document{}, snaps: map[string]*snapshot{}, dirty: map[string]bool{}, edited: map[string]bool{},
		onDisk: map[string]bool{}, ended: true} // no flush
	for i := range 20 {
		sn := &snapshot{asked: map[string]bool{}}
		for j := range 30 {
			sn.asked[fmt.Sprintf("/home/u/ws/pol%d/lib/m%d.rpl", i, j)] = true
		}
		s.snaps[fmt.Sprintf("/home/u/ws/pol%d/p.rpl", i)] = sn
	}
	var paths []string
	for i := range 1000 {
		paths = append(paths, fmt.Sprintf("/home/u/ws/node_modules/x/f%d.js", i))
	}
	paths = append(paths, "/home/u/ws/pol3/lib")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	s.mu.Lock()
	s.changedOnDiskLocked(paths)
	s.mu.Unlock()
	runtime.ReadMemStats(&after)
	if !s.onDisk["/home/u/ws/pol3/lib/m7.rpl"] || s.onDisk["/home/u/ws/pol4/lib/m7.rpl"] {
		t.Errorf("the files read under the folder reported are not all changed, or others are: %v", s.onDisk["/home/u/ws/pol3/lib/m7.rpl"])
	}
	if n := after.Mallocs - before.Mallocs; n > 50*uint64(len(paths)) {
		t.Errorf("%d paths changed on disk made %d allocations, more than 50 a path", len(paths), n)
	}
}
