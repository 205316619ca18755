package lang_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/internal/testpolicy"

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

// BenchmarkCheck20000Funcs type-checks a policy of 20,000 small
// functions: each function's resolution looked for its file among the
// package's declarations, which made a check quadratic in them (1.3 s
// for this one, 15.8 s for 70,000).
func BenchmarkCheck20000Funcs(b *testing.B) {
	u := universe(b)
	var sb strings.Builder
	sb.WriteString("package q\n\n")
	for i := range 20000 {
		fmt.Fprintf(&sb, "fn f%d(x: int) -> int = x + %d\n", i, i)
	}
	sb.WriteString("fn route(r: Request) -> Decision = to(\"a:b\").priority(f0(1))\n")
	src := []byte(sb.String())
	cfg := &lang.Config{Universe: u, Policy: true}
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, diags := lang.CheckSource(cfg, "many.rpl", src); diags.HasErrors() {
			b.Fatal(diags)
		}
	}
}

// BenchmarkCheckOverriddenChains checks a policy that overrides the
// constants its parent reads along chains: 4,000 tag calls and a sum of
// 9,000 terms. The checker asks, at each link of a chain, whether what it
// reads is overridden (overrideIn): the answers are kept, or a chain
// would cost the square of its length.
func BenchmarkCheckOverriddenChains(b *testing.B) {
	u := universe(b)
	var parent strings.Builder
	parent.WriteString("package org\n\nconst V = \"v\"\nconst ONE = 1\nconst SUM = ONE")
	for range 9000 {
		parent.WriteString(" + ONE")
	}
	parent.WriteString("\n\nfn route(r: Request) -> Decision = to(\"a:b\")")
	for i := range 4000 {
		fmt.Fprintf(&parent, ".tag(\"k%d\", V)", i)
	}
	parent.WriteString(".priority(SUM)\n")
	srcs := map[string][]byte{
		"/b/org.rpl":  []byte(parent.String()),
		"/b/team.rpl": []byte("package team\n\nextends \"org\"\n\nconst V = \"w\"\nconst ONE = 2\n"),
	}
	cfg := &lang.Config{Universe: u, Policy: true, ReadFile: func(p string) ([]byte, error) {
		if s, ok := srcs[p]; ok {
			return s, nil
		}
		return nil, os.ErrNotExist
	}}
	for b.Loop() {
		if _, diags := lang.Check(cfg, "/b/team.rpl"); diags.HasErrors() {
			b.Fatal(diags)
		}
	}
}
