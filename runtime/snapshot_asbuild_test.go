package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/vm"
)

// writeTree writes files (slash-separated path → source) into a new
// directory.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		writeFile(t, dir, name, src)
	}
	return dir
}

// loadProblems loads dir and returns the problems refusing it, failing
// the test when it loads.
func loadProblems(t *testing.T, e *runtime.Engine, dir string) []string {
	t.Helper()
	_, err := e.BuildDir(context.Background(), dir)
	var le *runtime.LoadError
	if !errors.As(err, &le) {
		t.Fatalf("BuildDir: %v, want a LoadError", err)
	}
	return le.Problems
}

// buildErrors is what rplc build says of dir's errors (bundle.Build's
// diagnostics, errors only: a warning refuses nothing).
func buildErrors(t *testing.T, dir string) []string {
	t.Helper()
	res, err := bundle.Build(dir, bundle.BuildOptions{})
	if !errors.Is(err, bundle.ErrCheckFailed) {
		t.Fatalf("bundle.Build: %v, want ErrCheckFailed", err)
	}
	var out []string
	for _, d := range res.Diags {
		if d.Severity == lang.SevError {
			out = append(out, d.Error())
		}
	}
	return out
}

// TestBuildDirLibraryTests: the tests of a library (lib/common.rpl,
// imported by budget.rpl, with lib/common_test.rpl) run before a
// directory is activated, as rplc test and rplc build run them: a
// failing one refuses the version, named as a policy's failing test is.
// The router activated it, the library's tests unrun.
func TestBuildDirLibraryTests(t *testing.T) {
	tree := func(want string) map[string]string {
		return map[string]string{
			"lib/common.rpl":      "package common\n\nconst strong = \"openai:gpt-4o\"\n",
			"lib/common_test.rpl": "package common\n\ntest \"strong\" {\n  expect strong == \"" + want + "\"\n}\n",
			"budget.rpl":          "package budget\n\nimport \"lib/common\"\n\nfn route(r: Request) -> Decision = to(common.strong)\n",
			"budget_test.rpl":     "package budget\n\ntest \"routes strong\" {\n  expect route({tenant: {id: \"t\"}}).target == \"openai:gpt-4o\"\n}\n",
		}
	}
	e := newEngine(t, runtime.Config{})
	bad := writeTree(t, tree("anthropic:claude"))
	want := []string{`lib/common_test.rpl:4:3: test "strong" failed: strong: expected "anthropic:claude", got "openai:gpt-4o"`}
	if got := loadProblems(t, e, bad); !slices.Equal(got, want) {
		t.Errorf("problems %q, want %q", got, want)
	}
	if _, err := bundle.Build(bad, bundle.BuildOptions{}); !errors.Is(err, bundle.ErrTestsFailed) {
		t.Errorf("bundle.Build: %v, want ErrTestsFailed as the router", err)
	}
	// The failures in the order rplc build runs the tests: the files',
	// policies and libraries alike (the library's came last).
	order := tree("anthropic:claude")
	order["a.rpl"] = "package a\n\nfn route(r: Request) -> Decision = to(\"p:a\")\n"
	order["a_test.rpl"] = "package a\n\ntest \"a\" {\n  expect route({}).target == \"p:b\"\n}\n"
	order["z.rpl"] = "package z\n\nfn route(r: Request) -> Decision = to(\"p:z\")\n"
	order["z_test.rpl"] = "package z\n\ntest \"z\" {\n  expect route({}).target == \"p:y\"\n}\n"
	dir := writeTree(t, order)
	res, err := bundle.Build(dir, bundle.BuildOptions{})
	if !errors.Is(err, bundle.ErrTestsFailed) {
		t.Fatalf("bundle.Build: %v, want ErrTestsFailed", err)
	}
	var built []string
	for _, f := range res.Failures {
		built = append(built, f.Test.Name)
	}
	var loaded []string
	for _, p := range loadProblems(t, e, dir) {
		_, name, _ := strings.Cut(p, "test \"")
		name, _, _ = strings.Cut(name, "\"")
		loaded = append(loaded, name)
	}
	if want := []string{"a", "strong", "z"}; !slices.Equal(built, want) || !slices.Equal(loaded, want) {
		t.Errorf("failed tests: rplc build %q, router %q, want %q", built, loaded, want)
	}

	s, err := e.BuildDir(context.Background(), writeTree(t, tree("openai:gpt-4o")))
	if err != nil {
		t.Fatalf("a library's passing test: %v", err)
	}
	if ids := s.PolicyIDs(); !slices.Equal(ids, []string{"budget"}) {
		t.Errorf("policies %v, want [budget]", ids)
	}
}

