package natsx_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/s2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rpl-lang/rpl/internal/hdr"
	rt "github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/natsx"
)

// storedMessages waits (up to 10s) until the decision log stream holds
// at least want events, and returns its messages' events, message by
// message.
func storedMessages(t *testing.T, st jetstream.Stream, want int) [][]rt.DecisionEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		msgs, err := natsx.ReadLog(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, evs := range msgs {
			n += len(evs)
		}
		if n >= want || ctx.Err() != nil {
			return msgs
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// storedEvents is storedMessages's events in one list.
func storedEvents(t *testing.T, st jetstream.Stream, want int) []rt.DecisionEvent {
	t.Helper()
	var evs []rt.DecisionEvent
	for _, m := range storedMessages(t, st, want) {
		evs = append(evs, m...)
	}
	return evs
}

// openLog opens a decision log on nc with cfg (NewDecisionLog, within
// ctx), the test failing if it cannot. Closing it is the test's: when
// (before its server or its connection goes, or after) is part of what
// some tests check.
func openLog(ctx context.Context, t testing.TB, nc *nats.Conn, cfg natsx.LogConfig) *natsx.DecisionLog {
	t.Helper()
	dlog, err := natsx.NewDecisionLog(ctx, nc, cfg)
	if err != nil {
		t.Fatalf("NewDecisionLog: %v", err)
	}
	return dlog
}

// logStream opens a decision log with cfg on an embedded server, and the
// stream it publishes to.
func logStream(t testing.TB, cfg natsx.LogConfig) (*natsx.DecisionLog, jetstream.Stream) {
	t.Helper()
	_, nc := embedded(t, "")
	return logStreamOn(t, nc, cfg)
}

// logStreamOn opens a decision log with cfg on nc (openLog), closed when
// the test ends, and the stream it publishes to.
func logStreamOn(t testing.TB, nc *nats.Conn, cfg natsx.LogConfig) (*natsx.DecisionLog, jetstream.Stream) {
	t.Helper()
	ctx := context.Background()
	dlog := openLog(ctx, t, nc, cfg)
	t.Cleanup(func() { dlog.Close(ctx) })
	js, _ := jetstream.New(nc)
	st, err := js.Stream(ctx, natsx.LogStream)
	if err != nil {
		t.Fatal(err)
	}
	return dlog, st
}

// ids returns the request ids of events.
func ids(evs []rt.DecisionEvent) string {
	var b strings.Builder
	for i, ev := range evs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(ev.RequestID)
	}
	return b.String()
}

// idsWithout is ids of the events whose request id does not start with
// prefix.
func idsWithout(evs []rt.DecisionEvent, prefix string) string {
	var kept []rt.DecisionEvent
	for _, ev := range evs {
		if !strings.HasPrefix(ev.RequestID, prefix) {
			kept = append(kept, ev)
		}
	}
	return ids(kept)
}

// seq returns "0 1 … n-1".
func seq(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(i))
	}
	return b.String()
}

// TestDecisionLogBatches: a message holds Batch events, in the order
// they were logged, and goes out once full; Close publishes the last,
// partial one.
func TestDecisionLogBatches(t *testing.T) {
	dlog, st := logStream(t, natsx.LogConfig{Batch: 16, Linger: time.Hour})
	for i := range 100 {
		dlog.LogDecision(&rt.DecisionEvent{RequestID: strconv.Itoa(i), Decision: json.RawMessage(`{"target":"a:b"}`)})
	}
	storedMessages(t, st, 96) // the full messages, without Close
	dlog.Close(context.Background())
	msgs := storedMessages(t, st, 100)
	var sizes []int
	var all []rt.DecisionEvent
	for _, m := range msgs {
		sizes = append(sizes, len(m))
		all = append(all, m...)
	}
	if fmt.Sprint(sizes) != "[16 16 16 16 16 16 4]" {
		t.Errorf("events per message %v, want six of 16 and the last 4", sizes)
	}
	if got := ids(all); got != seq(100) {
		t.Errorf("events %s, want 0…99 in order", got)
	}
	if sent, dropped := dlog.Stats(); sent != 100 || dropped != 0 {
		t.Errorf("sent %d dropped %d", sent, dropped)
	}
}

// TestDecisionLogRouter: each event names the router that published it
// (LogConfig.Router): a fleet's routers share one stream, and its events
// did not say whose they were.
func TestDecisionLogRouter(t *testing.T) {
	dlog, st := logStream(t, natsx.LogConfig{Router: "router-b", Linger: time.Hour})
	for i := range 3 {
		dlog.LogDecision(&rt.DecisionEvent{RequestID: strconv.Itoa(i), Decision: json.RawMessage(`{"target":"a:b"}`)})
	}
	dlog.Close(context.Background())
	for _, m := range storedMessages(t, st, 3) {
		for _, ev := range m {
			if ev.Router != "router-b" {
				t.Errorf("event %s: router %q, want router-b", ev.RequestID, ev.Router)
			}
		}
	}
}

