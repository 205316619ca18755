package state

// Provider health: what Mem.RecordFeedback learns about each target, read
// back by health.healthy, health.latency, health.error_rate and the CP1
// expected latency.
//
// Outcomes. A feedback's status says whose fault a failure was (classify):
// ok is a success; timeout, error (connection errors and the like),
// http_5xx and http_429 (rate limiting: the provider refuses load) are
// the target's failures; canceled (the client gave up) and http_4xx
// other than 429 (the client's request was bad) say nothing about the
// target and leave its health alone (they count in Requests and
// ClientErrors only). A status unknown here counts as a failure.
//
// Error rate. The share of failures among the target's recent outcomes:
// each outcome weighs (1-Alpha)^k, k the outcomes after it (Alpha 0.05:
// about the last 20), and half as much every HalfLife (5s) that passes.
// The rate is the failures' weight over the outcomes' weight, or over 1
// when the outcomes weigh less than that: a target that gets no feedback
// (a policy skips it because it failed) sees its rate decay to 0 with
// time, not stay at its last value forever; a busy one's follows its
// last outcomes as before. The first outcome after such a lull counts
// fully again, so a target failing every request reads 1 however seldom
// it is asked.
//
// Circuit breaker. A failure opens it when the share of failures among
// the target's recent outcomes, counted without regard to time (each
// outcome weighs (1-Alpha)^k, k the outcomes after it: about the last
// 20), reaches TripRate after at least MinSamples outcomes since the
// target's last lull (a Lull, 5 minutes, without outcomes). Counting
// outcomes, not time, the breaker judges a target asked once in ten
// seconds (a router among ten sharing a trickle) on its last outcomes as
// it does a busy one, where the error rate's half-life would leave it
// one outcome to go by. It stays open Cooldown (30s), whatever failures
// are reported meanwhile (requests sent before it opened), then is
// half-open: Healthy says yes, the next outcome closes it (a success:
// the count starts again from it) or opens it again for another
// Cooldown (a failure). An outcome after a Lull closes a half-open
// breaker before it counts, as it starts the count again: a target
// whose breaker opened an hour ago and that nothing asked since is
// judged on its outcomes from now, as one whose breaker never opened,
// where its first failure, one of a busy hour's first requests, opened
// the breaker again on the strength of an outage an hour old.
//
// Latency. The median and quantiles of the successful requests that gave
// a latency (latency_ms absent or 0 is not a latency: runtime.Feedback
// cannot tell them apart; one below a microsecond, the histograms' unit,
// counts as 1µs), over two rotating windows of LatencyWindow
// (2 minutes) aligned on the clock: the statistics cover the last 2 to 4
// minutes, so a target that slows down shows it within minutes, and one
// without a success in that time has no latency (health.latency answers
// the catalogue default). The windows' buckets are cleared and reused,
// not allocated, when they rotate; the medians are kept up to date by a
// few steps per latency (medianAt), not a walk of the buckets.
//
// Targets. At most MaxTargets (4096) are tracked: feedback for a new one
// beyond that first forgets the least recently used quarter (their
// health starts afresh: healthy, no latency, rate 0), so memory stays
// bounded (a target's windows take a few KB) and a new target costs
// O(log n) amortized (a sort of the targets every n/4 new ones), however
// many distinct names feedback carries. Targets whose breaker is open
// are forgotten after every other but those decisions read (below): the
// target a breaker keeps
// traffic from gets no feedback, and would otherwise be the least
// recently used, read healthy again as soon as feedback for new names
// (made up, or many models') filled the table. Only while open (its
// Cooldown): names made up and tripped on purpose are not kept for good.
//
// Targets that decisions read in the last Lull (5 minutes: health.healthy,
// health.latency, health.error_rate and CP1's expected latency ask the
// table, through Healthy, Latency and ErrorRate) are forgotten after all
// others, open breakers included: a target's health matters only to the
// decisions that read it, and feedback naming many targets (made up, or
// of models no policy routes to) no longer pushes out those decisions
// use, however many it names and however long ago their last feedback.
// A read marks its target with the time, about to the second (an
// atomic's load, and a store once a second at most). Feedback alone does
// not mark: feedback can name anything (a router without a catalogue
// takes any well-formed target: runtime.Engine's feedback checks).
//
// Reads take no lock and do not allocate: a target's figures are an
// immutable view (healthView, 64 bytes) that the writer allocates anew
// on every feedback, in an atomic pointer found through a table (see table) that
// adds keys without copying. The view holds what a read needs to answer
// for any later time: the rate and its weight at the last outcome (the
// read decays them), and the medians of both windows and of the newer
// window alone (the read picks by the clock's window).

