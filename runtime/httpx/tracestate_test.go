package httpx_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/httpx"
	"github.com/rpl-lang/rpl/runtime/tracing"
)

// collector is an OTLP/HTTP trace receiver (protobuf, uncompressed, as
// the exporter sends it by default) that keeps the spans it gets.
type collector struct {
	mu    sync.Mutex
	spans []*tracepb.Span
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(r.Body)
	var req coltracepb.ExportTraceServiceRequest
	if err == nil {
		err = proto.Unmarshal(data, &req)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
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

// members is a tracestate of n list members (k0=v0,…).
func members(n int) string {
	m := make([]string, n)
	for i := range m {
		m[i] = fmt.Sprintf("k%d=v%d", i, i)
	}
	return strings.Join(m, ",")
}

// TestTraceState: the W3C tracestate header of a request over HTTP is
// the trace_state of its span as exported over OTLP, its values in one
// list when the header is repeated; one longer than W3C's 512 bytes is
// trimmed as W3C asks (whole list members, those longer than 128
// characters first, then from the right); one beyond its 32 list
// members or malformed is dropped, the request decided all the same.
// (The header was dropped: the spans' trace_state was empty; one longer
// than 512 bytes was dropped whole.)
func TestTraceState(t *testing.T) {
	var col collector
	cs := httptest.NewServer(&col)
	defer cs.Close()
	tr, err := tracing.New(context.Background(), cs.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Shutdown(context.Background())
	e, srv := setup(t, httpx.Config{Hooks: runtime.Hooks{Trace: tr.Trace}})
	if _, err := e.LoadDir(context.Background(), examples); err != nil {
		t.Fatal(err)
	}
	long := "k=" + strings.Repeat("v", 254) + ",l=" + strings.Repeat("w", 254)
	if len(long) != tracing.MaxTraceState+1 {
		t.Fatalf("the long tracestate has %d bytes", len(long))
	}
	cases := []struct {
		header []string // the tracestate header's values
		want   string   // the span's trace_state
	}{
		{[]string{"congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"}, "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"},
		{[]string{"congo=t61rcWkgMzE", "rojo=00f067aa0ba902b7"}, "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"},
		{[]string{members(32)}, members(32)},
		{[]string{members(33)}, ""},
		{[]string{long}, long[:256]}, // trimmed: its right member goes
		{[]string{long[:256], long[257:] + ",a=1"}, long[:256] + ",a=1"},
		{[]string{long[:len(long)-1]}, long[:len(long)-1]}, // 512 bytes
		{[]string{"Not A Key=1"}, ""},
		{[]string{"a=1,a=2"}, ""},
	}
	for i, c := range cases {
		req, err := http.NewRequest("POST", srv.URL+"/v2/decide", strings.NewReader(fmt.Sprintf(`{"request": {"id": "r-%d"}}`, i)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
		for _, v := range c.header {
			req.Header.Add("tracestate", v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("tracestate %q: status %d", c.header, resp.StatusCode)
		}
	}
	if err := tr.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	got := map[string]string{} // request id → trace_state
	for _, s := range col.spans {
		for _, a := range s.Attributes {
			if a.Key == "rpl.request.id" {
				got[a.Value.GetStringValue()] = s.TraceState
			}
		}
	}
	if len(got) != len(cases) {
		t.Fatalf("%d spans exported, want %d", len(got), len(cases))
	}
	for i, c := range cases {
		if ts := got[fmt.Sprint("r-", i)]; ts != c.want {
			t.Errorf("tracestate %q: the span's trace_state %q, want %q", c.header, ts, c.want)
		}
	}
}
