// Package tracing creates an OpenTelemetry span per decision, exported
// over OTLP/HTTP, as a Trace hook for the HTTP and NATS transports. The
// parent comes from the request's W3C traceparent, and the vendors'
// state from its tracestate (WithTraceState), exported as the span's
// trace_state; without a traceparent, a CP1
// request's trace_id, when a W3C trace id, is the trace of the span (a
// root in it: see runtime.WithTraceID). The span carries the
// transport (rpl.transport: http, nats), the request's kind (rpl.kind:
// cp1, v2, batch, feedback), and for a decision the policy id, the policy
// version and the outcome; for a batch, its counts (endBatch). Spans are sampled by OpenTelemetry's default
// sampler, which follows the parent: a traceparent whose sampled flag is
// off gives a span that is not exported (nor counted dropped), and
// OTEL_TRACES_SAMPLER picks another sampler. Ended spans are exported in batches, with the
// limits of the SDK's BatchSpanProcessor (and its OTEL_BSP_* variables),
// by a processor that does not wake its exporter for each span (batcher).
package tracing

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/runtime"
)

// Tracer makes decision spans.
type Tracer struct {
	tp     *sdktrace.TracerProvider
	b      *batcher
	tracer trace.Tracer
	prop   propagation.TraceContext
}

// New exports spans to the OTLP/HTTP endpoint: host:port (plain HTTP),
// or a URL read as OTEL_EXPORTER_OTLP_ENDPOINT is, the base of the traces
// path (http://collector:4318 exports to http://collector:4318/v1/traces;
// a URL whose path ends in /v1/traces is used as it is). A URL with a
// path that OTEL_EXPORTER_OTLP_TRACES_ENDPOINT holds is used as it is, as
// OpenTelemetry reads that variable. An endpoint that is neither
// host:port nor an http or https URL is an error. Failed exports are
// logged to log (nil: slog.Default).
func New(ctx context.Context, endpoint string, log *slog.Logger, opts ...sdktrace.TracerProviderOption) (*Tracer, error) {
	eo, err := endpointOptions(endpoint)
	if err != nil {
		return nil, err
	}
	exp, err := otlptracehttp.New(ctx, eo...)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	return newTracer(exp, log, opts...), nil
}

// endpointOptions are the exporter's options for endpoint (see New).
// One that is neither host:port nor an http or https URL (a host:port
// with a path, white space, another scheme) is an error naming it: taken,
// every export would fail.
func endpointOptions(endpoint string) ([]otlptracehttp.Option, error) {
	if !strings.Contains(endpoint, "://") {
		if u, err := url.Parse("http://" + endpoint); err != nil || u.Host != endpoint || u.Hostname() == "" {
			return nil, fmt.Errorf("OTLP endpoint %q: want host:port, or an http:// or https:// URL", endpoint)
		}
		return []otlptracehttp.Option{otlptracehttp.WithEndpoint(endpoint), otlptracehttp.WithInsecure()}, nil
	}
	u, err := url.Parse(endpoint) // the scheme in any case, lowered
	switch {
	case err != nil:
		return nil, fmt.Errorf("OTLP endpoint %q: %w", endpoint, errors.Unwrap(err))
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("OTLP endpoint %q: the scheme is %s, want http or https (OTLP/HTTP)", endpoint, u.Scheme)
	case u.Hostname() == "":
		return nil, fmt.Errorf("OTLP endpoint %q: no host", endpoint)
	}
	// OpenTelemetry's variable for traces holds the traces URL itself,
	// path included (an ingest's /otlp/traces); without a path, which
	// OpenTelemetry reads as /, no collector's, it is a base too.
	asIs := endpoint == os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") && strings.Trim(u.Path, "/") != ""
	if !asIs && !strings.HasSuffix(u.Path, tracesPath) {
		u.Path = strings.TrimSuffix(u.Path, "/") + tracesPath
	}
	return []otlptracehttp.Option{otlptracehttp.WithEndpointURL(u.String())}, nil
}

