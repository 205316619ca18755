// Package state holds the router's live-state services: what feedback
// teaches the router, read back by policies through the stdlib state
// interfaces (stdlib.HealthState, stdlib.CostState,
// stdlib.ExperimentState).
//
// Mem is the in-memory implementation: per-target health (see health.go:
// latency statistics of the last few minutes, in log-linear histograms
// whose median and p99 are at most 3.1% above the true values, error
// counts, a recent error rate that decays with time, a circuit breaker
// with a half-open state, for at most Options.MaxTargets targets), and a
// per-tenant spend ledger by UTC day and month, the price catalogue and
// the experiments' winners (set by SetWinner: the router has no
// experiment service to promote one yet). It is safe for concurrent use. Writes
// (RecordFeedback, SetPrice, SetWinner) are serialized by a lock; the
// reads a decision makes (Healthy, Latency, ErrorRate, MonthSpend,
// DaySpend, Price, Winner) take no lock and do not allocate: the writers
// publish what the reads need in atomics (figures, pointers to maps never
// changed once published and to a target's health view, and the tables
// of targets and of the ledger, which add keys without a lock), so a
// read sees a whole value of some completed write, never part of one.
//
// The spend ledger keeps only the periods that reads ask for: a decision
// reads the day and month of its arrival, so Mem keeps the current UTC
// day and month (by Options.Now) and, for an hour after midnight
// (spendGrace), the day and month before, for decisions that arrived
// before it. Older periods are dropped by the first cost recorded after
// their grace, and their MonthSpend and DaySpend are then 0; feedback
// whose time is in one is left out of that period (its cost still counts
// in a kept month), feedback whose month is no longer kept is refused
// (invalid_request: acknowledged, its cost would be charged to no
// budget), whether or not its key was dropped yet, and feedback for a
// later period (a client's clock ahead) is kept for when it comes. So the
// ledger holds the keys of at most two days and two months per active
// tenant (and of the later periods feedback named), however long the
// router runs, and at most Options.MaxLedger tenant-months: a cost for
// one more is refused.
package state

import (
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/stdlib"
)

