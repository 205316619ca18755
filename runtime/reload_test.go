package runtime_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime"
)

// TestHotReloadUnderLoad swaps between two versions 100 times while
// clients decide continuously: no decision fails, and each one's target
// is the one its named version routes to (never a mix).
func TestHotReloadUnderLoad(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	ctx := context.Background()
	var snaps [2]*runtime.Snapshot
	targets := map[string]string{}
	for i, tgt := range []string{"p:a", "p:b"} {
		dir := t.TempDir()
		writeFile(t, dir, "default.rpl", "package default\n\nfn route(r: Request) -> Decision = to(\""+tgt+"\").tag(\"v\", \""+tgt+"\")\n")
		s, err := e.BuildDir(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		snaps[i], targets[s.Version] = s, tgt
	}
	e.Activate(snaps[0])
	var stop atomic.Bool
	var decided, bad atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				o := e.Decide(ctx, "", request(t, e, `{"id": "r", "tenant": {"id": "t"}}`), time.Time{})
				decided.Add(1)
				if o.Err != nil || targets[o.Version()] != e.View(o.Decision).Target() {
					bad.Add(1)
				}
			}
		}()
	}
	seen := map[string]int64{}
	for i := range 100 {
		before := decided.Load()
		e.Activate(snaps[(i+1)%2])
		// Let some decisions run on each version.
		for decided.Load() < before+20 {
			time.Sleep(50 * time.Microsecond)
		}
		seen[e.Current().Version]++
	}
	stop.Store(true)
	wg.Wait()
	if bad.Load() != 0 {
		t.Fatalf("%d of %d decisions failed or mixed versions", bad.Load(), decided.Load())
	}
	if len(seen) != 2 || e.Status().Reloads != 101 {
		t.Fatalf("swaps: %v, reloads %d", seen, e.Status().Reloads)
	}
	t.Logf("%d decisions across 100 swaps, none failed or mixed", decided.Load())
}
