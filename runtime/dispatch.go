package runtime

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rpl-lang/rpl/internal/jsonx"
)

// Kind is what a transport's request asks of the engine: the contract its
// body is in.
type Kind uint8

// The kinds: one a decide endpoint or subject.
const (
	KindCP1      Kind = iota // a CP1 DecideRequest (HandleCP1)
	KindV2                   // a v2 decide (HandleV2)
	KindBatch                // a v2 batch (HandleV2Batch)
	KindFeedback             // feedback (HandleFeedback)
)

var kindNames = [...]string{KindCP1: "cp1", KindV2: "v2", KindBatch: "batch", KindFeedback: "feedback"}

// String is the kind's name, as spans report it: cp1, v2, batch, feedback.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Refusal is why a transport answered a request without handing it to the
// engine.
type Refusal uint8

// The refusals.
const (
	RefusedOverloaded   Refusal = iota // the transport's concurrency bound or backlog is full
	RefusedTooLarge                    // the body, or its reply, is larger than the transport accepts
	RefusedUnreadable                  // the body could not be read
	RefusedNoReply                     // a NATS message without a reply subject not served: a decide, or feedback not recorded
	RefusedMethod                      // an HTTP method the endpoint does not take
	RefusedNotFound                    // an HTTP path under /v1/ or /v2/ that is no endpoint
	RefusedUnauthorized                // an HTTP admin request without the admin token
)

// ContentCoding is the first content coding other than identity that
// the values of Content-Encoding headers declare (each a comma-separated
// list): "" when the body is as sent. Both transports refuse a body so
// coded: read as JSON, it would be refused as malformed without saying
// why. It allocates nothing.
func ContentCoding(values []string) string {
	for _, v := range values {
		for v != "" {
			var c string
			c, v, _ = strings.Cut(v, ",")
			if c = strings.TrimSpace(c); c != "" && !strings.EqualFold(c, "identity") {
				return c
			}
		}
	}
	return ""
}

// CodingMessage is the refusal of a body in content coding ce.
func CodingMessage(ce string) string {
	return fmt.Sprintf("Content-Encoding %s is not supported: send the JSON body uncompressed", jsonx.QuoteEcho(ce))
}

// TooLargeMessage is the refusal of a request body of size bytes over the
// transport's limit; size < 0: a body known only to be longer (read up
// to the limit, its length not given).
func TooLargeMessage(size, limit int64) string {
	if size < 0 {
		return fmt.Sprintf("request body too large: more than %d bytes, at most %d", limit, limit)
	}
	return fmt.Sprintf("request body too large: %d bytes, at most %d", size, limit)
}

var refusalNames = [...]string{RefusedOverloaded: "overloaded", RefusedTooLarge: "too_large", RefusedUnreadable: "unreadable", RefusedNoReply: "no_reply", RefusedMethod: "method", RefusedNotFound: "not_found", RefusedUnauthorized: "unauthorized"}

// String is the refusal's name, as metrics label it: overloaded,
// too_large, unreadable, no_reply, method, not_found, unauthorized.
func (r Refusal) String() string {
	if int(r) < len(refusalNames) {
		return refusalNames[r]
	}
	return fmt.Sprintf("refusal(%d)", r)
}

// Code is the error code a refusal is answered with.
func (r Refusal) Code() Code {
	switch r {
	case RefusedOverloaded:
		return CodeOverloaded
	case RefusedUnauthorized:
		return CodeUnauthorized
	}
	return CodeInvalidRequest
}

// TraceFunc starts a span for one request of kind arriving over transport
// ("http", "nats"), a child of traceparent when that is a valid W3C trace
// parent, else a new root in the trace TraceIDFrom(ctx) names when it
// names one (a CP1 body's trace_id), and returns the context to decide
// in and the function that ends the span with the outcome: nil for
// feedback recorded; for a batch answered, an outcome whose Batch counts
// its answers; for a request refused before a decision (a decide or a
// batch invalid, its Err's code alone set; a batch answered not_ready
// whole; feedback refused; a refusal before the engine,
// Dispatcher.Refuse), an outcome with that error.
type TraceFunc func(ctx context.Context, traceparent, transport string, kind Kind) (context.Context, func(*Outcome))

