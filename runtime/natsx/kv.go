package natsx

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/internal/repeats"
	rt "github.com/rpl-lang/rpl/runtime"
)

// Policy bundles travel through a JetStream key-value bucket: `rplc push`
// puts a bundle (.rplb) under BundleKey of BundleBucket, and every router
// watches that key and activates each new value (see WatchBundles).
const (
	BundleBucket = "rpl_bundles"
	BundleKey    = "current"
)

// BundleKV returns the bundle bucket, creating it when missing, with
// replicas copies on a JetStream cluster (0 means 1; a bucket that exists
// keeps its own: RaiseReplicas raises them). A bucket just
// deleted may leave its stream's store behind for a moment, and the
// server then refuses to create it again (storeBusy): the creation is
// tried again, for about 2.5 s at most (within ctx), before that is an
// error.
//
// The look-up and the creation are tried again (see retried) while the
// bucket's stream or JetStream has no leader to answer them.
func BundleKV(ctx context.Context, js jetstream.JetStream, bucket string, replicas int) (jetstream.KeyValue, error) {
	kv, err := retried(ctx, func(ctx context.Context) (jetstream.KeyValue, error) {
		return bundleKV(ctx, js, bucket, replicas)
	})
	if err != nil {
		return nil, fmt.Errorf("bundle bucket %s: %w", bucket, err)
	}
	return kv, nil
}

// attemptTimeout is how long the first attempt of a request to
// JetStream waits for its answer (see retried); each one after waits
// twice as long as the one before, up to maxAttemptTimeout.
const (
	attemptTimeout    = 2 * time.Second
	maxAttemptTimeout = 8 * time.Second
)

// noRespondersAttempts is how many times retried tries a request that
// no one answers: a server without JetStream answers none, and is told
// at once; a JetStream server starting answers soon.
const noRespondersAttempts = 3

// retried runs op, a request to JetStream, with a timeout of
// attemptTimeout (doubled at each attempt, up to maxAttemptTimeout;
// all within ctx), and again, after a pause, while it fails as a
// request does that the leader of a stream (or JetStream's) lost with
// its server never answers, or that a stream without a leader refuses
// (see leaderless): the leader elected in its place, in a few seconds,
// answers a later attempt. One request waiting all of ctx's time was
// lost with the leader and failed at ctx's end, though a new leader was
// elected seconds before. op failing so until ctx's end is an error
// that says so (wrapping op's, and ctx's when it ended).
func retried[T any](ctx context.Context, op func(context.Context) (T, error)) (T, error) {
	start := time.Now()
	timeout, pause := attemptTimeout, 50*time.Millisecond
	for attempt, noResponders := 1, 0; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, timeout)
		v, err := op(actx)
		cancel()
		if err == nil || !leaderless(err) {
			return v, err
		}
		if errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse) {
			if noResponders++; noResponders == noRespondersAttempts {
				return v, err
			}
		}
		if ctx.Err() == nil {
			select {
			case <-time.After(pause):
				pause, timeout = min(2*pause, time.Second), min(2*timeout, maxAttemptTimeout)
				continue
			case <-ctx.Done():
			}
		}
		if !errors.Is(err, ctx.Err()) {
			err = fmt.Errorf("%w: %w", ctx.Err(), err)
		}
		return v, fmt.Errorf("%w (no answer in %s, %s: the bucket's stream or JetStream may have no leader, an election in progress or too few of its servers up; try again)",
			err, time.Since(start).Round(10*time.Millisecond), rt.Count(attempt, "attempt"))
	}
}

// leaderless reports whether err, a JetStream request's, is one that a
// stream or JetStream without a leader makes: no answer in time (the
// request went to a leader since lost), no responders, or the server's
// refusal while it has no leader (JetStream temporarily unavailable,
// 10008; the cluster cannot handle the request, 10009; the stream
// offline, 10118; the last sequence of a subject unknown for now,
// 10163).
func leaderless(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse) {
		return true
	}
	switch c, _ := apiErrorOf(err); c {
	case 10008, 10009, 10118, 10163:
		return true
	}
	return false
}

// bundleKV is BundleKV, one attempt.
func bundleKV(ctx context.Context, js jetstream.JetStream, bucket string, replicas int) (jetstream.KeyValue, error) {
	kv, err := js.KeyValue(ctx, bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		for wait := 10 * time.Millisecond; ; wait *= 2 {
			kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
				Bucket:      bucket,
				Description: "RPL policy bundles (rplc push); routers activate the latest",
				History:     10,
				Replicas:    max(replicas, 1),
			})
			if errors.Is(err, jetstream.ErrBucketExists) {
				kv, err = js.KeyValue(ctx, bucket)
			}
			if !storeBusy(err) || wait > time.Second {
				break
			}
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return nil, err
			}
		}
	}
	if err != nil {
		if apiError(err, 10074) {
			return nil, fmt.Errorf("%w (%d copies asked of a server that is no JetStream cluster's)", err, replicas)
		}
		return nil, err
	}
	return kv, nil
}

// RaiseReplicas raises the copies of bucket, a key-value bucket that
// exists (its stream, KV_ and its name), to replicas when it has fewer,
// as JetStream does for a stream on a cluster, and returns the copies it
// had (0 when there is no such bucket: BundleKV creates it with
// replicas). It never lowers them: a bucket with more keeps them. A
// failure to raise them (a lone server, or fewer servers up than
// replicas) is an error wrapping ErrFewerReplicas that gives the
// command to raise them by hand; so is ctx's end before the new copies
// are in place.
func RaiseReplicas(ctx context.Context, js jetstream.JetStream, bucket string, replicas int) (had int, err error) {
	return raiseCopies(ctx, js, bucket, replicas, false)
}

// raiseCopies is RaiseReplicas; settled also checks a bucket that has
// replicas copies or more already (raised by an earlier try that gave up
// waiting for them, or by another) for them in place, an error wrapping
// ErrFewerReplicas when they are not, on the stream's one look-up.
func raiseCopies(ctx context.Context, js jetstream.JetStream, bucket string, replicas int, settled bool) (had int, err error) {
	st, err := retried(ctx, func(ctx context.Context) (jetstream.Stream, error) { return js.Stream(ctx, "KV_"+bucket) })
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("bundle bucket %s: %w", bucket, err)
	}
	info := st.CachedInfo()
	sc := info.Config
	had = max(sc.Replicas, 1)
	if replicas <= had {
		if settled && !infoInPlace(info, had) {
			return had, fmt.Errorf("%w: bundle bucket %s: its copies raised to %d, not all in place yet", ErrFewerReplicas, bucket, had)
		}
		return had, nil
	}
	sc.Replicas = replicas
	// The same update made again is no change: one whose answer was
	// lost with the leader can be.
	if _, err := retried(ctx, func(ctx context.Context) (jetstream.Stream, error) { return js.UpdateStream(ctx, sc) }); err != nil {
		return had, fmt.Errorf("%w: bundle bucket %s has %d, %d asked, and raising them failed: %w (nats stream edit KV_%s --replicas %d raises them)", ErrFewerReplicas, bucket, had, replicas, err, bucket, replicas)
	}
	// The stream takes its new copies in a moment, with a leader of
	// them: a put meanwhile went unanswered until its timeout.
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		if inPlace(ctx, st, replicas) {
			return had, nil
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return had, fmt.Errorf("%w: bundle bucket %s: its copies raised from %d to %d, not all in place yet: %w", ErrFewerReplicas, bucket, had, replicas, ctx.Err())
		}
	}
}

