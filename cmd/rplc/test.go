package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/policytest"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/rpl-lang/rpl/vm"
)

func newTestCmd(e *env) *cobra.Command {
	var (
		verbose               bool
		runExpr, format, mode string
		cover                 bool
		profile, junit        string
		fuel                  int64
		werror                bool
	)
	cmd := &cobra.Command{
		Use:   "test PATH...",
		Short: "Run the test blocks of policies, with coverage",
		Long: `Test runs the test blocks of policies: those of each policy's test file
x_test.rpl and of the policy x.rpl itself. Each PATH is a policy, a test
file or a directory (walked recursively, through a symlink to it; a
directory holding no .rpl file is an error, not a pass: RPL218, as rplc
check reports it, and no test runs). A file named twice, or reached
through a symlink as well (a directory and a link to it), is tested once,
under the name given first.

Every failed expectation prints a line

  file:line:col: test "name" failed: message

(a test named "" is named where it is declared: (unnamed test at FILE:LINE))

where a comparison shows both values (d.target: expected "a", got "b") as
literals of their types: records with field names ({target: "y", retries: 0}),
enum members bare (timeout), none for an absent optional, each value cut past
about 2 KB with "...". A test goes on after a failed expect. A test that runs out of fuel or memory, or
fails at run time, prints the error and its policy call stack. The run ends
with the line "N passed, N failed" (", N skipped" when any test called
testing.skip; ", N policies with errors" when policies with errors, whose
tests did not run, were found; ", N policies without tests" when policies
declare none, which -v also says under their names).

Each test starts from empty router state (no spend, no prices, no experiment
winners, every target healthy), the clock at 2025-06-02T12:00:00Z and seed 1;
a Request a test writes without its arrival arrives at the clock, as a
router's does, so that r.arrival and now() agree.
Test files import "std/testing" to set spend, prices, winners, health,
latency, the clock and the seed (see rplc doc std/testing).

--cover prints statement and branch coverage per policy (its own files, not
its tests or parents; a policy without tests is 0% covered); with -v also
each branch outcome never taken. A policy with no branch says "no
branches" (and "no statements" for none), not 100%, as go test says
"[no statements]"; its JSON branch_percent (statement_percent) is null.
--coverprofile FILE writes statement coverage in Go's cover profile format
(--covermode set or count, which needs --coverprofile), which go tool
cover -html reads; a FILE named .rpl, a policy source, is refused.
Single-dash spellings (-run, -cover, -coverprofile, -covermode, -fuel,
-format) work too, and -junit.

--junit FILE writes a JUnit XML report to FILE as well, for CI (GitLab's
junit report, Jenkins, GitHub's test reporters), whatever the tests did;
the output (text or JSON) is the same. It has a testsuite per policy,
named by its file as the text's -v names it (a test file without its
policy, RPL215, by the test file), and a testcase per test
(classname the policy's id, file, line, time in seconds): a failed
expect is a failure, every failed line its text; an error at run time
(fuel, memory, a runtime error) is an error with its stack; a skip is
skipped. A policy with errors, whose tests did not run, is a testsuite
of one testcase "(policy with errors)" in error with its diagnostics,
and so is a tree's tenants.json or catalogue.json refused and a
directory holding no .rpl file, each named by its path. A character XML 1.0 cannot hold
(a control character in a test's name or a compared string) is written
\uXXXX. FILE is refused as --coverprofile's is.

` + outputHelp + `

With --format json the results are one JSON document, which lists every
test and, with --cover, every branch outcome never taken (not_taken), -v
or not, and the total coverage (coverage, over one policy too); a policy
with errors has its diagnostics both as lines (diagnostics) and as the
objects rplc check --format json prints (diagnostic_details: range, code,
related positions, fixes), and policies_with_errors counts such policies.
A test failed at run time has the error's stack: {func, file, line, col},
innermost first, with count when a frame repeats (a recursion).
When the paths cannot be read, the document has error, saying why, and no
policies; each directory holding no .rpl file is in its diagnostics and
diagnostic_details, as the error RPL218 that rplc check reports, and error
counts them ("1 error: no test ran").

The policies with a route function of each directory PATH, walked as 'rplc
build' and the router load it, must have distinct ids, their package names;
a policy whose id an earlier one has is an error (RPL216) and its tests do
not run. Files named one by one are held to it with the other files named
in their directory. Such a directory's tenant registry (tenants.json) and
price catalogue (catalogue.json), when present, are checked as 'rplc
check' and 'rplc build' check them, each tenant's policy among the tree's
(RPL217): an error there is printed before the results, counted after the
summary line ("1 error in the trees' tenants.json or catalogue.json"), in
the JSON document's diagnostics and diagnostic_details, counted by its
registry_errors, and exits 1; the tests still run.

As with 'rplc check', a file that no other file tested imports or extends
is a policy: with neither a route function nor tests, it is an error
(RPL212), since a library must be imported by a policy. A test module
(tests, no route) is run.

` + werrorHelp + ` The warnings of the policies tested, which
a run without --werror does not print, are printed before each policy's
results, and "2 warnings failed the run (--werror)" follows the summary
line; in the JSON document they are each policy's diagnostics and
diagnostic_details, and warnings_failed counts them.

Exit status: 0 when every test passes, 1 when a test fails, a policy has
errors (or warnings, with --werror) or a tree's tenants.json or catalogue.json is refused, 2 for a
wrong command line (a --coverprofile or --junit in a directory that does
not exist among them, and the two naming one file, a character device
such as /dev/null and rplc's standard output, /dev/stdout, aside).`,
		Example: `  rplc test examples/policies
  rplc test -v --run 'budget' examples/policies/budget_guard.rpl
  rplc test --cover --coverprofile cover.out examples/policies && go tool cover -html cover.out
  rplc test --junit report.xml examples/policies`,
		Args: requirePaths,
		RunE: func(cmd *cobra.Command, args []string) error {
			if mode != "set" && mode != "count" {
				return usageErrorf(cmd, "invalid --covermode %q: want set or count", mode)
			}
			if cmd.Flags().Changed("covermode") && profile == "" {
				// As migrate --force without -o: it was ignored, and a
				// profile of counts expected was not written.
				return usageErrorf(cmd, "--covermode is the mode of the --coverprofile file, and there is no --coverprofile")
			}
			if err := reportFileError(cmd, "--coverprofile", profile, "profile", args); err != nil {
				return err
			}
			if err := reportFileError(cmd, "--junit", junit, "report", args); err != nil {
				return err
			}
			if profile != "" && junit != "" && (absPath(profile) == absPath(junit) || sameFile(profile, junit)) && !charDevice(junit) && stdStream(junit) == nil {
				// The one written last replaced the other. A character
				// device (/dev/null, a terminal's /dev/stdout) and
				// rplc's standard output or error (writeOutput writes
				// through it) take both, one after the other.
				return usageErrorf(cmd, "--junit %s is the --coverprofile file too: name two files", junit)
			}
			cfg := policytest.Config{Cover: cover || profile != "", Limits: vm.Limits{Fuel: fuel}}
			if runExpr != "" {
				re, err := regexp.Compile(runExpr)
				if se, ok := errors.AsType[*syntax.Error](err); ok {
					// As matches words a pattern RE2 refuses, without
					// Go's "error parsing regexp:".
					return usageErrorf(cmd, "invalid --run: %s", stdlib.PatternError(se))
				} else if err != nil {
					return usageErrorf(cmd, "invalid --run: %v", err)
				}
				cfg.Run = re
			}
			return runTests(cmd, e, args, cfg, testOutput{verbose: verbose, json: format == "json", cover: cover, profile: profile, mode: mode, junit: junit, werror: werror})
		},
	}
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "list every test with its result and time")
	cmd.Flags().StringVar(&runExpr, "run", "", "run only the tests whose name matches this regular expression")
	cmd.Flags().BoolVar(&cover, "cover", false, "print statement and branch coverage per policy")
	cmd.Flags().StringVar(&profile, "coverprofile", "", "write a Go cover profile to this file (implies coverage)")
	cmd.Flags().StringVar(&mode, "covermode", "set", "cover profile mode: set or count")
	cmd.Flags().StringVar(&junit, "junit", "", "also write a JUnit XML report to this file, for CI")
	cmd.Flags().Int64Var(&fuel, "fuel", 0, "fuel limit of each test (0: the default, 1000000)")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	cmd.Flags().BoolVar(&werror, "werror", false, "count the policies' warnings as errors for the exit status")
	return cmd
}

