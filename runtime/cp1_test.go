package runtime_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/state"
)

// TestCP1FastSlowSame: a CP1 body is answered the same whichever decoder
// reads it. A "Version" key beside version sends the body to encoding/json
// (the fast decoder refuses a key that differs from a field only by case)
// without changing its meaning.
func TestCP1FastSlowSame(t *testing.T) {
	e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
	load(t, e, examples)
	ctx := context.Background()
	meta := runtime.CP1Meta{Arrival: time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)}
	for _, body := range []string{
		// A null after a string leaves it as it was.
		`{"version":"1","request_id":"a","tenant_id":"t","task":{"type":"chat","type":null}}`,
		`{"version":"1","request_id":"a","tenant_id":"t","task":{"type":"chat","payload_ref":"s3://x","payload_ref":null}}`,
		`{"version":"1","request_id":"a","tenant_id":"t","task":{"type":"chat","type":"code"}}`,
		`{"version":"1","request_id":"a","tenant_id":"t","task":{"type":"chat"},"constraints":{"max_latency_ms":5,"max_latency_ms":null}}`,
	} {
		fast, fastCode, _ := e.HandleCP1(ctx, []byte(body), meta, nil, nil)
		slowBody := strings.Replace(body, `{"version":"1",`, `{"Version":"1","version":"1",`, 1)
		slow, slowCode, _ := e.HandleCP1(ctx, []byte(slowBody), meta, nil, nil)
		if string(fast) != string(slow) || fastCode != slowCode {
			t.Errorf("%s\n  %s %s\nencoding/json's path:\n  %s %s", body, fastCode, fast, slowCode, slow)
		}
	}
	// The version spelt with an escape is "1" all the same; "2" is not.
	for body, wantCode := range map[string]runtime.Code{
		`{"version":"\u0031","request_id":"a","tenant_id":"t","task":{"type":"chat"}}`: "",
		`{"version":"\u0032","request_id":"a","tenant_id":"t","task":{"type":"chat"}}`: runtime.CodeInvalidRequest,
	} {
		if out, code, _ := e.HandleCP1(ctx, []byte(body), meta, nil, nil); code != wantCode {
			t.Errorf("%s: %s %s, want code %q", body, code, out, wantCode)
		}
	}
}

