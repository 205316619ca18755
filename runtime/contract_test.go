package runtime_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/state"
)

func decodeJSON(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("response is not JSON: %v\n%s", err, b)
	}
	return m
}

// TestCP1Contract checks every CP1 error code and the validation order.
func TestCP1Contract(t *testing.T) {
	dir := copyDir(t, examples, map[string]string{"tenants.json": `{"tenants": [{"id": "known"}]}`})
	e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
	s := load(t, e, dir)
	strict := newEngine(t, runtime.Config{RequireKnownTenant: true})
	load(t, strict, dir)
	const ok = `{"version": "1", "request_id": "r-1", "trace_id": "tr-1", "tenant_id": "t-1", "task": {"type": "chat"}}`
	cases := []struct {
		name   string
		e      *runtime.Engine
		body   string
		code   runtime.Code
		inMsg  string
		fields map[string]any // expected decision fields on success
	}{
		{"ok", e, ok, "", "", map[string]any{"provider_id": "openai:gpt-4o-mini", "reason": "best_score", "policy_id": "default", "priority": 50.0, "expected_latency_ms": 1000.0, "fallback_used": false}},
		// premium's standard tier is weighted and sticky on the session,
		// which a CP1 request does not carry: weighted, no sticky key.
		{"weighted, no session", e, `{"version": "1", "request_id": "r-2", "tenant_id": "t", "task": {"type": "chat"}, "policy_id": "premium", "metadata": {"k": "v", "n": 3}}`, "", "", map[string]any{"policy_id": "premium", "reason": "weighted", "sticky_key": nil}},
		{"empty body", e, ``, runtime.CodeInvalidRequest, "empty", nil},
		{"malformed", e, `{"version": "1",`, runtime.CodeInvalidRequest, "malformed JSON", nil},
		{"not an object", e, `[1, 2]`, runtime.CodeInvalidRequest, "object", nil},
		{"missing version first", e, `{"request_id": 7}`, runtime.CodeInvalidRequest, "version is required", nil},
		{"wrong version", e, `{"version": "2", "request_id": "r"}`, runtime.CodeInvalidRequest, "unsupported version", nil},
		{"numeric version", e, `{"version": 1, "request_id": "r", "tenant_id": "t", "task": {"type": "chat"}}`, runtime.CodeInvalidRequest, "unsupported version", nil},
		{"version before types", e, `{"version": "0", "tenant_id": 5}`, runtime.CodeInvalidRequest, "unsupported version", nil},
		{"wrong type", e, `{"version": "1", "request_id": "r", "tenant_id": 5, "task": {"type": "chat"}}`, runtime.CodeInvalidRequest, "tenant_id: want a string, have a number", nil},
		{"wrong type, in JSON terms", e, `{"version": "1", "request_id": "r", "tenant_id": "t", "task": "chat"}`, runtime.CodeInvalidRequest, "task: want an object, have a string", nil},
		{"missing request_id", e, `{"version": "1", "tenant_id": "t", "task": {"type": "chat"}}`, runtime.CodeInvalidRequest, "request_id is required", nil},
		{"missing tenant", e, `{"version": "1", "request_id": "r", "task": {"type": "chat"}}`, runtime.CodeInvalidRequest, "tenant_id is required", nil},
		{"missing task", e, `{"version": "1", "request_id": "r", "tenant_id": "t"}`, runtime.CodeInvalidRequest, "task is required", nil},
		{"missing task type", e, `{"version": "1", "request_id": "r", "tenant_id": "t", "task": {}}`, runtime.CodeInvalidRequest, "task.type", nil},
		{"negative constraint", e, `{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "chat"}, "constraints": {"max_latency_ms": -5}}`, runtime.CodeInvalidRequest, "max_latency_ms must be from 0 to 9223372036854, have -5", nil},
		{"huge constraint", e, `{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "chat"}, "constraints": {"max_latency_ms": 1e300}}`, runtime.CodeInvalidRequest, "max_latency_ms must be from 0 to 9223372036854, have 1e+300", nil},
		{"huge cost", e, `{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "chat"}, "constraints": {"max_cost": 1e10}}`, runtime.CodeInvalidRequest, "max_cost must be from 0 to 9000000000, have 1e+10", nil},
		{"unknown tenant, strict", strict, ok, runtime.CodeUnauthorized, "not registered", nil},
		{"known tenant, strict", strict, strings.Replace(ok, "t-1", "known", 1), "", "", map[string]any{"policy_id": "default"}},
		{"unknown policy", e, `{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "chat"}, "policy_id": "nope"}`, runtime.CodePolicyNotFound, "nope", nil},
		{"denied", e, `{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "image"}}`, runtime.CodeDecisionFailed, "unsupported_task", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, code, _ := c.e.HandleCP1(context.Background(), []byte(c.body), runtime.CP1Meta{Arrival: time.Now()}, nil, nil)
			if code != c.code {
				t.Fatalf("code %q, want %q: %s", code, c.code, out)
			}
			m := decodeJSON(t, out)
			if c.code != "" {
				errObj, _ := m["error"].(map[string]any)
				if m["ok"] != false || errObj["code"] != string(c.code) || !strings.Contains(errObj["message"].(string), c.inMsg) {
					t.Fatalf("response %s", out)
				}
				if _, ok := m["context"].(map[string]any); !ok {
					t.Fatalf("no context: %s", out)
				}
				return
			}
			d, _ := m["decision"].(map[string]any)
			if m["ok"] != true || d == nil {
				t.Fatalf("response %s", out)
			}
			for k, want := range c.fields {
				if d[k] != want {
					t.Errorf("decision.%s = %v, want %v", k, d[k], want)
				}
			}
			md, _ := d["metadata"].(map[string]any)
			if md["policy_version"] != s.Version {
				t.Errorf("metadata %v lacks the version", md)
			}
			for _, k := range []string{"provider_id", "priority", "expected_latency_ms", "expected_cost", "reason"} {
				if _, ok := d[k]; !ok {
					t.Errorf("decision lacks %s", k)
				}
			}
			switch d["reason"] {
			case "weighted", "sticky", "fallback", "best_score":
			default:
				t.Errorf("reason %v", d["reason"])
			}
		})
	}
	// traceparent fills trace_id when the body has none.
	tp := "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	out, _, _ := e.HandleCP1(context.Background(), []byte(strings.Replace(ok, `"trace_id": "tr-1", `, "", 1)), runtime.CP1Meta{TraceParent: tp}, nil, nil)
	if ctx := decodeJSON(t, out)["context"].(map[string]any); ctx["trace_id"] != "4bf92f3577b34da6a3ce929d0e0e4736" || ctx["request_id"] != "r-1" {
		t.Errorf("context %v", ctx)
	}
}

