package main

import (
	"bytes"
	"fmt"
	"io"
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

// maxEdits bounds the edit scripts editScript searches (its memory grows
// with their square); texts further apart are shown as all of a replaced
// by all of b.
const maxEdits = 4000

// editScript is a shortest edit script from x to y (Myers, "An O(ND)
// Difference Algorithm and Its Variations", 1986): a greedy forward search
// that keeps each step's frontier, then a walk back through them.
func editScript(x, y [][]byte) []diffOp {
	n, m := len(x), len(y)
	maxD := min(n+m, maxEdits)
	off := maxD + 1
	v := make([]int, 2*maxD+3)
	var trace [][]int // trace[d]: the frontier before step d, diagonals -d-1 to d+1
	d, found := 0, false
	for ; d <= maxD && !found; d++ {
		trace = append(trace, append([]int(nil), v[off-d-1:off+d+2]...))
		for k := -d; k <= d; k += 2 {
			var i int
			if k == -d || k != d && v[off+k-1] < v[off+k+1] {
				i = v[off+k+1] // down: an insertion
			} else {
				i = v[off+k-1] + 1 // right: a deletion
			}
			j := i - k
			for i < n && j < m && bytes.Equal(x[i], y[j]) {
				i, j = i+1, j+1
			}
			v[off+k] = i
			if i >= n && j >= m {
				found = true
				break
			}
		}
	}
	if !found {
		ops := make([]diffOp, 0, n+m)
		for i, l := range x {
			ops = append(ops, diffOp{'-', l, i, 0})
		}
		for j, l := range y {
			ops = append(ops, diffOp{'+', l, n, j})
		}
		return ops
	}
	d-- // the number of edits
	var rev []diffOp
	i, j := n, m
	for ; d > 0; d-- {
		prev := trace[d]
		at := func(k int) int { return prev[k+d+1] }
		k := i - j
		pk := k - 1 // from a deletion
		if k == -d || k != d && at(k-1) < at(k+1) {
			pk = k + 1 // from an insertion
		}
		pi := at(pk)
		pj := pi - pk
		for i > pi && j > pj {
			i, j = i-1, j-1
			rev = append(rev, diffOp{' ', x[i], i, j})
		}
		if pk == k+1 {
			rev = append(rev, diffOp{'+', y[pj], pi, pj})
		} else {
			rev = append(rev, diffOp{'-', x[pi], pi, pj})
		}
		i, j = pi, pj
	}
	for i > 0 && j > 0 {
		i, j = i-1, j-1
		rev = append(rev, diffOp{' ', x[i], i, j})
	}
	ops := make([]diffOp, len(rev))
	for k, op := range rev {
		ops[len(rev)-1-k] = op
	}
	return ops
}
