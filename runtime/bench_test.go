package runtime_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/state"
	"github.com/rpl-lang/rpl/vm"
)

const benchCP1 = `{"version": "1", "request_id": "req-000123", "trace_id": "tr-1", "tenant_id": "tenant-42", "task": {"type": "chat"}, "constraints": {"max_latency_ms": 800}}`

// BenchmarkEngineDecide is the engine alone: a decoded request, the
// default policy (which builds tags and a reason string).
func BenchmarkEngineDecide(b *testing.B) {
	e := newEngine(b, runtime.Config{State: state.NewMem(state.Options{})})
	load(b, e, examples)
	req := request(b, e, `{"id": "req-000123", "tenant": {"id": "tenant-42"}, "task": {"type": "chat"}}`)
	slots := req.Record()
	ctx := context.Background()
	now := time.Now()
	var o runtime.Outcome
	b.ReportAllocs()
	for b.Loop() {
		// Decide takes ownership of the record: hand it a fresh copy of
		// the slots without allocating.
		r := vm.NewRecord(slots)
		e.DecideInto(ctx, &o, "", r, now)
		if o.Err != nil {
			b.Fatal(o.Err)
		}
	}
}

// cp1Exchange returns one whole CP1 exchange of the default policy, JSON
// in and JSON out, on an engine of its own; it fails the test or benchmark
// it is given.
func cp1Exchange(tb testing.TB) func(testing.TB) {
	e := newEngine(tb, runtime.Config{State: state.NewMem(state.Options{})})
	load(tb, e, examples)
	body := []byte(benchCP1)
	ctx := context.Background()
	buf := make([]byte, 0, 4096)
	var o runtime.Outcome
	return func(tb testing.TB) {
		if out, code, _ := e.HandleCP1(ctx, body, runtime.CP1Meta{Arrival: time.Now()}, buf[:0], &o); code != "" {
			tb.Fatal(string(out))
		}
	}
}

// BenchmarkEngineDecideCP1 is a whole CP1 exchange: JSON in, JSON out.
func BenchmarkEngineDecideCP1(b *testing.B) {
	exchange := cp1Exchange(b)
	b.ReportAllocs()
	for b.Loop() {
		exchange(b)
	}
}

// BenchmarkEngineDecideCP1Cold is BenchmarkEngineDecideCP1 after other
// work has run on the core: before each exchange it writes a cache line in
// every 64 bytes of a buffer of the given size, which evicts the
// exchange's data from the caches and its pages from the TLB, as a pause
// of the thread (another guest, another task) does. It is why a paced
// exchange's p99 is several times its back-to-back p99
// (docs/performance.md). The exchange alone is timed, by the clock around it
// (cold-ns/op; ns/op includes the eviction): b.StopTimer would read the
// memory statistics, stopping the world, and cool the caches further.
func BenchmarkEngineDecideCP1Cold(b *testing.B) {
	exchange := cp1Exchange(b)
	for _, mb := range []int{1, 8, 64} {
		junk := make([]byte, mb<<20)
		b.Run(fmt.Sprintf("evict=%dMB", mb), func(b *testing.B) {
			var cold time.Duration
			for b.Loop() {
				for j := 0; j < len(junk); j += 64 {
					junk[j]++
				}
				t0 := time.Now()
				exchange(b)
				cold += time.Since(t0)
			}
			b.ReportMetric(float64(cold.Nanoseconds())/float64(b.N), "cold-ns/op")
		})
	}
}

// BenchmarkEngineDecideV2 is a whole v2 exchange.
func BenchmarkEngineDecideV2(b *testing.B) {
	e := newEngine(b, runtime.Config{State: state.NewMem(state.Options{})})
	load(b, e, examples)
	body := []byte(`{"request": {"id": "req-000123", "tenant": {"id": "tenant-42"}, "task": {"type": "chat"}}}`)
	ctx := context.Background()
	buf := make([]byte, 0, 4096)
	var o runtime.Outcome
	b.ReportAllocs()
	for b.Loop() {
		out, code, _ := e.HandleV2(ctx, body, time.Now(), buf[:0], &o)
		if code != "" {
			b.Fatal(string(out))
		}
	}
}

// releaseLog is a decision log that hands each event back at once: what
// a log costs the request path, its sink aside.
type releaseLog struct{}

func (releaseLog) LogDecision(ev *runtime.DecisionEvent) { ev.Release() }