// tracesPath is OTLP/HTTP's path for traces.
const tracesPath = "/v1/traces"

// NewWithExporter exports spans with exp (tests use an in-memory one);
// failed exports are logged to slog.Default.
func NewWithExporter(exp sdktrace.SpanExporter, opts ...sdktrace.TracerProviderOption) *Tracer {
	return newTracer(exp, slog.Default(), opts...)
}

func newTracer(exp sdktrace.SpanExporter, log *slog.Logger, opts ...sdktrace.TracerProviderOption) *Tracer {
	// OpenTelemetry's own errors (the provider reads
	// OTEL_RESOURCE_ATTRIBUTES again) go to log, as the router's lines
	// do: by default they were a line of Go's log package, outside
	// --log-format json.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { log.Warn("tracing: OpenTelemetry", "err", err) }))
	res := newResource(log)
	b := newBatcher(exp, log)
	tp := sdktrace.NewTracerProvider(append([]sdktrace.TracerProviderOption{sdktrace.WithSpanProcessor(b), sdktrace.WithResource(res), sdktrace.WithIDGenerator(ids{})}, opts...)...)
	return &Tracer{tp: tp, b: b, tracer: tp.Tracer("github.com/rpl-lang/rpl/runtime")}
}

// newResource is the resource the spans are exported with:
// service.name rpl-router and service.version the router's
// (ServiceVersion), OpenTelemetry's variables taking precedence: the
// attributes of OTEL_RESOURCE_ATTRIBUTES, service.name among them, and
// OTEL_SERVICE_NAME over all. Attributes of OTEL_RESOURCE_ATTRIBUTES
// that cannot be read are left out, logged at WARN.
func newResource(log *slog.Logger) *resource.Resource {
	res, err := resource.New(context.Background(),
		resource.WithAttributes(attribute.String("service.name", "rpl-router"), attribute.String("service.version", ServiceVersion())),
		resource.WithFromEnv())
	if err != nil {
		log.Warn("tracing: OTEL_RESOURCE_ATTRIBUTES not read whole", "err", err)
	}
	return res
}

// ServiceVersion is the router's version, as spans' service.version
// gives it: the module's version ("(devel)" for a build outside a
// release), its VCS revision when the binary carries one, and the Go
// version, as rpl-router --version prints it.
func ServiceVersion() string { return strings.TrimPrefix(bundle.CompilerVersion(), "rpl ") }

var _ runtime.TraceFunc = (*Tracer)(nil).Trace

// ids makes a root span's ids: its trace id is the one the request named
// (runtime.TraceIDFrom: a CP1 body's trace_id, when no valid traceparent
// came with it), random otherwise, as are span ids. The SDK asks for a
// root's ids with the context Start was given.
type ids struct{}

func (ids) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	if tid, err := trace.TraceIDFromHex(runtime.TraceIDFrom(ctx)); err == nil {
		return tid, newSpanID()
	}
	var tid trace.TraceID
	for !tid.IsValid() {
		binary.BigEndian.PutUint64(tid[:8], rand.Uint64())
		binary.BigEndian.PutUint64(tid[8:], rand.Uint64())
	}
	return tid, newSpanID()
}

func (ids) NewSpanID(context.Context, trace.TraceID) trace.SpanID { return newSpanID() }

func newSpanID() trace.SpanID {
	var sid trace.SpanID
	for !sid.IsValid() {
		binary.BigEndian.PutUint64(sid[:], rand.Uint64())
	}
	return sid
}

// carrier is what Trace extracts the parent from: the request's
// traceparent and tracestate headers.
type carrier struct{ traceparent, tracestate string }

func (c carrier) Get(key string) string {
	switch key {
	case "traceparent":
		return c.traceparent
	case "tracestate":
		return c.tracestate
	}
	return ""
}
func (c carrier) Set(string, string) {}
func (c carrier) Keys() []string     { return []string{"traceparent", "tracestate"} }

