package router_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/runtime/router"
)

// getJSON is a GET of path, its status and decoded body, with
// Authorization: Bearer token when token is not "".
func getJSON(t *testing.T, addr, path, token string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("GET %s: %d %s: %v", path, resp.StatusCode, data, err)
	}
	return resp.StatusCode, v
}

// TestLiveStateEndpoints: through the router's HTTP, GET /v2/targets lists
// each target's health as its decisions read it (requests, errors, error
// rate, latency, breaker), sorted by target and paged by after; GET
// /v2/spend?tenant=ID the tenant's spend today and this month, charged
// from feedback's cost or its tokens at the catalogue's price, and the
// budget tenants.json gives it. Both are admin endpoints: with
// --admin-token, a request without it is refused 401; a bad query is
// 400, naming it.
func TestLiveStateEndpoints(t *testing.T) {
	dir := copyExamples(t)
	for name, data := range map[string]string{
		"catalogue.json": `{"providers": [{"name": "openai", "latency_ms": 900, "models": [
  {"name": "gpt-4o", "input_per_mtok": "2.50", "output_per_mtok": "10.00"}]}]}`,
		"tenants.json": `{"tenants": [{"id": "org"}, {"id": "acme", "parents": ["org"], "budget": {"monthly": "30", "daily": "$2.5"}}]}`,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const token = "s3cret"
	r := startRouter(t, router.Options{Policies: dir, DataDir: t.TempDir(), HTTP: "127.0.0.1:0", NoNATS: true, AdminToken: token, Logger: quiet()})
	addr := r.HTTPAddr()
	for _, fb := range []string{
		`{"request_id": "1", "tenant_id": "acme", "target": "openai:gpt-4o", "status": "ok", "latency_ms": 200, "tokens_in": 1000000, "tokens_out": 500000}`,
		`{"request_id": "2", "tenant_id": "acme", "target": "openai:gpt-4o", "status": "http_5xx", "cost": "$0.25"}`,
		`{"request_id": "3", "tenant_id": "acme", "target": "anthropic:claude", "status": "ok", "latency_ms": 100, "tokens_in": 1000}`,
	} {
		if out := post(t, addr, "/v2/feedback", fb); !strings.Contains(out, `"recorded":1`) {
			t.Fatalf("feedback %s: %s", fb, out)
		}
	}

	for _, path := range []string{"/v2/targets", "/v2/spend?tenant=acme"} {
		if code, v := getJSON(t, addr, path, ""); code != 401 || v["ok"] != false {
			t.Errorf("GET %s without the token: %d %v, want 401", path, code, v)
		}
	}

	code, v := getJSON(t, addr, "/v2/targets", token)
	if code != 200 || v["total"] != 2.0 || v["next"] != nil {
		t.Fatalf("GET /v2/targets: %d %v", code, v)
	}
	list := v["targets"].([]any)
	first, second := list[0].(map[string]any), list[1].(map[string]any)
	if first["target"] != "anthropic:claude" || second["target"] != "openai:gpt-4o" {
		t.Errorf("not sorted by target: %v", list)
	}
	if second["requests"] != 2.0 || second["errors"] != 1.0 || second["healthy"] != true || second["breaker"] != "closed" ||
		second["error_rate"].(float64) <= 0 || second["p50_ms"].(float64) < 200 || second["p99_ms"].(float64) < 200 {
		t.Errorf("openai:gpt-4o: %v", second)
	}
	if _, v := getJSON(t, addr, "/v2/targets?after=anthropic:claude", token); len(v["targets"].([]any)) != 1 || v["targets"].([]any)[0].(map[string]any)["target"] != "openai:gpt-4o" {
		t.Errorf("after anthropic:claude: %v", v)
	}

	code, v = getJSON(t, addr, "/v2/spend?tenant=acme", token)
	// $7.50 for the tokens, $0.25 given; the unpriced target's tokens
	// charge nothing.
	if code != 200 || v["tenant"] != "acme" || v["day"] != "$7.75" || v["month"] != "$7.75" || v["registered"] != true ||
		v["budget"].(map[string]any)["monthly"] != "$30.00" || v["budget"].(map[string]any)["daily"] != "$2.50" {
		t.Errorf("GET /v2/spend?tenant=acme: %d %v", code, v)
	}
	// The parent's spend is its own: no roll-up.
	if _, v := getJSON(t, addr, "/v2/spend?tenant=org", token); v["month"] != "$0.00" || v["registered"] != true || len(v["budget"].(map[string]any)) != 0 {
		t.Errorf("GET /v2/spend?tenant=org: %v", v)
	}
	if _, v := getJSON(t, addr, "/v2/spend?tenant=nobody", token); v["month"] != "$0.00" || v["registered"] != false || v["budget"] != nil {
		t.Errorf("GET /v2/spend?tenant=nobody: %v", v)
	}

	for path, want := range map[string]string{
		"/v2/spend":                   "query: tenant is required",
		"/v2/spend?tenant=":           "query: tenant is required",
		"/v2/spend?tenant=a&tenant=b": "query: tenant given 2 times",
		"/v2/spend?tenant=" + strings.Repeat("x", 257): "query: tenant: longer than 256 bytes",
		"/v2/targets?limit=5":                          `query: unknown parameter "limit" (/v2/targets takes after)`,
		"/v2/targets?after=%zz":                        "query: invalid URL escape",
		"/v2/spend?tenant=%ff":                         "query: tenant is not UTF-8",
		"/v2/targets?after=a%c3":                       "query: after is not UTF-8",
	} {
		code, v := getJSON(t, addr, path, token)
		e, _ := v["error"].(map[string]any)
		msg, _ := e["message"].(string)
		if code != 400 || !strings.HasPrefix(msg, want) {
			t.Errorf("GET %.40s: %d %q, want 400 %q", path, code, msg, want)
		}
	}
}
