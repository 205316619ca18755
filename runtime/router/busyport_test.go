package router_test

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/runtime/router"
)

// TestStartHTTPAddressInUse: an HTTP address in use fails Start before
// anything is activated: the router logged its policies' version active,
// then failed to listen.
func TestStartHTTPAddressInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var logs logBuffer
	_, err = router.Start(context.Background(), router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: l.Addr().String(), NoNATS: true,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err == nil || !strings.HasPrefix(err.Error(), "HTTP: ") || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("Start: %v", err)
	}
	if strings.Contains(logs.String(), "active") {
		t.Errorf("Start activated a version before failing:\n%s", logs.String())
	}
}

// TestStartHTTPRefusedWhileLoading: while the policies load, the HTTP
// address refuses connections, as before Start tried it early: held, it
// accepted connections that nothing read until the load was over (a
// load balancer's TCP probe saw the router up, its clients hung).
func TestStartHTTPRefusedWhileLoading(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dialed := make(chan error, 1)
	router.AfterLocalBuild(t, func() {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		select {
		case dialed <- err:
		default:
		}
	})
	r := startRouter(t, router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: addr, NoNATS: true, Logger: quiet()})
	if err := <-dialed; err == nil {
		t.Error("the HTTP address accepted a connection while the policies loaded")
	}
	if r.HTTPAddr() != addr {
		t.Errorf("HTTP on %s, want %s", r.HTTPAddr(), addr)
	}
}

// TestStartNATSURLSecretNotShown: a --nats-url that does not parse fails
// Start with the client library's error, which named the URL whole, its
// token or password with it (NATS: parse "nats://SECRET@h:port"…).
func TestStartNATSURLSecretNotShown(t *testing.T) {
	for _, u := range []string{"nats://s3cr3t@127.0.0.1:port", "nats://user:s3cr3t@127.0.0.1:port", "s3cr3t@127.0.0.1:port"} {
		_, err := router.Start(context.Background(), router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "-", NATSURL: u, Logger: quiet()})
		if err == nil || !strings.HasPrefix(err.Error(), "NATS: ") || strings.Contains(err.Error(), "s3cr3t") || !strings.Contains(err.Error(), "invalid port") {
			t.Errorf("Start with --nats-url %s: %v, want the parse error without the secret", u, err)
		}
	}
}
