package lang

import (
	"path/filepath"
	"sort"
)

// The rules of a policy tree (language.md §8.2) that say what each of its
// files is: a policy (a route function, its own or inherited), a library
// (no route, imported or extended by another file), a test module (tests
// and no route, imported by no file), or a file refused for want of a
// route (RPL212). rplc check, rplc build (bundle.Build), rplc test
// (policytest.RunTrees), the router's loading of a directory and the
// editor all apply them through TreeFile.Verdict, the batch tools through
// Trees, so that each says the same thing at the same place.

// FileKind is what the rules of a policy tree make of one of its files.
type FileKind uint8

// The kinds of file of a policy tree.
const (
	// KindPolicy has a route function, its own or inherited: a bundle
	// carries it and a router serves it under its id, its package name.
	KindPolicy FileKind = iota + 1
	// KindLibrary has no route and another file imports or extends it.
	KindLibrary
	// KindTestModule has tests, no route, and no file imports or
	// extends it: rplc test runs its tests; a policy tree cannot hold
	// one (RPL212, TestModuleInTree).
	KindTestModule
	// KindNoRoute has neither route nor tests, and no file imports or
	// extends it: its RPL212 from Check refuses it. So is a policy file
	// whose syntax errors leave it unknown whether it declares route,
	// about which Check says no RPL212 (its syntax errors are said).
	KindNoRoute
)

// TreeFile is what the rules of a policy tree read of the check of one of
// its policy files (a test file stands for its policy, checked with it).
type TreeFile struct {
	Path   string    // the policy file, cleaned, as Check named it
	Clause *FileNode // the policy file's File and package clause (Package nil: none); nil when it was not loaded
	Name   string    // its package name: a policy's id
	Route  bool      // HasRoute of its main package
	Tests  bool      // HasTests of its main package, when its file has no syntax error
	// NoRoute is the RPL212 Check gave it (Config.Policy), or nil.
	NoRoute *Diagnostic
}

// TreeFileOf is what the rules read of the policy at path, which Check
// (with Config.Policy) returned as prog (nil allowed) with diags. Whether a
// file with syntax errors has tests is not asked: they may have swallowed
// route's header, which is why Check does not say RPL212 of it either.
func TreeFileOf(path string, prog *Program, diags DiagList) TreeFile {
	tf := TreeFile{Path: filepath.Clean(path)}
	if prog != nil && prog.Main != nil && len(prog.Main.Files) > 0 {
		tf = mainTreeFile(prog.Main)
		tf.Tests = tf.Tests && !SyntaxErrors(diags, tf.Clause.File)
	}
	for _, d := range diags {
		if d.Code == CodeNoRoute {
			tf.NoRoute = d
		}
	}
	return tf
}

// SyntaxErrors reports whether diags hold a syntax error (RPL1xx) of
// file, which may have swallowed a declaration: of route, so that whether
// the file is a test module is not known (TreeFile.Tests).
func SyntaxErrors(diags DiagList, file *File) bool {
	for _, d := range diags {
		if d.File == file && d.Code < CodeUndefined {
			return true
		}
	}
	return false
}

// mainTreeFile is what the rules read of m, a main package with a file.
func mainTreeFile(m *Package) TreeFile {
	f := m.Files[0]
	return TreeFile{Path: m.Path, Clause: &FileNode{File: f.File, Package: f.Package}, Name: m.Name, Route: HasRoute(m), Tests: HasTests(m)}
}

// Verdict is what the rules make of f: its kind, given whether another
// file imports or extends it (loaded), and the error that refuses it, or
// nil. A test module is refused (TestModuleInTree) when testModules is
// false: a policy tree that rplc check walks, rplc build builds or a
// router loads cannot hold one; rplc test runs it.
func (f *TreeFile) Verdict(loaded, testModules bool) (FileKind, *Diagnostic) {
	switch {
	case f.Route:
		return KindPolicy, nil
	case loaded:
		return KindLibrary, nil
	case f.Tests:
		if testModules || f.Clause == nil || f.Clause.Package == nil {
			return KindTestModule, nil
		}
		return KindTestModule, TestModuleInTree(f.Clause.File, f.Clause.Package.Sp)
	}
	return KindNoRoute, f.NoRoute
}

// Trees applies the rules to the policy files of policy trees checked
// together: a file is a library when another file of them, of any tree,
// imports or extends it. Add every file's check (File, or Load for a tool
// that does not keep its programs), then read the verdicts. The zero
// value is ready to use.
type Trees struct {
	loaded map[string]bool // by absolute path: files another file loads
	trees  []*Tree
	// Parse, when set, gives the package clause of a policy file added
	// without one (TreeFile.Clause nil), for an error placed there
	// (RPL216) or a test module's: a tool that compiled many policies
	// need not keep every file's parse through the build for the rare
	// error (a router loading 10,000 tenants' policies kept 4 MB more
	// after it).
	Parse func(path string) *FileNode
}

// Tree is one policy tree of Trees: its directory and policy files.
type Tree struct {
	Root        string
	testModules bool
	files       []TreeFile
}

// Tree starts a policy tree at root. testModules says whether it may hold
// test modules: rplc test runs them, and rplc check does not hold files
// named one by one to the rule; a directory that rplc check walks, that
// rplc build builds or that a router loads may not.
func (ts *Trees) Tree(root string, testModules bool) *Tree {
	t := &Tree{Root: root, testModules: testModules}
	ts.trees = append(ts.trees, t)
	return t
}

