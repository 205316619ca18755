package router_test

import (
	"compress/gzip"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/runtime/router"
)

// collector is an OTLP/HTTP trace receiver (protobuf over POST
// /v1/traces, as a collector serves it) that keeps the spans it gets.
type collector struct {
	mu    sync.Mutex
	spans []*tracepb.Span
	paths []string // of the exports
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/v1/traces") || r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "not an OTLP/HTTP protobuf trace export", http.StatusBadRequest)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	data, err := io.ReadAll(body)
	var req coltracepb.ExportTraceServiceRequest
	if err == nil {
		err = proto.Unmarshal(data, &req)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	c.paths = append(c.paths, r.URL.Path)
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			c.spans = append(c.spans, ss.Spans...)
		}
	}
	c.mu.Unlock()
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(out)
}

// TestOTLPSpans: with an OTLP endpoint, each decision over HTTP is a span,
// child of the request's traceparent, with its request id and policy, that
// reaches the collector by the router's shutdown; /metrics counts none
// dropped. The endpoint is host:port, or a URL read as
// OTEL_EXPORTER_OTLP_ENDPOINT is: the base of the traces path.
func TestOTLPSpans(t *testing.T) {
	for _, c := range []struct{ endpoint, path string }{
		{"", "/v1/traces"}, // the server's host:port
		{"/", "/v1/traces"},
		{"/otlp", "/otlp/v1/traces"},
		{"/otlp/v1/traces", "/otlp/v1/traces"},
	} {
		t.Run(c.endpoint, func(t *testing.T) {
			col := &collector{}
			srv := httptest.NewServer(col)
			defer srv.Close()
			endpoint := srv.Listener.Addr().String()
			if c.endpoint != "" {
				endpoint = srv.URL + c.endpoint
			}
			exportSpans(t, col, endpoint)
			for _, p := range col.paths {
				if p != c.path {
					t.Errorf("exported to %s, want %s", p, c.path)
				}
			}
		})
	}
}

func exportSpans(t *testing.T, col *collector, endpoint string) {
	r, err := router.Start(context.Background(), router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "127.0.0.1:0", NoNATS: true, OTLP: endpoint, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	const n = 3
	for i := range n {
		req, _ := http.NewRequest("POST", "http://"+r.HTTPAddr()+"/v1/decide",
			strings.NewReader(`{"version": "1", "request_id": "r-`+string(rune('0'+i))+`", "tenant_id": "t", "task": {"type": "chat"}}`))
		req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	resp, err := http.Get("http://" + r.HTTPAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, reason := range []string{"queue_full", "export_failed", "shutdown"} {
		if want := "\nrpl_spans_dropped_total{reason=\"" + reason + "\"} 0\n"; !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %s", want[1:])
		}
	}
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	if len(col.spans) != n {
		t.Fatalf("the collector got %d spans, want %d", len(col.spans), n)
	}
	for i, s := range col.spans {
		attrs := map[string]string{}
		for _, a := range s.Attributes {
			attrs[a.Key] = a.Value.GetStringValue()
		}
		if s.Name != "rpl.decide" || hex.EncodeToString(s.TraceId) != "4bf92f3577b34da6a3ce929d0e0e4736" || hex.EncodeToString(s.ParentSpanId) != "00f067aa0ba902b7" ||
			attrs["rpl.request.id"] != "r-"+string(rune('0'+i)) || attrs["rpl.policy.id"] != "default" || attrs["rpl.transport"] != "http" || attrs["rpl.kind"] != "cp1" {
			t.Errorf("span %d: %s trace %x parent %x %v", i, s.Name, s.TraceId, s.ParentSpanId, attrs)
		}
	}
}

// TestOTLPRefused: a collector that refuses every export. The decisions
// are served; their spans are counted dropped (export_failed), and
// Shutdown, a clean drain, returns no error: the tracer's failure is
// logged (it made rpl-router exit 1 on SIGTERM; found by a review).
func TestOTLPRefused(t *testing.T) {
	var exports atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		exports.Add(1)
		http.Error(w, "no", http.StatusBadRequest) // not retried
	}))
	defer srv.Close()
	var logged syncLog
	r, err := router.Start(context.Background(), router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "127.0.0.1:0", NoNATS: true,
		OTLP: srv.URL, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	if err != nil {
		t.Fatal(err)
	}
	const n = 3
	for i := range n {
		if out := post(t, r.HTTPAddr(), "/v1/decide", fmt.Sprintf(`{"version": "1", "request_id": "r-%d", "tenant_id": "t", "task": {"type": "chat"}}`, i)); !strings.Contains(out, `"ok":true`) {
			t.Fatalf("decide: %s", out)
		}
	}
	if err := r.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown: %v, want nil (a clean drain; the tracer's failure is logged)", err)
	}
	if exports.Load() == 0 {
		t.Error("no export reached the collector")
	}
	fams, err := r.Metrics.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var failed float64
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if f.GetName() == "rpl_spans_dropped_total" && l.GetName() == "reason" && l.GetValue() == "export_failed" {
					failed = m.GetCounter().GetValue()
				}
			}
		}
	}
	if failed != n {
		t.Errorf("rpl_spans_dropped_total{reason=\"export_failed\"} %v, want %d", failed, n)
	}
	if !strings.Contains(logged.String(), "level=WARN msg=\"tracing: the spans queued at shutdown were not all exported") {
		t.Errorf("the tracer's failure is not logged:\n%s", logged.String())
	}
}

// syncLog is a log destination for concurrent writers.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncLog) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncLog) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestOTLPAfterDrainRanOut: the span of a decision cancelled when the
// drain ran out reaches the collector: the tracer has its own time at
// shutdown. It was given the drain's context, which had ended, and
// dropped every span queued then, those of the cancelled decisions first.
func TestOTLPAfterDrainRanOut(t *testing.T) {
	col := &collector{}
	srv := httptest.NewServer(col)
	defer srv.Close()
	r, err := router.Start(context.Background(), router.Options{Policies: slowPolicy(t), DataDir: t.TempDir(), HTTP: "127.0.0.1:0", NoNATS: true,
		OTLP: srv.URL, Logger: quiet(), Deadline: time.Minute, Limits: rpl.Limits{Fuel: 1 << 50}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Shutdown(context.Background()) })
	answered := make(chan struct{})
	go func() {
		defer close(answered)
		post(t, r.HTTPAddr(), "/v2/decide", `{"request": {"id": "long", "estimate": {"input_tokens": 60}}}`)
	}()
	time.Sleep(200 * time.Millisecond) // its run has started
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	r.Shutdown(ctx)
	<-answered
	col.mu.Lock()
	defer col.mu.Unlock()
	if len(col.spans) != 1 {
		t.Fatalf("the collector got %d spans, want the cancelled decision's", len(col.spans))
	}
}
