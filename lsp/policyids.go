package lsp

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/rpl-lang/rpl/lang"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// Policy ids (RPL216). The policies of a policy tree must have distinct
// ids, their package names, as `rplc check DIR`, `rplc build DIR` and a
// router loading DIR require (lang.CheckPolicyIDs). In the editor, the
// tree of a file is the outermost workspace folder that holds it: the
// directory `rplc check FOLDER` walks (lang.WalkPolicyTree: hidden files
// and directories aside). Its files are the .rpl files found on disk
// there and the open documents under it, read from the overlay.
//
// Each flush finds, for the trees that hold an open policy, the first
// policy of each id in the order of the paths; an open policy that is not
// the first of its id gets the error that lang.CheckPolicyIDs gives it
// beside that first one. A policy the flush publishes that is a test
// module (tests, no route), no file importing it, gets RPL212 as rplc
// check gives it (lang.TestModuleInTree): a tree cannot hold one. A policy checked by the flush is its checked
// main package; any other file is read from its parse (facts): the
// package clause and whether it has a route function, its own or
// inherited through extends. Facts are kept between
// flushes, by open document or by file modification time and size; the
// tree is walked again, and its files' times compared, at the first flush
// treeRecheck after the last walk, or when the client reports a change on
// disk under it.

const (
	// maxTreeEntries bounds the walk of one tree: a folder with more
	// entries (files and directories, of any kind) is not checked for
	// policy ids.
	maxTreeEntries = 20000
	// treeRecheck is how long a walk of a tree, and the files' times on
	// disk, are trusted without a report of a change from the client.
	treeRecheck = 2 * time.Second
)

var errTreeTooLarge = errors.New("too many entries")

// facts is what a file tells of a policy id, from its parse.
type facts struct {
	node    *lang.FileNode // the file and its package clause only
	route   int8           // its first declaration named route: 1 a function, -1 another, 0 none
	extends string         // the file it extends, resolved, or ""
	tests   bool           // it declares a test
	syntax  bool           // it has a syntax error (lang.SyntaxErrors)
}

// factsKey identifies the text that facts were read from: an open
// document (replaced at each edit), or a file's modification time and
// size.
type factsKey struct {
	doc  *document
	mod  time.Time
	size int64
}

// textKey is the key of path's current text: its open document, else
// its time and size on disk (zero when it cannot be read).
func textKey(path string, ov overlay) factsKey {
	if d := ov[path]; d != nil {
		return factsKey{doc: d}
	}
	if fi, err := os.Stat(path); err == nil && !fi.IsDir() {
		return factsKey{mod: fi.ModTime(), size: fi.Size()}
	}
	return factsKey{}
}

// src is the text that k identifies, or nil.
func (k factsKey) src(path string) []byte {
	switch {
	case k.doc != nil:
		return k.doc.file.Src
	case !k.mod.IsZero():
		src, _ := lang.ReadFile(path)
		return src
	}
	return nil
}

type factsEntry struct {
	key   factsKey
	facts *facts // nil: the file cannot be read
	used  bool   // by the current flush
}

// treeState is the last walk of a tree.
type treeState struct {
	files    []treeFile      // its policy files on disk (test files aside)
	walked   map[string]bool // their paths
	tooLarge bool
	at       time.Time
}

// treeFile is a file of a tree: its path, and its path relative to the
// root, slash-separated, which orders the policies.
type treeFile struct{ path, rel string }

// idState is what the flushes keep for policy ids; flushes run one at a
// time and only they use it (Server.flushing).
type idState struct {
	facts     map[string]*factsEntry // by path
	trees     map[string]*treeState  // by root
	published map[string]string      // by open policy: the RPL216 published, as dupKey has it
	// tooLarge holds the roots found too large to walk, the editor told
	// once: kept when no open document is in the tree any more, so that
	// switching documents does not tell it again.
	tooLarge map[string]bool
}

// factsOf reads the facts of the file at path, from the overlay or the
// disk, reusing what an earlier flush read from the same text; a file on
// disk is looked at again only when recheck is set. It returns nil when
// the file cannot be read.
func (st *idState) factsOf(path string, ov overlay, recheck bool) *facts {
	e := st.facts[path]
	if e != nil && e.key.doc == nil && ov[path] == nil && !recheck {
		e.used = true
		return e.facts
	}
	key := textKey(path, ov)
	if e != nil && e.key == key {
		e.used = true
		return e.facts
	}
	var fa *facts
	if src := key.src(path); src != nil {
		fa = parseFacts(path, src)
	}
	if st.facts == nil {
		st.facts = map[string]*factsEntry{}
	}
	st.facts[path] = &factsEntry{key: key, facts: fa, used: true}
	return fa
}

