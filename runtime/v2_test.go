package runtime_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/state"
)

// TestV2UnknownKeyEscaped: a key beside policy_id and request (beside
// requests in a batch) is refused as the key encoding/json decodes,
// however it is spelt: a JSON escape in it changes nothing, and the empty
// key is a key. A misspelt policy_id must not leave the request to the
// default policy.
func TestV2UnknownKeyEscaped(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	load(t, e, examples)
	ctx := context.Background()
	const req = `"request": {"id": "r", "tenant": {"id": "t"}, "task": {"type": "chat"}}`
	for _, c := range []struct{ escaped, plain, want string }{
		{`{` + req + `, "polici\u005fid": "premium"}`, `{` + req + `, "polici_id": "premium"}`, `polici_id: unknown field (did you mean policy_id?)`},
		{`{` + req + `, "x\u0078": 1, "polici_id": "premium"}`, `{` + req + `, "xx": 1, "polici_id": "premium"}`, `xx: unknown field`},
		{`{"policy_id": "premium", ` + req + `, "\u00e9": 1}`, `{"policy_id": "premium", ` + req + `, "é": 1}`, `é: unknown field`},
		// An escaped key before the request's id, or in it: the error
		// names the request all the same.
		{`{"\u0070olicy_id": "premium", ` + req + `, "\u00e9": 1}`, `{"policy_id": "premium", ` + req + `, "é": 1}`, `é: unknown field`},
		{`{"policy_id": "premium", "request": {"\u0069d": "r", "tenant": {"id": "t"}}, "x": 1}`, `{"policy_id": "premium", "request": {"id": "r", "tenant": {"id": "t"}}, "x": 1}`, `x: unknown field`},
		{`{` + req + `, "": "premium"}`, `{` + req + `, "": "premium"}`, `\"\": unknown field`},
	} {
		out, code, _ := e.HandleV2(ctx, []byte(c.escaped), time.Now(), nil, nil)
		plain, _, _ := e.HandleV2(ctx, []byte(c.plain), time.Now(), nil, nil)
		if code != runtime.CodeInvalidRequest || !strings.Contains(string(out), c.want) || string(out) != string(plain) {
			t.Errorf("%s: %s %s\nwant invalid_request mentioning %s, as %s gets: %s", c.escaped, code, out, c.want, c.plain, plain)
		}
		// The same bodies as a batch's item: that item's error, beside
		// another item decided.
		out, code = e.HandleV2Batch(ctx, []byte(`{"requests": [`+c.escaped+`, {`+req+`}]}`), time.Now(), nil)
		plain, _ = e.HandleV2Batch(ctx, []byte(`{"requests": [`+c.plain+`, {`+req+`}]}`), time.Now(), nil)
		if code != "" || !strings.HasPrefix(string(out), `{"ok":true,"results":[{"ok":false,"error":{"code":"invalid_request"`) ||
			!strings.Contains(string(out), c.want) || !strings.Contains(string(out), `},{"ok":true`) || string(out) != string(plain) {
			t.Errorf("batch of %s: %s %s\nwant the item's invalid_request mentioning %s, the next decided, as the batch of %s gets: %s", c.escaped, code, out, c.want, c.plain, plain)
		}
	}
	// Beside a batch's requests.
	for _, c := range []struct{ body, want string }{
		{`{"requests": [{` + req + `}], "polic\u0079_id": "premium"}`, `policy_id: unknown field`},
		{`{"requests": [{` + req + `}], "requ\u0065sts2": []}`, `requests2: unknown field (did you mean requests?)`},
		{`{"": [], "requests": [{` + req + `}]}`, `\"\": unknown field`},
		// Keys match exactly: encoding/json would take Requests for
		// requests, the second replacing the first.
		{`{"requests": [{` + req + `}], "Requests": []}`, `Requests: unknown field (did you mean requests?)`},
	} {
		out, code := e.HandleV2Batch(ctx, []byte(c.body), time.Now(), nil)
		if code != runtime.CodeInvalidRequest || !strings.Contains(string(out), c.want) {
			t.Errorf("batch %s: %s %s, want invalid_request mentioning %s", c.body, code, out, c.want)
		}
	}
	// An item that is not a request is that item's error; the others are
	// decided.
	out, code := e.HandleV2Batch(ctx, []byte(`{"requests": [{`+req+`, "Policy_ID": "premium"}, 5, "x", [], {`+req+`}]}`), time.Now(), nil)
	for _, want := range []string{
		`{"ok":false,"error":{"code":"invalid_request","message":"requests[0]: Policy_ID: unknown field (did you mean policy_id?)","details":{"field":"requests[0].Policy_ID"}},"request_id":"r"}`,
		`{"ok":false,"error":{"code":"invalid_request","message":"requests[1]: want a request object (with request and policy_id), have a number","details":{"field":"requests[1]"}}}`,
		`{"ok":false,"error":{"code":"invalid_request","message":"requests[2]: want a request object (with request and policy_id), have a string","details":{"field":"requests[2]"}}}`,
		`{"ok":false,"error":{"code":"invalid_request","message":"requests[3]: want a request object (with request and policy_id), have a list","details":{"field":"requests[3]"}}}`,
		`{"ok":true,`,
	} {
		if code != "" || !strings.Contains(string(out), want) {
			t.Errorf("a batch of bad items: %s %s, want %s", code, out, want)
		}
	}
}

