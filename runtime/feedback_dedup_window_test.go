package runtime

import (
	"hash/maphash"
	"testing"
	"time"
)

// TestFeedbackDedupBounds: the dedup memory forgets an id after
// FeedbackDedupWindow, and keeps at most FeedbackDedupMax ids (a shard
// its share), the oldest going first.
func TestFeedbackDedupBounds(t *testing.T) {
	d := &feedbackDedup{seed: maphash.MakeSeed()}
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	k := d.key("t", "f1", "p:m", 1)
	if d.claim(k, t0) != claimed || d.claim(k, t0.Add(time.Second)) != inFlight {
		t.Fatal("a copy while the first is being recorded was not told so")
	}
	d.settle(k, t0, true)
	if d.claim(k, t0.Add(FeedbackDedupWindow-time.Nanosecond)) != duplicate {
		t.Fatal("a duplicate within the window was not refused")
	}
	if d.claim(k, t0.Add(FeedbackDedupWindow)) != claimed {
		t.Fatal("an id older than the window is still remembered")
	}
	if d.key("t", "f1", "p:m", 1) == d.key("tf", "1", "p:m", 1) || d.key("t", "f1", "p:m", 1) == d.key("u", "f1", "p:m", 1) {
		t.Fatal("keys of different tenant and id pairs collide")
	}
	if d.key("t", "f1", "p:m", 1) == d.key("t", "f1p", ":m", 1) || d.key("t", "f1", "p:m", 1) == d.key("t", "f1", "q:m", 1) {
		t.Fatal("keys of different id and target pairs collide")
	}
	if d.key("t", "f1", "p:m", 1) == d.key("t", "f1", "p:m", 2) {
		t.Fatal("keys of different attempts collide")
	}

	// Claims older than the window leave memory as new ones come. A
	// memory of its own: k, whose shard the seed picks, must not be in
	// the shards counted below.
	d = &feedbackDedup{seed: d.seed}
	d.claim(7, t0)
	d.claim(7+dedupShards, t0.Add(FeedbackDedupWindow/2))
	d.claim(7+2*dedupShards, t0.Add(FeedbackDedupWindow+time.Nanosecond))
	if s := &d.shards[7]; s.n != 2 || len(s.seen) != 2 {
		t.Fatalf("shard holds %d claims and %d ids after the window, want 2", s.n, len(s.seen))
	}

	// Fill one shard past its share, all within the window.
	const share = FeedbackDedupMax / dedupShards
	var keys []uint64
	for i := uint64(0); len(keys) < share+1; i++ {
		keys = append(keys, i*dedupShards+5)
	}
	at := t0.Add(2 * FeedbackDedupWindow)
	for i, k := range keys {
		if d.claim(k, at.Add(time.Duration(i))) != claimed {
			t.Fatalf("key %d refused", i)
		}
	}
	s := &d.shards[5]
	if s.n != share || len(s.seen) != share || len(s.ring) != share {
		t.Fatalf("shard holds %d claims, %d ids, ring %d; want at most %d", s.n, len(s.seen), len(s.ring), share)
	}
	if d.claim(keys[0], at.Add(time.Second)) != claimed {
		t.Error("the oldest id was not the one forgotten")
	}
	if d.claim(keys[len(keys)-1], at.Add(time.Second)) == claimed {
		t.Error("the newest id was forgotten")
	}
	// A released claim is forgotten, and its ring entry leaves the map alone.
	k2 := d.key("t", "f2", "p:m", 1)
	d.claim(k2, at)
	d.settle(k2, at, false)
	if d.claim(k2, at.Add(1)) != claimed {
		t.Error("a released id is still remembered")
	}
}
