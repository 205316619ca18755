package router

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/natsx"
)

// FailNATSServe makes every subscription of the NATS subjects fail
// until release is called; attempts counts them. It must be called
// before the router starts (its cleanup runs after the router's).
func FailNATSServe(t testing.TB) (attempts *atomic.Int64, release func()) {
	attempts = new(atomic.Int64)
	var failing atomic.Bool
	failing.Store(true)
	old := natsServe
	natsServe = func(nc *nats.Conn, e *runtime.Engine, cfg natsx.Config) (*natsx.Server, error) {
		attempts.Add(1)
		if failing.Load() {
			return nil, errors.New("injected failure to subscribe")
		}
		return old(nc, e, cfg)
	}
	t.Cleanup(func() { natsServe = old })
	var once sync.Once
	return attempts, func() { once.Do(func() { failing.Store(false) }) }
}

// NATSError exposes the router's handler of the NATS client's
// asynchronous errors.
func (r *Router) NATSError(sub *nats.Subscription, err error) { r.natsError(r.nc, sub, err) }

// HoldLoads holds the lock of the local source's loads (loadLocal) until
// release is called: a reload asked for meanwhile waits.
func (r *Router) HoldLoads() (release func()) {
	r.loads <- struct{}{}
	var once sync.Once
	return func() { once.Do(func() { <-r.loads }) }
}

// AfterLocalBuild runs f between each build of the local source (the
// policy directory, the bundle file) and its activation, until the test
// ends.
func AfterLocalBuild(t testing.TB, f func()) {
	afterLocalBuild.Store(&f)
	t.Cleanup(func() { afterLocalBuild.Store(nil) })
}

// WaitingLoad runs f when a load of the local source waits for another,
// until the test ends.
func WaitingLoad(t testing.TB, f func()) {
	waitingLoad.Store(&f)
	t.Cleanup(func() { waitingLoad.Store(nil) })
}

// BeforeLocalBuild runs f before each build of the local source, until
// the test ends.
func BeforeLocalBuild(t testing.TB, f func()) {
	beforeLocalBuild.Store(&f)
	t.Cleanup(func() { beforeLocalBuild.Store(nil) })
}

// BeforeBundleApply runs f with the bundle watch's context before each
// pushed bundle is built, until the test ends.
func BeforeBundleApply(t testing.TB, f func(context.Context)) {
	beforeBundleApply.Store(&f)
	t.Cleanup(func() { beforeBundleApply.Store(nil) })
}

// AfterBundleRefused runs f on the bundle watch's goroutine after each
// pushed bundle refused, before its revision is recorded as handled,
// until the test ends.
func AfterBundleRefused(t testing.TB, f func()) {
	afterBundleRefused.Store(&f)
	t.Cleanup(func() { afterBundleRefused.Store(nil) })
}

// LogNATS is the decision log's own connection (nil without a log).
func (r *Router) LogNATS() *nats.Conn { return r.dlogNC }

// HoldNATSFeedback makes the NATS subscriptions of the routers started
// after it hold the first feedback they handle until release is called;
// held is closed once they do. They are those of 2 workers: one feedback
// subscription, whatever GOMAXPROCS. It must be called before the
// router starts.
func HoldNATSFeedback(t testing.TB) (held <-chan struct{}, release func()) {
	h, rel := make(chan struct{}), make(chan struct{})
	var once, released sync.Once
	old := natsServe
	natsServe = func(nc *nats.Conn, e *runtime.Engine, cfg natsx.Config) (*natsx.Server, error) {
		cfg.Workers = 2
		trace := cfg.Trace
		cfg.Trace = func(ctx context.Context, traceparent, transport string, kind runtime.Kind) (context.Context, func(*runtime.Outcome)) {
			if kind == runtime.KindFeedback {
				once.Do(func() { close(h); <-rel })
			}
			if trace != nil {
				return trace(ctx, traceparent, transport, kind)
			}
			return ctx, func(*runtime.Outcome) {}
		}
		return old(nc, e, cfg)
	}
	t.Cleanup(func() { natsServe = old })
	return h, func() { released.Do(func() { close(rel) }) }
}

// NATSInFlight is the requests the NATS subscriptions are handling or
// hold queued (natsx.Server.InFlight), 0 before they exist.
func (r *Router) NATSInFlight() int {
	if s := r.natsS.Load(); s != nil {
		return s.InFlight()
	}
	return 0
}

// DecisionLogStats is the decision log's natsx.DecisionLog.Stats.
func (r *Router) DecisionLogStats() (sent, dropped int64) { return r.dlog.Stats() }

// NATSSubscriptions is the subscriptions of the router's connection
// once its NATS subjects are subscribed, 0 before.
func (r *Router) NATSSubscriptions() int {
	if r.natsS.Load() == nil {
		return 0
	}
	return r.nc.NumSubscriptions()
}

// NATSURLProblem is natsURLProblem.
var NATSURLProblem = natsURLProblem

// EmbeddedMaxStore makes the embedded servers started during the test
// store at most n bytes in JetStream.
func EmbeddedMaxStore(t testing.TB, n int64) {
	embeddedMaxStore = n
	t.Cleanup(func() { embeddedMaxStore = 0 })
}

// SetBundleResync sets the bundle watch's resync (natsx.WatchConfig.Resync)
// of the routers started until the test ends.
func SetBundleResync(t testing.TB, d time.Duration) {
	old := bundleResync
	bundleResync = d
	t.Cleanup(func() { bundleResync = old })
}

// NATSRetryFailed is the router's log of a failure of a connection's
// attempts to connect: each call a failure of the same connection,
// logged to log.
func NATSRetryFailed(log *slog.Logger) func(err error) {
	r := &Router{log: log}
	var told connFailures
	return func(err error) { r.natsRetryFailed(&told, "rpl-router", err) }
}
