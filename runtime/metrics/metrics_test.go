package metrics

import (
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime"
)

// wantSeries checks the series of the metric name, as series lists them.
func wantSeries(t *testing.T, m *Metrics, name string, want ...string) {
	t.Helper()
	if got := series(t, m, name); !slices.Equal(got, want) {
		t.Errorf("%s:\n%s\nwant\n%s", name, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// series returns the samples of the counter or gauge family name as
// "label=value,… sample" lines, sorted.
func series(t *testing.T, m *Metrics, name string) []string {
	t.Helper()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, s := range f.GetMetric() {
			var ls []string
			for _, l := range s.GetLabel() {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			v := s.GetCounter().GetValue()
			if s.GetGauge() != nil {
				v = s.GetGauge().GetValue()
			}
			out = append(out, fmt.Sprintf("%s %g", strings.Join(ls, ","), v))
		}
	}
	slices.Sort(out)
	return out
}

// TestDecidedCounts: decisions are counted by policy, version and
// outcome, the cached counters included.
func TestDecidedCounts(t *testing.T) {
	m := New()
	s := &runtime.Snapshot{Version: "0123456789abcdef"}
	route := &runtime.Outcome{Snapshot: s, Policy: &runtime.Policy{ID: "default"}}
	failed := &runtime.Outcome{Snapshot: s, Policy: &runtime.Policy{ID: "premium"}, Err: runtime.Errorf(runtime.CodeDecisionFailed, "boom")}
	for range 3 {
		m.Decided(route)
	}
	m.Decided(failed)
	other := *route
	other.Snapshot = &runtime.Snapshot{Version: "fedcba9876543210"}
	m.Decided(&other)
	want := []string{
		"outcome=decision_failed,policy=premium,version=0123456789ab 1",
		"outcome=route,policy=default,version=0123456789ab 3",
		"outcome=route,policy=default,version=fedcba987654 1",
	}
	wantSeries(t, m, "rpl_decisions_total", want...)
	wantSeries(t, m, "rpl_decision_errors_total", "code=decision_failed 1", "code=internal 0", "code=invalid_request 0", "code=not_ready 0", "code=overloaded 0", "code=policy_not_found 0", "code=unauthorized 0")
}

func BenchmarkDecided(b *testing.B) {
	m := New()
	o := &runtime.Outcome{Snapshot: &runtime.Snapshot{Version: "0123456789abcdef"}, Policy: &runtime.Policy{ID: "default"}}
	b.ReportAllocs()
	for b.Loop() {
		m.Decided(o)
	}
}

// TestVersionsPruned: an activation drops the decisions' series, and their
// cached counters, of every version but the active one and the one before
// it; a re-activated version starts counting again.
func TestVersionsPruned(t *testing.T) {
	m := New()
	snap := func(v string) *runtime.Snapshot { return &runtime.Snapshot{Version: v + "0000000000000000"} }
	a, b, c := snap("aaaa"), snap("bbbb"), snap("cccc")
	decide := func(s *runtime.Snapshot) {
		m.Decided(&runtime.Outcome{Snapshot: s, Policy: &runtime.Policy{ID: "default"}})
	}
	cached := func() int {
		n := 0
		m.counters.Range(func(any, any) bool { n++; return true })
		return n
	}
	m.Loaded(a, nil)
	decide(a)
	m.Loaded(b, nil)
	decide(a) // finishing on the previous version
	decide(b)
	m.Decided(&runtime.Outcome{Err: runtime.Errorf(runtime.CodeNotReady, "no version")}) // no version: never dropped
	m.Loaded(c, nil)
	decide(c)
	want := []string{
		"outcome=not_ready,policy=,version= 1",
		"outcome=route,policy=default,version=bbbb00000000 1",
		"outcome=route,policy=default,version=cccc00000000 1",
	}
	wantSeries(t, m, "rpl_decisions_total", want...)
	if n := cached(); n != 3 {
		t.Errorf("%d cached counters, want 3", n)
	}
	if got := series(t, m, "rpl_active_policy_version"); len(got) != 1 || !strings.HasPrefix(got[0], "version=cccc00000000 ") {
		t.Errorf("rpl_active_policy_version %v", got)
	}
	// A rollback to a: b stays (the one before), a counts anew.
	m.Loaded(a, nil)
	decide(a)
	want = []string{
		"outcome=not_ready,policy=,version= 1",
		"outcome=route,policy=default,version=aaaa00000000 1",
		"outcome=route,policy=default,version=cccc00000000 1",
	}
	wantSeries(t, m, "rpl_decisions_total", want...) // after the rollback
	// Many reloads keep the cache bounded.
	for i := range 50 {
		s := snap(fmt.Sprintf("%04d", i))
		m.Loaded(s, nil)
		decide(s)
	}
	if n := cached(); n != KeepVersions+1 {
		t.Errorf("after 50 reloads: %d cached counters, want %d", n, KeepVersions+1)
	}
}

// TestRefused: refusals are counted by transport and reason.
func TestRefused(t *testing.T) {
	m := New()
	m.Refused("http", runtime.RefusedTooLarge)
	m.Refused("http", runtime.RefusedTooLarge)
	m.Refused("nats", runtime.RefusedOverloaded)
	m.Refused("http", runtime.RefusedUnreadable)
	want := []string{"reason=overloaded,transport=nats 1", "reason=too_large,transport=http 2", "reason=unreadable,transport=http 1"}
	wantSeries(t, m, "rpl_refused_total", want...)
}

// TestAnswered: the requests the engine answered are counted by
// transport, kind and code, without allocating once a series exists.
func TestAnswered(t *testing.T) {
	m := New()
	m.Answered("http", runtime.KindV2, "")
	m.Answered("http", runtime.KindV2, "")
	m.Answered("http", runtime.KindV2, runtime.CodeInvalidRequest)
	m.Answered("nats", runtime.KindFeedback, runtime.CodeInvalidRequest)
	m.Answered("nats", runtime.KindCP1, runtime.CodeNotReady)
	m.Answered("test", runtime.KindBatch, "teapot") // a transport and a code it does not cache
	wantSeries(t, m, "rpl_requests_total",
		"code=invalid_request,kind=feedback,transport=nats 1",
		"code=invalid_request,kind=v2,transport=http 1",
		"code=not_ready,kind=cp1,transport=nats 1",
		"code=ok,kind=v2,transport=http 2",
		"code=teapot,kind=batch,transport=test 1")
	if n := testing.AllocsPerRun(100, func() { m.Answered("nats", runtime.KindCP1, runtime.CodeNotReady) }); n != 0 {
		t.Errorf("Answered: %v allocations", n)
	}
}

func TestDecisionLogCounters(t *testing.T) {
	m := New()
	m.LogDropped()
	m.LogFailed()
	m.LogFailed()
	wantSeries(t, m, "rpl_decision_log_dropped_total", " 1")
	wantSeries(t, m, "rpl_decision_log_failures_total", " 2")
	d := map[string]int64{}
	m.NATSDropped(func(subject string) int64 { return d[subject] }, "rpl.v2.decide", "rpl.v2.feedback")
	d["rpl.v2.feedback"] = 17_575
	wantSeries(t, m, "rpl_nats_dropped_total", "subject=rpl.v2.decide 0", "subject=rpl.v2.feedback 17575")
	n := map[string]int64{}
	m.SpansDropped(func(reason string) int64 { return n[reason] }, "queue_full", "export_failed")
	n["queue_full"], n["export_failed"] = 7, 30
	wantSeries(t, m, "rpl_spans_dropped_total", "reason=export_failed 30", "reason=queue_full 7")
}

func BenchmarkDecidedError(b *testing.B) {
	m := New()
	o := &runtime.Outcome{Snapshot: &runtime.Snapshot{Version: "0123456789abcdef"}, Policy: &runtime.Policy{ID: "default"},
		Err: runtime.Errorf(runtime.CodeDecisionFailed, "boom")}
	b.ReportAllocs()
	for b.Loop() {
		m.Decided(o)
	}
}

// histogram returns the sample count and sum of the histogram name.
func histogram(t *testing.T, m *Metrics, name string) (uint64, float64) {
	t.Helper()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == name {
			h := f.GetMetric()[0].GetHistogram()
			return h.GetSampleCount(), h.GetSampleSum()
		}
	}
	t.Fatalf("no histogram %s", name)
	return 0, 0
}

// TestObserved: every decision of a policy observes its engine time and
// its fuel; an outcome without a policy (not ready, an unknown policy)
// has neither: it is counted (rpl_decisions_total) but its time, a
// refusal's, would skew the engine's.
func TestObserved(t *testing.T) {
	m := New()
	s := &runtime.Snapshot{Version: "0123456789abcdef"}
	p := &runtime.Policy{ID: "default"}
	outcomes := []*runtime.Outcome{
		{Snapshot: s, Policy: p, Elapsed: 3 * time.Microsecond},
		{Snapshot: s, Policy: p, Elapsed: 250 * time.Microsecond},
		{Snapshot: s, Policy: p, Elapsed: 2 * time.Millisecond, Err: runtime.Errorf(runtime.CodeDecisionFailed, "boom")},
		{Snapshot: s, Elapsed: time.Microsecond, Err: runtime.Errorf(runtime.CodePolicyNotFound, "zz")},
	}
	outcomes[0].Stats.Fuel = 40
	outcomes[1].Stats.Fuel = 1234
	outcomes[2].Stats.Fuel = 99
	for _, o := range outcomes {
		m.Decided(o)
	}
	if n, sum := histogram(t, m, "rpl_decision_duration_seconds"); n != 3 || math.Abs(sum-0.002253) > 1e-12 {
		t.Errorf("rpl_decision_duration_seconds: count %d sum %g, want 3 and 0.002253", n, sum)
	}
	if n, sum := histogram(t, m, "rpl_decision_fuel"); n != 3 || sum != 40+1234+99 {
		t.Errorf("rpl_decision_fuel: count %d sum %g, want 3 and %d", n, sum, 40+1234+99)
	}
}

// TestReloadsCounted: a failed load counts result="error" and changes
// nothing else; an activation counts result="ok" and marks its version
// active.
func TestReloadsCounted(t *testing.T) {
	m := New()
	m.Loaded(nil, errors.New("default.rpl:1: syntax error"))
	wantSeries(t, m, "rpl_reloads_total", "result=error 1", "result=ok 0")
	wantSeries(t, m, "rpl_active_policy_version")
	m.Loaded(&runtime.Snapshot{Version: "0123456789abcdef"}, nil)
	m.Loaded(nil, errors.New("again"))
	wantSeries(t, m, "rpl_reloads_total", "result=error 2", "result=ok 1")
	wantSeries(t, m, "rpl_active_policy_version", "version=0123456789ab 1")
}

// TestNATSStateGauges: the NATS state gauges read their state at each
// scrape, one series per connection, and are absent until registered.
func TestNATSStateGauges(t *testing.T) {
	m := New()
	wantSeries(t, m, "rpl_nats_connected")
	wantSeries(t, m, "rpl_bundle_watch_up")
	wantSeries(t, m, "rpl_decision_log_ready")
	var req, log, watch, ready atomic.Bool
	req.Store(true)
	m.NATSConnected("rpl-router", req.Load)
	m.NATSConnected("rpl-router-log", log.Load)
	m.BundleWatchUp(watch.Load)
	m.DecisionLogReady(ready.Load)
	wantSeries(t, m, "rpl_nats_connected", "connection=rpl-router 1", "connection=rpl-router-log 0")
	wantSeries(t, m, "rpl_bundle_watch_up", " 0")
	wantSeries(t, m, "rpl_decision_log_ready", " 0")
	req.Store(false)
	log.Store(true)
	watch.Store(true)
	ready.Store(true)
	wantSeries(t, m, "rpl_nats_connected", "connection=rpl-router 0", "connection=rpl-router-log 1")
	wantSeries(t, m, "rpl_bundle_watch_up", " 1")
	wantSeries(t, m, "rpl_decision_log_ready", " 1")
}

// TestBundleWatchRestarts: the bundle watch's restarts are counted by
// reason, each series read at each scrape.
func TestBundleWatchRestarts(t *testing.T) {
	m := New()
	counts := map[string]int64{"stalled": 2}
	m.BundleWatchRestarts(func(reason string) int64 { return counts[reason] }, "stalled", "reconnected", "replaced")
	wantSeries(t, m, "rpl_bundle_watch_restarts_total", "reason=reconnected 0", "reason=replaced 0", "reason=stalled 2")
	counts["replaced"] = 1
	wantSeries(t, m, "rpl_bundle_watch_restarts_total", "reason=reconnected 0", "reason=replaced 1", "reason=stalled 2")
}

// TestBundleBucketReplicas: the bundle bucket's copies are read at
// each scrape, absent until registered.
func TestBundleBucketReplicas(t *testing.T) {
	m := New()
	wantSeries(t, m, "rpl_bundle_bucket_replicas")
	var n atomic.Int64
	m.BundleBucketReplicas(func() int { return int(n.Load()) })
	wantSeries(t, m, "rpl_bundle_bucket_replicas", " 0")
	n.Store(3)
	wantSeries(t, m, "rpl_bundle_bucket_replicas", " 3")
}

func BenchmarkAnswered(b *testing.B) {
	m := New()
	b.ReportAllocs()
	for b.Loop() {
		m.Answered("http", runtime.KindCP1, "")
	}
}

// TestSeriesDocumented: the package documentation lists every series a
// router can export, and no other (docs/router.md points there for the
// list). rpl_http_idle_closed_total was exported and not listed.
func TestSeriesDocumented(t *testing.T) {
	src, err := os.ReadFile("metrics.go")
	if err != nil {
		t.Fatal(err)
	}
	doc, _, _ := strings.Cut(string(src), "\npackage metrics")
	listed := map[string]bool{}
	for line := range strings.Lines(doc) {
		if name, ok := strings.CutPrefix(line, "//\trpl_"); ok {
			name, _, _ = strings.Cut(name, " ")
			name, _, _ = strings.Cut(name, "{")
			listed["rpl_"+name] = true
		}
	}
	m := New()
	s := &runtime.Snapshot{Version: "0123456789abcdef"}
	m.Decided(&runtime.Outcome{Snapshot: s, Policy: &runtime.Policy{ID: "default"}, Err: runtime.Errorf(runtime.CodeDecisionFailed, "boom")})
	m.Loaded(s, nil)
	m.Refused("http", runtime.RefusedOverloaded)
	m.Answered("http", runtime.KindCP1, "")
	zero := func(string) int64 { return 0 }
	m.NATSDropped(zero, "rpl.v2.decide")
	m.SpansDropped(zero, "queue_full")
	m.HTTPConnections(func() int64 { return 0 }, 1, func() int64 { return 0 }, func() int64 { return 0 })
	m.NATSConnected("rpl-router", func() bool { return true })
	m.BundleWatchUp(func() bool { return true })
	m.BundleWatchRestarts(zero, "stalled")
	m.BundleBucketReplicas(func() int { return 1 })
	m.DecisionLogReady(func() bool { return true })
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	for _, f := range fams {
		if name := f.GetName(); strings.HasPrefix(name, "rpl_") {
			exported[name] = true
			if !listed[name] {
				t.Errorf("%s is exported, not listed in the package documentation", name)
			}
		}
	}
	for name := range listed {
		if !exported[name] {
			t.Errorf("%s is listed in the package documentation, not exported", name)
		}
	}
}

// TestFixedSeriesAtZero: the series of fixed labels are there from the
// start, at 0 (the first failed reload, or error, after a restart is an
// increase): reloads, decision errors by code, and the refusals of a
// transport that serves, by reason.
func TestFixedSeriesAtZero(t *testing.T) {
	m := New()
	m.Transport("nats", runtime.RefusedOverloaded, runtime.RefusedNoReply)
	wantSeries(t, m, "rpl_reloads_total", "result=error 0", "result=ok 0")
	var codes []string
	for _, c := range runtime.ErrorCodes() {
		codes = append(codes, "code="+string(c)+" 0")
	}
	slices.Sort(codes)
	wantSeries(t, m, "rpl_decision_errors_total", codes...)
	wantSeries(t, m, "rpl_refused_total", "reason=no_reply,transport=nats 0", "reason=overloaded,transport=nats 0")
	m.Refused("nats", runtime.RefusedOverloaded)
	wantSeries(t, m, "rpl_refused_total", "reason=no_reply,transport=nats 0", "reason=overloaded,transport=nats 1")
}
