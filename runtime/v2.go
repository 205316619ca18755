package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/internal/jsonx"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/vm"
)

// The v2 contract. A decide request is {"policy_id"?: id, "request":
// Request}, the request being the prelude's Request record as JSON
// (unknown fields, keys given twice and wrong types are invalid_request
// naming the path).
// The response is {"ok": true, "policy_id", "version", "decision":
// Decision, "fuel", "safe_default"} or {"ok": false, "error": {code,
// message, details?}, "request_id"?}. A batch is {"requests": [...]} and
// answers {"ok": true, "results": [...]}, one response per request, in
// order. Feedback is a Feedback object (or {"feedback": [...]}),
// answered {"ok": true, "recorded": N} (HandleFeedback).

// MaxBatch is the largest batch accepted, of decide requests and of
// feedback alike.
const MaxBatch = 1000

// DefaultMaxAnswer is a batch answer's limit in bytes when
// Config.MaxAnswer is 0: 8 MiB, the largest message the NATS server that
// rpl-router embeds accepts (its max_payload), so that a batch answered
// over HTTP could be answered over that NATS too. A decision of a policy
// may take up to its memory limit (16 MiB by default): without a limit,
// a batch of 100 small requests whose decisions each held a 4 MiB tag
// was answered 411 MB.
const DefaultMaxAnswer = 8 << 20

// errBatchTooLong is the error of a batch of n items (named items), the
// list at field, longer than MaxBatch.
func errBatchTooLong(field string, n int, items string) *Error {
	return &Error{Code: CodeInvalidRequest, Message: fmt.Sprintf("batch of %d %s; at most %d", n, items, MaxBatch), Details: map[string]any{"field": field}}
}

type v2Request struct {
	PolicyID string          `json:"policy_id"`
	Request  json.RawMessage `json:"request"`
}

// UnmarshalJSON refuses a key beside policy_id and request: a misspelt
// policy_id must not leave the request to the default policy.
func (q *v2Request) UnmarshalJSON(b []byte) error {
	if err := errUnknownKey(b, v2RequestFields, true); err != nil {
		return err
	}
	type plain v2Request
	return json.Unmarshal(b, (*plain)(q))
}

// v2Batch is a batch body. Its items are decoded one by one (slowBatch):
// an item that is not a valid request is that item's error, not the
// batch's.
type v2Batch struct {
	Requests []json.RawMessage `json:"requests"`
	// long is the length of a requests list longer than MaxBatch, which
	// is counted (jsonx.ListLen) and not decoded: a 1 MiB body of
	// [0,0,…] is half a million items, an allocation each.
	long int
}

// UnmarshalJSON refuses a key beside requests.
func (q *v2Batch) UnmarshalJSON(b []byte) error {
	if err := errUnknownKey(b, batchFields, false); err != nil {
		return err
	}
	if n := listLen(b, "requests"); n > MaxBatch {
		q.long = n
		return nil
	}
	type plain v2Batch
	return json.Unmarshal(b, (*plain)(q))
}

// listLen is the length of the list at key of the JSON object b, counted
// without decoding it; -1 when b holds no list there (or spells the key
// with escapes: decoding counts it then).
func listLen(b []byte, key string) int {
	if off, ok := jsonx.PathOffset(b, key); ok {
		if n, ok := jsonx.ListLen(b[off:]); ok {
			return n
		}
	}
	return -1
}

// v2BodyShape is what a v2 decide body, and a batch's item, hold.
const v2BodyShape = `a v2 body is {"request": {"id": ..., "tenant": ..., ...}, "policy_id": ...}, the request's fields inside "request"`

