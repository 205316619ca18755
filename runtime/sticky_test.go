package runtime_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	goruntime "runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/state"
)

// stickyPolicy splits between three targets, sticky by the request's
// metadata "session" (else its session id) for a minute. metadata "drop"
// gives a target weight 0, "skew" weight 1000 (the others 10), and
// "fixed" routes to a:m without a split, sticky all the same.
const stickyPolicy = `package sticky_t

fn weight(r: Request, t: string) -> int {
  if t == (r.metadata["drop"] ?? "") {
    return 0
  }
  if t == (r.metadata["skew"] ?? "") {
    return 1000
  }
  10
}

fn route(r: Request) -> Decision {
  let key = r.metadata["session"] ?? r.session.id
  if (r.metadata["fixed"] ?? "") != "" {
    return to("a:m").sticky(key, ttl: 1m)
  }
  weighted({"a:m": weight(r, "a:m"), "b:m": weight(r, "b:m"), "c:m": weight(r, "c:m")})
    .sticky(key, ttl: 1m)
}
`

func stickyEngine(t testing.TB) *runtime.Engine {
	t.Helper()
	e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
	load(t, e, copyDir(t, examples, map[string]string{"sticky_t.rpl": stickyPolicy}))
	return e
}

// decideSticky decides request id with the sticky policy at the given
// time; meta is the request's metadata.
func decideSticky(t *testing.T, e *runtime.Engine, id string, meta map[string]string, at time.Time) (target, reason string, o runtime.Outcome) {
	t.Helper()
	m, _ := json.Marshal(meta)
	req := request(t, e, fmt.Sprintf(`{"id": %q, "tenant": {"id": "t1"}, "task": {"type": "chat"}, "metadata": %s}`, id, m))
	o = e.Decide(context.Background(), "sticky_t", req, at)
	if o.Err != nil {
		t.Fatal(o.Err)
	}
	d := e.View(o.Decision)
	return d.Target(), d.Reason(), o
}

// The review's case: requests of one session to the premium example's
// weighted split go to one target, over v2.
func TestStickyPremiumV2(t *testing.T) {
	e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
	load(t, e, examples)
	for _, sess := range []string{"sess-A", "sess-B", "sess-C"} {
		seen := map[string]int{}
		for i := range 40 {
			body := fmt.Sprintf(`{"policy_id": "premium", "request": {"id": "req-%s-%d", "tenant": {"id": "acme", "tier": "standard"}, "session": {"id": %q}, "task": {"type": "chat"}}}`, sess, i, sess)
			r, o := decideV2(t, e, body, time.Now())
			if r.StickyKey != sess {
				t.Fatalf("sticky_key %q", r.StickyKey)
			}
			if o.Sticky != (i > 0) {
				t.Errorf("%s request %d: Sticky %v", sess, i, o.Sticky)
			}
			seen[r.Target]++
		}
		if len(seen) != 1 {
			t.Errorf("session %s went to %v", sess, seen)
		}
	}
}

func TestStickySameKeySameTarget(t *testing.T) {
	e := stickyEngine(t)
	now := time.Now()
	first, reason, o := decideSticky(t, e, "r0", map[string]string{"session": "s1"}, now)
	if o.Sticky || reason != "weighted" {
		t.Fatalf("first decision: Sticky %v, reason %q", o.Sticky, reason)
	}
	for i := 1; i < 200; i++ {
		got, reason, o := decideSticky(t, e, fmt.Sprint("r", i), map[string]string{"session": "s1"}, now.Add(time.Duration(i)*time.Millisecond))
		if got != first || !o.Sticky || reason != "sticky" {
			t.Fatalf("request %d: %s (reason %q, Sticky %v), want %s kept", i, got, reason, o.Sticky, first)
		}
	}
	// Other keys are other sessions: they spread over the split.
	seen := map[string]bool{}
	for i := range 60 {
		got, _, o := decideSticky(t, e, fmt.Sprint("k", i), map[string]string{"session": fmt.Sprint("other-", i)}, now)
		if o.Sticky {
			t.Fatalf("key other-%d: a new session is not a stored hit", i)
		}
		seen[got] = true
	}
	if len(seen) < 2 {
		t.Errorf("60 sessions all went to %v", seen)
	}
	// No key, no stickiness: the request's seed draws.
	seen = map[string]bool{}
	for i := range 60 {
		got, _, o := decideSticky(t, e, fmt.Sprint("n", i), nil, now)
		if o.Sticky {
			t.Fatal("a decision without a sticky key was sticky")
		}
		seen[got] = true
	}
	if len(seen) < 2 {
		t.Errorf("60 requests without a session all went to %v", seen)
	}
}