// inPlace reports whether stream st has its replicas copies, a leader
// and the others current.
func inPlace(ctx context.Context, st jetstream.Stream, replicas int) bool {
	info, err := retried(ctx, func(ctx context.Context) (*jetstream.StreamInfo, error) { return st.Info(ctx) })
	return err == nil && infoInPlace(info, replicas)
}

// infoInPlace reports whether the stream of info has its replicas
// copies, a leader and the others current.
func infoInPlace(info *jetstream.StreamInfo, replicas int) bool {
	return info.Cluster != nil && info.Cluster.Leader != "" && len(info.Cluster.Replicas) == replicas-1 &&
		!slices.ContainsFunc(info.Cluster.Replicas, func(p *jetstream.PeerInfo) bool { return !p.Current })
}

// MaxReplicas is the most copies JetStream keeps of a stream, a
// key-value bucket's included.
const MaxReplicas = 5

// ReplicasProblem refuses the value n of flag (copies of a stream) when
// JetStream would refuse it, 0 (the default) aside.
func ReplicasProblem(flag string, n int) error {
	if n < 0 || n > MaxReplicas {
		return fmt.Errorf("%s %d: want 1 to %d copies (JetStream keeps at most %d), or 0 for the default", flag, n, MaxReplicas, MaxReplicas)
	}
	return nil
}

// storeBusy reports whether err is the server's refusal to create a
// stream's store (JetStream's error 10049), as it answers while the store
// of a stream of that name just deleted is still being removed.
func storeBusy(err error) bool { return apiError(err, 10049) }

// apiError reports whether err is JetStream's error code.
func apiError(err error, code jetstream.ErrorCode) bool {
	c, _ := apiErrorOf(err)
	return c == code
}

// BundleStored reports whether key of bucket holds a value: a bundle a
// watch of it will apply. A bucket that does not exist, or a failure to
// ask within ctx, is no (see CurrentEntry).
func BundleStored(ctx context.Context, nc *nats.Conn, bucket, key string) bool {
	e, err := CurrentEntry(ctx, nc, bucket, key)
	return err == nil && e != nil
}

// CurrentEntry returns the entry under key of bucket, nil (and no error)
// when the bucket or the key does not exist; each request is tried again
// (retried) while it goes unanswered or JetStream says it has no leader.
func CurrentEntry(ctx context.Context, nc *nats.Conn, bucket, key string) (jetstream.KeyValueEntry, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	kv, err := retried(ctx, func(ctx context.Context) (jetstream.KeyValue, error) { return js.KeyValue(ctx, bucket) })
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	e, err := retried(ctx, func(ctx context.Context) (jetstream.KeyValueEntry, error) { return kv.Get(ctx, key) })
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil
	}
	return e, err
}

// PushBundle puts data, an encoded bundle, under key of bucket (created
// when missing, with replicas copies: see BundleKV) and returns the new
// revision. A bundle larger than the
// server takes in a message is an error that gives both sizes.
func PushBundle(ctx context.Context, nc *nats.Conn, bucket, key string, replicas int, data []byte) (uint64, error) {
	if max := nc.MaxPayload(); max > 0 && int64(len(data)) > max {
		return 0, fmt.Errorf("the bundle, %d bytes, is larger than the NATS server takes in a message (max_payload %d bytes): raise max_payload in the server's configuration (at most 64 MB; the embedded server of rpl-router takes 8 MiB)", len(data), max)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return 0, err
	}
	kv, err := BundleKV(ctx, js, bucket, replicas)
	if err != nil {
		return 0, noJetStream(err)
	}
	var before uint64 // the key's revision before the put
	e, err := retried(ctx, func(ctx context.Context) (jetstream.KeyValueEntry, error) { return kv.Get(ctx, key) })
	switch {
	case err == nil:
		before = e.Revision()
	case !errors.Is(err, jetstream.ErrKeyNotFound):
		return 0, noJetStream(fmt.Errorf("%s/%s: %w", bucket, key, err))
	}
	rev, err := retriedPut(ctx, kv, key, data, before, func(ctx context.Context) (uint64, error) { return kv.Put(ctx, key, data) })
	if err != nil {
		return 0, noJetStream(fmt.Errorf("%s/%s: %w", bucket, key, err))
	}
	return rev, nil
}

// retriedPut runs put, which stores data under key of kv, as retried
// does; before an attempt after the first, the key's latest revision is
// read: when it is data and newer than before, it is the put of an
// earlier attempt whose answer was lost (with the stream's leader), and
// its revision is returned rather than storing data once more.
func retriedPut(ctx context.Context, kv jetstream.KeyValue, key string, data []byte, before uint64, put func(context.Context) (uint64, error)) (uint64, error) {
	tried := false
	return retried(ctx, func(ctx context.Context) (uint64, error) {
		if tried {
			e, err := kv.Get(ctx, key)
			if err == nil && e.Revision() > before && bytes.Equal(e.Value(), data) {
				return e.Revision(), nil
			}
			if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
				return 0, err
			}
		}
		tried = true
		return put(ctx)
	})
}

// noJetStream adds to err, when it is a NATS deployment's answer that it
// has no JetStream (no responders to the JetStream API's requests: a
// nats-server without -js), that the bundle bucket needs JetStream.
func noJetStream(err error) error {
	if errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount) {
		return fmt.Errorf("%w (the NATS deployment has no JetStream: the bundle bucket needs it, nats-server -js)", err)
	}
	return err
}

// RedactURL is the NATS URL u, or comma-separated list of URLs, with the
// secret of each one's user information replaced by "xxxxx" (a token
// alone, or a user's password), for logs and error messages; nats.go's
// ConnectedUrlRedacted keeps a token. A URL without a scheme
// (HOST:PORT, TOKEN@HOST:PORT), which nats.go takes as nats://, is read
// as nats.go reads it and given without the scheme, as it was written:
// it was said not to parse, a connection's failure to such a URL read
// "NATS (a URL that does not parse): no servers available". A URL that
// does not parse (a port that is no number) is given with all between
// its scheme and its last @ redacted, if it has one: it is what a
// *url.Error of the client library's names.
func RedactURL(u string) string {
	parts := strings.Split(u, ",")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		bare := p != "" && !strings.Contains(p, "://")
		if bare {
			p = "nats://" + p
		}
		pu, err := url.Parse(p)
		if err != nil {
			if at := strings.LastIndexByte(p, '@'); at >= 0 {
				from := 0 // the user information's start
				if k := strings.Index(p[:at], "://"); k >= 0 {
					from = k + len("://")
				}
				p = p[:from] + "xxxxx" + p[at:]
			}
			if bare {
				p = strings.TrimPrefix(p, "nats://")
			}
			parts[i] = p
			continue
		}
		if pu.User != nil {
			if _, ok := pu.User.Password(); ok {
				pu.User = url.UserPassword(pu.User.Username(), "xxxxx")
			} else {
				pu.User = url.User("xxxxx") // a token
			}
		}
		parts[i] = pu.String()
		if bare {
			parts[i] = strings.TrimPrefix(parts[i], "nats://")
		}
	}
	return strings.Join(parts, ",")
}

