package tracing_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/tracing"
)

func TestSpanPerDecision(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tr := tracing.NewWithExporter(exp)
	e, err := runtime.New(runtime.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.LoadDir(context.Background(), "../../examples/policies"); err != nil {
		t.Fatal(err)
	}
	ctx, done := tr.Trace(context.Background(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "nats", runtime.KindCP1)
	_, _, o := e.HandleCP1(ctx, []byte(`{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "chat"}}`), runtime.CP1Meta{}, nil, nil)
	done(o)
	if err := tr.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	s := spans[0]
	if s.SpanContext.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" || s.Parent.SpanID().String() != "00f067aa0ba902b7" {
		t.Errorf("span not a child of the traceparent: %v parent %v", s.SpanContext.TraceID(), s.Parent.SpanID())
	}
	attrs := map[string]string{}
	for _, a := range s.Attributes {
		attrs[string(a.Key)] = a.Value.Emit()
	}
	if attrs["rpl.policy.id"] != "default" || attrs["rpl.policy.version"] != e.Current().Version || attrs["rpl.outcome"] != "route" ||
		attrs["rpl.transport"] != "nats" || attrs["rpl.kind"] != "cp1" {
		t.Errorf("attributes %v", attrs)
	}
}