// The kept target outlives a change of weights until the entry expires,
// ttl after the last decision of the session: then the session is picked
// again from the new weights.
func TestStickyTTL(t *testing.T) {
	e := stickyEngine(t)
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	// A session whose draw from the skewed weights (1000 of 1020, most
	// sessions') is the skewed target, not its first pick: found on
	// another engine, past the ttl of its first pick there.
	find := stickyEngine(t)
	var sess, kept, skew string
	for i := 0; sess == ""; i++ {
		if i == 100 {
			t.Fatal("100 sessions drew no skewed target from the skewed weights")
		}
		s := fmt.Sprint("s", i)
		k, _, _ := decideSticky(t, find, "f", map[string]string{"session": s}, t0)
		sk := "a:m"
		if k == sk {
			sk = "b:m"
		}
		if got, _, _ := decideSticky(t, find, "g", map[string]string{"session": s, "skew": sk}, t0.Add(2*time.Minute)); got == sk {
			sess, kept, skew = s, k, sk
		}
	}
	if got, _, _ := decideSticky(t, e, "r0", map[string]string{"session": sess}, t0); got != kept {
		t.Fatalf("first pick %s, want %s as on the other engine", got, kept)
	}
	meta := map[string]string{"session": sess, "skew": skew}
	at := t0.Add(59 * time.Second)
	if got, reason, o := decideSticky(t, e, "r1", meta, at); got != kept || !o.Sticky || reason != "sticky" {
		t.Fatalf("within the ttl, after a weight change: %s (%q), want %s kept", got, reason, kept)
	}
	// The hit kept the entry a minute longer.
	at = at.Add(59 * time.Second)
	if got, _, o := decideSticky(t, e, "r2", meta, at); got != kept || !o.Sticky {
		t.Fatalf("within the ttl of the last decision: %s, want %s kept", got, kept)
	}
	at = at.Add(61 * time.Second)
	got, reason, o := decideSticky(t, e, "r3", meta, at)
	if o.Sticky || got != skew || reason != "weighted" {
		t.Fatalf("after the ttl: %s (%q, Sticky %v), want a new pick (%s, weight 1000 of 1020)", got, reason, o.Sticky, skew)
	}
	if got, _, o := decideSticky(t, e, "r4", meta, at.Add(time.Second)); got != skew || !o.Sticky {
		t.Fatalf("the new pick was not kept: %s", got)
	}
}

// A target that left the split (weight 0) is not reused; the new pick is
// kept.
func TestStickyTargetLeftSplit(t *testing.T) {
	e := stickyEngine(t)
	now := time.Now()
	kept, _, _ := decideSticky(t, e, "r0", map[string]string{"session": "s1"}, now)
	got, _, o := decideSticky(t, e, "r1", map[string]string{"session": "s1", "drop": kept}, now)
	if got == kept || o.Sticky {
		t.Fatalf("%s dropped from the split, still chosen (Sticky %v)", got, o.Sticky)
	}
	back, _, o := decideSticky(t, e, "r2", map[string]string{"session": "s1"}, now)
	if back != got || !o.Sticky {
		t.Fatalf("back to the full split: %s, want %s kept", back, got)
	}
}

// The first pick of a session depends on its key, not on the request:
// engines that do not share a store agree.
func TestStickyAcrossEngines(t *testing.T) {
	a, b := stickyEngine(t), stickyEngine(t)
	now := time.Now()
	for i := range 30 {
		meta := map[string]string{"session": fmt.Sprint("s", i)}
		x, _, _ := decideSticky(t, a, fmt.Sprint("a", i), meta, now)
		y, _, _ := decideSticky(t, b, fmt.Sprint("b", i), meta, now)
		if x != y {
			t.Fatalf("session s%d: %s on one engine, %s on the other", i, x, y)
		}
	}
}

