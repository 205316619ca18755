package stdlib

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"time"

	"github.com/rpl-lang/rpl/internal/textcut"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/vm"
)

// Decision builders. A decision is a Decision record (slots in the order of
// the prelude type's sorted field names, from lay); builders never modify
// their input, they copy it and return the copy, accounting its memory.
//
// Defaults of a fresh decision: action "route", priority DefaultPriority,
// every other string "", every list and map empty, sticky_ttl 0s.

// DefaultStickyTTL is the ttl of sticky without one.
const DefaultStickyTTL = 10 * time.Minute

func newDecision(c *vm.Call) ([]vm.Value, error) {
	if err := c.Alloc(recordBytes(lay.decision.n)); err != nil {
		return nil, err
	}
	s := c.Values(len(lay.blank))
	copy(s, lay.blank)
	return s, nil
}

// refine returns the slots of a decision to build from d: d's own when the
// builder may refine it in place (a temporary of a chain such as
// to(t).tag(k, v).because(r), vm.Call.Reusable), else a copy. Builders
// return their record with c.Fresh, so that the next builder of a chain
// may refine it in turn; they replace slots and never modify the lists
// and maps in them, which other decisions may share.
//
// A builder allocates the record apart from the data it adds (a tags map's
// keys and values, a fallback and the fallbacks list): the data outlives
// the record when a later builder refines it, and sharing one allocation
// would keep every intermediate record of a chain alive with it.
func refine(c *vm.Call, d vm.Value) ([]vm.Value, error) {
	slots := d.Record()
	if len(slots) != lay.decision.n {
		return nil, vm.Errorf(vm.CodeInternal, "%s: argument is not a Decision", c.Name())
	}
	if c.Reusable() {
		return slots, nil
	}
	if err := c.Alloc(recordBytes(len(slots))); err != nil {
		return nil, err
	}
	s := c.Values(len(slots))
	copy(s, slots)
	return s, nil
}

var errEmptyTarget = errors.New("empty target")

// errEmptyArm is ab.arm's error of a split with an empty arm name, where
// weighted's is errEmptyTarget (armProblem).
var errEmptyArm = errors.New("empty arm name")

// armProblem is err, a draw's from an experiment's split, as ab.arm says
// it: its keys are arms, not targets.
func armProblem(err error) error {
	if err == errEmptyTarget {
		return errEmptyArm
	}
	return err
}

// checkTarget is the error of a target the router does not take
// (lang.TargetProblem): it would answer it, and refuse the feedback that
// names it, so that the target's health and costs were never known.
func checkTarget(t vm.Value) error {
	if t.Len() == 0 {
		return errEmptyTarget
	}
	if why := lang.TargetProblem(t.Str()); why != "" {
		return fmt.Errorf("target %q: %s", textcut.Cut(t.Str(), 80), why)
	}
	return nil
}

func decTo(c *vm.Call, a []vm.Value) (vm.Value, error) {
	if err := checkTarget(a[0]); err != nil {
		return vm.Value{}, err
	}
	s, err := newDecision(c)
	if err != nil {
		return vm.Value{}, err
	}
	s[lay.decision.target] = a[0]
	return c.Fresh(s), nil
}

func decDeny(c *vm.Call, a []vm.Value) (vm.Value, error) {
	s, err := newDecision(c)
	if err != nil {
		return vm.Value{}, err
	}
	s[lay.decision.action] = vm.Str("deny")
	s[lay.decision.denyReason] = a[0]
	return c.Fresh(s), nil
}

// decWeighted routes to one target of the split, chosen from the run's
// seed and the split's targets (drawSeeded). The decision keeps the whole
// split (for the router's view and explain) and reason "weighted".
func decWeighted(c *vm.Call, a []vm.Value) (vm.Value, error) {
	if err := checkSplitTargets(a[0].Map()); err != nil {
		return vm.Value{}, err
	}
	split := a[0].Map()
	if err := chargeDraw(c, split); err != nil {
		return vm.Value{}, err
	}
	target, err := drawWeighted(c, split, c.Seed())
	if err != nil {
		return vm.Value{}, err
	}
	s, err := newDecision(c)
	if err != nil {
		return vm.Value{}, err
	}
	s[lay.decision.target] = target
	s[lay.decision.split] = a[0]
	s[lay.decision.reason] = vm.Str("weighted")
	return c.Fresh(s), nil
}