// Options tune Mem's provider health (see health.go); zero fields take
// the defaults.
type Options struct {
	// Alpha is the weight of the newest outcome in the error rate;
	// default 0.05 (about the last 20 outcomes).
	Alpha float64
	// HalfLife is how long an outcome takes to weigh half as much in the
	// error rate, so that the rate of a target without feedback decays to
	// 0; default 5s.
	HalfLife time.Duration
	// LatencyWindow is the length of the two rotating windows the latency
	// statistics cover (the last one to two windows); default 2 minutes.
	LatencyWindow time.Duration
	// MaxTargets is how many targets Mem tracks; beyond it, a new target
	// forgets the least recently used quarter. Default 4096.
	MaxTargets int
	// MaxLedger is how many tenant-months the spend ledger holds (a
	// tenant's current month, the month before for an hour after it
	// ends, and months ahead that feedback named); feedback with a cost
	// that would add one more is refused (ErrLedgerFull), recording
	// nothing, so that tenant ids made up by a client cannot grow the
	// router's memory until the month ends. Default 100,000.
	//
	// Once full, a cost for a tenant new to the month is refused until
	// the month ends, unless the tenant is registered (Feedback.Registered:
	// the registry is bounded, and made-up ids must not refuse the
	// costs of the tenants it holds). An engine that requires registered tenants
	// (runtime.Config.RequireKnownTenant) records feedback for them
	// alone, so only its registry can fill the ledger: with up to two
	// tenant-months a tenant, a registry of more than MaxLedger/2
	// tenants may, which is accepted (size MaxLedger above it). Without
	// that requirement any tenant id is taken, and ids made up by a
	// client can fill it, refusing the costs of tenants new this month.
	MaxLedger int
	// TripRate and MinSamples: the breaker opens when the failures'
	// share of the last outcomes (by count, weighted by Alpha) reaches
	// TripRate (default 0.5) after at least MinSamples outcomes (default
	// 20) with no Lull between two of them (default 5 minutes).
	TripRate   float64
	MinSamples int64
	Lull       time.Duration
	// Cooldown is how long an open breaker stays open before the target
	// is tried again (half-open); default 30s.
	Cooldown time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Mem is the in-memory state. The zero value is not ready: use NewMem.
type Mem struct {
	opt     Options
	nowNano func() int64 // opt.Now in Unix ns (see NewMem)

	// mu serializes the writers, and guards what only they and the
	// locked reads (Quantile, Targets) use: targets, and the fields of a
	// Target outside its atomics.
	mu      sync.RWMutex
	targets map[string]*Target
	seq     uint64   // feedback events, for Target.seen
	seen    []uint64 // evict's scratch

	// What the lock-free reads read, published by the writers (under
	// mu). Prices and winners are few and rarely new: each is a map
	// copied on write (replaced whole on every write, so a read sees a
	// whole price or winner). Targets can be many (feedback names them):
	// health is a table of them (see table), sharing its entries with
	// targets. The ledger has a key per tenant and period,
	// a new one per tenant every day: a table (see table) whose counters
	// are atomics, rebuilt without the periods that ended (see prune).
	health  *table[string, Target]
	prices  atomic.Pointer[map[string]stdlib.Price]
	winners atomic.Pointer[map[string]string]
	month   *table[spendKey, atomic.Int64]
	day     *table[spendKey, atomic.Int64]
	// spendCut is the first day the ledger kept when the writer last
	// dropped older periods (see prune); before that, the least int64
	// (a day before 1970 is negative).
	spendCut int64
}

// spendGrace is how long the ledger keeps a day, and a month, after it
// ends: reads ask for the periods of the decision's arrival, which can be
// a little before midnight for a decision made after it.
const spendGrace = time.Hour

type spendKey struct {
	tenant string
	period int64 // year*100+month, or days since the epoch
}

func spendHash() func(spendKey) uint64 {
	seed := maphash.MakeSeed()
	return func(k spendKey) uint64 {
		return maphash.String(seed, k.tenant) ^ uint64(k.period)*0x9e3779b97f4a7c15
	}
}

// monthOf and dayOf are the ledger periods that contain at.
func monthOf(at time.Time) int64 {
	y, mo, _ := at.UTC().Date()
	return int64(y)*100 + int64(mo)
}

func dayOf(at time.Time) int64 { return floorDiv(at.Unix(), 86400) }

// floorDiv is a/b rounded down (b > 0): a period's number, which Go's
// division, rounding toward zero, would make the same for the period
// before the epoch (or the clock's zero) and the one after it.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

var (
	_ stdlib.HealthState       = (*Mem)(nil)
	_ stdlib.CostState         = (*Mem)(nil)
	_ stdlib.ExperimentState   = (*Mem)(nil)
	_ runtime.FeedbackRecorder = (*Mem)(nil)
	_ runtime.FeedbackChecker  = (*Mem)(nil)
)

// NewMem returns an empty state.
func NewMem(opt Options) *Mem {
	if opt.Alpha <= 0 || opt.Alpha > 1 {
		opt.Alpha = 0.05
	}
	if opt.TripRate <= 0 {
		opt.TripRate = 0.5
	}
	if opt.MinSamples <= 0 {
		opt.MinSamples = 20
	}
	if opt.Lull <= 0 {
		opt.Lull = 5 * time.Minute
	}
	if opt.Cooldown <= 0 {
		opt.Cooldown = 30 * time.Second
	}
	if opt.HalfLife <= 0 {
		opt.HalfLife = defaultHalfLife
	}
	if opt.LatencyWindow <= 0 {
		opt.LatencyWindow = defaultLatencyWindow
	}
	if opt.MaxTargets <= 0 {
		opt.MaxTargets = defaultMaxTargets
	}
	if opt.MaxLedger <= 0 {
		opt.MaxLedger = defaultMaxLedger
	}
	nowNano := func() int64 { return opt.Now().UnixNano() }
	if opt.Now == nil {
		// The wall clock read once, then the monotonic one: the
		// readers on the decision path read the time (windows, the
		// breaker), and time.Since is one clock read where Now is two.
		base := time.Now()
		wall := base.UnixNano()
		opt.Now = time.Now
		nowNano = func() int64 { return wall + int64(time.Since(base)) }
	}
	hash := spendHash()
	seed := maphash.MakeSeed()
	m := &Mem{
		opt:      opt,
		nowNano:  nowNano,
		targets:  map[string]*Target{},
		health:   newTable[string, Target](func(s string) uint64 { return maphash.String(seed, s) }),
		month:    newTable[spendKey, atomic.Int64](hash),
		day:      newTable[spendKey, atomic.Int64](hash),
		spendCut: math.MinInt64,
	}
	m.prices.Store(&map[string]stdlib.Price{})
	m.winners.Store(&map[string]string{})
	return m
}

// Target is what Mem knows about one target (see health.go). Its fields
// change under Mem's lock; view publishes, whole, what the lock-free
// reads need.
type Target struct {
	Requests     int64   // feedback events
	Errors       int64   // the target's failures (see classify)
	ClientErrors int64   // canceled, and 4xx other than 429: not the target's
	ErrorRate    float64 // at the last outcome (see health.go)
	OpenUntil    time.Time

	seen      uint64 // Mem.seq at its last feedback
	rate      float64
	weight    float64
	at        int64   // the last outcome (Unix ns)
	samples   int64   // outcomes since the last lull
	share     float64 // the failures' share of the last outcomes, by count (the breaker's)
	shareW    float64 // its weight
	tripped   bool    // the breaker opened, and no success since its cooldown
	openUntil int64   // OpenUntil in Unix ns
	lat       latencyWindows
	median    int64 // lat's median, and its newer window's, as in view
	newer     int64

	view atomic.Pointer[healthView] // nil before the first feedback
	// read is when a decision last read the target's health (Healthy,
	// Latency, ErrorRate), in readMark's unit, 0 before: set by the
	// lock-free reads, only when it changes (about once a second at
	// most).
	read atomic.Int64
}

// target is the target's view for a lock-free read, nil when no
// feedback named it, and the time, now (ns), at which it is marked read
// (markRead).
func (m *Mem) target(name string) (v *healthView, now int64) {
	t := m.health.get(name)
	if t == nil {
		return nil, 0 // no clock read for a target without feedback
	}
	now = m.nowNano()
	markRead(t, now)
	return t.health(), now
}

// markRead marks t as read by a decision at now (ns), so that evict
// forgets it after the targets no decision reads (see health.go): an
// atomic's load, and a store the first time in a readMark unit.
func markRead(t *Target, now int64) {
	if r := readMark(now); t.read.Load() != r {
		t.read.Store(r)
	}
}

// readMark is now (ns) in the unit of Target.read: 2^30 ns, about a
// second, counted from 1 (0 is never).
func readMark(now int64) int64 { return max(now>>30, 0) + 1 }

// RecordFeedback implements runtime.FeedbackRecorder.
func (m *Mem) RecordFeedback(f *runtime.Feedback) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	charge := f.CostNanos != 0 && f.TenantID != ""
	var firstMonth, firstDay int64
	if charge {
		// The periods kept are read on every charge, so that a stale
		// key not yet pruned is no different from none.
		firstMonth, firstDay = m.prune(m.opt.Now())
		if err := staleMonth(f, firstMonth); err != nil {
			return err
		}
		switch mk := (spendKey{f.TenantID, monthOf(f.Time)}); {
		case m.month.n >= m.opt.MaxLedger && m.month.get(mk) == nil && !f.Registered:
			return &runtime.Error{Code: runtime.CodeOverloaded, Err: ErrLedgerFull, Message: fmt.Sprintf(
				"the spend ledger is full (%d tenant-months): a cost for a tenant new this month is refused until the month ends", m.opt.MaxLedger)}
		}
	}
	m.recordHealth(f, time.Unix(0, m.nowNano()))
	if charge {
		m.accrue(f.TenantID, f.Time, f.CostNanos, firstDay)
	}
	return nil
}