type traceIDKey struct{}

// WithTraceID returns ctx naming the trace id (see ValidTraceID) that a
// request's span is to join as a new root, when the request came without
// a valid traceparent: DESIGN.md §4 maps CP1's trace_id to the trace
// context. Serve sets it for the TraceFunc.
func WithTraceID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, traceIDKey{}, id)
}

// TraceIDFrom returns the trace id WithTraceID put in ctx, "" if none.
// A TraceFunc starting a span without a valid traceparent gives it this
// trace id (with OpenTelemetry's SDK, an IDGenerator whose NewIDs reads
// it from the context it is given).
func TraceIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(traceIDKey{}).(string)
	return id
}

// Hooks are what the transports report to: a span per request and a
// count of refusals. A router gives every transport the same.
type Hooks struct {
	// Trace wraps each request in a span (OpenTelemetry); may be nil.
	Trace TraceFunc
	// Refused is called for each request refused before the engine
	// (metrics); may be nil.
	Refused func(transport string, why Refusal)
	// Answered is called for each request the engine answered (the
	// refused ones are Refused's) with its kind and code, "" for success
	// (metrics); may be nil. It runs on the request path: it must not
	// block or allocate.
	Answered func(transport string, kind Kind, code Code)
}

// DispatchConfig configures a Dispatcher.
type DispatchConfig struct {
	// Transport names the transport in spans and refusal counts: "http",
	// "nats".
	Transport string
	Hooks
}

// A Dispatcher is the part of serving a request that every transport
// shares: it hands a body to the engine by kind inside a span, answers a
// refusal in the kind's shape and counts it, recovers a panic as an
// internal error, and pools the buffers and outcomes requests reuse. A
// transport only adapts its protocol: it reads the body and the
// traceparent, bounds concurrency, and writes the answer (and maps the
// code to a status, if its protocol has them).
//
// Serve allocates nothing beyond what the engine's Handle methods do.
type Dispatcher struct {
	e    *Engine
	cfg  DispatchConfig
	pool sync.Pool // *Exchange
}

// NewDispatcher returns a dispatcher to e.
func NewDispatcher(e *Engine, cfg DispatchConfig) *Dispatcher {
	d := &Dispatcher{e: e, cfg: cfg}
	d.pool.New = func() any { return &Exchange{In: make([]byte, 0, 4096), out: make([]byte, 0, 4096)} }
	return d
}

// Transport is the transport's name given in the config.
func (d *Dispatcher) Transport() string { return d.cfg.Transport }

// Exchange is the reusable scratch of one request: a buffer for the
// transport to read the body into, the response buffer and the outcome.
// Get one from Dispatcher.Get and give it back with Put once the answer
// is written.
type Exchange struct {
	// In is the transport's read buffer (empty, with capacity); the
	// transport keeps the grown buffer here for the next request.
	In    []byte
	out   []byte
	o     Outcome
	limit answerLimit // LimitAnswer's
	// traced is set once the request's span is started.
	traced bool
}

// LimitAnswer bounds the answer of x's batch at max bytes, when that is
// lower than Config.MaxAnswer: what the transport can carry (a NATS
// server's max_payload, below rpl-router's 8 MiB default). The request
// that would pass it is cut as at Config.MaxAnswer, its errors naming
// by ("the NATS server's max_payload") for --max-answer. Put forgets it.
func (x *Exchange) LimitAnswer(max int, by string) { x.limit = answerLimit{max: max, by: by} }

// keepBuffer is the largest buffer an idle Exchange keeps: one very large
// request must not pin its memory in the pool.
const keepBuffer = 1 << 20

