package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/runtime"
)

// TestWriteFilesTrailingSlash: a directory named with a trailing slash
// is written as without it, first and again over a former copy. Its
// parent was taken to be the directory itself, the temporary copy made
// inside it and the former copy renamed into itself, which failed.
func TestWriteFilesTrailingSlash(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "last-good")
	for i, content := range []string{"policy a {}", "policy b {}"} {
		if err := runtime.WriteFiles(dir+string(filepath.Separator), map[string][]byte{"sub/p.rpl": []byte(content)}); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		got, err := os.ReadFile(filepath.Join(dir, "sub", "p.rpl"))
		if err != nil || string(got) != content {
			t.Fatalf("write %d: read %q, %v; want %q", i, got, err, content)
		}
		entries, err := os.ReadDir(dir)
		if err != nil || len(entries) != 1 || entries[0].Name() != "sub" {
			t.Fatalf("write %d: %s holds %v (%v), want sub alone", i, dir, entries, err)
		}
		if _, err := os.Stat(dir + ".old"); !os.IsNotExist(err) {
			t.Fatalf("write %d: %s.old left: %v", i, dir, err)
		}
	}
}

// TestFilesOutsideRefused: a file name that is no path inside the
// directory is refused, by BuildFiles and WriteFiles, and nothing is
// written outside it. Joined to the directory, "../x.rpl" was written
// beside it (BuildFiles' private copy, WriteFiles' temporary one).
func TestFilesOutsideRefused(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	policy, err := os.ReadFile(filepath.Join(examples, "default.rpl"))
	if err != nil {
		t.Fatal(err)
	}
	parent := t.TempDir()
	dir := filepath.Join(parent, "last-good")
	for _, name := range []string{"../escaped.rpl", "sub/../../escaped.rpl", "/escaped.rpl", "./default.rpl", "", "."} {
		files := map[string][]byte{"default.rpl": policy, name: []byte("package escaped\n")}
		_, err := e.BuildFiles(context.Background(), "policies", files)
		var le *runtime.LoadError
		if !errors.As(err, &le) || len(le.Problems) != 1 || !strings.Contains(le.Problems[0], "is not a file of the policy directory") {
			t.Errorf("BuildFiles with %q: %v, want it refused", name, err)
		}
		if err := runtime.WriteFiles(dir, files); err == nil || !strings.Contains(err.Error(), "is not a file of the policy directory") {
			t.Errorf("WriteFiles with %q: %v, want it refused", name, err)
		}
		entries, _ := os.ReadDir(parent)
		if len(entries) != 0 {
			t.Fatalf("WriteFiles with %q: %s holds %v, want nothing", name, parent, entries)
		}
	}
	if _, err := os.Stat(filepath.Join(os.TempDir(), "escaped.rpl")); err == nil {
		os.Remove(filepath.Join(os.TempDir(), "escaped.rpl"))
		t.Errorf("BuildFiles wrote %s", filepath.Join(os.TempDir(), "escaped.rpl"))
	}
}

// BenchmarkWriteFiles writes a last good version of 1,000 tenant
// policies, as a router persists one: one sync a file took 8 s for
// 4,002 files; the file system is synced once.
func BenchmarkWriteFiles(b *testing.B) {
	files := map[string][]byte{}
	for i := range 1000 {
		files[fmt.Sprintf("tenants/t%04d.rpl", i)] = []byte(fmt.Sprintf("package t%04d\nextends \"../shared\"\n", i))
	}
	dir := filepath.Join(b.TempDir(), "last-good")
	for b.Loop() {
		if err := runtime.WriteFiles(dir, files); err != nil {
			b.Fatal(err)
		}
	}
}
