package runtime_test

import (
	"os"
	"path/filepath"
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
