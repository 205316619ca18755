package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/state"
)

// TestFeedbackUnknownTenant: an engine requiring registered tenants
// refuses feedback for a tenant its registry does not hold as it refuses a
// decision for it (unauthorized, the same message), before recording
// anything: made-up tenant ids cannot fill the spend ledger and have the
// costs of registered tenants refused. Without the requirement, feedback
// for any tenant is taken, as decisions are.
func TestFeedbackUnknownTenant(t *testing.T) {
	dir := copyDir(t, examples, map[string]string{"tenants.json": `{"tenants": [{"id": "acme"}, {"id": "globex"}]}`})
	ctx := context.Background()
	st := state.NewMem(state.Options{MaxLedger: 2})
	e := newEngine(t, runtime.Config{RequireKnownTenant: true, State: st})

	// Before any version is active, no registry says who is known: not
	// ready, as a decision then is.
	if out, code := e.HandleFeedback([]byte(`{"request_id": "r", "tenant_id": "acme", "target": "a:b", "status": "ok", "cost": 1}`), nil); code != runtime.CodeNotReady {
		t.Errorf("before a version: %s %s, want not_ready", code, out)
	}
	load(t, e, dir)

	// The decision's refusal, and feedback's.
	decideOut, decideCode, _ := e.HandleV2(ctx, []byte(`{"request": {"id": "d", "tenant": {"id": "zzz"}}}`), time.Now(), nil, nil)
	decideErr := decodeJSON(t, decideOut)["error"].(map[string]any)
	if decideCode != runtime.CodeUnauthorized {
		t.Fatalf("decide for an unknown tenant: %s", decideOut)
	}
	for i := range 5 {
		junk := fmt.Sprintf("zzz%d", i)
		if i == 0 {
			junk = "zzz"
		}
		out, code := e.HandleFeedback([]byte(`{"request_id": "fz", "tenant_id": "`+junk+`", "target": "a:b", "status": "ok", "cost": 1}`), nil)
		got := decodeJSON(t, out)
		if code != runtime.CodeUnauthorized || got["ok"] != false {
			t.Fatalf("feedback for %s: %s %s, want unauthorized", junk, code, out)
		}
		if msg := got["error"].(map[string]any)["message"]; msg != fmt.Sprintf("tenant %q is not registered", junk) {
			t.Errorf("feedback for %s: %q", junk, msg)
		}
		if junk == "zzz" && fmt.Sprint(got["error"]) != fmt.Sprint(decideErr) {
			t.Errorf("feedback's refusal %v, decide's %v", got["error"], decideErr)
		}
	}
	// The same, through Observe, and for feedback naming no tenant (a
	// decision for none is refused too).
	if err := e.Observe(&runtime.Feedback{RequestID: "o", TenantID: "zzz", Target: "a:b", Status: "ok", CostNanos: 1}); err == nil || err.Code != runtime.CodeUnauthorized {
		t.Errorf("Observe, unknown tenant: %v", err)
	}
	if out, code := e.HandleFeedback([]byte(`{"request_id": "nt", "target": "a:b", "status": "error"}`), nil); code != runtime.CodeUnauthorized || !strings.Contains(string(out), `tenant \"\" is not registered`) {
		t.Errorf("feedback naming no tenant: %s %s", code, out)
	}
	if o := e.Decide(ctx, "", request(t, e, `{"id": "nt"}`), time.Time{}); o.Err == nil || o.Err.Code != runtime.CodeUnauthorized {
		t.Errorf("decide naming no tenant: %v", o.Err)
	}
	// In a batch, refused as other client errors are: the item named,
	// and nothing of the batch recorded, its registered tenant's item
	// neither.
	b1 := `{"request_id": "b1", "tenant_id": "acme", "target": "a:b", "status": "ok", "cost": 0.5}`
	out, code := e.HandleFeedback([]byte(`{"feedback": [`+b1+`,
		{"request_id": "b2", "tenant_id": "nobody", "target": "a:b", "status": "ok", "cost": 1}]}`), nil)
	if want := `feedback[1]: tenant \"nobody\" is not registered (nothing of the batch was recorded)`; code != runtime.CodeUnauthorized || !strings.Contains(string(out), want) {
		t.Errorf("batch: %s %s, want %s", code, out, want)
	}
	// Nothing of the refused feedback was recorded: no spend, and no
	// target heard of.
	now := time.Now()
	for _, junk := range []string{"zzz", "zzz1", "zzz4", "nobody", "", "acme"} {
		if got := st.MonthSpend(junk, now); got != 0 {
			t.Errorf("%q charged %d", junk, got)
		}
	}
	if got := st.Targets(); len(got) != 0 {
		t.Errorf("targets %+v, want none", got)
	}
	// The registered tenant's item sent again is recorded, no duplicate.
	if out, code := e.HandleFeedback([]byte(b1), nil); code != "" || string(out) != `{"ok":true,"recorded":1}` {
		t.Errorf("b1 again: %s %s", code, out)
	}
	// The ledger (2 tenant-months here) holds the registered tenants.
	if out, code := e.HandleFeedback([]byte(`{"request_id": "g", "tenant_id": "globex", "target": "a:b", "status": "ok", "cost": 2}`), nil); code != "" {
		t.Errorf("a registered tenant's cost after the junk: %s", out)
	}
	if a, g := st.MonthSpend("acme", now), st.MonthSpend("globex", now); a != 500_000_000 || g != 2_000_000_000 {
		t.Errorf("acme %d, globex %d", a, g)
	}

	// Not requiring registered tenants, feedback for any is taken.
	lax := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
	if out, code := lax.HandleFeedback([]byte(`{"request_id": "fz", "tenant_id": "zzz", "target": "a:b", "status": "ok", "cost": 1}`), nil); code != "" {
		t.Errorf("lax, before a version: %s", out)
	}
	load(t, lax, dir)
	if out, code := lax.HandleFeedback([]byte(`{"request_id": "fz2", "tenant_id": "zzz", "target": "a:b", "status": "ok", "cost": 1}`), nil); code != "" || string(out) != `{"ok":true,"recorded":1}` {
		t.Errorf("lax: %s", out)
	}
}

