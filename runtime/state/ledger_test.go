package state

import (
	"errors"
	"math"
	"strconv"
	"strings"
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
	day1 := time.Date(2026, 11, 30, 23, 30, 0, 0, time.UTC)
	day2 := day1.Add(time.Hour) // December 1st
	// Half an hour after midnight: November 30th and November are kept.
	m := NewMem(Options{Now: func() time.Time { return day2 }})
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
		{"t1", day1.Add(-24 * time.Hour), 120, 0}, // a day that ended before the grace
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
	at := time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)
	m := NewMem(Options{Now: func() time.Time { return at }})
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
	at := time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)
	m := NewMem(Options{Now: func() time.Time { return at }})
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

// The ledger keeps the day and month before for spendGrace after
// midnight, for the decisions that arrived before it, then drops them;
// feedback for a dropped period adds no key, and its cost still counts in
// a kept month.
func TestSpendGrace(t *testing.T) {
	now := time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC)
	m := NewMem(Options{Now: func() time.Time { return now }})
	record := func(tenant string, at time.Time, cost int64) {
		t.Helper()
		if err := m.RecordFeedback(&runtime.Feedback{Target: "p:m", Status: "ok", TenantID: tenant, CostNanos: cost, Time: at}); err != nil {
			t.Fatal(err)
		}
	}
	check := func(what string, at time.Time, month, day int64) {
		t.Helper()
		if got := m.MonthSpend("t", at); got != month {
			t.Errorf("%s: MonthSpend %d, want %d", what, got, month)
		}
		if got := m.DaySpend("t", at); got != day {
			t.Errorf("%s: DaySpend %d, want %d", what, got, day)
		}
	}
	nov30 := now
	record("t", nov30, 10)
	record("t", nov30.Add(-48*time.Hour), 1) // November 28th: the month only
	check("Nov 30", nov30, 11, 10)
	check("Nov 28", nov30.Add(-48*time.Hour), 11, 0)

	now = nov30.Add(90 * time.Minute) // December 1st, 00:30
	record("t", now, 100)
	record("t", nov30, 5) // late feedback, in the grace
	check("Nov 30, in the grace", nov30, 16, 15)
	check("Dec 1", now, 100, 100)

	now = nov30.Add(2*time.Hour + time.Second) // December 1st, 01:00:01
	record("u", now, 1)                        // a new key: November goes
	check("Nov 30, after the grace", nov30, 0, 0)
	check("Dec 1, after the grace", now, 100, 100)
	// Too late: November is no longer kept, and the cost would be
	// charged to no budget: refused.
	err := m.RecordFeedback(&runtime.Feedback{Target: "p:m", Status: "ok", TenantID: "t", CostNanos: 7, Time: nov30})
	if e := (*runtime.Error)(nil); !errors.As(err, &e) || e.Code != runtime.CodeInvalidRequest || !strings.Contains(e.Message, "time: 2026-11-30T23:00:00Z is in a month whose spend the router no longer keeps") || e.Details["field"] != "time" {
		t.Errorf("a cost for a month no longer kept: %v", err)
	}
	check("Nov 30, too late", nov30, 0, 0)
	check("Dec 1, too late", now, 100, 100)
	if m.month.n != 2 || m.day.n != 2 {
		t.Errorf("%d month and %d day keys, want 2 and 2 (t and u, December 1st)", m.month.n, m.day.n)
	}
	record("t", now.Add(24*time.Hour), 3) // a day ahead (a client's clock): kept for when it comes
	check("Dec 2", now.Add(24*time.Hour), 103, 3)
}

