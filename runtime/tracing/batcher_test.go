package tracing

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// recorder is an exporter that records the size of each export; while
// gate is not nil, an export says its size on entered and waits for gate
// to close.
type recorder struct {
	mu      sync.Mutex
	calls   []int
	shut    bool
	gate    chan struct{}
	entered chan int
}

func (r *recorder) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	r.mu.Lock()
	gate := r.gate
	r.mu.Unlock()
	if gate != nil {
		r.entered <- len(spans)
		<-gate
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, len(spans))
	return nil
}

func (r *recorder) Shutdown(context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.shut = true
	return nil
}

// waitFor waits until n spans have been exported, and checks that no
// export was larger than batch.
func (r *recorder) waitFor(t *testing.T, n, batch int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		r.mu.Lock()
		calls := slices.Clone(r.calls)
		r.mu.Unlock()
		sum := 0
		for _, c := range calls {
			sum += c
			if c > batch || c == 0 {
				t.Fatalf("an export of %d spans (batches of %d): %v", c, batch, calls)
			}
		}
		if sum == n {
			return
		}
		if sum > n || time.Now().After(deadline) {
			t.Fatalf("exports %v, want %d spans", calls, n)
		}
	}
}

func end(tr trace.Tracer, n int) {
	for range n {
		_, s := tr.Start(context.Background(), "s")
		s.End()
	}
}

// TestBatcher: spans are exported a batch at a time, when a batch's
// worth is queued (not before: the exporter is not woken for each span)
// or when flushed; beyond the queue's limit and after Shutdown they are
// dropped and counted; Shutdown exports what is queued.
func TestBatcher(t *testing.T) {
	t.Setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "4")
	t.Setenv("OTEL_BSP_MAX_QUEUE_SIZE", "10")
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "3600000") // no export on the clock here
	rec := &recorder{}
	b := newBatcher(rec, slog.Default())
	if b.batch != 4 || b.max != 10 || b.delay != time.Hour || b.timeout != 30*time.Second {
		t.Fatalf("limits %d %d %v %v", b.batch, b.max, b.delay, b.timeout)
	}
	tr := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(b)).Tracer("test")

	end(tr, 3)
	time.Sleep(20 * time.Millisecond)
	rec.waitFor(t, 0, 4)
	end(tr, 1)
	rec.waitFor(t, 4, 4)
	end(tr, 5)
	if err := b.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, 9, 4)

	// While an export of k spans is in progress, the queue fills to its
	// limit, 10, and drops the rest.
	rec.mu.Lock()
	rec.gate, rec.entered = make(chan struct{}), make(chan int, 8)
	rec.mu.Unlock()
	end(tr, 4)
	k := <-rec.entered
	end(tr, 12)
	if d := b.Dropped(DroppedQueueFull); d != int64(4-k+12-10) {
		t.Errorf("dropped %d with %d spans in an export, want %d", d, k, 4-k+12-10)
	}
	rec.mu.Lock()
	close(rec.gate)
	rec.gate = nil
	rec.mu.Unlock()
	for len(rec.entered) > 0 { // exports that entered the gate meanwhile
		<-rec.entered
	}
	if err := b.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, 9+k+10, 4)

	end(tr, 3)
	if err := b.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, 9+k+10+3, 4)
	end(tr, 1)
	if d, late := b.Dropped(""), b.Dropped(DroppedShutdown); d != int64(4-k+12-10+1) || late != 1 || !rec.shut {
		t.Errorf("after Shutdown: dropped %d (%d after it), want %d (1); exporter shut down %v", d, late, 4-k+12-10+1, rec.shut)
	}
}

// failing is an exporter whose exports fail.
type failing struct{}

func (failing) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error {
	return errors.New("connection refused")
}
func (failing) Shutdown(context.Context) error { return nil }

// TestExportFailed: the spans of a failed export are counted dropped
// (export_failed; they were lost without a count, found by a review),
// and the failure is logged once, not for each export.
func TestExportFailed(t *testing.T) {
	t.Setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "4")
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "3600000")
	var logged strings.Builder
	b := newBatcher(failing{}, slog.New(slog.NewTextHandler(&logged, nil)))
	tr := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(b)).Tracer("test")
	end(tr, 3)
	if err := b.ForceFlush(context.Background()); err == nil {
		t.Error("ForceFlush: no error from a failing exporter")
	}
	end(tr, 2)
	b.ForceFlush(context.Background())
	end(tr, 1)
	if err := b.Shutdown(context.Background()); err == nil {
		t.Error("Shutdown: no error from a failing exporter")
	}
	if got := b.Dropped(DroppedExportFailed); got != 6 {
		t.Errorf("%d spans counted dropped as export_failed, want 6", got)
	}
	if got := b.Dropped(""); got != 6 {
		t.Errorf("%d spans dropped in all, want 6", got)
	}
	if n := strings.Count(logged.String(), "decision spans not exported"); n != 1 {
		t.Errorf("the failure logged %d times, want once:\n%s", n, logged.String())
	}
	if !strings.Contains(logged.String(), "spans=3 err=\"connection refused\"") {
		t.Errorf("the log lacks the spans lost and the error:\n%s", logged.String())
	}
}

