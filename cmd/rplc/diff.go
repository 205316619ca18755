package main

import (
	"bytes"
	"fmt"
	"io"

	"github.com/rpl-lang/rpl/internal/linediff"
)

// unifiedDiff writes the changes from a to b, two texts of file name, as
// a unified diff with 3 lines of context (diff -u, git diff): the lines
// compared whole, an edit script of the fewest insertions and deletions
// (Myers's algorithm). It writes nothing when a and b are equal.
func unifiedDiff(w io.Writer, name string, a, b []byte) {
	x, y := splitLines(a), splitLines(b)
	ops := editScript(x, y)
	const context = 3
	header := false
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		// A hunk: the changes from ops[i] on, merged while the equal lines
		// between them are at most twice the context.
		start := max(0, i-context)
		end := i
		for j := i; j < len(ops); j++ {
			if ops[j].kind != ' ' {
				end = j + 1
				continue
			}
			if j-end >= 2*context {
				break
			}
		}
		end = min(len(ops), end+context)
		if !header {
			fmt.Fprintf(w, "--- %s\n+++ %s (formatted)\n", name, name)
			header = true
		}
		ax, ay := ops[start].ai, ops[start].bi
		na, nb := 0, 0
		for _, op := range ops[start:end] {
			if op.kind != '+' {
				na++
			}
			if op.kind != '-' {
				nb++
			}
		}
		fmt.Fprintf(w, "@@ -%s +%s @@\n", hunkRange(ax, na), hunkRange(ay, nb))
		for _, op := range ops[start:end] {
			line := op.line
			fmt.Fprintf(w, "%c%s", op.kind, line)
			if !bytes.HasSuffix(line, []byte("\n")) {
				fmt.Fprint(w, "\n\\ No newline at end of file\n")
			}
		}
		i = end
	}
}

// hunkRange is a hunk header's range of n lines from 0-based line at.
func hunkRange(at, n int) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", at)
	}
	if n == 1 {
		return fmt.Sprint(at + 1)
	}
	return fmt.Sprintf("%d,%d", at+1, n)
}

// splitLines splits text after each newline; the last line may lack one.
func splitLines(text []byte) [][]byte {
	var lines [][]byte
	for len(text) > 0 {
		i := bytes.IndexByte(text, '\n') + 1
		if i == 0 {
			i = len(text)
		}
		lines = append(lines, text[:i])
		text = text[i:]
	}
	return lines
}

// diffOp is a line of an edit script: kept (' '), deleted from a ('-') or
// inserted from b ('+'), with its indexes in a and b before it.
type diffOp struct {
	kind   byte
	line   []byte
	ai, bi int
}

// maxEdits bounds the edit scripts editScript searches (their memory
// grows with their square); texts further apart are shown as all of a
// replaced by all of b.
const maxEdits = 4000

// editScript is a shortest edit script from x to y (linediff.Common), the
// lines deleted between two kept ones before those inserted.
func editScript(x, y [][]byte) []diffOp {
	kept, _ := linediff.Common(len(x), len(y), func(i, j int) bool { return bytes.Equal(x[i], y[j]) }, maxEdits)
	ops := make([]diffOp, 0, len(x)+len(y)-len(kept))
	i, j := 0, 0
	for _, p := range append(kept, [2]int{len(x), len(y)}) {
		for ; i < p[0]; i++ {
			ops = append(ops, diffOp{'-', x[i], i, j})
		}
		for ; j < p[1]; j++ {
			ops = append(ops, diffOp{'+', y[j], i, j})
		}
		if i < len(x) && j < len(y) {
			ops = append(ops, diffOp{' ', x[i], i, j})
			i, j = i+1, j+1
		}
	}
	return ops
}
