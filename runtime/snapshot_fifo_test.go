//go:build unix

package runtime_test

import (
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime"
)

// TestBuildDirNamedPipe: a named pipe in the tree, as a policy or as
// tenants.json, is refused, saying what it is: reading it blocked the
// load until something wrote to it (the router hung at start).
func TestBuildDirNamedPipe(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	for _, name := range []string{"pipe.rpl", "tenants.json"} {
		dir := copyDir(t, examples, nil)
		if err := syscall.Mkfifo(filepath.Join(dir, name), 0o644); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			_, err := e.BuildDir(context.Background(), dir)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), name+": not a regular file (a named pipe)") {
				t.Errorf("%s: BuildDir: %v", name, err)
			} else {
				t.Log(err)
			}
		case <-time.After(time.Minute):
			t.Fatalf("%s: BuildDir still reading the pipe after a minute", name)
		}
	}
}
