package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/internal/jsonx"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/vm"
)

// Feedback is the result of a routed request: which target served it, how
// it went, how long it took, how many tokens and what it cost.
type Feedback struct {
	RequestID string `json:"request_id"`
	// TenantID is the tenant the request was decided for. An engine
	// requiring registered tenants (Config.RequireKnownTenant) refuses
	// feedback for one its registry does not hold, an empty id too, as
	// it refuses a decision for it: unauthorized, nothing recorded.
	TenantID string `json:"tenant_id"`
	PolicyID string `json:"policy_id,omitempty"`
	Version  string `json:"version,omitempty"`
	// Target is the target that served (CP1 clients may send
	// provider_id instead; both, when they differ, are refused):
	// "provider:model", or a provider alone as CP1 names them (see
	// lang.TargetProblem).
	Target     string `json:"target"`
	ProviderID string `json:"provider_id,omitempty"`
	// Status is ok, error, timeout, canceled, http_429, http_4xx or
	// http_5xx; HTTPStatus the provider's status code, when known (0:
	// not given), which must not contradict Status: ok takes a 2xx,
	// http_429 429, http_4xx a 4xx (429 too, its class: the health
	// reads it as http_429), http_5xx a 5xx; error, timeout and canceled
	// any code (a 200 whose body was unusable is an error). Feedback
	// saying both (ok with 500) is refused, invalid_request naming
	// http_status and status, rather than recorded as one or the other.
	Status     string  `json:"status"`
	HTTPStatus int     `json:"http_status,omitempty"`
	LatencyMs  float64 `json:"latency_ms"`
	// TokensIn and TokensOut are the request's tokens. Feedback giving
	// no Cost (absent or null) but tokens and a TenantID is charged
	// its tokens at the target's price, when the active version's
	// catalogue (or the live state) prices it (Engine.priceTokens);
	// a target with no price is charged nothing.
	TokensIn  int64 `json:"tokens_in"`
	TokensOut int64 `json:"tokens_out"`
	// Cost is money: a number (0.0123, 1.23e-2) or a literal
	// ("$0.0123"), at most 9 decimals (nano-units) and at most
	// MaxFeedbackCost; a cost other than 0 needs TenantID, whose budget
	// it is charged to. A cost given, 0 too, is charged as given,
	// whatever the tokens.
	Cost json.RawMessage `json:"cost,omitempty"`
	// Time is when the request finished; zero means when received.
	Time time.Time `json:"time,omitzero"`
	// Attempt numbers the request's attempts on Target, from 1 (the
	// first; 2 its first retry, as a fallback's retries make) to
	// MaxFeedbackAttempt; 0 means 1, and Validate sets it so. It is part
	// of the feedback's identity (see FeedbackDedupWindow): each attempt
	// is recorded once.
	Attempt int `json:"attempt,omitempty"`

	// CostNanos is Cost in nano-units, set by Validate, or the cost of
	// the tokens (see TokensIn), set when the engine checks feedback.
	CostNanos int64 `json:"-"`
	// Registered is set when the engine checks feedback whose tenant
	// the active version's registry (tenants.json) holds: a recorder
	// bounding what made-up tenant ids may fill admits it all the same
	// (the registry is bounded).
	Registered bool `json:"-"`
}

// FeedbackStatuses are the valid values of Feedback.Status.
var FeedbackStatuses = []string{"ok", "error", "timeout", "canceled", "http_429", "http_4xx", "http_5xx"}

// OK reports whether the request succeeded.
func (f *Feedback) OK() bool { return f.Status == "ok" }

// Latency is LatencyMs as a duration.
func (f *Feedback) Latency() time.Duration {
	return time.Duration(f.LatencyMs * float64(time.Millisecond))
}

