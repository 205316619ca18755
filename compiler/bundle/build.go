package bundle

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/internal/jsonx"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/rpl-lang/rpl/vm"
)

// ModulePath is the toolchain's module, whose version CompilerVersion
// reports.
const ModulePath = "github.com/rpl-lang/rpl"

// CompilerVersion names the toolchain for the manifest: the module version
// (or "(devel)"), the VCS revision when the binary carries one, and the Go
// version, from the binary's build information.
func CompilerVersion() string {
	v, rev, dirty := "(devel)", "", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Path == ModulePath && bi.Main.Version != "" {
			v = bi.Main.Version
		}
		for _, d := range bi.Deps {
			if d.Path == ModulePath && d.Version != "" {
				v = d.Version
			}
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	out := "rpl " + v
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		out += " " + rev
		if dirty {
			out += "+dirty"
		}
	}
	return out + " " + runtime.Version()
}

// RunTest runs test name of prog, a policy's program (policy its id), as
// its tests run at build time and when a router runs them before
// activation, and as rplc test runs them: with a fixed clock and seed and
// a fresh, empty stdlib.MemState, so every provider is healthy, nothing
// has been spent and no experiment has a winner, naming the policy, with
// which sticky draws a session's target as a router deciding with it
// does. It returns the test's failure, nil for a test that passed or
// that skipped (testing.skip: skipped, which rplc test counts skipped,
// not failed).
func RunTest(ctx context.Context, prog *rpl.Program, policy, name string, limits rpl.Limits) (skipped bool, err error) {
	_, err = prog.RunTest(ctx, name, stdlib.TestInput(policy), limits)
	if _, skipped = errors.AsType[*stdlib.SkipError](err); skipped {
		return true, nil
	}
	return false, err
}

// TestLimits are the limits every test of a policy tree runs under
// (RunTest), wherever it runs: at build time (Build), when a router loads
// a directory or a bundle before activating it, and as rplc test runs it
// without --fuel. Zero fields are the VM's defaults (vm.DefaultFuel, its
// memory and depth), not a router's limits per decision (rpl-router
// serve --fuel, --memory, --deadline): those bound decisions, so that a
// version rplc build accepted is not refused by a router deciding under
// tighter ones, nor a test of many decisions held to the budget of one.
var TestLimits = rpl.Limits{}

// BuildOptions configure Build.
type BuildOptions struct {
	// Env compiles and runs the policies; nil means rpl.NewEnv().
	Env *rpl.Env
	// SkipTests builds without running the tests (the policies' and the
	// libraries'), and says so in the manifest.
	SkipTests bool
	// Key signs the bundle when set.
	Key ed25519.PrivateKey
	// Built is the build time recorded in the manifest; zero means now.
	Built time.Time
}

// envOr is env, or for nil a new rpl.NewEnv(), the environment Build and
// Accept compile and run policies with.
func envOr(env *rpl.Env) (*rpl.Env, error) {
	if env != nil {
		return env, nil
	}
	return rpl.NewEnv()
}

// TestFailure is a test that failed during a build.
type TestFailure struct {
	Policy string
	Test   compiler.Test
	Err    error // a *vm.Error for failed expectations and limits
}

func (f TestFailure) String() string {
	return fmt.Sprintf("%s:%d:%d: %s: %s", f.Test.File, f.Test.Line, f.Test.Col, vm.TestLabel(f.Test.Name, f.Test.File, f.Test.Line), f.why())
}

// why is the failure's error with its code when it is not a failed
// expect ("fuel exhausted (limit 5) [fuel_exhausted]", vm.CodeSuffix), as
// rplc test and rplc build say it.
func (f TestFailure) why() string {
	if e, ok := errors.AsType[*vm.Error](f.Err); ok {
		return f.Err.Error() + vm.CodeSuffix(e.Code)
	}
	return f.Err.Error()
}

// Result is what Build did.
type Result struct {
	// Data is the encoded bundle, Bundle the same bundle read back (so
	// verified); both nil when the build failed.
	Data   []byte
	Bundle *Bundle
	// Diags are every diagnostic of every policy (warnings included),
	// each once.
	Diags lang.DiagList
	// Tests is the number of tests run, the libraries' included (a
	// manifest lists the policies' only); Failures are those that failed,
	// Skipped the number that skipped (testing.skip).
	Tests    int
	Failures []TestFailure
	Skipped  int
	// Unbounded says, by policy id, why a policy has no static cost
	// bound (compiler.Output.Unbounded, with the place relative to the
	// directory): what rplc build reports beside the manifest's bounds.
	Unbounded map[string]string
}

