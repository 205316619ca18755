package runtime

import (
	"hash/maphash"
	"sync"
	"time"
)

// FeedbackDedupWindow and FeedbackDedupMax bound what HandleFeedback
// remembers to drop duplicates: the request ids (with their tenants and
// targets) recorded in the last FeedbackDedupWindow, at most
// FeedbackDedupMax of them. Feedback for a request id and target its
// tenant sent within that is acknowledged as a duplicate and not
// recorded again (the first one recorded counts), so that a client's
// retry, or a message NATS delivered twice, is not charged twice; the
// same request's attempt on a fallback target, or on the same target
// again under another attempt number (Feedback.Attempt), is another. Beyond FeedbackDedupMax ids the
// oldest are forgotten first: at 1,000 feedbacks a second the window
// holds the last 262 seconds. Each id is remembered as a 64-bit hash
// (with a random seed): at most about 12 MB, and two different ids are
// taken for one with a chance of about 10^-14 each.
const (
	FeedbackDedupWindow = 10 * time.Minute
	FeedbackDedupMax    = 1 << 18
)

// feedbackDedup is the memory of recent feedback ids: dedupShards shards
// by hash, each a lock held only to look up, add or drop a hash (no
// allocation once a shard's ring has grown), so that concurrent feedback
// contends only one time in dedupShards.
type feedbackDedup struct {
	seed   maphash.Seed
	shards [dedupShards]dedupShard
}

const dedupShards = 64

type dedupShard struct {
	mu sync.Mutex
	// seen maps a hash to its claim; ring holds the claims oldest
	// first, n of them from head, for forgetting them in order.
	seen    map[uint64]dedupSeen
	ring    []dedupClaim
	head, n int
	_       [64]byte // apart from the next shard's lock
}

type dedupClaim struct {
	key uint64
	at  int64
}

// dedupSeen is a claim: when it was made (unix ns), and whether its
// feedback was recorded (else it is being recorded).
type dedupSeen struct {
	at       int64
	recorded bool
}

// claimResult is what claim found.
type claimResult int8

const (
	claimed   claimResult = iota // new: the caller records it, then confirms or releases
	duplicate                    // recorded within the window
	inFlight                     // claimed, its recording not yet over
)

// key is the feedback's identity: its tenant, request id, target and
// attempt (Feedback.Attempt, validated). A request's attempts, on its
// fallbacks and on one target again (a fallback's retries), are each
// reported under its id, one per target and attempt, and each is
// recorded (its target's health and cost).
func (d *feedbackDedup) key(tenant, requestID, target string, attempt int) uint64 {
	var h maphash.Hash
	h.SetSeed(d.seed)
	var n [8]byte
	put := func(x int) {
		for i := range n {
			n[i] = byte(x >> (8 * i))
		}
		h.Write(n[:])
	}
	for _, s := range [...]string{tenant, requestID} {
		put(len(s)) // the lengths first: no part runs into the next
		h.WriteString(s)
	}
	put(attempt)
	h.WriteString(target)
	return h.Sum64()
}

// claim claims key at now, unless it was claimed within the window: its
// feedback then is a duplicate once recorded, and in flight until then
// (a copy acknowledged as a duplicate while the first one's recording
// might yet fail would be lost).
func (d *feedbackDedup) claim(key uint64, now time.Time) claimResult {
	s := &d.shards[key%dedupShards]
	at := now.UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forget(at - int64(FeedbackDedupWindow))
	if c, ok := s.seen[key]; ok && c.at > at-int64(FeedbackDedupWindow) {
		if c.recorded {
			return duplicate
		}
		return inFlight
	}
	if s.seen == nil {
		s.seen = make(map[uint64]dedupSeen)
	}
	const shardMax = FeedbackDedupMax / dedupShards
	if s.n == shardMax {
		s.pop()
	}
	if s.n == len(s.ring) { // grow, oldest first
		ring := make([]dedupClaim, min(max(2*len(s.ring), 64), shardMax))
		for i := range s.n {
			ring[i] = s.ring[(s.head+i)%len(s.ring)]
		}
		s.ring, s.head = ring, 0
	}
	s.ring[(s.head+s.n)%len(s.ring)] = dedupClaim{key, at}
	s.n++
	s.seen[key] = dedupSeen{at: at}
	return claimed
}

// recorded reports whether the feedback of key was recorded within the
// window before now: claim would find it a duplicate. It claims nothing.
func (d *feedbackDedup) recorded(key uint64, now time.Time) bool {
	s := &d.shards[key%dedupShards]
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.seen[key]
	return ok && c.recorded && c.at > now.UnixNano()-int64(FeedbackDedupWindow)
}

// settle ends the claim of key made at now: kept as recorded, or
// forgotten (its recording failed, and a retry is not a duplicate).
func (d *feedbackDedup) settle(key uint64, now time.Time, recorded bool) {
	s := &d.shards[key%dedupShards]
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.seen[key]; !ok || c.at != now.UnixNano() {
		return // forgotten meanwhile (the window, the bound)
	}
	if recorded {
		s.seen[key] = dedupSeen{at: now.UnixNano(), recorded: true}
	} else {
		delete(s.seen, key)
	}
}

// forget drops the claims made before cut. The shard's lock is held.
func (s *dedupShard) forget(cut int64) {
	for s.n > 0 && s.ring[s.head].at <= cut {
		s.pop()
	}
}

// pop drops the oldest claim. The shard's lock is held.
func (s *dedupShard) pop() {
	c := s.ring[s.head]
	if s.seen[c.key].at == c.at { // not released and claimed again since
		delete(s.seen, c.key)
	}
	s.head = (s.head + 1) % len(s.ring)
	s.n--
}

// newFeedbackDedup makes an empty memory of feedback ids.
func newFeedbackDedup() *feedbackDedup { return &feedbackDedup{seed: maphash.MakeSeed()} }
