package runtime_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/runtime"
)

// sharedLibraryDir writes a policy directory of n small policies that each
// import lib/common.rpl, a library of 150 functions (lib, when not empty,
// replaces it), with default.rpl.
func sharedLibraryDir(t testing.TB, n int, lib string) string {
	if lib == "" {
		var b strings.Builder
		b.WriteString("package common\n\n")
		for i := range 150 {
			fmt.Fprintf(&b, "fn score%d(r: Request) -> int {\n    if r.task.type == \"code\" {\n        return %d + r.estimate.input_tokens\n    }\n    %d\n}\n\n", i, i, i)
		}
		lib = b.String()
	}
	dir := t.TempDir()
	writeFile(t, dir, "lib/common.rpl", lib)
	writeFile(t, dir, "default.rpl", "package default\n\nfn route(r: Request) -> Decision = to(\"openai:gpt-4o-mini\")\n")
	for i := range n {
		writeFile(t, dir, fmt.Sprintf("t%04d.rpl", i), fmt.Sprintf("package t%04d\n\nimport \"lib/common\"\n\nfn route(r: Request) -> Decision {\n    if common.score%d(r) > 1000 {\n        return to(\"anthropic:claude-sonnet\").because(\"big\")\n    }\n    to(\"openai:gpt-4o-mini\")\n}\n", i, i%150))
	}
	return dir
}

// BenchmarkLoadSharedLibrary loads a directory of 1,000 policies that
// import one library of 150 functions (750 lines): the load parses and
// checks the library once, not once per policy: 1.47 s and 1,107 MiB
// allocated when each policy checked it again, 0.43 s and 291 MiB with
// the load's lang.Session (half of which is writing the load's private
// copy of the 1,002 files; -count 6, a loaded 2-CPU machine).
func BenchmarkLoadSharedLibrary(b *testing.B) {
	dir := sharedLibraryDir(b, 1000, "")
	e := newEngine(b, runtime.Config{})
	for b.Loop() {
		s, err := e.BuildDir(context.Background(), dir)
		if err != nil {
			b.Fatal(err)
		}
		if len(s.PolicyIDs()) != 1001 {
			b.Fatalf("%d policies, want 1001", len(s.PolicyIDs()))
		}
	}
}

// TestLoadSharedLibraryError: a library with an error, imported by
// several policies, is reported at its own position, once, as rplc
// build reports it (not once for each importer and once for the library
// checked as a file of the tree); with the error gone, every importer
// decides with the library.
func TestLoadSharedLibraryError(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	bad := "package common\n\nfn score0(r: Request) -> int = 1 + \"x\"\n\nfn score1(r: Request) -> int = 1\n"
	_, err := e.BuildDir(context.Background(), sharedLibraryDir(t, 3, bad))
	if err == nil {
		t.Fatal("a library with an error loaded")
	}
	if n := strings.Count(err.Error(), "lib/common.rpl:3:32:"); n != 1 || !strings.Contains(err.Error(), `invalid operation: 1 + "x"`) {
		t.Fatalf("load error: %v, want the library's error at lib/common.rpl:3:32 once, have %d", err, n)
	}
	s, err := e.BuildDir(context.Background(), sharedLibraryDir(t, 3, ""))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.PolicyIDs()) != 4 {
		t.Errorf("%d policies, want 4", len(s.PolicyIDs()))
	}
}
