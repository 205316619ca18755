package policytest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rpl-lang/rpl/internal/jsonx"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/rpl-lang/rpl/vm"
)

// State is router state in JSON, for `rplc eval --state FILE`. Its fields
// mirror the std/testing builtins; every field is optional:
//
//	{
//	  "now": "2025-06-01T14:00:00Z",
//	  "seed": 42,
//	  "spend": {"acme": {"month": "$950", "day": "$40"}},
//	  "prices": {"openai:gpt-4o": {"input": "$2.50", "output": "$10"}},
//	  "winners": {"summarizer-v2": "candidate"},
//	  "health": {"openai:gpt-4o": {"healthy": false, "error_rate": 0.4, "latency": "850ms"}}
//	}
//
// Money is a string ("$0.25", "0.25") or a number; durations are strings.
type State struct {
	Now     string                 `json:"now"`
	Seed    *uint64                `json:"seed"`
	Spend   map[string]SpendState  `json:"spend"`
	Prices  map[string]PriceState  `json:"prices"`
	Winners map[string]string      `json:"winners"`
	Health  map[string]HealthState `json:"health"`
}

// SpendState is a tenant's spend.
type SpendState struct {
	Month Money `json:"month"`
	Day   Money `json:"day"`
}

// PriceState is a catalogue price per million tokens.
type PriceState struct {
	Input  Money `json:"input"`
	Output Money `json:"output"`
}

// HealthState is a target's health; omitted fields keep the defaults
// (healthy, error rate 0, latency unknown).
type HealthState struct {
	Healthy   *bool    `json:"healthy"`
	ErrorRate *float64 `json:"error_rate"`
	Latency   string   `json:"latency"`
}

// Money is an amount in nano-units that decodes from "$0.25", "0.25" or
// 0.25.
type Money int64

// UnmarshalJSON implements json.Unmarshaler.
func (m *Money) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if uq, ok := strings.CutPrefix(s, `"`); ok {
		s = strings.TrimSuffix(uq, `"`)
	}
	n, err := jsonx.ParseMoney(s)
	if errors.Is(err, jsonx.ErrMoneySyntax) {
		return fmt.Errorf("want money such as \"$0.25\", have %s", b)
	} else if err != nil {
		return err
	}
	*m = Money(n)
	return nil
}