// Validate checks the feedback and fills CostNanos, Target (from
// ProviderID) and Time (with now when zero).
func (f *Feedback) Validate(now time.Time) *Error {
	bad := fieldErrorf
	targetField := "target"
	switch {
	case f.Target == "":
		f.Target, targetField = f.ProviderID, "provider_id"
	case f.ProviderID != "" && f.ProviderID != f.Target:
		// Which served? A gateway in front could read the other (as a
		// key given twice).
		return bad("provider_id", "%s disagrees with target %s: give one of them (or both the same)", jsonx.QuoteEcho(f.ProviderID), jsonx.QuoteEcho(f.Target))
	}
	switch {
	case f.RequestID == "":
		return bad("request_id", "required")
	case f.Target == "":
		return bad("target", "required")
	case f.Status == "":
		return bad("status", "required (one of %s)", strings.Join(FeedbackStatuses, ", "))
	}
	if why := lang.TargetProblem(f.Target); why != "" {
		return bad(targetField, "%s is not a target: %s", jsonx.QuoteEcho(f.Target), why)
	}
	if !slices.Contains(FeedbackStatuses, f.Status) {
		return bad("status", "%s is not one of %s", jsonx.QuoteEcho(f.Status), strings.Join(FeedbackStatuses, ", "))
	}
	if f.LatencyMs < 0 || math.IsNaN(f.LatencyMs) || f.LatencyMs > 24*3600*1000 {
		return bad("latency_ms", "must be between 0 and 86400000 (a day, in milliseconds), have %s", jsonx.Echo(strconv.FormatFloat(f.LatencyMs, 'g', -1, 64)))
	}
	if f.HTTPStatus != 0 && (f.HTTPStatus < 100 || f.HTTPStatus > 599) {
		// Read as the provider's answer (429 is a failure to the
		// breaker): a number no HTTP answer carries is a client's bug.
		return bad("http_status", "want an HTTP status code, 100 to 599, have %d", f.HTTPStatus)
	}
	if lo, hi := statusCodes(f.Status); f.HTTPStatus != 0 && lo != 0 && (f.HTTPStatus < lo || f.HTTPStatus > hi) {
		// The provider's health would read one, the ledger and a
		// reader of the record the other.
		takes := fmt.Sprintf("%d to %d", lo, hi)
		if lo == hi {
			takes = strconv.Itoa(lo)
		}
		return bad("http_status", "%d contradicts status %s, which takes %s (or no http_status)", f.HTTPStatus, f.Status, takes)
	}
	if f.Attempt == 0 {
		f.Attempt = 1
	}
	if f.Attempt < 1 || f.Attempt > MaxFeedbackAttempt {
		return errAttempt(f.Attempt)
	}
	if f.TokensIn < 0 {
		return bad("tokens_in", "must be ≥ 0, have %d", f.TokensIn)
	}
	if f.TokensOut < 0 {
		return bad("tokens_out", "must be ≥ 0, have %d", f.TokensOut)
	}
	if f.costGiven() {
		c, why := parseCost(f.Cost)
		if why != "" {
			return bad("cost", "%s", why)
		}
		f.CostNanos = c
	}
	if f.CostNanos < 0 || f.CostNanos > MaxFeedbackCost { // set by a caller, not parsed
		return bad("cost", "%s is not from $0 to %s", lang.FormatMoney(f.CostNanos), lang.FormatMoney(MaxFeedbackCost))
	}
	if len(f.TenantID) > MaxTenantLen {
		return errTenantTooLong("tenant_id")
	}
	if f.CostNanos != 0 && f.TenantID == "" {
		// The ledger is per tenant: a cost with no tenant would be
		// acknowledged and charged to no one.
		return bad("tenant_id", "required with a cost (the cost is charged to the tenant's budget)")
	}
	switch {
	case f.Time.IsZero():
		f.Time = now
	case f.Time.After(now.Add(MaxFeedbackSkew)):
		// The live state keeps a period until it ends: a time far ahead
		// would keep its entries (and skew budgets) for as long.
		return bad("time", "%s is more than %v ahead of the router's clock", f.Time.Format(time.RFC3339), MaxFeedbackSkew)
	case !vm.TimeInRange(f.Time):
		// As a request's time (rpl.FromJSON): before 1677-09-21 it is no
		// int64 of nanoseconds.
		first, last := vm.TimeRange()
		return bad("time", "time out of range (%s to %s): %s", first.Format(time.RFC3339Nano), last.Format(time.RFC3339Nano), f.Time.Format(time.RFC3339Nano))
	}
	return nil
}

