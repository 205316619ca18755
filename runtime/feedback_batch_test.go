package runtime_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/state"
)

// TestFeedbackBatchAtomic: a feedback batch with a client's error in an
// item (invalid, null, not an object, an unknown field, a cost in a month
// the ledger no longer keeps) is refused whole: the error names the
// first such item and says that nothing of the batch was recorded, and
// nothing was, the valid items before it neither (no spend, no target's
// health, no duplicate remembered: the valid items sent again are
// recorded). A failure while recording an item (the ledger full) leaves
// the items before it recorded, and says so.
func TestFeedbackBatchAtomic(t *testing.T) {
	st := state.NewMem(state.Options{})
	e := newEngine(t, runtime.Config{State: st})
	item := func(id, rest string) string {
		return `{"request_id": "` + id + `", "tenant_id": "t", "target": "p:m", "status": "ok", "cost": 0.25` + rest + `}`
	}
	const nothing = ` (nothing of the batch was recorded)`
	for bad, want := range map[string]string{
		`{"request_id": "b", "target": "p:m", "status": "meh"}`: `"message":"feedback[1]: status: \"meh\" is not one of ok, error, timeout, canceled, http_429, http_4xx, http_5xx` + nothing + `","details":{"field":"feedback[1].status"}},"request_id":"b"}`,
		`null`:                      `"message":"feedback[1]: feedback is null, want an object` + nothing + `","details":{"field":"feedback[1]"}}}`,
		`"x"`:                       `"message":"feedback[1]: want an object, have a string` + nothing + `","details":{"field":"feedback[1]"}}}`,
		item("b", `, "latency": 5`): `"message":"feedback[1]: latency: unknown field (did you mean latency_ms?)` + nothing + `","details":{"field":"feedback[1].latency"}},"request_id":"b"}`,
		// The ledger's refusal, as the client's error (it recorded
		// the items before it).
		item("b", `, "time": "2020-01-01T00:00:00Z"`): `"message":"feedback[1]: time: 2020-01-01T00:00:00Z is in a month whose spend the router no longer keeps (it keeps the current UTC month, and the month before for 1h0m0s after it ends): the cost would be charged to no budget` + nothing + `","details":{"field":"feedback[1].time"}},"request_id":"b"}`,
		// Of two, the first is named.
		`{"request_id": "b", "target": "p:m", "status": "meh"}, null`: `"message":"feedback[1]: status: \"meh\" is not one of`,
	} {
		body := `{"feedback": [` + item("a", "") + `, ` + bad + `, ` + item("c", "") + `]}`
		out, code := e.HandleFeedback([]byte(body), nil)
		if code != runtime.CodeInvalidRequest || !strings.Contains(string(out), want) {
			t.Errorf("%s:\n got %s %s\nwant %s", body, code, out, want)
		}
		if spend, targets := st.MonthSpend("t", time.Now()), st.Targets(); spend != 0 || len(targets) != 0 {
			t.Fatalf("%s: recorded (spend %d nano, targets %+v), want nothing", body, spend, targets)
		}
	}
	if out, code := e.HandleFeedback([]byte(`{"feedback": [`+item("a", "")+`, `+item("c", "")+`]}`), nil); code != "" || string(out) != `{"ok":true,"recorded":2}` {
		t.Fatalf("the valid items again: %s %s, want both recorded", code, out)
	}

	// Recording fails at the second, a cost for a tenant-month more
	// than the ledger holds: the first stays recorded.
	st = state.NewMem(state.Options{MaxLedger: 1})
	e = newEngine(t, runtime.Config{State: st})
	other := strings.Replace(item("e", ""), `"t"`, `"u"`, 1)
	body := `{"feedback": [` + item("d", "") + `, ` + other + `, ` + item("f", "") + `]}`
	out, code := e.HandleFeedback([]byte(body), nil)
	if want := `"message":"feedback[1]: the spend ledger is full (1 tenant-months): a cost for a tenant new this month is refused until the month ends (the 1 before it was recorded)"`; code != runtime.CodeOverloaded || !strings.Contains(string(out), want) {
		t.Errorf("%s:\n got %s %s\nwant %s", body, code, out, want)
	}
	if spend, targets := st.MonthSpend("t", time.Now()), st.Targets(); spend != 250_000_000 || len(targets) != 1 || targets[0].Requests != 1 {
		t.Errorf("spend %d nano, targets %+v; want d recorded", spend, targets)
	}
}

