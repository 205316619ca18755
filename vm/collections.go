package vm

import (
	"errors"
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
	strIdx     map[string]int32
	intIdx     map[int64]int32
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
	if err := m.index(run); err != nil {
		return nil, err
	}
	if len(m.strIdx)+len(m.intIdx) != len(keys) {
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
		m.strIdx, m.intIdx = nil, nil
	}
	return m, nil
}

// index builds the hash index. A repeated key keeps its first position,
// which dedupMap avoids by construction.
func (m *mapObj) index(run *Machine) error {
	// Sized for the keys at once (of the first key's kind: a typed
	// program's are all of one), not grown insert by insert.
	if len(m.keys) > 0 && m.keys[0].k == KindString {
		m.strIdx = make(map[string]int32, len(m.keys))
	} else {
		m.intIdx = make(map[int64]int32, len(m.keys))
	}
	for i, k := range m.keys {
		if err := paceKeys(run, i); err != nil {
			return err
		}
		m.indexKey(k, int32(i))
	}
	return nil
}

// indexKey puts key k at position i in the hash index, unless the index
// has it already: then it returns that position and true.
func (m *mapObj) indexKey(k Value, i int32) (int32, bool) {
	if k.k == KindString {
		if m.strIdx == nil {
			m.strIdx = make(map[string]int32)
		}
		j, dup := m.strIdx[k.str()]
		if !dup {
			m.strIdx[k.str()] = i
		}
		return j, dup
	}
	if m.intIdx == nil {
		m.intIdx = make(map[int64]int32)
	}
	j, dup := m.intIdx[int64(k.n)]
	if !dup {
		m.intIdx[int64(k.n)] = i
	}
	return j, dup
}

func (m *mapObj) findLinear(k Value) int {
	for i, x := range m.keys {
		if x.k == k.k && x.n == k.n && (x.k != KindString || x.p == k.p || x.str() == k.str()) {
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
	switch k.k {
	case KindString:
		if i, ok := m.strIdx[k.str()]; ok {
			return int(i)
		}
	case KindInt:
		if i, ok := m.intIdx[int64(k.n)]; ok {
			return int(i)
		}
	}
	return -1
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
