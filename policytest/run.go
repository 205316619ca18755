package policytest

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/rpl-lang/rpl/vm"
)

// DefaultSeed is the random seed of every test until it calls
// testing.set_seed.
const DefaultSeed = stdlib.TestSeed

// Config tunes a run.
type Config struct {
	// Run selects the tests whose name it matches; nil runs every test.
	Run *regexp.Regexp
	// Cover measures coverage.
	Cover bool
	// Limits bound each test's evaluation (zero fields: the VM defaults).
	Limits vm.Limits
	// Context bounds the whole run; nil means context.Background().
	Context context.Context
}

// Status is the outcome of a test.
type Status int

// Test outcomes.
const (
	Pass Status = iota
	Fail
	Skip
)

func (s Status) String() string {
	switch s {
	case Pass:
		return "PASS"
	case Fail:
		return "FAIL"
	}
	return "SKIP"
}

// Failure is one reason a test failed: a failed expectation, or the error
// that ended its run.
type Failure struct {
	Pos     vm.Frame // where: the expect, or the innermost policy frame
	Code    vm.Code  // assertion_failed for a failed expect
	Message string
	// Stack is the policy call stack of an error that is not a failed
	// expectation (innermost first), for a backtrace.
	Stack []vm.Frame
}

// Test is the result of one test block.
type Test struct {
	Name     string
	File     string // where the test is declared
	Line     int
	Col      int
	Status   Status
	Duration time.Duration
	Stats    vm.Stats
	Failures []Failure // when Status is Fail
	// Reason is the skip's reason when Status is Skip, and when a test
	// that failed expectations then skipped (testing.skip).
	Reason string
}

// Result is the result of one policy's tests.
type Result struct {
	Policy string // the policy file
	// ID is the policy's id, its package name, when RunTree or RunTrees
	// found it a policy of its tree (a route function, its own or
	// inherited: one a bundle carries); empty for a library, a test
	// module or a file refused. The ids of a tree's results are the ids
	// its tenants.json may name, as rplc check and rplc build take them.
	ID string
	// Diags are the policy's check diagnostics when it has errors; no test
	// ran then (a test file without its policy is one, RPL215, and with
	// RunTree or RunTrees a policy whose id an earlier one of its tree
	// has, RPL216, or a file with neither route nor tests that no file
	// imports, RPL212).
	// Err is any other reason no test ran.
	Diags lang.DiagList
	// Warnings are the check's warnings of a policy without errors,
	// whose tests ran (rplc test --werror fails on them).
	Warnings lang.DiagList
	Err      error
	Tests    []Test
	// NoTests says the policy, a route function without errors,
	// declares no test at all (not none that Config.Run matches).
	NoTests bool
	// Coverage is set with Config.Cover when the policy compiled, tests
	// or not: a policy without tests is covered 0%.
	Coverage *Coverage
}

// Failed reports whether the policy failed: an error, or a failed test.
func (r *Result) Failed() bool {
	if r.Err != nil || r.Diags.HasErrors() {
		return true
	}
	for _, t := range r.Tests {
		if t.Status == Fail {
			return true
		}
	}
	return false
}

// Runner runs policy tests. It holds the standard library and is safe for
// concurrent use.
type Runner struct {
	universe *lang.Universe
	builtins *vm.BuiltinTable
}

// NewRunner returns a runner with the standard library.
func NewRunner() (*Runner, error) {
	u, err := stdlib.Universe()
	if err != nil {
		return nil, fmt.Errorf("standard library: %w", err)
	}
	t, err := stdlib.Table()
	if err != nil {
		return nil, fmt.Errorf("standard library: %w", err)
	}
	return &Runner{universe: u, builtins: t}, nil
}

// RunPolicy checks, compiles and tests one policy.
func (r *Runner) RunPolicy(policy string, cfg Config) *Result {
	prog, diags := r.check(policy)
	return r.run(policy, prog, diags, cfg)
}

// Tree is one policy tree: the directory Root and its policies, in order
// (see Find).
type Tree struct {
	Root     string
	Policies []string
	// Catalogue is the targets of the tree's catalogue.json, for the
	// warning of a target it does not list (lang.Config.Catalogue).
	Catalogue []string
}

