package lsp_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/lsp"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// A lone CR ends a line for the client (the LSP counts \n, \r\n and \r),
// though not for RPL, where it is an invalid character (RPL101) even in a
// comment: the server's positions count it, so a diagnostic after it is
// on the line the editor shows it on, and hover finds what is there. It
// put them a line up.
func TestLoneCRPositions(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "p.rpl"), "package p\n# old mac line\rsecond part\nfn route(r: Request) -> Decision = to(r.modle)\n")
	c := newClient(t, dir, lsp.Options{})
	u := c.open("p.rpl")
	ds := c.waitDiags(u, 1)
	at := int(col(t, "fn route(r: Request) -> Decision = to(r.modle)", "modle"))
	// The lone CR is itself invalid (RPL101, spec §2.1), placed where it
	// is; the error after it is on the line an editor shows it on.
	if len(ds) != 2 || ds[0].Code != "RPL101" || ds[0].Range.Start != pos(1, len("# old mac line")) ||
		ds[1].Range.Start != pos(3, at) || ds[1].Range.End != pos(3, at+5) {
		t.Fatalf("diagnostics %+v, want the lone CR's at line 1 (0-based), column 14, and one at line 3, column %d", ds, at)
	}
	var h protocol.Hover
	c.call("textDocument/hover", docPos(u, pos(3, int(col(t, "fn route(r: Request) -> Decision = to(r.modle)", "r: Request")))), &h)
	if h.Range == nil || h.Range.Start.Line != 3 {
		t.Errorf("hover on r at line 3: %+v", h)
	}
}

// The quote taken as the end of a string left open on an earlier line
// is a related location of its RPL102, at the line the editor shows it
// on: after a lone CR, a line below the one the message names, which
// counts lines as RPL does.
func TestUnterminatedStringQuoteRelated(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "p.rpl"), "package p\n# old mac line\rsecond part\nconst a = \"abc\n\n  \"\n")
	c := newClient(t, dir, lsp.Options{})
	u := c.open("p.rpl")
	ds := c.waitDiags(u, 1)
	if len(ds) != 2 || ds[1].Code != "RPL102" || ds[1].Range.Start != pos(3, 10) || !strings.Contains(ds[1].Message, "the quote on line 5") {
		t.Fatalf("diagnostics %+v, want the lone CR's RPL101 and an RPL102 at line 3 (0-based), column 10", ds)
	}
	r := ds[1].RelatedInformation
	if len(r) != 1 || r[0].Location.URI != u || r[0].Location.Range != (protocol.Range{Start: pos(5, 2), End: pos(5, 3)}) {
		t.Errorf("related %+v, want the quote at line 5 (0-based), column 2", r)
	}
}

// In a CRLF file a comment's token ends before the CR: it was one unit
// longer than the comment.
func TestCRLFCommentTokens(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "p.rpl"), "package p\r\n# hello\r\nfn route(r: Request) -> Decision = to(\"a:b\") # tail\r\n")
	c := newClient(t, dir, lsp.Options{})
	u := c.open("p.rpl")
	c.waitDiags(u, 1)
	tail := col(t, `fn route(r: Request) -> Decision = to("a:b") # tail`, "# tail")
	want := [][3]uint32{{1, 0, 7}, {2, tail, 6}}
	if comments := commentTokens(c, u); !slices.Equal(comments, want) {
		t.Errorf("comment tokens %v, want %v", comments, want)
	}
}

// A comment holding a lone CR spans two lines for the client: its
// semantic token is one per line, as a client without multiline token
// support needs. It was left out, and the comment not highlighted at all.
func TestLoneCRCommentTokens(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "p.rpl"), "package p\r\n# old 😀 line\rsecond part\r\nfn route(r: Request) -> Decision = to(\"a:b\") # tail\r\n")
	c := newClient(t, dir, lsp.Options{})
	u := c.open("p.rpl")
	c.waitDiags(u, 1)
	tail := col(t, `fn route(r: Request) -> Decision = to("a:b") # tail`, "# tail")
	want := [][3]uint32{{1, 0, 13}, {2, 0, 11}, {3, tail, 6}}
	if got := commentTokens(c, u); !slices.Equal(got, want) {
		t.Errorf("comment tokens %v, want %v", got, want)
	}
}