// RedactError is err, a failure to connect to a URL, with the URL that a
// *url.Error in it names redacted (RedactURL): nats.Connect's error for
// a URL that does not parse names it whole, token or password included
// (parse "nats://TOKEN@HOST:port": invalid port).
func RedactError(err error) error {
	if ue := (*url.Error)(nil); errors.As(err, &ue) {
		ue.URL = RedactURL(ue.URL)
	}
	return err
}

// BundleMark names one revision of the bundle key. A bucket deleted and
// created again numbers its revisions from 1 anew: Created, the creation
// time of the bucket's stream, tells the two apart.
type BundleMark struct {
	Bucket   string    `json:"bucket"`
	Key      string    `json:"key"`
	Created  time.Time `json:"created"`
	Revision uint64    `json:"revision"`
}

// SameBucket reports whether o names a revision of the bucket and key m
// names, the same bucket since its creation (not one deleted and created
// again).
func (m BundleMark) SameBucket(o BundleMark) bool {
	return m.Bucket == o.Bucket && m.Key == o.Key && m.Created.Equal(o.Created)
}

// covers reports whether o is m's revision or an earlier one of the same
// bucket.
func (m BundleMark) covers(o BundleMark) bool {
	return m.Revision > 0 && m.SameBucket(o) && o.Revision <= m.Revision
}

// WatchConfig configures WatchBundles.
type WatchConfig struct {
	// Bucket and Key name the value watched; "" means BundleBucket and
	// BundleKey.
	Bucket, Key string
	// Replicas are the copies of the bucket when the watch creates it
	// (see BundleKV); a bucket with fewer has them raised to Replicas at
	// the watch's first start (RaiseReplicas; the raise runs apart from
	// the watch, which applies the bundles pushed while it waits for the
	// new copies), never lowered. When that fails (the cluster has
	// fewer JetStream servers than Replicas, or the new copies are not
	// in place within 5 s, a server being down) it is tried again at
	// each start of a watch and, while a watch runs, Resync after a try,
	// the pause doubling up to 12 Resyncs (a minute by default), until
	// the copies are in place (BundleWatcher.Replicas).
	Replicas int
	// ReplicasRaised, when set, is told that the watch raised the
	// bucket's copies from had to Replicas. A failure to raise them is
	// told to OnError once, not at each retry (ErrFewerReplicas). It is
	// called from Apply's goroutine.
	ReplicasRaised func(had, replicas int)
	// Apply builds and activates a bundle (the engine swaps snapshots
	// atomically); an error keeps the running version. Apply is called
	// from one goroutine, once per revision: each put is a push, so a
	// new revision is applied even when its value is the same bundle as
	// before (pushed again after a local rollback), and a revision
	// already applied (or refused) is not applied again when the watch
	// restarts and delivers it anew.
	Apply func(ctx context.Context, data []byte, revision uint64) error
	// Seen is the last revision handled (applied or refused) before
	// this watcher, by an earlier run of the process: it and the
	// revisions before it are not applied, so that a restart does not
	// put the bucket's value back over a later activation. It counts
	// only for the same bucket (see BundleMark); the zero mark applies
	// the key's current value.
	Seen BundleMark
	// Started, when set, is told the bucket each watch starts on (a mark
	// of revision 0), before the watch delivers anything: a bucket
	// deleted and created again since an earlier watch, or an earlier
	// run, has another Created. It is called from Apply's goroutine.
	Started func(BundleMark)
	// Handled, when set, is called after Apply with the revision's mark,
	// whether the bundle was activated or refused (but not when Apply
	// failed because the watch was stopping): what to keep as Seen for
	// the next run.
	Handled func(BundleMark)
	// NewestRefused, when set, is told, after Apply refused revision rev
	// and the revisions before it were tried in its place (see
	// BundleWatcher), rev's refusal and when it came: the activation or
	// the refusals of the earlier revisions came after it, while it is
	// the key's value, the push that the status must keep reporting. It
	// is called from Apply's goroutine, after Apply, before Handled.
	NewestRefused func(rev uint64, err error, at time.Time)
	// Deleted, when set, is told each deletion (or purge) of the key the
	// watch delivers, its mark: the revisions before it are no longer
	// the key's value, nor will they be applied. A watch started again
	// delivers the key's latest deletion again. It is called from
	// Apply's goroutine.
	Deleted func(BundleMark)
	// OnError is told about watch and apply failures; may be nil. A
	// watch failing again as it did before is told once a minute
	// (repeats.Every), not at every retry (a deployment without
	// JetStream fails every Retry).
	OnError func(error)
	// Retry is the pause before restarting a failed watch; 0 means 1s.
	Retry time.Duration
	// Restarted, when set, is told each restart of a watch that did not
	// fail (Restart.Reason), before the watch starts again: its consumer
	// behind the key at two resyncs, the connection back after a loss,
	// the bucket deleted or replaced. It is called from Apply's
	// goroutine.
	Restarted func(Restart)
	// Resync is how often a watch checks that the bucket is still the
	// one it started on: a bucket deleted and created again numbers its
	// revisions from 1 anew, which the watch of the old one, waiting for
	// the revisions after the old one's last, would never deliver. The
	// watch then restarts on the new bucket. It also checks that the
	// watch is not behind the key: a watch's consumer lost with a
	// cluster's server delivers nothing until the client library finds
	// it gone and makes another, ~20 s later; a watch behind the same
	// revision at two resyncs in a row is restarted: at the second
	// resync after a push, 15 s after it at most by default (see
	// BundleWatcher.resync; a resync whose look-ups fail tells
	// nothing). 0 means 5s.
	Resync time.Duration
}