// checkSplitTargets is the error of the first target of split, in
// ascending order, that to would refuse (checkTarget): weighted's
// (ab.arm's arms, drawn alike, are names). Not the first in the order
// the map was built: equal maps built in different orders named
// different targets.
func checkSplitTargets(split vm.Map) error {
	if p := prepOf(split); p != nil {
		return p.targetsErr
	}
	return findSplitTarget(split)
}

// findSplitTarget is checkSplitTargets, worked out.
func findSplitTarget(split vm.Map) error {
	var bad vm.Value
	var first error
	for _, k := range split.Keys() {
		if first != nil && k.Str() > bad.Str() {
			continue
		}
		if err := checkTarget(k); err != nil {
			bad, first = k, err
		}
	}
	return first
}

// errEmptySplit is the error of a draw from a split without entries,
// errZeroWeights of one whose weights sum to 0.
var (
	errEmptySplit  = errors.New("empty split")
	errZeroWeights = errors.New("weights sum to 0")
)

// SeedOf derives a seed from a string (FNV-1a, 64 bits): a run's from its
// request id (rpl.SeedOf). A sticky session's target is drawn with
// SessionSeed instead, which hashes the policy with the key.
func SeedOf(s string) uint64 { return fnv1a(fnvOffset, s) }

// SessionSeed is the seed a sticky session's target is drawn with:
// FNV-1a (64 bits) over its policy's id, a NUL and its key (as ab.arm
// hashes its experiment with the key). So every router, a router after a
// reload of the same policy, rplc eval and a policy's tests draw the same
// target for the session while the weights are unchanged, and the draws
// of one key in two policies are independent: a user in a split's first
// half in one policy is in either half of another policy's split alike
// (they all were in the first half of every split of the same shape,
// drawn with the key's seed alone, and two experiments so run were
// confounded). The tenant is left out, which a test does not know: the
// same key in two tenants of one policy draws the same target, the
// tenants' users being different people.
func SessionSeed(policy, key string) uint64 { return pairSeed(policy, key) }

// pairSeed is FNV-1a (64 bits) over name, a NUL and key: the seed of a
// key's draws within a name (a policy's sessions, an experiment's arms).
func pairSeed(name, key string) uint64 {
	return fnv1a(fnv1a(fnv1a(fnvOffset, name), "\x00"), key)
}

// PickWeighted is the target weighted(split) picks in a run whose seed
// is seed: sticky (and the engine, for a session it keeps nothing for)
// picks a sticky session's target with the session's seed
// (SessionSeed(policy, key)) rather than the request's, so that
// every request of the session, on any router, draws the same target
// while the weights are unchanged. Its draw is weighted's (drawSeeded):
// a session's draws from two splits of other targets are independent.
// It charges no fuel; its errors are weighted's.
func PickWeighted(split vm.Map, seed uint64) (vm.Value, error) { return drawWeighted(nil, split, seed) }

// drawWeighted is PickWeighted in the run of c, which checks the deadline
// while it orders the targets (ascending), when c is not nil.
func drawWeighted(c *vm.Call, split vm.Map, seed uint64) (vm.Value, error) {
	if split.Len() == 0 {
		return vm.Value{}, errEmptySplit
	}
	return drawSeeded(c, split, seed)
}

// Drawn reports whether target is a draw from split: one of its keys with
// a positive weight. Only such a target is a weighted pick that sticky
// draws again with the session's seed (SessionSeed) and that a sticky
// session keeps; a policy may set a target of its own with the split
// kept for show, and that target stands.
func Drawn(split vm.Map, target vm.Value) bool { return drawnWeight(split.Get(target)) }

// drawnWeight is Drawn of the target's weight w in the split, ok when it
// has one.
func drawnWeight(w vm.Value, ok bool) bool { return ok && w.Int() > 0 }

