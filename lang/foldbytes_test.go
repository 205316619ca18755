package lang_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/lang"
)

// TestFoldStringBounded: + folds a string of 1 MiB at most (RPL315 at the
// + that passes it). A chain of constants each sixteen copies of the one
// before took 1.6 s and 58 MB to check at 4 MB, minutes and gigabytes at
// 1 GiB, the router that compiled it killed for memory at every restart.
func TestFoldStringBounded(t *testing.T) {
	var src strings.Builder
	fmt.Fprintf(&src, "package c\nconst a = %q\n", strings.Repeat("x", 64))
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e"} {
		fmt.Fprintf(&src, "const %s = %s\n", n, strings.TrimSuffix(strings.Repeat(prev+" + ", 16), " + "))
		prev = n
	}
	src.WriteString("fn route(r: Request) -> Decision = to(\"a:\" + string(len(e)))\n")
	_, diags := lang.CheckSource(&lang.Config{Universe: universe(t)}, "c.rpl", []byte(src.String()))
	if len(diags) != 1 || diags[0].Code != lang.CodeConstOverflow || diags[0].Position().Line != 6 ||
		!strings.Contains(diags[0].Message, "is 1310720 bytes long, past the 1048576 a folded constant string may hold") {
		t.Fatalf("want one RPL315 on line 6 (const e), the string passing 1 MiB; have %v", diags)
	}
}

// TestFoldStringsBoundedInAll: the strings + folds in a check, each kept
// in its Info, are 64 MiB in all at most: past it, each + that would fold
// one more is RPL315.
func TestFoldStringsBoundedInAll(t *testing.T) {
	var src strings.Builder
	fmt.Fprintf(&src, "package c\nconst a = %q\n", strings.Repeat("y", 512<<10))
	for i := range 140 {
		fmt.Fprintf(&src, "const c%d = a + \"%d\"\n", i, i)
	}
	src.WriteString("fn route(r: Request) -> Decision = to(\"a:\" + string(len(c0)))\n")
	_, diags := lang.CheckSource(&lang.Config{Universe: universe(t)}, "c.rpl", []byte(src.String()))
	if len(diags) == 0 || diags[0].Code != lang.CodeConstOverflow || !strings.Contains(diags[0].Message, "past 67108864 bytes in all") {
		t.Fatalf("want RPL315 once the folded strings pass 64 MiB; have %v", diags)
	}
	// 128 constants of 512 KiB and a few bytes fit in 64 MiB: the 128th
	// (c127, line 130) passes it.
	if line := diags[0].Position().Line; line != 130 {
		t.Errorf("first RPL315 on line %d, want 130: %v", line, diags[0])
	}
}
