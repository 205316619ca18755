package lang_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/lang"
)

// TestWalkPolicyTree: a symlinked root's target is walked, entries given
// by their path in the target and relative to root; hidden files and
// directories are skipped (an editor's dangling lock link included), and
// symlinks under root are not followed. SourceFiles names the files
// through the link.
func TestWalkPolicyTree(t *testing.T) {
	base := t.TempDir()
	target := filepath.Join(base, "v1")
	for _, f := range []string{"a.rpl", "sub/b.rpl", "sub/.draft.rpl", ".git/x.rpl", "tenants.json"} {
		p := filepath.Join(target, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	other := filepath.Join(base, "other")
	os.MkdirAll(other, 0o755)
	os.WriteFile(filepath.Join(other, "c.rpl"), nil, 0o644)
	link := filepath.Join(base, "current")
	for old, name := range map[string]string{"v1": link, "user@host.1234:1": filepath.Join(target, ".#a.rpl"), other: filepath.Join(target, "elsewhere")} {
		if err := os.Symlink(old, name); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	err := lang.WalkPolicyTree(link, func(p, rel string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if want := filepath.Join(target, filepath.FromSlash(rel)); p != want {
			t.Errorf("%s: path %s, want %s", rel, p, want)
		}
		if d.IsDir() {
			rel += "/"
		}
		got = append(got, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "./ a.rpl elsewhere sub/ sub/b.rpl tenants.json"; strings.Join(got, " ") != want {
		t.Errorf("walked %q, want %q", strings.Join(got, " "), want)
	}

	files, err := lang.SourceFiles([]string{link})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{filepath.Join(link, "a.rpl"), filepath.Join(link, "sub", "b.rpl")}; !slices.Equal(files, want) {
		t.Errorf("SourceFiles = %q, want %q", files, want)
	}

	if err := lang.WalkPolicyTree(filepath.Join(target, "a.rpl"), func(string, string, fs.DirEntry, error) error { return nil }); err == nil || !strings.HasSuffix(err.Error(), "a.rpl: not a directory") {
		t.Errorf("a file walked: %v, want not a directory", err)
	}
}
