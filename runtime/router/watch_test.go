package router_test

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/rpl-lang/rpl/compiler/bundle"

	"github.com/rpl-lang/rpl/runtime/natsx"
	"github.com/rpl-lang/rpl/runtime/router"
)

// TestReloadDirRemade: a policy directory removed and made again (a
// deployment replacing it whole) is watched again: the new contents are
// activated, and so is a later edit.
func TestReloadDirRemade(t *testing.T) {
	dir := copyExamples(t)
	r := startRouter(t, router.Options{Policies: dir, DataDir: t.TempDir(), HTTP: "-", NoNATS: true, Logger: quiet()})
	first := r.Engine.Current().Version

	saved := t.TempDir()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		data, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		os.WriteFile(filepath.Join(saved, e.Name()), data, 0o644)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		data, _ := os.ReadFile(filepath.Join(saved, e.Name()))
		if e.Name() == "default.rpl" {
			data = []byte(strings.Replace(string(data), "package default", "# remade\npackage default", 1))
		}
		os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644)
	}
	second := waitVersion(t, r, first)

	p := filepath.Join(dir, "default.rpl")
	data, _ := os.ReadFile(p)
	if err := os.WriteFile(p, append(data, "\n# edited after\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	waitVersion(t, r, second)
}

// TestHTTPHeaderBound: a request whose headers pass MaxHeaderBytes is
// refused (431) before any handler; one within it is served.
func TestHTTPHeaderBound(t *testing.T) {
	r := startRouter(t, router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "127.0.0.1:0", NoNATS: true, Logger: quiet()})
	for _, c := range []struct {
		size, want int
	}{{1 << 10, 200}, {2 * router.MaxHeaderBytes, http.StatusRequestHeaderFieldsTooLarge}} {
		req, _ := http.NewRequest("POST", "http://"+r.HTTPAddr()+"/v2/decide", strings.NewReader(`{"request": {"id": "r"}}`))
		req.Header.Set("X-Padding", strings.Repeat("x", c.size))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%d bytes of header: status %d, want %d", c.size, resp.StatusCode, c.want)
		}
	}
}

// TestNATSToken: with a token, the embedded server's listener refuses a
// client without it and serves one with it (nats://TOKEN@host:port),
// and the router's own in-process connections still work.
func TestNATSToken(t *testing.T) {
	r := startRouter(t, router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "-", NATSListen: "127.0.0.1:0", NATSToken: "s3cret", Logger: quiet()})
	hostport := strings.TrimPrefix(r.NATSServer().ClientURL(), "nats://")
	if nc, err := nats.Connect("nats://"+hostport, nats.MaxReconnects(0)); err == nil {
		nc.Close()
		t.Fatal("a client without the token was served")
	} else if !strings.Contains(strings.ToLower(err.Error()), "authorization") {
		t.Errorf("without the token: %v, want an authorization error", err)
	}
	nc, err := nats.Connect("nats://s3cret@" + hostport)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	m, err := nc.Request(natsx.SubjectCP1, []byte(`{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "chat"}}`), 5*time.Second)
	if err != nil || !strings.HasPrefix(string(m.Data), `{"ok":true`) {
		t.Fatalf("with the token: %v %s", err, m.Data)
	}
}

// startRouter starts a router with opt, shut down when the test ends.
func startRouter(t *testing.T, opt router.Options) *router.Router {
	t.Helper()
	r, err := router.Start(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Shutdown(context.Background()) })
	return r
}

// waitLastError waits (10 s at most) until ok says yes to the router's
// last load error.
func waitLastError(t *testing.T, r *router.Router, what string, ok func(lastError string) bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(r.Engine.Status().LastError); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: last error %q", what, r.Engine.Status().LastError)
		}
	}
}