// errUnknownKey is the error for the first key of the object b that is
// none of fields, with the nearest field as a suggestion, or that it
// holds twice; nil if none. (The request's own keys are FromJSONAt's.)
// For a decide body (body), a key that is no misspelling of its fields
// is told the body's shape (v2BodyShape) instead.
func errUnknownKey(b []byte, fields []string, body bool) error {
	if key, ok := jsonx.UnknownKey(b, fields); ok {
		near := lang.Nearest(key, fields)
		// Worded as feedback's and the request's own unknown fields are
		// (request.tenant.tierr: unknown field).
		msg := keyName(key) + ": unknown field"
		switch {
		case body && (near == "" || strings.HasPrefix(key, near)):
			// Not a misspelling: most often a request sent bare, or in
			// CP1's shape (request_id, tenant_id), which "did you mean
			// request?" would send the wrong way. Say where its fields go.
			msg += " (" + v2BodyShape + ")"
		default:
			msg += suggestion(near)
		}
		return &Error{Code: CodeInvalidRequest, Message: msg, Details: map[string]any{"field": jsonx.KeyPath("", key)}}
	}
	if err := errRepeatedKey(b, 1); err != nil {
		return err
	}
	return nil
}

// errRepeatedKey is the invalid_request of a key that an object of the
// JSON data holds twice, which encoding/json would take (the last
// wins), looking depth objects deep (0: all; jsonx.DuplicateKey); nil if
// none.
func errRepeatedKey(data []byte, depth int) *Error {
	if p, dup := jsonx.DuplicateKey(data, "", depth); dup {
		return fieldErrorf(p, jsonx.RepeatedKey)
	}
	return nil
}

func errRequestRequired() *Error {
	return &Error{Code: CodeInvalidRequest, Message: "request is required", Details: map[string]any{"field": "request"}}
}

func errRequestIDRequired() *Error {
	return &Error{Code: CodeInvalidRequest, Message: "request.id is required", Details: map[string]any{"field": "request.id"}}
}

// checkRequest is the check every path makes of a decoded v2 request: it
// is present (a record), has an id, and its values are within what a
// router takes (checkValues: amounts not negative, ids not too long).
func (e *Engine) checkRequest(req vm.Value) *Error {
	if req.Kind() != vm.KindRecord {
		return errRequestRequired()
	}
	s := req.Record()
	l := &e.lay
	if s[l.req.id].Str() == "" {
		return errRequestIDRequired()
	}
	return e.lay.checkValues(s, "request.")
}

// CheckRequest reports what a router refuses in a request v, a Request
// record (req and dec are the prelude's Request and Decision), that its
// JSON shape does not say (rpl.FromJSON): a negative budget, constraint or
// estimate, a tenant or parent id longer than MaxTenantLen; its fields
// named from the request, "tenant.budget.monthly must be ≥ 0, have
// $-5.00". Such an error is a *Error of CodeInvalidRequest whose
// Details["field"] is the path of the value refused in the request's JSON
// ("tenant.budget.monthly"), where a tool places it. An empty id, which a
// router refuses too, is taken: rplc eval decides requests without one.
func CheckRequest(req, dec *lang.Record, v vm.Value) error {
	var l layout
	if err := l.init(req, dec); err != nil {
		return err
	}
	if v.Kind() != vm.KindRecord || len(v.Record()) != l.req.n {
		return fmt.Errorf("runtime: the request is not a %s record", req.Name)
	}
	if err := l.checkValues(v.Record(), ""); err != nil {
		return err
	}
	return nil
}