// RunTree tests the policies of one policy tree, the directory root (see
// Find), in order, as RunTrees tests a tree.
func (r *Runner) RunTree(root string, policies []string, cfg Config) []*Result {
	return r.RunTrees([]Tree{{Root: root, Policies: policies}}, cfg)[0]
}

// RunTrees tests the policies of trees, tree after tree, each in order, as
// RunPolicy tests one, and returns the results of each tree, one Result
// per policy in that order; and it holds them to what rplc check and rplc
// build hold a tree to (lang.Trees):
//   - the policies of a tree have distinct ids: a policy whose id an
//     earlier one has fails with that error (RPL216), and its tests do
//     not run;
//   - a file with neither a route function nor tests is a library, which
//     a file of the trees must import or extend: one that none does fails
//     with the error rplc check reports (RPL212, on its package clause).
//
// A test module (tests and no route) is run, not refused as rplc check
// refuses it in a tree: running its tests is what rplc test is for. Every
// policy is checked before any test runs, to tell the libraries.
func (r *Runner) RunTrees(trees []Tree, cfg Config) [][]*Result {
	type checked struct {
		prog  *lang.Program
		diags lang.DiagList // without its RPL212, which the verdicts say
		file  lang.TreeFile
	}
	cs := make([][]checked, len(trees))
	var rules lang.Trees // what each file is, as rplc check and build say
	ts := make([]*lang.Tree, len(trees))
	session := lang.NewSession() // a library is checked once, not per importer
	for i, t := range trees {
		ts[i] = rules.Tree(t.Root, true)
		for _, p := range t.Policies {
			prog, diags := lang.Check(&lang.Config{Universe: r.universe, Policy: true, Session: session, Catalogue: t.Catalogue}, p)
			tf, diags := rules.File(p, prog, diags)
			ts[i].Add(tf)
			cs[i] = append(cs[i], checked{prog, diags, tf})
		}
	}
	out := make([][]*Result, len(trees))
	for i, t := range trees {
		ids := ts[i].Policies()
		for j, v := range rules.Verdicts(ts[i]) {
			c := cs[i][j]
			ds := c.diags
			if len(v.Diags) > 0 {
				ds = append(slices.Clone(ds), v.Diags...)
				ds.Sort()
			}
			res := r.run(t.Policies[j], c.prog, ds, cfg)
			if v.Kind == lang.KindPolicy && ids[c.file.Name] {
				res.ID = c.file.Name
			}
			out[i] = append(out[i], res)
			cs[i][j] = checked{} // its program can go
		}
	}
	return out
}

// check checks policy with its test file.
func (r *Runner) check(policy string) (*lang.Program, lang.DiagList) {
	return lang.Check(&lang.Config{Universe: r.universe}, policy)
}

// run compiles and tests policy, checked as prog with diags.
func (r *Runner) run(policy string, prog *lang.Program, diags lang.DiagList, cfg Config) *Result {
	res := &Result{Policy: policy}
	if diags.HasErrors() {
		res.Diags = diags
		return res
	}
	for _, d := range diags {
		if d.Severity == lang.SevWarning {
			res.Warnings = append(res.Warnings, d)
		}
	}
	if !lang.HasTests(prog.Main) {
		// No test to run; what a build would refuse of a policy is still
		// said (RPL322), as rplc check says it.
		if lang.HasRoute(prog.Main) {
			res.Diags, res.Err = compiler.Verify(prog, r.builtins)
			res.NoTests = res.Err == nil && !res.Diags.HasErrors()
			if cfg.Cover && res.Err == nil && !res.Diags.HasErrors() {
				// Its code counts, none of it run: 0%, not left out.
				if out, err := compiler.Compile(prog, compiler.Options{Builtins: r.builtins, Cover: true}); err == nil {
					res.Coverage = newCoverage(policy, prog.Main, out, make([]uint64, len(out.Counters)))
				}
			}
		}
		return res
	}
	// Compiled as a build compiles it (pure builtins folded), so that the
	// tests run the code a bundle ships.
	out, err := compiler.Compile(prog, compiler.Options{Builtins: r.builtins, Cover: cfg.Cover})
	var p *vm.Program
	if err == nil {
		p, err = out.Program(r.builtins)
	}
	if err != nil {
		res.Diags, res.Err = compiler.LimitDiagnostic(prog, err)
		return res
	}
	var probes *vm.Probes
	if cfg.Cover {
		probes = &vm.Probes{Counts: make([]uint64, len(out.Counters))}
	}
	ctx := cfg.Context
	if ctx == nil {
		ctx = context.Background()
	}
	ex := &expects{prog: prog}
	for _, t := range out.Tests {
		if cfg.Run != nil && !cfg.Run.MatchString(t.Name) {
			continue
		}
		res.Tests = append(res.Tests, runTest(ctx, p, prog.Main.Name, t, cfg.Limits, probes, ex))
	}
	if cfg.Cover {
		res.Coverage = newCoverage(policy, prog.Main, out, probes.Counts)
	}
	return res
}