import (
	"math"
	"math/bits"
	"slices"
	"time"

	"github.com/rpl-lang/rpl/runtime"
)

// Health defaults (see Options).
const (
	defaultHalfLife      = 5 * time.Second
	defaultLatencyWindow = 2 * time.Minute
	defaultMaxTargets    = 4096
)

// outcome is what a feedback says about its target's health.
type outcome int8

const (
	neutral outcome = iota // the client's doing: no effect on health
	success
	failure
)

// classify is f's outcome for its target (see the package's health doc).
func classify(f *runtime.Feedback) outcome {
	switch f.Status {
	case "ok":
		return success
	case "canceled":
		return neutral
	case "http_4xx":
		if f.HTTPStatus == 429 {
			return failure
		}
		return neutral
	}
	return failure // timeout, error, http_429, http_5xx, and any other
}

// healthView is what the lock-free reads of a target read: immutable once
// published.
type healthView struct {
	rate      float64 // error rate at the last outcome
	weight    float64 // the outcomes' weight then (≥ 1 after one)
	at        int64   // the last outcome (Unix ns)
	openUntil int64   // the breaker is open before this (Unix ns); 0: never opened
	window    int64   // the newer latency window (see Mem.window)
	median    int64   // both windows' median (ns), 0: none
	newer     int64   // the newer window's median alone, for the next window
}

// health is t's view, nil before its first feedback. Any goroutine.
func (t *Target) health() *healthView { return t.view.Load() }

// decay is how much a weight shrinks in elapsed ns.
func (m *Mem) decay(elapsed int64) float64 {
	if elapsed <= 0 {
		return 1
	}
	return math.Exp2(-float64(elapsed) / float64(m.opt.HalfLife))
}

// rateAt is v's error rate at now (ns).
func (m *Mem) rateAt(v *healthView, now int64) float64 {
	return v.rate * min(v.weight*m.decay(now-v.at), 1)
}

// latencyAt is v's median at now (ns), 0 when none. A clock that went
// back reads the latest.
func (m *Mem) latencyAt(v *healthView, now int64) int64 {
	switch w := m.window(now); {
	case w <= v.window:
		return v.median
	case w == v.window+1:
		return v.newer
	}
	return 0
}

// window is the latency window of now (ns): windows are numbered from
// the Unix epoch, those before it below 0.
func (m *Mem) window(now int64) int64 { return floorDiv(now, int64(m.opt.LatencyWindow)) }

// recordHealth records f's outcome for target name at now. The writer
// only.
func (m *Mem) recordHealth(f *runtime.Feedback, now time.Time) {
	t := m.targets[f.Target]
	if t == nil {
		if len(m.targets) >= m.opt.MaxTargets {
			m.evict(now.UnixNano())
		}
		t = m.health.add(f.Target)
		t.lat.window = math.MinInt64 // none yet: the first rotates
		m.targets[f.Target] = t
	}
	m.seq++
	t.seen = m.seq
	t.Requests++
	ns := now.UnixNano()
	o := classify(f)
	switch o {
	case neutral:
		t.ClientErrors++
	case success, failure:
		x := 0.0
		if o == failure {
			t.Errors++
			x = 1
		}
		if t.samples > 0 && ns-t.at > int64(m.opt.Lull) {
			t.samples, t.share, t.shareW = 0, 0, 0 // a lull: the breaker's count starts again
			if t.tripped && ns >= t.openUntil {
				t.tripped = false // and a half-open breaker closes (see the health doc)
			}
		}
		w := t.weight*m.decay(ns-t.at)*(1-m.opt.Alpha) + 1
		t.rate += (x - t.rate) / w
		t.weight, t.at = w, ns
		t.shareW = t.shareW*(1-m.opt.Alpha) + 1
		t.share += (x - t.share) / t.shareW
		t.samples++
		t.ErrorRate = t.rate
		half := t.tripped && ns >= t.openUntil
		switch {
		case o == success && half:
			t.tripped = false
			t.samples, t.share, t.shareW = 1, 0, 1 // judged afresh from this success
		case o == failure && (half || !t.tripped && t.samples >= m.opt.MinSamples && t.share >= m.opt.TripRate):
			t.tripped = true
			t.openUntil = ns + int64(m.opt.Cooldown)
			t.OpenUntil = time.Unix(0, t.openUntil)
		}
	}
	lat := o == success && f.LatencyMs > 0
	if t.lat.rotate(m.window(ns)) || lat {
		if lat {
			// Below the histograms' unit it still is a latency: 0
			// would read as none (Latency's median 0).
			t.lat.record(max(f.Latency(), latencyUnit))
		}
		t.median = int64(t.lat.median(true))
		t.newer = int64(t.lat.median(false))
	}
	t.view.Store(&healthView{rate: t.rate, weight: t.weight, at: t.at, openUntil: t.openUntil,
		window: t.lat.window, median: t.median, newer: t.newer})
}

