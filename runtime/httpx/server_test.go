package httpx_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/httpx"
	"github.com/rpl-lang/rpl/runtime/metrics"
	"github.com/rpl-lang/rpl/runtime/state"
	"github.com/rpl-lang/rpl/runtime/tracing"
)

const examples = "../../examples/policies"

func setup(t *testing.T, cfg httpx.Config) (*runtime.Engine, *httptest.Server) {
	t.Helper()
	m := metrics.New()
	e, err := runtime.New(runtime.Config{State: state.NewMem(state.Options{}), Observer: m})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = m.Handler()
	}
	if cfg.Refused == nil {
		cfg.Refused = m.Refused
	}
	srv := httptest.NewServer(httpx.New(e, cfg))
	t.Cleanup(srv.Close)
	return e, srv
}

// loadTargets loads and activates, in turn, a default policy routing to
// each target, and returns their versions.
func loadTargets(t *testing.T, e *runtime.Engine, targets ...string) []string {
	t.Helper()
	var versions []string
	for _, target := range targets {
		dir := t.TempDir()
		if err := runtime.WriteFiles(dir, map[string][]byte{"default.rpl": []byte("package default\n\nfn route(r: Request) -> Decision = to(\"" + target + "\")\n")}); err != nil {
			t.Fatal(err)
		}
		s, err := e.LoadDir(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		versions = append(versions, s.Version)
	}
	return versions
}

func do(t *testing.T, method, url, body string) (int, map[string]any, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var m map[string]any
	json.Unmarshal(data, &m)
	return resp.StatusCode, m, string(data)
}

func TestHTTP(t *testing.T) {
	e, srv := setup(t, httpx.Config{MaxBody: 4096})
	if code, _, _ := do(t, "GET", srv.URL+"/healthz", ""); code != 200 {
		t.Fatalf("healthz %d", code)
	}
	if code, _, _ := do(t, "GET", srv.URL+"/readyz", ""); code != 503 {
		t.Fatalf("readyz before load %d", code)
	}
	const cp1 = `{"version": "1", "request_id": "r-1", "tenant_id": "t-1", "task": {"type": "chat"}}`
	if code, m, body := do(t, "POST", srv.URL+"/v1/decide", cp1); code != 503 || m["ok"] != false {
		t.Fatalf("decide before load: %d %s", code, body)
	}
	if _, err := e.LoadDir(context.Background(), examples); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := do(t, "GET", srv.URL+"/readyz", ""); code != 200 {
		t.Fatalf("readyz after load %d", code)
	}
	code, m, body := do(t, "POST", srv.URL+"/v1/decide", cp1)
	if code != 200 || m["ok"] != true {
		t.Fatalf("v1: %d %s", code, body)
	}
	if ctx := m["context"].(map[string]any); ctx["trace_id"] != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("trace id from traceparent: %v", ctx)
	}
	for _, c := range []struct {
		path, body string
		status     int
		code       string
	}{
		{"/v1/decide", `{"version": "1", "request_id": `, 400, "invalid_request"},
		{"/v1/decide", `{"request_id": "r"}`, 400, "invalid_request"},
		{"/v1/decide", `{"version": "1", "request_id": "r", "tenant_id": ["x"], "task": {"type": "chat"}}`, 400, "invalid_request"},
		{"/v1/decide", `{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "chat"}, "policy_id": "zz"}`, 404, "policy_not_found"},
		{"/v1/decide", `{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "video"}}`, 422, "decision_failed"},
		{"/v1/decide", `{"version": "1", "request_id": "` + strings.Repeat("x", 5000) + `"}`, 413, "invalid_request"},
		{"/v2/decide", `{"request": {"id": "r", "tenant": {"id": "t"}, "task": {"type": "code"}}}`, 200, ""},
		{"/v2/decide", `{"request": {"id": "r", "tenant": "t"}}`, 400, "invalid_request"},
		{"/v2/decide/batch", `{"requests": [{"request": {"id": "a"}}, {"request": {"id": "b"}}]}`, 200, ""},
		{"/v2/feedback", `{"request_id": "r", "target": "openai:gpt-4o", "status": "ok", "latency_ms": 80}`, 200, ""},
		{"/v2/feedback", `{"request_id": "r", "status": "ok"}`, 400, "invalid_request"},
	} {
		code, m, body := do(t, "POST", srv.URL+c.path, c.body)
		if code != c.status {
			t.Errorf("%s %.60s: status %d, want %d: %s", c.path, c.body, code, c.status, body)
			continue
		}
		if c.code != "" {
			if errObj, _ := m["error"].(map[string]any); errObj["code"] != c.code {
				t.Errorf("%s %.60s: %s, want code %s", c.path, c.body, body, c.code)
			}
		}
	}
	// The router is unaffected: a good request still decides.
	if code, _, body := do(t, "POST", srv.URL+"/v1/decide", cp1); code != 200 {
		t.Fatalf("after bad input: %d %s", code, body)
	}

	// Policies, rollback.
	code, m, body = do(t, "GET", srv.URL+"/v2/policies", "")
	if code != 200 || len(m["versions"].([]any)) != 1 {
		t.Fatalf("policies: %s", body)
	}
	if code, _, _ := do(t, "POST", srv.URL+"/v2/policies/rollback", ""); code != 409 {
		t.Fatalf("rollback without history: %d", code)
	}
	first := e.Current().Version
	dir := t.TempDir()
	if err := runtime.WriteFiles(dir, map[string][]byte{"default.rpl": []byte("package default\n\nfn route(r: Request) -> Decision = to(\"x:y\")\n")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.LoadDir(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	code, m, body = do(t, "POST", srv.URL+"/v2/policies/rollback", "")
	if code != 200 || m["version"] != first || e.Current().Version != first || m["source"] != e.Current().Source || m["source"] == "" {
		t.Fatalf("rollback: %d %s", code, body)
	}

	// Metrics.
	code, _, body = do(t, "GET", srv.URL+"/metrics", "")
	for _, want := range []string{`rpl_decisions_total{outcome="route",policy="default"`, "rpl_decision_duration_seconds_bucket", `rpl_reloads_total{result="ok"} 3`, "rpl_decision_fuel", `rpl_decision_errors_total{code="policy_not_found"}`} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// sample is the value of the sample line (name and labels as exposed)
// in a Prometheus text exposition; ok false if absent.
func sample(body, line string) (float64, bool) {
	for l := range strings.Lines(body) {
		if v, found := strings.CutPrefix(strings.TrimSpace(l), line+" "); found {
			f, err := strconv.ParseFloat(v, 64)
			return f, err == nil
		}
	}
	return 0, false
}

// TestMetricsValues: /metrics reports the decisions served, not only
// their names: the duration histogram counts every decision (its sum
// positive), the fuel histogram counts them and sums the fuel the
// answers report; loads count result="ok" and result="error".
// TestReadyzDraining: once Config.Draining says so, /readyz answers 503
// shutting down while decisions and /healthz are still served (the
// router answered it in a wrapper of its own, in another shape than
// httpx's; found by a review).
func TestReadyzDraining(t *testing.T) {
	var draining atomic.Bool
	e, srv := setup(t, httpx.Config{Draining: draining.Load})
	if _, err := e.LoadDir(context.Background(), examples); err != nil {
		t.Fatal(err)
	}
	if code, _, body := do(t, "GET", srv.URL+"/readyz", ""); code != 200 {
		t.Fatalf("/readyz %d %s before draining", code, body)
	}
	draining.Store(true)
	if code, m, body := do(t, "GET", srv.URL+"/readyz", ""); code != 503 || m["ready"] != false || m["shutting_down"] != true {
		t.Errorf("/readyz %d %s draining, want 503 shutting down", code, body)
	}
	if code, _, body := do(t, "GET", srv.URL+"/healthz", ""); code != 200 {
		t.Errorf("/healthz %d %s draining", code, body)
	}
	if code, m, body := do(t, "POST", srv.URL+"/v2/decide", `{"request": {"id": "r"}}`); code != 200 || m["ok"] != true {
		t.Errorf("a decision draining: %d %s", code, body)
	}
}

func TestMetricsValues(t *testing.T) {
	e, srv := setup(t, httpx.Config{})
	if _, err := e.LoadDir(context.Background(), examples); err != nil {
		t.Fatal(err)
	}
	bad := t.TempDir()
	if err := runtime.WriteFiles(bad, map[string][]byte{"default.rpl": []byte("package default\nfn route(r: Request) -> Decision = to(r.nope)\n")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.LoadDir(context.Background(), bad); err == nil {
		t.Fatal("a broken policy loaded")
	}
	bodies := []string{
		`{"request": {"id": "m-1", "task": {"type": "chat"}}}`,
		`{"request": {"id": "m-2", "tenant": {"id": "t"}, "task": {"type": "code"}}}`,
		`{"request": {"id": "m-3"}}`,
		`{"policy_id": "premium", "request": {"id": "m-4", "task": {"type": "chat"}}}`,
		`{"policy_id": "budget_guard", "request": {"id": "m-5", "task": {"type": "summarize"}}}`,
	}
	fuel := 0.0
	for _, b := range bodies {
		code, m, body := do(t, "POST", srv.URL+"/v2/decide", b)
		f, ok := m["fuel"].(float64)
		if code != 200 || !ok || f <= 0 {
			t.Fatalf("%s: %d %s", b, code, body)
		}
		fuel += f
	}
	_, _, body := do(t, "GET", srv.URL+"/metrics", "")
	n := float64(len(bodies))
	for _, c := range []struct {
		line string
		ok   func(float64) bool
		want string
	}{
		{"rpl_decision_duration_seconds_count", func(v float64) bool { return v == n }, fmt.Sprint(n)},
		{"rpl_decision_duration_seconds_sum", func(v float64) bool { return v > 0 }, "> 0"},
		{"rpl_decision_fuel_count", func(v float64) bool { return v == n }, fmt.Sprint(n)},
		{"rpl_decision_fuel_sum", func(v float64) bool { return v == fuel }, fmt.Sprint(fuel)},
		{`rpl_reloads_total{result="ok"}`, func(v float64) bool { return v == 1 }, "1"},
		{`rpl_reloads_total{result="error"}`, func(v float64) bool { return v == 1 }, "1"},
	} {
		if v, ok := sample(body, c.line); !ok || !c.ok(v) {
			t.Errorf("%s: %v (present %v), want %s", c.line, v, ok, c.want)
		}
	}
}

func TestOverload(t *testing.T) {
	shed := 0
	var mu sync.Mutex
	held, release := make(chan struct{}), make(chan struct{})
	e, srv := setup(t, httpx.Config{MaxInFlight: 1, Hooks: runtime.Hooks{
		Refused: func(transport string, why runtime.Refusal) {
			if transport == "http" && why == runtime.RefusedOverloaded {
				mu.Lock()
				shed++
				mu.Unlock()
			}
		},
		// A request whose traceparent is "hold" keeps its slot, inside
		// the engine's span, until released.
		Trace: func(ctx context.Context, traceparent, transport string, kind runtime.Kind) (context.Context, func(*runtime.Outcome)) {
			if traceparent == "hold" {
				close(held)
				<-release
			}
			return ctx, nil
		},
	}})
	if _, err := e.LoadDir(context.Background(), examples); err != nil {
		t.Fatal(err)
	}
	// A request whose body never ends holds no slot: the only one stays
	// free for decisions.
	pr, pw := io.Pipe()
	var releaseOnce sync.Once
	free := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(func() { free(); pw.Close() }) // before the server's Close, which waits for them
	req, _ := http.NewRequest("POST", srv.URL+"/v2/decide", pr)
	uploaded := make(chan int, 1)
	go func() {
		code := 0
		if resp, err := http.DefaultClient.Do(req); err == nil {
			code = resp.StatusCode
			resp.Body.Close()
		}
		uploaded <- code
	}()
	pw.Write([]byte(`{"request": `))
	for range 3 {
		if code, _, body := do(t, "POST", srv.URL+"/v2/decide", `{"request": {"id": "r-0"}}`); code != 200 {
			t.Fatalf("beside an unfinished upload: %d %s", code, body)
		}
	}
	// A decision in flight holds the slot.
	heldDone := make(chan struct{})
	go func() {
		defer close(heldDone)
		req, _ := http.NewRequest("POST", srv.URL+"/v2/decide", strings.NewReader(`{"request": {"id": "held"}}`))
		req.Header.Set("traceparent", "hold")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	<-held
	code, m, body := do(t, "POST", srv.URL+"/v1/decide", `{"version": "1", "request_id": "r-1", "trace_id": "tr-1", "tenant_id": "t", "task": {"type": "chat"}}`)
	if code != 503 {
		t.Fatalf("CP1 beside a held slot: %d %s", code, body)
	}
	// Refused without a decision, but named.
	errObj := m["error"].(map[string]any)
	cctx, _ := m["context"].(map[string]any)
	// One request in flight: singular.
	if errObj["code"] != "internal" || errObj["message"] != "router overloaded: 1 request in flight; retry later" || cctx["request_id"] != "r-1" || cctx["trace_id"] != "tr-1" {
		t.Fatalf("CP1 overload answer: %s", body)
	}
	code, m, _ = do(t, "POST", srv.URL+"/v2/decide", `{"request": {"id": "r-2"}}`)
	if code != 503 || m["error"].(map[string]any)["code"] != "overloaded" || m["request_id"] != "r-2" {
		t.Fatalf("v2 overload: %d %v", code, m)
	}
	free()
	<-heldDone // the answer is flushed once the handler, and its slot's release, returned
	pw.Write([]byte(`{"id": "r"}}`))
	pw.Close()
	if code := <-uploaded; code != 200 {
		t.Fatalf("the slow upload: %d", code)
	}
	if code, _, body := do(t, "POST", srv.URL+"/v2/decide", `{"request": {"id": "r"}}`); code != 200 {
		t.Fatalf("after overload: %d %s", code, body)
	}
	mu.Lock()
	defer mu.Unlock()
	if shed != 2 {
		t.Errorf("shed %d, want 2", shed)
	}
}

// TestRefusedCounted: the bodies refused before the engine (too large,
// unreadable, overloaded) are answered in the endpoint's shape and counted
// in rpl_refused_total by transport and reason.
func TestRefusedCounted(t *testing.T) {
	m := metrics.New()
	e, err := runtime.New(runtime.Config{State: state.NewMem(state.Options{}), Observer: m})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.LoadDir(context.Background(), examples); err != nil {
		t.Fatal(err)
	}
	h := httpx.New(e, httpx.Config{MaxBody: 64, Metrics: m.Handler(), Hooks: runtime.Hooks{Refused: m.Refused}})
	post := func(path string, body io.Reader) (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", path, body))
		return rec.Code, rec.Body.String()
	}
	large := `{"request": {"id": "` + strings.Repeat("x", 100) + `"}}`
	if code, body := post("/v2/decide", strings.NewReader(large)); code != 413 || !strings.Contains(body, `"code":"invalid_request"`) {
		t.Errorf("too large v2: %d %s", code, body)
	}
	// Refused, a CP1 request still names the trace of its traceparent.
	req := httptest.NewRequest("POST", "/v1/decide", strings.NewReader(large))
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if code, body := rec.Code, rec.Body.String(); code != 413 || !strings.Contains(body, `"context":{"request_id":"","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}`) {
		t.Errorf("too large CP1 (want the CP1 shape, with the header's trace id): %d %s", code, body)
	}
	if code, body := post("/v2/feedback", iotest.ErrReader(errors.New("connection reset"))); code != 400 || !strings.Contains(body, "connection reset") {
		t.Errorf("unreadable: %d %s", code, body)
	}
	if code, body := post("/v2/decide", strings.NewReader(`{"request": {"id": "r"}}`)); code != 200 {
		t.Errorf("a body within the limit: %d %s", code, body)
	}
	// Another method than POST: 405 in the endpoint's shape.
	for _, c := range []struct{ method, path, want string }{
		{"GET", "/v1/decide", `{"ok":false,"error":{"code":"invalid_request","message":"method GET: /v1/decide takes POST"},"context":{"request_id":""}}`},
		{"PUT", "/v2/feedback", `{"ok":false,"error":{"code":"invalid_request","message":"method PUT: /v2/feedback takes POST"}}`},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, nil))
		if rec.Code != 405 || rec.Header().Get("Allow") != "POST" || rec.Header().Get("Content-Type") != "application/json" || rec.Body.String() != c.want {
			t.Errorf("%s %s: %d %v %s", c.method, c.path, rec.Code, rec.Header(), rec.Body)
		}
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{
		`rpl_refused_total{reason="too_large",transport="http"} 2`,
		`rpl_refused_total{reason="unreadable",transport="http"} 1`,
		`rpl_refused_total{reason="method",transport="http"} 2`,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(rec.Body.String(), `reason="overloaded"`) {
		t.Errorf("/metrics counts an overload that did not happen")
	}
}

// TestSpans: a span per request, naming the transport (http) and the
// request's kind, a child of the request's traceparent.
func TestSpans(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tr := tracing.NewWithExporter(exp)
	e, srv := setup(t, httpx.Config{Hooks: runtime.Hooks{Trace: tr.Trace}})
	if _, err := e.LoadDir(context.Background(), examples); err != nil {
		t.Fatal(err)
	}
	do(t, "POST", srv.URL+"/v1/decide", `{"version": "1", "request_id": "r-1", "tenant_id": "t-1", "task": {"type": "chat"}}`)
	do(t, "POST", srv.URL+"/v2/decide", `{"request": {"id": "r-2"}}`)
	do(t, "POST", srv.URL+"/v2/decide/batch", `{"requests": [{"request": {"id": "r-3"}}]}`)
	do(t, "POST", srv.URL+"/v2/feedback", `{"request_id": "r-2", "target": "openai:gpt-4o", "status": "ok", "latency_ms": 80}`)
	if err := tr.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range exp.GetSpans() {
		attrs := map[string]string{}
		for _, a := range s.Attributes {
			attrs[string(a.Key)] = a.Value.Emit()
		}
		got = append(got, attrs["rpl.transport"]+" "+attrs["rpl.kind"]+" "+attrs["rpl.request.id"])
		if s.Parent.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" {
			t.Errorf("span %v: not a child of the traceparent", attrs)
		}
	}
	want := []string{"http cp1 r-1", "http v2 r-2", "http batch ", "http feedback "}
	if !slices.Equal(got, want) {
		t.Errorf("spans %q, want %q", got, want)
	}
}
