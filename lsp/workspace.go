package lsp

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rpl-lang/rpl/lang"
	"github.com/sourcegraph/jsonrpc2"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// document is an open text document.
type document struct {
	uri     protocol.DocumentUri
	path    string // clean file path: the key of the overlay
	version int32
	file    *lang.File // its text and line table
}

// snapshot is one check of one policy at one generation of the overlay.
type snapshot struct {
	policy   string
	gen      uint64
	prog     *lang.Program
	diags    lang.DiagList
	files    map[string]*lang.FileNode // every file the check loaded, by path
	asked    map[string]bool           // every path the check read or tried to read
	versions map[string]int32          // versions of the open documents it read
	disk     map[string]factsKey       // the files it read from disk (or found none at), with their time and size then
	noRoute  bool                      // the check found no route (RPL212), kept or dropped for a library

	modsOnce sync.Once
	mods     map[*lang.ImportDecl]*lang.Object // importedModules
}

// fileNode returns the parsed file at path, or nil.
func (sn *snapshot) fileNode(path string) *lang.FileNode {
	if sn == nil {
		return nil
	}
	return sn.files[path]
}

// uriToPath turns a file URI into a clean path. Other schemes (an editor's
// untitled buffers) map to a path under their scheme that no file shares.
func uriToPath(uri protocol.DocumentUri) string {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme == "" {
		return filepath.Clean(uri)
	}
	if u.Scheme == "file" {
		return filepath.Clean(filepath.FromSlash(u.Path))
	}
	p := u.Opaque + u.Path
	if !strings.HasSuffix(p, ".rpl") {
		p += ".rpl"
	}
	return filepath.Join(string(filepath.Separator)+u.Scheme, p)
}

// pathToURI turns a path into a file URI.
func pathToURI(path string) protocol.DocumentUri {
	abs, err := filepath.Abs(path)
	if err == nil {
		path = abs
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}).String()
}

// uriOf is the URI under which the client knows path: an open document's
// own URI, else the file URI.
func (s *Server) uriOf(path string) protocol.DocumentUri {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d := s.docs[path]; d != nil {
		return d.uri
	}
	return pathToURI(path)
}

// policyOf maps a file to the policy whose check covers it.
func policyOf(path string) string { return lang.PolicyOf(path) }

// overlay is a frozen copy of the open documents' texts.
type overlay map[string]*document

func (s *Server) overlayLocked() overlay {
	ov := make(overlay, len(s.docs))
	for p, d := range s.docs {
		ov[p] = d
	}
	return ov
}

// checkToRun checks policy as rplc explain runs it: without its test
// file (an error in a test being written does not keep it from running),
// route required, with the open documents' texts as ov has them.
func (s *Server) checkToRun(policy string, ov overlay) (*lang.Program, lang.DiagList) {
	cfg := &lang.Config{Universe: s.u, Policy: true, NoTests: true, NeedRoute: true, ReadFile: func(p string) ([]byte, error) {
		if d := ov[filepath.Clean(p)]; d != nil {
			return d.file.Src, nil
		}
		return lang.ReadFile(p)
	}}
	return lang.Check(cfg, policy)
}

// snapshotFor returns a snapshot of the policy covering path, checked at
// the current generation. It checks outside the lock, so requests and
// publishing do not wait for each other's checks. A snapshot of the
// current generation is checked again when a file it read from disk has
// changed there since (a client that watches no files, or a change outside
// the watched ones, reports none): the change starts a new generation, as
// one the client reports does.
func (s *Server) snapshotFor(path string) *snapshot {
	return s.checked(s.pin(path))
}

// pinned is the state of the editor that a request needs for a snapshot of
// path's policy, taken on the connection's goroutine when the request came
// (pin): the snapshot itself when one of the current generation is kept,
// else the generation and the open documents' texts to check, which
// checked does, on any goroutine. A request whose answer needs a check
// (answer) so sees the edits sent before it and none sent after it, and
// does not hold the reading of the messages after it ($/cancelRequest,
// didChange) while the check runs.
type pinned struct {
	path string
	sn   *snapshot // the current snapshot, or nil: check gen with ov
	gen  uint64
	ov   overlay
}

// pin takes what a snapshot of path's policy at the current generation
// needs (see pinned). A kept snapshot of the current generation that read
// a file since changed on disk starts a new generation, as in snapshotFor.
func (s *Server) pin(path string) pinned {
	policy := policyOf(path)
	s.mu.Lock()
	if sn := s.snaps[policy]; sn != nil && sn.gen == s.gen {
		s.mu.Unlock()
		changed := sn.diskChanged()
		if len(changed) == 0 {
			return pinned{path: path, sn: sn}
		}
		s.mu.Lock()
		s.changedOnDiskLocked(changed)
	}
	pn := pinned{path: path, gen: s.gen, ov: s.overlayLocked()}
	s.mu.Unlock()
	return pn
}

