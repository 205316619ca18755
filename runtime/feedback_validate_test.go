package runtime_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/state"
)

// TestFeedbackRefused: what feedback used to take silently, or answer
// in Go's words, is invalid_request naming the field and saying why.
func TestFeedbackRefused(t *testing.T) {
	st := state.NewMem(state.Options{})
	e := newEngine(t, runtime.Config{State: st})
	const base = `"request_id": "r", "tenant_id": "t", "target": "p:m", "status": "ok"`
	long := strings.Repeat("m", lang.MaxTargetLen)
	for body, want := range map[string]string{
		// unknown fields, with a suggestion when one is near
		`{` + base + `, "latency": 80}`:                 "latency: unknown field (did you mean latency_ms?)",
		`{` + base + `, "cost_usd": 0.5}`:               "cost_usd: unknown field (did you mean cost?)",
		`{` + base + `, "tokens_input": 5}`:             "tokens_input: unknown field (did you mean tokens_in?)",
		`{` + base + `, "tokens": 5}`:                   "tokens: unknown field (did you mean tokens_in or tokens_out?)",
		`{` + base + `, "zzz": 1, "aaa": 2}`:            `aaa: unknown field"`,
		`{` + base + `, "": 1}`:                         `\"\": unknown field"`,
		`{"feedback": [{` + base + `, "latency": 80}]}`: "feedback[0]: latency: unknown field (did you mean latency_ms?) (nothing of the batch was recorded)",
		`{"feedback": ["x"]}`:                           "feedback[0]: want an object, have a string",
		// a key given twice, which encoding/json would take (the last wins)
		`{` + base + `, "status": "error"}`:                `status: key given twice","details":{"field":"status"}`,
		`{` + base + `, "\u0073tatus": "error"}`:           `status: key given twice","details":{"field":"status"}`,
		`{"feedback": [{` + base + `, "tenant_id": "u"}]}`: `feedback[0]: tenant_id: key given twice (nothing of the batch was recorded)","details":{"field":"feedback[0].tenant_id"}`,
		`{"feedback": [], "feedback": [{` + base + `}]}`:   `feedback: key given twice`,
		// fields beside a batch
		`{"request_id": "r", "feedback": [{` + base + `}]}`: "request_id: not allowed beside a feedback batch",
		// a cost is a tenant's
		`{"request_id": "r", "target": "p:m", "status": "ok", "cost": "$0.5"}`: "tenant_id: required with a cost",
		// numbers out of range, in the field's name
		`{` + base + `, "latency_ms": 1e400}`:  "latency_ms: 1e400 is out of range",
		`{` + base + `, "latency_ms": 9e7}`:    "latency_ms: must be between 0 and 86400000 (a day, in milliseconds), have 9e+07",
		`{` + base + `, "tokens_in": 1e30}`:    "tokens_in: 1e30 is out of range",
		`{` + base + `, "tokens_out": 1.5}`:    "tokens_out: want a whole number, have 1.5",
		`{` + base + `, "http_status": "500"}`: "http_status: want a number, have a string",
		// counts below 0, in the field's name (details.field too)
		`{` + base + `, "tokens_in": -1}`:                  `tokens_in: must be ≥ 0, have -1","details":{"field":"tokens_in"}`,
		`{` + base + `, "tokens_in": 5, "tokens_out": -2}`: `tokens_out: must be ≥ 0, have -2","details":{"field":"tokens_out"}`,
		`{"feedback": [{` + base + `, "tokens_out": -3}]}`: `feedback[0]: tokens_out: must be ≥ 0, have -3 (nothing of the batch was recorded)","details":{"field":"feedback[0].tokens_out"}`,
		`{` + base + `, "time": "yesterday"}`:              `time: want an RFC 3339 time`,
		`{` + base + `, "cost": "lots"}`:                   `cost: want money (0.0123 or \"$0.0123\"), have \"lots\"`,
		`{` + base + `, "cost": true}`:                     `cost: want money (0.0123 or \"$0.0123\"), have a boolean`,
		`{` + base + `, "cost": -0.5}`:                     "cost: must be ≥ 0, have -0.5",
		`{` + base + `, "cost": -1e300}`:                   "cost: must be ≥ 0, have -1e300",
		`{` + base + `, "cost": " -$0.5 "}`:                "cost: must be ≥ 0, have -$0.5",
		`{` + base + `, "cost": -1e-10}`:                   "cost: must be ≥ 0, have -1e-10",
		`{` + base + `, "cost": "-0.0000000004"}`:          "cost: must be ≥ 0, have -0.0000000004",
		// a cost beyond any request's: the ledger's totals are int64
		`{` + base + `, "cost": 9223372036}`:        "cost: 9223372036 is more than the most one request may cost, $1000000.00",
		`{` + base + `, "cost": 1000000.000000001}`: "cost: 1000000.000000001 is more than the most one request may cost",
		`{` + base + `, "cost": 1e300}`:             "cost: 1e300 is more than the most one request may cost",
		`{` + base + `, "cost": "$9223372036.85"}`:  "cost: $9223372036.85 is more than the most one request may cost",
		`{` + base + `, "cost": "$99999999999999"}`: "cost: $99999999999999 is more than the most one request may cost",
		// targets: "provider:model", or a provider alone (CP1's)
		`{"request_id": "r", "target": ":m", "status": "ok"}`:             `target: \":m\" is not a target: want \"provider:model\", or a provider alone`,
		`{"request_id": "r", "target": "p:", "status": "ok"}`:             `target: \"p:\" is not a target: want \"provider:model\", or a provider alone`,
		`{"request_id": "r", "target": "open ai", "status": "ok"}`:        `is not a target: it holds spaces or control characters`,
		`{"request_id": "r", "target": "p: m", "status": "ok"}`:           `is not a target: it holds spaces or control characters`,
		`{"request_id": "r", "target": "p:m\u0000", "status": "ok"}`:      `is not a target: it holds spaces or control characters`,
		`{"request_id": "r", "target": "p:` + long + `", "status": "ok"}`: "is not a target: longer than 256 bytes",
		// refused by the recorder: charged to no budget
		`{` + base + `, "cost": 1, "time": "2020-01-01T00:00:00Z"}`:                          "time: 2020-01-01T00:00:00Z is in a month whose spend the router no longer keeps",
		`{"request_id": "r", "tenant_id": "` + long + `x", "target": "p:m", "status": "ok"}`: "tenant_id: longer than 256 bytes",
		`{"request_id": "r", "provider_id": "ju nk", "status": "ok"}`:                        `provider_id: \"ju nk\" is not a target`,
		// target and provider_id that disagree: which served? (A
		// gateway could read the other.) Even one that is no target.
		`{"request_id": "r", "target": "p:m", "provider_id": "q:m", "status": "ok"}`:   `provider_id: \"q:m\" disagrees with target \"p:m\": give one of them`,
		`{"request_id": "r", "target": "p:m", "provider_id": "ju nk", "status": "ok"}`: `provider_id: \"ju nk\" disagrees with target \"p:m\"`,
	} {
		out, code := e.HandleFeedback([]byte(body), nil)
		if code != runtime.CodeInvalidRequest || !strings.Contains(string(out), want) {
			t.Errorf("%.120s:\n got %s %s\nwant %q", body, code, out, want)
		}
		if strings.Contains(string(out), "Feedback") || strings.Contains(string(out), "int64") || strings.Contains(string(out), "float64") {
			t.Errorf("%.120s: Go's words: %s", body, out)
		}
	}
	if got := st.Targets(); len(got) != 0 {
		t.Errorf("refused feedback recorded: %+v", got)
	}
	if got := st.MonthSpend("t", time.Now()); got != 0 {
		t.Errorf("refused feedback charged: %d", got)
	}

	// What is accepted: exponent numbers, the largest cost, a model name
	// with a colon, provider_id for target; digits past the ninth
	// decimal, as floating point writes a computed cost, rounded half to
	// even.
	for i, c := range []struct {
		cost string
		want int64
	}{
		{`1.5e-3`, 1_500_000},
		{`1E-9`, 1},
		{`0.5000000000000`, 500_000_000},
		{`1000000`, 1_000_000_000_000_000},
		{`"$1000000.00"`, 1_000_000_000_000_000},
		{`"$0.25"`, 250_000_000},
		{`0`, 0},
		{`0.0024679999999999997`, 2_468_000},
		{`0.30000000000000004`, 300_000_000},
		{`1e-10`, 0},
		{`"$0.0000000005"`, 0},
		{`"0.0000000015"`, 2},
		{`-0.0`, 0},
		{`"-0e5"`, 0},
		{`999999.9999999999`, 1_000_000_000_000_000},
	} {
		tenant := "ok" + string(rune('a'+i))
		f := runtime.Feedback{RequestID: "r", TenantID: tenant, Target: "ollama:llama3:8b", Status: "ok", Cost: json.RawMessage(c.cost)}
		if err := e.Observe(&f); err != nil {
			t.Errorf("cost %s: %v", c.cost, err)
			continue
		}
		if got := st.MonthSpend(tenant, time.Now()); got != c.want || f.CostNanos != c.want {
			t.Errorf("cost %s: charged %d (CostNanos %d), want %d", c.cost, got, f.CostNanos, c.want)
		}
	}
	// A caller's CostNanos is bounded too.
	if err := e.Observe(&runtime.Feedback{RequestID: "r", TenantID: "t", Target: "p:m", Status: "ok", CostNanos: runtime.MaxFeedbackCost + 1}); err == nil || !strings.Contains(err.Message, "cost: $1000000.000000001 is not from $0 to $1000000.00") {
		t.Errorf("CostNanos beyond the bound: %v", err)
	}
	if out, code := e.HandleFeedback([]byte(`{"request_id": "r", "provider_id": "openai:gpt-4o", "status": "ok", "cost": 0}`), nil); code != "" {
		t.Errorf("provider_id, no cost: %s", out)
	}
	if out, code := e.HandleFeedback([]byte(`{"request_id": "r2", "target": "openai:gpt-4o", "provider_id": "openai:gpt-4o", "status": "ok"}`), nil); code != "" {
		t.Errorf("target and provider_id the same: %s", out)
	}
}

