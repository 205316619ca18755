package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/term"

	"github.com/rpl-lang/rpl/lang"
)

// useColor reports whether output to w may carry ANSI colours, as mode
// says: "always", "never", or "auto" (the default): when w is a terminal
// and NO_COLOR is not set to a non-empty value.
func useColor(w io.Writer, mode string) bool {
	if o, ok := w.(*outWriter); ok {
		w = o.w
	}
	// A terminal, not any character device: /dev/null is one too, and
	// `rplc check x.rpl >/dev/null` wrote escapes there.
	f, ok := w.(*os.File)
	return colorFor(mode, ok && term.IsTerminal(int(f.Fd())))
}

// colorFor reports whether output to a terminal, or not, may carry ANSI
// colours, as mode says. NO_COLOR changes the default (auto) only, as
// no-color.org has it: set to a non-empty value, it turns colour off; an
// empty NO_COLOR counts as unset, and an explicit --color always colours.
func colorFor(mode string, terminal bool) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	return terminal && os.Getenv("NO_COLOR") == ""
}

// pathNamer turns the absolute paths rplc works with into the names it
// prints, text and JSON alike, as the paths were given on the command
// line (pathsHelp): a file under a path given absolute is named
// absolute, one under a path given relative relative to the working
// directory (../ included), one under none absolute when some path was
// given absolute. With no path given, a name is relative to the working
// directory when that is shorter. A file's name in JSON output depended
// on the working directory, and an absolute path given could come out
// ../x/p.rpl, which a CI tool cannot place.
type pathNamer struct {
	cwd    string
	given  []givenPath
	anyAbs bool                  // some path was given absolute
	files  map[string]*lang.File // display copies of source files, by display name
}

// givenPath is a path of the command line, made absolute, and whether it
// was given absolute.
type givenPath struct {
	abs      string
	absolute bool
}

// pathsHelp is what the help texts say of the files' names they print.
const pathsHelp = `Files are named as the paths were given: absolute under a PATH given
absolute (and a file under no PATH, imported from elsewhere, when any
PATH was), else relative to the working directory.`

// newPathNamer returns the namer of the command whose paths (files or
// directories, "-" for standard input aside) were given.
func newPathNamer(given ...string) *pathNamer {
	cwd, _ := os.Getwd()
	n := &pathNamer{cwd: cwd, files: map[string]*lang.File{}}
	for _, g := range given {
		if g == "" || g == "-" {
			continue
		}
		abs, err := filepath.Abs(g)
		if err != nil {
			continue
		}
		n.given = append(n.given, givenPath{abs, filepath.IsAbs(g)})
		n.anyAbs = n.anyAbs || filepath.IsAbs(g)
	}
	return n
}

// name returns the display name of an absolute path.
func (n *pathNamer) name(abs string) string {
	if n.cwd == "" || !filepath.IsAbs(abs) {
		return abs
	}
	rel, err := filepath.Rel(n.cwd, abs)
	if err != nil {
		return abs
	}
	if len(n.given) == 0 {
		if len(rel) >= len(abs) {
			return abs
		}
		return rel
	}
	absolute, longest := n.anyAbs, -1
	for _, g := range n.given {
		if within(g.abs, abs) && len(g.abs) > longest {
			absolute, longest = g.absolute, len(g.abs)
		}
	}
	if absolute {
		return abs
	}
	return rel
}

// within reports whether the absolute path p is root or under it.
func within(root, p string) bool {
	if p == root {
		return true
	}
	if !strings.HasSuffix(root, string(filepath.Separator)) {
		root += string(filepath.Separator)
	}
	return strings.HasPrefix(p, root)
}

// file returns f renamed for display (sharing its bytes).
func (n *pathNamer) file(f *lang.File) *lang.File {
	if f == nil {
		return nil
	}
	name := n.name(f.Name)
	if d, ok := n.files[name]; ok && len(d.Src) == len(f.Src) {
		return d
	}
	d := lang.NewFile(name, f.Src)
	n.files[name] = d
	return d
}

// display returns a copy of d whose files carry display names.
func (n *pathNamer) display(d *lang.Diagnostic) *lang.Diagnostic {
	c := *d
	c.File = n.file(d.File)
	if len(d.Related) > 0 {
		c.Related = make([]lang.Related, len(d.Related))
		for i, r := range d.Related {
			r.File = n.file(r.File)
			c.Related[i] = r
		}
	}
	return &c
}

