package lsp

import (
	"bytes"
	"context"

	"github.com/rpl-lang/rpl/internal/linediff"
	"github.com/rpl-lang/rpl/lang"
	"github.com/sourcegraph/jsonrpc2"
	"github.com/tliron/glsp"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// formatting formats a document with the canonical formatter
// (lang.FormatSource); there are no options, RPL has one layout. A file
// with syntax errors is left alone (no edits): the diagnostics say why.
//
// The edits are the lines that change (formattingEdits), not the whole
// file, so that an editor keeps its cursor, folds and undo steps on the
// others; and they keep the document's line ends, which are the client's
// (the formatter writes LF): in a CRLF document, the lines inserted end
// with CRLF and the lines that differ only by their end are left alone.
// A byte order mark is left alone too.
func (s *Server) formatting(_ *glsp.Context, p *protocol.DocumentFormattingParams) ([]protocol.TextEdit, error) {
	path := uriToPath(p.TextDocument.URI)
	cur := s.text(path)
	if cur == nil {
		return nil, nil
	}
	d := s.openDoc(path)
	s.laterCheck(string(protocol.MethodTextDocumentFormatting), func(context.Context) (any, error) {
		edits := formatEdits(path, cur)
		if s.openDoc(path) != d { // each change makes a new document
			// The edits are of the text before: the editor would apply
			// them to the text since.
			return nil, &jsonrpc2.Error{Code: codeContentModified, Message: "the document changed during the formatting: format again"}
		}
		return edits, nil
	})
	return nil, nil
}

// formatEdits are formatting's edits of cur, the text of the file at
// path.
func formatEdits(path string, cur *lang.File) []protocol.TextEdit {
	out, err := lang.FormatSource(path, cur.Src)
	if err != nil || bytes.Equal(out, cur.Src) {
		return []protocol.TextEdit{}
	}
	edits := []protocol.TextEdit{}
	for _, e := range formattingEdits(cur.Src, cur.BOMLen(), out) {
		edits = append(edits, protocol.TextEdit{Range: toRange(cur, e.span), NewText: e.text})
	}
	return edits
}

// lineEdit replaces the bytes of span with text.
type lineEdit struct {
	span lang.Span
	text string
}

// maxFormatEdits bounds the line edit scripts formattingEdits searches
// (its memory grows with their square); documents further from their
// formatted text get one edit from their first changed line to their last.
const maxFormatEdits = 1000

// formattingEdits returns the edits, in order and not overlapping, that
// turn src (whose first bom bytes are a byte order mark, left alone) into
// out, the formatter's text, with src's line end: whole lines, the fewest
// inserted and deleted (Myers's algorithm). Lines are compared without
// their line end, so a line that only ends differently (LF in a CRLF
// document) is kept. The line end is that of src's first line, CRLF or
// LF.
func formattingEdits(src []byte, bom int, out []byte) []lineEdit {
	eol := "\n"
	if i := bytes.IndexByte(src, '\n'); i > 0 && src[i-1] == '\r' {
		eol = "\r\n"
	}
	a, b := splitKeyed(src, bom), splitKeyed(out, 0)
	// The common first and last lines, then an edit script of the rest.
	lo := 0
	for lo < len(a) && lo < len(b) && a[lo].key == b[lo].key {
		lo++
	}
	ha, hb := len(a), len(b)
	for ha > lo && hb > lo && a[ha-1].key == b[hb-1].key {
		ha, hb = ha-1, hb-1
	}
	kept := append(lineScript(a[lo:ha], b[lo:hb]), [2]int{ha - lo, hb - lo}) // a sentinel: the end
	var edits []lineEdit
	i, j := 0, 0 // the next lines of a[lo:ha] and b[lo:hb]
	for _, k := range kept {
		if k[0] > i || k[1] > j {
			start := lineOffset(src, a, lo+i)
			end := lineOffset(src, a, lo+k[0])
			var text []byte
			for _, l := range b[lo+j : lo+k[1]] {
				text = append(text, l.key...)
				if l.eol {
					text = append(text[:len(text)-1], eol...) // the key ends in "\n"
				}
			}
			edits = append(edits, lineEdit{lang.Span{Start: lang.Pos(start), End: lang.Pos(end)}, string(text)})
		}
		i, j = k[0]+1, k[1]+1
	}
	return edits
}

// keyedLine is a line of a text: where it starts, and its key, its text
// without its line end followed by "\n" when it has one (the last line may
// have none).
type keyedLine struct {
	start int
	key   string
	eol   bool
}

// splitKeyed splits text[from:] into lines after each "\n" (lineSpans). A
// "\r" before the "\n" is part of the line end; any other "\r" is text, as
// in RPL.
func splitKeyed(text []byte, from int) []keyedLine {
	spans := lineSpans(text[from:])
	lines := make([]keyedLine, 0, len(spans))
	for i, sp := range spans {
		start, end := from+sp[0], from+sp[1]
		if i == len(spans)-1 { // after the last "\n": a line without an end, if any
			if start < len(text) {
				lines = append(lines, keyedLine{start: start, key: string(text[start:end])})
			}
			break
		}
		lines = append(lines, keyedLine{start: start, key: string(text[start:end]) + "\n", eol: true})
	}
	return lines
}

// lineOffset is the offset of line k of lines, a split of src; the end of
// src past the last.
func lineOffset(src []byte, lines []keyedLine, k int) int {
	if k < len(lines) {
		return lines[k].start
	}
	return len(src)
}

// lineScript returns the pairs of lines of x and y that a shortest edit
// script from x to y keeps, in order; nil (nothing kept) when that script
// has more than maxFormatEdits edits.
func lineScript(x, y []keyedLine) [][2]int {
	kept, _ := linediff.Common(len(x), len(y), func(i, j int) bool { return x[i].key == y[j].key }, maxFormatEdits)
	return kept
}