// ReadState decodes state JSON into a MemState, and returns the clock and
// seed it sets (zero when absent). Unknown fields are errors, and so is a
// key given twice. An error about a value (its type, or what it holds: a
// negative spend, a key that is no target) is a *jsonx.PosError at it,
// about "invalid state" (jsonx.Within), as a syntax error is.
func ReadState(data []byte) (st *stdlib.MemState, now time.Time, seed *uint64, err error) {
	var s State
	err = s.decode(data)
	ve, isValue := errors.AsType[*valueError](err)
	// A key given twice was read as its last ("now" twice replayed at
	// the second time), where the author may have meant the other. It is
	// reported before any error about the value read (data is JSON then),
	// which would be placed at the key's first occurrence, not at that
	// value.
	if err == nil || isValue {
		if path, dup := jsonx.DuplicateKey(data, "", 0); dup {
			// At its second occurrence, as a syntax error is placed.
			return nil, time.Time{}, nil, jsonx.Within("invalid state", jsonx.PosOf(data, path, true, path+": "+jsonx.RepeatedKey))
		}
	}
	if err != nil {
		if isValue {
			// At the value, as a syntax error is placed.
			err = jsonx.PosOf(data, ve.path, false, ve.Error())
		}
		return nil, time.Time{}, nil, jsonx.Within("invalid state", err)
	}
	// Text that encoding/json reads as U+FFFD (a byte that is not UTF-8,
	// half a UTF-16 surrogate pair), at it, as rplc eval refuses it in a
	// request and a router in tenants.json: two winners' experiments or
	// tenants that differ there would be read as one.
	if off, msg := jsonx.UnreadableText(data); off >= 0 {
		return nil, time.Time{}, nil, jsonx.Within("invalid state", jsonx.PosAt(data, int64(off), msg))
	}
	// placed is the error msg about the value at path, placed at that
	// value as a decoding error is.
	placed := func(path, msg string) (*stdlib.MemState, time.Time, *uint64, error) {
		return nil, time.Time{}, nil, jsonx.Within("invalid state", jsonx.PosOf(data, path, false, msg))
	}
	// invalid is the error "path: why" about the value at path.
	invalid := func(path, format string, args ...any) (*stdlib.MemState, time.Time, *uint64, error) {
		return placed(path, path+": "+fmt.Sprintf(format, args...))
	}
	// invalidKey is the error of a key of the object at that is not a
	// target, named in at's words ("prices: \"a:\" is not a target:
	// why"), at the key's value.
	invalidKey := func(at, key, why string) (*stdlib.MemState, time.Time, *uint64, error) {
		return placed(stateKey(at, key), at+": "+jsonx.QuoteEcho(key)+" is not a target: "+why)
	}
	st = &stdlib.MemState{}
	if s.Now != "" {
		now, err = time.Parse(time.RFC3339Nano, s.Now)
		if err != nil || !vm.TimeInRange(now) {
			first, last := vm.TimeRange()
			return invalid("now", "want an RFC 3339 time from %s to %s, have %q", first.Format(time.RFC3339), last.Format(time.RFC3339), s.Now)
		}
	}
	// What the setters of std/testing refuse, the state refuses: a
	// negative amount, a target the router would not take.
	for _, t := range jsonx.SortedKeys(s.Spend) {
		sp := s.Spend[t]
		if sp.Month < 0 {
			return invalid(stateKey("spend", t)+".month", "negative spend (a cost recorded is ≥ 0)")
		}
		if sp.Day < 0 {
			return invalid(stateKey("spend", t)+".day", "negative spend (a cost recorded is ≥ 0)")
		}
		st.SetSpend(t, int64(sp.Month), int64(sp.Day))
	}
	for _, t := range jsonx.SortedKeys(s.Prices) {
		if why := lang.TargetProblem(t); why != "" {
			return invalidKey("prices", t, why)
		}
		p := stdlib.Price{Input: int64(s.Prices[t].Input), Output: int64(s.Prices[t].Output)}
		if p.Input < 0 || p.Output < 0 {
			return invalid(stateKey("prices", t), "a price is negative (a catalogue refuses one)")
		}
		st.SetPrice(t, p)
	}
	for _, e := range jsonx.SortedKeys(s.Winners) {
		st.SetWinner(e, s.Winners[e])
	}
	for _, t := range jsonx.SortedKeys(s.Health) {
		if why := lang.TargetProblem(t); why != "" {
			return invalidKey("health", t, why)
		}
		h := s.Health[t]
		healthy, rate := true, 0.0
		if h.Healthy != nil {
			healthy = *h.Healthy
		}
		if h.ErrorRate != nil {
			rate = *h.ErrorRate
			if rate < 0 || rate > 1 {
				return invalid(stateKey("health", t)+".error_rate", "%v outside [0, 1]", rate)
			}
		}
		st.SetHealth(t, healthy, rate)
		if h.Latency != "" {
			d, err := lang.ParseDuration(h.Latency)
			if err != nil || d < 0 {
				return invalid(stateKey("health", t)+".latency", "want a duration ≥ 0 such as \"250ms\" (0s: none observed), have %s", jsonx.QuoteEcho(h.Latency))
			}
			st.SetLatency(t, d)
		}
	}
	return st, now, s.Seed, nil
}