func parseFacts(path string, src []byte) *facts {
	f, diags := lang.Parse(path, src)
	fa := &facts{node: &lang.FileNode{File: f.File, Package: f.Package}, syntax: lang.SyntaxErrors(diags, f.File)}
	if f.Extends != nil {
		fa.extends = f.Loads()[0] // the extended file comes first
	}
	for _, d := range f.Decls {
		if _, ok := d.(*lang.TestDecl); ok {
			fa.tests = true
		}
	}
	for _, d := range f.Decls {
		var name *lang.Ident
		fn := false
		switch d := d.(type) {
		case *lang.ConstDecl:
			name = d.Name
		case *lang.TypeDecl:
			name = d.Name
		case *lang.FuncDecl:
			name, fn = d.Name, true
		}
		if name != nil && name.Name == "route" {
			fa.route = -1
			if fn {
				fa.route = 1
			}
			break
		}
	}
	return fa
}

// policy is what the ids need of a policy file's main package.
type policy struct {
	path  string
	rel   string         // relative to the tree's root, slash-separated: the order
	node  *lang.FileNode // its package clause's file
	name  string         // its id
	route bool           // lang.HasRoute
	tests bool           // lang.HasTests (lang.TreeFile.Tests)
	main  *lang.Package  // the checked one, or nil
}

// parsedPolicy reads, from facts, what lang.Check would give of the
// policy at path: its package clause and whether it has a route function
// (lang.HasRoute): its own, or inherited; a route its test file declares
// is the tests' (language.md §8.4); and whether it has tests, its file
// without syntax errors (lang.TreeFile.Tests). An extended file is loaded
// without its tests, and a cycle of extends stops where it closes. ok is
// false when the file cannot be read.
func (st *idState) parsedPolicy(path string, ov overlay, recheck bool) (node *lang.FileNode, route, tests, ok bool) {
	fa := st.factsOf(path, ov, recheck)
	if fa == nil {
		return nil, false, false, false
	}
	tests = fa.tests
	if t := st.factsOf(lang.TestFileName(path), ov, recheck); t != nil {
		tests = tests || t.tests
	}
	tests = tests && !fa.syntax // whether it is a test module is not known (lang.TreeFile.Tests)
	r := fa.route
	var seen []string
	for ext := fa.extends; r != 1 && ext != "" && ext != path && !slices.Contains(seen, ext); {
		seen = append(seen, ext)
		p := st.factsOf(ext, ov, recheck)
		if p == nil {
			break
		}
		r, ext = p.route, p.extends
	}
	return fa.node, r == 1, tests, true
}

// stub is a main package as lang.CheckPolicyIDs reads it — its path, name,
// package clause and route function (lang.HasRoute looks the function up
// in the package's scope) — for a policy known from its parse.
func stub(path, name string, node *lang.FileNode, route bool) *lang.Package {
	pkg := &lang.Package{Path: path, Name: name, Files: []*lang.FileNode{node}, Scope: &lang.Scope{}}
	if route {
		pkg.Scope.Insert(&lang.Object{Kind: lang.ObjFunc, Name: "route", Pkg: pkg})
	}
	return pkg
}

// treeOf is the policy tree of path: the outermost of folders that holds
// it, with no hidden directory on the way, or "".
func treeOf(path string, folders []string) string {
	root := ""
	for _, dir := range folders {
		rel, ok := under(dir, path)
		if !ok || rel == "." {
			continue
		}
		hidden := false
		for _, part := range strings.Split(rel, string(filepath.Separator)) {
			hidden = hidden || lang.Hidden(part)
		}
		if !hidden && (root == "" || len(dir) < len(root)) {
			root = dir
		}
	}
	return root
}

// walkTree lists the policy files (test files aside) on disk of the tree
// at root, walked as `rplc check root` walks them. It fails when the tree
// has more than maxTreeEntries entries.
func walkTree(root string) ([]treeFile, error) {
	var out []treeFile
	n := 0
	err := lang.WalkPolicyTree(root, func(_, rel string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if n++; n > maxTreeEntries {
			return errTreeTooLarge
		}
		if !d.IsDir() && strings.HasSuffix(rel, ".rpl") && !lang.IsTestFile(rel) {
			out = append(out, treeFile{filepath.Join(root, filepath.FromSlash(rel)), rel})
		}
		return nil
	})
	if errors.Is(err, errTreeTooLarge) {
		return nil, err
	}
	return out, nil
}

