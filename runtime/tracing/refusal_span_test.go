package tracing_test

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/state"
	"github.com/rpl-lang/rpl/runtime/tracing"
)

// spanAttrs flushes tr and returns the attributes of the spans exp holds,
// and the spans, emptying exp.
func spanAttrs(t *testing.T, tr *tracing.Tracer, exp *tracetest.InMemoryExporter) ([]map[string]string, tracetest.SpanStubs) {
	t.Helper()
	if err := tr.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans := exp.GetSpans()
	exp.Reset()
	var all []map[string]string
	for _, s := range spans {
		attrs := map[string]string{}
		for _, a := range s.Attributes {
			attrs[string(a.Key)] = a.Value.Emit()
		}
		all = append(all, attrs)
	}
	return all, spans
}

// TestRefusalSpans: a request refused before the engine (overloaded, too
// large, unreadable) has a span as one the engine answers does: its code
// as rpl.outcome, its request named, a child of its traceparent, an
// error status for the router's failure (overloaded) and none for a
// client's; a refusal answered in place of a request already traced (a
// NATS reply too large to send) starts no second span.
func TestRefusalSpans(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tr := tracing.NewWithExporter(exp)
	e, err := runtime.New(runtime.Config{State: state.NewMem(state.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.LoadDir(context.Background(), "../../examples/policies"); err != nil {
		t.Fatal(err)
	}
	d := runtime.NewDispatcher(e, runtime.DispatchConfig{Transport: "nats", Hooks: runtime.Hooks{Trace: tr.Trace}})
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	for _, c := range []struct {
		kind          runtime.Kind
		why           runtime.Refusal
		body, id, out string
		status        codes.Code
	}{
		{runtime.KindV2, runtime.RefusedOverloaded, `{"request": {"id": "r-1"}}`, "r-1", "overloaded", codes.Error},
		{runtime.KindCP1, runtime.RefusedTooLarge, `{"request_id": "r-2"}`, "r-2", "invalid_request", codes.Unset},
		{runtime.KindFeedback, runtime.RefusedUnreadable, "", "", "invalid_request", codes.Unset},
		{runtime.KindBatch, runtime.RefusedOverloaded, `{"requests": []}`, "", "overloaded", codes.Error},
	} {
		x := d.Get()
		d.Refuse(x, c.kind, c.why, "refused: "+c.why.String(), []byte(c.body), tp)
		d.Put(x)
		attrs, spans := spanAttrs(t, tr, exp)
		if len(spans) != 1 {
			t.Fatalf("%v %v: %d spans", c.kind, c.why, len(spans))
		}
		a := attrs[0]
		if a["rpl.outcome"] != c.out || a["rpl.request.id"] != c.id || a["rpl.kind"] != c.kind.String() || a["rpl.transport"] != "nats" {
			t.Errorf("%v %v: attributes %v", c.kind, c.why, a)
		}
		if spans[0].Status.Code != c.status || spans[0].Parent.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" {
			t.Errorf("%v %v: status %v, parent %v", c.kind, c.why, spans[0].Status, spans[0].Parent)
		}
	}

	// Decided, then refused: its reply too large to send.
	x := d.Get()
	d.ServeUncounted(context.Background(), x, runtime.KindV2, []byte(`{"request": {"id": "r-3"}}`), "", time.Now())
	d.Refuse(x, runtime.KindV2, runtime.RefusedTooLarge, "the reply is too large", []byte(`{"request": {"id": "r-3"}}`), "")
	d.Put(x)
	if attrs, _ := spanAttrs(t, tr, exp); len(attrs) != 1 || attrs[0]["rpl.policy.id"] == "" {
		t.Errorf("a request decided then refused: spans %v, want its decision's alone", attrs)
	}
	// The exchange reused: its next request is traced.
	x = d.Get()
	d.Refuse(x, runtime.KindV2, runtime.RefusedOverloaded, "overloaded", nil, "")
	d.Put(x)
	if attrs, _ := spanAttrs(t, tr, exp); len(attrs) != 1 {
		t.Errorf("a refusal on a reused exchange: %d spans", len(attrs))
	}
}

// BenchmarkRefuseOverloadedTraced is runtime's BenchmarkRefuseOverloaded
// with tracing on: the cost of a shed request's span (the exporter
// discarding it).
func BenchmarkRefuseOverloadedTraced(b *testing.B) {
	tr := tracing.NewWithExporter(discard{})
	defer tr.Shutdown(context.Background())
	d := runtime.NewDispatcher(examples(b), runtime.DispatchConfig{Transport: "bench", Hooks: runtime.Hooks{Trace: tr.Trace}})
	body := []byte(`{"request": {"id": "req-000123", "tenant": {"id": "tenant-42"}, "task": {"type": "chat"}}}`)
	b.ReportAllocs()
	for b.Loop() {
		x := d.Get()
		d.Refuse(x, runtime.KindV2, runtime.RefusedOverloaded, "router overloaded", body, "")
		d.Put(x)
	}
}

// TestInvalidDecideSpans: a decide refused as invalid, before a decision,
// has its code as rpl.outcome and its request named when the body names
// it, the status unset (a client's error).
func TestInvalidDecideSpans(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tr := tracing.NewWithExporter(exp)
	d := runtime.NewDispatcher(examples(t), runtime.DispatchConfig{Transport: "http", Hooks: runtime.Hooks{Trace: tr.Trace}})
	for _, c := range []struct {
		kind     runtime.Kind
		body, id string
	}{
		{runtime.KindV2, `{"request": {"id": "r-1", "budget": {"max_cost_usd": -1}}}`, "r-1"},
		{runtime.KindV2, `{"request": {"id": "r-2", "task": 5}}`, "r-2"},
		{runtime.KindV2, `not json`, ""},
		{runtime.KindCP1, `{"version": "1", "tenant_id": "t", "task": {"type": "chat"}}`, ""},
		{runtime.KindCP1, `{"version": "1", "request_id": "r-3", "task": "x"}`, "r-3"},
	} {
		x := d.Get()
		_, code := d.Serve(context.Background(), x, c.kind, []byte(c.body), "", time.Now())
		d.Put(x)
		if code != runtime.CodeInvalidRequest {
			t.Fatalf("%s: code %q", c.body, code)
		}
		attrs, spans := spanAttrs(t, tr, exp)
		if len(spans) != 1 {
			t.Fatalf("%s: %d spans", c.body, len(spans))
		}
		if a := attrs[0]; a["rpl.outcome"] != "invalid_request" || a["rpl.request.id"] != c.id || spans[0].Status.Code != codes.Unset {
			t.Errorf("%s: attributes %v, status %v", c.body, a, spans[0].Status)
		}
	}
}

// TestBatchSpan: a batch's span counts its requests, those answered with
// an error and those of them the router's failure (a policy that failed:
// decision_failed), its status an error when any failed; a batch refused
// whole has its code as rpl.outcome.
func TestBatchSpan(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tr := tracing.NewWithExporter(exp)
	e := examples(t)
	dir := t.TempDir()
	if err := runtime.WriteFiles(dir, map[string][]byte{
		"default.rpl": []byte("package default\n\nfn route(r: Request) -> Decision = to(\"p:m\")\n"),
		"broken.rpl":  []byte("package broken\n\nfn route(r: Request) -> Decision = to(r.task.type)\n"),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.LoadDir(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	d := runtime.NewDispatcher(e, runtime.DispatchConfig{Transport: "http", Hooks: runtime.Hooks{Trace: tr.Trace}})
	for _, c := range []struct {
		body, size, errors, failed, outcome string
		status                              codes.Code
	}{
		{`{"requests": [{"request": {"id": "a"}}, {"request": {"id": "b"}}]}`, "2", "0", "0", "", codes.Unset},
		{`{"requests": [{"request": {"id": "a"}}, {"request": {"id": "b", "budget": {"max_cost_usd": -1}}}]}`, "2", "1", "0", "", codes.Unset},
		{`{"requests": [{"request": {"id": "a"}}, {"request": {"id": "b", "task": {"type": "no target"}}, "policy_id": "broken"}, {"request": 5}]}`, "3", "2", "1", "", codes.Error},
		{`{"requests": []}`, "0", "0", "0", "", codes.Unset},
		{`{"requests": 5}`, "", "", "", "invalid_request", codes.Unset},
	} {
		x := d.Get()
		d.Serve(context.Background(), x, runtime.KindBatch, []byte(c.body), "", time.Now())
		d.Put(x)
		attrs, spans := spanAttrs(t, tr, exp)
		if len(spans) != 1 {
			t.Fatalf("%s: %d spans", c.body, len(spans))
		}
		a := attrs[0]
		if a["rpl.batch.size"] != c.size || a["rpl.batch.errors"] != c.errors || a["rpl.batch.failed"] != c.failed || a["rpl.outcome"] != c.outcome || spans[0].Status.Code != c.status {
			t.Errorf("%s: attributes %v, status %v", c.body, a, spans[0].Status)
		}
	}
}
