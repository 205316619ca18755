package runtime

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/internal/atomicfile"
	"github.com/rpl-lang/rpl/internal/jsonx"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/rpl-lang/rpl/vm"
)

// TenantsFile is the optional tenant registry of a policy directory.
const TenantsFile = "tenants.json"

// Snapshot is an immutable set of policies, activated as a whole.
type Snapshot struct {
	// Version is the sha256 (hex) of the sources or of the bundle.
	Version string
	// Source says where the snapshot came from (a directory, a bundle).
	Source string
	// Built is when the snapshot was built.
	Built time.Time

	policies map[string]*Policy
	ids      []string
	tenants  map[string]*Tenant
	registry *bundle.Tenants // as read, for the checks against the policies
	// catalogue is the provider catalogue (catalogue.json; a bundle's
	// catalogue section), or nil: the prices and default latencies the
	// policies and the CP1 answer see until feedback says otherwise.
	catalogue *bundle.Catalogue
	files     map[string][]byte // relative path → content, for persistence
	bundle    []byte            // the encoded bundle, for persistence
	// root is the private directory the sources were compiled in, gone
	// once built: failures name their files relative to it (relative).
	root string
}

// relative returns ve with the positions of its call stack relative to
// the snapshot's sources, as its compile errors are, instead of inside
// the temporary directory they were compiled in.
func (s *Snapshot) relative(ve *vm.Error) *vm.Error {
	if s.root == "" || len(ve.Stack) == 0 || !strings.HasPrefix(ve.Stack[0].File, s.root) {
		return ve
	}
	rel := *ve
	rel.Stack = slices.Clone(ve.Stack)
	for i := range rel.Stack {
		rel.Stack[i].File = filepath.ToSlash(strings.TrimPrefix(rel.Stack[i].File, s.root))
	}
	return &rel
}

// testFailed words the failures of test t, which ended with err, as
// rplc test does, one problem each: `file:line:col: test "name" failed:
// message`, at the failed expect or at the innermost policy frame of the
// error that ended the run (else at the test's declaration). root, when
// not "", is the prefix that makes file names relative to the policy
// directory (Snapshot.root).
func testFailed(t compiler.Test, err error, root string) []string {
	name := func(file string) string {
		if root != "" && strings.HasPrefix(file, root) {
			return filepath.ToSlash(strings.TrimPrefix(file, root))
		}
		return file
	}
	at := vm.Frame{File: name(t.File), Line: t.Line, Col: t.Col}
	var ve *vm.Error
	if !errors.As(err, &ve) {
		return []string{fmt.Sprintf("%s: test %q failed: %v", at.Pos(), t.Name, err)}
	}
	var out []string
	for _, x := range append([]*vm.Error{ve}, ve.Also...) {
		pos := at
		if len(x.Stack) > 0 {
			pos = x.Stack[0]
			pos.File = name(pos.File)
		}
		out = append(out, fmt.Sprintf("%s: test %q failed: %s", pos.Pos(), t.Name, x.Msg))
	}
	return out
}

// Policy is one compiled policy of a snapshot.
type Policy struct {
	ID        string
	File      string // relative to the snapshot's source
	Program   *rpl.Program
	Tests     int   // test blocks run before activation
	CostBound int64 // static fuel bound of route, when Bounded
	Bounded   bool

	version string // the snapshot's
	// builds: the policy's route can build Decision records of its own
	// (vm.Program.MakesRecordsFrom), whose decisions the engine checks
	// (stdlib.DecisionProblem). Known when the policy is loaded.
	builds bool
	// untyped: the policy's bytecode came from a bundle whose signature
	// was not verified (BuildBundle), typed by no compiler the router
	// trusts, so that route may return anything the verifier lets
	// through (an int, a Decision whose priority is a string): each of
	// its decisions is checked against the Decision type's shape in
	// every part (layout.decisionProblem: 85-140 ns of a ~1.9 µs decision in
	// BenchmarkEngineDecideCP1/V2). A policy compiled by this process, or from a bundle signed
	// with the configured key, is typed: its decisions are checked for
	// their length alone.
	untyped bool
}

