package natsx_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rpl-lang/rpl/internal/natstest"
	"github.com/rpl-lang/rpl/runtime/natsx"
)

// TestBundleWatchLeaderLost: a watch connected to the server leading
// JetStream and the bundle bucket's stream, which is stopped, takes up
// the bucket again through another server without a failure, and
// applies the next push. Its look-up of the bucket after the
// reconnection went to the lost leader and waited 10 s unanswered, a
// failure counted and told (the push applied 12 s after NATS came back);
// the requests are now tried again.
func TestBundleWatchLeaderLost(t *testing.T) {
	ns := natstest.Cluster(t, 3, 0)
	v1, v2 := buildBundle(t, ""), buildBundle(t, "second")
	ctx := context.Background()
	pc, _ := natstest.JetStream(t, ns[0].ClientURL())
	if _, err := natsx.PushBundle(ctx, pc, natsx.BundleBucket, natsx.BundleKey, 3, v1); err != nil {
		t.Fatal(err)
	}
	pc.Close()
	// The watch's connection goes to the leader first, then the others.
	leader := natstest.LeadStream(t, ns, "KV_"+natsx.BundleBucket)
	urls := []string{leader.ClientURL()}
	var left *server.Server
	for _, s := range ns {
		if s != leader {
			urls, left = append(urls, s.ClientURL()), s
		}
	}
	nc, err := nats.Connect(strings.Join(urls, ","), nats.DontRandomize(), nats.MaxReconnects(-1))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	r := &recorder{}
	var mu sync.Mutex
	var told []string
	w := natsx.WatchBundles(nc, natsx.WatchConfig{Apply: r.apply, Replicas: 3, OnError: func(err error) {
		mu.Lock()
		told = append(told, err.Error())
		mu.Unlock()
	}})
	defer w.Stop()
	waitFor(t, "the first push", func() bool { return w.Revision() == 1 })
	leader.Shutdown()
	pc, _ = natstest.JetStream(t, left.ClientURL())
	rev, err := natsx.PushBundle(ctx, pc, natsx.BundleBucket, natsx.BundleKey, 0, v2)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the push after the leader's loss", func() bool { return w.Revision() == rev })
	mu.Lock()
	defer mu.Unlock()
	if n := w.Failures(); n != 0 {
		t.Errorf("%d failures of the watch, want none: %q", n, told)
	}
}