// File reads the check of the policy at path, returned by Check (with
// Config.Policy) as prog (nil allowed) and diags: it records the files
// that prog loads besides its main package, which are libraries, and
// returns what the rules read of the policy (add it to its trees) and
// diags without its RPL212, which the verdicts say or drop.
func (ts *Trees) File(path string, prog *Program, diags DiagList) (TreeFile, DiagList) {
	if prog != nil {
		for _, pkg := range prog.Packages {
			if pkg != prog.Main {
				ts.Load(pkg.Path)
			}
		}
	}
	tf := TreeFileOf(path, prog, diags)
	var rest DiagList
	for _, d := range diags {
		if d != tf.NoRoute {
			rest = append(rest, d)
		}
	}
	return tf, rest
}

// Load records that another file imports or extends each of paths.
func (ts *Trees) Load(paths ...string) {
	if ts.loaded == nil {
		ts.loaded = map[string]bool{}
	}
	for _, p := range paths {
		ts.loaded[absPath(p)] = true
	}
}

// Add adds f, a policy file of the tree.
func (t *Tree) Add(f TreeFile) { t.files = append(t.files, f) }

// FileVerdict is the verdict on a file of a tree: its kind and the errors
// that refuse it (RPL212; RPL216, a policy whose id an earlier one of the
// tree has, CheckPolicyIDs), each on its file.
type FileVerdict struct {
	Path  string
	Kind  FileKind
	Diags DiagList
}

// Verdicts returns the verdict on each file of t, in the order added.
func (ts *Trees) Verdicts(t *Tree) []FileVerdict {
	out := make([]FileVerdict, len(t.files))
	byPath := map[string]int{}
	for i := range t.files {
		f := &t.files[i]
		loaded := ts.loaded[absPath(f.Path)]
		if f.Clause == nil && !f.Route && !loaded && f.Tests && ts.Parse != nil {
			f.Clause = ts.Parse(f.Path) // a test module's error is placed there
		}
		kind, d := f.Verdict(loaded, t.testModules)
		out[i] = FileVerdict{Path: f.Path, Kind: kind}
		if d != nil {
			out[i].Diags = DiagList{d}
		}
		byPath[f.Path] = i
	}
	for _, d := range ts.checkIDs(t.Root, t.files) {
		if i, ok := byPath[d.policy]; ok {
			out[i].Diags = append(out[i].Diags, d.diag)
		}
	}
	return out
}

// Diags is every error of the verdicts on the files of every tree, each
// once, sorted.
func (ts *Trees) Diags() DiagList {
	var out DiagList
	seen := map[string]bool{}
	for _, t := range ts.trees {
		for _, v := range ts.Verdicts(t) {
			for _, d := range v.Diags {
				if k := d.Error(); !seen[k] {
					seen[k] = true
					out = append(out, d)
				}
			}
		}
	}
	out.Sort()
	return out
}

// Policies returns the ids of the policies of t (KindPolicy, with a
// package clause and name), each once.
func (t *Tree) Policies() map[string]bool {
	ids := map[string]bool{}
	for _, f := range t.files {
		if f.policy() {
			ids[f.Name] = true
		}
	}
	return ids
}

// policy reports whether f is a policy with an id (its clause, when
// not given, found by Trees.Parse).
func (f *TreeFile) policy() bool {
	return f.Route && f.Name != "" && (f.Clause == nil || f.Clause.Package != nil)
}

// clause is f's file and package clause: f.Clause, or Parse's when f
// has none; a clause without position (the file alone) when neither is
// there.
func (ts *Trees) clause(f *TreeFile) *FileNode {
	if f.Clause == nil && ts.Parse != nil {
		f.Clause = ts.Parse(f.Path)
	}
	if f.Clause == nil || f.Clause.Package == nil {
		return &FileNode{File: &File{Name: f.Path}, Package: &PackageClause{Name: &Ident{}}}
	}
	return f.Clause
}

// idDiag is an RPL216 error of the policy at path policy.
type idDiag struct {
	policy string
	diag   *Diagnostic
}

// checkIDs holds the policies among files, those of the tree at root, to
// distinct ids (RPL216), as CheckPolicyIDs says.
func (ts *Trees) checkIDs(root string, files []TreeFile) []idDiag {
	type policy struct {
		f    *TreeFile
		name string // relative to root, slash-separated
	}
	var ps []policy
	seen := map[string]bool{}
	for i := range files {
		f := &files[i]
		if !f.policy() {
			continue
		}
		name := relName(root, f.Path)
		if !seen[name] {
			seen[name] = true
			ps = append(ps, policy{f, name})
		}
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].name < ps[j].name })
	var ids PolicyIDs
	first := map[string]*TreeFile{} // id → the policy that has it
	var out []idDiag
	for _, p := range ps {
		if err := ids.Add(p.f.Name, p.name); err != nil {
			f, prev := ts.clause(p.f), ts.clause(first[p.f.Name])
			out = append(out, idDiag{p.f.Path, &Diagnostic{File: f.File, Span: f.Package.Name.Sp, Severity: CodeDuplicateID.Severity(), Code: CodeDuplicateID, Message: err.Error(),
				Related: []Related{{File: prev.File, Span: prev.Package.Name.Sp, Message: "policy " + p.f.Name + " declared here"}}}})
			continue
		}
		first[p.f.Name] = p.f
	}
	return out
}

// absPath is p made absolute, to compare paths given in different forms.
func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return filepath.Clean(p)
}
