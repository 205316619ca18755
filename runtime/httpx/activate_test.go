package httpx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/httpx"
)

// TestActivateVersion: POST /v2/policies/activate activates a kept
// version named by the whole of it or a prefix, which becomes the top of
// the history (a rollback then returns to the version active before it),
// and refuses, the running version staying, a body that is not
// {"version": string}, a version not kept, a prefix too short, and a
// prefix several kept versions share.
func TestActivateVersion(t *testing.T) {
	e, srv := setup(t, httpx.Config{MaxBody: 4096})
	url := srv.URL + "/v2/policies/activate"
	if code, m, body := do(t, "POST", url, `{"version": "0123456789"}`); code != 404 || m["ok"] != false || !strings.Contains(body, `"code":"version_not_found"`) {
		t.Fatalf("before any load: %d %s", code, body)
	}
	versions := loadTargets(t, e, "a:1", "b:2", "c:3")
	history := func() (vs []string) {
		for _, s := range e.History() {
			vs = append(vs, s.Version)
		}
		return vs
	}
	// The first by its whole version, the second by 8 characters.
	for _, c := range []struct{ name, given, want string }{
		{"whole", versions[0], versions[0]},
		{"prefix", strings.ToUpper(versions[1][:8]), versions[1]}, // hex in either case
	} {
		code, m, body := do(t, "POST", url, fmt.Sprintf(`{"version": %q}`, c.given))
		if code != 200 || m["ok"] != true || m["version"] != c.want || m["source"] != e.Current().Source || e.Current().Version != c.want {
			t.Fatalf("%s: %d %s, want %.12s active", c.name, code, body, c.want)
		}
	}
	if got, want := history(), []string{versions[2], versions[0], versions[1]}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("history %.12q, want %.12q", got, want)
	}
	// A rollback takes no body, or one that names nothing ({ }, null);
	// one naming a version is refused, the version unchanged.
	if code, _, body := do(t, "POST", srv.URL+"/v2/policies/rollback", `{"version": "x"}`); code != 400 || e.Current().Version != versions[1] {
		t.Errorf("rollback naming a version: %d %s", code, body)
	}
	if code, m, body := do(t, "POST", srv.URL+"/v2/policies/rollback", " { } "); code != 200 || m["version"] != versions[0] {
		t.Errorf("rollback after the activations: %d %s, want %.12s", code, body, versions[0])
	}

	active := e.Current().Version
	for _, c := range []struct {
		name, body string
		status     int
		code, msg  string
	}{
		{"not json", `version`, 400, "invalid_request", `malformed JSON at byte 0: invalid character 'v' looking for beginning of value; want a JSON object {"version": "…"}`},
		{"cut short", `{"version": "abc"`, 400, "invalid_request", `malformed JSON at byte 17: unexpected end of JSON input; want a JSON object`},
		{"a comma too many", ` {"version": "abc",}`, 400, "invalid_request", `malformed JSON at byte 19: invalid character '}' looking for beginning of object key string; want`},
		{"no version", `{}`, 400, "invalid_request", `want a JSON object {"version": "…"}`},
		{"not a string", `{"version": 1}`, 400, "invalid_request", `want a JSON object`},
		{"unknown field", `{"version": "` + versions[2] + `", "force": true}`, 400, "invalid_request", `unknown field "force"; want a JSON object`},
		{"unknown field x", `{"version": "` + versions[2] + `", "x": 1}`, 400, "invalid_request", `unknown field "x"; want a JSON object {"version": "…"}`},
		{"unknown fields", `{"z": 1, "version": "` + versions[2] + `", "b": 1}`, 400, "invalid_request", `unknown field "z"; want`}, // the first in the body
		{"two objects", `{"version": "` + versions[2] + `"} {}`, 400, "invalid_request", `want a JSON object`},
		{"a stray brace", `{"version": "` + versions[2] + `"}}`, 400, "invalid_request", `want a JSON object`},
		{"a stray bracket", `{"version": "` + versions[2] + `"}]`, 400, "invalid_request", `want a JSON object`},
		{"too large", `{"version": "` + strings.Repeat("a", 5000) + `"}`, 413, "invalid_request", "too large"},
		{"not kept", `{"version": "` + strings.Repeat("f", 64) + `"}`, 404, "version_not_found", `no kept policy version is or begins with "ffff`},
		{"too short", `{"version": "` + versions[2][:7] + `"}`, 404, "version_not_found", "give the version, or 8 of its characters at least"},
		{"empty", `{"version": ""}`, 404, "version_not_found", "give the version, or 8 of its characters at least"},
	} {
		code, m, body := do(t, "POST", url, c.body)
		errObj, _ := m["error"].(map[string]any)
		if msg, _ := errObj["message"].(string); code != c.status || m["ok"] != false || errObj["code"] != c.code || !strings.Contains(msg, c.msg) {
			t.Errorf("%s: %d %s, want %d %s %q", c.name, code, body, c.status, c.code, c.msg)
		}
		if e.Current().Version != active {
			t.Fatalf("%s: the active version changed", c.name)
		}
	}
	// A key is version only when spelt so: encoding/json matched
	// VERSION (and verſion, ſ folding to s) to it, and of two the last,
	// where a proxy comparing keys exactly reads the first. Each is
	// refused, naming the key, the running version staying.
	for in, want := range map[string]string{
		`{"VERSION": 5}`: `unknown field "VERSION" (did you mean version?); want a JSON object`,
		`{"version": "` + versions[2] + `", "Version": "` + versions[0] + `"}`: `unknown field "Version" (did you mean version?); want`,
		`{"Version": "` + versions[0] + `", "version": "` + versions[2] + `"}`: `unknown field "Version" (did you mean version?); want`,
		`{"verſion": "` + versions[2] + `"}`:                                   `unknown field "verſion" (did you mean version?); want`,
		`{"version": "` + versions[2] + `", "version": "` + versions[0] + `"}`: `version: key given twice; want a JSON object`,
		// An escape spells the key as it is named.
		`{"versio\u006e": 5}`: `want a JSON object {"version": "…"}`,
	} {
		code, m, body := do(t, "POST", url, in)
		errObj, _ := m["error"].(map[string]any)
		if msg, _ := errObj["message"].(string); code != 400 || !strings.HasPrefix(msg, want) || e.Current().Version != active {
			t.Errorf("%s: %d %s, want 400 %q", in, code, body, want)
		}
	}
	if code, m, body := do(t, "POST", url, `{"versio\u006e": "`+versions[2]+`"}`); code != 200 || m["version"] != versions[2] {
		t.Fatalf("version spelt with an escape: %d %s", code, body)
	}
	// Two kept versions sharing 8 characters (sha256s hardly do: these
	// are made up, and never decide).
	for _, v := range []string{"abcdef01" + strings.Repeat("1", 56), "abcdef01" + strings.Repeat("2", 56)} {
		e.Activate(&runtime.Snapshot{Version: v})
	}
	if code, m, body := do(t, "POST", url, `{"version": "`+versions[0]+`"}`); code != 200 || m["version"] != versions[0] {
		t.Fatalf("back to a real version: %d %s", code, body)
	}
	if code, m, body := do(t, "POST", url, `{"version": "abcdef01"}`); code != 409 || m["error"].(map[string]any)["code"] != "ambiguous_version" ||
		m["error"].(map[string]any)["message"] != `policy version prefix names several kept versions: 2 begin with "abcdef01" (give more of it)` || e.Current().Version != versions[0] {
		t.Errorf("a shared prefix: %d %s", code, body)
	}
	if code, m, body := do(t, "POST", url, `{"version": "abcdef012"}`); code != 200 || m["version"] != "abcdef01"+strings.Repeat("2", 56) {
		t.Errorf("one more character: %d %s", code, body)
	}
	if code, _, body := do(t, "GET", url, ""); code != 405 {
		t.Errorf("GET: %d %s", code, body)
	}
}