// BenchmarkEngineDecideLogged is a CP1 and a v2 exchange with every
// decision logged, as a router logs them by default.
func BenchmarkEngineDecideLogged(b *testing.B) {
	for _, kind := range []string{"cp1", "v2"} {
		b.Run(kind, func(b *testing.B) {
			e := newEngine(b, runtime.Config{State: state.NewMem(state.Options{}), DecisionLog: releaseLog{}, LogSample: 1})
			load(b, e, examples)
			ctx := context.Background()
			buf := make([]byte, 0, 4096)
			var o runtime.Outcome
			body := []byte(`{"request": {"id": "req-000123", "tenant": {"id": "tenant-42"}, "task": {"type": "chat"}}}`)
			handle := func() ([]byte, runtime.Code) {
				out, code, _ := e.HandleV2(ctx, body, time.Now(), buf[:0], &o)
				return out, code
			}
			if kind == "cp1" {
				body = []byte(`{"version": "1", "request_id": "req-000123", "tenant_id": "tenant-42", "task": {"type": "chat"}}`)
				handle = func() ([]byte, runtime.Code) {
					out, code, _ := e.HandleCP1(ctx, body, runtime.CP1Meta{Arrival: time.Now()}, buf[:0], &o)
					return out, code
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				if out, code := handle(); code != "" {
					b.Fatal(string(out))
				}
			}
		})
	}
}

// BenchmarkEngineDecideBatch is a v2 batch of 16 requests.
func BenchmarkEngineDecideBatch(b *testing.B) {
	e := newEngine(b, runtime.Config{State: state.NewMem(state.Options{})})
	load(b, e, examples)
	var sb strings.Builder
	sb.WriteString(`{"requests": [`)
	for i := range 16 {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, `{"request": {"id": "req-%06d", "tenant": {"id": "tenant-%d"}, "task": {"type": "chat"}, "constraints": {"max_latency": "800ms"}}}`, i, i%4)
	}
	sb.WriteString("]}")
	body := []byte(sb.String())
	ctx := context.Background()
	buf := make([]byte, 0, 64<<10)
	b.ReportAllocs()
	for b.Loop() {
		out, code := e.HandleV2Batch(ctx, body, time.Now(), buf[:0])
		if code != "" || bytes.Contains(out, []byte(`"ok":false`)) {
			b.Fatal(string(out))
		}
	}
}

// BenchmarkDispatchV2 is BenchmarkEngineDecideV2 through the transports'
// shared dispatch (pooled exchange, recovery, no tracing).
func BenchmarkDispatchV2(b *testing.B) {
	e := newEngine(b, runtime.Config{State: state.NewMem(state.Options{})})
	load(b, e, examples)
	body := []byte(`{"request": {"id": "req-000123", "tenant": {"id": "tenant-42"}, "task": {"type": "chat"}}}`)
	d := runtime.NewDispatcher(e, runtime.DispatchConfig{Transport: "bench"})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		x := d.Get()
		out, code := d.Serve(ctx, x, runtime.KindV2, body, "", time.Now())
		if code != "" {
			b.Fatal(string(out))
		}
		d.Put(x)
	}
}

// BenchmarkHandleFeedback is one feedback body decoded, validated and
// recorded (each with its own request id: none is a duplicate).
func BenchmarkHandleFeedback(b *testing.B) {
	e := newEngine(b, runtime.Config{State: state.NewMem(state.Options{})})
	load(b, e, examples)
	buf := make([]byte, 0, 256)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		i++
		body := fmt.Appendf(nil, `{"request_id": "req-%09d", "tenant_id": "tenant-42", "target": "openai:gpt-4o", "status": "ok", "latency_ms": 420, "tokens_in": 812, "tokens_out": 96, "cost": "$0.0031"}`, i)
		if out, code := e.HandleFeedback(body, buf[:0]); code != "" {
			b.Fatal(string(out))
		}
	}
}

// BenchmarkRefuseOverloaded is a v2 request refused overloaded through
// the shared dispatch, untraced: what a router shedding load spends on
// each request it sheds.
func BenchmarkRefuseOverloaded(b *testing.B) {
	e := newEngine(b, runtime.Config{State: state.NewMem(state.Options{})})
	body := []byte(`{"request": {"id": "req-000123", "tenant": {"id": "tenant-42"}, "task": {"type": "chat"}}}`)
	d := runtime.NewDispatcher(e, runtime.DispatchConfig{Transport: "bench"})
	b.ReportAllocs()
	for b.Loop() {
		x := d.Get()
		d.Refuse(x, runtime.KindV2, runtime.RefusedOverloaded, "router overloaded", body, "")
		d.Put(x)
	}
}
