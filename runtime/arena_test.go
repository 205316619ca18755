package runtime_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/state"
)

// A reused Outcome decides in memory it keeps (vm.Arena) and a transport's
// scratch holds the request: the decisions are those Decide makes on the
// heap, and the answers those of a fresh Outcome, for every example policy
// and request, whatever was decided into the reused one before, in
// whichever order. The decision log's events, read only once every
// decision is made (as a sink that lags does), hold their own decisions.
func TestReusedOutcome(t *testing.T) {
	var logged []*runtime.DecisionEvent
	e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{}), LogSample: 1,
		DecisionLog: logFunc(func(ev *runtime.DecisionEvent) { logged = append(logged, ev) })})
	load(t, e, examples)
	policies := []string{"ab_summarizer", "budget_guard", "cost_aware", "default", "fallback_chain", "org_acme", "premium", "team_acme_research"}
	tasks := []string{"chat", "code", "embedding", "summarize", "translate"}
	var bodies [][]byte
	for i, p := range policies {
		for j, task := range tasks {
			bodies = append(bodies, fmt.Appendf(nil, `{"policy_id": %q, "request": {"id": "req-%d-%d", "tenant": {"id": "t-%d"}, "user": {"id": "u-%d"}, "task": {"type": %q}, "estimate": {"input_tokens": %d, "output_tokens": 500}, "constraints": {"max_latency": "%dms"}}}`,
				p, i, j, j, i, task, 1000*(i+1)*(j+1), 200*(j+1)))
		}
	}
	ctx := context.Background()
	arrival := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	heap := make([]string, len(bodies)) // Decide's decisions
	fresh := make([]string, len(bodies))
	for i, b := range bodies {
		var q struct {
			PolicyID string          `json:"policy_id"`
			Request  json.RawMessage `json:"request"`
		}
		if err := json.Unmarshal(b, &q); err != nil {
			t.Fatal(err)
		}
		o := e.Decide(ctx, q.PolicyID, request(t, e, string(q.Request)), arrival)
		if o.Err != nil {
			t.Fatalf("%s: %v", b, o.Err)
		}
		heap[i] = o.Decision.String()
		out, code, _ := e.HandleV2(ctx, b, arrival, nil, nil)
		if code != "" {
			t.Fatalf("%s: %s", b, out)
		}
		fresh[i] = string(out)
	}
	var o runtime.Outcome
	buf := make([]byte, 0, 4096)
	logged = nil
	var order []int // the body of each logged event
	for round := range 3 {
		for k := range bodies {
			i := (k*7 + round*3) % len(bodies) // another order each round
			order = append(order, i)
			out, _, _ := e.HandleV2(ctx, bodies[i], arrival, buf[:0], &o)
			if string(out) != fresh[i] {
				t.Fatalf("round %d, %s:\nreused outcome %s\nfresh outcome  %s", round, bodies[i], out, fresh[i])
			}
			if got := o.Decision.String(); got != heap[i] {
				t.Fatalf("round %d, %s:\nreused outcome %s\nDecide         %s", round, bodies[i], got, heap[i])
			}
		}
	}
	if len(logged) != len(order) {
		t.Fatalf("%d events logged for %d decisions", len(logged), len(order))
	}
	for k, ev := range logged {
		var want struct{ Decision json.RawMessage }
		if err := json.Unmarshal([]byte(fresh[order[k]]), &want); err != nil {
			t.Fatal(err)
		}
		if k%2 == 0 { // encoding/json encodes it too
			var got struct{ Decision json.RawMessage }
			if m, err := json.Marshal(ev); err != nil || json.Unmarshal(m, &got) != nil || !jsonEqual(got.Decision, want.Decision) {
				t.Fatalf("event %d, %s: json.Marshal gives %s (%v)\nfresh %s", k, bodies[order[k]], m, err, want.Decision)
			}
		}
		if string(ev.Decision) != string(want.Decision) {
			t.Fatalf("event %d, %s:\nlogged %s\nfresh  %s", k, bodies[order[k]], ev.Decision, want.Decision)
		}
	}
}

