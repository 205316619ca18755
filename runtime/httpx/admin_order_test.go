package httpx_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/httpx"
)

// TestAdminAnswerOrder: the policy admin endpoints answer with "ok" first,
// as decide and feedback do, and an activation as docs/router.md shows it:
// {"ok":true,"version":…,"source":…,"policies":[…]}.
func TestAdminAnswerOrder(t *testing.T) {
	e, srv := setup(t, httpx.Config{MaxBody: 4096})
	if code, _, body := do(t, "POST", srv.URL+"/v2/policies/rollback", ""); code != 409 || !strings.HasPrefix(body, `{"ok":false,"error":{"code":"no_previous_version","message":`) {
		t.Errorf("rollback refused: %d %s", code, body)
	}
	versions := loadTargets(t, e, "a:1", "b:2")
	want := `{"ok":true,"version":"` + versions[0] + `","source":`
	if code, _, body := do(t, "POST", srv.URL+"/v2/policies/rollback", ""); code != 200 || !strings.HasPrefix(body, want) || !strings.HasSuffix(strings.TrimSpace(body), `,"policies":["default"]}`) {
		t.Errorf("rollback: %d %s, want %s…,\"policies\":[\"default\"]}", code, body, want)
	}
}

// TestReadyzOrder: /readyz answers "ready" first, then why not (it
// answered {"last_error":…,"ready":false}), or the version.
func TestReadyzOrder(t *testing.T) {
	e, srv := setup(t, httpx.Config{MaxBody: 4096})
	// Nothing loaded, nothing failed: why not ready (it said
	// "last_error":"").
	if code, _, body := do(t, "GET", srv.URL+"/readyz", ""); code != 503 || strings.TrimSpace(body) != `{"ready":false,"reason":"no policy version is active"}` {
		t.Errorf("before any version: %d %s", code, body)
	}
	if _, err := e.LoadDir(context.Background(), t.TempDir()); err == nil {
		t.Fatal("an empty directory loaded")
	}
	if code, _, body := do(t, "GET", srv.URL+"/readyz", ""); code != 503 || !strings.HasPrefix(body, `{"ready":false,"last_error":"`) || strings.Contains(body, `"last_error":""`) {
		t.Errorf("after a failed load: %d %s", code, body)
	}
	v := loadTargets(t, e, "a:b")[0]
	if code, _, body := do(t, "GET", srv.URL+"/readyz", ""); code != 200 || strings.TrimSpace(body) != `{"ready":true,"version":"`+v+`"}` {
		t.Errorf("ready: %d %s", code, body)
	}
}

