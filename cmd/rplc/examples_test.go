package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const examplesDir = "../../examples/policies"

// TestExamplePolicies keeps examples/policies clean: every policy has a
// test file, declares the package named after its file, and the whole
// folder checks without a single diagnostic (not even a warning).
func TestExamplePolicies(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(examplesDir, "*.rpl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no example policies in %s (%v)", examplesDir, err)
	}
	policies := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		base := strings.TrimSuffix(filepath.Base(f), ".rpl")
		pkg := strings.TrimSuffix(base, "_test")
		if !strings.Contains(string(src), "\npackage "+pkg+"\n") && !strings.HasPrefix(string(src), "package "+pkg+"\n") {
			t.Errorf("%s: want package %s", f, pkg)
		}
		if base == pkg {
			policies++
			if _, err := os.Stat(filepath.Join(examplesDir, pkg+"_test.rpl")); err != nil {
				t.Errorf("%s has no test file", f)
			}
		}
	}
	if policies < 7 {
		t.Errorf("%d example policies, want at least 7", policies)
	}

	var stdout, stderr bytes.Buffer
	code := run([]string{"check", examplesDir}, nil, &stdout, &stderr)
	if code != exitOK || stdout.Len() != 0 || !strings.HasPrefix(stderr.String(), "ok ") {
		t.Errorf("rplc check %s: exit %d\n%s%s", examplesDir, code, stdout.String(), stderr.String())
	}
}

func TestUseColor(t *testing.T) {
	var buf bytes.Buffer
	t.Setenv("NO_COLOR", "") // restores the variable after the test
	os.Unsetenv("NO_COLOR")
	for mode, want := range map[string]bool{"auto": false, "always": true, "never": false} {
		if got := useColor(&buf, mode); got != want { // a buffer is not a terminal
			t.Errorf("useColor(buffer, %q): %v, want %v", mode, got, want)
		}
	}
	// A character device that is no terminal: auto coloured it.
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if useColor(null, "auto") {
		t.Errorf("useColor(%s, auto) = true, want false: not a terminal", os.DevNull)
	}
	if useColor(&outWriter{w: null}, "auto") {
		t.Errorf("useColor(outWriter on %s, auto) = true, want false: not a terminal", os.DevNull)
	}
}

// TestColorFor: only a non-empty NO_COLOR turns colour off, and only the
// default's (no-color.org); the flag given wins.
func TestColorFor(t *testing.T) {
	t.Setenv("NO_COLOR", "") // restores the variable after the test
	for _, tc := range []struct {
		noColor  string // "unset" for unset
		mode     string
		terminal bool
		want     bool
	}{
		{"unset", "auto", true, true},
		{"unset", "auto", false, false},
		{"", "auto", true, true}, // empty counts as unset
		{"", "never", true, false},
		{"1", "auto", true, false},
		{"1", "always", false, true},
		{"1", "always", true, true},
		{"1", "never", true, false},
	} {
		if tc.noColor == "unset" {
			os.Unsetenv("NO_COLOR")
		} else {
			t.Setenv("NO_COLOR", tc.noColor)
		}
		if got := colorFor(tc.mode, tc.terminal); got != tc.want {
			t.Errorf("colorFor(%q, terminal=%v) with NO_COLOR=%q: %v, want %v", tc.mode, tc.terminal, tc.noColor, got, tc.want)
		}
	}
}

func TestSummary(t *testing.T) {
	for _, tc := range []struct {
		c     counts
		files int
		want  string
	}{
		{counts{}, 1, "ok 1 file"},
		{counts{}, 16, "ok 16 files"},
		{counts{errors: 2, warnings: 1}, 3, "2 errors, 1 warning in 3 files"},
		{counts{warnings: 2, infos: 1}, 1, "2 warnings, 1 info in 1 file"},
		{counts{errors: 1}, 0, "1 error"}, // of an empty directory: it said "in 0 files"
	} {
		if got := summary(tc.c, tc.files); got != tc.want {
			t.Errorf("summary(%+v, %d) = %q, want %q", tc.c, tc.files, got, tc.want)
		}
	}
}
