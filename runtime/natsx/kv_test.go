package natsx_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/runtime/natsx"
)

// buildBundle builds the examples, plus an extra policy when extra is set
// (so that the two bundles differ).
func buildBundle(t *testing.T, extra string) []byte {
	t.Helper()
	dir := t.TempDir()
	ents, err := os.ReadDir(examples)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		data, err := os.ReadFile(filepath.Join(examples, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644)
	}
	if extra != "" {
		src := fmt.Sprintf("package %s\n\nfn route(r: Request) -> Decision = to(\"openai:gpt-4o\").because(%q)\n", extra, extra)
		os.WriteFile(filepath.Join(dir, extra+".rpl"), []byte(src), 0o644)
	}
	res, err := bundle.Build(dir, bundle.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return res.Data
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestBundleWatch: rplc push's PushBundle activates a bundle in a router
// watching the bucket, atomically under load; a bad bundle keeps the
// running version; after the server restarts (the connection is lost and
// comes back) the watcher resumes and activates the next push.
func TestBundleWatch(t *testing.T) {
	v1, v2 := buildBundle(t, ""), buildBundle(t, "pushed")
	dir := t.TempDir()
	listen := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	ns, err := natsx.StartEmbedded(natsx.EmbeddedOptions{DataDir: dir, Listen: listen})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { ns.Shutdown() }()
	url := ns.ClientURL()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()

	e := newEngine(t, nil)
	dirVersion := e.Current().Version
	var errs sync.Map
	var nerr atomic.Int64
	w := natsx.WatchBundles(nc, natsx.WatchConfig{
		Apply: func(ctx context.Context, data []byte, rev uint64) error {
			s, err := e.BuildBundle(ctx, fmt.Sprintf("kv@%d", rev), data, bundle.ReadOptions{})
			if err != nil {
				return err
			}
			e.Activate(s)
			return nil
		},
		OnError: func(err error) { errs.Store(nerr.Add(1), err) },
		Retry:   50 * time.Millisecond,
	})
	defer w.Stop()

	// Decisions run all along: each is decided by a whole version.
	stop := make(chan struct{})
	var deciders sync.WaitGroup
	var failures atomic.Int64
	versions := sync.Map{}
	deciders.Add(1)
	go func() {
		defer deciders.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			out, code, o := e.HandleV2(context.Background(), []byte(`{"request": {"id": "r", "tenant": {"id": "t"}, "task": {"type": "chat"}}}`), time.Now(), nil, nil)
			if code != "" {
				failures.Add(1)
				t.Errorf("decision failed: %s", out)
				return
			}
			versions.Store(o.Version(), true)
		}
	}()

	push := func(data []byte) uint64 {
		t.Helper()
		pc, err := nats.Connect(url)
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		rev, err := natsx.PushBundle(ctx, pc, natsx.BundleBucket, natsx.BundleKey, 0, data)
		if err != nil {
			t.Fatal(err)
		}
		return rev
	}

	rev1 := push(v1)
	waitFor(t, "the first push", func() bool { return w.Revision() == rev1 })
	ver1 := e.Current().Version
	if ver1 == dirVersion || e.Current().Bundle() == nil {
		t.Fatalf("version %s after the push (directory %s)", ver1, dirVersion)
	}

	// A corrupt bundle is refused; the running version stays.
	bad := append([]byte(nil), v2...)
	bad[len(bad)/2] ^= 0xff
	push(bad)
	waitFor(t, "the refusal", func() bool { return nerr.Load() > 0 })
	if e.Current().Version != ver1 {
		t.Fatal("a corrupt bundle replaced the running version")
	}

	// Lose the connection: the server goes away and comes back on the
	// same port with the same storage.
	ns.Shutdown()
	ns.WaitForShutdown()
	waitFor(t, "the disconnection", func() bool { return !nc.IsConnected() })
	ns, err = natsx.StartEmbedded(natsx.EmbeddedOptions{DataDir: dir, Listen: listen})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the reconnection", func() bool { return nc.IsConnected() })

	rev2 := push(v2)
	waitFor(t, "the push after the reconnection", func() bool { return w.Revision() == rev2 })
	s := e.Current()
	if s.Version == ver1 || s.Policy("pushed") == nil {
		t.Fatalf("after the second push: version %s, policies %v", s.Version, s.PolicyIDs())
	}
	if w.Watches() < 2 {
		t.Errorf("the watch was not restarted (%d watches)", w.Watches())
	}

	// The fleet's rollback puts back the previous valid bundle (v1: the
	// corrupt push in between is passed over), and the router activates
	// it; the decisions go on throughout.
	pc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	from, to, rev3, err := natsx.RollbackBundle(context.Background(), pc, natsx.BundleBucket, natsx.BundleKey, natsx.RollbackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if from.Revision != rev2 || to.Revision != rev1 || to.Version == from.Version || rev3 <= rev2 {
		t.Fatalf("rollback from %+v to %+v at revision %d; pushed %d and %d", from, to, rev3, rev1, rev2)
	}
	waitFor(t, "the rollback", func() bool { return w.Revision() == rev3 })
	if v := e.Current().Version; v != ver1 {
		t.Fatalf("after the rollback: version %s, want %s", v, ver1)
	}
	close(stop)
	deciders.Wait()
	if failures.Load() > 0 {
		t.Fatalf("%d failed decisions", failures.Load())
	}
	versions.Range(func(k, _ any) bool {
		if v := k.(string); v != dirVersion && v != ver1 && v != s.Version {
			t.Errorf("decision with unknown version %s", v)
		}
		return true
	})
}

// TestRollbackNothing: a bucket with one bundle (pushed twice) has nothing
// to roll back to, and says so without changing the key.
func TestRollbackNothing(t *testing.T) {
	_, nc := embedded(t, "")
	ctx := context.Background()
	if _, _, _, err := natsx.RollbackBundle(ctx, nc, natsx.BundleBucket, natsx.BundleKey, natsx.RollbackOptions{}); err == nil || !strings.Contains(err.Error(), "rplc push") {
		t.Fatalf("rollback without a bucket: %v", err)
	}
	v1 := buildBundle(t, "")
	for range 2 {
		pushBundle(t, nc, v1)
	}
	if _, _, _, err := natsx.RollbackBundle(ctx, nc, natsx.BundleBucket, "other", natsx.RollbackOptions{}); err == nil || !strings.Contains(err.Error(), "--key") {
		t.Fatalf("rollback of a key never pushed: %v", err)
	}
	_, _, _, err := natsx.RollbackBundle(ctx, nc, natsx.BundleBucket, natsx.BundleKey, natsx.RollbackOptions{})
	if !errors.Is(err, natsx.ErrNothingToRollBack) {
		t.Fatalf("got %v, want ErrNothingToRollBack", err)
	}
}

// TestBundleWatchRevisions: the watcher applies each revision once. The
// same bundle pushed again is a new push and is applied again; the
// revision delivered anew when the watch restarts after a lost connection
// is not. A watcher given the mark of the last revision handled (Seen,
// from an earlier run) applies only later revisions, and again from 1
// when the bucket was created anew.
func TestBundleWatchRevisions(t *testing.T) {
	v1, v2 := buildBundle(t, ""), buildBundle(t, "pushed")
	dir := t.TempDir()
	listen := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	ns, err := natsx.StartEmbedded(natsx.EmbeddedOptions{DataDir: dir, Listen: listen})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { ns.Shutdown() }()
	nc, err := nats.Connect(ns.ClientURL(), nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx := context.Background()
	push := func(data []byte) uint64 { return pushBundle(t, nc, data) }

	// watch starts a watcher recording the revisions it applies and the
	// marks it reports handled.
	type watched struct {
		*natsx.BundleWatcher
		mu      sync.Mutex
		applied []uint64
		handled []natsx.BundleMark
	}
	watch := func(seen natsx.BundleMark) *watched {
		w := &watched{}
		w.BundleWatcher = natsx.WatchBundles(nc, natsx.WatchConfig{
			Seen: seen,
			Apply: func(_ context.Context, _ []byte, rev uint64) error {
				w.mu.Lock()
				defer w.mu.Unlock()
				w.applied = append(w.applied, rev)
				return nil
			},
			Handled: func(m natsx.BundleMark) {
				w.mu.Lock()
				defer w.mu.Unlock()
				w.handled = append(w.handled, m)
			},
			Retry: 50 * time.Millisecond,
		})
		return w
	}
	check := func(w *watched, what string, want ...uint64) natsx.BundleMark {
		t.Helper()
		w.mu.Lock()
		defer w.mu.Unlock()
		if fmt.Sprint(w.applied) != fmt.Sprint(want) || len(w.handled) != len(want) {
			t.Fatalf("%s: applied %v, handled %+v; want %v", what, w.applied, w.handled, want)
		}
		if len(want) == 0 {
			return natsx.BundleMark{}
		}
		m := w.handled[len(w.handled)-1]
		if m.Revision != want[len(want)-1] || m.Bucket != natsx.BundleBucket || m.Key != natsx.BundleKey || m.Created.IsZero() {
			t.Fatalf("%s: mark %+v", what, m)
		}
		return m
	}

	rev1 := push(v1)
	w := watch(natsx.BundleMark{})
	waitFor(t, "the first revision", func() bool { return w.Revision() == rev1 && w.Synced() })
	rev2 := push(v1) // the same bundle again: a new push
	waitFor(t, "the same bundle pushed again", func() bool { return w.Revision() == rev2 })

	// The connection is lost and comes back: the watch restarts and is
	// handed rev2 again, which is not applied again.
	ns.Shutdown()
	ns.WaitForShutdown()
	waitFor(t, "the disconnection", func() bool { return !nc.IsConnected() })
	if ns, err = natsx.StartEmbedded(natsx.EmbeddedOptions{DataDir: dir, Listen: listen}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the watch's restart", func() bool { return w.Watches() >= 2 })
	rev3 := push(v2) // delivered after rev2 on the restarted watch
	waitFor(t, "the push after the reconnection", func() bool { return w.Revision() == rev3 })
	w.Stop()
	seen := check(w, "first watcher", rev1, rev2, rev3)

	// A new watcher (a restarted process) that handled rev3 applies
	// nothing at start, then the next push.
	w2 := watch(seen)
	waitFor(t, "the second watcher's start", w2.Synced)
	check(w2, "restart on the last revision handled")
	rev4 := push(v1)
	waitFor(t, "a push to the second watcher", func() bool { return w2.Revision() == rev4 })
	w2.Stop()
	check(w2, "second watcher", rev4)

	// Pushed while no watcher ran: applied at start.
	rev5 := push(v2)
	w3 := watch(seen)
	waitFor(t, "a revision pushed meanwhile", func() bool { return w3.Revision() == rev5 && w3.Synced() })
	w3.Stop()
	check(w3, "revision pushed meanwhile", rev5)

	// The bucket deleted and created again numbers its revisions from 1:
	// the old mark does not cover them.
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := js.DeleteKeyValue(ctx, natsx.BundleBucket); err != nil {
		t.Fatal(err)
	}
	if rev := push(v2); rev != 1 {
		t.Fatalf("first revision of the new bucket: %d", rev)
	}
	w4 := watch(seen)
	waitFor(t, "the new bucket's bundle", func() bool { return w4.Revision() == 1 && w4.Synced() })
	w4.Stop()
	check(w4, "new bucket", 1)
}

// TestBundleWatchNoJetStream: against a deployment without JetStream the
// watch fails at every retry; the failure is told once, not each time,
// as ErrWatch.
func TestBundleWatchNoJetStream(t *testing.T) {
	nc := plainServer(t, &server.Options{})
	var mu sync.Mutex
	var told []string
	w := natsx.WatchBundles(nc, natsx.WatchConfig{Retry: 5 * time.Millisecond, Apply: func(context.Context, []byte, uint64) error { return nil }, OnError: func(err error) {
		mu.Lock()
		told = append(told, err.Error())
		if !errors.Is(err, natsx.ErrWatch) {
			// the watch's own failure, which a router logs as such, not
			// as a pushed bundle's
			told = append(told, "not ErrWatch")
		}
		mu.Unlock()
	}})
	waitFor(t, "10 failed watches", func() bool { return w.Failures() >= 10 })
	w.Stop()
	mu.Lock()
	defer mu.Unlock()
	if len(told) != 1 || !strings.Contains(told[0], "watching rpl_bundles/current") || !strings.Contains(told[0], "has no JetStream") {
		t.Errorf("%d watches failed; told %q, want one failure", w.Failures(), told)
	}
}

// TestWaitSyncedEndsOnFailure: WaitSynced, which a router's start waits
// on before it subscribes its subjects, ends at a watch's failure (a
// deployment without JetStream answers at once), not at its context's
// end only, reporting the key's value not handled.
func TestWaitSyncedEndsOnFailure(t *testing.T) {
	nc := plainServer(t, &server.Options{})
	w := natsx.WatchBundles(nc, natsx.WatchConfig{Apply: func(context.Context, []byte, uint64) error { return nil }})
	defer w.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if w.WaitSynced(ctx) || ctx.Err() != nil || w.Failures() == 0 {
		t.Errorf("WaitSynced: ended by its context %v, %d watches failed; want it ended by the failure", ctx.Err(), w.Failures())
	}
}

// kvServer starts an embedded server and a client connection to it.
func kvServer(t *testing.T) *nats.Conn {
	t.Helper()
	_, nc := embedded(t, "")
	return nc
}

// recorder is a watcher's Apply that refuses the bundle bad, recording
// the revisions it is handed and those it activates.
type recorder struct {
	bad           []byte
	mu            sync.Mutex
	tried, active []uint64
}

func (r *recorder) apply(_ context.Context, data []byte, rev uint64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tried = append(r.tried, rev)
	if string(data) == string(r.bad) {
		return errors.New("refused")
	}
	r.active = append(r.active, rev)
	return nil
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fmt.Sprintf("tried %v, activated %v", r.tried, r.active)
}

// TestBundleWatchLooksBack: a revision refused leaves a watcher on the
// newest revision it takes that it had not handled: one pushed while it
// was away (it ended on the revision before, where the routers that saw
// both pushes are), or, for a new router, the newest good one. A watcher
// that saw both pushes does not go back (found by a review: a router away
// during a good push and a refused one stayed behind the fleet for good,
// and a new router never became ready).
func TestBundleWatchLooksBack(t *testing.T) {
	good1, good2, bad := buildBundle(t, ""), buildBundle(t, "second"), buildBundle(t, "refused")
	nc := kvServer(t)
	push := func(data []byte) uint64 { return pushBundle(t, nc, data) }
	var marks []natsx.BundleMark
	var mu sync.Mutex
	watch := func(seen natsx.BundleMark) (*natsx.BundleWatcher, *recorder) {
		r := &recorder{bad: bad}
		w := natsx.WatchBundles(nc, natsx.WatchConfig{Seen: seen, Apply: r.apply, Handled: func(m natsx.BundleMark) {
			mu.Lock()
			marks = append(marks, m)
			mu.Unlock()
		}})
		return w, r
	}
	lastMark := func() natsx.BundleMark {
		mu.Lock()
		defer mu.Unlock()
		return marks[len(marks)-1]
	}

	rev1 := push(good1)
	w, r := watch(natsx.BundleMark{})
	waitFor(t, "the first push", func() bool { return w.Revision() == rev1 && w.Synced() })
	w.Stop()
	away := lastMark()

	// Away for a good push and a refused one.
	rev2, rev3 := push(good2), push(bad)
	w, r = watch(away)
	waitFor(t, "the watch's start", w.Synced)
	w.Stop()
	if got, want := r.String(), fmt.Sprintf("tried [%d %d], activated [%d]", rev3, rev2, rev2); got != want {
		t.Errorf("back after two pushes: %s, want %s", got, want)
	}
	if m := lastMark(); m.Revision != rev3 {
		t.Errorf("handled up to %d, want %d", m.Revision, rev3)
	}

	// A new router.
	w, r = watch(natsx.BundleMark{})
	waitFor(t, "the new watcher's start", w.Synced)
	w.Stop()
	if got, want := r.String(), fmt.Sprintf("tried [%d %d], activated [%d]", rev3, rev2, rev2); got != want {
		t.Errorf("new router: %s, want %s", got, want)
	}

	// A watcher that sees both pushes stays on the good one.
	w, r = watch(lastMark())
	waitFor(t, "the third watcher's start", w.Synced)
	rev4 := push(good1)
	rev5 := push(bad)
	waitFor(t, "both pushes handled", func() bool { return lastMark().Revision == rev5 })
	w.Stop()
	if got, want := r.String(), fmt.Sprintf("tried [%d %d], activated [%d]", rev4, rev5, rev4); got != want {
		t.Errorf("both pushes seen: %s, want %s", got, want)
	}
}

// TestBundleWatchNoLookBackPastNewer: a refused revision does not send
// the watch back to an earlier one when a newer revision is already in
// the bucket: that one comes next (the watch activated the earlier one
// for the moment in between, a version the fleet had left). Refused too,
// the newer one looks back past the first, which it does not try again.
func TestBundleWatchNoLookBackPastNewer(t *testing.T) {
	good1, good2, good3, bad := buildBundle(t, ""), buildBundle(t, "second"), buildBundle(t, "third"), buildBundle(t, "refused")
	for _, c := range []struct {
		name string
		next []byte // pushed while the refused revision is applied
		want string // with the revisions 3 (refused) and 4 (next)
	}{
		{"good", good3, "tried [3 4], activated [4]"},
		// Apply is called once per revision: 3, refused already, is
		// not built and refused again (it was: tried [3 4 3 2]).
		{"refused", bad, "tried [3 4 2], activated [2]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			nc := kvServer(t)
			push := func(data []byte) uint64 { return pushBundle(t, nc, data) }
			rev1 := push(good1)
			away := natsx.BundleMark{Bucket: natsx.BundleBucket, Key: natsx.BundleKey, Revision: rev1}
			w := natsx.WatchBundles(nc, natsx.WatchConfig{Seen: away, Apply: (&recorder{bad: bad}).apply})
			waitFor(t, "the first watch", func() bool { return w.Revision() == rev1 && w.Synced() })
			w.Stop()
			// Away for a good push and a refused one; another comes
			// while the refused one is being applied.
			push(good2)
			rev3 := push(bad)
			r := &recorder{bad: bad}
			refusing, pushed := make(chan struct{}), make(chan struct{})
			var once sync.Once
			var last atomic.Uint64
			w = natsx.WatchBundles(nc, natsx.WatchConfig{Seen: away, Apply: func(ctx context.Context, data []byte, rev uint64) error {
				if rev == rev3 {
					once.Do(func() {
						close(refusing)
						<-pushed
					})
				}
				return r.apply(ctx, data, rev)
			}, Handled: func(m natsx.BundleMark) { last.Store(m.Revision) }})
			defer w.Stop()
			<-refusing
			rev4 := push(c.next)
			close(pushed)
			waitFor(t, "the last push", func() bool { return last.Load() == rev4 })
			if got := r.String(); got != c.want {
				t.Errorf("%s, want %s", got, c.want)
			}
		})
	}
}

// TestBundleWatchBucketReplaced: a running watch follows a bucket deleted
// and created again, whose revisions start from 1 anew (the watch of the
// old bucket waited for the revisions after the old one's last, and
// routers ignored every push to the new bucket until its revisions
// passed the old; found by a review). A push made right after the
// deletion, which creates the bucket, is the case here.
func TestBundleWatchBucketReplaced(t *testing.T) {
	v1, v2 := buildBundle(t, ""), buildBundle(t, "second")
	nc := kvServer(t)
	ctx := context.Background()
	for range 3 {
		pushBundle(t, nc, v1)
	}
	r := &recorder{}
	var mu sync.Mutex
	var started []natsx.BundleMark // the buckets the watches started on
	w := natsx.WatchBundles(nc, natsx.WatchConfig{Apply: r.apply, Resync: 20 * time.Millisecond, Started: func(m natsx.BundleMark) {
		mu.Lock()
		started = append(started, m)
		mu.Unlock()
	}})
	defer w.Stop()
	waitFor(t, "the first watch", func() bool { return w.Revision() == 3 })
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := js.DeleteKeyValue(ctx, natsx.BundleBucket); err != nil {
		t.Fatal(err)
	}
	// Created again by a push (the watch waits for it: see
	// TestBundleWatchBucketDeletedWaits).
	rev, err := natsx.PushBundle(ctx, nc, natsx.BundleBucket, natsx.BundleKey, 0, v2)
	if err != nil || rev != 1 {
		t.Fatalf("push to the new bucket: revision %d, %v", rev, err)
	}
	waitFor(t, "the push to the new bucket", func() bool { return w.Revision() == 1 })
	if w.Watches() < 2 {
		t.Errorf("%d watches, want the watch restarted on the new bucket", w.Watches())
	}
	// Each watch told the bucket it started on: the new one by its
	// creation time (what a router compares with its recorded refusal's).
	mu.Lock()
	defer mu.Unlock()
	if len(started) != int(w.Watches()) {
		t.Fatalf("Started told %d times for %d watches", len(started), w.Watches())
	}
	first, last := started[0], started[len(started)-1]
	if first.Bucket != natsx.BundleBucket || first.Revision != 0 || first.Created.IsZero() || last.Created.Equal(first.Created) {
		t.Errorf("Started told %+v first and %+v last; want the bucket, revision 0, and the new bucket's creation time last", first, last)
	}
}

// TestPushBundleTooLarge: a bundle larger than the server takes in a
// message is refused with both sizes (it was nats.go's bare "maximum
// payload exceeded").
func TestPushBundleTooLarge(t *testing.T) {
	nc := plainServer(t, &server.Options{MaxPayload: 1024})
	_, err := natsx.PushBundle(context.Background(), nc, natsx.BundleBucket, natsx.BundleKey, 0, make([]byte, 2000))
	if err == nil || !strings.Contains(err.Error(), "the bundle, 2000 bytes, is larger than the NATS server takes in a message (max_payload 1024 bytes)") {
		t.Errorf("err = %v", err)
	}
}

// TestBundleWatchNewestRefusedTold: when the key's newest revision is
// refused and the watch activates an earlier one in its place, the
// newest's refusal is told again (NewestRefused) after that activation,
// which cleared it from a router's status; the earlier revisions refused
// meanwhile are told as such, naming the revision they were tried for
// (found by a review: /v2/policies and /readyz no longer showed the
// refused push).
func TestBundleWatchNewestRefusedTold(t *testing.T) {
	good, bad := buildBundle(t, ""), buildBundle(t, "refused")
	nc := kvServer(t)
	for _, data := range [][]byte{good, bad, bad} {
		pushBundle(t, nc, data)
	}
	r := &recorder{bad: bad}
	var mu sync.Mutex
	var events []string
	w := natsx.WatchBundles(nc, natsx.WatchConfig{
		Apply: func(ctx context.Context, data []byte, rev uint64) error {
			err := r.apply(ctx, data, rev)
			if err == nil {
				mu.Lock()
				events = append(events, fmt.Sprintf("activated %d", rev))
				mu.Unlock()
			}
			return err
		},
		NewestRefused: func(rev uint64, err error, at time.Time) {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, fmt.Sprintf("newest refused %d: %v", rev, err))
			if at.IsZero() {
				t.Error("NewestRefused without the refusal's time")
			}
		},
		OnError: func(err error) {
			mu.Lock()
			events = append(events, err.Error())
			mu.Unlock()
		},
	})
	waitFor(t, "the watch's start", w.Synced)
	w.Stop()
	mu.Lock()
	defer mu.Unlock()
	want := strings.Join([]string{
		"bundle rpl_bundles/current revision 3 not activated: refused",
		"bundle rpl_bundles/current revision 2 (an earlier revision, tried after revision 3 was refused) not activated: refused",
		"activated 1",
		"newest refused 3: refused",
	}, "\n")
	if got := strings.Join(events, "\n"); got != want {
		t.Errorf("told:\n%s\nwant:\n%s", got, want)
	}
}

// TestBundleWatchBucketDeletedWaits: a bucket deleted under a running
// watch is waited for, not created again by the watch: the operator
// creates it with their own configuration (it was created again within
// the resync period with the watch's own, and the operator's
// CreateKeyValue then failed, the name in use; found by a review). The
// watch takes the new bucket's pushes once it exists.
func TestBundleWatchBucketDeletedWaits(t *testing.T) {
	v1, v2 := buildBundle(t, ""), buildBundle(t, "second")
	nc := kvServer(t)
	ctx := context.Background()
	for range 3 {
		pushBundle(t, nc, v1)
	}
	var mu sync.Mutex
	var told []string
	r := &recorder{}
	w := natsx.WatchBundles(nc, natsx.WatchConfig{Apply: r.apply, Resync: 20 * time.Millisecond, Retry: 20 * time.Millisecond, OnError: func(err error) {
		mu.Lock()
		told = append(told, err.Error())
		mu.Unlock()
	}})
	defer w.Stop()
	waitFor(t, "the first watch", func() bool { return w.Revision() == 3 })
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := js.DeleteKeyValue(ctx, natsx.BundleBucket); err != nil {
		t.Fatal(err)
	}
	// The watch finds the bucket gone, and again at its retries.
	waitFor(t, "the watch to find the bucket gone, twice", func() bool { return w.Failures() >= 2 })
	if _, err := js.KeyValue(ctx, natsx.BundleBucket); !errors.Is(err, jetstream.ErrBucketNotFound) {
		t.Fatalf("the bucket after its deletion: %v, want it not found (not created again by the watch)", err)
	}
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: natsx.BundleBucket, History: 64})
	if err != nil {
		t.Fatalf("the operator's bucket: %v", err)
	}
	rev, err := kv.Put(ctx, natsx.BundleKey, v2)
	if err != nil || rev != 1 {
		t.Fatalf("push to the new bucket: revision %d, %v", rev, err)
	}
	waitFor(t, "the push to the new bucket", func() bool { return w.Revision() == 1 })
	if st, err := kv.Status(ctx); err != nil || st.History() != 64 {
		t.Errorf("the new bucket keeps %v revisions (%v), want the operator's 64", st, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(told) != 1 || !strings.Contains(told[0], "waiting for it to be created again") {
		t.Errorf("told %q, want the wait for the bucket once", told)
	}
}

// TestRollbackTestsBoundApart: rollback reads the earlier revisions
// before it runs any test, passes over those of the current version
// untested, and runs the tests of the candidate under their own context:
// tests cut short are an error saying so, naming the candidate, not "fail
// their tests" (they ran within the NATS requests' timeout, for every
// revision; found by a review).
func TestRollbackTestsBoundApart(t *testing.T) {
	v1, v2 := buildBundle(t, ""), buildBundle(t, "second")
	_, nc := embedded(t, "")
	ctx := context.Background()
	for _, data := range [][]byte{v1, v2, v2} {
		pushBundle(t, nc, data)
	}
	expired, cancel := context.WithDeadline(ctx, time.Now().Add(-time.Second))
	defer cancel()
	_, _, _, err := natsx.RollbackBundle(ctx, nc, natsx.BundleBucket, natsx.BundleKey, natsx.RollbackOptions{Tests: expired})
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, natsx.ErrNothingToRollBack) || !strings.Contains(err.Error(), "the tests of revision 1 ") || strings.Contains(err.Error(), "fail their tests") {
		t.Fatalf("rollback with the tests' time over: %v, want the tests of revision 1 not finished (revision 2 is of the current version)", err)
	}
	from, to, rev, err := natsx.RollbackBundle(ctx, nc, natsx.BundleBucket, natsx.BundleKey, natsx.RollbackOptions{})
	if err != nil || from.Revision != 3 || to.Revision != 1 || rev != 4 {
		t.Fatalf("rollback: from %+v to %+v, revision %d, %v", from, to, rev, err)
	}
}

// TestRollbackToVersion: RollbackOptions.Version puts back the latest
// revision of the version named (whole, or by 8 of its first characters),
// not the one before the current; the current version, one the bucket
// does not keep and a name too short are refused, the key unchanged.
func TestRollbackToVersion(t *testing.T) {
	_, nc := embedded(t, "")
	ctx := context.Background()
	var vers []string
	var revs []uint64
	for _, extra := range []string{"one", "two", "three"} {
		data := buildBundle(t, extra)
		rev, err := natsx.PushBundle(ctx, nc, natsx.BundleBucket, natsx.BundleKey, 0, data)
		if err != nil {
			t.Fatal(err)
		}
		b, err := bundle.Read(data, bundle.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		vers, revs = append(vers, b.Version()), append(revs, rev)
	}
	for _, c := range []struct{ name, version, want string }{
		{"the current", vers[2][:12], "version " + vers[2] + " is the current one"},
		{"not kept", strings.Repeat("0", 64), "no revision of version " + strings.Repeat("0", 64) + " among the 3 the bucket keeps"},
		{"too short", vers[0][:7], "give the version, or 8 of its first characters at least"},
	} {
		_, _, _, err := natsx.RollbackBundle(ctx, nc, natsx.BundleBucket, natsx.BundleKey, natsx.RollbackOptions{Version: c.version})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
		// A version named is not "no earlier bundle", which is said of
		// a rollback to the one before; it is ErrNothingToRollBack all
		// the same.
		if c.name != "too short" && (err == nil || strings.Contains(err.Error(), "no earlier bundle") || !errors.Is(err, natsx.ErrNothingToRollBack)) {
			t.Errorf("%s: %v, want ErrNothingToRollBack in words of the version", c.name, err)
		}
	}
	from, to, rev, err := natsx.RollbackBundle(ctx, nc, natsx.BundleBucket, natsx.BundleKey, natsx.RollbackOptions{Version: strings.ToUpper(vers[0][:8])}) // hex in either case
	if err != nil {
		t.Fatal(err)
	}
	if from.Version != vers[2] || to.Version != vers[0] || to.Revision != revs[0] || rev <= revs[2] {
		t.Fatalf("rolled back from %+v to %+v, now %d; want %.12s at revision %d", from, to, rev, vers[0], revs[0])
	}
	// The whole version, the previous one since: a plain rollback would
	// give the same; it is named here by all of it.
	if _, to, _, err := natsx.RollbackBundle(ctx, nc, natsx.BundleBucket, natsx.BundleKey, natsx.RollbackOptions{Version: vers[1]}); err != nil || to.Version != vers[1] {
		t.Fatalf("to the whole version %.12s: %+v, %v", vers[1], to, err)
	}
	// A current revision that is no bundle, named by the sha256 of its
	// bytes, is the current one too (it was "no revision of version …:
	// push the bundle again").
	junk := []byte("not a bundle")
	pushBundle(t, nc, junk)
	sum := sha256.Sum256(junk)
	if _, _, _, err := natsx.RollbackBundle(ctx, nc, natsx.BundleBucket, natsx.BundleKey, natsx.RollbackOptions{Version: hex.EncodeToString(sum[:])[:8]}); err == nil || !strings.Contains(err.Error(), "is the current one") {
		t.Errorf("naming the current revision that is no bundle: %v", err)
	}
}

// TestRollbackNothingCounts: the refusal counts the revisions passed
// over in words that agree with the count ("1 earlier revision is
// invalid", where it said "1 earlier revisions are invalid").
func TestRollbackNothingCounts(t *testing.T) {
	_, nc := embedded(t, "")
	ctx := context.Background()
	// The same bundle before and after the junk: two builds made across
	// a second's turn would differ (their build time), and the first
	// would then be a version to roll back to.
	b := buildBundle(t, "")
	pushBundle(t, nc, b)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, natsx.BundleBucket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, natsx.BundleKey, []byte("not a bundle")); err != nil {
		t.Fatal(err)
	}
	pushBundle(t, nc, b)
	_, _, _, err = natsx.RollbackBundle(ctx, nc, natsx.BundleBucket, natsx.BundleKey, natsx.RollbackOptions{})
	if !errors.Is(err, natsx.ErrNothingToRollBack) || !strings.Contains(err.Error(), "; 1 earlier revision is invalid") {
		t.Fatalf("got %v, want ErrNothingToRollBack counting 1 invalid revision", err)
	}
}

// TestStoreBusy: the server's refusal to create a stream's store while
// one of the same name is being removed (error 10049, found wrapped) is
// what BundleKV tries again; other errors are not.
func TestStoreBusy(t *testing.T) {
	busy := &jetstream.APIError{Code: 500, ErrorCode: 10049, Description: "error creating store for stream"}
	for err, want := range map[error]bool{
		busy:                         true,
		fmt.Errorf("push: %w", busy): true,
		&jetstream.APIError{Code: 400, ErrorCode: 10058}: false,
		jetstream.ErrBucketNotFound:                      false,
		errors.New("error creating store for stream"):    false,
		nil: false,
	} {
		if got := natsx.StoreBusy(err); got != want {
			t.Errorf("storeBusy(%v) = %v, want %v", err, got, want)
		}
	}
}

// pushBundle pushes data to the bundle key and returns its revision.
func pushBundle(t *testing.T, nc *nats.Conn, data []byte) uint64 {
	t.Helper()
	rev, err := natsx.PushBundle(context.Background(), nc, natsx.BundleBucket, natsx.BundleKey, 0, data)
	if err != nil {
		t.Fatal(err)
	}
	return rev
}

// TestBundleWatchKeyDeletedTold: a deletion of the bundle key is told
// (OnError), once, however often the watch starts again, and not again
// for a purge or a deletion of the key deleted already (told each), and
// the watch goes on to the next push; a watch started after it (a new
// router, which has no version to run) says why it has nothing to
// activate. Both said nothing.
func TestBundleWatchKeyDeletedTold(t *testing.T) {
	v1 := buildBundle(t, "")
	nc := kvServer(t)
	ctx := context.Background()
	pushBundle(t, nc, v1)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, natsx.BundleBucket)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var told []string
	tell := func(err error) {
		mu.Lock()
		if errors.Is(err, natsx.ErrBundleDeleted) { // an operator's act: the router warns
			told = append(told, err.Error())
		}
		mu.Unlock()
	}
	toldOf := func(s string) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, m := range told {
			if strings.Contains(m, s) {
				n++
			}
		}
		return n
	}
	r := &recorder{}
	var deletedAt atomic.Uint64
	w := natsx.WatchBundles(nc, natsx.WatchConfig{Apply: r.apply, OnError: tell, Deleted: func(m natsx.BundleMark) { deletedAt.Store(m.Revision) }})
	defer w.Stop()
	waitFor(t, "the first push", func() bool { return w.Revision() == 1 })
	if err := kv.Delete(ctx, natsx.BundleKey); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the deletion told", func() bool { return toldOf("deleted at revision 2") == 1 })
	// Purged, and deleted again, the key deleted already: told nothing
	// more (told "purged at revision 3" and "deleted at revision 4"),
	// the Deleted of each seen first.
	if err := kv.Purge(ctx, natsx.BundleKey); err != nil {
		t.Fatal(err)
	}
	if err := kv.Delete(ctx, natsx.BundleKey); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the purge and the deletion delivered", func() bool { return deletedAt.Load() == 4 })

	// A watch started after the deletion.
	w2 := natsx.WatchBundles(nc, natsx.WatchConfig{Apply: (&recorder{}).apply, OnError: tell})
	defer w2.Stop()
	waitFor(t, "the deletion told to the new watch", func() bool { return toldOf("deleted at revision 4") == 1 })
	waitFor(t, "the new watch synced", w2.Synced)
	if rev := pushBundle(t, nc, v1); rev != 5 {
		t.Fatalf("pushed revision %d, want 5", rev)
	}
	waitFor(t, "the push after the deletion", func() bool { return w.Revision() == 5 && w2.Revision() == 5 })
	// A put, then a deletion: the key deleted anew, told.
	if err := kv.Delete(ctx, natsx.BundleKey); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the deletion after the push told", func() bool { return toldOf("deleted at revision 6") == 2 })
	if n := toldOf(""); n != 4 {
		t.Errorf("told %d deletions, want each deletion after a put once per watcher: %q", n, told)
	}
}