// BundleWatcher follows the bundle key. It survives lost connections:
// when the connection comes back (or the watch fails, or the bucket is
// deleted and created again) the watch restarts and delivers the key's
// latest value, so a bundle pushed meanwhile is activated. The bucket is
// created when missing at the watch's first start only: one deleted under
// a running watch is waited for (looked up every Retry) and not made
// again, so that an operator can create it anew with a configuration of
// their own (more history, say).
//
// A revision that Apply refuses leaves the router on the newest revision
// it takes among those not handled yet: the watch looks back through the
// key's history for it. A router that was away while a good bundle and
// then a refused one were pushed thus ends where the routers that saw both
// are, on the good one, and so does a new router.
type BundleWatcher struct {
	nc      *nats.Conn
	cfg     WatchConfig
	cancel  context.CancelFunc
	done    chan struct{}
	applied atomic.Uint64 // revision of the last value applied successfully
	watches atomic.Int64  // watches started (1 + restarts)
	// restarts counts the restarts by reason, in RestartReasons' order.
	restarts [len(restartReasons)]atomic.Int64
	failed   atomic.Int64 // watches that failed (before or after starting)
	synced   atomic.Bool  // a watch has handed over the key's value at its start
	// tried is closed when a first watch has synced or failed (WaitSynced).
	tried     chan struct{}
	triedOnce sync.Once
	up        atomic.Bool // a watch runs over a connection that is up (Up)
	// started: a watch found the bucket (the run's goroutine only); from
	// then on a missing bucket is not created but waited for.
	started bool
	// toldDeleted is the key's last deletion the watch delivered, while
	// no put came after it (the run's goroutine only; the zero mark
	// otherwise): a watch started again delivers it again, and the
	// deletions after it are of a key deleted already, told once.
	toldDeleted BundleMark
	// raise is where the raise of the bucket's copies to Replicas is
	// (the run's goroutine only): not tried yet, failing (tried again
	// after raiseWait), or over (raised, or none to raise); short is
	// the copies the bucket had, and toldRaise whether ErrFewerReplicas
	// was told. A try runs on a goroutine of its own, which can wait
	// lookupTimeout for the new copies, while the watch applies the
	// bundles pushed meanwhile (it held them up to 5 s): raising says
	// one runs, raised takes its result to the watch, and run waits for
	// the tries' goroutines (tries) before it ends.
	raise      raiseState
	short      int
	raiseWait  time.Duration
	toldRaise  bool
	raising    bool
	raised     chan raiseResult
	tries      sync.WaitGroup
	replicas   atomic.Int64 // the bucket's copies, as a watch last found or raised them
	raiseTries atomic.Int64 // tries to raise them

	mu   sync.Mutex
	seen BundleMark // the last revision handled
	// floor is where a look-back through the key's history stops
	// (applyEarlier): seen, but after a refused revision whose look-back
	// was left to a newer one already pushed, the floor before it.
	floor BundleMark
	// refused are the revisions after floor that Apply refused while a
	// newer one was pushed already: a look-back skips them, Apply being
	// called once per revision (it built and refused them again).
	refused []BundleMark
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
	if cfg.Resync <= 0 {
		cfg.Resync = 5 * time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &BundleWatcher{nc: nc, cfg: cfg, cancel: cancel, done: make(chan struct{}), tried: make(chan struct{}), raised: make(chan raiseResult, 1), seen: cfg.Seen, floor: cfg.Seen}
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

// Synced reports whether a watch has handled the key's value at its
// start: applied it, or passed it over as handled before (WatchConfig.Seen
// or an earlier watch), or found no value.
func (w *BundleWatcher) Synced() bool { return w.synced.Load() }

// WaitSynced waits until a watch has handled the key's value at its
// start (Synced), a watch has failed (a NATS without JetStream fails at
// once: OnError is told why), or ctx ends, and reports whether one has
// handled the key's value.
func (w *BundleWatcher) WaitSynced(ctx context.Context) bool {
	select {
	case <-w.tried:
	case <-ctx.Done():
	}
	return w.Synced()
}

// settled ends WaitSynced's waits: a watch synced or failed.
func (w *BundleWatcher) settled() { w.triedOnce.Do(func() { close(w.tried) }) }

// Up reports whether a watch runs: it started on the bucket and its
// connection has not been lost since. It is false while the watcher
// waits for the connection, retries a failed watch (a deployment without
// JetStream, the bucket deleted) or restarts one (the connection back,
// the bucket replaced), and once it is stopped: bundles pushed meanwhile
// are delivered when it runs again.
func (w *BundleWatcher) Up() bool { return w.up.Load() }

// Replicas is the bucket's copies, as a watch last found them or raised
// them to WatchConfig.Replicas; 0 before a watch found the bucket. Fewer
// than WatchConfig.Replicas: the raise failed, and is tried again.
func (w *BundleWatcher) Replicas() int { return int(w.replicas.Load()) }

// Watches is the number of watches started (1 plus the restarts).
func (w *BundleWatcher) Watches() int64 { return w.watches.Load() }

// Restarts is the number of watches restarted for reason (one of
// RestartReasons), or for any when it is "": restarts that are no
// failure (Failures counts those).
func (w *BundleWatcher) Restarts(reason string) int64 {
	var n int64
	for i, r := range restartReasons {
		if reason == "" || reason == r {
			n += w.restarts[i].Load()
		}
	}
	return n
}

// Failures is the number of watches that failed, each retried after
// WatchConfig.Retry.
func (w *BundleWatcher) Failures() int64 { return w.failed.Load() }

var (
	errReconnected = errors.New("connection re-established")
	errReplaced    = errors.New("bucket deleted, or deleted and created again")
	errStalled     = errors.New("watch behind the key at two resyncs in a row")
)

// The reasons a watch restarts without failing (Restart.Reason,
// BundleWatcher.Restarts): RestartStalled, its consumer behind the key
// at two resyncs in a row (lost with a cluster's server);
// RestartReconnected, the connection back after a loss; RestartReplaced,
// the bucket deleted, or deleted and created again.
const (
	RestartStalled     = "stalled"
	RestartReconnected = "reconnected"
	RestartReplaced    = "replaced"
)

// RestartReasons are the reasons a watch restarts, each a counter of
// BundleWatcher.Restarts.
func RestartReasons() []string { return slices.Clone(restartReasons[:]) }

var restartReasons = [...]string{RestartStalled, RestartReconnected, RestartReplaced}

// Restart is a restart of the bundle watch (WatchConfig.Restarted).
type Restart struct {
	Reason      string // one of RestartReasons
	Bucket, Key string
	// Delivered and Latest, for a stall: the last revision of the key
	// the watch delivered (0: none), and the key's newer one, the same at
	// two resyncs.
	Delivered, Latest uint64
}

// stalledError is the stall of a watch: the revisions of its Restart.
type stalledError struct{ delivered, latest uint64 }

func (stalledError) Error() string        { return errStalled.Error() }
func (stalledError) Is(target error) bool { return target == errStalled }

// restartReason is the index in restartReasons of the reason of err, a
// watch's end that is no failure, and -1 for another.
func restartReason(err error) int {
	for i, is := range [...]error{errStalled, errReconnected, errReplaced} { // restartReasons' order
		if errors.Is(err, is) {
			return i
		}
	}
	return -1
}

// ErrFewerReplicas is what OnError is told (errors.Is), once, of a bucket
// that has fewer copies than WatchConfig.Replicas asks and whose copies
// could not be raised (RaiseReplicas's error); the raise is tried again
// until it succeeds, which WatchConfig.ReplicasRaised is told.
var ErrFewerReplicas = errors.New("fewer copies of the bundle bucket than asked")

// ErrWatch is what OnError is told (errors.Is) of a failure of the watch
// itself (the bucket's look-up, the connection, the consumer: a JetStream
// election, a server lost), which the watch tries again every Retry;
// the others it is told are of a revision (refused, deleted) or of the
// bucket's copies.
var ErrWatch = errors.New("bundle watch failed")

// watchError is a failure of the watch (ErrWatch), its message err's.
type watchError struct{ error }

func (e watchError) Is(target error) bool { return target == ErrWatch }
func (e watchError) Unwrap() error        { return e.error }

// ErrBundleDeleted is what OnError is told of a deletion (or a purge) of
// the bundle key is (errors.Is): an operator's act, not a failure.
var ErrBundleDeleted = errors.New("bundle key deleted")

// versionError is why the version a rollback names is not one to roll
// back to: ErrNothingToRollBack, said of that version (the sentinel's
// own words, "no earlier bundle", do not fit a version named).
type versionError string

func (e versionError) Error() string      { return string(e) }
func (versionError) Is(target error) bool { return target == ErrNothingToRollBack }

// deletedError is the message told of a deletion, ErrBundleDeleted.
type deletedError string

func (e deletedError) Error() string      { return string(e) }
func (deletedError) Is(target error) bool { return target == ErrBundleDeleted }

// lookupTimeout bounds the read of the key's history when a revision is
// refused (applyEarlier), the look-ups of a resync together (replaced,
// latest) and a try of the raise of the bucket's copies (tryRaise): a
// server that
// does not answer must not hold the watch. Within it, each request is
// tried again (retried) after 2 s unanswered or refused for want of a
// leader: one lost with a leader waited the whole 5 s and gave a wrong
// answer (no revision, no history) though a new leader answered a
// second later.
const lookupTimeout = 5 * time.Second

func (w *BundleWatcher) run(ctx context.Context) {
	defer close(w.done)
	defer w.tries.Wait() // ctx ended: a try of the raise returns at once
	status := w.nc.StatusChanged(nats.CONNECTED, nats.DISCONNECTED, nats.RECONNECTING)
	defer w.nc.RemoveStatusListener(status)
	var told repeats.Filter
	for ctx.Err() == nil {
		err := w.watch(ctx, status)
		if ctx.Err() != nil {
			return
		}
		reason := restartReason(err)
		again := reason >= 0
		if again {
			w.restarts[reason].Add(1)
			if w.cfg.Restarted != nil {
				rs := Restart{Reason: restartReasons[reason], Bucket: w.cfg.Bucket, Key: w.cfg.Key}
				if st := (stalledError{}); errors.As(err, &st) {
					rs.Delivered, rs.Latest = st.delivered, st.latest
				}
				w.cfg.Restarted(rs)
			}
		}
		if err != nil && !again {
			w.failed.Add(1)
		}
		if err != nil && !again && w.cfg.OnError != nil {
			if errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrJetStreamNotEnabled) {
				err = fmt.Errorf("%w (the NATS deployment has no JetStream: bundles pushed with rplc push need it, nats-server -js)", err)
			}
			err = fmt.Errorf("watching %s/%s: %w", w.cfg.Bucket, w.cfg.Key, err)
			if told.Tell(err) {
				w.cfg.OnError(watchError{err})
			}
		}
		if err != nil && !again {
			w.settled()
		}
		if again {
			continue // watch again at once: the latest value comes first
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(w.cfg.Retry):
		}
	}
}

// lookupBucket is the watch's look-up of a bucket it watched before
// (a test makes it go unanswered).
var lookupBucket = jetstream.JetStream.KeyValue

// history is the watch's read of a key's history (applyEarlier; a test
// makes it go unanswered).
var history = func(kv jetstream.KeyValue, ctx context.Context, key string) ([]jetstream.KeyValueEntry, error) {
	return kv.History(ctx, key)
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
	// Each request tried again (retried) while it goes unanswered or
	// JetStream says it has no leader: one request, waiting the whole
	// 10 s, held the watch that long after a reconnection or a leader's
	// loss, though the new leader answered a second later.
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	var kv jetstream.KeyValue
	if w.started {
		// Deleted since (errReplaced), or while the connection was lost:
		// waited for, not created (the operator's to create).
		kv, err = retried(sctx, func(ctx context.Context) (jetstream.KeyValue, error) { return lookupBucket(js, ctx, w.cfg.Bucket) })
		if errors.Is(err, jetstream.ErrBucketNotFound) {
			err = fmt.Errorf("bundle bucket %s: %w (deleted: waiting for it to be created again, as rplc push does)", w.cfg.Bucket, err)
		}
	} else {
		kv, err = BundleKV(sctx, js, w.cfg.Bucket, w.cfg.Replicas)
	}
	var st jetstream.KeyValueStatus
	if err == nil {
		st, err = retried(sctx, kv.Status)
	}
	cancel()
	if err != nil {
		return err
	}
	w.started = true
	var created time.Time
	if bs, ok := st.(*jetstream.KeyValueBucketStatus); ok {
		created = bs.StreamInfo().Created
		have := max(bs.StreamInfo().Config.Replicas, 1)
		if w.raise == raiseUntried {
			w.raise, w.short, w.raiseWait = raiseOver, have, w.cfg.Resync
			w.replicas.Store(int64(have))
			if have < w.cfg.Replicas {
				w.raise = raiseFailing
			}
		}
		if w.raise == raiseFailing {
			w.tryRaise(ctx, js) // Replicas stays the copies in place before
		} else {
			w.replicas.Store(int64(have))
		}
	}
	// While the raise fails, it is tried again raiseWait after a try.
	var raiseRetry <-chan time.Time
	wctx, wcancel := context.WithCancel(ctx)
	defer wcancel()
	watcher, err := kv.Watch(wctx, w.cfg.Key)
	if err != nil {
		return err
	}
	defer watcher.Stop()
	w.watches.Add(1)
	w.up.Store(true)
	defer w.up.Store(false)
	if w.cfg.Started != nil {
		w.cfg.Started(BundleMark{Bucket: w.cfg.Bucket, Key: w.cfg.Key, Created: created})
	}
	resync := time.NewTicker(w.cfg.Resync)
	defer resync.Stop()
	lost := false
	var delivered, behind uint64 // the last revision delivered; the key's newer one at the last resync
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-raiseRetry:
			raiseRetry = nil
			w.tryRaise(ctx, js)
		case r := <-w.raised:
			w.raising = false
			if !w.raiseDone(ctx, r) && ctx.Err() == nil {
				raiseRetry = time.After(w.raiseWait)
				w.raiseWait = min(2*w.raiseWait, raiseRetryMax*w.cfg.Resync)
			}
		case <-resync.C:
			// An update waiting to be read is progress that the loop has
			// not reached yet (an Apply ran past the tick: a bundle's
			// tests), no sign of a stall; and the tick, chosen before it,
			// found the key ahead of what was delivered twice in a row
			// when Apply outlasted two checks.
			if len(watcher.Updates()) > 0 {
				continue
			}
			if err := w.resync(ctx, kv, created, delivered, &behind); err != nil {
				return err
			}
		case st := <-status:
			switch st {
			case nats.DISCONNECTED, nats.RECONNECTING:
				lost = true
				w.up.Store(false)
			case nats.CONNECTED:
				if lost {
					return errReconnected
				}
			}
		case e, ok := <-watcher.Updates():
			if !ok {
				return errors.New("watch ended")
			}
			if e == nil { // the key's value at the watch's start is handled
				w.synced.Store(true)
				w.settled()
				continue
			}
			// Progress: a tick that waited while Apply ran (a bundle's
			// tests) is no sign of a stall.
			delivered, behind = e.Revision(), 0
			if e.Operation() != jetstream.KeyValuePut {
				m := BundleMark{Bucket: w.cfg.Bucket, Key: w.cfg.Key, Created: created, Revision: e.Revision()}
				if w.cfg.Deleted != nil {
					w.cfg.Deleted(m)
				}
				w.deleted(m, e.Operation())
				continue
			}
			w.toldDeleted = BundleMark{} // the key has a value again
			w.apply(ctx, kv, BundleMark{Bucket: w.cfg.Bucket, Key: w.cfg.Key, Created: created, Revision: e.Revision()}, e.Value())
		}
	}
}