// evict forgets the least recently used quarter of the targets at now
// (ns), those whose breaker is open after the others, and those that
// decisions read lately last of all (see the health doc). The writer
// only.
func (m *Mem) evict(now int64) {
	seen := m.seen[:0]
	for _, t := range m.targets {
		seen = append(seen, m.evictOrder(t, now))
	}
	slices.Sort(seen)
	cut := seen[max(len(seen)/4, 1)-1] // unique: one target at least
	m.seen = seen
	for name, t := range m.targets {
		if m.evictOrder(t, now) <= cut {
			delete(m.targets, name)
		}
	}
	m.health.keep(func(name string) bool { return m.targets[name] != nil })
}

// evictOrder is t's rank for evict at now, the lowest forgotten first:
// its last feedback, after every other target's while its breaker is
// open (its Cooldown: so that made-up names tripped on purpose are not
// kept for good), and after those again when a decision read it in the
// last Lull (Target.read).
func (m *Mem) evictOrder(t *Target, now int64) uint64 {
	rank := t.seen
	if t.tripped && now < t.openUntil {
		rank += m.seq
	}
	if r := t.read.Load(); r != 0 && readMark(now)-r <= int64(m.opt.Lull>>30) {
		rank += 2 * m.seq
	}
	return rank
}

// latencyBits is the precision of the targets' latency histograms: 3.1%
// (as internal/hdr's at this precision).
const latencyBits = 6

// latencyUnit is the histograms' resolution: clients report latency in
// milliseconds, and a microsecond keeps the buckets of latencies up to
// tens of seconds to about 600 (2.4 KB a window).
const latencyUnit = time.Microsecond

// latencyWindows are a target's two rotating latency windows. The writer
// only (and the reads under Mem's read lock).
type latencyWindows struct {
	window      int64 // newer's window number (see Mem.window)
	newer, prev bucketCounts
	// The medians of both windows and of newer alone, kept up to date by
	// record in a few steps instead of a walk of the buckets.
	both, alone medianAt
}

// medianAt is where a median is: its bucket, and how many values the
// buckets below hold.
type medianAt struct {
	idx   int
	below uint64
}

// record adds a latency to the newer window.
func (l *latencyWindows) record(d time.Duration) {
	i := l.newer.record(d)
	if i < l.both.idx {
		l.both.below++
	}
	if i < l.alone.idx {
		l.alone.below++
	}
	l.settle(&l.both, true)
	l.settle(&l.alone, false)
}

// count is bucket i's values in both windows or the newer alone.
func (l *latencyWindows) count(i int, both bool) uint64 {
	c := uint64(l.newer.at(i))
	if both {
		c += uint64(l.prev.at(i))
	}
	return c
}

// settle moves m to the bucket of the ⌈n/2⌉-th smallest value (Quantile's
// rank for 0.5).
func (l *latencyWindows) settle(m *medianAt, both bool) {
	n := l.newer.n
	if both {
		n += l.prev.n
	}
	if n == 0 {
		*m = medianAt{}
		return
	}
	lo := l.newer.min()
	if both {
		lo = min(lo, l.prev.min())
	}
	if first := bucket(lo); m.idx < first {
		*m = medianAt{idx: first} // the buckets below are empty
	}
	rank := (n + 1) / 2
	for rank <= m.below {
		m.idx--
		m.below -= l.count(m.idx, both)
	}
	for c := l.count(m.idx, both); rank > m.below+c; c = l.count(m.idx, both) {
		m.below += c
		m.idx++
	}
}

