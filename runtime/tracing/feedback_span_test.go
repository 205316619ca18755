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

// TestFeedbackSpanOutcome: a refused feedback's span carries its code as
// rpl.outcome, its status an error for the router's failures (a full
// ledger: overloaded) and unset for a client's (invalid_request), as a
// decision's.
func TestFeedbackSpanOutcome(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tr := tracing.NewWithExporter(exp)
	e, err := runtime.New(runtime.Config{State: state.NewMem(state.Options{MaxLedger: 1})})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.LoadDir(context.Background(), "../../examples/policies"); err != nil {
		t.Fatal(err)
	}
	d := runtime.NewDispatcher(e, runtime.DispatchConfig{Transport: "http", Hooks: runtime.Hooks{Trace: tr.Trace}})
	for _, c := range []struct {
		body, id, outcome string
		status            codes.Code
	}{
		{`{"request_id": "f1", "tenant_id": "t", "target": "p:m", "status": "ok", "cost": 1}`, "f1", "", codes.Unset},
		{`{"request_id": "f2", "tenant_id": "u", "target": "p:m", "status": "ok", "cost": 1}`, "f2", "overloaded", codes.Error},
		{`{"request_id": "f3"}`, "f3", "invalid_request", codes.Unset},
	} {
		exp.Reset()
		x := d.Get()
		d.Serve(context.Background(), x, runtime.KindFeedback, []byte(c.body), "", time.Now())
		d.Put(x)
		if err := tr.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		spans := exp.GetSpans()
		if len(spans) != 1 {
			t.Fatalf("%s: %d spans", c.body, len(spans))
		}
		attrs := map[string]string{}
		for _, a := range spans[0].Attributes {
			attrs[string(a.Key)] = a.Value.Emit()
		}
		if attrs["rpl.outcome"] != c.outcome || spans[0].Status.Code != c.status {
			t.Errorf("%s: outcome %q, status %v; want %q, %v (%v)", c.body, attrs["rpl.outcome"], spans[0].Status.Code, c.outcome, c.status, attrs)
		}
		// A refusal names its request, and an error status says why.
		if c.outcome != "" && attrs["rpl.request.id"] != c.id {
			t.Errorf("%s: rpl.request.id %q", c.body, attrs["rpl.request.id"])
		}
		if c.status == codes.Error && spans[0].Status.Description == "" {
			t.Errorf("%s: an error status without its message", c.body)
		}
	}
}