// raiseState is where the raise of the bucket's copies is.
type raiseState uint8

const (
	raiseUntried raiseState = iota // no watch found the bucket yet
	raiseFailing                   // the bucket has fewer copies than asked, and raising them failed
	raiseOver                      // raised, or none to raise
)

// raiseRetryMax bounds the pause between two tries of a raise that
// fails, in Resyncs (a minute by default).
const raiseRetryMax = 12

// raiseResult is the result of a try of the raise: the copies the
// bucket had (0: no bucket), and the failure.
type raiseResult struct {
	had int
	err error
}

// raiseTried, when set, is called by each try of the raise before it
// asks the server (tests).
var raiseTried func()

// tryRaise starts a try to raise the bucket's copies to Replicas, unless
// one runs: its result comes on w.raised.
func (w *BundleWatcher) tryRaise(ctx context.Context, js jetstream.JetStream) {
	if w.raising {
		return
	}
	w.raising = true
	w.raiseTries.Add(1)
	w.tries.Add(1)
	go func() {
		defer w.tries.Done()
		if raiseTried != nil {
			raiseTried()
		}
		rctx, cancel := context.WithTimeout(ctx, lookupTimeout)
		defer cancel()
		had, err := raiseCopies(rctx, js, w.cfg.Bucket, w.cfg.Replicas, true)
		w.raised <- raiseResult{had, err}
	}()
}