// TestV2RepeatedKey: a key that an object of the request holds twice is
// invalid_request naming its path, at any depth and however the key is
// spelt, where encoding/json would keep the last value and decide it:
// two readers of the body (a gateway's, the router's) could otherwise
// take it differently. A batch's item is that item's error.
func TestV2RepeatedKey(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	load(t, e, examples)
	ctx := context.Background()
	const req = `"request": {"id": "r", "tenant": {"id": "t"}, "task": {"type": "chat"}}`
	for _, c := range []struct{ body, field string }{
		{`{"policy_id": "premium", ` + req + `, "policy_id": "default"}`, "policy_id"},
		{`{` + req + `, ` + req + `}`, "request"},
		{`{"request": {"id": "r", "tenant": {"id": "t", "id": "u"}}}`, "request.tenant.id"},
		{`{"request": {"id": "r", "tenant": {"id": "t", "\u0069d": "u"}}}`, "request.tenant.id"},
		{`{"request": {"id": "r", "metadata": {"k": "a", "k": "b"}}}`, "request.metadata.k"},
		{`{"request": {"id": "r", "id": "s"}}`, "request.id"},
	} {
		out, code, _ := e.HandleV2(ctx, []byte(c.body), time.Now(), nil, nil)
		want := `"details":{"field":"` + c.field + `"}`
		if code != runtime.CodeInvalidRequest || !strings.Contains(string(out), "key given twice") || !strings.Contains(string(out), want) {
			t.Errorf("%s: %s %s\nwant invalid_request, key given twice, %s", c.body, code, out, want)
		}
		out, code = e.HandleV2Batch(ctx, []byte(`{"requests": [{`+req+`}, `+c.body+`]}`), time.Now(), nil)
		if code != "" || !strings.HasPrefix(string(out), `{"ok":true,"results":[{"ok":true`) || !strings.Contains(string(out), `{"ok":false,"error":{"code":"invalid_request","message":"requests[1]: `+c.field+`: key given twice`) {
			t.Errorf("batch with %s: %s %s, want the item's invalid_request", c.body, code, out)
		}
	}
	out, code := e.HandleV2Batch(ctx, []byte(`{"requests": [{`+req+`}], "requests": []}`), time.Now(), nil)
	if code != runtime.CodeInvalidRequest || !strings.Contains(string(out), `"field":"requests"`) {
		t.Errorf("requests given twice: %s %s, want invalid_request", code, out)
	}
	// The same keys in different objects are no repetition.
	if out, code, _ := e.HandleV2(ctx, []byte(`{"request": {"id": "r", "tenant": {"id": "t"}, "metadata": {"id": "x"}}}`), time.Now(), nil, nil); code != "" {
		t.Errorf("an id in the tenant and in the metadata: %s %s", code, out)
	}
}

