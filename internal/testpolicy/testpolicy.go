// Package testpolicy generates policies for benchmarks, so that the front
// end's and the language server's latency figures measure the same input.
package testpolicy

import (
	"fmt"
	"strings"
)

// WithRules returns a realistic policy of n routing rules: each rule tests
// tenant tier, task type, token estimates (through a helper function) and
// metadata, then builds a decision with a fallback and a tag.
func WithRules(n int) string {
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
	return b.String()
}