// checkValues is the check of a Request record's values, s its slots, that
// its JSON shape does not make: amounts a client may not make negative,
// tenant and parent ids no longer than MaxTenantLen. The fields' paths in
// its errors start with at ("request.").
func (l *layout) checkValues(s []vm.Value, at string) *Error {
	// Amounts a client may not make negative (CP1 refuses them too). The
	// field's path is made for an error only: this runs for every v2
	// decision.
	neg := func(v vm.Value, field string) *Error {
		if v.Int() >= 0 {
			return nil
		}
		field = at + field
		return &Error{Code: CodeInvalidRequest, Message: fmt.Sprintf("%s must be ≥ 0, have %s", field, v), Details: map[string]any{"field": field}}
	}
	if ts := s[l.req.tenant].Record(); len(ts) == l.tenant.n {
		// Feedback refuses such a tenant id (Feedback.Validate): a
		// tenant that could never be charged is not decided for. Its
		// parents are tenant ids too, held to the same length.
		if len(ts[l.tenant.id].Str()) > MaxTenantLen {
			return errTenantTooLong(at + "tenant.id")
		}
		for i, p := range ts[l.tenant.parents].List() {
			if len(p.Str()) > MaxTenantLen {
				return errTenantTooLong(at + "tenant.parents[" + strconv.Itoa(i) + "]")
			}
		}
		if bs := ts[l.tenant.budget].Record(); len(bs) == l.budget.n {
			// As tenants.json's budgets (RPL217).
			if err := neg(bs[l.budget.monthly], "tenant.budget.monthly"); err != nil {
				return err
			}
			if err := neg(bs[l.budget.daily], "tenant.budget.daily"); err != nil {
				return err
			}
		}
	}
	if cs := s[l.req.constraints].Record(); len(cs) == l.cons.n {
		if err := neg(cs[l.cons.maxLatency], "constraints.max_latency"); err != nil {
			return err
		}
		if err := neg(cs[l.cons.maxCost], "constraints.max_cost"); err != nil {
			return err
		}
	}
	if es := s[l.req.estimate].Record(); len(es) > max(l.est.input, l.est.output) {
		if err := neg(es[l.est.input], "estimate.input_tokens"); err != nil {
			return err
		}
		if err := neg(es[l.est.output], "estimate.output_tokens"); err != nil {
			return err
		}
	}
	return nil
}

// requestSlots returns the slots of req and whether it is a Request
// record.
func (e *Engine) requestSlots(req vm.Value) ([]vm.Value, bool) {
	s := req.Record()
	return s, req.Kind() == vm.KindRecord && len(s) == e.lay.req.n
}

// requestID is the id of req, a Request record, "" when it is not one.
func (e *Engine) requestID(req vm.Value) string {
	if s, ok := e.requestSlots(req); ok {
		return s[e.lay.req.id].Str()
	}
	return ""
}

// decodeV2 decodes the Request record of a v2 body with encoding/json.
func (e *Engine) decodeV2(q *v2Request) (vm.Value, *Error) {
	var v vm.Value
	if len(q.Request) != 0 && string(q.Request) != "null" {
		var err error
		if v, err = rpl.FromJSONAt(e.reqType, q.Request, "request"); err != nil {
			ie := Errorf(CodeInvalidRequest, "%v", err) // rpl bounds the values it repeats
			if pe := (*rpl.PathError)(nil); errors.As(err, &pe) {
				ie.Details = map[string]any{"field": pe.Path}
			}
			return vm.Value{}, ie
		}
	}
	return v, e.checkRequest(v)
}

// HandleV2 decides a v2 decide body and appends the response to buf. The
// code is "" on success, else the error's. The outcome is written to o
// when not nil (a transport reuses one per worker), else to a new
// Outcome; the returned pointer is nil when the body was refused before a
// decision.
func (e *Engine) HandleV2(ctx context.Context, body []byte, arrival time.Time, buf []byte, o *Outcome) ([]byte, Code, *Outcome) {
	sb := slotBufs.Get().(*slotBuf)
	defer func() {
		sb.clear()
		slotBufs.Put(sb)
	}()
	if it, ok := e.fastV2(body, sb); ok {
		return e.decideItem(ctx, o, e.cur.Load(), it, -1, arrival, buf)
	}
	var q v2Request
	if err := decodeObject(body, &q); err != nil {
		return appendV2Error(buf, err, peekString(body, "request", "id")), err.Code, nil
	}
	return e.decideV2(ctx, o, e.cur.Load(), &q, -1, arrival, buf)
}

// decideV2 decodes and decides a v2 body's request on the snapshot s: the
// item'th of a batch (-1 for none), which its error names
// (batchItemError).
func (e *Engine) decideV2(ctx context.Context, o *Outcome, s *Snapshot, q *v2Request, item int, arrival time.Time, buf []byte) ([]byte, Code, *Outcome) {
	req, err := e.decodeV2(q)
	if err != nil {
		return appendV2Error(buf, batchItemError(err, item), peekString(q.Request, "id")), err.Code, nil
	}
	return e.decideRecord(ctx, o, s, q.PolicyID, req, item, arrival, buf)
}