// TestReloadMendedClearsError: a save that breaks a policy is refused and
// reported; saving it back as it was clears the report (the active
// version is the source's again), and the log says so at the level of
// the error it ends: the error was the last line an operator read.
func TestReloadMendedClearsError(t *testing.T) {
	dir := copyExamples(t)
	var logs logBuffer
	r := startRouter(t, router.Options{Policies: dir, DataDir: t.TempDir(), HTTP: "-", NoNATS: true,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	p := filepath.Join(dir, "default.rpl")
	good, _ := os.ReadFile(p)
	os.WriteFile(p, good[:len(good)/2], 0o644)
	waitLastError(t, r, "a half-written file", func(e string) bool { return e != "" })
	os.WriteFile(p, good, 0o644)
	waitLastError(t, r, "the file written whole", func(e string) bool { return e == "" })
	// The line follows the report's clearing.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(logs.String(), "level=INFO msg=\"policy source good again: its failed load is over, its version active\""); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("log:\n%s", logs.String())
		}
	}
}

// TestMendedUnderRollbackClearsError: a save that breaks a policy after
// a rollback is refused and reported; saving back the version last taken
// from the directory leaves the rollback active (the later activation
// stays) and clears the report: the source is good again.
func TestMendedUnderRollbackClearsError(t *testing.T) {
	dir := copyExamples(t)
	r := startRouter(t, router.Options{Policies: dir, DataDir: t.TempDir(), HTTP: "-", NoNATS: true, Logger: quiet()})
	first := r.Engine.Current().Version
	p := filepath.Join(dir, "default.rpl")
	data, _ := os.ReadFile(p)
	edited := append(data, "\n# edited\n"...)
	os.WriteFile(p, edited, 0o644)
	waitVersion(t, r, first)
	if s, err := r.Engine.Rollback(); err != nil || s.Version != first {
		t.Fatalf("rollback: %v", err)
	}
	os.WriteFile(p, edited[:len(edited)/2], 0o644)
	waitLastError(t, r, "a half-written file", func(e string) bool { return e != "" })
	os.WriteFile(p, edited, 0o644)
	waitLastError(t, r, "the file written back", func(e string) bool { return e == "" })
	if v := r.Engine.Current().Version; v != first {
		t.Errorf("active %s, want the rollback's %s to stay", v, first)
	}
}