// stuck is an exporter whose exports wait for their context to end, as
// one to a collector that takes connections and never answers does.
type stuck struct {
	entered chan int
	mu      sync.Mutex
	shut    bool
}

func (s *stuck) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	s.entered <- len(spans)
	<-ctx.Done()
	return ctx.Err()
}

func (s *stuck) Shutdown(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shut = true
	return nil
}

// TestShutdownStuckExport: a Shutdown whose context ends while an export
// hangs (a collector that never answers) stops that export, counts its
// spans and the queued ones dropped, shuts the exporter down and leaves
// no exporting goroutine behind. It returned at its deadline with the
// export still running for up to OTEL_BSP_EXPORT_TIMEOUT, the exporter
// not shut down, and the queued spans lost without a count.
func TestShutdownStuckExport(t *testing.T) {
	t.Setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "4")
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "3600000")
	exp := &stuck{entered: make(chan int, 8)}
	b := newBatcher(exp, slog.New(slog.DiscardHandler))
	tr := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(b)).Tracer("test")
	end(tr, 4)
	<-exp.entered // the exporting goroutine hangs in this export
	end(tr, 3)    // queued
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := b.Shutdown(ctx); err == nil {
		t.Error("Shutdown: no error, its deadline passed with spans not exported")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Shutdown took %v", d)
	}
	select {
	case <-b.done:
	case <-time.After(2 * time.Second):
		t.Fatal("the exporting goroutine still runs after Shutdown")
	}
	if got := b.Dropped(""); got != 7 {
		t.Errorf("%d spans counted dropped, want 7 (4 in the export stopped, 3 queued)", got)
	}
	exp.mu.Lock()
	defer exp.mu.Unlock()
	if !exp.shut {
		t.Error("the exporter was not shut down")
	}
}

// TestShutdownStuckExportOrder: a Shutdown whose context ends during an
// export of several batches stops at the batch under way: the exporter
// is not called again with a context already ended (the export's other
// batches went to it one by one, after Shutdown had returned and shut it
// down), the exporting goroutine has ended when Shutdown returns, and
// every span is counted by then.
func TestShutdownStuckExportOrder(t *testing.T) {
	t.Setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "4")
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "3600000")
	exp := &stuck{entered: make(chan int, 8)}
	b := newBatcher(exp, slog.New(slog.DiscardHandler))
	tr := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(b)).Tracer("test")
	b.exporting <- struct{}{} // the exporting goroutine, woken, waits here
	end(tr, 8)
	b.unlockExport()
	<-exp.entered // it takes the 8 spans, and hangs in the first batch's export
	end(tr, 2)    // queued
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := b.Shutdown(ctx); err == nil {
		t.Error("Shutdown: no error, its deadline passed with spans not exported")
	}
	select {
	case <-b.done:
	default:
		t.Error("Shutdown returned with the exporting goroutine still running")
	}
	if got := b.Dropped(""); got != 10 {
		t.Errorf("%d spans counted dropped when Shutdown returned, want 10", got)
	}
	<-b.done
	if n := len(exp.entered); n != 0 {
		t.Errorf("%d more exports after the context ended", n)
	}
}

// TestShutdownStuckFlush: a Shutdown whose context ends while a Flush's
// export hangs (a collector that takes the connection and never
// answers, the Flush's own context without a deadline) returns at that
// deadline: it stops the Flush's export, and counts dropped the spans of
// that export and those queued. It waited for the Flush's export to end,
// up to OTEL_BSP_EXPORT_TIMEOUT for each of its batches.
func TestShutdownStuckFlush(t *testing.T) {
	t.Setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "4")
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "3600000")
	t.Setenv("OTEL_BSP_EXPORT_TIMEOUT", "3600000") // a hung export ends with its caller's context only
	exp := &stuck{entered: make(chan int, 8)}
	b := newBatcher(exp, slog.New(slog.DiscardHandler))
	tr := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(b)).Tracer("test")
	end(tr, 3) // fewer than a batch: the exporting goroutine is not woken
	flushed := make(chan error, 1)
	go func() { flushed <- b.ForceFlush(context.Background()) }()
	<-exp.entered // the Flush hangs in its export
	end(tr, 2)    // queued
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- b.Shutdown(ctx) }()
	select {
	case err := <-shut:
		if err == nil {
			t.Error("Shutdown: no error, its deadline passed with spans not exported")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Shutdown did not return at its deadline: a Flush's export held it")
	}
	if got := b.Dropped(DroppedExportFailed); got != 5 {
		t.Errorf("%d spans counted dropped when Shutdown returned, want 5 (3 in the export stopped, 2 queued)", got)
	}
	if err := <-flushed; err == nil {
		t.Error("ForceFlush: no error, its export was stopped")
	}
	if n := len(exp.entered); n != 0 {
		t.Errorf("%d more exports after Shutdown's context ended", n)
	}
	exp.mu.Lock()
	defer exp.mu.Unlock()
	if !exp.shut {
		t.Error("the exporter was not shut down")
	}
}

