package router_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/runtime/natsx"
	"github.com/rpl-lang/rpl/runtime/router"
)

// TestDecisionLog: a router logs every decision it makes over NATS to the
// decision log stream, from a connection of its own (rpl-router-log), so
// that the log's large messages do not share the requests' connection;
// its messages are compressed unless LogUncompressed.
func TestDecisionLog(t *testing.T) {
	for _, plain := range []bool{false, true} {
		t.Run(fmt.Sprint("uncompressed=", plain), func(t *testing.T) { testDecisionLog(t, plain) })
	}
}

func testDecisionLog(t *testing.T, plain bool) {
	ctx := context.Background()
	r, err := router.Start(ctx, router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "-", LogSample: 1, LogUncompressed: plain, Logger: quiet()})
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
	m, err := st.GetMsg(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if enc, want := m.Header.Get("Content-Encoding"), map[bool]string{false: natsx.LogEncodingS2}[plain]; enc != want {
		t.Errorf("Content-Encoding %q, want %q", enc, want)
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

// TestDecisionLogRetentionKept: the retention an operator gave the
// decision log stream survives the router's restart (it was set back to
// 24h and 1 GiB; found by a review); --log-max-age changes it.
func TestDecisionLogRetentionKept(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	limits := func(opt router.Options, edit func(*jetstream.StreamConfig)) (time.Duration, int64) {
		t.Helper()
		opt.Policies, opt.DataDir, opt.HTTP, opt.Logger = examples, dir, "-", quiet()
		r, err := router.Start(ctx, opt)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Shutdown(ctx)
		js, _ := jetstream.New(r.NATS())
		st, err := js.Stream(ctx, natsx.LogStream)
		if err != nil {
			t.Fatal(err)
		}
		c := st.CachedInfo().Config
		if edit != nil {
			edit(&c)
			if _, err := js.UpdateStream(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		return c.MaxAge, c.MaxBytes
	}
	limits(router.Options{}, func(c *jetstream.StreamConfig) { c.MaxAge, c.MaxBytes = 168*time.Hour, 5<<30 })
	if age, bytes := limits(router.Options{}, nil); age != 168*time.Hour || bytes != 5<<30 {
		t.Errorf("after a restart: max age %v, max bytes %d; want the operator's 168h, 5 GiB", age, bytes)
	}
	if age, bytes := limits(router.Options{LogMaxAge: 72 * time.Hour}, nil); age != 72*time.Hour || bytes != 5<<30 {
		t.Errorf("with LogMaxAge 72h: max age %v, max bytes %d; want 72h, 5 GiB", age, bytes)
	}
}

// TestDecisionLogAfterDrainRanOut: the decisions made before a shutdown
// whose context has run out are in the log after it (a drain that ran
// out); the log was closed with that context, which ended its wait at
// once, and the events it held were lost.
func TestDecisionLogAfterDrainRanOut(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r, err := router.Start(ctx, router.Options{Policies: examples, DataDir: dir, HTTP: "-", LogSample: 1, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	const n = 50
	for i := range n {
		body := fmt.Sprintf(`{"version": "1", "request_id": "ran-out-%d", "tenant_id": "acme", "task": {"type": "chat"}}`, i)
		if m, err := r.NATS().Request(natsx.SubjectCP1, []byte(body), 5*time.Second); err != nil || !strings.HasPrefix(string(m.Data), `{"ok":true`) {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	over, cancel := context.WithCancel(ctx)
	cancel()
	r.Shutdown(over)

	r, err = router.Start(ctx, router.Options{Policies: examples, DataDir: dir, HTTP: "-", LogSample: 0, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown(ctx)
	js, _ := jetstream.New(r.NATS())
	st, err := js.Stream(ctx, natsx.LogStream)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := natsx.ReadLog(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for _, evs := range msgs {
		for _, ev := range evs {
			if strings.HasPrefix(ev.RequestID, "ran-out-") {
				got++
			}
		}
	}
	if got != n {
		t.Errorf("%d of the %d decisions made before the shutdown logged", got, n)
	}
}

// TestDecisionLogLostAtShutdownLogged: the decision events a shutdown
// cannot have the stream store (the log's NATS down since they were
// made) are logged with their count: they were counted only, in a
// metric no one reads once the process has exited.
func TestDecisionLogLostAtShutdownLogged(t *testing.T) {
	ns, _ := natsServer(t)
	var logs logBuffer
	r, err := router.Start(context.Background(), router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "127.0.0.1:0", NATSURL: ns.ClientURL(), BundleBucket: "-", LogSample: 1,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown(context.Background())
	post(t, r.HTTPAddr(), "/v1/decide", `{"version": "1", "request_id": "stored", "tenant_id": "acme", "task": {"type": "chat"}}`)
	waitUntil(t, "an event published", func() bool { sent, _ := r.DecisionLogStats(); return sent == 1 })
	ns.Shutdown()
	waitUntil(t, "the log's connection lost", func() bool { return !r.LogNATS().IsConnected() })
	const n = 7
	for i := range n {
		if out := post(t, r.HTTPAddr(), "/v1/decide", fmt.Sprintf(`{"version": "1", "request_id": "lost-%d", "tenant_id": "acme", "task": {"type": "chat"}}`, i)); !strings.HasPrefix(out, `{"ok":true`) {
			t.Fatalf("decide %d: %s", i, out)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r.Shutdown(ctx)
	if _, dropped := r.DecisionLogStats(); dropped != n {
		t.Errorf("%d events dropped, want %d", dropped, n)
	}
	if log := logs.String(); !strings.Contains(log, "decision events not stored in the stream at shutdown") || !strings.Contains(log, fmt.Sprintf("events=%d ", n)) {
		t.Errorf("the loss is not logged with its count:\n%s", log)
	}
}

// TestDecisionLogFitsSmallStore: on a data directory whose disk cannot
// hold the decision log stream's default 1 GiB (JetStream stores 75% of
// the disk free: a small volume), the embedded router creates the stream
// smaller, half of what it can store, says so, and logs its decisions;
// the stream was never created, every event dropped, after one warning.
// A --log-max-bytes beyond what fits is refused at start, naming it.
func TestDecisionLogFitsSmallStore(t *testing.T) {
	router.EmbeddedMaxStore(t, 64<<20)
	var logs logBuffer
	r, err := router.Start(context.Background(), router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "-", LogSample: 1, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown(context.Background())
	if !strings.Contains(logs.String(), "the stream is created smaller") || !strings.Contains(logs.String(), fmt.Sprintf("max_bytes=%d ", 32<<20)) {
		t.Errorf("not said:\n%s", logs.String())
	}
	js, _ := jetstream.New(r.NATS())
	st, err := js.Stream(context.Background(), natsx.LogStream)
	if err != nil {
		t.Fatalf("the stream: %v\n%s", err, logs.String())
	}
	if got := st.CachedInfo().Config.MaxBytes; got != 32<<20 {
		t.Errorf("max bytes %d, want %d", got, 32<<20)
	}
	if m, err := r.NATS().Request(natsx.SubjectCP1, []byte(`{"version": "1", "request_id": "small", "tenant_id": "acme", "task": {"type": "chat"}}`), 5*time.Second); err != nil || !strings.HasPrefix(string(m.Data), `{"ok":true`) {
		t.Fatalf("decide: %v", err)
	}
	waitUntil(t, "the event stored", func() bool {
		info, err := st.Info(context.Background())
		return err == nil && info.State.Msgs > 0
	})
	// The bundle bucket has the rest: a push is activated.
	waitUntil(t, "the bundle watch", r.BundleSynced)
	pushed := buildPushed(t, "small", bundle.BuildOptions{})
	if _, err := natsx.PushBundle(context.Background(), r.NATS(), natsx.BundleBucket, natsx.BundleKey, 0, pushed.Data); err != nil {
		t.Fatalf("push: %v", err)
	}
	waitUntil(t, "the push activated", func() bool { return r.Engine.Current().Version == pushed.Bundle.Version() })

	_, err = router.Start(context.Background(), router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "-", LogMaxBytes: 128 << 20, Logger: quiet()})
	if want := "--log-max-bytes 134217728: more than the embedded NATS server can store for the decision log, 67108864 bytes"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("a --log-max-bytes too large: %v, want %q…", err, want)
	}

	// A stream that exists grows by what it does not reserve already:
	// to 48 MiB from 32, of 64, but not to 128.
	data := t.TempDir()
	r, err = router.Start(context.Background(), router.Options{Policies: examples, DataDir: data, HTTP: "-", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	r.Shutdown(context.Background())
	r, err = router.Start(context.Background(), router.Options{Policies: examples, DataDir: data, HTTP: "-", LogMaxBytes: 128 << 20, Logger: quiet()})
	if err == nil {
		r.Shutdown(context.Background())
	}
	if want := "--log-max-bytes 134217728: more than the embedded NATS server can store for the decision log, 67108864 bytes"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("a stream that exists, grown too large: %v, want %q…", err, want)
	}
	r, err = router.Start(context.Background(), router.Options{Policies: examples, DataDir: data, HTTP: "-", LogMaxBytes: 48 << 20, Logger: quiet()})
	if err != nil {
		t.Fatalf("a stream that exists, grown within: %v", err)
	}
	defer r.Shutdown(context.Background())
	js, _ = jetstream.New(r.NATS())
	waitUntil(t, "the stream grown", func() bool {
		st, err := js.Stream(context.Background(), natsx.LogStream)
		return err == nil && st.CachedInfo().Config.MaxBytes == 48<<20
	})
}

// TestDecisionLogTooLittleStore: on a disk whose JetStream can store too
// little for any decision log stream, the router says so, naming what it
// can store, and decides all the same; it said nothing, the stream's
// creation retried for ever.
func TestDecisionLogTooLittleStore(t *testing.T) {
	router.EmbeddedMaxStore(t, 1<<20)
	var logs logBuffer
	r, err := router.Start(context.Background(), router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "-", LogSample: 1, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown(context.Background())
	if log := logs.String(); !strings.Contains(log, "can store too little for the stream") || !strings.Contains(log, "can_store=") {
		t.Errorf("not said:\n%s", log)
	}
	if m, err := r.NATS().Request(natsx.SubjectCP1, []byte(`{"version": "1", "request_id": "tiny", "tenant_id": "acme", "task": {"type": "chat"}}`), 5*time.Second); err != nil || !strings.HasPrefix(string(m.Data), `{"ok":true`) {
		t.Fatalf("decide: %v", err)
	}
}