// A cost in a month no longer kept is refused whether or not its tenant
// still has a key for the month that the ledger has not pruned yet: the
// answer depends on the clock, not on which writes came before. So is a
// late cost for a day no longer kept left out of that day, key or not.
func TestSpendStaleKeyRefused(t *testing.T) {
	now := time.Date(2025, 2, 1, 0, 30, 0, 0, time.UTC) // in January's grace
	m := NewMem(Options{Now: func() time.Time { return now }})
	jan31 := time.Date(2025, 1, 31, 20, 0, 0, 0, time.UTC)
	record := func(tenant string, at time.Time) error {
		return m.RecordFeedback(&runtime.Feedback{Target: "p:m", Status: "ok", TenantID: tenant, CostNanos: 10, Time: at})
	}
	for _, tenant := range []string{"acme", "beta"} {
		if err := record(tenant, now); err != nil {
			t.Fatal(err)
		}
	}
	if err := record("acme", jan31); err != nil { // acme has January's keys
		t.Fatal(err)
	}
	refused := func(what string, err error) {
		t.Helper()
		if e := (*runtime.Error)(nil); !errors.As(err, &e) || e.Code != runtime.CodeInvalidRequest || e.Details["field"] != "time" {
			t.Errorf("%s: %v, want invalid_request (time)", what, err)
		}
	}

	now = now.Add(5 * time.Hour) // February 1st, 05:30: January is no longer kept
	refused("acme, January", record("acme", jan31))
	refused("beta, January", record("beta", jan31))
	if got := m.MonthSpend("acme", now); got != 10 {
		t.Errorf("acme's February spend %d, want 10", got)
	}
	if got := m.MonthSpend("acme", jan31); got != 0 {
		t.Errorf("acme's January spend %d, want 0 (dropped)", got)
	}

	// A day no longer kept, in a kept month: the month counts the cost,
	// the day does not, though acme has the day's key.
	feb1 := now
	if err := record("acme", feb1); err != nil {
		t.Fatal(err)
	}
	now = feb1.Add(22 * time.Hour) // February 2nd, 03:30
	if err := record("acme", feb1); err != nil {
		t.Fatal(err)
	}
	if got := m.MonthSpend("acme", now); got != 30 {
		t.Errorf("acme's February spend %d, want 30", got)
	}
	if got := m.DaySpend("acme", feb1); got != 0 {
		t.Errorf("acme's February 1st spend %d, want 0 (dropped)", got)
	}
	if m.day.n != 0 || m.month.n != 2 {
		t.Errorf("%d day and %d month keys, want 0 and 2 (February: acme and beta)", m.day.n, m.month.n)
	}
}