// newPolicy makes the policy id of the program prog, loaded from file.
func (e *Engine) newPolicy(id, file string, prog *rpl.Program, version string) *Policy {
	vp := prog.VM()
	return &Policy{ID: id, File: file, Program: prog, version: version,
		builds: vp.MakesRecordsFrom(compiler.EntryRoute, e.lay.dec.n) || badDecisionConstant(vp.Constants(), e.lay.dec.n, 0)}
}

// badDecisionConstant reports whether one of consts, or a value they
// hold, is a record of a Decision's n fields that the builtins' rules
// refuse (stdlib.DecisionProblem). The compiler folds no Decision record
// literal, and the builtins check the decisions they build, so such a
// constant comes from a program made otherwise: by hand, or by a
// compiler of before 2026-11-27 that folded record literals. Its
// policy's decisions are then checked, as those of a policy whose route
// builds Decision records. (A record of another type with as many fields
// may be taken for one: its policy's decisions are checked for nothing
// worse than ~80 ns.)
func badDecisionConstant(consts []vm.Value, n, depth int) bool {
	if depth > vm.MaxConstDepth {
		return false
	}
	for _, c := range consts {
		switch c.Kind() {
		case vm.KindRecord:
			if r := c.Record(); len(r) == n && stdlib.DecisionProblem(c) != "" || badDecisionConstant(r, n, depth+1) {
				return true
			}
		case vm.KindList:
			if badDecisionConstant(c.List(), n, depth+1) {
				return true
			}
		case vm.KindMap:
			if badDecisionConstant(c.Map().Values(), n, depth+1) {
				return true
			}
		}
	}
	return false
}

// Version is the version of the snapshot the policy belongs to.
func (p *Policy) Version() string { return p.version }

// Tenant is an entry of the tenant registry: who the tenant is, where it
// sits in the hierarchy and which policy decides for it.
type Tenant struct {
	ID      string   `json:"id"`
	Tier    string   `json:"tier,omitempty"`
	Parents []string `json:"parents,omitempty"` // nearest first; the registry completes the chain (see parseTenants)
	Policy  string   `json:"policy,omitempty"`  // "" means the policy named like the tenant
	Budget  struct {
		Monthly string `json:"monthly,omitempty"`
		Daily   string `json:"daily,omitempty"`
	} `json:"budget"`

	value vm.Value // the Tenant record
	// chain is the list of its ID then its Parents, when it has parents:
	// the completed parents of an unregistered tenant's request that
	// names it as its one parent (completeParents), made once here so
	// that such a request allocates nothing.
	chain vm.Value
}

// ShortVersion is the first 12 hex digits of Version.
func (s *Snapshot) ShortVersion() string {
	if len(s.Version) > 12 {
		return s.Version[:12]
	}
	return s.Version
}

// Policy returns the policy with the given id.
func (s *Snapshot) Policy(id string) *Policy { return s.policies[id] }

// PolicyIDs lists the snapshot's policy ids, sorted.
func (s *Snapshot) PolicyIDs() []string { return append([]string(nil), s.ids...) }

// Tenant returns the registry entry of a tenant.
func (s *Snapshot) Tenant(id string) (*Tenant, bool) {
	t, ok := s.tenants[id]
	return t, ok
}

// Tenants is the number of tenants in the snapshot's registry
// (tenants.json).
func (s *Snapshot) Tenants() int { return len(s.tenants) }

// Files returns the snapshot's source files (relative path → content), for
// persisting the last good version; nil for snapshots built from bundles.
func (s *Snapshot) Files() map[string][]byte { return s.files }

// LoadError is why a snapshot could not be built. Every problem found is
// listed, one a line.
type LoadError struct {
	Source   string
	Problems []string
}

func (e *LoadError) Error() string {
	if len(e.Problems) == 1 {
		return e.Source + ": " + e.Problems[0]
	}
	return fmt.Sprintf("%s: %d problems:\n\t%s", e.Source, len(e.Problems), strings.Join(e.Problems, "\n\t"))
}