// SessionTarget is the target of a sticky session whose decision's
// target is a draw from split (Drawn): kept, the target the session keeps
// (haveKept), while split still gives it weight; else the split's draw
// with the session's seed (PickWeighted(split, SessionSeed(policy,
// key))), the same on every router: hashed only then, not for a kept
// target, the key being of any length. isKept tells which. err is
// PickWeighted's: the decision's own target then stands. sticky, the
// router and rplc eval all take a session's target from here.
func SessionTarget(split vm.Map, policy, key, kept string, haveKept bool) (target vm.Value, isKept bool, err error) {
	return sessionTarget(nil, split, policy, key, kept, haveKept)
}

// sessionTarget is SessionTarget in the run of c, as drawWeighted.
func sessionTarget(c *vm.Call, split vm.Map, policy, key, kept string, haveKept bool) (target vm.Value, isKept bool, err error) {
	if haveKept && Drawn(split, vm.Str(kept)) {
		return vm.Str(kept), true, nil
	}
	target, err = drawWeighted(c, split, SessionSeed(policy, key))
	return target, false, err
}

// pickWeighted is ab.arm's draw: the key of split whose cumulative
// weight range, in ascending key order, holds point mod total. Weights
// must be ≥ 0 with a positive sum, keys non-empty.
func pickWeighted(c *vm.Call, split vm.Map, point uint64) (vm.Value, error) {
	if split.Len() == 0 {
		return vm.Value{}, errEmptySplit
	}
	if err := chargeOrder(c, split, 0); err != nil {
		return vm.Value{}, err
	}
	return pickPoint(c, split, point)
}

// chargeOrder charges ordering split's n targets by name (ascending), as
// a draw does: vm.SortFuel(n), 1 per 8 of n·log2(n) up to 16 targets and
// 1 per 2 beyond, as keys and values charge ordering (it charged 1 per 8
// targets, and a draw from 10,000 sorted them for 1,260 fuel), and the operators' charge for comparing
// strings, 1 per 64 bytes of the names for each comparison a name takes
// part in (drawTimes), plus reads more of each name. ab.arm's draw costs
// that with none more; a draw with a seed (drawSeeded: weighted's,
// sticky's) hashes the names too, once each: reads 1 (chargeDraw).
func chargeOrder(c *vm.Call, split vm.Map, reads int64) error {
	n := split.Len()
	if err := c.Charge(vm.SortFuel(n)); err != nil {
		return err
	}
	return c.Charge(split.KeysFuel() * (drawTimes(n) + reads))
}

// chargeDraw charges a draw with a seed: ordering the split's targets and
// hashing their names (chargeOrder).
func chargeDraw(c *vm.Call, split vm.Map) error { return chargeOrder(c, split, 1) }

// drawTimes is how many times ordering n targets (ascending) charges each
// name's bytes: n/2 for the insertion sort of up to 16, whose n(n-1)/2
// comparisons each cost the common prefix of two names, at most the mean
// of their lengths; log2(n)+3 for the sort beyond, as vm.OrderKeysFuel
// (its levels, and the insertion sorts of its leaves of up to 12).
func drawTimes(n int) int64 {
	if n <= maxInsertionSort {
		return int64(max(bits.Len(uint(n)), n/2))
	}
	return int64(bits.Len(uint(n)) + 3)
}

// drawSeeded is the target of split drawn with seed, weighted's draw and
// a sticky session's (PickWeighted): point = splitmix64(seed ^ salt ^ h)
// (drawPoint), h the FNV-1a hash of the split's targets in ascending
// order, each followed by a NUL. Every draw of a run had the point
// splitmix64(seed ^ salt): two experiments of one policy, 50/50 splits
// between other targets, put every request in the same half of both.
// Now the draws of splits of other targets are independent, and those
// of one split, or of splits of the same targets, draw the same target
// in a run (a policy reading weighted(s).target and a decision built
// with split s agree). The weights are not hashed: a split whose
// weights change keeps each seed's point, so moving weight from one
// target to the next in ascending order moves only the seeds between
// the old and the new boundary (at a constant total), where hashing the
// weights drew every seed anew; and splits of one set of targets are
// one choice, which a request makes alike wherever the policy draws it.
// Targets of weight 0 are hashed too: giving one weight moves only the
// seeds it takes.
func drawSeeded(c *vm.Call, split vm.Map, seed uint64) (vm.Value, error) {
	return drawPoint(c, split, seed^saltWeighted, true)
}

