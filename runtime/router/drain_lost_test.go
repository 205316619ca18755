package router_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/rpl-lang/rpl/runtime/natsx"
	"github.com/rpl-lang/rpl/runtime/router"
)

// TestShutdownCountsLostFeedback: the fire-and-forget feedback still
// queued on NATS when the drain has run out, and the second after it
// too, is lost with the subscriptions: Shutdown counts it
// (rpl_nats_dropped_total{subject="rpl.v2.feedback"}) and logs it. It
// was lost without a word: no requester times out for it.
func TestShutdownCountsLostFeedback(t *testing.T) {
	held, release := router.HoldNATSFeedback(t)
	defer release()
	var logs syncLog
	r, err := router.Start(context.Background(), router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "-", NoLog: true, BundleBucket: "-",
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Shutdown(context.Background()) })
	client, err := natsx.ConnectInProcess(r.NATSServer(), nats.Name("test-client"))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	const n = 31
	for i := range n {
		body := fmt.Appendf(nil, `{"request_id": "q-%d", "tenant_id": "acme", "target": "openai:gpt-4o", "status": "ok", "latency_ms": 80}`, i)
		if err := client.Publish(natsx.SubjectFeedback, body); err != nil {
			t.Fatal(err)
		}
	}
	if err := client.Flush(); err != nil {
		t.Fatal(err)
	}
	<-held // the only feedback subscription's handler holds one
	for deadline := time.Now().Add(5 * time.Second); r.NATSInFlight() < n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d feedbacks delivered", r.NATSInFlight(), n)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := r.Shutdown(ctx); err == nil {
		t.Error("Shutdown: no error, the drain ran out with feedback held")
	}
	fams, err := r.Metrics.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var lost float64
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if f.GetName() == "rpl_nats_dropped_total" && l.GetName() == "subject" && l.GetValue() == natsx.SubjectFeedback {
					lost = m.GetCounter().GetValue()
				}
			}
		}
	}
	if lost != n-1 {
		t.Errorf("rpl_nats_dropped_total{subject=%q} %v, want the %d queued behind the one held", natsx.SubjectFeedback, lost, n-1)
	}
	if out := logs.String(); !strings.Contains(out, "still queued when the subscriptions closed") || !strings.Contains(out, fmt.Sprintf("lost=%v", lost)) {
		t.Errorf("log lacks the %v lost:\n%s", lost, out)
	}
}
