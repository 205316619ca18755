package runtime

import (
	"crypto/sha256"
	"hash/maphash"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/rpl-lang/rpl/stdlib"
	"github.com/rpl-lang/rpl/vm"
)

// Sticky sessions. A decision with a non-empty sticky_key whose target was
// drawn from its split (weighted) is a sticky session's: after the
// policy's run the engine keeps its target per (tenant, policy, sticky
// key) in a StickyState, and a later decision of the same session whose
// split still gives that target a positive weight gets it (Outcome.Sticky,
// reason "sticky"). Without an entry (none yet, expired, or its target
// left the split) the target is the split's draw with the session's seed
// (stdlib.SessionSeed(policy, key)) instead of the request's, and
// is kept: so routers that do not share the store, and a router after a
// restart or a reload, pick the same target for a session while the
// weights are unchanged, and the store keeps it when they change. The
// seed hashes the policy with the key, so one key's draws in two
// policies are independent (two experiments keyed by the same user id
// are not confounded).
//
// std's sticky sets that target itself, in the policy: the kept one,
// read through the run's host (stdlib.SessionState, host.KeptTarget),
// else the key's draw. So what the policy computes from d.target after
// .sticky() (a priority, a tag) is computed for the target answered,
// also after the weights changed, and the engine then finds the target
// the decision has and changes only the reason of a kept one ("sticky").
// The engine takes the kept target from the policy's own look-up of the
// key, not a second read: another request of the session may have
// replaced the entry since. It still changes the target of a decision
// whose sticky_key the policy set in a Decision record literal (with or
// without calling sticky before), whose other fields are then the
// policy's, computed for its own target.

// StickyState keeps the targets of sticky sessions. Config.State
// implements it to share them (a store every router reads); else the
// engine keeps its own StickyStore of DefaultStickyCapacity entries.
// Implementations must be safe for concurrent use, and should be cheap:
// StickyTarget is called on every sticky decision.
type StickyState interface {
	// StickyTarget returns the target kept for the session (tenant,
	// policy, key) if its entry has not expired at now, and then keeps
	// it until now+ttl unless it was kept longer already: an entry is
	// never shortened, and a ttl of 0 only reads.
	StickyTarget(tenant, policy, key string, now time.Time, ttl time.Duration) (string, bool)
	// Stick keeps target for the session until now+ttl, replacing its
	// entry. It must not keep the strings it is passed without copying
	// them: they may point into a request's buffer.
	Stick(tenant, policy, key, target string, now time.Time, ttl time.Duration)
}

// DefaultStickyCapacity is the number of sessions an engine's own
// StickyStore keeps. Beyond it, keeping a session evicts another (an
// expired one when the sample finds one, else the one closest to expiry
// of the sample): that session's next request is picked again with its
// seed, which gives it the same target while the weights are
// unchanged.
const DefaultStickyCapacity = 1 << 18

// stickyShards is the number of independently locked parts of a
// StickyStore (a power of two).
const stickyShards = 64

// stickySample is the number of entries a full shard looks at to choose
// the one it evicts.
const stickySample = 8

// A StickyStore's entries are bounded in bytes as well as in number:
// a tenant id, policy id or session key longer than maxStickyName is kept
// as its SHA-256 digest (keyOf), and a target longer than
// maxStickyTarget is not kept at all (its session is picked again with
// its seed, as one evicted is). A request of a megabyte's session
// key kept a megabyte per session, up to DefaultStickyCapacity of them.
const (
	maxStickyName   = 64
	maxStickyTarget = 256
)

// StickyStore is the in-memory StickyState: a map of sessions in
// stickyShards shards, each under its own lock, holding at most its share
// of the capacity. An entry lasts ttl after the last decision that used
// or set it (a session active within every ttl keeps its target), at
// most until the last Unix nanosecond, in 2262 (so a ttl of centuries
// keeps it for good); expired entries are never answered, and are
// dropped when their session is decided again or when a full shard
// evicts. A hit takes a read lock and allocates nothing; setting an
// entry allocates it and copies its strings.
type StickyStore struct {
	seed   maphash.Seed
	perCap int // the capacity of a shard
	shards [stickyShards]stickyShard
}

