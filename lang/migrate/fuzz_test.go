package migrate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzConvert: any input either is refused with an error that is not the
// generator's own ("a bug": RPL that does not parse, check, compile or
// verify), every error about a JSON path with its line and column, or
// converts to RPL that is formatted, checks and compiles (Generate
// verifies it), and never panics. The corpus starts from the
// CP1 policies of testdata/cp1.
func FuzzConvert(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(cp1Dir, "*.json"))
	invalid, _ := filepath.Glob(filepath.Join(cp1Dir, "invalid", "*.json"))
	for _, name := range append(files, invalid...) {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Convert(data, Options{Source: "fuzz.json"})
		if err != nil && strings.Contains(err.Error(), "(a bug)") {
			t.Fatalf("%v\ninput: %q", err, data)
		}
		// Every error about a JSON path is placed in the document.
		list, _ := err.(ErrorList)
		for _, e := range list {
			if e.Path != "" && (e.Line < 1 || e.Col < 1) {
				t.Fatalf("%v: at %d:%d, not placed\ninput: %q", e, e.Line, e.Col, data)
			}
		}
	})
}