// CheckFeedback implements runtime.FeedbackChecker: a cost in a month
// whose spend the ledger no longer keeps is refused, as RecordFeedback
// refuses it, so that a feedback batch holding one is refused whole.
func (m *Mem) CheckFeedback(f *runtime.Feedback) *runtime.Error {
	if f.CostNanos == 0 || f.TenantID == "" {
		return nil
	}
	return staleMonth(f, monthOf(m.opt.Now().Add(-spendGrace)))
}

// staleMonth is the error of a cost f charges to a month before
// firstMonth, the first the ledger keeps: acknowledged, it would be
// charged to no budget. Nil for a month kept.
func staleMonth(f *runtime.Feedback, firstMonth int64) *runtime.Error {
	if monthOf(f.Time) >= firstMonth {
		return nil
	}
	return &runtime.Error{Code: runtime.CodeInvalidRequest, Details: map[string]any{"field": "time"}, Message: fmt.Sprintf(
		"time: %s is in a month whose spend the router no longer keeps (it keeps the current UTC month, and the month before for %v after it ends): the cost would be charged to no budget", f.Time.UTC().Format(time.RFC3339), spendGrace)}
}

// defaultMaxLedger is Options.MaxLedger's default.
const defaultMaxLedger = 100_000

// ErrLedgerFull is wrapped by RecordFeedback's error (overloaded, for the
// client) for a cost that would add a tenant-month to a ledger holding
// Options.MaxLedger of them.
var ErrLedgerFull = errors.New("spend ledger full")