// policyIDs returns, for each open policy (open is the set) that lies in
// a policy tree, the RPL216 error of its id, or nil. checked holds the
// snapshots of this flush, whose main packages are used as they are;
// onDisk are the files the client reported changed on disk since the last
// flush.
func (s *Server) policyIDs(open map[string]bool, checked map[string]*snapshot, folders []string, ov overlay, onDisk map[string]bool) map[string]*lang.Diagnostic {
	st := &s.ids
	if st.trees == nil {
		st.trees = map[string]*treeState{}
	}
	for _, e := range st.facts {
		e.used = false
	}
	for p := range onDisk {
		delete(st.facts, p)
	}
	roots := map[string][]string{} // the open documents of each tree
	for p := range ov {
		if r := treeOf(p, folders); r != "" {
			roots[r] = append(roots[r], p)
		}
	}
	now := time.Now()
	out := map[string]*lang.Diagnostic{}
	for root, docs := range roots {
		tr := st.trees[root]
		recheck := tr == nil || now.Sub(tr.at) >= treeRecheck
		for p := range onDisk {
			recheck = recheck || treeOf(p, []string{root}) == root
		}
		if recheck {
			files, err := walkTree(root)
			if err != nil && !st.tooLarge[root] {
				// Said once, until the folder is small enough again: the
				// editor shows it, where a log line would go unseen.
				msg := fmt.Sprintf("%s has more than %d entries: policy ids (RPL216) are not checked in it (rplc check %s checks them)", root, maxTreeEntries, root)
				s.tell(protocol.MessageTypeWarning, msg)
			}
			if st.tooLarge == nil {
				st.tooLarge = map[string]bool{}
			}
			if err != nil {
				st.tooLarge[root] = true
			} else {
				delete(st.tooLarge, root)
			}
			tr = &treeState{files: files, walked: make(map[string]bool, len(files)), tooLarge: err != nil, at: now}
			for _, f := range files {
				tr.walked[f.path] = true
			}
			st.trees[root] = tr
		}
		if tr.tooLarge {
			continue
		}
		first := make(map[string]*policy, len(tr.files)) // by id
		var mine []*policy                               // the open ones
		add := func(path, rel string) {
			p := &policy{path: path, rel: rel}
			if sn := checked[path]; sn != nil && sn.prog != nil {
				m := sn.prog.Main
				if m == nil || len(m.Files) == 0 {
					return
				}
				tf := lang.TreeFileOf(path, sn.prog, sn.diags)
				p.main, p.node, p.name, p.route, p.tests = m, m.Files[0], m.Name, tf.Route, tf.Tests
			} else {
				node, route, tests, ok := st.parsedPolicy(path, ov, recheck)
				if !ok {
					return
				}
				p.node, p.route, p.tests = node, route, tests
				if node.Package != nil {
					p.name = node.Package.Name.Name
				}
			}
			if (open[path] || checked[path] != nil) && !p.route && p.tests {
				// A test module in the tree, as rplc check says (RPL212,
				// lang.TreeFile.Verdict): for the policies this flush
				// publishes.
				tf := lang.TreeFile{Path: path, Clause: p.node, Name: p.name, Tests: true}
				if _, d := tf.Verdict(s.imported(path, ov), false); d != nil {
					out[path] = d
				}
			}
			if p.node.Package == nil || p.name == "" || !p.route {
				return
			}
			if f := first[p.name]; f == nil || p.rel < f.rel {
				first[p.name] = p
			}
			if open[path] {
				mine = append(mine, p)
			}
		}
		for _, f := range tr.files {
			add(f.path, f.rel)
		}
		for _, p := range docs {
			if !strings.HasSuffix(p, ".rpl") || lang.IsTestFile(p) {
				continue
			}
			if tr.walked[p] {
				continue
			}
			if rel, err := filepath.Rel(root, p); err == nil {
				add(p, filepath.ToSlash(rel))
			}
		}
		// lang.CheckPolicyIDs gives a policy that is not the first of its
		// id its error beside that first one, whatever else the tree has.
		for _, p := range mine {
			f := first[p.name]
			if f == p {
				continue
			}
			for _, d := range lang.CheckPolicyIDs(root, []*lang.Package{f.mainPkg(), p.mainPkg()}) {
				if filepath.Clean(d.File.Name) == p.path {
					out[p.path] = d
				}
			}
		}
	}
	for root := range st.trees {
		if roots[root] == nil {
			delete(st.trees, root)
		}
	}
	for root := range st.tooLarge {
		if !slices.Contains(folders, root) {
			delete(st.tooLarge, root) // told again if it comes back
		}
	}
	for p, e := range st.facts {
		if !e.used {
			delete(st.facts, p)
		}
	}
	return out
}

// mainPkg is the main package of p: the checked one, or a stub.
func (p *policy) mainPkg() *lang.Package {
	if p.main != nil {
		return p.main
	}
	return stub(p.path, p.name, p.node, p.route)
}

// dupKey is what the editor shows of an RPL216 error, to tell whether it
// changed.
func dupKey(d *lang.Diagnostic) string {
	if d == nil {
		return ""
	}
	k := fmt.Sprint(toRange(d.File, d.Span), d.Message)
	for _, r := range d.Related {
		if r.File != nil {
			k += fmt.Sprint("\x00", r.File.Name, toRange(r.File, r.Span), r.Message)
		}
	}
	return k
}
