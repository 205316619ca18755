package natsx

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rpl-lang/rpl/compiler/bundle"
)

// Policy bundles travel through a JetStream key-value bucket: `rplc push`
// puts a bundle (.rplb) under BundleKey of BundleBucket, and every router
// watches that key and activates each new value (see WatchBundles).
const (
	BundleBucket = "rpl_bundles"
	BundleKey    = "current"
)

// BundleKV returns the bundle bucket, creating it when missing.
func BundleKV(ctx context.Context, js jetstream.JetStream, bucket string) (jetstream.KeyValue, error) {
	kv, err := js.KeyValue(ctx, bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      bucket,
			Description: "RPL policy bundles (rplc push); routers activate the latest",
			History:     10,
		})
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = js.KeyValue(ctx, bucket)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("bundle bucket %s: %w", bucket, err)
	}
	return kv, nil
}

// PushBundle puts data, an encoded bundle, under key of bucket (created
// when missing) and returns the new revision.
func PushBundle(ctx context.Context, nc *nats.Conn, bucket, key string, data []byte) (uint64, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return 0, err
	}
	kv, err := BundleKV(ctx, js, bucket)
	if err != nil {
		return 0, err
	}
	return kv.Put(ctx, key, data)
}

// WatchConfig configures WatchBundles.
type WatchConfig struct {
	// Bucket and Key name the value watched; "" means BundleBucket and
	// BundleKey.
	Bucket, Key string
	// Apply builds and activates a bundle (the engine swaps snapshots
	// atomically); an error keeps the running version. Apply is called
	// from one goroutine, once per distinct value: a value already
	// applied (or refused) is not applied again when the watch restarts.
	Apply func(ctx context.Context, data []byte, revision uint64) error
	// OnError is told about watch and apply failures; may be nil.
	OnError func(error)
	// Retry is the pause before restarting a failed watch; 0 means 1s.
	Retry time.Duration
}

// BundleWatcher follows the bundle key. It survives lost connections:
// when the connection comes back (or the watch fails) the watch restarts
// and delivers the key's latest value, so a bundle pushed meanwhile is
// activated.
type BundleWatcher struct {
	nc      *nats.Conn
	cfg     WatchConfig
	cancel  context.CancelFunc
	done    chan struct{}
	applied atomic.Uint64 // revision of the last value applied successfully
	watches atomic.Int64  // watches started (1 + restarts)

	mu   sync.Mutex
	seen [sha256.Size]byte // the last value handed to Apply
	any  bool
}

// WatchBundles starts watching; Stop ends it.
func WatchBundles(nc *nats.Conn, cfg WatchConfig) *BundleWatcher {
	if cfg.Bucket == "" {
		cfg.Bucket = BundleBucket
	}
	if cfg.Key == "" {
		cfg.Key = BundleKey
	}
	if cfg.Retry <= 0 {
		cfg.Retry = time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &BundleWatcher{nc: nc, cfg: cfg, cancel: cancel, done: make(chan struct{})}
	go w.run(ctx)
	return w
}

// Stop ends the watch and waits for an Apply in progress.
func (w *BundleWatcher) Stop() {
	w.cancel()
	<-w.done
}

// Revision is the revision of the last bundle applied, 0 if none.
func (w *BundleWatcher) Revision() uint64 { return w.applied.Load() }

// Watches is the number of watches started (1 plus the restarts).
func (w *BundleWatcher) Watches() int64 { return w.watches.Load() }

var errReconnected = errors.New("connection re-established")

func (w *BundleWatcher) run(ctx context.Context) {
	defer close(w.done)
	status := w.nc.StatusChanged(nats.CONNECTED, nats.DISCONNECTED, nats.RECONNECTING)
	defer w.nc.RemoveStatusListener(status)
	for ctx.Err() == nil {
		err := w.watch(ctx, status)
		if ctx.Err() != nil {
			return
		}
		if err != nil && !errors.Is(err, errReconnected) && w.cfg.OnError != nil {
			w.cfg.OnError(fmt.Errorf("watching %s/%s: %w", w.cfg.Bucket, w.cfg.Key, err))
		}
		if errors.Is(err, errReconnected) {
			continue // watch again at once: the latest value comes first
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(w.cfg.Retry):
		}
	}
}

// watch runs one watch until it fails, the connection comes back after a
// loss, or ctx ends.
func (w *BundleWatcher) watch(ctx context.Context, status chan nats.Status) error {
	// Wait for a connection rather than failing requests meanwhile.
	for !w.nc.IsConnected() {
		if w.nc.IsClosed() {
			return nats.ErrConnectionClosed
		}
		select {
		case <-ctx.Done():
			return nil
		case <-status:
		case <-time.After(100 * time.Millisecond):
		}
	}
	// Status changes before this point are the past.
	for len(status) > 0 {
		<-status
	}
	js, err := jetstream.New(w.nc)
	if err != nil {
		return err
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	kv, err := BundleKV(sctx, js, w.cfg.Bucket)
	cancel()
	if err != nil {
		return err
	}
	wctx, wcancel := context.WithCancel(ctx)
	defer wcancel()
	watcher, err := kv.Watch(wctx, w.cfg.Key)
	if err != nil {
		return err
	}
	defer watcher.Stop()
	w.watches.Add(1)
	lost := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case st := <-status:
			switch st {
			case nats.DISCONNECTED, nats.RECONNECTING:
				lost = true
			case nats.CONNECTED:
				if lost {
					return errReconnected
				}
			}
		case e, ok := <-watcher.Updates():
			if !ok {
				return errors.New("watch ended")
			}
			if e == nil || e.Operation() != jetstream.KeyValuePut {
				continue // nil: the initial values are delivered
			}
			w.apply(ctx, e.Value(), e.Revision())
		}
	}
}