// slowTests is a tests' context that holds the first look at it until
// until is closed: tests that take that long.
type slowTests struct {
	context.Context
	until <-chan struct{}
	once  sync.Once
}

func (c *slowTests) wait() { c.once.Do(func() { <-c.until }) }

func (c *slowTests) Done() <-chan struct{} { c.wait(); return c.Context.Done() }
func (c *slowTests) Err() error            { c.wait(); return c.Context.Err() }

// TestRollbackTestsOutlastTimeout: the requests' context (rplc rollback's
// --timeout) bounds the requests to NATS, not the tests run under their
// own: tests that take longer than it leave the put its time. The put ran
// under the requests' context, its deadline passed during the tests, and
// a rollback whose tests passed failed "context deadline exceeded" with
// nothing put back (found by a review of rplc rollback's help, which says
// --timeout does not bound the tests). Cancelling the requests' context
// still stops the put.
func TestRollbackTestsOutlastTimeout(t *testing.T) {
	v1, v2 := buildBundle(t, ""), buildBundle(t, "second")
	_, nc := embedded(t, "")
	for _, data := range [][]byte{v1, v2} {
		pushBundle(t, nc, data)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	tests := &slowTests{Context: context.Background(), until: ctx.Done()}
	from, to, rev, err := natsx.RollbackBundle(ctx, nc, natsx.BundleBucket, natsx.BundleKey, natsx.RollbackOptions{Tests: tests})
	if err != nil || from.Revision != 2 || to.Revision != 1 || rev != 3 {
		t.Fatalf("rollback whose tests outlast the requests' timeout: from %+v to %+v, revision %d, %v; want revision 1 put back as 3", from, to, rev, err)
	}
	// Cancelled (not timed out) while the tests run: nothing is put back.
	ctx, cancel = context.WithTimeout(context.Background(), time.Minute)
	stopped := make(chan struct{})
	tests = &slowTests{Context: context.Background(), until: stopped}
	go func() { cancel(); close(stopped) }()
	if _, _, _, err := natsx.RollbackBundle(ctx, nc, natsx.BundleBucket, natsx.BundleKey, natsx.RollbackOptions{Tests: tests}); !errors.Is(err, context.Canceled) {
		t.Fatalf("rollback cancelled during its tests: %v, want context.Canceled", err)
	}
	kv, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	b, err := kv.KeyValue(context.Background(), natsx.BundleBucket)
	if err != nil {
		t.Fatal(err)
	}
	if e, err := b.Get(context.Background(), natsx.BundleKey); err != nil || e.Revision() != 3 {
		t.Fatalf("after the cancelled rollback: %v, %v; want revision 3 still", e, err)
	}
}

// TestBundleWatchHandledWhenStopped: a revision that Apply activated is
// told Handled even when the watch is stopped as Apply returns (a
// router's shutdown during the activation): Handled is what the next run
// starts from, and it applied the revision again. Only a revision that
// Apply did not take while the watch stopped is left to the next run.
func TestBundleWatchHandledWhenStopped(t *testing.T) {
	nc := kvServer(t)
	rev := pushBundle(t, nc, buildBundle(t, ""))
	for _, activated := range []bool{true, false} {
		var w *natsx.BundleWatcher
		assigned, applied := make(chan struct{}), make(chan struct{})
		var handled []uint64
		w = natsx.WatchBundles(nc, natsx.WatchConfig{
			Apply: func(ctx context.Context, _ []byte, _ uint64) error {
				<-assigned
				defer close(applied)
				go w.Stop()
				<-ctx.Done() // stopped as the activation ends
				if activated {
					return nil
				}
				return ctx.Err() // the refusal is the stop's
			},
			Handled: func(m natsx.BundleMark) { handled = append(handled, m.Revision) },
		})
		close(assigned)
		<-applied
		w.Stop() // waits for the watch
		switch {
		case activated && (len(handled) != 1 || handled[0] != rev || w.Revision() != rev):
			t.Errorf("revision %d activated as the watch stopped: handled %v, revision %d; want it handled", rev, handled, w.Revision())
		case !activated && len(handled) != 0:
			t.Errorf("revision %d not activated, the watch stopping: handled %v, want none", rev, handled)
		}
	}
}

// TestBundleWatchStalledRestarts: a watch whose consumer is gone (lost
// with a cluster's server; deleted here) delivers nothing until the
// client library finds it out, ~20 s later: the watch sees at its
// resyncs that the key has a revision it did not deliver, and restarts,
// so that the push is applied.
func TestBundleWatchStalledRestarts(t *testing.T) {
	v1, v2 := buildBundle(t, ""), buildBundle(t, "second")
	nc := kvServer(t)
	ctx := context.Background()
	pushBundle(t, nc, v1)
	r := &recorder{}
	var mu sync.Mutex
	var restarts []natsx.Restart
	w := natsx.WatchBundles(nc, natsx.WatchConfig{Apply: r.apply, Resync: 20 * time.Millisecond, Restarted: func(rs natsx.Restart) {
		mu.Lock()
		restarts = append(restarts, rs)
		mu.Unlock()
	}})
	defer w.Stop()
	waitFor(t, "the first push", func() bool { return w.Revision() == 1 })
	if n := dropConsumers(ctx, t, nc); n != 1 {
		t.Fatalf("the watch's consumers: %d, want 1", n)
	}
	rev, err := natsx.PushBundle(ctx, nc, natsx.BundleBucket, natsx.BundleKey, 0, v2)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the push after the consumer was lost", func() bool { return w.Revision() == rev })
	if w.Watches() < 2 {
		t.Errorf("%d watches, want the watch restarted", w.Watches())
	}
	// The restart is told and counted as a stall, with the revisions.
	mu.Lock()
	defer mu.Unlock()
	want := natsx.Restart{Reason: natsx.RestartStalled, Bucket: natsx.BundleBucket, Key: natsx.BundleKey, Delivered: 1, Latest: rev}
	if len(restarts) != 1 || restarts[0] != want {
		t.Errorf("restarts told: %+v, want %+v", restarts, want)
	}
	if n, all := w.Restarts(natsx.RestartStalled), w.Restarts(""); n != 1 || all != 1 {
		t.Errorf("restarts counted: %d stalled, %d in all; want 1", n, all)
	}
}

// TestBundleWatchSlowApplyNotStalled: pushes that queue while Apply runs
// long (a bundle's tests) are delivered one after the other; the resyncs
// that waited meanwhile take no healthy watch for stalled (each delivery
// is progress), so the watch is not restarted.
func TestBundleWatchSlowApplyNotStalled(t *testing.T) {
	slowWatchNotStalled(t, 3)
}

// TestBundleWatchSlowLookupNotStalled: with the resync's look-up slower
// than Resync (a loaded server), a tick is always waiting when a check or
// an Apply ends, beside the next push's update: a tick taken before that
// update, twice, found the key ahead of what was delivered twice and
// restarted a healthy watch. A waiting update is progress.
func TestBundleWatchSlowLookupNotStalled(t *testing.T) {
	natsx.SetLatestEntry(t, func(kv jetstream.KeyValue, ctx context.Context, key string) (jetstream.KeyValueEntry, error) {
		time.Sleep(50 * time.Millisecond)
		return kv.Get(ctx, key)
	})
	slowWatchNotStalled(t, 5)
}

// slowWatchNotStalled pushes a bundle, then pushes more at once to a
// watch whose Apply takes more than three resyncs, and checks that the
// watch applied the last without a restart.
func slowWatchNotStalled(t *testing.T, more int) {
	bundles := make([][]byte, more) // built first: the pushes come at once
	for i := range bundles {
		bundles[i] = buildBundle(t, fmt.Sprint("push", i))
	}
	nc := kvServer(t)
	ctx := context.Background()
	pushBundle(t, nc, buildBundle(t, ""))
	r := &recorder{}
	slow := func(ctx context.Context, data []byte, rev uint64) error {
		time.Sleep(70 * time.Millisecond) // more than three resyncs
		return r.apply(ctx, data, rev)
	}
	w := natsx.WatchBundles(nc, natsx.WatchConfig{Apply: slow, Resync: 20 * time.Millisecond})
	defer w.Stop()
	waitFor(t, "the first push", func() bool { return w.Revision() == 1 })
	var last uint64
	for _, b := range bundles {
		rev, err := natsx.PushBundle(ctx, nc, natsx.BundleBucket, natsx.BundleKey, 0, b)
		if err != nil {
			t.Fatal(err)
		}
		last = rev
	}
	waitFor(t, "the last push", func() bool { return w.Revision() == last })
	if n := w.Watches(); n != 1 {
		t.Errorf("%d watches, want 1: a healthy watch was restarted (%s)", n, r)
	}
}

// TestBundleWatchFewerReplicas: a watch asked for more copies than the
// bucket it finds has tries to raise them, and when it cannot (a lone
// server) says so, once however many times it tries again, with the
// command that raises them; Replicas is the bucket's copies.
func TestBundleWatchFewerReplicas(t *testing.T) {
	nc := kvServer(t)
	pushBundle(t, nc, buildBundle(t, ""))
	var mu sync.Mutex
	var told []error
	w := natsx.WatchBundles(nc, natsx.WatchConfig{Apply: (&recorder{}).apply, Replicas: 3, Resync: 5 * time.Millisecond, OnError: func(err error) {
		mu.Lock()
		told = append(told, err)
		mu.Unlock()
	}})
	waitFor(t, "the push", func() bool { return w.Revision() == 1 })
	if n := w.Replicas(); n != 1 {
		t.Errorf("Replicas %d, want the bucket's 1", n)
	}
	// The tries after the first, 10, 20, 40 and 60 ms after each other.
	waitFor(t, "tries again", func() bool { return natsx.RaiseTries(w) >= 6 })
	w.Stop()
	mu.Lock()
	defer mu.Unlock()
	if len(told) != 1 || !errors.Is(told[0], natsx.ErrFewerReplicas) || !strings.Contains(told[0].Error(), "bundle bucket rpl_bundles has 1, 3 asked, and raising them failed: nats: API error: code=500 err_code=10074 description=replicas > 1 not supported in non-clustered mode (nats stream edit KV_rpl_bundles --replicas 3 raises them)") {
		t.Errorf("told %v", told)
	}
}

// TestBundleWatchRaiseApart: a raise of the bucket's copies that waits
// (here held before it asks the server; on a cluster, for new copies
// not in place, up to 5 s) does not hold up the watch: the bucket's
// bundle and one pushed meanwhile are applied, and no other try starts
// while it runs. Its failure is told once it ends. The raise ran on the
// watch's goroutine, which applied nothing until it ended.
func TestBundleWatchRaiseApart(t *testing.T) {
	nc := kvServer(t)
	ctx := context.Background()
	push := func(b []byte) uint64 {
		t.Helper()
		rev, err := natsx.PushBundle(ctx, nc, natsx.BundleBucket, natsx.BundleKey, 0, b)
		if err != nil {
			t.Fatal(err)
		}
		return rev
	}
	push(buildBundle(t, ""))
	release := make(chan struct{})
	natsx.HoldRaise(t, release)
	var mu sync.Mutex
	var told []error
	rec := &recorder{}
	w := natsx.WatchBundles(nc, natsx.WatchConfig{Apply: rec.apply, Replicas: 3, Resync: 5 * time.Millisecond, OnError: func(err error) {
		mu.Lock()
		told = append(told, err)
		mu.Unlock()
	}})
	defer w.Stop()
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	defer free() // before Stop, which waits for the raise
	waitFor(t, "the bucket's bundle, the raise held", func() bool { return w.Revision() == 1 })
	rev := push(buildBundle(t, "pushed"))
	waitFor(t, "the push, the raise held", func() bool { return w.Revision() == rev })
	if n := natsx.RaiseTries(w); n != 1 {
		t.Errorf("%d tries of the raise while the first was held, want 1", n)
	}
	mu.Lock()
	if len(told) != 0 {
		t.Errorf("told %v before the raise ended", told)
	}
	mu.Unlock()
	free()
	waitFor(t, "the raise's failure told", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(told) == 1 && errors.Is(told[0], natsx.ErrFewerReplicas)
	})
	if n := w.Replicas(); n != 1 {
		t.Errorf("Replicas %d, want the bucket's 1", n)
	}
}

// dropConsumers deletes the consumers of the bundle bucket's stream, as a
// server lost with them does, and returns how many there were.
func dropConsumers(ctx context.Context, t *testing.T, nc *nats.Conn) int {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(ctx, "KV_"+natsx.BundleBucket)
	if err != nil {
		t.Fatal(err)
	}
	names := st.ConsumerNames(ctx)
	n := 0
	for name := range names.Name() {
		if err := st.DeleteConsumer(ctx, name); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if err := names.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}