func cp1Sticky(t *testing.T, e *runtime.Engine, id string, meta string) (reason string, fallbackUsed bool, target string) {
	t.Helper()
	body := fmt.Sprintf(`{"version": "1", "request_id": %q, "tenant_id": "t1", "task": {"type": "chat"}, "policy_id": "sticky_t", "metadata": %s}`, id, meta)
	out, code, _ := e.HandleCP1(context.Background(), []byte(body), runtime.CP1Meta{Arrival: time.Now()}, nil, nil)
	if code != "" {
		t.Fatal(string(out))
	}
	var r struct {
		Decision struct {
			ProviderID   string `json:"provider_id"`
			Reason       string `json:"reason"`
			FallbackUsed bool   `json:"fallback_used"`
		} `json:"decision"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	return r.Decision.Reason, r.Decision.FallbackUsed, r.Decision.ProviderID
}

// CP1 answers reason "sticky" only when the kept target was applied.
func TestStickyCP1Reason(t *testing.T) {
	e := stickyEngine(t)
	reason, fb, first := cp1Sticky(t, e, "r0", `{"session": "c1"}`)
	if reason != "weighted" || fb {
		t.Errorf("a session's first decision: reason %q, fallback_used %v", reason, fb)
	}
	for i := 1; i < 10; i++ {
		reason, fb, target := cp1Sticky(t, e, fmt.Sprint("r", i), `{"session": "c1"}`)
		if reason != "sticky" || fb || target != first {
			t.Errorf("request %d: reason %q, target %s, want sticky %s", i, reason, target, first)
		}
	}
	for i := range 3 {
		if reason, _, _ := cp1Sticky(t, e, fmt.Sprint("f", i), `{"session": "c2", "fixed": "y"}`); reason != "best_score" {
			t.Errorf("a sticky key without a split: reason %q, want best_score", reason)
		}
	}
}

// The store is bounded: beyond its capacity, keeping a session evicts
// another, expired ones first.
func TestStickyStoreBounded(t *testing.T) {
	s := runtime.NewStickyStore(640) // 10 per shard
	now := time.Now()
	for i := range 10000 {
		s.Stick("t", "p", fmt.Sprint("k", i), "a:m", now, time.Minute)
	}
	if n := s.Len(); n > 640 {
		t.Fatalf("%d entries kept, capacity 640", n)
	}
	// The newest is kept; an expired one is never answered.
	if got, ok := s.StickyTarget("t", "p", "k9999", now, time.Minute); !ok || got != "a:m" {
		t.Fatalf("the newest entry: %q %v", got, ok)
	}
	if _, ok := s.StickyTarget("t", "p", "k9999", now.Add(3*time.Minute), time.Minute); ok {
		t.Fatal("an expired entry answered")
	}
	// Concurrent decisions of many sessions.
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				k := fmt.Sprint("c", g, "-", i%50)
				if _, ok := s.StickyTarget("t", "p", k, now, time.Minute); !ok {
					s.Stick("t", "p", k, "b:m", now, time.Minute)
				}
			}
		}()
	}
	wg.Wait()
	if n := s.Len(); n > 640 {
		t.Fatalf("%d entries kept, capacity 640", n)
	}
}

// BenchmarkEngineDecideSticky is a v2 decision of the sticky policy for
// a session whose target is kept (the hit path).
func BenchmarkEngineDecideSticky(b *testing.B) {
	e := stickyEngine(b)
	body := []byte(`{"policy_id": "sticky_t", "request": {"id": "req-000123", "tenant": {"id": "tenant-42"}, "session": {"id": "sess-1"}, "task": {"type": "chat"}}}`)
	ctx := context.Background()
	buf := make([]byte, 0, 4096)
	var o runtime.Outcome
	b.ReportAllocs()
	for b.Loop() {
		out, code, _ := e.HandleV2(ctx, body, time.Now(), buf[:0], &o)
		if code != "" {
			b.Fatal(string(out))
		}
	}
	if !o.Sticky {
		b.Fatal("not a sticky hit")
	}
}

// stickyPrioPolicy derives the priority and a tag from d.target after
// .sticky(): what it computes must be for the target the router answers.
const stickyPrioPolicy = `package sticky_prio

fn route(r: Request) -> Decision {
  let prio: map[string, int] = {"a:m": 90, "b:m": 70, "c:m": 30}
  let d = weighted({"a:m": 10, "b:m": 10, "c:m": 10}).sticky(r.metadata["s"] ?? "", ttl: 1h)
  d.priority(prio[d.target] ?? 50).tag("for", d.target)
}
`

var stickyPrio = map[string]int64{"a:m": 90, "b:m": 70, "c:m": 30}

// A policy computing from d.target after .sticky() computes for the
// session's target: sticky draws it from the key, as the router does for
// a session it keeps nothing for, so the first decision of a session and
// every later one (the kept target) carry the priority and tag of the
// target answered, over CP1 and v2.
func TestStickyPolicySeesSessionTarget(t *testing.T) {
	e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
	load(t, e, copyDir(t, examples, map[string]string{"sticky_prio.rpl": stickyPrioPolicy}))
	ctx := context.Background()
	targets := map[string]bool{}
	for k := range 12 {
		sess := fmt.Sprint("sess-", k)
		session := ""
		for i := range 6 {
			id := fmt.Sprintf("req-%d-%d", k, i)
			var target string
			var prio int64
			var o *runtime.Outcome
			if i%2 == 0 {
				body := fmt.Sprintf(`{"policy_id": "sticky_prio", "request": {"id": %q, "tenant": {"id": "t1"}, "task": {"type": "chat"}, "metadata": {"s": %q}}}`, id, sess)
				r, oo := decideV2(t, e, body, time.Now())
				target, prio, o = r.Target, r.Priority, oo
				if r.Tags["for"] != target {
					t.Errorf("%s %s: v2 target %s, tag for %q", sess, id, target, r.Tags["for"])
				}
			} else {
				body := fmt.Sprintf(`{"version": "1", "request_id": %q, "tenant_id": "t1", "task": {"type": "chat"}, "policy_id": "sticky_prio", "metadata": {"s": %q}}`, id, sess)
				out, code, oo := e.HandleCP1(ctx, []byte(body), runtime.CP1Meta{Arrival: time.Now()}, nil, nil)
				if code != "" {
					t.Fatal(string(out))
				}
				var r struct {
					Decision struct {
						ProviderID string `json:"provider_id"`
						Priority   int64  `json:"priority"`
					} `json:"decision"`
				}
				if err := json.Unmarshal(out, &r); err != nil {
					t.Fatal(err, string(out))
				}
				target, prio, o = r.Decision.ProviderID, r.Decision.Priority, oo
			}
			if want, ok := stickyPrio[target]; !ok || prio != want {
				t.Errorf("%s %s: target %s with priority %d, want %d", sess, id, target, prio, want)
			}
			if o.Sticky != (i > 0) {
				t.Errorf("%s %s: Sticky %v", sess, id, o.Sticky)
			}
			if session == "" {
				session = target
			} else if target != session {
				t.Errorf("%s %s: target %s, the session's is %s", sess, id, target, session)
			}
		}
		targets[session] = true
	}
	if len(targets) < 2 {
		t.Errorf("12 sessions all went to %v", targets)
	}
}

const stickyShiftPolicy = `package sticky_shift

fn route(r: Request) -> Decision {
  let prio: map[string, int] = {"a:m": 90, "b:m": 70}
  let w = if (r.metadata["shift"] ?? "") == "1" {
    {"a:m": 1, "b:m": 1000}
  } else {
    {"a:m": 1000, "b:m": 1}
  }
  let d = weighted(w).sticky(r.metadata["s"] ?? "", ttl: 1h)
  d.priority(prio[d.target] ?? 50)
}
`

// A session's kept target is what the policy sees after .sticky() when
// the weights changed since it was kept (a health change in a breaker
// policy), not the key's draw over the new weights: the priority answered
// is the kept target's. Before, sticky drew from the key and the router
// then put the kept target back, with the other target's priority (found
// by a review: 13 of 40 sessions of a migrated CP1 policy after a health
// change).
func TestStickyPolicySeesKeptTarget(t *testing.T) {
	e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
	load(t, e, copyDir(t, examples, map[string]string{"sticky_shift.rpl": stickyShiftPolicy}))
	prio := map[string]int64{"a:m": 90, "b:m": 70}
	kept := 0
	for k := range 20 {
		var session string
		for i, shift := range []string{"0", "1", "1"} {
			body := fmt.Sprintf(`{"policy_id": "sticky_shift", "request": {"id": "r-%d-%d", "tenant": {"id": "t1"}, "task": {"type": "chat"}, "metadata": {"s": "sess-%d", "shift": %q}}}`, k, i, k, shift)
			r, o := decideV2(t, e, body, time.Now())
			if r.Priority != prio[r.Target] {
				t.Errorf("sess-%d request %d: target %s with priority %d, want %d", k, i, r.Target, r.Priority, prio[r.Target])
			}
			if i == 0 {
				session = r.Target
			} else if r.Target != session || !o.Sticky {
				t.Errorf("sess-%d request %d: target %s (sticky %v), the session's is %s", k, i, r.Target, o.Sticky, session)
			}
		}
		if session == "a:m" {
			kept++
		}
	}
	if kept < 10 { // a:m has 1000 of 1001 before the shift
		t.Errorf("%d of 20 sessions started on a:m", kept)
	}
}

const stickyDenyPolicy = `package sticky_deny

fn route(r: Request) -> Decision {
  let w = if (r.metadata["shift"] ?? "") == "1" {
    {"a:m": 1, "b:m": 1000}
  } else {
    {"a:m": 1000, "b:m": 1}
  }
  let d = weighted(w).sticky(r.metadata["s"] ?? "", ttl: 1s)
  if (r.metadata["deny"] ?? "") == "1" { deny("denied") } else { d }
}
`

// The policy's look-up of a kept target does not extend the session: a
// denied decision did not use it, and the entry expires ttl after the last
// decision that did (the look-up extended it on every run, so denied
// requests kept a session alive; found by a review).
func TestStickyLookupDoesNotExtend(t *testing.T) {
	e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
	load(t, e, copyDir(t, examples, map[string]string{"sticky_deny.rpl": stickyDenyPolicy}))
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	decide := func(k, i int, at time.Time, meta string) string {
		t.Helper()
		body := fmt.Sprintf(`{"policy_id": "sticky_deny", "request": {"id": "r-%d-%d", "tenant": {"id": "t1"}, "task": {"type": "chat"}, "metadata": {"s": "sess-%d"%s}}}`, k, i, k, meta)
		r, _ := decideV2(t, e, body, at)
		return r.Target
	}
	moved := 0
	for k := range 20 {
		if decide(k, 0, t0, "") != "a:m" {
			continue // the key drew b:m (1 in 1001)
		}
		// Denied requests every 0.8 s, the weights moved to b:m.
		for i := 1; i <= 4; i++ {
			decide(k, i, t0.Add(time.Duration(i)*800*time.Millisecond), `, "deny": "1", "shift": "1"`)
		}
		// 3.5 s after the session's last routed decision: expired.
		if decide(k, 5, t0.Add(3500*time.Millisecond), `, "shift": "1"`) == "b:m" {
			moved++
		}
	}
	if moved < 15 {
		t.Errorf("%d of 20 sessions moved to b:m after their entry expired; denied requests kept the others", moved)
	}
}

// racingSticky is a StickyState in which another request of the session
// replaces its kept target right after the policy's look-up (a read with
// ttl 0), as a request of the same session on the other core can: the
// narrow race, made certain.
type racingSticky struct {
	*runtime.StickyStore
	next map[string]string // the target the other request keeps, by the one read
}

func (r *racingSticky) StickyTarget(tenant, policy, key string, now time.Time, ttl time.Duration) (string, bool) {
	t, ok := r.StickyStore.StickyTarget(tenant, policy, key, now, ttl)
	if ok && ttl == 0 {
		r.Stick(tenant, policy, key, r.next[t], now, time.Hour)
	}
	return t, ok
}

// A session's target replaced between the policy's look-up and the
// engine's does not change the answer: the engine keeps the target the
// policy computed its fields for. Before, it read the entry again and
// answered the other request's target with this one's priority and tag.
func TestStickyRaceKeepsPolicyTarget(t *testing.T) {
	st := &racingSticky{StickyStore: runtime.NewStickyStore(0), next: map[string]string{"a:m": "b:m", "b:m": "c:m", "c:m": "a:m"}}
	e := newEngine(t, runtime.Config{State: st})
	load(t, e, copyDir(t, examples, map[string]string{"sticky_prio.rpl": stickyPrioPolicy}))
	for i := range 6 {
		body := fmt.Sprintf(`{"policy_id": "sticky_prio", "request": {"id": "r-%d", "tenant": {"id": "t1"}, "task": {"type": "chat"}, "metadata": {"s": "sess"}}}`, i)
		d, o := decideV2(t, e, body, time.Now())
		if d.Priority != stickyPrio[d.Target] || d.Tags["for"] != d.Target {
			t.Errorf("request %d: target %s with priority %d and tag for %q, computed for another target", i, d.Target, d.Priority, d.Tags["for"])
		}
		if o.Sticky != (i > 0) {
			t.Errorf("request %d: Sticky %v", i, o.Sticky)
		}
	}
}

const stickyLitPolicy = `package sticky_lit

fn route(r: Request) -> Decision {
  let s = {"a:m": 10, "b:m": 10, "c:m": 10}
  let k = r.metadata["s"] ?? ""
  let probe = weighted(s).sticky(k)
  {action: "route", target: r.metadata["t"] ?? "a:m", split: s, sticky_key: k, reason: "weighted"}
}
`

// A Decision record literal with a sticky_key gets the session's target,
// also when the policy called sticky for that key before (its look-up is
// reused): the session does not move to each literal's target. Found by a
// review of the look-up's reuse, which kept the literal's target and
// moved the session on every request.
func TestStickyLiteralAfterSticky(t *testing.T) {
	e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
	load(t, e, copyDir(t, examples, map[string]string{"sticky_lit.rpl": stickyLitPolicy}))
	var session string
	for i, tg := range []string{"a:m", "b:m", "c:m", "a:m", "b:m"} {
		req := request(t, e, fmt.Sprintf(`{"id": "r%d", "tenant": {"id": "t1"}, "task": {"type": "chat"}, "metadata": {"s": "sess", "t": %q}}`, i, tg))
		o := e.Decide(context.Background(), "sticky_lit", req, time.Now())
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		got := e.View(o.Decision).Target()
		if i == 0 {
			session = got
		} else if got != session || !o.Sticky {
			t.Errorf("request %d (literal %s): target %s, sticky %v; want the session's %s, sticky", i, tg, got, o.Sticky, session)
		}
	}
}

// v2Decision is the decision of a v2 answer, the fields these tests read.
type v2Decision struct {
	Target    string            `json:"target"`
	Priority  int64             `json:"priority"`
	Tags      map[string]string `json:"tags"`
	StickyKey string            `json:"sticky_key"`
}

// decideV2 decides the v2 request body at at and returns its answer's
// decision and the outcome.
func decideV2(t *testing.T, e *runtime.Engine, body string, at time.Time) (v2Decision, *runtime.Outcome) {
	t.Helper()
	out, code, o := e.HandleV2(context.Background(), []byte(body), at, nil, nil)
	if code != "" {
		t.Fatal(string(out))
	}
	var r struct {
		Decision v2Decision `json:"decision"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err, string(out))
	}
	return r.Decision, o
}

