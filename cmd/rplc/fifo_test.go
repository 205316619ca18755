//go:build unix

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestNamedPipeInTree: a named pipe among a tree's .rpl files is refused
// by fmt and check, saying what it is: fmt read it and blocked until
// something wrote to it.
func TestNamedPipeInTree(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile("../../examples/policies/default.rpl")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "default.rpl"), src, 0o644)
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.rpl"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"fmt", "--check", dir}, {"check", dir}} {
		var out, errb bytes.Buffer
		done := make(chan int, 1)
		go func() { done <- run(args, nil, &out, &errb) }()
		select {
		case code := <-done:
			if all := out.String() + errb.String(); code != exitFail || !strings.Contains(all, "not a regular file (a named pipe)") {
				t.Errorf("%s: exit %d: %s", args[0], code, all)
			}
		case <-time.After(time.Minute):
			t.Fatalf("%s: still reading the pipe after a minute", args[0])
		}
	}
}
