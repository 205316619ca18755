package runtime

import (
	"encoding/json"
	"reflect"
	"strconv"
	"sync"
	"time"

	"github.com/rpl-lang/rpl/internal/jsonx"
)

// DecisionLog receives decision events (a sample of them, see
// Config.LogSample). LogDecision is called on the request path: it must
// not block (queue and drop, counting drops, when the sink is slow). The
// sink owns ev from then on, and once done with it may hand it back with
// ev.Release for a later decision to reuse.
type DecisionLog interface {
	LogDecision(ev *DecisionEvent)
}

// DecisionEvent is one logged decision: who decided what with which
// policy version, at what cost. It does not carry the request: with the
// request (kept by the caller), it is enough to replay the decision, the
// request id giving the seed and Time the clock.
type DecisionEvent struct {
	Time      time.Time       `json:"time"` // written in UTC
	RequestID string          `json:"request_id"`
	TenantID  string          `json:"tenant_id"`
	PolicyID  string          `json:"policy_id"`
	Version   string          `json:"version"`
	Result    string          `json:"result"`   // route, deny, safe_default, or decision_failed
	Decision  json.RawMessage `json:"decision"` // the decision's JSON; null when the policy failed (decision_failed)
	Fuel      int64           `json:"fuel"`
	LatencyNs int64           `json:"latency_ns"`
	Failure   string          `json:"failure,omitempty"` // why the policy failed (safe_default, decision_failed)
	// Router names the router that decided (its --router-name, by
	// default its host's name), set by the log that publishes the
	// event: a fleet's routers share one stream.
	Router string `json:"router,omitempty"`
}

// events recycles the events (and their decision buffers) that sinks
// release.
var events = sync.Pool{New: func() any { return new(DecisionEvent) }}

// event makes o's event. The decision is encoded here, while it is in
// this core's caches: handing it to the sink as a value in the event's
// own memory (a clone), for the sink to encode later on another core,
// cost the request as much in a router at 30,000/s, and the whole log a
// third more CPU time per event, both ways of moving the decision
// between cores being cache misses. It is encoded into o, where a v2
// answer finds it (decisionJSON), and copied into the event, which the
// sink owns.
func (e *Engine) event(o *Outcome, arrival time.Time) *DecisionEvent {
	o.decisionJSON = e.encDecision(o.decisionJSON[:0], o.Decision) // null for a failure's
	o.encoded = true
	ev := events.Get().(*DecisionEvent)
	*ev = DecisionEvent{
		Time:      arrival,
		RequestID: o.RequestID,
		TenantID:  o.TenantID,
		PolicyID:  o.PolicyID(),
		Version:   o.Version(),
		Result:    o.Result(),
		Decision:  append(ev.Decision[:0], o.decisionJSON...),
		Fuel:      o.Stats.Fuel,
		LatencyNs: o.Elapsed.Nanoseconds(),
	}
	if o.Failure != nil {
		ev.Failure = o.Failure.Error()
	}
	return ev
}

// MarshalJSON is AppendJSON for encoding/json.
func (ev DecisionEvent) MarshalJSON() ([]byte, error) { return ev.AppendJSON(nil), nil }

// UnmarshalJSON reads an event as encoding/json would, its keys compared
// exactly (jsonx.UnmarshalExact): "REQUEST_ID", which encoding/json takes for
// request_id, or request_id given twice, is an error naming the key,
// not an event that a reader comparing keys exactly (the contract's
// other implementations) reads otherwise. A key no field has is
// ignored, as encoding/json ignores it: a later release's.
func (ev *DecisionEvent) UnmarshalJSON(data []byte) error {
	type plain DecisionEvent
	return jsonx.UnmarshalExact(data, (*plain)(ev), eventShape)
}

// eventShape is the shape of a DecisionEvent's JSON (its own
// UnmarshalJSON hides it from jsonx.FieldsOf).
var eventShape = func() *jsonx.Fields {
	type plain DecisionEvent
	return jsonx.FieldsOf(reflect.TypeFor[plain]())
}()

// Release hands ev back for reuse by a later decision: the caller must
// not touch ev, its Decision, or a copy of ev, afterwards.
func (ev *DecisionEvent) Release() {
	if cap(ev.Decision) > 64<<10 {
		ev.Decision = nil // one huge decision must not stay pinned
	}
	*ev = DecisionEvent{Decision: ev.Decision[:0]}
	events.Put(ev)
}

// AppendJSON appends ev as a JSON object, the object encoding/json makes
// of its fields (keys in the same order; strings escaped by AppendString,
// which leaves <, > and & as they are), without reflection, and without
// re-validating Decision, which the engine's encoder wrote.
func (ev *DecisionEvent) AppendJSON(b []byte) []byte {
	b = append(b, `{"time":"`...)
	b = AppendTime(b, ev.Time)
	b = append(b, `","request_id":`...)
	b = AppendString(b, ev.RequestID)
	b = append(b, `,"tenant_id":`...)
	b = AppendString(b, ev.TenantID)
	b = append(b, `,"policy_id":`...)
	b = AppendString(b, ev.PolicyID)
	b = append(b, `,"version":`...)
	b = AppendString(b, ev.Version)
	b = append(b, `,"result":`...)
	b = AppendString(b, ev.Result)
	b = append(b, `,"decision":`...)
	if len(ev.Decision) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, ev.Decision...)
	}
	b = append(b, `,"fuel":`...)
	b = strconv.AppendInt(b, ev.Fuel, 10)
	b = append(b, `,"latency_ns":`...)
	b = strconv.AppendInt(b, ev.LatencyNs, 10)
	if ev.Failure != "" {
		b = append(b, `,"failure":`...)
		b = AppendString(b, ev.Failure)
	}
	if ev.Router != "" {
		b = append(b, `,"router":`...)
		b = AppendString(b, ev.Router)
	}
	return append(b, '}')
}