// The store is bounded in bytes too: sessions of a megabyte's key (or
// tenant id) keep a digest of it, not the key, and still find their
// target; a target too long to keep is not kept. A client could make
// the router keep a megabyte per session, up to the store's capacity.
func TestStickyStoreBytesBounded(t *testing.T) {
	s := runtime.NewStickyStore(0)
	now := time.Now()
	long := strings.Repeat("x", 1<<20)
	var before, after goruntime.MemStats
	goruntime.GC()
	goruntime.ReadMemStats(&before)
	for i := range 100 {
		key := fmt.Sprintf("%03d", i) + long
		s.Stick(long, "p", key, "a:m", now, time.Minute)
		if got, ok := s.StickyTarget(long, "p", key, now, time.Minute); !ok || got != "a:m" {
			t.Fatalf("session %d: %q %v, want its target", i, got, ok)
		}
	}
	goruntime.GC()
	goruntime.ReadMemStats(&after)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 8<<20 {
		t.Errorf("100 sessions of 1 MiB keys keep %d MiB", grew>>20)
	}
	if _, ok := s.StickyTarget(long, "p", "000"+long[:len(long)-1], now, time.Minute); ok {
		t.Error("a different long key found a session")
	}
	// A short name that starts with a NUL, as a digest does, is digested
	// too: it cannot be taken for a long name's digest.
	lookalike := "\x00" + strings.Repeat("d", 32)
	s.Stick("t", "p", lookalike, "b:m", now, time.Minute)
	if got, ok := s.StickyTarget("t", "p", lookalike, now, time.Minute); !ok || got != "b:m" {
		t.Errorf("a name starting with NUL: %q %v", got, ok)
	}
	s.Stick("t", "p", "k", strings.Repeat("a", 300), now, time.Minute)
	if got, ok := s.StickyTarget("t", "p", "k", now, time.Minute); ok {
		t.Errorf("a 300-byte target kept: %.20q", got)
	}
	goruntime.KeepAlive(s)
}