// median is the median of both windows or of the newer one alone, as
// quantile(0.5, both) is.
func (l *latencyWindows) median(both bool) time.Duration {
	a, b, m := &l.newer, &l.prev, &l.both
	if !both {
		b, m = &noCounts, &l.alone
	}
	if a.n+b.n == 0 {
		return 0
	}
	lo, hi := min(a.min(), b.min()), max(a.max, b.max)
	return time.Duration(min(max(bucketTop(m.idx), lo), hi)) * latencyUnit
}

// rotate moves the windows on to window w, and reports whether they
// changed. A clock that went back keeps the windows.
func (l *latencyWindows) rotate(w int64) bool {
	switch {
	case w <= l.window:
		return false
	case w == l.window+1:
		l.prev, l.newer = l.newer, l.prev
		l.newer.reset()
	default:
		l.prev.reset()
		l.newer.reset()
	}
	l.window = w
	l.both, l.alone = medianAt{}, medianAt{}
	l.settle(&l.both, true)
	return true
}

// quantile is the q-quantile of both windows (or of the newer one alone):
// the upper bound of the bucket holding the ⌈q·n⌉-th smallest latency,
// clamped to the exact minimum and maximum; 0 when there is none.
func (l *latencyWindows) quantile(q float64, both bool) time.Duration {
	a, b := &l.newer, &l.prev
	if !both {
		b = &noCounts
	}
	n := a.n + b.n
	if n == 0 {
		return 0
	}
	lo, hi := min(a.min(), b.min()), max(a.max, b.max)
	rank := uint64(math.Ceil(q * float64(n)))
	rank = min(max(rank, 1), n)
	var seen uint64
	for i := bucket(lo); i < max(len(a.counts), len(b.counts)); i++ {
		seen += uint64(a.at(i)) + uint64(b.at(i))
		if seen >= rank {
			return time.Duration(min(max(bucketTop(i), lo), hi)) * latencyUnit
		}
	}
	return time.Duration(hi) * latencyUnit
}

// quantileAt is the q-quantile of the windows as they are in window w,
// which may be later than theirs (nothing recorded since).
func (l *latencyWindows) quantileAt(q float64, w int64) time.Duration {
	switch {
	case w <= l.window:
		return l.quantile(q, true)
	case w == l.window+1:
		return l.quantile(q, false)
	}
	return 0
}

// noCounts is an empty window.
var noCounts bucketCounts

// bucketCounts is one window: a log-linear histogram of latencies in
// latencyUnits (see internal/hdr, whose bucket layout it shares).
type bucketCounts struct {
	counts []uint32
	n      uint64
	least  int64 // valid when n > 0
	max    int64
}

func (c *bucketCounts) min() int64 {
	if c.n == 0 {
		return math.MaxInt64
	}
	return c.least
}

func (c *bucketCounts) at(i int) uint32 {
	if i < len(c.counts) {
		return c.counts[i]
	}
	return 0
}

// reset empties c, keeping its buckets' memory.
func (c *bucketCounts) reset() {
	clear(c.counts)
	c.n, c.least, c.max = 0, 0, 0
}

// record adds d, and is its bucket.
func (c *bucketCounts) record(d time.Duration) int {
	v := max(int64(d/latencyUnit), 0)
	i := bucket(v)
	if i >= len(c.counts) {
		if i < cap(c.counts) {
			c.counts = c.counts[:cap(c.counts)]
		} else {
			n := max(i+1, 2*len(c.counts), 16<<(latencyBits-1))
			c.counts = append(c.counts[:cap(c.counts)], make([]uint32, n-cap(c.counts))...)
			c.counts = c.counts[:cap(c.counts)]
		}
	}
	c.counts[i]++
	if c.n == 0 || v < c.least {
		c.least = v
	}
	c.n++
	c.max = max(c.max, v)
	return i
}

// bucket is v's bucket (v ≥ 0): values below 2^latencyBits have one each,
// every power of two above is cut into 2^(latencyBits-1).
func bucket(v int64) int {
	if v < 1<<latencyBits {
		return int(v)
	}
	e := uint(bits.Len64(uint64(v))) - latencyBits
	return int(e)<<(latencyBits-1) + int(uint64(v)>>e)
}

// bucketTop is the highest value of bucket i.
func bucketTop(i int) int64 {
	if i < 1<<latencyBits {
		return int64(i)
	}
	const half = 1 << (latencyBits - 1)
	e := uint((i - half) / half)
	m := int64(i - int(e)*half)
	return (m+1)<<e - 1
}