func TestV2Contract(t *testing.T) {
	e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
	s := load(t, e, examples)
	ctx := context.Background()
	out, code, _ := e.HandleV2(ctx, []byte(`{"request": {"id": "r", "tenant": {"id": "t", "tier": "gold"}, "estimate": {"input_tokens": 9000}}, "policy_id": "premium"}`), time.Now(), nil, nil)
	m := decodeJSON(t, out)
	if code != "" || m["ok"] != true || m["version"] != s.Version || m["policy_id"] != "premium" {
		t.Fatalf("v2: %s", out)
	}
	if d := m["decision"].(map[string]any); d["target"] != "anthropic:claude-sonnet" || d["priority"] != 70.0 {
		t.Fatalf("decision %v", d)
	}
	for body, want := range map[string]string{
		`{"request": {"id": "r", "tenant": {"tierr": "x"}}}`: "request.tenant.tierr: unknown field (did you mean tier?)",
		`{"request": {"id": "r", "zz": 1, "": 2, "aa": 3}}`:  `request[\"\"]: unknown field`,
		`{"request": [1]}`: `request: want an object, have a list`,
		`{"request": {"id": "r", "estimate": {"input_tokens": "many"}}}`:  "input_tokens",
		`{"request": {"tenant": {"id": "t"}}}`:                            "request.id is required",
		`{"policy_id": "x"}`:                                              "request is required",
		`{"request": null}`:                                               "request is required",
		`{"request": {"id": ""}, "policy_id": "premium"}`:                 "request.id is required",
		`{"request": `:                                                    "malformed",
		`{"request": {"id": "r", "constraints": {"max_latency": "-5s"}}}`: "request.constraints.max_latency must be ≥ 0, have -5s",
		`{"request": {"id": "r", "constraints": {"max_cost": -1}}}`:       "request.constraints.max_cost must be ≥ 0",
		`{"request": {"id": "r", "estimate": {"input_tokens": -5}}}`:      "request.estimate.input_tokens must be ≥ 0, have -5",
		`{"request": {"id": "r", "estimate": {"output_tokens": -1}}}`:     "request.estimate.output_tokens must be ≥ 0",
		`{"request": {"id": "r"}, "bogus": 1}`:                            `bogus: unknown field`,
		`{"request": {"id": "r"}, "policyid": "premium"}`:                 `policyid: unknown field (did you mean policy_id?)`,
	} {
		out, code, _ := e.HandleV2(ctx, []byte(body), time.Now(), nil, nil)
		if code != runtime.CodeInvalidRequest || !strings.Contains(string(out), want) {
			t.Errorf("%s: %s %s, want invalid_request mentioning %q", body, code, out, want)
		}
	}
	// A batch item is checked as a decide body is: the same answers.
	items := []string{`{}`, `{"request": null}`, `{"request": {"id": ""}}`, `{"policy_id": "x", "request": {"tenant": {"id": "t"}}}`}
	out, code = e.HandleV2Batch(ctx, []byte(`{"requests": [null, `+strings.Join(items, ", ")+`]}`), time.Now(), nil)
	want := `{"ok":true,"results":[`
	for i, item := range append([]string{`{}`}, items...) {
		one, _, _ := e.HandleV2(ctx, []byte(item), time.Now(), nil, nil)
		if i > 0 {
			want += ","
		}
		want += asItem(one, i)
	}
	if code != "" || string(out) != want+"]}" {
		t.Errorf("batch of missing requests and ids:\n%s\nwant\n%s]}", out, want)
	}
	out, code = e.HandleV2Batch(ctx, []byte(`{"requests": [{"request": {"id": "a", "tenant": {"id": "t"}, "task": {"type": "code"}}}, {"policy_id": "nope", "request": {"id": "b"}}, {"request": {"id": "c", "task": {"type": "chat"}, "tenant": {"id": "t"}}}]}`), time.Now(), nil)
	if code != "" {
		t.Fatalf("batch: %s", out)
	}
	var batch struct {
		Results []struct {
			OK       bool           `json:"ok"`
			Decision map[string]any `json:"decision"`
			Error    map[string]any `json:"error"`
		} `json:"results"`
	}
	if err := json.Unmarshal(out, &batch); err != nil || len(batch.Results) != 3 {
		t.Fatalf("batch response %s (%v)", out, err)
	}
	if !batch.Results[0].OK || batch.Results[0].Decision["target"] != "openai:gpt-4o" || batch.Results[1].OK || batch.Results[1].Error["code"] != "policy_not_found" || !batch.Results[2].OK {
		t.Errorf("batch results %s", out)
	}
	big := `{"requests": [` + strings.Repeat(`{"request": {"id": "a"}},`, runtime.MaxBatch) + `{"request": {"id": "a"}}]}`
	if _, code := e.HandleV2Batch(ctx, []byte(big), time.Now(), nil); code != runtime.CodeInvalidRequest {
		t.Errorf("oversized batch: %s", code)
	}
	// Feedback.
	out, code = e.HandleFeedback([]byte(`{"request_id": "r", "tenant_id": "t", "provider_id": "openai:gpt-4o", "status": "ok", "latency_ms": 120, "tokens_in": 10, "tokens_out": 20, "cost": 0.001}`), nil)
	if code != "" {
		t.Fatalf("feedback: %s", out)
	}
	out, code = e.HandleFeedback([]byte(`{"feedback": [{"request_id": "r", "target": "x:y", "status": "ok"}, {"request_id": "r", "target": "x:y", "status": "meh"}]}`), nil)
	if code != runtime.CodeInvalidRequest || !strings.Contains(string(out), "feedback[1]") {
		t.Fatalf("bad feedback batch: %s", out)
	}
	// A null item is a client error, not a crash.
	out, code = e.HandleFeedback([]byte(`{"feedback": [{"request_id": "r", "target": "x:y", "status": "ok"}, null]}`), nil)
	if code != runtime.CodeInvalidRequest || !strings.Contains(string(out), "feedback[1]: feedback is null") {
		t.Fatalf("null feedback item: %s", out)
	}
	if out, code = e.HandleFeedback([]byte(`{"feedback": [null]}`), nil); code != runtime.CodeInvalidRequest {
		t.Fatalf("lone null feedback item: %s", out)
	}
	// A batch of the wrong shape is reported as such.
	for body, want := range map[string]string{
		`{"feedback": "x"}`:  "feedback: want a list, have a string",
		`{"feedback": null}`: "feedback: want a list, have null",
		// nothing beside a batch, nothing unknown, no Go names
		`{"tenant_id": "t", "feedback": [{"request_id": "r", "target": "x:y", "status": "ok"}]}`:    "tenant_id: not allowed beside a feedback batch",
		`{"request_id": "r", "target": "x:y", "status": "ok", "latency": 5}`:                        "latency: unknown field (did you mean latency_ms?)",
		`{"feedback": [{"request_id": "r", "target": "x:y", "status": "ok", "latency_ms": 1e400}]}`: `feedback[0]: latency_ms: 1e400 is out of range`,
		`{"request_id": "r", "target": "x:y", "status": "ok", "cost": 0.5}`:                         "tenant_id: required with a cost",
		`{"request_id": "r", "target": ":y", "status": "ok"}`:                                       `target: \":y\" is not a target: want \"provider:model\", or a provider alone`,
		`{"feedback": [{"request_id": "r", "target": "x:y", "status": "ok", "latency_ms": "5"}]}`:   "latency_ms: want a number, have a string",
		// a time in the future would keep spend entries until it comes
		`{"request_id": "r", "target": "x:y", "status": "ok", "time": "2999-01-01T00:00:00Z"}`: "time: 2999-01-01T00:00:00Z is more than 5m0s ahead",
	} {
		if out, code = e.HandleFeedback([]byte(body), nil); code != runtime.CodeInvalidRequest || !strings.Contains(string(out), want) {
			t.Errorf("%s: %s, want %q", body, out, want)
		}
	}
	// The observed latency is the CP1 expected latency.
	out, _, _ = e.HandleCP1(ctx, []byte(`{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "code"}}`), runtime.CP1Meta{}, nil, nil)
	if d := decodeJSON(t, out)["decision"].(map[string]any); d["expected_latency_ms"].(float64) < 110 || d["expected_latency_ms"].(float64) > 130 {
		t.Errorf("expected latency %v, want about 120", d["expected_latency_ms"])
	}
}