// decideItem checks and decides a request the fast path decoded on the
// snapshot s, the item'th of a batch (-1 for none).
func (e *Engine) decideItem(ctx context.Context, o *Outcome, s *Snapshot, it v2Item, item int, arrival time.Time, buf []byte) ([]byte, Code, *Outcome) {
	if err := e.checkRequest(it.req); err != nil {
		return appendV2Error(buf, batchItemError(err, item), e.requestID(it.req)), err.Code, nil
	}
	return e.decideRecord(ctx, o, s, it.policyID, it.req, item, arrival, buf)
}

// decideRecord decides a decoded Request record on the snapshot s, the
// item'th of a batch (-1 for none), into o (a new Outcome when nil) and
// appends the v2 response.
func (e *Engine) decideRecord(ctx context.Context, o *Outcome, s *Snapshot, policyID string, req vm.Value, item int, arrival time.Time, buf []byte) ([]byte, Code, *Outcome) {
	if o == nil {
		o = new(Outcome)
	}
	e.decideOn(ctx, o, s, policyID, req, arrival, true)
	if o.Err != nil {
		return appendV2Error(buf, batchItemError(o.Err, item), o.RequestID), o.Err.Code, o
	}
	buf = append(buf, `{"ok":true,"request_id":`...)
	buf = AppendString(buf, o.RequestID)
	buf = append(buf, `,"policy_id":`...)
	buf = AppendString(buf, o.PolicyID())
	buf = append(buf, `,"version":`...)
	buf = AppendString(buf, o.Version())
	buf = append(buf, `,"decision":`...)
	if o.encoded { // logged: encoded already
		buf = append(buf, o.decisionJSON...)
	} else {
		buf = e.encDecision(buf, o.Decision)
	}
	buf = append(buf, `,"fuel":`...)
	buf = strconv.AppendInt(buf, o.Stats.Fuel, 10)
	if o.SafeDefault {
		buf = append(buf, `,"safe_default":true,"failure":`...)
		buf = AppendString(buf, o.Failure.Error())
	}
	return append(buf, '}'), "", o
}

// HandleV2Batch decides every request of a batch body
// ({"requests": [...]}, at most MaxBatch), answering
// {"ok":true,"results":[...]}, a result per item in order: an item that
// is not a valid request is that item's error, and the others are
// decided. A batch is one request: every item is decided on the
// snapshot active when it began, as a decision finishes on the version
// it began with, and its answer never mixes two versions. A body that
// is not such an object is the batch's error.
func (e *Engine) HandleV2Batch(ctx context.Context, body []byte, arrival time.Time, buf []byte) ([]byte, Code) {
	buf, code, _ := e.handleV2Batch(ctx, body, arrival, buf, answerLimit{})
	return buf, code
}

// answerLimit is a transport's limit of a batch's answer in bytes
// (Exchange.LimitAnswer), and what sets it, as the errors of its cut
// name it; the zero one is none.
type answerLimit struct {
	max int
	by  string
}

// answerLimit is the limit of a batch's answer over a transport whose
// own is t: the lower of t and Config.MaxAnswer.
func (e *Engine) answerLimit(t answerLimit) answerLimit {
	if t.max > 0 && t.max < e.cfg.MaxAnswer {
		return t
	}
	return answerLimit{max: e.cfg.MaxAnswer, by: "--max-answer"}
}

// BatchCounts sum up a batch's answer, for its span: its requests, those
// answered with an error (a decided one whose answer did not fit
// included, answered invalid_request), those of them the router's
// failure (Code.Failure: decision_failed, ...), and those answered
// not_ready.
type BatchCounts struct {
	Requests, Errors, Failed, NotReady int
}

// add counts a request answered with code ("" for a decision).
func (n *BatchCounts) add(code Code) {
	n.Requests++
	if code == "" {
		return
	}
	n.Errors++
	if code.Failure() {
		n.Failed++
	}
	if code == CodeNotReady {
		n.NotReady++
	}
}

