package natsx_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	rt "github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/natsx"
	"github.com/rpl-lang/rpl/runtime/tracing"
)

// TestTraceState: a message's W3C tracestate header, its name in any
// case, is the trace state of its span, a child of its traceparent, its
// values in one list when repeated; one malformed or beyond W3C's limits
// is dropped, the request answered all the same. (The header was
// dropped: the spans had no trace state.)
func TestTraceState(t *testing.T) {
	_, nc := embedded(t, "")
	exp := tracetest.NewInMemoryExporter()
	tr := tracing.NewWithExporter(exp)
	srv, err := natsx.Serve(nc, newEngine(t, nil), natsx.Config{Workers: 1, Hooks: rt.Hooks{Trace: tr.Trace}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	many := "k0=v"
	for i := 1; i < 33; i++ {
		many += fmt.Sprintf(",k%d=v", i)
	}
	cases := []struct {
		header nats.Header
		want   string
	}{
		{nats.Header{"tracestate": {"congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"}}, "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"},
		{nats.Header{"Tracestate": {"congo=t61rcWkgMzE"}}, "congo=t61rcWkgMzE"},
		{nats.Header{"TRACESTATE": {"congo=t61rcWkgMzE", "rojo=00f067aa0ba902b7"}}, "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"},
		{nats.Header{"tracestate": {many}}, ""}, // 33 list members
		{nats.Header{"tracestate": {"=nokey"}}, ""},
		{nats.Header{}, ""},
	}
	for i, c := range cases {
		msg := nats.NewMsg(natsx.SubjectDecide)
		msg.Data = fmt.Appendf(nil, `{"request": {"id": "r-%d"}}`, i)
		msg.Header = c.header
		msg.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
		resp, err := nc.RequestMsg(msg, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if json.Unmarshal(resp.Data, &m) != nil || m["ok"] != true {
			t.Errorf("tracestate %v: answer %s", c.header, resp.Data)
		}
	}
	if err := tr.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans := exp.GetSpans()
	if len(spans) != len(cases) {
		t.Fatalf("%d spans, want %d", len(spans), len(cases))
	}
	for i, sp := range spans {
		if sp.Parent.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" {
			t.Errorf("span %d: not a child of the traceparent", i)
		}
		if got := sp.SpanContext.TraceState().String(); got != cases[i].want {
			t.Errorf("tracestate %v: the span's trace state %q, want %q", cases[i].header, got, cases[i].want)
		}
	}
}