// checked returns the snapshot that pn pinned, checking it if need be: a
// check of the same generation under way (publishing's, or another
// request's) is waited for rather than run twice, on the CPU that both
// need, and one that ended meanwhile is taken.
func (s *Server) checked(pn pinned) *snapshot {
	if pn.sn != nil {
		return pn.sn
	}
	policy, gen := policyOf(pn.path), pn.gen
	s.mu.Lock()
	if sn := s.snaps[policy]; sn != nil && sn.gen == gen {
		s.mu.Unlock()
		return sn
	}
	if pc := s.checking[policy]; pc != nil && pc.gen == gen {
		s.mu.Unlock()
		if h := checkHook.Load(); h != nil {
			(*h)(policy, true)
		}
		<-pc.done
		if pc.sn != nil {
			return pc.sn
		}
		return s.checked(pn) // it panicked: check here
	}
	pc := &pendingCheck{gen: gen, done: make(chan struct{})}
	if s.checking == nil {
		s.checking = map[string]*pendingCheck{}
	}
	if old := s.checking[policy]; old == nil || old.gen < gen {
		// A request pinned before an edit, checked after it, does not
		// hide the check of the newer generation from those that want it.
		s.checking[policy] = pc
	}
	s.mu.Unlock()
	defer func() { // also when the check panics
		s.mu.Lock()
		if s.checking[policy] == pc {
			delete(s.checking, policy)
		}
		s.mu.Unlock()
		close(pc.done)
	}()
	if h := checkHook.Load(); h != nil {
		(*h)(policy, false)
	}

	sn := s.check(policy, gen, pn.ov)

	s.mu.Lock()
	// Kept for the open documents only: a policy checked for a request on
	// a file never opened (references, rename, any URI a client names) or
	// closed meanwhile is checked again when asked again.
	if old := s.snaps[policy]; s.openLocked(policy) && (old == nil || old.gen <= gen) {
		s.snaps[policy] = sn
	}
	for path := range sn.files {
		if s.docs[path] != nil && !sn.syntaxErrors(path) {
			if old := s.good[path]; old == nil || old.gen <= gen {
				s.good[path] = sn
			}
		}
	}
	pc.sn = sn
	s.mu.Unlock()
	return sn
}

// answer answers a request on the connection's goroutine when pn holds its
// snapshot already, and otherwise leaves the check and the answer to a
// goroutine of their own (laterCheck, named method), so that a slow check
// (a policy of thousands of rules, after an edit) holds no message sent
// after the request. f computes the answer from the snapshot.
//
// With fresh, for a request whose answer is of no use once its document
// has changed (semantic tokens, code actions: the client asks again for
// the new text), one whose document changed before its check started (it
// waited for one of checkSlots) is answered ContentModified, unchecked. A
// client that cancels none of them, and a fast typist, queued one check
// of a whole policy per keystroke.
func answer[T any](s *Server, method string, pn pinned, fresh bool, f func(sn *snapshot) (T, error)) (T, error) {
	if pn.sn != nil {
		return f(pn.sn)
	}
	var d *document
	if fresh {
		d = s.openDoc(pn.path) // each change makes a new document
	}
	s.laterCheck(method, func(context.Context) (any, error) {
		if fresh && s.openDoc(pn.path) != d {
			return nil, &jsonrpc2.Error{Code: codeContentModified, Message: "the document changed before the answer was worked out: ask again"}
		}
		return f(s.checked(pn))
	})
	var zero T
	return zero, nil
}

// checkedSnaps are the snapshots a request took, by policy: a search of
// the workspace (references, rename) checks each policy once, though the
// server keeps the snapshots of the open policies only, and drops them
// when it ends.
type checkedSnaps map[string]*snapshot

// checkedFrom is the checkedSnaps of a search from the snapshot from: it
// reads from's policy in from.
func checkedFrom(from *snapshot) checkedSnaps { return checkedSnaps{from.policy: from} }

// snapshotIn is the snapshot of path's policy in checked, else
// snapshotFor's, put there.
func (s *Server) snapshotIn(checked checkedSnaps, path string) *snapshot {
	policy := policyOf(path)
	if sn := checked[policy]; sn != nil {
		return sn
	}
	sn := s.snapshotFor(path)
	checked[policy] = sn
	return sn
}