// diagKey identifies a diagnostic across several checks, which load the
// same imported file more than once (each time as a new *lang.File).
type diagKey struct {
	file       string
	start, end lang.Pos
	code       lang.Code
	message    string
}

func keyOf(d *lang.Diagnostic) diagKey {
	k := diagKey{start: d.Span.Start, end: d.Span.End, code: d.Code, message: d.Message}
	if d.File != nil {
		k.file = d.File.Name
	}
	return k
}

// diagSet accumulates diagnostics, each reported once.
type diagSet struct {
	seen  map[diagKey]bool
	diags lang.DiagList
}

func (s *diagSet) add(ds ...*lang.Diagnostic) {
	if s.seen == nil {
		s.seen = map[diagKey]bool{}
	}
	for _, d := range ds {
		k := keyOf(d)
		if s.seen[k] {
			continue
		}
		s.seen[k] = true
		s.diags = append(s.diags, d)
	}
}

// counts tallies diagnostics by severity, and those not shown (RPL900).
type counts struct{ errors, warnings, infos, hidden int }

func countOf(ds lang.DiagList) counts {
	var c counts
	for _, d := range ds {
		switch {
		case d.Code == lang.CodeTooMany:
			c.hidden += d.Hidden()
		case d.Severity == lang.SevError:
			c.errors++
		case d.Severity == lang.SevWarning:
			c.warnings++
		default:
			c.infos++
		}
	}
	return c
}

// werrorHelp documents --werror, which check, build and test take.
const werrorHelp = `--werror counts warnings as errors for the exit status, for CI: a run
whose only diagnostics are warnings then fails (exit 1). They are printed
as they are, warning[RPL…], and the summary says that they failed the
run; infos (RPL400) do not count.`

// werrorNote is what a summary adds when --werror failed a run on its
// n warnings.
func werrorNote(n int) string {
	return plural(n, "warning") + " failed the run (--werror)"
}

// errorsNotShown is c's errors, and its diagnostics not shown (RPL900),
// in words, for a command that failed on them: "100 errors and 51 more
// diagnostics not shown", "3 errors".
func (c counts) errorsNotShown() string {
	s := plural(c.errors, "error")
	if c.hidden > 0 {
		s += " and " + plural(c.hidden, "more diagnostic") + " not shown"
	}
	return s
}

// policyCount is n policies in words: "1 policy", "2 policies".
func policyCount(n int) string {
	if n == 1 {
		return "1 policy"
	}
	return fmt.Sprintf("%d policies", n)
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// summary is the closing line of a check: `ok 3 files` when there is
// nothing to report, else `2 errors, 1 warning in 3 files`, or with
// diagnostics left out past a file's 100 (RPL900) `100 errors, 51 more not
// shown in 1 file`.
func summary(c counts, files int) string {
	if c == (counts{}) {
		return "ok " + plural(files, "file")
	}
	var parts []string
	if c.errors > 0 {
		parts = append(parts, plural(c.errors, "error"))
	}
	if c.warnings > 0 {
		parts = append(parts, plural(c.warnings, "warning"))
	}
	if c.infos > 0 {
		parts = append(parts, fmt.Sprintf("%d info", c.infos))
	}
	if c.hidden > 0 {
		parts = append(parts, fmt.Sprintf("%d more not shown", c.hidden))
	}
	if files == 0 {
		// Of paths alone (a directory holding no .rpl file, RPL218):
		// "in 0 files" said where there were none.
		return strings.Join(parts, ", ")
	}
	return strings.Join(parts, ", ") + " in " + plural(files, "file")
}

// printText writes each diagnostic with its caret snippet.
func printText(w io.Writer, ds lang.DiagList, color bool) {
	for _, d := range ds {
		lang.PrintSnippet(w, d, lang.Style{Color: color})
	}
}

// jsonDiag is the JSON form of a diagnostic: one object per line.
// Lines and columns are 1-based; columns count bytes. A diagnostic about a
// whole file (an unreadable one) has line 0.
type jsonDiag struct {
	File     string        `json:"file"`
	Line     int           `json:"line"`
	Col      int           `json:"col"`
	EndLine  int           `json:"end_line"`
	EndCol   int           `json:"end_col"`
	Severity string        `json:"severity"`
	Code     string        `json:"code"`
	Message  string        `json:"message"`
	Related  []jsonRelated `json:"related,omitempty"`
	Fixes    []jsonFix     `json:"fixes,omitempty"`
}

type jsonRelated struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Col     int    `json:"col"`
	Message string `json:"message"`
}

