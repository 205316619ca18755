package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/compiler/bundle"
)

// TestReadmeTutorialBuilds: the README tutorial's policy, tests and
// tenants.json build into bundles of the sizes it prints, unsigned,
// signed and with the tenant (its figures were 8 bytes short). The size
// counts the compiler version, whose length the README gives with its
// toolchain; a test binary's may differ (another Go release), by as much.
func TestReadmeTutorialBuilds(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	block := func(lang, start string) string {
		i := strings.Index(readme, "```"+lang+"\n"+start)
		if i < 0 {
			t.Fatalf("README has no %s block starting %q", lang, start)
		}
		b := readme[i+len("```"+lang+"\n"):]
		return b[:strings.Index(b, "```")]
	}
	m := regexp.MustCompile("the sizes here are those of `([^`]+)`").FindStringSubmatch(readme)
	if m == nil {
		t.Fatal("README does not say the toolchain its bundle sizes are of")
	}
	delta := len(bundle.CompilerVersion()) - len(m[1])
	wrote := regexp.MustCompile(`wrote chat\.rplb: .*?(\d+) bytes.*`).FindAllStringSubmatch(readme, -1)
	if len(wrote) != 3 {
		t.Fatalf("README has %d lines 'wrote chat.rplb: …', want 3", len(wrote))
	}

	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("SOURCE_DATE_EPOCH", "")
	os.Unsetenv("SOURCE_DATE_EPOCH")
	files := map[string]string{
		"policies/chat.rpl":      block("rpl", "package chat\n\nimport \"std/cost\""),
		"policies/chat_test.rpl": block("rpl", "package chat\n\nimport \"std/testing\""),
	}
	for name, src := range files {
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rplc := func(args ...string) string {
		var stdout, stderr bytes.Buffer
		if code := run(args, nil, &stdout, &stderr); code != exitOK {
			t.Fatalf("rplc %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
		}
		return stdout.String() + stderr.String()
	}
	keyID := regexp.MustCompile(`key id ([0-9a-f]+)`)
	check := func(i int, out string) {
		t.Helper()
		n, _ := strconv.Atoi(wrote[i][1])
		want := strings.Replace(wrote[i][0], wrote[i][1]+" bytes", fmt.Sprintf("%d bytes", n+delta), 1)
		if k := keyID.FindStringSubmatch(out); k != nil {
			want = regexp.MustCompile(`signed by key [0-9a-f]+`).ReplaceAllString(want, "signed by key "+k[1])
		}
		if !strings.Contains(out, want+"\n") {
			t.Errorf("README's %q (%d bytes more or less for this toolchain's version) is not what the build wrote:\n%s", wrote[i][0], delta, out)
		}
	}
	check(0, rplc("build", "policies", "-o", "chat.rplb"))
	key := rplc("keygen", "-o", "release.key")
	check(1, key+rplc("build", "policies", "-o", "chat.rplb", "--sign", "release.key"))
	if err := os.WriteFile("policies/tenants.json", []byte(block("json", `{"tenants": [{"id": "acme", "policy": "chat"`)), 0o644); err != nil {
		t.Fatal(err)
	}
	check(2, rplc("build", "policies", "-o", "chat.rplb"))
}