// TestRestartSameDirSpelledOtherwise: the latest activation wins across
// a restart that names the unchanged policy directory otherwise
// (relative, then absolute): the directory is the same source, not a
// new activation over the later one.
func TestRestartSameDirSpelledOtherwise(t *testing.T) {
	dir := copyExamples(t)
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	relDir, err := filepath.Rel(cwd, dir)
	if err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	r, err := router.Start(context.Background(), router.Options{Policies: relDir, DataDir: data, HTTP: "-", NoNATS: true, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	// A later activation than the directory's (as a push would be).
	later := t.TempDir()
	os.WriteFile(filepath.Join(later, "default.rpl"), []byte("package default\n\nfn route(r: Request) -> Decision = to(\"p:later\")\n"), 0o644)
	s, err := r.Engine.LoadDir(context.Background(), later)
	if err != nil {
		t.Fatal(err)
	}
	r.Shutdown(context.Background())

	for _, spelling := range []string{dir, dir + string(filepath.Separator)} {
		r, err = router.Start(context.Background(), router.Options{Policies: spelling, DataDir: data, HTTP: "-", NoNATS: true, Logger: quiet()})
		if err != nil {
			t.Fatal(err)
		}
		v := r.Engine.Current().Version
		r.Shutdown(context.Background())
		if v != s.Version {
			t.Fatalf("restarted with --policies %s: active %.12s, want the later activation %.12s", spelling, v, s.ShortVersion())
		}
	}
}

// TestRestartOtherDirNotServingFormer: a router restarted with another
// policy directory (the same data directory) does not serve the former
// directory's version kept there: with the new directory broken it is not
// ready, and once the directory is mended it serves it. The kept version
// was served before, ready, as if the directory named were its source.
func TestRestartOtherDirNotServingFormer(t *testing.T) {
	data := t.TempDir()
	r, err := router.Start(context.Background(), router.Options{Policies: copyExamples(t), DataDir: data, HTTP: "-", NoNATS: true, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	former := r.Engine.Current().Version
	r.Shutdown(context.Background())

	other := t.TempDir()
	p := filepath.Join(other, "default.rpl")
	os.WriteFile(p, []byte("package default\n\nfn route(r: Request) -> Decision = to(\"p:other\"\n"), 0o644)
	r = startRouter(t, router.Options{Policies: other, DataDir: data, HTTP: "-", NoNATS: true, Logger: quiet()})
	if s := r.Engine.Current(); s != nil {
		t.Fatalf("restarted with a broken --policies %s: serving %.12s from %s (the former directory's %.12s)", other, s.Version, s.Source, former)
	}
	os.WriteFile(p, []byte("package default\n\nfn route(r: Request) -> Decision = to(\"p:other\")\n"), 0o644)
	waitVersion(t, r, "")
	if s := r.Engine.Current(); s.Source != other {
		t.Errorf("active source %s, want %s", s.Source, other)
	}
}

// copyExamplesTo copies the example policies into dir, made if need be.
func copyExamplesTo(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(examples)
	for _, e := range ents {
		data, err := os.ReadFile(filepath.Join(examples, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644)
	}
}

// appendTo appends a comment to a policy file, a change of version.
func appendTo(t *testing.T, p, comment string) {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, append(data, "\n# "+comment+"\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReloadDot: --policies . reloads when a top-level file changes (the
// directory's parent is no longer taken for its own).
func TestReloadDot(t *testing.T) {
	dir := copyExamples(t)
	t.Chdir(dir)
	r := startRouter(t, router.Options{Policies: ".", DataDir: t.TempDir(), HTTP: "-", NoNATS: true, Logger: quiet()})
	first := r.Engine.Current().Version
	appendTo(t, "default.rpl", "edited")
	waitVersion(t, r, first)
}

// TestReloadSymlinkSwap: a policy directory given as a symlink (a
// blue/green deployment's current link) is reloaded when the link is
// swapped to another target, and then when a file of the new target
// changes.
func TestReloadSymlinkSwap(t *testing.T) {
	base := t.TempDir()
	blue, green, link := filepath.Join(base, "blue"), filepath.Join(base, "green"), filepath.Join(base, "current")
	copyExamplesTo(t, blue)
	copyExamplesTo(t, green)
	appendTo(t, filepath.Join(green, "default.rpl"), "green")
	if err := os.Symlink("blue", link); err != nil {
		t.Fatal(err)
	}
	r := startRouter(t, router.Options{Policies: link, DataDir: t.TempDir(), HTTP: "-", NoNATS: true, Logger: quiet()})
	first := r.Engine.Current().Version

	// Swapped as ln -sfn does, or atomically: a new link renamed over.
	if err := os.Symlink("green", link+".new"); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(link+".new", link); err != nil {
		t.Fatal(err)
	}
	second := waitVersion(t, r, first)
	if got := r.Engine.Current().Source; got != link {
		t.Errorf("source %s, want the link %s", got, link)
	}
	appendTo(t, filepath.Join(green, "default.rpl"), "edited in green")
	waitVersion(t, r, second)
}

// noted is a log handler that signals each record whose message is msg.
type noted struct {
	msg string
	ch  chan struct{}
}

func (h *noted) Enabled(context.Context, slog.Level) bool { return true }
func (h *noted) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *noted) WithGroup(string) slog.Handler            { return h }
func (h *noted) Handle(_ context.Context, rec slog.Record) error {
	if rec.Message == h.msg {
		select {
		case h.ch <- struct{}{}:
		default:
		}
	}
	return nil
}

// TestUnchangedSourceKeepsOtherError: an event in the policy directory
// that leaves it unchanged (an editor's lock file appearing) mends the
// directory's own failed load only: a pushed bundle refused stays
// reported in the status, whether a later version or the directory's is
// active.
func TestUnchangedSourceKeepsOtherError(t *testing.T) {
	for _, c := range []struct {
		name  string
		later bool   // a pushed bundle activated over the directory's version
		msg   string // logged once the unchanged directory is handled
	}{
		{"later version active", true, "policy source unchanged: the later activation stays"},
		{"directory's version active", false, "policy source unchanged"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			dir := copyExamples(t)
			h := &noted{msg: c.msg, ch: make(chan struct{}, 1)}
			r, err := router.Start(ctx, router.Options{Policies: dir, DataDir: t.TempDir(), HTTP: "-", NoNATS: true, Logger: slog.New(h)})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Shutdown(ctx)
			if c.later {
				later := buildPushed(t, "later", bundle.BuildOptions{})
				if _, err := r.Engine.LoadBundle(ctx, "nats:bundles/current@1", later.Data, bundle.ReadOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := r.Engine.LoadBundle(ctx, "nats:bundles/current@2", []byte("not a bundle"), bundle.ReadOptions{}); err == nil {
				t.Fatal("a bad bundle loaded")
			}
			refused := r.Engine.Status().LastError
			if !strings.HasPrefix(refused, "nats:bundles/current@2: ") {
				t.Fatalf("last error %q, want the refused push's", refused)
			}
			if err := os.Symlink("user@host.1234:1", filepath.Join(dir, ".#default.rpl")); err != nil {
				t.Fatal(err)
			}
			select {
			case <-h.ch:
			case <-time.After(10 * time.Second):
				t.Fatal("the policy directory was not reloaded")
			}
			if e := r.Engine.Status().LastError; e != refused {
				t.Errorf("last error %q, want the refused push's %q", e, refused)
			}
		})
	}
}

// TestDirBuildOverridden: a change of the policy directory whose build
// is overtaken by another activation (a rollback, as a push landing
// during a slow build) does not override it when the build ends: the
// later activation stays, and the directory's version counts as taken
// (saved again unchanged, it still does not override it). So too when
// the activations made during the build end on the snapshot active when
// it started (another version activated, then rolled back from):
// ActivateOver compared the active snapshot alone, the same one again,
// and activated the directory's version over the rollback.
func TestDirBuildOverridden(t *testing.T) {
	for _, c := range []struct {
		name   string
		during func(r *router.Router, v1 string) error
		back   bool // the rollback goes back to the version active at the build's start
	}{
		{"rollback", func(r *router.Router, _ string) error { _, err := r.Engine.Rollback(); return err }, false},
		{"activate and roll back", func(r *router.Router, v1 string) error {
			if _, err := r.Engine.ActivateVersion(v1); err != nil {
				return err
			}
			_, err := r.Engine.Rollback()
			return err
		}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := copyExamples(t)
			r := startRouter(t, router.Options{Policies: dir, DataDir: t.TempDir(), HTTP: "-", NoNATS: true, Logger: quiet()})
			v1 := r.Engine.Current().Version
			p := filepath.Join(dir, "default.rpl")
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			var built chan struct{}
			edit := func(suffix string) {
				t.Helper()
				for built != nil && len(built) > 0 { // builds of the edits before
					<-built
				}
				if err := os.WriteFile(p, append(slices.Clone(data), suffix...), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			edit("\n# second\n")
			v2 := waitVersion(t, r, v1)
			want := v1 // rolled back to
			if c.back {
				want = v2
			}

			built = make(chan struct{}, 10)
			var once atomic.Bool
			router.AfterLocalBuild(t, func() {
				if !once.Swap(true) {
					if err := c.during(r, v1); err != nil {
						t.Error(err)
					}
				}
				built <- struct{}{}
			})
			// waitBuilt waits for the watch's next build, then for its
			// load to end (loads hold the lock HoldLoads takes).
			waitBuilt := func() {
				t.Helper()
				select {
				case <-built:
				case <-time.After(10 * time.Second):
					t.Fatal("the directory's change was not built")
				}
				r.HoldLoads()()
			}
			edit("\n# third\n")
			waitBuilt()
			if got := r.Engine.Current().Version; got != want {
				t.Fatalf("active %.12s after the rollback made during the build, want %.12s (rolled back to)", got, want)
			}
			edit("\n# third\n") // saved again, unchanged
			waitBuilt()
			if got := r.Engine.Current().Version; got != want {
				t.Fatalf("active %.12s after the directory saved unchanged, want %.12s", got, want)
			}
			edit("\n# fourth\n") // a later change is activated
			waitVersion(t, r, want)
		})
	}
}
