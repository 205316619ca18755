package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rpl-lang/rpl/internal/jsonx"
	"github.com/rpl-lang/rpl/internal/money"
	"github.com/rpl-lang/rpl/lang/migrate"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/rpl-lang/rpl/vm"
)

// The CP1 contract (DESIGN.md §4), kept for coexistence with CP1 clients.
//
// Validation order: the body must be a JSON object; then version must be
// "1" (a missing or other version is invalid_request before anything
// else); then the fields' types; then request_id, tenant_id and task.type
// must be present, and tenant_id at most MaxTenantLen bytes (feedback's
// limit); then constraints must be ≥ 0. Then the tenant
// (unauthorized when the registry is strict and does not know it), the
// policy (policy_not_found), the decision (decision_failed when the policy
// fails or denies; the details carry deny_reason) and anything else
// (internal).

// cp1Request is CP1's DecideRequest.
type cp1Request struct {
	Version        json.RawMessage            `json:"version"`
	RequestID      string                     `json:"request_id"`
	TraceID        string                     `json:"trace_id"`
	TenantID       string                     `json:"tenant_id"`
	Task           *cp1Task                   `json:"task"`
	PolicyID       string                     `json:"policy_id"`
	Constraints    *cp1Constraints            `json:"constraints"`
	Metadata       map[string]json.RawMessage `json:"metadata"`
	PushAssignment *bool                      `json:"push_assignment"`
}

type cp1Constraints struct {
	MaxLatencyMs *float64 `json:"max_latency_ms"`
	MaxCost      *float64 `json:"max_cost"`
}

type cp1Task struct {
	Type       string          `json:"type"`
	PayloadRef string          `json:"payload_ref"`
	Payload    json.RawMessage `json:"payload"`
}

// cp1Scratch is a CP1 request being decoded and what its pointers point
// to on the fast path, in one pooled object: decoding allocates none of
// them. Nothing points into it once HandleCP1 returns (the record holds
// strings; the raw fields point into the body).
type cp1Scratch struct {
	q         cp1Request
	task      cp1Task
	cons      cp1Constraints
	lat, cost float64
	push      bool
	// names interns tenant ids, policy ids and task types across the
	// requests this scratch decodes (jscan.optName); kept by reset.
	names map[string]string
	// slots holds the request's records for as long as its decision;
	// kept by reset, cleared.
	slots slotBuf
}

var cp1Scratches = sync.Pool{New: func() any { return &cp1Scratch{names: map[string]string{}} }}

// reset clears sc for its next request, keeping its names and its slots'
// memory.
func (sc *cp1Scratch) reset() {
	sc.slots.clear()
	*sc = cp1Scratch{names: sc.names, slots: sc.slots}
}

// The largest CP1 constraints: the longest duration and the most money
// (9 billion, in nanodollars under the int64 limit) the engine holds.
const (
	maxLatencyMs = float64(math.MaxInt64 / int64(time.Millisecond))
	maxCost      = 9e9
)

// CP1Context is the context block of CP1 responses.
type CP1Context struct {
	RequestID string `json:"request_id"`
	TraceID   string `json:"trace_id,omitempty"`
}

// CP1Meta is what a transport knows besides the body.
type CP1Meta struct {
	Arrival     time.Time
	TraceParent string // W3C traceparent, when the transport carried one
}

// checkVersion returns the version error, if any, of a CP1 body that did
// not decode: the version is checked before anything else.
func checkVersion(raw json.RawMessage) *Error {
	if len(raw) == 0 || string(raw) == "null" {
		return &Error{Code: CodeInvalidRequest, Message: "version is required (\"1\")", Details: map[string]any{"field": "version"}}
	}
	if string(raw) != `"1"` {
		// The same string spelt with an escape ("\u0031") is "1" too.
		var s string
		if json.Unmarshal(raw, &s) == nil && s == "1" {
			return nil
		}
		return &Error{Code: CodeInvalidRequest, Message: fmt.Sprintf("unsupported version %s (want \"1\")", jsonx.EchoJSON(raw)), Details: map[string]any{"field": "version"}}
	}
	return nil
}

