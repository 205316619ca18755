package natsx_test

import (
	"context"
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

// TestStopCountsQueued: the fire-and-forget feedback still queued when a
// drain runs out, lost when the subscriptions close, is counted dropped
// on its subject and logged; the one being recorded is not. It was lost
// without a count: no requester times out for it.
func TestStopCountsQueued(t *testing.T) {
	s, nc := embedded(t, "")
	e, _ := engineState(t, nil)
	hold, held, release := holdFirst()
	var logs syncBuffer
	srv, err := natsx.Serve(nc, e, natsx.Config{Workers: 1, Hooks: rt.Hooks{Trace: hold}, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer close(release)
	client, err := natsx.ConnectInProcess(s, nats.Name("test-client"))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	const n = 21
	for i := range n {
		body := fmt.Appendf(nil, `{"request_id": "q-%d", "tenant_id": "acme", "target": "openai:gpt-4o", "status": "ok", "latency_ms": 80, "cost": 0.000001}`, i)
		if err := client.Publish(natsx.SubjectFeedback, body); err != nil {
			t.Fatal(err)
		}
	}
	if err := client.Flush(); err != nil {
		t.Fatal(err)
	}
	<-held // the only feedback subscription's handler holds the first
	waitFor(t, fmt.Sprintf("%d feedbacks delivered", n), func() bool { return srv.InFlight() >= n })
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the drain runs out at once
	if err := srv.Drain(ctx); err == nil {
		t.Fatal("Drain: no error, with a handler held")
	}
	srv.Stop()
	if got := srv.Dropped(natsx.SubjectFeedback); got != n-1 {
		t.Errorf("feedback dropped: %d, want the %d queued behind the one held", got, n-1)
	}
	if got := srv.Dropped(""); got != n-1 {
		t.Errorf("dropped on every subject: %d, want %d", got, n-1)
	}
	if out := logs.String(); !strings.Contains(out, "still queued when the subscriptions closed") || !strings.Contains(out, fmt.Sprintf("lost=%d", n-1)) {
		t.Errorf("log: %s, want the %d lost said", out, n-1)
	}
}

// TestDrainConnectionLost: a connection lost while a drain waits leaves
// the subscriptions delivering what they hold; Drain returns once that
// is handled (the fire-and-forget feedback recorded), not at the first
// moment no handler runs. It returned then: between two queued messages
// (here, at a barrier, nats.go's own pause between two), and what was
// still queued was lost with the connection, uncounted.
func TestDrainConnectionLost(t *testing.T) {
	s, nc := embedded(t, "")
	e, st := engineState(t, nil)
	hold, held, release := holdFirst()
	srv, err := natsx.Serve(nc, e, natsx.Config{Workers: 1, Hooks: rt.Hooks{Trace: hold}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	client, err := natsx.ConnectInProcess(s, nats.Name("test-client"))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	const n = 100
	publish := func(from, to int) {
		t.Helper()
		for i := from; i < to; i++ {
			body := fmt.Appendf(nil, `{"request_id": "q-%d", "tenant_id": "acme", "target": "openai:gpt-4o", "status": "ok", "latency_ms": 80}`, i)
			if err := client.Publish(natsx.SubjectFeedback, body); err != nil {
				t.Fatal(err)
			}
		}
		if err := client.Flush(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, fmt.Sprintf("%d feedbacks delivered", to), func() bool { return srv.InFlight() >= to })
	}
	publish(0, n/2)
	<-held // the only feedback subscription's handler holds the first
	// Between the two halves, the subscription stops at a barrier: no
	// handler runs while it waits there.
	atBarrier, resume := make(chan struct{}), make(chan struct{})
	if err := nc.Barrier(func() { close(atBarrier); <-resume }); err != nil {
		t.Fatal(err)
	}
	publish(n/2, n)

	drained := make(chan int, 1) // what is queued when Drain returns
	ctx := newLookCounter()
	go func() {
		if err := srv.Drain(ctx); err != nil {
			t.Error(err)
		}
		drained <- srv.InFlight()
	}()
	s.Shutdown() // the router's connection is lost
	waitFor(t, "the connection lost after the server's shutdown", func() bool { return !nc.IsConnected() })
	close(release)
	<-atBarrier
	// The subscription waits at the barrier: no handler runs, the second
	// half is queued. Drain must look at that and not return: its second
	// look since then began after the first had ended, so after the
	// barrier was reached; if it returns instead, it does so at its first.
	stuck := time.After(15 * time.Second) // as waitFor: not a test of speed
	for since := ctx.looks.Load(); ctx.looks.Load() < since+2; {
		select {
		case left := <-drained:
			close(resume)
			t.Fatalf("Drain returned at the barrier, %d feedbacks still queued", left)
		case <-ctx.looked:
		case <-stuck:
			close(resume)
			t.Fatal("Drain neither returned nor looked at the subscriptions again")
		}
	}
	close(resume)
	if left := <-drained; left != 0 {
		t.Fatalf("Drain returned with %d feedbacks still queued", left)
	}
	var recorded int64
	for _, ts := range st.Targets() {
		recorded += ts.Requests
	}
	if recorded != n {
		t.Errorf("%d feedbacks recorded, want %d", recorded, n)
	}
}

// lookCounter is a context that counts Drain's looks at the
// subscriptions that find them not yet drained: Drain asks its context
// (Err) after each such look, before it looks again. looked has a value
// after a look, for a test to wait on.
type lookCounter struct {
	context.Context
	looks  atomic.Int64
	looked chan struct{}
}

func newLookCounter() *lookCounter {
	return &lookCounter{Context: context.Background(), looked: make(chan struct{}, 1)}
}

func (c *lookCounter) Err() error {
	c.looks.Add(1)
	select {
	case c.looked <- struct{}{}:
	default:
	}
	return c.Context.Err()
}
