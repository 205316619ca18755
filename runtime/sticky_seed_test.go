package runtime_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime"
)

// Two experiments, each a 50/50 split made sticky by the request's
// metadata "s": sticky_one with std's sticky, sticky_two with a Decision
// record literal (the engine draws the session's target itself).
const (
	stickyOnePolicy = `package sticky_one

fn route(r: Request) -> Decision {
  weighted({"claude:m": 50, "gpt:m": 50}).sticky(r.metadata["s"] ?? "", ttl: 1m)
}
`
	stickyTwoPolicy = `package sticky_two

fn route(r: Request) -> Decision {
  let s = {"fast:m": 50, "slow:m": 50}
  {action: "route", target: weighted(s).target, split: s, sticky_key: r.metadata["s"] ?? "", sticky_ttl: 1m, reason: "weighted"}
}
`
)

// stickySeedEngine is an engine, with its own sticky store, of the
// example policies and sticky_one and sticky_two.
func stickySeedEngine(t *testing.T) *runtime.Engine {
	t.Helper()
	e := newEngine(t, runtime.Config{})
	load(t, e, stickySeedDir(t))
	return e
}

func stickySeedDir(t *testing.T) string {
	return copyDir(t, examples, map[string]string{"sticky_one.rpl": stickyOnePolicy, "sticky_two.rpl": stickyTwoPolicy})
}

// sessionTarget decides the session key's request for tenant with
// policy at at: the session's target.
func sessionTarget(t *testing.T, e *runtime.Engine, policy, tenant, key string, at time.Time) string {
	t.Helper()
	req := request(t, e, fmt.Sprintf(`{"id": "req-%s", "tenant": {"id": %q}, "task": {"type": "chat"}, "metadata": {"s": %q}}`, key, tenant, key))
	o := e.Decide(context.Background(), policy, req, at)
	if o.Err != nil {
		t.Fatal(o.Err)
	}
	return e.View(o.Decision).Target()
}

// stickyKeys is the number of sessions the agreement tests draw; two
// independent fair draws agree in 40–60% of them but for a chance below
// 10^-17 (Hoeffding: 2·e^-40). The keys are fixed, so the test's answer
// is too.
const stickyKeys = 2000

// The same session key draws independently in two policies: users in the
// first half of one experiment's split are in either half of another's
// alike. Drawn with the key's seed alone, every key drew the same
// position in every split of the same shape (100% agreement), and two
// experiments keyed by the same user id were confounded.
func TestStickyDrawIndependentAcrossPolicies(t *testing.T) {
	e := stickySeedEngine(t)
	now := time.Now()
	first := map[string]bool{"claude:m": true, "fast:m": true}
	agree := 0
	for i := range stickyKeys {
		key := fmt.Sprint("user-", i)
		one := sessionTarget(t, e, "sticky_one", "acme", key, now)
		two := sessionTarget(t, e, "sticky_two", "acme", key, now)
		if first[one] == first[two] {
			agree++
		}
	}
	if agree < stickyKeys*40/100 || agree > stickyKeys*60/100 {
		t.Errorf("the two policies put %d of %d sessions in the same half of their splits, want 40–60%%", agree, stickyKeys)
	}
}

// One key in two tenants of a policy draws the same target (the seed is
// the policy's and the key's: the tenants' users are different people),
// and the policy's tests draw it as the router does: they know the
// policy, not a tenant. Activation runs the tests, which expect what
// the router drew for 20 keys; drawn with another seed, each would fail
// with a chance of one half.
func TestStickyDrawOfTestsAsRouter(t *testing.T) {
	e := stickySeedEngine(t)
	now := time.Now()
	var expects strings.Builder
	for i := range 20 {
		key := fmt.Sprint("user-", i)
		acme := sessionTarget(t, e, "sticky_one", "acme", key, now)
		if globex := sessionTarget(t, e, "sticky_one", "globex", key, now); globex != acme {
			t.Errorf("%s: acme drew %s, globex %s", key, acme, globex)
		}
		fmt.Fprintf(&expects, "  expect route({metadata: {\"s\": %q}}).target == %q\n", key, acme)
	}
	tests := "package sticky_one\n\ntest \"sessions draw as the router does\" {\n" + expects.String() + "}\n"
	dir := copyDir(t, examples, map[string]string{"sticky_one.rpl": stickyOnePolicy, "sticky_one_test.rpl": tests})
	if _, err := newEngine(t, runtime.Config{}).LoadDir(context.Background(), dir); err != nil {
		t.Fatalf("the policy's tests drew other targets than the router: %v", err)
	}
}

// The session's draw is the same on every router (two engines that do
// not share a store) and after a reload of the same policy, once the
// session's entry has expired.
func TestStickyDrawSameOnEveryRouter(t *testing.T) {
	a, b := stickySeedEngine(t), stickySeedEngine(t)
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	type session struct{ policy, tenant, key string }
	var sessions []session
	for _, policy := range []string{"sticky_one", "sticky_two"} {
		for _, tenant := range []string{"acme", "globex"} {
			for i := range 50 {
				sessions = append(sessions, session{policy, tenant, fmt.Sprint("user-", i)})
			}
		}
	}
	drawn := make([]string, len(sessions))
	for i, s := range sessions {
		drawn[i] = sessionTarget(t, a, s.policy, s.tenant, s.key, t0)
		if got := sessionTarget(t, b, s.policy, s.tenant, s.key, t0); got != drawn[i] {
			t.Errorf("%s/%s/%s: %s on one router, %s on another", s.policy, s.tenant, s.key, drawn[i], got)
		}
	}
	load(t, a, stickySeedDir(t))
	later := t0.Add(2 * time.Minute) // past the entries' ttl: drawn again
	for i, s := range sessions {
		if got := sessionTarget(t, a, s.policy, s.tenant, s.key, later); got != drawn[i] {
			t.Errorf("%s/%s/%s: %s after a reload, %s before", s.policy, s.tenant, s.key, got, drawn[i])
		}
	}
}