// jsonErr is the invalid_request of a body encoding/json did not decode:
// a type or range error names the field's path (in message and
// details.field) and says why in jsonx.TypeError's words, as v2 and
// feedback do ("constraints.max_latency_ms: 1e400 is out of range").
func jsonErr(err error) *Error {
	var e *Error // from a type's UnmarshalJSON
	if errors.As(err, &e) {
		return e
	}
	var te *json.UnmarshalTypeError
	if msg, ok := jsonx.TypeError(err); ok && errors.As(err, &te) {
		if te.Field == "" {
			return &Error{Code: CodeInvalidRequest, Message: msg}
		}
		field := jsonx.Echo(te.Field)
		return &Error{Code: CodeInvalidRequest, Message: field + ": " + msg, Details: map[string]any{"field": field}}
	}
	if tooDeep(err) {
		return Errorf(CodeInvalidRequest, "%s", errTooDeep)
	}
	return &Error{Code: CodeInvalidRequest, Message: "malformed JSON: " + err.Error()}
}

// maxJSONDepth is how deeply encoding/json nests objects and lists at
// most (its maxNestingDepth): deeper is its syntax error "exceeded max
// depth", though the JSON may be valid.
const maxJSONDepth = 10000

// errTooDeep says what is wrong with JSON nested deeper than maxJSONDepth.
var errTooDeep = fmt.Sprintf("too deeply nested: objects and lists nest %d levels deep at most", maxJSONDepth)

// tooDeep reports whether err is encoding/json's refusal of JSON nested
// deeper than maxJSONDepth.
func tooDeep(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se) && strings.HasSuffix(se.Error(), "exceeded max depth")
}

// decodeObject decodes body into v, reporting malformed JSON (at the
// byte at fault), well-formed JSON that is not an object (naming its
// kind) and trailing data.
func decodeObject(body []byte, v any) *Error {
	b := bytes.TrimLeft(body, " \t\r\n")
	if len(b) == 0 {
		return Errorf(CodeInvalidRequest, "empty body")
	}
	if bytes.HasPrefix(b, []byte("\ufeff")) {
		// An object all the same, as some editors and .NET write it:
		// saying it is none would send the client looking in the wrong
		// place. JSON has no byte order mark (RFC 8259 §8.1).
		return Errorf(CodeInvalidRequest, "malformed JSON at byte %d: a byte order mark (U+FEFF) before the JSON; send the body without it", len(body)-len(b))
	}
	if b[0] != '{' {
		if bytes.HasPrefix(b, []byte{0xff, 0xfe}) || bytes.HasPrefix(b, []byte{0xfe, 0xff}) {
			// UTF-16, as Windows tools write text: an object as
			// meant, if not as sent.
			return Errorf(CodeInvalidRequest, "malformed JSON at byte %d: a UTF-16 byte order mark (%X); send the body as UTF-8", len(body)-len(b), b[:2])
		}
		// Malformed JSON is placed at the byte at fault, as in an
		// object; JSON that is well formed is named by its kind.
		var raw json.RawMessage
		if err := json.Unmarshal(b, &raw); err != nil {
			if e := syntaxErr(body, b, err); e != nil {
				return e
			}
		}
		return Errorf(CodeInvalidRequest, "the body must be a JSON object, have %s", jsonx.KindOfJSON(b))
	}
	// Text that encoding/json reads as U+FFFD: two tenant ids that differ
	// there would be one tenant, charged together. A byte that is not
	// UTF-8 is refused before anything else; half a surrogate pair (at a
	// backslash) only in a body that is otherwise JSON of the right
	// shape, its error then the syntax error before it, the body too
	// deep, a value of the wrong type.
	at, why, notJSON := jsonx.Unreadable(b)
	if at >= 0 && notJSON {
		return Errorf(CodeInvalidRequest, "malformed JSON at byte %d: %s", len(body)-len(b)+at, why)
	}
	if err := json.Unmarshal(b, v); err != nil {
		if e := syntaxErr(body, b, err); e != nil {
			return e
		}
		return jsonErr(err)
	}
	if at >= 0 {
		return Errorf(CodeInvalidRequest, "invalid string at byte %d: %s", len(body)-len(b)+at, why)
	}
	return nil
}

