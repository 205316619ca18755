package state

import (
	"strconv"
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

// BenchmarkRecordFeedback is the writer's cost of one feedback on a known
// target, a success with a latency (the median is kept up to date).
func BenchmarkRecordFeedback(b *testing.B) {
	m := NewMem(Options{})
	f := runtime.Feedback{Target: "openai:gpt-4o", Status: "ok"}
	b.ReportAllocs()
	for i := range b.N {
		f.LatencyMs = float64(50 + i%200)
		m.RecordFeedback(&f)
	}
}

// BenchmarkNewTargets is the cost of feedback naming 20,000 distinct
// targets (per target): a copy-on-write map made it O(targets) each.
func BenchmarkNewTargets(b *testing.B) {
	names := make([]string, 20_000)
	for i := range names {
		names[i] = "p:model-" + strconv.Itoa(i)
	}
	b.ReportAllocs()
	for range b.N {
		m := NewMem(Options{})
		for _, name := range names {
			m.RecordFeedback(&runtime.Feedback{Target: name, Status: "ok", LatencyMs: 100})
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(names)), "ns/target")
}