type jsonFix struct {
	Title   string `json:"title"`
	Line    int    `json:"line"`
	Col     int    `json:"col"`
	EndLine int    `json:"end_line"`
	EndCol  int    `json:"end_col"`
	NewText string `json:"new_text"`
}

// printJSON writes one JSON object per diagnostic, one per line.
func printJSON(w io.Writer, ds lang.DiagList) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, d := range ds {
		if err := enc.Encode(jsonDiagOf(d)); err != nil {
			return err
		}
	}
	return nil
}

// jsonDiags is ds in the JSON form that rplc check --format json prints,
// as a list for a JSON document (never null).
func jsonDiags(ds lang.DiagList) []jsonDiag {
	out := make([]jsonDiag, 0, len(ds))
	for _, d := range ds {
		out = append(out, jsonDiagOf(d))
	}
	return out
}

// jsonDiagOf is the JSON form of d.
func jsonDiagOf(d *lang.Diagnostic) jsonDiag {
	start, end := d.Position(), d.EndPosition()
	j := jsonDiag{
		File: start.Filename, Line: start.Line, Col: start.Col,
		EndLine: end.Line, EndCol: end.Col,
		Severity: d.Severity.String(), Code: string(d.Code), Message: d.Message,
	}
	if d.File != nil {
		j.File = d.File.Name
	}
	for _, r := range d.Related {
		p := r.File.Position(r.Span.Start)
		j.Related = append(j.Related, jsonRelated{File: p.Filename, Line: p.Line, Col: p.Col, Message: r.Message})
	}
	for _, f := range d.Fixes {
		s, e := d.File.Position(f.Span.Start), d.File.Position(f.Span.End)
		j.Fixes = append(j.Fixes, jsonFix{Title: f.Title, Line: s.Line, Col: s.Col, EndLine: e.Line, EndCol: e.Col, NewText: f.NewText})
	}
	return j
}

// failureJSON is err, from a command run with --format json that failed
// before it had its result to print. For a failure (exit 1) it first writes
// the document {"error": ..., "diagnostics": [...]} to w, so that a
// consumer of standard output finds a document whatever happened: error
// is what standard error says in one line, diagnostics (as rplc check
// --format json prints them) those that made the command fail. A wrong
// command line (exit 2) writes none, as for every command.
func failureJSON(w io.Writer, err error) error {
	ex, ok := errors.AsType[*exitError](err)
	if !ok || ex.code != exitFail {
		return err
	}
	doc := struct {
		Error       string     `json:"error"`
		Diagnostics []jsonDiag `json:"diagnostics"`
	}{Error: ex.summary, Diagnostics: jsonDiags(ex.diags)}
	if doc.Error == "" && ex.err != nil {
		doc.Error = ex.err.Error()
	}
	writeJSON(w, doc)
	return err
}

// expandPaths turns command-line paths into absolute .rpl file paths,
// sorted and each once (lang.SourceFiles, per path). A directory holding
// no .rpl file is an error, since a check or test of nothing that passes
// would hide a wrong path. A path that does not exist is a
// *lang.NotFoundError.
func expandPaths(args []string) ([]string, error) {
	trees, err := expandTrees(args)
	if err != nil {
		return nil, err
	}
	return treeFiles(trees), nil
}

// policyTree is what command-line paths name of one policy tree, whose
// policies must have distinct ids (RPL216): a directory named is a tree,
// walked as rplc build and a router load it; a file named belongs to the
// tree of a directory named that holds it, or else to the tree of its own
// directory, with the other files named there.
type policyTree struct {
	root   string   // absolute
	files  []string // absolute, sorted, each once
	walked bool     // root is a directory named, walked whole
}

// named is what one command-line path names: a directory, walked, or a
// file, with the root of its tree.
type named struct {
	root  string
	dir   bool // a directory named, walked
	files []string
}

// expandTrees is expandPaths by policy tree: each file in one tree, the
// trees in the order of their roots.
func expandTrees(args []string) ([]policyTree, error) {
	trees, empty, err := expandTreesEmpty(args)
	if err == nil && len(empty) > 0 {
		err = fmt.Errorf("%s: no .rpl files in this directory", empty[0])
	}
	return trees, err
}

