package natsx_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	rt "github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/natsx"
)

// counted records what the hooks count, as "transport/kind/code" answers
// and "transport/reason" refusals.
type counted struct {
	mu                sync.Mutex
	answered, refused []string
}

func (c *counted) hooks() rt.Hooks {
	return rt.Hooks{
		Answered: func(tr string, k rt.Kind, code rt.Code) {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.answered = append(c.answered, fmt.Sprintf("%s/%s/%s", tr, k, code))
		},
		Refused: func(tr string, why rt.Refusal) {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.refused = append(c.refused, fmt.Sprintf("%s/%s", tr, why))
		},
	}
}

func (c *counted) want(t *testing.T, what string, answered, refused []string) {
	t.Helper()
	// A request is counted answered after its reply is sent (the
	// handler learns then whether the server took it), and the
	// requester may read the reply first: wait for the count (under
	// load, the check read none: answered [] for a decide answered).
	waitFor(t, what+" counted", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.answered) >= len(answered)
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	if !slices.Equal(c.answered, answered) || !slices.Equal(c.refused, refused) {
		t.Errorf("%s: answered %q refused %q; want %q and %q", what, c.answered, c.refused, answered, refused)
	}
	c.answered, c.refused = nil, nil
}

// TestReplyTooLargeAnswered: every NATS request is answered, and counted
// once, when its answer would be larger than the server accepts. A reply
// over max_payload was answered with a refusal that repeats the request
// id: with a long id (invalid UTF-8 triples in the answer) that was too
// large too, and the requester timed out; and the request was counted
// twice, answered ok and refused too_large. A refusal before the engine
// (a body over MaxBody) named the id the same way.
func TestReplyTooLargeAnswered(t *testing.T) {
	nc := plainServer(t, &server.Options{MaxPayload: 8192})
	var c counted
	srv, err := natsx.Serve(nc, newEngine(t, nil), natsx.Config{MaxBody: 6000, Hooks: c.hooks()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	ask := func(subject, body string) string {
		t.Helper()
		m, err := nc.Request(subject, []byte(body), 5*time.Second)
		if err != nil {
			t.Fatalf("%s, %d bytes: %v", subject, len(body), err)
		}
		return string(m.Data)
	}

	long := strings.Repeat("\xff", 2800) // an id answered as 8,400 bytes
	for _, c2 := range []struct{ subject, body string }{
		{natsx.SubjectDecide, `{"request": {"id": "` + long + `", "tenant": {"id": "t"}, "task": {"type": "chat"}}}`},
		{natsx.SubjectCP1, `{"version":"1","request_id":"` + long + `","tenant_id":"t","task":{"type":"chat"}}`},
	} {
		if got := ask(c2.subject, c2.body); !strings.Contains(got, "is larger than the NATS server accepts") {
			t.Errorf("%s with a long id: %.300s, want the reply's size refused", c2.subject, got)
		}
	}
	c.want(t, "replies too large", nil, []string{"nats/too_large", "nats/too_large"})

	// A batch whose short answers alone would outgrow the server: refused
	// whole by the engine, as at a small --max-answer, counted once (a
	// batch is cut within max_payload: TestBatchCutAtMaxPayload).
	if got := ask(natsx.SubjectBatch, batchBody(40)); !strings.Contains(got, "within its limit, 8192 bytes (the NATS server's max_payload)") || !strings.Contains(got, "send fewer requests in a batch") {
		t.Errorf("a batch answered over max_payload: %.300s", got)
	}
	c.want(t, "a batch too large", []string{"nats/batch/invalid_request"}, nil)

	// A body over MaxBody whose id would make the refusal too large.
	body := `{"request": {"id": "` + strings.Repeat("\xff", 5990) + `"}}`
	if got := ask(natsx.SubjectDecide, body); !strings.Contains(got, "request body too large") {
		t.Errorf("a body over MaxBody with a long id: %.300s", got)
	}
	c.want(t, "a body too large", nil, []string{"nats/too_large"})

	// An answer that fits is counted as answered, once.
	if got := ask(natsx.SubjectDecide, `{"request": {"id": "r", "tenant": {"id": "t"}, "task": {"type": "chat"}}}`); !strings.HasPrefix(got, `{"ok":true`) {
		t.Errorf("a decide: %.300s", got)
	}
	c.want(t, "a decide", []string{"nats/v2/"}, nil)
}

// batchBody is a batch of n decide requests.
func batchBody(n int) string {
	items := make([]string, n)
	for i := range items {
		items[i] = fmt.Sprintf(`{"request": {"id": "r-%d", "tenant": {"id": "t"}, "task": {"type": "chat"}}}`, i)
	}
	return `{"requests": [` + strings.Join(items, ",") + `]}`
}

// TestBatchCutAtMaxPayload: a batch whose answer would be larger than the
// NATS server takes in a message (its max_payload, here 64 KiB, below
// --max-answer's 8 MiB) is cut there as at --max-answer, the request
// that would pass it and those after it answered invalid_request naming
// max_payload, and the requests before it answered with their
// decisions. Such an answer was refused whole as too large, every
// decision of the batch lost to the requester.
func TestBatchCutAtMaxPayload(t *testing.T) {
	nc := plainServer(t, &server.Options{MaxPayload: 64 << 10})
	var c counted
	srv, err := natsx.Serve(nc, newEngine(t, nil), natsx.Config{Hooks: c.hooks()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	body := batchBody(150)
	m, err := nc.Request(natsx.SubjectBatch, []byte(body), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		OK      bool `json:"ok"`
		Results []struct {
			OK    bool `json:"ok"`
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
		} `json:"results"`
	}
	if err := json.Unmarshal(m.Data, &got); err != nil {
		t.Fatalf("%v: %.300s", err, m.Data)
	}
	decided := 0
	for decided < len(got.Results) && got.Results[decided].OK {
		decided++
	}
	if !got.OK || len(got.Results) != 150 || decided == 0 || decided == 150 || len(m.Data) > 64<<10 {
		t.Fatalf("a batch of 150, %d bytes: %.400s: %d bytes answered, ok %v, %d results, the first %d decided; want all answered within 65536 bytes, cut", len(body), m.Data, len(m.Data), got.OK, len(got.Results), decided)
	}
	cut := got.Results[decided].Error.Message
	if want := fmt.Sprintf("requests[%d]: decided but not answered: its answer, ", decided); !strings.HasPrefix(cut, want) || !strings.Contains(cut, "past its limit, 65536 bytes (the NATS server's max_payload)") {
		t.Errorf("the request cut: %q", cut)
	}
	for i, r := range got.Results[decided+1:] {
		if want := fmt.Sprintf("requests[%d]: not decided: the batch's answer reached its limit, 65536 bytes (the NATS server's max_payload), at requests[%d]", decided+1+i, decided); r.OK || !strings.HasPrefix(r.Error.Message, want) {
			t.Fatalf("after the cut: %+v, want %q", r, want)
		}
	}
	c.want(t, "a batch cut", []string{"nats/batch/"}, nil)
}

// TestNoReplyFeedbackCountedOnce: fire-and-forget feedback (no reply
// subject) is counted once: as answered when recorded, as refused
// (no_reply) when not, where it was counted both answered
// invalid_request and refused.
func TestNoReplyFeedbackCountedOnce(t *testing.T) {
	_, nc := embedded(t, "")
	var c counted
	srv, err := natsx.Serve(nc, newEngine(t, nil), natsx.Config{Hooks: c.hooks(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	wait := func() {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
			c.mu.Lock()
			n := len(c.answered) + len(c.refused)
			c.mu.Unlock()
			if n > 0 || time.Now().After(deadline) {
				time.Sleep(50 * time.Millisecond) // and nothing more comes
				return
			}
		}
	}
	nc.Publish(natsx.SubjectFeedback, []byte(`{"bogus": 1}`))
	wait()
	c.want(t, "invalid feedback without a reply subject", nil, []string{"nats/no_reply"})
	nc.Publish(natsx.SubjectFeedback, []byte(`{"request_id": "f1", "target": "p:m", "status": "ok"}`))
	wait()
	c.want(t, "feedback recorded without a reply subject", []string{"nats/feedback/"}, nil)
}

// TestTooLargeAnswerSmall: a body refused as too large is answered small
// whatever its size: the request id it names (v2's request_id, CP1's
// context) is cut as an error message cuts a value, marked and followed
// by its length, where a 1.1 MB request got a 1.1 MB answer.
func TestTooLargeAnswerSmall(t *testing.T) {
	nc := plainServer(t, &server.Options{MaxPayload: 4 << 20})
	srv, err := natsx.Serve(nc, newEngine(t, nil), natsx.Config{MaxBody: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	id := strings.Repeat("x", 1_100_000)
	cut := strings.Repeat("x", 128) + `… (1100000 bytes)`
	for _, c := range []struct{ subject, body, want string }{
		{natsx.SubjectDecide, `{"request": {"id": "` + id + `"}}`, `"request_id":"` + cut + `"}`},
		{natsx.SubjectCP1, `{"version": "1", "request_id": "` + id + `", "trace_id": "` + id + `"}`, `"context":{"request_id":"` + cut + `","trace_id":"` + cut + `"}}`},
		{natsx.SubjectFeedback, `{"request_id": "` + id + `"}`, `"request_id":"` + cut + `"}`},
	} {
		m, err := nc.Request(c.subject, []byte(c.body), 5*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", c.subject, err)
		}
		if got := string(m.Data); len(got) > 1024 || !strings.Contains(got, "request body too large") || !strings.HasSuffix(got, c.want) {
			t.Errorf("%s, %d bytes: %d bytes answered: %.400s\nwant it to end %s", c.subject, len(c.body), len(got), got, c.want)
		}
	}
}
