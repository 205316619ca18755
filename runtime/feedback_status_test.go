package runtime_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/runtime"
)

// TestFeedbackStatusAndHTTPStatus: http_status must not contradict
// status. ok takes a 2xx, http_429 429, http_4xx a 4xx (429 among them),
// http_5xx a 5xx; error, timeout and canceled any code; any status takes
// none. A contradiction is refused, invalid_request naming both fields,
// and nothing of it is recorded.
func TestFeedbackStatusAndHTTPStatus(t *testing.T) {
	rec := new(keptFeedback)
	e := newEngine(t, runtime.Config{State: rec})
	n := 0
	send := func(body string) ([]byte, runtime.Code) {
		rec.kept = nil
		return e.HandleFeedback([]byte(body), nil)
	}
	item := func(status string, code int) string {
		n++
		f := fmt.Sprintf(`{"request_id": "r%d", "target": "a:b", "status": %q`, n, status)
		if code != 0 {
			f += fmt.Sprintf(`, "http_status": %d`, code)
		}
		return f + "}"
	}
	accepted := map[string][]int{
		"ok":       {0, 200, 201, 204, 299},
		"http_429": {0, 429},
		"http_4xx": {0, 400, 404, 429, 499},
		"http_5xx": {0, 500, 502, 503, 599},
		"error":    {0, 100, 200, 302, 404, 429, 500},
		"timeout":  {0, 200, 408, 504},
		"canceled": {0, 200, 499, 500},
	}
	for status, codes := range accepted {
		for _, code := range codes {
			if out, c := send(item(status, code)); c != "" || len(rec.kept) != 1 || rec.kept[0].HTTPStatus != code {
				t.Errorf("%s with %d: %s %s, recorded %d", status, code, c, out, len(rec.kept))
			}
		}
	}
	refused := map[string][]int{
		"ok":       {100, 199, 300, 302, 404, 429, 500, 503},
		"http_429": {200, 404, 428, 430, 500, 503},
		"http_4xx": {200, 399, 500, 503},
		"http_5xx": {200, 404, 429, 499},
	}
	takes := map[string]string{"ok": "200 to 299", "http_429": "429", "http_4xx": "400 to 499", "http_5xx": "500 to 599"}
	for status, codes := range refused {
		for _, code := range codes {
			want := fmt.Sprintf(`http_status: %d contradicts status %s, which takes %s (or no http_status)","details":{"field":"http_status"}`, code, status, takes[status])
			if out, c := send(item(status, code)); c != runtime.CodeInvalidRequest || !strings.Contains(string(out), want) || len(rec.kept) != 0 {
				t.Errorf("%s with %d: %s %s, recorded %d; want %s", status, code, c, out, len(rec.kept), want)
			}
		}
	}
	// In a batch: the item named, and the batch refused whole.
	out, c := send(`{"feedback": [` + item("ok", 200) + `, ` + item("ok", 500) + `]}`)
	want := `feedback[1]: http_status: 500 contradicts status ok, which takes 200 to 299 (or no http_status) (nothing of the batch was recorded)","details":{"field":"feedback[1].http_status"}`
	if c != runtime.CodeInvalidRequest || !strings.Contains(string(out), want) || len(rec.kept) != 0 {
		t.Errorf("batch: %s %s, recorded %d; want %s", c, out, len(rec.kept), want)
	}
	// Observe validates as HandleFeedback does.
	if err := e.Observe(&runtime.Feedback{RequestID: "o", Target: "a:b", Status: "http_5xx", HTTPStatus: 404}); err == nil || err.Code != runtime.CodeInvalidRequest {
		t.Errorf("Observe http_5xx with 404: %v", err)
	}
}
