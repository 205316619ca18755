package lang

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// This file is the canonical formatter. It works in two steps, like
// prettier and Wadler's "prettier printer": the AST (with its comments) is
// turned into a document of text, line breaks, indentation and groups; the
// renderer then lays the document out, printing a group on one line when it
// fits in formatWidth columns and breaking all of its lines otherwise.
//
// Comments are placed by position. The formatter walks the tree in source
// order and, at fixed "flush points" (the start of a node, a closing
// bracket, a token between two parts of a node such as `:`, `->`, `=>`
// or an operator), emits every comment that starts before that point. A comment
// that shared its line with code in the source stays at the end of a line
// (a trailing comment); any other comment gets a line of its own. A comment
// inside a group forces the group to break. Because the placement depends
// only on the tree, the flush points and that trailing/own-line
// classification, and formatting preserves all three, formatting is
// idempotent.

const (
	formatWidth  = 100 // the line width groups are fitted into
	formatIndent = 2   // one level of indentation
	formatCont   = 4   // indentation of a line broken only to end a comment
)

// Format prints the file in the canonical RPL layout, the only layout: two
// spaces of indentation, one declaration per line group with one blank line
// between top-level declarations (consecutive one-line consts, types or
// imports keep the author's blank lines), spaces around binary operators
// and after commas and colons, literals exactly as written, parentheses
// exactly where the author put them. Lists, brace literals, argument and
// parameter lists go on one line when they fit in 100 columns and one
// element per line with a trailing comma otherwise; method chains that do
// not fit break before each `.method(...)` with one more indentation;
// operator chains that do not fit break after each operator (a comparison
// or a product only when its first operand and operator fit on the line),
// match patterns before each `|`, an expect's message after the comma,
// function and map types between their types, and a name, literal or
// field selection that does not fit goes on the next line after its `=`,
// `=>` or `return`.
// Blocks and match expressions have one statement or arm per line; at most
// one blank line is kept where the author had blank lines between them.
//
// Every comment is kept, in order: a comment that followed code on its line
// stays at the end of a line, other comments keep their own lines. A
// comment before a `:`, `->`, `=>`, `=`, `|`, `?`, `as`, a match arm's
// `if` or a binary operator stays before it (the token then starts a
// continuation line). A comment before a `,` goes after it, at the end of
// the element's line; one between a block's `}` and the `else` after it,
// or between that `else` and an else-if's `if`, goes inside the block.
// Only the trailing blanks of a comment's text are removed.
//
// Format refuses a tree that holds Bad nodes (from syntax errors). It
// adds `;` or `,` where two statements or match arms would otherwise run
// together (the next one starts with `(`, `[` or `-`). Formatting is
// idempotent: formatting the output again gives the same bytes.
func Format(f *FileNode) ([]byte, error) {
	if f == nil || f.File == nil {
		return nil, fmt.Errorf("format: no file")
	}
	fm := &formatter{file: f.File, src: f.File.Src, comments: f.Comments}
	d := fm.fileDoc(f)
	if fm.err != nil {
		return nil, fm.err
	}
	return renderDoc(d), nil
}

// FormatSource parses src and formats it. A file with syntax errors is not
// formatted: the error is the parser's DiagList.
func FormatSource(filename string, src []byte) ([]byte, error) {
	f, diags := Parse(filename, src)
	if err := diags.Err(); err != nil {
		return nil, err
	}
	return Format(f)
}

// ---- the document ----

// A doc is one of: string (text), docs (a sequence), docLine, *docGroup,
// docIndent, docIfBreak, docComment or nil (nothing).
type doc any

type docs []doc

// docLine is a possible line break. In a group laid out flat it prints as a
// space (nothing when soft); broken, it starts a new line (preceded by an
// empty line when blank). A hard line always breaks and breaks every
// enclosing group.
type docLine struct{ soft, hard, blank bool }

var (
	docSpace    = docLine{}
	docSoftline = docLine{soft: true}
	docHardline = docLine{hard: true}
)

// docGroup is laid out flat if it fits on the rest of the line, else broken.
// broken is set beforehand for groups that contain a hard line or a comment;
// for a local group, only for a hard line outside the groups inside it (a
// comment inside a broken record argument breaks that record, not the
// comparison holding the call; a comment ends its line wherever it is, and
// what follows it goes on a continuation line, which the lines broken
// inside it indent from: contLines). When alt is set and the
// group does not fit flat, it is laid out broken only if lead (its first
// line, broken) fits flat; otherwise, and when it is flat, alt, a version
// of body without line breaks or indentation of its own, is laid out, and
// the groups inside break instead.
type docGroup struct {
	body   doc
	broken bool
	local  bool
	lead   doc
	alt    doc
}

func docGrp(d ...doc) *docGroup { return &docGroup{body: docs(d)} }

func docLocalGrp(d ...doc) *docGroup { return &docGroup{body: docs(d), local: true} }

// docIndent indents the lines broken inside it by one level.
type docIndent struct{ body doc }

func docInd(d ...doc) docIndent { return docIndent{body: docs(d)} }

// docIfBreak prints text only when the enclosing group is broken (the
// trailing comma of a broken list).
type docIfBreak struct{ text string }

// docComment is a comment. A trailing one goes at the end of the current
// line (deferred until the line ends, so a following `,` comes first); an
// own-line one starts a line. Either way, nothing but `,` or `;` may follow
// a comment on its line.
type docComment struct {
	text     string
	trailing bool
}

// propagate marks the groups that must break and reports whether d
// contains a hard line or a comment.
func propagateBreaks(d doc) bool {
	switch d := d.(type) {
	case docs:
		hard := false
		for _, x := range d {
			if propagateBreaks(x) {
				hard = true
			}
		}
		return hard
	case docLine:
		return d.hard
	case *docGroup:
		if propagateBreaks(d.body) {
			if !d.local || directHard(d.body) {
				d.broken = true
			}
			return true
		}
		return d.broken
	case docIndent:
		return propagateBreaks(d.body)
	case docComment:
		return true
	}
	return false
}