// TestFeedbackBatchLimit: a feedback batch holds at most MaxBatch items,
// as a decide batch does: one more is invalid_request naming the count
// and the limit at field feedback, as a decide batch's is at requests,
// and nothing of it is recorded; MaxBatch items are recorded.
func TestFeedbackBatchLimit(t *testing.T) {
	st := state.NewMem(state.Options{})
	e := newEngine(t, runtime.Config{State: st})
	batch := func(n int) string {
		items := make([]string, n)
		for i := range items {
			items[i] = `{"request_id": "r` + strconv.Itoa(i) + `", "tenant_id": "t", "target": "p:m", "status": "ok", "cost": 0.25}`
		}
		return `{"feedback": [` + strings.Join(items, ", ") + `]}`
	}
	out, code := e.HandleFeedback([]byte(batch(runtime.MaxBatch+1)), nil)
	if want := `{"ok":false,"error":{"code":"invalid_request","message":"batch of 1001 feedback items; at most 1000","details":{"field":"feedback"}}}`; code != runtime.CodeInvalidRequest || string(out) != want {
		t.Errorf("%d items: %s %s, want %s", runtime.MaxBatch+1, code, out, want)
	}
	if spend, targets := st.MonthSpend("t", time.Now()), st.Targets(); spend != 0 || len(targets) != 0 {
		t.Fatalf("%d items: recorded (spend %d nano, targets %+v), want nothing", runtime.MaxBatch+1, spend, targets)
	}
	decide := `{"requests": [` + strings.Repeat(`{"request": {"id": "a"}}, `, runtime.MaxBatch) + `{"request": {"id": "a"}}]}`
	out, _ = e.HandleV2Batch(context.Background(), []byte(decide), time.Now(), nil)
	if want := `{"ok":false,"error":{"code":"invalid_request","message":"batch of 1001 requests; at most 1000","details":{"field":"requests"}}}`; string(out) != want {
		t.Errorf("decide batch of %d: %s, want %s", runtime.MaxBatch+1, out, want)
	}
	if out, code := e.HandleFeedback([]byte(batch(runtime.MaxBatch)), nil); code != "" || string(out) != `{"ok":true,"recorded":1000}` {
		t.Errorf("%d items: %s %s", runtime.MaxBatch, code, out)
	}
}

// TestBatchLimitCounted: a list far over MaxBatch, 1 MiB of [0,0,…]
// (about half a million items), is refused with its exact count without
// decoding its items: it allocated an item each (~524,000 allocations and
// 150–420 ms of CPU a message), now a handful. A decide batch's list
// whose key is escaped is decoded and refused all the same.
func TestBatchLimitCounted(t *testing.T) {
	e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
	n := (1 << 20) / 2
	list := "[" + strings.Repeat("0,", n-1) + "0]"
	for _, c := range []struct {
		body, want string
		call       func(body []byte) []byte
	}{
		{`{"feedback": ` + list + `}`, fmt.Sprintf(`{"ok":false,"error":{"code":"invalid_request","message":"batch of %d feedback items; at most 1000","details":{"field":"feedback"}}}`, n),
			func(b []byte) []byte { out, _ := e.HandleFeedback(b, nil); return out }},
		{`{"requests": ` + list + `}`, fmt.Sprintf(`{"ok":false,"error":{"code":"invalid_request","message":"batch of %d requests; at most 1000","details":{"field":"requests"}}}`, n),
			func(b []byte) []byte { out, _ := e.HandleV2Batch(context.Background(), b, time.Now(), nil); return out }},
	} {
		body := []byte(c.body)
		if out := c.call(body); string(out) != c.want {
			t.Fatalf("%.40s…: %.300s, want %s", c.body, out, c.want)
		}
		if allocs := testing.AllocsPerRun(2, func() { c.call(body) }); allocs > 100 {
			t.Errorf("%.40s…: %.0f allocations, want the list counted, not decoded", c.body, allocs)
		}
	}
	escaped := `{"requ\u0065sts": ` + "[" + strings.Repeat("0,", runtime.MaxBatch) + "0]}"
	out, _ := e.HandleV2Batch(context.Background(), []byte(escaped), time.Now(), nil)
	if want := `"message":"batch of 1001 requests; at most 1000"`; !strings.Contains(string(out), want) {
		t.Errorf("escaped key: %s, want %s", out, want)
	}
}
