//go:build unix

package lsp

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestWritableNamedPipe: a named pipe (an open document's path, which a
// rename's references may name) is not writable, and the question does
// not block: its open for writing waited for a reader for ever, and the
// rename with it, which shutdown then waited for.
func TestWritableNamedPipe(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "p.rpl")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	answered := make(chan bool, 1)
	go func() { answered <- writable(fifo) }()
	select {
	case w := <-answered:
		if w {
			t.Error("a named pipe is writable, want not: rename edits files")
		}
	case <-time.After(10 * time.Second): // a hang, not a time measured
		t.Fatal("writable blocked on a named pipe")
	}
}
