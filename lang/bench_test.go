package lang_test

import (
	"github.com/rpl-lang/rpl/internal/testpolicy"
	"testing"

	"github.com/rpl-lang/rpl/lang"
)

// policyWithRules is the generated policy of n rules (also used by the
// language server's latency benchmarks).
func policyWithRules(n int) []byte { return []byte(testpolicy.WithRules(n)) }

// BenchmarkParseCheck1000Rules parses and type-checks a generated
// 1,000-rule policy (the target is under 50 ms per file).
func BenchmarkParseCheck1000Rules(b *testing.B) {
	u := universe(b)
	src := policyWithRules(1000)
	cfg := &lang.Config{Universe: u}
	b.SetBytes(int64(len(src)))
	b.ResetTimer()
	for b.Loop() {
		_, diags := lang.CheckSource(cfg, "generated.rpl", src)
		if diags.HasErrors() {
			b.Fatal(diags)
		}
	}
}

// TestGeneratedPolicyChecks keeps the benchmark's input valid.
func TestGeneratedPolicyChecks(t *testing.T) {
	_, diags := lang.CheckSource(&lang.Config{Universe: universe(t)}, "generated.rpl", policyWithRules(100))
	if len(diags) > 0 {
		t.Fatal(diags)
	}
}

func BenchmarkParseDuration(b *testing.B) {
	for _, lit := range []string{"800ms", "1h30m"} {
		b.Run(lit, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := lang.ParseDuration(lit); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
