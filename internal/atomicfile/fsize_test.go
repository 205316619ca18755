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
// target of Write as it was, and its error names the file written.
// WriteSynced left the partial file it had created; Stage's and Write's
// errors named the temporary file.
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
		name, path string
		write      func(path string) error
	}{
		{"WriteSynced", filepath.Join(dir, "new"), func(p string) error { return WriteSynced(p, data, 0o644) }},
		{"Stage", filepath.Join(dir, "staged"), func(p string) error { _, err := Stage(p, data, 0o644); return err }},
		{"Write", old, func(p string) error { return Write(p, data, 0o644) }},
	} {
		name := c.name
		err := c.write(c.path)
		if !errors.Is(err, syscall.EFBIG) {
			t.Errorf("%s past the file size limit: %v, want EFBIG", name, err)
		}
		// The error names the file written, not the temporary file
		// (removed).
		if pe, ok := err.(*os.PathError); !ok || pe.Path != c.path {
			t.Errorf("%s: error %v, want an *os.PathError of %s", name, err, c.path)
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