// Over many days (across months and a year) and many tenants, the ledger
// holds the keys of the current periods and of the ones before, not of
// every day it saw: its keys and slots stay bounded. Reads of the current
// periods answer every cost recorded in them, of the ones dropped 0.
func TestSpendPruneBounded(t *testing.T) {
	const tenants, days = 300, 400
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	now := start
	m := NewMem(Options{Now: func() time.Time { return now }})
	name := func(i int) string { return "tenant-" + strconv.Itoa(i) }
	month := map[spendKey]int64{} // the model: every cost by tenant and month
	maxKeys, maxSlots := 0, 0
	for d := range days {
		dayStart := start.AddDate(0, 0, d)
		for i := range tenants {
			// Through the day, each tenant at its own time; some also
			// send a cost for an hour before (in the day before, at the
			// start of a day) and a stale one for 3 days ago.
			now = dayStart.Add(time.Duration(i) * (24 * time.Hour / tenants))
			cost := int64(1 + i%7)
			costs := []time.Time{now}
			if i%3 == 0 {
				costs = append(costs, now.Add(-time.Hour))
			}
			if i%5 == 0 {
				costs = append(costs, now.AddDate(0, 0, -3))
			}
			for _, at := range costs {
				err := m.RecordFeedback(&runtime.Feedback{Target: "p:m", Status: "ok", TenantID: name(i), CostNanos: cost, Time: at})
				if kept := monthOf(at) >= monthOf(now.Add(-spendGrace)); kept != (err == nil) {
					t.Fatalf("%v at %v (month kept: %v): %v", at, now, kept, err)
				} else if kept {
					month[spendKey{name(i), monthOf(at)}] += cost
				}
			}
			maxKeys = max(maxKeys, m.month.n, m.day.n)
			maxSlots = max(maxSlots, len(*m.month.slots.Load()), len(*m.day.slots.Load()))
		}
		// At the end of the day: today's spend is the day's costs, and
		// the month's every cost in it; 5 days ago is gone, and so is
		// its month when that is not this one.
		now = dayStart.Add(24*time.Hour - time.Second)
		old := dayStart.AddDate(0, 0, -5)
		for i := range tenants {
			want := int64(1 + i%7)
			if at := dayStart.Add(time.Duration(i) * (24 * time.Hour / tenants)); i%3 == 0 && dayOf(at.Add(-time.Hour)) == dayOf(at) {
				want *= 2 // the hour before was today
			}
			if got := m.DaySpend(name(i), now); got != want {
				t.Fatalf("day %d, %s: DaySpend %d, want %d", d, name(i), got, want)
			}
			if got, want := m.MonthSpend(name(i), now), month[spendKey{name(i), monthOf(now)}]; got != want {
				t.Fatalf("day %d, %s: MonthSpend %d, want %d", d, name(i), got, want)
			}
			if d >= 5 && m.DaySpend(name(i), old) != 0 {
				t.Fatalf("day %d, %s: 5 days ago still in the ledger", d, name(i))
			}
			if d >= 5 && monthOf(old) != monthOf(now) && m.MonthSpend(name(i), old) != 0 {
				t.Fatalf("day %d, %s: the month before still in the ledger", d, name(i))
			}
		}
	}
	// Two days' (or months') keys, at most, in at most 4 slots each
	// after a rebuild, before the table doubles: never the 400 days'.
	if maxKeys > 2*tenants || maxSlots > 8*2*tenants {
		t.Errorf("at most %d keys in %d slots for %d tenants", maxKeys, maxSlots, tenants)
	}
	t.Logf("%d tenants, %d days: at most %d keys, %d slots", tenants, days, maxKeys, maxSlots)
}

// Reads race with a writer whose clock crosses days and months, dropping
// the periods that ended (run with -race): a read of a day the writer
// finished sees the day's whole spend, or, once dropped, 0; a read of
// its month, a spend no smaller than then, or 0.
func TestLedgerPruneConcurrent(t *testing.T) {
	const tenants, days = 50, 60
	start := time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)
	var clock atomic.Int64
	clock.Store(start.Unix())
	m := NewMem(Options{Now: func() time.Time { return time.Unix(clock.Load(), 0) }})
	name := func(i int) string { return "tenant-" + strconv.Itoa(i) }
	var done atomic.Int64                    // days finished
	monthSoFar := make([]atomic.Int64, days) // tenants' month spend at the end of each day
	var wg sync.WaitGroup
	wg.Go(func() {
		var month int64
		for d := range days {
			day := start.AddDate(0, 0, d)
			if day.Day() == 1 {
				month = 0
			}
			for h := range 24 {
				clock.Store(day.Add(time.Duration(h) * time.Hour).Unix())
				for i := range tenants {
					m.RecordFeedback(&runtime.Feedback{Target: "p:m", Status: "ok", TenantID: name(i), CostNanos: 1, Time: time.Unix(clock.Load(), 0)})
				}
			}
			month += 24
			monthSoFar[d].Store(month)
			done.Store(int64(d + 1))
		}
	})
	for r := range 2 {
		wg.Go(func() {
			for i := 0; done.Load() < days; i++ {
				c := int(done.Load())
				if c == 0 {
					continue
				}
				d := c - 1 - (i*13+r)%min(c, 4)
				at := start.AddDate(0, 0, d).Add(12 * time.Hour)
				tenant := name((i*7 + r) % tenants)
				if got := m.DaySpend(tenant, at); got != 0 && got != 24 {
					t.Errorf("day %d, %s: DaySpend %d, want 24 or 0", d, tenant, got)
					return
				}
				if got, min := m.MonthSpend(tenant, at), monthSoFar[d].Load(); got != 0 && got < min {
					t.Errorf("day %d, %s: MonthSpend %d, want 0 or at least %d", d, tenant, got, min)
					return
				}
				// The writer's current day, being written: it only grows.
				now := time.Unix(clock.Load(), 0)
				// (Or, if the writer got two days ahead, is dropped.)
				a := m.DaySpend(tenant, now)
				if b := m.DaySpend(tenant, now); b < a && b != 0 {
					t.Errorf("%v, %s: DaySpend %d after %d", now, tenant, b, a)
					return
				}
			}
		})
	}
	wg.Wait()
	if m.day.n > 2*tenants || m.month.n > 2*tenants {
		t.Errorf("%d day and %d month keys for %d tenants", m.day.n, m.month.n, tenants)
	}
}