// statusCodes is the range of HTTP status codes a feedback's status
// takes (Feedback.Status); lo is 0 for a status that takes any.
func statusCodes(status string) (lo, hi int) {
	switch status {
	case "ok":
		return 200, 299
	case "http_429":
		return 429, 429
	case "http_4xx":
		return 400, 499
	case "http_5xx":
		return 500, 599
	}
	return 0, 0
}

// MaxFeedbackAttempt is the highest attempt number feedback may carry
// (Feedback.Attempt): far more retries of one target than a gateway
// makes for one request.
const MaxFeedbackAttempt = 1000

// errAttempt is the error of an attempt number out of range.
func errAttempt(n int) *Error {
	return fieldErrorf("attempt", "want 1 to %d (1 the first attempt on the target, 2 its first retry), have %d", MaxFeedbackAttempt, n)
}

// MaxFeedbackSkew is how far ahead of the router's clock a feedback's time
// may be (the clocks of client and router differ a little).
const MaxFeedbackSkew = 5 * time.Minute

// MaxFeedbackCost is the largest cost one feedback may carry: $1,000,000
// in nano-units, far above any single AI request; 9,224 such costs in a
// month reach the ledger's int64 totals ($9,223,372,036.854775807),
// which saturate there rather than wrap.
const MaxFeedbackCost = 1_000_000 * lang.MoneyScale

// MaxTenantLen is the longest tenant id: the live state keeps an entry
// per tenant it hears of (and per target: lang.MaxTargetLen). A registry
// (tenants.json) naming a longer one, as a tenant or a parent, is
// refused when loaded (bundle.ParseTenants).
const MaxTenantLen = bundle.MaxTenantLen

// errTenantTooLong is the error of a tenant id, at field, longer than
// MaxTenantLen, in feedback and decide requests alike.
func errTenantTooLong(field string) *Error {
	return fieldErrorf(field, "longer than %d bytes", MaxTenantLen)
}

// parseCost reads a feedback's cost, a JSON number or string, into
// nano-units, digits past the ninth decimal rounded (jsonx.RoundMoney:
// a cost is often computed in floating point); the string is why it is
// not a valid cost ("" when it is).
func parseCost(raw json.RawMessage) (int64, string) {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return 0, fmt.Sprintf("want money (0.0123 or \"$0.0123\"), have %s", jsonx.KindOfJSON(raw))
		}
		s = n.String()
	}
	text := strings.TrimSpace(s)
	if text == "" {
		return 0, ""
	}
	c, err := jsonx.RoundMoney(text)
	tooMuch := errors.Is(err, jsonx.ErrMoneyRange)
	// Below 0 as written, though rounded to $0 (-1e-10) or beyond the
	// range (-1e300).
	mantissa, _, _ := strings.Cut(strings.ToLower(text), "e")
	negative := strings.HasPrefix(text, "-") && strings.ContainsAny(mantissa, "123456789")
	switch {
	case err != nil && !tooMuch:
		return 0, err.Error() // repeating at most jsonx.MaxEcho bytes of s
	case negative:
		// Repeating the cost, as tokens_in's and tokens_out's do.
		return 0, "must be ≥ 0, have " + jsonx.Echo(text)
	case tooMuch || c > MaxFeedbackCost:
		return 0, fmt.Sprintf("%s is more than the most one request may cost, %s", jsonx.Echo(text), lang.FormatMoney(MaxFeedbackCost))
	}
	return c, ""
}

