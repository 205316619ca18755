package linediff

import (
	"math/rand/v2"
	"testing"
)

// TestCommonIsLongest: over random sequences of a small alphabet, the
// pairs kept are equal elements in increasing order, as many as the
// longest common subsequence has (a shortest edit script keeps one).
func TestCommonIsLongest(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		x, y := randSeq(r), randSeq(r)
		kept, ok := Common(len(x), len(y), func(i, j int) bool { return x[i] == y[j] }, 1000)
		if !ok {
			t.Fatalf("%q, %q: no script", x, y)
		}
		pi, pj := -1, -1
		for _, p := range kept {
			if p[0] <= pi || p[1] <= pj || x[p[0]] != y[p[1]] {
				t.Fatalf("%q, %q: kept %v", x, y, kept)
			}
			pi, pj = p[0], p[1]
		}
		if want := lcs(x, y); len(kept) != want {
			t.Fatalf("%q, %q: %d kept, want %d", x, y, len(kept), want)
		}
	}
}

// TestCommonBound: past maxEdits, no script.
func TestCommonBound(t *testing.T) {
	x, y := "abcdef", "uvwxyz"
	eq := func(i, j int) bool { return x[i] == y[j] }
	if _, ok := Common(len(x), len(y), eq, 11); ok {
		t.Error("12 edits found with at most 11")
	}
	if kept, ok := Common(len(x), len(y), eq, 12); !ok || len(kept) != 0 {
		t.Errorf("12 edits allowed: %v %v, want none kept", kept, ok)
	}
}

func randSeq(r *rand.Rand) string {
	b := make([]byte, r.IntN(12))
	for i := range b {
		b[i] = "abc"[r.IntN(3)]
	}
	return string(b)
}

func lcs(x, y string) int {
	prev, cur := make([]int, len(y)+1), make([]int, len(y)+1)
	for i := range x {
		for j := range y {
			if x[i] == y[j] {
				cur[j+1] = prev[j] + 1
			} else {
				cur[j+1] = max(prev[j+1], cur[j])
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(y)]
}