// decode reads data into s as ReadState documents it; an error names the
// path of the value at fault ("spend.acme.month: want money…", "spend.acme.week:
// unknown field (did you mean day?)"), a syntax error its line and column.
func (s *State) decode(data []byte) error {
	// One value, then space alone, in the words of a request's: no value
	// (unplaced) for none, data after the value at it, where
	// json.Unmarshal said "invalid character 'x' after top-level value".
	var top map[string]json.RawMessage
	if err := jsonx.DecodeOne(data, &top); err != nil {
		if _, syntax := err.(*json.SyntaxError); syntax || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return jsonx.At(data, err)
		}
		if pe, ok := err.(*jsonx.PosError); ok {
			return pe
		}
		if msg, ok := jsonx.TypeError(err); ok {
			return errors.New(msg)
		}
		return fmt.Errorf("want an object: %v", err)
	}
	var spend, prices, winners, health map[string]json.RawMessage
	if err := object(top, "", map[string]any{"now": &s.Now, "seed": &s.Seed, "spend": &spend,
		"prices": &prices, "winners": &winners, "health": &health}); err != nil {
		return err
	}
	s.Spend, s.Prices, s.Winners, s.Health = map[string]SpendState{}, map[string]PriceState{}, map[string]string{}, map[string]HealthState{}
	for _, x := range jsonx.SortedKeys(winners) {
		var arm string
		if err := value(winners[x], stateKey("winners", x), &arm); err != nil {
			return err
		}
		s.Winners[x] = arm
	}
	for _, t := range jsonx.SortedKeys(spend) {
		var v SpendState
		if err := objectIn(spend[t], stateKey("spend", t), map[string]any{"month": &v.Month, "day": &v.Day}); err != nil {
			return err
		}
		s.Spend[t] = v
	}
	for _, t := range jsonx.SortedKeys(prices) {
		var v PriceState
		if err := objectIn(prices[t], stateKey("prices", t), map[string]any{"input": &v.Input, "output": &v.Output}); err != nil {
			return err
		}
		s.Prices[t] = v
	}
	for _, t := range jsonx.SortedKeys(health) {
		var v HealthState
		if err := objectIn(health[t], stateKey("health", t), map[string]any{"healthy": &v.Healthy, "error_rate": &v.ErrorRate, "latency": &v.Latency}); err != nil {
			return err
		}
		s.Health[t] = v
	}
	return nil
}

// stateKey is the path of the member key (a tenant, a target, an
// experiment) of the object at at, as jsonx.KeyPath writes it, but
// quoted (jsonx.QuoteEcho) when key holds a dot, which would read as a
// step of the path: tenant "a.b"'s month spend is at spend."a.b".month,
// not spend.a.b.month (tenant "a" and its field b?), and target
// "openai:gpt-4.1"'s input price at prices."openai:gpt-4.1".input.
func stateKey(at, key string) string {
	if strings.Contains(key, ".") {
		return at + "." + jsonx.QuoteEcho(key)
	}
	return jsonx.KeyPath(at, key)
}

// objectIn decodes raw, an object at path, as object does.
func objectIn(raw json.RawMessage, path string, fields map[string]any) error {
	var m map[string]json.RawMessage
	if err := value(raw, path, &m); err != nil {
		return err
	}
	return object(m, path+".", fields)
}

// object decodes the members of an object into fields, each into its
// pointer; a member fields does not name is an error, with the nearest
// name that it does. Errors name the member's path: prefix, then its key.
func object(m map[string]json.RawMessage, prefix string, fields map[string]any) error {
	for _, k := range jsonx.SortedKeys(m) {
		p, ok := fields[k]
		if !ok {
			hint := ""
			if n := lang.Nearest(k, jsonx.SortedKeys(fields)); n != "" {
				hint = " (did you mean " + n + "?)"
			}
			return &valueError{path: prefix + k, msg: "unknown field" + hint}
		}
		if err := value(m[k], prefix+k, p); err != nil {
			return err
		}
	}
	return nil
}

// value decodes raw, the value at path, into p.
func value(raw json.RawMessage, path string, p any) error {
	err := jsonx.Unmarshal(raw, p)
	if err == nil {
		return nil
	}
	if msg, ok := jsonx.TypeError(err); ok {
		return &valueError{path: path, msg: msg}
	}
	return &valueError{path: path, msg: err.Error()}
}

// valueError is an error of decode about the value at path (a key
// unknown: at its value), which ReadState places in the document.
type valueError struct{ path, msg string }

func (e *valueError) Error() string { return e.path + ": " + e.msg }