// TestAdminToken: with Config.AdminToken, the policy admin endpoints
// answer 401 without the token (or with another), and serve with it; the
// decide, health and metrics endpoints stay open.
func TestAdminToken(t *testing.T) {
	e, srv := setup(t, httpx.Config{AdminToken: "s3cret"})
	if _, err := e.LoadDir(context.Background(), examples); err != nil {
		t.Fatal(err)
	}
	active := e.Current().Version
	admin := []struct{ method, path, body string }{
		{"GET", "/v2/policies", ""},
		{"POST", "/v2/policies/rollback", ""},
		{"POST", "/v2/policies/activate", `{"version": "` + active + `"}`},
		{"POST", "/v2/policies/reload", ""},
	}
	for _, auth := range []string{"", "Bearer wrong", "s3cret", "Basic s3cret", "Bearer s3cre", "Bearer s3cret2", "Bearer s3cret x", "Bearer\ts3cret"} {
		for _, a := range admin {
			req, _ := http.NewRequest(a.method, srv.URL+a.path, strings.NewReader(a.body))
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" || !strings.Contains(string(body), `"code":"unauthorized"`) {
				t.Errorf("%s %s with %q: %d %s", a.method, a.path, auth, resp.StatusCode, body)
			}
		}
	}
	for i, a := range admin {
		req, _ := http.NewRequest(a.method, srv.URL+a.path, strings.NewReader(a.body))
		// The scheme's case does not matter, nor the number of spaces
		// after it (RFC 6750: "Bearer" 1*SP b64token).
		req.Header.Set("Authorization", []string{"Bearer s3cret", "bearer s3cret", "Bearer  s3cret"}[i%3])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == 401 {
			t.Errorf("%s %s with the token: 401", a.method, a.path)
		}
	}
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		if code, _, body := do(t, "GET", srv.URL+path, ""); code != 200 {
			t.Errorf("%s without a token: %d %s", path, code, body)
		}
	}
	if code, _, body := do(t, "POST", srv.URL+"/v1/decide", `{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "chat"}}`); code != 200 {
		t.Errorf("decide without a token: %d %s", code, body)
	}
}