// Errors Build returns when it does not build (Result says more), and
// ErrTestsFailed Accept's for a bundle whose tests fail.
var (
	ErrCheckFailed = errors.New("policies have errors")
	ErrTestsFailed = errors.New("tests failed")
	// ErrNoPolicies: Accept's refusal of a bundle without policies,
	// which routers refuse (rplc build makes none; Write can).
	ErrNoPolicies = errors.New("bundle has no policies (routers refuse it)")
)

// Build compiles every policy under dir into a bundle. A policy is a .rpl
// file (test files aside) under dir, walked recursively without hidden
// files and directories, that has a route function of its own or inherited; a file
// without one must be imported or extended by a policy (a library), or it
// is an error (RPL212, a diagnostic as rplc check reports it, a test
// module's too, and ErrCheckFailed). Policy ids are package names and must be unique (RPL216,
// a diagnostic, and ErrCheckFailed). Those are the rules of lang.Trees,
// which rplc check and a router apply too. A test file
// without its policy is an error too (RPL215, a diagnostic, and
// ErrCheckFailed), as in rplc check and a router. The tests of
// each policy run against the program as encoded in the bundle, with
// RunTest under TestLimits, unless SkipTests is set; so do those of each
// library (its _test.rpl file), against the library compiled alone,
// as rplc test runs them, named by its package name (TestFailure.Policy)
// and counted in Result.Tests: a failing one refuses the build as a
// policy's does (ErrTestsFailed). dir/catalogue.json and
// dir/tenants.json, when present, are validated and included (the
// tenants' policies must be in the bundle). dir may be a symlink to the
// directory.
func Build(dir string, opts BuildOptions) (*Result, error) {
	env, err := envOr(opts.Env)
	if err != nil {
		return nil, err
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	// dir may be a symlink to the directory (a deployment's current
	// link): its target is built, resolved once here for the files read
	// after the walk as well, one target whatever a swap of the link
	// does meanwhile.
	if root, err = filepath.EvalSymlinks(root); err != nil {
		return nil, err
	}
	files, err := policyFiles(root)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	if len(files) == 0 {
		// The error RPL218, as rplc check and test report it, not "no
		// policies" without a code, as for a tree of libraries.
		res.Diags = lang.DiagList{lang.NoFiles(dir)}
		return res, ErrCheckFailed
	}
	// Files are named relative to root (the names that programs and
	// diagnostics carry), so a bundle does not depend on where it was
	// built.
	cfg := &lang.Config{Universe: env.Universe(), Policy: true, Session: lang.NewSession(), ReadFile: func(p string) ([]byte, error) {
		if !filepath.IsAbs(p) {
			p = filepath.Join(root, p)
		}
		return lang.ReadFile(p)
	}, Catalogue: TreeTargets(root)}
	type policy struct {
		path string
		prog *lang.Program
		lib  bool // a library with tests (no route): its tests run, it ships in its importers
	}
	var checked []policy // the policies (a route function) and libraries with tests, without errors
	seenDiag := map[string]bool{}
	addDiags := func(diags lang.DiagList) {
		for _, d := range diags {
			k := d.Error()
			if !seenDiag[k] {
				seenDiag[k] = true
				res.Diags = append(res.Diags, d)
			}
		}
	}
	// A file without route is a library, imported or extended by another
	// file, or refused: a test module (tests and no route), whose tests
	// would never run here, or a file with neither (RPL212); policy ids
	// are unique (RPL216), as a router requires of a directory too
	// (lang.Trees, as rplc check says).
	var trees lang.Trees
	tree := trees.Tree(root, false)
	for _, f := range files {
		prog, diags := lang.Check(cfg, f)
		tf, diags := trees.File(f, prog, diags)
		tree.Add(tf)
		addDiags(diags)
		if !diags.HasErrors() && (tf.Route || tf.Tests) {
			// Without route and with tests: a library imported by
			// another file (its tests run, as rplc test runs them), or a
			// test module, refused below (RPL212).
			checked = append(checked, policy{path: f, prog: prog, lib: !tf.Route})
		}
	}
	addDiags(trees.Diags())
	res.Diags.Sort()
	if res.Diags.HasErrors() {
		return res, ErrCheckFailed
	}

	var (
		m        = Manifest{Compiler: CompilerVersion(), Built: opts.Built, TestsSkipped: opts.SkipTests}
		programs [][]byte
		ids      = map[string]bool{}
	)
	if m.Built.IsZero() {
		m.Built = time.Now()
	}
	type built struct {
		entry PolicyEntry
		code  []byte
	}
	var all []built
	for _, p := range checked {
		id := p.prog.Main.Name // a policy's unique: lang.Trees above
		out, err := compiler.Compile(p.prog, compiler.Options{Builtins: env.Builtins()})
		var vp *vm.Program
		if err == nil {
			vp, err = out.Program(env.Builtins())
		}
		if err != nil {
			if errors.As(err, new(*compiler.LimitError)) { // its position names the file
				return res, compiler.NameFiles(err, func(f string) string { return rel(root, f) })
			}
			return res, fmt.Errorf("%s: %v", rel(root, p.path), err)
		}
		if p.lib {
			// A library's tests run against it compiled alone, as rplc
			// test compiles and runs them (policytest), named by its
			// package: a failing one refuses the build as a policy's
			// does. Its code ships in the policies importing it.
			if !opts.SkipTests {
				res.runTests(env.Wrap(id, vp), id, out.Tests)
			}
			continue
		}
		ids[id] = true
		code, err := vp.MarshalBinary()
		if err != nil {
			return res, fmt.Errorf("%s: encoding: %v", rel(root, p.path), err)
		}
		e := PolicyEntry{ID: id, File: rel(root, p.path), Entries: vp.Entries(), CostBound: out.CostBound, Bounded: out.Bounded, Tests: []string{}}
		if !out.Bounded {
			if res.Unbounded == nil {
				res.Unbounded = map[string]string{}
			}
			res.Unbounded[id] = out.UnboundedWhy(func(f string) string { return rel(root, f) })
		}
		for _, t := range out.Tests {
			e.Tests = append(e.Tests, t.Name)
		}
		for _, pkg := range p.prog.Packages {
			for _, f := range pkg.Files {
				sum := sha256.Sum256(f.File.Src)
				e.Sources = append(e.Sources, Source{Path: rel(root, f.File.Name), SHA256: hex.EncodeToString(sum[:])})
			}
		}
		sort.Slice(e.Sources, func(i, j int) bool { return e.Sources[i].Path < e.Sources[j].Path })
		if !opts.SkipTests {
			// Run the tests against what ships: the encoded program.
			lp, err := env.Load(id, code)
			if err != nil {
				return res, fmt.Errorf("%s: encoded program does not load (a compiler bug): %v", rel(root, p.path), err)
			}
			res.runTests(lp, id, out.Tests)
		}
		all = append(all, built{e, code})
	}
	if len(res.Failures) > 0 {
		return res, ErrTestsFailed
	}
	if len(all) == 0 {
		return res, fmt.Errorf("%s: no policies (a policy is a .rpl file with a route function)", dir)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].entry.ID < all[j].entry.ID })
	for _, b := range all {
		m.Policies = append(m.Policies, b.entry)
		programs = append(programs, b.code)
	}

	cat, tenants, err := CheckTreeData(root, func(id string) bool { return ids[id] })
	if de, ok := errors.AsType[*DataError](err); ok {
		res.Diags = append(res.Diags, de.Diagnostic(de.File)) // at its place, as rplc check shows it
	}
	if err != nil {
		return res, err
	}

	data, err := Write(m, programs, cat, tenants, opts.Key)
	if err != nil {
		return res, err
	}
	ro := ReadOptions{Builtins: env.Builtins()}
	if opts.Key != nil {
		ro.PublicKey = opts.Key.Public().(ed25519.PublicKey)
		ro.RequireSignature = true
	}
	b, err := Read(data, ro)
	if err != nil {
		return res, fmt.Errorf("the bundle just written does not read back (a bug): %v", err)
	}
	res.Data, res.Bundle = data, b
	return res, nil
}