// ParseMoney parses an amount of money, "0.25", "$0.25" or "" (zero),
// into nano-units.
func ParseMoney(s string) (int64, error) {
	if strings.TrimSpace(s) == "" {
		return 0, nil
	}
	return jsonx.ParseMoney(s)
}

// FeedbackRecorder records validated feedback: the cost ledger, budgets
// and provider health implement it (state.Mem), as experiment
// statistics will. It must be safe
// for concurrent use; an *Error is the answer to the client (a feedback
// the recorder refuses, such as invalid_request), any other error an
// internal one; a nil error acknowledges the event, which must then
// not be lost.
type FeedbackRecorder interface {
	RecordFeedback(f *Feedback) error
}

// FeedbackChecker is implemented by a FeedbackRecorder that refuses some
// feedback as the client's error for what it keeps rather than for the
// feedback alone, as state.Mem refuses a cost in a month whose spend it
// no longer keeps. CheckFeedback is the error (invalid_request) that
// RecordFeedback would refuse f with for it, or nil, and records nothing:
// feedback is checked so with the rest (Observe, each item of a batch
// before any is recorded), and RecordFeedback still refuses it.
type FeedbackChecker interface {
	CheckFeedback(f *Feedback) *Error
}

// ErrNoRecorder is Observe's error when nothing records feedback.
var ErrNoRecorder = errors.New("no feedback recorder configured")

// Observe validates feedback, refuses its tenant where a decision for it
// would be refused (see Feedback.TenantID), and records it through the
// configured recorder (Config.State when it implements FeedbackRecorder).
// It records every call: duplicates are HandleFeedback's to drop (see
// FeedbackDedupWindow).
func (e *Engine) Observe(f *Feedback) *Error {
	_, err := e.observe(f, time.Now(), nil)
	return err
}

// observe is Observe, and when d is not nil drops the feedback d has
// seen: dup reports a duplicate, acknowledged without being recorded.
func (e *Engine) observe(f *Feedback, now time.Time, d *feedbackDedup) (dup bool, _ *Error) {
	if err := e.checkFeedback(f, now, d); err != nil {
		return false, err
	}
	return e.recordChecked(f, now, d)
}

// checkFeedback is what observe refuses before recording anything, the
// client's errors: feedback that is null or invalid (Feedback.Validate,
// which fills f's CostNanos, Target and Time), whose tenant a decision
// would be refused for, or that the recorder would refuse
// (FeedbackChecker), unless d (when not nil) has it recorded: a duplicate
// is acknowledged, as recordChecked finds, though what the recorder keeps
// has changed since (a cost of the month before, recorded before the
// ledger stopped keeping that month). It records nothing.
func (e *Engine) checkFeedback(f *Feedback, now time.Time, d *feedbackDedup) *Error {
	if f == nil { // a null item of a batch
		return &Error{Code: CodeInvalidRequest, Message: "feedback is null, want an object", Details: itemField()}
	}
	if err := f.Validate(now); err != nil {
		return err
	}
	// The tenant is refused as a decision for it would be, before
	// anything is recorded: with Config.RequireKnownTenant, a tenant id
	// the registry does not hold takes no place in the live state.
	s := e.cur.Load()
	_, known, err := e.registered(s, f.TenantID)
	if err != nil {
		return err
	}
	f.Registered = known
	if err := e.priceTokens(s, f); err != nil {
		return err
	}
	if c, ok := e.svc.feedback.(FeedbackChecker); ok {
		if err := c.CheckFeedback(f); err != nil && (d == nil || !d.recorded(d.key(f.TenantID, f.RequestID, f.Target, f.Attempt), now)) {
			return err
		}
	}
	return nil
}

// costGiven reports whether f gives a cost: present and not null.
func (f *Feedback) costGiven() bool { return len(f.Cost) > 0 && string(f.Cost) != "null" }

