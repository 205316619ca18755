package vm

import (
	"errors"
	"hash/maphash"
	"math/bits"
	"slices"
	"unsafe"
)

// listObj is the shared body of a List value.
//
// A list is immutable once a policy can see it. The single exception is
// APPEND, which the compiler uses to fill a fresh accumulator (the lowering
// of filter/map): it grows the list in place when the list was created by
// the same machine during the same run (owner, gen), and copies it otherwise,
// so lists from constants, from the host or from another run are never
// written.
type listObj struct {
	elems []Value
	owner *Machine
	gen   uint64
	room  int // of a list owned by a run: the capacity charged, ≤ cap(elems)
}

// mapObj is the shared body of a Map value: keys in insertion order, with a
// hash index once the map is larger than smallMap.
type mapObj struct {
	keys, vals []Value
	// idx is the hash index of a map of more than smallMap keys: a table
	// of a power of two slots, at least twice the keys, each the position
	// of a key plus 1, or 0 for none; a key is in the first slot from its
	// hash (keyHash) on that is 0 or holds it (linear probing). It is
	// memory of the arena of the run that made the map, if any, as its
	// keys are. It was a Go map: about 4 heap allocations for each map of
	// 9 keys or more that a run made (BenchmarkTags in stdlib: 16 tags on
	// a decision took 10.8 µs and 32 allocations, now 3 µs and none).
	// The memory a run is charged for a map is unchanged (mapBytes).
	idx []int32
	// prep is what the builtin table's preparer made of a program
	// constant's map (BuiltinTable.SetMapPreparer), set on a copy of the
	// body before the program is returned and never written after; nil
	// for every other map.
	prep any
}

const smallMap = 8

// Map is a read-only view of a Map value. Keys are strings or ints;
// iteration order is insertion order (the order of the literal or of the
// NewMap arguments; a repeated key keeps its first position and takes its
// last value).
type Map struct{ m *mapObj }

// Len returns the number of entries.
func (m Map) Len() int {
	if m.m == nil {
		return 0
	}
	return len(m.m.keys)
}

// Get returns the value for key k.
func (m Map) Get(k Value) (Value, bool) {
	if m.m == nil {
		return Value{}, false
	}
	i := m.m.find(k)
	if i < 0 {
		return Value{}, false
	}
	return m.m.vals[i], true
}

// AscendingOrder returns the positions of m's keys in ascending key order
// (the order the language iterates maps in, language.md §3), or nil when
// the keys are in that order already.
func (m Map) AscendingOrder() []int { return ascending(m.m) }

func ascending(m *mapObj) []int { return ascendingWalk(m, nil, 0) }

// ascendingWalk is ascending with the key comparisons of the order check
// and of the sort charged to w as a deep comparison's (1 fuel each, and
// the bytes of string keys), when w is not nil. Once w has failed, every
// comparison returns 0 at once; the caller reports w.err. The keys are
// depth levels below the values compared.
func ascendingWalk(m *mapObj, w *walk, depth int) []int {
	cmp := Compare
	if w != nil {
		cmp = func(a, b Value) int {
			if w.err != nil || !w.take(1) { // 1 fuel a comparison (walk.go)
				return 0
			}
			return compare(a, b, w, depth)
		}
	}
	return ascendingFunc(m, cmp)
}

// ascendingFunc is ascending with the key comparison cmp.
func ascendingFunc(m *mapObj, cmp func(a, b Value) int) []int {
	if m == nil {
		return nil
	}
	if slices.IsSortedFunc(m.keys, cmp) {
		return nil
	}
	return sortedPositions(m, cmp)
}

// sortedPositions is the positions of m's keys in ascending order by cmp.
func sortedPositions(m *mapObj, cmp func(a, b Value) int) []int {
	idx := make([]int, len(m.keys))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(i, j int) int { return cmp(m.keys[i], m.keys[j]) })
	return idx
}

// Prepared is what the preparer of the builtin table of m's program made
// of m (BuiltinTable.SetMapPreparer) when m is one of the program's
// constants or inside one, else nil.
func (m Map) Prepared() any {
	if m.m == nil {
		return nil
	}
	return m.m.prep
}

// Keys returns the keys in iteration order. The caller must not modify them.
func (m Map) Keys() []Value {
	if m.m == nil {
		return nil
	}
	return m.m.keys
}

