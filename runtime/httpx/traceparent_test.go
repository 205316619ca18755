package httpx_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rpl-lang/rpl/runtime/httpx"
)

// TestTraceparentHeader: the traceparent header is read as Header.Get
// reads it, whatever the case the client sent its name in (the server
// canonicalizes it), and without allocating: Header.Get allocated the
// name canonicalized for every request.
func TestTraceparentHeader(t *testing.T) {
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	got := make(chan string, 3)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- httpx.Traceparent(r)
	}))
	defer srv.Close()
	for _, name := range []string{"traceparent", "TRACEPARENT", "Traceparent"} {
		req, _ := http.NewRequest("GET", srv.URL, nil)
		req.Header[name] = []string{tp} // sent as given
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if v := <-got; v != tp {
			t.Errorf("header %q: read %q, want %q", name, v, tp)
		}
	}
	r := httptest.NewRequest("POST", "/v2/decide", nil)
	r.Header.Set("traceparent", tp)
	if n := testing.AllocsPerRun(100, func() { httpx.Traceparent(r) }); n != 0 {
		t.Errorf("%v allocations reading the header, want 0", n)
	}
	if httpx.Traceparent(httptest.NewRequest("GET", "/", nil)) != "" {
		t.Error("a traceparent read where none was sent")
	}
}

// TestTraceparentTwice: a request that gives traceparent more than once,
// under one name or two, has none (it starts a new trace): W3C Trace
// Context takes several traceparent headers for an invalid one. The first
// was taken.
func TestTraceparentTwice(t *testing.T) {
	const tp1, tp2 = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-5bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b8-01"
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- httpx.Traceparent(r)
	}))
	defer srv.Close()
	for _, h := range []http.Header{
		{"Traceparent": {tp1, tp2}},
		{"Traceparent": {tp1, tp1}},
		{"traceparent": {tp1}, "TRACEPARENT": {tp2}},
	} {
		req, _ := http.NewRequest("GET", srv.URL, nil)
		req.Header = h // sent as given
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if v := <-got; v != "" {
			t.Errorf("%v: read %q, want none", h, v)
		}
	}
}
