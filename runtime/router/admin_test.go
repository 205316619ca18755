package router_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/runtime/router"
)

// policiesView is GET /v2/policies: the engine's status (the active
// version, its policies, the last load error) and the kept versions,
// newest first.
type policiesView struct {
	Status struct {
		Ready     bool     `json:"ready"`
		Version   string   `json:"version"`
		Policies  []string `json:"policies"`
		LastError string   `json:"last_error"`
	} `json:"status"`
	Versions []struct {
		Version    string    `json:"version"`
		Source     string    `json:"source"`
		Built      time.Time `json:"built"`
		Policies   []string  `json:"policies"`
		Active     bool      `json:"active"`
		RolledBack bool      `json:"rolled_back"`
	} `json:"versions"`
	Sources struct {
		Local *struct {
			Path    string `json:"path"`
			Version string `json:"version"`
		} `json:"local"`
		Bucket *struct {
			Revision uint64 `json:"revision"`
		} `json:"bucket"`
		BucketRefused *struct {
			Error string `json:"error"`
		} `json:"bucket_refused"`
	} `json:"sources"`
}

func getPolicies(t *testing.T, addr string) policiesView {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/v2/policies")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var v policiesView
	if resp.StatusCode != 200 || json.Unmarshal(data, &v) != nil {
		t.Fatalf("GET /v2/policies: %d %s", resp.StatusCode, data)
	}
	return v
}

const chat = `{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "chat"}}`