// A ttl of centuries keeps the session for good: now+ttl past the last
// Unix nanosecond (2262) is that nanosecond, not a time in the past, for
// an entry set (Stick) or extended (StickyTarget).
func TestStickyHugeTTL(t *testing.T) {
	s := runtime.NewStickyStore(0)
	now := time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)
	const huge = time.Duration(math.MaxInt64) // 292 years
	for _, ttl := range []time.Duration{10 * time.Minute, 100_000 * time.Hour, 2_100_000 * time.Hour, huge} {
		key := "set-" + ttl.String()
		s.Stick("acme", "p", key, "a:b", now, ttl)
		if got, ok := s.StickyTarget("acme", "p", key, now.Add(time.Second), 0); !ok || got != "a:b" {
			t.Errorf("kept for %v: %q %v a second later", ttl, got, ok)
		}
	}
	s.Stick("acme", "p", "extended", "a:b", now, time.Minute)
	if _, ok := s.StickyTarget("acme", "p", "extended", now, huge); !ok {
		t.Fatal("the session was not kept")
	}
	later := now.AddDate(200, 0, 0)
	if got, ok := s.StickyTarget("acme", "p", "extended", later, 0); !ok || got != "a:b" {
		t.Errorf("extended by %v: %q %v 200 years later", huge, got, ok)
	}
	s.Stick("acme", "p", "expires", "a:b", now, time.Minute)
	if _, ok := s.StickyTarget("acme", "p", "expires", now.Add(time.Minute), 0); ok {
		t.Error("a session answered at its expiry")
	}
}