// BuildDir builds a snapshot from a directory of .rpl files (with their
// _test.rpl files and an optional tenants.json). Each non-test file with a
// route function is a policy whose id is its package name, unique
// (RPL216); a file without one must be a library, imported or extended by
// another file: a test module (tests and no route) or a file without
// either is refused (RPL212), by the rules of lang.Trees that rplc check
// and build apply, with their errors at their places. A test file without
// its policy is refused (RPL215), as rplc check, test and build refuse it.
// The tests of the policies and of the libraries run before the snapshot
// is returned, as rplc build runs them (bundle.TestLimits, whatever the
// engine's limits per decision). The problems are said as rplc build
// says them: each diagnostic once, sorted by file and position, then the
// tests' failures; a tenant of tenants.json naming a policy that no file
// declares is an error (RPL217), not one naming a policy with errors.
func (e *Engine) BuildDir(ctx context.Context, dir string) (*Snapshot, error) {
	files, err := readTree(dir)
	if err != nil {
		// The error names dir already when it is dir's own (missing,
		// not a directory); the LoadError names it once.
		msg := err.Error()
		if pe, ok := errors.AsType[*fs.PathError](err); ok && pe.Path == dir {
			msg = pe.Err.Error()
		}
		return nil, &LoadError{Source: dir, Problems: []string{strings.TrimPrefix(msg, dir+": ")}}
	}
	return e.BuildFiles(ctx, dir, files)
}