// Values returns the values in iteration order. The caller must not modify
// them.
func (m Map) Values() []Value {
	if m.m == nil {
		return nil
	}
	return m.m.vals
}

var errMapKey = errors.New("map keys must be strings or ints")

// NewMap returns a map of keys[i] → vals[i]. Keys must be strings or ints.
// A repeated key keeps its first position and takes its last value. The
// slices are not retained when there are repeated keys; otherwise they are
// (the caller must not modify them afterwards).
func NewMap(keys, vals []Value) (Value, error) { return makeMap(nil, keys, vals, nil) }

// makeMap is NewMap in a, paced by run (buildMap).
func makeMap(a *Arena, keys, vals []Value, run *Machine) (Value, error) {
	if len(keys) != len(vals) {
		return Value{}, errors.New("NewMap: len(keys) != len(vals)")
	}
	m, err := buildMap(a, keys, vals, run)
	if err != nil {
		return Value{}, err
	}
	return Value{k: KindMap, p: unsafe.Pointer(m)}, nil
}

// buildMap builds a map body in a, taking ownership of keys and vals.
// When run is not nil, the build of a large map is paced: it checks the
// run's deadline and context after every CheckEvery keys it puts in the
// index (run.interrupted), as Call.Pace does, since MAKE_MAP and
// Call.MapOf charge the keys before the build (1 fuel each, at ~100 times
// the time of an instruction's fuel); it then fails with their error.
func buildMap(a *Arena, keys, vals []Value, run *Machine) (*mapObj, error) {
	for _, k := range keys {
		if k.k != KindString && k.k != KindInt {
			return nil, errMapKey
		}
	}
	m := a.newMap()
	m.keys, m.vals = keys, vals
	// Detect duplicates; compact if any.
	if len(keys) <= smallMap {
		for i := 1; i < len(keys); i++ {
			for j := 0; j < i; j++ {
				if Equal(keys[i], keys[j]) {
					return dedupMap(keys, vals, nil)
				}
			}
		}
		return m, nil
	}
	dup, err := m.index(a, run)
	if err != nil {
		return nil, err
	}
	if dup {
		return dedupMap(keys, vals, run)
	}
	return m, nil
}

// badKey is the first of keys that cannot be a map key (buildMap's
// errMapKey).
func badKey(keys []Value) Value {
	for _, k := range keys {
		if k.k != KindString && k.k != KindInt {
			return k
		}
	}
	return Value{}
}

// paceKeys is the check of a map build paced by run (buildMap) after the
// key at i: every CheckEvery keys.
func paceKeys(run *Machine, i int) error {
	if run == nil || i&(CheckEvery-1) != CheckEvery-1 {
		return nil
	}
	return run.interrupted()
}

// dedupMap builds the map of keys and vals, which repeat a key: a repeated
// key keeps its first position and takes its last value. It is linear: a
// large map finds its keys by hash as it is built (findLinear on a large
// map made loading a constant with one repeated key quadratic). It is
// paced by run as buildMap is.
func dedupMap(keys, vals []Value, run *Machine) (*mapObj, error) {
	m := &mapObj{keys: make([]Value, 0, len(keys)), vals: make([]Value, 0, len(keys))}
	if len(keys) > smallMap {
		m.idx = make([]int32, indexSlots(len(keys)))
	}
	if len(keys) <= smallMap {
		for i, k := range keys {
			if j := m.findLinear(k); j >= 0 {
				m.vals[j] = vals[i]
				continue
			}
			m.keys = append(m.keys, k)
			m.vals = append(m.vals, vals[i])
		}
		return m, nil
	}
	for i, k := range keys {
		if err := paceKeys(run, i); err != nil {
			return nil, err
		}
		if j, dup := m.indexKey(k, int32(len(m.keys))); dup {
			m.vals[j] = vals[i]
			continue
		}
		m.keys = append(m.keys, k)
		m.vals = append(m.vals, vals[i])
	}
	if len(m.keys) <= smallMap { // find scans a small map: no index
		m.idx = nil
	}
	return m, nil
}

// index builds the hash index in a, and reports whether a key is
// repeated: then the index is not complete (dedupMap builds the map).
func (m *mapObj) index(a *Arena, run *Machine) (bool, error) {
	m.idx = a.index(indexSlots(len(m.keys)))
	for i, k := range m.keys {
		if err := paceKeys(run, i); err != nil {
			return false, err
		}
		if _, dup := m.indexKey(k, int32(i)); dup {
			return true, nil
		}
	}
	return false, nil
}

