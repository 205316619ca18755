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
