package httpx_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/httpx"
)

// TestLiveStateWithoutState: an engine without a live state has no
// provider health or spend to show: GET /v2/targets and /v2/spend answer
// 404 no_state, saying so, not an empty list or $0 (which would read as
// a healthy fleet and a tenant that spent nothing); another method is
// 405.
func TestLiveStateWithoutState(t *testing.T) {
	e, err := runtime.New(runtime.Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpx.New(e, httpx.Config{}))
	defer srv.Close()
	for _, path := range []string{"/v2/targets", "/v2/spend?tenant=acme"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var v struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if json.Unmarshal(data, &v) != nil || resp.StatusCode != 404 || v.Error.Code != "no_state" {
			t.Errorf("GET %s: %d %s, want 404 no_state", path, resp.StatusCode, data)
		}
		resp, err = http.Post(srv.URL+path, "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("POST %s: %d Allow %q, want 405 GET, HEAD", path, resp.StatusCode, resp.Header.Get("Allow"))
		}
	}
}
