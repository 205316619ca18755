package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
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

// The closing line counts the diagnostics left out past a file's 100
// (RPL900): it said "100 errors, 1 info" for 151 errors (found by a
// review), and build "100 errors".
func TestSummaryCountsHidden(t *testing.T) {
	dir := t.TempDir()
	var src strings.Builder
	src.WriteString("package many\n\n")
	for i := range 151 {
		fmt.Fprintf(&src, "const c%d: int = \"s\"\n", i)
	}
	src.WriteString("\nfn route(r: Request) -> Decision = to(\"a:b\")\n")
	if err := os.WriteFile(filepath.Join(dir, "many.rpl"), []byte(src.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"check", dir}, "\n100 errors, 51 more not shown in 1 file\n"},
		{[]string{"build", dir, "-o", filepath.Join(dir, "out.rplb")}, "\nbuild failed: 100 errors and 51 more diagnostics not shown\n"},
	} {
		var out, errb bytes.Buffer
		if code := run(c.args, nil, &out, &errb); code != exitFail || !strings.HasSuffix("\n"+errb.String(), c.want) {
			t.Errorf("rplc %s: exit %d, stderr ends %q; want %q", c.args[0], code, tail(errb.String(), 120), c.want)
		}
	}
	// eval (and explain) keep the note with the errors, and say it: they
	// kept only the errors ("100 errors").
	req := filepath.Join(dir, "r.json")
	if err := os.WriteFile(req, []byte(`{"id": "r1"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := run([]string{"eval", "--format", "json", filepath.Join(dir, "many.rpl"), "--request", req}, nil, &out, &errb)
	var got struct {
		Error       string
		Diagnostics []struct{ Code string }
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	last := ""
	if n := len(got.Diagnostics); n > 0 {
		last = got.Diagnostics[n-1].Code
	}
	if code != exitFail || !strings.HasSuffix(got.Error, ": 100 errors and 51 more diagnostics not shown") || last != "RPL900" {
		t.Errorf("rplc eval: exit %d, error %q, last diagnostic %s", code, got.Error, last)
	}
}

func tail(s string, n int) string { return s[max(0, len(s)-n):] }

// TestJSONFileAsGiven: a diagnostic's file in --format json is named as
// its path was given, whatever the working directory: absolute when given
// absolute (it came out relative to the working directory when that was
// shorter, and ../x when run from elsewhere), relative as given
// otherwise, ../ included.
func TestJSONFileAsGiven(t *testing.T) {
	dir := t.TempDir()
	policy := filepath.Join(dir, "sub", "p.rpl")
	os.MkdirAll(filepath.Dir(policy), 0o755)
	os.MkdirAll(filepath.Join(dir, "other"), 0o755)
	os.WriteFile(policy, []byte("package p\n\nfn route(r: Request) -> Decision = to(nope)\n"), 0o644)
	for _, tt := range []struct{ cwd, arg, want string }{
		{dir, policy, policy},
		{dir, filepath.Join(dir, "sub"), policy},
		{filepath.Join(dir, "other"), policy, policy},
		{dir, filepath.Join("sub", "p.rpl"), filepath.Join("sub", "p.rpl")},
		{dir, "sub", filepath.Join("sub", "p.rpl")},
		{filepath.Join(dir, "other"), filepath.Join("..", "sub"), filepath.Join("..", "sub", "p.rpl")},
	} {
		t.Chdir(tt.cwd)
		var stdout, stderr bytes.Buffer
		run([]string{"check", "--format", "json", tt.arg}, nil, &stdout, &stderr)
		var d struct{ File string }
		if err := json.Unmarshal(stdout.Bytes(), &d); err != nil || d.File != tt.want {
			t.Errorf("in %s, check %s: file %q (%v), want %q", tt.cwd, tt.arg, d.File, err, tt.want)
		}
	}
}
