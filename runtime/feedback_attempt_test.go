package runtime_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/state"
)

// TestFeedbackAttempts: a gateway retrying the same target (a fallback's
// retries) reports each attempt under the request's id, numbered by
// attempt: each is recorded once (its cost charged, its outcome in the
// target's health), a copy of one again is a duplicate, and an attempt
// that is no number from 1 to runtime.MaxFeedbackAttempt is refused
// naming the field.
func TestFeedbackAttempts(t *testing.T) {
	st := state.NewMem(state.Options{})
	e := newEngine(t, runtime.Config{State: st})
	first := `{"request_id": "p-6", "tenant_id": "acme", "target": "openai:gpt-4o", "status": "timeout", "latency_ms": 2000}`
	retry := `{"request_id": "p-6", "tenant_id": "acme", "target": "openai:gpt-4o", "status": "ok", "latency_ms": 300, "cost": 5, "attempt": 2}`
	for i, c := range []struct{ body, want string }{
		{first, `{"ok":true,"recorded":1}`},
		{retry, `{"ok":true,"recorded":1}`},
		{retry, `{"ok":true,"recorded":0,"duplicate":true}`},
		// Attempt 1 is the attempt given none.
		{strings.Replace(first, `"status"`, `"attempt": 1, "status"`, 1), `{"ok":true,"recorded":0,"duplicate":true}`},
		{`{"feedback": [` + retry + `, ` + strings.Replace(retry, `"attempt": 2`, `"attempt": 3`, 1) + `]}`, `{"ok":true,"recorded":1,"duplicates":1}`},
	} {
		if out, code := e.HandleFeedback([]byte(c.body), nil); code != "" || string(out) != c.want {
			t.Fatalf("feedback %d: %s %s, want %s", i+1, code, out, c.want)
		}
	}
	if got := st.MonthSpend("acme", time.Now()); got != 10_000_000_000 {
		t.Errorf("month spend %d, want $10 (attempts 2 and 3, once each)", got)
	}
	if got := st.Targets(); len(got) != 1 || got[0].Requests != 3 || got[0].Errors != 1 {
		t.Errorf("targets %+v, want three requests, one failed", got)
	}

	for attempt, want := range map[string]string{
		`0`:     `attempt: want 1 to 1000 (1 the first attempt on the target, 2 its first retry), have 0","details":{"field":"attempt"}`,
		`-1`:    `attempt: want 1 to 1000 (1 the first attempt on the target, 2 its first retry), have -1","details":{"field":"attempt"}`,
		`1001`:  `attempt: want 1 to 1000 (1 the first attempt on the target, 2 its first retry), have 1001","details":{"field":"attempt"}`,
		`1.5`:   `attempt: want a whole number, have 1.5","details":{"field":"attempt"}`,
		`1e30`:  `attempt: 1e30 is out of range","details":{"field":"attempt"}`,
		`"2"`:   `attempt: want a number, have a string","details":{"field":"attempt"}`,
		`true`:  `attempt: want a number, have a boolean","details":{"field":"attempt"}`,
		`2.0e0`: ``, // a whole number, as JSON may write it
		`null`:  ``, // absent: attempt 1
	} {
		body := `{"request_id": "bad` + strings.ReplaceAll(attempt, `"`, ``) + `", "target": "a:b", "status": "ok", "attempt": ` + attempt + `}`
		out, code := e.HandleFeedback([]byte(body), nil)
		if want == "" {
			if code != "" {
				t.Errorf("attempt %s: %s %s", attempt, code, out)
			}
			continue
		}
		if code != runtime.CodeInvalidRequest || !strings.Contains(string(out), want) {
			t.Errorf("attempt %s: %s %s, want …%s", attempt, code, out, want)
		}
		// In a batch, the item named.
		out, _ = e.HandleFeedback([]byte(`{"feedback": [{"request_id": "ok", "target": "a:b", "status": "ok"}, `+body+`]}`), nil)
		if !strings.Contains(string(out), `feedback[1]: attempt: `) || !strings.Contains(string(out), `"field":"feedback[1].attempt"`) {
			t.Errorf("attempt %s in a batch: %s", attempt, out)
		}
	}
	// Observe (the Go API): 0 is the attempt given none; below it and
	// above the most are refused.
	for _, c := range []struct {
		attempt int
		ok      bool
	}{{0, true}, {1, true}, {runtime.MaxFeedbackAttempt, true}, {-1, false}, {runtime.MaxFeedbackAttempt + 1, false}} {
		f := &runtime.Feedback{RequestID: "go", Target: "a:b", Status: "ok", Attempt: c.attempt}
		if err := e.Observe(f); (err == nil) != c.ok || (err != nil && err.Details["field"] != "attempt") {
			t.Errorf("Observe with attempt %d: %v", c.attempt, err)
		}
		if c.attempt == 0 && f.Attempt != 1 {
			t.Errorf("Observe with no attempt: attempt %d after validation, want 1", f.Attempt)
		}
	}
}