// indexSlots is the size of the index of n keys: the least power of two
// of at least 2n slots.
func indexSlots(n int) int { return 1 << bits.Len(uint(2*n-1)) }

// indexSeed seeds keyHash, anew in each process, so that the keys a
// request chooses cannot be chosen to share slots.
var indexSeed = maphash.MakeSeed()

// intSalt salts the hash of an int key, from indexSeed.
var intSalt = maphash.Comparable(indexSeed, uint64(0x9E3779B97F4A7C15))

// keyHash is the hash of key k in the index.
func keyHash(k Value) uint64 {
	if k.k == KindString {
		return maphash.String(indexSeed, k.str())
	}
	// splitmix64's finalizer, a bijection of the salted int.
	x := k.n ^ intSalt
	x = (x ^ x>>30) * 0xBF58476D1CE4E5B9
	x = (x ^ x>>27) * 0x94D049BB133111EB
	return x ^ x>>31
}

// sameKey reports whether the map keys x and k are equal.
func sameKey(x, k Value) bool {
	return x.k == k.k && x.n == k.n && (x.k != KindString || x.p == k.p || x.str() == k.str())
}

// indexKey puts key k at position i in the hash index, unless the index
// has it already: then it returns that position and true.
func (m *mapObj) indexKey(k Value, i int32) (int32, bool) {
	mask := uint64(len(m.idx) - 1)
	for s := keyHash(k) & mask; ; s = (s + 1) & mask {
		p := m.idx[s]
		if p == 0 {
			m.idx[s] = i + 1
			return 0, false
		}
		if sameKey(m.keys[p-1], k) {
			return p - 1, true
		}
	}
}

func (m *mapObj) findLinear(k Value) int {
	for i, x := range m.keys {
		if sameKey(x, k) {
			return i
		}
	}
	return -1
}

// findFuel is find for k, a string of KeyFuel f > 0, and the fuel of
// finding it: f for each key of k's length at another address that a map
// of up to 8 keys, which it scans, compares k with up to the one it
// finds, and f at least (a larger map hashes k). One scan does both, with
// find's comparisons.
func (m *mapObj) findFuel(k Value, f int64) (int, int64) {
	if len(m.keys) > smallMap {
		return m.find(k), f
	}
	var fuel int64
	for i, x := range m.keys {
		if x.k != KindString || x.n != k.n {
			continue
		}
		if x.p == k.p {
			return i, max(fuel, f)
		}
		fuel += f
		if x.str() == k.str() {
			return i, fuel
		}
	}
	return -1, max(fuel, f)
}

// find returns the position of key k, or -1.
func (m *mapObj) find(k Value) int {
	if len(m.keys) <= smallMap {
		return m.findLinear(k)
	}
	if k.k != KindString && k.k != KindInt {
		return -1
	}
	mask := uint64(len(m.idx) - 1)
	for s := keyHash(k) & mask; ; s = (s + 1) & mask {
		p := m.idx[s]
		if p == 0 {
			return -1
		}
		if sameKey(m.keys[p-1], k) {
			return int(p - 1)
		}
	}
}

// mapBytes estimates the memory of a map of n entries, for accounting.
func mapBytes(n int) int64 {
	b := int64(n)*2*valueSize + 64
	if n > smallMap {
		b += int64(n) * 48
	}
	return b
}

const valueSize = int64(unsafe.Sizeof(Value{}))

// constSet is a precomputed constant set for SET_MEMBER.
type constSet struct {
	fast *strSet // strings, unless buildStrSet refused them
	strs map[string]struct{}
	// maxLen is the length of the longest of strs: a longer string is
	// no member, and is not hashed (which would cost its length).
	maxLen uint64
	ints   map[int64]struct{}
	// small sets are scanned linearly.
	small []Value
}

func (s *constSet) has(v Value) bool {
	if s.small != nil {
		for _, x := range s.small {
			if x.k == v.k && x.n == v.n && (x.k != KindString || x.str() == v.str()) {
				return true
			}
		}
		return false
	}
	switch v.k {
	case KindString:
		if s.fast != nil {
			return s.fast.has(v.str())
		}
		if v.n > s.maxLen {
			return false
		}
		_, ok := s.strs[v.str()]
		return ok
	case KindInt:
		_, ok := s.ints[int64(v.n)]
		return ok
	}
	return false
}
