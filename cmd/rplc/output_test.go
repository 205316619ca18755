package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestExpandPaths: the files of several paths are sorted and each once,
// a file named beside its directory included.
func TestExpandPaths(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"b.rpl", "a.rpl", "sub/c.rpl"} {
		p := filepath.Join(dir, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte("package x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := expandPaths([]string{filepath.Join(dir, "sub"), dir, filepath.Join(dir, "b.rpl")})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "a.rpl"), filepath.Join(dir, "b.rpl"), filepath.Join(dir, "sub", "c.rpl")}
	if !slices.Equal(got, want) {
		t.Errorf("expandPaths = %q, want %q", got, want)
	}
}
