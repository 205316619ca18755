package main

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKeygenFiles: keygen's private key is 0600 and its public key 0644
// whatever was there before; --force replaces files and symlinks (the
// link's target stays as it was); without it nothing is overwritten,
// not even through a link to nowhere, and a public key file that exists
// leaves no private key behind.
func TestKeygenFiles(t *testing.T) {
	dir := t.TempDir()
	keygen := func(args ...string) (int, string) {
		var stderr bytes.Buffer
		code := run(append([]string{"keygen"}, args...), strings.NewReader(""), io.Discard, &stderr)
		return code, stderr.String()
	}
	mode := func(p string) fs.FileMode {
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode()
	}
	old := func(p string, perm fs.FileMode) {
		if err := os.WriteFile(p, []byte("old\n"), perm); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, perm); err != nil { // whatever the umask
			t.Fatal(err)
		}
	}

	k1 := filepath.Join(dir, "k1")
	old(k1, 0o644)
	old(k1+".pub", 0o600)
	if code, stderr := keygen("-o", k1, "--force"); code != 0 {
		t.Fatalf("keygen --force over existing files: %d %s", code, stderr)
	}
	if m, p := mode(k1), mode(k1+".pub"); m != 0o600 || p != 0o644 {
		t.Errorf("over existing files: private key %v, public key %v, want -rw------- and -rw-r--r--", m, p)
	}

	target, k2 := filepath.Join(dir, "target"), filepath.Join(dir, "k2")
	old(target, 0o644)
	if err := os.Symlink("target", k2); err != nil {
		t.Fatal(err)
	}
	if code, stderr := keygen("-o", k2, "--force"); code != 0 {
		t.Fatalf("keygen --force over a symlink: %d %s", code, stderr)
	}
	if data, _ := os.ReadFile(target); mode(k2) != 0o600 || string(data) != "old\n" || mode(target) != 0o644 {
		t.Errorf("over a symlink: key %v, target %v %q; want the link replaced by a -rw------- file, its target untouched", mode(k2), mode(target), data)
	}

	k3 := filepath.Join(dir, "k3")
	if err := os.Symlink("nowhere", k3); err != nil {
		t.Fatal(err)
	}
	if code, stderr := keygen("-o", k3); code != 2 || !strings.Contains(stderr, "k3 exists (--force overwrites it)") {
		t.Errorf("keygen over a link to nowhere: %d %q, want 2 and that it exists", code, stderr)
	}
	if _, err := os.Lstat(filepath.Join(dir, "nowhere")); err == nil {
		t.Error("keygen wrote through a link to nowhere")
	}

	k4 := filepath.Join(dir, "k4")
	old(k4+".pub", 0o644)
	if code, stderr := keygen("-o", k4); code != 2 || !strings.Contains(stderr, "k4.pub exists (--force overwrites it)") {
		t.Errorf("keygen beside a public key: %d %q, want 2 and that it exists", code, stderr)
	}
	if _, err := os.Lstat(k4); err == nil {
		t.Error("keygen left a private key without its public key")
	}
	if data, _ := os.ReadFile(k4 + ".pub"); string(data) != "old\n" {
		t.Errorf("the existing public key overwritten: %q", data)
	}
}

// TestKeygenForcePubFails: with --force, a public key file that cannot
// be replaced, a directory (with something in it), is refused before
// anything is written (exit 2): the new private key replaced the old, and
// then the public key failed, leaving a pair that did not match, for the
// error to say so ("is the new private key: run keygen again", which a
// rename that fails otherwise still says).
func TestKeygenForcePubFails(t *testing.T) {
	dir := t.TempDir()
	k := filepath.Join(dir, "k")
	if err := os.MkdirAll(filepath.Join(k+".pub", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	code := run([]string{"keygen", "-o", k, "--force"}, strings.NewReader(""), io.Discard, &stderr)
	if code != exitUsage || !strings.Contains(stderr.String(), "k.pub, the public key's file, is a directory") {
		t.Errorf("keygen --force with a directory for k.pub: %d %s, want 2 saying k.pub is a directory", code, stderr.String())
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("left in the directory: %v, want k.pub alone", ents)
	}
}
