package lsp

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rpl-lang/rpl/lang"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// applyNaive applies one change as didChange did, with a new lang.File for
// each: the reference editBuffer must agree with.
func applyNaive(src []byte, r protocol.Range, text string) []byte {
	f := lang.NewFile("p.rpl", src)
	sp := toSpan(f, r)
	if sp.End < sp.Start {
		sp.Start, sp.End = sp.End, sp.Start
	}
	return slices.Concat(src[:sp.Start], []byte(text), src[sp.End:])
}

// editBuffer, which keeps its line starts change by change, gives the
// text that a new lang.File for each change gave, and the line starts of
// that text, whatever the line ends (\n, \r\n, a lone \r, a \r and a \n
// joined or parted by a change), a byte order mark, characters of two
// UTF-16 units, and ranges past the end or reversed.
func TestEditBufferAgrees(t *testing.T) {
	pieces := []string{"a", "bc", "\n", "\r", "\r\n", "\xEF\xBB\xBF", "é", "😀", "x\ny", "\r\r", "\n\r"}
	rng := rand.New(rand.NewPCG(1, 2))
	text := func(n int) string {
		var sb strings.Builder
		for range rng.IntN(n) {
			sb.WriteString(pieces[rng.IntN(len(pieces))])
		}
		return sb.String()
	}
	pos := func() protocol.Position {
		return protocol.Position{Line: uint32(rng.IntN(8)), Character: uint32(rng.IntN(6))}
	}
	for round := range 3000 {
		src := []byte(text(12))
		f := lang.NewFile("p.rpl", src)
		ed := newEditBuffer(src, f.EditorLines())
		naive := slices.Clone(src)
		for step := range 6 {
			if rng.IntN(20) == 0 {
				s := text(8)
				ed.replaceAll(s)
				naive = []byte(s)
			} else {
				r, s := protocol.Range{Start: pos(), End: pos()}, text(4)
				ed.replace(r, s)
				naive = applyNaive(naive, r, s)
			}
			want := lang.NewFile("p.rpl", naive).EditorLines()
			if string(ed.src) != string(naive) || !slices.Equal(ed.lines, want) {
				t.Fatalf("round %d step %d: text %q lines %v, want %q lines %v", round, step, ed.src, ed.lines, naive, want)
			}
		}
	}
}

// The editor buffer's positions are lang's, and the LSP's: on a text with
// a byte order mark, \r\n, lone \r and characters of two and four bytes,
// the mark there from the start or brought by an edit, the offset an
// editBuffer finds for each LSP position (its lines and byte order mark
// its own) is the one counted here, by lines that \n, \r\n and \r end and
// columns in UTF-16 units after the mark, and lang's File puts each
// offset at that position (toPosition); a column past its line is the
// line's end, one inside a surrogate pair its character's start, a line
// past the last the end of the text.
func TestEditBufferPositionsAgree(t *testing.T) {
	const text = "\uFEFFpolicy p\r\nlet é = \"😀\"\rrule r {\n\r\n\rz ü\r"
	fromStart := &editBuffer{lines: []int32{0}}
	fromStart.replaceAll(text)
	brought := &editBuffer{lines: []int32{0}}
	brought.replaceAll(text[3:])
	brought.replace(protocol.Range{}, text[:3])
	f := lang.NewFile("p.rpl", []byte(text))
	// Each character's offset and position, counted afresh.
	type at struct {
		off  int
		pos  protocol.Position
		pair bool // of two UTF-16 units
		eol  bool // a line's end
	}
	var want []at
	line, char := uint32(0), uint32(0)
	for i := len("\uFEFF"); i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		a := at{off: i, pos: protocol.Position{Line: line, Character: char}, pair: r > 0xFFFF, eol: r == '\r' || r == '\n'}
		want = append(want, a)
		switch {
		case strings.HasPrefix(text[i:], "\r\n"):
			size = 2
			fallthrough
		case a.eol:
			line, char = line+1, 0
		case a.pair:
			char += 2
		default:
			char++
		}
		i += size
	}
	want = append(want, at{off: len(text), pos: protocol.Position{Line: line, Character: char}, eol: true})
	if line != 6 || len(want) != 37 {
		t.Fatalf("counted %d lines, %d characters: the text is not the one meant", line+1, len(want))
	}
	for _, a := range want {
		if got := toPosition(f, lang.Pos(a.off)); got != a.pos {
			t.Errorf("offset %d is at %d:%d in lang's file, want %d:%d", a.off, got.Line, got.Character, a.pos.Line, a.pos.Character)
		}
	}
	for name, ed := range map[string]*editBuffer{"whole": fromStart, "edited": brought} {
		if string(ed.src) != text || !slices.Equal(ed.lines, f.EditorLines()) {
			t.Fatalf("%s: text %q lines %v, want %q lines %v", name, ed.src, ed.lines, text, f.EditorLines())
		}
		check := func(pos protocol.Position, off int) {
			t.Helper()
			if got := ed.offset(pos); got != off {
				t.Errorf("%s: %d:%d is offset %d in the editor's buffer, want %d", name, pos.Line, pos.Character, got, off)
			}
		}
		for i, a := range want {
			check(a.pos, a.off)
			if a.pair {
				check(protocol.Position{Line: a.pos.Line, Character: a.pos.Character + 1}, a.off)
			}
			if a.eol {
				check(protocol.Position{Line: a.pos.Line, Character: a.pos.Character + 5}, a.off)
			}
			if i == len(want)-1 {
				check(protocol.Position{Line: a.pos.Line + 1, Character: 0}, a.off)
				check(protocol.Position{Line: a.pos.Line + 3, Character: 7}, a.off)
			}
		}
	}
}

