package runtime_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/state"
)

// TestBodyNotAnObject: a body that is not JSON is malformed JSON placed
// at the byte at fault, on every kind (the Dispatcher, as HTTP and NATS
// serve them): it was told "the body must be a JSON object", as JSON that
// is well formed but no object is, which is now named by its kind. Both
// are invalid_request, CP1's code as v2's.
func TestBodyNotAnObject(t *testing.T) {
	e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
	load(t, e, examples)
	d := runtime.NewDispatcher(e, runtime.DispatchConfig{Transport: "test"})
	ctx := context.Background()
	for _, c := range []struct{ body, want string }{
		{`garbage`, `malformed JSON at byte 0: invalid character 'g' looking for beginning of value`},
		// A literal or number cut short is at the body's end, in an
		// object too: encoding/json said "invalid character ' '", a
		// space the body does not have, at the byte before it.
		{`nul`, `malformed JSON at byte 3: unexpected end of JSON input`},
		{`{"a": tru`, `malformed JSON at byte 9: unexpected end of JSON input`},
		{` 1.`, `malformed JSON at byte 3: unexpected end of JSON input`},
		{`nul `, `malformed JSON at byte 3: invalid character ' ' in literal null (expecting 'l')`},
		{`1x`, `malformed JSON at byte 1: invalid character 'x' after top-level value`},
		{"\n [1,", `malformed JSON at byte 5: unexpected end of JSON input`},
		{`[1]`, `the body must be a JSON object, have a list`},
		{` "x"`, `the body must be a JSON object, have a string`},
		{`1`, `the body must be a JSON object, have a number`},
		{`null`, `the body must be a JSON object, have null`},
		{`true`, `the body must be a JSON object, have a boolean`},
	} {
		for _, kind := range []runtime.Kind{runtime.KindCP1, runtime.KindV2, runtime.KindBatch, runtime.KindFeedback} {
			x := d.Get()
			out, code := d.Serve(ctx, x, kind, []byte(c.body), "", time.Now())
			var r struct {
				Error struct {
					Code    string `json:"code"`
					Message string `json:"message"`
				} `json:"error"`
			}
			err := json.Unmarshal(out, &r)
			if err != nil || code != runtime.CodeInvalidRequest || r.Error.Code != "invalid_request" || r.Error.Message != c.want {
				t.Errorf("%s %q: %s %s (%v); want invalid_request %q", kind, c.body, code, out, err, c.want)
			}
			d.Put(x)
		}
	}
}
