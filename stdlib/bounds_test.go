package stdlib

import (
	"regexp/syntax"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/vm"
)

// TestMatchesChargesProgramSize: matches charges the size of the pattern's
// program times the bytes of s (a{1000}c over 128 KB ran 3.6 s on 37k fuel
// when only the bytes were charged); here 16 KB would be 0.25 s on 4k.
func TestMatchesChargesProgramSize(t *testing.T) {
	s := str(strings.Repeat("a", 16<<10))
	start := time.Now()
	_, st, err := env{lim: vm.Limits{Fuel: 10000}}.call(t, "matches(string, string)", s, str("a{1000}c"))
	wantCode(t, err, vm.CodeFuelExhausted)
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Errorf("%v, fuel %d", d, st.Fuel)
	}
	// The charge is the same for a cached pattern (replays), and small
	// for a small pattern and string.
	for range 2 {
		_, st, err = env{}.call(t, "matches(string, string)", str("gpt-4o-mini"), str(`^gpt-4o(-mini)?$`))
		if err != nil {
			t.Fatal(err)
		}
		if st.Fuel < 20 || st.Fuel > 150 {
			t.Errorf("fuel %d", st.Fuel)
		}
	}
}

// TestReSize: the estimate of a program's size is close to what
// regexp/syntax compiles, counted repeats included.
func TestReSize(t *testing.T) {
	for _, p := range []string{"a", "^gpt-4o(-mini)?$", "a{1000}c", "(?:ab|cd){3,5}x*", `[a-z]+@[a-z]+\.com`, "(x+x+)+y", "a{2,}", `\pL{500}`, "(?i)hello world"} {
		tree, err := syntax.Parse(p, syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		prog, err := syntax.Compile(tree.Simplify())
		if err != nil {
			t.Fatal(err)
		}
		got, want := reSize(tree)+2, int64(len(prog.Inst))
		if got < want/2 || got > 2*want+4 {
			t.Errorf("%s: reSize %d, program %d", p, got, want)
		}
	}
}