// BuildFiles builds a snapshot from files (relative path → content) as if
// they were the directory dir; dir is used for diagnostics and relative
// imports only when the files are on disk there. A path that is no file
// inside the directory ("../x.rpl", "/x.rpl") is refused.
func (e *Engine) BuildFiles(ctx context.Context, dir string, files map[string][]byte) (*Snapshot, error) {
	lerr := &LoadError{Source: dir}
	// Write to a private directory so that imports resolve among exactly
	// these files, whatever happens to dir meanwhile.
	tmp, err := os.MkdirTemp("", "rpl-snapshot-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if why := fileNameProblem(name); why != "" {
			lerr.Problems = append(lerr.Problems, why)
		}
	}
	if len(lerr.Problems) > 0 {
		return nil, lerr
	}
	h := sha256.New()
	for _, name := range names {
		p := filepath.Join(tmp, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, files[name], 0o644); err != nil {
			return nil, err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(files[name]))
		h.Write(files[name])
	}
	s := &Snapshot{
		Version:  hex.EncodeToString(h.Sum(nil)),
		Source:   dir,
		Built:    time.Now(),
		policies: map[string]*Policy{},
		tenants:  map[string]*Tenant{},
		files:    files,
		root:     tmp + string(filepath.Separator),
	}
	compileErr := func(err error) string { return strings.ReplaceAll(err.Error(), tmp+string(filepath.Separator), "") }
	// The problems that are diagnostics are said as rplc build says
	// them: each once (a library's error is in the check of every file
	// importing it), every error (not a policy's first and how many
	// more), named relative to the directory and sorted by file and
	// position (line 9 before line 30). The other problems (a failed
	// test, an error without a place) follow, in the order found: the
	// files' order, and a policy's tests' order.
	var (
		diags    lang.DiagList
		seenDiag = map[string]bool{}
		renamed  = map[*lang.File]*lang.File{} // a file of tmp, named relative to it
		others   []string
	)
	addDiags := func(ds ...*lang.Diagnostic) {
		for _, d := range ds {
			if d.Severity != lang.SevError && d.Code != lang.CodeTooMany {
				continue // a warning refuses nothing (rplc build says it, and builds)
			}
			k := d.Error()
			if seenDiag[k] {
				continue
			}
			seenDiag[k] = true
			if d.File != nil && strings.HasPrefix(d.File.Name, s.root) {
				f := renamed[d.File]
				if f == nil {
					f = lang.NewFile(filepath.ToSlash(strings.TrimPrefix(d.File.Name, s.root)), d.File.Src)
					renamed[d.File] = f
				}
				c := *d
				c.File = f
				d = &c
			}
			diags = append(diags, d)
		}
	}
	addErr := func(err error) {
		if ds, ok := errors.AsType[lang.DiagList](err); ok {
			addDiags(ds...)
		} else {
			others = append(others, compileErr(err))
		}
	}
	problems := func() []string {
		diags.Sort()
		out := make([]string, 0, len(diags)+len(others))
		for _, d := range diags {
			out = append(out, d.Error())
		}
		return append(out, others...)
	}
	// The tree's rules, as rplc check and build apply them (lang.Trees):
	// a file without route is a library when another file of the tree
	// imports or extends it, whether that file compiles or not, and
	// refused otherwise; policy ids are unique (RPL216). The files loaded
	// are read from the parses of the files that lang.Check loads: every
	// policy file, and the test files of those present. No parse is kept:
	// every file's tree held 10,000 tenants' trees through the whole
	// build, and even their package clauses left 4 MB more of heap once
	// loaded (the spans they held were shared with the programs by then).
	// The rules parse a file again for an error at its clause (RPL216, a
	// test module's), which is rare (Trees.Parse).
	trees := lang.Trees{Parse: func(path string) *lang.FileNode {
		rel, err := filepath.Rel(tmp, path)
		if err != nil {
			return nil
		}
		f, _ := lang.Parse(path, files[filepath.ToSlash(rel)])
		if f == nil {
			return nil
		}
		return &lang.FileNode{File: f.File, Package: f.Package}
	}}
	tree := trees.Tree(tmp, false)
	for _, name := range names {
		if !strings.HasSuffix(name, ".rpl") {
			continue
		}
		f, _ := lang.Parse(filepath.Join(tmp, filepath.FromSlash(name)), files[name])
		if f == nil {
			continue
		}
		for _, l := range f.LoadClauses() {
			if d := notInTree(dir, s.root, files, f, l); d != nil {
				addDiags(d)
			}
		}
		if policy := lang.PolicyOf(name); !lang.IsTestFile(name) || files[policy] != nil && policy != name {
			trees.Load(f.Loads()...)
		}
	}
	if len(diags) > 0 {
		// Nothing compiles until these are moved: each file importing
		// them would report them again, as "cannot load".
		lerr.Problems = problems()
		return nil, lerr
	}
	// The policies share the libraries they import: each is parsed and
	// checked once in the load, not once per importer.
	session := lang.NewSession()
	// The files whose tests run, in the files' order as rplc build runs
	// them: the policies, and the files without route but with tests,
	// once the rules say each is a library (a test module is refused).
	type testedFile struct {
		path, id string
		prog     *rpl.Program
		lib      bool
	}
	var withTests []testedFile
	for _, name := range names {
		if !strings.HasSuffix(name, ".rpl") {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		path := filepath.Join(tmp, filepath.FromSlash(name))
		if lang.IsTestFile(name) {
			// A test file is checked with its policy. One whose policy is
			// not there, or is a test file (x_test_test.rpl), is checked
			// alone, as rplc check, test and build check it: lang.Check
			// refuses it (RPL215), and so does the snapshot, rather than
			// leave its tests unrun and the policy's tenants to another
			// policy.
			policy := lang.PolicyOf(name)
			if _, ok := files[policy]; !ok || policy == name {
				if _, err := e.env.CompileWith(filepath.Join(tmp, filepath.FromSlash(policy)), rpl.CompileOptions{Session: session}); err != nil {
					addErr(err)
				}
			}
			continue
		}
		prog, err := e.env.CompileWith(path, rpl.CompileOptions{Session: session})
		if err != nil {
			// Checked again, for what the tree's rules read of it (the
			// compiled programs are all a load keeps): its RPL212 is
			// theirs to say or drop.
			checked, cdiags := lang.Check(&lang.Config{Universe: e.env.Universe(), Policy: true, Session: session}, path)
			tf, rest := trees.File(path, checked, cdiags)
			tree.Add(tf)
			if _, ok := errors.AsType[lang.DiagList](err); !ok {
				addErr(err)
			} else {
				addDiags(rest...)
			}
			continue
		}
		_, route := prog.VM().Entry(compiler.EntryRoute)
		id := prog.Name()
		tree.Add(lang.TreeFile{Path: path, Name: id, Route: route, Tests: !route})
		if !route {
			if len(prog.Tests()) > 0 {
				withTests = append(withTests, testedFile{path, id, prog, true})
			}
			continue
		}
		if s.policies[id] != nil {
			continue // an id taken: the rules say
		}
		p := e.newPolicy(id, name, prog, s.Version)
		p.CostBound, p.Bounded = prog.CostBound()
		p.Tests = len(prog.Tests())
		if p.Tests > 0 {
			withTests = append(withTests, testedFile{path, id, prog, false})
		}
		s.policies[id] = p
	}
	// The tree's verdicts, once: which files are libraries, and the
	// rules' diagnostics (the load's one tree: trees.Diags would judge
	// it again).
	verdicts := trees.Verdicts(tree)
	kinds := map[string]lang.FileKind{}
	for _, v := range verdicts {
		kinds[v.Path] = v.Kind
	}
	// Each file's tests run as rplc build runs them (bundle.TestLimits,
	// not the limits of a decision), a failure said as rplc test says it.
	for _, f := range withTests {
		if f.lib && kinds[f.path] != lang.KindLibrary {
			continue
		}
		for _, t := range f.prog.Tests() {
			if _, err := bundle.RunTest(ctx, f.prog, f.id, t.Name, bundle.TestLimits); err != nil {
				others = append(others, testFailed(t, err, s.root)...)
			}
		}
	}
	for _, v := range verdicts {
		addDiags(v.Diags...)
	}
	if data, ok := files[TenantsFile]; ok {
		if err := e.parseTenants(s, data); err != nil {
			addDiags(dataDiagnostic(TenantsFile, data, err))
		}
	}
	if data, ok := files[bundle.CatalogueFile]; ok {
		if s.catalogue, err = bundle.ParseCatalogue(data); err != nil {
			addDiags(dataDiagnostic(bundle.CatalogueFile, data, err))
		}
	}
	if len(diags) == 0 && len(others) == 0 && len(s.policies) == 0 {
		others = append(others, "no policies (a policy is a .rpl file with a route function)")
	}
	if s.registry != nil {
		// A tenant may name a policy of the tree that has errors (they
		// are said): only one that no file of the tree declares is
		// missing, as rplc check says (the tree's policies, lang.Trees).
		ids := tree.Policies()
		if err := s.registry.CheckPolicies(func(id string) bool { return ids[id] }); err != nil {
			addDiags(dataDiagnostic(TenantsFile, s.registry.Data, err))
		}
	}
	if len(diags) > 0 || len(others) > 0 {
		lerr.Problems = problems()
		return nil, lerr
	}
	for id := range s.policies {
		s.ids = append(s.ids, id)
	}
	sort.Strings(s.ids)
	return s, nil
}