// A CP1 exchange allocates only strings once warm: the request and trace
// ids it decodes and the reason the default policy concatenates. The
// records, maps and lists of the request and the decision take none.
func TestCP1ExchangeAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocations are not counted under the race detector")
	}
	exchange := cp1Exchange(t)
	n := testing.AllocsPerRun(200, func() { exchange(t) })
	if n > 3 {
		t.Errorf("a CP1 exchange allocated %v times, want ≤ 3 (its strings)", n)
	}
}

// A v2 exchange's request checks (budgets, constraints, estimates, ids)
// allocate nothing unless they refuse it: a request with all of them
// takes 11 allocations (its strings, its parents' list), as at a5d92d7;
// a67e84d made each field's path on every decision, 6 more.
func TestV2ExchangeAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocations are not counted under the race detector")
	}
	e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
	load(t, e, examples)
	body := []byte(`{"request": {"id": "req-000123", "tenant": {"id": "tenant-42", "parents": ["org-1"], "budget": {"monthly": "$100", "daily": "$5"}},
		"task": {"type": "chat"}, "constraints": {"max_latency": "800ms", "max_cost": "$1"}, "estimate": {"input_tokens": 200, "output_tokens": 100}}}`)
	ctx := context.Background()
	buf := make([]byte, 0, 4096)
	var o runtime.Outcome
	if out, _, _ := e.HandleV2(ctx, body, time.Now(), buf[:0], &o); !bytes.Contains(out, []byte(`"ok":true`)) {
		t.Fatalf("not decided: %s", out)
	}
	if n := testing.AllocsPerRun(200, func() { e.HandleV2(ctx, body, time.Now(), buf[:0], &o) }); n > 11 {
		t.Errorf("a v2 exchange allocated %v times, want ≤ 11 (its strings and lists)", n)
	}
}

// FuzzHandle: any body, CP1 or v2, decided into one reused Outcome (and
// the transport's pooled request memory) is answered as into a fresh
// Outcome, with valid JSON, and never panics.
func FuzzHandle(f *testing.F) {
	e := newEngine(f, runtime.Config{State: state.NewMem(state.Options{})})
	load(f, e, examples)
	for _, s := range []string{
		benchCP1,
		`{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "code"}, "policy_id": "premium", "metadata": {"a": "b", "n": 1}}`,
		`{"policy_id": "ab_summarizer", "request": {"id": "r", "tenant": {"id": "t"}, "user": {"id": "u-7"}, "task": {"type": "summarize"}}}`,
		`{"request": {"id": "r", "tenant": {"id": "t", "tier": "gold"}, "task": {"type": "chat"}, "estimate": {"input_tokens": 200000}}}`,
		`{"version": "1", "request_id": "", "tenant_id": "t"}`,
		`{"request": null}`,
		`[1, 2]`,
	} {
		f.Add([]byte(s))
	}
	ctx := context.Background()
	arrival := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	var cp1, v2 runtime.Outcome
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, kind := range []string{"cp1", "v2"} {
			var reused, fresh []byte
			if kind == "cp1" {
				meta := runtime.CP1Meta{Arrival: arrival}
				reused, _, _ = e.HandleCP1(ctx, body, meta, nil, &cp1)
				fresh, _, _ = e.HandleCP1(ctx, body, meta, nil, nil)
			} else {
				reused, _, _ = e.HandleV2(ctx, body, arrival, nil, &v2)
				fresh, _, _ = e.HandleV2(ctx, body, arrival, nil, nil)
			}
			if !json.Valid(reused) {
				t.Fatalf("%s answer is not JSON: %s", kind, reused)
			}
			if string(reused) != string(fresh) {
				t.Fatalf("%s %s:\nreused outcome %s\nfresh outcome  %s", kind, body, reused, fresh)
			}
		}
	})
}

// jsonEqual reports whether a and b are the same JSON value.
func jsonEqual(a, b []byte) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}