// syntaxErr is err, encoding/json's decoding of b (body less its
// leading white space), as a request's error when it is a syntax error:
// malformed JSON placed at the byte at fault, counted from 0 in the body
// as the other errors count it (the space before the value included),
// or JSON nested too deeply (not malformed); nil for another error.
func syntaxErr(body, b []byte, err error) *Error {
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return nil
	}
	if se.Offset == int64(len(b)) && b[len(b)-1] != ' ' && strings.HasPrefix(se.Error(), "invalid character ' '") {
		// A literal or number cut short by the body's end (nul, {"a":
		// tru, 1.): encoding/json reads the end as a space, which the
		// body does not have, at the byte before it.
		return Errorf(CodeInvalidRequest, "malformed JSON at byte %d: unexpected end of JSON input", len(body))
	}
	pos := len(body) - len(b) + jsonx.SyntaxOffset(b, se)
	if tooDeep(err) {
		return Errorf(CodeInvalidRequest, "%s (at byte %d)", errTooDeep, pos)
	}
	return Errorf(CodeInvalidRequest, "malformed JSON at byte %d: %v", pos, err)
}

// cp1Shape is the shape of the struct the slow path decodes a CP1
// request into (its fields, with those of its task and constraints), for
// jsonx.MaskFoldedKeys: each key that encoding/json would take for one of
// them although it is not its name exactly (TENANT_ID for tenant_id) is
// made unknown, and so ignored as unknown keys are, offsets unchanged.
// Read as encoding/json reads it, a body with tenant_id "acme" and
// TENANT_ID "evil" was decided for evil, where a gateway in front that
// compares keys exactly saw acme. (The fast path refuses such a body,
// leaving it to the slow one.)
var cp1Shape = jsonx.FieldsOf(reflect.TypeFor[cp1Request]())

