package lsp

import (
	"sort"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/rpl-lang/rpl/lang"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// This file is the only place where lang's byte offsets meet LSP's
// positions: 0-based lines and columns counted in UTF-16 code units.

// toPosition converts an offset of f into an LSP position. An offset
// between the CR and the LF of a line end (the end of a span that took
// the CR in, as an unterminated string's does) is the end of its line: the
// CR is no character of the line, and a column past it is past the line.
func toPosition(f *lang.File, p lang.Pos) protocol.Position {
	if f == nil || p < 0 {
		return protocol.Position{}
	}
	if int(p) > len(f.Src) {
		p = lang.Pos(len(f.Src))
	}
	if p > 0 && int(p) < len(f.Src) && f.Src[p-1] == '\r' && f.Src[p] == '\n' {
		p--
	}
	line, start := lineOf(f, p)
	return protocol.Position{Line: uint32(line), Character: uint32(utf16Len(f.Src[start:p]))}
}

// toRange converts a span of f into an LSP range.
func toRange(f *lang.File, sp lang.Span) protocol.Range {
	if !sp.Start.IsValid() {
		return protocol.Range{}
	}
	end := sp.End
	if end < sp.Start {
		end = sp.Start
	}
	return protocol.Range{Start: toPosition(f, sp.Start), End: toPosition(f, end)}
}

// toOffset converts an LSP position into an offset of f. A line past the
// end gives the end of the file; a column past the end of its line gives
// the end of the line (before its \r\n, \n or \r); a column inside a
// surrogate pair gives the start of its character.
func toOffset(f *lang.File, pos protocol.Position) lang.Pos {
	return lang.Pos(offsetIn(f.Src, f.EditorLines(), f.BOMLen(), pos))
}

// offsetIn is toOffset on a text src whose LSP lines start at starts
// (lang.File.EditorLines), after a byte order mark of bom bytes.
func offsetIn(src []byte, starts []int32, bom int, pos protocol.Position) int {
	line := int(pos.Line)
	if line >= len(starts) {
		return len(src)
	}
	i := int(starts[line])
	if line == 0 {
		i = bom
	}
	for units := 0; i < len(src) && src[i] != '\n' && src[i] != '\r'; {
		r, size := utf8.DecodeRune(src[i:])
		w := utf16.RuneLen(r)
		if units+w > int(pos.Character) {
			break
		}
		units += w
		i += size
	}
	return i
}

// lineOf is the 0-based LSP line of offset p and the offset its columns
// start at. LSP's lines end at \n, \r\n and a lone \r, RPL's at the
// first two only (lang.File.EditorLines).
func lineOf(f *lang.File, p lang.Pos) (line, start int) {
	starts := f.EditorLines()
	line = sort.Search(len(starts), func(i int) bool { return starts[i] > int32(p) }) - 1
	if line == 0 {
		return 0, min(f.BOMLen(), int(p))
	}
	return line, int(starts[line])
}

// toSpan converts an LSP range into a span of f.
func toSpan(f *lang.File, r protocol.Range) lang.Span {
	return lang.Span{Start: toOffset(f, r.Start), End: toOffset(f, r.End)}
}

// utf16Len is the length of b in UTF-16 code units (an invalid byte counts
// as one, like the U+FFFD an editor shows for it).
func utf16Len(b []byte) int {
	n := 0
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		n += utf16.RuneLen(r) // an invalid byte is utf8.RuneError, one unit
		b = b[size:]
	}
	return n
}