// TestDecisionLogDefaultsFill: by default a message is as full as its
// 64 KiB allow (about 90 decisions), not cut at a count of events: each
// message is a burst of work that the decisions in flight wait behind,
// and fewer, fuller ones cost their tail least (LogConfig).
func TestDecisionLogDefaultsFill(t *testing.T) {
	dlog, st := logStream(t, natsx.LogConfig{})
	decision := json.RawMessage(`{"target":"` + strings.Repeat("x", 560) + `"}`)
	for i := range 400 {
		dlog.LogDecision(&rt.DecisionEvent{RequestID: strconv.Itoa(i), Decision: decision})
	}
	msgs := storedMessages(t, st, 300) // the full messages, without Close
	if len(msgs) == 0 {
		t.Fatal("no message stored")
	}
	if len(msgs[0]) <= 64 {
		t.Errorf("the first message holds %d events of ~700 bytes, want the ~90 that fill 64 KiB", len(msgs[0]))
	}
}

// TestDecisionLogLinger: events that do not fill a message are published
// once the first has waited Linger, without Close.
func TestDecisionLogLinger(t *testing.T) {
	dlog, st := logStream(t, natsx.LogConfig{Batch: 64, Linger: 20 * time.Millisecond})
	for i := range 3 {
		dlog.LogDecision(&rt.DecisionEvent{RequestID: strconv.Itoa(i)})
	}
	if got := ids(storedEvents(t, st, 3)); got != seq(3) {
		t.Errorf("stored %q, want %q", got, seq(3))
	}
}