// pickPoint is pickWeighted without the fuel.
func pickPoint(c *vm.Call, split vm.Map, point uint64) (vm.Value, error) {
	return drawPoint(c, split, point, false)
}

// splitTotal is the total weight of split, whose keys must be non-empty
// and weights ≥ 0 with a positive sum (of at most 2^62). Its error does
// not depend on the order the map was built in: an empty key, else the
// negative weight of the first key in ascending order, else a sum too
// large.
func splitTotal(split vm.Map) (uint64, error) {
	if p := prepOf(split); p != nil {
		return p.total, p.totalErr
	}
	return sumSplit(split)
}

// sumSplit is splitTotal, worked out.
func sumSplit(split vm.Map) (uint64, error) {
	keys, weights := split.Keys(), split.Values()
	neg := -1
	for i, k := range keys {
		switch {
		case k.Len() == 0:
			return 0, errEmptyTarget
		case weights[i].Int() < 0 && (neg < 0 || k.Str() < keys[neg].Str()):
			neg = i
		}
	}
	if neg >= 0 {
		return 0, fmt.Errorf("negative weight %d for %q", weights[neg].Int(), textcut.Cut(keys[neg].Str(), 80))
	}
	var total uint64
	for _, w := range weights {
		// Every weight is below 2^63, and the total at most 2^62 before
		// it is added: the sum does not wrap.
		total += uint64(w.Int())
		if total > 1<<62 {
			return 0, errors.New("weights too large")
		}
	}
	if total == 0 {
		return 0, errZeroWeights
	}
	return total, nil
}

// drawPoint is the key of split whose cumulative weight range, in
// ascending key order, holds point mod total; with hashTargets, point is
// splitmix64(point ^ h) first, h drawSeeded's hash of the targets. The
// run of c, when c is not nil, checks its deadline while the targets are
// ordered (ascending), whose comparisons are charged before (chargeOrder);
// a constant split's order and hash were worked out when its program was
// built (drawPrep).
func drawPoint(c *vm.Call, split vm.Map, point uint64, hashTargets bool) (vm.Value, error) {
	total, err := splitTotal(split)
	if err != nil {
		return vm.Value{}, err
	}
	keys, weights := split.Keys(), split.Values()
	var order []int
	var h uint64
	if p := prepOf(split); p != nil {
		order, h = p.order, p.hash
	} else {
		var buf [16]int
		if order, err = ascending(c, keys, buf[:0]); err != nil {
			return vm.Value{}, err
		}
		if hashTargets {
			h = targetsHash(keys, order)
		}
	}
	if hashTargets {
		point = mix64(point ^ h)
	}
	r := unbiasedMod(point, total)
	for _, i := range order {
		w := uint64(weights[i].Int())
		if r < w {
			return keys[i], nil
		}
		r -= w
	}
	return vm.Value{}, vm.Errorf(vm.CodeInternal, "weighted pick fell through")
}

// targetsHash is drawSeeded's hash of the targets keys in the order
// order: FNV-1a of each name followed by a NUL.
func targetsHash(keys []vm.Value, order []int) uint64 {
	h := uint64(fnvOffset)
	for _, i := range order {
		h = fnv1a(h, keys[i].Str())
		h *= fnvPrime // the NUL after the name: h ^= 0, then the product
	}
	return h
}

// drawPrep is what a draw needs of a map that is a program's constant,
// worked out once when the program is built (prepareSplit), so that a
// draw from a constant split of n targets does not order, check and hash
// them again on every call (BenchmarkWeightedConst: 20 targets took 1.5
// µs a draw and an allocation, 200 22 µs and 4, where 3 took 0.19 µs;
// now 0.10 and 0.27 µs, none). A draw charges the same fuel either way
// (chargeDraw, chargeOrder), and draws the same target.
type drawPrep struct {
	order      []int  // the positions of the targets in ascending order
	hash       uint64 // targetsHash of the targets in that order
	total      uint64 // splitTotal's
	totalErr   error
	targetsErr error // checkSplitTargets's
}

