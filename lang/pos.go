package lang

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
)

// Pos is a byte offset into a source file. Every AST node carries its
// positions as Pos; line and column are computed only for display, through
// the File's line table. NoPos marks an unknown position.
type Pos int32

// NoPos is the zero-information position.
const NoPos Pos = -1

// IsValid reports whether p is a known position.
func (p Pos) IsValid() bool { return p >= 0 }

// Span is the half-open byte range [Start, End) of a node or token.
type Span struct{ Start, End Pos }

// Contains reports whether offset p lies within s (End inclusive, so a
// cursor just after a name still hits it).
func (s Span) Contains(p Pos) bool { return s.Start <= p && p <= s.End }

// File is one source file: its name, its bytes and a line table built once.
type File struct {
	Name        string
	Src         []byte
	lines       []int32 // offset of the first byte of each line
	bom         int     // the length of a byte order mark starting the file, which columns do not count (language.md §2.1)
	editorLines []int32 // lines' starts when a lone CR ends one too; nil without lone CRs (lines then)
}

// BOMLen is the length of the byte order mark that starts the file, 0
// without one: editors hide it, and columns do not count it.
func (f *File) BOMLen() int { return f.bom }

// BOMLenOf is the length of the byte order mark that starts src, 0
// without one: the BOMLen of a File of src.
func BOMLenOf(src []byte) int {
	if bytes.HasPrefix(src, bom) {
		return len(bom)
	}
	return 0
}

// loneCR reports whether src[i] is a carriage return that no line feed
// follows: it ends a line for editors (EditorLines), not for RPL.
func loneCR(src []byte, i int) bool {
	return src[i] == '\r' && (i+1 == len(src) || src[i+1] != '\n')
}

// EditorLineStarts lists the offsets p of src with lo < p < hi at which a
// line starts as EditorLines counts them: after a \n, or after a \r that
// no \n follows. With lo 0 and hi len(src)+1, they are a File's
// EditorLines but the first (0); an editor's buffer rescans with it the
// lines an edit touches.
func EditorLineStarts(src []byte, lo, hi int) []int32 {
	var out []int32
	for i := lo; i < hi-1 && i < len(src); i++ {
		if src[i] == '\n' || loneCR(src, i) {
			out = append(out, int32(i+1))
		}
	}
	return out
}

// NewFile records src under name and builds its line table, and the
// editors' one when a lone CR makes them differ (EditorLines).
func NewFile(name string, src []byte) *File {
	f := &File{Name: name, Src: src, lines: make([]int32, 1, len(src)/32+1), bom: BOMLenOf(src)}
	for i, b := range src {
		cr := b == '\r' && loneCR(src, i)
		if cr && f.editorLines == nil {
			f.editorLines = slices.Clone(f.lines) // the lines so far are the same
		}
		if b == '\n' {
			f.lines = append(f.lines, int32(i+1))
		}
		if f.editorLines != nil && (b == '\n' || cr) {
			f.editorLines = append(f.editorLines, int32(i+1))
		}
	}
	return f
}

// EditorLines are the offsets at which the file's lines start when a
// carriage return that no line feed follows ends a line too, as editors
// and the Language Server Protocol count lines: LineStart's unless the
// file has such a CR, which ends no line of RPL (language.md §2.1: a line
// ends with \n or \r\n). The slice is the file's: not to be changed.
func (f *File) EditorLines() []int32 {
	if f.editorLines != nil {
		return f.editorLines
	}
	return f.lines
}

// Position is a displayable location: 1-based line and byte column.
type Position struct {
	Filename string
	Offset   int
	Line     int
	Col      int
}

// IsValid reports whether the position is known.
func (p Position) IsValid() bool { return p.Line > 0 }

// String formats the position as file:line:col (or file when unknown).
func (p Position) String() string {
	switch {
	case !p.IsValid():
		if p.Filename == "" {
			return "-"
		}
		return p.Filename
	case p.Filename == "":
		return fmt.Sprintf("%d:%d", p.Line, p.Col)
	}
	return fmt.Sprintf("%s:%d:%d", p.Filename, p.Line, p.Col)
}

// Position expands an offset into line and column.
func (f *File) Position(p Pos) Position {
	if f == nil {
		return Position{}
	}
	if !p.IsValid() {
		return Position{Filename: f.Name}
	}
	if int(p) > len(f.Src) {
		p = Pos(len(f.Src))
	}
	i := sort.Search(len(f.lines), func(i int) bool { return f.lines[i] > int32(p) }) - 1
	col := int(p-Pos(f.lines[i])) + 1
	if i == 0 {
		col = max(col-f.bom, 1) // the mark is skipped, as editors hide it
	}
	return Position{Filename: f.Name, Offset: int(p), Line: i + 1, Col: col}
}

// LineCount is the number of lines of the file.
func (f *File) LineCount() int { return len(f.lines) }

// LineStart is the offset of the first byte of the 1-based line.
func (f *File) LineStart(line int) Pos {
	if line < 1 || line > len(f.lines) {
		return NoPos
	}
	return Pos(f.lines[line-1])
}

// Line returns the text of the 1-based line without its newline.
func (f *File) Line(line int) string {
	start := f.LineStart(line)
	if start == NoPos {
		return ""
	}
	end := len(f.Src)
	if line < len(f.lines) {
		end = int(f.lines[line]) - 1
	}
	if line == 1 {
		start = min(start+Pos(f.bom), Pos(end))
	}
	s := string(f.Src[start:end])
	if n := len(s); n > 0 && s[n-1] == '\r' {
		s = s[:n-1]
	}
	return s
}

// Offset converts a 1-based line and byte column back to an offset.
func (f *File) Offset(line, col int) Pos {
	start := f.LineStart(line)
	if start == NoPos {
		return NoPos
	}
	if line == 1 {
		start += Pos(f.bom) // columns do not count a byte order mark
	}
	return start + Pos(col-1)
}