// accrue adds cost to the tenant's spend in the month and day of at, the
// month one kept (see RecordFeedback), the day unless before firstDay
// (see prune). The writer only.
func (m *Mem) accrue(tenant string, at time.Time, cost, firstDay int64) {
	// The month first: a reader of both sees the day's no larger.
	saturatingAdd(m.month.add(spendKey{tenant, monthOf(at)}), cost)
	if dk := (spendKey{tenant, dayOf(at)}); dk.period >= firstDay {
		saturatingAdd(m.day.add(dk), cost)
	}
}

// saturatingAdd adds cost to a spend total, which stops at the largest
// (or smallest) int64 rather than wrapping: a total wrapped negative
// would read as a budget unspent. Validated feedback costs at most
// runtime.MaxFeedbackCost ($1,000,000), so 9,224 of the largest in a
// month get there ($9,223,372,036.854775807).
func saturatingAdd(total *atomic.Int64, cost int64) {
	for {
		old := total.Load()
		sum := old + cost
		switch {
		case cost > 0 && sum < old:
			sum = math.MaxInt64
		case cost < 0 && sum > old:
			sum = math.MinInt64
		}
		if total.CompareAndSwap(old, sum) {
			return
		}
	}
}

// prune drops the ledger's periods that ended more than spendGrace before
// now, when the first day to keep has moved on since it last dropped
// some, and is the first month and day to keep. The writer only, on
// every charge. Rebuilding the tables is O(keys), once a day; readers see
// the old table or the new one (see table.keep).
func (m *Mem) prune(now time.Time) (firstMonth, firstDay int64) {
	cut := now.Add(-spendGrace)
	firstMonth, firstDay = monthOf(cut), dayOf(cut)
	if firstDay > m.spendCut {
		m.day.keep(func(k spendKey) bool { return k.period >= firstDay })
		m.month.keep(func(k spendKey) bool { return k.period >= firstMonth })
		m.spendCut = firstDay
	}
	return firstMonth, firstDay
}

// Healthy implements stdlib.HealthState: the breaker is closed, or its
// cooldown is over (half-open: see health.go).
func (m *Mem) Healthy(target string) bool {
	v, now := m.target(target)
	return v == nil || v.openUntil == 0 || now >= v.openUntil
}

// Latency implements stdlib.HealthState: the median latency of the
// successful requests of the last two latency windows (see health.go).
// Policies and the CP1 expected latency ask it on every decision, so it
// reads the medians RecordFeedback keeps instead of walking the
// histogram.
func (m *Mem) Latency(target string) (time.Duration, bool) {
	v, now := m.target(target)
	if v == nil {
		return 0, false
	}
	d := time.Duration(m.latencyAt(v, now))
	return d, d != 0
}

// Quantile is the q-quantile (0–1) of target's latency in the last two
// latency windows.
func (m *Mem) Quantile(target string, q float64) (time.Duration, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	t := m.targets[target]
	if t == nil {
		return 0, false
	}
	d := t.lat.quantileAt(q, m.window(m.nowNano()))
	return d, d != 0
}

// ErrorRate implements stdlib.HealthState: the recent error rate, decayed
// to now (see health.go).
//
// A target whose rate is 0 is not marked as read (markRead): forgotten,
// it reads 0 all the same, and the read needs no clock.
func (m *Mem) ErrorRate(target string) float64 {
	if t := m.health.get(target); t != nil {
		if v := t.health(); v != nil && v.rate != 0 {
			now := m.nowNano()
			markRead(t, now)
			return m.rateAt(v, now)
		}
	}
	return 0
}

