package runtime_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rpl-lang/rpl/runtime"
)

// TestBuildDirTestFileWithoutPolicy: a directory holding a test file
// whose policy is gone is refused with the words of rplc check, test and
// build (RPL215, lang.Check), and the running version stays: it was
// activated, its tenants silently decided by another policy and the
// orphaned tests never run. In a subdirectory too, named relative to
// the directory.
func TestBuildDirTestFileWithoutPolicy(t *testing.T) {
	test, err := os.ReadFile(filepath.Join(examples, "premium_test.rpl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, orphan := range []string{"premium_test.rpl", "sub/premium_test.rpl"} {
		e := newEngine(t, runtime.Config{})
		good, err := e.LoadDir(context.Background(), examples)
		if err != nil {
			t.Fatal(err)
		}
		dir := copyDir(t, examples, nil)
		if err := os.Remove(filepath.Join(dir, "premium.rpl")); err != nil {
			t.Fatal(err)
		}
		if orphan != "premium_test.rpl" {
			os.Remove(filepath.Join(dir, "premium_test.rpl"))
			writeFile(t, dir, orphan, string(test))
		}
		want := dir + ": " + orphan + ":1:1: error[RPL215]: test file without its policy premium.rpl (tests that need no policy go in premium.rpl itself, a test module)"
		if _, err := e.LoadDir(context.Background(), dir); err == nil || err.Error() != want {
			t.Errorf("LoadDir without premium.rpl: %v\nwant %s", err, want)
		}
		if cur := e.Current(); cur != good {
			t.Errorf("%s: active %s, want the running %s to stay", orphan, cur.ShortVersion(), good.ShortVersion())
		}
		if st := e.Status(); st.LastError != want {
			t.Errorf("%s: last_error %q, want %q", orphan, st.LastError, want)
		}
	}
}

// TestBuildDirTestFileOfTestFile: a test file of a test file
// (premium_test_test.rpl) is refused (RPL215) with the words of rplc
// check, test and build; its tests were never run, and it was left out
// of the version activated.
func TestBuildDirTestFileOfTestFile(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	good, err := e.LoadDir(context.Background(), examples)
	if err != nil {
		t.Fatal(err)
	}
	dir := copyDir(t, examples, nil)
	writeFile(t, dir, "premium_test_test.rpl", "package premium\n\ntest \"never run\" {\n  expect false\n}\n")
	want := dir + ": premium_test_test.rpl:1:1: error[RPL215]: test file of premium_test.rpl, itself a test file: a test file x_test.rpl belongs to the policy x.rpl (rename this one)"
	if _, err := e.LoadDir(context.Background(), dir); err == nil || err.Error() != want {
		t.Errorf("LoadDir: %v\nwant %s", err, want)
	}
	if cur := e.Current(); cur != good {
		t.Errorf("active %s, want the running %s to stay", cur.ShortVersion(), good.ShortVersion())
	}
}