// TestBundleWatchLookupRetried: a watch restarted (here, its consumer
// lost) whose look-up of the bucket goes unanswered, as one sent to a
// leader just lost, tries it again and applies the next push without a
// failure. The one look-up waited 10 s, a failure counted and told, and
// the watch came back a second later (a push applied 12 s after NATS
// did).
func TestBundleWatchLookupRetried(t *testing.T) {
	v1, v2 := buildBundle(t, ""), buildBundle(t, "second")
	nc := kvServer(t)
	ctx := context.Background()
	pushBundle(t, nc, v1)
	var lost atomic.Bool // the next look-up goes unanswered
	var lookups atomic.Int64
	natsx.SetLookupBucket(t, func(js jetstream.JetStream, ctx context.Context, bucket string) (jetstream.KeyValue, error) {
		lookups.Add(1)
		if lost.CompareAndSwap(true, false) {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return js.KeyValue(ctx, bucket)
	})
	r := &recorder{}
	w := natsx.WatchBundles(nc, natsx.WatchConfig{Apply: r.apply, Resync: 20 * time.Millisecond})
	defer w.Stop()
	waitFor(t, "the first push", func() bool { return w.Revision() == 1 })
	lost.Store(true)
	dropConsumers(ctx, t, nc)
	rev, err := natsx.PushBundle(ctx, nc, natsx.BundleBucket, natsx.BundleKey, 0, v2)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the push after the restart", func() bool { return w.Revision() == rev })
	if n := w.Failures(); n != 0 || lookups.Load() < 2 {
		t.Errorf("%d failures, %d look-ups; want none, the look-up tried again", n, lookups.Load())
	}
}

// TestBundleStoredLeaderLost: BundleStored asked through a server of a
// cluster just after the server leading JetStream and the bucket's
// stream is stopped answers yes once they have new leaders, within its
// context (10 s here). Its one look-up of the bucket went to the lost
// leader and waited all of the context, unanswered, and said no (a
// failure to ask is no) though a bundle was stored.
func TestBundleStoredLeaderLost(t *testing.T) {
	ns := natstest.Cluster(t, 3, 0)
	ctx := context.Background()
	pc, _ := natstest.JetStream(t, ns[0].ClientURL())
	if _, err := natsx.PushBundle(ctx, pc, natsx.BundleBucket, natsx.BundleKey, 3, buildBundle(t, "")); err != nil {
		t.Fatal(err)
	}
	pc.Close()
	_, left := natstest.StopLeader(t, ns, "KV_"+natsx.BundleBucket)
	nc, _ := natstest.JetStream(t, left.ClientURL())
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if !natsx.BundleStored(sctx, nc, natsx.BundleBucket, natsx.BundleKey) {
		t.Error("BundleStored after the leader's loss: no, want yes")
	}
}

// TestBundleWatchLookBackRetried: a watch whose read of the key's
// history, after a revision is refused, goes unanswered once (as one
// sent to a leader just lost) reads it again and activates the revision
// before the refused one. The one read waited 5 s, failed, and the
// watch stayed without a bundle.
func TestBundleWatchLookBackRetried(t *testing.T) {
	good, bad := buildBundle(t, ""), buildBundle(t, "refused")
	nc := kvServer(t)
	rev1, rev2 := pushBundle(t, nc, good), pushBundle(t, nc, bad)
	var reads atomic.Int64
	natsx.SetHistory(t, func(kv jetstream.KeyValue, ctx context.Context, key string) ([]jetstream.KeyValueEntry, error) {
		if reads.Add(1) == 1 {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return kv.History(ctx, key)
	})
	r := &recorder{bad: bad}
	var mu sync.Mutex
	var told []string
	w := natsx.WatchBundles(nc, natsx.WatchConfig{Apply: r.apply, OnError: func(err error) {
		mu.Lock()
		told = append(told, err.Error())
		mu.Unlock()
	}})
	waitFor(t, "the watch's start", w.Synced)
	w.Stop()
	if got, want := r.String(), fmt.Sprintf("tried [%d %d], activated [%d]", rev2, rev1, rev1); got != want {
		t.Errorf("%s, want %s; told %q", got, want, told)
	}
}

// TestBundleWatchStallCheckFailed: a resync whose read of the key fails
// tells nothing of a stall: a watch whose consumer is lost, with every
// other read failing, is restarted for the stall at the next read that
// finds the key as far ahead as the one before. A failed read was taken
// for no stall and the count began again, so that a stall was found at
// the second answered check after a failed one (13 s after a push,
// where 10 s were said), and here never (the client library's own new
// consumer, ~20 s later, delivers the push without a restart).
func TestBundleWatchStallCheckFailed(t *testing.T) {
	v1, v2 := buildBundle(t, ""), buildBundle(t, "second")
	nc := kvServer(t)
	ctx := context.Background()
	pushBundle(t, nc, v1)
	var reads atomic.Int64
	natsx.SetLatestEntry(t, func(kv jetstream.KeyValue, ctx context.Context, key string) (jetstream.KeyValueEntry, error) {
		if reads.Add(1)%2 == 0 {
			return nil, errors.New("no answer") // not tried again
		}
		return kv.Get(ctx, key)
	})
	r := &recorder{}
	w := natsx.WatchBundles(nc, natsx.WatchConfig{Apply: r.apply, Resync: 20 * time.Millisecond})
	defer w.Stop()
	waitFor(t, "the first push", func() bool { return w.Revision() == 1 })
	dropConsumers(ctx, t, nc)
	rev, err := natsx.PushBundle(ctx, nc, natsx.BundleBucket, natsx.BundleKey, 0, v2)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the watch restarted for the stall", func() bool { return w.Restarts(natsx.RestartStalled) > 0 })
	waitFor(t, "the push after the restart", func() bool { return w.Revision() == rev })
}