// directHard reports whether d holds a hard line outside the groups
// inside it.
func directHard(d doc) bool {
	switch d := d.(type) {
	case docs:
		for _, x := range d {
			if directHard(x) {
				return true
			}
		}
	case docLine:
		return d.hard
	case docIndent:
		return directHard(d.body)
	}
	return false
}

// ---- the renderer ----

// renderCmd is a document to lay out at an indentation, flat or broken.
type renderCmd struct {
	ind  int
	flat bool
	d    doc
}

type renderer struct {
	out     []byte
	col     int    // display column of the next character
	lineLen int    // bytes of the current line written, 0 at a line start
	ind     int    // indentation still to write for the current line
	suffix  string // a trailing comment waiting for the end of the line
	mustNL  bool   // the line ends in a comment: the next text starts a new line
}

// renderDoc lays d out: each group flat if it fits, else broken. A comment
// always ends its line; text that would follow it on the line moves to a
// new line indented formatCont more.
func renderDoc(d doc) []byte {
	propagateBreaks(d)
	r := &renderer{}
	stack := []renderCmd{{d: d}}
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		switch d := c.d.(type) {
		case string:
			r.text(d, c.ind)
		case docs:
			for i := len(d) - 1; i >= 0; i-- {
				stack = append(stack, renderCmd{c.ind, c.flat, d[i]})
			}
		case docIndent:
			stack = append(stack, renderCmd{c.ind + formatIndent, c.flat, d.body})
		case *docGroup:
			if d.alt != nil && !d.broken {
				// A local group with an alternative: flat, or broken only
				// if its first line fits.
				if c.flat || fitsFlat(renderCmd{c.ind, true, d.body}, stack, formatWidth-r.col) ||
					!fitsFlat(renderCmd{c.ind, true, d.lead}, nil, formatWidth-r.col) {
					stack = append(stack, renderCmd{c.ind, c.flat, d.alt})
				} else {
					stack = append(stack, renderCmd{c.ind, false, d.body})
				}
				continue
			}
			flat := c.flat && !d.broken // broken inside a flat local group
			if !c.flat && !d.broken {
				flat = fitsFlat(renderCmd{c.ind, true, d.body}, stack, formatWidth-r.col)
			}
			stack = append(stack, renderCmd{c.ind, flat, d.body})
		case docLine:
			switch {
			case !c.flat || d.hard:
				r.newline(c.ind)
				if d.blank {
					r.out = append(r.out, '\n')
				}
			case r.mustNL || r.suffix != "":
				r.newline(c.ind + formatCont)
			case !d.soft:
				r.text(" ", c.ind)
			}
		case docIfBreak:
			if !c.flat {
				r.text(d.text, c.ind)
			}
		case docComment:
			r.comment(d, c.ind)
		}
	}
	if r.lineLen > 0 || r.suffix != "" {
		r.newline(0)
	}
	return r.out
}

// text writes s, first ending a line that ends in a comment.
func (r *renderer) text(s string, ind int) {
	if r.mustNL || r.suffix != "" && s != "," && s != ";" {
		r.newline(ind + formatCont)
	}
	r.write(s)
}

func (r *renderer) write(s string) {
	if r.lineLen == 0 {
		s = strings.TrimLeft(s, " ")
	}
	if r.lineLen == 0 && s != "" {
		for i := 0; i < r.ind; i++ {
			r.out = append(r.out, ' ')
		}
		r.lineLen = r.ind
	}
	r.out = append(r.out, s...)
	r.lineLen += len(s)
	r.col += utf8.RuneCountInString(s)
}

func (r *renderer) comment(c docComment, ind int) {
	if c.trailing && r.lineLen > 0 && !r.mustNL && r.suffix == "" {
		r.suffix = c.text
		return
	}
	if r.lineLen > 0 || r.suffix != "" {
		r.newline(ind + formatCont)
	}
	r.write(c.text)
	r.mustNL = true
}

// newline ends the current line (with its pending trailing comment) and
// starts one indented by ind.
func (r *renderer) newline(ind int) {
	n := len(r.out)
	for n > 0 && r.out[n-1] == ' ' && r.lineLen > 0 {
		n--
		r.lineLen--
	}
	r.out = r.out[:n]
	if r.suffix != "" {
		r.out = append(r.out, ' ')
		r.out = append(r.out, r.suffix...)
		r.suffix = ""
	}
	r.out = append(r.out, '\n')
	r.lineLen, r.ind, r.col, r.mustNL = 0, ind, ind, false
}

// fitsFlat reports whether next, laid out flat, and what follows it up to
// the next line break fit in width columns. Groups that follow are measured in
// the mode of the command holding them, as prettier does.
func fitsFlat(next renderCmd, rest []renderCmd, width int) bool {
	cmds := []renderCmd{next}
	ri := len(rest)
	for width >= 0 {
		if len(cmds) == 0 {
			if ri == 0 {
				return true
			}
			ri--
			cmds = append(cmds, rest[ri])
			continue
		}
		c := cmds[len(cmds)-1]
		cmds = cmds[:len(cmds)-1]
		switch d := c.d.(type) {
		case string:
			width -= utf8.RuneCountInString(d)
		case docs:
			for i := len(d) - 1; i >= 0; i-- {
				cmds = append(cmds, renderCmd{c.ind, c.flat, d[i]})
			}
		case docIndent:
			cmds = append(cmds, renderCmd{c.ind, c.flat, d.body})
		case *docGroup:
			cmds = append(cmds, renderCmd{c.ind, c.flat && !d.broken, d.body})
		case docLine:
			if !c.flat || d.hard {
				return true
			}
			if !d.soft {
				width--
			}
		case docIfBreak:
			if !c.flat {
				width -= len(d.text)
			}
		case docComment:
			return true
		}
	}
	return false
}