// MonthSpend implements stdlib.CostState: the feedback costs recorded for
// the tenant in the UTC month of at, 0 for a month the ledger dropped
// (see the package doc). It takes no lock.
func (m *Mem) MonthSpend(tenant string, at time.Time) int64 {
	if v := m.month.get(spendKey{tenant, monthOf(at)}); v != nil {
		return v.Load()
	}
	return 0
}

// DaySpend implements stdlib.CostState: the feedback costs recorded for
// the tenant on the UTC day of at, 0 for a day the ledger dropped. It
// takes no lock.
func (m *Mem) DaySpend(tenant string, at time.Time) int64 {
	if v := m.day.get(spendKey{tenant, dayOf(at)}); v != nil {
		return v.Load()
	}
	return 0
}

// Price implements stdlib.CostState. It takes no lock.
func (m *Mem) Price(target string) (stdlib.Price, bool) {
	p, ok := (*m.prices.Load())[target]
	return p, ok
}

// SetPrice sets target's catalogue price per million tokens (nano-units).
// It copies the catalogue.
func (m *Mem) SetPrice(target string, p stdlib.Price) {
	m.mu.Lock()
	defer m.mu.Unlock()
	prices := copyMap(*m.prices.Load(), 1)
	prices[target] = p
	m.prices.Store(&prices)
}

// Winner implements stdlib.ExperimentState. It takes no lock.
func (m *Mem) Winner(exp string) (string, bool) {
	w, ok := (*m.winners.Load())[exp]
	return w, ok
}

// SetWinner promotes arm in experiment ("" removes the winner). It copies
// the winners.
func (m *Mem) SetWinner(exp, arm string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	winners := copyMap(*m.winners.Load(), 1)
	if arm == "" {
		delete(winners, exp)
	} else {
		winners[exp] = arm
	}
	m.winners.Store(&winners)
}

// copyMap is a copy of m with room for extra more keys.
func copyMap[K comparable, V any](m map[K]V, extra int) map[K]V {
	c := make(map[K]V, len(m)+extra)
	for k, v := range m {
		c[k] = v
	}
	return c
}

// TargetStats is a snapshot of one target's statistics, what the
// router's decisions read of it (Healthy, ErrorRate, Latency) and the
// counts behind them (see health.go).
type TargetStats struct {
	Target       string  `json:"target"`
	Requests     int64   `json:"requests"`
	Errors       int64   `json:"errors"`
	ClientErrors int64   `json:"client_errors"`
	ErrorRate    float64 `json:"error_rate"`
	// Healthy is what health.healthy answers: the breaker is not open.
	Healthy bool `json:"healthy"`
	// Breaker is closed, open (until OpenUntil) or half_open (its
	// cooldown over: the next outcome closes or opens it).
	Breaker   string    `json:"breaker"`
	OpenUntil time.Time `json:"open_until,omitzero"`
	// P50Ms and P99Ms are the latency's median and 99th percentile, in
	// milliseconds, over the successes of the last latency windows; 0:
	// none.
	P50Ms float64 `json:"p50_ms"`
	P99Ms float64 `json:"p99_ms"`
}

// Breaker states (TargetStats.Breaker).
const (
	BreakerClosed   = "closed"
	BreakerOpen     = "open"
	BreakerHalfOpen = "half_open"
)

// Targets lists every target's statistics, sorted by target. It takes
// the lock as a reader, and does not mark the targets read (a decision's
// reads do: see health.go), so that a look at them keeps none.
func (m *Mem) Targets() []TargetStats {
	m.mu.RLock()
	defer m.mu.RUnlock()
	now := m.nowNano()
	w := m.window(now)
	out := make([]TargetStats, 0, len(m.targets))
	for name, t := range m.targets {
		s := TargetStats{Target: name, Requests: t.Requests, Errors: t.Errors, ClientErrors: t.ClientErrors,
			Healthy: t.openUntil == 0 || now >= t.openUntil,
			P50Ms:   float64(t.lat.quantileAt(0.5, w)) / 1e6,
			P99Ms:   float64(t.lat.quantileAt(0.99, w)) / 1e6,
			Breaker: BreakerClosed}
		switch {
		case t.tripped && now < t.openUntil:
			s.Breaker, s.OpenUntil = BreakerOpen, time.Unix(0, t.openUntil).UTC()
		case t.tripped:
			s.Breaker = BreakerHalfOpen
		}
		if v := t.health(); v != nil {
			s.ErrorRate = m.rateAt(v, now)
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Target < out[j].Target })
	return out
}
