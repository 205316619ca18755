package router_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/runtime/natsx"
	"github.com/rpl-lang/rpl/runtime/router"
)

// natsServer starts a NATS server with JetStream, listening on loopback
// as a fleet's would, and connects to it; both end with the test.
func natsServer(t *testing.T) (*server.Server, *nats.Conn) {
	t.Helper()
	ns, err := natsx.StartEmbedded(natsx.EmbeddedOptions{DataDir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return ns, nc
}

// watchingRouter starts an embedded NATS server and a router on a copy
// of the examples that watches its bundle bucket, and waits for the
// watch's start. It returns a connection to the server, the router's
// options and the router (shut down at the test's end).
func watchingRouter(t *testing.T) (*nats.Conn, router.Options, *router.Router) {
	t.Helper()
	ns, nc := natsServer(t)
	opt := router.Options{Policies: copyExamples(t), DataDir: t.TempDir(), NATSURL: ns.ClientURL(), HTTP: "127.0.0.1:0", NoLog: true, Logger: quiet()}
	r := startRouter(t, opt)
	waitUntil(t, "the bundle watch's start", r.BundleSynced)
	return nc, opt, r
}

// pushRefused pushes a bundle whose tests fail, which the routers refuse,
// and returns its revision.
func pushRefused(ctx context.Context, t *testing.T, nc *nats.Conn) uint64 {
	t.Helper()
	rev, err := natsx.PushBundle(ctx, nc, natsx.BundleBucket, natsx.BundleKey, 0, failingBundle(t))
	if err != nil {
		t.Fatal(err)
	}
	return rev
}

// bundleKV is the bundle bucket on nc's server.
func bundleKV(ctx context.Context, t *testing.T, nc *nats.Conn) jetstream.KeyValue {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, natsx.BundleBucket)
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

// waitUntil polls cond, for up to 10 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// buildPushed builds the examples plus a policy named id, signed with key
// when set.
func buildPushed(t *testing.T, id string, opts bundle.BuildOptions) *bundle.Result {
	t.Helper()
	dir := copyExamples(t)
	os.WriteFile(filepath.Join(dir, id+".rpl"), []byte("package "+id+"\n\nfn route(r: Request) -> Decision = to(\"mistral:large\").because(\""+id+"\")\n"), 0o644)
	res, err := bundle.Build(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// pushTo puts data in the router's bundle bucket over TCP, as rplc push
// does, and returns the revision.
func pushTo(t *testing.T, r *router.Router, data []byte) uint64 {
	t.Helper()
	nc, err := nats.Connect(r.NATSServer().ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rev, err := natsx.PushBundle(ctx, nc, natsx.BundleBucket, natsx.BundleKey, 0, data)
	if err != nil {
		t.Fatal(err)
	}
	return rev
}

func rollback(t *testing.T, r *router.Router) {
	t.Helper()
	resp, err := http.Post("http://"+r.HTTPAddr()+"/v2/policies/rollback", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("rollback: %s", resp.Status)
	}
}

// TestLatestActivationWins: the latest activation (push, rollback,
// directory change) wins, across restarts too. The same bundle pushed
// again after a local rollback is activated again (a new revision is a
// new push); a restart keeps a rollback made after a push, and a push made
// after the directory was loaded, rather than activating the bucket's
// value or the unchanged directory again; a directory changed while the
// router was down is activated.
func TestLatestActivationWins(t *testing.T) {
	data, dir := t.TempDir(), copyExamples(t)
	opt := router.Options{Policies: dir, DataDir: data, NATSListen: "127.0.0.1:0", HTTP: "127.0.0.1:0", Logger: quiet()}
	start := func() *router.Router {
		t.Helper()
		r, err := router.Start(context.Background(), opt)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Shutdown(context.Background()) })
		waitUntil(t, "the bundle watch's start", r.BundleSynced)
		return r
	}
	stop := func(r *router.Router) {
		t.Helper()
		if err := r.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	active := func(r *router.Router, what, want string) {
		t.Helper()
		if v := r.Engine.Current().Version; v != want {
			t.Fatalf("%s: version %.12s, want %.12s", what, v, want)
		}
	}
	b, c := buildPushed(t, "pushed", bundle.BuildOptions{}), buildPushed(t, "later", bundle.BuildOptions{})

	r := start()
	d := r.Engine.Current().Version
	rev := pushTo(t, r, b.Data)
	waitUntil(t, "the push", func() bool { return r.BundleRevision() == rev })
	active(r, "after the push", b.Bundle.Version())
	rollback(t, r)
	active(r, "after the rollback", d)

	// The same bundle pushed again: activated again.
	rev = pushTo(t, r, b.Data)
	waitUntil(t, "the same bundle pushed again", func() bool { return r.BundleRevision() == rev })
	active(r, "after the second push", b.Bundle.Version())
	rollback(t, r)
	active(r, "after the second rollback", d)
	stop(r)

	// The rollback was the latest activation: a restart keeps it.
	r = start()
	active(r, "restart after the rollback", d)
	rev = pushTo(t, r, c.Data)
	waitUntil(t, "a push after the restart", func() bool { return r.BundleRevision() == rev })
	active(r, "after a push", c.Bundle.Version())
	stop(r)

	// The push was the latest: the unchanged directory does not replace it.
	r = start()
	active(r, "restart after a push", c.Bundle.Version())
	stop(r)

	// A directory changed while the router was down is activated.
	src, err := os.ReadFile(filepath.Join(dir, "default.rpl"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "default.rpl"), []byte(strings.Replace(string(src), `const small = "openai:gpt-4o-mini"`, `const small = "mistral:small"`, 1)), 0o644)
	os.WriteFile(filepath.Join(dir, "default_test.rpl"), []byte("package default\n"), 0o644)
	r = start()
	if v := r.Engine.Current().Version; v == d || v == c.Bundle.Version() || r.Engine.Current().Source != dir {
		t.Fatalf("restart after a directory change: version %.12s from %s", v, r.Engine.Current().Source)
	}
}

// TestUnsavedActivationTakenAgain: a pushed bundle activated but not saved
// as the last good version (the data directory's disk full, say) is not
// recorded as handled, so a restart, which finds the version saved
// before, takes it from the bucket again; before, the restart ran the
// older version and passed over the push for good (found by a review).
// And /v2/policies tells the revision handled from the one active.
func TestUnsavedActivationTakenAgain(t *testing.T) {
	data := t.TempDir()
	opt := router.Options{Policies: copyExamples(t), DataDir: data, NATSListen: "127.0.0.1:0", HTTP: "127.0.0.1:0", Logger: quiet()}
	start := func() *router.Router {
		t.Helper()
		r, err := router.Start(context.Background(), opt)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Shutdown(context.Background()) })
		waitUntil(t, "the bundle watch's start", r.BundleSynced)
		return r
	}
	c := buildPushed(t, "later", bundle.BuildOptions{})
	r := start()

	// The last good bundle cannot be written: the directory's version
	// stays the last good one.
	unblock := blockLastGoodBundle(t, data)
	rev := pushTo(t, r, c.Data)
	// Handled, not only activated: a shutdown before the watch records
	// the revision leaves it to the next run whether saved or not.
	waitUntil(t, "the second push handled", func() bool {
		s := getPolicies(t, r.HTTPAddr()).Sources.Bucket
		return s != nil && s.Revision == rev
	})
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	unblock()
	r = start()
	if v := r.Engine.Current().Version; v != c.Bundle.Version() {
		t.Fatalf("after the restart: version %.12s, want the push not saved, %.12s", v, c.Bundle.Version())
	}

	// A push that the router refuses: handled, the one before active.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "p.rpl"), []byte("package p\n\nfn route(r: Request) -> Decision = to(\"openai:gpt-4o\")\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "p_test.rpl"), []byte("package p\n\ntest \"fails\" {\n  expect route({}).target == \"mistral:large\"\n}\n"), 0o644)
	bad, err := bundle.Build(dir, bundle.BuildOptions{SkipTests: true})
	if err != nil {
		t.Fatal(err)
	}
	refused := pushTo(t, r, bad.Data)
	var st struct {
		Sources struct {
			Bucket struct {
				Revision uint64 `json:"revision"`
			} `json:"bucket"`
			BucketActive uint64 `json:"bucket_active"`
		} `json:"sources"`
	}
	waitUntil(t, "the refused push handled", func() bool {
		resp, err := http.Get("http://" + r.HTTPAddr() + "/v2/policies")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
			t.Fatal(err)
		}
		return st.Sources.Bucket.Revision == refused
	})
	if st.Sources.BucketActive != rev {
		t.Errorf("bucket_active %d, want %d (revision %d refused)", st.Sources.BucketActive, rev, refused)
	}
}

// failingBundle builds a bundle whose test fails, which every router
// refuses.
func failingBundle(t *testing.T) []byte {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "p.rpl"), []byte("package p\n\nfn route(r: Request) -> Decision = to(\"openai:gpt-4o\")\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "p_test.rpl"), []byte("package p\n\ntest \"fails\" {\n  expect route({}).target == \"mistral:large\"\n}\n"), 0o644)
	bad, err := bundle.Build(dir, bundle.BuildOptions{SkipTests: true})
	if err != nil {
		t.Fatal(err)
	}
	return bad.Data
}

