package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/rpl-lang/rpl/internal/jsonx"
)

// Feedback is the result of a routed request: which target served it, how
// it went, how long it took, how many tokens and what it cost.
type Feedback struct {
	RequestID string `json:"request_id"`
	TenantID  string `json:"tenant_id"`
	PolicyID  string `json:"policy_id,omitempty"`
	Version   string `json:"version,omitempty"`
	// Target is the "provider:model" that served (CP1 clients may send
	// provider_id instead).
	Target     string `json:"target"`
	ProviderID string `json:"provider_id,omitempty"`
	// Status is ok, error, timeout, canceled, http_429, http_4xx or
	// http_5xx; HTTPStatus the provider's status code, when known.
	Status     string  `json:"status"`
	HTTPStatus int     `json:"http_status,omitempty"`
	LatencyMs  float64 `json:"latency_ms"`
	TokensIn   int64   `json:"tokens_in"`
	TokensOut  int64   `json:"tokens_out"`
	// Cost is money: a number or a literal ("$0.0123").
	Cost json.RawMessage `json:"cost,omitempty"`
	// Time is when the request finished; zero means when received.
	Time time.Time `json:"time,omitzero"`

	// CostNanos is Cost in nano-units, set by Validate.
	CostNanos int64 `json:"-"`
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
	bad := func(field, format string, args ...any) *Error {
		return &Error{Code: CodeInvalidRequest, Message: field + ": " + fmt.Sprintf(format, args...), Details: map[string]any{"field": field}}
	}
	if f.Target == "" {
		f.Target = f.ProviderID
	}
	switch {
	case f.RequestID == "":
		return bad("request_id", "required")
	case f.Target == "":
		return bad("target", "required")
	case f.Status == "":
		return bad("status", "required (one of %s)", strings.Join(FeedbackStatuses, ", "))
	}
	known := false
	for _, s := range FeedbackStatuses {
		known = known || s == f.Status
	}
	if !known {
		return bad("status", "%q is not one of %s", f.Status, strings.Join(FeedbackStatuses, ", "))
	}
	if f.LatencyMs < 0 || math.IsNaN(f.LatencyMs) || f.LatencyMs > 24*3600*1000 {
		return bad("latency_ms", "must be between 0 and a day")
	}
	if f.TokensIn < 0 || f.TokensOut < 0 {
		return bad("tokens", "token counts must be ≥ 0")
	}
	if len(f.Cost) > 0 && string(f.Cost) != "null" {
		var s string
		var n json.Number
		if json.Unmarshal(f.Cost, &s) != nil {
			if err := json.Unmarshal(f.Cost, &n); err != nil {
				return bad("cost", "want money (0.0123 or \"$0.0123\")")
			}
			s = n.String()
		}
		c, err := ParseMoney(s)
		if err != nil {
			return bad("cost", "want money (0.0123 or \"$0.0123\"), have %q", s)
		}
		if c < 0 {
			return bad("cost", "must be ≥ 0")
		}
		f.CostNanos = c
	}
	switch {
	case f.Time.IsZero():
		f.Time = now
	case f.Time.After(now.Add(MaxFeedbackSkew)):
		// The live state keeps a period until it ends: a time far ahead
		// would keep its entries (and skew budgets) for as long.
		return bad("time", "%s is more than %v ahead of the router's clock", f.Time.Format(time.RFC3339), MaxFeedbackSkew)
	}
	return nil
}

// MaxFeedbackSkew is how far ahead of the router's clock a feedback's time
// may be (the clocks of client and router differ a little).
const MaxFeedbackSkew = 5 * time.Minute

// ParseMoney parses an amount of money, "0.25", "$0.25" or "" (zero),
// into nano-units.
func ParseMoney(s string) (int64, error) {
	if strings.TrimSpace(s) == "" {
		return 0, nil
	}
	return jsonx.ParseMoney(s)
}

// FeedbackRecorder records validated feedback: the cost ledger, budgets,
// experiment statistics and provider health implement it. It must be safe
// for concurrent use; a nil error acknowledges the event, which must then
// not be lost.
type FeedbackRecorder interface {
	RecordFeedback(f *Feedback) error
}

// ErrNoRecorder is Observe's error when nothing records feedback.
var ErrNoRecorder = errors.New("no feedback recorder configured")

// Observe validates feedback and records it through the configured
// recorder (Config.State when it implements FeedbackRecorder).
func (e *Engine) Observe(f *Feedback) *Error {
	if f == nil { // a null item of a batch
		return &Error{Code: CodeInvalidRequest, Message: "feedback is null, want an object"}
	}
	if err := f.Validate(time.Now()); err != nil {
		return err
	}
	if e.svc.feedback == nil {
		return &Error{Code: CodeInternal, Message: ErrNoRecorder.Error(), Err: ErrNoRecorder}
	}
	if err := e.svc.feedback.RecordFeedback(f); err != nil {
		return &Error{Code: CodeInternal, Message: "recording feedback: " + err.Error(), Err: err}
	}
	return nil
}

// HandleFeedback decodes, validates and records a feedback body (one
// Feedback object, or {"feedback": [...]}) and appends the response.
func (e *Engine) HandleFeedback(body []byte, buf []byte) ([]byte, Code) {
	// One decode serves both forms, so that an error names the right field.
	var in struct {
		Feedback
		Batch []*Feedback `json:"feedback"`
	}
	if err := decodeObject(body, &in); err != nil {
		return appendV2Error(buf, err, peekString(body, "request_id")), err.Code
	}
	list := in.Batch
	if list == nil {
		list = []*Feedback{&in.Feedback}
	}
	for i, f := range list {
		if err := e.Observe(f); err != nil {
			if len(list) > 1 {
				err.Message = fmt.Sprintf("feedback[%d]: %s (the %d before it were recorded)", i, err.Message, i)
			}
			id := ""
			if f != nil {
				id = f.RequestID
			}
			return appendV2Error(buf, err, id), err.Code
		}
	}
	buf = append(buf, `{"ok":true,"recorded":`...)
	buf = fmt.Appendf(buf, "%d}", len(list))
	return buf, ""
}
