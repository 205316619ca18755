package tracing_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/rpl-lang/rpl/internal/hdr"

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

// discard is an exporter that drops what it is given.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

// BenchmarkSpanPaced: a decision's span started and ended every 100 µs,
// as a router at 10,000 decisions/s does, the exporter running; the
// percentiles are those of ending it (done), where the span is handed to
// the exporter.
func BenchmarkSpanPaced(b *testing.B) {
	tr := tracing.NewWithExporter(discard{})
	defer tr.Shutdown(context.Background())
	e, err := runtime.New(runtime.Config{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := e.LoadDir(context.Background(), "../../examples/policies"); err != nil {
		b.Fatal(err)
	}
	_, _, o := e.HandleCP1(context.Background(), []byte(`{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "chat"}}`), runtime.CP1Meta{}, nil, nil)
	h := hdr.New(hdr.DefaultBits)
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		for due := time.Duration(i) * 100 * time.Microsecond; time.Since(start) < due; {
		}
		_, done := tr.Trace(context.Background(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "nats", runtime.KindCP1)
		t0 := time.Now()
		done(o)
		h.Record(time.Since(t0))
	}
	for _, q := range []float64{.5, .9, .99} {
		b.ReportMetric(float64(h.Quantile(q).Nanoseconds()), fmt.Sprintf("p%g-ns", q*100))
	}
}

// A CP1 request without a valid traceparent whose trace_id is a W3C trace
// id is a root span in that trace; a valid traceparent wins, and a
// trace_id that is not a trace id leaves the trace to chance.
func TestSpanJoinsCP1TraceID(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tr := tracing.NewWithExporter(exp)
	e, err := runtime.New(runtime.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.LoadDir(context.Background(), "../../examples/policies"); err != nil {
		t.Fatal(err)
	}
	d := runtime.NewDispatcher(e, runtime.DispatchConfig{Transport: "http", Hooks: runtime.Hooks{Trace: tr.Trace}})
	const body = `{"version": "1", "request_id": "r", "trace_id": "%s", "tenant_id": "t", "task": {"type": "chat"}}`
	for _, c := range []struct{ traceID, traceparent, want, parent string }{
		{"4bf92f3577b34da6a3ce929d0e0e4737", "", "4bf92f3577b34da6a3ce929d0e0e4737", ""},
		{"4bf92f3577b34da6a3ce929d0e0e4737", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"},
		{"4bf92f3577b34da6a3ce929d0e0e4737", "00-zz-00f067aa0ba902b7-01", "4bf92f3577b34da6a3ce929d0e0e4737", ""},
		{"tr-1", "", "", ""},
		{"4BF92F3577B34DA6A3CE929D0E0E4737", "", "", ""},
		{"00000000000000000000000000000000", "", "", ""},
	} {
		exp.Reset()
		x := d.Get()
		if _, code := d.Serve(context.Background(), x, runtime.KindCP1, fmt.Appendf(nil, body, c.traceID), c.traceparent, time.Now()); code != "" {
			t.Fatalf("%+v: %s", c, code)
		}
		d.Put(x)
		if err := tr.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		spans := exp.GetSpans()
		if len(spans) != 1 {
			t.Fatalf("%+v: %d spans", c, len(spans))
		}
		sc, parent := spans[0].SpanContext, spans[0].Parent
		switch {
		case !sc.TraceID().IsValid() || !sc.SpanID().IsValid():
			t.Errorf("%+v: invalid ids %v", c, sc)
		case c.want != "" && sc.TraceID().String() != c.want:
			t.Errorf("%+v: trace %s", c, sc.TraceID())
		case c.want == "" && sc.TraceID().String() == strings.ToLower(c.traceID):
			t.Errorf("%+v: the span took a trace_id that is not a trace id", c)
		case c.parent == "" && parent.IsValid(), c.parent != "" && parent.SpanID().String() != c.parent:
			t.Errorf("%+v: parent %v", c, parent)
		}
	}
}

// TestSpanNames: a span is named for its request's kind.
func TestSpanNames(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tr := tracing.NewWithExporter(exp)
	for _, kind := range []runtime.Kind{runtime.KindCP1, runtime.KindV2, runtime.KindBatch, runtime.KindFeedback} {
		_, done := tr.Trace(context.Background(), "", "http", kind)
		done(nil)
	}
	if err := tr.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range exp.GetSpans() {
		names = append(names, s.Name)
	}
	if got, want := strings.Join(names, " "), "rpl.decide rpl.decide rpl.decide.batch rpl.feedback"; got != want {
		t.Errorf("span names %s, want %s", got, want)
	}
}

// TestTracesEndpointAsIs: a URL that OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
// holds is the traces URL itself, as OpenTelemetry reads that variable:
// a path other than /v1/traces was taken for a base, and the spans sent
// to it + /v1/traces, which the collector did not serve. The flag's and
// OTEL_EXPORTER_OTLP_ENDPOINT's URL stay a base.
func TestTracesEndpointAsIs(t *testing.T) {
	paths := make(chan string, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths <- r.URL.Path
	}))
	defer srv.Close()
	for _, c := range []struct{ env, endpoint, want string }{
		{srv.URL + "/otlp/traces", srv.URL + "/otlp/traces", "/otlp/traces"},
		{srv.URL, srv.URL, "/v1/traces"}, // no path: OpenTelemetry's would be /, which no collector serves
		{"", srv.URL + "/otlp", "/otlp/v1/traces"},
	} {
		t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", c.env)
		tr, err := tracing.New(context.Background(), c.endpoint, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, done := tr.Trace(context.Background(), "", "http", runtime.KindV2)
		done(nil)
		tr.Flush(context.Background())
		tr.Shutdown(context.Background())
		if got := <-paths; got != c.want {
			t.Errorf("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT %q, endpoint %q: exported to %s, want %s", c.env, c.endpoint, got, c.want)
		}
	}
}
