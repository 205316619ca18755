//go:build unix

package lang_test

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/lang"
)

// TestCheckNamedPipe: a policy that is a named pipe is RPL203 saying so,
// at once: reading it blocked rplc check until something wrote to it. The
// check runs in a goroutine, so that a read that blocks again fails the
// test after a minute rather than hanging it until go test's timeout.
func TestCheckNamedPipe(t *testing.T) {
	p := filepath.Join(t.TempDir(), "pipe.rpl")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Fatal(err)
	}
	u := universe(t)
	done := make(chan lang.DiagList, 1)
	go func() {
		_, diags := lang.Check(&lang.Config{Universe: u}, p)
		done <- diags
	}()
	select {
	case diags := <-done:
		if len(diags) != 1 || diags[0].Code != lang.CodeImportNotFound || !strings.HasSuffix(diags[0].Message, "not a regular file (a named pipe)") {
			t.Errorf("diagnostics %v", diags)
		}
	case <-time.After(time.Minute):
		t.Fatal("Check still reading the pipe after a minute")
	}
}
