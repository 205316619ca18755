package runtime_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/runtime"
)

// TestBuildDirImportOutside: an import or extends that names a file
// outside the directory is refused at its path, with why. The router had
// said that the file was missing (a relative path, resolved in the
// snapshot's private copy of the directory), or read it once (an
// absolute path) and kept deciding with that copy after it changed: its
// version, hashing the directory's files, did not change.
func TestBuildDirImportOutside(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	root := t.TempDir()
	writeFile(t, root, "outside/common.rpl", "package common\n\nfn cheap() -> string = \"openai:gpt-4o-mini\"\n")
	abs := filepath.Join(root, "outside", "common")
	for _, tc := range []struct{ src, want string }{
		{"package chat\n\nimport \"../outside/common\"\n\nfn route(r: Request) -> Decision = to(common.cheap())\n",
			`chat.rpl:3:8: error[RPL203]: "../outside/common" is outside the policy directory: a router serving a directory loads only the files under it`},
		{"package chat\n\nimport \"" + abs + "\"\n\nfn route(r: Request) -> Decision = to(common.cheap())\n",
			`chat.rpl:3:8: error[RPL203]: "` + abs + `" is outside the policy directory`},
		{"package chat\n\nextends \"../outside/common\"\n",
			`chat.rpl:3:9: error[RPL203]: "../outside/common" is outside the policy directory`},
		// Inside, by an absolute path: read from the disk, not the
		// version loaded.
		{"package chat\n\nimport \"" + filepath.Join(root, "tree", "lib", "common") + "\"\n\nfn route(r: Request) -> Decision = to(common.cheap())\n",
			`chat.rpl:3:8: error[RPL203]: "` + filepath.Join(root, "tree", "lib", "common") + `" names the policy directory by an absolute path: a router serving a directory loads only the files under it, by paths relative to the importing file`},
		// Inside, behind a symbolic link to a directory, which the
		// router does not read: it said "no such file".
		{"package chat\n\nimport \"shared/common\"\n\nfn route(r: Request) -> Decision = to(common.cheap())\n",
			`chat.rpl:3:8: error[RPL203]: "shared/common" is hidden (its name, or a directory's on its way, starts with .) or behind a symbolic link to a directory, which a router serving a directory does not read`},
	} {
		dir := filepath.Join(root, "tree")
		os.RemoveAll(dir)
		writeFile(t, dir, "chat.rpl", tc.src)
		writeFile(t, dir, "lib/common.rpl", "package common\n\nfn cheap() -> string = \"openai:gpt-4o-mini\"\n")
		if err := os.Symlink(filepath.Join(root, "outside"), filepath.Join(dir, "shared")); err != nil {
			t.Fatal(err)
		}
		_, err := e.BuildDir(context.Background(), dir)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "cannot load") {
			t.Errorf("BuildDir: %v\nwant %q", err, tc.want)
		}
	}
}

// TestBuildDirLinkOutside: a policy file that is a symbolic link to a file
// outside the directory is refused, naming both: the router read it, kept
// it as its last good version, and never saw it change; a link to any
// readable file put its text in the log. A link to a file inside the
// directory is read.
func TestBuildDirLinkOutside(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	root := t.TempDir()
	writeFile(t, root, "outside/secret.rpl", "package secret\n\nfn route(r: Request) -> Decision = to(\"openai:gpt-4o\")\n")
	dir := filepath.Join(root, "tree")
	writeFile(t, dir, "lib/chat.rpl", "package chat\n\nfn route(r: Request) -> Decision = to(\"openai:gpt-4o-mini\")\n")
	if err := os.Symlink(filepath.Join(dir, "lib", "chat.rpl"), filepath.Join(dir, "chat.rpl")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.BuildDir(context.Background(), dir); err != nil && strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("a link to a file inside: %v", err)
	}
	if err := os.Symlink(filepath.Join(root, "outside", "secret.rpl"), filepath.Join(dir, "secret.rpl")); err != nil {
		t.Fatal(err)
	}
	_, err := e.BuildDir(context.Background(), dir)
	if want := "secret.rpl: a symbolic link to " + filepath.Join(root, "outside", "secret.rpl") + ", outside the policy directory"; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("BuildDir: %v\nwant %q", err, want)
	}
}
