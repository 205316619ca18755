package router_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/runtime/natsx"
	"github.com/rpl-lang/rpl/runtime/router"
)

// TestRestartTakesBucketFirst: a router restarted after missing a push
// answers its first NATS decision with the bucket's bundle, not with its
// last good version: it subscribed the NATS subjects and then activated
// the push, making decisions for a moment on a version the rest of the
// fleet had left.
func TestRestartTakesBucketFirst(t *testing.T) {
	_, nc := natsServer(t)
	opt := router.Options{Policies: copyExamples(t), DataDir: t.TempDir(), NATSURL: nc.ConnectedUrl(), HTTP: "-", NoLog: true, Logger: quiet()}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, c := buildPushed(t, "pushed", bundle.BuildOptions{}), buildPushed(t, "missed", bundle.BuildOptions{})

	r := startRouter(t, opt)
	rev, err := natsx.PushBundle(ctx, nc, natsx.BundleBucket, natsx.BundleKey, 0, b.Data)
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the push", func() bool { return r.BundleRevision() == rev })
	if err := r.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	// Pushed while the router is down: the fleet runs it.
	if _, err := natsx.PushBundle(ctx, nc, natsx.BundleBucket, natsx.BundleKey, 0, c.Data); err != nil {
		t.Fatal(err)
	}

	startRouter(t, opt)
	m, err := nc.Request(natsx.SubjectCP1, []byte(`{"version": "1", "request_id": "first", "tenant_id": "acme", "task": {"type": "chat"}}`), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var answer struct {
		Decision struct {
			Metadata struct {
				PolicyVersion string `json:"policy_version"`
			} `json:"metadata"`
		} `json:"decision"`
	}
	if err := json.Unmarshal(m.Data, &answer); err != nil {
		t.Fatalf("%v: %s", err, m.Data)

	}
	if got, want := answer.Decision.Metadata.PolicyVersion, c.Bundle.Version(); got != want {
		old := ""
		if got == b.Bundle.Version() {
			old = " (the last good version, the push before)"
		}
		t.Errorf("first NATS decision on version %.12s%s, want the bucket's %.12s", got, old, want)
	}
}
