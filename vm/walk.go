package vm

import (
	"fmt"
	"strings"
)

// Deep comparisons charge fuel for their walk: EQ, NE, EQ_CONST, NE_CONST,
// JMP_IF_EQ_CONST, JMP_IF_NE_CONST, IN_LIST, BEFORE and AFTER of lists,
// maps or records, and the builtins that use Call.Equal and Call.Compare,
// cost 1 fuel per elemsPerFuel element pairs they compare, at every level
// of nesting, on top of their own cost, and the strings they compare as
// strFuelShift says. The walk runs on the interpreter's fuel: when it
// runs out it checks the deadline and the context, as the interpreter does
// every CheckEvery units, and stops with fuel_exhausted when the budget is
// gone, so comparing two large (or widely shared) structures is bounded
// like any other work.
//
// A map's entries cost more, 1 fuel each: an equality finds each key of
// one map in the other (hashing it, past smallMap keys), and an ordering
// (BEFORE, AFTER, Call.Compare) orders each map's keys first, 1 fuel a
// comparison of keys (a sort through a function, as SortFuel charges
// past 16 values). At 1 per 8, == of two maps of 10,000 keys took 240 ns
// a fuel, and BEFORE 330.
const elemsPerFuel = 8

// MaxCompareDepth is how deep the deep comparisons charged to a run
// (EQ, NE, EQ_CONST, NE_CONST, JMP_IF_EQ_CONST, JMP_IF_NE_CONST, IN_LIST,
// BEFORE, AFTER, Call.Equal, Call.Compare) walk nested values: one that
// reaches a list, map or record MaxCompareDepth levels below the values
// compared stops the run with stack_overflow. The walk recurses, and Go
// does not recover from the overflow of a goroutine's stack, which the
// limits of a run (fuel, memory) would not prevent on their own: a value
// of millions of levels fits in a large memory budget. Typed programs
// never come near it: RPL has no recursive types, so a value is as deep
// as its type, and constants nest at most MaxConstDepth deep.
const MaxCompareDepth = 10_000

// walk counts the element pairs of a deep comparison against a machine's
// fuel. A nil *walk counts nothing (Equal, Compare).
type walk struct {
	m      *Machine
	budget int64 // fuel of the current chunk, as in the interpreter
	n      int   // element pairs left before the next unit of fuel
	err    error // why the walk stopped; every step fails after it
}

// at reports whether the walk may go on into a list, map or record depth
// levels below the values compared: not at MaxCompareDepth, where it
// stops (w.deep). A nil walk (Equal, Compare) goes on at any depth.
func (w *walk) at(depth int) bool {
	return depth < MaxCompareDepth || w == nil || w.deep()
}

// step counts one element pair; it reports false when the run must stop
// (w.err says why).
func (w *walk) step() bool {
	w.n--
	if w.n > 0 {
		return true
	}
	return w.charge()
}

// deep stops the walk at MaxCompareDepth; it reports false.
//
//go:noinline
func (w *walk) deep() bool {
	if w.err == nil {
		w.err = &Error{Code: CodeStackOverflow,
			Msg: fmt.Sprintf("stack overflow (values nested more than %d deep compared)", MaxCompareDepth)}
	}
	return false
}

// charge takes the next unit of fuel for element pairs.
func (w *walk) charge() bool {
	w.n = elemsPerFuel
	return w.take(1)
}

// take takes fuel units, and a new chunk from the machine (checking the
// deadline and the context) when the chunk is used up.
func (w *walk) take(fuel int64) bool {
	if w.err != nil {
		return false
	}
	w.budget -= fuel
	if w.budget >= 0 {
		return true
	}
	w.budget, w.err = w.m.refuel(w.budget)
	return w.err == nil
}

// Comparing strings costs fuel for the bytes it compares, at the rate of
// CONCAT, 1 per 64 bytes (whole blocks of 64: the short strings
// of the usual policy compare free): an equality (EQ and the instructions
// above, IN_LIST per element, Call.Equal) compares two strings of the
// same length, unless they share their bytes; an ordering (LT_STR, LE_STR,
// GT_STR, GE_STR, BEFORE, AFTER, Call.Compare) compares their common
// prefix; finding a string key in a map (INDEX_MAP, IN_MAP) or in a
// constant set (SET_MEMBER, JMP_UNLESS_MEMBER, LOCAL_FIELD_SET_MEMBER)
// compares or hashes the key, and MAKE_MAP each of its keys and, of up to
// 8, each pair of them, which it compares (MapKeysFuel).
const strFuelShift = 6

// strFuel is the fuel of n bytes of string work.
func strFuel(n uint64) int64 { return int64(n >> strFuelShift) }

// KeyFuel is the fuel of finding key k in a map (INDEX_MAP, IN_MAP) or in
// a constant set (SET_MEMBER, JMP_UNLESS_MEMBER, LOCAL_FIELD_SET_MEMBER),
// or of putting it in a map (MapKeysFuel), beyond the instruction's.
func KeyFuel(k Value) int64 {
	if k.n < strBlock || k.k != KindString { // the length first: most keys are short
		return 0
	}
	return strFuel(k.n)
}

// KeysFuel is the KeyFuel of each key of m, summed: what comparing or
// hashing each of them once costs.
func (m Map) KeysFuel() int64 {
	var fuel int64
	for _, k := range m.Keys() {
		fuel += KeyFuel(k)
	}
	return fuel
}