// Get returns an Exchange for one request.
func (d *Dispatcher) Get() *Exchange { return d.pool.Get().(*Exchange) }

// Put returns x to the pool: the outcome is cleared (an idle exchange
// keeps no snapshot alive) and oversized buffers are dropped.
func (d *Dispatcher) Put(x *Exchange) {
	x.o.reuse(nil)
	x.traced = false
	x.In, x.out, x.limit = kept(x.In), kept(x.out), answerLimit{}
	d.pool.Put(x)
}

// kept is b emptied for an idle Exchange to keep: a new buffer of 4 KiB
// in place of one over keepBuffer.
func kept(b []byte) []byte {
	if cap(b) > keepBuffer {
		return make([]byte, 0, 4096)
	}
	return b[:0]
}

// failed is x's outcome of a request answered with err without a
// decision (a batch none of whose requests could be decided, feedback
// refused), naming requestID: what its span ends with.
func (x *Exchange) failed(err *Error, requestID string) *Outcome {
	x.o.reuse(nil)
	x.o.Err, x.o.RequestID = err, requestID
	return &x.o
}

// Serve hands body to the engine as kind asks, inside a span when the
// config traces, counts the answer (Hooks.Answered) and returns the
// response (in x's buffer, valid until x is put back) and its error code
// ("" on success). traceparent is the W3C header the transport carried,
// if any; without a valid one, a CP1 body's trace_id that is a W3C trace
// id is given to the TraceFunc (TraceIDFrom). arrival is when the request
// arrived. A panic below is answered as an internal error. A batch none
// of whose requests could be decided because no version was active (at
// least one request, each answered not_ready) is answered as a decide
// is, with the not_ready error alone, and its span ends with that
// outcome.
func (d *Dispatcher) Serve(ctx context.Context, x *Exchange, kind Kind, body []byte, traceparent string, arrival time.Time) (out []byte, code Code) {
	out, code = d.ServeUncounted(ctx, x, kind, body, traceparent, arrival)
	d.Count(kind, code)
	return out, code
}

// Count counts an answer of kind with code (Hooks.Answered).
func (d *Dispatcher) Count(kind Kind, code Code) {
	if d.cfg.Answered != nil {
		d.cfg.Answered(d.cfg.Transport, kind, code)
	}
}

// ServeUncounted is Serve without counting the answer, for a transport
// that counts it (Count) once it knows the answer was sent, and what it
// was: a NATS reply the server refuses is answered with a refusal
// instead, counted as such alone.
func (d *Dispatcher) ServeUncounted(ctx context.Context, x *Exchange, kind Kind, body []byte, traceparent string, arrival time.Time) (out []byte, code Code) {
	var done func(*Outcome)
	// First: a panic in the span's start (the trace id's peek, the
	// TraceFunc) is answered too.
	defer func() {
		if r := recover(); r != nil {
			err := Errorf(CodeInternal, "internal error: %v", r)
			out, code = appendError(x.out[:0], err, kind, body, traceparent, false), err.Code
			x.out = out
			if done != nil {
				done(nil)
			}
		}
	}()
	if d.cfg.Trace != nil {
		ctx, done = d.trace(ctx, x, kind, body, traceparent)
	}
	var o *Outcome
	out = x.out[:0]
	switch kind {
	case KindCP1:
		out, code, o = d.e.HandleCP1(ctx, body, CP1Meta{Arrival: arrival, TraceParent: traceparent}, out, &x.o)
	case KindV2:
		out, code, o = d.e.HandleV2(ctx, body, arrival, out, &x.o)
	case KindBatch:
		var n BatchCounts
		out, code, n = d.e.handleV2Batch(ctx, body, arrival, out, x.limit)
		switch {
		case n.allNotReady():
			// None could be decided, no version being active: answered
			// as a decide is, over every transport, its span ending with
			// that outcome.
			err := errNotReady()
			out, code, o = appendV2Error(out[:0], err, ""), err.Code, x.failed(err, "")
		case done != nil && code == "":
			x.o.reuse(nil)
			x.o.Batch, o = n, &x.o
		}
	case KindFeedback:
		var ferr *Error
		var id string
		if out, ferr, id = d.e.handleFeedback(body, out); ferr != nil {
			// Refused: its span ends with the error and the request
			// named, as a decision's.
			code, o = ferr.Code, x.failed(ferr, id)
		}
	default:
		err := Errorf(CodeInternal, "unknown request kind %v", kind)
		out, code = appendError(out, err, kind, nil, traceparent, false), err.Code
	}
	x.out = out
	if done != nil && o == nil && code != "" {
		// Refused before a decision (invalid), or a batch whole: its
		// span ends with the code and the request named, as the answer
		// names it.
		id, _ := errorIDs(body, kind)
		o = x.failed(&Error{Code: code}, id)
	}
	if done != nil {
		f := done
		done = nil // not again if it panics
		f(o)
	}
	return out, code
}