// TestV2TimeOutOfRange: a request's time beyond what int64 nanoseconds
// hold (1677-09-21 to 2262-04-11) is invalid_request naming its path,
// not another time given to the policy; in a decide body and a batch.
func TestV2TimeOutOfRange(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	load(t, e, examples)
	ctx := context.Background()
	for _, arrival := range []string{`"3000-01-01T00:00:00Z"`, `"1600-01-01T00:00:00Z"`, `99999999999999999`, `9223372036855`, `-9223372036855`} {
		body := `{"request": {"id": "r", "tenant": {"id": "t"}, "task": {"type": "chat"}, "arrival": ` + arrival + `}}`
		out, code, _ := e.HandleV2(ctx, []byte(body), time.Now(), nil, nil)
		if code != runtime.CodeInvalidRequest || !strings.Contains(string(out), `"message":"request.arrival: time`) || !strings.Contains(string(out), "out of range") ||
			!strings.Contains(string(out), `"details":{"field":"request.arrival"}`) {
			t.Errorf("%s: %s %s, want invalid_request: request.arrival: time … out of range, with the field in details", body, code, out)
		}
		batch, _ := e.HandleV2Batch(ctx, []byte(`{"requests": [`+body+`]}`), time.Now(), nil)
		if want := `{"ok":true,"results":[` + asItem(out, 0) + `]}`; string(batch) != want {
			t.Errorf("batch of %s: %s, want %s", body, batch, want)
		}
	}
	// The edges are times.
	for _, arrival := range []string{`"2262-04-11T23:47:16.854775807Z"`, `"1677-09-21T00:12:43.145224192Z"`, `9223372036854`, `-9223372036854`} {
		body := `{"request": {"id": "r", "tenant": {"id": "t"}, "task": {"type": "chat"}, "arrival": ` + arrival + `}}`
		if out, code, _ := e.HandleV2(ctx, []byte(body), time.Now(), nil, nil); code != "" {
			t.Errorf("%s: %s %s", body, code, out)
		}
	}
}

// TestV2ErrorsNameTheRequest: a v2 error answer names a request whose id
// is known ({"ok":false,"error":…,"request_id"}), whichever decoder read
// it, in a decide body and a batch, and before any policy version is
// active (not_ready).
func TestV2ErrorsNameTheRequest(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	load(t, e, examples)
	idle := newEngine(t, runtime.Config{}) // no version active
	ctx := context.Background()
	for _, c := range []struct {
		e    *runtime.Engine
		req  string
		code runtime.Code
	}{
		{e, `{"id": "r1", "tenant": {"id": "t"}, "task": {"type": "chat"}, "constraints": {"max_latency": -5}}`, runtime.CodeInvalidRequest},
		{e, `{"id": "r1", "constraints": {"max_cost": -1}}`, runtime.CodeInvalidRequest},
		{e, `{"id": "r1", "estimate": {"input_tokens": -5}}`, runtime.CodeInvalidRequest},
		{e, `{"id": "r1", "estimate": {"output_tokens": -1}}`, runtime.CodeInvalidRequest},
		{idle, `{"id": "r1", "tenant": {"id": "t"}, "task": {"type": "chat"}}`, runtime.CodeNotReady},
	} {
		for _, body := range []string{
			`{"request": ` + c.req + `}`,
			`{"request": ` + c.req + `, "policy\u005fid": ""}`, // encoding/json's path
		} {
			out, code, _ := c.e.HandleV2(ctx, []byte(body), time.Now(), nil, nil)
			m := decodeJSON(t, out)
			if code != c.code || m["ok"] != false || m["request_id"] != "r1" {
				t.Errorf("%s: %s %s, want %s naming request_id r1", body, code, out, c.code)
			}
			out, _ = c.e.HandleV2Batch(ctx, []byte(`{"requests": [`+body+`]}`), time.Now(), nil)
			results, _ := decodeJSON(t, out)["results"].([]any)
			if len(results) != 1 || results[0].(map[string]any)["request_id"] != "r1" {
				t.Errorf("batch of %s: %s, want a result naming request_id r1", body, out)
			}
		}
	}
}