// TestErrorsNameTheRequest: an error answer names the request (CP1's
// context.request_id and trace_id, v2's request_id) as far as its body
// can be read, even when the body could not be decoded.
func TestErrorsNameTheRequest(t *testing.T) {
	e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
	load(t, e, examples)
	ctx := context.Background()
	for _, c := range []struct {
		kind      runtime.Kind
		body      string
		id, trace string
	}{
		{runtime.KindCP1, `{"version": "1", "request_id": "r-1", "trace_id": "tr-1", "tenant_id": `, "r-1", "tr-1"},
		{runtime.KindCP1, `{"version": "1", "trace_id": "tr-2", "request_id": "r-2", "task": [}`, "r-2", "tr-2"},
		{runtime.KindCP1, `{"version": "2", "request_id": "r-3"}`, "r-3", ""},
		{runtime.KindCP1, `{"version": "1", "request_id": "r-\u0034", "tenant_id": 5}`, "r-4", ""},
		{runtime.KindCP1, `{"request_id": 7}`, "", ""},
		{runtime.KindV2, `{"request": {"id": "r-6", "tenant": `, "r-6", ""},
		{runtime.KindV2, `{"request": {"id": "r-7", "estimate": {"input_tokens": "many"}}}`, "r-7", ""},
		{runtime.KindV2, `{"policy_id": {"nested": [1, {"id": "no"}]}, "request": {"id": "r-8", "zz": 1}}`, "r-8", ""},
		{runtime.KindV2, `{"request": {"id": "r-9"}, "request": {"tenant": {"id": "t"}, "x": 1}}`, "", ""},
		{runtime.KindFeedback, `{"request_id": "r-10", "status": 5}`, "r-10", ""},
		{runtime.KindBatch, `{"requests": [{"request": {"id": "r-11", "estimate": {"input_tokens": "many"}}}]}`, "r-11", ""},
	} {
		var out []byte
		var code runtime.Code
		switch c.kind {
		case runtime.KindCP1:
			out, code, _ = e.HandleCP1(ctx, []byte(c.body), runtime.CP1Meta{}, nil, nil)
		case runtime.KindV2:
			out, code, _ = e.HandleV2(ctx, []byte(c.body), time.Now(), nil, nil)
		case runtime.KindFeedback:
			out, code = e.HandleFeedback([]byte(c.body), nil)
		case runtime.KindBatch:
			out, code = e.HandleV2Batch(ctx, []byte(c.body), time.Now(), nil)
		}
		m := decodeJSON(t, out)
		var id, trace any
		switch c.kind {
		case runtime.KindCP1:
			cctx, _ := m["context"].(map[string]any)
			id, trace = cctx["request_id"], cctx["trace_id"]
		case runtime.KindBatch:
			results, _ := m["results"].([]any)
			if len(results) != 1 {
				t.Errorf("%s: %s", c.body, out)
				continue
			}
			m = results[0].(map[string]any)
			id = m["request_id"]
		default:
			id = m["request_id"]
		}
		if m["ok"] != false || (c.kind != runtime.KindBatch && code != runtime.CodeInvalidRequest) {
			t.Errorf("%s: %s %s, want an invalid_request", c.body, code, out)
		}
		if id == nil {
			id = ""
		}
		if trace == nil {
			trace = ""
		}
		if id != c.id || trace != c.trace {
			t.Errorf("%s: request id %q, trace id %q; want %q, %q\n%s", c.body, id, trace, c.id, c.trace, out)
		}
	}
}

