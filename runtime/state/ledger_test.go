package state

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/stdlib"
)

// The spend ledger is by UTC month and day: the reads of another period
// see nothing of this one's costs.
func TestSpendPeriods(t *testing.T) {
	m := NewMem(Options{})
	day1 := time.Date(2026, 11, 30, 23, 30, 0, 0, time.UTC)
	day2 := day1.Add(time.Hour) // December 1st
	for _, f := range []runtime.Feedback{
		{Target: "p:m", Status: "ok", TenantID: "t1", CostNanos: 100, Time: day1},
		{Target: "p:m", Status: "ok", TenantID: "t1", CostNanos: 20, Time: day1.Add(-24 * time.Hour)},
		{Target: "p:m", Status: "ok", TenantID: "t1", CostNanos: 3, Time: day2},
		{Target: "p:m", Status: "error", TenantID: "t2", CostNanos: 4000, Time: day2},
		{Target: "p:m", Status: "ok", TenantID: "", CostNanos: 50000, Time: day2}, // no tenant: not in the ledger
		{Target: "p:m", Status: "ok", TenantID: "t1", Time: day2},                 // no cost
	} {
		if err := m.RecordFeedback(&f); err != nil {
			t.Fatal(err)
		}
	}
	// In another zone, the same instants: the periods are UTC.
	est := time.FixedZone("EST", -5*3600)
	for _, c := range []struct {
		tenant     string
		at         time.Time
		month, day int64
	}{
		{"t1", day1, 120, 100},
		{"t1", day1.In(est), 120, 100},
		{"t1", day2, 3, 3},
		{"t1", day2.In(est), 3, 3},
		{"t2", day2, 4000, 4000},
		{"t2", day1, 0, 0},
		{"t3", day1, 0, 0},
		{"", day2, 0, 0},
	} {
		if got := m.MonthSpend(c.tenant, c.at); got != c.month {
			t.Errorf("MonthSpend(%q, %v) = %d, want %d", c.tenant, c.at, got, c.month)
		}
		if got := m.DaySpend(c.tenant, c.at); got != c.day {
			t.Errorf("DaySpend(%q, %v) = %d, want %d", c.tenant, c.at, got, c.day)
		}
	}
}

// The cost and experiment reads take no lock: they answer while a writer
// holds it, with what was written before.
func TestLedgerReadsTakeNoLock(t *testing.T) {
	m := NewMem(Options{})
	at := time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)
	if err := m.RecordFeedback(&runtime.Feedback{Target: "p:m", Status: "ok", TenantID: "t", CostNanos: 1500, Time: at}); err != nil {
		t.Fatal(err)
	}
	m.SetPrice("p:m", stdlib.Price{Input: 3, Output: 15})
	m.SetPrice("p:m", stdlib.Price{Input: 2, Output: 10})
	m.SetWinner("e1", "a")
	m.SetWinner("e1", "b")
	m.SetWinner("e2", "a")
	m.SetWinner("e2", "")
	m.SetWinner("e3", "") // never had one

	m.mu.Lock()
	month, day := m.MonthSpend("t", at), m.DaySpend("t", at)
	otherMonth := m.MonthSpend("t", at.AddDate(0, 1, 0))
	unknownTenant := m.DaySpend("u", at)
	price, priced := m.Price("p:m")
	_, unknownPriced := m.Price("q:m")
	w1, ok1 := m.Winner("e1")
	w2, ok2 := m.Winner("e2")
	_, ok3 := m.Winner("e3")
	_, ok4 := m.Winner("e4")
	m.mu.Unlock()

	if month != 1500 || day != 1500 || otherMonth != 0 || unknownTenant != 0 {
		t.Errorf("spend: month %d, day %d, next month %d, unknown tenant %d; want 1500, 1500, 0, 0", month, day, otherMonth, unknownTenant)
	}
	if !priced || price != (stdlib.Price{Input: 2, Output: 10}) || unknownPriced {
		t.Errorf("price %+v %v, unknown target priced %v", price, priced, unknownPriced)
	}
	if w1 != "b" || !ok1 || ok2 || w2 != "" || ok3 || ok4 {
		t.Errorf("winners: e1 %q %v, e2 %q %v, e3 %v, e4 %v; want b, none, none, none", w1, ok1, w2, ok2, ok3, ok4)
	}
}

// Reads race with cost accrual on new and known tenants, price changes
// and winner promotions (run with -race). A reader sees each tenant's
// spend only grow, a price whole (never one write's input with another's
// output), a winner that was promoted; the ledger's totals are exact.
func TestLedgerConcurrent(t *testing.T) {
	m := NewMem(Options{})
	at := time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)
	const tenants, writes = 200, 2000
	name := func(i int) string { return "tenant-" + strconv.Itoa(i%tenants) }
	var done atomic.Bool
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			for i := range writes {
				m.RecordFeedback(&runtime.Feedback{Target: "p:m", Status: "ok", LatencyMs: 10,
					TenantID: name(i*7 + w), CostNanos: int64(1 + w), Time: at})
			}
		})
	}
	wg.Go(func() {
		for i := range writes {
			m.SetPrice("p:m", stdlib.Price{Input: int64(i), Output: 2 * int64(i)})
			arm := []string{"a", "b", ""}[i%3]
			m.SetWinner("e", arm)
		}
	})
	var readers sync.WaitGroup
	for range 2 {
		readers.Go(func() {
			last := make([]int64, tenants)
			for i := 0; !done.Load() || i < 1000; i++ {
				k := i % tenants
				d := m.DaySpend(name(k), at)
				s := m.MonthSpend(name(k), at)
				if s < last[k] {
					t.Errorf("%s: spend %d after %d", name(k), s, last[k])
					return
				}
				last[k] = s
				if s < d {
					// The month's accrual is written before the day's.
					t.Errorf("%s: month %d < day %d read before", name(k), s, d)
					return
				}
				if p, ok := m.Price("p:m"); ok && p.Output != 2*p.Input {
					t.Errorf("torn price %+v", p)
					return
				}
				if w, ok := m.Winner("e"); ok && w != "a" && w != "b" {
					t.Errorf("winner %q", w)
					return
				}
			}
		})
	}
	wg.Wait()
	done.Store(true)
	readers.Wait()
	var total int64
	for k := range tenants {
		total += m.MonthSpend(name(k), at)
		if m.MonthSpend(name(k), at) != m.DaySpend(name(k), at) {
			t.Errorf("%s: month %d, day %d", name(k), m.MonthSpend(name(k), at), m.DaySpend(name(k), at))
		}
	}
	if want := int64(writes*1 + writes*2); total != want {
		t.Errorf("total spend %d, want %d", total, want)
	}
}
