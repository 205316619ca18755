package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteFileAtomicLongName: fmt -w rewrites a policy whose name is
// near the file system's limit (250 bytes of 255), keeping its mode, and
// leaves no temporary file. Its temporary name was "." + the name +
// ".rplc-" + digits, past the limit: "file name too long".
func TestWriteFileAtomicLongName(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, strings.Repeat("a", 246)+".rpl")
	if err := os.WriteFile(path, []byte("package a\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(path, []byte("package b\n")); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "package b\n" {
		t.Fatalf("%q, %v", got, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, %v, want 0640", fi.Mode().Perm(), err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d files in the directory, want 1", len(ents))
	}
}
