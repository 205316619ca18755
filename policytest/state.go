package policytest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/rpl-lang/rpl/internal/jsonx"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
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
// seed it sets (zero when absent). Unknown fields are errors.
func ReadState(data []byte) (st *stdlib.MemState, now time.Time, seed *uint64, err error) {
	var s State
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, time.Time{}, nil, fmt.Errorf("invalid state: %w", err)
	}
	st = &stdlib.MemState{}
	if s.Now != "" {
		now, err = time.Parse(time.RFC3339Nano, s.Now)
		if err != nil {
			return nil, time.Time{}, nil, fmt.Errorf("invalid state: now: want an RFC 3339 time, have %q", s.Now)
		}
	}
	for _, t := range sortedKeys(s.Spend) {
		st.SetSpend(t, int64(s.Spend[t].Month), int64(s.Spend[t].Day))
	}
	for _, t := range sortedKeys(s.Prices) {
		st.SetPrice(t, stdlib.Price{Input: int64(s.Prices[t].Input), Output: int64(s.Prices[t].Output)})
	}
	for _, e := range sortedKeys(s.Winners) {
		st.SetWinner(e, s.Winners[e])
	}
	for _, t := range sortedKeys(s.Health) {
		h := s.Health[t]
		healthy, rate := true, 0.0
		if h.Healthy != nil {
			healthy = *h.Healthy
		}
		if h.ErrorRate != nil {
			rate = *h.ErrorRate
			if rate < 0 || rate > 1 {
				return nil, time.Time{}, nil, fmt.Errorf("invalid state: health.%s.error_rate: %v outside [0, 1]", t, rate)
			}
		}
		st.SetHealth(t, healthy, rate)
		if h.Latency != "" {
			d, err := lang.ParseDuration(h.Latency)
			if err != nil {
				return nil, time.Time{}, nil, fmt.Errorf("invalid state: health.%s.latency: want a duration such as \"250ms\", have %q", t, h.Latency)
			}
			st.SetLatency(t, d)
		}
	}
	return st, now, s.Seed, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
