package tracing

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"math"
	"os"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// batcher is a span processor that exports ended spans in batches, as the
// SDK's BatchSpanProcessor does, with its limits (and their OTEL_BSP_*
// variables), but without waking its exporting goroutine for each span.
// The SDK's processor hands every span to that goroutine on a channel,
// which readies it (and an idle core's thread) on the request path: ending
// a decision's span every 100 µs took 3.7–4.5 µs at the median and 21–22
// µs at p90 (BenchmarkSpanPaced). Here spans go into a queue that the
// exporting goroutine takes whole: it is woken when a batch's worth is
// queued, and otherwise exports every schedule delay.
//
// The queue is a slice under a lock, taken once per span. A buffered
// channel instead was no faster where it matters (BenchmarkSpanPaced:
// 0.80–0.85 µs at the median, 0.74–1.0 with the lock) and lost spans
// under load: with two goroutines ending spans at once
// (BenchmarkOnEnd), the exporter, receiving them one by one under the
// channel's own lock, fell behind and 73–84% were dropped, none with the
// lock; and its Shutdown would have to count spans sent after the last
// drain, which the lock makes impossible.
//
// Every span ended and not exported is counted, by reason (Dropped): the
// queue was full, the tracer had shut down, its export failed (the
// endpoint unreachable, refusing, or slower than the export timeout), or
// the endpoint took the export but rejected it (an OTLP partial success:
// the rejected_spans of its answer). A failed export is logged (at
// warning level) the first time, then at most once every failLogEvery
// with the spans lost since; so is a partial success, with the
// endpoint's error_message.
type batcher struct {
	exp     sdktrace.SpanExporter
	log     *slog.Logger
	batch   int           // spans per export
	max     int           // spans queued before drops
	delay   time.Duration // the longest a span waits in the queue
	timeout time.Duration // of one export

	mu     sync.Mutex
	q      []sdktrace.ReadOnlySpan
	closed bool

	wake chan struct{}
	stop chan struct{}
	done chan struct{}
	// ctx ends every export, the exporting goroutine's and a Flush's:
	// Shutdown cancels it when its own deadline passes.
	ctx    context.Context
	cancel context.CancelFunc
	once   sync.Once
	full   atomic.Int64 // spans dropped: the queue was full
	late   atomic.Int64 // spans dropped: ended after Shutdown
	failed atomic.Int64 // spans dropped: their export failed
	reject atomic.Int64 // spans dropped: the endpoint rejected them

	// exporting is held by the export under way: one at a time, as
	// exporters expect. A channel, not a mutex, so that an export
	// waiting for it gives up when its context ends (lockExport).
	exporting chan struct{}
	spare     []sdktrace.ReadOnlySpan
	// Under exporting: the logs of failed exports and of partial
	// successes.
	failLog, rejectLog, warnLog logLimit
}

// logLimit is when a kind of loss was last logged, and its count then.
type logLimit struct {
	at   time.Time
	then int64
}

// Why spans are dropped (Dropped's reasons).
const (
	DroppedQueueFull    = "queue_full"    // the export queue was full (the endpoint was behind)
	DroppedShutdown     = "shutdown"      // ended after the tracer shut down
	DroppedExportFailed = "export_failed" // their export failed
	DroppedRejected     = "rejected"      // the endpoint rejected them (an OTLP partial success)
)

// DropReasons are Dropped's reasons.
var DropReasons = []string{DroppedQueueFull, DroppedExportFailed, DroppedRejected, DroppedShutdown}

// failLogEvery is the least time between two logs of failed exports (or
// of partial successes).
const failLogEvery = time.Minute

var _ sdktrace.SpanProcessor = (*batcher)(nil)

// newBatcher starts a batcher of exp with the SDK's defaults, or the
// OTEL_BSP_* environment variables where set.
func newBatcher(exp sdktrace.SpanExporter, log *slog.Logger) *batcher {
	b := &batcher{
		exp:     exp,
		log:     log,
		batch:   envInt("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", sdktrace.DefaultMaxExportBatchSize),
		max:     envInt("OTEL_BSP_MAX_QUEUE_SIZE", sdktrace.DefaultMaxQueueSize),
		delay:   envMillis("OTEL_BSP_SCHEDULE_DELAY", sdktrace.DefaultScheduleDelay),
		timeout: envMillis("OTEL_BSP_EXPORT_TIMEOUT", sdktrace.DefaultExportTimeout),
		wake:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),

		exporting: make(chan struct{}, 1),
	}
	b.batch = min(b.batch, b.max) // as the SDK's
	b.ctx, b.cancel = context.WithCancel(context.Background())
	go b.run()
	return b
}