// ---- from the AST to the document ----

type formatter struct {
	file     *File
	src      []byte
	comments []*Comment
	next     int // the first comment not yet placed
	err      error
}

func (f *formatter) bad(n Node, what string) doc {
	if f.err == nil {
		f.err = fmt.Errorf("%s: cannot format %s", f.file.Position(n.Span().Start), what)
	}
	return nil
}

// trailing reports whether code precedes the comment on its line (a
// byte order mark starting the file is none).
func (f *formatter) trailing(c *Comment) bool {
	for i := int(c.Sp.Start) - 1; i >= f.file.BOMLen(); i-- {
		switch f.src[i] {
		case ' ', '\t', '\r', '\f', '\v':
			continue
		case '\n':
			return false
		}
		return true
	}
	return false
}

// blankBefore reports whether an empty line precedes pos in the source.
func (f *formatter) blankBefore(pos Pos) bool {
	n := 0
	for i := int(pos) - 1; i >= 0; i-- {
		switch f.src[i] {
		case ' ', '\t', '\r', '\f', '\v':
			continue
		case '\n':
			n++
			continue
		}
		break
	}
	return n >= 2
}

func commentDoc(c *Comment, trailing bool) docComment {
	return docComment{text: strings.TrimRight(c.Text, " \t\r\f\v"), trailing: trailing}
}

// take returns the comments not yet placed that start before pos.
func (f *formatter) take(pos Pos) []*Comment {
	i := f.next
	for f.next < len(f.comments) && f.comments[f.next].Sp.Start < pos {
		f.next++
	}
	return f.comments[i:f.next]
}

// lead returns the comments before pos: the one that ends the line of the
// previous code, if any, then those that go on lines of their own.
func (f *formatter) lead(pos Pos) (trail, own []*Comment) {
	cs := f.take(pos)
	if len(cs) > 0 && f.trailing(cs[0]) {
		return cs[:1], cs[1:]
	}
	return nil, cs
}

// inline places the comments before pos at the current place of the
// document; the renderer breaks the line after them.
func (f *formatter) inline(pos Pos) doc {
	cs := f.take(pos)
	if len(cs) == 0 {
		return nil
	}
	out := make(docs, len(cs))
	for i, c := range cs {
		out[i] = commentDoc(c, f.trailing(c))
	}
	return out
}

// before places the comments before the token that follows the code
// ending at end (a `:`, `->`, `=>`, `=`, `|`, `?`, `as` or an arm's `if`)
// there, ahead of the token: the token then starts the next line, so that
// the comments stay before it rather than moving to the next node, after
// the token.
func (f *formatter) before(end Pos) doc {
	return f.inline(f.skipTrivia(end))
}

func appendDoc(ds docs, d doc) docs {
	if d == nil {
		return ds
	}
	return append(ds, d)
}

func trailDocs(cs []*Comment) doc {
	if len(cs) == 0 {
		return nil
	}
	out := make(docs, len(cs))
	for i, c := range cs {
		out[i] = commentDoc(c, true)
	}
	return out
}

// sep is a line break before the node at pos, with the comments before it:
// trailing ones before the break, own-line ones after it.
func (f *formatter) sep(pos Pos, l docLine) doc {
	sep, _, _ := f.sepAlt(pos, l)
	return sep
}

// sepAlt returns sep(pos, l) and, for the alt of a local group, the same
// comments placed as inline places them, without the line break;
// commented says whether there are any (what follows them in the alt then
// goes on a continuation line: docContMark).
func (f *formatter) sepAlt(pos Pos, l docLine) (sep, inline doc, commented bool) {
	cs := f.take(pos)
	var trail, own []*Comment
	if len(cs) > 0 && f.trailing(cs[0]) {
		trail, own = cs[:1], cs[1:]
	} else {
		own = cs
	}
	out := docs{trailDocs(trail), l}
	in := docs{trailDocs(trail)}
	for _, c := range own {
		out = append(out, commentDoc(c, false), docHardline)
		in = append(in, commentDoc(c, false))
	}
	return out, in, len(cs) > 0
}

// docContMark, in the parts given to contLines, ends a line after a
// comment.
type docContMark struct{}

// contLines lays out parts, the alt of a local group, in which each
// docContMark follows a comment: what comes after it goes on a
// continuation line, indented by formatCont as the line after a comment
// is, and the lines broken inside it are indented from that line, not
// from the group's (where they came out less indented than the line they
// continued).
func contLines(parts []doc) docs {
	var out docs
	for i := len(parts) - 1; i >= 0; i-- {
		if _, ok := parts[i].(docContMark); ok {
			out = docs{docInd(docInd(append(docs{docHardline}, out...)...))}
			continue
		}
		out = append(docs{parts[i]}, out...)
	}
	return out
}

// pendingBefore reports whether a comment not yet placed starts before pos.
func (f *formatter) pendingBefore(pos Pos) bool {
	return f.next < len(f.comments) && f.comments[f.next].Sp.Start < pos
}

// commentsIn reports whether a comment starts in [start, end).
func (f *formatter) commentsIn(start, end Pos) bool {
	i := sort.Search(len(f.comments), func(i int) bool { return f.comments[i].Sp.Start >= start })
	return i < len(f.comments) && f.comments[i].Sp.Start < end
}

// skipTrivia returns the offset of the first byte at or after pos that is
// neither white space nor inside a comment.
func (f *formatter) skipTrivia(pos Pos) Pos {
	i := int(pos)
	for i < len(f.src) {
		switch f.src[i] {
		case ' ', '\t', '\r', '\n', '\f', '\v':
			i++
		case '#':
			for i < len(f.src) && f.src[i] != '\n' {
				i++
			}
		default:
			return Pos(i)
		}
	}
	return Pos(i)
}

