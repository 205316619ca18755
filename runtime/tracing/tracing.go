// Package tracing creates an OpenTelemetry span per decision, exported
// over OTLP/HTTP, as a Trace hook for the HTTP and NATS transports. The
// parent comes from the request's W3C traceparent; the span carries the
// transport (rpl.transport: http, nats), the request's kind (rpl.kind:
// cp1, v2, batch, feedback), and for a decision the policy id, the policy
// version and the outcome.
package tracing

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/rpl-lang/rpl/runtime"
)

// Tracer makes decision spans.
type Tracer struct {
	tp     *sdktrace.TracerProvider
	tracer trace.Tracer
	prop   propagation.TraceContext
}

// New exports spans to the OTLP/HTTP endpoint (host:port, or a URL).
func New(ctx context.Context, endpoint string, opts ...sdktrace.TracerProviderOption) (*Tracer, error) {
	var eo []otlptracehttp.Option
	if len(endpoint) > 7 && (endpoint[:7] == "http://" || endpoint[:8] == "https://") {
		eo = append(eo, otlptracehttp.WithEndpointURL(endpoint))
	} else {
		eo = append(eo, otlptracehttp.WithEndpoint(endpoint), otlptracehttp.WithInsecure())
	}
	exp, err := otlptracehttp.New(ctx, eo...)
	if err != nil {
		return nil, err
	}
	return NewWithExporter(exp, opts...), nil
}

// NewWithExporter exports spans with exp (tests use an in-memory one).
func NewWithExporter(exp sdktrace.SpanExporter, opts ...sdktrace.TracerProviderOption) *Tracer {
	res := resource.NewSchemaless(attribute.String("service.name", "rpl-router"))
	tp := sdktrace.NewTracerProvider(append([]sdktrace.TracerProviderOption{sdktrace.WithBatcher(exp), sdktrace.WithResource(res)}, opts...)...)
	return &Tracer{tp: tp, tracer: tp.Tracer("github.com/rpl-lang/rpl/runtime")}
}

var _ runtime.TraceFunc = (*Tracer)(nil).Trace

type carrier string

func (c carrier) Get(key string) string {
	if key == "traceparent" {
		return string(c)
	}
	return ""
}
func (c carrier) Set(string, string) {}
func (c carrier) Keys() []string     { return []string{"traceparent"} }

// Trace is the transports' hook (a runtime.TraceFunc): it starts a span
// named "rpl.decide" (child of traceparent when valid), with the
// transport ("http", "nats") as rpl.transport and the request's kind
// (cp1, v2, batch, feedback) as rpl.kind, and returns the function that
// ends it with the outcome.
func (t *Tracer) Trace(ctx context.Context, traceparent, transport string, kind runtime.Kind) (context.Context, func(*runtime.Outcome)) {
	if traceparent != "" {
		ctx = t.prop.Extract(ctx, carrier(traceparent))
	}
	ctx, span := t.tracer.Start(ctx, "rpl.decide", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("rpl.transport", transport), attribute.String("rpl.kind", kind.String())))
	return ctx, func(o *runtime.Outcome) {
		if o != nil {
			span.SetAttributes(
				attribute.String("rpl.policy.id", o.PolicyID()),
				attribute.String("rpl.policy.version", o.Version()),
				attribute.String("rpl.outcome", o.Result()),
				attribute.String("rpl.request.id", o.RequestID),
				attribute.Int64("rpl.fuel", o.Stats.Fuel),
			)
			if o.Err != nil {
				span.SetStatus(codes.Error, o.Err.Message)
			}
		}
		span.End()
	}
}

// Shutdown flushes and stops the exporter.
func (t *Tracer) Shutdown(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return t.tp.Shutdown(ctx)
}

// Flush exports the spans ended so far.
func (t *Tracer) Flush(ctx context.Context) error { return t.tp.ForceFlush(ctx) }