// raiseDone takes the result r of a try of the raise, and reports
// whether the copies are raised: the first failure is told to OnError,
// the others not (one told per failing spell); the raise is then told to
// ReplicasRaised.
func (w *BundleWatcher) raiseDone(ctx context.Context, r raiseResult) bool {
	switch {
	case ctx.Err() != nil:
		return false // stopping
	case r.err != nil:
		if !w.toldRaise && w.cfg.OnError != nil {
			w.cfg.OnError(r.err)
		}
		w.toldRaise = true
		return false
	case r.had == 0:
		return false // the bucket gone meanwhile: the watch finds out (replaced)
	}
	w.raise, w.toldRaise = raiseOver, false
	w.replicas.Store(int64(max(r.had, w.cfg.Replicas)))
	if w.short < w.cfg.Replicas && w.cfg.ReplicasRaised != nil {
		w.cfg.ReplicasRaised(w.short, w.cfg.Replicas)
	}
	return true
}

// deleted tells OnError that revision m of the key is a deletion (or a
// purge), which the watch passes over: the running version stays, and a
// router without one (started after it) waits for a push, which it said
// nothing of. It is told once while the key has no value: not again when
// a watch started again delivers it anew, nor for a deletion or a purge
// of the key deleted already (nats kv del, then nats kv purge to drop
// its history), which told the same twice, until a put
// (w.toldDeleted).
func (w *BundleWatcher) deleted(m BundleMark, op jetstream.KeyValueOp) {
	told := w.toldDeleted
	w.toldDeleted = m
	if w.cfg.OnError == nil || told.SameBucket(m) {
		return
	}
	what := "deleted"
	if op == jetstream.KeyValuePurge {
		what = "purged"
	}
	w.cfg.OnError(deletedError(fmt.Sprintf("bundle %s/%s %s at revision %d: no bundle to activate there (the running version, if any, stays) until one is pushed (rplc push)", m.Bucket, m.Key, what, m.Revision)))
}

// resync checks, every Resync, that the bucket kv names is still the one
// created at created (errReplaced when not) and that the watch, which
// delivered revision delivered last, is not behind the key: behind is the
// key's newer revision at the check before (0: none), and the same one
// newer at this check is a stall (a stalledError). The check's look-ups
// (replaced, latest) have lookupTimeout together, each tried again after
// 2 s unanswered (retried); a check they fail tells nothing, and leaves
// behind as it was.
//
// A push is thus found stalled at the second check after it, answered:
// the first comes a Resync after it at most, the second a Resync after
// the first (right after it, when the first's look-ups took longer),
// and the stall is found once the second's look-ups are answered
// (milliseconds when the stream has a leader, lookupTimeout at most):
// 15 s at most by default, Resync + max(Resync, lookupTimeout) +
// lookupTimeout in general. 10 s were said, and 13 s measured: a check
// whose look-up was lost with a leader waited 5 s, a look-up each, and
// its failure was taken for no stall, the count begun again.
func (w *BundleWatcher) resync(ctx context.Context, kv jetstream.KeyValue, created time.Time, delivered uint64, behind *uint64) error {
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	gone, last, ok := w.replaced(ctx, kv, created)
	switch {
	case gone:
		return errReplaced
	case !ok:
		return nil
	case last <= delivered: // the bucket has nothing after it, of any key
		*behind = 0
		return nil
	}
	rev, ok := w.latest(ctx, kv)
	switch {
	case !ok:
	case rev <= delivered:
		*behind = 0
	case rev == *behind:
		return stalledError{delivered: delivered, latest: rev}
	default:
		*behind = rev
	}
	return nil
}

// latestEntry is the watch's read of the key's latest value at a resync
// (a test makes it fail).
var latestEntry = jetstream.KeyValue.Get

// latest is the key's latest revision that kv holds a value of, 0 when
// it holds none; ok is false when it could not be asked.
func (w *BundleWatcher) latest(ctx context.Context, kv jetstream.KeyValue) (rev uint64, ok bool) {
	e, err := retried(ctx, func(ctx context.Context) (jetstream.KeyValueEntry, error) { return latestEntry(kv, ctx, w.cfg.Key) })
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound): // none, or deleted
		return 0, true
	case err != nil:
		return 0, false
	}
	return e.Revision(), true
}

// replaced reports whether the bucket that kv names is gone, or is another
// than the one created at created, and its last revision (of any key);
// ok is false when it could not be told. A failure to ask (a timeout) is
// not taken for a yes.
func (w *BundleWatcher) replaced(ctx context.Context, kv jetstream.KeyValue, created time.Time) (gone bool, last uint64, ok bool) {
	st, err := retried(ctx, kv.Status)
	if err != nil {
		gone = errors.Is(err, jetstream.ErrStreamNotFound) || errors.Is(err, jetstream.ErrBucketNotFound)
		return gone, 0, gone
	}
	bs, ok := st.(*jetstream.KeyValueBucketStatus)
	if !ok {
		return false, 0, false
	}
	return !bs.StreamInfo().Created.Equal(created), bs.StreamInfo().State.LastSeq, true
}

// apply hands revision m of the key to Apply unless it was handled
// already: by this watcher before the watch restarted, or by an earlier
// run (WatchConfig.Seen). When Apply refuses it, the newest earlier
// revision not handled yet that Apply takes is applied instead
// (applyEarlier), and m's refusal is told again (NewestRefused).
func (w *BundleWatcher) apply(ctx context.Context, kv jetstream.KeyValue, m BundleMark, data []byte) {
	w.mu.Lock()
	prev, floor, refused := w.seen, w.floor, w.refused
	w.mu.Unlock()
	if prev.covers(m) {
		return
	}
	next, nextRefused := m, []BundleMark(nil) // the floor after m
	err := w.try(ctx, m, data, 0)
	if err != nil {
		at := time.Now()
		tried, newer := w.applyEarlier(ctx, kv, floor, refused, m)
		switch {
		case newer:
			next, nextRefused = floor, append(refused[:len(refused):len(refused)], m)
		case tried && ctx.Err() == nil && w.cfg.NewestRefused != nil:
			w.cfg.NewestRefused(m.Revision, err, at)
		}
	}
	if err != nil && ctx.Err() != nil {
		// Stopping: not handled, to be applied by the next run. An
		// activation is handled whatever came after it: it was not
		// told Handled when the watch was stopped as Apply returned,
		// and the next run applied the revision again.
		return
	}
	w.mu.Lock()
	w.seen, w.floor, w.refused = m, next, nextRefused
	w.mu.Unlock()
	if w.cfg.Handled != nil {
		w.cfg.Handled(m)
	}
}

