//go:build linux

package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestFailedWriteLeavesNothing: a write that fails (the file size limit,
// as a full disk would) leaves no file of the writer's behind, the
// target of Write as it was. WriteSynced left the partial file it had
// created.
func TestFailedWriteLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "old")
	if err := os.WriteFile(old, []byte("former"), 0o644); err != nil {
		t.Fatal(err)
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Fatal(err)
	}
	small := lim
	small.Cur = 16
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &small); err != nil {
		t.Fatal(err)
	}
	defer syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim)
	// The Go runtime ignores SIGXFSZ: a write past the limit fails with
	// EFBIG, after writing what fits.
	data := make([]byte, 100)
	for _, c := range []struct {
		name  string
		write func() error
	}{
		{"WriteSynced", func() error { return WriteSynced(filepath.Join(dir, "new"), data, 0o644) }},
		{"Stage", func() error { _, err := Stage(filepath.Join(dir, "staged"), data, 0o644); return err }},
		{"Write", func() error { return Write(old, data, 0o644) }},
	} {
		name := c.name
		if err := c.write(); !errors.Is(err, syscall.EFBIG) {
			t.Errorf("%s past the file size limit: %v, want EFBIG", name, err)
		}
		ents, _ := os.ReadDir(dir)
		if len(ents) != 1 || ents[0].Name() != "old" {
			t.Errorf("left after a failed %s: %v", name, ents)
		}
		if got, _ := os.ReadFile(old); string(got) != "former" {
			t.Errorf("after a failed %s, the file holds %q", name, got)
		}
	}
}
