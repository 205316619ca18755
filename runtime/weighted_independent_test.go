package runtime_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/rpl-lang/rpl/vm"
)

// twoSplitsPolicy runs two experiments in one policy: the model, a 50/50
// split between a:m and b:m, and the region, a 50/50 split between eu:m
// and us:m, tagged "region"; "again" tags the model split drawn a second
// time, its entries written in the other order. With the request's
// metadata "s", both are sticky sessions of that key.
const twoSplitsPolicy = `package two_splits

fn route(r: Request) -> Decision {
  let key = r.metadata["s"] ?? ""
  let region = weighted({"eu:m": 50, "us:m": 50}).sticky(key, ttl: 1m).target
  let again = weighted({"b:m": 50, "a:m": 50}).sticky(key, ttl: 1m).target
  weighted({"a:m": 50, "b:m": 50}).sticky(key, ttl: 1m).tag("region", region).tag("again", again)
}
`

// twoSplitsEngine is an engine of the example policies and two_splits.
func twoSplitsEngine(t *testing.T) *runtime.Engine {
	t.Helper()
	e := newEngine(t, runtime.Config{})
	load(t, e, copyDir(t, examples, map[string]string{"two_splits.rpl": twoSplitsPolicy}))
	return e
}

// twoSplitsDraw decides the request of id (and of the session key, when
// not empty) with two_splits in tenant at at: the model's target, the
// region's and the model's drawn again.
func twoSplitsDraw(t *testing.T, e *runtime.Engine, tenant, id, key string, at time.Time) (model, region, again string) {
	t.Helper()
	req := request(t, e, fmt.Sprintf(`{"id": %q, "tenant": {"id": %q}, "task": {"type": "chat"}, "metadata": {"s": %q}}`, id, tenant, key))
	o := e.Decide(context.Background(), "two_splits", req, at)
	if o.Err != nil {
		t.Fatal(o.Err)
	}
	v := e.View(o.Decision)
	r, _ := v.Tags().Get(vm.Str("region"))
	a, _ := v.Tags().Get(vm.Str("again"))
	return v.Target(), r.Str(), a.Str()
}

// Two splits of other targets in one run draw independently: the
// requests that get a:m get eu:m or us:m alike, and so do the sessions
// (of one policy: one session seed). Every draw of a run took the same
// point, and every request (every session) in the first half of one
// split was in the first half of the other: the experiments were
// confounded. The same split, drawn twice in a run, draws the same
// target, whatever the order of its entries.
func TestWeightedSplitsIndependentInRun(t *testing.T) {
	e := twoSplitsEngine(t)
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	for _, by := range []string{"request", "session"} {
		agree := 0
		for i := range stickyKeys {
			// By session, every request has one id: only the session's
			// seed differs.
			id, key := fmt.Sprint("req-", i), ""
			if by == "session" {
				id, key = "req-0", fmt.Sprint("user-", i)
			}
			model, region, again := twoSplitsDraw(t, e, "acme", id, key, now)
			if again != model {
				t.Fatalf("by %s, %s %q: the model split drew %s and, again in the run, %s", by, id, key, model, again)
			}
			if (model == "a:m") == (region == "eu:m") {
				agree++
			}
		}
		if agree < stickyKeys*40/100 || agree > stickyKeys*60/100 {
			t.Errorf("by %s: %d of %d drew the same half of the two splits, want 40–60%%", by, agree, stickyKeys)
		}
	}
}

// The policy's tests draw both splits as the router does, for a request
// (with the seed of its id, as the router derives it) and for a session;
// activation runs the tests, which expect what the router drew.
func TestWeightedSplitsTestsAsRouter(t *testing.T) {
	e := twoSplitsEngine(t)
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	var tests strings.Builder
	tests.WriteString("package two_splits\n\nimport \"std/testing\"\n\n")
	for i := range 20 {
		id := fmt.Sprint("req-", i)
		model, region, _ := twoSplitsDraw(t, e, "acme", id, "", now)
		fmt.Fprintf(&tests, "test \"request %s\" {\n  testing.set_seed(%d)\n  let d = route({id: %q})\n  expect d.target == %q\n  expect d.tags[\"region\"] == %q\n}\n\n",
			id, int64(stdlib.SeedOf(id)), id, model, region)
		key := fmt.Sprint("user-", i)
		model, region, _ = twoSplitsDraw(t, e, "globex", "req-x", key, now)
		fmt.Fprintf(&tests, "test \"session %s\" {\n  let d = route({metadata: {\"s\": %q}})\n  expect d.target == %q\n  expect d.tags[\"region\"] == %q\n}\n\n",
			key, key, model, region)
	}
	dir := copyDir(t, examples, map[string]string{"two_splits.rpl": twoSplitsPolicy, "two_splits_test.rpl": tests.String()})
	if _, err := newEngine(t, runtime.Config{}).LoadDir(context.Background(), dir); err != nil {
		t.Fatalf("the policy's tests drew other targets than the router: %v", err)
	}
}
