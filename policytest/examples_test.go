package policytest_test

import (
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