// trace starts the span of a request (Hooks.Trace must be set), marking
// x as traced: a refusal answered in its place (Refuse) starts no other.
func (d *Dispatcher) trace(ctx context.Context, x *Exchange, kind Kind, body []byte, traceparent string) (context.Context, func(*Outcome)) {
	x.traced = true
	if kind == KindCP1 && TraceIDOf(traceparent) == "" {
		// CP1's trace_id is the trace context when no header says
		// otherwise (only a W3C trace id can be one).
		if id := peekString(body, "trace_id"); ValidTraceID(id) {
			ctx = WithTraceID(ctx, id)
		}
	}
	return d.cfg.Trace(ctx, traceparent, d.cfg.Transport, kind)
}

// Refuse answers a request refused before the engine, in kind's shape,
// and counts it; message says why (the code comes from why). When the
// config traces, the refusal has its span, as a request the engine
// answers does, ended with the refusal's code as its outcome and naming
// the request as the answer does; but not when x's request already has
// one (a NATS reply too large to send, refused after it was decided).
// With tracing off it costs nothing more. body is the
// request's body when the transport has it (nil when it could not be
// read): the answer names the request as far as body can be read
// (request_id, CP1's trace_id), without deciding it; traceparent is the
// W3C header the request came with ("" if none): a CP1 answer whose body
// has no trace_id names the header's trace id in its context, as an
// answer from the engine does. The answer is in x's buffer, valid until x
// is put back.
func (d *Dispatcher) Refuse(x *Exchange, kind Kind, why Refusal, message string, body []byte, traceparent string) []byte {
	if d.cfg.Refused != nil {
		d.cfg.Refused(d.cfg.Transport, why)
	}
	out := d.Refusal(x, kind, why, message, body, traceparent)
	if d.cfg.Trace != nil && !x.traced {
		if _, done := d.trace(context.Background(), x, kind, body, traceparent); done != nil {
			id, _ := errorIDs(body, kind)
			if why == RefusedTooLarge {
				id = jsonx.Echo(id) // cut, as the answer's
			}
			done(x.failed(&Error{Code: why.Code(), Message: message}, id))
		}
	}
	return out
}

// Refusal is Refuse's answer without counting it: for a transport that
// must answer a refusal already counted again otherwise (NATS: one naming
// a request id too long for the server's max_payload, answered without
// it).
func (d *Dispatcher) Refusal(x *Exchange, kind Kind, why Refusal, message string, body []byte, traceparent string) []byte {
	// A body refused as too large names its request by an id cut as a
	// message's values are: its answer stays small.
	x.out = appendError(x.out[:0], &Error{Code: why.Code(), Message: message}, kind, body, traceparent, why == RefusedTooLarge)
	return x.out
}

// Count is n and noun, plural (with an s) unless n is 1: "1 request",
// "2 requests", as a message prints a count.
func Count[N int | int64](n N, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.FormatInt(int64(n), 10) + " " + noun + "s"
}