// cp1ToRequest validates a CP1 request, decoded into sc.q, and builds
// the Request record.
func (e *Engine) cp1ToRequest(body []byte, sc *cp1Scratch) (vm.Value, *Error) {
	q := &sc.q
	if !fastCP1(body, sc) {
		body = jsonx.MaskFoldedKeys(body, cp1Shape)
		*q = cp1Request{}
		if err := decodeObject(body, q); err != nil {
			if err.Code == CodeInvalidRequest && err.Details != nil {
				// A type error elsewhere: the version still comes first.
				var v struct {
					Version json.RawMessage `json:"version"`
				}
				if json.Unmarshal(body, &v) == nil {
					if verr := checkVersion(v.Version); verr != nil {
						return vm.Value{}, verr
					}
				}
			}
			return vm.Value{}, err
		}
	}
	if err := checkVersion(q.Version); err != nil {
		return vm.Value{}, err
	}
	missing := func(f string) *Error {
		return &Error{Code: CodeInvalidRequest, Message: f + " is required", Details: map[string]any{"field": f}}
	}
	switch {
	case q.RequestID == "":
		return vm.Value{}, missing("request_id")
	case q.TenantID == "":
		return vm.Value{}, missing("tenant_id")
	case q.Task == nil:
		return vm.Value{}, missing("task")
	case q.Task.Type == "":
		return vm.Value{}, missing("task.type")
	case len(q.TenantID) > MaxTenantLen:
		return vm.Value{}, errTenantTooLong("tenant_id") // as feedback's
	}
	l := &e.lay
	blank := l.blankRequest
	// The scratch's memory holds the request's slots and those of the
	// records it fills in (each a full slice: no append can reach its
	// neighbour).
	arena := slotArena(sc.slots.take(len(blank) + len(blank[l.req.tenant].Record()) + len(blank[l.req.task].Record()) + len(blank[l.req.constraints].Record())))
	clone := arena.copyOf
	slots := clone(blank)
	slots[l.req.id] = vm.Str(q.RequestID)
	ts := clone(blank[l.req.tenant].Record())
	ts[l.tenant.id] = vm.Str(q.TenantID)
	slots[l.req.tenant] = vm.NewRecord(ts)
	task := clone(blank[l.req.task].Record())
	task[l.task.typ] = vm.Str(q.Task.Type)
	slots[l.req.task] = vm.NewRecord(task)
	if c := q.Constraints; c != nil {
		cs := clone(blank[l.req.constraints].Record())
		if c.MaxLatencyMs != nil {
			ms := *c.MaxLatencyMs
			if ms < 0 || math.IsNaN(ms) || ms > maxLatencyMs {
				return vm.Value{}, &Error{Code: CodeInvalidRequest, Message: fmt.Sprintf("constraints.max_latency_ms must be from 0 to %.0f, have %v", maxLatencyMs, ms), Details: map[string]any{"field": "constraints.max_latency_ms"}}
			}
			cs[l.cons.maxLatency] = vm.Duration(time.Duration(ms * float64(time.Millisecond)))
		}
		if c.MaxCost != nil {
			x := *c.MaxCost
			if x < 0 || math.IsNaN(x) || x > maxCost {
				return vm.Value{}, &Error{Code: CodeInvalidRequest, Message: fmt.Sprintf("constraints.max_cost must be from 0 to %.0f, have %v", maxCost, x), Details: map[string]any{"field": "constraints.max_cost"}}
			}
			n, _ := money.OfFloat(x) // in range: x is at most maxCost
			cs[l.cons.maxCost] = vm.Money(n)
		}
		slots[l.req.constraints] = vm.NewRecord(cs)
	}
	if len(q.Metadata) > 0 {
		keys := jsonx.SortedKeys(q.Metadata)
		ks := make([]vm.Value, len(keys))
		vs := make([]vm.Value, len(keys))
		for i, k := range keys {
			ks[i] = vm.Str(k)
			raw := q.Metadata[k]
			var s string
			switch {
			case len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, &s) == nil:
				vs[i] = vm.Str(s)
			case string(raw) == "null":
				vs[i] = vm.Str("") // as v2's metadata (a string's zero value)
			default:
				vs[i] = vm.Str(string(raw)) // other non-string metadata keeps its JSON text
			}
		}
		m, err := vm.NewMap(ks, vs)
		if err != nil {
			return vm.Value{}, Errorf(CodeInvalidRequest, "metadata: %v", err)
		}
		slots[l.req.metadata] = m
	}
	return vm.NewRecord(slots), nil
}