// commentTokens decodes the semantic tokens of u and returns the
// comments' line, column and length.
func commentTokens(c *client, u string) [][3]uint32 {
	var toks protocol.SemanticTokens
	c.call("textDocument/semanticTokens/full", map[string]any{"textDocument": map[string]any{"uri": u}}, &toks)
	var line, char uint32
	var comments [][3]uint32
	for i := 0; i+4 < len(toks.Data); i += 5 {
		if toks.Data[i] > 0 {
			char = 0
		}
		line += toks.Data[i]
		char += toks.Data[i+1]
		if toks.Data[i+3] == 10 { // comment
			comments = append(comments, [3]uint32{line, char, toks.Data[i+2]})
		}
	}
	return comments
}

// A test file on disk that starts with a byte order mark, its policy
// open: the diagnostic on its first line is where the editor, which hides
// the mark, shows the package name. It was one column to the right.
func TestBOMClosedFileDiagnostic(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "main.rpl"), "package main\n\nfn route(r: Request) -> Decision = to(\"openai:gpt-4o\")\n")
	write(t, filepath.Join(dir, "main_test.rpl"), "\uFEFFpackage wrong\n\ntest \"t\" {\n  expect 1 == 1\n}\n")
	c := newClient(t, dir, lsp.Options{})
	c.open("main.rpl")
	tu := uri(filepath.Join(dir, "main_test.rpl"))
	ds := c.settle(tu, "main_test.rpl", hasCode("RPL210"))
	if r := ds[0].Range; r.Start != pos(0, 8) || r.End != pos(0, 13) {
		t.Errorf("RPL210 at %+v, want 0:8-0:13 (the package name, the mark not counted)", r)
	}
}

// In a CRLF file, a string left open at the end of its line is a
// diagnostic that ends where the line does: its span takes the CR in,
// and the range ended a unit past the line (after the CR, which is no
// character of the line).
func TestCRLFUnterminatedStringRange(t *testing.T) {
	dir := t.TempDir()
	line := `const s = "ab😀`
	write(t, filepath.Join(dir, "p.rpl"), "package p\r\n\r\n"+line+"\r\nfn route(r: Request) -> Decision = to(\"openai:gpt-4o\")\r\n")
	c := newClient(t, dir, lsp.Options{})
	u := c.open("p.rpl")
	ds := c.waitDiags(u, 1)
	start, end := col(t, line, `"`), col(t, line+"|", "|")
	if len(ds) != 1 || ds[0].Code != "RPL102" || ds[0].Range.Start != pos(2, int(start)) || ds[0].Range.End != pos(2, int(end)) {
		t.Fatalf("diagnostics %+v, want RPL102 at 2:%d-2:%d", ds, start, end)
	}
}

// Formatting a CRLF document changes only the lines that the formatter
// changes, and writes them with CRLF, the document's line end: it was one
// edit of the whole file with the formatter's LF line ends, which made an
// editor rewrite (and a CRLF checkout convert) every line.
func TestFormattingCRLFMinimalEdits(t *testing.T) {
	dir := t.TempDir()
	lines := []string{
		"package p",
		"",
		"const limit = 10",
		"",
		"fn route(r: Request) -> Decision {",
		"  to(\"x\")   .priority(limit)",
		"}",
		"",
		"test \"it routes\" {",
		"  expect route({}).target == \"x\"",
		"}",
		"",
	}
	src := strings.Join(lines, "\r\n")
	write(t, filepath.Join(dir, "p.rpl"), src)
	c := newClient(t, dir, lsp.Options{})
	u := c.open("p.rpl")
	var edits []protocol.TextEdit
	c.call("textDocument/formatting", map[string]any{"textDocument": map[string]any{"uri": u}, "options": map[string]any{"tabSize": 2, "insertSpaces": true}}, &edits)
	want := protocol.TextEdit{
		Range:   protocol.Range{Start: pos(5, 0), End: pos(6, 0)},
		NewText: "  to(\"x\").priority(limit)\r\n",
	}
	if len(edits) != 1 || edits[0] != want {
		t.Errorf("formatting edits %+v, want %+v", edits, want)
	}
}

// applyEdits applies text edits to src, a text of ASCII lines ending in
// "\n" (an edit's character is then its byte in its line).
func applyEdits(src string, edits []protocol.TextEdit) string {
	var starts []int
	for i := 0; i <= len(src); {
		starts = append(starts, i)
		n := strings.IndexByte(src[i:], '\n')
		if n < 0 {
			break
		}
		i += n + 1
	}
	offset := func(p protocol.Position) int {
		if int(p.Line) >= len(starts) {
			return len(src)
		}
		return min(len(src), starts[p.Line]+int(p.Character))
	}
	out, at := "", 0
	for _, e := range edits {
		out += src[at:offset(e.Range.Start)] + e.NewText
		at = offset(e.Range.End)
	}
	return out + src[at:]
}
