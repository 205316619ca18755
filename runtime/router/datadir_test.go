package router_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime/router"
)

// TestDataDirOneRouter: a second router given the data directory of a
// running one (two started in one working directory, with the default
// ./data) refuses to start, naming it; it ran, its embedded NATS server
// writing the JetStream store that the first one's wrote, and both the
// last good version. Once the first has stopped, the directory is free.
func TestDataDirOneRouter(t *testing.T) {
	dir := t.TempDir()
	start := func() (*router.Router, error) {
		return router.Start(context.Background(), router.Options{Policies: examples, DataDir: dir, HTTP: "127.0.0.1:0", Logger: quiet()})
	}
	stop := func(r *router.Router) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r.Shutdown(ctx)
	}
	first, err := start()
	if err != nil {
		t.Fatal(err)
	}
	second, err := start()
	if err == nil {
		stop(second)
		stop(first)
		t.Fatal("a second router started on the data directory of a running one")
	}
	if !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "another running router") {
		t.Errorf("the refusal does not say why: %v", err)
	}
	stop(first)
	again, err := start()
	if err != nil {
		t.Fatalf("the data directory of a router stopped: %v", err)
	}
	stop(again)
}

// TestDataDirNotADirectory: a data directory that cannot be made (a file
// in its path) is an error naming it as the data directory, before
// anything starts; it said only "mkdir data: not a directory".
func TestDataDirNotADirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{file, filepath.Join(file, "sub")} {
		r, err := router.Start(context.Background(), router.Options{Policies: examples, DataDir: dir, HTTP: "127.0.0.1:0", Logger: quiet()})
		if err == nil {
			r.Shutdown(context.Background())
			t.Fatalf("%s: started", dir)
		}
		if want := "data directory " + dir + ": "; !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "not a directory") {
			t.Errorf("%s: %v, want %q…", dir, err, want)
		}
	}
}
