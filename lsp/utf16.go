package lsp

import (
	"unicode/utf8"

	"github.com/rpl-lang/rpl/lang"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// This file is the only place where lang's byte offsets meet LSP's
// positions: 0-based lines and columns counted in UTF-16 code units.

// toPosition converts an offset of f into an LSP position.
func toPosition(f *lang.File, p lang.Pos) protocol.Position {
	if f == nil || p < 0 {
		return protocol.Position{}
	}
	if int(p) > len(f.Src) {
		p = lang.Pos(len(f.Src))
	}
	pos := f.Position(p)
	start := f.LineStart(pos.Line)
	return protocol.Position{Line: uint32(pos.Line - 1), Character: uint32(utf16Len(f.Src[start:p]))}
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
// the end of the line; a column inside a surrogate pair gives the start of
// its character.
func toOffset(f *lang.File, pos protocol.Position) lang.Pos {
	line := int(pos.Line) + 1
	if line > f.LineCount() {
		return lang.Pos(len(f.Src))
	}
	i := int(f.LineStart(line))
	for units := 0; i < len(f.Src) && f.Src[i] != '\n'; {
		r, size := utf8.DecodeRune(f.Src[i:])
		w := 1
		if r >= 0x10000 {
			w = 2
		}
		if units+w > int(pos.Character) {
			break
		}
		units += w
		i += size
	}
	return lang.Pos(i)
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
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
		b = b[size:]
	}
	return n
}
