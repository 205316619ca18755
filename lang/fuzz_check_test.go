package lang_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rpl-lang/rpl/lang"
)

// FuzzCheck: checking any input never panics or hangs, and every
// diagnostic has a code and a span inside its file.
func FuzzCheck(f *testing.F) {
	u := universe(f)
	for _, dir := range []string{"testdata/check", "testdata/checkgolden", "../examples/policies", "../testdata/conformance"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, p := range files {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		cfg := &lang.Config{Universe: u, ReadFile: func(string) ([]byte, error) { return nil, os.ErrNotExist }}
		_, diags := lang.CheckSource(cfg, "fuzz.rpl", src)
		for _, d := range diags {
			if d.Code == "" {
				t.Fatalf("diagnostic without code: %v", d)
			}
			if d.File != nil && d.File.Name == "fuzz.rpl" && (d.Span.Start < 0 || int(d.Span.End) > len(src) || d.Span.Start > d.Span.End) {
				t.Fatalf("bad span %v in %d bytes: %v", d.Span, len(src), d)
			}
		}
	})
}
