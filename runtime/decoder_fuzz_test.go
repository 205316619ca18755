package runtime_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rpl-lang/rpl/internal/jsonx"
	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/state"
)

// codes are the error codes of the v2 and feedback answers.
var codes = []runtime.Code{runtime.CodeUnauthorized, runtime.CodeInvalidRequest, runtime.CodePolicyNotFound,
	runtime.CodeDecisionFailed, runtime.CodeInternal, runtime.CodeOverloaded, runtime.CodeNotReady}

// v2Answer is a v2 or feedback answer, as a client reads it.
type v2Answer struct {
	OK         *bool `json:"ok"`
	Recorded   *int  `json:"recorded"`
	Duplicate  bool  `json:"duplicate"`
	Duplicates int   `json:"duplicates"`
	Error      *struct {
		Code    runtime.Code   `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	} `json:"error"`
	Results []json.RawMessage `json:"results"`
}

// checkAnswer checks that out is a v2 answer that agrees with code: ok
// and no error when code is "", else not ok and an error of that code
// (one of codes) with a message, and a details.field that the message
// names. It returns the answer.
func checkAnswer(t *testing.T, body, out []byte, code runtime.Code) v2Answer {
	t.Helper()
	var a v2Answer
	if err := json.Unmarshal(out, &a); err != nil || a.OK == nil {
		t.Fatalf("answer %s is not a v2 answer (%v); body %q", out, err, body)
	}
	if code == "" {
		if !*a.OK || a.Error != nil {
			t.Fatalf("no code, answer %s; body %q", out, body)
		}
		return a
	}
	if *a.OK || a.Error == nil || a.Error.Code != code || !slices.Contains(codes, code) || a.Error.Message == "" {
		t.Fatalf("code %q, answer %s; body %q", code, out, body)
	}
	if f, ok := a.Error.Details["field"]; ok {
		s, _ := f.(string)
		if s == "" {
			t.Fatalf("details.field %v; answer %s; body %q", f, out, body)
		}
		// A key the body holds (unknown, or given twice) is named by a
		// path that leads back to it (jsonx.KeyPath's form, which
		// jsonx.PathOffset reads).
		if m := a.Error.Message; strings.Contains(m, "unknown field") || strings.Contains(m, "given twice") {
			if _, found := jsonx.PathOffset(body, s); !found {
				t.Fatalf("details.field %q, which the body does not hold; answer %s; body %q", s, out, body)
			}
		}
		// The message names the field (in a batch, the item's field
		// after the item: "feedback[2]: tokens_in: …"), but for one
		// spelt with characters the message quotes.
		if i := strings.Index(s, "]."); i >= 0 && strings.HasPrefix(s, "feedback[") {
			s = s[i+2:]
		}
		if !strings.ContainsAny(s, "\"\\…") && !strings.ContainsFunc(s, quoted) && !strings.Contains(a.Error.Message, s) {
			t.Fatalf("details.field %q, which the message does not name; answer %s; body %q", s, out, body)
		}
	}
	return a
}

// quoted reports whether a message quoting a key (%q) escapes r, so
// that it does not name the key as details.field spells it (nor does it
// one that is cut, with "…", which the message quotes before its length).
func quoted(r rune) bool { return !strconv.IsPrint(r) || r == utf8.RuneError }

// FuzzHandleFeedback: any feedback body, one or a batch, is answered
// with a v2 answer that agrees with the code returned (checkAnswer); one
// taken is recorded or a duplicate, a batch taken counts at most its
// items.
func FuzzHandleFeedback(f *testing.F) {
	e := newEngine(f, runtime.Config{State: state.NewMem(state.Options{})})
	load(f, e, examples)
	for _, s := range []string{
		`{"request_id": "r", "tenant_id": "t", "provider_id": "openai:gpt-4o", "status": "ok", "latency_ms": 120, "tokens_in": 10, "tokens_out": 20, "cost": 0.001}`,
		`{"request_id": "r2", "tenant_id": "t", "target": "openai:gpt-4o", "status": "http_5xx", "http_status": 503, "latency_ms": 1e3, "cost": "$0.01", "time": "2026-11-26T12:00:00Z"}`,
		`{"feedback": [{"request_id": "r", "target": "x:y", "status": "ok"}, {"request_id": "r", "target": "x:y", "status": "meh"}]}`,
		`{"feedback": [{"request_id": "a", "target": "x:y", "status": "ok"}, {"request_id": "a", "target": "x:y", "status": "ok"}, {"request_id": "b", "target": "x:y", "status": "timeout"}]}`,
		`{"feedback": [{"request_id": "r", "target": "x:y", "status": "ok"}, null]}`,
		`{"feedback": [null]}`,
		`{"feedback": []}`,
		`{"feedback": {}}`,
		`{"feedback": [], "status": "ok"}`,
		`{"request_id": "r", "target": "x:y", "status": "ok", "latency": 5}`,
		`{"request_id": "r", "target": "x:y", "status": "ok", "tokens_in": 1.5}`,
		`{"request_id": "r", "target": "x:y", "status": "ok", "status": "error"}`,
		`{"request_id": "r", "target": "x:y", "status": "ok", "cost": 5, "tenant_id": ""}`,
		`{"request_id": "r", "target": "x:y", "status": "ok", "http_status": 500}`,
		`{"request_id": "r", "target": "x", "status": "ok", "time": "yesterday"}`,
		`[]`, ``, `{`, "\ufeff{}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		out, code := e.HandleFeedback(body, nil)
		a := checkAnswer(t, body, out, code)
		if code != "" {
			return
		}
		if a.Recorded == nil || *a.Recorded < 0 || a.Duplicates < 0 {
			t.Fatalf("answer %s; body %q", out, body)
		}
		var top struct {
			Feedback []json.RawMessage `json:"feedback"`
		}
		if json.Unmarshal(body, &top) != nil || top.Feedback == nil {
			if *a.Recorded+btoi(a.Duplicate) != 1 {
				t.Fatalf("one feedback, answer %s; body %q", out, body)
			}
			return
		}
		if *a.Recorded+a.Duplicates != len(top.Feedback) {
			t.Fatalf("a batch of %d taken, answer %s; body %q", len(top.Feedback), out, body)
		}
	})
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// FuzzHandleBatch: any batch body is answered with a v2 answer that
// agrees with the code returned (checkAnswer); a batch taken has a
// result per item, each a v2 answer, and each the answer the item gets
// alone as a decide body (null as {}).
func FuzzHandleBatch(f *testing.F) {
	e := newEngine(f, runtime.Config{State: state.NewMem(state.Options{})})
	load(f, e, examples)
	for _, s := range []string{
		`{"requests": [{"request": {"id": "a", "tenant": {"id": "t"}, "task": {"type": "code"}}}, {"policy_id": "nope", "request": {"id": "b"}}, {"request": {"id": "c", "task": {"type": "chat"}, "tenant": {"id": "t"}}}]}`,
		`{"requests": [{"policy_id": "premium", "request": {"id": "p", "tenant": {"id": "t", "tier": "gold"}, "estimate": {"input_tokens": 9000}, "constraints": {"max_latency": "800ms"}}}]}`,
		`{"requests": [{"policy_id": "ab_summarizer", "request": {"id": "r", "tenant": {"id": "t"}, "user": {"id": "u-7"}, "task": {"type": "summarize"}}}, {"request": {"id": "r", "tenant": {"id": "t", "tier": "gold"}, "task": {"type": "chat"}, "estimate": {"input_tokens": 200000}}}]}`,
		`{"requests": [null, {}, {"request": null}, {"policy_id": null, "request": {"id": ""}}, {"request": {"task": {"type": "chat"}}}]}`,
		`{"requests": [{"request": {"id": "a", "tenant": {"id": "t", "tierr": "x"}}}]}`,
		`{"requests": [{"request": {"id": "a"}, "request": {"id": "b"}}]}`,
		`{"requests": [{"request": {"id": "a"}}], "requests": []}`,
		`{"requests": [{"policy_id": 5, "request": {"id": "a"}}]}`,
		`{"requests": [1, "x", [], {"request": {"id": "a", "estimate": {"input_tokens": 1.5}}}]}`,
		`{"requests": [{"request": {"id": "caf\u00e9"}, "extra": [1, {"y": null}]}], "other": true}`,
		`{"requests": []}`, `{"requests": null}`, `{}`, `[]`, ``, `{"requests": [`,
	} {
		f.Add([]byte(s))
	}
	ctx := context.Background()
	arrival := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		out, code := e.HandleV2Batch(ctx, body, arrival, nil)
		a := checkAnswer(t, body, out, code)
		if code != "" {
			return
		}
		var q struct {
			Requests []json.RawMessage `json:"requests"`
		}
		if err := json.Unmarshal(body, &q); err != nil {
			t.Fatalf("batch taken that encoding/json refuses (%v): %q", err, body)
		}
		if len(a.Results) != len(q.Requests) || len(a.Results) > runtime.MaxBatch {
			t.Fatalf("%d results for %d requests: %s; body %q", len(a.Results), len(q.Requests), out, body)
		}
		for i, raw := range q.Requests {
			var r v2Answer
			if json.Unmarshal(a.Results[i], &r) != nil || r.OK == nil || *r.OK == (r.Error != nil) {
				t.Fatalf("result %d: %s; body %q", i, a.Results[i], body)
			}
			if b := bytes.TrimLeft(raw, " \t\r\n"); len(b) > 0 && b[0] != '{' && b[0] != 'n' {
				continue // not an object: the item's error, not a decide body's
			}
			if string(raw) == "null" {
				raw = []byte(`{}`)
			}
			one, _, _ := e.HandleV2(ctx, raw, arrival, nil, nil)
			if asItem(one, i) != string(a.Results[i]) {
				t.Fatalf("item %d %s:\nin the batch %s\nalone        %s", i, raw, a.Results[i], one)
			}
		}
	})
}

// TestEmptyKeyField: an unknown empty key of a body is named [""] in
// details.field, as rpl.FromJSON names it in a request, where the field
// was "" (found by FuzzHandleBatch), and quoted in the message, which
// began with its colon beside a feedback batch.
func TestEmptyKeyField(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	load(t, e, examples)
	ctx := context.Background()
	for _, c := range []struct {
		kind, body, field, message string
	}{
		{"batch", `{"": []}`, `[""]`, `"": unknown field`},
		{"v2", `{"request": {"id": "r"}, "": 1}`, `[""]`, `"": unknown field`},
		{"feedback", `{"request_id": "r", "": 1}`, `[""]`, `"": unknown field`},
		{"feedback", `{"feedback": [], "": 1}`, `[""]`, `"": not allowed beside a feedback batch`},
		{"feedback", `{"feedback": [], " a": 1}`, `" a"`, `" a": not allowed beside a feedback batch`},
		{"feedback", `{"feedback": [{"": 1}]}`, `feedback[0][""]`, `feedback[0]: "": unknown field`},
		{"feedback", `{"feedback": [{"tokens_in": "x"}]}`, `feedback[0].tokens_in`, `feedback[0]: tokens_in: want`},
	} {
		var out []byte
		switch c.kind {
		case "batch":
			out, _ = e.HandleV2Batch(ctx, []byte(c.body), time.Now(), nil)
		case "v2":
			out, _, _ = e.HandleV2(ctx, []byte(c.body), time.Now(), nil, nil)
		default:
			out, _ = e.HandleFeedback([]byte(c.body), nil)
		}
		var a v2Answer
		if err := json.Unmarshal(out, &a); err != nil || a.Error == nil {
			t.Errorf("%s %s: %s", c.kind, c.body, out)
			continue
		}
		if a.Error.Details["field"] != c.field || !strings.HasPrefix(a.Error.Message, c.message) {
			t.Errorf("%s %s: %s\nwant field %s, message %s…", c.kind, c.body, out, c.field, c.message)
		}
	}
}

// FuzzHandleCodes: any body decided as CP1 and as v2 is answered in the
// contract's shape, agreeing with the code returned: v2 as checkAnswer
// checks; CP1 with ok and its error's code the code returned (internal,
// details.reason naming it, for a code CP1 does not have), its
// details.field named by the message, its context the body's
// request_id when it has one; a decision with a target and a priority
// from 0 to 100.
func FuzzHandleCodes(f *testing.F) {
	e := newEngine(f, runtime.Config{State: state.NewMem(state.Options{})})
	load(f, e, examples)
	for _, s := range []string{
		benchCP1,
		`{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "code"}, "policy_id": "premium", "metadata": {"a": "b", "n": 1}}`,
		`{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "chat"}, "constraints": {"max_latency_ms": 800, "max_cost": 0.5}, "push_assignment": true}`,
		`{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "chat"}, "constraints": {"max_latency_ms": -1}}`,
		`{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": 5}}`,
		`{"version": "2", "request_id": "r"}`,
		`{"version": "1", "request_id": "", "tenant_id": "t"}`,
		`{"version": "\u0031", "request_id": "r", "tenant_id": "t", "task": {"type": "chat"}, "policy_id": "nope"}`,
		`{"policy_id": "ab_summarizer", "request": {"id": "r", "tenant": {"id": "t"}, "user": {"id": "u-7"}, "task": {"type": "summarize"}}}`,
		`{"request": {"id": "r", "tenant": {"id": "t", "tier": "gold"}, "task": {"type": "chat"}, "estimate": {"input_tokens": 200000}}}`,
		`{"request": {"id": "r", "estimate": {"input_tokens": -5}}}`,
		`{"request": {"id": "r", "tenant": {"id": "t", "tierr": "x"}}}`,
		`{"request": null}`, `[1, 2]`, ``, `{"version": 1}`,
	} {
		f.Add([]byte(s))
	}
	ctx := context.Background()
	arrival := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		out, code, _ := e.HandleV2(ctx, body, arrival, nil, nil)
		checkAnswer(t, body, out, code)

		out, code, _ = e.HandleCP1(ctx, body, runtime.CP1Meta{Arrival: arrival}, nil, nil)
		var a struct {
			OK       *bool `json:"ok"`
			Decision *struct {
				ProviderID string `json:"provider_id"`
				Priority   int    `json:"priority"`
			} `json:"decision"`
			Error *struct {
				Code    runtime.Code   `json:"code"`
				Message string         `json:"message"`
				Details map[string]any `json:"details"`
			} `json:"error"`
			Context *struct {
				RequestID string `json:"request_id"`
			} `json:"context"`
		}
		if err := json.Unmarshal(out, &a); err != nil || a.OK == nil || a.Context == nil {
			t.Fatalf("CP1 answer %s (%v); body %q", out, err, body)
		}
		var ids struct {
			RequestID string `json:"request_id"`
		}
		if json.Unmarshal(body, &ids) == nil && ids.RequestID != "" && a.Context.RequestID != ids.RequestID {
			t.Fatalf("CP1 context %q, body's request_id %q: %s", a.Context.RequestID, ids.RequestID, out)
		}
		if code == "" {
			if !*a.OK || a.Error != nil || a.Decision == nil || a.Decision.ProviderID == "" || a.Decision.Priority < 0 || a.Decision.Priority > 100 {
				t.Fatalf("CP1 answer %s; body %q", out, body)
			}
			return
		}
		if *a.OK || a.Error == nil || a.Error.Message == "" || !slices.Contains(codes, code) {
			t.Fatalf("CP1 code %q, answer %s; body %q", code, out, body)
		}
		if want := code; !code.CP1() && (a.Error.Code != runtime.CodeInternal || a.Error.Details["reason"] != string(want)) || code.CP1() && a.Error.Code != code {
			t.Fatalf("CP1 code %q, answer %s; body %q", code, out, body)
		}
		if f, ok := a.Error.Details["field"]; ok {
			if s, _ := f.(string); s == "" || !strings.ContainsAny(s, "\"\\…") && !strings.ContainsFunc(s, quoted) && !strings.Contains(a.Error.Message, s) {
				t.Fatalf("CP1 details.field %q, which the message does not name; answer %s; body %q", s, out, body)
			}
		}
	})
}
