package natsx_test

import (
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	rt "github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/natsx"
)

// TestFeedbackBurst: a burst of 30,000 feedbacks published without a
// reply subject, as fast as a client sends them, is recorded whole (the
// router's client dropped 60% of them as a slow consumer, without a
// count; found by a review).
func TestFeedbackBurst(t *testing.T) {
	s, nc := embedded(t, "")
	e, st := engineState(t, nil)
	srv, err := natsx.Serve(nc, e, natsx.Config{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	client, err := natsx.ConnectInProcess(s, nats.Name("test-client"))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	const n = 30_000
	start := time.Now()
	for i := range n {
		body := fmt.Appendf(nil, `{"request_id": "b-%d", "tenant_id": "acme", "target": "openai:gpt-4o", "status": "ok", "latency_ms": 80, "cost": 0.000001}`, i)
		if err := client.Publish(natsx.SubjectFeedback, body); err != nil {
			t.Fatal(err)
		}
	}
	if err := client.Flush(); err != nil {
		t.Fatal(err)
	}
	sent := time.Since(start)
	var got int64
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if got = st.MonthSpend("acme", time.Now()) / 1000; got == n {
			break
		}
	}
	t.Logf("%d feedbacks sent in %v; %d recorded, %d dropped", n, sent, got, srv.Dropped(""))
	if got != n {
		t.Errorf("%d of %d feedbacks recorded", got, n)
	}
}

// TestDroppedCounted: every message the client drops (a subscription's
// backlog past its limits) is counted by subject and logged, a line for
// the burst: each of a burst of decides is decided, answered overloaded
// or counted dropped (they were dropped without a count, the library
// printing a line per slow-consumer episode on stderr; found by a
// review).
func TestDroppedCounted(t *testing.T) {
	s, nc := embedded(t, "")
	var logged syncBuffer
	var refused atomic.Int64
	e := newEngine(t, nil)
	srv, err := natsx.Serve(nc, e, natsx.Config{Workers: 1, MaxPending: 1, MaxBacklog: 8, // 8 messages queued at most
		Logger: slog.New(slog.NewTextHandler(&logged, nil)),
		Hooks:  rt.Hooks{Refused: func(string, rt.Refusal) { refused.Add(1) }}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	client, err := natsx.ConnectInProcess(s, nats.Name("test-client"))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	const n = 5000
	for i := range n {
		// Answers to an inbox no one reads: the burst is not paced by them.
		if err := client.PublishRequest(natsx.SubjectDecide, "nowhere", fmt.Appendf(nil, `{"request": {"id": "r-%d"}}`, i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := client.Flush(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every message handled or counted dropped", func() bool {
		return e.Status().Decisions+refused.Load()+srv.Dropped(natsx.SubjectDecide) == n
	})
	dropped := srv.Dropped(natsx.SubjectDecide)
	if dropped == 0 || srv.Dropped("") != dropped || srv.Dropped(natsx.SubjectFeedback) != 0 {
		t.Fatalf("dropped %d on %s, %d in all, %d on %s", dropped, natsx.SubjectDecide, srv.Dropped(""), srv.Dropped(natsx.SubjectFeedback), natsx.SubjectFeedback)
	}
	want := fmt.Sprintf("dropped=%d total=%d", dropped, dropped)
	waitFor(t, "the drops logged", func() bool { return strings.Contains(logged.String(), want) })
	if n := strings.Count(logged.String(), "NATS messages dropped"); n != 1 {
		t.Errorf("%d lines for one burst, want 1:\n%s", n, logged.String())
	}
	srv.Stop()
	if got := srv.Dropped(""); got != dropped {
		t.Errorf("after Stop: %d dropped, want %d still", got, dropped)
	}
}

// TestBurstAnswered: a burst of decides far past MaxPending is answered,
// decided or overloaded, none dropped: the backlog past MaxPending is
// refused at once, and was bounded at 8×MaxPending, past which the
// client dropped the requests, which then timed out at their requesters
// (a burst of 60,000 saw 22,067 dropped; found by a review).
func TestBurstAnswered(t *testing.T) {
	s, nc := embedded(t, "")
	var refused atomic.Int64
	e := newEngine(t, nil)
	srv, err := natsx.Serve(nc, e, natsx.Config{Workers: 1, MaxPending: 1,
		Hooks: rt.Hooks{Refused: func(string, rt.Refusal) { refused.Add(1) }}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	client, err := natsx.ConnectInProcess(s, nats.Name("test-client"))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	var answered, overloaded atomic.Int64
	inbox := nats.NewInbox()
	sub, err := client.Subscribe(inbox, func(m *nats.Msg) {
		answered.Add(1)
		if strings.Contains(string(m.Data), `"overloaded"`) {
			overloaded.Add(1)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	sub.SetPendingLimits(-1, -1)
	const n = 20_000
	for i := range n {
		if err := client.PublishRequest(natsx.SubjectDecide, inbox, fmt.Appendf(nil, `{"request": {"id": "r-%d"}}`, i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := client.Flush(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every request answered or counted dropped", func() bool {
		return answered.Load()+srv.Dropped(natsx.SubjectDecide) == n
	})
	if d := srv.Dropped(""); d != 0 || overloaded.Load() == 0 || overloaded.Load() != refused.Load() {
		t.Errorf("of %d: %d answered, %d of them overloaded (%d refused); %d dropped", n, answered.Load(), overloaded.Load(), refused.Load(), d)
	}
}
