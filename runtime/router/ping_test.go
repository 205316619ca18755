package router_test

import (
	"context"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime/natsx"
	"github.com/rpl-lang/rpl/runtime/router"
)

// TestExternalNATSPings: a router's connections to an external NATS, the
// requests' and the decision log's, take a server that stopped answering
// (a half-open TCP connection) for dead within 30 s: the client pings
// every PingInterval and gives up when one is due with MaxPingsOut
// unanswered. They had nats.go's defaults, 2 minutes and 2: up to 6
// minutes. (A half-open connection is not simulated: the test would
// last those 30 s.)
func TestExternalNATSPings(t *testing.T) {
	s, err := natsx.StartEmbedded(natsx.EmbeddedOptions{DataDir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	r, err := router.Start(context.Background(), router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "-", NATSURL: s.ClientURL(), BundleBucket: "-", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r.Shutdown(ctx)
	}()
	if r.LogNATS() == nil {
		t.Fatal("no decision log connection")
	}
	for _, c := range []struct {
		name string
		ping time.Duration
		outs int
	}{
		{"requests", r.NATS().Opts.PingInterval, r.NATS().Opts.MaxPingsOut},
		{"decision log", r.LogNATS().Opts.PingInterval, r.LogNATS().Opts.MaxPingsOut},
	} {
		if dead := time.Duration(c.outs+1) * c.ping; c.ping <= 0 || c.outs < 1 || dead > 30*time.Second {
			t.Errorf("%s connection: pings every %v, %d unanswered allowed: a dead server found after up to %v, want 30 s at most", c.name, c.ping, c.outs, dead)
		}
	}
}
