package runtime_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/state"
)

// TestDispatch: each kind reaches its handler, inside a span told the
// transport and the kind; the span of a decision ends with its outcome.
func TestDispatch(t *testing.T) {
	e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
	load(t, e, examples)
	var spans []string
	trace := func(ctx context.Context, traceparent, transport string, kind runtime.Kind) (context.Context, func(*runtime.Outcome)) {
		return ctx, func(o *runtime.Outcome) {
			id := "-"
			if o != nil {
				id = o.RequestID
			}
			spans = append(spans, transport+" "+kind.String()+" "+traceparent+" "+id)
		}
	}
	d := runtime.NewDispatcher(e, runtime.DispatchConfig{Transport: "test", Hooks: runtime.Hooks{Trace: trace}})
	for _, c := range []struct {
		kind runtime.Kind
		body string
		want string
	}{
		{runtime.KindCP1, `{"version": "1", "request_id": "r-1", "tenant_id": "t", "task": {"type": "chat"}}`, `"provider_id":`},
		{runtime.KindV2, `{"request": {"id": "r-2"}}`, `"request_id":"r-2","policy_id":"default"`},
		{runtime.KindBatch, `{"requests": [{"request": {"id": "r-3"}}, null]}`, `"results":[{"ok":true`},
		{runtime.KindFeedback, `{"request_id": "r-2", "target": "openai:gpt-4o", "status": "ok", "latency_ms": 80}`, `"recorded":1`},
	} {
		x := d.Get()
		out, code := d.Serve(context.Background(), x, c.kind, []byte(c.body), "tp", time.Now())
		if code != "" || !strings.Contains(string(out), c.want) {
			t.Errorf("%v: %s %s, want %s", c.kind, code, out, c.want)
		}
		d.Put(x)
	}
	want := []string{"test cp1 tp r-1", "test v2 tp r-2", "test batch tp ", "test feedback tp -"}
	if strings.Join(spans, "|") != strings.Join(want, "|") {
		t.Errorf("spans %q, want %q", spans, want)
	}
}

