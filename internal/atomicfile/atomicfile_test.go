package atomicfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWrite: Write replaces the file whole with its mode, replaces a
// symlink rather than writing through it, and leaves no temporary file.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	target, link := filepath.Join(dir, "target"), filepath.Join(dir, "link")
	if err := os.WriteFile(target, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("target", link); err != nil {
		t.Fatal(err)
	}
	if err := Write(link, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(link)
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
		t.Fatalf("link after Write: %v %v, want a regular file, 0600", fi.Mode(), err)
	}
	if data, _ := os.ReadFile(target); string(data) != "old" {
		t.Errorf("the link's target became %q", data)
	}
	if data, _ := os.ReadFile(link); string(data) != "new" {
		t.Errorf("written %q", data)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("left in the directory: %v", ents)
	}
	// A directory in the way: the rename fails, and nothing is left.
	sub := filepath.Join(dir, "sub")
	if err := os.MkdirAll(filepath.Join(sub, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Write(sub, []byte("x"), 0o644); err == nil {
		t.Error("Write over a non-empty directory succeeded")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 3 {
		t.Errorf("left after a failed Write: %v", ents)
	}
}

// TestWriteLongName: a target's name of up to NAME_MAX bytes is written
// and replaced, its temporary name cut to fit (it was the whole name
// with a dot before and ten digits after: over 255 bytes from a name of
// 244). A name cut amid a UTF-8 character is cut before it.
func TestWriteLongName(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{strings.Repeat("b", 250), strings.Repeat("b", 199) + strings.Repeat("é", 28)} {
		path := filepath.Join(dir, name)
		for _, data := range []string{"one", "two"} {
			if err := Write(path, []byte(data), 0o644); err != nil {
				t.Fatalf("Write to a name of %d bytes: %v", len(name), err)
			}
			if got, _ := os.ReadFile(path); string(got) != data {
				t.Errorf("written %q, want %q", got, data)
			}
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 1 {
			t.Errorf("left in the directory: %v", ents)
		}
		os.Remove(path)
	}
	if p := tempPattern(strings.Repeat("b", 199) + "é"); p != "."+strings.Repeat("b", 199)+".*" {
		t.Errorf("pattern %q: a character cut in two", p)
	}
	// Stray continuation bytes (no UTF-8: binary, Latin-1) are characters of their
	// own: cut at the limit, not back to nothing.
	if p := tempPattern(strings.Repeat("\x80", 250)); p != "."+strings.Repeat("\x80", maxTempBase)+".*" {
		t.Errorf("pattern of a name of stray continuation bytes: %q", p)
	}
}

// TestStageModeNotThroughSymlink: the staged file's mode is set on the
// file Stage wrote, not on whatever its name leads to once closed: a
// symlink put in its place (by whoever may write the directory) made
// Stage give its mode to the file the link named.
func TestStageModeNotThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "secret")
	if err := os.WriteFile(victim, []byte("key"), 0o600); err != nil {
		t.Fatal(err)
	}
	defer func(old func(string)) { closed = old }(closed)
	closed = func(name string) {
		if err := os.Remove(name); err != nil {
			t.Error(err)
		}
		if err := os.Symlink(victim, name); err != nil {
			t.Error(err)
		}
	}
	if _, err := Stage(filepath.Join(dir, "out.pub"), []byte("pub"), 0o644); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(victim); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the link's target: %v %v, want 0600 still", fi.Mode(), err)
	}
}