// AppendTime writes what Time.Format(time.RFC3339Nano) writes of the
// time in UTC: fractions with and without trailing zeros, none, the
// edges of a year and of the years it writes itself, and random times.
func TestAppendTime(t *testing.T) {
	check := func(tm time.Time) {
		t.Helper()
		if got, want := string(runtime.AppendTime([]byte("x"), tm)), "x"+tm.UTC().Format(time.RFC3339Nano); got != want {
			t.Fatalf("AppendTime(%v) = %s, want %s", tm, got, want)
		}
	}
	east := time.FixedZone("east", 5*3600+30*60)
	for _, tm := range []time.Time{
		{}, time.Unix(0, 0), time.Date(2026, 11, 26, 3, 4, 5, 0, time.UTC),
		time.Date(2026, 11, 26, 3, 4, 5, 100_000_000, time.UTC), time.Date(2026, 11, 26, 3, 4, 5, 120_000_300, east),
		time.Date(2026, 11, 26, 3, 4, 5, 1, time.UTC), time.Date(2026, 11, 26, 3, 4, 5, 999_999_999, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(2000, 1, 1, 0, 0, 0, 0, east),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(-1, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 5, time.UTC),
	} {
		check(tm)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 100000 {
		check(time.Unix(rng.Int64N(600<<30)-(300<<30), rng.Int64N(1e9)).In(east))
	}
}

func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "plain", "q\"b\\s", "\n\t\r\x01\x1f", "é✓𝄞", "bad\xff\xfeutf8", "</script>"} {
		b := runtime.AppendString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%q → %s: %v", s, b, err)
		}
		if utf8.ValidString(s) && got != s || !utf8.ValidString(got) {
			t.Errorf("%q → %s → %q", s, b, got)
		}
	}
}