// HandleCP1 decides a CP1 DecideRequest body and appends the CP1 response
// to buf. The returned code is "" on success, else the error's code (for
// transports that map codes to statuses). The outcome is written to o
// when not nil (a transport reuses one per worker), else to a new
// Outcome; the returned pointer is nil when the body was refused before a
// decision.
func (e *Engine) HandleCP1(ctx context.Context, body []byte, meta CP1Meta, buf []byte, o *Outcome) ([]byte, Code, *Outcome) {
	sc := cp1Scratches.Get().(*cp1Scratch)
	defer func() {
		sc.reset()
		cp1Scratches.Put(sc)
	}()
	req, err := e.cp1ToRequest(body, sc)
	q := &sc.q
	cctx := CP1Context{RequestID: q.RequestID, TraceID: q.TraceID}
	if err != nil && cctx.RequestID == "" {
		// The decoding stopped before the ids: the error names the
		// request as far as its body can be read.
		cctx.RequestID, cctx.TraceID = errorIDs(body, KindCP1)
	}
	if cctx.TraceID == "" {
		cctx.TraceID = TraceIDOf(meta.TraceParent)
	}
	if err != nil {
		return appendCP1Error(buf, err, cctx), err.Code, nil
	}
	if o == nil {
		o = new(Outcome)
	}
	e.DecideInto(ctx, o, e.cp1PolicyID(q.PolicyID), req, meta.Arrival)
	if o.Err != nil {
		return appendCP1Error(buf, o.Err, cctx), o.Err.Code, o
	}
	d := e.View(o.Decision)
	if o.Denied {
		// The message repeats the deny reason cut to MaxEcho bytes, as
		// an error repeats any one value: details.deny_reason and
		// details.reason (the policy's because) hold them whole, the
		// decision's fields as a v2 answer holds them.
		err := &Error{Code: CodeDecisionFailed, Message: "request denied by policy " + o.PolicyID() + ": " + jsonx.Echo(d.DenyReason()),
			Details: map[string]any{"deny_reason": d.DenyReason(), "reason": d.Reason(), "policy_id": o.PolicyID(), "policy_version": o.Version()}}
		return appendCP1Error(buf, err, cctx), err.Code, o
	}
	target := d.Target()
	// reason: "fallback" for the configured safe default (the one target
	// answered instead of the policy's choice, and then fallback_used);
	// "sticky" when the target is the session's, kept from an earlier
	// decision (Outcome.Sticky: a sticky key alone is not that);
	// "weighted" for a target drawn from the decision's split; else
	// "best_score", the policy's own choice. A policy that routes around
	// unhealthy targets (a health-aware chain, a split without them)
	// returns a decision like any other: its target, and the fallbacks
	// tried after it fails, with nothing saying which target the policy
	// would have preferred had all been healthy. So CP1 cannot tell that
	// choice from a first choice and reports it as best_score (or
	// weighted), fallback_used false; the policy says why in its reason,
	// answered in metadata.reason.
	reason := "best_score"
	switch {
	case o.SafeDefault:
		reason = "fallback"
	case o.Sticky:
		reason = "sticky"
	case d.Weighted():
		reason = "weighted"
	}
	buf = append(buf, `{"ok":true,"decision":{"provider_id":`...)
	buf = AppendString(buf, target)
	buf = append(buf, `,"priority":`...)
	buf = strconv.AppendInt(buf, min(max(d.Priority(), 0), 100), 10)
	buf = append(buf, `,"expected_latency_ms":`...)
	buf = strconv.AppendInt(buf, e.expectedLatency(o.Snapshot, target).Milliseconds(), 10)
	buf = append(buf, `,"expected_cost":`...)
	buf = appendNanos(buf, e.expectedCost(o.Snapshot, target, req))
	buf = append(buf, `,"reason":`...)
	buf = AppendString(buf, reason)
	if k := d.StickyKey(); k != "" {
		buf = append(buf, `,"sticky_key":`...)
		buf = AppendString(buf, k)
	}
	buf = append(buf, `,"fallback_used":`...)
	buf = strconv.AppendBool(buf, o.SafeDefault)
	buf = append(buf, `,"policy_id":`...)
	buf = AppendString(buf, o.PolicyID())
	buf = append(buf, `,"metadata":{"policy_version":`...)
	buf = AppendString(buf, o.Version())
	if r := d.Reason(); r != "" {
		buf = append(buf, `,"reason":`...)
		buf = AppendString(buf, r)
	}
	if d.Experiment() != "" {
		buf = append(buf, `,"experiment":`...)
		buf = AppendString(buf, d.Experiment())
		buf = append(buf, `,"arm":`...)
		buf = AppendString(buf, d.Arm())
	}
	if tags := d.Tags(); tags.Len() > 0 {
		buf = append(buf, `,"tags":`...)
		buf = e.encTags(buf, o.Decision.Record()[e.lay.dec.tags])
	}
	if fb := d.Fallbacks(); fb.Len() > 0 {
		buf = append(buf, `,"fallbacks":`...)
		buf = e.encFallbacks(buf, fb)
	}
	buf = append(buf, `}},"context":`...)
	buf = appendCP1Context(buf, cctx)
	return append(buf, '}'), "", o
}

func appendCP1Context(buf []byte, c CP1Context) []byte {
	buf = append(buf, `{"request_id":`...)
	buf = AppendString(buf, c.RequestID)
	if c.TraceID != "" {
		buf = append(buf, `,"trace_id":`...)
		buf = AppendString(buf, c.TraceID)
	}
	return append(buf, '}')
}