// closing returns the offset of the closing bracket that follows the last
// element of a list ending at pos (skipping a trailing comma).
func (f *formatter) closing(pos Pos) Pos {
	p := f.skipTrivia(pos)
	if int(p) < len(f.src) && f.src[p] == ',' {
		p = f.skipTrivia(p + 1)
	}
	return p
}

// seqItem is one element of a sequence laid out one per line.
type seqItem struct {
	start Pos
	build func() doc
	after string // text printed right after the element (a separator)
}

// lines lays out items one per line, each preceded by its comments,
// keeping at most one blank line where the source had some (never before
// the first line), then the comments before end. It starts with a line
// break, and its first element may be preceded by trailing comments of the
// line before.
func (f *formatter) lines(items []seqItem, end Pos) docs {
	return f.linesMode(items, end, true)
}

// linesMode is lines with breaks that are hard, or soft (a space when the
// enclosing group is flat).
func (f *formatter) linesMode(items []seqItem, end Pos, hard bool) docs {
	var out docs
	some := false // a line was emitted
	emit := func(pos Pos, d doc) {
		out = append(out, docLine{hard: hard, blank: some && f.blankBefore(pos)}, d)
		some = true
	}
	for _, it := range items {
		trail, own := f.lead(it.start)
		out = appendDoc(out, trailDocs(trail))
		for _, c := range own {
			emit(c.Sp.Start, commentDoc(c, false))
		}
		emit(it.start, it.build())
		if it.after != "" {
			out = append(out, it.after)
		}
	}
	trail, own := f.lead(end)
	out = appendDoc(out, trailDocs(trail))
	for _, c := range own {
		emit(c.Sp.Start, commentDoc(c, false))
	}
	return out
}

// list lays out a bracketed, comma-separated list: on one line if it fits,
// else one element per line with a trailing comma. closePos is the offset
// of the closing bracket.
func (f *formatter) list(open, close string, n int, start func(int) Pos, build func(int) doc, closePos Pos) doc {
	var body docs
	some := false
	for i := 0; i < n; i++ {
		pos := start(i)
		trail, own := f.lead(pos)
		if i > 0 {
			body = append(body, ",")
		}
		body = append(body, trailDocs(trail))
		for _, c := range own {
			body = append(body, docLine{soft: !some, blank: some && f.blankBefore(c.Sp.Start)}, commentDoc(c, false))
			some = true
		}
		body = append(body, docLine{soft: !some, blank: some && f.blankBefore(pos)}, build(i))
		some = true
	}
	if n > 0 {
		body = append(body, docIfBreak{","})
	}
	trail, own := f.lead(closePos)
	body = append(body, trailDocs(trail))
	for _, c := range own {
		body = append(body, docLine{soft: !some, blank: some && f.blankBefore(c.Sp.Start)}, commentDoc(c, false))
		some = true
	}
	if !some && trail == nil {
		return open + close
	}
	return docGrp(open, docInd(body...), docSoftline, close)
}

// ---- declarations ----

func (f *formatter) fileDoc(n *FileNode) doc {
	var items []Decl
	if n.Package != nil {
		items = append(items, n.Package)
	}
	for _, d := range n.Imports {
		items = append(items, d)
	}
	if n.Extends != nil {
		items = append(items, n.Extends)
	}
	items = append(items, n.Decls...)
	sort.SliceStable(items, func(i, j int) bool { return items[i].Span().Start < items[j].Span().Start })

	var out docs
	some := false
	emit := func(blank bool, d doc) {
		if some {
			out = append(out, docLine{hard: true, blank: blank})
		}
		out = append(out, d)
		some = true
	}
	var prev Decl
	prevOneLine := false
	for _, it := range items {
		trail, own := f.lead(it.Span().Start)
		out = append(out, trailDocs(trail))
		d := f.decl(it)
		oneLine := !strings.Contains(strings.TrimSuffix(string(renderDoc(d)), "\n"), "\n")
		force := prev != nil && !keepTogether(prev, it, prevOneLine, oneLine)
		for _, c := range own {
			emit(force || f.blankBefore(c.Sp.Start), commentDoc(c, false))
			force = false
		}
		emit(force || f.blankBefore(it.Span().Start), d)
		prev, prevOneLine = it, oneLine
	}
	trail, own := f.lead(Pos(len(f.src)) + 1)
	out = append(out, trailDocs(trail))
	for _, c := range own {
		emit(f.blankBefore(c.Sp.Start), commentDoc(c, false))
	}
	return out
}

// keepTogether reports whether two consecutive top-level declarations may
// go on consecutive lines (as the author wrote them) rather than always
// being separated by a blank line.
func keepTogether(a, b Decl, aOneLine, bOneLine bool) bool {
	switch a.(type) {
	case *ImportDecl:
		_, ok := b.(*ImportDecl)
		return ok
	case *ConstDecl:
		_, ok := b.(*ConstDecl)
		return ok && aOneLine && bOneLine
	case *TypeDecl:
		_, ok := b.(*TypeDecl)
		return ok && aOneLine && bOneLine
	}
	return false
}

func (f *formatter) decl(d Decl) doc {
	switch d := d.(type) {
	case *PackageClause:
		return docs{"package ", f.ident(d.Name)}
	case *ImportDecl:
		out := docs{"import ", f.expr(d.Path)}
		if d.Alias != nil {
			out = append(out, f.before(d.Path.Span().End), " as ", f.ident(d.Alias))
		}
		return out
	case *ExtendsDecl:
		return docs{"extends ", f.expr(d.Path)}
	case *ConstDecl:
		out := docs{"const ", f.ident(d.Name)}
		end := d.Name.Sp.End
		if d.Type != nil {
			out = append(out, f.before(end), ": ", f.typ(d.Type))
			end = d.Type.Span().End
		}
		return append(out, f.before(end), f.assign(d.Value))
	case *TypeDecl:
		return docs{"type ", f.ident(d.Name), f.before(d.Name.Sp.End), " = ", f.typ(d.Type)}
	case *FuncDecl:
		return f.funcDecl(d)
	case *TestDecl:
		return docs{"test ", f.expr(d.Name), " ", f.block(d.Body)}
	case *BadDecl:
		return f.bad(d, "a declaration with syntax errors")
	}
	return f.bad(d, fmt.Sprintf("declaration %T", d))
}

