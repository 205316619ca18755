package router_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/runtime/router"
)

// writeBundle builds the policy directory dir into the bundle file p.
func writeBundle(t *testing.T, dir, p string) string {
	t.Helper()
	res, err := bundle.Build(dir, bundle.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, res.Data, 0o644); err != nil {
		t.Fatal(err)
	}
	return res.Bundle.Version()
}

// TestBundleFileUnreadableReported: a --bundle file that cannot be read,
// at start or at a reload, is a failed load in the status (why, when,
// counted; the running version stays), as a bundle that does not verify
// is, and a directory that cannot be read. It was logged only: the
// status said nothing of it, /readyz at start had no last_error.
func TestBundleFileUnreadableReported(t *testing.T) {
	dir := copyExamples(t)
	p := filepath.Join(t.TempDir(), "policies.rplb")
	r := startRouter(t, router.Options{Bundle: p, DataDir: t.TempDir(), HTTP: "-", NoNATS: true, Logger: quiet()})
	st := r.Engine.Status()
	if st.Ready || !strings.Contains(st.LastError, p) || st.LastErrorAt.IsZero() || st.ReloadFailures != 1 {
		t.Fatalf("missing at start: %+v", st)
	}
	// The file named once, as a directory's is ("p: open p: no such
	// file or directory" named it twice).
	if want := p + ": no such file or directory"; st.LastError != want {
		t.Errorf("missing at start: last error %q, want %q", st.LastError, want)
	}

	v1 := writeBundle(t, dir, p)
	if s, err := r.Reload(context.Background()); err != nil || s.Version != v1 {
		t.Fatalf("reload: %v", err)
	}
	if st := r.Engine.Status(); st.LastError != "" {
		t.Fatalf("after a good reload: %+v", st)
	}
	os.Remove(p)
	before := time.Now()
	if _, err := r.Reload(context.Background()); err == nil {
		t.Fatal("reload of a missing file: no error")
	}
	st = r.Engine.Status()
	if st.Version != v1 || st.LastError != p+": no such file or directory" || st.LastErrorAt.Before(before) || st.ReloadFailures != 2 {
		t.Errorf("missing at a reload: %+v", st)
	}
	// A directory where the file should be.
	if err := os.Mkdir(p, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Reload(context.Background()); err == nil || err.Error() != p+": is a directory" {
		t.Errorf("reload of a directory: %v, want %q", err, p+": is a directory")
	}
}

// TestConcurrentReloadsNewestWins: of two reloads of the bundle file
// (SIGHUP while POST /v2/policies/reload runs), the one that runs last
// activates the file as it is then. The file was read before the reload
// waited for the one running: the reload that waited activated what it
// had read before, over the newer version the other had activated.
func TestConcurrentReloadsNewestWins(t *testing.T) {
	dir := copyExamples(t)
	p := filepath.Join(t.TempDir(), "policies.rplb")
	v1 := writeBundle(t, dir, p)
	r := startRouter(t, router.Options{Bundle: p, DataDir: t.TempDir(), HTTP: "-", NoNATS: true, Logger: quiet()})
	if r.Engine.Current().Version != v1 {
		t.Fatal("v1 not active")
	}
	release := r.HoldLoads() // a reload running
	defer release()
	done := make(chan error, 1)
	go func() { _, err := r.Reload(context.Background()); done <- err }()
	time.Sleep(100 * time.Millisecond) // the second reload waits
	appendTo(t, filepath.Join(dir, "default.rpl"), "v2")
	v2 := writeBundle(t, dir, p)
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := r.Engine.Current().Version; got != v2 {
		t.Errorf("active %.12s after the reload that ran last, want the file's %.12s (v1 %.12s)", got, v2, v1)
	}
}