// appendCP1Error appends a CP1 error response. Codes outside CP1's five
// are answered as internal, with the engine's code in details.reason.
func appendCP1Error(buf []byte, err *Error, c CP1Context) []byte {
	code, details := err.Code, err.Details
	if !code.CP1() {
		details = map[string]any{"reason": string(code)}
		for k, v := range err.Details {
			details[k] = v
		}
		code = CodeInternal
	}
	buf = append(buf, `{"ok":false,"error":{"code":`...)
	buf = AppendString(buf, string(code))
	buf = append(buf, `,"message":`...)
	buf = AppendString(buf, err.Message)
	if len(details) > 0 {
		if d, jerr := json.Marshal(details); jerr == nil {
			buf = append(buf, `,"details":`...)
			buf = append(buf, d...)
		}
	}
	buf = append(buf, `},"context":`...)
	buf = appendCP1Context(buf, c)
	return append(buf, '}')
}

// expectedLatency is the target's observed median latency, else its
// default in the snapshot's catalogue, else stdlib.DefaultLatency.
func (e *Engine) expectedLatency(s *Snapshot, target string) time.Duration {
	if d, ok := e.svc.latency(s.catalogue, target); ok {
		return d
	}
	return stdlib.DefaultLatency
}

// expectedCost is the request's token estimate × the target's price (see
// services.price), in nano-units, as cost.estimate computes it (0 when
// either is unknown).
func (e *Engine) expectedCost(s *Snapshot, target string, req vm.Value) int64 {
	p, ok := e.svc.price(s.catalogue, target)
	if !ok {
		return 0
	}
	est := req.Record()[e.lay.req.estimate].Record()
	if len(est) <= max(e.lay.est.input, e.lay.est.output) {
		return 0
	}
	in, out := est[e.lay.est.input].Int(), est[e.lay.est.output].Int()
	cost, ok := p.Cost(in, out)
	if !ok {
		return math.MaxInt64 // beyond what money holds: the most it can say
	}
	return cost
}

// TraceIDOf returns the trace id of a W3C traceparent header
// ("<version>-<trace id>-<parent id>-<flags>"), "" when it is absent or
// malformed. It reads the header as OpenTelemetry's TraceContext does,
// so that the request's span joins the trace it names: 2, 32, 16 and 2
// lowercase hex digits; version ff refused; trace id and parent id not
// all zeros; version 00 exactly that (55 bytes, where OpenTelemetry
// also takes a 56th byte '-'), with no flag beyond sampled and random
// (01, 02); a later version may have more after a '-'.
func TraceIDOf(traceparent string) string {
	tp := traceparent
	if len(tp) < 55 || tp[2] != '-' || tp[35] != '-' || tp[52] != '-' ||
		!lowerHex(tp[:2]) || !lowerHex(tp[3:35]) || !lowerHex(tp[36:52]) || !lowerHex(tp[53:55]) {
		return ""
	}
	switch {
	case tp[:2] == "ff":
	case tp[:2] == "00" && (len(tp) != 55 || tp[53] != '0' || tp[54] > '3'):
	case len(tp) > 55 && tp[55] != '-':
	case !ValidTraceID(tp[3:35]) || strings.Trim(tp[36:52], "0") == "":
	default:
		return tp[3:35]
	}
	return ""
}

// ValidTraceID reports whether id is a W3C trace id: 32 lowercase hex
// digits, not all zeros.
func ValidTraceID(id string) bool {
	return len(id) == 32 && lowerHex(id) && strings.Trim(id, "0") != ""
}

// lowerHex reports whether s is lowercase hex digits only.
func lowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// cp1PolicyID is the policy that a CP1 request's policy_id names: the
// active version's policy of that id, else the one rplc migrate made of
// the CP1 policy of that id (migrate.PackageName: simple-split is
// simple_split), so that a gateway keeps the ids it sends; else id, which
// is not found. The second look-up, and its name, only for an id that
// the version does not have.
func (e *Engine) cp1PolicyID(id string) string {
	s := e.cur.Load()
	if id == "" || s == nil || s.policies[id] != nil {
		return id
	}
	if alt := migrate.PackageName(id); s.policies[alt] != nil {
		return alt
	}
	return id
}
