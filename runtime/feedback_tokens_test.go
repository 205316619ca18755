package runtime_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/state"
)

// TestFeedbackTokensCharged: feedback giving tokens and no cost is
// charged its tokens at the target's catalogue price, exactly (128-bit
// products, rounded once, half to even), as cost.estimate computes it;
// a cost given wins, 0 too; a target the catalogue does not price, and
// feedback naming no tenant, are charged nothing; and a policy's
// cost.month_spend sees what was charged.
func TestFeedbackTokensCharged(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "default.rpl", `package default

import "std/cost"

fn route(r: Request) -> Decision {
  to("openai:gpt-4o").because(string(cost.month_spend(r.tenant)))
}
`)
	writeFile(t, dir, "catalogue.json", `{"providers": [{"name": "openai", "latency_ms": 900, "models": [
  {"name": "gpt-4o", "input_per_mtok": "2.50", "output_per_mtok": "10.00"},
  {"name": "odd", "input_per_mtok": "0.000000003", "output_per_mtok": "0"}]}]}`)
	st := state.NewMem(state.Options{})
	e := newEngine(t, runtime.Config{State: st})
	load(t, e, dir)

	now := time.Now()
	spend := func(tenant string) string { return lang.FormatMoney(st.MonthSpend(tenant, now)) }
	send := func(body string) {
		t.Helper()
		if out, code := e.HandleFeedback([]byte(body), nil); code != "" {
			t.Fatalf("%s: %s %s", body, code, out)
		}
	}
	for _, c := range []struct {
		name, tenant, body, want string
	}{
		// 1,000,000 in at $2.50/Mtok + 500,000 out at $10.00/Mtok.
		{"priced", "a", `"target": "openai:gpt-4o", "tokens_in": 1000000, "tokens_out": 500000`, "$7.50"},
		// 1 in and 1 out: $0.0000025 + $0.00001 = $0.0000125, to the
		// nano-unit: 12,500 nano-units exactly.
		{"small", "b", `"target": "openai:gpt-4o", "tokens_in": 1, "tokens_out": 1`, "$0.0000125"},
		// 500,000 at $0.000000003 a million is 1.5 nano-units: half to
		// even, 2; 1,500,000 is 4.5: 4 (a float sum rounds both up).
		{"half even up", "c", `"target": "openai:odd", "tokens_in": 500000`, "$0.000000002"},
		{"half even down", "d", `"target": "openai:odd", "tokens_in": 1500000`, "$0.000000004"},
		// A cost given wins, 0 and null apart: null gives none.
		{"cost given", "e", `"target": "openai:gpt-4o", "tokens_in": 1000000, "tokens_out": 500000, "cost": "$0.01"`, "$0.01"},
		{"cost 0 given", "f", `"target": "openai:gpt-4o", "tokens_in": 1000000, "tokens_out": 500000, "cost": 0`, "$0.00"},
		{"cost null", "g", `"target": "openai:gpt-4o", "tokens_in": 1000000, "cost": null`, "$2.50"},
		// Not in the catalogue: recorded, charged nothing.
		{"unpriced", "h", `"target": "anthropic:claude", "tokens_in": 1000000, "tokens_out": 500000`, "$0.00"},
		// A provider alone, as CP1 names targets: no model, no price.
		{"provider alone", "k", `"provider_id": "openai", "tokens_in": 1000000`, "$0.00"},
	} {
		send(`{"request_id": "` + c.name + `", "tenant_id": "` + c.tenant + `", "status": "ok", ` + c.body + `}`)
		if got := spend(c.tenant); got != c.want {
			t.Errorf("%s: charged %s, want %s", c.name, got, c.want)
		}
	}
	// No tenant: charged to no one, and not refused (a cost given would
	// need a tenant).
	send(`{"request_id": "nt", "target": "openai:gpt-4o", "status": "ok", "tokens_in": 1000000}`)
	if got := spend(""); got != "$0.00" {
		t.Errorf("no tenant: %s charged to the tenant \"\"", got)
	}
	// Through Observe too, and in a batch.
	if err := e.Observe(&runtime.Feedback{RequestID: "o", TenantID: "i", Target: "openai:gpt-4o", Status: "ok", TokensOut: 100000}); err != nil {
		t.Fatal(err)
	}
	send(`{"feedback": [{"request_id": "b1", "tenant_id": "i", "target": "openai:gpt-4o", "status": "ok", "tokens_in": 400000}]}`)
	if got := spend("i"); got != "$2.00" {
		t.Errorf("Observe and a batch: %s, want $1.00 + $1.00", got)
	}
	// A policy sees what the tokens cost.
	o := e.Decide(context.Background(), "", request(t, e, `{"id": "r", "tenant": {"id": "a"}}`), now)
	if o.Err != nil {
		t.Fatal(o.Err)
	}
	if got := e.View(o.Decision).Reason(); got != "$7.50" {
		t.Errorf("cost.month_spend saw %s, want $7.50", got)
	}
	// Tokens costing more than one request may: refused, naming them.
	out, code := e.HandleFeedback([]byte(`{"request_id": "big", "tenant_id": "j", "target": "openai:gpt-4o", "status": "ok", "tokens_out": 9000000000000000000}`), nil)
	if code != runtime.CodeInvalidRequest || !strings.Contains(string(out), `"field":"tokens_out"`) || !strings.Contains(string(out), "more than the most one request may cost") {
		t.Errorf("tokens beyond the most a request costs: %s %s", code, out)
	}
	if got := spend("j"); got != "$0.00" {
		t.Errorf("refused feedback charged %s", got)
	}
	// Tokens charged to a month the ledger no longer keeps: refused as
	// such a cost is (it would reach no budget); unpriced, taken.
	out, code = e.HandleFeedback([]byte(`{"request_id": "old", "tenant_id": "j", "target": "openai:gpt-4o", "status": "ok", "tokens_in": 1000, "time": "2020-01-01T00:00:00Z"}`), nil)
	if code != runtime.CodeInvalidRequest || !strings.Contains(string(out), "no longer keeps") {
		t.Errorf("tokens in a month no longer kept: %s %s", code, out)
	}
	send(`{"request_id": "old2", "tenant_id": "j", "target": "anthropic:claude", "status": "ok", "tokens_in": 1000, "time": "2020-01-01T00:00:00Z"}`)
}

// BenchmarkHandleFeedbackTokens is BenchmarkHandleFeedback's feedback
// with no cost: charged its tokens at the catalogue's price.
func BenchmarkHandleFeedbackTokens(b *testing.B) {
	dir := copyDir(b, examples, map[string]string{"catalogue.json": `{"providers": [{"name": "openai", "latency_ms": 900, "models": [
  {"name": "gpt-4o", "input_per_mtok": "2.50", "output_per_mtok": "10.00"}]}]}`})
	e := newEngine(b, runtime.Config{State: state.NewMem(state.Options{})})
	load(b, e, dir)
	buf := make([]byte, 0, 256)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		i++
		body := fmt.Appendf(nil, `{"request_id": "req-%09d", "tenant_id": "tenant-42", "target": "openai:gpt-4o", "status": "ok", "latency_ms": 420, "tokens_in": 812, "tokens_out": 96}`, i)
		if out, code := e.HandleFeedback(body, buf[:0]); code != "" {
			b.Fatal(string(out))
		}
	}
}