type testOutput struct {
	verbose, json, cover bool
	werror               bool // the policies' warnings fail the run
	profile, mode        string
	junit                string // the JUnit XML report's file, or ""
}

// reportFileError refuses, before any test runs (exit 2), a file the run
// writes, the value of flag (--coverprofile, --junit: a what, "profile",
// "report"): standard output, a directory or a file in a directory that
// does not exist (outFileError), a policy source (.rpl), which build -o
// refuses too, as a slip (the file's name left out, a policy taken for
// it) replaced the source; or the tenant registry or price catalogue of
// a tree tested (args), which the tests had read.
func reportFileError(cmd *cobra.Command, flag, file, what string, args []string) error {
	if file == "" {
		return nil
	}
	if err := noStdout(cmd, flag, file, ""); err != nil {
		return err
	}
	if err := outFileError(cmd, "", flag, file, what+" file"); err != nil {
		return err
	}
	if namesPolicy(file) {
		return usageErrorf(cmd, "%s %s names a policy source, which the %s would replace (name the %s file)", flag, file, what, what)
	}
	for _, a := range args {
		for _, data := range []string{"tenants.json", "catalogue.json"} {
			if sameFile(file, filepath.Join(a, data)) {
				return usageErrorf(cmd, "%s %s is the tree's %s, which the %s would replace (name the %s file)", flag, file, data, what, what)
			}
		}
	}
	return nil
}