// TestDispatchRefuse: a refusal is answered in the kind's shape with the
// refusal's code, and counted with the transport and the reason.
func TestDispatchRefuse(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	var counted []string
	d := runtime.NewDispatcher(e, runtime.DispatchConfig{Transport: "test", Hooks: runtime.Hooks{Refused: func(transport string, why runtime.Refusal) {
		counted = append(counted, transport+" "+why.String())
	}}})
	x := d.Get()
	defer d.Put(x)
	const tp = "\n00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	for _, c := range []struct {
		kind runtime.Kind
		why  runtime.Refusal
		body string // "" for none; a traceparent after a newline
		want string
	}{
		{runtime.KindV2, runtime.RefusedOverloaded, "", `{"ok":false,"error":{"code":"overloaded","message":"busy"}}`},
		{runtime.KindV2, runtime.RefusedOverloaded, `{"request":{"tenant":{"id":"acme"},"id":"r-1"}}`, `{"ok":false,"error":{"code":"overloaded","message":"busy"},"request_id":"r-1"}`},
		{runtime.KindCP1, runtime.RefusedOverloaded, "", `{"ok":false,"error":{"code":"internal","message":"busy","details":{"reason":"overloaded"}},"context":{"request_id":""}}`},
		{runtime.KindCP1, runtime.RefusedOverloaded, `{"version":"1","request_id":"req-7","trace_id":"tr-7","tenant_id":"acme"}`,
			`{"ok":false,"error":{"code":"internal","message":"busy","details":{"reason":"overloaded"}},"context":{"request_id":"req-7","trace_id":"tr-7"}}`},
		{runtime.KindFeedback, runtime.RefusedTooLarge, "", `{"ok":false,"error":{"code":"invalid_request","message":"busy"}}`},
		{runtime.KindFeedback, runtime.RefusedOverloaded, `{"request_id":"r-2","status":"ok"}`, `{"ok":false,"error":{"code":"overloaded","message":"busy"},"request_id":"r-2"}`},
		{runtime.KindBatch, runtime.RefusedUnreadable, `{"requests":[{"request":{"id":"r-3"}}]}`, `{"ok":false,"error":{"code":"invalid_request","message":"busy"}}`},
		// With a traceparent (Refuse's last argument): CP1 names its trace id when
		// the body has none, as the engine's answers do.
		{runtime.KindCP1, runtime.RefusedOverloaded, `{"version":"1","request_id":"req-8","tenant_id":"acme"}` + tp, `{"ok":false,"error":{"code":"internal","message":"busy","details":{"reason":"overloaded"}},"context":{"request_id":"req-8","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}}`},
		{runtime.KindCP1, runtime.RefusedTooLarge, tp, `{"ok":false,"error":{"code":"invalid_request","message":"busy"},"context":{"request_id":"","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}}`},
		{runtime.KindCP1, runtime.RefusedOverloaded, `{"version":"1","request_id":"req-9","trace_id":"tr-9"}` + tp, `{"ok":false,"error":{"code":"internal","message":"busy","details":{"reason":"overloaded"}},"context":{"request_id":"req-9","trace_id":"tr-9"}}`},
		{runtime.KindCP1, runtime.RefusedOverloaded, `{"request_id":"req-10"}` + "\n00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", `{"ok":false,"error":{"code":"internal","message":"busy","details":{"reason":"overloaded"}},"context":{"request_id":"req-10"}}`},
		{runtime.KindV2, runtime.RefusedOverloaded, `{"request":{"id":"r-11"}}` + tp, `{"ok":false,"error":{"code":"overloaded","message":"busy"},"request_id":"r-11"}`},
	} {
		// The body, then the traceparent after a newline.
		b, traceparent, _ := strings.Cut(c.body, "\n")
		var body []byte
		if b != "" {
			body = []byte(b)
		}
		if got := d.Refuse(x, c.kind, c.why, "busy", body, traceparent); string(got) != c.want {
			t.Errorf("%v %v %s: %s\nwant %s", c.kind, c.why, c.body, got, c.want)
		}
	}
	want := "test overloaded|test overloaded|test overloaded|test overloaded|test too_large|test overloaded|test unreadable|test overloaded|test too_large|test overloaded|test overloaded|test overloaded"
	if got := strings.Join(counted, "|"); got != want {
		t.Errorf("counted %s, want %s", got, want)
	}
}