// runTests runs tests of prog, the program of policy or library id, under
// TestLimits, counting them in res and recording their failures.
func (res *Result) runTests(prog *rpl.Program, id string, tests []compiler.Test) {
	for _, t := range tests {
		res.Tests++
		skipped, err := RunTest(context.Background(), prog, id, t.Name, TestLimits)
		if err != nil {
			res.Failures = append(res.Failures, TestFailure{Policy: id, Test: t, Err: err})
		} else if skipped {
			res.Skipped++
		}
	}
}

// policyFiles lists the files to check of the policy tree root
// (lang.WalkPolicyTree: hidden entries skipped), sorted, relative to
// root: its non-test .rpl files, and the policy of each test file, as
// rplc check lists them. A test file's policy that is not there is
// listed all the same: lang.Check refuses it (RPL215, test file without
// its policy), whose tests would otherwise never run.
func policyFiles(root string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	err := lang.WalkPolicyTree(root, func(_, rel string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(rel, ".rpl") {
			return nil
		}
		rel = lang.PolicyOf(rel)
		if !seen[rel] {
			seen[rel] = true
			out = append(out, rel)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// rel names path relative to root with forward slashes.
func rel(root, path string) string {
	if !filepath.IsAbs(path) {
		return filepath.ToSlash(path)
	}
	r, err := filepath.Rel(root, path)
	if err != nil {
		return filepath.ToSlash(path)
	}
	return filepath.ToSlash(r)
}

// Programs loads every policy of b into env, by id, ready to decide. The
// programs are decoded again from their verified code.
func (b *Bundle) Programs(env *rpl.Env) (map[string]*rpl.Program, error) {
	out := make(map[string]*rpl.Program, len(b.Policies))
	for _, p := range b.Policies {
		prog, err := env.Load(p.ID, p.Code)
		if err != nil {
			return nil, &Error{Section: "program " + p.ID, Err: err}
		}
		out[p.ID] = prog
	}
	return out, nil
}

// RunTests runs every test of every policy of b (RunTest) and
// returns the failures, as the router does before activating a bundle.
// Each test runs under limits (zero fields: the VM's defaults): a router
// passes TestLimits, as Build runs them, whatever limits it decides with.
func (b *Bundle) RunTests(ctx context.Context, env *rpl.Env, limits rpl.Limits) ([]TestFailure, error) {
	progs, err := b.Programs(env)
	if err != nil {
		return nil, err
	}
	var out []TestFailure
	for _, p := range b.Policies {
		for _, t := range p.Tests {
			if _, err := RunTest(ctx, progs[p.ID], p.ID, t, limits); err != nil {
				out = append(out, TestFailure{Policy: p.ID, Test: compiler.Test{Name: t, Entry: compiler.TestPrefix + t, File: p.File}, Err: err})
			}
		}
	}
	return out, nil
}

// Accept checks data before it goes to the routers' bundle bucket (rplc
// push and rplc rollback use it, so as not to put there what every router
// would refuse). It checks:
//
//   - what Read checks with opts: the format, the hashes, the bytecode
//     against env's builtins, the signature as opts asks, and the tenant
//     registry (tenants.json: its shape, ids, budgets, no cycle, and each
//     policy it names in the bundle);
//   - that the bundle holds a policy (ErrNoPolicies);
//   - every policy's tests, with RunTests under limits (zero fields: the
//     VM's defaults), in env (nil: rpl.NewEnv()).
//
// A router runs the tests under TestLimits, as rplc build does, whatever
// limits it decides with (rpl-router serve --fuel, --memory, --deadline
// bound decisions, not tests): given TestLimits, Accept refuses a bundle
// whose tests fail as a router would; given lower limits, it refuses
// more. That is not all a router checks: it makes each registered tenant a Tenant
// record of its environment. A failing test is an error wrapping ErrTestsFailed
// that names the first failures.
func Accept(ctx context.Context, data []byte, opts ReadOptions, env *rpl.Env, limits rpl.Limits) (*Bundle, error) {
	env, err := envOr(env)
	if err != nil {
		return nil, err
	}
	if opts.Builtins == nil {
		opts.Builtins = env.Builtins()
	}
	b, err := Read(data, opts)
	if err != nil {
		return nil, err
	}
	if len(b.Policies) == 0 {
		return nil, ErrNoPolicies
	}
	if err := b.TestsPass(ctx, env, limits); err != nil {
		return nil, err
	}
	return b, nil
}

// TestsPass runs every test of every policy of b in env under limits
// (zero fields: the VM's defaults; routers pass TestLimits, see Accept),
// and is Accept's error when one fails.
func (b *Bundle) TestsPass(ctx context.Context, env *rpl.Env, limits rpl.Limits) error {
	fails, err := b.RunTests(ctx, env, limits)
	if err != nil || len(fails) == 0 {
		return err
	}
	tests := 0
	for _, p := range b.Policies {
		tests += len(p.Tests)
	}
	const shown = 3
	var sb strings.Builder
	for i, f := range fails[:min(len(fails), shown)] {
		if i > 0 {
			sb.WriteString("; ")
		}
		fmt.Fprintf(&sb, "policy %s, %s: %s", f.Policy, vm.TestLabel(f.Test.Name, f.Test.File, f.Test.Line), f.why())
	}
	if len(fails) > shown {
		fmt.Fprintf(&sb, "; and %d more", len(fails)-shown)
	}
	return fmt.Errorf("%w (routers refuse it): %d of %d tests: %s", ErrTestsFailed, len(fails), tests, sb.String())
}

// DataError is a policy tree's catalogue.json or tenants.json refused:
// the file's name (CatalogueFile or TenantsFile), its contents and why,
// a *PathError when a value is at fault ("tenants[4].policy: …").
type DataError struct {
	File string
	Data []byte
	Err  error
}

// Error is e as rplc check and a router say it, on one line: RPL217 at
// its place in File (Diagnostic), "tenants.json:1:36: error[RPL217]: …".
func (e *DataError) Error() string { return e.Diagnostic(e.File).Error() }
func (e *DataError) Unwrap() error { return e.Err }

// PathError is a value of a JSON document (catalogue.json, tenants.json,
// a bundle's manifest) refused at Path, its JSON path
// ("tenants[1].policy", "policies[0].tests[2]"), for the reason Msg. Its
// text is the two: "tenants[1].policy: tenant vip names policy …". The
// path is given where the value is checked, not read back off the text.
type PathError struct {
	Path, Msg string
	// Repeated is set when the error is that the key at Path is given
	// twice in its object: it is placed at the second occurrence, the
	// one that repeats it (jsonx.RepeatOffset), not at the first.
	Repeated bool
}

func (e *PathError) Error() string { return e.Path + ": " + e.Msg }

// pathErrorf is a *PathError at path, its message formatted.
func pathErrorf(path, format string, args ...any) error {
	return &PathError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// Diagnostic is e as a diagnostic of the file named name: RPL217 at the
// byte at fault of a file that is not JSON, at the JSON value refused
// (a *PathError's Path, jsonx.PathOffset; a key given twice at its
// second occurrence, jsonx.RepeatOffset; a value absent, which the file
// does not hold, at the object that lacks it, jsonx.NearestOffset), else
// at the file's start.
func (e *DataError) Diagnostic(name string) *lang.Diagnostic {
	msg := e.Err.Error()
	var off int64
	if se, ok := errors.AsType[*syntaxError](e.Err); ok {
		off = min(se.Offset, int64(len(e.Data)))
	} else if pe, ok := errors.AsType[*PathError](e.Err); ok {
		off = jsonx.ValueOffset(e.Data, pe.Path, pe.Repeated)
	}
	pos := lang.Pos(off)
	return &lang.Diagnostic{File: lang.NewFile(name, e.Data), Span: lang.Span{Start: pos, End: pos},
		Severity: lang.SevError, Code: lang.CodeTreeData, Message: msg}
}

// TreeTargets is the targets of the catalogue.json at root, for
// lang.Config.Catalogue (the warning RPL221 of a target it does not
// list): nil when there is none, or one that cannot be read or is
// refused, which CheckTreeData reports.
func TreeTargets(root string) []string {
	data, err := lang.ReadFile(filepath.Join(root, CatalogueFile))
	if err != nil {
		return nil
	}
	cat, err := ParseCatalogue(data)
	if err != nil {
		return nil
	}
	targets := make([]string, len(cat.Models))
	for i, m := range cat.Models {
		targets[i] = m.Target
	}
	return targets
}

// CheckTreeData reads and validates the catalogue.json and tenants.json
// of the policy tree at root, when present, as Build and a router do:
// their shape and values (ParseCatalogue, ParseTenants), and that each
// tenant's policy is one of the tree's (has). It returns their contents,
// nil for a file absent; a file refused is a *DataError.
func CheckTreeData(root string, has func(id string) bool) (catalogue, tenants []byte, err error) {
	read := func(name string, check func([]byte) error) ([]byte, error) {
		data, err := lang.ReadFile(filepath.Join(root, name))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			// Absent, unless a symlink to nothing is there: that is
			// an error, as it is for a router reading the tree.
			if _, lerr := os.Lstat(filepath.Join(root, name)); lerr == nil {
				return nil, err
			}
			return nil, nil
		case err != nil:
			return nil, err
		}
		if err := check(data); err != nil {
			return nil, &DataError{File: name, Data: data, Err: err}
		}
		return data, nil
	}
	if catalogue, err = read(CatalogueFile, func(data []byte) error { _, err := ParseCatalogue(data); return err }); err != nil {
		return nil, nil, err
	}
	tenants, err = read(TenantsFile, func(data []byte) error {
		ts, err := ParseTenants(data)
		if err == nil {
			err = ts.CheckPolicies(has)
		}
		return err
	})
	return catalogue, tenants, err
}