// TestFlushDeadlineStuckExport: a Flush whose context ends while the
// exporting goroutine's export hangs (a collector that never answers)
// returns then, with its context's error, the spans it would have
// exported left queued. It waited for that export, up to
// OTEL_BSP_EXPORT_TIMEOUT, past its own deadline.
func TestFlushDeadlineStuckExport(t *testing.T) {
	t.Setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "4")
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "3600000")
	t.Setenv("OTEL_BSP_EXPORT_TIMEOUT", "3600000") // a hung export ends with its caller's context only
	exp := &stuck{entered: make(chan int, 8)}
	b := newBatcher(exp, slog.New(slog.DiscardHandler))
	defer func() { // stops the export that hangs
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		b.Shutdown(ctx)
	}()
	tr := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(b)).Tracer("test")
	end(tr, 4)
	<-exp.entered // the exporting goroutine hangs in this export
	end(tr, 2)    // queued
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	flushed := make(chan error, 1)
	go func() { flushed <- b.ForceFlush(ctx) }()
	select {
	case err := <-flushed:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("ForceFlush: %v, want its deadline exceeded", err)
		}
	case <-time.After(10 * time.Second): // a hang, not a time measured
		t.Fatal("ForceFlush did not return at its deadline: the exporting goroutine's export held it")
	}
	b.mu.Lock()
	queued := len(b.q)
	b.mu.Unlock()
	if queued != 2 {
		t.Errorf("%d spans queued after the Flush gave up, want 2", queued)
	}
	if d := b.Dropped(""); d != 0 {
		t.Errorf("%d spans dropped by a Flush that gave up, want none", d)
	}
}

// BenchmarkOnEnd: spans handed to the batcher by a goroutine on every P
// at once, as a busy router's requests end theirs, the exporter
// discarding them; dropped/op is the share dropped. The queue is large
// (2^20 spans) so that the exporting goroutine, which gets a core only
// when the scheduler preempts a producer, takes them before it is full:
// what is measured is a span queued, not one dropped.
func BenchmarkOnEnd(b *testing.B) {
	b.Setenv("OTEL_BSP_MAX_QUEUE_SIZE", strconv.Itoa(1<<20))
	bt := newBatcher(discardSpans{}, slog.New(slog.DiscardHandler))
	_, s := sdktrace.NewTracerProvider().Tracer("b").Start(context.Background(), "s")
	s.End()
	span := s.(sdktrace.ReadOnlySpan)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			bt.OnEnd(span)
		}
	})
	b.StopTimer()
	bt.Shutdown(context.Background())
	b.ReportMetric(float64(bt.Dropped(""))/float64(b.N), "dropped/op")
}

// discardSpans is an exporter that drops what it is given.
type discardSpans struct{}

func (discardSpans) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardSpans) Shutdown(context.Context) error                             { return nil }

// TestLongDurations: OTEL_BSP_SCHEDULE_DELAY and OTEL_BSP_EXPORT_TIMEOUT
// beyond the longest time.Duration (in milliseconds, 292 years) are that
// longest, and spans are exported as with any other: they wrapped
// negative, the schedule delay making time.NewTicker panic in the
// exporting goroutine (the process ended) and the timeout failing every
// export.
func TestLongDurations(t *testing.T) {
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "10000000000000")
	t.Setenv("OTEL_BSP_EXPORT_TIMEOUT", "9223372036855")
	rec := &recorder{}
	b := newBatcher(rec, slog.Default())
	if b.delay != math.MaxInt64 || b.timeout != math.MaxInt64 {
		t.Errorf("schedule delay %v, export timeout %v; want %v", b.delay, b.timeout, time.Duration(math.MaxInt64))
	}
	tr := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(b)).Tracer("test")
	end(tr, 2)
	if err := b.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, 2, 512)
}