// TestDispatchRecovers: a panic while serving is answered as an internal
// error in the kind's shape, and the span still ends.
func TestDispatchRecovers(t *testing.T) {
	e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
	load(t, e, examples)
	ended := 0
	trace := func(ctx context.Context, _, _ string, _ runtime.Kind) (context.Context, func(*runtime.Outcome)) {
		return ctx, func(o *runtime.Outcome) {
			ended++
			if o != nil && o.Policy != nil { // decided
				panic("exporter bug")
			}
		}
	}
	var answered []string
	d := runtime.NewDispatcher(e, runtime.DispatchConfig{Transport: "test", Hooks: runtime.Hooks{Trace: trace, Answered: func(transport string, kind runtime.Kind, code runtime.Code) {
		answered = append(answered, fmt.Sprint(transport, " ", kind, " ", code))
	}}})
	x := d.Get()
	defer d.Put(x)
	out, code := d.Serve(context.Background(), x, runtime.KindV2, []byte(`{"request": {"id": "r"}}`), "", time.Now())
	if code != runtime.CodeInternal || !strings.Contains(string(out), `"code":"internal","message":"internal error: exporter bug"`) {
		t.Errorf("%s %s", code, out)
	}
	// A CP1 answer names the traceparent's trace id, as the engine's do.
	out, code = d.Serve(context.Background(), x, runtime.KindCP1, []byte(`{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "chat"}}`), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", time.Now())
	if code != runtime.CodeInternal || !strings.Contains(string(out), `"context":{"request_id":"r","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}`) {
		t.Errorf("CP1: %s %s", code, out)
	}
	if ended != 2 {
		t.Errorf("spans ended %d times", ended)
	}
	// Answered counts each request once, with its code.
	d.Serve(context.Background(), x, runtime.KindV2, []byte(`{"request": {"id": 5}}`), "", time.Now())
	if got, want := strings.Join(answered, "; "), "test v2 internal; test cp1 internal; test v2 invalid_request"; got != want {
		t.Errorf("answered: %s, want %s", got, want)
	}
}

// TestDispatchAllocs: dispatching adds no allocation to the engine's.
func TestDispatchAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocations are not counted under the race detector")
	}
	e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
	load(t, e, examples)
	body := []byte(`{"request": {"id": "req-000123", "tenant": {"id": "tenant-42"}, "task": {"type": "chat"}}}`)
	ctx := context.Background()
	buf := make([]byte, 0, 4096)
	var o runtime.Outcome
	direct := testing.AllocsPerRun(200, func() { e.HandleV2(ctx, body, time.Now(), buf[:0], &o) })
	d := runtime.NewDispatcher(e, runtime.DispatchConfig{Transport: "test"})
	dispatched := testing.AllocsPerRun(200, func() {
		x := d.Get()
		d.Serve(ctx, x, runtime.KindV2, body, "", time.Now())
		d.Put(x)
	})
	if dispatched > direct {
		t.Errorf("dispatch: %v allocs per request, the engine alone %v", dispatched, direct)
	}
}

// TestDispatchTraceID: a CP1 body's trace_id that is a W3C trace id is
// given to the Trace hook (runtime.TraceIDFrom) when the request came
// without a valid traceparent, for its span to join that trace; not when
// a valid traceparent names the trace, nor for another kind.
func TestDispatchTraceID(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	load(t, e, examples)
	var got []string
	trace := func(ctx context.Context, _, _ string, _ runtime.Kind) (context.Context, func(*runtime.Outcome)) {
		got = append(got, runtime.TraceIDFrom(ctx))
		return ctx, func(*runtime.Outcome) {}
	}
	d := runtime.NewDispatcher(e, runtime.DispatchConfig{Transport: "test", Hooks: runtime.Hooks{Trace: trace}})
	const (
		id    = "4bf92f3577b34da6a3ce929d0e0e4737"
		valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	)
	cp1 := func(traceID string) string {
		return `{"version": "1", "request_id": "r", "trace_id": "` + traceID + `", "tenant_id": "t", "task": {"type": "chat"}}`
	}
	for _, c := range []struct {
		kind        runtime.Kind
		body        string
		traceparent string
		want        string
	}{
		{runtime.KindCP1, cp1(id), "", id},
		{runtime.KindCP1, cp1(id), valid, ""}, // the header's trace
		{runtime.KindCP1, cp1(id), "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", id},
		{runtime.KindCP1, cp1(id), "garbage", id},
		{runtime.KindCP1, `{"trace_id": "` + id + `", "version": "2"}`, "", id}, // whatever the answer
		{runtime.KindCP1, cp1("tr-1"), "", ""},
		{runtime.KindCP1, cp1("00000000000000000000000000000000"), "", ""},
		{runtime.KindCP1, cp1("4BF92F3577B34DA6A3CE929D0E0E4737"), "", ""},
		{runtime.KindCP1, cp1(id + "0"), "", ""},
		{runtime.KindCP1, `{"version": "1", "request_id": "r"}`, "", ""},
		{runtime.KindV2, `{"request": {"id": "r"}, "trace_id": "` + id + `"}`, "", ""},
	} {
		got = got[:0]
		x := d.Get()
		d.Serve(context.Background(), x, c.kind, []byte(c.body), c.traceparent, time.Now())
		d.Put(x)
		if len(got) != 1 || got[0] != c.want {
			t.Errorf("%v %s, traceparent %q: the hook saw trace ids %q, want %q", c.kind, c.body, c.traceparent, got, c.want)
		}
	}
}

