package lang

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// Severity of a diagnostic.
type Severity uint8

const (
	SevError Severity = iota
	SevWarning
	SevInfo
)

func (s Severity) String() string {
	switch s {
	case SevWarning:
		return "warning"
	case SevInfo:
		return "info"
	}
	return "error"
}

// Related is a secondary location attached to a diagnostic
// ("previous declaration here").
type Related struct {
	File    *File
	Span    Span
	Message string
}

// Fix is a suggested edit: replace Span with NewText.
type Fix struct {
	Title   string
	Span    Span
	NewText string
}

// Diagnostic is one finding about a source file. Error() is a single line,
// `path:line:col: error[RPL200]: message`, the first line of PrintSnippet,
// which prints the caret snippet under it.
type Diagnostic struct {
	File     *File
	Span     Span
	Severity Severity
	Code     Code
	Message  string
	Related  []Related
	Fixes    []Fix

	// For an RPL900 note: how many diagnostics it stands for, and how
	// many of them are errors.
	hidden, hiddenErrors int
}

// Hidden is how many diagnostics an RPL900 note stands for (0 for any
// other diagnostic): those of its file left out past MaxDiagnostics.
func (d *Diagnostic) Hidden() int { return d.hidden }

// HiddenErrors is how many of the diagnostics an RPL900 note stands for
// are errors: a count of a file's errors ("and 140 more errors") adds
// them.
func (d *Diagnostic) HiddenErrors() int { return d.hiddenErrors }

// Position is the start of the diagnostic's span.
func (d *Diagnostic) Position() Position { return d.File.Position(d.Span.Start) }

// EndPosition is the end of the diagnostic's span.
func (d *Diagnostic) EndPosition() Position { return d.File.Position(d.Span.End) }

func (d *Diagnostic) Error() string {
	return d.header(func(_, s string) string { return s })
}

// header is the one-line form, `path:line:col: severity[code]: message`
// (`severity: message` without a code), with paint applied to the position
// and to the severity with its code. It is both Error() and the first line
// of PrintSnippet.
func (d *Diagnostic) header(paint func(ansi, s string) string) string {
	sevColor := ansiRed
	switch d.Severity {
	case SevWarning:
		sevColor = ansiYellow
	case SevInfo:
		sevColor = ansiBlue
	}
	sev := d.Severity.String()
	if d.Code != "" {
		sev += "[" + string(d.Code) + "]"
	}
	return paint(ansiBold, visible(d.Position().String())) + ": " + paint(sevColor, sev) + ": " + visible(d.Message)
}

// DiagList is a list of diagnostics, as returned by the parser and checker.
// It satisfies error when non-empty.
type DiagList []*Diagnostic

// MaxDiagnostics caps how many diagnostics a file reports; a final note says
// how many were left out. Over the cap, a file keeps the diagnostics of the
// lowest keepRank, the earliest of a rank first, and shows them in position
// order.
const MaxDiagnostics = 100

// keepRank orders a file's diagnostics for the cap (MaxDiagnostics), the
// lowest kept first (spec/diagnostics.md, RPL900): errors; a call that
// always fails on live traffic (RPL326); the other warnings, of code that
// does not do what it reads as (RPL310, RPL316, RPL324, RPL325, RPL327)
// and so may decide wrong; what is merely unused (RPL205, RPL207); infos.
func keepRank(d *Diagnostic) int {
	switch {
	case d.Severity == SevError:
		return 0
	case d.Severity == SevInfo:
		return 4
	case d.Code == CodeAlwaysFails:
		return 1
	case d.Code == CodeUnusedImport, d.Code == CodeUnusedVar:
		return 3
	}
	return 2
}

// keepRanks is how many ranks keepRank gives.
const keepRanks = 5

func (l DiagList) Len() int      { return len(l) }
func (l DiagList) Swap(i, j int) { l[i], l[j] = l[j], l[i] }
func (l DiagList) Less(i, j int) bool {
	a, b := l[i], l[j]
	an, bn := "", ""
	if a.File != nil {
		an = a.File.Name
	}
	if b.File != nil {
		bn = b.File.Name
	}
	if an != bn {
		return an < bn
	}
	if a.Span.Start != b.Span.Start {
		return a.Span.Start < b.Span.Start
	}
	if a.Code != b.Code {
		return a.Code < b.Code
	}
	return a.Message < b.Message
}

// Sort orders the list by file, position, code and message.
func (l DiagList) Sort() { sort.Stable(l) }

