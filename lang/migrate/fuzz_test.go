package migrate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzConvert: any input either is refused with an error that is not the
// generator's own ("a bug": RPL that does not parse, check, compile or
// verify), every error with its line and column (but an empty file's),
// or converts to RPL that is formatted, checks and compiles (Generate
// verifies it) and whose warnings are placed, and never panics. The
// corpus starts from the CP1 policies of testdata/cp1.
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
		// Every error is placed in the document, but that of an empty
		// file, which is about the whole file; so is every warning.
		list, _ := err.(ErrorList)
		for _, e := range list {
			if e.Msg != "invalid JSON: the file is empty" && (e.Line < 1 || e.Col < 1) {
				t.Fatalf("%v: at %d:%d, not placed\ninput: %q", e, e.Line, e.Col, data)
			}
		}
		if err == nil {
			pol, err := Parse(data)
			if err != nil {
				t.Fatalf("Convert took it, Parse: %v\ninput: %q", err, data)
			}
			for _, w := range Warnings(pol, Options{Source: "fuzz.json"}) {
				if w.Place(data); w.Line < 1 || w.Col < 1 {
					t.Fatalf("warning %v: at %d:%d, not placed\ninput: %q", w, w.Line, w.Col, data)
				}
			}
		}
	})
}