// prepareSplit is the table's map preparer (vm.BuiltinTable.SetMapPreparer):
// the drawPrep of a map of strings to ints, which a policy may draw from;
// nil for any other map.
func prepareSplit(m vm.Map) any {
	keys, weights := m.Keys(), m.Values()
	if len(keys) == 0 {
		return nil
	}
	for i, k := range keys {
		if k.Kind() != vm.KindString || weights[i].Kind() != vm.KindInt {
			return nil
		}
	}
	order, _ := ascending(nil, keys, nil) // no run: no error
	p := &drawPrep{order: order, hash: targetsHash(keys, order), targetsErr: findSplitTarget(m)}
	p.total, p.totalErr = sumSplit(m)
	return p
}

// prepOf is the drawPrep of split, a program's constant, or nil.
func prepOf(split vm.Map) *drawPrep {
	p, _ := split.Prepared().(*drawPrep)
	return p
}

// unbiasedMod is point mod total, each of the total values as likely as
// the others for a uniform point. The last 2^64 mod total points (rest)
// would give the values below rest one point more than the others (a
// split {a: 2^60, b: 2^61} drew a 3/8 of the time, not 1/3): such a point
// is mixed again (mix64, a bijection), deterministically, until it is
// not one of them, and taken mod total as it is after 64 mixes (each
// misses with a chance below 1/4). For the totals policies write (100:
// rest is 16) no draw changes but one in 2^60.
func unbiasedMod(point, total uint64) uint64 {
	if rest := (math.MaxUint64%total + 1) % total; rest != 0 {
		for i := 0; i < 64 && point > math.MaxUint64-rest; i++ {
			point = mix64(point + saltWeighted)
		}
	}
	return point % total
}

// maxInsertionSort is the most keys ascending orders by an insertion sort.
const maxInsertionSort = 16

// interrupted reports whether err stops the run at its deadline or on its
// context (Call.Pace's), not a split that cannot be drawn from.
func interrupted(err error) bool {
	e, ok := err.(*vm.Error) // Pace's, not wrapped (errors.As would allocate)
	return ok && (e.Code == vm.CodeDeadlineExceeded || e.Code == vm.CodeCanceled)
}

// ascending appends to buf the positions of keys in ascending key order:
// an insertion sort in buf for the usual handful of keys, a sort beyond,
// whose comparisons check the deadline of c's run (Call.Pace) when c is
// not nil: its error, once it has one, is ascending's.
func ascending(c *vm.Call, keys []vm.Value, buf []int) ([]int, error) {
	idx := buf[:0]
	for i := range keys {
		idx = append(idx, i)
	}
	if len(keys) > maxInsertionSort {
		var err error
		slices.SortFunc(idx, func(i, j int) int {
			if err != nil {
				return 0
			}
			if c != nil {
				if err = c.Pace(); err != nil {
					return 0
				}
			}
			return vm.Compare(keys[i], keys[j])
		})
		return idx, err
	}
	for i := 1; i < len(idx); i++ {
		for j := i; j > 0 && vm.Compare(keys[idx[j]], keys[idx[j-1]]) < 0; j-- {
			idx[j], idx[j-1] = idx[j-1], idx[j]
		}
	}
	return idx, nil
}

// fallbackProblem is why a fallback's triggers, retries or backoff are
// not one's: no trigger, a negative count or duration.
func fallbackProblem(on, retries, backoff vm.Value) error {
	switch {
	case on.Len() == 0:
		return errors.New("no triggers: a fallback with on: [] never runs")
	case retries.Int() < 0:
		return fmt.Errorf("negative retries %d", retries.Int())
	case backoff.Int() < 0:
		return fmt.Errorf("negative backoff %s", backoff)
	}
	return nil
}