// envMillis is the duration in milliseconds in the environment variable
// name (envInt), at most the longest time.Duration (292 years): one more
// would wrap negative, a schedule delay that time.NewTicker refuses with
// a panic, or an export timeout that fails every export.
func envMillis(name string, def int) time.Duration {
	n := int64(envInt(name, def))
	if n > math.MaxInt64/int64(time.Millisecond) {
		return math.MaxInt64
	}
	return time.Duration(n) * time.Millisecond
}

// envInt is the positive integer in the environment variable name, else
// def.
func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

func (b *batcher) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

// OnEnd queues a sampled span; it wakes the exporter only when a batch's
// worth is queued. A span beyond the queue's limit, or ended after
// Shutdown, is dropped and counted.
func (b *batcher) OnEnd(s sdktrace.ReadOnlySpan) {
	if !s.SpanContext().IsSampled() {
		return
	}
	b.mu.Lock()
	if b.closed || len(b.q) >= b.max {
		closed := b.closed
		b.mu.Unlock()
		if closed {
			b.late.Add(1)
		} else {
			b.full.Add(1)
		}
		return
	}
	b.q = append(b.q, s)
	wake := len(b.q) == b.batch
	b.mu.Unlock()
	if wake {
		select {
		case b.wake <- struct{}{}:
		default: // a wake-up is pending already
		}
	}
}

func (b *batcher) run() {
	defer close(b.done)
	tick := time.NewTicker(b.delay)
	defer tick.Stop()
	for {
		select {
		case <-b.wake:
		case <-tick.C:
		case <-b.stop:
			return
		}
		b.export(b.ctx) // a failure is counted and logged
	}
}

// export exports the queued spans, a batch at a time, and returns the
// first error. The spans of a failed export are dropped: counted, and
// logged at most every failLogEvery; so are those an export's partial
// success rejected (its error, unless it rejected none: a warning).
//
// It ends with ctx, or when Shutdown's deadline passes (b.ctx), whether
// it is under way or waiting for another export: a Flush to a collector
// that does not answer does not hold Shutdown past its deadline. Waiting,
// it returns ctx's error, the spans left queued.
func (b *batcher) export(ctx context.Context) error {
	if ctx != b.ctx { // a Flush's, Shutdown's: b.ctx ends it too
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer context.AfterFunc(b.ctx, cancel)()
		defer cancel()
	}
	if err := b.lockExport(ctx); err != nil {
		return err
	}
	defer b.unlockExport()
	b.mu.Lock()
	all := b.q
	b.q = b.spare[:0]
	b.mu.Unlock()
	var first error
	for spans := all; len(spans) > 0; {
		if err := ctx.Err(); err != nil {
			// Ended (Shutdown's deadline): the exporter is not called
			// with it, the rest failed as it would.
			b.failed.Add(int64(len(spans)))
			b.logFailure(err)
			first = cmp.Or(first, err)
			break
		}
		n := min(len(spans), b.batch)
		ectx, cancel := context.WithTimeout(ctx, b.timeout)
		err := b.exp.ExportSpans(ectx, spans[:n])
		cancel()
		if rejected, msg, ok := partialSuccess(err); ok {
			// Exported, but for the spans the endpoint rejected.
			if rejected = min(max(rejected, 0), int64(n)); rejected > 0 {
				b.logRejected(rejected, msg)
			} else {
				b.logWarning(msg)
				err = nil
			}
		} else if err != nil {
			b.failed.Add(int64(n))
			b.logFailure(err)
		}
		first = cmp.Or(first, err)
		spans = spans[n:]
	}
	clear(all) // the exporter keeps no span slice (SpanExporter's contract)
	b.spare = all[:0]
	return first
}