// notInTree is the error (RPL203) of clause l of f, a file of the
// snapshot's private copy of the policy directory dir (root), when the
// file it names is not among the directory's files as read (files):
// outside it (../lib), named by an absolute path (the disk, not the
// copy), or inside it on disk but behind a symbolic link to a directory
// or a hidden directory, which the router does not read. The snapshot's
// files are the directory's, as read: they are what its version hashes,
// what a reload rereads, what the watcher watches and what the last good
// version keeps, so another file would be read at the first build and
// never again, or not at all ("no such file"). nil when the file is
// among them, or is nowhere (the compiler says it cannot be loaded).
// rplc build takes all of these: a bundle holds the code compiled.
func notInTree(dir, root string, files map[string][]byte, f *lang.FileNode, l lang.LoadClause) *lang.Diagnostic {
	const serve = "a router serving a directory loads only the files under it"
	var why string
	switch rel, inside := strings.CutPrefix(l.File, root); {
	case inside:
		if _, ok := files[filepath.ToSlash(rel)]; ok {
			return nil
		}
		if _, err := os.Stat(filepath.Join(dir, rel)); err != nil {
			return nil
		}
		why = "is hidden (its name, or a directory's on its way, starts with .) or behind a symbolic link to a directory, which a router serving a directory does not read (copy the files in, or serve a bundle built with rplc build)"
	case filepath.IsAbs(l.Path.Value) && within(dir, l.File):
		why = "names the policy directory by an absolute path: " + serve + ", by paths relative to the importing file (write the path relative to it)"
	default:
		why = "is outside the policy directory: " + serve + " (move the file under the directory, or serve a bundle built with rplc build)"
	}
	return &lang.Diagnostic{File: f.File, Span: l.Path.Sp, Severity: lang.SevError, Code: lang.CodeImportNotFound, Message: l.Path.Raw + " " + why}
}

