package natsx_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
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

// fullLog is a decision log of a queue of 16 events that no publisher
// takes (its server is not up), filled: every event logged to it next
// is dropped for a full queue, told to overflowed.
func fullLog(tb testing.TB, overflowed func(int64)) *natsx.DecisionLog {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	nc, err := nats.Connect(fmt.Sprintf("nats://127.0.0.1:%d", port), nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1), nats.ReconnectWait(time.Hour))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	ctx := context.Background()
	dlog := openLog(ctx, tb, nc, natsx.LogConfig{Buffer: 16, Overflowed: overflowed})
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		dlog.Close(ctx)
	})
	for range 16 {
		dlog.LogDecision(&rt.DecisionEvent{Time: time.Now()})
	}
	return dlog
}

// BenchmarkDecisionLogDrop: an event logged to a full queue, dropped
// and counted, on the request path of a router that is overloaded; in
// parallel, as the requests that drop them are.
func BenchmarkDecisionLogDrop(b *testing.B) {
	var told atomic.Int64
	dlog := fullLog(b, func(int64) { told.Add(1) })
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ev := new(rt.DecisionEvent)
		for pb.Next() {
			ev.Time = time.Now()
			dlog.LogDecision(ev)
		}
	})
	if told.Load() == 0 {
		b.Fatal("no drop told")
	}
}

// TestDecisionLogOverflowEventTimes: the drops are timed by their
// events' times (their requests' arrivals), the clock not read again for
// each: a burst is told once at its first drop, then, a period on by the
// events' times, once with the number dropped since; a clock stepped
// back more than a period before the last told tells at once.
func TestDecisionLogOverflowEventTimes(t *testing.T) {
	var mu sync.Mutex
	var told []int64
	dlog := fullLog(t, func(n int64) {
		mu.Lock()
		told = append(told, n)
		mu.Unlock()
	})
	at := time.Now().Add(time.Hour) // after the filling events' times
	logN := func(n int) {
		for range n {
			dlog.LogDecision(&rt.DecisionEvent{Time: at})
		}
	}
	check := func(what string, want []int64) {
		t.Helper()
		mu.Lock()
		got := fmt.Sprint(told)
		mu.Unlock()
		if got != fmt.Sprint(want) {
			t.Errorf("%s: told %s, want %v", what, got, want)
		}
	}
	logN(1000)
	check("a burst", []int64{1})
	at = at.Add(repeats.Every - time.Nanosecond)
	logN(500)
	check("within the period", []int64{1})
	at = at.Add(time.Nanosecond)
	logN(3)
	check("a period on", []int64{1, 1500})
	logN(7)
	at = at.Add(-2*repeats.Every - time.Second)
	logN(1)
	check("the clock stepped back", []int64{1, 1500, 10})
	if _, d := dlog.Stats(); d != 1511 {
		t.Errorf("dropped %d, want 1511", d)
	}
}