// TestBuildDirProblemsAsBuild: a directory refused for errors is said as
// rplc build says them (bundle.Build's diagnostics): a library's error
// once, not once per policy importing it; every error of a policy, not
// its first and how many more; sorted by file, line and column as
// numbers (budget_test.rpl:9 before budget_test.rpl:30); and no RPL217
// for a tenant naming a policy that has errors (it said the policy "does
// not exist"). A tenant naming a policy that no file declares is still
// refused (RPL217), as rplc check refuses it.
func TestBuildDirProblemsAsBuild(t *testing.T) {
	files := map[string]string{
		"lib/common.rpl": "package common\n\nconst strong = \"openai:gpt-4o\"\nconst bad: int = \"x\"\n",
		"tenants.json":   `{"tenants": [{"id": "acme", "policy": "budget"}]}`,
		"budget.rpl":     "package budget\n\nimport \"lib/common\"\n\nfn route(r: Request) -> Decision = to(common.strong)\n",
	}
	for i := range 5 {
		files[fmt.Sprintf("p%d.rpl", i)] = fmt.Sprintf("package p%d\n\nimport \"lib/common\"\n\nfn route(r: Request) -> Decision = to(common.strong)\n", i)
	}
	// Two errors in budget's test file, on lines 9 and 30.
	test := "package budget\n\n" + strings.Repeat("\n", 4) + "test \"a\" {\n  expect 1 == 1\n  let x: int = \"nine\"\n  expect x == 1\n}\n"
	test += strings.Repeat("\n", 30-strings.Count(test, "\n")-3) + "test \"b\" {\n  expect 1 == 1\n  let y: int = \"thirty\"\n  expect y == 1\n}\n"
	files["budget_test.rpl"] = test
	e := newEngine(t, runtime.Config{})
	dir := writeTree(t, files)
	got, want := loadProblems(t, e, dir), buildErrors(t, dir)
	if !slices.Equal(got, want) {
		t.Fatalf("router:\n\t%s\nrplc build:\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
	// What rplc build says, checked for what it is.
	if len(want) != 3 || !strings.HasPrefix(want[0], "budget_test.rpl:9:") || !strings.HasPrefix(want[1], "budget_test.rpl:30:") || !strings.HasPrefix(want[2], "lib/common.rpl:4:") {
		t.Errorf("rplc build says %q, want budget_test.rpl's errors at lines 9 and 30, then the library's once", want)
	}

	// The error in budget.rpl itself: said, and budget not missing.
	files["budget_test.rpl"] = "package budget\n"
	files["lib/common.rpl"] = "package common\n\nconst strong = \"openai:gpt-4o\"\n"
	files["budget.rpl"] = "package budget\n\nimport \"lib/common\"\n\nfn route(r: Request) -> Decision = to(common.strong + 1)\n"
	dir = writeTree(t, files)
	got, want = loadProblems(t, e, dir), buildErrors(t, dir)
	if !slices.Equal(got, want) || len(want) != 1 || !strings.HasPrefix(want[0], "budget.rpl:5:") {
		t.Errorf("router %q, rplc build %q, want budget.rpl's error alone", got, want)
	}

	// A tenant naming a policy that is not in the tree: RPL217.
	files["tenants.json"] = `{"tenants": [{"id": "acme", "policy": "nope"}]}`
	dir = writeTree(t, files)
	missing := `tenants.json:1:39: error[RPL217]: tenants[0].policy: tenant "acme" names policy "nope", which does not exist`
	if got := loadProblems(t, e, dir); !slices.Contains(got, missing) {
		t.Errorf("problems %q, want %q", got, missing)
	}
}

// TestBuildDirTestsUnderTestLimits: a version's tests run as rplc build
// runs them (bundle.TestLimits), not under the fuel of one decision
// (Config.Limits, rpl-router serve --fuel): a test deciding 50 times,
// each decision within the fuel, loads, from a directory and from the
// bundle rplc build made of it; a decision needing more than the fuel
// still fails when it is made. The router refused the version ("fuel
// exhausted (limit 300)"), which rplc build had accepted.
func TestBuildDirTestsUnderTestLimits(t *testing.T) {
	const fuel = 300
	var test strings.Builder
	test.WriteString("package default\n\ntest \"fifty decisions\" {\n")
	for i := range 50 {
		fmt.Fprintf(&test, "  expect route({estimate: {input_tokens: %d}}).target == \"p:%d\"\n", i%5, i%5)
	}
	test.WriteString("}\n")
	dir := writeTree(t, map[string]string{
		"default.rpl":      "package default\n\nfn spin(n: int) -> int = if n <= 0 { 0 } else { spin(n - 1) + 1 }\n\nfn route(r: Request) -> Decision = to(\"p:\" + string(spin(r.estimate.input_tokens)))\n",
		"default_test.rpl": test.String(),
	})
	res, err := bundle.Build(dir, bundle.BuildOptions{})
	if err != nil {
		t.Fatalf("bundle.Build: %v", err)
	}
	e := newEngine(t, runtime.Config{Limits: rpl.Limits{Fuel: fuel}, Deadline: time.Minute})
	if _, err := e.BuildBundle(context.Background(), "d.rplb", res.Data, bundle.ReadOptions{}); err != nil {
		t.Fatalf("the bundle under --fuel %d: %v", fuel, err)
	}
	load(t, e, dir)
	o := e.Decide(context.Background(), "default", request(t, e, `{"id": "r", "estimate": {"input_tokens": 2}}`), time.Time{})
	if o.Err != nil || o.Failure != nil || e.View(o.Decision).Target() != "p:2" {
		t.Fatalf("a decision within the fuel: %v %v", o.Err, o.Failure)
	}
	if o.Stats.Fuel > fuel {
		t.Fatalf("a decision took %d fuel, more than %d", o.Stats.Fuel, fuel)
	}
	// The test as a whole took more than one decision's fuel.
	if s := e.Current(); s == nil || s.Policy("default").Tests != 1 {
		t.Fatal("default not loaded with its test")
	}
	o = e.Decide(context.Background(), "default", request(t, e, `{"id": "r", "estimate": {"input_tokens": 1000}}`), time.Time{})
	if o.Failure == nil || o.Failure.Code != vm.CodeFuelExhausted || !strings.Contains(o.Failure.Error(), fmt.Sprintf("fuel exhausted (limit %d)", fuel)) {
		t.Errorf("a decision over the fuel: failure %v, want fuel exhausted (limit %d)", o.Failure, fuel)
	}
}