func (f *formatter) funcDecl(d *FuncDecl) doc {
	out := docs{"fn ", f.ident(d.Name)}
	lastEnd := d.Name.Sp.End
	if n := len(d.Params); n > 0 {
		lastEnd = d.Params[n-1].Sp.End
	} else {
		lastEnd = f.skipTrivia(lastEnd) + 1 // after '('
	}
	closePos := f.closing(lastEnd)
	out = append(out, f.list("(", ")", len(d.Params),
		func(i int) Pos { return d.Params[i].Sp.Start },
		func(i int) doc {
			p := d.Params[i]
			return docs{f.ident(p.Name), f.before(p.Name.Sp.End), ": ", f.typ(p.Type)}
		}, closePos))
	end := closePos + 1 // after `)`
	if d.Result != nil {
		out = append(out, f.before(end), " -> ", f.typ(d.Result))
		end = d.Result.Span().End
	}
	if b, ok := d.Body.(*BlockExpr); ok {
		return append(out, " ", f.block(b))
	}
	if d.Body == nil {
		return f.bad(d, "a function without a body")
	}
	return append(out, f.before(end), f.assign(d.Body))
}

// assign lays out ` = value`. A value that is an operator expression,
// starts with a parenthesis or cannot break (a name, a literal, a field
// selection: see unbreakable) moves to the next line, indented, when it
// does not fit on this one; other values break inside themselves.
func (f *formatter) assign(value Expr) doc {
	if !f.breaksAfterAssign(value) {
		return docs{" = ", f.expr(value)}
	}
	return docGrp(" =", docInd(f.sep(value.Span().Start, docSpace), f.expr(value)))
}

func (f *formatter) breaksAfterAssign(e Expr) bool {
	if f.unbreakable(e) {
		return true
	}
	for {
		switch x := e.(type) {
		case *BinaryExpr, *ParenExpr:
			return true
		case *UnaryExpr:
			e = x.X
		case *SelectorExpr:
			e = x.X
		case *IndexExpr:
			e = x.X
		case *CallExpr:
			e = x.Fun
		default:
			return false
		}
	}
}

// unbreakable reports whether e has no line break of its own: a name or a
// literal, possibly negated, selected from or indexed by such. A line
// holding one that does not fit can only break before it (after `=`,
// `=>` or `return`).
func unbreakable(e Expr) bool {
	switch x := e.(type) {
	case *Ident, *BasicLit:
		return true
	case *UnaryExpr:
		return unbreakable(x.X)
	case *SelectorExpr:
		return unbreakable(x.X)
	case *IndexExpr:
		return unbreakable(x.X) && unbreakable(x.Index)
	}
	return false
}

// unbreakable is unbreakable(e) for an e with no comment before it (since
// the token before it) or inside it: comments keep their old places.
func (f *formatter) unbreakable(e Expr) bool {
	return unbreakable(e) && !f.pendingBefore(e.Span().End)
}

// breakBefore lays out a space and value, or, when value cannot break
// (unbreakable) and does not fit on the line, a line break and value,
// indented.
func (f *formatter) breakBefore(value Expr) doc {
	if !f.unbreakable(value) {
		return docs{" ", f.expr(value)}
	}
	return docGrp(docInd(f.sep(value.Span().Start, docSpace), f.expr(value)))
}

func (f *formatter) ident(x *Ident) doc {
	if x == nil {
		return nil
	}
	return docs{f.inline(x.Sp.Start), x.Name}
}

// ---- types ----

func (f *formatter) typ(t TypeExpr) doc {
	if t == nil {
		if f.err == nil {
			f.err = fmt.Errorf("format: missing type")
		}
		return nil
	}
	lead := f.inline(t.Span().Start)
	switch t := t.(type) {
	case *NamedType:
		if t.Module != nil {
			return docs{lead, f.ident(t.Module), ".", f.ident(t.Name)}
		}
		return docs{lead, f.ident(t.Name)}
	case *ListType:
		return docs{lead, "list[", f.typ(t.Elem), f.inline(t.Sp.End - 1), "]"}
	case *MapType:
		if !f.commentsIn(t.Sp.Start, t.Sp.End) {
			// One type per line when they do not fit (no trailing comma:
			// the grammar has none).
			return docs{lead, docGrp("map[", docInd(docSoftline, f.typ(t.Key), ",", docSpace, f.typ(t.Elem)), docSoftline, "]")}
		}
		return docs{lead, "map[", f.typ(t.Key), ", ", f.typ(t.Elem), f.inline(t.Sp.End - 1), "]"}
	case *RecordType:
		return docs{lead, f.list("{", "}", len(t.Fields),
			func(i int) Pos { return t.Fields[i].Sp.Start },
			func(i int) doc {
				ft := t.Fields[i]
				return docs{f.ident(ft.Name), f.before(ft.Name.Sp.End), ": ", f.typ(ft.Type)}
			}, t.Sp.End-1)}
	case *OptionalType:
		q := "?"
		if _, ok := t.Elem.(*OptionalType); ok {
			q = " ?" // not `??`, which is an operator
		}
		return docs{lead, f.typ(t.Elem), f.before(t.Elem.Span().End), q}
	case *FuncType:
		// The offset of `)`: after `(`, or after the last parameter.
		closePos := f.skipTrivia(f.skipTrivia(t.Sp.Start+Pos(len("fn"))) + 1)
		if n := len(t.Params); n > 0 {
			closePos = f.skipTrivia(t.Params[n-1].Span().End)
		}
		if len(t.Params) > 0 && !f.commentsIn(t.Sp.Start, closePos+1) {
			// One parameter type per line when they do not fit (no
			// trailing comma: the grammar has none).
			var params docs
			for i, p := range t.Params {
				if i > 0 {
					params = append(params, ",", docSpace)
				}
				params = append(params, f.typ(p))
			}
			return docs{lead, docGrp("fn(", docInd(docSoftline, params), docSoftline, ")"), f.before(closePos + 1), " -> ", f.typ(t.Result)}
		}
		out := docs{lead, "fn("}
		for i, p := range t.Params {
			if i > 0 {
				out = append(out, ", ")
			}
			out = append(out, f.typ(p))
		}
		// The comments before `)` stay inside the parentheses.
		return append(out, f.inline(closePos), ")", f.before(closePos+1), " -> ", f.typ(t.Result))
	case *BadType:
		return f.bad(t, "a type with syntax errors")
	}
	return f.bad(t, fmt.Sprintf("type %T", t))
}

