package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/state"
)

// TestFeedbackDuplicateNotCharged: the same feedback sent twice (a
// client's retry, NATS delivering twice) is charged once. A review sent
// request f1 at $0.60 twice and found a $1 budget exhausted.
func TestFeedbackDuplicateNotCharged(t *testing.T) {
	dir := copyDir(t, examples, map[string]string{"tenants.json": `{"tenants": [
		{"id": "acme", "policy": "budget_guard", "budget": {"monthly": "$1"}}
	]}`})
	st := state.NewMem(state.Options{})
	e := newEngine(t, runtime.Config{State: st})
	load(t, e, dir)
	f1 := `{"request_id": "f1", "tenant_id": "acme", "target": "openai:gpt-4o", "status": "ok", "latency_ms": 80, "cost": 0.60}`
	for i, want := range []string{`{"ok":true,"recorded":1}`, `{"ok":true,"recorded":0,"duplicate":true}`} {
		if out, code := e.HandleFeedback([]byte(f1), nil); code != "" || string(out) != want {
			t.Fatalf("feedback %d: %s %s, want %s", i+1, code, out, want)
		}
	}
	if got := st.MonthSpend("acme", time.Now()); got != 600_000_000 {
		t.Fatalf("month spend %d, want $0.60 (charged once)", got)
	}
	o := e.Decide(context.Background(), "", request(t, e, `{"id": "r", "tenant": {"id": "acme"}}`), time.Time{})
	if d := e.View(o.Decision); o.Err != nil || d.Action() != "route" {
		t.Fatalf("tenant with $0.40 left: %v %s %s", o.Err, d.Action(), d.DenyReason())
	}
	// The ledger's health half counts it once too.
	if got := st.Targets(); len(got) != 1 || got[0].Requests != 1 {
		t.Errorf("targets %+v, want one request", got)
	}

	// In a batch: against what was recorded before, and within the batch.
	out, code := e.HandleFeedback([]byte(`{"feedback": [`+f1+`, {"request_id": "f2", "tenant_id": "acme", "target": "openai:gpt-4o", "status": "ok", "cost": 0.1},
		{"request_id": "f2", "tenant_id": "acme", "target": "openai:gpt-4o", "status": "ok", "cost": 0.1}]}`), nil)
	if code != "" || string(out) != `{"ok":true,"recorded":1,"duplicates":2}` {
		t.Fatalf("batch: %s %s", code, out)
	}
	// Per target: the request's attempt on its fallback is recorded
	// (its health and cost), the fallback's copy again is not.
	fb := strings.Replace(strings.Replace(f1, "openai:gpt-4o", "anthropic:claude-haiku", 1), "0.60", "0.05", 1)
	for i, want := range []string{`{"ok":true,"recorded":1}`, `{"ok":true,"recorded":0,"duplicate":true}`} {
		if out, code := e.HandleFeedback([]byte(fb), nil); code != "" || string(out) != want {
			t.Fatalf("fallback feedback %d: %s %s, want %s", i+1, code, out, want)
		}
	}
	// Per tenant: another tenant's f1 is another request.
	if out, code := e.HandleFeedback([]byte(strings.Replace(f1, "acme", "other", 1)), nil); code != "" || string(out) != `{"ok":true,"recorded":1}` {
		t.Fatalf("other tenant's f1: %s %s", code, out)
	}
	if got := st.MonthSpend("acme", time.Now()); got != 750_000_000 {
		t.Errorf("month spend %d, want $0.75", got)
	}
	// A recording that fails after duplicates (the ledger, full,
	// refusing a cost for a tenant new this month) says what was taken.
	e = newEngine(t, runtime.Config{State: state.NewMem(state.Options{MaxLedger: 1})})
	if out, code := e.HandleFeedback([]byte(f1), nil); code != "" {
		t.Fatalf("f1: %s %s", code, out)
	}
	out, _ = e.HandleFeedback([]byte(`{"feedback": [`+f1+`, {"request_id": "f3", "tenant_id": "other", "target": "openai:gpt-4o", "status": "ok", "cost": 0.1}]}`), nil)
	if !strings.Contains(string(out), "the spend ledger is full") || !strings.Contains(string(out), "(of the 1 before it, 0 recorded, 1 duplicate)") {
		t.Errorf("batch error after a duplicate: %s", out)
	}
}

