// Package heapfloor puts a floor under the Go collector's heap goal, so
// that a process whose live heap is small does not collect after every
// few megabytes of garbage.
//
// At GOGC=100 the collector runs each time the heap reaches twice its live
// size, and never waits for more than 4 MB. The router's live heap is
// small (a few MB with the example policies) while each decision leaves
// about a kilobyte of garbage, so at 10,000 decisions/s it collected 5 to
// 13 times a second, and every collection (two stops of the world, a
// mark phase that takes a processor's quarter and slows the allocating
// goroutines) lands in the latency tail of the requests in flight.
//
// A Floor raises GOGC while twice the live heap is below the floor, so
// that the goal is the floor, and keeps the GOGC in effect at Start once
// the live heap outgrows it: a router with 10,000 tenants (a live heap of
// ~60 MB) collects as it would without one. The percentage is recomputed
// after each collection, from the live heap the runtime measured. A GOGC
// set in the environment (a number or off) is the operator's choice and
// is left alone; GOMEMLIMIT still bounds the heap either way.
package heapfloor

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
)

// MaxPercent bounds the GOGC a Floor sets.
const MaxPercent = 100_000

// Floor keeps the heap goal at or above a size; see the package doc.
type Floor struct {
	floor   uint64
	base    int
	percent atomic.Int64
	runs    atomic.Int64

	mu      sync.Mutex // adjust and Stop: no GOGC is set after Stop restored it
	stopped bool
	sample  []metrics.Sample
}

// Start puts a floor of the given size (bytes) under the heap goal. It
// returns nil, and changes nothing, when floor is 0 or GOGC is set in the
// environment.
func Start(floor uint64) *Floor {
	if floor == 0 || os.Getenv("GOGC") != "" {
		return nil
	}
	f := &Floor{floor: floor, sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}}
	gogc := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(gogc)
	if gogc[0].Value.Kind() != metrics.KindUint64 || gogc[0].Value.Uint64() == 0 {
		return nil // collection is off (debug.SetGCPercent(-1)), or cannot be read
	}
	f.base = int(gogc[0].Value.Uint64())
	f.adjust()
	f.arm()
	return f
}

// Stop restores the GOGC in effect at Start.
func (f *Floor) Stop() {
	if f == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.stopped {
		f.stopped = true
		debug.SetGCPercent(f.base)
	}
}

// Percent is the GOGC last set.
func (f *Floor) Percent() int { return int(f.percent.Load()) }

// Adjustments is the number of times the percentage was recomputed after
// a collection.
func (f *Floor) Adjustments() int64 { return f.runs.Load() }

// sentinel is garbage from birth: its cleanup runs after the next
// collection. 32 bytes keep it out of the tiny allocator, whose blocks
// live as long as any object in them.
type sentinel [32]byte

func (f *Floor) arm() {
	runtime.AddCleanup(new(sentinel), (*Floor).collected, f)
}

func (f *Floor) collected() {
	if f.adjust() {
		f.runs.Add(1)
		f.arm()
	}
}

// adjust sets GOGC from the live heap, unless f is stopped; it reports
// whether f runs.
func (f *Floor) adjust() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		return false
	}
	metrics.Read(f.sample)
	live := sampleUint(f.sample[0])
	if live == 0 { // before the first collection: all of the heap
		live = sampleUint(f.sample[1])
	}
	if p := Percent(live, f.floor, f.base); int64(p) != f.percent.Load() {
		debug.SetGCPercent(p)
		f.percent.Store(int64(p))
	}
	return true
}

func sampleUint(s metrics.Sample) uint64 {
	if s.Value.Kind() == metrics.KindUint64 {
		return s.Value.Uint64()
	}
	return 0
}

// Percent returns the GOGC that makes the heap goal of a live heap the
// larger of the floor and the goal at base: base when live×(1+base/100)
// reaches the floor, else the percentage whose goal is the floor (at most
// MaxPercent).
func Percent(live, floor uint64, base int) int {
	live = max(live, 1)
	if live+live*uint64(base)/100 >= floor {
		return base
	}
	return int(min((floor-live)*100/live, MaxPercent))
}