// ---- statements ----

func (f *formatter) block(b *BlockExpr) doc {
	return f.blockMode(b, true, b.Sp.End-1)
}

// blockMode lays out a block with its statements on lines of their own;
// with hard false, the block may be flat, `{ x }`, when its group is. The
// comments before end go inside the block, after its last statement.
func (f *formatter) blockMode(b *BlockExpr, hard bool, end Pos) doc {
	items := make([]seqItem, len(b.Stmts))
	for i, s := range b.Stmts {
		items[i] = seqItem{start: s.Span().Start, build: func() doc { return f.stmt(s) }}
		if i+1 < len(b.Stmts) && !endsAtCompound(s) && stmtContinues(b.Stmts[i+1]) {
			items[i].after = ";"
		}
	}
	body := f.linesMode(items, end, hard)
	if len(body) == 0 {
		return "{}"
	}
	return docs{"{", docInd(body...), docLine{hard: hard}, "}"}
}

// endsAtCompound reports whether s is an expression statement that is an
// if, a match or a block, after which a (, [ or - starts the next
// statement without a ; (§6.7).
func endsAtCompound(s Stmt) bool {
	if s, ok := s.(*ExprStmt); ok {
		switch s.X.(type) {
		case *IfExpr, *MatchExpr, *BlockExpr:
			return true
		}
	}
	return false
}

// stmtContinues reports whether s starts with a token that would continue
// the statement before it (`(`, `[` or `-`) were they not separated by `;`.
func stmtContinues(s Stmt) bool {
	if s, ok := s.(*ExprStmt); ok {
		return exprContinues(s.X)
	}
	return false
}

func exprContinues(e Expr) bool {
	switch e := e.(type) {
	case *BinaryExpr:
		return exprContinues(e.X)
	case *SelectorExpr:
		return exprContinues(e.X)
	case *IndexExpr:
		return exprContinues(e.X)
	case *CallExpr:
		return exprContinues(e.Fun)
	case *ParenExpr, *ListLit:
		return true
	case *LambdaExpr:
		return true // when written `(x) => e`
	}
	return printsMinusFirst(e)
}

func (f *formatter) stmt(s Stmt) doc {
	switch s := s.(type) {
	case *LetStmt:
		out := docs{"let ", f.ident(s.Name)}
		end := s.Name.Sp.End
		if s.Type != nil {
			out = append(out, f.before(end), ": ", f.typ(s.Type))
			end = s.Type.Span().End
		}
		return append(out, f.before(end), f.assign(s.Value))
	case *ReturnStmt:
		return docs{"return", f.breakBefore(s.Value)}
	case *ExpectStmt:
		out := docs{"expect ", f.expr(s.Cond)}
		if s.Message != nil {
			// The message goes on the next line when it does not fit.
			sep, inline, commented := f.sepAlt(s.Message.Span().Start, docSpace)
			msg := f.expr(s.Message)
			g := docLocalGrp(",", docInd(sep, msg))
			alt := []doc{", ", inline}
			if commented {
				alt = append(alt, docContMark{})
			}
			g.lead, g.alt = ",", contLines(append(alt, msg))
			out = append(out, g)
		}
		return out
	case *ExprStmt:
		return f.expr(s.X)
	}
	return f.bad(s, fmt.Sprintf("statement %T", s))
}

// ---- expressions ----

func (f *formatter) expr(e Expr) doc {
	if e == nil {
		if f.err == nil {
			f.err = fmt.Errorf("format: missing expression")
		}
		return nil
	}
	lead := f.inline(e.Span().Start)
	switch e := e.(type) {
	case *Ident:
		return docs{lead, e.Name}
	case *BasicLit:
		return docs{lead, e.Raw}
	case *ListLit:
		return docs{lead, f.list("[", "]", len(e.Elems),
			func(i int) Pos { return e.Elems[i].Span().Start },
			func(i int) doc { return f.expr(e.Elems[i]) }, e.Sp.End-1)}
	case *BraceLit:
		return docs{lead, f.list("{", "}", len(e.Entries),
			func(i int) Pos { return e.Entries[i].Sp.Start },
			func(i int) doc { return f.entry(e.Entries[i]) }, e.Sp.End-1)}
	case *UnaryExpr:
		op := e.Op
		if op == "-" && printsMinusFirst(e.X) {
			op = "- " // not `--5`
		}
		return docs{lead, op, f.expr(e.X)}
	case *BinaryExpr:
		return docs{lead, f.binary(e)}
	case *SelectorExpr, *IndexExpr, *CallExpr:
		return docs{lead, f.postfix(e)}
	case *LambdaExpr:
		out := docs{lead}
		// `(x) => e` loses its parentheses, unless a comment inside them
		// would then move out of the lambda.
		parens := int(e.Sp.Start) < len(f.src) && f.src[e.Sp.Start] == '(' && e.Body != nil &&
			f.commentsIn(e.Sp.Start, e.Body.Span().Start)
		if len(e.Params) == 1 && !parens {
			out = append(out, f.ident(e.Params[0]))
		} else {
			out = append(out, "(")
			for i, p := range e.Params {
				if i > 0 {
					out = append(out, ", ")
				}
				out = append(out, f.ident(p))
			}
			if n := len(e.Params); n > 0 {
				// The comments before `)` stay inside the parentheses.
				out = append(out, f.inline(f.skipTrivia(e.Params[n-1].Sp.End)))
			}
			out = append(out, ")")
		}
		arrow := f.skipTrivia(e.Sp.Start)
		if n := len(e.Params); n > 0 {
			arrow = f.skipTrivia(e.Params[n-1].Sp.End)
		}
		if int(arrow) < len(f.src) && f.src[arrow] == ')' {
			arrow++
		}
		return append(out, f.before(arrow), " => ", f.expr(e.Body))
	case *ParenExpr:
		return docs{lead, "(", f.expr(e.X), f.inline(e.Sp.End - 1), ")"}
	case *IfExpr:
		return docs{lead, f.ifExpr(e)}
	case *MatchExpr:
		return docs{lead, f.match(e)}
	case *BlockExpr:
		return docs{lead, f.block(e)}
	case *BadExpr:
		return f.bad(e, "an expression with syntax errors")
	}
	return f.bad(e, fmt.Sprintf("expression %T", e))
}