// TestFeedbackDuplicateConcurrent: copies arriving together are recorded
// once; a copy that comes while another is being recorded is told to
// retry (overloaded), and its retry is a duplicate.
func TestFeedbackDuplicateConcurrent(t *testing.T) {
	st := state.NewMem(state.Options{})
	e := newEngine(t, runtime.Config{State: st})
	var wg sync.WaitGroup
	var mu sync.Mutex
	recorded := 0
	for range 32 {
		wg.Go(func() {
			for i := range 50 {
				body := fmt.Sprintf(`{"request_id": "c-%d", "tenant_id": "t", "target": "p:m", "status": "ok", "cost": 0.000000001}`, i)
				out, code := e.HandleFeedback([]byte(body), nil)
				for code == runtime.CodeOverloaded && strings.Contains(string(out), `"cause":"in_flight"`) {
					out, code = e.HandleFeedback([]byte(body), nil)
				}
				if code != "" {
					t.Error(string(out))
				}
				if string(out) == `{"ok":true,"recorded":1}` {
					mu.Lock()
					recorded++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if got := st.MonthSpend("t", time.Now()); recorded != 50 || got != 50 {
		t.Fatalf("%d recorded, month spend %d nano, want 50 and 50", recorded, got)
	}
}

// failOnce is a recorder whose first recording fails.
type failOnce struct {
	sync.Mutex
	failed bool
	n      int
}

func (f *failOnce) RecordFeedback(*runtime.Feedback) error {
	f.Lock()
	defer f.Unlock()
	if !f.failed {
		f.failed = true
		return errors.New("disk full")
	}
	f.n++
	return nil
}

// TestFeedbackRetryAfterFailure: feedback whose recording failed is not
// remembered: its retry is recorded, not taken for a duplicate.
func TestFeedbackRetryAfterFailure(t *testing.T) {
	rec := &failOnce{}
	e := newEngine(t, runtime.Config{State: rec})
	body := []byte(`{"request_id": "f1", "tenant_id": "t", "target": "p:m", "status": "ok", "cost": 0.6}`)
	if out, code := e.HandleFeedback(body, nil); code != runtime.CodeInternal {
		t.Fatalf("first: %s %s, want internal", code, out)
	}
	if out, code := e.HandleFeedback(body, nil); code != "" || string(out) != `{"ok":true,"recorded":1}` || rec.n != 1 {
		t.Fatalf("retry: %s %s (%d recorded)", code, out, rec.n)
	}
}

// blockedFail is a recorder whose first recording waits to be released,
// then fails.
type blockedFail struct {
	entered, release chan struct{}
	first            sync.Once
	failOnce
}

func (b *blockedFail) RecordFeedback(f *runtime.Feedback) error {
	b.first.Do(func() {
		close(b.entered)
		<-b.release
	})
	return b.failOnce.RecordFeedback(f)
}

// TestFeedbackCopyWhileRecording: a copy that arrives while the first is
// being recorded is not acknowledged as a duplicate (it was, and when
// that recording then failed, the feedback was lost though acknowledged
// twice): it is answered overloaded, to be retried, and its retry after
// the failure is recorded.
func TestFeedbackCopyWhileRecording(t *testing.T) {
	rec := &blockedFail{entered: make(chan struct{}), release: make(chan struct{})}
	e := newEngine(t, runtime.Config{State: rec})
	body := []byte(`{"request_id": "f1", "tenant_id": "t", "target": "p:m", "status": "ok", "cost": 0.6}`)
	first := make(chan runtime.Code)
	go func() {
		_, code := e.HandleFeedback(body, nil)
		first <- code
	}()
	<-rec.entered
	if out, code := e.HandleFeedback(body, nil); code != runtime.CodeOverloaded || !strings.Contains(string(out), `"cause":"in_flight"`) {
		t.Errorf("copy while the first is recorded: %s %s, want overloaded, in flight", code, out)
	}
	close(rec.release)
	if code := <-first; code != runtime.CodeInternal {
		t.Fatalf("first: %s, want internal (its recording failed)", code)
	}
	if out, code := e.HandleFeedback(body, nil); code != "" || string(out) != `{"ok":true,"recorded":1}` || rec.n != 1 {
		t.Errorf("the copy retried: %s %s (%d recorded), want recorded", code, out, rec.n)
	}
}

// panicOnce is a recorder whose first recording panics (a bug), the
// later ones recorded.
type panicOnce struct {
	mu       sync.Mutex
	panicked bool
	recorded int
}

func (p *panicOnce) RecordFeedback(*runtime.Feedback) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.panicked {
		p.panicked = true
		panic("recorder bug")
	}
	p.recorded++
	return nil
}

// TestFeedbackRecorderPanicReleasesClaim: a recording that panics (the
// dispatcher answers internal) is not left claimed: the client's retry is
// recorded, where it was answered overloaded, in flight, for the whole
// dedup window.
func TestFeedbackRecorderPanicReleasesClaim(t *testing.T) {
	rec := &panicOnce{}
	e := newEngine(t, runtime.Config{State: rec})
	load(t, e, examples)
	d := runtime.NewDispatcher(e, runtime.DispatchConfig{Transport: "test"})
	body := []byte(`{"request_id": "f1", "tenant_id": "acme", "target": "openai:gpt-4o", "status": "ok"}`)
	x := d.Get()
	defer d.Put(x)
	if out, code := d.Serve(context.Background(), x, runtime.KindFeedback, body, "", time.Now()); code != runtime.CodeInternal {
		t.Fatalf("panicking recorder: %s %s", code, out)
	}
	if out, code := d.Serve(context.Background(), x, runtime.KindFeedback, body, "", time.Now()); code != "" || string(out) != `{"ok":true,"recorded":1}` || rec.recorded != 1 {
		t.Fatalf("retry: %s %s (recorded %d)", code, out, rec.recorded)
	}
}

// TestFeedbackDuplicateMonthDropped: feedback recorded with a cost of the
// month before, sent again after the ledger stopped keeping that month
// (01:00 UTC on the first), is a duplicate, acknowledged as any other,
// alone or in a batch: its cost was charged, and the ledger's refusal of
// the month (the cost would be charged to no budget) is not the answer.
func TestFeedbackDuplicateMonthDropped(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 59, 0, 0, time.UTC)
	var mu sync.Mutex
	st := state.NewMem(state.Options{Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }})
	e := newEngine(t, runtime.Config{State: st})
	f1 := `{"request_id": "f1", "tenant_id": "acme", "target": "openai:gpt-4o", "status": "ok", "cost": 0.60, "time": "2026-02-28T23:59:00Z"}`
	if out, code := e.HandleFeedback([]byte(f1), nil); code != "" || string(out) != `{"ok":true,"recorded":1}` {
		t.Fatalf("f1 at 00:59: %s %s", code, out)
	}
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	if out, code := e.HandleFeedback([]byte(f1), nil); code != "" || string(out) != `{"ok":true,"recorded":0,"duplicate":true}` {
		t.Errorf("f1 again at 01:01: %s %s, want a duplicate", code, out)
	}
	if out, code := e.HandleFeedback([]byte(`{"feedback": [`+f1+`]}`), nil); code != "" || string(out) != `{"ok":true,"recorded":0,"duplicates":1}` {
		t.Errorf("f1 again in a batch at 01:01: %s %s, want a duplicate", code, out)
	}
	// Not recorded before, it is refused.
	f2 := strings.Replace(f1, `"f1"`, `"f2"`, 1)
	if out, code := e.HandleFeedback([]byte(f2), nil); code != runtime.CodeInvalidRequest || !strings.Contains(string(out), "no longer keeps") {
		t.Errorf("f2 at 01:01: %s %s, want the month refused", code, out)
	}
}