// TestV2BodyShapeHint: a v2 body that is a request sent bare, or in
// CP1's shape, is told where the request's fields go, not "did you mean
// request?" (for request_id), alone or as a batch's item; a misspelt
// body key keeps its suggestion alone.
func TestV2BodyShapeHint(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	load(t, e, examples)
	ctx := context.Background()
	const shape = `the request's fields inside \"request\"`
	for _, c := range []struct{ body, want, not string }{
		{`{"version": "1", "request_id": "r-1", "tenant_id": "acme", "task": {"type": "chat"}}`, `version: unknown field (a v2 body is`, "did you mean"},
		{`{"request_id": "r-1", "tenant_id": "acme"}`, `request_id: unknown field (a v2 body is`, "did you mean"},
		{`{"id": "r-1", "tenant": {"id": "acme"}, "task": {"type": "chat"}}`, `id: unknown field (a v2 body is`, "did you mean"},
		{`{"reqest": {"id": "r-1"}}`, `reqest: unknown field (did you mean request?)`, shape},
	} {
		out, code, _ := e.HandleV2(ctx, []byte(c.body), time.Now(), nil, nil)
		if code != runtime.CodeInvalidRequest || !strings.Contains(string(out), c.want) || strings.Contains(string(out), c.not) {
			t.Errorf("%s: %s %s\nwant invalid_request saying %s, not %s", c.body, code, out, c.want, c.not)
		}
		if c.not == shape {
			continue
		}
		out, code = e.HandleV2Batch(ctx, []byte(`{"requests": [`+c.body+`]}`), time.Now(), nil)
		if code != "" || !strings.Contains(string(out), shape) {
			t.Errorf("batch of %s: %s %s\nwant the item told %s", c.body, code, out, shape)
		}
	}
}

// TestFoldedKeysDeep: v2 requests and feedback match keys exactly at
// every depth, the request's record and a batch's items too: a key that
// encoding/json would match to a field whatever its case (ID for id, or
// taſk for task, ſ folding to s) is an unknown field named at its path,
// never read as the field, where a gateway that compares keys exactly
// reads the other.
func TestFoldedKeysDeep(t *testing.T) {
	e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
	load(t, e, examples)
	ctx := context.Background()
	for body, want := range map[string]string{
		`{"request": {"id": "r", "tenant": {"id": "t", "ID": "evil"}, "task": {"type": "chat"}}}`: `"field":"request.tenant.ID"`,
		`{"request": {"id": "r", "tenant": {"id": "t"}, "taſk": {"type": "chat"}}}`:               `"field":"request.taſk"`,
		`{"request": {"id": "r", "Tenant": {"id": "evil"}, "tenant": {"id": "t"}}}`:               `"field":"request.Tenant"`,
	} {
		out, code, _ := e.HandleV2(ctx, []byte(body), time.Now(), nil, nil)
		if code != runtime.CodeInvalidRequest || !strings.Contains(string(out), "unknown field") || !strings.Contains(string(out), want) {
			t.Errorf("%s: %s %s, want an unknown field at %s", body, code, out, want)
		}
		out, _ = e.HandleV2Batch(ctx, []byte(`{"requests": [`+body+`]}`), time.Now(), nil)
		if !strings.Contains(string(out), "unknown field") || !strings.Contains(string(out), strings.Replace(want, `:"`, `:"requests[0].`, 1)) {
			t.Errorf("batch of %s: %s, want an unknown field at %s", body, out, want)
		}
	}
	const base = `"request_id": "r", "tenant_id": "t", "target": "p:m", "status": "ok"`
	for body, want := range map[string]string{
		`{` + base + `, "TENANT_ID": "evil"}`:               `TENANT_ID: unknown field`,
		`{` + base + `, "ſtatus": "error"}`:                 `ſtatus: unknown field`,
		`{"feedback": [{` + base + `, "Status": "error"}]}`: `feedback[0]: Status: unknown field`,
		`{"Feedback": [{` + base + `}]}`:                    `Feedback: unknown field`,
	} {
		out, code := e.HandleFeedback([]byte(body), nil)
		if code != runtime.CodeInvalidRequest || !strings.Contains(string(out), want) {
			t.Errorf("%s: %s %s, want %s", body, code, out, want)
		}
	}
}

