package lsp

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
	"github.com/rpl-lang/rpl/lang"
)

// applyLineEdits applies edits (in order, not overlapping) to src.
func applyLineEdits(src []byte, edits []lineEdit) []byte {
	var out []byte
	at := 0
	for _, e := range edits {
		out = append(out, src[at:e.span.Start]...)
		out = append(out, e.text...)
		at = int(e.span.End)
	}
	return append(out, src[at:]...)
}

// formattingEdits turns each formatter golden input, with LF, with CRLF
// line ends and with a byte order mark, into its formatted text with the
// same line ends (and mark); with CRLF, the edits are those with LF but
// for their line ends.
func TestFormattingEditsGoldens(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "lang", "testdata", "format", "*.txtar"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no format goldens: %v", err)
	}
	crlf := func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")) }
	bom := []byte("\uFEFF")
	for _, file := range files {
		a, err := txtar.ParseFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range a.Files {
			if f.Name != "in.rpl" {
				continue
			}
			out, err := lang.FormatSource("in.rpl", f.Data)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			var lf []lineEdit
			for _, tc := range []struct {
				name      string
				src, want []byte
				bom       int
			}{
				{"lf", f.Data, out, 0},
				{"crlf", crlf(f.Data), crlf(out), 0},
				{"bom crlf", append(bom, crlf(f.Data)...), append(bom, crlf(out)...), len(bom)},
			} {
				edits := formattingEdits(tc.src, tc.bom, out)
				if got := applyLineEdits(tc.src, edits); !bytes.Equal(got, tc.want) {
					t.Errorf("%s %s: edits give\n%q\nwant\n%q", filepath.Base(file), tc.name, got, tc.want)
				}
				if tc.name == "lf" {
					lf = edits
					continue
				}
				same := len(edits) == len(lf)
				for i := 0; same && i < len(edits); i++ {
					same = strings.ReplaceAll(edits[i].text, "\r\n", "\n") == lf[i].text
				}
				if !same {
					t.Errorf("%s %s: edits %q, with LF %q", filepath.Base(file), tc.name, edits, lf)
				}
			}
		}
	}
}

// A line that differs from the formatted one only by its line end is kept,
// in a document of mixed line ends; a last line without one gets the
// document's.
func TestFormattingEditsMixedLineEnds(t *testing.T) {
	src := []byte("package p\r\n\r\nconst a = 1\nconst b  = 2\r\nconst c = 3")
	out, err := lang.FormatSource("p.rpl", src)
	if err != nil {
		t.Fatal(err)
	}
	edits := formattingEdits(src, 0, out)
	want := lineEdit{lang.Span{Start: 25, End: 50}, "const b = 2\r\nconst c = 3\r\n"}
	if len(edits) != 1 || edits[0] != want {
		t.Errorf("edits %q, want %q", edits, want)
	}
}

// Texts too far apart for the edit script get one edit from the first
// changed line to the last.
func TestFormattingEditsBound(t *testing.T) {
	var a, b strings.Builder
	a.WriteString("first\n")
	b.WriteString("first\n")
	for i := range maxFormatEdits {
		a.WriteString("x" + strings.Repeat(" ", i%3) + "\n")
		b.WriteString("y\n")
	}
	a.WriteString("last\n")
	b.WriteString("last\n")
	edits := formattingEdits([]byte(a.String()), 0, []byte(b.String()))
	if len(edits) != 1 || edits[0].span.Start != 6 || int(edits[0].span.End) != a.Len()-len("last\n") {
		t.Fatalf("edits %v", edits)
	}
	if got := applyLineEdits([]byte(a.String()), edits); string(got) != b.String() {
		t.Errorf("edits give %q", got)
	}
}

// TestSplitKeyed: the lines of a text after its first from bytes, each
// keyed by its text and "\n" when it ends (a "\r" before it part of the
// end), the last one only when it is not empty.
func TestSplitKeyed(t *testing.T) {
	for _, tc := range []struct {
		text string
		from int
		want []keyedLine
	}{
		{"", 0, nil},
		{"a", 0, []keyedLine{{0, "a", false}}},
		{"a\n", 0, []keyedLine{{0, "a\n", true}}},
		{"a\r\nb", 0, []keyedLine{{0, "a\n", true}, {3, "b", false}}},
		{"a\rb\n\r", 0, []keyedLine{{0, "a\rb\n", true}, {4, "\r", false}}},
		{"\ufeffa\n\n", 3, []keyedLine{{3, "a\n", true}, {5, "\n", true}}},
	} {
		got := splitKeyed([]byte(tc.text), tc.from)
		if len(got) != len(tc.want) {
			t.Errorf("splitKeyed(%q, %d) = %v, want %v", tc.text, tc.from, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("splitKeyed(%q, %d) = %v, want %v", tc.text, tc.from, got, tc.want)
				break
			}
		}
	}
}
