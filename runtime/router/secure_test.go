package router_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/internal/natstest"
	"github.com/rpl-lang/rpl/runtime/natsx"
	"github.com/rpl-lang/rpl/runtime/router"
)

// TestSecureNATSDeployment: a router joined to a deployment that requires
// TLS with a client certificate from its CA and a user's credentials
// (operator mode) decides over NATS, logs its decisions on the stream it
// creates there, and activates a bundle pushed there; credentials that
// do not hold what they should are refused at the start.
func TestSecureNATSDeployment(t *testing.T) {
	s := natstest.StartSecure(t)
	creds := natsx.Credentials{Creds: s.Creds, TLSCA: s.CA, TLSCert: s.Cert, TLSKey: s.Key}
	r := startRouter(t, router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "-", NATSURL: s.URL, NATSCredentials: creds, Logger: quiet()})
	waitUntil(t, "NATS subscriptions", func() bool { return r.NATSSubscriptions() > 0 })

	opts, err := creds.Options()
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(s.URL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	m, err := nc.Request(natsx.SubjectCP1, []byte(`{"version": "1", "request_id": "secure-1", "tenant_id": "acme", "task": {"type": "chat"}}`), 5*time.Second)
	if err != nil {
		t.Fatalf("decision over the secure deployment: %v", err)
	}
	if !strings.HasPrefix(string(m.Data), `{"ok":true`) {
		t.Fatalf("decision over the secure deployment: %s", m.Data)
	}
	waitUntil(t, "the decision logged", func() bool { sent, _ := r.DecisionLogStats(); return sent >= 1 })

	res := buildPushed(t, "secure", bundle.BuildOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := natsx.PushBundle(ctx, nc, natsx.BundleBucket, natsx.BundleKey, 0, res.Data); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the pushed version", func() bool { return r.Engine.Current().Version == res.Bundle.Version() })

	bad := creds
	bad.Creds = s.Cert
	if _, err := router.Start(context.Background(), router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "-", NATSURL: s.URL, NATSCredentials: bad, Logger: quiet()}); err == nil || !strings.Contains(err.Error(), "--nats-creds "+s.Cert+": no user JWT") {
		t.Errorf("a certificate given as credentials: %v", err)
	}
	if _, err := router.Start(context.Background(), router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "-", NATSCredentials: creds, Logger: quiet()}); err == nil || !strings.Contains(err.Error(), "there is none") {
		t.Errorf("credentials without a deployment: %v", err)
	}
}