// TestUnknownFieldWordedAlike: an unknown key at the top of a v2 body, of
// a batch, and of feedback is named as feedback and a request's own
// fields name one, its path first ("bogus: unknown field"), where v2 and
// a batch said `unknown field "bogus"`: one bad key, two wordings.
func TestUnknownFieldWordedAlike(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	load(t, e, examples)
	ctx := context.Background()
	message := func(out []byte) string {
		var m struct {
			Error struct{ Message string }
		}
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		return m.Error.Message
	}
	for _, key := range []string{"bogus", "", "a b", "x.y"} {
		k, _ := json.Marshal(key)
		fb, _ := e.HandleFeedback([]byte(`{"request_id": "r", `+string(k)+`: 1}`), nil)
		name, ok := strings.CutSuffix(message(fb), ": unknown field")
		if !ok {
			t.Fatalf("feedback with key %s: %s", k, fb)
		}
		v2, _, _ := e.HandleV2(ctx, []byte(`{"request": {"id": "r"}, `+string(k)+`: 1}`), time.Now(), nil, nil)
		batch, _ := e.HandleV2Batch(ctx, []byte(`{"requests": [], `+string(k)+`: 1}`), time.Now(), nil)
		nested, _, _ := e.HandleV2(ctx, []byte(`{"request": {"id": "r", `+string(k)+`: 1}}`), time.Now(), nil, nil)
		for what, out := range map[string][]byte{"v2": v2, "batch": batch} {
			if msg := message(out); !strings.HasPrefix(msg, name+": unknown field") {
				t.Errorf("%s with key %s: %q, want it worded as feedback's %q", what, k, msg, message(fb))
			}
		}
		if msg := message(nested); !strings.HasSuffix(msg, ": unknown field") {
			t.Errorf("v2 request with key %s: %q, want it worded as feedback's %q", k, msg, message(fb))
		}
	}
}

// TestBatchItemTypeField: an item of a batch that is no object (a
// number, a string, a list, a boolean; a null feedback item) is refused
// with details.field its path, requests[1] or feedback[1], as every
// other value refused is named where a tool places it; it had no
// details.
func TestBatchItemTypeField(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	load(t, e, examples)
	field := func(t *testing.T, out []byte, i int) string {
		var m struct {
			Results []struct {
				Error struct{ Details map[string]any }
			}
			Error struct{ Details map[string]any }
		}
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		if m.Results != nil {
			f, _ := m.Results[i].Error.Details["field"].(string)
			return f
		}
		f, _ := m.Error.Details["field"].(string)
		return f
	}
	ok := `{"request_id": "a", "target": "p:m", "status": "ok"}`
	for _, item := range []string{`1`, `"x"`, `[]`, `true`, `null`} {
		if item != `null` { // a null request is an empty one: request is required
			out, _ := e.HandleV2Batch(context.Background(), []byte(`{"requests": [{"request": {"id": "a"}}, `+item+`]}`), time.Now(), nil)
			if got := field(t, out, 1); got != "requests[1]" {
				t.Errorf("batch item %s: field %q, want requests[1]: %s", item, got, out)
			}
		}
		out, _ := e.HandleFeedback([]byte(`{"feedback": [`+ok+`, `+item+`]}`), nil)
		if got := field(t, out, 1); got != "feedback[1]" {
			t.Errorf("feedback item %s: field %q, want feedback[1]: %s", item, got, out)
		}
	}
}
