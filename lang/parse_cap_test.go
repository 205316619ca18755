package lang_test

import (
	"runtime"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/lang"
)

// TestParseManyInvalidChars: a file of many characters that start no
// token (random bytes: one RPL101 each) is reported as MaxDiagnostics
// errors and a note counting every other one, and the parser does not
// build a diagnostic for each: a 20 MB file took 22 s and 2.6 GB (400
// bytes allocated a character here, 190 now).
func TestParseManyInvalidChars(t *testing.T) {
	const n = 50_000
	src := []byte("package p\n" + strings.Repeat("\x01\n", n)) // a line each: none is a duplicate
	var diags lang.DiagList
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, diags = lang.Parse("big.rpl", src)
	runtime.ReadMemStats(&after)
	shown, hidden := 0, 0
	for _, d := range diags {
		if d.Code == lang.CodeTooMany {
			hidden += d.Hidden()
		} else {
			shown++
		}
	}
	if shown != lang.MaxDiagnostics || shown+hidden != n {
		t.Errorf("%d shown and %d counted in the note, want %d and %d", shown, hidden, lang.MaxDiagnostics, n-lang.MaxDiagnostics)
	}
	if want := lang.AndMoreErrors(n - 1); !strings.HasSuffix(diags.Error(), want) {
		t.Errorf("list's error %q, want it to end %q", diags.Error(), want)
	}
	if b := after.TotalAlloc - before.TotalAlloc; b > 300*n {
		t.Errorf("%d bytes allocated for %d invalid characters, want the diagnostics past the cap counted, not built", b, n)
	}
}