// TestAdminWrongToken: a bearer token that is not the router's is told
// so; it was answered that a token is needed, as if none had been sent.
// The scheme and the token may be apart by more than a space (RFC 6750's
// 1*SP): the router's token so sent was answered 401, not the router's;
// and "Bearer" alone is told it has no token, not that its token is not
// the router's.
func TestAdminWrongToken(t *testing.T) {
	_, srv := setup(t, httpx.Config{MaxBody: 4096, AdminToken: "s3cret"})
	for auth, want := range map[string]string{
		"":               "need Authorization: Bearer TOKEN",
		"Basic abc":      "need Authorization: Bearer TOKEN",
		"Bearer wrong":   "is not the router's --admin-token",
		"bearer s3cre":   "is not the router's --admin-token",
		"Bearer":         "Authorization: Bearer gives no token",
		"Bearer s3cret":  "",
		"Bearer  s3cret": "",
	} {
		req, _ := http.NewRequest("GET", srv.URL+"/v2/policies", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want == "" {
			if resp.StatusCode != 200 {
				t.Errorf("%q: %d %s", auth, resp.StatusCode, body)
			}
			continue
		}
		if resp.StatusCode != 401 || !strings.Contains(string(body), want) || strings.Contains(string(body), "s3cret") {
			t.Errorf("%q: %d %s, want 401 saying %q", auth, resp.StatusCode, body, want)
		}
	}
	// Given twice, refused, the right token first: a proxy in front may
	// have checked the second.
	req, _ := http.NewRequest("GET", srv.URL+"/v2/policies", nil)
	req.Header.Add("Authorization", "Bearer s3cret")
	req.Header.Add("Authorization", "Bearer wrong")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.Contains(string(body), "Authorization is given more than once") {
		t.Errorf("Authorization twice: %d %s, want 401", resp.StatusCode, body)
	}
}

// TestPoliciesReadyAsReadyz: the status of GET /v2/policies says ready as
// /readyz does: not while NATS is not subscribed or the process shuts
// down, a version active all the same (it said ready, /readyz 503).
func TestPoliciesReadyAsReadyz(t *testing.T) {
	var draining atomic.Bool
	var notReady atomic.Pointer[error]
	e, srv := setup(t, httpx.Config{MaxBody: 4096, Draining: draining.Load, NotReady: func() error {
		if p := notReady.Load(); p != nil {
			return *p
		}
		return nil
	}})
	loadTargets(t, e, "a:b")
	subscribing := errors.New("NATS subjects not subscribed yet")
	for _, c := range []struct {
		name   string
		set    func()
		readyz int
		ready  bool
	}{
		{"ready", func() {}, 200, true},
		{"not subscribed", func() { notReady.Store(&subscribing) }, 503, false},
		{"shutting down", func() { notReady.Store(nil); draining.Store(true) }, 503, false},
	} {
		c.set()
		code, _, body := do(t, "GET", srv.URL+"/readyz", "")
		var got struct{ Status struct{ Ready bool } }
		_, _, pol := do(t, "GET", srv.URL+"/v2/policies", "")
		if err := json.Unmarshal([]byte(pol), &got); err != nil || code != c.readyz || got.Status.Ready != c.ready {
			t.Errorf("%s: /readyz %d %s, /v2/policies %s; want %d and ready %v", c.name, code, body, pol, c.readyz, c.ready)
		}
	}
}

// TestAdminCompressedBody: an admin body with a Content-Encoding is 415,
// naming it, as a decide body's is, and activates nothing; it was 400,
// "want a JSON object", which did not say why.
func TestAdminCompressedBody(t *testing.T) {
	var reloads atomic.Int64
	e, srv := setup(t, httpx.Config{MaxBody: 4096, Reload: func(context.Context) (*runtime.Snapshot, error) {
		reloads.Add(1)
		return nil, errors.New("reloaded")
	}})
	versions := loadTargets(t, e, "a:1", "b:2")
	for path, body := range map[string]string{"/v2/policies/activate": `{"version": "` + versions[0] + `"}`, "/v2/policies/rollback": "", "/v2/policies/reload": ""} {
		req, err := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Encoding", "gzip")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := `{"ok":false,"error":{"code":"invalid_request","message":"Content-Encoding \"gzip\" is not supported: send the JSON body uncompressed"}}`; resp.StatusCode != 415 || strings.TrimSpace(string(out)) != want || e.Current().Version != versions[1] {
			t.Errorf("%s gzip: %d %s (active %.12s), want 415 %s", path, resp.StatusCode, out, e.Current().Version, want)
		}
	}
	if n := reloads.Load(); n != 0 {
		t.Errorf("a compressed reload reloaded (%d)", n)
	}
}

// TestReloadNamesNothing: a reload takes no body, as a rollback: one
// naming anything (a version, a directory) is refused 400, nothing
// reloaded, where it was ignored and the policy source activated
// instead of what it named; none, { } or null reload.
func TestReloadNamesNothing(t *testing.T) {
	var reloads atomic.Int64
	e, srv := setup(t, httpx.Config{MaxBody: 4096, Reload: func(context.Context) (*runtime.Snapshot, error) {
		reloads.Add(1)
		return nil, errors.New("the source is broken")
	}})
	loadTargets(t, e, "a:1", "b:2")
	for _, body := range []string{`{"version": "abc"}`, `{"dir": "/etc/rpl/other"}`, `[1]`, `not json`} {
		code, m, out := do(t, "POST", srv.URL+"/v2/policies/reload", body)
		errObj, _ := m["error"].(map[string]any)
		if msg, _ := errObj["message"].(string); code != 400 || errObj["code"] != "invalid_request" || !strings.HasPrefix(msg, "reload takes no body: ") || reloads.Load() != 0 {
			t.Errorf("%s: %d %s (%d reloads), want 400 reload takes no body", body, code, out, reloads.Load())
		}
	}
	for i, body := range []string{"", " { } ", "null"} {
		if code, _, out := do(t, "POST", srv.URL+"/v2/policies/reload", body); code != 422 || reloads.Load() != int64(i+1) {
			t.Errorf("%q: %d %s (%d reloads), want 422 after a reload", body, code, out, reloads.Load())
		}
	}
}

// TestAdminUnreadableBody: a rollback or reload whose body cannot be read
// (a malformed chunk) is answered 400 naming the error, as activate
// answers it, and nothing is done; it was answered that the endpoint
// takes no body. One over the limit still names something: no body
// taken.
func TestAdminUnreadableBody(t *testing.T) {
	var reloads atomic.Int64
	e, srv := setup(t, httpx.Config{MaxBody: 64, Reload: func(context.Context) (*runtime.Snapshot, error) {
		reloads.Add(1)
		return nil, errors.New("the source is broken")
	}})
	loadTargets(t, e, "a:1", "b:2")
	version := e.Current().Version
	for _, path := range []string{"/v2/policies/rollback", "/v2/policies/reload", "/v2/policies/activate"} {
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n", path)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		c.Close()
		if want := `{"ok":false,"error":{"code":"invalid_request","message":"invalid byte in chunk length"}}` + "\n"; resp.StatusCode != 400 || string(out) != want {
			t.Errorf("%s, a malformed chunk: %d %s, want 400 %s", path, resp.StatusCode, out, want)
		}
	}
	if reloads.Load() != 0 || e.Current().Version != version {
		t.Errorf("done all the same: %d reloads, version %s (was %s)", reloads.Load(), e.Current().Version, version)
	}
	code, m, out := do(t, "POST", srv.URL+"/v2/policies/rollback", strings.Repeat(" ", 100))
	if errObj, _ := m["error"].(map[string]any); code != 400 || !strings.HasPrefix(errObj["message"].(string), "rollback takes no body: ") {
		t.Errorf("a body over the limit: %d %s, want 400 rollback takes no body", code, out)
	}
}
