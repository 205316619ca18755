package state

import (
	"hash/maphash"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

func TestTable(t *testing.T) {
	tb := newTable[string, int](stringHash())
	if tb.get("x") != nil {
		t.Fatal("a key in an empty table")
	}
	for i := range 1000 {
		*tb.add(strconv.Itoa(i)) = i
		if v := tb.add(strconv.Itoa(i)); *v != i {
			t.Fatalf("add of a known key: %d, want %d", *v, i)
		}
	}
	if tb.n != 1000 || len(*tb.slots.Load()) < 2000 {
		t.Errorf("%d entries in %d slots", tb.n, len(*tb.slots.Load()))
	}
	for i := range 1000 {
		if v := tb.get(strconv.Itoa(i)); v == nil || *v != i {
			t.Fatalf("get(%d) = %v", i, v)
		}
	}
	if tb.get("1000") != nil {
		t.Error("a key never added")
	}
}

// A reader finds every key added before it looked, while the writer adds
// keys and grows the table, and a value is the same whichever slot array
// the reader found it in (run with -race).
func TestTableConcurrent(t *testing.T) {
	tb := newTable[string, atomic.Int64](stringHash())
	const n = 5000
	keys := make([]string, n)
	for i := range keys {
		keys[i] = "k" + strconv.Itoa(i)
	}
	var added atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		for i, k := range keys {
			tb.add(k).Store(int64(i))
			added.Store(int64(i + 1))
		}
	})
	for r := range 2 {
		wg.Go(func() {
			for i := 0; added.Load() < n; i++ {
				c := added.Load()
				if c == 0 {
					continue
				}
				j := (i*31 + r) % int(c)
				v := tb.get(keys[j])
				if v == nil {
					t.Errorf("key %d of %d added not found", j, c)
					return
				}
				if got := v.Load(); got != int64(j) {
					t.Errorf("key %d: %d", j, got)
					return
				}
				if tb.get(keys[j]) != v {
					t.Errorf("key %d moved", j)
					return
				}
			}
		})
	}
	wg.Wait()
}

// stringHash is maphash.String with a seed of its own.
func stringHash() func(string) uint64 {
	seed := maphash.MakeSeed()
	return func(s string) uint64 { return maphash.String(seed, s) }
}

// keep drops the keys it is told to, keeps the others (the same values,
// at the same addresses), shrinks the slot array to the keys it keeps,
// and leaves a table it would not change as it is.
func TestTableKeep(t *testing.T) {
	tb := newTable[int, int](intHash())
	if tb.keep(func(int) bool { return false }) != 0 {
		t.Fatal("dropped keys of an empty table")
	}
	vals := map[int]*int{}
	for i := range 1000 {
		v := tb.add(i)
		*v = i
		vals[i] = v
	}
	if got := tb.keep(func(k int) bool { return k%10 == 0 }); got != 900 || tb.n != 100 {
		t.Fatalf("dropped %d, %d left; want 900, 100", got, tb.n)
	}
	if l := len(*tb.slots.Load()); l != 512 {
		t.Errorf("%d slots for 100 keys, want 512", l)
	}
	for i := range 1000 {
		v := tb.get(i)
		if i%10 != 0 {
			if v != nil {
				t.Fatalf("key %d was dropped, found %d", i, *v)
			}
			continue
		}
		if v != vals[i] || *v != i {
			t.Fatalf("key %d: %p %v, want %p", i, v, v, vals[i])
		}
	}
	p := tb.slots.Load()
	if got := tb.keep(func(k int) bool { return true }); got != 0 || tb.slots.Load() != p {
		t.Errorf("keeping every key dropped %d or rebuilt the table", got)
	}
	// The kept keys' room: as many again before it grows.
	for i := 1000; i < 1100; i++ {
		tb.add(i)
	}
	if tb.slots.Load() != p {
		t.Error("the table grew for as many keys again as keep kept")
	}
	if tb.keep(func(int) bool { return false }) != 200 || tb.n != 0 || len(*tb.slots.Load()) != 16 {
		t.Errorf("dropping every key: %d left in %d slots", tb.n, len(*tb.slots.Load()))
	}
	if tb.get(0) != nil {
		t.Error("a key found in an emptied table")
	}
	*tb.add(7) = 7
	if v := tb.get(7); v == nil || *v != 7 {
		t.Error("an emptied table does not add")
	}
}

// Readers race with a writer that adds keys and drops old ones, as the
// ledger does (run with -race): a reader finds every key that the writer
// keeps, with its value whole, and a dropped key either as it was or not
// at all.
func TestTableKeepConcurrent(t *testing.T) {
	tb := newTable[int, atomic.Int64](intHash())
	const n, window = 20000, 500
	var added atomic.Int64 // keys [0, added) were added; [added-window, added) are kept
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range n {
			tb.add(i).Store(int64(i) * 3)
			added.Store(int64(i + 1))
			if i%100 == 99 {
				first := i + 1 - window
				tb.keep(func(k int) bool { return k >= first })
			}
		}
	})
	for r := range 2 {
		wg.Go(func() {
			for i := 0; added.Load() < n; i++ {
				c := int(added.Load())
				if c == 0 {
					continue
				}
				// A recent key, or any key ever added: found with its
				// value, or not found when a keep that followed the
				// counter's load dropped it (each keep keeps the last
				// window keys added before it).
				k := c - 1 - (i*31+r)%min(c, window)
				if i%2 == 1 {
					k = (i*7 + r) % c
				}
				v := tb.get(k)
				if v == nil {
					if k >= int(added.Load())-window {
						t.Errorf("key %d, one of the last %d added, not found", k, window)
						return
					}
					continue
				}
				if got := v.Load(); got != int64(k)*3 {
					t.Errorf("key %d: %d", k, got)
					return
				}
			}
		})
	}
	wg.Wait()
	if tb.n > window+100 {
		t.Errorf("%d keys kept, want at most %d", tb.n, window+100)
	}
}

func intHash() func(int) uint64 {
	return func(k int) uint64 { return uint64(k) * 0x9e3779b97f4a7c15 }
}