// TestAdminPoliciesAndRollback: through the router's HTTP, GET
// /v2/policies lists the active version, its policies and the kept
// versions; POST /v2/policies/rollback reactivates the previous version,
// which is saved as the last good version: a restart with the same data
// directory and no policy source comes up on it.
func TestAdminPoliciesAndRollback(t *testing.T) {
	data := t.TempDir()
	dir := copyExamples(t)
	r, err := router.Start(context.Background(), router.Options{Policies: dir, DataDir: data, HTTP: "127.0.0.1:0", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown(context.Background())
	addr := r.HTTPAddr()
	v1 := r.Engine.Current().Version
	p1 := r.Engine.Current().PolicyIDs()
	if !slices.Contains(p1, "default") || !slices.Contains(p1, "premium") {
		t.Fatalf("example policies %v", p1)
	}

	// v2: another default target (without the tests that expect the
	// old one: a load runs the policies' tests) and one more policy.
	src, err := os.ReadFile(filepath.Join(dir, "default.rpl"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "default.rpl"), []byte(strings.Replace(string(src), `const small = "openai:gpt-4o-mini"`, `const small = "mistral:small"`, 1)), 0o644)
	os.WriteFile(filepath.Join(dir, "default_test.rpl"), []byte("package default\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "extra.rpl"), []byte("package extra\n\nfn route(r: Request) -> Decision = to(\"x:y\")\n"), 0o644)
	v2 := waitVersion(t, r, v1)
	for !slices.Contains(r.Engine.Current().PolicyIDs(), "extra") { // both files read
		v2 = waitVersion(t, r, v2)
	}
	// A broken change: every later reload of the directory fails, so
	// none can reactivate v2 behind the rollback's back.
	os.WriteFile(filepath.Join(dir, "broken.rpl"), []byte("package broken\nfn route(r: Request) -> Decision = to(r.nope)\n"), 0o644)
	if _, err := r.Reload(context.Background()); err == nil {
		t.Fatal("a broken policy loaded")
	}
	p2 := append(slices.Clone(p1), "extra")
	slices.Sort(p2)

	v := getPolicies(t, addr)
	if !v.Status.Ready || v.Status.Version != v2 || !slices.Equal(v.Status.Policies, p2) {
		t.Errorf("status: ready %v version %.12s policies %v, want %.12s %v", v.Status.Ready, v.Status.Version, v.Status.Policies, v2, p2)
	}
	if !strings.Contains(v.Status.LastError, "broken.rpl") {
		t.Errorf("status: last_error %q, want the broken reload's", v.Status.LastError)
	}
	// What the router took from its sources: the directory's v2.
	if l := v.Sources.Local; l == nil || l.Version != v2 || l.Path != dir || v.Sources.Bucket != nil {
		t.Errorf("sources: %+v, want the directory %s at %.12s", v.Sources, dir, v2)
	}
	if len(v.Versions) != 2 {
		t.Fatalf("versions: %+v, want v2 and v1", v.Versions)
	}
	for i, want := range []struct {
		version  string
		policies []string
		active   bool
	}{{v2, p2, true}, {v1, p1, false}} {
		got := v.Versions[i]
		if got.Version != want.version || !slices.Equal(got.Policies, want.policies) || got.Active != want.active || got.Source != dir || got.Built.IsZero() {
			t.Errorf("versions[%d]: %+v, want %.12s %v active %v source %s", i, got, want.version, want.policies, want.active, dir)
		}
	}
	if !v.Versions[0].Built.After(v.Versions[1].Built) {
		t.Errorf("versions not newest first: built %v, then %v", v.Versions[0].Built, v.Versions[1].Built)
	}

	// A rollback takes no body: one naming a version is refused, not
	// ignored.
	resp, err := http.Post("http://"+addr+"/v2/policies/rollback", "application/json", strings.NewReader(`{"version": "`+v2[:8]+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "rollback takes no body") {
		t.Fatalf("rollback with a body: %d %s", resp.StatusCode, body)
	}
	if v := getPolicies(t, addr); v.Status.Version != v2 {
		t.Fatalf("after a refused rollback %.12s is active, want %.12s", v.Status.Version, v2)
	}

	// Rollback to v1.
	resp, err = http.Post("http://"+addr+"/v2/policies/rollback", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	var rb struct {
		OK       bool     `json:"ok"`
		Version  string   `json:"version"`
		Policies []string `json:"policies"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(body, &rb) != nil || !rb.OK || rb.Version != v1 || !slices.Equal(rb.Policies, p1) {
		t.Fatalf("rollback: %d %s", resp.StatusCode, body)
	}
	// v2 is listed still, rolled back: activate puts it back, should the
	// rollback have been a mistake.
	v = getPolicies(t, addr)
	if v.Status.Version != v1 || !slices.Equal(v.Status.Policies, p1) || len(v.Versions) != 2 || v.Versions[0].Version != v1 || !v.Versions[0].Active ||
		v.Versions[1].Version != v2 || v.Versions[1].Active || !v.Versions[1].RolledBack {
		t.Errorf("after the rollback: %+v", v)
	}
	if out := post(t, addr, "/v1/decide", chat); !strings.Contains(out, `"ok":true`) || !strings.Contains(out, v1) || strings.Contains(out, "mistral:small") {
		t.Errorf("decide after the rollback: %s", out)
	}
	// Nothing is left to roll back to.
	resp, err = http.Post("http://"+addr+"/v2/policies/rollback", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("a second rollback: %s, want 409", resp.Status)
	}
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	// Restart on the data directory alone: the rolled-back version.
	r2, err := router.Start(context.Background(), router.Options{DataDir: data, NoNATS: true, HTTP: "127.0.0.1:0", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Shutdown(context.Background())
	v = getPolicies(t, r2.HTTPAddr())
	if v.Status.Version != v1 || !slices.Equal(v.Status.Policies, p1) {
		t.Errorf("after the restart: version %.12s policies %v, want the rolled-back %.12s %v (v2 %.12s)", v.Status.Version, v.Status.Policies, v1, p1, v2)
	}
	if out := post(t, r2.HTTPAddr(), "/v1/decide", chat); !strings.Contains(out, v1) || strings.Contains(out, "mistral:small") {
		t.Errorf("decide after the restart: %s", out)
	}
}

// TestAdminActivate: POST /v2/policies/activate puts back a kept version
// other than the previous one, and it is the last good version: a restart
// on the same directory, unchanged since, comes up on it, as after a
// rollback.
func TestAdminActivate(t *testing.T) {
	data := t.TempDir()
	dir := copyExamples(t)
	opts := router.Options{Policies: dir, DataDir: data, NoNATS: true, HTTP: "127.0.0.1:0", Logger: quiet()}
	r, err := router.Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown(context.Background())
	versions := []string{r.Engine.Current().Version}
	for i := range 2 {
		os.WriteFile(filepath.Join(dir, "extra.rpl"), fmt.Appendf(nil, "package extra\n\nfn route(r: Request) -> Decision = to(\"x:%d\")\n", i), 0o644)
		versions = append(versions, waitVersion(t, r, versions[len(versions)-1]))
	}
	out := post(t, r.HTTPAddr(), "/v2/policies/activate", `{"version": "`+versions[0][:12]+`"}`)
	if !strings.Contains(out, `"ok":true`) || !strings.Contains(out, versions[0]) || r.Engine.Current().Version != versions[0] {
		t.Fatalf("activate %.12s: %s", versions[0], out)
	}
	if v := getPolicies(t, r.HTTPAddr()); len(v.Versions) != 3 || v.Versions[0].Version != versions[0] || !v.Versions[0].Active {
		t.Errorf("versions after the activation: %+v", v.Versions)
	}
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	r2, err := router.Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Shutdown(context.Background())
	if got := r2.Engine.Current().Version; got != versions[0] {
		t.Errorf("after a restart: %.12s, want the activated %.12s (the directory's is %.12s)", got, versions[0], versions[2])
	}
}

// TestAdminTokenWired: Options.AdminToken guards the router's policy
// admin endpoints; a router listening beyond loopback without one warns
// that they are open, and one on loopback or with a token does not.
func TestAdminTokenWired(t *testing.T) {
	for _, c := range []struct {
		http, token string
		warn        bool
	}{
		{"0.0.0.0:0", "", true},
		{"0.0.0.0:0", "s3cret", false},
		{"127.0.0.1:0", "", false},
	} {
		var logs logBuffer
		r, err := router.Start(context.Background(), router.Options{Policies: "../../examples/policies", NoNATS: true, DataDir: t.TempDir(), HTTP: c.http, AdminToken: c.token,
			Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		if warned := strings.Contains(logs.String(), "admin endpoints open"); warned != c.warn {
			t.Errorf("%s, token %q: warned %v, want %v: %s", c.http, c.token, warned, c.warn, logs.String())
		}
		_, port, _ := net.SplitHostPort(r.HTTPAddr())
		resp, err := http.Get("http://127.0.0.1:" + port + "/v2/policies")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := map[bool]int{true: 401, false: 200}[c.token != ""]; resp.StatusCode != want {
			t.Errorf("%s, token %q: GET /v2/policies %d, want %d", c.http, c.token, resp.StatusCode, want)
		}
		r.Shutdown(context.Background())
	}
}

// TestLocalActivationLogged: a rollback and an activation of a kept
// version over HTTP are logged as this router's own, with the client's
// address: the log said only "policy version active" with the version's
// source (a bucket revision), as for a push to the fleet.
func TestLocalActivationLogged(t *testing.T) {
	var logs logBuffer
	r := startRouter(t, router.Options{Policies: copyExamples(t), DataDir: t.TempDir(), NATSListen: "127.0.0.1:0", HTTP: "127.0.0.1:0", NoLog: true,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	waitUntil(t, "the bundle watch's start", r.BundleSynced)
	dir := r.Engine.Current()
	pushed := buildPushed(t, "pushed", bundle.BuildOptions{})
	rev := pushTo(t, r, pushed.Data)
	waitUntil(t, "the push", func() bool { return r.BundleRevision() == rev })
	line := func(what, msg, version, source string) {
		t.Helper()
		l := grepLines(logs.String(), msg)
		if l == "" || !strings.Contains(l, "version="+version[:12]) || !strings.Contains(l, "source="+source) || !strings.Contains(l, "remote=127.0.0.1:") {
			t.Errorf("%s, logged as %q; the log:\n%s", what, l, logs.String())
		}
	}
	rollback(t, r)
	line("a rollback", "local rollback over HTTP", dir.Version, dir.Source)
	if out := post(t, r.HTTPAddr(), "/v2/policies/activate", `{"version": "`+pushed.Bundle.Version()[:12]+`"}`); !strings.Contains(out, `"ok":true`) {
		t.Fatalf("activate: %s", out)
	}
	line("an activation", "local activation over HTTP", pushed.Bundle.Version(), "nats:rpl_bundles/current@1")
}
