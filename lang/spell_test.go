package lang

import (
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
)

// nearestRef is Nearest without its length shortcut: every candidate's
// distance computed.
func nearestRef(name string, candidates []string) string {
	best, bestD := "", 1+len(name)/3
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	for _, c := range sorted {
		if c == name || c == "" || c == "_" {
			continue
		}
		if d := editDistance(strings.ToLower(name), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// TestNearestField: a field name that is no typo of a field but begins
// exactly one, two characters or more, suggests it; a typo's suggestion
// comes first, and a prefix of two fields or a single letter suggests none.
func TestNearestField(t *testing.T) {
	fields := []string{"type", "sticky_key", "sticky_ttl", "tags", "target", "input_tokens"}
	for _, c := range []struct{ name, want string }{
		{"ty", "type"},
		{"TY", "type"},
		{"inp", "input_tokens"},
		{"tpye", "type"}, // a typo, as Nearest finds it
		{"tag", "tags"},  // one edit: Nearest's answer
		{"st", ""},       // sticky_key or sticky_ttl
		{"sticky_", ""},  // the same
		{"ta", ""},       // tags or target
		{"t", ""},        // one letter
		{"xy", ""},       // begins none
		{"types_x", ""},  // longer than any
	} {
		if got := nearestField(c.name, fields); got != c.want {
			t.Errorf("nearestField(%q) = %q, want %q", c.name, got, c.want)
		}
	}
}

// TestNearestShortcut: passing by the candidates whose length alone puts
// them too far changes no answer (random names of a small alphabet, some
// non-ASCII, near and far in length).
func TestNearestShortcut(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune("abAB_éÉİ")
	word := func() string {
		rs := make([]rune, r.IntN(12))
		for i := range rs {
			rs[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(rs)
	}
	for range 20000 {
		name := word()
		cands := make([]string, 1+r.IntN(6))
		for i := range cands {
			cands[i] = word()
		}
		if got, want := Nearest(name, cands), nearestRef(name, cands); got != want {
			t.Fatalf("Nearest(%q, %q) = %q, want %q", name, cands, got, want)
		}
	}
}

// BenchmarkNearestLong: a megabyte's name among a request's field names
// (a client's unknown field) costs time in its length, not its length
// times the candidates' (about 0.2 s before).
func BenchmarkNearestLong(b *testing.B) {
	name := strings.Repeat("x", 1<<20)
	fields := []string{"request_id", "tenant_id", "target", "status", "latency_ms", "tokens_in", "tokens_out", "cost", "time"}
	for b.Loop() {
		if Nearest(name, fields) != "" {
			b.Fatal("a suggestion")
		}
	}
}