// A didChange of many changes to a large document costs about the
// document's size, not the document's size for each change: a replace-all
// of 2,000 changes in a 1 MiB document took 12 s, every message after it
// waiting. Measured in bytes allocated, which a new lang.File and a new
// copy of the text for each change made grow with the changes.
func TestDidChangeManyEditsLinear(t *testing.T) {
	const size = 256 << 10
	src := strings.Repeat("fn f(a: int) -> int = a + 1 # comment\n", size/38)
	s := &Server{docs: map[string]*document{}, snaps: map[string]*snapshot{}, dirty: map[string]bool{}, edited: map[string]bool{},
		ended: true} // no flush
	const path = "/ws/p.rpl"
	s.docs[path] = &document{uri: pathToURI(path), path: path, file: lang.NewFile(path, []byte(src))}
	var changes []any
	for i := range 1000 {
		r := protocol.Range{Start: protocol.Position{Line: uint32(i), Character: 0}, End: protocol.Position{Line: uint32(i), Character: 2}}
		changes = append(changes, protocol.TextDocumentContentChangeEvent{Range: &r, Text: "FN!"})
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	s.didChange(&protocol.DidChangeTextDocumentParams{TextDocument: protocol.VersionedTextDocumentIdentifier{Version: 2,
		TextDocumentIdentifier: protocol.TextDocumentIdentifier{URI: pathToURI(path)}}, ContentChanges: changes})
	runtime.ReadMemStats(&after)
	if got := s.docs[path].file.Src; !strings.HasPrefix(string(got), strings.Repeat("FN! f(a: int) -> int = a + 1 # comment\n", 1000)) || len(got) != len(src)+1000 {
		t.Fatalf("text after the changes: %q...", got[:min(len(got), 120)])
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16*size {
		t.Errorf("1,000 changes to a %d-byte document allocated %d bytes, more than 16 times the document", size, alloc)
	}
}

// FuzzEditBuffer checks editBuffer against a new lang.File per change for
// any text and change.
func FuzzEditBuffer(f *testing.F) {
	f.Add("a\r\nb\rc\n", uint8(1), uint8(0), uint8(0), uint8(1), "\n")
	f.Add("\xEF\xBB\xBFx\r", uint8(0), uint8(1), uint8(1), uint8(0), "\r\n😀")
	f.Fuzz(func(t *testing.T, src string, l1, c1, l2, c2 uint8, text string) {
		r := protocol.Range{Start: protocol.Position{Line: uint32(l1), Character: uint32(c1)}, End: protocol.Position{Line: uint32(l2), Character: uint32(c2)}}
		ed := newEditBuffer([]byte(src), lang.NewFile("p.rpl", []byte(src)).EditorLines())
		ed.replace(r, text)
		want := applyNaive([]byte(src), r, text)
		if string(ed.src) != string(want) || !slices.Equal(ed.lines, lang.NewFile("p.rpl", want).EditorLines()) {
			t.Fatalf("text %q lines %v, want %q lines %v", ed.src, ed.lines, want, lang.NewFile("p.rpl", want).EditorLines())
		}
	})
}