// TestSpendSaturates: the ledger's totals stop at the largest int64
// rather than wrap: two costs of $9,223,372,036 (a review's feedback)
// made a month's total negative, and an exhausted tenant read as having
// its whole budget left.
func TestSpendSaturates(t *testing.T) {
	at := time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)
	m := NewMem(Options{Now: func() time.Time { return at }})
	for range 3 {
		if err := m.RecordFeedback(&runtime.Feedback{Target: "p:m", Status: "ok", TenantID: "t", CostNanos: 9_223_372_036_000_000_000, Time: at}); err != nil {
			t.Fatal(err)
		}
	}
	if month, day := m.MonthSpend("t", at), m.DaySpend("t", at); month != math.MaxInt64 || day != math.MaxInt64 {
		t.Fatalf("month %d, day %d, want both %d", month, day, int64(math.MaxInt64))
	}
	// And the other way, for a caller recording refunds below the floor.
	for range 2 {
		m.RecordFeedback(&runtime.Feedback{Target: "p:m", Status: "ok", TenantID: "u", CostNanos: math.MinInt64 + 1, Time: at})
	}
	if month := m.MonthSpend("u", at); month != math.MinInt64 {
		t.Fatalf("month %d, want %d", month, int64(math.MinInt64))
	}
}

// The ledger holds at most MaxLedger tenant-months: a cost for one more
// is refused, recording nothing (not its health either), while the
// tenants it holds, and feedback without a cost, go on; the month's end
// makes room.
func TestLedgerBound(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	m := NewMem(Options{MaxLedger: 3, Now: func() time.Time { return now }})
	feed := func(tenant, target string, cost int64) error {
		return m.RecordFeedback(&runtime.Feedback{Target: target, Status: "error", TenantID: tenant, CostNanos: cost, Time: now})
	}
	for i := range 3 {
		if err := feed("t"+strconv.Itoa(i), "p:m", 10); err != nil {
			t.Fatal(err)
		}
	}
	err := feed("t3", "p:new", 10)
	if re := (*runtime.Error)(nil); !errors.Is(err, ErrLedgerFull) || !errors.As(err, &re) || re.Code != runtime.CodeOverloaded ||
		re.Message != "the spend ledger is full (3 tenant-months): a cost for a tenant new this month is refused until the month ends" {
		t.Fatalf("a fourth tenant's cost: %v, want an overloaded ErrLedgerFull", err)
	}
	if m.MonthSpend("t3", now) != 0 || len(m.Targets()) != 1 {
		t.Errorf("the refused feedback was recorded: spend %d, targets %v", m.MonthSpend("t3", now), m.Targets())
	}
	if err := feed("t0", "p:m", 5); err != nil || m.MonthSpend("t0", now) != 15 {
		t.Errorf("a held tenant's cost: %v, spend %d", err, m.MonthSpend("t0", now))
	}
	if err := feed("t3", "p:m", 0); err != nil {
		t.Errorf("feedback without a cost: %v", err)
	}
	// A registered tenant's cost is recorded whatever made-up ids
	// filled the ledger with: the registry is bounded.
	if err := m.RecordFeedback(&runtime.Feedback{Target: "p:m", Status: "ok", TenantID: "vip", CostNanos: 7, Time: now, Registered: true}); err != nil || m.MonthSpend("vip", now) != 7 {
		t.Errorf("a registered tenant's cost in a full ledger: %v, spend %d", err, m.MonthSpend("vip", now))
	}
	now = time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC) // November and its grace hour are over
	if err := feed("t3", "p:m", 10); err != nil || m.MonthSpend("t3", now) != 10 {
		t.Errorf("a new month: %v, spend %d", err, m.MonthSpend("t3", now))
	}
}

