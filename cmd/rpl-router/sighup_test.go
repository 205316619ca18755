package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime/router"
)

// TestSIGHUPReloads: SIGHUP to rpl-router serve activates the policy
// directory again, unchanged, over a rollback (as POST
// /v2/policies/reload does); nothing did but an edit of the directory.
func TestSIGHUPReloads(t *testing.T) {
	// SIGHUP ends a process that does not handle it: this test's own
	// handler keeps it alive when serve has none, for the test to fail.
	caught := make(chan os.Signal, 1)
	signal.Notify(caught, syscall.SIGHUP)
	defer signal.Stop(caught)

	dir := t.TempDir()
	ents, err := os.ReadDir("../../examples/policies")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		data, err := os.ReadFile(filepath.Join("../../examples/policies", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644)
	}
	var out syncBuffer
	r, stop := startServe(t, &out, "--no-nats", "--http", "127.0.0.1:0", "--policies", dir, "--data-dir", t.TempDir())
	wait := func(what string, ok func(version string) bool) string {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			if v := r.Engine.Current().Version; ok(v) {
				return v
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: version still %.12s", what, r.Engine.Current().Version)
			}
		}
	}
	v1 := r.Engine.Current().Version
	p := filepath.Join(dir, "default.rpl")
	src, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(p, append(src, "\n# edited\n"...), 0o644)
	v2 := wait("the edit", func(v string) bool { return v != v1 })
	if s, err := r.Engine.Rollback(); err != nil || s.Version != v1 {
		t.Fatalf("rollback: %v", err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	wait("SIGHUP", func(v string) bool { return v == v2 })
	if err := stop(); err != nil {
		t.Fatalf("serve: %v\n%s", err, out.String())
	}
	// The shutdown's end is logged: the last line said it had begun.
	if !strings.Contains(out.String(), `level=INFO msg="shut down"`) {
		t.Errorf("no word of the shutdown's end:\n%s", out.String())
	}
}

// startServe runs rpl-router serve with args in this process, logging to
// out, until the test ends or stop, which returns serve's error; it
// returns once serve has started its router.
func startServe(t *testing.T, out io.Writer, args ...string) (r *router.Router, stop func() error) {
	t.Helper()
	started := make(chan *router.Router, 1)
	serving = func(r *router.Router) { started <- r }
	t.Cleanup(func() { serving = nil })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	c := root()
	c.SetOut(out)
	c.SetErr(out)
	c.SetArgs(append([]string{"serve"}, args...))
	done := make(chan error, 1)
	go func() { done <- c.ExecuteContext(ctx) }()
	select {
	case r = <-started:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	}
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() { cancel(); err = <-done })
		return err
	}
	t.Cleanup(func() { stop() }) // serve ends before the test's directories go
	return r, stop
}

// syncBuffer is a bytes.Buffer safe for the router's goroutines to log
// to while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestSIGHUPWithoutLocalSource: SIGHUP to a router fed by the bundle
// bucket only logs that there is no policy source to reload; it logged
// "reloading the policy source" and then nothing (found by a review).
func TestSIGHUPWithoutLocalSource(t *testing.T) {
	caught := make(chan os.Signal, 1)
	signal.Notify(caught, syscall.SIGHUP)
	defer signal.Stop(caught)
	var out syncBuffer
	_, stop := startServe(t, &out, "--http", "127.0.0.1:0", "--nats-listen", "127.0.0.1:0", "--data-dir", t.TempDir(), "--log-sample", "0")
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), "SIGHUP: nothing reloaded"); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no word of the reload after SIGHUP:\n%s", out.String())
		}
	}
	if log := out.String(); !strings.Contains(log, "no policy directory or bundle file") {
		t.Errorf("the SIGHUP's log does not say why:\n%s", log)
	}
	if err := stop(); err != nil {
		t.Fatalf("serve: %v\n%s", err, out.String())
	}
}

// TestSecondSignal: a second SIGTERM during a shutdown's grace ends
// serve at once; it used to be ignored, the operator left to wait out
// the grace and the drain.
func TestSecondSignal(t *testing.T) {
	cmd := exec.Command(os.Args[0], "serve", "--no-nats", "--http", "127.0.0.1:0", "--policies", "../../examples/policies",
		"--data-dir", t.TempDir(), "--shutdown-grace", "60s")
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill(); <-exited })
	waitFor := func(what string) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); !strings.Contains(out.String(), what); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("no %q in:\n%s", what, out.String())
			}
		}
	}
	waitFor("HTTP listening")
	cmd.Process.Signal(syscall.SIGTERM)
	waitFor("shutting down")
	select {
	case err := <-exited:
		t.Fatalf("serve ended before the grace was out: %v\n%s", err, out.String())
	case <-time.After(200 * time.Millisecond):
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		exited <- err // for the cleanup
		if ee, ok := err.(*exec.ExitError); !ok || ee.Success() {
			t.Errorf("serve ended with %v; want killed by the signal", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("serve still running 10 s after a second SIGTERM (grace 60 s):\n%s", out.String())
	}
}

// TestSignalDuringStart: SIGTERM or SIGINT while serve starts (its
// context ended before the policies are loaded) is a shutdown asked for:
// serve exits 0, saying so, not "Error: start cut short" with status 1,
// which the help keeps for a router that cannot start.
func TestSignalDuringStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out syncBuffer
	c := root()
	c.SetOut(&out)
	c.SetErr(&out)
	c.SetArgs([]string{"serve", "--no-nats", "--http", "127.0.0.1:0", "--policies", "../../examples/policies", "--data-dir", t.TempDir()})
	if err := c.ExecuteContext(ctx); err != nil {
		t.Fatalf("serve stopped during its start: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), `msg="shut down during the start"`) {
		t.Errorf("no word of the shutdown during the start:\n%s", out.String())
	}
}