func (w *BundleWatcher) apply(ctx context.Context, data []byte, rev uint64) {
	sum := sha256.Sum256(data)
	w.mu.Lock()
	same := w.any && sum == w.seen
	w.seen, w.any = sum, true
	w.mu.Unlock()
	if same {
		return
	}
	if err := w.cfg.Apply(ctx, data, rev); err != nil {
		if w.cfg.OnError != nil {
			w.cfg.OnError(fmt.Errorf("bundle %s/%s revision %d not activated: %w", w.cfg.Bucket, w.cfg.Key, rev, err))
		}
		return
	}
	w.applied.Store(rev)
}

// ErrNothingToRollBack is RollbackBundle's answer when the bucket keeps
// no earlier valid bundle of another version than the current one.
var ErrNothingToRollBack = errors.New("no earlier bundle to roll back to")

// BundleEntry is one revision of the bundle key.
type BundleEntry struct {
	Revision uint64
	Version  string // the bundle's version (bundle.Bundle.Version)
}

// RollbackBundle puts back, under key of bucket, the latest earlier
// bundle that reads as a valid bundle (format and hashes; a corrupt push
// that the routers refused is passed over) of another version than the
// current one, so that every router watching the key activates it: the
// fleet's rollback. It returns the revision rolled back from, the one
// restored and the new revision. The put is conditional on the current
// revision, so a push made meanwhile is not overwritten (the call fails
// instead and can be repeated).
func RollbackBundle(ctx context.Context, nc *nats.Conn, bucket, key string) (from, to BundleEntry, rev uint64, err error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return from, to, 0, err
	}
	kv, err := js.KeyValue(ctx, bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return from, to, 0, fmt.Errorf("bundle bucket %s: %w (nothing was pushed there: rplc push puts bundles in it)", bucket, err)
	}
	if err != nil {
		return from, to, 0, fmt.Errorf("bundle bucket %s: %w", bucket, err)
	}
	hist, err := kv.History(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return from, to, 0, fmt.Errorf("%s/%s: %w (nothing was pushed under this key: see --key)", bucket, key, err)
	}
	if err != nil {
		return from, to, 0, fmt.Errorf("%s/%s: %w", bucket, key, err)
	}
	cur := hist[len(hist)-1]
	from.Revision = cur.Revision()
	if cur.Operation() != jetstream.KeyValuePut {
		return from, to, 0, fmt.Errorf("%s/%s: the key was deleted at revision %d", bucket, key, from.Revision)
	}
	if b, err := bundle.Read(cur.Value(), bundle.ReadOptions{}); err == nil {
		from.Version = b.Version()
	}
	var data []byte
	for i := len(hist) - 2; i >= 0 && data == nil; i-- {
		e := hist[i]
		if e.Operation() != jetstream.KeyValuePut {
			continue
		}
		if b, err := bundle.Read(e.Value(), bundle.ReadOptions{}); err == nil && b.Version() != from.Version {
			to, data = BundleEntry{Revision: e.Revision(), Version: b.Version()}, e.Value()
		}
	}
	if data == nil {
		return from, to, 0, fmt.Errorf("%s/%s: %w (the bucket keeps %d revisions)", bucket, key, ErrNothingToRollBack, len(hist))
	}
	rev, err = kv.Update(ctx, key, data, from.Revision)
	if err != nil {
		return from, to, 0, fmt.Errorf("%s/%s: putting back revision %d: %w", bucket, key, to.Revision, err)
	}
	return from, to, rev, nil
}
