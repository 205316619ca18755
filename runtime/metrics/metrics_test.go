package metrics

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/runtime"
)

// series returns the samples of the family name as "label=value,…
// sample" lines, sorted.
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
			out = append(out, fmt.Sprintf("%s %g", strings.Join(ls, ","), s.GetCounter().GetValue()))
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
	if got := series(t, m, "rpl_decisions_total"); !slices.Equal(got, want) {
		t.Errorf("rpl_decisions_total:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := series(t, m, "rpl_decision_errors_total"); !slices.Equal(got, []string{"code=decision_failed 1"}) {
		t.Errorf("rpl_decision_errors_total: %v", got)
	}
}

func BenchmarkDecided(b *testing.B) {
	m := New()
	o := &runtime.Outcome{Snapshot: &runtime.Snapshot{Version: "0123456789abcdef"}, Policy: &runtime.Policy{ID: "default"}}
	b.ReportAllocs()
	for b.Loop() {
		m.Decided(o)
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
	if got := series(t, m, "rpl_refused_total"); !slices.Equal(got, want) {
		t.Errorf("rpl_refused_total: %v, want %v", got, want)
	}
}