// DecisionProblem is why the Decision record d breaks a rule that the
// builtins keep for what they are given (to, weighted, fallback,
// priority, sticky, tag, pre, validate, post), naming the field: a
// target that is not one the router takes (its target when not empty: a
// denial's, or a split's without a draw, may be; a split's; a
// fallback's), a split's weights (negative, too large, summing to 0), a
// fallback's triggers (none), retries or backoff (negative), a priority
// out of 0–100 (which priority clamps), a sticky key with a negative ttl
// (0s is sticky's without one), an empty tag key or extension name; "" when d keeps
// them all, as every decision the builtins build does. It reads each
// slot as the builtins do, whatever its kind: the runtime checks the
// kinds first. A Decision
// record literal builds one that no builtin checked: a host checks the
// decisions of a program whose route can build Decision records of its
// own (vm.Program.MakesRecordsFrom).
func DecisionProblem(d vm.Value) string {
	s := d.Record()
	if len(s) != lay.decision.n {
		return ""
	}
	if t := s[lay.decision.target]; t.Len() > 0 {
		if err := checkTarget(t); err != nil {
			return err.Error() // target "x y": …
		}
	}
	if split := s[lay.decision.split]; split.Kind() == vm.KindMap && split.Len() > 0 {
		if err := checkSplitTargets(split.Map()); err != nil {
			return "split: " + err.Error()
		}
		if _, err := splitTotal(split.Map()); err != nil {
			return "split: " + err.Error()
		}
	}
	if fbs := s[lay.decision.fallbacks]; fbs.Kind() == vm.KindList {
		for i, fb := range fbs.List() {
			r := fb.Record()
			if len(r) != lay.fallback.n {
				continue
			}
			err := checkTarget(r[lay.fallback.target])
			if err == nil {
				err = fallbackProblem(r[lay.fallback.on], r[lay.fallback.retries], r[lay.fallback.backoff])
			}
			if err != nil {
				return fmt.Sprintf("fallbacks[%d]: %v", i, err)
			}
		}
	}
	if p := s[lay.decision.priority].Int(); clampPriority(p) != p {
		return fmt.Sprintf("priority %d: not in 0–100 (.priority(p) clamps it)", p)
	}
	// A ttl of 0s, a literal's without one, is sticky's without one: the
	// router keeps the session DefaultStickyTTL.
	if ttl := s[lay.decision.stickyTTL]; s[lay.decision.stickyKey].Len() > 0 && ttl.Int() != 0 {
		if err := stickyTTLProblem(ttl); err != nil {
			return "sticky_ttl: " + err.Error()
		}
	}
	for i, k := range s[lay.decision.tags].Map().Keys() {
		if err := tagKeyProblem(k); err != nil {
			return fmt.Sprintf("tags: key %d: %v", i, err)
		}
	}
	for _, ext := range [...]struct {
		name string
		slot int
	}{{"pre", lay.decision.pre}, {"validators", lay.decision.validators}, {"post", lay.decision.post}} {
		for i, x := range s[ext.slot].List() {
			if err := extensionProblem(x); err != nil {
				return fmt.Sprintf("%s[%d]: %v", ext.name, i, err)
			}
		}
	}
	return ""
}

// decFallback appends Fallback{target, on, retries, backoff}.
func decFallback(c *vm.Call, a []vm.Value) (vm.Value, error) {
	target, on, retries, backoff := a[1], a[2], a[3], a[4]
	if err := checkTarget(target); err != nil {
		return vm.Value{}, err
	}
	if on.IsNil() {
		on = anyError
	}
	if retries.IsNil() {
		retries = vm.Int(0)
	}
	if backoff.IsNil() {
		backoff = vm.Duration(0)
	}
	if err := fallbackProblem(on, retries, backoff); err != nil {
		return vm.Value{}, err
	}
	s, err := refine(c, a[0])
	if err != nil {
		return vm.Value{}, err
	}
	// One backing array for the Fallback record and the new list's elements.
	old := s[lay.decision.fallbacks].List()
	nf := lay.fallback.n
	if err := c.Alloc(recordBytes(nf) + listBytes(len(old)+1)); err != nil {
		return vm.Value{}, err
	}
	if err := chargeElems(c, len(old)+1); err != nil { // the copy, as appendList
		return vm.Value{}, err
	}
	buf := c.Values(nf + len(old) + 1)
	fb, elems := buf[:nf:nf], buf[nf:]
	fb[lay.fallback.target] = target
	fb[lay.fallback.on] = on
	fb[lay.fallback.retries] = retries
	fb[lay.fallback.backoff] = backoff
	copy(elems, old)
	elems[len(old)] = vm.NewRecord(fb)
	s[lay.decision.fallbacks] = c.ListOf(elems)
	return c.Fresh(s), nil
}

