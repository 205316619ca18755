package router_test

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/internal/natstest"
	"github.com/rpl-lang/rpl/runtime/natsx"
	"github.com/rpl-lang/rpl/runtime/router"
)

// scrape returns the router's /metrics.
func scrape(t *testing.T, r *router.Router) string {
	t.Helper()
	resp, err := http.Get("http://" + r.HTTPAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// natsState are the NATS state gauges of a router joined to a NATS
// deployment, with its bundle watch and decision log.
var natsState = []string{
	`rpl_nats_connected{connection="rpl-router"}`,
	`rpl_nats_connected{connection="rpl-router-log"}`,
	"rpl_bundle_watch_up",
	"rpl_decision_log_ready",
}

// waitGauges waits until /metrics says value for each of gauges.
func waitGauges(t *testing.T, r *router.Router, value string, gauges ...string) {
	t.Helper()
	var m string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		m = "\n" + scrape(t, r)
		missing := []string{}
		for _, g := range gauges {
			if !strings.Contains(m, "\n"+g+" "+value+"\n") {
				missing = append(missing, g)
			}
		}
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			var ours []string
			for line := range strings.Lines(m) {
				if strings.HasPrefix(line, "rpl_nats_connected") || strings.HasPrefix(line, "rpl_bundle_watch_up") || strings.HasPrefix(line, "rpl_decision_log_ready") {
					ours = append(ours, line)
				}
			}
			t.Fatalf("/metrics does not say %s for %s:\n%s", value, strings.Join(missing, ", "), strings.Join(ours, ""))
		}
	}
}

// TestNATSStateMetrics: /metrics tells whether the router's NATS
// connections are up, its bundle watch runs and its decision log can
// publish: 1 each with the deployment up, 0 each once it is gone, 1 each
// again once it is back. There was no telling from /metrics.
func TestNATSStateMetrics(t *testing.T) {
	addr := freeAddr(t)
	store := t.TempDir()
	s, err := natsx.StartEmbedded(natsx.EmbeddedOptions{DataDir: store, Listen: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Shutdown() }()
	r, err := router.Start(context.Background(), router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "127.0.0.1:0", NATSURL: "nats://" + addr, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r.Shutdown(ctx)
	}()
	waitGauges(t, r, "1", natsState...)
	waitGauges(t, r, "1", "rpl_bundle_bucket_replicas") // a lone server's bucket
	s.Shutdown()
	s.WaitForShutdown()
	waitGauges(t, r, "0", natsState...)
	s, err = natsx.StartEmbedded(natsx.EmbeddedOptions{DataDir: store, Listen: addr})
	if err != nil {
		t.Fatal(err)
	}
	waitGauges(t, r, "1", natsState...)
	// The watch restarted on the connection back, and that is counted.
	if m := scrape(t, r); !regexp.MustCompile(`(?m)^rpl_bundle_watch_restarts_total\{reason="reconnected"\} [1-9]`).MatchString(m) {
		t.Errorf("the bundle watch's restart on the connection back not counted:\n%s", regexp.MustCompile(`(?m)^rpl_bundle_watch_restarts_total.*$`).FindAllString(m, -1))
	}
}

// TestNATSStateMetricsAbsent: the bundle watch's and the decision log's
// gauges are absent when there is no watch (--bundle-bucket -) and no
// log; the connection's is there, 1 (the embedded server's in-process
// connection).
func TestNATSStateMetricsAbsent(t *testing.T) {
	r, err := router.Start(context.Background(), router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "127.0.0.1:0", BundleBucket: "-", NoLog: true, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown(context.Background())
	waitGauges(t, r, "1", `rpl_nats_connected{connection="rpl-router"}`)
	m := scrape(t, r)
	for _, g := range []string{"rpl_bundle_watch_up", "rpl_bundle_bucket_replicas", "rpl_decision_log_ready", `connection="rpl-router-log"`} {
		if strings.Contains(m, g) {
			t.Errorf("/metrics has %s without a watch or log:\n%s", g, m)
		}
	}
}

// TestDecisionLogOutageKept: the decisions a router joined to a NATS
// deployment makes (over HTTP) while the deployment is down are in the
// decision log once it is back, though its server restarted without its
// JetStream data: the log held them until it had made its stream there.
// They had gone to the client's reconnect buffer, sent before the stream
// existed, and were lost.
func TestDecisionLogOutageKept(t *testing.T) {
	addr := freeAddr(t)
	s, err := natsx.StartEmbedded(natsx.EmbeddedOptions{DataDir: t.TempDir(), Listen: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Shutdown() }()
	r, err := router.Start(context.Background(), router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "127.0.0.1:0", NATSURL: "nats://" + addr, BundleBucket: "-", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r.Shutdown(ctx)
	}()
	waitGauges(t, r, "1", "rpl_decision_log_ready")
	decide := func(id string) {
		t.Helper()
		if out := post(t, r.HTTPAddr(), "/v1/decide", `{"version": "1", "request_id": "`+id+`", "tenant_id": "acme", "task": {"type": "chat"}}`); !strings.HasPrefix(out, `{"ok":true`) {
			t.Fatalf("%s: %s", id, out)
		}
	}
	// A decision logged first, with the acknowledged publish of the
	// second (AckEvery), which nats.go retries on a server without the
	// stream until it has one: those during the outage, within that
	// second, were plain publishes, lost.
	decide("before")
	waitUntil(t, "the first decision logged", func() bool { sent, _ := r.DecisionLogStats(); return sent == 1 })
	s.Shutdown()
	s.WaitForShutdown()
	waitGauges(t, r, "0", `rpl_nats_connected{connection="rpl-router-log"}`)
	want := []string{"down-0", "down-1", "down-2"}
	for _, id := range want {
		decide(id)
	}
	s, err = natsx.StartEmbedded(natsx.EmbeddedOptions{DataDir: t.TempDir(), Listen: addr}) // no stream there
	if err != nil {
		t.Fatal(err)
	}
	nc, js := natstest.JetStream(t, "nats://"+addr)
	defer nc.Close()
	ctx := context.Background()
	var logged []string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		logged = loggedIDs(ctx, t, js)
		if len(logged) >= len(want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s, the log holds %q on the server restarted: the decisions made while it was down are lost", logged)
		}
	}
	if got := strings.Join(logged, " "); got != strings.Join(want, " ") {
		t.Errorf("logged %q, want %q", got, strings.Join(want, " "))
	}
}
