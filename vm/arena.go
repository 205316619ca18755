package vm

import "unsafe"

// An Arena is memory for the records, maps and lists that runs make, kept
// from one run to the next. A host that decides in a loop gives each run
// the same Arena (Input.Arena) and calls Reset between decisions: once the
// arena has grown to what a run makes, runs take nothing from the Go heap
// for those values, and they reuse memory that is still in the caches
// instead of sweeping through fresh heap memory.
//
// Everything made from an arena, a run's result included, is valid until
// the arena's Reset, which zeroes it for reuse: the host must not keep a
// value of those runs (nor anything it reaches) past Reset. Strings are
// never arena memory, so strings taken out of the values stay valid. The
// values a machine keeps between runs (the lists of recycle.go) are never
// arena memory either. A nil *Arena is the Go heap.
//
// An Arena is not safe for concurrent use: one run at a time, as with the
// Machine that runs it.
type Arena struct {
	vals  chunks[Value]
	maps  chunks[mapObj]
	lists chunks[listObj]
	slots chunks[int32] // maps' hash indexes
}

// Reset makes all the arena's memory free for the next runs. Every value
// made from it since the last Reset becomes invalid.
func (a *Arena) Reset() {
	a.vals.reset()
	a.maps.reset()
	a.lists.reset()
	a.slots.reset()
}

// Values returns n zero values, a full slice (no append can reach a
// neighbour), from a, or from the heap when a is nil: the slots of a
// record, the elements of a list the host makes for a run's values.
func (a *Arena) Values(n int) []Value {
	if a == nil {
		return make([]Value, n)
	}
	return a.vals.take(n)
}

// index returns a map's hash index of n slots, all 0 (mapObj.idx).
func (a *Arena) index(n int) []int32 {
	if a == nil {
		return make([]int32, n)
	}
	return a.slots.take(n)
}

// newMap returns an empty map body.
func (a *Arena) newMap() *mapObj {
	if a == nil {
		return new(mapObj)
	}
	return &a.maps.take(1)[0]
}

// list returns a list of elems.
func (a *Arena) list(elems []Value) Value {
	if a == nil {
		return NewList(elems)
	}
	lo := &a.lists.take(1)[0]
	lo.elems = elems
	return Value{k: KindList, p: unsafe.Pointer(lo)}
}

// Chunk sizes, in bytes: the first chunk of a kind, and the largest. A
// request larger than a quarter of maxChunk goes to the heap, so that one
// large list does not make the arena keep a large chunk.
const (
	minChunk = 1 << 10
	maxChunk = 64 << 10
)

// chunks hands out slices of T from a chunk, and from new chunks when it
// is full; reset keeps one chunk as large as everything taken since the
// last reset, so that a steady load settles on one chunk and no
// allocation.
type chunks[T any] struct {
	cur  []T   // the chunk in use; cur[:used] is taken
	used int   // elements of cur taken
	full [][]T // earlier chunks, full, since the last reset
	all  int   // elements taken from full chunks since the last reset
}

func (c *chunks[T]) take(n int) []T {
	if c.used+n > len(c.cur) {
		var zero T
		size := int(unsafe.Sizeof(zero))
		if n*size > maxChunk/4 {
			return make([]T, n)
		}
		if c.cur != nil {
			c.full = append(c.full, c.cur[:c.used])
			c.all += c.used
		}
		c.cur = make([]T, max(minChunk/size, min(2*len(c.cur), maxChunk/size), n))
		c.used = 0
	}
	s := c.cur[c.used : c.used+n : c.used+n]
	c.used += n
	return s
}

func (c *chunks[T]) reset() {
	clear(c.cur[:c.used])
	if len(c.full) > 0 {
		// The run needed several chunks: the next one gets a chunk of
		// all it took (capped), and the full ones go to the collector.
		var zero T
		n := min(c.all+c.used, maxChunk/int(unsafe.Sizeof(zero)))
		if n > len(c.cur) {
			c.cur = make([]T, n)
		}
		clear(c.full)
		c.full = c.full[:0]
		c.all = 0
	}
	c.used = 0
}
