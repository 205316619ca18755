package runtime

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// bigTagEngine is an engine whose policy big tags each decision with a
// string of 2^n bytes, n the request's metadata["n"].
func bigTagEngine(t *testing.T, cfg Config) *Engine {
	t.Helper()
	dir := t.TempDir()
	src := `package big
fn dbl(s: string, n: int) -> string = if n == 0 { s } else { dbl(s + s, n - 1) }
fn route(r: Request) -> Decision {
  let n = int(r.metadata["n"] ?? "0") ?? 0
  to("a:b").tag("k", dbl("x", n))
}
`
	if err := os.WriteFile(filepath.Join(dir, "big.rpl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.LoadDir(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	return e
}

func bigTagBatch(items int, n string) []byte {
	var b strings.Builder
	b.WriteString(`{"requests": [`)
	for i := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"policy_id": "big", "request": {"id": "r%d", "tenant": {"id": "t"}, "metadata": {"n": %q}}}`, i, n)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

type batchAnswer struct {
	OK      bool `json:"ok"`
	Results []struct {
		OK        bool   `json:"ok"`
		RequestID string `json:"request_id"`
		Error     *struct {
			Code    string         `json:"code"`
			Message string         `json:"message"`
			Details map[string]any `json:"details"`
		} `json:"error"`
	} `json:"results"`
}

// TestBatchAnswerLimit: a batch's answer is bounded by MaxAnswer
// (DefaultMaxAnswer, 8 MiB), the whole answer: the request whose answer
// would take it past the limit, with room for the short answers of those
// after it, is answered invalid_request saying it was decided but not
// answered, and every request after it invalid_request saying it was not
// decided, in order, where the answer had no bound (a
// 10 KB batch of 100 requests whose decisions each held a 4 MiB tag was
// answered 411 MB). Both decoders of a batch, the fast one and
// encoding/json's.
func TestBatchAnswerLimit(t *testing.T) {
	e := bigTagEngine(t, Config{Deadline: time.Minute}) // a 4 MiB string on a busy machine
	if e.cfg.MaxAnswer != DefaultMaxAnswer {
		t.Fatalf("MaxAnswer %d, want %d", e.cfg.MaxAnswer, DefaultMaxAnswer)
	}
	ctx := context.Background()
	at := time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)
	body := bigTagBatch(100, "22") // 4 MiB tags: the second passes 8 MiB
	if _, ok := e.fastBatch(body); !ok {
		t.Fatal("the fast decoder gave up on the batch")
	}
	fast, code := e.HandleV2Batch(ctx, body, at, nil)
	slow, slowCode, _ := e.slowBatch(ctx, e.Current(), body, at, nil, e.answerLimit(answerLimit{}))
	for path, out := range map[string][]byte{"fast": fast, "slow": slow} {
		if code != "" || slowCode != "" {
			t.Fatalf("codes %q %q", code, slowCode)
		}
		if len(out) > DefaultMaxAnswer {
			t.Fatalf("%s: answer of %d bytes, more than %d", path, len(out), DefaultMaxAnswer)
		}
		var a batchAnswer
		if err := json.Unmarshal(out, &a); err != nil || !a.OK || len(a.Results) != 100 {
			t.Fatalf("%s: %v ok %v, %d results", path, err, a.OK, len(a.Results))
		}
		if r := a.Results[0]; !r.OK || r.RequestID != "r0" {
			t.Fatalf("%s: first result %+v", path, r)
		}
		for i, r := range a.Results[1:] {
			i++
			// The second was decided, its answer cut; the others not decided.
			want := fmt.Sprintf("requests[%d]: not decided: the batch's answer reached its limit, %d bytes (--max-answer), at requests[1]", i, DefaultMaxAnswer)
			if i == 1 {
				want = "requests[1]: decided but not answered: its answer, 4194"
			}
			if r.OK || r.RequestID != fmt.Sprintf("r%d", i) || r.Error == nil || r.Error.Code != "invalid_request" || !strings.HasPrefix(r.Error.Message, want) ||
				r.Error.Details["field"] != fmt.Sprintf("requests[%d]", i) || r.Error.Details["max_answer"] != float64(DefaultMaxAnswer) {
				t.Fatalf("%s: result %d: %+v %+v, want %s", path, i, r, r.Error, want)
			}
		}
	}
	if string(fast) != string(slow) {
		t.Error("the decoders answer differently")
	}
}

// TestBatchAnswerLimitSmall: with a MaxAnswer of 10,000 bytes, requests
// are answered while the answer stays within it; a batch within it is
// answered as before, every request decided.
func TestBatchAnswerLimitSmall(t *testing.T) {
	e := bigTagEngine(t, Config{MaxAnswer: 10000, Deadline: time.Minute})
	ctx := context.Background()
	at := time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		items  int
		n      string
		answer int // results answered ok
	}{
		{10, "4", 10}, // small tags: all within
		{10, "11", 3}, // 2 KiB tags: three fit in 10,000 bytes, with room for the others' short answers
		{10, "14", 0}, // a 16 KiB tag: none fits
		{0, "0", 0},   // an empty batch
	} {
		body := bigTagBatch(c.items, c.n)
		fast, _ := e.HandleV2Batch(ctx, body, at, nil)
		slow, _, _ := e.slowBatch(ctx, e.Current(), body, at, nil, e.answerLimit(answerLimit{}))
		for path, out := range map[string][]byte{"fast": fast, "slow": slow} {
			var a batchAnswer
			if err := json.Unmarshal(out, &a); err != nil || !a.OK || len(a.Results) != c.items {
				t.Fatalf("%d×%s %s: %v %s", c.items, c.n, path, err, out)
			}
			for i, r := range a.Results {
				if r.OK != (i < c.answer) {
					t.Fatalf("%d×%s %s: result %d ok %v, want the first %d", c.items, c.n, path, i, r.OK, c.answer)
				}
			}
			if len(out) > 10000 {
				t.Errorf("%d×%s %s: %d bytes", c.items, c.n, path, len(out))
			}
		}
		if string(fast) != string(slow) {
			t.Errorf("%d×%s: the decoders answer differently", c.items, c.n)
		}
	}
	if _, err := New(Config{MaxAnswer: -1}); err == nil {
		t.Error("a negative MaxAnswer was taken")
	}
}

// TestBatchAnswerLimitTooSmall: a batch whose short answers alone would
// not fit within MaxAnswer (1,000 requests, a limit of 2,000 bytes) is
// refused whole, none of its requests decided, within the limit: it was
// answered 277,788 bytes, every request cut. And a request refused
// before it was decided (no id), whose answer crosses the limit, is said
// not answered, not "decided but not answered": it was said decided and
// logged, which it was not.
func TestBatchAnswerLimitTooSmall(t *testing.T) {
	e := bigTagEngine(t, Config{MaxAnswer: 2000, Deadline: time.Minute})
	ctx := context.Background()
	at := time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)
	body := bigTagBatch(1000, "0")
	fast, code := e.HandleV2Batch(ctx, body, at, nil)
	slow, slowCode, _ := e.slowBatch(ctx, e.Current(), body, at, nil, e.answerLimit(answerLimit{}))
	for path, out := range map[string][]byte{"fast": fast, "slow": slow} {
		if len(out) > 2000 || !strings.Contains(string(out), `batch of 1000 requests: its answer could not be held within its limit, 2000 bytes`) {
			t.Errorf("%s: %d bytes: %.300s", path, len(out), out)
		}
	}
	if code != CodeInvalidRequest || slowCode != CodeInvalidRequest || e.Status().Decisions != 0 {
		t.Errorf("codes %q %q, %d decided; want invalid_request, none decided", code, slowCode, e.Status().Decisions)
	}
	// A request refused (a field unknown, named at length in its error),
	// whose error's answer crosses the limit: the least limit taken for
	// the batch, room for the short answers alone.
	e = bigTagEngine(t, Config{Deadline: time.Minute})
	body = []byte(`{"requests": [{"request": {"id": "r0", "` + strings.Repeat("x", 300) + `": 1}}, {"request": {"id": "r1"}}]}`)
	ids := []string{"r0", "r1"}
	e.cfg.MaxAnswer = len(`{"ok":true,"results":[]}`) + newAnswerCut(e.answerLimit(answerLimit{}), 2, func(i int) string { return ids[i] }).left[0]
	fast, _ = e.HandleV2Batch(ctx, body, at, nil)
	slow, _, _ = e.slowBatch(ctx, e.Current(), body, at, nil, e.answerLimit(answerLimit{}))
	for path, out := range map[string][]byte{"fast": fast, "slow": slow} {
		var a batchAnswer
		if err := json.Unmarshal(out, &a); err != nil || len(a.Results) != 2 || len(out) > e.cfg.MaxAnswer {
			t.Fatalf("%s: %v %d bytes (limit %d) %s", path, err, len(out), e.cfg.MaxAnswer, out)
		}
		if r := a.Results[0]; r.Error == nil || !strings.HasPrefix(r.Error.Message, "requests[0]: not answered: its answer") {
			t.Errorf("%s: the refused request: %+v", path, r.Error)
		}
	}
	if e.Status().Decisions != 0 {
		t.Errorf("%d decided, want none", e.Status().Decisions)
	}
}

// TestBatchAnswerTransportLimit: a transport's limit of a batch's answer
// (Exchange.LimitAnswer: a NATS server's max_payload) cuts the batch
// when it is below MaxAnswer, its errors naming it, and not when it is
// above: the lower of the two bounds the answer. An exchange put back
// forgets it.
func TestBatchAnswerTransportLimit(t *testing.T) {
	e := bigTagEngine(t, Config{Deadline: time.Minute, MaxAnswer: 64 << 10})
	d := NewDispatcher(e, DispatchConfig{Transport: "test"})
	body := bigTagBatch(4, "14") // four 16 KiB tags: a 64 KiB answer and more
	at := time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		limit   int
		decided int
		by      string
	}{
		{0, 3, "65536 bytes (--max-answer)"},
		{32 << 10, 1, "32768 bytes (the server's max_payload)"},
		{1 << 20, 3, "65536 bytes (--max-answer)"},
		{32 << 10, 1, "32768 bytes (the server's max_payload)"},
		{0, 3, "65536 bytes (--max-answer)"}, // the exchange put back and taken again
	} {
		x := d.Get()
		if c.limit > 0 {
			x.LimitAnswer(c.limit, "the server's max_payload")
		}
		out, code := d.Serve(context.Background(), x, KindBatch, body, "", at)
		var a batchAnswer
		if err := json.Unmarshal(out, &a); err != nil || code != "" || len(a.Results) != 4 {
			t.Fatalf("limit %d: %v, %q: %.300s", c.limit, err, code, out)
		}
		if lim := min(cmp.Or(c.limit, 64<<10), 64<<10); len(out) > lim {
			t.Errorf("limit %d: answered %d bytes, over %d", c.limit, len(out), lim)
		}
		decided := 0
		for decided < 4 && a.Results[decided].OK {
			decided++
		}
		if decided != c.decided || decided < 4 && !strings.Contains(a.Results[decided].Error.Message, "past its limit, "+c.by) {
			t.Errorf("limit %d: %d answered before the cut, want %d; the cut: %+v, want its limit %s", c.limit, decided, c.decided, a.Results[min(decided, 3)].Error, c.by)
		}
		d.Put(x)
	}
}

// TestBatchCountsCut: a request whose answer was cut (answered
// invalid_request for want of room) is counted an error and no longer as
// the failure or not_ready it was, so that a batch's span counts what it
// answered and a batch with one cut not_ready is not taken for one that
// no version could decide.
func TestBatchCountsCut(t *testing.T) {
	var n BatchCounts
	for _, code := range []Code{"", CodeDecisionFailed, CodeNotReady, CodeNotReady} {
		n.add(code)
	}
	n.cut(CodeDecisionFailed)
	n.cut(CodeNotReady)
	n.cut("")
	if want := (BatchCounts{Requests: 4, Errors: 4, Failed: 1, NotReady: 1}); n != want {
		t.Errorf("counts %+v, want %+v", n, want)
	}
	var all BatchCounts
	all.add(CodeNotReady)
	all.add(CodeNotReady)
	all.cut(CodeNotReady)
	if all.allNotReady() {
		t.Error("a batch with a cut answer taken for one answered not_ready whole")
	}
}