// goStyleTestFlags lets `rplc test` take go test's single-dash spellings,
// after rplc's own flags too (rplc --color never test -run x).
func goStyleTestFlags(args []string) []string {
	cmd := 0
	for cmd < len(args) && strings.HasPrefix(args[cmd], "-") && args[cmd] != "--" {
		if args[cmd] == "--color" {
			cmd++ // its value
		}
		cmd++
	}
	if cmd >= len(args) || args[cmd] != "test" {
		return args
	}
	out := append([]string(nil), args...)
	for i := cmd + 1; i < len(out); i++ {
		a := out[i]
		if a == "--" {
			break
		}
		for _, f := range []string{"run", "cover", "coverprofile", "covermode", "fuel", "format", "junit"} {
			if a == "-"+f || strings.HasPrefix(a, "-"+f+"=") {
				out[i] = "-" + a
			}
		}
	}
	return out
}

func runTests(cmd *cobra.Command, e *env, args []string, cfg policytest.Config, o testOutput) error {
	if err := noStdin(cmd, args); err != nil {
		return err
	}
	// A file named that is not a policy or a test file is a wrong
	// command line, named as given (policytest.Policies would name it by
	// its absolute path, and exit 1).
	if err := onlyRPL(cmd, args); err != nil {
		return err
	}
	// The files, not args again: each directory is walked once. The
	// policies of a tree are tested together, since they must have
	// distinct ids (RPL216); the trees together, since a library of one
	// may be imported by a policy of another (RPL212).
	var trees []policytest.Tree
	pts, empty, err := expandTreesEmpty(args)
	if err == nil && len(empty) > 0 {
		// Said by the diagnostics (RPL218), printed below: the error
		// only counts them, as check's summary does.
		err = fmt.Errorf("%s: no test ran", plural(len(empty), "error"))
	}
	for _, t := range pts {
		if err != nil {
			break
		}
		var ps []string
		ps, err = policytest.Policies(t.files)
		tree := policytest.Tree{Root: t.root, Policies: ps}
		if t.walked {
			tree.Catalogue = bundle.TreeTargets(t.root)
		}
		trees = append(trees, tree)
	}
	if err != nil {
		if nf := (*lang.NotFoundError)(nil); errors.As(err, &nf) {
			return usageErrorf(cmd, "%v%s", err, walkHint(nf.Path))
		}
		// A directory holding no .rpl file is also the diagnostic
		// RPL218 that rplc check reports, with its code, as a policy's
		// are: printed, or in both forms in the document.
		names := newPathNamer(args...)
		var ds lang.DiagList
		for _, dir := range empty {
			ds = append(ds, names.display(lang.NoFiles(dir)))
		}
		if !o.json {
			printText(e.stdout, ds, useColor(e.stdout, e.color))
		} else {
			// A document still, as eval and build write one whatever
			// happened: there was none (a directory holding no .rpl
			// file, a link loop), only exit 1.
			run := jsonTestRun{Error: err.Error(), Policies: []jsonPolicyResult{}}
			run.addDiags(ds)
			writeJSON(e.stdout, run)
		}
		if o.junit != "" {
			// Red in CI, as the run is: no test ran.
			rep := junitReport(nil, nil, ds, names, time.Now())
			if len(ds) == 0 {
				rep.add(junitErrorSuite("rplc test", []string{err.Error()}), time.Now())
			}
			if werr := writeJUnit(o.junit, rep); werr != nil {
				return writeError(werr)
			}
		}
		return &exitError{code: exitFail, err: err}
	}
	runner, err := policytest.NewRunner()
	if err != nil {
		return internalError(err)
	}
	cfg.Context = cmd.Context()
	names := newPathNamer(args...)
	ro := policytest.ReportOptions{Verbose: o.verbose, Name: names.name, NoCover: !o.cover}
	var shown diagSet // a library's diagnostic once, whichever policies load it
	start := time.Now()
	byTree := runner.RunTrees(trees, cfg)
	// The tenants.json and catalogue.json of each directory walked, as
	// rplc check and rplc build check them (RPL217): each tenant's policy
	// among the tree's.
	var data lang.DiagList
	for i, t := range pts {
		if !t.walked {
			continue
		}
		ids := map[string]bool{}
		for _, r := range byTree[i] {
			if r.ID != "" {
				ids[r.ID] = true
			}
		}
		d, err := treeData(t.root, ids)
		if err != nil {
			return &exitError{code: exitFail, err: err}
		}
		for _, d := range d {
			data = append(data, names.display(d))
		}
	}
	if !o.json {
		printText(e.stdout, data, useColor(e.stdout, e.color))
	}
	results := slices.Concat(byTree...)
	// With --werror, the warnings of the policies whose tests ran, each
	// once whichever policies load its file.
	var warned diagSet
	if o.werror {
		for _, r := range results {
			warned.add(r.Warnings...)
		}
	}
	for _, r := range results {
		if o.json {
			continue
		}
		if len(r.Diags) > 0 || o.werror && len(r.Warnings) > 0 {
			before := len(shown.diags)
			shown.add(r.Diags...)
			if o.werror {
				shown.add(r.Warnings...)
			}
			ds := make(lang.DiagList, 0, len(shown.diags)-before)
			for _, d := range shown.diags[before:] {
				ds = append(ds, names.display(d))
			}
			printText(e.stdout, ds, useColor(e.stdout, e.color))
		}
		policytest.WriteResult(e.stdout, r, ro)
	}
	failedAny := data.HasErrors() || len(warned.diags) > 0
	for _, r := range results {
		failedAny = failedAny || r.Failed()
	}
	if o.json {
		if err := writeTestJSON(e, results, data, names, o.cover, len(warned.diags)); err != nil {
			return writeError(err)
		}
	} else {
		policytest.WriteSummary(e.stdout, results, ro)
		if n := len(data); n > 0 {
			// After "N passed, N failed", which alone would read as a
			// pass: the exit status is 1.
			fmt.Fprintf(e.stdout, "%s in the trees' tenants.json or catalogue.json\n", plural(n, "error"))
		}
		if n := len(warned.diags); n > 0 {
			fmt.Fprintln(e.stdout, werrorNote(n))
		}
	}
	// The report and the profile after the results, which a file that
	// cannot be written does not cut short; the report whatever the
	// tests did, as CI reads it when they failed.
	if o.junit != "" {
		if err := writeJUnit(o.junit, junitReport(results, data, nil, names, start)); err != nil {
			return writeError(err)
		}
	}
	if o.profile != "" {
		var covs []*policytest.Coverage
		for _, r := range results {
			if r.Coverage != nil {
				covs = append(covs, r.Coverage)
			}
		}
		if err := writeProfile(o.profile, policytest.ProfileMode(o.mode), names.cwd, covs); err != nil {
			return writeError(err)
		}
	}
	if p, f, sk := policytest.Totals(results); cfg.Run != nil && p+f+sk == 0 && !failedAny {
		// As go test -run does: no test is not a failure, but say so
		// (when every policy ran: one that did not has said why).
		fmt.Fprintf(e.stderr, "rplc: warning: no tests match --run %q\n", cfg.Run.String())
	}
	if failedAny {
		return failed
	}
	return nil
}