// traceparents are W3C traceparent headers, valid and not, and the trace
// id TraceIDOf finds in each ("" for none).
var traceparents = []struct{ header, want string }{
	{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "4bf92f3577b34da6a3ce929d0e0e4736"},
	{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", "4bf92f3577b34da6a3ce929d0e0e4736"},
	{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03", "4bf92f3577b34da6a3ce929d0e0e4736"}, // sampled and random
	{"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "4bf92f3577b34da6a3ce929d0e0e4736"},
	{"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff-extra", "4bf92f3577b34da6a3ce929d0e0e4736"}, // a later version may say more
	{"fe-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-", "4bf92f3577b34da6a3ce929d0e0e4736"},
	{"", ""},
	{"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", ""},       // version ff is invalid
	{"0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", ""},       // version not hex
	{"0A-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", ""},       // uppercase
	{"00-00000000000000000000000000000000-00f067aa0ba902b7-01", ""},       // zero trace id
	{"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", ""},       // uppercase trace id
	{"00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01", ""},       // trace id not hex
	{"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", ""},       // zero parent id
	{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bz-01", ""},       // parent id not hex
	{"00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01", ""},       // uppercase parent id
	{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x", ""},       // flags not hex
	{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-04", ""},       // a reserved flag in version 00
	{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", ""}, // version 00 is 55 bytes
	{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-", ""},
	{"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01extra", ""}, // more, not after a '-'
	{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7+01", ""},
	{"00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", ""},
	{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1", ""},
	{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01", ""},
}

// TestTraceIDOf: the trace id of a valid traceparent, none of an invalid
// one, as OpenTelemetry's TraceContext reads them (the request's span
// joins the trace that context.trace_id names), but for a version 00
// header followed by '-' (otelLenient), which W3C refuses.
func TestTraceIDOf(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	load(t, e, examples)
	for _, c := range traceparents {
		if got := runtime.TraceIDOf(c.header); got != c.want {
			t.Errorf("TraceIDOf(%q) = %q, want %q", c.header, got, c.want)
		}
		// CP1's context.trace_id, when the body has none.
		out, _, _ := e.HandleCP1(context.Background(), []byte(`{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "chat"}}`), runtime.CP1Meta{TraceParent: c.header}, nil, nil)
		if got, _ := decodeJSON(t, out)["context"].(map[string]any)["trace_id"].(string); got != c.want {
			t.Errorf("traceparent %q: context.trace_id %q, want %q: %s", c.header, got, c.want, out)
		}
		if otel := otelTraceID(c.header); otel != c.want && !otelLenient(c.header) {
			t.Errorf("OpenTelemetry reads %q as %q, the table %q", c.header, otel, c.want)
		}
	}
}

// FuzzTraceIDOf: TraceIDOf finds the trace id OpenTelemetry's
// TraceContext extracts, or none when it extracts none (but for one
// header it accepts against the specification, otelLenient).
func FuzzTraceIDOf(f *testing.F) {
	for _, c := range traceparents {
		f.Add(c.header)
	}
	f.Fuzz(func(t *testing.T, header string) {
		if got, otel := runtime.TraceIDOf(header), otelTraceID(header); got != otel && !otelLenient(header) {
			t.Errorf("TraceIDOf(%q) = %q; OpenTelemetry %q", header, got, otel)
		}
	})
}

// otelLenient reports whether OpenTelemetry accepts traceparent where the
// W3C specification does not: a version 00 header followed by a lone '-'
// (its parser cuts at each '-' and finds nothing after).
func otelLenient(traceparent string) bool {
	return len(traceparent) == 56 && strings.HasPrefix(traceparent, "00-") && traceparent[55] == '-'
}

// otelTraceID is the trace id OpenTelemetry extracts from traceparent, ""
// when none.
func otelTraceID(traceparent string) string {
	ctx := propagation.TraceContext{}.Extract(context.Background(), propagation.MapCarrier{"traceparent": traceparent})
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		return sc.TraceID().String()
	}
	return ""
}

// echoMetadata answers with the request's metadata "k" in its reason.
const echoMetadata = `package echo_t

fn route(r: Request) -> Decision {
  to("a:m").because("k=" + (r.metadata["k"] ?? "<none>"))
}
`

// TestCP1MetadataAsV2: a policy sees the same metadata value from a CP1
// request as from the v2 request of the same metadata: a null entry is
// "" (a string's zero value), not the text null.
func TestCP1MetadataAsV2(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	load(t, e, copyDir(t, examples, map[string]string{"echo_t.rpl": echoMetadata}))
	ctx := context.Background()
	for _, c := range []struct{ value, want string }{
		{`null`, "k="},
		{`"v"`, "k=v"},
		{`""`, "k="},
		{`"null"`, "k=null"},
	} {
		for _, slow := range []bool{false, true} {
			body := `{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "chat"}, "policy_id": "echo_t", "metadata": {"k": ` + c.value + `}}`
			if slow { // encoding/json's path
				body = strings.Replace(body, `"version": "1"`, `"Version": "1", "version": "1"`, 1)
			}
			out, _, _ := e.HandleCP1(ctx, []byte(body), runtime.CP1Meta{}, nil, nil)
			d, _ := decodeJSON(t, out)["decision"].(map[string]any)
			md, _ := d["metadata"].(map[string]any)
			if md["reason"] != c.want {
				t.Errorf("CP1 %s: reason %v, want %q: %s", body, md["reason"], c.want, out)
			}
		}
		body := `{"policy_id": "echo_t", "request": {"id": "r", "tenant": {"id": "t"}, "task": {"type": "chat"}, "metadata": {"k": ` + c.value + `}}}`
		out, _, _ := e.HandleV2(ctx, []byte(body), time.Now(), nil, nil)
		if d, _ := decodeJSON(t, out)["decision"].(map[string]any); d["reason"] != c.want {
			t.Errorf("v2 %s: reason %v, want %q: %s", body, d["reason"], c.want, out)
		}
	}
}

// ownTarget routes by a weighted split, or to a target of its own with
// that split kept beside it (metadata own), or to a target the split
// gives no weight (metadata zero).
const ownTarget = `package own_target

fn route(r: Request) -> Decision {
  let d = weighted({"a:x": 50, "b:y": 50})
  if (r.metadata["own"] ?? "") == "1" {
    let own: Decision = {action: "route", target: "c:z", split: d.split, priority: 50}
    return own
  }
  if (r.metadata["zero"] ?? "") == "1" {
    let zero: Decision = {action: "route", target: "c:z", split: {"a:x": 1, "c:z": 0}, priority: 50}
    return zero
  }
  d
}
`

// TestCP1ReasonWeightedOnlyForDraw: CP1's reason is weighted for a target
// drawn from the decision's split, and best_score for a target the policy
// set itself beside a split (not one of its keys, or one of weight 0),
// which was answered weighted.
func TestCP1ReasonWeightedOnlyForDraw(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	load(t, e, copyDir(t, examples, map[string]string{"own_target.rpl": ownTarget}))
	for md, want := range map[string]string{`{}`: "weighted", `{"own": "1"}`: "best_score", `{"zero": "1"}`: "best_score"} {
		body := `{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "chat"}, "policy_id": "own_target", "metadata": ` + md + `}`
		out, code, _ := e.HandleCP1(context.Background(), []byte(body), runtime.CP1Meta{}, nil, nil)
		d, _ := decodeJSON(t, out)["decision"].(map[string]any)
		if code != "" || d["reason"] != want {
			t.Errorf("metadata %s: reason %v, want %s: %s", md, d["reason"], want, out)
		}
	}
}

// TestCP1KeysCaseSensitive: a CP1 key is its field only when spelt
// exactly; one that differs by case (or by a character that folds, ſ
// for s) is an unknown key, ignored as CP1 ignores them. encoding/json
// matched it: tenant_id "acme" with TENANT_ID "evil" was decided for
// evil, where a gateway in front that compares keys exactly saw acme.
func TestCP1KeysCaseSensitive(t *testing.T) {
	e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
	load(t, e, examples)
	ctx := context.Background()
	meta := runtime.CP1Meta{Arrival: time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)}
	for body, want := range map[string]string{
		`{"version":"1","request_id":"a","tenant_id":"acme","TENANT_ID":"evil","task":{"type":"chat"}}`: `"tenant":"acme"`,
		`{"version":"1","request_id":"a","TENANT_ID":"evil","tenant_id":"acme","task":{"type":"chat"}}`: `"tenant":"acme"`,
		`{"version":"1","request_id":"a","Tenant_Id":"evil","task":{"type":"chat"}}`:                    `"message":"tenant_id is required"`,
		`{"version":"1","requeſt_id":"a","tenant_id":"acme","task":{"type":"chat"}}`:                    `"message":"request_id is required"`,
		`{"version":"1","request_id":"a","tenant_id":"acme","task":{"TYPE":"chat"}}`:                    `"message":"task.type is required"`,
		`{"version":"1","request_id":"a","tenant_id":"acme","TASK":{"type":"chat"}}`:                    `"message":"task is required"`,
	} {
		out, _, _ := e.HandleCP1(ctx, []byte(body), meta, nil, nil)
		if !strings.Contains(string(out), want) {
			t.Errorf("%s:\n  %s\nwant %s", body, out, want)
		}
	}
}

// echoMaxCost answers with the request's constraints.max_cost in its
// reason.
const echoMaxCost = `package echo_cost

fn route(r: Request) -> Decision {
  to("a:m").because(string(r.constraints.max_cost ?? $0))
}
`

// TestCP1MaxCostAsWritten: a CP1 max_cost, a JSON number, is the number
// as written, rounded half to even at the ninth decimal (money.OfFloat,
// as money() reads a float), and the money a v2 request of the same
// number gives the policy (v2 refuses a tenth decimal). It was
// math.Round(x * 1e9), which rounded the product first and halves away
// from zero: 6.47605e-05, 64760.5 nanos, was 64761 nanos.
func TestCP1MaxCostAsWritten(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	load(t, e, copyDir(t, examples, map[string]string{"echo_cost.rpl": echoMaxCost}))
	ctx := context.Background()
	for _, c := range []struct {
		number, want string
		rounded      bool // more than 9 decimals: refused by v2
	}{
		{`6.47605e-05`, "$0.00006476", true},
		{`0.0000000025`, "$0.000000002", true},
		{`0.0000000035`, "$0.000000004", true},
		{`0.25`, "$0.25", false},
		{`8456222330.67113`, "$8456222330.67113", false},
		{`1e-9`, "$0.000000001", false},
	} {
		body := `{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "chat"}, "policy_id": "echo_cost", "constraints": {"max_cost": ` + c.number + `}}`
		out, _, _ := e.HandleCP1(ctx, []byte(body), runtime.CP1Meta{}, nil, nil)
		d, _ := decodeJSON(t, out)["decision"].(map[string]any)
		md, _ := d["metadata"].(map[string]any)
		if md["reason"] != c.want {
			t.Errorf("CP1 max_cost %s: reason %v, want %q: %s", c.number, md["reason"], c.want, out)
		}
		if c.rounded {
			continue
		}
		body = `{"policy_id": "echo_cost", "request": {"id": "r", "tenant": {"id": "t"}, "task": {"type": "chat"}, "constraints": {"max_cost": ` + c.number + `}}}`
		out, _, _ = e.HandleV2(ctx, []byte(body), time.Now(), nil, nil)
		if d, _ := decodeJSON(t, out)["decision"].(map[string]any); d["reason"] != c.want {
			t.Errorf("v2 max_cost %s: reason %v, want %q: %s", c.number, d["reason"], c.want, out)
		}
	}
}

// TestCP1MigratedPolicyID: a CP1 policy_id that names no policy names the
// one rplc migrate made of the CP1 policy of that id (simple-split is
// simple_split), so that a gateway keeps the ids it sends; a policy of
// that very id wins, and an id that names neither is not found, named as
// sent. v2 names policies by their own ids alone.
func TestCP1MigratedPolicyID(t *testing.T) {
	dir := copyDir(t, examples, map[string]string{
		"simple_split.rpl": "package simple_split\n\nfn route(r: Request) -> Decision = to(\"openai:gpt-4o\").because(\"migrated\")\n",
		"p_2_fast.rpl":     "package p_2_fast\n\nfn route(r: Request) -> Decision = to(\"openai:gpt-4o-mini\").because(\"migrated\")\n",
	})
	e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
	load(t, e, dir)
	ctx := context.Background()
	meta := runtime.CP1Meta{Arrival: time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)}
	for _, c := range []struct{ id, want string }{
		{"simple-split", `"policy_id":"simple_split"`},
		{"Simple Split", `"policy_id":"simple_split"`},
		{"2-Fast", `"policy_id":"p_2_fast"`},
		{"simple_split", `"policy_id":"simple_split"`},
		{"default", `"policy_id":"default"`},
		{"simple-splitx", `"code":"policy_not_found","message":"no policy \"simple-splitx\"`},
	} {
		body := `{"version":"1","request_id":"a","tenant_id":"t","task":{"type":"chat"},"policy_id":"` + c.id + `"}`
		out, _, _ := e.HandleCP1(ctx, []byte(body), meta, nil, nil)
		if !strings.Contains(string(out), c.want) {
			t.Errorf("policy_id %q: %s, want %s", c.id, out, c.want)
		}
	}
	out, code, _ := e.HandleV2(ctx, []byte(`{"request":{"id":"a","tenant":{"id":"t"},"task":{"type":"chat"}},"policy_id":"simple-split"}`), time.Time{}, nil, nil)
	if code != runtime.CodePolicyNotFound {
		t.Errorf("v2 policy_id simple-split: %s, want policy_not_found", out)
	}
}