// within reports whether path is dir or under it, dir read as given and
// with its symbolic links resolved.
func within(dir, path string) bool {
	dirs := []string{dir}
	if t, err := filepath.EvalSymlinks(dir); err == nil {
		dirs = append(dirs, t)
	}
	for _, d := range dirs {
		if a, err := filepath.Abs(d); err == nil {
			if rel, err := filepath.Rel(a, path); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				return true
			}
		}
	}
	return false
}

// parseTenants reads the tenant registry: {"tenants": [{id, tier,
// parents, policy, budget{monthly, daily}}]}. A tenant may list its
// nearest parent only: its chain is completed with its parents' own
// chains, registered ones, nearest first (alice [team] and team [org]
// make alice's parents [team, org]), and a cycle is an error, as is a
// tenant with more than bundle.MaxTenantDepth ancestors. A parent that
// is not registered stays in the chain: a policy named like it may
// decide.
func (e *Engine) parseTenants(s *Snapshot, data []byte) error {
	reg, err := bundle.ParseTenants(data) // the one reading and checking of the registry, chains included
	if err != nil {
		return err
	}
	s.registry = reg
	for _, rt := range reg.Tenants {
		t := &Tenant{ID: rt.ID, Tier: rt.Tier, Parents: rt.Chain, Policy: rt.Policy}
		t.Budget.Monthly, t.Budget.Daily = rt.Monthly, rt.Daily
		parents := make([]any, len(t.Parents))
		for j, p := range t.Parents {
			parents[j] = p
		}
		v, err := rpl.FromGo(e.tenantType, map[string]any{"id": t.ID, "tier": t.Tier, "parents": parents})
		if err != nil {
			return fmt.Errorf("tenant %s: %v", jsonx.QuoteEcho(t.ID), err)
		}
		ts := v.Record()
		var monthly, daily int64
		if monthly, err = ParseMoney(t.Budget.Monthly); err != nil {
			return fmt.Errorf("tenant %s: budget.monthly: %v", jsonx.QuoteEcho(t.ID), err)
		}
		if daily, err = ParseMoney(t.Budget.Daily); err != nil {
			return fmt.Errorf("tenant %s: budget.daily: %v", jsonx.QuoteEcho(t.ID), err)
		}
		b := make([]vm.Value, e.lay.budget.n)
		b[e.lay.budget.daily], b[e.lay.budget.monthly] = vm.Money(daily), vm.Money(monthly)
		ts[e.lay.tenant.budget] = vm.NewRecord(b)
		t.value = v
		if len(t.Parents) > 0 {
			t.chain = chainOf(t.ID, t.Parents)
		}
		s.tenants[t.ID] = t
	}
	return nil
}

// missingTenantPolicies says which registered tenant names a policy that
// the snapshot does not have, with its JSON path, as rplc build does.
func (s *Snapshot) missingTenantPolicies() []string {
	if s.registry == nil {
		return nil
	}
	if err := s.registry.CheckPolicies(func(id string) bool { return s.policies[id] != nil }); err != nil {
		return []string{dataProblem(TenantsFile, s.registry.Data, err)}
	}
	return nil
}

// dataDiagnostic is err, the policy directory's file name (TenantsFile
// or bundle.CatalogueFile, holding data) refused, as a diagnostic: error
// RPL217 at its place (bundle.DataError).
func dataDiagnostic(name string, data []byte, err error) *lang.Diagnostic {
	return (&bundle.DataError{File: name, Data: data, Err: err}).Diagnostic(name)
}

// dataProblem is err, the policy directory's file name (TenantsFile or
// bundle.CatalogueFile, holding data) refused, as rplc check says it: on
// one line, error RPL217 at its place (bundle.DataError).
func dataProblem(name string, data []byte, err error) string {
	return (&bundle.DataError{File: name, Data: data, Err: err}).Error()
}