// TestPoliciesConsistent: GET /v2/policies while versions are activated
// and rolled back shows one state: the version its status names is the
// one marked active, the newest of the history, and in it once; none is
// both kept and rolled back. It read the status, the history and the
// rolled back apart, an activation free to come between.
func TestPoliciesConsistent(t *testing.T) {
	e, srv := setup(t, httpx.Config{MaxBody: 4096})
	versions := loadTargets(t, e, "a:1", "b:2")
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if i%2 == 0 {
				e.Rollback()
			} else {
				e.ActivateVersion(versions[1])
			}
		}
	}()
	defer func() { close(stop); <-done }()
	for range 300 {
		var got struct {
			Status   struct{ Version string }
			Versions []struct {
				Version    string
				Active     bool
				RolledBack bool `json:"rolled_back"`
			}
		}
		code, _, body := do(t, "GET", srv.URL+"/v2/policies", "")
		if code != 200 || json.Unmarshal([]byte(body), &got) != nil {
			t.Fatalf("GET /v2/policies: %d %s", code, body)
		}
		active, seen := 0, map[string]bool{}
		for i, v := range got.Versions {
			if v.Active {
				active++
				if v.Version != got.Status.Version || i != 0 {
					t.Fatalf("%.12s marked active at %d, the status naming %.12s: %s", v.Version, i, got.Status.Version, body)
				}
			}
			if seen[v.Version] {
				t.Fatalf("%.12s listed twice: %s", v.Version, body)
			}
			seen[v.Version] = true
		}
		if active != 1 {
			t.Fatalf("%d versions marked active: %s", active, body)
		}
	}
}

// TestAdminUnauthorizedCounted: an admin request refused without the
// admin token is counted (rpl_refused_total{reason="unauthorized"}) and
// logged at WARN, once a minute at most, naming where it came from and
// never the token it gave.
func TestAdminUnauthorizedCounted(t *testing.T) {
	var logs bytes.Buffer
	_, srv := setup(t, httpx.Config{AdminToken: "s3cret", Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	for _, token := range []string{"", "guessed-token", "another-guess"} {
		req, _ := http.NewRequest("GET", srv.URL+"/v2/targets", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Fatalf("token %q: %d", token, resp.StatusCode)
		}
	}
	if _, _, body := do(t, "GET", srv.URL+"/metrics", ""); !strings.Contains(body, `rpl_refused_total{reason="unauthorized",transport="http"} 3`) {
		t.Errorf("not counted:\n%s", body)
	}
	log := logs.String()
	if strings.Count(log, "level=WARN") != 1 || !strings.Contains(log, "remote=127.0.0.1:") || !strings.Contains(log, "path=/v2/targets") || strings.Contains(log, "guess") {
		t.Errorf("the refusals' log:\n%s", log)
	}
}