// priceTokens sets the cost of feedback f that gives none (no cost, or
// null) but tokens and a tenant to charge: its tokens at its target's
// price (services.price: a price set in the live state, else the
// catalogue of s, the active snapshot, when not nil), as cost.estimate
// computes it, exact and rounded once, half to even (stdlib.Price.Cost).
// A cost given wins, 0 too (the gateway knows the bill); a target
// without a price, or feedback without a tenant, is charged nothing. A
// cost beyond MaxFeedbackCost, as a given one, is refused, naming the
// tokens.
func (e *Engine) priceTokens(s *Snapshot, f *Feedback) *Error {
	if f.CostNanos != 0 || f.costGiven() ||
		f.TokensIn == 0 && f.TokensOut == 0 || f.TenantID == "" {
		return nil
	}
	var cat *bundle.Catalogue
	if s != nil {
		cat = s.catalogue
	}
	p, ok := e.svc.price(cat, f.Target)
	if !ok {
		return nil
	}
	c, ok := p.Cost(f.TokensIn, f.TokensOut)
	if !ok || c > MaxFeedbackCost {
		field := "tokens_in"
		if f.TokensOut > f.TokensIn {
			field = "tokens_out"
		}
		return fieldErrorf(field, "%d input and %d output tokens at %s's price (%s and %s a million) cost more than the most one request may cost, %s",
			f.TokensIn, f.TokensOut, jsonx.QuoteEcho(f.Target), lang.FormatMoney(p.Input), lang.FormatMoney(p.Output), lang.FormatMoney(MaxFeedbackCost))
	}
	f.CostNanos = c
	return nil
}

// recordChecked records f, which checkFeedback has taken, dropping it as
// observe does when d has seen it. Its errors are those of recording: no
// recorder, a copy in flight (overloaded), the recorder's refusal of f,
// and an internal error.
func (e *Engine) recordChecked(f *Feedback, now time.Time, d *feedbackDedup) (dup bool, _ *Error) {
	if e.svc.feedback == nil {
		return false, &Error{Code: CodeInternal, Message: ErrNoRecorder.Error(), Err: ErrNoRecorder}
	}
	var key uint64
	if d != nil {
		// Claimed before recording, so that two copies arriving together
		// are not both recorded; released if recording fails, so that a
		// retry is not taken for a duplicate. A copy arriving while the
		// first is being recorded is told to retry: acknowledged as a
		// duplicate, it would be lost if that recording failed.
		key = d.key(f.TenantID, f.RequestID, f.Target, f.Attempt)
		switch d.claim(key, now) {
		case duplicate:
			return true, nil
		case inFlight:
			return false, &Error{Code: CodeOverloaded, Message: "feedback for this request id, target and attempt is being recorded; retry to learn whether it was",
				Details: map[string]any{"cause": "in_flight"}}
		}
	}
	err := e.record(f, d, key, now)
	if err != nil {
		var refused *Error // the recorder's verdict on this feedback
		if errors.As(err, &refused) {
			return false, refused
		}
		return false, &Error{Code: CodeInternal, Message: "recording feedback: " + err.Error(), Err: err}
	}
	return false, nil
}

// record records f, and settles its claim of key in d (when not nil) as
// recorded or not, a recording that panics too: its id is not left in
// flight, the client's retries answered overloaded for the whole window.
func (e *Engine) record(f *Feedback, d *feedbackDedup, key uint64, now time.Time) (err error) {
	if d != nil {
		recorded := false
		defer func() { d.settle(key, now, recorded) }()
		err = e.svc.feedback.RecordFeedback(f)
		recorded = err == nil
		return err
	}
	return e.svc.feedback.RecordFeedback(f)
}

