package policytest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/policytest"
)

// TestExamples keeps examples/policies green and covered: every test
// passes and each policy's tests take at least 80% of its branch outcomes.
func TestExamples(t *testing.T) {
	ps, err := policytest.Find([]string{"../examples/policies"})
	if err != nil || len(ps) == 0 {
		t.Fatalf("Find: %v (%d policies)", err, len(ps))
	}
	r, err := policytest.NewRunner()
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range r.Run(ps, policytest.Config{Cover: true}) {
		if res.Failed() {
			t.Errorf("%s: %v %v", res.Policy, res.Err, res.Diags)
			for _, tt := range res.Tests {
				for _, f := range tt.Failures {
					t.Errorf("%s: test %q: %s", f.Pos.Pos(), tt.Name, f.Message)
				}
			}
		}
		if len(res.Tests) == 0 {
			t.Errorf("%s has no tests", res.Policy)
			continue
		}
		if c := res.Coverage; c == nil || c.BranchPercent() < 80 {
			t.Errorf("%s: branch coverage %.1f%%, want at least 80%%", res.Policy, c.BranchPercent())
		}
	}
}

// TestReadmeExample: the policy the README opens with, and its test file,
// pass as they are printed there (a copy of the policy once failed its
// own test). Each is the rpl block that starts with its file name.
func TestReadmeExample(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, name := range []string{"premium.rpl", "premium_test.rpl"} {
		start := strings.Index(string(readme), "```rpl\n# "+name+"\n")
		if start < 0 {
			t.Fatalf("README has no rpl block starting with # %s", name)
		}
		block := string(readme[start+len("```rpl\n"):])
		block = block[:strings.Index(block, "```")]
		if err := os.WriteFile(filepath.Join(dir, name), []byte(block), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r, err := policytest.NewRunner()
	if err != nil {
		t.Fatal(err)
	}
	res := r.RunPolicy(filepath.Join(dir, "premium.rpl"), policytest.Config{})
	if res.Failed() || len(res.Tests) != 2 {
		t.Errorf("%d tests: %v %v", len(res.Tests), res.Err, res.Diags)
		for _, tt := range res.Tests {
			for _, f := range tt.Failures {
				t.Errorf("test %q: %s", tt.Name, f.Message)
			}
		}
	}
}