func (f *formatter) entry(en *Entry) doc {
	var key doc
	switch k := en.Key.(type) {
	case *Ident:
		key = f.ident(k)
	default:
		key = f.expr(k)
	}
	return docs{key, f.before(en.Key.Span().End), ": ", f.expr(en.Value)}
}

func formatPrec(op string) int {
	switch op {
	case "??":
		return 1
	case "||":
		return 2
	case "&&":
		return 3
	case "==", "!=", "<", "<=", ">", ">=", "in", "not in":
		return 4
	case "+", "-":
		return 5
	case "*", "/", "%":
		return 6
	}
	return 0
}

// binary lays out a chain of operators of one precedence level: a group
// that breaks after each operator when it does not fit on one line. The
// chains of lower precedence, around it, break first.
func (f *formatter) binary(e *BinaryExpr) doc {
	var chain []*BinaryExpr
	prec := formatPrec(e.Op)
	x := Expr(e)
	for {
		b, ok := x.(*BinaryExpr)
		if !ok || formatPrec(b.Op) != prec {
			break
		}
		chain = append(chain, b)
		x = b.X
	}
	first := f.expr(x)
	var rest docs
	var alt []doc // contLines's parts
	for i := len(chain) - 1; i >= 0; i-- {
		b := chain[i]
		if f.pendingBefore(b.OpPos) {
			// Comments before the operator stay before it: the line breaks
			// before the operator instead of after it.
			sep, inline, _ := f.sepAlt(b.OpPos, docSpace)
			y := f.expr(b.Y)
			rest = append(rest, sep, b.Op+" ", y)
			alt = append(alt, inline, docContMark{}, b.Op+" ", y)
			continue
		}
		sep, inline, commented := f.sepAlt(b.Y.Span().Start, docSpace)
		y := f.expr(b.Y)
		rest = append(rest, " "+b.Op, sep, y)
		alt = append(alt, " "+b.Op+" ", inline)
		if commented {
			alt = append(alt, docContMark{})
		}
		alt = append(alt, y)
	}
	if prec != 4 && prec != 6 {
		return docGrp(first, docInd(rest...))
	}
	// A comparison or a product breaks after its operator only when its
	// first operand and the operator fit on a line; otherwise (a call
	// whose arguments do not fit) the operands break inside themselves.
	// A comment does not break it.
	g := docLocalGrp(first, docInd(rest...))
	g.lead = docs{first, " " + chain[len(chain)-1].Op}
	g.alt = docs{first, contLines(alt)}
	return g
}

// postfix lays out selectors, index expressions and calls. A method chain
// (calls after the first one, each on `.name`) is a group that breaks
// before each `.name(...)`.
func (f *formatter) postfix(e Expr) doc {
	var ops []Expr
	head := e
loop:
	for {
		switch x := head.(type) {
		case *SelectorExpr:
			ops = append(ops, x)
			head = x.X
		case *IndexExpr:
			ops = append(ops, x)
			head = x.X
		case *CallExpr:
			ops = append(ops, x)
			head = x.Fun
		default:
			break loop
		}
	}
	for i, j := 0, len(ops)-1; i < j; i, j = i+1, j-1 {
		ops[i], ops[j] = ops[j], ops[i]
	}
	// A link starts at a selector called as a method, after the first call.
	isLink := make([]bool, len(ops))
	links, called := 0, false
	for i, op := range ops {
		if sel, ok := op.(*SelectorExpr); ok && called && i+1 < len(ops) {
			if call, ok := ops[i+1].(*CallExpr); ok && call.Fun == sel {
				isLink[i] = true
				links++
			}
		}
		if _, ok := op.(*CallExpr); ok {
			called = true
		}
	}
	out := docs{f.expr(head)}
	var chain docs
	for i, op := range ops {
		switch op := op.(type) {
		case *SelectorExpr:
			if isLink[i] {
				chain = append(chain, f.sep(op.Sel.Sp.Start, docSoftline), ".", op.Sel.Name)
				continue
			}
			d := docs{f.inline(op.Sel.Sp.Start), ".", op.Sel.Name}
			if len(chain) > 0 {
				chain = append(chain, d)
			} else {
				out = append(out, d)
			}
		case *IndexExpr:
			d := docs{"[", f.expr(op.Index), f.inline(op.Sp.End - 1), "]"}
			if len(chain) > 0 {
				chain = append(chain, d)
			} else {
				out = append(out, d)
			}
		case *CallExpr:
			d := f.args(op)
			if len(chain) > 0 {
				chain = append(chain, d)
			} else {
				out = append(out, d)
			}
		}
	}
	if links == 0 {
		return out
	}
	return docGrp(out, docInd(chain...))
}