// TestSpendDayBeforeEpoch: the ledger's days before 1970 (negative Unix
// seconds) are UTC days as the others are: December 31st, 1969 is day -1,
// not day 0 with January 1st, 1970 (the division rounded toward zero), so
// the spend of one was read as the other's.
func TestSpendDayBeforeEpoch(t *testing.T) {
	for _, c := range []struct {
		at  time.Time
		day int64
	}{
		{time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), 0},
		{time.Date(1970, 1, 1, 23, 59, 59, 0, time.UTC), 0},
		{time.Date(1969, 12, 31, 23, 59, 59, 999_999_999, time.UTC), -1},
		{time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC), -1},
		{time.Date(1969, 12, 30, 23, 59, 59, 0, time.UTC), -2},
		{time.Date(1677, 9, 21, 0, 12, 44, 0, time.UTC), -106752}, // the earliest time feedback holds
	} {
		if got := dayOf(c.at); got != c.day {
			t.Errorf("dayOf(%v) = %d, want %d", c.at, got, c.day)
		}
	}
	now := time.Date(1970, 1, 1, 0, 30, 0, 0, time.UTC) // in December 31st's grace
	m := NewMem(Options{Now: func() time.Time { return now }})
	dec31 := now.Add(-time.Hour)
	if err := m.RecordFeedback(&runtime.Feedback{Target: "p:m", Status: "ok", TenantID: "t", CostNanos: 7, Time: dec31}); err != nil {
		t.Fatal(err)
	}
	if got := m.DaySpend("t", now); got != 0 {
		t.Errorf("DaySpend on January 1st, 1970: %d, want 0 (the cost was on December 31st)", got)
	}
	if got := m.DaySpend("t", dec31); got != 7 {
		t.Errorf("DaySpend on December 31st, 1969: %d, want 7", got)
	}
}

// TestSpendPruneBeforeEpoch: a clock before 1970 (days numbered below 0)
// drops the days and months that ended, as any other: the first day kept
// was taken to be 0 before the first prune, so none was ever dropped.
func TestSpendPruneBeforeEpoch(t *testing.T) {
	now := time.Date(1969, 11, 20, 12, 0, 0, 0, time.UTC)
	m := NewMem(Options{Now: func() time.Time { return now }})
	record := func(tenant string, at time.Time) {
		t.Helper()
		if err := m.RecordFeedback(&runtime.Feedback{Target: "p:m", Status: "ok", TenantID: tenant, CostNanos: 5, Time: at}); err != nil {
			t.Fatal(err)
		}
	}
	nov20 := now
	record("t", nov20)
	now = nov20.Add(48 * time.Hour)
	record("u", now) // November 20th is no longer kept: it goes
	if got := m.DaySpend("t", nov20); got != 0 || m.day.n != 1 {
		t.Errorf("November 20th, 1969, two days later: DaySpend %d, %d day keys; want 0 and 1 (u's, November 22nd)", got, m.day.n)
	}
	now = time.Date(1969, 12, 1, 2, 0, 0, 0, time.UTC) // November's grace is over
	record("u", now)
	if got := m.MonthSpend("t", nov20); got != 0 || m.month.n != 1 {
		t.Errorf("November 1969, in December: MonthSpend %d, %d month keys; want 0 and 1 (u's December)", got, m.month.n)
	}
}