type stickyShard struct {
	mu sync.RWMutex
	m  map[stickyKey]*stickyEntry
	_  [64]byte // keeps shards' locks on separate cache lines
}

type stickyKey struct{ tenant, policy, key string }

type stickyEntry struct {
	target string
	exp    atomic.Int64 // unix nanoseconds
}

// NewStickyStore returns a store of at most capacity sessions (about: each
// shard keeps capacity/64, rounded up); capacity ≤ 0 means
// DefaultStickyCapacity.
func NewStickyStore(capacity int) *StickyStore {
	if capacity <= 0 {
		capacity = DefaultStickyCapacity
	}
	s := &StickyStore{seed: maphash.MakeSeed(), perCap: (capacity + stickyShards - 1) / stickyShards}
	for i := range s.shards {
		s.shards[i].m = make(map[stickyKey]*stickyEntry)
	}
	return s
}

// keyOf is the key of a session's entry: its names as they are, each
// longer than maxStickyName (or starting with a NUL) replaced by a NUL
// and its SHA-256 digest, written in buf: the key's strings may point
// into buf (and into the names), and are cloned before the store keeps
// them (Stick). It does not allocate, buf on the caller's stack: a
// sticky decision reads its session's entry twice, and a session key
// of a conversation's ids is often longer than maxStickyName (a digest
// written to a hash.Hash and read as a new string allocated 4 times a
// read).
func keyOf(tenant, policy, key string, buf *nameDigests) stickyKey {
	return stickyKey{shortName(tenant, &buf[0]), shortName(policy, &buf[1]), shortName(key, &buf[2])}
}

// nameDigests is room for the digests of a session's three names.
type nameDigests [3][1 + sha256.Size]byte

func shortName(s string, buf *[1 + sha256.Size]byte) string {
	// A name starting with NUL is digested too, whatever its length: no
	// name kept as it is then looks like a digest.
	if len(s) <= maxStickyName && !strings.HasPrefix(s, "\x00") {
		return s
	}
	// The name's bytes, not a copy of them, which may be a megabyte:
	// Sum256 only reads them.
	d := sha256.Sum256(unsafe.Slice(unsafe.StringData(s), len(s)))
	buf[0] = 0
	copy(buf[1:], d[:])
	return unsafe.String(&buf[0], len(buf))
}

func (s *StickyStore) shard(k *stickyKey) *stickyShard {
	return &s.shards[maphash.Comparable(s.seed, *k)&(stickyShards-1)]
}

// StickyTarget implements StickyState.
func (s *StickyStore) StickyTarget(tenant, policy, key string, now time.Time, ttl time.Duration) (string, bool) {
	var buf nameDigests
	k := keyOf(tenant, policy, key, &buf)
	sh := s.shard(&k)
	t := now.UnixNano()
	sh.mu.RLock()
	en := sh.m[k]
	var target string
	ok := en != nil && en.exp.Load() > t
	if ok {
		target = en.target
		// Other readers of the session extend it too: a compare and
		// swap, so that a shorter expiry never replaces a longer one.
		x := expiry(t, ttl)
		for old := en.exp.Load(); x > old; old = en.exp.Load() {
			if en.exp.CompareAndSwap(old, x) {
				break
			}
		}
	}
	sh.mu.RUnlock()
	return target, ok
}

// Stick implements StickyState.
func (s *StickyStore) Stick(tenant, policy, key, target string, now time.Time, ttl time.Duration) {
	if len(target) > maxStickyTarget {
		return
	}
	var buf nameDigests
	k := keyOf(tenant, policy, key, &buf)
	sh := s.shard(&k)
	exp := expiry(now.UnixNano(), ttl)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if en := sh.m[k]; en != nil {
		if en.target != target {
			en.target = strings.Clone(target)
		}
		en.exp.Store(exp)
		return
	}
	if len(sh.m) >= s.perCap {
		sh.evict(now.UnixNano())
	}
	en := &stickyEntry{target: strings.Clone(target)}
	en.exp.Store(exp)
	sh.m[stickyKey{strings.Clone(k.tenant), strings.Clone(k.policy), strings.Clone(k.key)}] = en
}

