package runtime_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/rpl-lang/rpl/runtime"
)

// keptFeedback records the feedback it is given.
type keptFeedback struct {
	mu   sync.Mutex
	kept []runtime.Feedback
}

func (k *keptFeedback) RecordFeedback(f *runtime.Feedback) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.kept = append(k.kept, *f)
	return nil
}

// TestFeedbackWholeNumbers: an integer field of feedback (http_status,
// tokens_in, tokens_out) takes a whole number however JSON writes it
// (4.29e2, 1.5e3, 2.0); a number that is not whole, or beyond the field
// (an http_status that is no HTTP status code), is
// refused naming the field and quoting the number as written.
func TestFeedbackWholeNumbers(t *testing.T) {
	rec := new(keptFeedback)
	e := newEngine(t, runtime.Config{State: rec})
	for i, c := range []struct {
		fields              string
		status              int
		tokensIn, tokensOut int64
	}{
		{`"http_status": 4.29e2`, 429, 0, 0},
		{`"http_status": 5.03E2, "tokens_in": 1.5e3, "tokens_out": 2.0`, 503, 1500, 2},
		{`"tokens_in": 9.223372036854775807e18, "tokens_out": 10e-1`, 0, 9223372036854775807, 1},
		{`"http_status": 200, "tokens_in": 0e400, "latency_ms": 1.5e2`, 200, 0, 0},
	} {
		rec.kept = nil
		body := `{"request_id": "r` + string(rune('a'+i)) + `", "target": "a:b", "status": "error", ` + c.fields + `}` // error takes any http_status
		if out, code := e.HandleFeedback([]byte(body), nil); code != "" {
			t.Errorf("%s: %s", c.fields, out)
			continue
		}
		if len(rec.kept) != 1 {
			t.Fatalf("%s: recorded %d", c.fields, len(rec.kept))
		}
		if f := rec.kept[0]; f.HTTPStatus != c.status || f.TokensIn != c.tokensIn || f.TokensOut != c.tokensOut {
			t.Errorf("%s: http_status %d, tokens %d/%d", c.fields, f.HTTPStatus, f.TokensIn, f.TokensOut)
		}
	}
	rec.kept = nil
	for fields, want := range map[string]string{
		`"http_status": 1.5e0`:                   `http_status: want a whole number, have 1.5e0","details":{"field":"http_status"}`,
		`"tokens_in": 1e400`:                     `tokens_in: 1e400 is out of range","details":{"field":"tokens_in"}`,
		`"tokens_in": 9.223372036854775808e18`:   `tokens_in: 9.223372036854775808e18 is out of range`,
		`"tokens_out": 1e19`:                     `tokens_out: 1e19 is out of range`,
		`"tokens_out": 2.5`:                      `tokens_out: want a whole number, have 2.5`,
		`"tokens_out": -1e0`:                     `tokens_out: must be ≥ 0, have -1`,
		`"http_status": 5e2, "tokens_in": "5"`:   `tokens_in: want a number, have a string`,
		`"http_status": 5e2, "tokens_in": 1.5e0`: `tokens_in: want a whole number, have 1.5e0`,
		`"http_status": 1e3`:                     `http_status: want an HTTP status code, 100 to 599, have 1000`,
		`"http_status": -7`:                      `http_status: want an HTTP status code, 100 to 599, have -7`,
		`"http_status": 99`:                      `http_status: want an HTTP status code, 100 to 599, have 99`,
	} {
		body := `{"request_id": "r", "target": "a:b", "status": "ok", ` + fields + `}`
		if out, code := e.HandleFeedback([]byte(body), nil); code != runtime.CodeInvalidRequest || !strings.Contains(string(out), want) {
			t.Errorf("%s: %s %s, want %s", fields, code, out, want)
		}
	}
	if len(rec.kept) != 0 {
		t.Errorf("refused feedback recorded: %+v", rec.kept)
	}
}