// TestFeedbackFirstBadField: a feedback with several fields of the wrong
// type is refused naming the first of them in sorted order, the same
// every time (it named whichever a map's order gave first).
func TestFeedbackFirstBadField(t *testing.T) {
	e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
	body := []byte(`{"time": 5, "tokens_out": "z", "tokens_in": "y", "request_id": "r", "tenant_id": "t", "target": "p:m", "status": "ok", "latency_ms": "x"}`)
	const want = `{"ok":false,"error":{"code":"invalid_request","message":"latency_ms: want a number, have a string","details":{"field":"latency_ms"}},"request_id":"r"}`
	for range 50 {
		if out, _ := e.HandleFeedback(body, nil); string(out) != want {
			t.Fatalf("got %s\nwant %s", out, want)
		}
		batch := []byte(`{"feedback": [` + string(body) + `]}`)
		if out, _ := e.HandleFeedback(batch, nil); !strings.Contains(string(out), `"feedback[0]: latency_ms: want a number`) {
			t.Fatalf("batch: got %s", out)
		}
	}
}

// TestFeedbackTimeOutOfRange: a feedback time before 1677-09-21 (beyond
// what int64 nanoseconds hold) is invalid_request naming time, as a
// request's time is; it was recorded when it carried no cost.
func TestFeedbackTimeOutOfRange(t *testing.T) {
	st := state.NewMem(state.Options{})
	e := newEngine(t, runtime.Config{State: st})
	for _, tm := range []string{"1600-01-01T00:00:00Z", "0001-01-01T00:00:00.000000001Z", "1677-09-21T00:12:43.145224191Z"} {
		body := `{"request_id": "r-` + tm + `", "tenant_id": "t", "target": "p:m", "status": "ok", "time": "` + tm + `"}`
		out, code := e.HandleFeedback([]byte(body), nil)
		if code != runtime.CodeInvalidRequest || !strings.Contains(string(out), `"message":"time: time out of range (1677-09-21T00:12:43.145224192Z to 2262-04-11T23:47:16.854775807Z): `+tm) ||
			!strings.Contains(string(out), `"details":{"field":"time"}`) {
			t.Errorf("%s: %s %s", tm, code, out)
		}
	}
	if got := st.Targets(); len(got) != 0 {
		t.Errorf("refused feedback recorded: %+v", got)
	}
	body := `{"request_id": "r", "tenant_id": "t", "target": "p:m", "status": "ok", "time": "1677-09-21T00:12:43.145224192Z"}`
	if out, code := e.HandleFeedback([]byte(body), nil); code != "" {
		t.Errorf("the earliest time: %s %s", code, out)
	}
}

