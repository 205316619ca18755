package runtime_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/rpl-lang/rpl/runtime"
)

// checkEventJSON: ev's own encoding is valid JSON on one line (the
// decision log's messages are JSON Lines) that decodes to ev, and to the
// same object encoding/json makes of it.
func checkEventJSON(t *testing.T, ev *runtime.DecisionEvent) {
	t.Helper()
	data := ev.AppendJSON(nil)
	if !json.Valid(data) {
		t.Fatalf("invalid JSON: %s", data)
	}
	if bytes.IndexByte(data, '\n') >= 0 {
		t.Fatalf("a newline in the event: %q", data)
	}
	var got runtime.DecisionEvent
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("%v: %s", err, data)
	}
	want := *ev
	// Invalid UTF-8 is encoded as U+FFFD, as encoding/json does.
	for _, f := range []*string{&want.RequestID, &want.TenantID, &want.PolicyID, &want.Version, &want.Result, &want.Failure} {
		*f = validUTF8(*f)
	}
	if len(want.Decision) == 0 {
		want.Decision = json.RawMessage("null")
	}
	if !got.Time.Equal(want.Time) {
		t.Errorf("time %v, want %v", got.Time, want.Time)
	}
	got.Time, want.Time = time.Time{}, time.Time{}
	if d := cmp.Diff(want, got, cmpopts.IgnoreUnexported(runtime.DecisionEvent{})); d != "" {
		t.Errorf("decoded (-want +got):\n%s", d)
	}
	// json.Marshal goes through MarshalJSON (escaping <, >, & and U+2028
	// on the way, which changes no value).
	var viaMarshal, ours any
	if m, err := json.Marshal(ev); err != nil || json.Unmarshal(m, &viaMarshal) != nil || json.Unmarshal(data, &ours) != nil {
		t.Errorf("json.Marshal gives %s (%v)", m, err)
	} else if d := cmp.Diff(ours, viaMarshal); d != "" {
		t.Errorf("json.Marshal differs from AppendJSON (-AppendJSON +Marshal):\n%s", d)
	}
	// The log writes its times in UTC.
	utc := plainEvent(*ev)
	utc.Time = utc.Time.UTC()
	std, err := json.Marshal(utc) // by reflection, without MarshalJSON
	if err != nil {
		return // encoding/json refuses it (an invalid Decision): ours is the engine's, already valid
	}
	var a, b any
	json.Unmarshal(data, &a)
	json.Unmarshal(std, &b)
	if d := cmp.Diff(b, a); d != "" {
		t.Errorf("differs from encoding/json (-std +ours):\n%s", d)
	}
}

// plainEvent is a DecisionEvent without its methods: encoding/json
// encodes it field by field.
type plainEvent runtime.DecisionEvent

// validUTF8 is s through encoding/json: each invalid byte becomes U+FFFD.
func validUTF8(s string) string {
	b, _ := json.Marshal(s)
	var r string
	json.Unmarshal(b, &r)
	return r
}

func TestDecisionEventJSON(t *testing.T) {
	at := time.Date(2026, 11, 26, 3, 4, 5, 123456789, time.FixedZone("x", 3600))
	for _, ev := range []*runtime.DecisionEvent{
		{},
		{Time: at, RequestID: "r-1", TenantID: "acme", PolicyID: "default", Version: "8a4e", Result: "routed",
			Decision: json.RawMessage(`{"target":"openai:gpt-4o","tags":{"k":"v"}}`), Fuel: 17, LatencyNs: 2345},
		{Time: at.UTC(), RequestID: "quote \" backslash \\ newline \n tab \t <html> & \u2028", TenantID: "\x01\x1f",
			Result: "failed", Failure: "policy default: fuel exhausted at line 3", Fuel: -1, LatencyNs: -5},
		{RequestID: "bad utf-8 \xff\xfe", Decision: json.RawMessage(`null`)},
	} {
		checkEventJSON(t, ev)
	}
}

