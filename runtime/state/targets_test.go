package state

import (
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime"
)

// TestTargetsBreaker: Targets says each target's breaker as the decisions
// read it: closed, open until its cooldown ends (healthy false), then
// half_open (healthy again), and closed after a success; and listing the
// targets marks none read.
func TestTargetsBreaker(t *testing.T) {
	c := newClock()
	m := NewMem(Options{Now: c.Now})
	feed(t, m, 1, runtime.Feedback{Target: "a:ok", Status: "ok", LatencyMs: 10})
	feed(t, m, 20, runtime.Feedback{Target: "p:m", Status: "http_5xx"})
	state := func(name string) TargetStats {
		t.Helper()
		for _, s := range m.Targets() {
			if s.Target == name {
				return s
			}
		}
		t.Fatalf("%s not listed", name)
		return TargetStats{}
	}
	if s := state("a:ok"); s.Breaker != BreakerClosed || !s.Healthy || !s.OpenUntil.IsZero() || s.P50Ms == 0 {
		t.Errorf("a:ok: %+v", s)
	}
	want := c.Now().Add(30 * time.Second).UTC()
	if s := state("p:m"); s.Breaker != BreakerOpen || s.Healthy || !s.OpenUntil.Equal(want) || s.Healthy != m.Healthy("p:m") || s.Errors != 20 {
		t.Errorf("open: %+v, want open until %s", s, want)
	}
	c.advance(30 * time.Second)
	if s := state("p:m"); s.Breaker != BreakerHalfOpen || !s.Healthy || !s.OpenUntil.IsZero() || s.Healthy != m.Healthy("p:m") {
		t.Errorf("after the cooldown: %+v, want half_open", s)
	}
	feed(t, m, 1, runtime.Feedback{Target: "p:m", Status: "ok", LatencyMs: 10})
	if s := state("p:m"); s.Breaker != BreakerClosed || !s.Healthy {
		t.Errorf("after a success: %+v, want closed", s)
	}
	if r := m.health.get("a:ok").read.Load(); r != 0 {
		t.Errorf("listing marked a:ok read (%d)", r)
	}
}
