package router_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/rpl-lang/rpl/runtime/natsx"
	"github.com/rpl-lang/rpl/runtime/router"
)

const examples = "../../examples/policies"

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func post(t *testing.T, addr, path, body string) string {
	t.Helper()
	resp, err := http.Post("http://"+addr+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return string(data)
}

func copyExamples(t *testing.T) string {
	dir := t.TempDir()
	ents, _ := os.ReadDir(examples)
	for _, e := range ents {
		data, err := os.ReadFile(filepath.Join(examples, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644)
	}
	return dir
}

// waitVersion waits for the router's active version to differ from old,
// watching the engine (no fixed sleeps: a bounded poll of an atomic).
func waitVersion(t *testing.T, r *router.Router, old string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if s := r.Engine.Current(); s != nil && s.Version != old {
			return s.Version
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("version still %s", old)
	return ""
}

func TestServeEmbeddedHotReloadAndRestart(t *testing.T) {
	data := t.TempDir()
	dir := copyExamples(t)
	r, err := router.Start(context.Background(), router.Options{Policies: dir, DataDir: data, HTTP: "127.0.0.1:0", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	v1 := r.Engine.Current().Version
	if out := post(t, r.HTTPAddr(), "/v1/decide", `{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "chat"}}`); !strings.Contains(out, `"ok":true`) || !strings.Contains(out, v1) {
		t.Fatalf("decide: %s", out)
	}
	// A change in the directory is picked up.
	src, _ := os.ReadFile(filepath.Join(dir, "default.rpl"))
	os.WriteFile(filepath.Join(dir, "default.rpl"), []byte(strings.Replace(string(src), `const small = "openai:gpt-4o-mini"`, `const small = "mistral:small"`, 1)), 0o644)
	os.WriteFile(filepath.Join(dir, "default_test.rpl"), []byte("package default\n"), 0o644)
	v2 := waitVersion(t, r, v1)
	if out := post(t, r.HTTPAddr(), "/v1/decide", `{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "chat"}}`); !strings.Contains(out, "mistral:small") {
		t.Fatalf("after reload: %s", out)
	}
	// A broken change keeps v2.
	os.WriteFile(filepath.Join(dir, "broken.rpl"), []byte("package broken\nfn route(r: Request) -> Decision = to(r.nope)\n"), 0o644)
	if _, err := r.Reload(context.Background()); err == nil {
		t.Fatal("broken policy loaded")
	}
	if r.Engine.Current().Version != v2 {
		t.Fatal("a failed reload replaced the version")
	}
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	// Restart with no policy source and an unreachable NATS: the last
	// good version is active when Start returns (how soon:
	// BenchmarkRestartLastGood).
	r2, err := router.Start(context.Background(), router.Options{DataDir: data, NATSURL: deadNATS(t), HTTP: "127.0.0.1:0", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Shutdown(context.Background())
	if !r2.Engine.Ready() || r2.Engine.Current().Version != v2 {
		t.Fatalf("restart: ready %v", r2.Engine.Ready())
	}
	if out := post(t, r2.HTTPAddr(), "/v1/decide", `{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "chat"}}`); !strings.Contains(out, "mistral:small") {
		t.Fatalf("after restart: %s", out)
	}
}

// deadNATS is the URL of a port nothing listens on.
func deadNATS(tb testing.TB) string { return "nats://" + freeAddr(tb) }

// freeAddr is a loopback address whose port nothing listens on (yet): a
// server started there later, or a client's dead end.
func freeAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// BenchmarkRestartLastGood is the issue's "restart without NATS
// reachable: the last good bundle is active within a second": a router
// started with a data directory holding a last good version, no policy
// source and an unreachable NATS, which Start returns with that version
// active. ns/op is the time to it (target: under 1 s).
func BenchmarkRestartLastGood(b *testing.B) {
	data := b.TempDir()
	r, err := router.Start(context.Background(), router.Options{Policies: examples, DataDir: data, HTTP: "-", NoNATS: true, Logger: quiet()})
	if err != nil {
		b.Fatal(err)
	}
	want := r.Engine.Current().Version
	r.Shutdown(context.Background())
	dead := deadNATS(b)
	for range b.N {
		r, err := router.Start(context.Background(), router.Options{DataDir: data, NATSURL: dead, HTTP: "-", Logger: quiet()})
		if err != nil {
			b.Fatal(err)
		}
		if s := r.Engine.Current(); s == nil || s.Version != want {
			b.Fatalf("restart: active %v, want %.12s", s, want)
		}
		b.StopTimer()
		r.Shutdown(context.Background())
		b.StartTimer()
	}
}

// TestNATSErrorSlowConsumer: the slow consumers of natsx's subscriptions
// (counted in rpl_nats_dropped_total, logged by natsx) are not logged
// again, but another subscription's (the bundle watch's, the decision
// log's) is: every slow consumer was silenced, on every connection,
// those no one counts too (found by a review).
func TestNATSErrorSlowConsumer(t *testing.T) {
	var out syncLog
	r, err := router.Start(context.Background(), router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "-", NoNATS: true,
		Logger: slog.New(slog.NewTextHandler(&out, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown(context.Background())
	for _, subj := range natsx.Subjects {
		r.NATSError(&nats.Subscription{Subject: subj}, nats.ErrSlowConsumer)
	}
	if s := out.String(); strings.Contains(s, "slow consumer") {
		t.Errorf("a slow consumer on natsx's subjects logged:\n%s", s)
	}
	r.NATSError(&nats.Subscription{Subject: "$KV.rpl_bundles.bundle"}, nats.ErrSlowConsumer)
	if s := out.String(); !strings.Contains(s, "slow consumer") || !strings.Contains(s, "$KV.rpl_bundles.bundle") {
		t.Errorf("a slow consumer on the bundle watch not logged:\n%s", s)
	}
}

// TestKnownTenantWithoutRegistry: a router requiring known tenants warns
// when the version it activates registers none, since it then refuses
// every request.
func TestKnownTenantWithoutRegistry(t *testing.T) {
	var out syncLog
	r, err := router.Start(context.Background(), router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "-", NoNATS: true, KnownOnly: true,
		Logger: slog.New(slog.NewTextHandler(&out, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown(context.Background())
	if log := out.String(); !strings.Contains(log, "tenants=0") || !strings.Contains(log, "every request is refused as unauthorized") {
		t.Errorf("log:\n%s", log)
	}
}

// TestNATSMaxPending: Options.NATSMaxPending bounds the requests a NATS
// decide subscription queues. A burst of 400 CP1 requests, published at
// once on the router's own connection, is decided whole with the default
// backlog (1,024 a subscription); with a backlog of 1, part of it is
// answered overloaded (the requests beyond it while the first ones are
// decided; CP1 answers internal, with the reason), and past 8 queued the
// client library drops the rest, which then get no answer (natsx.Config).
func TestNATSMaxPending(t *testing.T) {
	const burst = 400
	for _, pending := range []int{0, 1} {
		r := startRouter(t, router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "-", NoLog: true, Logger: quiet(), NATSMaxPending: pending})
		nc := r.NATS()
		inbox := nats.NewInbox()
		replies := make(chan *nats.Msg, burst)
		sub, err := nc.ChanSubscribe(inbox, replies)
		if err != nil {
			t.Fatal(err)
		}
		for i := range burst {
			body := `{"version": "1", "request_id": "r-` + strings.Repeat("x", i%7) + `", "tenant_id": "t", "task": {"type": "chat"}}`
			if err := nc.PublishRequest(natsx.SubjectCP1, inbox, []byte(body)); err != nil {
				t.Fatal(err)
			}
		}
		ok, overloaded := 0, 0
	read:
		for ok+overloaded < burst {
			select {
			case m := <-replies:
				switch s := string(m.Data); {
				case strings.Contains(s, `"ok":true`):
					ok++
				case strings.Contains(s, `"reason":"overloaded"`):
					overloaded++
				default:
					t.Fatalf("pending %d: %s", pending, s)
				}
			case <-time.After(time.Second): // the dropped ones
				break read
			}
		}
		sub.Unsubscribe()
		if want := map[int]bool{0: ok == burst, 1: ok > 0 && overloaded > 0}[pending]; !want {
			t.Errorf("pending %d: %d ok and %d overloaded of %d", pending, ok, overloaded, burst)
		}
	}
}