// cut counts the answer of a request whose code was counted replaced by
// a refusal (invalid_request: it did not fit, answerCut): an error, and
// no longer the failure or not_ready it was.
func (n *BatchCounts) cut(code Code) {
	switch {
	case code == "":
		n.Errors++
	case code.Failure():
		n.Failed--
	}
	if code == CodeNotReady {
		n.NotReady--
	}
}

// allNotReady reports whether no request could be decided for want of an
// active version: at least one request, each answered not_ready.
func (n BatchCounts) allNotReady() bool { return n.Requests > 0 && n.NotReady == n.Requests }

// handleV2Batch is HandleV2Batch, its answer within the transport's
// limit t too (see answerLimit), and counts its answers (zero when the
// batch is refused whole): when no request could be decided for want of
// an active version (allNotReady), the Dispatcher answers as a decide
// does.
func (e *Engine) handleV2Batch(ctx context.Context, body []byte, arrival time.Time, buf []byte, t answerLimit) ([]byte, Code, BatchCounts) {
	s := e.cur.Load() // every item's: the batch is one request
	lim := e.answerLimit(t)
	var n BatchCounts
	if items, ok := e.fastBatch(body); ok {
		var o Outcome
		cut := newAnswerCut(lim, len(items), func(i int) string { return e.requestID(items[i].req) })
		if err := cut.tooSmall(); err != nil {
			return appendV2Error(buf, err, ""), err.Code, n
		}
		start := len(buf)
		buf = append(buf, `{"ok":true,"results":[`...)
		for i, it := range items {
			if i > 0 {
				buf = append(buf, ',')
			}
			if cut.at >= 0 {
				buf = cut.appendNotDecided(buf, i, e.requestID(it.req))
				n.add(CodeInvalidRequest)
				continue
			}
			mark := len(buf)
			var code Code
			var out *Outcome
			buf, code, out = e.decideItem(ctx, &o, s, it, i, arrival, buf)
			n.add(code)
			if cut.over(len(buf)-start, i) {
				buf = cut.appendCut(buf[:mark], i, len(buf)-mark, e.requestID(it.req), out != nil)
				n.cut(code)
			}
		}
		return append(buf, "]}"...), "", n
	}
	return e.slowBatch(ctx, s, body, arrival, buf, lim)
}

// slowBatch is HandleV2Batch with encoding/json, for the bodies the fast
// decoder gives up on; it produces every error. s is the snapshot
// active when the batch began, lim the limit of its answer.
func (e *Engine) slowBatch(ctx context.Context, s *Snapshot, body []byte, arrival time.Time, buf []byte, lim answerLimit) ([]byte, Code, BatchCounts) {
	var n BatchCounts
	var q v2Batch
	if err := decodeObject(body, &q); err != nil {
		return appendV2Error(buf, err, ""), err.Code, n
	}
	if q.long > 0 {
		err := errBatchTooLong("requests", q.long, "requests")
		return appendV2Error(buf, err, ""), err.Code, n
	}
	if q.Requests == nil { // absent or null; [] is an empty batch
		err := &Error{Code: CodeInvalidRequest, Message: `requests is required: a batch is {"requests": [{"request": {...}, "policy_id": ...}, ...]}`, Details: map[string]any{"field": "requests"}}
		return appendV2Error(buf, err, ""), err.Code, n
	}
	if len(q.Requests) > MaxBatch {
		err := errBatchTooLong("requests", len(q.Requests), "requests")
		return appendV2Error(buf, err, ""), err.Code, n
	}
	cut := newAnswerCut(lim, len(q.Requests), func(i int) string { return peekString(q.Requests[i], "request", "id") })
	if err := cut.tooSmall(); err != nil {
		return appendV2Error(buf, err, ""), err.Code, n
	}
	var o Outcome
	start := len(buf)
	buf = append(buf, `{"ok":true,"results":[`...)
	for i, raw := range q.Requests {
		if i > 0 {
			buf = append(buf, ',')
		}
		if cut.at >= 0 {
			buf = cut.appendNotDecided(buf, i, peekString(raw, "request", "id"))
			n.add(CodeInvalidRequest)
			continue
		}
		mark := len(buf)
		var r v2Request
		var out *Outcome
		var code Code
		if err := decodeItem(raw, &r); err != nil {
			buf, code = appendV2Error(buf, batchItemError(err, i), peekString(raw, "request", "id")), err.Code
		} else {
			buf, code, out = e.decideV2(ctx, &o, s, &r, i, arrival, buf)
		}
		n.add(code)
		if cut.over(len(buf)-start, i) {
			buf = cut.appendCut(buf[:mark], i, len(buf)-mark, peekString(raw, "request", "id"), out != nil)
			n.cut(code)
		}
	}
	return append(buf, "]}"...), "", n
}