// Concurrent decisions of one session each extend its entry to at least
// the expiry they asked for (now+ttl), which another's shorter one never
// undoes: a read of the expiry, then a write of a shorter one after
// another wrote a longer, shortened the session (which this catches with
// two CPUs or more).
func TestStickyExtendConcurrent(t *testing.T) {
	s := runtime.NewStickyStore(0)
	now := time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)
	s.Stick("t", "p", "k", "a:m", now, time.Second)
	const calls = 200_000
	var wg sync.WaitGroup
	var next atomic.Int64 // the ttls asked for, each longer than the last
	var failed atomic.Bool
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Load() < calls && !failed.Load() {
				ttl := time.Second + time.Duration(next.Add(1))
				s.StickyTarget("t", "p", "k", now, ttl)
				if _, ok := s.StickyTarget("t", "p", "k", now.Add(ttl-time.Nanosecond), 0); !ok && !failed.Swap(true) {
					t.Errorf("extended by %v, the session expired before it", ttl)
				}
			}
		}()
	}
	wg.Wait()
	last := time.Second + time.Duration(next.Load()) // the longest ttl asked for
	if _, ok := s.StickyTarget("t", "p", "k", now.Add(last), 0); ok {
		t.Error("the session outlived the longest ttl asked for")
	}
}