// writeProfile writes the cover profile to path whole (writeOutput).
func writeProfile(path string, mode policytest.ProfileMode, dir string, covs []*policytest.Coverage) error {
	var b bytes.Buffer
	if err := policytest.WriteProfile(&b, mode, dir, covs); err != nil {
		return err
	}
	return writeOutput(path, b.Bytes())
}

// The JSON form of a test run.
type (
	jsonTestRun struct {
		Policies []jsonPolicyResult `json:"policies"`
		Passed   int                `json:"passed"`
		Failed   int                `json:"failed"`
		Skipped  int                `json:"skipped"`
		// Errors counts the policies whose tests did not run: they have
		// errors (their diagnostics) or could not be loaded (error).
		Errors int `json:"policies_with_errors"`
		// RegistryErrors counts the errors of the trees' tenants.json
		// and catalogue.json (RPL217, in Diagnostics), as the text's
		// "N errors in the trees' tenants.json or catalogue.json" does:
		// they fail the run though every test passed.
		RegistryErrors int `json:"registry_errors"`
		// WarningsFailed counts, with --werror, the policies' warnings
		// that failed the run (each in its policy's diagnostics).
		WarningsFailed int `json:"warnings_failed,omitempty"`
		// Error is why no test ran: the paths could not be read.
		Error string `json:"error,omitempty"`
		// Diagnostics and DiagnosticDetails are, beside Error, those
		// about the paths (RPL218: a directory holding no .rpl file),
		// as a policy's are; and those of a tree's tenants.json or
		// catalogue.json (RPL217), as rplc check reports them.
		Diagnostics       []string   `json:"diagnostics,omitempty"`
		DiagnosticDetails []jsonDiag `json:"diagnostic_details,omitempty"`
		// Coverage is, with --cover, the total over the policies, as
		// the text's "coverage: total:" line gives it.
		Coverage *jsonCoverageCounts `json:"coverage,omitempty"`
	}
	// jsonCoverageCounts are a coverage's counts and percentages.
	jsonCoverageCounts struct {
		Statements        int `json:"statements"`
		StatementsCovered int `json:"statements_covered"`
		Branches          int `json:"branches"`
		BranchesCovered   int `json:"branches_covered"`
		// StatementPercent and BranchPercent are null when there is
		// nothing to cover (no statements, no branches), as the text
		// says "no branches": not 100.
		StatementPercent *float64 `json:"statement_percent"`
		BranchPercent    *float64 `json:"branch_percent"`
	}
	jsonPolicyResult struct {
		Policy      string   `json:"policy"`
		Error       string   `json:"error,omitempty"`
		Diagnostics []string `json:"diagnostics,omitempty"`
		// DiagnosticDetails are the diagnostics as rplc check --format
		// json writes them, with their code, range, related positions
		// and fixes.
		DiagnosticDetails []jsonDiag    `json:"diagnostic_details,omitempty"`
		Tests             []jsonTest    `json:"tests"`
		Coverage          *jsonCoverage `json:"coverage,omitempty"`
	}
	jsonTest struct {
		Name       string        `json:"name"`
		File       string        `json:"file"`
		Line       int           `json:"line"`
		Col        int           `json:"col"`
		Status     string        `json:"status"`
		DurationUS float64       `json:"duration_us"`
		Fuel       int64         `json:"fuel"`
		Failures   []jsonFailure `json:"failures,omitempty"`
		Reason     string        `json:"reason,omitempty"`
	}
	jsonFailure struct {
		File    string      `json:"file"`
		Line    int         `json:"line"`
		Col     int         `json:"col"`
		Code    string      `json:"code"`
		Message string      `json:"message"`
		Stack   []jsonFrame `json:"stack,omitempty"`
	}
	jsonFrame struct {
		Func string `json:"func"`
		File string `json:"file"`
		Line int    `json:"line"`
		Col  int    `json:"col"`
		// Count is how many times the frame repeats, as the text's
		// "× N" says, when more than once: a recursion is one frame.
		Count int `json:"count,omitempty"`
	}
	jsonCoverage struct {
		jsonCoverageCounts
		// NotTaken are the branch outcomes never taken, in source order:
		// what -v adds to the text report, which -v left out of this one.
		NotTaken []jsonOutcome `json:"not_taken"`
	}
	jsonOutcome struct {
		File    string `json:"file"`
		Line    int    `json:"line"`
		Col     int    `json:"col"`
		Outcome string `json:"outcome"` // "then", "else", "arm 2", "no arm", "short", "long", "present", "default"
		Kind    string `json:"kind"`    // of the branch: "if", "match", "&&", "||", "??"
		Text    string `json:"text"`    // the branch's condition, subject or expression, as written
	}
)