// answerCut keeps a batch's answer within its limit (Config.MaxAnswer, or
// the transport's when lower: answerLimit), every request
// answered in order. The request whose answer would take the batch's
// past the limit, with room kept for the short answers of those after it,
// is answered invalid_request instead, saying that it was decided (its
// decision logged, its session kept) but not answered, or, refused
// before it was decided, that it was not answered; those after it are
// not decided, and answered invalid_request saying so. Each short answer
// is at most entry bytes besides its request id, so that the room kept
// (left) is known before any request is decided: a batch whose short
// answers alone would not fit is refused whole (tooSmall).
type answerCut struct {
	answerLimit       // the limit, and what sets it, as the errors name it
	at          int   // the request cut, -1 until one is
	left        []int // left[i]: the room kept for the short answers of requests i… (and their commas)
	entry       int
}

// newAnswerCut is the cut, at lim, of a batch of n requests whose ids id
// gives.
func newAnswerCut(lim answerLimit, n int, id func(int) string) *answerCut {
	c := &answerCut{answerLimit: lim, at: -1, left: make([]int, n+1)}
	// The longest short answer: the cut's, of the last request, with an
	// answer of the most bytes a length can say.
	c.entry = len(appendV2Error(nil, batchItemError(c.cutError(math.MaxInt, true), max(n-1, 0)), "")) + len(`,"request_id":`) + 1
	var scratch []byte
	for i := n - 1; i >= 0; i-- {
		scratch = AppendString(scratch[:0], id(i))
		c.left[i] = c.left[i+1] + c.entry + len(scratch)
	}
	return c
}

// tooSmall is the error of a batch whose short answers alone would take
// its answer past the limit (many requests, long ids, a small
// --max-answer), nil when they fit: such a batch is refused whole, none
// of its requests decided.
func (c *answerCut) tooSmall() *Error {
	if need := len(`{"ok":true,"results":[]}`) + c.left[0]; need > c.max {
		return &Error{Code: CodeInvalidRequest,
			Message: fmt.Sprintf("batch of %d requests: its answer could not be held within its limit, %d bytes (%s), even were every request answered with a short error (%d bytes, with their ids); none was decided: send fewer requests in a batch", len(c.left)-1, c.max, c.by, need),
			Details: map[string]any{"field": "requests", "max_answer": c.max}}
	}
	return nil
}

// over reports whether the batch's answer, size bytes so far with
// request i's, leaves too little room for the short answers of the
// requests after it and the answer's end.
func (c *answerCut) over(size, i int) bool {
	return size+c.left[i+1]+len("]}") > c.max
}

// appendCut appends request i's short answer in place of its answer of n
// bytes, and cuts the batch there; decided says whether i was decided
// (an answer of an error refusing it is not).
func (c *answerCut) appendCut(buf []byte, i, n int, requestID string, decided bool) []byte {
	c.at = i
	return appendV2Error(buf, batchItemError(c.cutError(n, decided), i), requestID)
}

