package state

import (
	"testing"

	"github.com/rpl-lang/rpl/runtime"
)

// BenchmarkHealthReads is what a decision asks of provider health, from
// every core at once.
func BenchmarkHealthReads(b *testing.B) {
	m := NewMem(Options{})
	for _, t := range []string{"openai:gpt-4o", "anthropic:claude-sonnet", "openai:gpt-4o-mini"} {
		m.RecordFeedback(&runtime.Feedback{Target: t, Status: "ok", LatencyMs: 80})
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Healthy("openai:gpt-4o")
			m.Latency("anthropic:claude-sonnet")
			m.ErrorRate("openai:gpt-4o-mini")
		}
	})
}
