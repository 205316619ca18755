package natsx_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/rpl-lang/rpl/internal/repeats"
	rt "github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/natsx"
)

// TestDecisionLogOverflowTold: events dropped for a full queue are
// counted each, and told (Overflowed, which the router logs) at the first
// drop and then once every repeats.Every while drops go on, with the
// number dropped since it was last told: a burst of batches lost 41% of
// its events and nothing said so. The queue's events wait here for a
// server that is not up, the publisher taking none.
func TestDecisionLogOverflowTold(t *testing.T) {
	nc, err := nats.Connect(fmt.Sprintf("nats://127.0.0.1:%d", freePort(t)), nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1), nats.ReconnectWait(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var mu sync.Mutex
	var told []int64
	now := time.Date(2026, 11, 28, 22, 0, 0, 0, time.UTC)
	dlog := openLog(ctx, t, nc, natsx.LogConfig{Buffer: 16, Overflowed: func(n int64) {
		mu.Lock()
		told = append(told, n)
		mu.Unlock()
	}})
	natsx.SetOverflowClock(dlog, func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	logN := func(n int) {
		for i := range n {
			dlog.LogDecision(&rt.DecisionEvent{RequestID: fmt.Sprint(i)})
		}
	}
	check := func(what string, want []int64, dropped int64) {
		t.Helper()
		mu.Lock()
		got := fmt.Sprint(told)
		mu.Unlock()
		if _, d := dlog.Stats(); got != fmt.Sprint(want) || d != dropped || dlog.Queued() != 16 {
			t.Errorf("%s: told %s, dropped %d, queued %d; want told %v, dropped %d, queued 16", what, got, d, dlog.Queued(), want, dropped)
		}
	}
	logN(16)
	check("queue filled", nil, 0)
	logN(100)
	check("100 over", []int64{1}, 100)
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	advance(repeats.Every - time.Second)
	logN(50)
	check("within the period", []int64{1}, 150)
	advance(time.Second)
	logN(10)
	check("a period on", []int64{1, 150}, 160)
	dlog.Close(ctx)
}

// TestCheckLogBuffer: a queue of a negative size or more than
// MaxLogBuffer events is refused, naming the size and what is taken, by
// NewDecisionLog too; 0 is the default.
func TestCheckLogBuffer(t *testing.T) {
	for _, n := range []int{0, 1, natsx.DefaultLogBuffer, natsx.MaxLogBuffer} {
		if err := natsx.CheckLogBuffer(n); err != nil {
			t.Errorf("%d: %v", n, err)
		}
	}
	for _, n := range []int{-1, natsx.MaxLogBuffer + 1} {
		err := natsx.CheckLogBuffer(n)
		want := fmt.Sprintf("decision log buffer of %d events: want 1 to 1048576 (or 0 for 8192)", n)
		if err == nil || err.Error() != want {
			t.Errorf("%d: %v, want %q", n, err, want)
		}
		if _, err := natsx.NewDecisionLog(context.Background(), nil, natsx.LogConfig{Buffer: n}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("NewDecisionLog, Buffer %d: %v, want %q", n, err, want)
		}
	}
}
