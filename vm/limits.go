package vm

import (
	"math/bits"
	"time"
)

// Limits bound one run. A zero field takes its default; to lift a limit in
// practice, set it very large (math.MaxInt64).
type Limits struct {
	// Fuel is the budget of work: every instruction costs 1, builtins cost
	// their declared Cost plus what they Charge.
	Fuel int64
	// Memory is the budget in bytes of strings, lists, maps and records
	// created during the run (estimated; values passed in are free).
	Memory int64
	// MaxDepth is the maximum call depth (the entry function is depth 1).
	MaxDepth int
	// Deadline, when not zero, stops the run with deadline_exceeded once
	// the clock passes it (time.Now, or Machine.SetClock's). It is checked
	// with the context every CheckEvery fuel of work (CheckEvery), so it
	// costs no timer. A run of fewer than CheckEvery instructions reads
	// the clock only when its builtins' charges take the fuel reserve
	// across a multiple of CheckEvery (Call.Charge): with the default
	// fuel, after 576 fuel of builtins' charges, once.
	Deadline time.Time
}

// Default limits.
const (
	DefaultFuel     = 1_000_000
	DefaultMemory   = 16 << 20
	DefaultMaxDepth = 200
)

// MaxAlloc is the most bytes one allocation of a run may take, whatever
// Limits.Memory allows: under a memory limit of math.MaxInt64, a list of
// 2^32 elements (LIST_CAP, range) fails with memory_exhausted instead of
// the process with Go's out-of-memory fatal error.
const MaxAlloc = 1 << 30

// CheckEvery is the fuel of work between two checks of the deadline and
// the context (deadline, cancellation): the interpreter checks them every
// CheckEvery fuel it spends, Call.Charge each time the fuel left crosses a
// multiple of CheckEvery, and Call.Pace every CheckEvery steps of work
// that a builtin charged up front. It is a power of 2 (Charge and Pace
// mask with CheckEvery-1).
const CheckEvery = 1024

const _ uint = -(CheckEvery & (CheckEvery - 1)) // CheckEvery is a power of 2

// maxStackSlots bounds the value stack of a machine (locals and operands of
// all frames), whatever MaxDepth says.
const maxStackSlots = 1 << 20

func (l Limits) withDefaults() Limits {
	if l.Fuel <= 0 {
		l.Fuel = DefaultFuel
	}
	if l.Memory <= 0 {
		l.Memory = DefaultMemory
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	return l
}

// Stats reports what a run used.
type Stats struct {
	Fuel   int64 // fuel used
	Memory int64 // bytes allocated
	Calls  int64 // function calls, entry included
}

// CallFuel is the fuel a CALL costs beyond its instruction for a callee of
// numLocals locals (parameters included), which it clears: 1 per 32, so
// that a call of a wide frame is not a large amount of work for 1 fuel,
// and a function of fewer than 32 locals costs nothing more.
func CallFuel(numLocals int) int64 { return int64(numLocals >> 5) }

// ListCapFuel is the fuel LIST_CAP costs beyond its instruction for room
// of n elements, and APPEND for the room of n it makes when it grows a
// list, which they clear: 1 per 32, as CALL's locals (CallFuel).
func ListCapFuel(n int64) int64 { return max(n, 0) >> 5 }

// OrderKeysFuel is the fuel of ordering the n keys of a map whose KeyFuel
// sum to keys, as writing the map does (Value.String, EXPECT_FAIL's
// message, string): SortFuel(n), and the keys' bytes for the comparisons
// each takes part in, which an order check and a sort (pattern-defeating
// quicksort, an insertion sort up to 12) make: of up to 12 keys n/2+1
// times (the check's, each key in two, and the n(n-1)/2 of the insertion
// sort, each at most the mean of two keys), at least log2(n); of more,
// log2(n)+3 times (its levels, and the insertion sorts of its leaves of up
// to 12: random orders of up to 3000 keys take up to log2(n)+2.3).
func OrderKeysFuel(n int, keys int64) int64 {
	if n < 2 {
		return 0
	}
	times := bits.Len(uint(n)) + 3
	if n <= 12 {
		times = max(bits.Len(uint(n)), n/2+1)
	}
	return SortFuel(n) + keys*int64(times)
}

// SortFuel is the fuel of ordering n values: of up to 16 (an order check
// and an insertion sort, the usual handful of a split's targets or a map's
// keys), 1 per 8 of n·log2(n) comparisons; of more, 1 per 2, as sort's
// (stdlib's stableSortFuel). At 1 per 8, ordering 10,000 keys or targets
// (a pattern-defeating quicksort of their positions, comparing the keys
// through a function) took 170 to 270 ns a fuel: keys, values, a draw of
// weighted or ab.arm, writing a map.
func SortFuel(n int) int64 {
	f := int64(n) * int64(bits.Len(uint(n)))
	if n <= 16 {
		return f >> 3
	}
	return f >> 1
}
