// Package linediff finds what two sequences of lines have in common: the
// lines a shortest edit script from one to the other keeps (Myers, "An
// O(ND) Difference Algorithm and Its Variations", 1986). rplc fmt -d
// shows its unified diffs with it, and the language server sends the
// formatter's changed lines alone.
package linediff

// Common returns the pairs (i, j) of elements of x (n of them) and of y
// (m) that a shortest edit script from x to y keeps, in order, eq(i, j)
// telling whether x's i-th and y's j-th are equal; ok is false when that
// script has more than maxEdits insertions and deletions (the search
// keeps a frontier per edit: its memory grows with their square).
//
// The search goes forward, greedily along the diagonals, keeping each
// step's frontier, then walks back through them.
func Common(n, m int, eq func(i, j int) bool, maxEdits int) (kept [][2]int, ok bool) {
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
			for i < n && j < m && eq(i, j) {
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
		return nil, false
	}
	d-- // the number of edits
	var rev [][2]int
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
		if pk == k-1 {
			pi++ // the deletion moved right
		} else {
			pj++ // the insertion moved down
		}
		for i > pi && j > pj {
			i, j = i-1, j-1
			rev = append(rev, [2]int{i, j})
		}
		i, j = at(pk), at(pk)-pk
	}
	for i > 0 && j > 0 {
		i, j = i-1, j-1
		rev = append(rev, [2]int{i, j})
	}
	kept = make([][2]int, len(rev))
	for k, p := range rev {
		kept[len(rev)-1-k] = p
	}
	return kept, true
}
