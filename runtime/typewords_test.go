package runtime_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/state"
)

// TestTypeWords: CP1, v2 and feedback name what a value is in the same
// words (a number, a string, a list, an object, a boolean), and a number
// out of range as "N is out of range", each error invalid_request naming
// the field's path in its message and in details.field.
func TestTypeWords(t *testing.T) {
	e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
	load(t, e, examples)
	ctx := context.Background()
	// answer is the error of body, of kind, as the contract answers it.
	answer := func(kind runtime.Kind, body string) (runtime.Code, map[string]any) {
		t.Helper()
		var out []byte
		var code runtime.Code
		switch kind {
		case runtime.KindCP1:
			out, code, _ = e.HandleCP1(ctx, []byte(body), runtime.CP1Meta{}, nil, nil)
		case runtime.KindV2:
			out, code, _ = e.HandleV2(ctx, []byte(body), time.Now(), nil, nil)
		case runtime.KindFeedback:
			out, code = e.HandleFeedback([]byte(body), nil)
		}
		m := decodeJSON(t, out)
		errObj, _ := m["error"].(map[string]any)
		if kind == runtime.KindCP1 && m["context"] == nil {
			t.Errorf("%s: no context: %s", body, out)
		}
		return code, errObj
	}
	const cp1 = `{"version": "1", "request_id": "r", "tenant_id": %s, "task": {"type": "chat"}}`
	const v2 = `{"policy_id": %s, "request": {"id": "r"}}`
	const fb = `{"request_id": "r", "target": "a:b", "status": %s}`
	for value, have := range map[string]string{`5`: "a number", `1e400`: "a number", `[1]`: "a list", `{"a": 1}`: "an object", `true`: "a boolean"} {
		for _, c := range []struct {
			kind        runtime.Kind
			body, field string
		}{
			{runtime.KindCP1, fmt.Sprintf(cp1, value), "tenant_id"},
			{runtime.KindV2, fmt.Sprintf(v2, value), "policy_id"},
			{runtime.KindFeedback, fmt.Sprintf(fb, value), "status"},
		} {
			code, errObj := answer(c.kind, c.body)
			want := c.field + ": want a string, have " + have
			details, _ := errObj["details"].(map[string]any)
			if code != runtime.CodeInvalidRequest || errObj["message"] != want || details["field"] != c.field {
				t.Errorf("%s: %s %v, want %q (details.field %s)", c.body, code, errObj, want, c.field)
			}
		}
	}
	// A number beyond what its field holds.
	for _, c := range []struct {
		kind              runtime.Kind
		body, field, want string
	}{
		{runtime.KindCP1, `{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "chat"}, "constraints": {"max_latency_ms": 1e400}}`, "constraints.max_latency_ms", "1e400 is out of range"},
		{runtime.KindCP1, `{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "chat"}, "constraints": {"max_cost": -1E+400}}`, "constraints.max_cost", "-1E+400 is out of range"},
		{runtime.KindFeedback, `{"request_id": "r", "target": "a:b", "status": "ok", "latency_ms": 1e400}`, "latency_ms", "1e400 is out of range"},
		{runtime.KindCP1, `{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "chat"}, "constraints": {"max_cost": "1"}}`, "constraints.max_cost", "want a number, have a string"},
		{runtime.KindCP1, `{"version": "1", "request_id": "r", "tenant_id": "t", "task": [1]}`, "task", "want an object, have a list"},
	} {
		code, errObj := answer(c.kind, c.body)
		details, _ := errObj["details"].(map[string]any)
		if want := c.field + ": " + c.want; code != runtime.CodeInvalidRequest || errObj["message"] != want || len(details) != 1 || details["field"] != c.field {
			t.Errorf("%s: %s %v, want %q (details.field %s)", c.body, code, errObj, want, c.field)
		}
		if msg, _ := errObj["message"].(string); strings.Contains(msg, "have number") || strings.Contains(msg, "float64") {
			t.Errorf("%s: %q", c.body, msg)
		}
	}
}
