package lsp

import (
	"slices"
	"sort"

	"github.com/rpl-lang/rpl/lang"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// editBuffer applies the changes of one didChange in turn, each range
// read in the text the changes before it left. It keeps the text and its
// LSP line starts (lang.File.EditorLines) up to date change by change:
// each change rescans the lines it touches and moves the rest, where a
// new lang.File for each change scanned the whole text again (2,000
// changes on a 1 MiB document, a replace-all, took 12 s, on the goroutine
// that reads the client's messages).
type editBuffer struct {
	src   []byte  // the text, the buffer's own
	lines []int32 // the offsets at which its LSP lines start
}

func newEditBuffer(src []byte, lines []int32) *editBuffer {
	return &editBuffer{src: slices.Clone(src), lines: slices.Clone(lines)}
}

// replaceAll makes text the whole text.
func (e *editBuffer) replaceAll(text string) {
	e.src = []byte(text)
	e.lines = append(e.lines[:1], lang.EditorLineStarts(e.src, 0, len(e.src)+1)...)
}

// offset is the offset of the LSP position pos in the text, as toOffset
// finds it in a lang.File of the text.
func (e *editBuffer) offset(pos protocol.Position) int {
	return offsetIn(e.src, e.lines, lang.BOMLenOf(e.src), pos)
}

// replace replaces the range r with text. A range whose end comes before
// its start is the same range (as VS Code's Range takes it).
func (e *editBuffer) replace(r protocol.Range, text string) {
	a, b := e.offset(r.Start), e.offset(r.End)
	if b < a {
		a, b = b, a
	}
	delta := len(text) - (b - a)
	// The lines whose starts may change: from the last start at or
	// before a-1 (which the bytes before a decide) to the first at or
	// after b+1 (which the bytes from b on decide, moved by delta).
	i0 := sort.Search(len(e.lines), func(i int) bool { return int(e.lines[i]) > max(a-1, 0) }) - 1
	i1 := sort.Search(len(e.lines), func(i int) bool { return int(e.lines[i]) >= b+1 })
	e.src = slices.Replace(e.src, a, b, []byte(text)...)
	hi := len(e.src) + 1
	if i1 < len(e.lines) {
		hi = int(e.lines[i1]) + delta
	}
	mid := lang.EditorLineStarts(e.src, int(e.lines[i0]), hi)
	e.lines = slices.Replace(e.lines, i0+1, i1, mid...)
	for i := i0 + 1 + len(mid); i < len(e.lines); i++ {
		e.lines[i] += int32(delta)
	}
}