// try hands revision m to Apply: Apply's error when it refused it (told
// to OnError) or failed because the watch is stopping. newest is the
// revision refused whose earlier revisions are being tried
// (applyEarlier), 0 when m is the one the watch delivered.
func (w *BundleWatcher) try(ctx context.Context, m BundleMark, data []byte, newest uint64) error {
	err := w.cfg.Apply(ctx, data, m.Revision)
	if err == nil {
		w.applied.Store(m.Revision)
		return nil
	}
	if ctx.Err() == nil && w.cfg.OnError != nil {
		what := ""
		if newest != 0 {
			what = fmt.Sprintf(" (an earlier revision, tried after revision %d was refused)", newest)
		}
		w.cfg.OnError(fmt.Errorf("bundle %s/%s revision %d%s not activated: %w", w.cfg.Bucket, w.cfg.Key, m.Revision, what, err))
	}
	return err
}

// applyEarlier applies, after revision m was refused, the newest revision
// before it that was not handled yet (floor: the last handled, see
// BundleWatcher.floor) and that Apply takes, trying them newest first,
// but for those refused already (BundleWatcher.refused); it stops at a
// revision handled already (what runs is that one, or newer) and at a
// deletion of the key. It reports whether it handed Apply a
// revision (activated or refused). It tries none, and reports newer, when
// the key has a newer bundle than m already: the watch delivers that one
// next (and, refused, looks back past m), where an earlier one activated
// meanwhile would be a version the fleet has left.
func (w *BundleWatcher) applyEarlier(ctx context.Context, kv jetstream.KeyValue, floor BundleMark, refused []BundleMark, m BundleMark) (tried, newer bool) {
	hctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	hist, err := retried(hctx, func(ctx context.Context) ([]jetstream.KeyValueEntry, error) { return history(kv, ctx, m.Key) })
	cancel()
	if err != nil {
		if ctx.Err() == nil && w.cfg.OnError != nil {
			w.cfg.OnError(fmt.Errorf("bundle %s/%s: looking for a revision before %d to activate: %w", w.cfg.Bucket, w.cfg.Key, m.Revision, err))
		}
		return false, false
	}
	for i := len(hist) - 1; i >= 0 && ctx.Err() == nil; i-- {
		e := hist[i]
		if e.Revision() > m.Revision && e.Operation() == jetstream.KeyValuePut {
			return false, true
		}
		if e.Revision() >= m.Revision {
			continue
		}
		em := m
		em.Revision = e.Revision()
		if floor.covers(em) || e.Operation() != jetstream.KeyValuePut {
			return tried, false
		}
		if slices.ContainsFunc(refused, func(r BundleMark) bool { return r.Revision == em.Revision && r.SameBucket(em) }) {
			continue
		}
		tried = true
		if w.try(ctx, em, e.Value(), m.Revision) == nil {
			return true, false
		}
	}
	return tried, false
}

// ErrNothingToRollBack is RollbackBundle's answer when the bucket keeps
// no earlier valid bundle of another version than the current one.
var ErrNothingToRollBack = errors.New("no earlier bundle to roll back to")

// ErrUnverifiedRollback is RollbackBundle's answer, without a public key,
// when the current bundle is signed and the earlier one it would put back
// is not signed with the same key: routers that require signatures would
// refuse it and stay where they are.
var ErrUnverifiedRollback = errors.New("the earlier bundle is not signed with the key of the current one")

// BundleEntry is one revision of the bundle key.
type BundleEntry struct {
	Revision uint64
	Version  string // the bundle's version (bundle.Bundle.Version)
}

// RollbackOptions are RollbackBundle's.
type RollbackOptions struct {
	// Read reads the bundles; with a PublicKey, only bundles signed with
	// it are put back (the key the routers require).
	Read bundle.ReadOptions
	// Limits are those the policies' tests run under (the routers' and
	// rplc build's: bundle.TestLimits; lower ones are stricter).
	Limits rpl.Limits
	// Tests bounds the policies' tests (nil: the ctx of the requests).
	Tests context.Context
	// Version, when set, names the version to put back, whole or by
	// runtime.MinVersionPrefix of its first characters at least: its
	// latest revision is put back, rather than the latest of another
	// version than the current one.
	Version string
}

