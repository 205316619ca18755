package router_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/runtime/router"
)

// TestLastGoodAfterCrash: data directories as a crash leaves them. The
// directory's replacement interrupted between its renames (only
// last-good.old/): its former copy is activated, and saved again. Both a bundle and a
// directory (a crash before the other was removed): the one written
// last, whichever it is.
func TestLastGoodAfterCrash(t *testing.T) {
	data := t.TempDir()
	r, err := router.Start(context.Background(), router.Options{Policies: copyExamples(t), DataDir: data, NoNATS: true, HTTP: "-", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	vDir := r.Engine.Current().Version
	r.Shutdown(context.Background())
	dir, file := filepath.Join(data, router.LastGoodDir), filepath.Join(data, router.LastGoodBundle)
	restart := func(what string) string {
		t.Helper()
		// No local source, an embedded NATS open to pushes: Start
		// succeeds with or without a version.
		r, err := router.Start(context.Background(), router.Options{DataDir: data, NATSListen: "127.0.0.1:0", HTTP: "-", Logger: quiet()})
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		defer r.Shutdown(context.Background())
		if s := r.Engine.Current(); s != nil {
			return s.Version
		}
		return ""
	}

	if err := os.Rename(dir, dir+".old"); err != nil {
		t.Fatal(err)
	}
	if v := restart("only last-good.old/"); v != vDir {
		t.Errorf("only last-good.old/: version %.12s, want the directory's former copy %.12s", v, vDir)
	}
	// Activated, it is saved again as the last good directory.
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("the former copy activated is not saved again: %v", err)
	}

	res := buildPushed(t, "stale", bundle.BuildOptions{})
	if err := os.WriteFile(file, res.Data, 0o644); err != nil {
		t.Fatal(err)
	}
	hourAgo := time.Now().Add(-time.Hour)
	if err := os.Chtimes(file, hourAgo, hourAgo); err != nil {
		t.Fatal(err)
	}
	if v := restart("a stale bundle beside the directory"); v != vDir {
		t.Errorf("a bundle written before the directory: version %.12s, want the directory's %.12s", v, vDir)
	}
	// The directory activated was saved again, the bundle removed.
	if err := os.WriteFile(file, res.Data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(dir, hourAgo, hourAgo); err != nil {
		t.Fatal(err)
	}
	if v := restart("a stale directory beside the bundle"); v != res.Bundle.Version() {
		t.Errorf("a directory written before the bundle: version %.12s, want the bundle's %.12s", v, res.Bundle.Version())
	}
	// The bundle saved again, no directory is left beside it, a former
	// copy (last-good.old/) included, which stayed for good; the
	// directory is removed from aside (last-good.trash/), never in
	// place, where a crash midway left a partial directory newer than
	// the bundle.
	if err := os.MkdirAll(filepath.Join(dir+".old", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(dir+".old", hourAgo, hourAgo); err != nil {
		t.Fatal(err)
	}
	if v := restart("a former directory beside the bundle"); v != res.Bundle.Version() {
		t.Errorf("a former directory beside the bundle: version %.12s, want the bundle's %.12s", v, res.Bundle.Version())
	}
	for _, p := range []string{dir, dir + ".old", dir + ".trash"} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s left beside the bundle saved", filepath.Base(p))
		}
	}
}

// TestLastGoodRefused: a last good version that this release refuses (a
// tenants.json an earlier one took, naming the policy "org-acme"), kept
// as a directory or as a bundle, is a failed load at start. A router
// with nothing else to activate is refused saying why: it said "no
// policies: give --policies DIR or --bundle FILE" alone, as if none was
// kept, the reason in an earlier warning only. One waiting for a push
// starts not ready, /readyz giving the refusal as last_error: it said
// "no policy version is active", as when nothing failed.
func TestLastGoodRefused(t *testing.T) {
	ctx := context.Background()
	const tenants = `{"tenants": [{"id": "acme", "policy": "org-acme"}]}`
	const want = `tenants.json:1:39: error[RPL217]: tenants[0].policy: want a policy id`
	res, err := bundle.Build(copyExamples(t), bundle.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var programs [][]byte
	for _, p := range res.Bundle.Policies {
		programs = append(programs, p.Code)
	}
	refused, err := bundle.Write(res.Bundle.Manifest, programs, nil, []byte(tenants), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, kept := range []struct {
		name  string
		write func(data string)
	}{
		{"directory", func(data string) {
			dir := filepath.Join(data, router.LastGoodDir)
			if err := os.CopyFS(dir, os.DirFS(copyExamples(t))); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "tenants.json"), []byte(tenants), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"bundle", func(data string) {
			if err := os.WriteFile(filepath.Join(data, router.LastGoodBundle), refused, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(kept.name, func(t *testing.T) {
			data := t.TempDir()
			kept.write(data)
			opt := router.Options{DataDir: data, NoNATS: true, HTTP: "127.0.0.1:0", Logger: quiet()}
			r, err := router.Start(ctx, opt)
			if err == nil {
				r.Shutdown(ctx)
				t.Fatal("a router with nothing but a refused last good version started")
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "no policies: the last good version kept is refused: "+data) || !strings.Contains(msg, want) || !strings.HasSuffix(msg, "; give --policies DIR or --bundle FILE") {
				t.Errorf("start refused: %v\nwant the last good version's refusal (%s) and what to give", err, want)
			}

			opt.NoNATS, opt.NATSListen, opt.NoLog = false, "127.0.0.1:0", true
			r, err = router.Start(ctx, opt)
			if err != nil {
				t.Fatalf("open to pushes: %v", err)
			}
			defer r.Shutdown(ctx)
			resp, err := http.Get("http://" + r.HTTPAddr() + "/readyz")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var ready struct {
				LastError string `json:"last_error"`
			}
			if err := json.Unmarshal(body, &ready); err != nil || resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(ready.LastError, want) {
				t.Errorf("/readyz %d %s, want 503 with the last good version's refusal (%s)", resp.StatusCode, body, want)
			}
			// A version refused, counted once, as /metrics counts it.
			if st := r.Engine.Status(); st.ReloadFailures != 1 || st.Reloads != 0 {
				t.Errorf("reload_failures %d, reloads %d; want the refusal counted once, no activation", st.ReloadFailures, st.Reloads)
			}
			if m := scrape(t, r); !strings.Contains(m, `rpl_reloads_total{result="error"} 1`+"\n") {
				t.Errorf("/metrics: %s; want one failed load", grepLines(m, "rpl_reloads_total"))
			}
		})
	}
}

// TestStartCutShort: a start whose context ends while it loads the
// policies (SIGTERM during the start of rpl-router serve) fails saying
// so, and records nothing: the last good version, which it could not
// build, was taken for refused ("last good version refused", a failed
// load), the record of what was taken from the sources dropped, and the
// router went on without it. The next start finds the kept version, a
// rollback, as it was left.
func TestStartCutShort(t *testing.T) {
	data, dir := t.TempDir(), copyExamples(t)
	opt := router.Options{Policies: dir, DataDir: data, NoNATS: true, HTTP: "127.0.0.1:0", Logger: quiet()}
	r := startRouter(t, opt)
	v1 := r.Engine.Current().Version
	appendTo(t, filepath.Join(dir, "default.rpl"), "edited")
	waitVersion(t, r, v1)
	rollback(t, r)
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var log logBuffer
	cut := opt
	cut.Logger = slog.New(slog.NewTextHandler(&log, nil))
	if r, err := router.Start(ctx, cut); err == nil || !errors.Is(err, context.Canceled) {
		if r != nil {
			st := r.Engine.Status()
			r.Shutdown(context.Background())
			t.Errorf("status of the router started: ready %v, reload_failures %d, last_error %q", st.Ready, st.ReloadFailures, st.LastError)
		}
		t.Fatalf("start with its context ended: %v; want an error wrapping context.Canceled", err)
	}
	if strings.Contains(log.String(), "refused") {
		t.Errorf("a start cut short logged a refusal:\n%s", log.String())
	}
	r = startRouter(t, opt)
	if st := r.Engine.Status(); st.Version != v1 || st.ReloadFailures != 0 {
		t.Errorf("the next start: version %.12s, reload_failures %d; want the rollback's %.12s, none", st.Version, st.ReloadFailures, v1)
	}
}

// TestLastGoodSourcesExactKeys: last-good.json is read with its keys
// compared exactly, as the router's other JSON is. A key spelt in another
// case ("LOCAL"), which encoding/json took for local, made a record the
// router did not write pass for its own: here the directory's version,
// which kept a rollback over it at the next start. Now the record is
// unreadable, the log naming the key, and the sources are activated as on
// a first start.
func TestLastGoodSourcesExactKeys(t *testing.T) {
	data, dir := t.TempDir(), copyExamples(t)
	opt := router.Options{Policies: dir, DataDir: data, NoNATS: true, HTTP: "127.0.0.1:0", Logger: quiet()}
	r := startRouter(t, opt)
	v1 := r.Engine.Current().Version
	appendTo(t, filepath.Join(dir, "default.rpl"), "edited")
	v2 := waitVersion(t, r, v1)
	rollback(t, r)
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(data, router.LastGoodSources)
	rec, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	folded := strings.Replace(string(rec), `"local"`, `"LOCAL"`, 1)
	if folded == string(rec) {
		t.Fatalf("%s records no local source:\n%s", router.LastGoodSources, rec)
	}
	if err := os.WriteFile(file, []byte(folded), 0o644); err != nil {
		t.Fatal(err)
	}
	var log logBuffer
	opt.Logger = slog.New(slog.NewTextHandler(&log, nil))
	r = startRouter(t, opt)
	if v := r.Engine.Current().Version; v != v2 {
		t.Errorf("restarted with LOCAL for local in %s: version %.12s, want the directory's %.12s (the record unreadable; the rollback's is %.12s)", router.LastGoodSources, v, v2, v1)
	}
	if !strings.Contains(log.String(), "last good sources unreadable") || !strings.Contains(log.String(), `LOCAL: want \"local\"`) {
		t.Errorf("the log does not name the key at fault:\n%s", log.String())
	}
	r.Shutdown(context.Background())

	// A value of the wrong type is named by its path, in the project's
	// words: encoding/json named the router's Go types
	// ("Go struct field sources.bucket_active of type uint64").
	if err := os.WriteFile(file, []byte(`{"bucket_active": "7"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	var log2 logBuffer
	opt.Logger = slog.New(slog.NewTextHandler(&log2, nil))
	startRouter(t, opt)
	if !strings.Contains(log2.String(), "last good sources unreadable") || !strings.Contains(log2.String(), `err="bucket_active: want a number, have a string"`) {
		t.Errorf("the log does not name the value at fault as wanted:\n%s", log2.String())
	}
}