// TestDecisionLogBigEvent: a message holds at most 64 KiB of events; an
// event that would take it past goes into the next message, alone if it
// is larger itself.
func TestDecisionLogBigEvent(t *testing.T) {
	dlog, st := logStream(t, natsx.LogConfig{Batch: 64, Linger: time.Hour})
	big := json.RawMessage(`{"reason":"` + strings.Repeat("x", 100<<10) + `"}`)
	dlog.LogDecision(&rt.DecisionEvent{RequestID: "0"})
	dlog.LogDecision(&rt.DecisionEvent{RequestID: "1", Decision: big})
	dlog.LogDecision(&rt.DecisionEvent{RequestID: "2"})
	msgs := storedMessages(t, st, 2) // without Close: the message before the big event, and the big event alone
	if len(msgs) != 2 || ids(msgs[0]) != "0" || ids(msgs[1]) != "1" || string(msgs[1][0].Decision) != string(big) {
		t.Fatalf("before Close: %d messages, want one holding 0 and one holding 1", len(msgs))
	}
	dlog.Close(context.Background())
	msgs = storedMessages(t, st, 3)
	if len(msgs) != 3 || ids(msgs[2]) != "2" {
		t.Fatalf("after Close: %d messages", len(msgs))
	}

	// Many events of 3 KB: no message goes past 64 KiB of JSON Lines
	// (uncompressed, to see them), and none is lost.
	dlog, st = logStream(t, natsx.LogConfig{Batch: 64, Linger: time.Hour, Uncompressed: true})
	mid := json.RawMessage(`{"reason":"` + strings.Repeat("y", 3000) + `"}`)
	for i := range 100 {
		dlog.LogDecision(&rt.DecisionEvent{RequestID: strconv.Itoa(i), Decision: mid})
	}
	dlog.Close(context.Background())
	if got := ids(storedEvents(t, st, 100)); got != seq(100) {
		t.Fatalf("events %s, want 0…99 in order", got)
	}
	ctx := context.Background()
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for q := info.State.FirstSeq; q <= info.State.LastSeq; q++ {
		m, err := st.GetMsg(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if m.Header.Get("Content-Encoding") != "" || len(m.Data) > 64<<10 {
			t.Errorf("message %d holds %d bytes (Content-Encoding %q), more than 64 KiB of JSON Lines", q, len(m.Data), m.Header.Get("Content-Encoding"))
		}
	}
	if sent, dropped := dlog.Stats(); sent != 100 || dropped != 0 {
		t.Errorf("sent %d dropped %d", sent, dropped)
	}
}

// TestDecisionLogCompression: a message is the JSON Lines of its events
// compressed with S2, and says so in its header, unless Uncompressed;
// either way the stream gives the events back as they were logged.
func TestDecisionLogCompression(t *testing.T) {
	decision := json.RawMessage(`{"provider_id":"openai:gpt-4o-mini","priority":50,"reason":"best_score","metadata":{"policy_version":"8a4ebd4554edd9e468deeddcdff07849135ab6a4d9a8fd7d9ba109c9f2ae77fe"}}`)
	for _, plain := range []bool{false, true} {
		dlog, st := logStream(t, natsx.LogConfig{Batch: 50, Linger: time.Hour, Uncompressed: plain})
		var want []byte
		for i := range 50 {
			ev := &rt.DecisionEvent{Time: time.Unix(1_800_000_000, int64(i)).UTC(), RequestID: "req-" + strconv.Itoa(i), TenantID: "acme", PolicyID: "default",
				Version: "8a4ebd4554edd9e468deeddcdff07849135ab6a4d9a8fd7d9ba109c9f2ae77fe", Result: "route", Decision: decision, Fuel: int64(100 + i), LatencyNs: int64(1000 + i)}
			want = append(ev.AppendJSON(want), '\n')
			dlog.LogDecision(ev)
		}
		evs := storedEvents(t, st, 50)
		if got := ids(evs); got != ids(mustEvents(t, nil, want)) {
			t.Fatalf("uncompressed %v: events %s", plain, got)
		}
		if diff := cmp.Diff(mustEvents(t, nil, want), evs); diff != "" {
			t.Errorf("uncompressed %v: events differ from those logged (-want +got):\n%s", plain, diff)
		}
		m, err := st.GetMsg(context.Background(), 1)
		if err != nil {
			t.Fatal(err)
		}
		enc := m.Header.Get("Content-Encoding")
		switch {
		case plain && (enc != "" || string(m.Data) != string(want)):
			t.Errorf("uncompressed: Content-Encoding %q, %d bytes, want the %d bytes of JSON Lines", enc, len(m.Data), len(want))
		case !plain && (enc != natsx.LogEncodingS2 || len(m.Data) > len(want)/4):
			t.Errorf("compressed: Content-Encoding %q, %d bytes for %d bytes of JSON Lines, want s2 and at most a quarter", enc, len(m.Data), len(want))
		}
	}
}

// TestDecisionLogFullBatchWakes: a full message goes out at once, never
// after the linger, however the events of its batch fall around the
// publisher's passes: events logged while the publisher filled the
// message counted on stale figures and did not wake it, and a full
// message waited for the linger (an hour here; found by a review, about
// one fresh log in 20).
func TestDecisionLogFullBatchWakes(t *testing.T) {
	_, nc := embedded(t, "")
	ctx := context.Background()
	decision := json.RawMessage(`{"provider_id":"openai:gpt-4o-mini","priority":50,"reason":"best_score"}`)
	for i := range 100 {
		dlog := openLog(ctx, t, nc, natsx.LogConfig{Batch: 50, Linger: time.Hour})
		for j := range 50 {
			dlog.LogDecision(&rt.DecisionEvent{Time: time.Now(), RequestID: "req-" + strconv.Itoa(j), TenantID: "acme", PolicyID: "default",
				Version: "8a4ebd4554edd9e468deeddcdff07849135ab6a4d9a8fd7d9ba109c9f2ae77fe", Result: "route", Decision: decision})
		}
		for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(100 * time.Microsecond) {
			if sent, _ := dlog.Stats(); sent == 50 {
				break
			} else if time.Now().After(deadline) {
				t.Fatalf("log %d: %d of a full batch of 50 events sent after 2s", i, sent)
			}
		}
		dlog.Close(ctx)
	}
}

// TestDecisionLogFullBytesWakes: 64 KiB of events make a message that
// goes out at once, whatever makes them large: the queue's size counted
// the decisions alone, and events of long request ids and small
// decisions waited for the linger (an hour here; found by a review).
func TestDecisionLogFullBytesWakes(t *testing.T) {
	dlog, _ := logStream(t, natsx.LogConfig{Batch: 5000, Linger: time.Hour})
	id := strings.Repeat("r", 900)
	for i := range 300 { // ~1 KB of JSON each: four full messages and more
		dlog.LogDecision(&rt.DecisionEvent{RequestID: id + strconv.Itoa(i), Decision: json.RawMessage(`{"r":1}`)})
		if i == 0 {
			time.Sleep(50 * time.Millisecond) // the publisher takes the first, and lingers
		}
	}
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(time.Millisecond) {
		if sent, _ := dlog.Stats(); sent >= 240 {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("%d of 300 events of ~1 KB sent after 2s, want the full 64 KiB messages' (240 or more)", sent)
		}
	}
}

// TestDecisionLogOversizeEvent: an event larger than a reader takes
// (64 MiB of JSON), which compression makes small enough to store, is
// dropped and counted, and the events around it are stored and read.
func TestDecisionLogOversizeEvent(t *testing.T) {
	dlog, st := logStream(t, natsx.LogConfig{Batch: 1})
	huge := make([]byte, 0, 65<<20)
	huge = append(append(append(huge, `{"reason":"`...), strings.Repeat("x", 65<<20-20)...), `"}`...)
	dlog.LogDecision(&rt.DecisionEvent{RequestID: "0"})
	dlog.LogDecision(&rt.DecisionEvent{RequestID: "1", Decision: huge})
	dlog.LogDecision(&rt.DecisionEvent{RequestID: "2"})
	dlog.Close(context.Background())
	if got := ids(storedEvents(t, st, 2)); got != "0 2" {
		t.Errorf("events %q, want 0 2", got)
	}
	if sent, dropped := dlog.Stats(); sent != 2 || dropped != 1 {
		t.Errorf("sent %d dropped %d, want 2 and 1", sent, dropped)
	}
}

// mustEvents is LogEvents, failing t on an error.
func mustEvents(t *testing.T, h nats.Header, data []byte) []rt.DecisionEvent {
	t.Helper()
	evs, err := natsx.LogEvents(h, data)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestLogEventsCompressed: a compressed message's events, and what a
// payload that does not decompress, or an encoding that is not S2, gets.
func TestLogEventsCompressed(t *testing.T) {
	lines := []byte(`{"request_id":"a"}` + "\n" + `{"request_id":"b","fuel":3}` + "\n")
	s2h := nats.Header{"Content-Encoding": {natsx.LogEncodingS2}}
	// A block that claims to decode to 1 GiB (a varint length) and holds
	// nothing.
	huge := binary.AppendUvarint(nil, 1<<30)
	hint := " (the payload decompresses as S2: was its header Content-Encoding: s2 lost?)"
	for _, c := range []struct {
		name     string
		h        nats.Header
		data     []byte
		ids      string
		err, end string // the error's start and end
	}{
		{"s2", s2h, s2.Encode(nil, lines), "a b", "", ""},
		// The header's name in any case, as the request subjects read it.
		{"s2, lower case", nats.Header{"content-encoding": {natsx.LogEncodingS2}}, s2.Encode(nil, lines), "a b", "", ""},
		{"s2 empty", s2h, s2.Encode(nil, nil), "", "", ""},
		{"s2 corrupt", s2h, s2.Encode(nil, lines)[:5], "", "decision log: S2 payload: s2: corrupt input", ""},
		{"s2 not s2", s2h, lines, "", "decision log: S2 payload: s2: corrupt input", ""},
		{"s2 too large", s2h, huge, "", "decision log: S2 payload decodes to 1073741824 bytes, more than 67108864", ""},
		{"header lost", nil, s2.Encode(nil, lines), "", "decision log: event 1: line 1, column 1: invalid character", hint},
		{"header lost, no newline", nil, s2.Encode(nil, []byte(`{"request_id":"a"}`)), "", "decision log: event 1: no newline after it", hint},
		{"plain, bad", nil, []byte(`{"request_id":"a"}` + "\n" + `{"request_id":` + "\n"), "a", "decision log: event 2: line 1, column 15: unexpected end of JSON input", ""},
		{"gzip", nats.Header{"Content-Encoding": {"gzip"}}, lines, "", `decision log: Content-Encoding "gzip": want "s2" or none`, ""},
	} {
		evs, err := natsx.LogEvents(c.h, c.data)
		if ids(evs) != c.ids {
			t.Errorf("%s: events %q, want %q", c.name, ids(evs), c.ids)
		}
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.err != "" && (err == nil || !strings.HasPrefix(err.Error(), c.err) || !strings.HasSuffix(err.Error(), c.end) ||
			c.end == "" && strings.HasSuffix(err.Error(), hint)):
			t.Errorf("%s: error %v, want %q…%q", c.name, err, c.err, c.end)
		}
	}
}

// TestLogEvents: a message's events, and the event an error is in.
func TestLogEvents(t *testing.T) {
	for _, c := range []struct{ data, ids, err string }{
		{"", "", ""},
		{`{"request_id":"a"}` + "\n", "a", ""},
		{`{"request_id":"a"}` + "\n" + `{"request_id":"b","fuel":3}` + "\n", "a b", ""},
		{`{"request_id":"a"}` + "\n" + `{"request_id":` + "\n", "a", "decision log: event 2: line 1, column 15: unexpected end of JSON input"},
		{`{"request_id":"a"}` + "\n" + `{"fuel":"x"}` + "\n", "a", "decision log: event 2: fuel: want a number, have a string"},
		{`5` + "\n", "", "decision log: event 1: want an object, have a number"},
		{`{"request_id":"a","decision":}` + "\n", "", "decision log: event 1: line 1, column 30: invalid character '}'"},
		{`{"request_id":"a"}`, "", "decision log: event 1: no newline after it"},
		// Keys are exact, as the router's other readers' are: a field's
		// key spelt in another case, or given twice, which encoding/json
		// would take (the last wins), names the key.
		{`{"request_id":"a"}` + "\n" + `{"REQUEST_ID":"b"}` + "\n", "a", `decision log: event 2: line 1, column 15: REQUEST_ID: want "request_id": keys are exact`},
		{`{"request_id":"a","requeſt_id":"b"}` + "\n", "", `decision log: event 1: line 1, column 33: requeſt_id: key given twice`},
		{`{"request_id":"a","request_id":"b"}` + "\n", "", `decision log: event 1: line 1, column 32: request_id: key given twice`},
		{`{"request_id":"a","Fuel":3}` + "\n", "", `decision log: event 1: line 1, column 26: Fuel: want "fuel"`},
		// A decision's own keys are data, and a key no field has is
		// ignored (a later release's).
		{`{"request_id":"a","decision":{"Target":"x","target":"y"},"extra":1}` + "\n", "a", ""},
	} {
		evs, err := natsx.LogEvents(nil, []byte(c.data))
		if ids(evs) != c.ids {
			t.Errorf("%q: events %q, want %q", c.data, ids(evs), c.ids)
		}
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%q: %v", c.data, err)
		case c.err != "" && (err == nil || !strings.HasPrefix(err.Error(), c.err)):
			t.Errorf("%q: error %v, want %q…", c.data, err, c.err)
		}
	}
}