// TestLedgerFullRefusesNewTenants: without the requirement of registered
// tenants, the spend ledger's bound is what keeps made-up tenant ids from
// growing the router's memory, and once they fill it a tenant new this
// month is refused (overloaded), unless the registry holds it: what
// RequireKnownTenant prevents (see TestFeedbackUnknownTenant).
func TestLedgerFullRefusesNewTenants(t *testing.T) {
	e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{MaxLedger: 2})})
	load(t, e, examples)
	for i, tenant := range []string{"junk1", "junk2", "acme"} {
		out, code := e.HandleFeedback(fmt.Appendf(nil, `{"request_id": "r%d", "tenant_id": %q, "target": "a:b", "status": "ok", "cost": 1}`, i, tenant), nil)
		if full := i == 2; full != (code == runtime.CodeOverloaded) {
			t.Errorf("%s: %s %s", tenant, code, out)
		}
	}
	err := e.Observe(&runtime.Feedback{RequestID: "o", TenantID: "acme", Target: "a:b", Status: "ok", CostNanos: 1})
	if err == nil || !errors.Is(err, state.ErrLedgerFull) {
		t.Errorf("Observe: %v, want the ledger full", err)
	}

	// A tenant the registry holds is not refused: made-up ids filling
	// the ledger turned off the budgets of the registered tenants.
	st := state.NewMem(state.Options{MaxLedger: 2})
	reg := newEngine(t, runtime.Config{State: st})
	load(t, reg, copyDir(t, examples, map[string]string{"tenants.json": `{"tenants": [{"id": "vip"}]}`}))
	for i, tenant := range []string{"junk1", "junk2", "acme", "vip"} {
		out, code := reg.HandleFeedback(fmt.Appendf(nil, `{"request_id": "r%d", "tenant_id": %q, "target": "a:b", "status": "ok", "cost": 1}`, i, tenant), nil)
		if refused := tenant == "acme"; refused != (code == runtime.CodeOverloaded) {
			t.Errorf("with a registry, %s: %s %s", tenant, code, out)
		}
	}
	if got := st.MonthSpend("vip", time.Now()); got != 1_000_000_000 {
		t.Errorf("vip's spend %d, want $1", got)
	}
}