// expiry is now+ttl in Unix nanoseconds, the largest int64 (in 2262) for
// a later time: a ttl of centuries keeps the entry for good, where the
// sum wrapped to a time past.
func expiry(now int64, ttl time.Duration) int64 {
	if ttl > 0 && now > math.MaxInt64-int64(ttl) {
		return math.MaxInt64
	}
	return now + int64(ttl)
}

// evict drops the expired entries among a sample of the shard (a map's
// iteration starts at a random entry), else the sampled one closest to
// expiry. Under the shard's lock.
func (sh *stickyShard) evict(now int64) {
	var (
		victim stickyKey
		least  int64
		n      int
		freed  bool
	)
	for k, en := range sh.m {
		x := en.exp.Load()
		if x <= now {
			delete(sh.m, k)
			freed = true
		} else if n == 0 || x < least {
			victim, least = k, x
		}
		if n++; n == stickySample {
			break
		}
	}
	if !freed {
		delete(sh.m, victim)
	}
}

// Len is the number of entries kept, expired ones not yet dropped
// included.
func (s *StickyStore) Len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.RLock()
		n += len(sh.m)
		sh.mu.RUnlock()
	}
	return n
}

// keptLookup is the policy's look-up of a session's kept target
// (std's sticky, through host.KeptTarget): its key and answer.
type keptLookup struct {
	done   bool
	key    string
	target string
	ok     bool
}

// stick applies the session's kept target to o's decision, if it is a
// sticky session's (see StickyState), or keeps its target for the next
// decisions of the session. look is the policy's own look-up of the
// session: when the decision's sticky key is the one it looked up, stick
// takes the kept target from it rather than reading the entry again,
// which another request of the session may have replaced in between (the
// answer then carried fields computed for a target other than its own).
func (e *Engine) stick(o *Outcome, now time.Time, look *keptLookup) {
	l := &e.lay
	d := o.Decision.Record()
	if len(d) != l.dec.n {
		return
	}
	key := d[l.dec.stickyKey].Str()
	if key == "" || d[l.dec.split].Kind() != vm.KindMap {
		return
	}
	split := d[l.dec.split].Map()
	if !stdlib.Drawn(split, d[l.dec.target]) {
		return
	}
	ttl := time.Duration(d[l.dec.stickyTTL].Int())
	if ttl <= 0 {
		ttl = stdlib.DefaultStickyTTL
	}
	st, tenant, policy := e.svc.sticky, o.TenantID, o.PolicyID()
	// The session's kept target: the policy's own look-up when its sticky
	// read this key (another request may have replaced the entry since,
	// and the policy computed its fields for what it read), else read
	// now. A read extends the entry; the policy's did not, so a kept
	// target it used is extended here.
	var kept string
	var ok bool
	if look.done && look.key == key {
		kept, ok = look.target, look.ok
		if ok && stdlib.Drawn(split, vm.Str(kept)) {
			if _, still := st.StickyTarget(tenant, policy, key, now, ttl); !still {
				st.Stick(tenant, policy, key, kept, now, ttl) // evicted since
			}
		}
	} else {
		kept, ok = st.StickyTarget(tenant, policy, key, now, ttl)
	}
	target, isKept, err := stdlib.SessionTarget(split, policy, key, kept, ok)
	if err != nil {
		target = d[l.dec.target] // the policy's own pick stands
	}
	if o.Sticky = isKept; !isKept {
		st.Stick(tenant, policy, key, target.Str(), now, ttl)
	}
	reason := d[l.dec.reason]
	if o.Sticky && reason.Str() == "weighted" {
		reason = vm.Str("sticky")
	}
	if target.Str() == d[l.dec.target].Str() && reason.Str() == d[l.dec.reason].Str() {
		return
	}
	nd := o.arena.Values(len(d))
	copy(nd, d)
	nd[l.dec.target], nd[l.dec.reason] = target, reason
	o.Decision = vm.NewRecord(nd)
}
