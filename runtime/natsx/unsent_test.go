package natsx_test

import (
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/nats-io/nats.go"

	rt "github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/natsx"
)

// TestReplyNotSent: a decision whose reply cannot be sent (the router's
// connection closed while its policy ran) is counted dropped on its
// subject and logged, and not counted answered. It was counted answered,
// its requester timing out.
func TestReplyNotSent(t *testing.T) {
	s, nc := embedded(t, "")
	e, _ := engineState(t, nil)
	hold, held, release := holdFirst()
	var answered atomic.Int64
	count := func(string, rt.Kind, rt.Code) { answered.Add(1) }
	var logs syncBuffer
	srv, err := natsx.Serve(nc, e, natsx.Config{Workers: 1, Hooks: rt.Hooks{Trace: hold, Answered: count}, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	client, err := natsx.ConnectInProcess(s, nats.Name("test-client"))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if err := client.PublishRequest(natsx.SubjectCP1, "reply.here", []byte(`{"version": "1", "request_id": "r-1", "tenant_id": "acme", "task": {"type": "chat"}}`)); err != nil {
		t.Fatal(err)
	}
	<-held
	nc.Close() // the router's connection, while the decision is held
	close(release)
	waitFor(t, "the reply counted dropped", func() bool { return srv.Dropped(natsx.SubjectCP1) == 1 })
	if got := srv.Dropped(""); got != 1 {
		t.Errorf("dropped on every subject: %d, want 1", got)
	}
	if n := answered.Load(); n != 0 {
		t.Errorf("answered: %d, want none", n)
	}
	if out := logs.String(); !strings.Contains(out, "NATS reply not sent") || !strings.Contains(out, "subject="+natsx.SubjectCP1) || !strings.Contains(out, "connection closed") {
		t.Errorf("log: %s, want the reply not sent, its subject and why", out)
	}
}