// TestBOMBody: a body that is a JSON object after a UTF-8 byte order mark
// is refused (JSON has none) saying so, by every handler, naming the
// request; it was told "the body must be a JSON object", which it is,
// and named no request.
func TestBOMBody(t *testing.T) {
	e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
	load(t, e, examples)
	ctx := context.Background()
	const bom = "\ufeff"
	for kind, body := range map[string]string{
		"cp1":      bom + `{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "chat"}}`,
		"v2":       bom + `{"request": {"id": "r", "tenant": {"id": "t"}, "task": {"type": "chat"}}}`,
		"batch":    " " + bom + `{"requests": []}`,
		"feedback": bom + `{"request_id": "r", "tenant_id": "t", "target": "p:m", "status": "ok"}`,
	} {
		var out []byte
		var code runtime.Code
		switch kind {
		case "cp1":
			out, code, _ = e.HandleCP1(ctx, []byte(body), runtime.CP1Meta{Arrival: time.Now()}, nil, nil)
		case "v2":
			out, code, _ = e.HandleV2(ctx, []byte(body), time.Now(), nil, nil)
		case "batch":
			out, code = e.HandleV2Batch(ctx, []byte(body), time.Now(), nil)
		case "feedback":
			out, code = e.HandleFeedback([]byte(body), nil)
		}
		named := kind == "batch" || strings.Contains(string(out), `"request_id":"r"`) // the request is named all the same
		if code != runtime.CodeInvalidRequest || !strings.Contains(string(out), "byte order mark") || strings.Contains(string(out), "must be a JSON object") || !named {
			t.Errorf("%s: %s %s", kind, code, out)
		}
	}
}

