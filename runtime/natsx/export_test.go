package natsx

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Traceparent exposes traceparent to the tests.
var Traceparent = traceparent

// Encoded exposes encoded to the tests.
var Encoded = encoded

// StoreBusy exposes storeBusy to the tests.
var StoreBusy = storeBusy

// Queued is the number of events in the log's queue, not yet taken by
// its publisher.
func (l *DecisionLog) Queued() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.q)
}

// RaiseTries is the number of times w tried to raise the bucket's
// copies.
func RaiseTries(w *BundleWatcher) int64 { return w.raiseTries.Load() }

// SetOverflowClock makes now the clock by which l tells Overflowed once
// every repeats.Every (nil: the events' times). Call it before events
// are dropped.
func SetOverflowClock(l *DecisionLog, now func() time.Time) { l.overflowClock = now }

// HoldRaise makes each try of a watch's raise of the bucket's copies
// wait, before it asks the server, until release is closed; until the
// test ends.
func HoldRaise(t interface{ Cleanup(func()) }, release <-chan struct{}) {
	raiseTried = func() { <-release }
	t.Cleanup(func() { raiseTried = nil })
}

// Retried exposes retried, for an op returning an int, to the tests.
func Retried(ctx context.Context, op func(context.Context) (int, error)) (int, error) {
	return retried(ctx, op)
}

// SetLookupBucket makes f the watch's look-up of a bucket it watched
// before, until the test ends.
func SetLookupBucket(t interface{ Cleanup(func()) }, f func(jetstream.JetStream, context.Context, string) (jetstream.KeyValue, error)) {
	old := lookupBucket
	lookupBucket = f
	t.Cleanup(func() { lookupBucket = old })
}

// SetHistory makes f the watch's read of a key's history (a look-back
// after a refusal), until the test ends.
func SetHistory(t interface{ Cleanup(func()) }, f func(jetstream.KeyValue, context.Context, string) ([]jetstream.KeyValueEntry, error)) {
	old := history
	history = f
	t.Cleanup(func() { history = old })
}

// SetLatestEntry makes f the watch's read of the key's latest value at a
// resync, until the test ends.
func SetLatestEntry(t interface{ Cleanup(func()) }, f func(jetstream.KeyValue, context.Context, string) (jetstream.KeyValueEntry, error)) {
	old := latestEntry
	latestEntry = f
	t.Cleanup(func() { latestEntry = old })
}
