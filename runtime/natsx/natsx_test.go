package natsx_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	rt "github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/natsx"
	"github.com/rpl-lang/rpl/runtime/state"
	"github.com/rpl-lang/rpl/runtime/tracing"
)

const examples = "../../examples/policies"

// externalServer starts a real nats-server process with JetStream and
// returns its URL. Outside CI a missing nats-server skips the test; in CI
// (CI=true) it fails it.
func externalServer(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("nats-server not on PATH (.ci/run installs it): %v", err)
		}
		t.Skip("nats-server not on PATH; go install github.com/nats-io/nats-server/v2@v2.15.2")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin, "-a", "127.0.0.1", "-p", fmt.Sprint(port), "-js", "-sd", t.TempDir())
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		ok := false
		for sc.Scan() {
			if !ok && strings.Contains(sc.Text(), "Server is ready") {
				ok = true
				ready <- true
			}
		}
		if !ok {
			ready <- false
		}
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatal("nats-server exited before it was ready")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("nats-server not ready after 30s")
	}
	return fmt.Sprintf("nats://127.0.0.1:%d", port)
}

// embedded starts an embedded server (listening on listen, if not "")
// and connects to it in process; both stop when the test ends.
func embedded(t testing.TB, listen string) (*server.Server, *nats.Conn) {
	t.Helper()
	s, err := natsx.StartEmbedded(natsx.EmbeddedOptions{DataDir: t.TempDir(), Listen: listen})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	nc, err := natsx.ConnectInProcess(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return s, nc
}

// plainServer starts a server of opts without JetStream, in process only,
// and connects to it.
func plainServer(t *testing.T, opts *server.Options) *nats.Conn {
	t.Helper()
	opts.DontListen, opts.NoSigs, opts.NoLog = true, true, true
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	t.Cleanup(s.Shutdown)
	nc, err := natsx.ConnectInProcess(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

func newEngine(t *testing.T, log rt.DecisionLog) *rt.Engine {
	t.Helper()
	e, _ := engineState(t, log)
	return e
}

// engineState is an engine deciding with the examples, and its state.
func engineState(t *testing.T, log rt.DecisionLog) (*rt.Engine, *state.Mem) {
	t.Helper()
	st := state.NewMem(state.Options{})
	e, err := rt.New(rt.Config{State: st, DecisionLog: log})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.LoadDir(context.Background(), examples); err != nil {
		t.Fatal(err)
	}
	return e, st
}

func request(t *testing.T, nc *nats.Conn, subj, body string) map[string]any {
	t.Helper()
	msg := nats.NewMsg(subj)
	msg.Data = []byte(body)
	msg.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	resp, err := nc.RequestMsg(msg, 5*time.Second)
	if err != nil {
		t.Fatalf("%s: %v", subj, err)
	}
	var m map[string]any
	if err := json.Unmarshal(resp.Data, &m); err != nil {
		t.Fatalf("%s: reply is not JSON: %s", subj, resp.Data)
	}
	return m
}

func errCode(m map[string]any) string {
	if e, ok := m["error"].(map[string]any); ok {
		s, _ := e["code"].(string)
		return s
	}
	return ""
}

// exercise runs the contract over a connection served by a router:
// CP1 with its five error codes, v2, batch, feedback and the decision log.
func exercise(t *testing.T, server, client *nats.Conn) {
	ctx := context.Background()
	dlog, err := natsx.NewDecisionLog(ctx, server, natsx.LogConfig{})
	if err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, dlog)
	srv, err := natsx.Serve(server, e, natsx.Config{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()

	m := request(t, client, natsx.SubjectCP1, `{"version": "1", "request_id": "r-1", "tenant_id": "t-1", "task": {"type": "chat"}}`)
	if m["ok"] != true || m["decision"].(map[string]any)["provider_id"] != "openai:gpt-4o-mini" {
		t.Fatalf("CP1: %v", m)
	}
	if tid := m["context"].(map[string]any)["trace_id"]; tid != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("trace id %v", tid)
	}
	for body, want := range map[string]string{
		`{"request_id": "r"}`: "invalid_request",
		`not json`:            "invalid_request",
		`{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "chat"}, "policy_id": "zz"}`: "policy_not_found",
		`{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "video"}}`:                   "decision_failed",
	} {
		if got := errCode(request(t, client, natsx.SubjectCP1, body)); got != want {
			t.Errorf("CP1 %s: code %q, want %q", body, got, want)
		}
	}
	m = request(t, client, natsx.SubjectDecide, `{"request": {"id": "r-2", "tenant": {"id": "t"}, "task": {"type": "code"}}}`)
	if m["ok"] != true || m["version"] != e.Current().Version {
		t.Fatalf("v2: %v", m)
	}
	m = request(t, client, natsx.SubjectBatch, `{"requests": [{"request": {"id": "a"}}, {"request": {"id": "b", "tenant": {"id": "t"}, "task": {"type": "chat"}}}]}`)
	if res, _ := m["results"].([]any); len(res) != 2 {
		t.Fatalf("batch: %v", m)
	}
	m = request(t, client, natsx.SubjectFeedback, `{"request_id": "r-2", "target": "openai:gpt-4o", "status": "ok", "latency_ms": 42}`)
	if m["ok"] != true {
		t.Fatalf("feedback: %v", m)
	}
	if got := errCode(request(t, client, natsx.SubjectFeedback, `{"request_id": "r-2"}`)); got != "invalid_request" {
		t.Errorf("bad feedback: %q", got)
	}

	// The decision log holds the decisions that were not errors.
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	dlog.Close(cctx)
	sent, dropped := dlog.Stats()
	js, _ := jetstream.New(client)
	st, err := js.Stream(cctx, natsx.LogStream)
	if err != nil {
		t.Fatal(err)
	}
	evs := storedEvents(t, st, int(sent))
	if dropped != 0 || sent < 4 || len(evs) != int(sent) || dlog.Failed() != 0 {
		t.Fatalf("decision log: sent %d dropped %d stored %d", sent, dropped, len(evs))
	}
	if ev := evs[0]; ev.RequestID != "r-1" || ev.Version != e.Current().Version || ev.PolicyID != "default" {
		t.Fatalf("first event %+v", ev)
	}

	// CP1's two codes left, from a router that requires registered
	// tenants: internal (its reason not_ready: no policy version is
	// active yet), then unauthorized (the examples register no tenant).
	srv.Stop()
	strict, err := rt.New(rt.Config{RequireKnownTenant: true})
	if err != nil {
		t.Fatal(err)
	}
	srv2, err := natsx.Serve(server, strict, natsx.Config{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv2.Stop()
	body := `{"version": "1", "request_id": "r-3", "tenant_id": "t-3", "task": {"type": "chat"}}`
	m = request(t, client, natsx.SubjectCP1, body)
	if details, _ := m["error"].(map[string]any)["details"].(map[string]any); errCode(m) != "internal" || details["reason"] != "not_ready" {
		t.Errorf("CP1 before a policy version: %v, want internal (not_ready)", m)
	}
	if _, err := strict.LoadDir(ctx, examples); err != nil {
		t.Fatal(err)
	}
	if m = request(t, client, natsx.SubjectCP1, body); errCode(m) != "unauthorized" || m["context"].(map[string]any)["request_id"] != "r-3" {
		t.Errorf("CP1 unregistered tenant: %v, want unauthorized", m)
	}
}

func TestEmbedded(t *testing.T) {
	start := time.Now()
	_, nc := embedded(t, "")
	t.Logf("embedded server with JetStream started and connected in %v", time.Since(start))
	exercise(t, nc, nc)
}

// TestEmbeddedStoreRefused: a JetStream store the embedded server
// cannot use (a file where its directory goes) is an error naming it;
// the server's message, "storage directory is not a directory", did not.
func TestEmbeddedStoreRefused(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "jetstream")
	if err := os.WriteFile(store, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := natsx.StartEmbedded(natsx.EmbeddedOptions{DataDir: dir})
	if err == nil {
		s.Shutdown()
		t.Fatal("started")
	}
	if !strings.Contains(err.Error(), "not a directory") || !strings.HasSuffix(err.Error(), "(JetStream's store: "+store+")") {
		t.Errorf("%v: does not name the store, %s", err, store)
	}
}

func TestEmbeddedListen(t *testing.T) {
	s, nc := embedded(t, "127.0.0.1:0")
	client, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	exercise(t, nc, client)
}

func TestExternalServer(t *testing.T) {
	url := externalServer(t)
	server, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	client, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	exercise(t, server, client)
}

// TestQueueGroup: two routers on one NATS share the requests.
func TestQueueGroup(t *testing.T) {
	url := externalServer(t)
	var engines []*rt.Engine
	for range 2 {
		nc, err := nats.Connect(url)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		e := newEngine(t, nil)
		srv, err := natsx.Serve(nc, e, natsx.Config{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Stop()
		engines = append(engines, e)
	}
	client, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	for i := range 200 {
		m := request(t, client, natsx.SubjectCP1, fmt.Sprintf(`{"version": "1", "request_id": "r-%d", "tenant_id": "t", "task": {"type": "chat"}}`, i))
		if m["ok"] != true {
			t.Fatal(m)
		}
	}
	a, b := engines[0].Status().Decisions, engines[1].Status().Decisions
	if a+b != 200 || a == 0 || b == 0 {
		t.Fatalf("decisions per router %d and %d", a, b)
	}
}

// TestSpans: a span per request, naming the transport (nats) and the
// request's kind, a child of the message's traceparent header.
func TestSpans(t *testing.T) {
	_, nc := embedded(t, "")
	exp := tracetest.NewInMemoryExporter()
	tr := tracing.NewWithExporter(exp)
	srv, err := natsx.Serve(nc, newEngine(t, nil), natsx.Config{Workers: 1, Hooks: rt.Hooks{Trace: tr.Trace}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	request(t, nc, natsx.SubjectCP1, `{"version": "1", "request_id": "r-1", "tenant_id": "t-1", "task": {"type": "chat"}}`)
	request(t, nc, natsx.SubjectDecide, `{"request": {"id": "r-2"}}`)
	request(t, nc, natsx.SubjectBatch, `{"requests": [{"request": {"id": "r-3"}}]}`)
	request(t, nc, natsx.SubjectFeedback, `{"request_id": "r-2", "target": "openai:gpt-4o", "status": "ok", "latency_ms": 42}`)
	if err := tr.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, sp := range exp.GetSpans() {
		attrs := map[string]string{}
		for _, a := range sp.Attributes {
			attrs[string(a.Key)] = a.Value.Emit()
		}
		got = append(got, attrs["rpl.transport"]+" "+attrs["rpl.kind"]+" "+attrs["rpl.request.id"])
		if sp.Parent.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" {
			t.Errorf("span %v: not a child of the traceparent", attrs)
		}
	}
	want := []string{"nats cp1 r-1", "nats v2 r-2", "nats batch ", "nats feedback "}
	if !slices.Equal(got, want) {
		t.Errorf("spans %q, want %q", got, want)
	}
}

// TestTraceparentAnyCase: the traceparent header is read whatever the
// case of its name, as over HTTP (nats.Header.Get matched it exactly:
// Traceparent and TRACEPARENT were ignored; found by a review), and the
// lookup allocates nothing.
func TestTraceparentAnyCase(t *testing.T) {
	_, nc := embedded(t, "")
	exp := tracetest.NewInMemoryExporter()
	tr := tracing.NewWithExporter(exp)
	srv, err := natsx.Serve(nc, newEngine(t, nil), natsx.Config{Workers: 1, Hooks: rt.Hooks{Trace: tr.Trace}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	names := []string{"traceparent", "Traceparent", "TRACEPARENT", "traceParent"}
	for i, name := range names {
		msg := nats.NewMsg(natsx.SubjectDecide)
		msg.Data = fmt.Appendf(nil, `{"request": {"id": "r-%d"}}`, i)
		msg.Header = nats.Header{"X-Other": {"1"}, name: {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}
		if _, err := nc.RequestMsg(msg, 5*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if err := tr.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans := exp.GetSpans()
	if len(spans) != len(names) {
		t.Fatalf("%d spans, want %d", len(spans), len(names))
	}
	for i, sp := range spans {
		if sp.Parent.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" {
			t.Errorf("header %q: the span is not a child of the traceparent", names[i])
		}
	}
	h := nats.Header{"X-Other": {"1"}, "Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}
	if n := testing.AllocsPerRun(100, func() { natsx.Traceparent(h) }); n != 0 {
		t.Errorf("%v allocations reading the header, want 0", n)
	}
}

// TestReplyTooLarge: a batch whose answers outgrow what the server accepts
// gets an error saying so, not silence (its requests fit): here its short
// errors alone would, and it is refused whole, as at a small
// --max-answer (TestBatchCutAtMaxPayload cuts one).
func TestReplyTooLarge(t *testing.T) {
	nc := plainServer(t, &server.Options{MaxPayload: 4096})
	srv, err := natsx.Serve(nc, newEngine(t, nil), natsx.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)

	batch := func(n int) string {
		items := make([]string, n)
		for i := range items {
			items[i] = fmt.Sprintf(`{"request": {"id": "r-%d", "tenant": {"id": "t"}, "task": {"type": "chat"}}}`, i)
		}
		return `{"requests": [` + strings.Join(items, ",") + `]}`
	}
	if m := request(t, nc, natsx.SubjectBatch, batch(2)); len(m["results"].([]any)) != 2 {
		t.Fatalf("small batch: %v", m)
	}
	body := batch(40)
	if len(body) > 4096 {
		t.Fatalf("the request, %d bytes, does not fit", len(body))
	}
	m := request(t, nc, natsx.SubjectBatch, body)
	msg, _ := m["error"].(map[string]any)["message"].(string)
	if errCode(m) != "invalid_request" || !strings.Contains(msg, "within its limit, 4096 bytes (the NATS server's max_payload)") || !strings.HasSuffix(msg, ": send fewer requests in a batch") {
		t.Fatalf("got %v", m)
	}
}

// TestBodyTooLarge: a request body beyond MaxBody is refused as too
// large, named and counted, as over HTTP, though the NATS server accepts
// it; fire-and-forget feedback that large is counted and not recorded.
func TestBodyTooLarge(t *testing.T) {
	nc := plainServer(t, &server.Options{MaxPayload: 1 << 20})
	var tooLarge atomic.Int32
	srv, err := natsx.Serve(nc, newEngine(t, nil), natsx.Config{MaxBody: 1000, Hooks: rt.Hooks{Refused: func(transport string, why rt.Refusal) {
		if transport == natsx.Transport && why == rt.RefusedTooLarge {
			tooLarge.Add(1)
		}
	}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	pad := strings.Repeat("x", 1000)
	m := request(t, nc, natsx.SubjectCP1, `{"version": "1", "request_id": "big", "tenant_id": "t", "task": {"type": "chat"}, "metadata": {"pad": "`+pad+`"}}`)
	msg, _ := m["error"].(map[string]any)["message"].(string)
	if errCode(m) != "invalid_request" || !strings.HasPrefix(msg, "request body too large: ") || !strings.HasSuffix(msg, " bytes, at most 1000") ||
		m["context"].(map[string]any)["request_id"] != "big" {
		t.Fatalf("got %v", m)
	}
	if m := request(t, nc, natsx.SubjectDecide, `{"request": {"id": "small", "tenant": {"id": "t"}, "task": {"type": "chat"}}}`); m["ok"] != true {
		t.Fatalf("a body within the bound: %v", m)
	}
	if err := nc.Publish(natsx.SubjectFeedback, []byte(`{"request_id": "f", "target": "p:m", "status": "ok", "pad": "`+pad+`"}`)); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); tooLarge.Load() < 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d too large counted, want 2", tooLarge.Load())
		}
	}
}

// TestConnectInProcessNoWriteDeadline: an in-process connection writes
// without a deadline, which on its pipe would be two new timers per
// flush (ConnectInProcess), and still delivers.
func TestConnectInProcessNoWriteDeadline(t *testing.T) {
	s, nc := embedded(t, "")
	if nc.Opts.FlusherTimeout != 0 {
		t.Errorf("flusher timeout %v, want none", nc.Opts.FlusherTimeout)
	}
	other, err := natsx.ConnectInProcess(s)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	sub, err := other.SubscribeSync("x")
	if err != nil {
		t.Fatal(err)
	}
	other.Flush()
	if err := nc.Publish("x", []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if m, err := sub.NextMsg(5 * time.Second); err != nil || string(m.Data) != "hello" {
		t.Fatalf("got %v, %v", m, err)
	}
}

// TestOverload: beyond MaxPending queued requests a subscription answers
// at once that the router is overloaded, each answer naming its request,
// and the requests within the bound are decided.
func TestOverload(t *testing.T) {
	_, nc := embedded(t, "")
	hold, held, release := holdFirst()
	var refused atomic.Int32
	srv, err := natsx.Serve(nc, newEngine(t, nil), natsx.Config{Workers: 1, MaxPending: 1, Hooks: rt.Hooks{Trace: hold, Refused: func(transport string, why rt.Refusal) {
		if transport == natsx.Transport && why == rt.RefusedOverloaded {
			refused.Add(1)
		}
	}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	inbox := nats.NewInbox()
	replies := make(chan *nats.Msg, 16)
	sub, err := nc.ChanSubscribe(inbox+".*", replies)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	// Each request carries a traceparent of its own (trace …47<i>).
	traceID := func(i string) string { return "4bf92f3577b34da6a3ce929d0e0e47" + fmt.Sprintf("%02s", i) }
	send := func(i int) {
		m := nats.NewMsg(natsx.SubjectCP1)
		m.Reply = fmt.Sprintf("%s.%d", inbox, i)
		m.Data = fmt.Appendf(nil, `{"version": "1", "request_id": "r-%d", "tenant_id": "t", "task": {"type": "chat"}}`, i)
		m.Header.Set("traceparent", "00-"+traceID(fmt.Sprint(i))+"-00f067aa0ba902b7-01")
		if err := nc.PublishMsg(m); err != nil {
			t.Fatal(err)
		}
	}
	send(0)
	<-held // the only worker holds r-0
	in0 := nc.Stats().InMsgs
	const n = 6
	for i := 1; i <= n; i++ {
		send(i)
	}
	// Wait for them to queue behind r-0 (no reply comes meanwhile).
	for deadline := time.Now().Add(5 * time.Second); nc.Stats().InMsgs < in0+n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d requests delivered", nc.Stats().InMsgs-in0, n)
		}
	}
	close(release)
	overloaded, decided := 0, 0
	for range n + 1 {
		var m *nats.Msg
		select {
		case m = <-replies:
		case <-time.After(5 * time.Second):
			t.Fatalf("%d answers of %d", overloaded+decided, n+1)
		}
		var r map[string]any
		if err := json.Unmarshal(m.Data, &r); err != nil {
			t.Fatalf("reply is not JSON: %s", m.Data)
		}
		want := "r-" + m.Subject[len(inbox)+1:]
		if cctx, _ := r["context"].(map[string]any); cctx["request_id"] != want || cctx["trace_id"] != traceID(m.Subject[len(inbox)+1:]) {
			t.Errorf("answer to %s, want its id and its traceparent's trace id: %s", want, m.Data)
		}
		switch {
		case r["ok"] == true:
			decided++
		case errCode(r) == "internal" && strings.Contains(string(m.Data), `"reason":"overloaded"`):
			overloaded++
		default:
			t.Errorf("answer to %s: %s", want, m.Data)
		}
	}
	// r-0 and the last request or two within the bound are decided.
	if overloaded == 0 || decided < 2 || int(refused.Load()) != overloaded {
		t.Errorf("%d overloaded (%d counted), %d decided", overloaded, refused.Load(), decided)
	}
}

// TestNoReply: a message published without a reply subject. Feedback is
// recorded all the same (a fire-and-forget cost was dropped without a
// trace; found by a review), and feedback that cannot be recorded is
// logged with a count; a decide is not decided, and is logged.
func TestNoReply(t *testing.T) {
	_, nc := embedded(t, "")
	e, st := engineState(t, nil)
	var logged syncBuffer
	var noReply atomic.Int32
	srv, err := natsx.Serve(nc, e, natsx.Config{Workers: 1, Logger: slog.New(slog.NewTextHandler(&logged, nil)), Hooks: rt.Hooks{Refused: func(transport string, why rt.Refusal) {
		if transport == natsx.Transport && why == rt.RefusedNoReply {
			noReply.Add(1)
		}
	}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	publish := func(subj, body string) {
		t.Helper()
		if err := nc.Publish(subj, []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	publish(natsx.SubjectFeedback, `{"request_id": "f1", "tenant_id": "acme", "target": "openai:gpt-4o", "status": "ok", "latency_ms": 80, "cost": 0.6}`)
	publish(natsx.SubjectFeedback, `{"request_id": "f2", "tenant_id": "acme", "target": "openai:gpt-4o", "status": "ok", "cost_usd": 0.6}`)
	publish(natsx.SubjectDecide, `{"request": {"id": "r-1", "tenant": {"id": "acme"}}}`)
	// The handlers are done when a request behind them is answered.
	if m := request(t, nc, natsx.SubjectFeedback, `{"request_id": "f1", "tenant_id": "acme", "target": "openai:gpt-4o", "status": "ok", "cost": 0.6}`); m["duplicate"] != true {
		t.Errorf("f1 again: %v, want a duplicate", m)
	}
	request(t, nc, natsx.SubjectDecide, `{"request": {"id": "r-2"}}`)
	if got := st.MonthSpend("acme", time.Now()); got != 600_000_000 {
		t.Errorf("month spend %d, want $0.60: the feedback without a reply was not recorded", got)
	}
	if got := e.Status().Decisions; got != 1 {
		t.Errorf("%d decisions, want 1 (the request without a reply is not decided)", got)
	}
	if got := noReply.Load(); got != 2 {
		t.Errorf("%d counted as no_reply, want 2 (the decide, the unknown field's feedback)", got)
	}
	out := logged.String()
	for _, want := range []string{
		`msg="NATS feedback without a reply subject not recorded" subject=rpl.v2.feedback count=`,
		`cost_usd: unknown field (did you mean cost?)`,
		`msg="NATS request without a reply subject not decided (publish it as a request)" subject=rpl.v2.decide count=`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestBatchNotReady: over NATS as over HTTP, a batch none of whose
// requests could be decided because no version is active is answered as
// a decide is, the not_ready error alone; NATS answered
// {"ok":true,"results":[…]} with a not_ready result per request (found by
// a review).
func TestBatchNotReady(t *testing.T) {
	_, nc := embedded(t, "")
	e, err := rt.New(rt.Config{State: state.NewMem(state.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := natsx.Serve(nc, e, natsx.Config{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	m := request(t, nc, natsx.SubjectBatch, `{"requests": [{"request": {"id": "a"}}, {"request": {"id": "b"}}]}`)
	if errCode(m) != "not_ready" || m["results"] != nil {
		t.Errorf("a batch before any version: %v, want the not_ready error alone", m)
	}
	if _, err := e.LoadDir(context.Background(), examples); err != nil {
		t.Fatal(err)
	}
	if m = request(t, nc, natsx.SubjectBatch, `{"requests": [{"request": {"id": "a"}}]}`); m["ok"] != true || len(m["results"].([]any)) != 1 {
		t.Errorf("a batch once a version is active: %v", m)
	}
}

// holdFirst is a trace hook that holds the first request's handler: held
// is closed once it holds it, and it goes on when release is closed.
func holdFirst() (hook rt.TraceFunc, held, release chan struct{}) {
	held, release = make(chan struct{}), make(chan struct{})
	var once sync.Once
	return func(ctx context.Context, _, _ string, _ rt.Kind) (context.Context, func(*rt.Outcome)) {
		once.Do(func() { close(held); <-release })
		return ctx, func(*rt.Outcome) {}
	}, held, release
}

// TestTraceparentTwice: a message that gives traceparent more than once,
// under one name or two, starts a new trace, its span with no parent,
// and a CP1 answer names no trace from it: W3C Trace Context takes
// several traceparent headers for an invalid one. The first was taken.
func TestTraceparentTwice(t *testing.T) {
	_, nc := embedded(t, "")
	exp := tracetest.NewInMemoryExporter()
	tr := tracing.NewWithExporter(exp)
	srv, err := natsx.Serve(nc, newEngine(t, nil), natsx.Config{Workers: 1, Hooks: rt.Hooks{Trace: tr.Trace}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	const tp1, tp2 = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-5bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b8-01"
	for _, h := range []nats.Header{
		{"traceparent": {tp1, tp2}},
		{"traceparent": {tp1, tp1}},
		{"traceparent": {tp1}, "Traceparent": {tp2}},
	} {
		if got := natsx.Traceparent(h); got != "" {
			t.Errorf("%v: traceparent %q, want none", h, got)
		}
		exp.Reset()
		msg := nats.NewMsg(natsx.SubjectCP1)
		msg.Data = []byte(`{"version": "1", "request_id": "r", "tenant_id": "t"}`) // refused: no task
		msg.Header = h
		reply, err := nc.RequestMsg(msg, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(reply.Data), "bf92f3577b34da6a3ce929d0e0e4736") {
			t.Errorf("%v: the answer names the header's trace: %s", h, reply.Data)
		}
		if err := tr.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		spans := exp.GetSpans()
		if len(spans) != 1 {
			t.Fatalf("%v: %d spans, want 1", h, len(spans))
		}
		if sp := spans[0]; sp.Parent.IsValid() || strings.HasSuffix(sp.SpanContext.TraceID().String(), "bf92f3577b34da6a3ce929d0e0e4736") {
			t.Errorf("%v: span of trace %s, parent %v; want a new trace", h, sp.SpanContext.TraceID(), sp.Parent.SpanID())
		}
	}
	if got := natsx.Traceparent(nats.Header{"X-Other": {"1"}, "Traceparent": {tp1}}); got != tp1 {
		t.Errorf("given once: traceparent %q, want %q", got, tp1)
	}
}

// TestCP1TraceIDBesideHeader: a CP1 request with a trace_id in its body
// and a valid traceparent keeps them apart, as docs/router.md says: its
// span is in the header's trace, its answer's context.trace_id the
// body's.
func TestCP1TraceIDBesideHeader(t *testing.T) {
	_, nc := embedded(t, "")
	exp := tracetest.NewInMemoryExporter()
	tr := tracing.NewWithExporter(exp)
	srv, err := natsx.Serve(nc, newEngine(t, nil), natsx.Config{Workers: 1, Hooks: rt.Hooks{Trace: tr.Trace}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	const body, header = "5bf92f3577b34da6a3ce929d0e0e4736", "4bf92f3577b34da6a3ce929d0e0e4736"
	msg := nats.NewMsg(natsx.SubjectCP1)
	msg.Data = []byte(`{"version": "1", "request_id": "r", "trace_id": "` + body + `", "tenant_id": "t", "task": {"type": "chat"}}`)
	msg.Header = nats.Header{"traceparent": {"00-" + header + "-00f067aa0ba902b7-01"}}
	reply, err := nc.RequestMsg(msg, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var answer struct {
		Context struct {
			TraceID string `json:"trace_id"`
		} `json:"context"`
	}
	if err := json.Unmarshal(reply.Data, &answer); err != nil || answer.Context.TraceID != body {
		t.Errorf("answer's context.trace_id %q (%v), want the body's %s: %s", answer.Context.TraceID, err, body, reply.Data)
	}
	if err := tr.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if spans := exp.GetSpans(); len(spans) != 1 || spans[0].SpanContext.TraceID().String() != header {
		t.Errorf("spans %v, want one in the header's trace %s", spans, header)
	}
}