// TestUTF16Body: a body in UTF-16 after its byte order mark (little or
// big end first) is refused saying so, by every handler; it was told
// "the body must be a JSON object".
func TestUTF16Body(t *testing.T) {
	e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
	load(t, e, examples)
	ctx := context.Background()
	encode := func(s string, bigEnd bool) []byte {
		out := []byte{0xff, 0xfe}
		if bigEnd {
			out = []byte{0xfe, 0xff}
		}
		for _, u := range utf16.Encode([]rune(s)) {
			if bigEnd {
				out = append(out, byte(u>>8), byte(u))
			} else {
				out = append(out, byte(u), byte(u>>8))
			}
		}
		return out
	}
	for _, bigEnd := range []bool{false, true} {
		for kind, body := range map[string]string{
			"cp1":      `{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "chat"}}`,
			"v2":       `{"request": {"id": "r", "tenant": {"id": "t"}, "task": {"type": "chat"}}}`,
			"batch":    `{"requests": []}`,
			"feedback": `{"request_id": "r", "tenant_id": "t", "target": "p:m", "status": "ok"}`,
		} {
			b := encode(body, bigEnd)
			var out []byte
			var code runtime.Code
			switch kind {
			case "cp1":
				out, code, _ = e.HandleCP1(ctx, b, runtime.CP1Meta{Arrival: time.Now()}, nil, nil)
			case "v2":
				out, code, _ = e.HandleV2(ctx, b, time.Now(), nil, nil)
			case "batch":
				out, code = e.HandleV2Batch(ctx, b, time.Now(), nil)
			case "feedback":
				out, code = e.HandleFeedback(b, nil)
			}
			want := fmt.Sprintf("malformed JSON at byte 0: a UTF-16 byte order mark (%X); send the body as UTF-8", b[:2])
			if code != runtime.CodeInvalidRequest || !strings.Contains(string(out), want) {
				t.Errorf("%s, big end first %v: %s %s", kind, bigEnd, code, out)
			}
		}
	}
}