func FuzzDecisionEventJSON(f *testing.F) {
	f.Add("r-1", "acme", "default", "", int64(17), int64(1234), int64(1764126245123456789))
	f.Add("a\"b\\c\n", "\x00\xff", "<&>", "boom", int64(-1), int64(0), int64(0))
	f.Fuzz(func(t *testing.T, req, tenant, policy, failure string, fuel, lat, unixNano int64) {
		ev := &runtime.DecisionEvent{Time: time.Unix(0, unixNano).UTC(), RequestID: req, TenantID: tenant, PolicyID: policy,
			Version: "v", Result: "routed", Decision: json.RawMessage(`{"target":"x:y"}`), Fuel: fuel, LatencyNs: lat, Failure: failure}
		checkEventJSON(t, ev)
	})
}

// BenchmarkDecisionEventJSON is the decision log publisher's work per
// event: one event of the default policy's shape, appended as JSON.
func BenchmarkDecisionEventJSON(b *testing.B) {
	ev := &runtime.DecisionEvent{Time: time.Now(), RequestID: "req-000123", TenantID: "tenant-42", PolicyID: "default",
		Version: "8a4e0f2c91d3", Result: "routed", Fuel: 187, LatencyNs: 2345,
		Decision: json.RawMessage(`{"target":"openai:gpt-4o-mini","fallbacks":["anthropic:claude-3-haiku"],"tags":{"task":"chat"},"reason":"chat under 800ms"}`)}
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf = ev.AppendJSON(buf[:0])
	}
}

// TestDecisionEventFields: the event of a decision names the request,
// its tenant, the deciding policy and version, the decision answered, the
// fuel it used and the engine's time for it (the Outcome's), at the
// request's arrival in UTC: over CP1, v2 and a batch alike.
func TestDecisionEventFields(t *testing.T) {
	var got []*runtime.DecisionEvent
	e := newEngine(t, runtime.Config{DecisionLog: logFunc(func(ev *runtime.DecisionEvent) { got = append(got, ev) })})
	s := load(t, e, examples)
	ctx := context.Background()
	at := time.Date(2026, 11, 28, 12, 0, 0, 5, time.FixedZone("x", 3600))
	var elapsed []time.Duration
	o := new(runtime.Outcome)
	e.HandleCP1(ctx, []byte(`{"version": "1", "request_id": "c1", "tenant_id": "acme", "task": {"type": "chat"}}`), runtime.CP1Meta{Arrival: at}, nil, o)
	elapsed = append(elapsed, o.Elapsed)
	answer, _, o := e.HandleV2(ctx, []byte(`{"request": {"id": "v1", "tenant": {"id": "acme"}, "task": {"type": "chat"}}}`), at, nil, o)
	elapsed = append(elapsed, o.Elapsed)
	e.HandleV2Batch(ctx, []byte(`{"requests": [{"request": {"id": "b1", "tenant": {"id": "acme"}, "task": {"type": "chat"}}}]}`), at, nil)
	var v2 struct{ Decision json.RawMessage }
	if err := json.Unmarshal(answer, &v2); err != nil {
		t.Fatalf("%s: %v", answer, err)
	}
	if len(got) != 3 {
		t.Fatalf("%d events, want 3", len(got))
	}
	for i, id := range []string{"c1", "v1", "b1"} {
		ev := got[i]
		var d struct{ Target string }
		if err := json.Unmarshal(ev.Decision, &d); err != nil {
			t.Fatalf("%s: decision %s: %v", id, ev.Decision, err)
		}
		if ev.RequestID != id || ev.TenantID != "acme" || ev.PolicyID != "default" || ev.Version != s.Version || ev.Result != "route" ||
			d.Target == "" || ev.Fuel <= 0 || ev.LatencyNs <= 0 || !ev.Time.Equal(at) || ev.Failure != "" {
			t.Errorf("%s: event %s", id, ev.AppendJSON(nil))
		}
		if i < len(elapsed) && ev.LatencyNs != elapsed[i].Nanoseconds() {
			t.Errorf("%s: latency_ns %d, want the outcome's %d", id, ev.LatencyNs, elapsed[i].Nanoseconds())
		}
		if line := string(ev.AppendJSON(nil)); !strings.HasPrefix(line, `{"time":"2026-11-28T11:00:00.000000005Z",`) {
			t.Errorf("%s: %s, want the arrival in UTC", id, line)
		}
	}
	if !bytes.Equal(got[1].Decision, v2.Decision) {
		t.Errorf("v2 event's decision %s, answered %s", got[1].Decision, v2.Decision)
	}
}