// readTree reads the .rpl files, tenants.json and catalogue.json of the
// policy tree dir (lang.WalkPolicyTree: hidden entries skipped, dir may
// be a symlink to the directory), keyed by slash-separated relative path.
// A symbolic link to a file outside the tree is refused: its file would
// be read and kept (last good) but not watched, its changes never seen,
// and a link to any file the router can read would put that file's text
// in its log (a syntax error quotes it).
func readTree(dir string) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := lang.WalkPolicyTree(dir, func(p, rel string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !strings.HasSuffix(rel, ".rpl") && rel != TenantsFile && rel != bundle.CatalogueFile {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			if t, err := filepath.EvalSymlinks(p); err == nil && !within(dir, t) {
				return fmt.Errorf("%s: a symbolic link to %s, outside the policy directory: a router serving a directory reads only the files under it (copy the file in, or serve a bundle built with rplc build)", rel, t)
			}
		}
		data, err := lang.ReadFile(p)
		if pe, ok := errors.AsType[*fs.PathError](err); ok {
			return fmt.Errorf("%s: %w", rel, pe.Err) // named as the tree's other problems are
		} else if err != nil {
			return err
		}
		out[rel] = data
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// fileNameProblem says why name, a key of the files BuildFiles and
// WriteFiles take, is no file of a tree (a slash-separated path inside
// it: fs.ValidPath, without "." or ".." elements, and one the system
// can name, filepath.Localize: not Windows' con.rpl, say), "" when it is
// one. Joined to the directory, "../x.rpl" was written beside it.
func fileNameProblem(name string) string {
	if name == "." || !fs.ValidPath(name) {
		return fmt.Sprintf("%s is not a file of the policy directory (want a slash-separated path inside it, without . or ..)", jsonx.QuoteEcho(name))
	}
	if _, err := filepath.Localize(name); err != nil {
		return fmt.Sprintf("%s is not a file of the policy directory: it names no file on this system (%v)", jsonx.QuoteEcho(name), err)
	}
	return ""
}

// WriteFiles writes a snapshot's files into dir, replacing what was there
// atomically (a sibling directory renamed into place), and durably: the
// files and directories are synced before the renames, the parent after.
// A crash between the renames leaves dir missing and the former copy as
// dir.old (LastGoodDir's reader falls back to it). A path that is no
// file inside dir ("../x.rpl") is refused, nothing written.
func WriteFiles(dir string, files map[string][]byte) error {
	if len(files) == 0 {
		return errors.New("no files")
	}
	for name := range files {
		if why := fileNameProblem(name); why != "" {
			return errors.New(why)
		}
	}
	// Cleaned: the parent of "d/" is not d, and dir.old not inside it.
	dir = filepath.Clean(dir)
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, ".tmp-"+filepath.Base(dir)+"-")
	if err != nil {
		return err
	}
	dirs := map[string]bool{tmp: true}
	written := make([]string, 0, len(files))
	for name, data := range files {
		p := filepath.Join(tmp, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			os.RemoveAll(tmp)
			return err
		}
		for d := filepath.Dir(p); d != parent; d = filepath.Dir(d) {
			dirs[d] = true
		}
		if err := atomicfile.WriteNew(p, data, 0o644); err != nil {
			os.RemoveAll(tmp)
			return err
		}
		written = append(written, p)
	}
	// All synced at once, where one sync a file held a router of 4,000
	// tenant policies 8 s before it served.
	if err := atomicfile.SyncFS(tmp, written); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	for d := range dirs {
		if err := atomicfile.SyncDir(d); err != nil {
			os.RemoveAll(tmp)
			return err
		}
	}
	// The former copy goes aside to dir.old, the only copy until tmp is
	// in place: a dir.old there already is dropped first only when dir
	// is there to replace it (without dir, dir.old is the last good one,
	// which a reader takes, and must stay until tmp is dir).
	old := dir + ".old"
	if _, err := os.Stat(dir); err == nil {
		os.RemoveAll(old)
		if err := os.Rename(dir, old); err != nil {
			os.RemoveAll(tmp)
			return err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := atomicfile.SyncDir(parent); err != nil {
		return err
	}
	os.RemoveAll(old)
	return nil
}