// HandleFeedback decodes, validates and records a feedback body (one
// Feedback object, or {"feedback": [...]}, at most MaxBatch items, and
// nothing else beside it) and appends the response.
//
// An unknown field is invalid_request naming it (with the nearest known
// field, when one is near), as is a field given twice, a wrong type or a
// number out of range;
// an integer field takes a whole number however JSON writes it (1e3 is
// 1000, 1.5e0 is not whole: jsonx.Unmarshal).
// Feedback whose request id, target and attempt the tenant already sent
// in the last FeedbackDedupWindow (see there) is a duplicate: acknowledged, not
// recorded again; while the first is still being recorded, a copy is
// answered overloaded (cause in_flight), to be retried. The answer is {"ok":true,"recorded":1} for one feedback
// recorded, {"ok":true,"recorded":0,"duplicate":true} for a duplicate, and
// {"ok":true,"recorded":R,"duplicates":D} for a batch (duplicates only when
// there were some).
//
// A batch is refused whole for a client's error in any item: every item
// is decoded and checked (as Observe checks feedback, its tenant too)
// before any is recorded, and the first one refused is the answer's
// error, naming the item (feedback[2]: status: required (one of …)) and saying
// that nothing of the batch was recorded. The items are then recorded
// in order; a failure while recording one (the recorder's refusal other
// than FeedbackChecker's, such as a full ledger, or FeedbackChecker's
// when what the recorder keeps changed after the check: state.Mem's month
// before, dropped at 01:00 UTC on the first; a copy in flight; an
// internal error) ends the batch there: the items
// after it are not recorded, and the error names it and says what
// became of those before it (recorded, or duplicates).
func (e *Engine) HandleFeedback(body []byte, buf []byte) ([]byte, Code) {
	out, err, _ := e.handleFeedback(body, buf)
	if err != nil {
		return out, err.Code
	}
	return out, ""
}

// handleFeedback is HandleFeedback, its error whole (nil when recorded)
// with the request id of the feedback it names, for the span of a
// refused feedback (Dispatcher).
func (e *Engine) handleFeedback(body []byte, buf []byte) ([]byte, *Error, string) {
	fail := func(err *Error, id string) ([]byte, *Error, string) {
		return appendV2Error(buf, err, id), err, id
	}
	var top map[string]json.RawMessage
	if err := decodeObject(body, &top); err != nil {
		return fail(err, peekString(body, "request_id"))
	}
	batch, isBatch := top["feedback"]
	if !isBatch {
		f, err := decodeFeedback(top)
		if err == nil {
			err = errRepeatedKey(body, 0)
		}
		if err != nil {
			return fail(err, peekString(body, "request_id"))
		}
		dup, err := e.observe(f, time.Now(), e.dedup)
		if err != nil {
			return fail(err, f.RequestID)
		}
		if dup {
			return append(buf, `{"ok":true,"recorded":0,"duplicate":true}`...), nil, ""
		}
		return append(buf, `{"ok":true,"recorded":1}`...), nil, ""
	}
	if err := errRepeatedKey(body, 1); err != nil {
		return fail(err, "")
	}
	if len(top) > 1 {
		others := make([]string, 0, len(top)-1)
		for k := range top {
			if k != "feedback" {
				others = append(others, k)
			}
		}
		slices.Sort(others)
		return fail(&Error{Code: CodeInvalidRequest, Message: fmt.Sprintf("%s: not allowed beside a feedback batch (each item of feedback carries its own fields)", keyName(others[0])),
			Details: map[string]any{"field": jsonx.KeyPath("", others[0])}}, "")
	}
	if n, ok := jsonx.ListLen(batch); ok && n > MaxBatch {
		// Counted, not decoded: a 1 MiB list of 0s is half a million
		// items, an allocation each.
		return fail(errBatchTooLong("feedback", n, "feedback items"), "")
	}
	var items []json.RawMessage
	if err := json.Unmarshal(batch, &items); err != nil || items == nil { // nil: null
		return fail(&Error{Code: CodeInvalidRequest, Message: "feedback: want a list, have " + jsonx.KindOfJSON(batch), Details: map[string]any{"field": "feedback"}}, "")
	}
	if len(items) > MaxBatch {
		return fail(errBatchTooLong("feedback", len(items), "feedback items"), "")
	}
	// failItem is the answer to the i'th item's error, f the item as far
	// as it was decoded; taken says what became of the batch.
	failItem := func(err *Error, i int, f *Feedback, taken string) ([]byte, *Error, string) {
		err = itemError(err, "feedback["+strconv.Itoa(i)+"]")
		err.Message += " (" + taken + ")"
		id := peekString(items[i], "request_id")
		if f != nil {
			id = f.RequestID
		}
		return fail(err, id)
	}
	now := time.Now()
	fs := make([]*Feedback, len(items))
	for i, item := range items {
		f, err := decodeFeedbackItem(item)
		if err == nil {
			err = e.checkFeedback(f, now, e.dedup)
		}
		if err != nil {
			return failItem(err, i, f, "nothing of the batch was recorded")
		}
		fs[i] = f
	}
	recorded, dups := 0, 0
	for i, f := range fs {
		dup, err := e.recordChecked(f, now, e.dedup)
		if err != nil {
			return failItem(err, i, f, recordedBefore(i, recorded, dups))
		}
		if dup {
			dups++
		} else {
			recorded++
		}
	}
	buf = fmt.Appendf(buf, `{"ok":true,"recorded":%d`, recorded)
	if dups > 0 {
		buf = fmt.Appendf(buf, `,"duplicates":%d`, dups)
	}
	return append(buf, '}'), nil, ""
}