// A session keeps its target across reloads of its policy while the new
// version's split still gives that target weight, whatever the other
// weights became; a version that gives it weight 0 moves the session,
// whose new target is then kept as well, by this version and the next.
func TestStickyAcrossReloads(t *testing.T) {
	e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
	version := func(a, b, c int) {
		t.Helper()
		load(t, e, copyDir(t, examples, map[string]string{"sticky_t.rpl": fmt.Sprintf(`package sticky_t

fn route(r: Request) -> Decision =
  weighted({"a:m": %d, "b:m": %d, "c:m": %d}).sticky(r.session.id, ttl: 1h)
`, a, b, c)}))
	}
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	n := 0
	decide := func(sess string) (string, bool) {
		t.Helper()
		n++
		req := request(t, e, fmt.Sprintf(`{"id": "r%d", "tenant": {"id": "t1"}, "session": {"id": %q}, "task": {"type": "chat"}}`, n, sess))
		o := e.Decide(context.Background(), "sticky_t", req, now.Add(time.Duration(n)*time.Second))
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		return e.View(o.Decision).Target(), o.Sticky
	}
	const sessions = 60
	sess := func(i int) string { return fmt.Sprint("s", i) }
	version(1, 1, 1)
	kept := map[string]string{}
	for i := range sessions {
		kept[sess(i)], _ = decide(sess(i))
	}
	// Other weights, every target still in the split: nobody moves.
	version(1, 50, 1)
	for i := range sessions {
		if got, sticky := decide(sess(i)); got != kept[sess(i)] || !sticky {
			t.Fatalf("after a reload that changed the weights: session %s went to %s (sticky %v), want %s kept", sess(i), got, sticky, kept[sess(i)])
		}
	}
	// a:m leaves the split: its sessions move, the others stay.
	version(0, 1, 1)
	moved := 0
	for i := range sessions {
		got, sticky := decide(sess(i))
		switch was := kept[sess(i)]; {
		case was == "a:m" && (got == "a:m" || sticky):
			t.Fatalf("session %s still on a:m (%s, sticky %v) after a:m got weight 0", sess(i), got, sticky)
		case was == "a:m":
			kept[sess(i)] = got
			moved++
		case got != was || !sticky:
			t.Fatalf("session %s went to %s (sticky %v), want %s kept", sess(i), got, sticky, was)
		}
	}
	if moved == 0 {
		t.Fatal("no session was on a:m: the test shows nothing")
	}
	// a:m back: the moved sessions keep their new target.
	version(1, 1, 1)
	for i := range sessions {
		if got, sticky := decide(sess(i)); got != kept[sess(i)] || !sticky {
			t.Fatalf("session %s went to %s (sticky %v), want %s kept", sess(i), got, sticky, kept[sess(i)])
		}
	}
}