// TestFieldKeyLikeIndex: details.field names a key that begins as
// another step of a path does ([ for an index or the empty key, " for a
// quoted key) quoted, as jsonx.KeyPath writes it, so that within a batch
// it cannot be read as an index of the item (feedback[0][0]); other keys,
// and the empty key's [""], are written as they were.
func TestFieldKeyLikeIndex(t *testing.T) {
	e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
	const base = `"request_id": "r", "tenant_id": "t", "target": "p:m", "status": "ok"`
	for _, c := range []struct{ body, msg, field string }{
		{`{` + base + `, "[0]": 1}`, `\"[0]\": unknown field`, `"[0]"`},
		{`{"feedback": [{` + base + `, "[0]": 1}]}`, `feedback[0]: \"[0]\": unknown field`, `feedback[0]."[0]"`},
		{`{"feedback": [{` + base + `, "[\"\"]": 1}]}`, `unknown field`, `feedback[0]."[\"\"]"`},
		{`{"feedback": [{` + base + `, "\"q\"": 1}]}`, `unknown field`, `feedback[0]."\"q\""`},
		{`{"feedback": [{` + base + `, "": 1}]}`, `feedback[0]: \"\": unknown field`, `feedback[0][""]`},
		{`{"feedback": [{` + base + `, "a[0]": 1}]}`, `feedback[0]: a[0]: unknown field`, `feedback[0].a[0]`},
		{`{"feedback": [{` + base + `, "x y": 1}]}`, `feedback[0]: \"x y\": unknown field`, `feedback[0]."x y"`},
		{`{"feedback": [{` + base + `, "latency": 1}]}`, `feedback[0]: latency: unknown field`, `feedback[0].latency`},
		{`{"feedback": [], "[0]": 1}`, `\"[0]\": not allowed beside a feedback batch`, `"[0]"`},
	} {
		out, code := e.HandleFeedback([]byte(c.body), nil)
		var a struct {
			Error struct {
				Details map[string]any `json:"details"`
			} `json:"error"`
		}
		if err := json.Unmarshal(out, &a); err != nil || code != runtime.CodeInvalidRequest || !strings.Contains(string(out), c.msg) || a.Error.Details["field"] != c.field {
			t.Errorf("%s:\n got %s %s\nwant a message holding %s, details.field %s", c.body, code, out, c.msg, c.field)
		}
	}
	// A v2 body's key alike.
	out, code, _ := e.HandleV2(t.Context(), []byte(`{"request": {"id": "r"}, "[0]": 1}`), time.Now(), nil, nil)
	if want := `"details":{"field":"\"[0]\""}`; code != runtime.CodeInvalidRequest || !strings.Contains(string(out), want) {
		t.Errorf("v2: %s %s, want %s", code, out, want)
	}
}

