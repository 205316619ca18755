package router_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rpl-lang/rpl/runtime/natsx"
	"github.com/rpl-lang/rpl/runtime/router"
)

// TestDecisionLog: a router logs every decision it makes over NATS to the
// decision log stream, from a connection of its own (rpl-router-log), so
// that the log's large messages do not share the requests' connection.
func TestDecisionLog(t *testing.T) {
	ctx := context.Background()
	r, err := router.Start(ctx, router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "-", LogSample: 1, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown(ctx)
	nc := r.NATS()
	for i := range 3 {
		body := fmt.Sprintf(`{"version": "1", "request_id": "log-%d", "tenant_id": "acme", "task": {"type": "chat"}}`, i)
		m, err := nc.Request(natsx.SubjectCP1, []byte(body), 5*time.Second)
		if err != nil || !strings.HasPrefix(string(m.Data), `{"ok":true`) {
			t.Fatalf("request %d: %v %s", i, err, m.Data)
		}
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(ctx, natsx.LogStream)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for deadline := time.Now().Add(5 * time.Second); len(ids) < 3 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		msgs, err := natsx.ReadLog(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		ids = ids[:0]
		for _, evs := range msgs {
			for _, ev := range evs {
				if ev.TenantID != "acme" || ev.Result == "" || len(ev.Decision) == 0 {
					t.Errorf("event %+v", ev)
				}
				ids = append(ids, ev.RequestID)
			}
		}
	}
	if got := strings.Join(ids, " "); got != "log-0 log-1 log-2" {
		t.Fatalf("logged %q, want log-0 log-1 log-2", got)
	}

	cz, err := r.NATSServer().Connz(&server.ConnzOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cz.Conns {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, " "); !strings.Contains(got, "rpl-router-log") {
		t.Errorf("connections %q: none is the decision log's", got)
	}
}
