package router_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rpl-lang/rpl/runtime/natsx"
	"github.com/rpl-lang/rpl/runtime/router"
)

// TestExternalNATSLate: a router joined to a NATS deployment (--nats-url)
// that is down when it starts decides over HTTP at once and, once the
// deployment is up, over NATS too, and its decision log creates its
// stream then and publishes every decision, those made while NATS was
// down included.
func TestExternalNATSLate(t *testing.T) {
	addr := freeAddr(t) // nothing listens there until the server starts below
	r, err := router.Start(context.Background(), router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "127.0.0.1:0", NATSURL: "nats://" + addr, BundleBucket: "-", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r.Shutdown(ctx)
	}()
	decideHTTP := func(id string) {
		if out := post(t, r.HTTPAddr(), "/v1/decide", `{"version": "1", "request_id": "`+id+`", "tenant_id": "acme", "task": {"type": "chat"}}`); !strings.HasPrefix(out, `{"ok":true`) {
			t.Fatalf("%s: %s", id, out)
		}
	}
	decideHTTP("down-0")
	decideHTTP("down-1")

	s, err := natsx.StartEmbedded(natsx.EmbeddedOptions{DataDir: t.TempDir(), Listen: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	nc, err := nats.Connect("nats://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	// The router reconnects and subscribes: poll with a decision over NATS.
	for deadline := time.Now().Add(10 * time.Second); ; {
		m, err := nc.Request(natsx.SubjectCP1, []byte(`{"version": "1", "request_id": "up-0", "tenant_id": "acme", "task": {"type": "chat"}}`), 200*time.Millisecond)
		if err == nil && strings.HasPrefix(string(m.Data), `{"ok":true`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no decision over NATS once the server is up: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	decideHTTP("up-1")

	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var logged []string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		logged = loggedIDs(ctx, t, js)
		if strings.Contains(strings.Join(logged, " "), "up-1") || time.Now().After(deadline) {
			break
		}
	}
	// up-0 may have been answered more than once while polling.
	got := strings.Join(logged, " ")
	if !strings.HasPrefix(got, "down-0 down-1 up-0") || !strings.HasSuffix(got, " up-1") {
		t.Errorf("logged %q, want down-0 down-1, up-0 (once or more) and up-1", got)
	}
}

// loggedIDs is the request ids of the events the decision log's stream
// holds, in order; none while there is no stream.
func loggedIDs(ctx context.Context, t *testing.T, js jetstream.JetStream) []string {
	t.Helper()
	st, err := js.Stream(ctx, natsx.LogStream)
	if err != nil {
		return nil
	}
	msgs, err := natsx.ReadLog(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, evs := range msgs {
		for _, ev := range evs {
			ids = append(ids, ev.RequestID)
		}
	}
	return ids
}

// logBuffer is a log destination safe for the router's goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestExternalNATSOutageLogged: a router joined to a NATS deployment logs
// losing its connection and getting it back, with how long it was away
// (it said nothing of either, found while restarting a nats-server under a
// router), and decides over NATS again after.
func TestExternalNATSOutageLogged(t *testing.T) {
	addr := freeAddr(t)
	store := t.TempDir()
	s, err := natsx.StartEmbedded(natsx.EmbeddedOptions{DataDir: store, Listen: addr})
	if err != nil {
		t.Fatal(err)
	}
	var logs logBuffer
	r, err := router.Start(context.Background(), router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "127.0.0.1:0", NATSURL: "nats://" + addr, BundleBucket: "-", NoLog: true,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r.Shutdown(ctx)
	}()
	waitUntil(t, "connected", func() bool { return r.NATS().IsConnected() })
	s.Shutdown()
	waitUntil(t, "the loss logged", func() bool { return strings.Contains(logs.String(), "NATS connection lost") })
	s, err = natsx.StartEmbedded(natsx.EmbeddedOptions{DataDir: store, Listen: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	waitUntil(t, "the return logged", func() bool { return strings.Contains(logs.String(), "NATS connection restored") })
	if log := logs.String(); !strings.Contains(log, "after=") || !strings.Contains(log, "server=nats://"+addr) {
		t.Errorf("the return does not say from where or after how long:\n%s", log)
	}
	nc, err := nats.Connect("nats://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	waitUntil(t, "a decision over NATS", func() bool {
		m, err := nc.Request(natsx.SubjectCP1, []byte(`{"version": "1", "request_id": "back", "tenant_id": "acme", "task": {"type": "chat"}}`), 200*time.Millisecond)
		return err == nil && strings.HasPrefix(string(m.Data), `{"ok":true`)
	})
}

// TestExternalNATSAuthRefusedRetried: a router whose NATS deployment
// refuses its credentials (a token rotated on the server first, an auth
// service down) keeps trying, says why, and joins once they are taken.
// nats.go gave up after the same refusal twice and closed the
// connection: the router said nothing of the refusal ("watching
// rpl_bundles/current: nats: connection closed" only) and never served
// NATS again, however the deployment was mended. Once it joins, it logs
// the NATS subjects subscribed (it served NATS saying nothing of them).
// The token in the URL is a secret: no log line holds it.
func TestExternalNATSAuthRefusedRetried(t *testing.T) {
	addr := freeAddr(t)
	const token = "s3cret-token"
	s, err := natsx.StartEmbedded(natsx.EmbeddedOptions{DataDir: t.TempDir(), Listen: addr, Token: "another-token"})
	if err != nil {
		t.Fatal(err)
	}
	var logs logBuffer
	r, err := router.Start(context.Background(), router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "127.0.0.1:0", NATSURL: "nats://" + token + "@" + addr,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		s.Shutdown()
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r.Shutdown(ctx)
	}()
	waitUntil(t, "the refusal logged", func() bool { return strings.Contains(logs.String(), "NATS refused the router's credentials") })
	// Nothing subscribed while refused: the log does not say otherwise.
	if log := logs.String(); strings.Contains(log, "NATS subjects subscribed") || !strings.Contains(log, "NATS subjects to be subscribed once the connection is up") {
		t.Errorf("the subscriptions, not connected:\n%s", log)
	}
	// Refused again and again: nats.go closed the connection after the
	// second refusal.
	waitUntil(t, "5 refusals", func() bool { return r.NATS().Stats().Reconnects >= 5 || r.NATS().IsClosed() })
	s.Shutdown()
	s, err = natsx.StartEmbedded(natsx.EmbeddedOptions{DataDir: t.TempDir(), Listen: addr, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	nc, err := nats.Connect("nats://"+addr, nats.Token(token))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	waitUntil(t, "a decision over NATS once the token is taken", func() bool {
		m, err := nc.Request(natsx.SubjectCP1, []byte(`{"version": "1", "request_id": "in", "tenant_id": "acme", "task": {"type": "chat"}}`), 200*time.Millisecond)
		return err == nil && strings.HasPrefix(string(m.Data), `{"ok":true`)
	})
	waitUntil(t, "the connection logged", func() bool { return strings.Contains(logs.String(), "NATS connected") })
	// Served over NATS: said once, as at a start with NATS up.
	waitUntil(t, "the subscriptions logged", func() bool { return strings.Contains(logs.String(), "NATS subjects subscribed") })
	if n := strings.Count(logs.String(), "NATS subjects subscribed"); n != 1 {
		t.Errorf("the subscriptions logged %d times:\n%s", n, logs.String())
	}
	if log := logs.String(); strings.Contains(log, token) {
		t.Errorf("the logs hold the token of the NATS URL:\n%s", log)
	}
}

// TestNATSURLScheme: a --nats-url whose scheme nats.go does not connect
// with (an http:// URL: a NATS server's monitoring port) is refused
// before anything starts, naming it (its token redacted) and the schemes
// taken; the router started and tried it for ever, saying only "no
// servers available for connection".
func TestNATSURLScheme(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	for url, want := range map[string]string{
		"http://s3cret@127.0.0.1:8222":               "NATS: --nats-url http://xxxxx@127.0.0.1:8222: the scheme is http, want nats://, tls://, ws:// or wss://",
		"nats://127.0.0.1:4222, HTTPS://127.0.0.1:1": "NATS: --nats-url https://127.0.0.1:1: the scheme is https, want nats://",
	} {
		r, err := router.Start(context.Background(), router.Options{NATSURL: url, Policies: examples, DataDir: data, HTTP: "127.0.0.1:0", Logger: quiet()})
		if err == nil {
			r.Shutdown(context.Background())
			t.Fatalf("%s: started", url)
		}
		if !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: %v, want %q…", url, err, want)
		}
		if _, err := os.Stat(data); err == nil {
			t.Errorf("%s: the data directory was made", url)
		}
	}
	for _, url := range []string{"nats://127.0.0.1:4222", "NATS://127.0.0.1:4222", "tls://a:1,wss://b:2", "127.0.0.1:4222", "ws://a:1, nats://b:2", "u:p@127.0.0.1:4222"} {
		if err := router.NATSURLProblem(url); err != nil {
			t.Errorf("%s: %v", url, err)
		}
	}
}