// decSticky sets the sticky key and ttl and, when the key is not empty and
// d's target was drawn from d's split (Drawn), sets the session's target:
// the one the run's host keeps for the key (SessionState) while the split
// gives it weight, else a draw from the split with the session's seed
// (SessionSeed of the run's policy, vm.Input.Policy, and the key), the
// target a router gives a session it keeps nothing for yet. The rest of
// the policy, which reads d.target, so builds the decision the router
// answers. The draw charges weighted's fuel (chargeDraw) and 1 per 16
// bytes of the key it hashes; a split weighted could not draw from (a Decision record built
// by hand) leaves the target as it was, as the router does.
func decSticky(c *vm.Call, a []vm.Value) (vm.Value, error) {
	ttl := a[2]
	if ttl.IsNil() {
		ttl = vm.Duration(DefaultStickyTTL)
	} else if err := stickyTTLProblem(ttl); err != nil {
		return vm.Value{}, err
	}
	key := a[1].Str()
	var target vm.Value
	redraw := false
	if d := a[0].Record(); key != "" && len(d) == lay.decision.n && d[lay.decision.split].Kind() == vm.KindMap {
		split := d[lay.decision.split].Map()
		// Drawn, charged as m[key] is (Call.Get): the target of a Decision
		// built by hand may be of any length, and a split of more than 8
		// targets hashes it (a 1 MiB target took 27 µs on 7 fuel).
		w, ok, err := c.Get(split, d[lay.decision.target])
		if err != nil {
			return vm.Value{}, err
		}
		if drawnWeight(w, ok) {
			if err := chargeBytes(c, len(key)); err != nil {
				return vm.Value{}, err
			}
			if err := chargeDraw(c, split); err != nil {
				return vm.Value{}, err
			}
			kept, haveKept := "", false
			if ss, ok := c.Host().(SessionState); ok {
				kept, haveKept = ss.KeptTarget(key)
			}
			policy := c.Policy()
			t, _, err := sessionTarget(c, split, policy, key, kept, haveKept)
			if interrupted(err) {
				return vm.Value{}, err // the run stops: not a split's error
			}
			target, redraw = t, err == nil
		}
	}
	s, err := refine(c, a[0])
	if err != nil {
		return vm.Value{}, err
	}
	s[lay.decision.stickyKey] = a[1]
	s[lay.decision.stickyTTL] = ttl
	if redraw {
		s[lay.decision.target] = target
	}
	return c.Fresh(s), nil
}

// stickyTTLProblem is why sticky refuses the ttl given: not positive.
func stickyTTLProblem(ttl vm.Value) error {
	if ttl.Int() <= 0 {
		return fmt.Errorf("sticky ttl must be positive, got %s", ttl)
	}
	return nil
}

// Errors of an empty name: a tag's key, an extension's.
var (
	errEmptyTagKey    = errors.New("empty tag key")
	errEmptyExtension = errors.New("empty extension name")
)

// tagKeyProblem is why tag refuses the key given: empty.
func tagKeyProblem(key vm.Value) error {
	if key.Len() == 0 {
		return errEmptyTagKey
	}
	return nil
}

// extensionProblem is why pre, validate and post refuse the extension
// name given: empty.
func extensionProblem(ext vm.Value) error {
	if ext.Len() == 0 {
		return errEmptyExtension
	}
	return nil
}

