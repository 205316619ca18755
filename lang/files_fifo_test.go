//go:build unix

package lang_test

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/rpl-lang/rpl/lang"
)

// TestCheckNamedPipe: a policy that is a named pipe is RPL203 saying so,
// at once: reading it blocked rplc check until something wrote to it.
func TestCheckNamedPipe(t *testing.T) {
	p := filepath.Join(t.TempDir(), "pipe.rpl")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Fatal(err)
	}
	_, diags := lang.Check(&lang.Config{Universe: universe(t)}, p)
	if len(diags) != 1 || diags[0].Code != lang.CodeImportNotFound || !strings.HasSuffix(diags[0].Message, "not a regular file (a named pipe)") {
		t.Errorf("diagnostics %v", diags)
	}
}