// TestKeyNamedAlike: a key of a body is named one way in details.field
// whether it is unknown or given twice (the one writer, jsonx.KeyPath):
// a v2 request's field, a feedback's.
func TestKeyNamedAlike(t *testing.T) {
	e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
	field := func(out []byte) string {
		var a struct {
			Error struct {
				Details map[string]any `json:"details"`
			} `json:"error"`
		}
		if err := json.Unmarshal(out, &a); err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		f, _ := a.Error.Details["field"].(string)
		return f
	}
	for _, k := range []string{"x y", "[0]", `"q"`, "tab\there", strings.Repeat("k ", 100)} {
		key, _ := json.Marshal(k)
		v2 := func(extra string) string {
			out, _, _ := e.HandleV2(t.Context(), []byte(`{"request": {"id": "r", "tenant": {"id": "t"}, "task": {"type": "chat"}, `+extra+`}}`), time.Now(), nil, nil)
			return field(out)
		}
		unknown, twice := v2(string(key)+`: 1`), v2(string(key)+`: 1, `+string(key)+`: 1`)
		if unknown == "" || unknown != twice {
			t.Errorf("v2 request key %q: unknown %q, given twice %q", k, unknown, twice)
		}
		fb := func(extra string) string {
			out, _ := e.HandleFeedback([]byte(`{"request_id": "r", "tenant_id": "t", "target": "p:m", "status": "ok", `+extra+`}`), nil)
			return field(out)
		}
		unknown, twice = fb(string(key)+`: 1`), fb(string(key)+`: 1, `+string(key)+`: 1`)
		if unknown == "" || unknown != twice {
			t.Errorf("feedback key %q: unknown %q, given twice %q", k, unknown, twice)
		}
	}
}