// jsonStack is a policy call stack in the JSON of rplc test, build, eval
// and explain, innermost first (nil for none): each frame's function
// named as the text's stack names it (vm.FrameLabel: `test "NAME"`, not
// the entry `test:NAME`), its file by name, and a run of one frame (a
// recursion) once with its count, as the text collapses it
// (vm.StackRuns); a stack overflow listed 200 frames.
func jsonStack(st []vm.Frame, name func(string) string) []jsonFrame {
	var out []jsonFrame
	for _, r := range vm.StackRuns(st) {
		f := jsonFrame{Func: vm.FrameLabel(r.Func), File: name(r.File), Line: r.Line, Col: r.Col}
		if r.Count > 1 {
			f.Count = r.Count
		}
		out = append(out, f)
	}
	return out
}

// addDiags adds ds to the run's diagnostics, in both their forms.
func (r *jsonTestRun) addDiags(ds lang.DiagList) {
	for _, d := range ds {
		r.Diagnostics = append(r.Diagnostics, d.Error())
		r.DiagnosticDetails = append(r.DiagnosticDetails, jsonDiagOf(d))
	}
}

// warned is the number of warnings that failed the run (--werror), which
// are then in their policies' diagnostics.
func writeTestJSON(e *env, results []*policytest.Result, data lang.DiagList, names *pathNamer, cover bool, warned int) error {
	var run jsonTestRun
	run.addDiags(data)
	run.Passed, run.Failed, run.Skipped = policytest.Totals(results)
	run.Errors = policytest.PoliciesWithErrors(results)
	run.RegistryErrors = len(data)
	run.WarningsFailed = warned
	run.Policies = []jsonPolicyResult{}
	for _, r := range results {
		pr := jsonPolicyResult{Policy: names.name(r.Policy), Tests: []jsonTest{}}
		if r.Err != nil {
			pr.Error = r.Err.Error()
		}
		ds := r.Diags
		if warned > 0 {
			ds = slices.Concat(ds, r.Warnings)
		}
		for _, d := range ds {
			d = names.display(d)
			pr.Diagnostics = append(pr.Diagnostics, d.Error())
			pr.DiagnosticDetails = append(pr.DiagnosticDetails, jsonDiagOf(d))
		}
		for _, t := range r.Tests {
			jt := jsonTest{Name: t.Name, File: names.name(t.File), Line: t.Line, Col: t.Col,
				Status: strings.ToLower(t.Status.String()), DurationUS: float64(t.Duration) / float64(time.Microsecond),
				Fuel: t.Stats.Fuel, Reason: t.Reason}
			for _, f := range t.Failures {
				jf := jsonFailure{File: names.name(f.Pos.File), Line: f.Pos.Line, Col: f.Pos.Col, Code: string(f.Code), Message: f.Message}
				jf.Stack = jsonStack(f.Stack, names.name)
				jt.Failures = append(jt.Failures, jf)
			}
			pr.Tests = append(pr.Tests, jt)
		}
		if c := r.Coverage; c != nil && cover {
			pr.Coverage = &jsonCoverage{jsonCoverageCounts: coverageCounts(c), NotTaken: []jsonOutcome{}}
			for _, k := range c.Uncovered() {
				o := jsonOutcome{File: names.name(k.File), Line: k.Line, Col: k.Col, Outcome: k.Outcome}
				if k.Branch >= 0 && k.Branch < len(c.Branches) {
					o.Kind, o.Text = c.Branches[k.Branch].Kind, c.Branches[k.Branch].Text
				}
				pr.Coverage.NotTaken = append(pr.Coverage.NotTaken, o)
			}
		}
		run.Policies = append(run.Policies, pr)
	}
	if cover {
		total, _ := policytest.Total(results)
		counts := coverageCounts(&total)
		run.Coverage = &counts
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(run)
}

// coverageCounts is c's counts and percentages, as the JSON gives them.
func coverageCounts(c *policytest.Coverage) jsonCoverageCounts {
	j := jsonCoverageCounts{Statements: c.Stmts, StatementsCovered: c.StmtsCovered, Branches: c.Outcomes, BranchesCovered: c.OutcomesCovered}
	if c.Stmts > 0 {
		j.StatementPercent = new(c.StmtPercent())
	}
	if c.Outcomes > 0 {
		j.BranchPercent = new(c.BranchPercent())
	}
	return j
}