// lockExport takes exporting, or returns ctx's error when ctx ends
// first.
func (b *batcher) lockExport(ctx context.Context) error {
	select {
	case b.exporting <- struct{}{}:
		return nil
	default: // taken: wait
	}
	select {
	case b.exporting <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *batcher) unlockExport() { <-b.exporting }

// logFailure logs a failed export, unless one was logged less than
// failLogEvery ago; the line says how many spans were lost since the
// last one. Its caller holds exporting.
func (b *batcher) logFailure(err error) {
	b.logLost(&b.failLog, b.failed.Load(), "decision spans not exported, dropped (rpl_spans_dropped_total{reason=\"export_failed\"}); the next failures are logged at most once a minute",
		"err", err)
}

// logRejected counts the spans a partial success rejected, and logs it
// with the endpoint's message, as logFailure logs a failure. Its caller
// holds exporting.
func (b *batcher) logRejected(rejected int64, msg string) {
	b.logLost(&b.rejectLog, b.reject.Add(rejected), "the OTLP endpoint rejected decision spans, dropped (rpl_spans_dropped_total{reason=\"rejected\"}); the next rejections are logged at most once a minute",
		"message", msg)
}

// logWarning logs the message of a partial success that rejected no
// span (a warning), at most every failLogEvery, apart from rejections:
// it took their log's turn, and a rejection after it went unlogged. Its
// caller holds exporting.
func (b *batcher) logWarning(msg string) {
	if now := time.Now(); b.warnLog.at.IsZero() || now.Sub(b.warnLog.at) >= failLogEvery {
		b.log.Warn("the OTLP endpoint took the decision spans with a warning; the next warnings are logged at most once a minute", "message", msg)
		b.warnLog.at = now
	}
}

// logLost logs msg with the spans lost since l's last log (lost is the
// count of all), unless l logged less than failLogEvery ago.
func (b *batcher) logLost(l *logLimit, lost int64, msg string, args ...any) {
	now := time.Now()
	if !l.at.IsZero() && now.Sub(l.at) < failLogEvery {
		return
	}
	b.log.Warn(msg, append([]any{"spans", lost - l.then}, args...)...)
	l.at, l.then = now, lost
}

// partialSuccess is what an error of ExportSpans says of an OTLP partial
// success: the spans the endpoint rejected, its error_message (which
// with none rejected is a warning), and whether err is one. The OTLP
// exporters return it as an error, of a type of their internal package
// (PartialSuccess, with RejectedItems and ErrorMessage), read here by
// its name and fields wherever it is in err's tree; TestPartialSuccess
// exports to an endpoint that answers one.
func partialSuccess(err error) (rejected int64, msg string, ok bool) {
	if err == nil {
		return 0, "", false
	}
	v := reflect.ValueOf(err)
	if t := v.Type(); t.Kind() == reflect.Struct && t.Name() == "PartialSuccess" {
		n, m := v.FieldByName("RejectedItems"), v.FieldByName("ErrorMessage")
		if n.Kind() == reflect.Int64 && m.Kind() == reflect.String {
			return n.Int(), m.String(), true
		}
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return partialSuccess(u.Unwrap())
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if rejected, msg, ok = partialSuccess(e); ok {
				return rejected, msg, ok
			}
		}
	}
	return 0, "", false
}

// ForceFlush exports the spans queued; it ends with ctx, or when
// Shutdown's deadline passes (export).
func (b *batcher) ForceFlush(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return b.export(ctx)
}

// Shutdown stops the exporting goroutine, exports the spans queued and
// shuts the exporter down; spans ended afterwards are dropped. When ctx
// ends first, an export being under way (the goroutine's, or a Flush's,
// to a collector that takes the connection and does not answer, for up
// to the export timeout), that export is stopped (its batches not yet
// exported with it) and the queued spans are dropped, all counted as
// export_failed when Shutdown returns: the exporter is shut down all the
// same, after that export returned, and no export outlives Shutdown.
func (b *batcher) Shutdown(ctx context.Context) error {
	var err error
	b.once.Do(func() {
		b.mu.Lock()
		b.closed = true
		b.mu.Unlock()
		close(b.stop)
		var late bool // ctx ended with spans not exported
		select {
		case <-b.done:
			err = b.export(ctx)
			late = err != nil && ctx.Err() != nil
		case <-ctx.Done():
			err, late = ctx.Err(), true
		}
		if late {
			b.cancel() // every export: the goroutine's, a Flush's
			b.mu.Lock()
			n := len(b.q)
			b.q = nil
			b.mu.Unlock()
			b.failed.Add(int64(n))
			<-b.done
		}
		// Every export still under way ends (a Flush's, begun after
		// Shutdown's own: it finds nothing queued), and returns at once
		// (an exporter honours its context, as SpanExporter asks), its
		// spans counted, before the exporter is shut down.
		b.cancel()
		b.exporting <- struct{}{}
		b.unlockExport()
		err = errors.Join(err, b.exp.Shutdown(ctx))
	})
	return err
}

// Dropped is the number of spans dropped for reason (DropReasons), or
// for any reason when it is "".
func (b *batcher) Dropped(reason string) int64 {
	switch reason {
	case DroppedQueueFull:
		return b.full.Load()
	case DroppedShutdown:
		return b.late.Load()
	case DroppedExportFailed:
		return b.failed.Load()
	case DroppedRejected:
		return b.reject.Load()
	case "":
		return b.full.Load() + b.late.Load() + b.failed.Load() + b.reject.Load()
	}
	return 0
}
