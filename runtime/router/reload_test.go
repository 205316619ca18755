package router_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime/router"
)

// reloadAnswer is POST /v2/policies/reload's answer.
type reloadAnswer struct {
	OK       bool     `json:"ok"`
	Version  string   `json:"version"`
	Source   string   `json:"source"`
	Policies []string `json:"policies"`
	Error    struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func reload(t *testing.T, addr string) (int, reloadAnswer) {
	t.Helper()
	resp, err := http.Post("http://"+addr+"/v2/policies/reload", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var a reloadAnswer
	if err := json.Unmarshal(data, &a); err != nil || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("POST /v2/policies/reload: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), data)
	}
	return resp.StatusCode, a
}

// TestReloadAfterRollback: after a rollback, the unchanged policy
// directory is activated again by POST /v2/policies/reload (a save of
// the directory unchanged does not: the later activation stays), and
// /v2/policies shows it active; after a restart that kept the rollback
// too, when the directory's version is no longer kept. There was no way
// but to edit the directory. A directory that does not build is refused,
// the running version staying; a router without a directory or bundle
// file has nothing to reload.
func TestReloadAfterRollback(t *testing.T) {
	data, dir := t.TempDir(), copyExamples(t)
	opt := router.Options{Policies: dir, DataDir: data, HTTP: "127.0.0.1:0", Logger: quiet()}
	r := startRouter(t, opt)
	v1 := r.Engine.Current().Version
	appendTo(t, filepath.Join(dir, "default.rpl"), "edited")
	v2 := waitVersion(t, r, v1)
	policies := r.Engine.Current().PolicyIDs()
	rollback(t, r)
	// Saved unchanged, the directory stays behind the rollback.
	now := time.Now()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		os.Chtimes(filepath.Join(dir, e.Name()), now, now)
	}

	reloaded := func(r *router.Router, what string) {
		t.Helper()
		code, a := reload(t, r.HTTPAddr())
		if code != 200 || !a.OK || a.Version != v2 || a.Source != dir || !slices.Equal(a.Policies, policies) {
			t.Fatalf("%s: reload %d %+v, want %.12s from %s", what, code, a, v2, dir)
		}
		v := getPolicies(t, r.HTTPAddr())
		if v.Status.Version != v2 || len(v.Versions) == 0 || v.Versions[0].Version != v2 || !v.Versions[0].Active || v.Sources.Local == nil || v.Sources.Local.Version != v2 {
			t.Fatalf("%s: /v2/policies %+v, want %.12s active", what, v, v2)
		}
		for _, ver := range v.Versions[1:] {
			if ver.Active {
				t.Errorf("%s: %.12s active too", what, ver.Version)
			}
		}
		if out := post(t, r.HTTPAddr(), "/v1/decide", chat); !strings.Contains(out, v2) {
			t.Errorf("%s: decide %s, want %.12s", what, out, v2)
		}
	}
	reloaded(r, "after a rollback")

	// A restart keeps a rollback: the directory's version is gone.
	rollback(t, r)
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	r = startRouter(t, opt)
	if v := getPolicies(t, r.HTTPAddr()); v.Status.Version != v1 || len(v.Versions) != 1 {
		t.Fatalf("restarted after a rollback: %+v, want %.12s alone", v, v1)
	}
	reloaded(r, "after a restart that kept a rollback")

	// A directory that does not build: refused, v2 stays.
	os.WriteFile(filepath.Join(dir, "broken.rpl"), []byte("package broken\nfn route(r: Request) -> Decision = to(r.nope)\n"), 0o644)
	if code, a := reload(t, r.HTTPAddr()); code != http.StatusUnprocessableEntity || a.OK || a.Error.Code != "reload_failed" || !strings.Contains(a.Error.Message, "broken.rpl") {
		t.Errorf("reload of a broken directory: %d %+v, want 422 reload_failed naming broken.rpl", code, a)
	}
	if v := r.Engine.Current().Version; v != v2 {
		t.Errorf("after a refused reload: %.12s active, want %.12s", v, v2)
	}
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	// No directory nor bundle file: nothing to reload.
	r = startRouter(t, router.Options{DataDir: data, NoNATS: true, HTTP: "127.0.0.1:0", Logger: quiet()})
	if code, a := reload(t, r.HTTPAddr()); code != http.StatusConflict || a.OK || a.Error.Code != "no_source" || !strings.Contains(a.Error.Message, "--policies") {
		t.Errorf("reload without a source: %d %+v, want 409 no_source", code, a)
	}
}

// TestReloadCutShortNotAFailure: a reload whose context ends during the
// build (SIGTERM while SIGHUP's reload runs: rpl-router serve reloads in
// the signals' context) refused nothing. It was counted as a failed
// load (reload_failures, rpl_reloads_total{result="error"}) and made
// "context canceled" the status's last error, over the source's own.
func TestReloadCutShortNotAFailure(t *testing.T) {
	dir := copyExamples(t)
	r := startRouter(t, router.Options{Policies: dir, DataDir: t.TempDir(), NoNATS: true, HTTP: "127.0.0.1:0", Logger: quiet()})
	v1 := r.Engine.Current().Version
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s, err := r.Reload(ctx)
	if !errors.Is(err, context.Canceled) || s != nil {
		t.Fatalf("reload with its context ended: %v, %v; want an error wrapping context.Canceled", s, err)
	}
	st := r.Engine.Status()
	if st.ReloadFailures != 0 || st.LastError != "" || st.Version != v1 {
		t.Errorf("after a reload cut short: reload_failures %d, last_error %q, version %.12s; want 0, none, %.12s", st.ReloadFailures, st.LastError, st.Version, v1)
	}
	if m := scrape(t, r); !strings.Contains(m, `rpl_reloads_total{result="error"} 0`+"\n") {
		t.Errorf("a reload cut short counted as a failed load:\n%s", grepLines(m, "rpl_reloads_total"))
	}
	// A reload that runs is counted as ever.
	os.WriteFile(filepath.Join(dir, "broken.rpl"), []byte("package broken\nfn route(r: Request) -> Decision = to(r.nope)\n"), 0o644)
	if _, err := r.Reload(context.Background()); err == nil || errors.Is(err, context.Canceled) {
		t.Fatalf("reload of a broken directory: %v", err)
	}
	if st := r.Engine.Status(); st.ReloadFailures == 0 || !strings.Contains(st.LastError, "broken.rpl") {
		t.Errorf("a refused reload: reload_failures %d, last_error %q", st.ReloadFailures, st.LastError)
	}
}

// grepLines is the lines of s holding sub.
func grepLines(s, sub string) string {
	var out []string
	for l := range strings.SplitSeq(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestReloadAfterShutdownNotSaved: a reload still running when Shutdown
// returns (an HTTP reload runs on past a drain that ran out) activates,
// but writes nothing into the data directory, which Shutdown released
// and another router may hold: it saved its version as the last good.
func TestReloadAfterShutdownNotSaved(t *testing.T) {
	dir := copyExamples(t)
	data := t.TempDir()
	r, err := router.Start(context.Background(), router.Options{Policies: dir, DataDir: data, NoNATS: true, HTTP: "-", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	v1 := r.Engine.Current().Version
	built, release := make(chan struct{}), make(chan struct{})
	router.AfterLocalBuild(t, func() { close(built); <-release })
	os.WriteFile(filepath.Join(dir, "extra.rpl"), []byte("package extra\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n"), 0o644)
	reloaded := make(chan error, 1)
	go func() {
		_, err := r.Reload(context.Background())
		reloaded <- err
	}()
	<-built
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	close(release)
	if err := <-reloaded; err != nil {
		t.Fatalf("reload: %v", err)
	}
	if v := r.Engine.Current().Version; v == v1 {
		t.Fatalf("the reload activated nothing (%.12s)", v)
	}
	if _, err := os.Stat(filepath.Join(data, router.LastGoodDir, "extra.rpl")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the reload after Shutdown saved its version in the data directory (extra.rpl: %v)", err)
	}
}

// TestFixedSeriesAtStart: a router's series of fixed labels are there at
// 0 from the start: a first failed reload, overload or error after a
// restart is an increase that increase() and rate() see.
func TestFixedSeriesAtStart(t *testing.T) {
	r := startRouter(t, router.Options{Policies: copyExamples(t), DataDir: t.TempDir(), NoNATS: true, HTTP: "127.0.0.1:0", Logger: quiet()})
	m := scrape(t, r)
	for _, line := range []string{
		`rpl_reloads_total{result="error"} 0`,
		`rpl_decision_errors_total{code="decision_failed"} 0`,
		`rpl_refused_total{reason="overloaded",transport="http"} 0`,
		`rpl_refused_total{reason="not_found",transport="http"} 0`,
	} {
		if !strings.Contains(m, line+"\n") {
			t.Errorf("no %s at start:\n%s", line, grepLines(m, "rpl_re"))
		}
	}
	if strings.Contains(m, `transport="nats"`) {
		t.Errorf("a router without NATS has NATS's refusals:\n%s", grepLines(m, "rpl_refused"))
	}
}