// LookupFuel is the fuel of finding key k in m beyond the instruction's,
// as INDEX_MAP, IN_MAP and Call.Get charge it: a string key's KeyFuel for
// each key of its length at another address that a map of up to 8 keys
// compares it with, up to the one it finds, and once at least. The
// compiler counts it in the static cost bound for a constant key.
func LookupFuel(m Map, k Value) int64 {
	f := KeyFuel(k)
	if f == 0 || m.m == nil {
		return f
	}
	_, fuel := m.m.findFuel(k, f)
	return fuel
}

// MapKeysFuel is the fuel of the string keys of a map made of keys
// (MAKE_MAP, NewMap, Call.MapOf), as the operators charge comparing and
// hashing strings: each key (KeyFuel: hashed, or read once), and in a map
// of up to 8 keys, which compares every pair of them, each pair of the
// same length at different addresses too (their length, as an equality).
func MapKeysFuel(keys []Value) int64 {
	var fuel int64
	for i, k := range keys {
		f := KeyFuel(k)
		if f == 0 {
			continue // a short string or an int: free against any key
		}
		fuel += f
		if len(keys) > smallMap {
			continue
		}
		for _, o := range keys[:i] {
			if o.k == KindString && o.n == k.n && o.p != k.p {
				fuel += f
			}
		}
	}
	return fuel
}

// equalFuel is Equal of a scalar a and any b, and its fuel beyond the
// instruction's: that of the bytes of two strings of the same length at
// different addresses, which only then are compared.
func equalFuel(a, b Value) (bool, int64) {
	if a.k != b.k {
		return false, 0
	}
	if a.k != KindString || a.n != b.n || a.p == b.p {
		return equalScalar(a, b), 0
	}
	return a.str() == b.str(), strFuel(a.n)
}

// compareStr is strings.Compare of two strings, and its fuel: that of
// their common prefix.
func compareStr(a, b Value) (int, int64) {
	if !costlyCompare(a, b) {
		return strings.Compare(a.str(), b.str()), 0
	}
	return compareLong(a.str(), b.str())
}

const strBlock = 1 << strFuelShift

// costlyCompare reports whether ordering the strings a and b may cost
// fuel: both are a block long or more, and at different addresses (at the
// same one, the order is that of the lengths).
func costlyCompare(a, b Value) bool { return min(a.n, b.n) >= strBlock && a.p != b.p }

// compareLong is compareStr of strings that costlyCompare: it compares
// them a block at a time to know their common prefix.
func compareLong(x, y string) (int, int64) {
	i := 0
	for n := min(len(x), len(y)) - strBlock; i <= n && x[i:i+strBlock] == y[i:i+strBlock]; i += strBlock {
	}
	return strings.Compare(x[i:], y[i:]), strFuel(uint64(i))
}

// equalDeep is Equal of a list, map or record a and any b for the
// interpreter, charged to its fuel chunk budget: it returns the budget
// left, or the error that stops the run.
func (m *Machine) equalDeep(a, b Value, budget int64) (bool, int64, error) {
	w := walk{m: m, budget: budget}
	eq := equal(a, b, &w, 0)
	if w.err != nil {
		return false, 0, w.err
	}
	return eq, w.budget, nil
}

// compareDeep is Compare of two lists, maps or records of the same kind
// for the interpreter (BEFORE, AFTER), charged as equalDeep.
func (m *Machine) compareDeep(a, b Value, budget int64) (int, int64, error) {
	w := walk{m: m, budget: budget}
	c := compare(a, b, &w, 0)
	if w.err != nil {
		return 0, 0, w.err
	}
	return c, w.budget, nil
}

// inListDeep is IN_LIST of a list, map or record, or of a string long
// enough to cost fuel, x in elems, charged as equalDeep.
func (m *Machine) inListDeep(x Value, elems []Value, budget int64) (bool, int64, error) {
	w := walk{m: m, budget: budget}
	for _, e := range elems {
		if equal(x, e, &w, 0) {
			return true, w.budget, nil
		}
		if w.err != nil {
			return false, 0, w.err
		}
	}
	return false, w.budget, nil
}

// Equal is vm.Equal charged to the run: 1 fuel per 8 element pairs it
// compares in nested lists, maps and records, and the bytes of the
// strings it compares (strFuelShift; other scalars are free), from a
// chunk of fuel as the interpreter takes it, so that the deadline and the
// context are checked every CheckEvery units, not at every call. It fails
// with fuel_exhausted, or at the deadline, instead of walking on.
func (c *Call) Equal(a, b Value) (bool, error) {
	if a.k != b.k {
		return false, nil
	}
	if a.k < KindList {
		eq, fuel := equalFuel(a, b)
		return eq, c.Charge(fuel)
	}
	eq, left, err := c.m.equalDeep(a, b, c.m.takeFuel())
	c.m.fuel += left
	return eq, err
}

// Compare is vm.Compare charged to the run as Equal is. On an error the
// order is 0; a builtin that sorts must check the error once sorted.
func (c *Call) Compare(a, b Value) (int, error) {
	if a.k == KindString && b.k == KindString {
		r, fuel := compareStr(a, b)
		if err := c.Charge(fuel); err != nil {
			return 0, err
		}
		return r, nil
	}
	if a.k != b.k || a.k < KindList {
		return Compare(a, b), nil
	}
	r, left, err := c.m.compareDeep(a, b, c.m.takeFuel())
	c.m.fuel += left
	return r, err
}
