package bundle

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/rpl-lang/rpl/lang"
)

// TestBuildTestFileWithoutPolicy: a test file whose policy is gone is
// refused (RPL215), as rplc check and test refuse it and a router does:
// the bundle was built without it, the tests never ran, and the policy's
// tenants fell to another policy. One in a subdirectory too, named
// relative to the tree.
func TestBuildTestFileWithoutPolicy(t *testing.T) {
	for _, orphan := range []string{"premium_test.rpl", "sub/premium_test.rpl"} {
		dir := t.TempDir()
		ents, err := os.ReadDir(examplesDir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			if e.Name() == "premium.rpl" || e.Name() == "premium_test.rpl" {
				continue
			}
			data, err := os.ReadFile(filepath.Join(examplesDir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644)
		}
		test, err := os.ReadFile(filepath.Join(examplesDir, "premium_test.rpl"))
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Dir(filepath.Join(dir, orphan)), 0o755)
		os.WriteFile(filepath.Join(dir, orphan), test, 0o644)

		res, err := Build(dir, BuildOptions{})
		if !errors.Is(err, ErrCheckFailed) || res.Data != nil || len(res.Diags) != 1 {
			t.Fatalf("%s: %v %v, want ErrCheckFailed and RPL215", orphan, err, res.Diags)
		}
		want := orphan + ":1:1: error[RPL215]: test file without its policy premium.rpl (tests that need no policy go in premium.rpl itself, a test module)"
		if d := res.Diags[0]; d.Code != lang.CodeNoPolicy || d.Error() != want {
			t.Errorf("%s: %s %v, want %s", orphan, d.Code, d, want)
		}
	}
}
