package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/internal/testpolicy"
)

// BenchmarkCheckTree checks a generated policy tree, 10 policies of 2000
// rules (5.3 MB), as `rplc check DIR` does: with -benchmem, what a check
// of a large tree allocates; with -memprofile, where (go test -run '^$'
// -bench CheckTree -benchmem -memprofile mem.out ./cmd/rplc).
func BenchmarkCheckTree(b *testing.B) {
	dir := b.TempDir()
	var size int64
	for i := range 10 {
		src := strings.Replace(testpolicy.WithRules(2000), "package generated", fmt.Sprintf("package gen%d", i), 1)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("gen%d.rpl", i)), []byte(src), 0o644); err != nil {
			b.Fatal(err)
		}
		size += int64(len(src))
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		if code := run([]string{"check", dir}, nil, io.Discard, io.Discard); code != exitOK {
			b.Fatalf("exit %d", code)
		}
	}
}