// expandTreesEmpty is expandTrees, which refuses a directory holding no
// .rpl file, with those directories returned instead, as named on the
// command line and in its order, for rplc check to report (RPL218).
func expandTreesEmpty(args []string) (trees []policyTree, empty []string, err error) {
	var ns []named
	for _, a := range args {
		files, err := lang.SourceFiles([]string{a})
		if err != nil {
			return nil, nil, err
		}
		if len(files) == 0 { // a file is itself
			empty = append(empty, a)
			continue
		}
		abs, err := filepath.Abs(a)
		if err != nil {
			return nil, nil, err
		}
		fi, err := os.Stat(abs)
		if err != nil {
			return nil, nil, err
		}
		if fi.IsDir() {
			ns = append(ns, named{abs, true, files})
		} else {
			ns = append(ns, named{filepath.Dir(abs), false, files})
		}
	}
	ns = dedupeNamed(ns)
	// A tree holding another comes first: its root is a prefix.
	slices.SortStableFunc(ns, func(a, b named) int { return strings.Compare(a.root, b.root) })
	for _, n := range ns {
		// The tree of the same root, or of a directory named that holds
		// this one (files named in a directory are no tree of its
		// subdirectories).
		i := -1
		for j, t := range trees {
			if t.root == n.root || t.walked && strings.HasPrefix(n.root, strings.TrimSuffix(t.root, string(filepath.Separator))+string(filepath.Separator)) {
				i = j
				break
			}
		}
		if i < 0 {
			trees = append(trees, policyTree{root: n.root})
			i = len(trees) - 1
		}
		trees[i].files = append(trees[i].files, n.files...)
		trees[i].walked = trees[i].walked || n.dir
	}
	for i := range trees {
		slices.Sort(trees[i].files)
		trees[i].files = slices.Compact(trees[i].files)
	}
	return trees, empty, nil
}

// dedupeNamed drops what command-line paths name more than once, through
// symlinks included (as a directory and a link to it), so that each file
// is checked and tested once: a directory named again (the same directory
// once symlinks are resolved) is dropped, walked once under the name
// given first; then a file named is dropped when a directory walked or a
// file named before holds its policy (resolved, again: a test file
// x_test.rpl stands for x.rpl, checked and tested with it). The files of
// one directory walked are all kept, two names for one file among them: a
// policy tree as a router reads it. Entries left with no file are
// dropped. ns is in the order of the command line.
func dedupeNamed(ns []named) []named {
	keep := make([]bool, len(ns))
	roots := map[string]bool{} // directories walked, resolved
	held := map[string]bool{}  // policies checked (policyKey)
	for i, n := range ns {
		if !n.dir {
			continue
		}
		r := realPath(n.root)
		if roots[r] {
			continue
		}
		roots[r] = true
		keep[i] = true
		for _, f := range n.files {
			held[policyKey(f)] = true
		}
	}
	for i, n := range ns {
		if n.dir {
			continue
		}
		var files []string
		for _, f := range n.files {
			if k := policyKey(f); !held[k] {
				held[k] = true
				files = append(files, f)
			}
		}
		ns[i].files = files
		keep[i] = len(files) > 0
	}
	var out []named
	for i, n := range ns {
		if keep[i] {
			out = append(out, n)
		}
	}
	return out
}

// uniqueFiles is paths without those naming a file named before, by
// resolved path (realPath), in order.
func uniqueFiles(paths []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range paths {
		if r := absPath(realPath(p)); !seen[r] {
			seen[r] = true
			out = append(out, p)
		}
	}
	return out
}

// policyKey is the policy that checking or testing file f checks, its
// symlinks resolved: f itself, or x.rpl for a test file x_test.rpl.
func policyKey(f string) string { return lang.PolicyOf(realPath(f)) }

// realPath is the absolute path p with its symlinks resolved, or p when
// they cannot be (a link to nothing, which the check reports).
func realPath(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return absPath(r)
	}
	return p
}

// treeFiles is the files of trees, sorted.
func treeFiles(trees []policyTree) []string {
	var out []string
	for _, t := range trees {
		out = append(out, t.files...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// absPath is p made absolute, to compare paths given in different forms.
func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return filepath.Clean(p)
}
