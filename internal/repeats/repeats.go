// Package repeats keeps a failure that repeats from flooding a log: a
// retry loop (a NATS connection retried every 500 ms, a watch or stream
// retried every second) tells each failure once, and the same failure
// again only after Every.
package repeats

import (
	"sync"
	"time"
)

// Every is how often a failure that repeats the one told last is told
// again.
const Every = time.Minute

// Filter tells which failures of a retry loop to report: the first, one
// whose message differs from the last one reported, and the same again
// once Every has passed since it was reported. The zero Filter is ready;
// it is safe for concurrent use.
type Filter struct {
	mu   sync.Mutex
	last string
	at   time.Time
	now  func() time.Time // the clock (tests); nil: time.Now
}

// Tell reports whether the failure err is to be reported, and if so
// remembers it as the last one reported.
func (f *Filter) Tell(err error) bool {
	msg := err.Error()
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now
	if f.now != nil {
		now = f.now
	}
	t := now()
	if msg == f.last && t.Sub(f.at) < Every {
		return false
	}
	f.last, f.at = msg, t
	return true
}

// Reset forgets the failure reported last: the loop succeeded, and its
// next failure, even the same one, is reported.
func (f *Filter) Reset() {
	f.mu.Lock()
	f.last, f.at = "", time.Time{}
	f.mu.Unlock()
}