// TestDispatchBatchNotReady: a batch none of whose requests could be
// decided because no version is active is answered as a decide is, the
// not_ready error alone, for every transport (the HTTP transport alone
// did, reading its answer again, and NATS answered ok with a not_ready
// result per request; found by a review); its span ends with the
// not_ready outcome and it is counted as not_ready. A batch with another
// outcome too keeps its results, and so does an empty one.
func TestDispatchBatchNotReady(t *testing.T) {
	e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
	var spans, answered []string
	trace := func(ctx context.Context, _, _ string, kind runtime.Kind) (context.Context, func(*runtime.Outcome)) {
		return ctx, func(o *runtime.Outcome) {
			res := "-"
			switch {
			case o != nil && kind == runtime.KindBatch && o.Err == nil:
				res = fmt.Sprintf("%d/%d", o.Batch.Errors, o.Batch.Requests) // answered: its errors
			case o != nil:
				res = o.Result()
			}
			spans = append(spans, kind.String()+" "+res)
		}
	}
	d := runtime.NewDispatcher(e, runtime.DispatchConfig{Transport: "test", Hooks: runtime.Hooks{Trace: trace, Answered: func(_ string, kind runtime.Kind, code runtime.Code) {
		answered = append(answered, kind.String()+" "+string(code))
	}}})
	serve := func(body string) (string, runtime.Code) {
		x := d.Get()
		defer d.Put(x)
		out, code := d.Serve(context.Background(), x, runtime.KindBatch, []byte(body), "", time.Now())
		return string(out), code
	}
	x := d.Get()
	single, _ := d.Serve(context.Background(), x, runtime.KindV2, []byte(`{"request": {"id": "a"}}`), "", time.Now())
	want := strings.Replace(string(single), `,"request_id":"a"`, "", 1) // the decide's answer, naming no request
	d.Put(x)
	if out, code := serve(`{"requests": [{"request": {"id": "a"}}, {"request": {"id": "b"}}]}`); code != runtime.CodeNotReady || out != want {
		t.Errorf("a batch before any version: %s %s, want not_ready %s", code, out, want)
	}
	if out, code := serve(`{"requests": [{"request": {"id": "a"}}, {"request": {"id": "b", "tenant": "t"}}]}`); code != "" || !strings.Contains(out, `"code":"not_ready"`) || !strings.Contains(out, `"code":"invalid_request"`) {
		t.Errorf("a mixed batch before any version: %s %s, want each request's error", code, out)
	}
	if out, code := serve(`{"requests": []}`); code != "" || out != `{"ok":true,"results":[]}` {
		t.Errorf("an empty batch before any version: %s %s", code, out)
	}
	load(t, e, examples)
	if out, code := serve(`{"requests": [{"request": {"id": "a"}}]}`); code != "" || !strings.HasPrefix(out, `{"ok":true,"results":[{"ok":true,`) {
		t.Errorf("a batch once a version is active: %s %s", code, out)
	}
	if got, want := strings.Join(spans, "|"), "v2 not_ready|batch not_ready|batch 2/2|batch 0/0|batch 0/1"; got != want {
		t.Errorf("spans %s, want %s", got, want)
	}
	if got, want := strings.Join(answered, "|"), "v2 not_ready|batch not_ready|batch |batch |batch "; got != want {
		t.Errorf("answered %q, want %q", got, want)
	}
}

// TestCount: a count is printed with its noun singular for 1 only.
func TestCount(t *testing.T) {
	for n, want := range map[int]string{0: "0 requests", 1: "1 request", 2: "2 requests", 4096: "4096 requests"} {
		if got := runtime.Count(n, "request"); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}
