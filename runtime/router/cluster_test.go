package router_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/internal/natstest"
	"github.com/rpl-lang/rpl/runtime/natsx"
	"github.com/rpl-lang/rpl/runtime/router"
)

// natsCluster starts n NATS servers with JetStream as one cluster
// (natstest.Cluster).
func natsCluster(t *testing.T, n int, maxStore int64) []*server.Server {
	return natstest.Cluster(t, n, maxStore)
}

// natsRequests is what the router at addr's metrics count of the
// requests it answered over NATS.
func natsRequests(t *testing.T, addr string) int {
	t.Helper()
	total := 0
	re := regexp.MustCompile(`(?m)^rpl_requests_total\{[^}]*transport="nats"[^}]*\} (\d+)$`)
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, m := range re.FindAllStringSubmatch(string(body), -1) {
		n, _ := strconv.Atoi(m[1])
		total += n
	}
	return total
}

// TestRoutersOnNATSCluster: two routers joined to a cluster of three NATS
// servers (--nats-url), each through another server, with --replicas 3,
// form one queue group: decisions asked through the third server are
// shared between them, a bundle pushed through it becomes both routers'
// version, and both log their decisions on the one stream; the stream and
// the bundle bucket they created have three copies. When the server one
// router is connected to goes down, it reconnects to another and
// decisions go on, and a bundle pushed then reaches both routers, wherever
// the bucket's leader was.
func TestRoutersOnNATSCluster(t *testing.T) {
	ns := natsCluster(t, 3, 0)
	start := func(url string) *router.Router {
		return startRouter(t, router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "127.0.0.1:0", NATSURL: url, Replicas: 3, Logger: quiet()})
	}
	a := start(ns[0].ClientURL())
	b := start(ns[1].ClientURL() + "," + ns[2].ClientURL())
	for _, r := range []*router.Router{a, b} {
		waitUntil(t, "NATS subscriptions", func() bool { return r.NATSSubscriptions() > 0 })
	}

	nc, err := nats.Connect(ns[2].ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	decide := func(id string) string {
		t.Helper()
		m, err := nc.Request(natsx.SubjectDecide, []byte(`{"request": {"id": "`+id+`", "tenant": {"id": "acme"}, "task": {"type": "chat"}}}`), 5*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if !strings.HasPrefix(string(m.Data), `{"ok":true`) {
			t.Fatalf("%s: %s", id, m.Data)
		}
		return string(m.Data)
	}
	const n = 200
	for i := range n {
		decide(fmt.Sprintf("shared-%d", i))
	}
	na, nb := natsRequests(t, a.HTTPAddr()), natsRequests(t, b.HTTPAddr())
	if na+nb != n || na == 0 || nb == 0 {
		t.Fatalf("requests answered by the routers: %d and %d, want %d shared by both", na, nb, n)
	}

	res := buildPushed(t, "clustered", bundle.BuildOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := natsx.PushBundle(ctx, nc, natsx.BundleBucket, natsx.BundleKey, 0, res.Data); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*router.Router{a, b} {
		waitUntil(t, "the pushed version", func() bool { return r.Engine.Current().Version == res.Bundle.Version() })
	}
	if out := decide("pushed"); !strings.Contains(out, res.Bundle.Version()) {
		t.Fatalf("after the push: %s", out)
	}

	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "both routers' decisions in the log", func() bool {
		logged := strings.Join(loggedIDs(ctx, t, js), " ")
		return strings.Count(logged, "shared-") == n
	})
	for _, name := range []string{natsx.LogStream, "KV_" + natsx.BundleBucket} {
		st, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.CachedInfo().Config.Replicas; got != 3 {
			t.Errorf("%s: %d replicas, want 3", name, got)
		}
	}

	// Take down the server b is connected to; b reconnects to another.
	down := b.NATS().ConnectedServerName()
	for _, s := range ns {
		if s.Name() == down {
			s.Shutdown()
		}
	}
	if down == ns[2].Name() { // the test's own client was on it
		if nc, err = nats.Connect(ns[0].ClientURL()); err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
	}
	waitUntil(t, "b reconnected", func() bool { return b.NATS().IsConnected() && b.NATS().ConnectedServerName() != down })
	before := natsRequests(t, b.HTTPAddr())
	waitUntil(t, "b answering again", func() bool {
		decide("after")
		return natsRequests(t, b.HTTPAddr()) > before
	})

	again := buildPushed(t, "clustered2", bundle.BuildOptions{})
	waitUntil(t, "a push with a server down", func() bool {
		pctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := natsx.PushBundle(pctx, nc, natsx.BundleBucket, natsx.BundleKey, 0, again.Data)
		return err == nil // a leader is being elected meanwhile
	})
	// A watch whose consumer was on the server taken down is restarted
	// within two resyncs (5 s each; TestBundleWatchStalledRestarts shows
	// the restart); the bound here is the client library's own recovery
	// (~20 s) and more, so that this checks that the push arrives.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		va, vb := a.Engine.Current().Version, b.Engine.Current().Version
		if va == again.Bundle.Version() && vb == again.Bundle.Version() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("versions %s and %s, want %s pushed with a server down", va, vb, again.Bundle.Version())
		}
	}
}

