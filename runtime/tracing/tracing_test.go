package tracing_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	stdlog "log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/rpl-lang/rpl/internal/hdr"

	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/tracing"
)

func TestSpanPerDecision(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tr := tracing.NewWithExporter(exp)
	e := examples(t)
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

// examples is an engine with the example policies active.
func examples(tb testing.TB) *runtime.Engine {
	tb.Helper()
	e, err := runtime.New(runtime.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := e.LoadDir(context.Background(), "../../examples/policies"); err != nil {
		tb.Fatal(err)
	}
	return e
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
	e := examples(b)
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
	e := examples(t)
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

// member is a tracestate list member key=vvv… of size bytes in all.
func member(key string, size int) string {
	return key + "=" + strings.Repeat("v", size-len(key)-1)
}

// TestTraceStateTrimmed: a tracestate longer than MaxTraceState is
// trimmed to it as W3C Trace Context asks, whole list members removed,
// those longer than 128 characters first (right to left), then any from
// the right, until the rest fits; one of more than 32 list members is
// dropped all the same, as it is when short. (The long tracestate was
// dropped whole: the span had no trace state.)
func TestTraceStateTrimmed(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tr := tracing.NewWithExporter(exp)
	big1, big2 := member("big1", 200), member("big2", 129)
	small := func(i int) string { return member(fmt.Sprintf("s%d", i), 100) }
	many := make([]string, 33) // 33 members, 33×20+32 bytes
	for i := range many {
		many[i] = member(fmt.Sprintf("m%d", i), 20)
	}
	cases := []struct {
		values []string
		want   string
	}{
		// 513 bytes: the right one of the two long members goes.
		{[]string{member("k", 256) + "," + member("l", 256)}, member("k", 256)},
		// 100+200+100+129+100+100 and 5 commas, 734: both long ones go,
		// right to left, the right one not enough (604 left, then 403).
		{[]string{small(0) + "," + big1 + "," + small(1) + "," + big2 + "," + small(2) + "," + small(3)},
			strings.Join([]string{small(0), small(1), small(2), small(3)}, ",")},
		// 200+100×3+129 and 4 commas, 633: the right long one is enough (503).
		{[]string{big1, small(0), small(1), small(2), big2}, strings.Join([]string{big1, small(0), small(1), small(2)}, ",")},
		// None longer than 128: from the right, until 5 fit (504).
		{[]string{small(0) + "," + small(1) + ", " + small(2), small(3) + " ,\t" + small(4) + "," + small(5)},
			strings.Join([]string{small(0), small(1), small(2), small(3), small(4)}, ",")},
		// Optional white space is not counted: 512 bytes without it.
		{[]string{" " + member("a", 255) + " , " + member("b", 256) + " "}, member("a", 255) + "," + member("b", 256)},
		// More than 32 members, trimmed or not, is invalid.
		{[]string{strings.Join(many, ","), member("x", 30)}, ""},
		// Only members too long: nothing is left.
		{[]string{member("a", 513)}, ""},
	}
	for i, c := range cases {
		ctx := tracing.WithTraceState(context.Background(), c.values...)
		_, done := tr.Trace(ctx, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "http", runtime.KindV2)
		done(nil)
		if err := tr.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		spans := exp.GetSpans()
		if len(spans) != 1 {
			t.Fatalf("case %d: %d spans", i, len(spans))
		}
		if got := spans[0].SpanContext.TraceState().String(); got != c.want {
			t.Errorf("case %d: tracestate %q\n trace state %q\n want %q", i, c.values, got, c.want)
		}
		if len(c.want) > tracing.MaxTraceState {
			t.Errorf("case %d: want %d bytes", i, len(c.want))
		}
		exp.Reset()
	}
}

// TestSpansAfterShutdownCounted: a span that ends after Shutdown (a
// request still in flight when the drain ran out) is counted dropped
// (shutdown), whether it started before Shutdown or after. The tracer
// provider's own Shutdown took the processor off the spans, which then
// ended unseen and uncounted.
func TestSpansAfterShutdownCounted(t *testing.T) {
	tr := tracing.NewWithExporter(tracetest.NewInMemoryExporter())
	_, before := tr.Trace(context.Background(), "", "http", runtime.KindV2)
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	before(nil)
	_, after := tr.Trace(context.Background(), "", "http", runtime.KindV2)
	after(nil)
	if got := tr.Dropped(tracing.DroppedShutdown); got != 2 {
		t.Errorf("%d spans counted dropped after Shutdown, want 2", got)
	}
	if got := tr.Dropped(""); got != 2 {
		t.Errorf("%d spans counted dropped in all, want 2", got)
	}
}

// TestUnsampledParent: a request whose traceparent's sampled flag is off
// gets a span that is not exported (OpenTelemetry's default sampler
// follows the parent); with the flag on, or without a parent, it is.
func TestUnsampledParent(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tr := tracing.NewWithExporter(exp)
	for _, c := range []struct {
		traceparent string
		spans       int
	}{
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", 0},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", 1},
		{"", 1},
	} {
		exp.Reset()
		_, done := tr.Trace(context.Background(), c.traceparent, "http", runtime.KindV2)
		done(nil)
		if err := tr.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := len(exp.GetSpans()); n != c.spans {
			t.Errorf("traceparent %q: %d spans exported, want %d", c.traceparent, n, c.spans)
		}
	}
	if d := tr.Dropped(""); d != 0 {
		t.Errorf("%d spans counted dropped: an unsampled one is not a drop", d)
	}
}

// FuzzTraceState: whatever the tracestate values and traceparent, Trace
// starts and ends a span without panicking, and the span's trace state
// is at most MaxTraceState bytes.
func FuzzTraceState(f *testing.F) {
	f.Add("a=1,b=2", "c=3", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	f.Add(strings.Repeat("k=v,", 200), " x=1 ,", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")
	f.Add(member("big", 600), "a=1,a=2", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	exp := tracetest.NewInMemoryExporter()
	tr := tracing.NewWithExporter(exp)
	f.Fuzz(func(t *testing.T, a, b, traceparent string) {
		exp.Reset()
		ctx := tracing.WithTraceState(context.Background(), a, b)
		_, done := tr.Trace(ctx, traceparent, "http", runtime.KindV2)
		done(nil)
		if err := tr.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		for _, s := range exp.GetSpans() {
			if n := len(s.SpanContext.TraceState().String()); n > tracing.MaxTraceState {
				t.Fatalf("tracestate %q %q: a trace state of %d bytes", a, b, n)
			}
		}
	})
}

// TestEndpointRefused: an endpoint that is neither host:port nor an
// http or https URL is refused by New, naming it, rather than taken and
// every export failing (the host:port with a path became the host
// "collector:4318/v1/traces", unparsable at each export); a URL's scheme
// is read in any case, as URLs' are.
func TestEndpointRefused(t *testing.T) {
	for _, endpoint := range []string{
		"collector:4318/v1/traces", "collector:4318/", " collector:4318", "collector:43x8",
		"grpc://collector:4317", "http://", "http:///v1/traces", "collector:4318?x=1",
	} {
		tr, err := tracing.New(context.Background(), endpoint, nil)
		if err == nil {
			tr.Shutdown(context.Background())
			t.Errorf("%q: no error", endpoint)
			continue
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("%q", endpoint)) {
			t.Errorf("%q: the error does not name it: %v", endpoint, err)
		}
	}
	paths := make(chan string, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths <- r.URL.Path
	}))
	defer srv.Close()
	for _, endpoint := range []string{strings.Replace(srv.URL, "http://", "HTTP://", 1), strings.TrimPrefix(srv.URL, "http://")} {
		tr, err := tracing.New(context.Background(), endpoint, nil)
		if err != nil {
			t.Fatalf("%q: %v", endpoint, err)
		}
		_, done := tr.Trace(context.Background(), "", "http", runtime.KindV2)
		done(nil)
		err = tr.Flush(context.Background())
		tr.Shutdown(context.Background())
		if err != nil {
			t.Errorf("%q: %v", endpoint, err)
			continue
		}
		if got := <-paths; got != "/v1/traces" {
			t.Errorf("%q: exported to %s", endpoint, got)
		}
	}
}

// TestSpanStatus: a span is an error when the router failed (a policy
// that failed, an internal error), not when the client did (a request
// invalid, a policy it names that does not exist), whose status stays
// unset, rpl.outcome naming the code; a span without a policy chosen has
// no policy attributes. Every answer with an error was an error, and
// every span had the policy's id and version, empty when none.
func TestSpanStatus(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tr := tracing.NewWithExporter(exp)
	e := examples(t)
	for _, tc := range []struct {
		body    string
		outcome string
		status  codes.Code
		policy  bool
	}{
		{`{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "chat"}}`, "route", codes.Unset, true},
		{`{"version": "1", "request_id": "r", "tenant_id": "t", "policy_id": "nope", "task": {"type": "chat"}}`, "policy_not_found", codes.Unset, false},
	} {
		exp.Reset()
		ctx, done := tr.Trace(context.Background(), "", "http", runtime.KindCP1)
		_, _, o := e.HandleCP1(ctx, []byte(tc.body), runtime.CP1Meta{}, nil, nil)
		done(o)
		if err := tr.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		spans := exp.GetSpans()
		if len(spans) != 1 {
			t.Fatalf("%s: %d spans", tc.body, len(spans))
		}
		attrs := map[string]string{}
		for _, a := range spans[0].Attributes {
			attrs[string(a.Key)] = a.Value.Emit()
		}
		_, policy := attrs["rpl.policy.id"]
		if attrs["rpl.outcome"] != tc.outcome || spans[0].Status.Code != tc.status || policy != tc.policy {
			t.Errorf("%s: outcome %q, status %v, policy attributes %v; want %q, %v, %v", tc.body, attrs["rpl.outcome"], spans[0].Status.Code, policy, tc.outcome, tc.status, tc.policy)
		}
	}
	// A policy that fails: an internal error's span is an error.
	exp.Reset()
	_, done := tr.Trace(context.Background(), "", "http", runtime.KindCP1)
	done(&runtime.Outcome{Err: runtime.Errorf(runtime.CodeInternal, "boom")})
	if err := tr.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if spans := exp.GetSpans(); len(spans) != 1 || spans[0].Status.Code != codes.Error || spans[0].Status.Description != "boom" {
		t.Errorf("internal error: %+v, want an error span", spans)
	}
}

// otlpAnswering is a tracer exporting to an OTLP endpoint that answers
// each export with the next of answers (JSON), logging to logged.
func otlpAnswering(t *testing.T) (*tracing.Tracer, chan<- string, *strings.Builder) {
	answers := make(chan string, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, <-answers)
	}))
	t.Cleanup(srv.Close)
	logged := new(strings.Builder)
	tr, err := tracing.New(context.Background(), srv.URL, slog.New(slog.NewTextHandler(logged, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Shutdown(context.Background()) })
	return tr, answers, logged
}

// TestPartialSuccess: spans an OTLP endpoint rejects in a partial
// success (rejected_spans) are counted dropped, as rejected, and its
// error_message logged, once a minute at most as a failure is; the rest
// of the export is not counted as lost, and a partial success that
// rejects none (a warning) is no error. The exporter's error made every
// span of the export count as export_failed, those taken included.
func TestPartialSuccess(t *testing.T) {
	tr, answers, logged := otlpAnswering(t)
	export := func(spans int, answer string) error {
		t.Helper()
		for range spans {
			_, done := tr.Trace(context.Background(), "", "http", runtime.KindV2)
			done(nil)
		}
		answers <- answer
		return tr.Flush(context.Background())
	}
	if err := export(3, `{"partialSuccess": {"rejectedSpans": "2", "errorMessage": "spans too old"}}`); err == nil {
		t.Error("Flush: no error, 2 spans rejected")
	}
	if err := export(2, `{"partialSuccess": {"rejectedSpans": "1", "errorMessage": "again"}}`); err == nil {
		t.Error("Flush: no error, 1 span rejected")
	}
	if err := export(1, `{"partialSuccess": {"errorMessage": "slow down"}}`); err != nil {
		t.Errorf("Flush: %v, none rejected", err)
	}
	if err := export(1, `{}`); err != nil {
		t.Errorf("Flush: %v", err)
	}
	if got, all, failed := tr.Dropped(tracing.DroppedRejected), tr.Dropped(""), tr.Dropped(tracing.DroppedExportFailed); got != 3 || all != 3 || failed != 0 {
		t.Errorf("dropped: %d rejected, %d in all, %d export_failed; want 3, 3, 0", got, all, failed)
	}
	if n := strings.Count(logged.String(), "the OTLP endpoint rejected decision spans"); n != 1 {
		t.Errorf("the rejections logged %d times, want once:\n%s", n, logged.String())
	}
	if !strings.Contains(logged.String(), `spans=2 message="spans too old"`) {
		t.Errorf("the log lacks the spans rejected and the endpoint's message:\n%s", logged.String())
	}
	if !strings.Contains(logged.String(), `took the decision spans with a warning`) || !strings.Contains(logged.String(), `message="slow down"`) {
		t.Errorf("the warning is not logged as one:\n%s", logged.String())
	}
	if !slices.Contains(tracing.DropReasons, tracing.DroppedRejected) {
		t.Errorf("DropReasons %v lack %s", tracing.DropReasons, tracing.DroppedRejected)
	}
}

// TestPartialSuccessWarningFirst: a partial success that rejects nothing
// (a warning) is logged as one, and does not take the turn of the
// rejections' log: a rejection after it is logged. It was logged as
// "spans=0" rejected, and the rejection within the minute after was not.
func TestPartialSuccessWarningFirst(t *testing.T) {
	tr, answers, logged := otlpAnswering(t)
	for _, answer := range []string{`{"partialSuccess": {"errorMessage": "slow down"}}`, `{"partialSuccess": {"rejectedSpans": "1", "errorMessage": "too old"}}`} {
		_, done := tr.Trace(context.Background(), "", "http", runtime.KindV2)
		done(nil)
		answers <- answer
		tr.Flush(context.Background())
	}
	if !strings.Contains(logged.String(), `spans=1 message="too old"`) || strings.Contains(logged.String(), "spans=0") {
		t.Errorf("the rejection after a warning is not logged, or the warning logged as a rejection:\n%s", logged.String())
	}
}

// TestShutdownEndpointSilent: over OTLP/HTTP, a Flush whose export waits
// on an endpoint that takes the request and never answers does not hold
// the tracer's Shutdown past its context's deadline: both return, the
// span counted export_failed. Shutdown waited for the Flush's export, up
// to OTEL_BSP_EXPORT_TIMEOUT.
func TestShutdownEndpointSilent(t *testing.T) {
	t.Setenv("OTEL_BSP_EXPORT_TIMEOUT", "3600000") // the Flush's export ends with Shutdown only
	t.Setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "3600000")
	entered := make(chan struct{}, 4)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		select { // silent until the client gives up, or the test ends
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	tr, err := tracing.New(context.Background(), srv.URL, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	_, done := tr.Trace(context.Background(), "", "http", runtime.KindV2)
	done(nil)
	flushed := make(chan error, 1)
	go func() { flushed <- tr.Flush(context.Background()) }()
	<-entered // the Flush's export waits for the answer
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- tr.Shutdown(ctx) }()
	select {
	case err := <-shut:
		if err == nil {
			t.Error("Shutdown: no error, its deadline passed with a span not exported")
		}
	case <-time.After(10 * time.Second): // a hang, not a time measured
		t.Fatal("Shutdown did not return at its deadline: the Flush's export held it")
	}
	if got := tr.Dropped(tracing.DroppedExportFailed); got != 1 {
		t.Errorf("%d spans counted export_failed, want 1", got)
	}
	if err := <-flushed; err == nil {
		t.Error("Flush: no error, its export was stopped")
	}
}

// TestResource: spans are exported as service rpl-router at the router's
// version, unless OTEL_SERVICE_NAME, else service.name in
// OTEL_RESOURCE_ATTRIBUTES, names another; the variable's other
// attributes are taken.
func TestResource(t *testing.T) {
	for _, c := range []struct{ name, attrs, want string }{
		{"", "", "rpl-router"},
		{"routing-eu", "", "routing-eu"},
		{"", "service.name=from-attrs,deployment.environment=prod", "from-attrs"},
		{"routing-eu", "service.name=from-attrs,deployment.environment=prod", "routing-eu"},
	} {
		t.Setenv("OTEL_SERVICE_NAME", c.name)
		t.Setenv("OTEL_RESOURCE_ATTRIBUTES", c.attrs)
		exp := tracetest.NewInMemoryExporter()
		tr := tracing.NewWithExporter(exp)
		_, done := tr.Trace(context.Background(), "", "http", runtime.KindV2)
		done(nil)
		_, spans := spanAttrs(t, tr, exp)
		got := map[string]string{}
		for _, a := range spans[0].Resource.Attributes() {
			got[string(a.Key)] = a.Value.Emit()
		}
		if got["service.name"] != c.want || got["service.version"] != tracing.ServiceVersion() || got["service.version"] == "" {
			t.Errorf("OTEL_SERVICE_NAME=%q OTEL_RESOURCE_ATTRIBUTES=%q: resource %v, want service.name %s", c.name, c.attrs, got, c.want)
		}
		if c.attrs != "" && got["deployment.environment"] != "prod" {
			t.Errorf("OTEL_RESOURCE_ATTRIBUTES=%q: resource %v", c.attrs, got)
		}
	}
}

// TestOTelErrorsLogged: OpenTelemetry's own errors (an
// OTEL_RESOURCE_ATTRIBUTES it cannot read, which the provider reads
// again) are lines of the router's log, not of Go's log package, which
// --log-format json did not cover.
func TestOTelErrorsLogged(t *testing.T) {
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "bad")
	var std, logged bytes.Buffer
	defer stdlog.SetOutput(os.Stderr) // last: slog.SetDefault sets it too
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.NewJSONHandler(&logged, nil)))
	stdlog.SetOutput(&std) // after: Go's log lines apart from slog's
	tr := tracing.NewWithExporter(tracetest.NewInMemoryExporter())
	defer tr.Shutdown(context.Background())
	if std.Len() > 0 {
		t.Errorf("Go's log: %q, want nothing", std.String())
	}
	if !strings.Contains(logged.String(), `"msg":"tracing: OpenTelemetry","err":"partial resource: missing value: [bad]"`) {
		t.Errorf("the router's log: %s, want OpenTelemetry's error", logged.String())
	}
}
