package state

import (
	"strconv"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/stdlib"
)

// BenchmarkLedgerReads is what a decision asks of spend, prices and
// experiments (cost.month_spend, cost.day_spend, cost.price or the CP1
// expected cost, ab.winner), from every core at once, with 1,000 tenants
// in the ledger.
func BenchmarkLedgerReads(b *testing.B) {
	at := time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)
	m := NewMem(Options{Now: func() time.Time { return at }})
	for i := range 1000 {
		m.RecordFeedback(&runtime.Feedback{Target: "openai:gpt-4o", Status: "ok", LatencyMs: 80,
			TenantID: "tenant-" + strconv.Itoa(i), CostNanos: 1500, Time: at})
	}
	m.SetPrice("openai:gpt-4o", stdlib.Price{Input: 2_500_000_000, Output: 10_000_000_000})
	m.SetWinner("prompt-v2", "b")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.MonthSpend("tenant-42", at)
			m.DaySpend("tenant-42", at)
			m.Price("openai:gpt-4o")
			m.Winner("prompt-v2")
		}
	})
}