// TestClusterShortHinted: a cluster that cannot place the decision log's
// stream says so in its own words (no suitable peers for placement),
// and the router says once what to change: fewer servers up than the
// copies asked (--replicas 5 on three), or too little storage.
func TestClusterShortHinted(t *testing.T) {
	for _, c := range []struct {
		name     string
		replicas int
		maxStore int64
		hint     string
	}{
		{"copies", 5, 0, "decision log: the NATS cluster has fewer JetStream servers up with room than the stream's copies (--replicas)"},
		{"storage", 1, 1 << 20, "decision log: the NATS deployment has no room for the stream in its JetStream storage"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ns := natsCluster(t, 3, c.maxStore)
			var logs logBuffer
			startRouter(t, router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "-", NATSURL: ns[0].ClientURL(), BundleBucket: "-", Replicas: c.replicas,
				Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			waitUntil(t, "the hint", func() bool { return strings.Contains(logs.String(), c.hint) })
			if n := strings.Count(logs.String(), c.hint); n != 1 || !strings.Contains(logs.String(), "no suitable peers for placement") {
				t.Errorf("hinted %d times, want once, after the cluster's refusal:\n%s", n, logs.String())
			}
		})
	}
}

// TestBucketReplicasRaised: a router given --replicas 3 on a cluster
// whose bundle bucket has one copy (made before, by a push without
// --replicas) raises them to three, says so, and activates the bundles
// pushed; it warned and left the bucket on one copy, lost with its server.
// A machine so busy that the new copies are not current within the 5 s
// the raise waits for them has the raise warned of, and logged later; so
// has a cluster whose servers do not all see each other online yet when
// the router starts ("no suitable peers for placement, peer offline"):
// the raise is tried again, and logged once made.
func TestBucketReplicasRaised(t *testing.T) {
	router.SetBundleResync(t, 50*time.Millisecond)
	ns := natsCluster(t, 3, 0)
	nc, err := nats.Connect(ns[0].ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	first := buildPushed(t, "onecopy", bundle.BuildOptions{})
	if _, err := natsx.PushBundle(ctx, nc, natsx.BundleBucket, natsx.BundleKey, 0, first.Data); err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	replicas := func() int {
		st, err := js.Stream(ctx, "KV_"+natsx.BundleBucket)
		if err != nil {
			t.Fatal(err)
		}
		return st.CachedInfo().Config.Replicas
	}
	if n := replicas(); n != 1 {
		t.Fatalf("the bucket pushed to: %d copies, want 1", n)
	}
	var logs logBuffer
	r := startRouter(t, router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "-", NATSURL: ns[1].ClientURL(), Replicas: 3, NoLog: true,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	waitUntil(t, "the bucket's bundle", func() bool { return r.Engine.Current().Version == first.Bundle.Version() })
	want := `msg="bundle bucket: copies raised to --replicas" bucket=rpl_bundles from=1 to=3`
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(logs.String(), want); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("logged:\n%s\nwant %s", logs.String(), want)
		}
	}
	if n := replicas(); n != 3 { // the raise runs apart from the watch: logged, not before the bundle
		t.Errorf("the bucket: %d copies, want them raised to 3", n)
	}
	second := buildPushed(t, "threecopies", bundle.BuildOptions{})
	if _, err := natsx.PushBundle(ctx, nc, natsx.BundleBucket, natsx.BundleKey, 0, second.Data); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the push after", func() bool { return r.Engine.Current().Version == second.Bundle.Version() })
}