// RollbackBundle puts back, under key of bucket, the latest earlier
// bundle of another version than the current one (of o.Version, when
// given) that passes the checks of bundle.Accept with o.Read and o.Limits
// (format and hashes, the signature when o.Read has a public key, and the
// policies' tests), so that every router watching the key activates it:
// the fleet's rollback. A corrupt push, one that routers requiring that
// key refused, or one whose tests fail is passed over. It returns the
// revision rolled back from, the one restored and the new revision. The
// put is conditional on the current revision, so a push made meanwhile
// is not overwritten (the call fails instead and can be repeated).
//
// ctx bounds the requests to NATS; o.Tests (nil: ctx) bounds the
// policies' tests, which run for a candidate only: the earlier revisions
// are read first, and those of the current version are passed over
// unrun. Tests cut short by o.Tests' end are an error saying so (wrapping
// its context.DeadlineExceeded or context.Canceled), not a refusal of the
// revision. With o.Tests given, the time spent between the reads and the
// put (reading the revisions, the tests) does not count against ctx's
// deadline: the put has what the reads left of it (ctx cancelled still
// stops it).
//
// Without a public key signatures cannot be verified: when the current
// bundle is signed (or, when it is not a bundle, the newest signed one
// before it), RollbackBundle does not put back a bundle that is unsigned
// or signed with another key (ErrUnverifiedRollback), which the routers
// requiring signatures would refuse.
func RollbackBundle(ctx context.Context, nc *nats.Conn, bucket, key string, o RollbackOptions) (from, to BundleEntry, rev uint64, err error) {
	opts, limits, tests := o.Read, o.Limits, o.Tests
	if tests == nil {
		tests = ctx
	}
	if opts.PublicKey != nil {
		opts.RequireSignature = true
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return from, to, 0, err
	}
	kv, err := retried(ctx, func(ctx context.Context) (jetstream.KeyValue, error) { return js.KeyValue(ctx, bucket) })
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return from, to, 0, fmt.Errorf("bundle bucket %s: %w (nothing was pushed there: rplc push puts bundles in it)", bucket, err)
	}
	if err != nil {
		return from, to, 0, fmt.Errorf("bundle bucket %s: %w", bucket, noJetStream(err))
	}
	hist, err := retried(ctx, func(ctx context.Context) ([]jetstream.KeyValueEntry, error) { return kv.History(ctx, key) })
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return from, to, 0, fmt.Errorf("%s/%s: %w (nothing was pushed under this key: see --key)", bucket, key, err)
	}
	if err != nil {
		return from, to, 0, fmt.Errorf("%s/%s: %w", bucket, key, err)
	}
	read := time.Now() // the requests' time stops here, until the put
	cur := hist[len(hist)-1]
	from.Revision = cur.Revision()
	if cur.Operation() != jetstream.KeyValuePut {
		return from, to, 0, fmt.Errorf("%s/%s: the key was deleted at revision %d: the routers kept their version; push the bundle wanted (rplc push)", bucket, key, from.Revision)
	}
	env, err := rpl.NewEnv()
	if err != nil {
		return from, to, 0, err
	}
	if opts.Builtins == nil {
		opts.Builtins = env.Builtins()
	}
	// The current bundle is read without the key: it may be one the
	// routers refused, and its version is what is rolled back from.
	var curB *bundle.Bundle
	if b, err := bundle.Read(cur.Value(), bundle.ReadOptions{Builtins: opts.Builtins}); err == nil {
		curB, from.Version = b, b.Version()
	}
	// The current revision's version even when it is no bundle: naming
	// it is naming the current one.
	wanted, err := wantedVersion(hist, o.Version, versionOf(cur.Value()))
	if err != nil {
		return from, to, 0, fmt.Errorf("%s/%s: %w", bucket, key, err)
	}
	var data []byte
	var target *bundle.Bundle
	invalid, failing := 0, 0
	var newestFail string // why the newest revision whose tests fail does
	for i := len(hist) - 2; i >= 0 && data == nil; i-- {
		e := hist[i]
		if e.Operation() != jetstream.KeyValuePut || wanted != "" && versionOf(e.Value()) != wanted {
			continue
		}
		if wanted != "" && invalid+failing > 0 {
			break // the revisions of one version are the same bytes: refused once, refused all
		}
		// Read first: a revision of the current version is no candidate,
		// and its tests need not run.
		b, err := bundle.Read(e.Value(), opts)
		if err != nil {
			invalid++
			continue
		}
		if b.Version() == from.Version {
			continue
		}
		if err := b.TestsPass(tests, env, limits); err != nil {
			if cerr := tests.Err(); cerr != nil {
				return from, to, 0, fmt.Errorf("%s/%s: the tests of revision %d (version %s) did not finish: %w; nothing was put back", bucket, key, e.Revision(), b.Version(), cerr)
			}
			if failing++; failing == 1 {
				newestFail = fmt.Sprintf(", the newest, revision %d: %v", e.Revision(), err)
			}
			continue
		}
		to, data, target = BundleEntry{Revision: e.Revision(), Version: b.Version()}, e.Value(), b
	}
	if data == nil {
		// n revisions (of) and the verb agreeing: "1 earlier revision
		// is", "2 earlier revisions are".
		which := func(n int, of, is, are string) string {
			one, many := "earlier revision", "earlier revisions"
			if wanted != "" {
				one, many, of = "revision of version "+wanted, "revisions of version "+wanted, ""
			}
			if n == 1 {
				return fmt.Sprintf("1 %s%s %s", one, of, is)
			}
			return fmt.Sprintf("%d %s%s %s", n, many, of, are)
		}
		why := ""
		if invalid > 0 && opts.PublicKey != nil {
			why = fmt.Sprintf("; %s invalid or not signed with key %s", which(invalid, "", "is", "are"), bundle.KeyID(opts.PublicKey))
		} else if invalid > 0 {
			why = "; " + which(invalid, "", "is", "are") + " invalid"
		}
		if failing > 0 {
			why += "; " + which(failing, " of another version", "fails its tests", "fail their tests") + newestFail
		}
		if len(hist) == 1 && wanted == "" {
			// The first push: what the routers ran before it (their
			// --policies) is no revision of the bucket.
			why += "; to go back to what the routers ran before the first push, push it (rplc build, then rplc push), or POST /v2/policies/rollback to each router"
		}
		return from, to, 0, fmt.Errorf("%s/%s: %w (the bucket keeps %s%s)", bucket, key, ErrNothingToRollBack, rt.Count(len(hist), "revision"), why)
	}
	// The signatures the routers may require: the current bundle's, or
	// when it is not a bundle (the routers refused it and kept theirs),
	// the newest signed one before it.
	ref, refWhat := curB, "the current bundle is signed"
	for i := len(hist) - 2; ref == nil && i >= 0; i-- {
		if b, err := bundle.Read(hist[i].Value(), bundle.ReadOptions{Builtins: opts.Builtins}); hist[i].Operation() == jetstream.KeyValuePut && err == nil && b.Signed {
			ref, refWhat = b, fmt.Sprintf("and the current revision is not a bundle: revision %d, the newest signed before it, is signed", hist[i].Revision())
		}
	}
	if opts.PublicKey == nil && ref != nil && ref.Signed && (!target.Signed || target.KeyID != ref.KeyID) {
		signed := "unsigned"
		if target.Signed {
			signed = "signed with key " + target.KeyID
		}
		how := "Give their public key (rplc rollback --public-key FILE) to roll back to the latest revision signed with it, or push the bundle wanted with rplc push"
		if wanted != "" {
			how = "Push a build of it signed with their key (rplc build --sign, rplc push)"
		}
		return from, to, 0, fmt.Errorf("%s/%s: revision %d (version %s) is %s, %s with key %s: %w; routers that require signatures would refuse it. %s",
			bucket, key, to.Revision, to.Version, signed, refWhat, ref.KeyID, ErrUnverifiedRollback, how)
	}
	pctx, cancel := ctx, context.CancelFunc(func() {})
	if o.Tests != nil {
		pctx, cancel = after(ctx, time.Since(read))
	}
	defer cancel()
	rev, err = retriedPut(pctx, kv, key, data, from.Revision, func(ctx context.Context) (uint64, error) { return kv.Update(ctx, key, data, from.Revision) })
	if err != nil {
		return from, to, 0, fmt.Errorf("%s/%s: putting back revision %d: %w", bucket, key, to.Revision, err)
	}
	return from, to, rev, nil
}

// after is ctx with its deadline, if it has one, later by d: the time
// spent on work that its deadline does not bound (a rollback's tests, which
// --timeout does not bound, took rplc rollback's put past it, and a
// rollback whose tests took longer than --timeout failed after they
// passed). Cancelling ctx cancels it still; only its deadline is moved.
func after(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok || d <= 0 {
		return context.WithCancel(ctx)
	}
	c, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline.Add(d))
	stop := context.AfterFunc(ctx, func() {
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			cancel() // cancelled, not timed out
		}
	})
	return c, func() { stop(); cancel() }
}

// versionOf is the version of a bundle file: its sha256
// (bundle.Bundle.Version), whether or not it reads as a bundle.
func versionOf(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

// wantedVersion is the version RollbackOptions.Version names among the
// revisions of hist before the current one (current: its version):
// "" when none is named. The name is a whole version or a prefix of
// runtime.MinVersionPrefix characters at least, of exactly one version
// there, and not the current one.
func wantedVersion(hist []jetstream.KeyValueEntry, name, current string) (string, error) {
	if name == "" {
		return "", nil
	}
	name, ok := rt.VersionName(name)
	if !ok {
		return "", fmt.Errorf("version %q: give the version, or %d of its first characters at least", name, rt.MinVersionPrefix)
	}
	var found []string
	for _, e := range hist[:len(hist)-1] {
		if v := versionOf(e.Value()); e.Operation() == jetstream.KeyValuePut && strings.HasPrefix(v, name) && !slices.Contains(found, v) {
			found = append(found, v)
		}
	}
	switch {
	case strings.HasPrefix(current, name) && current != "":
		return "", versionError(fmt.Sprintf("version %s is the current one: name an earlier one", current))
	case len(found) == 0:
		return "", versionError(fmt.Sprintf("no revision of version %s among the %d the bucket keeps (rplc push the bundle again)", name, len(hist)))
	case len(found) > 1:
		return "", fmt.Errorf("version prefix %q names %d versions the bucket keeps: give more of it", name, len(found))
	}
	return found[0], nil
}
