package router_test

import (
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/rpl-lang/rpl/runtime/router"
)

// TestNATSRetryFailuresOfSeveralServers: with --nats-url naming several
// servers, all down, a connection's failures, which nats.go makes each
// server in turn, are logged as with one server: once per kind, the
// server aside; a new kind (a name not found, the credentials refused)
// is logged.
// The failures, unlike the one before as they named another server,
// were each logged: 51 lines in 5 s with three servers down.
func TestNATSRetryFailuresOfSeveralServers(t *testing.T) {
	var logs logBuffer
	failed := router.NATSRetryFailed(slog.New(slog.NewTextHandler(&logs, nil)))
	var refused []error
	for range 3 {
		_, err := net.Dial("tcp", freeAddr(t)) // nothing listens there
		if err == nil {
			t.Fatal("a connection where nothing listens")
		}
		refused = append(refused, err)
	}
	notFound := &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "nats-b.example", Server: "10.0.0.53:53", IsNotFound: true}}
	otherName := &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "nats-c.example", Server: "10.0.0.53:53", IsNotFound: true}}
	lines := func(what string, want int) {
		t.Helper()
		if n := strings.Count(logs.String(), "level=WARN"); n != want {
			t.Fatalf("%s: %d lines logged, want %d:\n%s", what, n, want, logs.String())
		}
	}
	for range 5 {
		for _, err := range refused {
			failed(err)
		}
	}
	lines("three servers refusing, 5 times each", 1)
	for range 5 {
		failed(refused[0])
		failed(notFound)
		failed(refused[1])
		failed(otherName)
	}
	lines("a name not found among them", 2)
	failed(nats.ErrAuthorization)
	failed(nats.ErrAuthorization)
	lines("the credentials refused", 3)
	if !strings.Contains(logs.String(), "NATS refused the router's credentials") {
		t.Errorf("the refusal of the credentials not said:\n%s", logs.String())
	}
}