// decTag sets tags[key] = value in a new map: a new key goes last, an
// existing one keeps its place and takes the new value.
func decTag(c *vm.Call, a []vm.Value) (vm.Value, error) {
	key, value := a[1], a[2]
	if err := tagKeyProblem(key); err != nil {
		return vm.Value{}, err
	}
	old := a[0].Record()
	if len(old) != lay.decision.n {
		return vm.Value{}, vm.Errorf(vm.CodeInternal, "%s: argument is not a Decision", c.Name())
	}
	tags := old[lay.decision.tags].Map()
	n := tags.Len()
	at := -1 // the position of key in tags
	// The lookup and comparisons cost what the operators' do.
	v, ok, err := c.Get(tags, key)
	if err != nil {
		return vm.Value{}, err
	}
	if ok {
		same, err := c.Equal(v, value)
		if err != nil {
			return vm.Value{}, err
		}
		if same {
			s, err := refine(c, a[0])
			return c.Fresh(s), err
		}
		for i, k := range tags.Keys() {
			if same, err = c.Equal(k, key); err != nil {
				return vm.Value{}, err
			}
			if same {
				at = i
				break
			}
		}
	}
	m := n + 1 // entries of the new map
	if at >= 0 {
		m = n
	}
	s, err := refine(c, a[0])
	if err != nil {
		return vm.Value{}, err
	}
	kv := c.Values(2 * m) // one array for the keys and the values
	keys, vals := kv[:m:m], kv[m:]
	copy(keys, tags.Keys())
	copy(vals, tags.Values())
	if at >= 0 {
		vals[at] = value
	} else {
		keys[n], vals[n] = key, value
	}
	// Building the new map copies its entries and compares each pair of
	// its keys (up to 8) or hashes them into an index: 1 per entry, and the
	// bytes of the keys, as MAKE_MAP charges them. It charged 1 per 8
	// entries: a tag on 10,000 tags took 1.4 ms on 1,257 fuel.
	if err := c.Charge(int64(m) + vm.MapKeysFuel(keys)); err != nil {
		return vm.Value{}, err
	}
	if err := c.Alloc(mapBytes(n + 1)); err != nil {
		return vm.Value{}, err
	}
	tm, err := c.MapOf(keys, vals)
	if err != nil {
		return vm.Value{}, err
	}
	s[lay.decision.tags] = tm
	return c.Fresh(s), nil
}

func decPre(c *vm.Call, a []vm.Value) (vm.Value, error) {
	return addExtension(c, a, lay.decision.pre)
}

func decValidate(c *vm.Call, a []vm.Value) (vm.Value, error) {
	return addExtension(c, a, lay.decision.validators)
}

func decPost(c *vm.Call, a []vm.Value) (vm.Value, error) {
	return addExtension(c, a, lay.decision.post)
}

func addExtension(c *vm.Call, a []vm.Value, slot int) (vm.Value, error) {
	if err := extensionProblem(a[1]); err != nil {
		return vm.Value{}, err
	}
	s, err := refine(c, a[0])
	if err != nil {
		return vm.Value{}, err
	}
	list, err := appendList(c, s[slot], a[1])
	if err != nil {
		return vm.Value{}, err
	}
	s[slot] = list
	return c.Fresh(s), nil
}

// appendList returns a new list of xs's elements and x. Copying them
// costs 1 fuel per 8, as a list builtin's elements: a policy adding to a
// decision's list in a loop copied n²/2 elements for 2 fuel a call.
func appendList(c *vm.Call, xs vm.Value, x vm.Value) (vm.Value, error) {
	old := xs.List()
	if err := c.Alloc(listBytes(len(old) + 1)); err != nil {
		return vm.Value{}, err
	}
	if err := chargeElems(c, len(old)+1); err != nil {
		return vm.Value{}, err
	}
	out := c.Values(len(old) + 1)
	copy(out, old)
	out[len(old)] = x
	return c.ListOf(out), nil
}

func decPriority(c *vm.Call, a []vm.Value) (vm.Value, error) {
	s, err := refine(c, a[0])
	if err != nil {
		return vm.Value{}, err
	}
	s[lay.decision.priority] = vm.Int(clampPriority(a[1].Int()))
	return c.Fresh(s), nil
}

// clampPriority is the priority p as priority sets it: clamped to 0–100.
func clampPriority(p int64) int64 { return min(max(p, 0), 100) }

func decBecause(c *vm.Call, a []vm.Value) (vm.Value, error) {
	s, err := refine(c, a[0])
	if err != nil {
		return vm.Value{}, err
	}
	s[lay.decision.reason] = a[1]
	return c.Fresh(s), nil
}