func (f *formatter) args(c *CallExpr) doc {
	closePos := c.Sp.End - 1
	if len(c.Args) == 1 {
		a := c.Args[0]
		if hugsArg(a.Value) && !f.commentsIn(c.Fun.Span().End, a.Sp.Start) && !f.commentsIn(a.Sp.End, closePos) {
			return docs{"(", f.arg(a), ")"}
		}
	}
	return f.list("(", ")", len(c.Args),
		func(i int) Pos { return c.Args[i].Sp.Start },
		func(i int) doc { return f.arg(c.Args[i]) }, closePos)
}

// hugs reports whether a call's only argument is laid out right inside its
// parentheses, breaking on its own: `f({` ... `})`.
func hugsArg(e Expr) bool {
	switch e := e.(type) {
	case *BraceLit:
		return len(e.Entries) > 0
	case *ListLit:
		return len(e.Elems) > 0
	case *BlockExpr, *MatchExpr, *IfExpr:
		return true
	case *LambdaExpr:
		switch e.Body.(type) {
		case *BlockExpr, *MatchExpr, *IfExpr:
			return true
		}
	}
	return false
}

func (f *formatter) arg(a *Arg) doc {
	if a.Name != nil {
		return docs{f.ident(a.Name), f.before(a.Name.Sp.End), ": ", f.expr(a.Value)}
	}
	return f.expr(a.Value)
}

// ifExpr lays out if/else. An if/else chain whose blocks each hold one
// expression is a group: on one line, `if c { a } else { b }`, when it
// fits.
func (f *formatter) ifExpr(e *IfExpr) doc {
	short := e.Else != nil
	for x := e; short; {
		short = singleExprBlock(x.Then)
		switch el := x.Else.(type) {
		case *IfExpr:
			x = el
			continue
		case *BlockExpr:
			short = short && singleExprBlock(el)
		case nil:
			short = false
		}
		break
	}
	if short {
		return docGrp(f.ifChain(e, false))
	}
	return f.ifChain(e, true)
}

func singleExprBlock(b *BlockExpr) bool {
	if len(b.Stmts) != 1 {
		return false
	}
	_, ok := b.Stmts[0].(*ExprStmt)
	return ok
}

// ifChain lays out if/else if/else. Comments between a `}` and the `else`
// after it, or the `if` after that `else`, go inside the block, so that
// `} else {` and `} else if` stay on one line.
func (f *formatter) ifChain(e *IfExpr, hard bool) doc {
	// A condition broken over lines is indented twice, to set it apart
	// from the block.
	out := docs{"if ", docInd(f.expr(e.Cond)), " "}
	if e.Else == nil {
		return append(out, f.blockMode(e.Then, hard, e.Then.Sp.End-1))
	}
	end := f.skipTrivia(e.Then.Sp.End) // the else
	if el, ok := e.Else.(*IfExpr); ok {
		end = el.Sp.Start
	}
	out = append(out, f.blockMode(e.Then, hard, end), " else ")
	switch el := e.Else.(type) {
	case *IfExpr:
		return append(out, f.ifChain(el, hard))
	case *BlockExpr:
		return append(out, f.blockMode(el, hard, el.Sp.End-1))
	}
	return append(out, f.expr(e.Else))
}

func (f *formatter) match(e *MatchExpr) doc {
	// Arms are separated by line breaks alone, unless one starts with `-`
	// (a negative literal), which would continue the arm before it: then
	// every arm ends with a comma.
	comma := ""
	for _, a := range e.Arms[min(1, len(e.Arms)):] {
		if len(a.Patterns) > 0 && printsMinusFirst(a.Patterns[0]) {
			comma = ","
		}
	}
	items := make([]seqItem, len(e.Arms))
	for i, a := range e.Arms {
		items[i] = seqItem{start: a.Sp.Start, build: func() doc { return f.arm(a) }, after: comma}
	}
	subj := f.expr(e.Subject)
	body := f.lines(items, e.Sp.End-1)
	if len(body) == 0 {
		return docs{"match ", subj, " {}"}
	}
	return docs{"match ", subj, " {", docInd(body...), docHardline, "}"}
}

// startsWithMinus reports whether e is printed starting with `-`.
func printsMinusFirst(e Expr) bool {
	switch e := e.(type) {
	case *BinaryExpr:
		return printsMinusFirst(e.X)
	case *SelectorExpr:
		return printsMinusFirst(e.X)
	case *IndexExpr:
		return printsMinusFirst(e.X)
	case *CallExpr:
		return printsMinusFirst(e.Fun)
	case *UnaryExpr:
		return e.Op == "-"
	case *BasicLit:
		return strings.HasPrefix(e.Raw, "-")
	}
	return false
}

func (f *formatter) arm(a *MatchArm) doc {
	// Patterns that do not fit on one line go one per line, each after
	// the first starting with `|`; an unbreakable body that does not fit
	// goes on the next line.
	var first doc
	var rest, alt docs
	end := a.Sp.Start
	for i, p := range a.Patterns {
		if i == 0 {
			first = f.expr(p)
		} else {
			c, x := f.before(end), f.expr(p)
			rest = append(rest, c, docSpace, "| ", x)
			alt = append(alt, c, " | ", x)
		}
		end = p.Span().End
	}
	out := docs{first}
	if len(rest) > 0 {
		g := docLocalGrp(first, docInd(rest...))
		g.lead, g.alt = first, docs{first, alt}
		out = docs{g}
	}
	if a.Guard != nil {
		out = append(out, f.before(end), " if ", f.expr(a.Guard))
		end = a.Guard.Span().End
	}
	out = append(out, f.before(end), " =>")
	if f.unbreakable(a.Body) {
		return append(out, docGrp(docInd(f.sep(a.Body.Span().Start, docSpace), f.expr(a.Body))))
	}
	return append(out, " ", f.expr(a.Body))
}
