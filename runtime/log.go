package runtime

import (
	"encoding/json"
	"time"
)

// DecisionLog receives decision events (a sample of them, see
// Config.LogSample). LogDecision is called on the request path: it must
// not block (queue and drop, counting drops, when the sink is slow).
type DecisionLog interface {
	LogDecision(ev *DecisionEvent)
}

// DecisionEvent is one logged decision: enough to replay it (request id
// gives the seed, Time the clock) and to attribute it.
type DecisionEvent struct {
	Time      time.Time       `json:"time"`
	RequestID string          `json:"request_id"`
	TenantID  string          `json:"tenant_id"`
	PolicyID  string          `json:"policy_id"`
	Version   string          `json:"version"`
	Result    string          `json:"result"`
	Decision  json.RawMessage `json:"decision"`
	Fuel      int64           `json:"fuel"`
	LatencyNs int64           `json:"latency_ns"`
	Failure   string          `json:"failure,omitempty"`
}

func (e *Engine) event(o *Outcome, arrival time.Time) *DecisionEvent {
	ev := &DecisionEvent{
		Time:      arrival,
		RequestID: o.RequestID,
		TenantID:  o.TenantID,
		PolicyID:  o.PolicyID(),
		Version:   o.Version(),
		Result:    o.Result(),
		Decision:  AppendJSON(nil, e.decType, o.Decision),
		Fuel:      o.Stats.Fuel,
		LatencyNs: o.Elapsed.Nanoseconds(),
	}
	if o.Failure != nil {
		ev.Failure = o.Failure.Error()
	}
	return ev
}