// feedbackFields are the fields of a Feedback object, by JSON name.
var feedbackFields = map[string]func(*Feedback) any{
	"request_id":  func(f *Feedback) any { return &f.RequestID },
	"tenant_id":   func(f *Feedback) any { return &f.TenantID },
	"policy_id":   func(f *Feedback) any { return &f.PolicyID },
	"version":     func(f *Feedback) any { return &f.Version },
	"target":      func(f *Feedback) any { return &f.Target },
	"provider_id": func(f *Feedback) any { return &f.ProviderID },
	"status":      func(f *Feedback) any { return &f.Status },
	"http_status": func(f *Feedback) any { return &f.HTTPStatus },
	"latency_ms":  func(f *Feedback) any { return &f.LatencyMs },
	"tokens_in":   func(f *Feedback) any { return &f.TokensIn },
	"tokens_out":  func(f *Feedback) any { return &f.TokensOut },
	"cost":        func(f *Feedback) any { return &f.Cost },
	"time":        func(f *Feedback) any { return &f.Time },
	"attempt":     func(f *Feedback) any { return &f.Attempt },
}

// recordedBefore says what became of the n items before the one of a
// batch whose recording failed: recorded of them were recorded, dups
// were duplicates.
func recordedBefore(n, recorded, dups int) string {
	switch {
	case n == 0:
		return "none before it"
	case dups == 0 && n == 1:
		return "the 1 before it was recorded"
	case dups == 0:
		return fmt.Sprintf("the %d before it were recorded", n)
	}
	d := "duplicates"
	if dups == 1 {
		d = "duplicate"
	}
	return fmt.Sprintf("of the %d before it, %d recorded, %d %s", n, recorded, dups, d)
}

// decodeFeedbackItem decodes an item of a batch: nil for null.
func decodeFeedbackItem(raw json.RawMessage) (*Feedback, *Error) {
	if string(raw) == "null" {
		return nil, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		e := jsonErr(err) // "want an object, have a string"
		if e.Details == nil {
			e.Details = itemField()
		}
		return nil, e
	}
	f, err := decodeFeedback(fields)
	if err == nil {
		err = errRepeatedKey(raw, 0)
	}
	return f, err
}

