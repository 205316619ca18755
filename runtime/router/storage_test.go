package router_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rpl-lang/rpl/internal/natstest"
	"github.com/rpl-lang/rpl/runtime/natsx"
	"github.com/rpl-lang/rpl/runtime/router"
)

// TestExternalStorageShortHinted: a NATS deployment joined (--nats-url)
// whose JetStream cannot store the decision log's stream is told with
// what to change, once; the router logged only the server's
// "insufficient storage resources available", retrying every second.
func TestExternalStorageShortHinted(t *testing.T) {
	s, err := natsx.StartEmbedded(natsx.EmbeddedOptions{DataDir: t.TempDir(), Listen: "127.0.0.1:0", MaxStore: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	var logs logBuffer
	r, err := router.Start(context.Background(), router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "-", NATSURL: s.ClientURL(), BundleBucket: "-", LogSample: 1,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown(context.Background())
	const hint = "decision log: the NATS deployment has no room for the stream in its JetStream storage: give the stream less (--log-max-bytes, 1 GiB unless given, stored once per copy, --replicas), or the deployment more (max_file_store in the jetstream block of its servers' configuration, or the account's max_file limit)"
	waitUntil(t, "the hint", func() bool { return strings.Contains(logs.String(), hint) })
	log := logs.String()
	if n := strings.Count(log, hint); n != 1 || !strings.Contains(log, "insufficient storage resources available") || !strings.Contains(log, "max_bytes=1073741824") {
		t.Errorf("hinted %d times, want once, after the server's refusal and with the size asked:\n%s", n, log)
	}
}

// TestExternalStorageShortHintedBucket: a NATS deployment joined whose
// JetStream has no room left for the bundle bucket (its store reserved
// by a stream) is told with what to change, once.
func TestExternalStorageShortHintedBucket(t *testing.T) {
	s, err := natsx.StartEmbedded(natsx.EmbeddedOptions{DataDir: t.TempDir(), Listen: "127.0.0.1:0", MaxStore: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	nc, js := natstest.JetStream(t, s.ClientURL())
	defer nc.Close()
	if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: "ALL", Subjects: []string{"all"}, MaxBytes: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	var logs logBuffer
	r, err := router.Start(context.Background(), router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "-", NATSURL: s.ClientURL(), NoLog: true,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown(context.Background())
	const hint = "bundle bucket: the NATS deployment has no room for the bucket in its JetStream storage: give the deployment more (max_file_store in the jetstream block of its servers' configuration, or the account's max_file limit)"
	waitUntil(t, "the hint", func() bool { return strings.Contains(logs.String(), hint) })
	log := logs.String()
	if n := strings.Count(log, hint); n != 1 || !strings.Contains(log, "insufficient storage resources available") || !strings.Contains(log, "bucket=rpl_bundles") {
		t.Errorf("hinted %d times, want once, after the server's refusal and naming the bucket:\n%s", n, log)
	}
}
