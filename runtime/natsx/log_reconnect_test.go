package natsx_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	rt "github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/natsx"
)

// TestDecisionLogReconnectedToNewStore: a log whose connection comes back
// to a server that lost the stream (restarted on an empty store, a
// failover to a server without it) makes the stream again at once, so
// that the events after the reconnection are stored. It found the stream
// missing only at its next acknowledged publish, up to AckEvery (a
// second) later, and every event published until then was lost: half of
// 23,456 decisions in the second after a nats-server restarted on a new
// store under two routers.
func TestDecisionLogReconnectedToNewStore(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	s, _ := embedded(t, addr)
	nc, err := nats.Connect("nats://"+addr, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Acknowledged publishes an hour apart: after the first, the log
	// learns of a missing stream only from the reconnection.
	dlog, err := natsx.NewDecisionLog(ctx, nc, natsx.LogConfig{AckEvery: time.Hour, Uncompressed: true})
	if err != nil {
		t.Fatal(err)
	}
	defer dlog.Close(ctx)
	dlog.LogDecision(&rt.DecisionEvent{RequestID: "before"})
	_, own := embeddedConn(t, s)
	js, _ := jetstream.New(own)
	waitFor(t, "the first event stored", func() bool {
		st, err := js.Stream(ctx, natsx.LogStream)
		return err == nil && st.CachedInfo().State.Msgs == 1
	})
	s.Shutdown()
	s.WaitForShutdown()
	waitFor(t, "the connection lost", func() bool { return !nc.IsConnected() })
	s2, _ := embedded(t, addr) // another store: no stream
	_, own = embeddedConn(t, s2)
	js, _ = jetstream.New(own)
	var st jetstream.Stream
	waitFor(t, "the stream made again after the reconnection", func() bool {
		st, err = js.Stream(ctx, natsx.LogStream)
		return nc.IsConnected() && err == nil
	})
	for i := range 5 {
		dlog.LogDecision(&rt.DecisionEvent{RequestID: fmt.Sprint("after-", i)})
	}
	dlog.Close(ctx)
	if got := ids(storedEvents(t, st, 5)); got != "after-0 after-1 after-2 after-3 after-4" {
		t.Errorf("stored %q after the reconnection", got)
	}
}

// embeddedConn is a connection of the test's own to s.
func embeddedConn(t *testing.T, s interface{ ClientURL() string }) (string, *nats.Conn) {
	t.Helper()
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return s.ClientURL(), nc
}