// TestDecisionLogLateEvents: decisions logged while and after the log
// closes (a transport that did not drain in time) neither panic nor race,
// each is either published or dropped and counted, and closing twice is
// harmless.
func TestDecisionLogLateEvents(t *testing.T) {
	_, nc := embedded(t, "")
	ctx := context.Background()
	dlog := openLog(ctx, t, nc, natsx.LogConfig{Buffer: 16})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 1000 {
			dlog.LogDecision(&rt.DecisionEvent{RequestID: fmt.Sprint(i)})
		}
	}()
	dlog.Close(ctx)
	<-done
	dlog.LogDecision(&rt.DecisionEvent{RequestID: "late"})
	dlog.Close(ctx)
	if sent, dropped := dlog.Stats(); sent+dropped != 1001 || dropped == 0 {
		t.Errorf("sent %d + dropped %d of 1001 events", sent, dropped)
	}
}

// TestDecisionLogAcks: messages published without acknowledgement are
// all stored; when the stream stops storing (deleted here), an acknowledged
// publish says so.
func TestDecisionLogAcks(t *testing.T) {
	_, nc := embedded(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	js, _ := jetstream.New(nc)

	dlog := openLog(ctx, t, nc, natsx.LogConfig{AckEvery: time.Hour})
	for i := range 200 {
		dlog.LogDecision(&rt.DecisionEvent{RequestID: fmt.Sprint(i), Decision: json.RawMessage(`{}`)})
	}
	dlog.Close(ctx)
	st, err := js.Stream(ctx, natsx.LogStream)
	if err != nil {
		t.Fatal(err)
	}
	if evs := storedEvents(t, st, 200); len(evs) != 200 {
		t.Fatalf("%d events stored, want 200", len(evs))
	}
	if sent, dropped := dlog.Stats(); sent != 200 || dropped != 0 || dlog.Failed() != 0 {
		t.Fatalf("sent %d dropped %d failed %d", sent, dropped, dlog.Failed())
	}

	var told atomic.Int64
	dlog = openLog(ctx, t, nc, natsx.LogConfig{AckEvery: -1, Failed: func(error) { told.Add(1) }})
	defer dlog.Close(ctx)
	if err := js.DeleteStream(ctx, natsx.LogStream); err != nil {
		t.Fatal(err)
	}
	dlog.LogDecision(&rt.DecisionEvent{RequestID: "lost", Decision: json.RawMessage(`{}`)})
	waitFor(t, "the failed acknowledgement", func() bool { return dlog.Failed() > 0 && told.Load() > 0 })
}

// TestDecisionLogRecreatesStream: the stream deleted under a running log
// is created again when an acknowledged publish finds it missing, and the
// events logged after are stored (every event was lost, the failure
// counted each second, for as long as the router ran; found by a review).
func TestDecisionLogRecreatesStream(t *testing.T) {
	_, nc := embedded(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	js, _ := jetstream.New(nc)
	var recreated atomic.Int64
	dlog := openLog(ctx, t, nc, natsx.LogConfig{AckEvery: 10 * time.Millisecond, Linger: time.Millisecond,
		Recreated: func() { recreated.Add(1) }})
	defer dlog.Close(ctx)
	if err := js.DeleteStream(ctx, natsx.LogStream); err != nil {
		t.Fatal(err)
	}
	// Events go out until the acknowledged one finds no stream.
	for i := 0; recreated.Load() == 0; i++ {
		if ctx.Err() != nil {
			t.Fatalf("the stream was not created again (%d acknowledged publishes failed)", dlog.Failed())
		}
		dlog.LogDecision(&rt.DecisionEvent{RequestID: fmt.Sprint("lost-", i), Decision: json.RawMessage(`{}`)})
		time.Sleep(2 * time.Millisecond)
	}
	if dlog.Failed() == 0 {
		t.Error("no failed acknowledgement counted")
	}
	for i := range 10 {
		dlog.LogDecision(&rt.DecisionEvent{RequestID: strconv.Itoa(i), Decision: json.RawMessage(`{}`)})
	}
	dlog.Close(ctx)
	st, err := js.Stream(ctx, natsx.LogStream)
	if err != nil {
		t.Fatal(err)
	}
	if got := idsWithout(storedEvents(t, st, 10), "lost-"); got != seq(10) {
		t.Errorf("events stored after the stream was created again: %q, want %q", got, seq(10))
	}
}

// TestDecisionLogRebindsSubject: a stream that exists but no longer
// stores the log's subject (an operator changed its subjects) gets it
// back beside its own, its limits kept, once an acknowledged publish
// finds no stream, and that is not told as a stream created again (the
// stream found was taken for one created: a false warning, and the
// subjects never mended, the warning repeated each AckEvery; found by a
// review).
func TestDecisionLogRebindsSubject(t *testing.T) {
	_, nc := embedded(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	js, _ := jetstream.New(nc)
	var recreated atomic.Int64
	dlog := openLog(ctx, t, nc, natsx.LogConfig{AckEvery: 10 * time.Millisecond, Linger: time.Millisecond,
		Recreated: func() { recreated.Add(1) }})
	defer dlog.Close(ctx)
	st, err := js.Stream(ctx, natsx.LogStream)
	if err != nil {
		t.Fatal(err)
	}
	c := st.CachedInfo().Config
	c.Subjects, c.MaxAge = []string{"operator.events"}, 168*time.Hour
	if _, err := js.UpdateStream(ctx, c); err != nil {
		t.Fatal(err)
	}
	bound := func() bool {
		st, err := js.Stream(ctx, natsx.LogStream)
		return err == nil && slices.Contains(st.CachedInfo().Config.Subjects, natsx.LogSubject)
	}
	for i := 0; !bound(); i++ {
		if ctx.Err() != nil {
			t.Fatalf("the stream's subjects were not mended (%d acknowledged publishes failed)", dlog.Failed())
		}
		dlog.LogDecision(&rt.DecisionEvent{RequestID: fmt.Sprint("lost-", i), Decision: json.RawMessage(`{}`)})
		time.Sleep(2 * time.Millisecond)
	}
	st, _ = js.Stream(ctx, natsx.LogStream)
	if got := st.CachedInfo().Config; !slices.Equal(got.Subjects, []string{"operator.events", natsx.LogSubject}) || got.MaxAge != 168*time.Hour {
		t.Errorf("mended stream: subjects %q, max age %v; want the operator's subject kept, %s added, 168h kept", got.Subjects, got.MaxAge, natsx.LogSubject)
	}
	for i := range 10 {
		dlog.LogDecision(&rt.DecisionEvent{RequestID: strconv.Itoa(i), Decision: json.RawMessage(`{}`)})
	}
	dlog.Close(ctx)
	if n := recreated.Load(); n != 0 {
		t.Errorf("told %d times that the stream was created again; it was found", n)
	}
	if got := idsWithout(storedEvents(t, st, 10), "lost-"); got != seq(10) {
		t.Errorf("events stored after the subject was mended: %q, want %q", got, seq(10))
	}
}

// TestDecisionLogKeepsLimits: a stream that exists keeps the limits an
// operator gave it, but for those given to the log; a stream created gets
// the defaults (24h, 1 GiB). A restart of the router set them back to the
// defaults, silently (found by a review).
func TestDecisionLogKeepsLimits(t *testing.T) {
	_, nc := embedded(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	js, _ := jetstream.New(nc)
	type limits struct {
		age         time.Duration
		bytes, msgs int64
	}
	open := func(cfg natsx.LogConfig) (told limits) {
		t.Helper()
		cfg.InForce = func(age time.Duration, bytes, msgs int64) { told = limits{age, bytes, msgs} }
		dlog := openLog(ctx, t, nc, cfg)
		dlog.Close(ctx)
		return told
	}
	stored := func() limits {
		t.Helper()
		st, err := js.Stream(ctx, natsx.LogStream)
		if err != nil {
			t.Fatal(err)
		}
		c := st.CachedInfo().Config
		return limits{c.MaxAge, c.MaxBytes, c.MaxMsgs}
	}
	defaults := limits{24 * time.Hour, 1 << 30, -1}
	if told, got := open(natsx.LogConfig{}), stored(); told != defaults || got != defaults {
		t.Errorf("a stream created: limits %v (told %v), want %v", got, told, defaults)
	}
	st, _ := js.Stream(ctx, natsx.LogStream)
	c := st.CachedInfo().Config
	c.MaxAge, c.MaxBytes = 168*time.Hour, 5<<30 // the operator's
	if _, err := js.UpdateStream(ctx, c); err != nil {
		t.Fatal(err)
	}
	operator := limits{168 * time.Hour, 5 << 30, -1}
	if told, got := open(natsx.LogConfig{}), stored(); told != operator || got != operator {
		t.Errorf("a stream an operator edited, no limits given: %v (told %v), want %v kept", got, told, operator)
	}
	given := limits{48 * time.Hour, 5 << 30, -1}
	if told, got := open(natsx.LogConfig{MaxAge: 48 * time.Hour}), stored(); told != given || got != given {
		t.Errorf("MaxAge given: %v (told %v), want %v", got, told, given)
	}
}

// TestReadLog: ReadLog returns the stream's messages in order, and skips
// one the stream no longer has.
func TestReadLog(t *testing.T) {
	dlog, st := logStream(t, natsx.LogConfig{Batch: 1})
	for i := range 3 {
		dlog.LogDecision(&rt.DecisionEvent{RequestID: strconv.Itoa(i)})
	}
	storedMessages(t, st, 3)
	ctx := context.Background()
	if err := st.DeleteMsg(ctx, 2); err != nil {
		t.Fatal(err)
	}
	msgs, err := natsx.ReadLog(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, evs := range msgs {
		got = append(got, ids(evs))
	}
	if strings.Join(got, "|") != "0|2" {
		t.Errorf("messages %q, want [0 2]", got)
	}
}

// BenchmarkLogDecisionPaced is the decision log's share of a request at
// 10,000 decisions/s: LogDecision called every 100 µs, as a router's
// handlers call it, with the publisher running. Its p50/p90/p99 (ns) are
// the time LogDecision took: a publisher waiting on a channel was woken
// by each event it was sent, which put a goroutine wake-up (and an idle
// core's) on the request path.
func BenchmarkLogDecisionPaced(b *testing.B) {
	dlog, _ := logStream(b, natsx.LogConfig{})
	dec := json.RawMessage(`{"target":"openai:gpt-4o-mini","fallbacks":["anthropic:claude-3-haiku"],"tags":{"task":"chat"}}`)
	h := hdr.New(hdr.DefaultBits)
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		for due := time.Duration(i) * 100 * time.Microsecond; time.Since(start) < due; {
		}
		ev := &rt.DecisionEvent{Time: time.Now(), RequestID: "req-000123", TenantID: "tenant-42", PolicyID: "default", Version: "v", Result: "routed", Decision: dec}
		t0 := time.Now()
		dlog.LogDecision(ev)
		h.Record(time.Since(t0))
	}
	for _, q := range []float64{.5, .9, .99} {
		b.ReportMetric(float64(h.Quantile(q).Nanoseconds()), fmt.Sprintf("p%g-ns", q*100))
	}
}

// TestDecisionLogAwaitsServer: a log whose connection is not up yet (a
// deployment unreachable when the router started) queues its events,
// creates the stream once the server is up and publishes them; closed
// before that, it drops them and counts them.
func TestDecisionLogAwaitsServer(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	connect := func() *nats.Conn {
		nc, err := nats.Connect("nats://"+addr, nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		return nc
	}
	// Close is bounded: a log that published with no server would wait
	// for its acknowledgements forever.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	// Closed while the server is still down: every event dropped.
	early := openLog(ctx, t, connect(), natsx.LogConfig{})
	for i := range 5 {
		early.LogDecision(&rt.DecisionEvent{RequestID: fmt.Sprint("early-", i)})
	}
	early.Close(ctx)
	if sent, dropped := early.Stats(); sent != 0 || dropped != 5 {
		t.Errorf("closed before the server: sent %d, dropped %d; want 0, 5", sent, dropped)
	}

	var ready atomic.Bool
	dlog := openLog(ctx, t, connect(), natsx.LogConfig{Ready: func() { ready.Store(true) }})
	defer dlog.Close(ctx)
	for i := range 10 {
		dlog.LogDecision(&rt.DecisionEvent{RequestID: fmt.Sprint("r-", i)})
	}
	_, nc := embedded(t, addr)
	js, _ := jetstream.New(nc)
	var st jetstream.Stream
	var err error
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if st, err = js.Stream(ctx, natsx.LogStream); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no decision log stream once the server is up: %v", err)
		}
	}
	if got := ids(storedEvents(t, st, 10)); got != "r-0 r-1 r-2 r-3 r-4 r-5 r-6 r-7 r-8 r-9" {
		t.Errorf("stored %s", got)
	}
	if !ready.Load() {
		t.Error("Ready was not told")
	}
}

// TestDecisionLogAwaitsJetStream: a log whose server has no JetStream at
// start says so (Unavailable, once), queues its events, and publishes them
// once JetStream is there (the server restarted with it). It was disabled
// for the life of the process, the router serving without a log and
// counting nothing (found by a review).
func TestDecisionLogAwaitsJetStream(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	host, port, _ := net.SplitHostPort(addr)
	portN, _ := strconv.Atoi(port)
	plain, err := server.NewServer(&server.Options{Host: host, Port: portN, NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	go plain.Start()
	if !plain.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	defer plain.Shutdown()
	nc, err := nats.Connect("nats://"+addr, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var mu sync.Mutex
	var told []string
	var ready atomic.Bool
	dlog := openLog(ctx, t, nc, natsx.LogConfig{Ready: func() { ready.Store(true) }, Unavailable: func(err error) {
		mu.Lock()
		told = append(told, err.Error())
		mu.Unlock()
	}})
	defer dlog.Close(ctx)
	for i := range 10 {
		dlog.LogDecision(&rt.DecisionEvent{RequestID: fmt.Sprint("r-", i)})
	}
	// The retries, which tell nothing new: each asks for the stream, one
	// message out of nc (the events are held until the stream exists).
	// Two more requests than at the start: the first retry has been
	// answered, and its failure told or not, when the second goes out.
	base := nc.Stats().OutMsgs
	waitFor(t, "two retries", func() bool { return nc.Stats().OutMsgs >= base+2 })
	mu.Lock()
	if len(told) != 1 || !strings.Contains(told[0], "has no JetStream") {
		t.Errorf("told %q after a retry, want one failure naming JetStream", told)
	}
	mu.Unlock()

	plain.Shutdown()
	plain.WaitForShutdown()
	_, enc := embedded(t, addr)
	js, _ := jetstream.New(enc)
	var st jetstream.Stream
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if st, err = js.Stream(ctx, natsx.LogStream); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no decision log stream once JetStream is up: %v", err)
		}
	}
	if got := ids(storedEvents(t, st, 10)); got != "r-0 r-1 r-2 r-3 r-4 r-5 r-6 r-7 r-8 r-9" {
		t.Errorf("stored %s", got)
	}
	if !ready.Load() {
		t.Error("Ready was not told")
	}
}

// FuzzLogEvents: a decision log message, compressed or not, of any bytes
// gets events or an error, never a panic; and JSON Lines read the same,
// events and failure alike, whether they come plain or compressed.
func FuzzLogEvents(f *testing.F) {
	f.Add([]byte(`{"request_id":"a"}`+"\n"), false)
	f.Add([]byte(`{"request_id":"a","fuel":3,"decision":{"x":[1,2]}}`+"\n"+`{"request_id":"b","time":"2026-11-27T00:00:00Z"}`+"\n"), true)
	f.Add([]byte(`{"request_id":"a"}`+"\n"+`{"fuel":"x"}`+"\n"), false)
	f.Add(s2.Encode(nil, []byte(`{"request_id":"a"}`+"\n")), true)
	f.Add(binary.AppendUvarint(nil, 1<<30), true)
	s2h := nats.Header{"Content-Encoding": {natsx.LogEncodingS2}}
	f.Fuzz(func(t *testing.T, data []byte, compressed bool) {
		h := nats.Header(nil)
		if compressed {
			h = s2h
		}
		natsx.LogEvents(h, data) // events or an error, whatever the bytes
		plain, perr := natsx.LogEvents(nil, data)
		z, zerr := natsx.LogEvents(s2h, s2.Encode(nil, data))
		if (perr == nil) != (zerr == nil) || !cmp.Equal(plain, z) {
			t.Errorf("plain: %d events, %v; compressed: %d events, %v", len(plain), perr, len(z), zerr)
		}
	})
}

// TestDecisionLogStreamRefuses: a stream that refuses messages (its
// limit of messages reached, with the discard policy "new") is noticed at
// the next acknowledged publish, and from then on every message waits for
// its acknowledgement: those refused have their events dropped and
// counted, where every event was counted sent and lost without a word,
// one failure a second. Once the stream stores again, so does the log.
func TestDecisionLogStreamRefuses(t *testing.T) {
	_, nc := embedded(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	js, _ := jetstream.New(nc)
	var mu sync.Mutex
	var told []error
	var failed atomic.Int64 // told Failed
	dlog := openLog(ctx, t, nc, natsx.LogConfig{AckEvery: 10 * time.Millisecond, Linger: time.Millisecond, Batch: 1,
		Failed: func(error) { failed.Add(1) },
		Refusing: func(err error) {
			mu.Lock()
			told = append(told, err)
			mu.Unlock()
		}})
	defer dlog.Close(ctx)
	limit := func(msgs int64) {
		st, err := js.Stream(ctx, natsx.LogStream)
		if err != nil {
			t.Fatal(err)
		}
		cfg := st.CachedInfo().Config
		cfg.MaxMsgs, cfg.Discard = msgs, jetstream.DiscardNew
		if _, err := js.UpdateStream(ctx, cfg); err != nil {
			t.Fatal(err)
		}
	}
	limit(5)
	// Each event sent or dropped before the next, so that none is left
	// to be dropped once the refusal is noticed (the messages published
	// before it are published again first, and refused too).
	for i := 0; !dlog.Refusing(); i++ {
		if ctx.Err() != nil {
			t.Fatal("the refusal was not noticed")
		}
		sent0, dropped0 := dlog.Stats()
		dlog.LogDecision(&rt.DecisionEvent{RequestID: fmt.Sprint("before-", i), Decision: json.RawMessage(`{}`)})
		waitFor(t, "the event sent or dropped", func() bool { sent, dropped := dlog.Stats(); return sent+dropped > sent0+dropped0 })
	}
	if dlog.Storing() {
		t.Error("Storing while the stream refuses")
	}
	_, dropped0 := dlog.Stats()
	failed0, told0 := dlog.Failed(), failed.Load()
	for i := range 100 {
		dlog.LogDecision(&rt.DecisionEvent{RequestID: fmt.Sprint("refused-", i), Decision: json.RawMessage(`{}`)})
	}
	waitFor(t, "the refused events counted", func() bool {
		_, dropped := dlog.Stats()
		return dropped-dropped0 == 100
	})
	if n, told := dlog.Failed()-failed0, failed.Load()-told0; n != 100 || told != 100 {
		t.Errorf("%d more failures, %d told, want 100 (one a refused message)", n, told)
	}
	limit(1000)
	for i := range 10 {
		dlog.LogDecision(&rt.DecisionEvent{RequestID: strconv.Itoa(i), Decision: json.RawMessage(`{}`)})
	}
	dlog.Close(ctx)
	if dlog.Refusing() || !dlog.Storing() {
		t.Error("still refusing once the stream stores again")
	}
	st, err := js.Stream(ctx, natsx.LogStream)
	if err != nil {
		t.Fatal(err)
	}
	if got := idsWithout(storedEvents(t, st, 15), "before-"); got != seq(10) {
		t.Errorf("events stored once the stream stores again: %q, want %q", got, seq(10))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(told) != 2 || told[0] == nil || !strings.Contains(told[0].Error(), "maximum messages exceeded") || told[1] != nil {
		t.Errorf("Refusing told %v, want the refusal then nil", told)
	}
}