// TestBucketReplicasRaisedLater: a router given --replicas 3 while the
// cluster has two servers (the third not up yet) cannot raise the
// bucket's copies; it warns once and tries again, and once the third has
// joined the bucket has three copies, which it logs, without a restart
// of the router. It tried once per start, and the bucket kept
// one copy until the router's next start.
func TestBucketReplicasRaisedLater(t *testing.T) {
	router.SetBundleResync(t, 50*time.Millisecond)
	ns := natsCluster(t, 2, 0)
	nc, js := natstest.JetStream(t, ns[0].ClientURL())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	first := buildPushed(t, "onecopy", bundle.BuildOptions{})
	if _, err := natsx.PushBundle(ctx, nc, natsx.BundleBucket, natsx.BundleKey, 0, first.Data); err != nil {
		t.Fatal(err)
	}
	replicas := func() (config, current int) {
		st, err := js.Stream(ctx, "KV_"+natsx.BundleBucket)
		if err != nil {
			return 0, 0 // a leader being elected
		}
		info := st.CachedInfo()
		if info.Cluster != nil && info.Cluster.Leader != "" {
			current = 1
			for _, p := range info.Cluster.Replicas {
				if p.Current {
					current++
				}
			}
		}
		return info.Config.Replicas, current
	}
	if n, _ := replicas(); n != 1 {
		t.Fatalf("the bucket pushed to: %d copies, want 1", n)
	}

	var logs logBuffer
	r := startRouter(t, router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "127.0.0.1:0", NATSURL: ns[1].ClientURL(), Replicas: 3, NoLog: true,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	waitUntil(t, "the bucket's bundle", func() bool { return r.Engine.Current().Version == first.Bundle.Version() })
	const warned = "bundle bucket: its copies could not be raised to --replicas; tried again until they are"
	waitUntil(t, "the warning", func() bool { return strings.Contains(logs.String(), warned) })
	if n, _ := replicas(); n != 1 {
		t.Fatalf("two servers up: %d copies, want the bucket's 1:\n%s", n, logs.String())
	}
	waitGauges(t, r, "1", "rpl_bundle_bucket_replicas") // fewer than --replicas: the raise fails

	natstest.Join(t, ns)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if n, cur := replicas(); n == 3 && cur == 3 {
			break
		}
		if time.Now().After(deadline) {
			n, cur := replicas()
			t.Fatalf("the third server joined: %d copies asked, %d current; want 3 raised by the router:\n%s", n, cur, logs.String())
		}
	}
	waitUntil(t, "the raise logged", func() bool {
		return strings.Contains(logs.String(), `msg="bundle bucket: copies raised to --replicas" bucket=rpl_bundles from=1 to=3`)
	})
	if n := strings.Count(logs.String(), warned); n != 1 {
		t.Errorf("warned %d times, want once however many tries:\n%s", n, logs.String())
	}
	waitGauges(t, r, "3", "rpl_bundle_bucket_replicas")
	second := buildPushed(t, "threecopies", bundle.BuildOptions{})
	if _, err := natsx.PushBundle(ctx, nc, natsx.BundleBucket, natsx.BundleKey, 0, second.Data); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the push after", func() bool { return r.Engine.Current().Version == second.Bundle.Version() })
}

// TestBucketReplicasInPlaceLater: a router given --replicas 3 while one
// of the cluster's three servers is down (a rolling restart), still one
// of its peers, has the raise accepted but not in place (the server's
// copy waits for it): it warns once, and logs the raise when the server
// is back and the three copies are current, not before. It warned and
// never said the copies came.
func TestBucketReplicasInPlaceLater(t *testing.T) {
	router.SetBundleResync(t, 50*time.Millisecond)
	ns := natsCluster(t, 3, 0)
	nc, js := natstest.JetStream(t, ns[0].ClientURL())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	first := buildPushed(t, "onecopy", bundle.BuildOptions{})
	if _, err := natsx.PushBundle(ctx, nc, natsx.BundleBucket, natsx.BundleKey, 0, first.Data); err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(ctx, "KV_"+natsx.BundleBucket)
	if err != nil {
		t.Fatal(err)
	}
	// The server down holds neither the bucket's copy nor the router's
	// connection.
	holder := st.CachedInfo().Cluster.Leader
	var down, via *server.Server
	for _, s := range ns {
		if s.Name() == holder {
			via = s
		} else if down == nil {
			down = s
		}
	}
	down.Shutdown()
	down.WaitForShutdown()

	var logs logBuffer
	r := startRouter(t, router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "-", NATSURL: via.ClientURL(), Replicas: 3, NoLog: true,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	waitUntil(t, "the bucket's bundle", func() bool { return r.Engine.Current().Version == first.Bundle.Version() })
	const warned = "bundle bucket: its copies could not be raised to --replicas; tried again until they are"
	const raised = `msg="bundle bucket: copies raised to --replicas" bucket=rpl_bundles from=1 to=3`
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(logs.String(), warned); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not warned:\n%s", logs.String())
		}
	}
	if strings.Contains(logs.String(), raised) {
		t.Fatalf("the raise logged with a server down:\n%s", logs.String())
	}

	natstest.Restart(t, down)
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(logs.String(), raised); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the server back: the raise not logged:\n%s", logs.String())
		}
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	current := 0
	for _, p := range info.Cluster.Replicas {
		if p.Current {
			current++
		}
	}
	if info.Config.Replicas != 3 || current != 2 {
		t.Errorf("the raise logged: %d copies, %d of the others current; want 3, 2", info.Config.Replicas, current)
	}
	if n := strings.Count(logs.String(), warned); n != 1 {
		t.Errorf("warned %d times, want once however many tries:\n%s", n, logs.String())
	}
}