// A hit allocates nothing, whatever the length of the session's names: a
// session key longer than the store keeps as it is (a conversation's
// ids) is found by its digest, computed without allocating (it was 4
// allocations a read, two reads a sticky decision). Sessions that differ
// in any one long name are different sessions.
func TestStickyLongKeyHitDoesNotAllocate(t *testing.T) {
	s := runtime.NewStickyStore(0)
	now := time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)
	long := strings.Repeat("conversation-0123456789/", 8)
	for _, names := range [][3]string{
		{"acme", "p", "short-session"},
		{"acme", "p", long},
		{"acme", long, "short-session"},
		{long, "p", long + "x"},
	} {
		s.Stick(names[0], names[1], names[2], "a:m", now, time.Minute)
		var got string
		var ok bool
		if n := testing.AllocsPerRun(100, func() { got, ok = s.StickyTarget(names[0], names[1], names[2], now, time.Minute) }); n != 0 {
			t.Errorf("a hit of %.20q… allocates %v times", names, n)
		}
		if !ok || got != "a:m" {
			t.Errorf("%.20q…: %q %v, want its target", names, got, ok)
		}
	}
	// The digests are written on the reader's stack: a read at any depth
	// (the stack grows, and moves, during some of them) finds the
	// session.
	var deep func(n int) bool
	deep = func(n int) bool {
		var pad [64]byte
		if n > 0 {
			return deep(n-1) && pad[n%64] == 0
		}
		got, ok := s.StickyTarget(long, "p", long+"x", now, 0)
		return ok && got == "a:m"
	}
	for n := range 400 {
		if !deep(n) {
			t.Fatalf("a read %d calls deep did not find the session", n)
		}
	}
	for _, names := range [][3]string{
		{"acme", "p", long + "y"},
		{"acme", "q", long},
		{"acme", long + "y", "short-session"},
		{"acme", "p", long + "x"},
		{long, "p", long},
	} {
		if got, ok := s.StickyTarget(names[0], names[1], names[2], now, 0); ok {
			t.Errorf("%.20q… found %q, another session's", names, got)
		}
	}
}