// cutError is the error of the request cut, whose answer was n bytes.
func (c *answerCut) cutError(n int, decided bool) *Error {
	what, made := "decided but not answered", "its decision is logged as made, and "
	if !decided {
		what, made = "not answered", ""
	}
	return &Error{Code: CodeInvalidRequest,
		Message: fmt.Sprintf("%s: its answer, %d bytes, would take the batch's answer past its limit, %d bytes (%s); %sthe requests after it are not decided: send them in another batch", what, n, c.max, c.by, made),
		Details: map[string]any{"field": "", "max_answer": c.max}}
}

// appendNotDecided appends the short answer of request i, after the cut.
func (c *answerCut) appendNotDecided(buf []byte, i int, requestID string) []byte {
	err := &Error{Code: CodeInvalidRequest,
		Message: fmt.Sprintf("not decided: the batch's answer reached its limit, %d bytes (%s), at requests[%d]: send this request in another batch", c.max, c.by, c.at),
		Details: map[string]any{"field": "", "max_answer": c.max}}
	return appendV2Error(buf, batchItemError(err, i), requestID)
}

// batchItemError is err, a request's, as the item'th of a batch names it
// (itemError at requests[2]), err itself when item < 0.
func batchItemError(err *Error, item int) *Error {
	if item < 0 {
		return err
	}
	return itemError(err, "requests["+strconv.Itoa(item)+"]")
}

// itemError is err, an item's of a batch at path at ("requests[2]",
// "feedback[2]"), as the batch names it: the message begins with at and
// details.field is within the item ("requests[2].request.id"). err is
// not changed (an Outcome keeps it).
func itemError(err *Error, at string) *Error {
	ie := *err
	ie.Message = at + ": " + err.Message
	if f, ok := err.Details["field"].(string); ok {
		ie.Details = maps.Clone(err.Details)
		ie.Details["field"] = joinField(at, f)
	}
	return &ie
}

// decodeItem decodes a batch's item, raw, into q: an object with the
// fields of a v2 decide body (null, as encoding/json reads it, is an
// empty one).
func decodeItem(raw json.RawMessage, q *v2Request) *Error {
	if b := bytes.TrimLeft(raw, " \t\r\n"); len(b) == 0 || b[0] != '{' && b[0] != 'n' {
		return &Error{Code: CodeInvalidRequest, Message: "want a request object (with request and policy_id), have " + jsonx.KindOfJSON(raw), Details: itemField()}
	}
	if err := json.Unmarshal(raw, q); err != nil {
		return jsonErr(err)
	}
	return nil
}

func appendV2Error(buf []byte, err *Error, requestID string) []byte {
	buf = append(buf, `{"ok":false,"error":{"code":`...)
	buf = AppendString(buf, string(err.Code))
	buf = append(buf, `,"message":`...)
	buf = AppendString(buf, err.Message)
	if len(err.Details) > 0 {
		if d, jerr := json.Marshal(err.Details); jerr == nil {
			buf = append(buf, `,"details":`...)
			buf = append(buf, d...)
		}
	}
	buf = append(buf, '}')
	if requestID != "" {
		buf = append(buf, `,"request_id":`...)
		buf = AppendString(buf, requestID)
	}
	return append(buf, '}')
}

// appendError appends the error response of a request of kind that the
// engine did not decode (refused before it, or a panic while serving it),
// in CP1's shape or v2's, naming the request as far as body can be read;
// a CP1 answer without a trace_id in body takes the trace id of
// traceparent (the transport's W3C header, if any), as HandleCP1's do.
// With cut, the ids are repeated as an error message repeats a value
// (jsonx.Echo: at most MaxEcho bytes, marked and followed by their
// length): the answer to a body refused as too large stays small
// however large it was.
func appendError(buf []byte, err *Error, kind Kind, body []byte, traceparent string, cut bool) []byte {
	id, traceID := errorIDs(body, kind)
	if cut {
		id, traceID = jsonx.Echo(id), jsonx.Echo(traceID)
	}
	if kind == KindCP1 {
		if traceID == "" {
			traceID = TraceIDOf(traceparent)
		}
		return appendCP1Error(buf, err, CP1Context{RequestID: id, TraceID: traceID})
	}
	return appendV2Error(buf, err, id)
}
