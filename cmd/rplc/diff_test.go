package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// editScript gives a script that turns x into y with the fewest edits:
// checked against the longest common subsequence on random small texts.
func TestEditScriptShortest(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	gen := func() [][]byte {
		ls := make([][]byte, r.IntN(12))
		for i := range ls {
			ls[i] = []byte(string(rune('a'+r.IntN(4))) + "\n")
		}
		return ls
	}
	for range 2000 {
		x, y := gen(), gen()
		ops := editScript(x, y)
		var gx, gy [][]byte
		edits := 0
		for _, op := range ops {
			if op.kind != '+' {
				gx = append(gx, op.line)
			}
			if op.kind != '-' {
				gy = append(gy, op.line)
			}
			if op.kind != ' ' {
				edits++
			}
		}
		if !equalLines(gx, x) || !equalLines(gy, y) {
			t.Fatalf("script %v does not turn %q into %q", ops, x, y)
		}
		if want := len(x) + len(y) - 2*lcs(x, y); edits != want {
			t.Fatalf("%d edits from %q to %q, want %d", edits, x, y, want)
		}
	}
}

func equalLines(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func lcs(x, y [][]byte) int {
	t := make([][]int, len(x)+1)
	for i := range t {
		t[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if bytes.Equal(x[i], y[j]) {
				t[i][j] = t[i+1][j+1] + 1
			} else {
				t[i][j] = max(t[i+1][j], t[i][j+1])
			}
		}
	}
	return t[0][0]
}

// The unified diff's hunks, context and headers, as diff -u writes them.
func TestUnifiedDiff(t *testing.T) {
	var a, b strings.Builder
	for i := 1; i <= 20; i++ {
		fmt.Fprintf(&a, "l%d\n", i)
		switch i {
		case 2:
			b.WriteString("L2\n")
		case 15:
		default:
			fmt.Fprintf(&b, "l%d\n", i)
		}
	}
	b.WriteString("end")
	var out strings.Builder
	unifiedDiff(&out, "p.rpl", []byte(a.String()), []byte(b.String()))
	want := `--- p.rpl
+++ p.rpl (formatted)
@@ -1,5 +1,5 @@
 l1
-l2
+L2
 l3
 l4
 l5
@@ -12,9 +12,9 @@
 l12
 l13
 l14
-l15
 l16
 l17
 l18
 l19
 l20
+end
\ No newline at end of file
`
	if out.String() != want {
		t.Errorf("diff:\n%s\nwant:\n%s", out.String(), want)
	}
	out.Reset()
	unifiedDiff(&out, "p.rpl", []byte(a.String()), []byte(a.String()))
	if out.Len() != 0 {
		t.Errorf("diff of equal texts: %q", out.String())
	}
	// Past maxEdits, all of a replaced by all of b.
	x, y := make([][]byte, maxEdits), make([][]byte, maxEdits)
	for i := range x {
		x[i], y[i] = []byte(fmt.Sprintf("a%d\n", i)), []byte(fmt.Sprintf("b%d\n", i))
	}
	ops := editScript(x, y)
	if len(ops) != 2*maxEdits || ops[0].kind != '-' || ops[maxEdits].kind != '+' {
		t.Errorf("past maxEdits: %d ops", len(ops))
	}
}
