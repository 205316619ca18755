package runtime

import (
	"encoding/json"
	"strconv"
	"sync"
	"time"

	"github.com/rpl-lang/rpl/vm"
)

// DecisionLog receives decision events (a sample of them, see
// Config.LogSample). LogDecision is called on the request path: it must
// not block (queue and drop, counting drops, when the sink is slow). The
// sink owns ev from then on: it encodes the decision (ev.Encode, which
// AppendJSON calls), off the request path, and once done with ev may hand
// it back with ev.Release for a later decision to reuse.
type DecisionLog interface {
	LogDecision(ev *DecisionEvent)
}

// DecisionEvent is one logged decision: enough to replay it (request id
// gives the seed, Time the clock) and to attribute it.
type DecisionEvent struct {
	Time      time.Time `json:"time"`
	RequestID string    `json:"request_id"`
	TenantID  string    `json:"tenant_id"`
	PolicyID  string    `json:"policy_id"`
	Version   string    `json:"version"`
	Result    string    `json:"result"`
	// Decision is the decision's JSON. In an event the engine made it is
	// empty until Encode: the engine hands the decision over as a value
	// in the event's own memory, and the sink encodes it.
	Decision  json.RawMessage `json:"decision"`
	Fuel      int64           `json:"fuel"`
	LatencyNs int64           `json:"latency_ns"`
	Failure   string          `json:"failure,omitempty"`

	// The decision to encode (value, by enc), in the event's memory (mem).
	value vm.Value
	enc   encoder
	mem   *vm.Arena
}

// events recycles the events (and their decision buffers) that sinks
// release.
var events = sync.Pool{New: func() any { return new(DecisionEvent) }}

// event makes o's event. The decision is cloned, not encoded: the clone
// into the event's memory is a few copies, where encoding it was most of
// what logging cost the request, and the sink encodes it on its own time.
func (e *Engine) event(o *Outcome, arrival time.Time) *DecisionEvent {
	ev := events.Get().(*DecisionEvent)
	if ev.mem == nil {
		ev.mem = new(vm.Arena)
	}
	*ev = DecisionEvent{
		Time:      arrival,
		RequestID: o.RequestID,
		TenantID:  o.TenantID,
		PolicyID:  o.PolicyID(),
		Version:   o.Version(),
		Result:    o.Result(),
		Decision:  ev.Decision[:0],
		Fuel:      o.Stats.Fuel,
		LatencyNs: o.Elapsed.Nanoseconds(),
		value:     ev.mem.Clone(o.Decision),
		enc:       e.encDecision,
		mem:       ev.mem,
	}
	if o.Failure != nil {
		ev.Failure = o.Failure.Error()
	}
	return ev
}

// Encode encodes the decision the engine handed over into Decision, if
// that is still to do.
func (ev *DecisionEvent) Encode() {
	if ev.enc != nil {
		ev.Decision = ev.enc(ev.Decision[:0], ev.value)
		ev.enc, ev.value = nil, vm.Value{}
	}
}

// MarshalJSON is AppendJSON for encoding/json, on a copy of ev: the
// decision of an event the engine made is encoded on the way.
func (ev DecisionEvent) MarshalJSON() ([]byte, error) { return ev.AppendJSON(nil), nil }

// Release hands ev back for reuse by a later decision: the caller must
// not touch ev, its Decision, or a copy of ev, afterwards.
func (ev *DecisionEvent) Release() {
	if cap(ev.Decision) > 64<<10 {
		ev.Decision = nil // one huge decision must not stay pinned
	}
	if ev.mem != nil {
		ev.mem.Reset()
	}
	*ev = DecisionEvent{Decision: ev.Decision[:0], mem: ev.mem}
	events.Put(ev)
}

// AppendJSON appends ev as a JSON object, the object encoding/json makes
// of its fields once the decision is encoded (keys in the same order;
// strings escaped by AppendString, which leaves <, > and & as they are),
// without reflection, and without re-validating Decision, which the
// engine's encoder wrote. It encodes the decision first (Encode).
func (ev *DecisionEvent) AppendJSON(b []byte) []byte {
	ev.Encode()
	b = append(b, `{"time":"`...)
	b = ev.Time.AppendFormat(b, time.RFC3339Nano)
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
	return append(b, '}')
}