type traceStateKey struct{}

// MaxTraceState is the longest tracestate carried, in bytes: W3C Trace
// Context's limit of what a vendor must propagate (its other limit, 32
// list members, is checked by OpenTelemetry's parse, and before trimming).
const MaxTraceState = 512

// maxTraceStateMembers is W3C Trace Context's most list members in a
// tracestate (its grammar's: one with more is invalid), and
// bigTraceStateMember the size beyond which a member is the first
// removed when the list is too long.
const (
	maxTraceStateMembers = 32
	bigTraceStateMember  = 128
)

// WithTraceState returns ctx carrying a request's W3C tracestate header,
// its values (a request may repeat the header, the values making one
// list, in order), for Trace to give the span it starts as a child of
// the request's traceparent: the span's trace state, exported as its
// trace_state. A tracestate longer than MaxTraceState (its values and
// the commas between them) is trimmed to fit, as W3C Trace Context
// asks: whole list members are removed, those longer than 128
// characters first, from the right, then any from the right, until the
// rest (its members, without the optional white space around them, and
// commas) is at most MaxTraceState bytes. An invalid one (more than 32
// list members, before or after trimming, a key given twice, a
// malformed member) is dropped, by Trace but for the count, and the
// request is traced without one, never refused. Without values, or with
// nothing left, ctx is returned as it is (nothing allocated).
func WithTraceState(ctx context.Context, values ...string) context.Context {
	n := len(values) - 1
	for _, v := range values {
		n += len(v)
	}
	if len(values) == 0 || n == 0 {
		return ctx
	}
	var ts string
	switch {
	case n > MaxTraceState:
		if ts = trimTraceState(values); ts == "" {
			return ctx
		}
	case len(values) > 1:
		ts = strings.Join(values, ",")
	default:
		ts = values[0]
	}
	return context.WithValue(ctx, traceStateKey{}, ts)
}

// trimTraceState is the tracestate values make, longer than
// MaxTraceState, trimmed to it (WithTraceState); "" when nothing is
// left, or when it has more than 32 list members (invalid: none is
// removed to make it valid, as none would be from a short one).
func trimTraceState(values []string) string {
	var members []string
	for _, v := range values {
		for m := range strings.SplitSeq(v, ",") {
			if m = strings.Trim(m, " \t"); m != "" {
				members = append(members, m)
			}
		}
	}
	if len(members) > maxTraceStateMembers {
		return ""
	}
	size := len(members) - 1
	for _, m := range members {
		size += len(m)
	}
	// The members longer than bigTraceStateMember, right to left, as
	// long as the list is too long; then any, from the right.
	for i := len(members) - 1; i >= 0 && size > MaxTraceState; i-- {
		if len(members[i]) > bigTraceStateMember {
			size -= len(members[i]) + 1
			members = append(members[:i], members[i+1:]...)
		}
	}
	for size > MaxTraceState {
		size -= len(members[len(members)-1]) + 1
		members = members[:len(members)-1]
	}
	return strings.Join(members, ",")
}

// spanName names a request's span: rpl.decide (CP1 and v2 decisions),
// rpl.decide.batch, rpl.feedback.
func spanName(kind runtime.Kind) string {
	switch kind {
	case runtime.KindBatch:
		return "rpl.decide.batch"
	case runtime.KindFeedback:
		return "rpl.feedback"
	}
	return "rpl.decide"
}