// runTest runs test t of policy (its id). A failed comparison shows its values with the
// static types of its operands (ex); they are written before the machine
// goes back to the pool.
func runTest(ctx context.Context, p *vm.Program, policy string, t compiler.Test, lim vm.Limits, probes *vm.Probes, ex *expects) Test {
	res := Test{Name: t.Name, File: t.File, Line: t.Line, Col: t.Col}
	in := stdlib.TestInput(policy)
	in.Probes = probes
	m := vm.Get()
	defer vm.Put(m)
	start := time.Now()
	_, st, err := m.RunNamed(ctx, p, t.Entry, nil, lim, in)
	res.Duration = time.Since(start)
	res.Stats = st
	if err == nil {
		return res
	}
	var e *vm.Error
	if !errors.As(err, &e) {
		var skip *stdlib.SkipError
		if errors.As(err, &skip) {
			res.Status, res.Reason = Skip, skip.Reason
			return res
		}
		res.Status = Fail
		res.Failures = []Failure{{Pos: vm.Frame{File: t.File, Line: t.Line, Col: t.Col}, Code: vm.CodeInternal, Message: err.Error()}}
		return res
	}
	// The skip that ends a test is no failure, after failed expects too
	// (the last error of the run, in Also): the test fails by them, and
	// keeps the skip's reason.
	for _, x := range append([]*vm.Error{e}, e.Also...) {
		var skip *stdlib.SkipError
		if errors.As(x.Cause, &skip) {
			res.Reason = skip.Reason
			continue
		}
		res.Failures = append(res.Failures, failureOf(x, t, ex))
	}
	res.Status = Skip
	if len(res.Failures) > 0 {
		res.Status = Fail
	}
	return res
}

func failureOf(e *vm.Error, t compiler.Test, ex *expects) Failure {
	f := Failure{Code: e.Code, Message: ex.typedMessage(e), Pos: vm.Frame{File: t.File, Line: t.Line, Col: t.Col}}
	if len(e.Stack) > 0 {
		f.Pos = e.Stack[0]
	}
	if e.Code != vm.CodeAssertionFailed {
		f.Stack = e.Stack
	}
	return f
}

// Run tests every policy in policies (see Find), in order.
func (r *Runner) Run(policies []string, cfg Config) []*Result {
	out := make([]*Result, len(policies))
	for i, p := range policies {
		out[i] = r.RunPolicy(p, cfg)
	}
	return out
}

// Totals counts test outcomes over results.
func Totals(results []*Result) (passed, failed, skipped int) {
	for _, r := range results {
		for _, t := range r.Tests {
			switch t.Status {
			case Pass:
				passed++
			case Fail:
				failed++
			default:
				skipped++
			}
		}
	}
	return
}

// PoliciesWithErrors counts the results whose tests did not run, for
// errors in the policy or a failure to load it.
func PoliciesWithErrors(results []*Result) int {
	n := 0
	for _, r := range results {
		if r.Err != nil || r.Diags.HasErrors() {
			n++
		}
	}
	return n
}