// openLocked reports whether policy, or its test file, is open: the
// snapshots of its checks are kept (snaps), else dropped. s.mu is held.
func (s *Server) openLocked(policy string) bool {
	return s.docs[policy] != nil || s.docs[lang.TestFileName(policy)] != nil
}

// checkHook, when set (tests), runs as snapshotFor or checkWithout checks policy, or joins
// the same check under way (joined). It is atomic: publishing may still be
// checking when Serve returns and a test resets it.
var checkHook atomic.Pointer[func(policy string, joined bool)]

// pendingCheck is a check of a policy under way (snapshotFor), which the
// callers wanting the same one wait for.
type pendingCheck struct {
	gen  uint64        // the generation checked
	done chan struct{} // closed when the check has ended
	sn   *snapshot     // its snapshot, set before done is closed; nil if it panicked
}

// diskChanged lists the files that sn read from disk (or found none at)
// whose time or size differs now.
func (sn *snapshot) diskChanged() []string {
	var out []string
	for p, k := range sn.disk {
		if textKey(p, nil) != k {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// syntaxErrors reports whether the check found syntax errors in path.
func (sn *snapshot) syntaxErrors(path string) bool {
	for _, d := range sn.diags {
		if d.File != nil && d.Code < "RPL200" && filepath.Clean(d.File.Name) == path {
			return true
		}
	}
	return false
}

// goodOf is sn, unless path has syntax errors there: then the newest
// snapshot in which path parsed, if any, whose scopes still describe the
// code around the line being typed.
func (s *Server) goodOf(sn *snapshot, path string) *snapshot {
	if !sn.syntaxErrors(path) {
		return sn
	}
	s.mu.Lock()
	g := s.good[path]
	s.mu.Unlock()
	if g != nil {
		return g
	}
	return sn
}

// parsed answers a request that needs the parse of path's current text
// only (document symbols, code lenses): the text is taken when the request
// comes, and parsed, and f run, on a goroutine of its own (laterCheck),
// as a check is for hover: a parse of a large file (a second for some
// megabytes) held the messages after it. No text (no open document, no
// file) is answered with T's zero value.
func parsed[T any](s *Server, method, path string, f func(fn *lang.FileNode) (T, error)) (T, error) {
	var zero T
	cur := s.text(path)
	if cur == nil {
		return zero, nil
	}
	s.laterCheck(method, func(context.Context) (any, error) {
		fn, _ := lang.Parse(path, cur.Src)
		return f(fn)
	})
	return zero, nil
}

// answerGood is answer for the requests that read the scopes of goodOf
// (completion, signature help): at once when a snapshot of path's policy
// is kept, fresh or not, else once the policy is checked, on a goroutine
// of its own (the first request after a file is opened, before its
// diagnostics' check).
func answerGood[T any](s *Server, method, path string, f func(sn *snapshot) (T, error)) (T, error) {
	if sn := s.kept(path); sn != nil {
		return f(s.goodOf(sn, path))
	}
	return answer(s, method, s.pin(path), false, func(sn *snapshot) (T, error) { return f(s.goodOf(sn, path)) })
}

// kept is the snapshot kept of path's policy, fresh or not, or nil.
func (s *Server) kept(path string) *snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snaps[policyOf(path)]
}

// lastSnapshot returns the newest snapshot of path's policy, fresh or not,
// and checks only when there is none.
func (s *Server) lastSnapshot(path string) *snapshot {
	if sn := s.kept(path); sn != nil {
		return sn
	}
	return s.snapshotFor(path)
}

// check runs lang.Check on policy with the overlay's texts.
func (s *Server) check(policy string, gen uint64, ov overlay) *snapshot {
	sn := &snapshot{policy: policy, gen: gen, files: map[string]*lang.FileNode{},
		asked: map[string]bool{}, versions: map[string]int32{}, disk: map[string]factsKey{}}
	cfg := &lang.Config{Universe: s.u, ReadFile: func(p string) ([]byte, error) {
		p = filepath.Clean(p)
		sn.asked[p] = true
		if d := ov[p]; d != nil {
			sn.versions[p] = d.version
			return d.file.Src, nil
		}
		sn.disk[p] = textKey(p, nil) // before the read: a change during it is seen
		return lang.ReadFile(p)
	}}
	cfg.Policy = true
	cfg.Catalogue = s.catalogueFor(policy, sn)
	sn.prog, sn.diags = lang.Check(cfg, policy)
	if t := lang.TestFileName(policy); ov[t] != nil {
		// An open test file that the check did not read (its policy could
		// not be read) still has this check's diagnostics at its version.
		sn.versions[t] = ov[t].version
	}
	// A file that another one imports is a library, not a policy without
	// route (lang.TreeFile.Verdict); find out only when it matters.
	if tf := lang.TreeFileOf(policy, sn.prog, sn.diags); tf.NoRoute != nil {
		sn.noRoute = true
		if kind, _ := tf.Verdict(s.imported(policy, ov), true); kind == lang.KindLibrary {
			sn.diags = slices.DeleteFunc(slices.Clone(sn.diags), func(d *lang.Diagnostic) bool { return d == tf.NoRoute })
		}
	}
	if sn.prog != nil {
		for _, pkg := range sn.prog.Packages {
			for _, f := range pkg.Files {
				sn.files[filepath.Clean(f.File.Name)] = f
			}
		}
	}
	return sn
}

// openDoc is the open document at path, or nil.
func (s *Server) openDoc(path string) *document {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.docs[path]
}

// present reports whether path is an open document or a file on disk.
func (s *Server) present(path string) bool {
	return s.openDoc(path) != nil || onDisk(path)
}

// resolveAt resolves a request's position in path from sn: the parsed
// file and the offset. fn is nil when the file did not load.
func resolveAt(sn *snapshot, path string, pos protocol.Position) (*snapshot, *lang.FileNode, lang.Pos) {
	fn := sn.fileNode(path)
	if fn == nil {
		return sn, nil, lang.NoPos
	}
	return sn, fn, toOffset(fn.File, pos)
}

// answerAt is answer for a request at a position of a document: f gets
// what resolveAt returns, from the snapshot pinned when the request came.
func answerAt[T any](s *Server, method string, uri protocol.DocumentUri, pos protocol.Position, f func(sn *snapshot, fn *lang.FileNode, p lang.Pos) (T, error)) (T, error) {
	path := uriToPath(uri)
	return answer(s, method, s.pin(path), false, func(sn *snapshot) (T, error) {
		return f(resolveAt(sn, path, pos))
	})
}

// text returns the current text of path: the open buffer or the file.
func (s *Server) text(path string) *lang.File {
	if d := s.openDoc(path); d != nil {
		return d.file
	}
	src, err := lang.ReadFile(path)
	if err != nil {
		return nil
	}
	return lang.NewFile(path, src)
}

// workspacePolicies lists the policies of the workspace folders and of the
// open documents, sorted: what references and rename search.
func (s *Server) workspacePolicies() []string {
	seen := map[string]bool{}
	for _, p := range s.workspaceFiles() {
		seen[policyOf(p)] = true
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		if s.present(p) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// workspaceFiles lists the .rpl files of the workspace folders (hidden
// files and directories aside, as lang.WalkPolicyTree leaves them) and
// the open documents.
//
// A folder's walk is kept for treeRecheck, as the trees of policy ids
// are, unless the client reports a change on disk under it or the folders
// change: every check of a policy without route (a library, a file being
// started) lists the files, and a walk of a folder of 100,000 files (a
// repository opened at its root) took 150 ms of each. The walk of its
// node_modules directories is kept longer (depsWalk).
//
// A walk is bounded (walkFolder): a folder with more than maxWalkEntries
// entries gives the .rpl files among its first ones, and the editor is
// told once, until the folder is small enough again. A walk that the
// session's end or the folder's removal ended gives nothing, and is not
// kept.
func (s *Server) workspaceFiles() []string {
	s.mu.Lock()
	folders := append([]string(nil), s.folders...)
	var out []string
	for p := range s.docs {
		out = append(out, p)
	}
	s.mu.Unlock()
	for _, dir := range folders {
		s.mu.Lock()
		w, gen := s.walks[dir], s.walkGen
		s.mu.Unlock()
		if w == nil || time.Since(w.at) >= treeRecheck {
			var deps *depsWalk
			if w != nil {
				deps = w.deps
			}
			files, deps, end, in := s.walkFolder(dir, deps)
			if end == walkEnded {
				continue
			}
			w = &folderWalk{files: files, at: time.Now(), deps: deps}
			s.mu.Lock()
			if s.walks == nil {
				s.walks = map[string]*folderWalk{}
			}
			if s.walkGen == gen { // no change reported during the walk
				s.walks[dir] = w
			}
			warn := false
			// A folder removed since the walk's last look is not marked
			// (removeFolder cleared its mark), nor told.
			if slices.Contains(s.folders, dir) {
				if s.walkTooLarge == nil {
					s.walkTooLarge = map[string]bool{}
				}
				warn = end == walkLimit && !s.walkTooLarge[dir]
				if end == walkLimit {
					s.walkTooLarge[dir] = true
				} else {
					delete(s.walkTooLarge, dir)
				}
			}
			s.mu.Unlock()
			if warn {
				// Said once, until the folder is small enough again: the
				// editor shows it, where a log line would go unseen.
				msg := fmt.Sprintf("%s has more than %d entries: the language server looks for .rpl files among the first %d only (which files import a library, module paths to complete); open the folder that holds the policies", dir, maxWalkEntries, maxWalkEntries)
				if in != "" {
					// Every entry outside node_modules was visited: the
					// policies were found, and the hint would mislead.
					msg = fmt.Sprintf("%s has more than %d entries, counting those of %s: the language server found every .rpl file outside its node_modules directories, and only those among the first entries in %s (which files import a library, module paths to complete)", dir, maxWalkEntries, in, in)
				}
				s.tell(protocol.MessageTypeWarning, msg)
			}
		}
		out = append(out, w.files...)
		if w.deps != nil {
			out = append(out, w.deps.files...)
		}
	}
	return out
}

// folderWalk is the .rpl files of a workspace folder, found at a time:
// those outside its node_modules directories, and deps, those in them.
type folderWalk struct {
	files []string
	at    time.Time
	deps  *depsWalk
}

// depsWalk is the walk of a folder's node_modules directories (roots),
// walked last (walkFolder): files, found at a time, and how the walk
// ended (in: the directory it reached the limit in). It is kept for
// depsRecheck, across the walks of the rest of the folder, unless the
// client reports a change under a node_modules directory of the folder:
// a JavaScript project's, of up to maxWalkEntries entries, was walked
// whole at every treeRecheck.
type depsWalk struct {
	roots []string
	files []string
	at    time.Time
	end   int
	in    string
}

// depsRecheck is how long the walk of a folder's node_modules directories
// is kept without a report of a change under them.
const depsRecheck = time.Minute

// maxWalkEntries bounds the walk of one workspace folder (walkFolder):
// the entries visited, files and directories of any kind. A client whose
// root is / or a home directory walked the whole file system, at every
// treeRecheck, the checks that list the workspace's files waiting on it.
// Set before a walk (tests).
var maxWalkEntries = 100_000

// walkCheckEvery is how many entries walkFolder visits between two looks
// at whether the session has ended or the folder was removed.
const walkCheckEvery = 256

// walkHook, when set (tests), runs as walkFolder looks whether to end,
// with the number of entries visited.
var walkHook func(dir string, visited int)

// How a walk of a folder ended (walkFolder).
const (
	walkDone  = iota // every entry was visited
	walkLimit        // maxWalkEntries were
	walkEnded        // the session ended, or the folder was removed
)

var errWalkStop = errors.New("walk stopped")

// walkFolder lists the .rpl files under dir for workspaceFiles. It skips
// hidden directories (.git, and hidden files) as lang.WalkPolicyTree and
// rplc do, and only those: every other directory may hold policies (rplc
// check walks node_modules, vendor and build directories too), and is
// walked. Skipping node_modules as well made a library imported only from
// there RPL212 in the editor, which `rplc check DIR` passed.
// It stops after maxWalkEntries entries (walkLimit), and when the
// session ends or dir is no longer a workspace folder (walkEnded). The
// node_modules directories are walked last, so that one of more entries
// than the limit (a JavaScript project's, of 100,000 files and more)
// does not keep the walk from the policies beside it, which come after
// it in the order of names; in is the node_modules directory in which
// the walk reached the limit, if it did in one. The node_modules
// directories' walk, deps, is that of the last walk (kept, nil for none)
// when it is younger than depsRecheck and of the same directories, and is
// made again otherwise.
func (s *Server) walkFolder(dir string, kept *depsWalk) (files []string, deps *depsWalk, end int, in string) {
	var out []string
	n := 0
	end = walkDone
	var later []string // node_modules directories, walked last
	visit := func(root string) {
		_ = filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
			if n%walkCheckEvery == 0 {
				if walkHook != nil {
					walkHook(dir, n)
				}
				if s.walkOver(dir) {
					end = walkEnded
					return errWalkStop
				}
			}
			if n++; n > maxWalkEntries {
				end = walkLimit
				return errWalkStop
			}
			if err != nil {
				return nil
			}
			if e.IsDir() && p != root {
				switch name := e.Name(); {
				case lang.Hidden(name):
					return filepath.SkipDir
				case name == "node_modules":
					later = append(later, p)
					return filepath.SkipDir
				}
				return nil
			}
			if !e.IsDir() && strings.HasSuffix(p, ".rpl") && !lang.Hidden(e.Name()) {
				out = append(out, filepath.Clean(p))
			}
			return nil
		})
	}
	visit(dir)
	if end != walkDone {
		return out, nil, end, ""
	}
	if kept != nil && slices.Equal(kept.roots, later) && time.Since(kept.at) < depsRecheck {
		return out, kept, kept.end, kept.in
	}
	main := len(out)
	deps = &depsWalk{roots: slices.Clone(later), at: time.Now()}
	for len(later) > 0 { // the node_modules found in them are added
		root := later[0]
		later = later[1:]
		n-- // root was counted when it was skipped
		visit(root)
		if end != walkDone {
			if end == walkLimit {
				in = root
			}
			break
		}
	}
	deps.files, deps.end, deps.in = out[main:], end, in
	if end == walkEnded {
		deps = nil
	}
	return out[:main], deps, end, in
}

// walkOver reports whether a walk of dir should end: the session has
// ended, or dir is no longer a workspace folder.
func (s *Server) walkOver(dir string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return (s.ctx != nil && s.ctx.Err() != nil) || !slices.Contains(s.folders, dir)
}

// forgetWalksLocked drops the kept walks of the folders that hold path, or
// of every folder for "". The walk of a folder's node_modules directories
// is kept, but for a path under one of them.
func (s *Server) forgetWalksLocked(path string) {
	s.walkGen++
	for dir, w := range s.walks {
		rel, ok := under(dir, path)
		switch {
		case path == "" || !ok:
			if path == "" {
				delete(s.walks, dir)
			}
		case w.deps != nil && !slices.Contains(strings.Split(filepath.ToSlash(rel), "/"), "node_modules"):
			s.walks[dir] = &folderWalk{deps: w.deps} // walked again, node_modules aside
		default:
			delete(s.walks, dir)
		}
	}
}

// imported reports whether a file of the workspace other than path's own
// test file imports or extends path, which makes path a library: it needs
// no route (RPL212). A test file without its policy does not count: it is
// not checked further (RPL215), as rplc check and build do not load its
// imports (lang.Trees). Only imports are parsed, with the overlay's texts,
// and only those of files changed since the last call (loadsCache).
func (s *Server) imported(path string, ov overlay) bool {
	files := s.workspaceFiles()
	present := make(map[string]bool, len(files))
	for _, p := range files {
		present[p] = true
	}
	s.fileLoads.mu.Lock()
	defer s.fileLoads.mu.Unlock()
	old := s.fileLoads.m
	next := make(map[string]loadsEntry, len(files))
	found := false
	for _, p := range files {
		key := textKey(p, ov)
		e, ok := old[p]
		if !ok || e.key != key {
			e = loadsEntry{key: key}
			if src := key.src(p); src != nil {
				f, _ := lang.Parse(p, src)
				e.loads = f.Loads()
			}
		}
		next[p] = e
		if policy := lang.PolicyOf(p); lang.IsTestFile(p) && (policy == p || !present[policy]) {
			continue // a test file without its policy
		}
		if p != path && p != lang.TestFileName(path) && slices.Contains(e.loads, path) {
			found = true
		}
	}
	// Only the files of this call are kept: a deleted file, or one of a
	// folder removed, is forgotten.
	s.fileLoads.m = next
	return found
}

// loadsCache keeps, per file of the workspace, what its import and
// extends clauses name (lang.FileNode.Loads), with the key of the text
// they were read from (textKey, as for policy ids' facts). A file the
// client reports changed on disk is read again whatever its key.
type loadsCache struct {
	mu sync.Mutex
	m  map[string]loadsEntry
}

func (c *loadsCache) forget(path string) {
	c.mu.Lock()
	delete(c.m, path)
	c.mu.Unlock()
}

type loadsEntry struct {
	key   factsKey
	loads []string
}

// inWorkspace reports whether path lies in a workspace folder (or is open).
func (s *Server) inWorkspace(path string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inWorkspaceLocked(path)
}

// inWorkspaceLocked is inWorkspace with s.mu held.
func (s *Server) inWorkspaceLocked(path string) bool {
	if s.docs[path] != nil {
		return true
	}
	for _, dir := range s.folders {
		if _, ok := under(dir, path); ok {
			return true
		}
	}
	return false
}

// under is path relative to dir when it lies in dir (or is dir: "."). A
// name that starts with two dots (..x) is in dir.
func under(dir, path string) (string, bool) {
	rel, err := filepath.Rel(dir, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return rel, true
}

// underAny reports whether path lies under one of dirs (not is one), as
// under says.
func underAny(dirs map[string]bool, path string) bool {
	for d := filepath.Dir(path); ; d = filepath.Dir(d) {
		if dirs[d] {
			return true
		}
		if filepath.Dir(d) == d {
			return false
		}
	}
}

// changeFolders adds and removes workspace folders. The folders decide
// which files are libraries (RPL212) and which trees hold policy ids
// (RPL216): the open documents' policies are checked again, and the trees
// of the folders changed walked again, at the next flush.
func (s *Server) changeFolders(added, removed []protocol.WorkspaceFolder) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range added {
		if p := uriToPath(f.URI); !slices.Contains(s.folders, p) {
			s.folders = append(s.folders, p)
			s.refolded[p] = true
		}
	}
	for _, f := range removed {
		p := uriToPath(f.URI)
		if i := slices.Index(s.folders, p); i >= 0 {
			s.folders = slices.Delete(s.folders, i, i+1)
			s.refolded[p] = true
			delete(s.walkTooLarge, p) // told again should it be added again
		}
	}
	s.gen++
	s.forgetWalksLocked("")
	// The files of a folder removed that are not open are no longer of
	// the workspace: what they named is not kept (importsChanged). The
	// open policies are checked again, which asks again who imports them.
	for p := range s.loads {
		if !s.inWorkspaceLocked(p) {
			delete(s.loads, p)
		}
	}
	if len(s.docs) > 0 {
		for p := range s.docs {
			s.dirty[policyOf(p)] = true
		}
		s.scheduleLocked()
	}
}

// ---- text synchronisation ----

func (s *Server) didOpen(p *protocol.DidOpenTextDocumentParams) {
	path := uriToPath(p.TextDocument.URI)
	s.mu.Lock()
	s.docs[path] = &document{uri: p.TextDocument.URI, path: path, version: int32(p.TextDocument.Version), file: lang.NewFile(path, []byte(p.TextDocument.Text))}
	s.changedLocked(path)
	s.mu.Unlock()
}

// maxDocument bounds an open document's text (64 MiB, the most a didOpen
// can bring): edits that make one larger are not followed. Each didChange
// could add up to a message's size, without end. Set before New (tests).
var maxDocument = maxContentLength

func (s *Server) didChange(p *protocol.DidChangeTextDocumentParams) {
	path := uriToPath(p.TextDocument.URI)
	s.mu.Lock()
	d := s.docs[path]
	if d == nil {
		s.mu.Unlock()
		return
	}
	src := d.file.Src
	lines := d.file.EditorLines() // src's, until a whole text replaces it
	var ed *editBuffer            // the incremental changes' text, made at the first
	for _, c := range p.ContentChanges {
		switch c := c.(type) {
		case protocol.TextDocumentContentChangeEventWhole:
			if ed == nil {
				src, lines = []byte(c.Text), nil
			} else {
				ed.replaceAll(c.Text)
			}
		case protocol.TextDocumentContentChangeEvent:
			if ed == nil {
				if lines == nil {
					lines = lang.NewFile(path, src).EditorLines()
				}
				ed = newEditBuffer(src, lines)
			}
			ed.replace(*c.Range, c.Text)
		}
	}
	if ed != nil {
		src = ed.src
	}
	if len(src) > maxDocument {
		// Closed here, as didClose would, once the editor is told (before
		// its diagnostics are cleared); the file is read from disk until
		// it is opened again. Only this goroutine changes the documents.
		s.mu.Unlock()
		msg := fmt.Sprintf("%s: the text is %d bytes after the edit, more than the language server's limit of %d: it no longer follows the document's edits; close it and open it again once it is smaller", d.uri, len(src), maxDocument)
		s.tell(protocol.MessageTypeError, msg)
		s.mu.Lock()
		s.closeLocked(path)
		s.mu.Unlock()
		return
	}
	s.docs[path] = &document{uri: d.uri, path: path, version: int32(p.TextDocument.Version), file: lang.NewFile(path, src)}
	s.changedLocked(path)
	s.mu.Unlock()
}

func (s *Server) didClose(p *protocol.DidCloseTextDocumentParams) {
	path := uriToPath(p.TextDocument.URI)
	s.mu.Lock()
	s.closeLocked(path)
	s.mu.Unlock()
}

// closeLocked forgets the open document at path. s.mu is held.
func (s *Server) closeLocked(path string) {
	delete(s.docs, path)
	// Nothing asks for its snapshots any more: they are not kept for the
	// session, one for every document ever opened.
	delete(s.good, path)
	if s.dotCheck != nil && s.dotCheck.path == path {
		s.dotCheck = nil
	}
	if policy := policyOf(path); !s.openLocked(policy) {
		delete(s.snaps, policy)
	}
	// The next flush publishes the file again when an open document still
	// checks it (its test file, its policy), and else clears it.
	s.changedLocked(path)
}

func (s *Server) didChangeWatchedFiles(p *protocol.DidChangeWatchedFilesParams) {
	paths := make([]string, len(p.Changes))
	for i, c := range p.Changes {
		paths[i] = uriToPath(c.URI)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changedOnDiskLocked(paths)
}

// changedOnDiskLocked records files changed, created or deleted on disk.
// A path that is no policy file may be a folder deleted or renamed, which
// clients report alone, not file by file: the files under it that checks
// read (or tried to) changed too.
func (s *Server) changedOnDiskLocked(paths []string) {
	seen := map[string]bool{}
	for _, p := range paths {
		seen[p] = true
	}
	// Each file read is looked for among the folders by its parent
	// directories: each folder reported was compared with each file read,
	// 5 s for 10,000 files deleted (a checkout) and 20 open policies.
	dirs := map[string]bool{}
	for _, p := range paths {
		if !strings.HasSuffix(p, ".rpl") {
			dirs[p] = true
		}
	}
	if len(dirs) > 0 {
		for _, sn := range s.snaps {
			for p := range sn.asked {
				if !seen[p] && underAny(dirs, p) {
					seen[p] = true
					paths = append(paths, p)
				}
			}
		}
	}
	for _, path := range paths {
		s.onDisk[path] = true
		s.fileLoads.forget(path)
		s.forgetWalksLocked(path)
		if s.docs[path] != nil {
			continue // the editor's buffer wins over the disk
		}
		s.changedLocked(path)
	}
}

// changedLocked starts a new generation after path changed and schedules
// diagnostics for its policy and for every open policy whose check read
// it or tried to (a missing import that now exists).
func (s *Server) changedLocked(path string) {
	s.gen++
	s.edited[path] = true
	s.dirty[policyOf(path)] = true
	for policy, sn := range s.snaps {
		if sn.asked[path] {
			s.dirty[policy] = true
		}
	}
	s.scheduleLocked()
}

// importsChanged returns the open policies without route whose importers
// changed: the files that an edited file's import and extends clauses
// name now or named at the last flush that looked, or every open one when
// no flush looked at an edited file before. Whether such a policy
// is a library (no RPL212) depends on them. The edited files are read
// from the snapshots just checked when these loaded them, else parsed.
func (s *Server) importsChanged(edited map[string]bool, checked map[string]*snapshot, ov overlay) []string {
	affected := map[string]bool{}
	unknown := false // an edited file whose earlier clauses were never read
	for path := range edited {
		var now []string
		gone := false
		if fn := checked[policyOf(path)].fileNode(path); fn != nil {
			now = fn.Loads()
		} else {
			var src []byte
			if d := ov[path]; d != nil {
				src = d.file.Src
			} else if b, err := lang.ReadFile(path); err == nil {
				src = b
			} else {
				gone = true
			}
			if src != nil {
				f, _ := lang.Parse(path, src)
				now = f.Loads()
			}
		}
		s.mu.Lock()
		old, known := s.loads[path]
		if !gone && !s.inWorkspaceLocked(path) {
			// Closed, outside every folder: no longer a file of the
			// workspace (imported), it names nothing now, and is not
			// kept, lest every file a client ever opened or reported
			// changed be kept for the session.
			gone, now = true, nil
		}
		if gone {
			delete(s.loads, path)
		} else {
			s.loads[path] = now // nil too: known to name nothing
		}
		s.mu.Unlock()
		unknown = unknown || !known
		for _, p := range old {
			if !slices.Contains(now, p) {
				affected[p] = true
			}
		}
		for _, p := range now {
			if !slices.Contains(old, p) {
				affected[p] = true
			}
		}
	}
	var out []string
	s.mu.Lock()
	if unknown {
		// What it named before is not known (a file on disk never
		// edited here, or deleted): any open policy may have lost it.
		for p := range s.docs {
			affected[policyOf(p)] = true
		}
	}
	for p := range affected {
		if !s.openLocked(p) {
			continue
		}
		if sn := s.snaps[p]; sn != nil && !sn.noRoute {
			continue // it has a route: being imported changes nothing
		}
		out = append(out, p)
	}
	s.mu.Unlock()
	sort.Strings(out)
	return out
}