// Trace is the transports' hook (a runtime.TraceFunc): it starts a span
// named for the request's kind (spanName: rpl.decide for a decision),
// child of traceparent when valid (its trace state the request's
// tracestate, which the transport put in ctx with WithTraceState, when
// valid), else a root in
// the trace ctx names (runtime.TraceIDFrom: a CP1 request's trace_id,
// when a W3C trace id), else a root in a new trace, with the
// transport ("http", "nats") as rpl.transport and the request's kind
// (cp1, v2, batch, feedback) as rpl.kind, and returns the function that
// ends it with the outcome.
func (t *Tracer) Trace(ctx context.Context, traceparent, transport string, kind runtime.Kind) (context.Context, func(*runtime.Outcome)) {
	if traceparent != "" {
		ts, _ := ctx.Value(traceStateKey{}).(string) // WithTraceState's
		ctx = t.prop.Extract(ctx, carrier{traceparent, ts})
	}
	ctx, span := t.tracer.Start(ctx, spanName(kind), trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("rpl.transport", transport), attribute.String("rpl.kind", kind.String())))
	return ctx, func(o *runtime.Outcome) {
		if kind == runtime.KindBatch && o != nil && o.Err == nil {
			endBatch(span, o.Batch)
			return
		}
		if o != nil {
			kv := [...]attribute.KeyValue{
				attribute.String("rpl.outcome", o.Result()),
				attribute.String("rpl.request.id", o.RequestID),
				attribute.Int64("rpl.fuel", o.Stats.Fuel),
				attribute.String("rpl.policy.id", o.PolicyID()),
				attribute.String("rpl.policy.version", o.Version()),
			}
			n := len(kv)
			if o.PolicyID() == "" { // none chosen: a request refused before
				n -= 2
			}
			span.SetAttributes(kv[:n]...) // one call, as before the policy's became optional: 576 B and 2 allocations fewer a span than two
			// The router's failure (runtime.Code.Failure) marks the span
			// as an error; a client's error (a request invalid, a tenant
			// refused, a policy it names that does not exist) leaves its
			// status unset, as OpenTelemetry has servers do for HTTP's
			// 4xx, so that a client sending bad requests does not raise
			// the router's error rate in a tracing backend; rpl.outcome
			// names it.
			if o.Err != nil && o.Err.Code.Failure() {
				span.SetStatus(codes.Error, o.Err.Message)
			}
		}
		span.End()
	}
}

// endBatch ends the span of a batch answered (not refused whole) with
// its counts: rpl.batch.size (its requests), rpl.batch.errors (those
// answered with an error), rpl.batch.failed (those of them the router's
// failure: decision_failed, ...), the status an error when any failed.
func endBatch(span trace.Span, n runtime.BatchCounts) {
	span.SetAttributes(
		attribute.Int("rpl.batch.size", n.Requests),
		attribute.Int("rpl.batch.errors", n.Errors),
		attribute.Int("rpl.batch.failed", n.Failed))
	if n.Failed > 0 {
		span.SetStatus(codes.Error, fmt.Sprintf("%d of %s failed", n.Failed, runtime.Count(n.Requests, "request")))
	}
	span.End()
}

// Shutdown flushes and stops the exporter; a span ended afterwards (a
// request still in flight) is dropped and counted (DroppedShutdown). It
// shuts the batcher down, not the tracer provider: the provider's
// Shutdown takes its processors off the spans, which would then end
// unseen, not counted.
func (t *Tracer) Shutdown(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return t.b.Shutdown(ctx)
}

// Flush exports the spans ended so far.
func (t *Tracer) Flush(ctx context.Context) error { return t.tp.ForceFlush(ctx) }

// Dropped is the number of spans dropped for reason, or for any reason
// when it is "": DroppedQueueFull, beyond the export queue's limit
// (OTEL_BSP_MAX_QUEUE_SIZE, 2048 by default); DroppedExportFailed, their
// export failed (the endpoint unreachable, refusing them, or slower than
// OTEL_BSP_EXPORT_TIMEOUT); DroppedRejected, the endpoint took the export
// but rejected them (the rejected_spans of an OTLP partial success);
// DroppedShutdown, ended after Shutdown.
func (t *Tracer) Dropped(reason string) int64 { return t.b.Dropped(reason) }
