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

// Kinds tells which failures of a retry loop to report by their kind (a
// failure's message with what differs between its instances taken out,
// such as the server tried): each kind the first time, and again once
// Every has passed since it was reported, whatever came between; a
// Filter, which compares a failure with the last one only, told every
// failure of a loop whose failures alternate. It remembers MaxKinds
// kinds, forgetting the one reported longest ago. The zero Kinds is
// ready; it is safe for concurrent use.
type Kinds struct {
	mu   sync.Mutex
	told map[string]time.Time // the kinds reported, and when
}

// MaxKinds bounds the kinds a Kinds remembers.
const MaxKinds = 16

// Tell reports whether a failure of kind is to be reported, and if so
// remembers kind as reported now.
func (k *Kinds) Tell(kind string) bool {
	now := time.Now()
	k.mu.Lock()
	defer k.mu.Unlock()
	at, ok := k.told[kind]
	if ok && now.Sub(at) < Every {
		return false
	}
	if k.told == nil {
		k.told = map[string]time.Time{}
	}
	if !ok && len(k.told) >= MaxKinds {
		oldest := ""
		for kk, t := range k.told {
			if oldest == "" || t.Before(k.told[oldest]) {
				oldest = kk
			}
		}
		delete(k.told, oldest)
	}
	k.told[kind] = now
	return true
}

// Reset forgets the kinds reported: the loop succeeded, and its next
// failure, even of a kind reported, is reported.
func (k *Kinds) Reset() {
	k.mu.Lock()
	clear(k.told)
	k.mu.Unlock()
}
