package state

import "sync/atomic"

// table is a hash table written by one goroutine at a time (a writer
// holding Mem's lock) and read by any number without a lock. It maps a
// key to a value that lives as long as the table, at a fixed address, so
// the value's own atomics publish its updates; the table only publishes
// new keys. Open addressing with linear probing, no deletion (a value can
// say "none", like a nil pointer). Each slot is an atomic pointer to an
// entry whose key never changes; the writer stores a new entry in an empty slot, or, at
// half load, fills a doubled slot array and publishes it whole. A reader
// probes the array it loaded: it finds every key added before its load,
// and never a half-written one.
//
// Keys go only all at once: keep fills a fresh slot array with the
// entries it keeps and publishes it whole, like a growth. A reader of the
// old array may still find a dropped entry, whole, and a value it holds
// stays valid; the kept entries, values included, are the same in both
// arrays.
//
// A new key costs the writer O(1) amortized, whatever the table's size:
// a copy-on-write map costs O(keys) for each, which the spend ledger (a
// new key per tenant per day) cannot afford.
type table[K comparable, V any] struct {
	slots atomic.Pointer[[]atomic.Pointer[entry[K, V]]]
	n     int // entries; the writer's
	hash  func(K) uint64
}

type entry[K comparable, V any] struct {
	key K
	val V
}

func newTable[K comparable, V any](hash func(K) uint64) *table[K, V] {
	return &table[K, V]{hash: hash}
}

// get is key's value, nil when the key was never added. Any goroutine.
func (t *table[K, V]) get(key K) *V {
	p := t.slots.Load()
	if p == nil {
		return nil
	}
	s := *p
	mask := uint64(len(s) - 1)
	for i := t.hash(key) & mask; ; i = (i + 1) & mask {
		e := s[i].Load()
		if e == nil {
			return nil
		}
		if e.key == key {
			return &e.val
		}
	}
}

// add is key's value, added (the zero V) if the key is new. The writer
// only.
func (t *table[K, V]) add(key K) *V {
	if v := t.get(key); v != nil {
		return v
	}
	p := t.slots.Load()
	if p == nil || 2*(t.n+1) > len(*p) {
		n := 16
		if p != nil {
			n = 2 * len(*p)
		}
		s := make([]atomic.Pointer[entry[K, V]], n)
		if p != nil {
			for i := range *p {
				if e := (*p)[i].Load(); e != nil {
					t.insert(s, e)
				}
			}
		}
		// The entries move, their values do not: a reader of the old
		// array and one of the new share them.
		p = &s
		t.slots.Store(p)
	}
	e := &entry[K, V]{key: key}
	t.insert(*p, e)
	t.n++
	return &e.val
}

// keep drops the keys for which keep is false, and is the number of keys
// it dropped. The writer only. The new slot array has room for twice the
// kept keys before it grows: when the ledger drops a day's keys, about as
// many for the new day are to come.
func (t *table[K, V]) keep(keep func(K) bool) int {
	p := t.slots.Load()
	if p == nil {
		return 0
	}
	kept := 0
	for i := range *p {
		if e := (*p)[i].Load(); e != nil && keep(e.key) {
			kept++
		}
	}
	if kept == t.n {
		return 0
	}
	n := 16
	for n < 4*kept {
		n *= 2
	}
	s := make([]atomic.Pointer[entry[K, V]], n)
	for i := range *p {
		if e := (*p)[i].Load(); e != nil && keep(e.key) {
			t.insert(s, e)
		}
	}
	t.slots.Store(&s)
	dropped := t.n - kept
	t.n = kept
	return dropped
}

func (t *table[K, V]) insert(s []atomic.Pointer[entry[K, V]], e *entry[K, V]) {
	mask := uint64(len(s) - 1)
	i := t.hash(e.key) & mask
	for s[i].Load() != nil {
		i = (i + 1) & mask
	}
	s[i].Store(e)
}
