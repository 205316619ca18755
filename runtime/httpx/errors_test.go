package httpx_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/internal/jsonx"
	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/httpx"
	"github.com/rpl-lang/rpl/runtime/metrics"
	"github.com/rpl-lang/rpl/runtime/state"
)

// serveWith is a server over an engine with st, its metrics counting
// every answer and refusal.
func serveWith(t *testing.T, st *state.Mem, cfg httpx.Config) (*runtime.Engine, *httptest.Server) {
	t.Helper()
	m := metrics.New()
	e, err := runtime.New(runtime.Config{State: st, Observer: m})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Metrics, cfg.Refused, cfg.Answered = m.Handler(), m.Refused, m.Answered
	srv := httptest.NewServer(httpx.New(e, cfg))
	t.Cleanup(srv.Close)
	return e, srv
}

// send is do with the response's headers.
// noRedirects is a client that shows a redirect rather than follows it:
// a client posting a decision does not follow one.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func send(t *testing.T, req *http.Request) (int, http.Header, string) {
	t.Helper()
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(data)
}

func request(t *testing.T, method, url string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// TestRetryAfterEvery503: every 503 says when to retry, as the package
// documents: the overloaded answer of a full spend ledger had none
// (only the concurrency bound's and not_ready's had one).
func TestRetryAfterEvery503(t *testing.T) {
	e, srv := serveWith(t, state.NewMem(state.Options{MaxLedger: 1}), httpx.Config{})
	type call struct{ path, body string }
	check := func(what string, c call, wantCode string) {
		t.Helper()
		code, h, body := send(t, request(t, "POST", srv.URL+c.path, strings.NewReader(c.body)))
		var m struct {
			Error struct{ Code string } `json:"error"`
		}
		json.Unmarshal([]byte(body), &m)
		if code != 503 || m.Error.Code != wantCode || h.Get("Retry-After") != "1" {
			t.Errorf("%s: %d Retry-After %q %s, want 503 %s with Retry-After: 1", what, code, h.Get("Retry-After"), body, wantCode)
		}
	}
	check("a decide before any version", call{"/v2/decide", `{"request": {"id": "r"}}`}, "not_ready")
	if code, h, body := send(t, request(t, "GET", srv.URL+"/readyz", nil)); code != 503 || h.Get("Retry-After") != "1" {
		t.Errorf("/readyz before any version: %d Retry-After %q %s", code, h.Get("Retry-After"), body)
	}
	if _, err := e.LoadDir(context.Background(), examples); err != nil {
		t.Fatal(err)
	}
	const fb = `{"request_id": "%s", "tenant_id": "%s", "target": "openai:gpt-4o", "status": "ok", "latency_ms": 80, "cost": 0.01}`
	if code, _, body := send(t, request(t, "POST", srv.URL+"/v2/feedback", strings.NewReader(strings.NewReplacer("%s", "a").Replace(fb)))); code != 200 {
		t.Fatalf("the ledger's one tenant-month: %d %s", code, body)
	}
	check("a cost for a tenant the full ledger has no room for", call{"/v2/feedback", strings.NewReplacer("%s", "b").Replace(fb)}, "overloaded")
}

// TestBatchNotReady: a batch none of whose requests can be decided
// because no version is active is answered as a decide is (503
// not_ready, Retry-After, the decide's error shape and message); it was
// 200 with a not_ready result per request. A batch with another outcome
// too (a request that is not valid) keeps its results; so does an empty
// one, which has none to refuse.
func TestBatchNotReady(t *testing.T) {
	e, srv := serveWith(t, state.NewMem(state.Options{}), httpx.Config{})
	post := func(path, body string) (int, http.Header, string) {
		t.Helper()
		return send(t, request(t, "POST", srv.URL+path, strings.NewReader(body)))
	}
	_, _, single := post("/v2/decide", `{"request": {"id": "a"}}`)
	var want struct {
		OK    bool `json:"ok"`
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(single), &want); err != nil || want.Error.Code != "not_ready" {
		t.Fatalf("a decide before any version: %s", single)
	}
	code, h, body := post("/v2/decide/batch", `{"requests": [{"request": {"id": "a"}}, {"request": {"id": "b"}}]}`)
	wantBody := `{"ok":false,"error":{"code":"not_ready","message":` + mustJSON(t, want.Error.Message) + `}}`
	if code != 503 || h.Get("Retry-After") != "1" || body != wantBody {
		t.Errorf("a batch before any version: %d Retry-After %q %s\nwant 503 with Retry-After: 1, %s", code, h.Get("Retry-After"), body, wantBody)
	}
	// Mixed: the invalid request's error beside the other's not_ready.
	code, _, body = post("/v2/decide/batch", `{"requests": [{"request": {"id": "a"}}, {"request": {"id": "b", "tenant": "t"}}]}`)
	var mixed struct {
		OK      bool `json:"ok"`
		Results []struct {
			Error struct{ Code string } `json:"error"`
		} `json:"results"`
	}
	if json.Unmarshal([]byte(body), &mixed); code != 200 || !mixed.OK || len(mixed.Results) != 2 || mixed.Results[0].Error.Code != "not_ready" || mixed.Results[1].Error.Code != "invalid_request" {
		t.Errorf("a mixed batch before any version: %d %s, want 200 with each request's error", code, body)
	}
	if code, _, body = post("/v2/decide/batch", `{"requests": []}`); code != 200 || body != `{"ok":true,"results":[]}` {
		t.Errorf("an empty batch before any version: %d %s", code, body)
	}
	if _, err := e.LoadDir(context.Background(), examples); err != nil {
		t.Fatal(err)
	}
	if code, _, body = post("/v2/decide/batch", `{"requests": [{"request": {"id": "a"}}, {"request": {"id": "b"}}]}`); code != 200 || !strings.HasPrefix(body, `{"ok":true,"results":[{"ok":true,`) {
		t.Errorf("a batch once a version is active: %d %s", code, body)
	}
	// Counted as answered: the not_ready batch as such.
	_, _, exp := send(t, request(t, "GET", srv.URL+"/metrics", nil))
	for _, line := range []string{
		`rpl_requests_total{code="not_ready",kind="batch",transport="http"} 1`,
		`rpl_requests_total{code="ok",kind="batch",transport="http"} 3`,
		`rpl_requests_total{code="not_ready",kind="v2",transport="http"} 1`,
	} {
		if !strings.Contains(exp, line) {
			t.Errorf("/metrics lacks %s", line)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestTooLargeNamesSizes: a body over MaxBody is refused naming its
// size, when the request gives it, and the limit, as NATS names them;
// sent without a length, it is named as more than the limit (what was
// read). It said "request body too large" alone.
func TestTooLargeNamesSizes(t *testing.T) {
	e, srv := serveWith(t, state.NewMem(state.Options{}), httpx.Config{MaxBody: 64})
	if _, err := e.LoadDir(context.Background(), examples); err != nil {
		t.Fatal(err)
	}
	large := `{"request": {"id": "` + strings.Repeat("x", 100) + `"}}`
	n := fmt.Sprint(len(large))
	for _, c := range []struct {
		what string
		body io.Reader
		path string
		want string
	}{
		{"with Content-Length", strings.NewReader(large), "/v2/decide",
			`{"ok":false,"error":{"code":"invalid_request","message":"request body too large: ` + n + ` bytes, at most 64"}}`},
		{"chunked", io.MultiReader(strings.NewReader(large)), "/v2/decide",
			`{"ok":false,"error":{"code":"invalid_request","message":"request body too large: more than 64 bytes, at most 64"}}`},
		{"CP1, with Content-Length", strings.NewReader(large), "/v1/decide",
			`{"ok":false,"error":{"code":"invalid_request","message":"request body too large: ` + n + ` bytes, at most 64"},"context":{"request_id":""}}`},
	} {
		req := request(t, "POST", srv.URL+c.path, c.body)
		if code, _, body := send(t, req); code != 413 || body != c.want {
			t.Errorf("%s: %d %s\nwant 413 %s", c.what, code, body, c.want)
		}
	}
	// POST /v2/policies/activate names them too: it said "request body
	// too large" alone.
	for what, body := range map[string]io.Reader{"with Content-Length": strings.NewReader(large), "chunked": io.MultiReader(strings.NewReader(large))} {
		want := `{"ok":false,"error":{"code":"invalid_request","message":"request body too large: ` + n + ` bytes, at most 64"}}`
		if what == "chunked" {
			want = `{"ok":false,"error":{"code":"invalid_request","message":"request body too large: more than 64 bytes, at most 64"}}`
		}
		if code, _, got := send(t, request(t, "POST", srv.URL+"/v2/policies/activate", body)); code != 413 || strings.TrimSpace(got) != want {
			t.Errorf("activate, %s: %d %s\nwant 413 %s", what, code, got, want)
		}
	}
	_, _, exp := send(t, request(t, "GET", srv.URL+"/metrics", nil))
	if line := `rpl_refused_total{reason="too_large",transport="http"} 3`; !strings.Contains(exp, line) {
		t.Errorf("/metrics lacks %s", line)
	}
}

// TestPoliciesBeforeActivation: /v2/policies lists no versions as [],
// not null, before any activation.
func TestPoliciesBeforeActivation(t *testing.T) {
	_, srv := serveWith(t, state.NewMem(state.Options{}), httpx.Config{})
	code, _, body := send(t, request(t, "GET", srv.URL+"/v2/policies", nil))
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &m); code != 200 || err != nil || string(m["versions"]) != "[]" {
		t.Errorf("/v2/policies before any activation: %d %s, want versions []", code, body)
	}
}

// TestMethodAndPathErrors: another method than an endpoint's is 405 with
// Allow in the house error shape (JSON), for every endpoint, and so is
// an unknown path, under /v1/ and /v2/ or not (404); they were Go's
// text/plain answers but for the decide endpoints. Both are counted as
// refusals.
func TestMethodAndPathErrors(t *testing.T) {
	_, srv := serveWith(t, state.NewMem(state.Options{}), httpx.Config{})
	for _, c := range []struct {
		method, path string
		status       int
		allow, want  string
	}{
		{"GET", "/v2/policies/rollback", 405, "POST", `{"ok":false,"error":{"code":"invalid_request","message":"method GET: /v2/policies/rollback takes POST"}}`},
		{"GET", "/v2/policies/reload", 405, "POST", `{"ok":false,"error":{"code":"invalid_request","message":"method GET: /v2/policies/reload takes POST"}}`},
		{"POST", "/readyz", 405, "GET, HEAD", `{"ok":false,"error":{"code":"invalid_request","message":"method POST: /readyz takes GET"}}`},
		{"POST", "/healthz", 405, "GET, HEAD", `{"ok":false,"error":{"code":"invalid_request","message":"method POST: /healthz takes GET"}}`},
		{"DELETE", "/v2/policies", 405, "GET, HEAD", `{"ok":false,"error":{"code":"invalid_request","message":"method DELETE: /v2/policies takes GET"}}`},
		{"PUT", "/metrics", 405, "GET, HEAD", `{"ok":false,"error":{"code":"invalid_request","message":"method PUT: /metrics takes GET"}}`},
		{"GET", "/v2/decide", 405, "POST", `{"ok":false,"error":{"code":"invalid_request","message":"method GET: /v2/decide takes POST"}}`},
		{"GET", "/v2/nope", 404, "", `{"ok":false,"error":{"code":"invalid_request","message":"no endpoint /v2/nope"}}`},
		{"POST", "/v2/policies/", 404, "", `{"ok":false,"error":{"code":"invalid_request","message":"no endpoint /v2/policies/"}}`},
		{"POST", "/v1/decision", 404, "", `{"ok":false,"error":{"code":"invalid_request","message":"no endpoint /v1/decision"},"context":{"request_id":""}}`},
		// Outside /v1/ and /v2/ too: Go's text/plain 404 was the one
		// answer that was not JSON.
		{"GET", "/", 404, "", `{"ok":false,"error":{"code":"invalid_request","message":"no endpoint /"}}`},
		{"POST", "/decide", 404, "", `{"ok":false,"error":{"code":"invalid_request","message":"no endpoint /decide"}}`},
		{"GET", "/metrics/", 404, "", `{"ok":false,"error":{"code":"invalid_request","message":"no endpoint /metrics/"}}`},
		{"GET", "/v3/decide", 404, "", `{"ok":false,"error":{"code":"invalid_request","message":"no endpoint /v3/decide"}}`},
	} {
		code, h, body := send(t, request(t, c.method, srv.URL+c.path, nil))
		if code != c.status || h.Get("Allow") != c.allow || h.Get("Content-Type") != "application/json" || body != c.want {
			t.Errorf("%s %s: %d Allow %q %s %s\nwant %d Allow %q application/json %s", c.method, c.path, code, h.Get("Allow"), h.Get("Content-Type"), body, c.status, c.allow, c.want)
		}
	}
	// HEAD is a GET's.
	if code, _, _ := send(t, request(t, "HEAD", srv.URL+"/healthz", nil)); code != 200 {
		t.Errorf("HEAD /healthz: %d", code)
	}
	_, _, exp := send(t, request(t, "GET", srv.URL+"/metrics", nil))
	// Both counted as refusals: the 404s were not (found by a review).
	for _, line := range []string{`rpl_refused_total{reason="method",transport="http"} 7`, `rpl_refused_total{reason="not_found",transport="http"} 7`} {
		if !strings.Contains(exp, line) {
			t.Errorf("/metrics lacks %s", line)
		}
	}
}

// TestNotFoundNamesPathAsSent: a path that is no endpoint is named as the
// client sent it, escaped, and cut as any echo is: /v1%2Fdecide was
// answered "no endpoint /v1/decide", naming an endpoint; a path of
// kilobytes was repeated whole, and a decoded quote or newline in it
// read as the message's own.
func TestNotFoundNamesPathAsSent(t *testing.T) {
	_, srv := serveWith(t, state.NewMem(state.Options{}), httpx.Config{})
	long := "/" + strings.Repeat("a", 3000)
	for _, c := range []struct{ path, want string }{
		{"/v1%2Fdecide", `{"ok":false,"error":{"code":"invalid_request","message":"no endpoint /v1%2Fdecide"},"context":{"request_id":""}}`},
		{"/v2/a%22b%0A", `{"ok":false,"error":{"code":"invalid_request","message":"no endpoint /v2/a%22b%0A"}}`},
		{long, `{"ok":false,"error":{"code":"invalid_request","message":"no endpoint ` + long[:jsonx.MaxEcho] + `… (3001 bytes)"}}`},
	} {
		code, _, body := send(t, request(t, "POST", srv.URL+c.path, strings.NewReader("{}")))
		if code != http.StatusNotFound || body != c.want {
			t.Errorf("POST %.40s: %d %s\nwant 404 %s", c.path, code, body, c.want)
		}
	}
	// A method of kilobytes is cut too.
	method := strings.Repeat("X", 3000)
	code, _, body := send(t, request(t, method, srv.URL+"/v2/decide", nil))
	if want := "method " + method[:jsonx.MaxEcho] + "… (3000 bytes): /v2/decide takes POST"; code != http.StatusMethodNotAllowed || !strings.Contains(body, want) {
		t.Errorf("%.40s…: %d %.300s, want 405 %s", method, code, body, want)
	}
	code, _, body = send(t, request(t, method, srv.URL+"/healthz", nil))
	if want := "method " + method[:jsonx.MaxEcho] + "… (3000 bytes): /healthz takes GET"; code != http.StatusMethodNotAllowed || !strings.Contains(body, want) {
		t.Errorf("%.40s…: %d %.300s, want 405 %s", method, code, body, want)
	}
}

// TestContentEncodingRefused: a compressed body is refused 415, naming
// the encoding; it was read as JSON and refused as "the body must be a
// JSON object", which did not say why. identity is no encoding.
func TestContentEncodingRefused(t *testing.T) {
	e, srv := serveWith(t, state.NewMem(state.Options{}), httpx.Config{})
	if _, err := e.LoadDir(context.Background(), examples); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/v1/decide", "/v2/decide", "/v2/decide/batch", "/v2/feedback"} {
		req := request(t, "POST", srv.URL+path, strings.NewReader("\x1f\x8b\x08\x00"))
		req.Header.Set("Content-Encoding", "gzip")
		if code, _, body := send(t, req); code != http.StatusUnsupportedMediaType || !strings.Contains(body, `Content-Encoding \"gzip\" is not supported`) {
			t.Errorf("%s, gzip: %d %s", path, code, body)
		}
	}
	req := request(t, "POST", srv.URL+"/v2/decide", strings.NewReader(`{"request": {"id": "r"}}`))
	req.Header.Set("Content-Encoding", "identity")
	if code, _, body := send(t, req); code != 200 {
		t.Errorf("identity: %d %s", code, body)
	}
	// Every header and every coding of a list counts: a second header
	// was ignored, and a gzip body read as JSON.
	for _, ce := range [][]string{{"identity", "gzip"}, {"identity, gzip"}} {
		req := request(t, "POST", srv.URL+"/v2/decide", strings.NewReader("\x1f\x8b\x08\x00"))
		req.Header["Content-Encoding"] = ce
		if code, _, body := send(t, req); code != http.StatusUnsupportedMediaType || !strings.Contains(body, `Content-Encoding \"gzip\" is not supported`) {
			t.Errorf("Content-Encoding %q: %d %s, want 415 naming gzip", ce, code, body)
		}
	}
}

// TestUncleanPathNotFound: a path that is not clean is answered 404 in
// JSON, as an unknown path is; the mux redirected it (307, no JSON, which
// a client posting a decision does not follow).
func TestUncleanPathNotFound(t *testing.T) {
	e, srv := serveWith(t, state.NewMem(state.Options{}), httpx.Config{})
	if _, err := e.LoadDir(context.Background(), examples); err != nil {
		t.Fatal(err)
	}
	// /v1 and /v2 themselves too: the mux redirected them to /v1/ and
	// /v2/.
	for _, p := range []string{"//v1/decide", "/v1/../v1/decide", "/v2/./decide", "/v2//decide", "/v1", "/v2"} {
		req := request(t, "POST", srv.URL+p, strings.NewReader(`{"request": {"id": "r"}}`))
		if code, _, body := send(t, req); code != http.StatusNotFound || !strings.Contains(body, `"ok":false`) {
			t.Errorf("%s: %d %s, want a JSON 404", p, code, body)
		}
	}
	if code, _, body := send(t, request(t, "POST", srv.URL+"/v2/decide", strings.NewReader(`{"request": {"id": "r"}}`))); code != 200 {
		t.Errorf("/v2/decide: %d %s", code, body)
	}
	// In CP1's shape when the cleaned path is under /v1/, as any.
	for _, p := range []string{"//v1/decide", "/v1/../v1/decide"} {
		if _, _, body := send(t, request(t, "POST", srv.URL+p, strings.NewReader(`{}`))); !strings.Contains(body, `"context":{"request_id":""}`) {
			t.Errorf("%s: %s, want CP1's shape", p, body)
		}
	}
}

// TestContentLength: every answer says its length, a batch's of more
// than the server's 2 KiB buffer too: it was sent chunked, which an
// HTTP/1.0 client (a load balancer's probe, a proxy) reads only to the
// connection's close, so it could not be kept alive. And the router's
// state (GET) is not cached.
func TestContentLength(t *testing.T) {
	e, srv := serveWith(t, state.NewMem(state.Options{}), httpx.Config{})
	if _, err := e.LoadDir(context.Background(), examples); err != nil {
		t.Fatal(err)
	}
	var batch strings.Builder
	batch.WriteString(`{"requests": [`)
	for i := range 20 {
		if i > 0 {
			batch.WriteString(",")
		}
		fmt.Fprintf(&batch, `{"request": {"id": "r%d", "tenant": {"id": "t"}, "task": {"type": "chat"}}}`, i)
	}
	batch.WriteString("]}")
	for _, req := range []*http.Request{
		request(t, "POST", srv.URL+"/v2/decide/batch", strings.NewReader(batch.String())),
		request(t, "POST", srv.URL+"/v2/decide", strings.NewReader(`{"request": {"id": "r", "tenant": {"id": "t"}, "task": {"type": "chat"}}}`)),
		request(t, "GET", srv.URL+"/v2/policies", nil),
		request(t, "GET", srv.URL+"/readyz", nil),
	} {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.ContentLength != int64(len(data)) || len(resp.TransferEncoding) > 0 {
			t.Errorf("%s %s: %d, Content-Length %d, Transfer-Encoding %v, %d bytes", req.Method, req.URL.Path, resp.StatusCode, resp.ContentLength, resp.TransferEncoding, len(data))
		}
		// The router's state is not to be cached by a proxy between it
		// and a probe or an operator.
		if cc := resp.Header.Get("Cache-Control"); req.Method == "GET" && cc != "no-store" {
			t.Errorf("%s %s: Cache-Control %q, want no-store", req.Method, req.URL.Path, cc)
		}
	}
}