// TestNewestRefusalReported: a router that finds the bucket's newest
// revision refused and activates the one before in its place still
// reports the refusal (last_error of /v2/policies, the reload failure
// counted once): the activation had cleared it, and only the logs and
// bucket_active showed that a push was refused (found by a review).
func TestNewestRefusalReported(t *testing.T) {
	ns, nc := natsServer(t)
	good := buildPushed(t, "pushed", bundle.BuildOptions{})
	ctx := context.Background()
	var refused uint64
	var err error
	for _, data := range [][]byte{good.Data, failingBundle(t)} {
		if refused, err = natsx.PushBundle(ctx, nc, natsx.BundleBucket, natsx.BundleKey, 0, data); err != nil {
			t.Fatal(err)
		}
	}
	r, err := router.Start(ctx, router.Options{Policies: copyExamples(t), DataDir: t.TempDir(), NATSURL: ns.ClientURL(), HTTP: "127.0.0.1:0", NoLog: true, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown(ctx)
	var v policiesView
	// An answer whose sources show the revision handled shows the status
	// after it: /v2/policies reads the sources first (it read the status
	// first, and an answer could pair the revision handled with the
	// status of a moment before its refusal was reported again).
	waitUntil(t, "the refused revision handled", func() bool {
		v = getPolicies(t, r.HTTPAddr())
		return v.Sources.Bucket != nil && v.Sources.Bucket.Revision == refused
	})
	if v.Status.Version != good.Bundle.Version() {
		t.Fatalf("version %.12s, want the earlier revision's %.12s", v.Status.Version, good.Bundle.Version())
	}
	source := fmt.Sprintf("nats:%s/%s@%d", natsx.BundleBucket, natsx.BundleKey, refused)
	if !strings.Contains(v.Status.LastError, source) || !strings.Contains(v.Status.LastError, "fails") {
		t.Errorf("last_error %q, want the refusal of %s", v.Status.LastError, source)
	}
	if st := r.Engine.Status(); st.ReloadFailures != 1 || st.LastErrorAt.IsZero() {
		t.Errorf("reload_failures %d, last_error_at %v; want the refusal counted once, with its time", st.ReloadFailures, st.LastErrorAt)
	}
}

// TestNewestRefusalReportedOverSameVersion: as TestNewestRefusalReported,
// when the revision activated in place of the refused one holds the
// version already active (the router's bundle file is that bundle): the
// watch's own activation, though it changes nothing, does not end the
// refusal, which stays reported and kept for the next start.
func TestNewestRefusalReportedOverSameVersion(t *testing.T) {
	ns, nc := natsServer(t)
	good := buildPushed(t, "pushed", bundle.BuildOptions{})
	ctx := context.Background()
	var refused uint64
	var err error
	for _, data := range [][]byte{good.Data, failingBundle(t)} {
		if refused, err = natsx.PushBundle(ctx, nc, natsx.BundleBucket, natsx.BundleKey, 0, data); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(t.TempDir(), "good.rplb")
	if err := os.WriteFile(file, good.Data, 0o644); err != nil {
		t.Fatal(err)
	}
	opt := router.Options{Bundle: file, DataDir: t.TempDir(), NATSURL: ns.ClientURL(), HTTP: "127.0.0.1:0", NoLog: true, Logger: quiet()}
	r := startRouter(t, opt)
	var v policiesView
	waitUntil(t, "the refused revision handled", func() bool {
		v = getPolicies(t, r.HTTPAddr())
		return v.Sources.Bucket != nil && v.Sources.Bucket.Revision == refused
	})
	source := fmt.Sprintf("nats:%s/%s@%d", natsx.BundleBucket, natsx.BundleKey, refused)
	if v.Status.Version != good.Bundle.Version() || !strings.Contains(v.Status.LastError, source) || v.Sources.BucketRefused == nil {
		t.Errorf("version %.12s (want %.12s), last_error %q, bucket_refused %+v; want the refusal of %s reported", v.Status.Version, good.Bundle.Version(), v.Status.LastError, v.Sources.BucketRefused, source)
	}
	data, err := os.ReadFile(filepath.Join(opt.DataDir, router.LastGoodSources))
	if err != nil || !strings.Contains(string(data), "bucket_refused") {
		t.Errorf("the refusal is not kept for the next start (%v):\n%s", err, data)
	}
}

// TestRefusalReportedAfterRestart: the bucket's value, refused, is not
// tried again after a restart, and its refusal is reported again (it was
// reported until the restart only, and /v2/policies then showed no error
// for a push the fleet's other routers may run).
func TestRefusalReportedAfterRestart(t *testing.T) {
	ns, nc := natsServer(t)
	ctx := context.Background()
	opt := router.Options{Policies: copyExamples(t), DataDir: t.TempDir(), NATSURL: ns.ClientURL(), HTTP: "127.0.0.1:0", NoLog: true, Logger: quiet()}
	r, err := router.Start(ctx, opt)
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the bundle watch's start", r.BundleSynced)
	refused := pushRefused(ctx, t, nc)
	source := fmt.Sprintf("nats:%s/%s@%d", natsx.BundleBucket, natsx.BundleKey, refused)
	reported := func(r *router.Router) bool {
		v := getPolicies(t, r.HTTPAddr())
		return v.Sources.Bucket != nil && v.Sources.Bucket.Revision == refused && strings.Contains(v.Status.LastError, source)
	}
	waitUntil(t, "the refusal reported", func() bool { return reported(r) })
	if err := r.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	r, err = router.Start(ctx, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown(ctx)
	waitUntil(t, "the bundle watch's start after the restart", r.BundleSynced)
	if v := getPolicies(t, r.HTTPAddr()); !reported(r) {
		t.Errorf("after the restart: last_error %q, bucket %+v; want the refusal of %s", v.Status.LastError, v.Sources.Bucket, source)
	}
	if st := r.Engine.Status(); st.ReloadFailures != 0 {
		t.Errorf("%d reload failures after the restart, want 0: the revision is not tried again", st.ReloadFailures)
	}
}

// TestRefusalOfDeletedBucketEnds: a refusal kept across a restart is
// over when the bucket it came from was deleted and created again while
// the router was down: the refused revision is no longer anyone's value.
// It was reported after the restart until the next push (the watch did
// not tell the router which bucket it started on).
func TestRefusalOfDeletedBucketEnds(t *testing.T) {
	ns, nc := natsServer(t)
	ctx := context.Background()
	opt := router.Options{Policies: copyExamples(t), DataDir: t.TempDir(), NATSURL: ns.ClientURL(), HTTP: "127.0.0.1:0", NoLog: true, Logger: quiet()}
	r, err := router.Start(ctx, opt)
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the bundle watch's start", r.BundleSynced)
	pushRefused(ctx, t, nc)
	waitUntil(t, "the refusal recorded", func() bool {
		v := getPolicies(t, r.HTTPAddr())
		return v.Sources.Bucket != nil && strings.Contains(v.Status.LastError, "nats:")
	})
	if err := r.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := js.DeleteKeyValue(ctx, natsx.BundleBucket); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond) // a stream's creation time is its identity here
	if _, err := natsx.BundleKV(ctx, js, natsx.BundleBucket, 0); err != nil {
		t.Fatal(err)
	}
	r, err = router.Start(ctx, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown(ctx)
	waitUntil(t, "the bundle watch's start after the restart", r.BundleSynced)
	if e := getPolicies(t, r.HTTPAddr()).Status.LastError; e != "" {
		t.Errorf("after the restart on a bucket created again: last_error %q, want none", e)
	}
	refusalNotKept(t, opt.DataDir)
}

// TestRefusalOfDeletedBundleEnds: a refused push deleted (or purged)
// from the bucket is no longer the key's value: its refusal is over, in
// the status's last_error, in /v2/policies' bucket_refused and in what is
// kept for a restart. Both stayed until the next activation, a restart
// included.
func TestRefusalOfDeletedBundleEnds(t *testing.T) {
	for _, purge := range []bool{false, true} {
		t.Run(map[bool]string{false: "deleted", true: "purged"}[purge], func(t *testing.T) {
			ctx := context.Background()
			nc, opt, r := watchingRouter(t)
			pushRefused(ctx, t, nc)
			waitUntil(t, "the refusal recorded", func() bool {
				v := getPolicies(t, r.HTTPAddr())
				return v.Sources.BucketRefused != nil && strings.Contains(v.Status.LastError, "nats:")
			})
			kv := bundleKV(ctx, t, nc)
			var err error
			if purge {
				err = kv.Purge(ctx, natsx.BundleKey)
			} else {
				err = kv.Delete(ctx, natsx.BundleKey)
			}
			if err != nil {
				t.Fatal(err)
			}
			var v policiesView
			waitUntil(t, "the refusal over", func() bool {
				v = getPolicies(t, r.HTTPAddr())
				return v.Sources.BucketRefused == nil && v.Status.LastError == ""
			})
			if !v.Status.Ready {
				t.Errorf("after the deletion: %+v, want the directory's version still active", v.Status)
			}
			refusalNotKept(t, opt.DataDir)
			noErrorAfterRestart(ctx, t, r, opt)
		})
	}
}

// TestRefusalOfBundleDeletedWhileDownEnds: a refused push deleted from
// the bucket while the router was down is no longer reported after its
// restart, which reported it (kept with the last good version) until the
// next activation.
func TestRefusalOfBundleDeletedWhileDownEnds(t *testing.T) {
	ctx := context.Background()
	nc, opt, r := watchingRouter(t)
	pushRefused(ctx, t, nc)
	waitUntil(t, "the refusal recorded", func() bool { return getPolicies(t, r.HTTPAddr()).Sources.BucketRefused != nil })
	if err := r.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	kv := bundleKV(ctx, t, nc)
	if err := kv.Delete(ctx, natsx.BundleKey); err != nil {
		t.Fatal(err)
	}
	r = startRouter(t, opt)
	// The deletion is the key's value the watch hands over at its start.
	waitUntil(t, "the bundle watch's start after the restart", r.BundleSynced)
	if v := getPolicies(t, r.HTTPAddr()); v.Status.LastError != "" || v.Sources.BucketRefused != nil {
		t.Errorf("after a restart, the refused push deleted: last_error %q, bucket_refused %+v; want neither", v.Status.LastError, v.Sources.BucketRefused)
	}
}

// TestRefusalAfterRestartGivesWay: the refusal kept across a restart is
// the news only until something newer: a local source broken while the
// router was down is the error reported at start, and an activation
// clears the refusal for good, restarts included (it came back after
// every restart, and hid the local source's failure; found by a review).
func TestRefusalAfterRestartGivesWay(t *testing.T) {
	ns, nc := natsServer(t)
	ctx := context.Background()
	dir := copyExamples(t)
	opt := router.Options{Policies: dir, DataDir: t.TempDir(), NATSURL: ns.ClientURL(), HTTP: "127.0.0.1:0", NoLog: true, Logger: quiet()}
	start := func() *router.Router {
		t.Helper()
		r, err := router.Start(ctx, opt)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Shutdown(ctx) })
		waitUntil(t, "the bundle watch's start", r.BundleSynced)
		return r
	}
	lastError := func(r *router.Router) string { return getPolicies(t, r.HTTPAddr()).Status.LastError }
	r := start()
	pushRefused(ctx, t, nc)
	// Handled, not only refused: a restart before the revision is
	// recorded as handled tries it again, and its refusal is then the
	// news (1 run in 40 failed so).
	waitUntil(t, "the refusal recorded", func() bool {
		v := getPolicies(t, r.HTTPAddr())
		return v.Sources.Bucket != nil && strings.Contains(v.Status.LastError, "nats:")
	})
	r.Shutdown(ctx)

	// Broken while down: the directory's failure is the news.
	broken := filepath.Join(dir, "broken.rpl")
	os.WriteFile(broken, []byte("package broken\n\nfn route(r: Request) -> Decision = nope(\n"), 0o644)
	r = start()
	if e := lastError(r); !strings.Contains(e, "broken.rpl") {
		t.Errorf("restart with a broken directory: last_error %q, want the directory's failure", e)
	}
	r.Shutdown(ctx)

	// Mended while down: activated, and the refusal is over.
	os.Remove(broken)
	os.WriteFile(filepath.Join(dir, "extra.rpl"), []byte("package extra\n\nfn route(r: Request) -> Decision = to(\"mistral:large\")\n"), 0o644)
	r = start()
	if e := lastError(r); e != "" {
		t.Errorf("restart with a changed directory, activated: last_error %q, want none", e)
	}
	r.Shutdown(ctx)
	r = start()
	if e := lastError(r); e != "" {
		t.Errorf("the restart after: last_error %q, want none", e)
	}
}

// TestPushCutShortNotAFailure: a pushed bundle whose build the shutdown
// cuts short (the bundle watch stopping) refused nothing: it is no
// failed load (reload_failures, rpl_reloads_total{result="error"}) nor
// the status's last error, and the next run activates it. It was counted
// and reported as "context canceled", during the shutdown's grace too.
func TestPushCutShortNotAFailure(t *testing.T) {
	data := t.TempDir()
	opt := router.Options{Policies: copyExamples(t), DataDir: data, NATSListen: "127.0.0.1:0", HTTP: "-", NoLog: true, Logger: quiet()}
	r := startRouter(t, opt)
	var once sync.Once
	building := make(chan struct{})
	router.BeforeBundleApply(t, func(ctx context.Context) {
		once.Do(func() { close(building) })
		<-ctx.Done()
	})
	pushed := buildPushed(t, "pushed", bundle.BuildOptions{})
	pushTo(t, r, pushed.Data)
	waitUntil(t, "the push's build", func() bool {
		select {
		case <-building:
			return true
		default:
			return false
		}
	})
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := r.Engine.Status(); st.ReloadFailures != 0 || st.LastError != "" {
		t.Errorf("a push cut short by the shutdown: reload_failures %d, last_error %q; want 0 and none", st.ReloadFailures, st.LastError)
	}
	router.BeforeBundleApply(t, func(context.Context) {})
	r = startRouter(t, opt)
	waitUntil(t, "the push activated by the next run", func() bool {
		s := r.Engine.Current()
		return s != nil && s.Version == pushed.Bundle.Version()
	})
}

// TestRollbackAfterUnsavedPushKept: a push activated but not saved (the
// last good bundle could not be written) and then rolled back from, the
// rollback saved: a restart keeps the rollback, the latest activation.
// What was taken from the sources while unsaved stayed in memory until
// another source's took wrote it, and a rollback takes nothing: the
// record kept did not have the push handled, and the restart activated
// it again over the rollback.
func TestRollbackAfterUnsavedPushKept(t *testing.T) {
	data := t.TempDir()
	opt := router.Options{Policies: copyExamples(t), DataDir: data, NATSListen: "127.0.0.1:0", HTTP: "127.0.0.1:0", NoLog: true, Logger: quiet()}
	r := startRouter(t, opt)
	waitUntil(t, "the bundle watch's start", r.BundleSynced)
	v1 := r.Engine.Current().Version

	// The last good bundle cannot be written.
	unblock := blockLastGoodBundle(t, data)
	rev := pushTo(t, r, buildPushed(t, "pushed", bundle.BuildOptions{}).Data)
	waitUntil(t, "the push handled", func() bool {
		s := getPolicies(t, r.HTTPAddr()).Sources.Bucket
		return s != nil && s.Revision == rev
	})
	rollback(t, r)
	if v := r.Engine.Current().Version; v != v1 {
		t.Fatalf("rolled back to %.12s, want the directory's %.12s", v, v1)
	}
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	unblock()

	r = startRouter(t, opt)
	waitUntil(t, "the bundle watch's start", r.BundleSynced)
	if v := r.Engine.Current().Version; v != v1 {
		t.Errorf("after the restart: version %.12s, want the rollback's %.12s (the push was rolled back from)", v, v1)
	}
}

// blockLastGoodBundle makes the last good bundle of the data directory
// data impossible to write until unblock: a directory holding a file
// stands at its path, which the file written cannot be renamed over (nor
// the directory removed). A directory at the path of its temporary file,
// as before, no longer blocked it: the temporary file's name is random
// (atomicfile.Stage), and the save went through. The last good version
// must be another than a bundle: a directory.
func blockLastGoodBundle(t *testing.T, data string) (unblock func()) {
	t.Helper()
	p := filepath.Join(data, router.LastGoodBundle)
	if err := os.Mkdir(p, 0o755); err != nil { // a bundle kept there too
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p, "block"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return func() {
		if err := os.RemoveAll(p); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReactivationClearsRefusal: activating the version already active
// (POST /v2/policies/activate naming it) is an activation: it clears the
// last error, a push's refusal included, in the status and in what is
// kept with the last good version alike. It cleared the status only: the
// refusal, still kept, was reported again after a restart.
func TestReactivationClearsRefusal(t *testing.T) {
	ctx := context.Background()
	nc, opt, r := watchingRouter(t)
	pushRefused(ctx, t, nc)
	waitUntil(t, "the refusal recorded", func() bool {
		v := getPolicies(t, r.HTTPAddr())
		return v.Sources.Bucket != nil && strings.Contains(v.Status.LastError, "nats:")
	})
	active := r.Engine.Current().Version
	if out := post(t, r.HTTPAddr(), "/v2/policies/activate", `{"version": "`+active+`"}`); !strings.Contains(out, `"ok":true`) {
		t.Fatalf("activate %.12s: %s", active, out)
	}
	if e := getPolicies(t, r.HTTPAddr()).Status.LastError; e != "" {
		t.Errorf("after activating the version active: last_error %q, want none", e)
	}
	refusalNotKept(t, opt.DataDir)
	noErrorAfterRestart(ctx, t, r, opt)
}

// TestActivationAfterRefusalClearsIt: a local activation that comes after
// a push was refused, before the watch records the revision as handled,
// is the later: the refusal is over, in the status, in what GET
// /v2/policies reports and in what is kept for the next start alike. The
// activation found no refusal recorded yet to clear, and the watch then
// recorded it: kept, it was reported again after a restart.
func TestActivationAfterRefusalClearsIt(t *testing.T) {
	ctx := context.Background()
	nc, opt, r := watchingRouter(t)
	var reloaded string
	router.AfterBundleRefused(t, func() {
		os.WriteFile(filepath.Join(opt.Policies, "later.rpl"), []byte("package later\n\nfn route(r: Request) -> Decision = to(\"openai:gpt-4o\")\n"), 0o644)
		s, err := r.Reload(ctx)
		if err != nil {
			t.Error(err)
			return
		}
		reloaded = s.Version
	})
	pushRefused(ctx, t, nc)
	waitUntil(t, "the refused revision handled", func() bool { return getPolicies(t, r.HTTPAddr()).Sources.Bucket != nil })
	v := getPolicies(t, r.HTTPAddr())
	if reloaded == "" || v.Status.Version != reloaded {
		t.Fatalf("active %.12s, want the local version activated after the refusal (%.12s)", v.Status.Version, reloaded)
	}
	if v.Status.LastError != "" || v.Sources.BucketRefused != nil {
		t.Errorf("after an activation that came after the refusal: last_error %q, bucket_refused %+v; want neither", v.Status.LastError, v.Sources.BucketRefused)
	}
	refusalNotKept(t, opt.DataDir)
	noErrorAfterRestart(ctx, t, r, opt)
}

// TestActivationDuringLookBackEndsRefusal: as
// TestActivationAfterRefusalClearsIt, when the watch, the newest revision
// refused, then activates the one before in its place: its own
// activation does not end the refusal, the local activation between the
// two does, and the refusal is neither reported again in the status
// (NewestRefused) nor kept for the next start.
func TestActivationDuringLookBackEndsRefusal(t *testing.T) {
	ns, nc := natsServer(t)
	good := buildPushed(t, "pushed", bundle.BuildOptions{})
	ctx := context.Background()
	var refused uint64
	var err error
	for _, data := range [][]byte{good.Data, failingBundle(t)} {
		if refused, err = natsx.PushBundle(ctx, nc, natsx.BundleBucket, natsx.BundleKey, 0, data); err != nil {
			t.Fatal(err)
		}
	}
	opt := router.Options{Policies: copyExamples(t), DataDir: t.TempDir(), NATSURL: ns.ClientURL(), HTTP: "127.0.0.1:0", NoLog: true, Logger: quiet()}
	started := make(chan *router.Router, 1)
	var once sync.Once
	router.AfterBundleRefused(t, func() {
		once.Do(func() {
			r := <-started // Start does not wait for the watch
			os.WriteFile(filepath.Join(opt.Policies, "later.rpl"), []byte("package later\n\nfn route(r: Request) -> Decision = to(\"openai:gpt-4o\")\n"), 0o644)
			if _, err := r.Reload(ctx); err != nil {
				t.Error(err)
			}
		})
	})
	r := startRouter(t, opt)
	started <- r
	var v policiesView
	waitUntil(t, "the refused revision handled", func() bool {
		v = getPolicies(t, r.HTTPAddr())
		return v.Sources.Bucket != nil && v.Sources.Bucket.Revision == refused
	})
	if v.Status.Version != good.Bundle.Version() {
		t.Fatalf("version %.12s, want the earlier revision's %.12s, activated after the local one", v.Status.Version, good.Bundle.Version())
	}
	if v.Status.LastError != "" || v.Sources.BucketRefused != nil {
		t.Errorf("after a local activation that came after the refusal: last_error %q, bucket_refused %+v; want neither", v.Status.LastError, v.Sources.BucketRefused)
	}
	refusalNotKept(t, opt.DataDir)
	noErrorAfterRestart(ctx, t, r, opt)
}

// refusalNotKept fails t when the sources kept under dataDir for the
// next start still hold a bucket's refusal.
func refusalNotKept(t *testing.T, dataDir string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dataDir, router.LastGoodSources))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "bucket_refused") {
		t.Errorf("the refusal is still kept for the next start:\n%s", data)
	}
}

// noErrorAfterRestart shuts r down, starts a router with opt again and
// fails t when, once its bundle watch has started, it reports a last
// error.
func noErrorAfterRestart(ctx context.Context, t *testing.T, r *router.Router, opt router.Options) {
	t.Helper()
	if err := r.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	r = startRouter(t, opt)
	waitUntil(t, "the bundle watch's start after the restart", r.BundleSynced)
	if e := getPolicies(t, r.HTTPAddr()).Status.LastError; e != "" {
		t.Errorf("after a restart: last_error %q, want none", e)
	}
}
