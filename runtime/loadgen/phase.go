package loadgen

import (
	"runtime"
	"runtime/metrics"
)

// triggerShare is about the share of the collector's runway (heap goal
// less the heap in use just after a collection) that a process allocates
// before the next cycle starts: the pacer starts marking early enough to
// finish by the goal. Measured on this machine after a forced collection
// (a small live heap, GOGC 1500), two cycles ended after 0.74 and 0.80 of
// the runway; in a test's tiny heap, from 0.7 to over 1 from one cycle
// to the next. The phases need only be spread over the cycle, not placed
// exactly.
const triggerShare = 0.75

// garbage is where settle's allocations escape to.
var garbage []byte

// settle collects the heap, then, for phase in (0, 1), allocates that
// share of what the process may allocate before its next collection and
// drops it: the run starts where a process that has been allocating
// steadily would be at that point of the collector's cycle.
//
// A run that starts from a collected heap alone (phase 0) goes the
// longest it can without a collection. The bench's rounds are short (a
// second or two): a setup that allocates ~1.5 KB a request at 10,000/s
// (the echo responder) then never collected within one, while one that
// allocates ~2.2 KB (the router) collected in some, where both collect
// under a steady load, the second about half as often again. Rounds at
// phases spread over the cycle (the bench's (k+0.5)/rounds, the same for
// every setup of round k) charge each setup its collections in
// proportion to what it allocates.
func settle(phase float64) {
	runtime.GC()
	if phase <= 0 || phase >= 1 {
		return
	}
	s := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 || s[1].Value.Kind() != metrics.KindUint64 {
		return
	}
	goal, used := s[0].Value.Uint64(), s[1].Value.Uint64()
	if goal <= used {
		return
	}
	const chunk = 64 << 10
	for n := uint64(float64(goal-used) * triggerShare * phase); n >= chunk; n -= chunk {
		garbage = make([]byte, chunk)
	}
	garbage = nil
}