// Normalize sorts, removes duplicates (same file, line and message, as
// go/scanner does) and caps the list at MaxDiagnostics diagnostics per
// file, keeping those of the lowest keepRank. Normalizing a list again
// (the parser's list inside the checker's) counts what an earlier pass
// dropped into the one RPL900 note per file.
func (l DiagList) Normalize() DiagList {
	l.Sort()
	out := l[:0]
	ranks := map[*File]*[keepRanks]int{} // a file's diagnostics by rank
	dropped := map[*File]*[2]int{}       // a file's left out, and errors among them
	drop := func(f *File, n, errs int) {
		if dropped[f] == nil {
			dropped[f] = new([2]int)
		}
		dropped[f][0] += n
		dropped[f][1] += errs
	}
	var last *Diagnostic
	for _, d := range l {
		if d.Code == CodeTooMany {
			drop(d.File, d.hidden, d.hiddenErrors)
			continue
		}
		if last != nil && last.File == d.File && last.Position().Line == d.Position().Line && last.Message == d.Message {
			continue
		}
		last = d
		n := ranks[d.File]
		if n == nil {
			n = new([keepRanks]int)
			ranks[d.File] = n
		}
		n[keepRank(d)]++
		out = append(out, d)
	}
	// Each count becomes how many of the rank are shown, the earliest.
	for _, n := range ranks {
		room := MaxDiagnostics
		for r := range n {
			n[r] = min(n[r], room)
			room -= n[r]
		}
	}
	shown := out[:0]
	for _, d := range out {
		n, r := ranks[d.File], keepRank(d)
		if n[r] == 0 {
			errs := 0
			if d.Severity == SevError {
				errs = 1
			}
			drop(d.File, 1, errs)
			continue
		}
		n[r]--
		shown = append(shown, d)
	}
	out = shown
	for f, n := range dropped {
		out = append(out, &Diagnostic{File: f, Span: Span{Pos(len(f.Src)), Pos(len(f.Src))}, Severity: SevInfo, Code: CodeTooMany,
			Message: moreNotShown(n[0]), hidden: n[0], hiddenErrors: n[1]})
	}
	if len(dropped) > 0 {
		out.Sort() // each note after its file's diagnostics, whatever the map's order
	}
	return out
}

// HasErrors reports whether any diagnostic is an error.
func (l DiagList) HasErrors() bool {
	for _, d := range l {
		if d.Severity == SevError {
			return true
		}
	}
	return false
}

// Err returns the list as an error if it holds any error, else nil.
func (l DiagList) Err() error {
	if l.HasErrors() {
		return l
	}
	return nil
}

// Error is the one-line form of the first error, with how many more errors
// there are: a list that fails a compile leads with what failed it, although
// sorting by position may put warnings before it. Warnings and infos are left
// out of the count (the full list is the diagnostics themselves); the errors
// an RPL900 note stands for are in it. A list without errors gives its first
// diagnostic.
func (l DiagList) Error() string {
	first, errs, all := -1, 0, 0 // the errors and diagnostics, those an RPL900 note stands for included
	for i, d := range l {
		if d.Severity == SevError {
			if first < 0 {
				first = i
			}
			errs++
		}
		errs += d.hiddenErrors
		if d.Code == CodeTooMany {
			all += d.hidden
		} else {
			all++
		}
	}
	switch {
	case len(l) == 0:
		return "no errors"
	case first < 0 && all == 1:
		return l[0].Error()
	case first < 0:
		return fmt.Sprintf("%s (and %d more diagnostics)", l[0].Error(), all-1)
	}
	return l[first].Error() + AndMoreErrors(errs-1)
}

// AndMoreErrors is what follows an error's text when n more go unsaid:
// nothing for none, " (and 1 more error)", " (and n more errors)".
func AndMoreErrors(n int) string {
	switch {
	case n <= 0:
		return ""
	case n == 1:
		return " (and 1 more error)"
	}
	return fmt.Sprintf(" (and %d more errors)", n)
}

// Style selects the decorations of PrintSnippet.
type Style struct {
	Color bool // ANSI colours
}

const (
	ansiRed    = "\x1b[31;1m"
	ansiYellow = "\x1b[33;1m"
	ansiBlue   = "\x1b[34;1m"
	ansiBold   = "\x1b[1m"
	ansiReset  = "\x1b[0m"
)

// PrintSnippet writes a diagnostic in full: its one-line form (Error()),
// the source line with a caret line under the span, and related locations.
// Fixes are for editors; their text is already in the message.
//
//	p.rpl:3:12: error[RPL200]: undefined: lenght (did you mean length?)
//	   3 |   let n = lenght(xs)
//	     |           ^^^^^^
//
// A span that goes past its line has carets to the end of its first line
// and a note of the line and column of its last character:
//
//	p.rpl:5:18: error[RPL301]: invalid operation: 1 + "a" (…)
//	   5 | fn f() -> bool = 1 +
//	     |                  ^^^ …to line 6:5
func PrintSnippet(w io.Writer, d *Diagnostic, st Style) {
	paint := func(code, s string) string {
		if !st.Color {
			return s
		}
		return code + s + ansiReset
	}
	fmt.Fprintln(w, d.header(paint))
	printCaret(w, d.File, d.Span, paint)
	for _, r := range d.Related {
		fmt.Fprintf(w, "  %s: %s\n", visible(r.File.Position(r.Span.Start).String()), visible(r.Message))
	}
}

// snippetWidth is the most display columns of a source line a snippet
// shows: a longer line (a generated table, a minified file) is cut to a
// window around the span's start, each cut end marked with "…".
const snippetWidth = 120