// decodeFeedback decodes a feedback object's fields, refusing an unknown
// one and saying which field a type or range error is in (the first such
// field in sorted order, so that the error does not depend on the map's
// order).
func decodeFeedback(fields map[string]json.RawMessage) (*Feedback, *Error) {
	unknown, found := "", false
	for k := range fields {
		if feedbackFields[k] == nil && (!found || k < unknown) {
			unknown, found = k, true
		}
	}
	if found {
		return nil, &Error{Code: CodeInvalidRequest, Message: fmt.Sprintf("%s: unknown field%s", keyName(unknown), suggestField(unknown)), Details: map[string]any{"field": jsonx.KeyPath("", unknown)}}
	}
	f := new(Feedback)
	var bad *Error
	badKey := ""
	for k, raw := range fields {
		// The first bad field in sorted order, as for an unknown one.
		if err := jsonx.Unmarshal(raw, feedbackFields[k](f)); err != nil && (bad == nil || k < badKey) { // http_status 1e3 is 1000
			bad, badKey = fieldErr(k, raw, err), k
		}
	}
	if bad != nil {
		return nil, bad
	}
	if raw, ok := fields["attempt"]; ok && f.Attempt == 0 && string(raw) != "null" {
		// Given as 0, which Validate takes for no attempt given.
		return nil, errAttempt(0)
	}
	return f, nil
}

// keyName is the key k of a body's object as a message names it: as
// jsonx.KeyPath writes a key (cut, but quoted when it is spelt with a
// space or a control character, which it would hide, and ": " would end
// the message's path early, or begins with [ or ", as an index or a
// quoted key does), the empty key quoted.
func keyName(k string) string {
	if k == "" {
		return jsonx.QuoteEcho(k)
	}
	return jsonx.KeyPath("", k)
}

// joinField is the path field (jsonx.KeyPath's or jsonx.DuplicateKey's)
// within the value at. Such a path begins with [ only for the empty key
// ([""]), a key that begins with [ being quoted, so it follows at
// without a dot (feedback[0][""]); any other after one.
func joinField(at, field string) string {
	switch {
	case at == "":
		return field
	case field == "": // the value at itself: an item of the wrong type
		return at
	case strings.HasPrefix(field, "["):
		return at + field
	}
	return at + "." + field
}

// itemField is the details of an error of a batch's item itself (not
// an object): its field, "" here, is the item's path once itemError
// has named it (feedback[2]), where a tool places the error.
func itemField() map[string]any { return map[string]any{"field": ""} }

// fieldErrorf is the invalid_request "field: message" of a field.
func fieldErrorf(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalidRequest, Message: field + ": " + fmt.Sprintf(format, args...), Details: map[string]any{"field": field}}
}

// didYouMean is " (did you mean X?)" for the one of names nearest name by
// spelling, "" when none is near.
func didYouMean(name string, names []string) string { return suggestion(lang.Nearest(name, names)) }

// suggestion is " (did you mean near?)", "" for no near.
func suggestion(near string) string {
	if near == "" {
		return ""
	}
	return " (did you mean " + near + "?)"
}

// suggestField is " (did you mean X?)" for the known field nearest name
// (by spelling, or one a prefix of the other: latency for latency_ms,
// cost_usd for cost), "" when none is near.
func suggestField(name string) string {
	names := make([]string, 0, len(feedbackFields))
	for k := range feedbackFields {
		names = append(names, k)
	}
	slices.Sort(names)
	if s := didYouMean(name, names); s != "" {
		return s
	}
	var near []string
	for _, n := range names {
		if name != "" && (strings.HasPrefix(n, name+"_") || strings.HasPrefix(name, n+"_")) {
			near = append(near, n)
		}
	}
	if len(near) == 0 {
		return ""
	}
	return " (did you mean " + strings.Join(near, " or ") + "?)"
}

// fieldErr is the invalid_request of a field that did not decode: the
// field's JSON name (never the Go type's), what it wants and why.
func fieldErr(field string, raw []byte, err error) *Error {
	bad := func(format string, args ...any) *Error { return fieldErrorf(field, format, args...) }
	if msg, ok := jsonx.TypeError(err); ok {
		return bad("%s", msg)
	}
	if field == "time" {
		return bad("want an RFC 3339 time (\"2026-11-26T12:00:00Z\"), have %s", jsonx.EchoJSON(raw))
	}
	return bad("%v", err)
}
