package bundle_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/policytest"
)

// libraryTree writes a policy tree whose library lib/common.rpl (no
// route, imported by budget.rpl) has a test file, whose one test expects
// strong to be want.
func libraryTree(t *testing.T, want string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range map[string]string{
		"lib/common.rpl":      "package common\n\nconst strong = \"openai:gpt-4o\"\n",
		"lib/common_test.rpl": "package common\n\ntest \"strong\" {\n  expect strong == \"" + want + "\"\n}\n",
		"budget.rpl":          "package budget\n\nimport \"lib/common\"\n\nfn route(r: Request) -> Decision = to(common.strong)\n",
		"budget_test.rpl":     "package budget\n\ntest \"routes strong\" {\n  expect route({tenant: {id: \"t\"}}).target == \"openai:gpt-4o\"\n}\n",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestBuildRunsLibraryTests: the tests of a library (lib/common.rpl,
// imported by a policy, with lib/common_test.rpl) run at build time, as
// rplc test runs them: a failing one refuses the build, named at its
// place with the library's package, and a passing one is counted. The
// build shipped the tree with the library's failing test unrun ("1
// policy, 1 test passed") where rplc test failed; both now run the same
// tests, with the same outcome.
func TestBuildRunsLibraryTests(t *testing.T) {
	// The tests rplc test runs (policytest), and those that fail, each
	// file:line:col name.
	testTree := func(dir string) (n int, failed []string) {
		r, err := policytest.NewRunner()
		if err != nil {
			t.Fatal(err)
		}
		files, err := policytest.Find([]string{dir})
		if err != nil {
			t.Fatal(err)
		}
		for _, res := range r.RunTree(dir, files, policytest.Config{}) {
			for _, tr := range res.Tests {
				n++
				if tr.Status == policytest.Fail {
					rel, _ := filepath.Rel(dir, tr.File)
					failed = append(failed, fmt.Sprintf("%s:%d:%d %s", filepath.ToSlash(rel), tr.Line, tr.Col, tr.Name))
				}
			}
		}
		return n, failed
	}
	// Build's, the same way.
	built := func(res *bundle.Result) (n int, failed []string) {
		for _, f := range res.Failures {
			failed = append(failed, fmt.Sprintf("%s:%d:%d %s", f.Test.File, f.Test.Line, f.Test.Col, f.Test.Name))
		}
		return res.Tests, failed
	}
	agree := func(dir string, res *bundle.Result) {
		t.Helper()
		n, failed := testTree(dir)
		bn, bfailed := built(res)
		if n != bn || !slices.Equal(failed, bfailed) {
			t.Errorf("rplc test ran %d tests, failed %q; build %d, failed %q", n, failed, bn, bfailed)
		}
	}

	bad := libraryTree(t, "anthropic:claude")
	res, err := bundle.Build(bad, bundle.BuildOptions{})
	if !errors.Is(err, bundle.ErrTestsFailed) || res.Data != nil {
		t.Fatalf("a library's failing test: %v, want ErrTestsFailed and no bundle", err)
	}
	if res.Tests != 2 || len(res.Failures) != 1 {
		t.Fatalf("%d tests, %d failures %v, want 2 and the library's 1", res.Tests, len(res.Failures), res.Failures)
	}
	want := `lib/common_test.rpl:3:1: test "strong": lib/common_test.rpl:4:3: strong: expected "anthropic:claude", got "openai:gpt-4o"`
	if f := res.Failures[0]; f.String() != want || f.Policy != "common" {
		t.Errorf("failure %q of %q, want %q of common", f.String(), f.Policy, want)
	}
	agree(bad, res)

	good := libraryTree(t, "openai:gpt-4o")
	res, err = bundle.Build(good, bundle.BuildOptions{})
	if err != nil {
		t.Fatalf("a library's passing test: %v", err)
	}
	if res.Tests != 2 || len(res.Failures) != 0 || res.Bundle == nil || len(res.Bundle.Policies) != 1 {
		t.Fatalf("%d tests, failures %v, want 2 tests passed and one policy", res.Tests, res.Failures)
	}
	agree(good, res)

	// --skip-tests skips them too.
	if res, err := bundle.Build(bad, bundle.BuildOptions{SkipTests: true}); err != nil || res.Tests != 0 {
		t.Errorf("skip tests: %v, %d tests run", err, res.Tests)
	}
}