// snippetWindow gives the runes [from, to) of line that a snippet shows:
// all of them when they take snippetWidth display columns or fewer (a wide
// rune takes two), or else a window of at most snippetWidth columns with
// about a third of them before the rune at lead, and as many as fit
// before it when the line ends within the window; a window cut on its left
// starts at a rune that takes a column, not at a mark without its rune.
func snippetWindow(line []rune, lead int) (from, to int) {
	if displayWidth(line) <= snippetWidth {
		return 0, len(line)
	}
	lead = min(max(lead, 0), len(line))
	from, w := lead, 0
	for from > 0 && w+runeWidth(line[from-1]) <= snippetWidth/3 {
		from--
		w += runeWidth(line[from])
	}
	to = from
	w = 0
	for to < len(line) && w+runeWidth(line[to]) <= snippetWidth {
		w += runeWidth(line[to])
		to++
	}
	for to == len(line) && from > 0 && w+runeWidth(line[from-1]) <= snippetWidth {
		from--
		w += runeWidth(line[from])
	}
	for from > 0 && from < lead && runeWidth(line[from]) == 0 {
		from++ // a mark cut from the rune it combines with
	}
	return from, to
}

func printCaret(w io.Writer, f *File, sp Span, paint func(string, string) string) {
	if f == nil || !sp.Start.IsValid() {
		return
	}
	start := f.Position(sp.Start)
	text := f.Line(start.Line)
	gutter := fmt.Sprintf("%d", start.Line)
	pad := strings.Repeat(" ", len(gutter))
	// The caret is placed and sized in display columns: a rune is one,
	// an East Asian wide or fullwidth one (日, ｆ) two, a combining mark
	// or an invisible format character (the accent of e\u0301, a zero
	// width space) none, so that multi-byte, wide and combined text stays
	// aligned (file:line:col counts bytes).
	col := min(start.Col-1, len(text))
	leadR := utf8.RuneCountInString(text[:col])
	end := f.Position(sp.End)
	widthR := 1
	more := "" // where a span that goes past its first line ends
	switch {
	case end.Line == start.Line && end.Col > start.Col:
		ec := min(end.Col-1, len(text))
		widthR = max(utf8.RuneCountInString(text[col:ec]), 1)
	case end.Line > start.Line:
		// The carets run to the end of the first line, the note
		// says where the span's last character is.
		widthR = max(utf8.RuneCountInString(strings.TrimRight(text[col:], " \t")), 1)
		last := min(sp.End, Pos(len(f.Src))) - 1
		for last > sp.Start && (!utf8.RuneStart(f.Src[last]) || strings.IndexByte(" \t\r\n", f.Src[last]) >= 0) {
			last-- // to the start of the last rune that is no white space
		}
		if lp := f.Position(last); lp.Line > start.Line {
			more = fmt.Sprintf(" …to line %d:%d", lp.Line, lp.Col)
		}
	}
	runes := []rune(visible(text))
	from, to := snippetWindow(runes, leadR)
	prefix, suffix := "", ""
	if from > 0 {
		prefix = "…"
	}
	if to < len(runes) {
		suffix = "…"
	}
	leadR = min(max(leadR, from), to)
	lead := len([]rune(prefix)) + displayWidth(runes[from:leadR])
	carets := max(displayWidth(runes[leadR:min(leadR+widthR, to)]), 1)
	shown := prefix + string(runes[from:to]) + suffix
	fmt.Fprintf(w, " %s | %s\n", gutter, shown)
	fmt.Fprintf(w, " %s | %s%s%s\n", pad, strings.Repeat(" ", lead), paint(ansiRed, strings.Repeat("^", carets)), more)
}

// displayWidth is how many terminal columns rs takes, runeWidth each.
func displayWidth(rs []rune) int {
	n := 0
	for _, r := range rs {
		n += runeWidth(r)
	}
	return n
}

// runeWidth is how many terminal columns r takes: none for a combining
// mark (Mn, Me: U+0301) or an invisible format character (Cf: U+200B zero
// width space, U+200D zero width joiner), which a terminal draws on the
// rune before it or not at all; two for an East Asian wide or fullwidth
// rune; one for any other, a soft hyphen (U+00AD, Cf) among them, which
// terminals draw as a hyphen (wcwidth's one column).
func runeWidth(r rune) int {
	if r != '\u00ad' && unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf) {
		return 0
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

// visible is s as a terminal is to show it: a tab as a space, and a
// control character (an escape sequence's ESC, a BEL), as an invalid
// byte, as U+FFFD, one column each. A source's bytes, which messages
// quote too (a path, a name), must not make the terminal act.
func visible(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t':
			return ' '
		case unicode.IsControl(r):
			return utf8.RuneError
		}
		return r
	}, s)
}

// moreNotShown is RPL900's message for n diagnostics not shown.
func moreNotShown(n int) string {
	if n == 1 {
		return "1 more diagnostic not shown"
	}
	return fmt.Sprintf("%d more diagnostics not shown", n)
}
