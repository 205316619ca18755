package lang_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/lang"
)

// policyWithRules generates a realistic policy of n routing rules: each
// rule tests tenant tier, task type, token estimates and metadata, then
// builds a decision with a fallback.
func policyWithRules(n int) []byte {
	var b strings.Builder
	b.WriteString("package generated\n\nimport \"std/cost\"\n\n")
	b.WriteString("const premium = [\"gold\", \"platinum\", \"enterprise\"]\n\n")
	for i := 0; i < n/50+1; i++ {
		fmt.Fprintf(&b, "fn heavy_%d(r: Request) -> bool = r.estimate.input_tokens > %d && r.task.type != \"embed\"\n\n", i, 1000+i*10)
	}
	b.WriteString("fn route(r: Request) -> Decision {\n")
	b.WriteString("  if cost.month_spend(r.tenant) >= r.tenant.budget.monthly {\n    return deny(\"budget_exhausted\")\n  }\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  # rule %d\n", i)
		fmt.Fprintf(&b, "  if r.tenant.tier in premium && r.task.type == \"task_%d\" && heavy_%d(r) && (r.metadata[\"region\"] ?? \"eu\") == \"region_%d\" {\n", i, i/50, i%7)
		fmt.Fprintf(&b, "    return to(\"provider_%d:model_%d\").fallback(\"openai:gpt-4o\", on: [timeout, http_5xx], retries: %d).tag(\"rule\", \"%d\")\n  }\n", i%5, i, i%3, i)
	}
	b.WriteString("  to(\"openai:gpt-4o-mini\")\n}\n")
	return []byte(b.String())
}

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
