package textcut

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCut(t *testing.T) {
	for _, c := range []struct {
		s    string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"abcdefghijk", 10, "abcdefg..."},
		{"abcdef€xyz", 10, "abcdef..."},   // € is 3 bytes: byte 7 is inside it
		{"abcdefg€xyz", 10, "abcdefg..."}, // cut just before it
		{"€€€€", 3, "..."},
		// Below 3 bytes, no room for any of s: as many dots as fit (it
		// returned "...", longer than max).
		{"abcdef", 2, ".."},
		{"abcdef", 1, "."},
		{"abcdef", 0, ""},
		{"abcdef", -1, ""},
		{"ab", 2, "ab"},
		{"", 0, ""},
	} {
		got := Cut(c.s, c.max)
		if got != c.want || len(got) > max(c.max, 0) || !utf8.ValidString(got) {
			t.Errorf("Cut(%q, %d) = %q, want %q", c.s, c.max, got, c.want)
		}
	}
	if got := Prefix("€uro", 2); got != "" {
		t.Errorf("Prefix inside the first character: %q", got)
	}
}

// TestPrefixInvalid: bytes that are no part of a valid sequence are
// characters of their own; Prefix cuts a run of them at n, and backs up
// only over a valid sequence that crosses the cut. Before, it backed up
// over every continuation byte: 100 bytes of 0xa9 cut to 10 gave "".
func TestPrefixInvalid(t *testing.T) {
	for _, c := range []struct {
		s    string
		n    int
		want string
	}{
		{strings.Repeat("\xa9", 100), 10, strings.Repeat("\xa9", 10)},
		{"ab" + strings.Repeat("\x80", 50), 10, "ab" + strings.Repeat("\x80", 8)},
		{"abcdefgh\xe2\x82", 9, "abcdefgh\xe2"},               // a truncated sequence: bytes of their own
		{"abcdefgh\xe2\x82\xac", 9, "abcdefgh"},               // € crosses the cut
		{"abcdefgh\xe2\x82\xac", 10, "abcdefgh"},              // inside € still
		{"abcdefgh\xe2\x82\xacz", 11, "abcdefgh\xe2\x82\xac"}, // after it
		{"\xf0\x9f\x98\x80\x80\x80", 5, "\xf0\x9f\x98\x80\x80"},
		{"\xf0\x9f\x98\x80", 3, ""},
		{"abc", -1, ""},
	} {
		if got := Prefix(c.s, c.n); got != c.want {
			t.Errorf("Prefix(%q, %d) = %q, want %q", c.s, c.n, got, c.want)
		}
	}
	// On any string and length, the prefix is at most n bytes and, cut
	// from valid text, valid.
	for _, s := range []string{"h€llo wörld 😀 ok", "\x80a€\xff\xe2\x82b😀\x9f"} {
		for n := 0; n <= len(s)+1; n++ {
			got := Prefix(s, n)
			if len(got) > max(n, 0) || !strings.HasPrefix(s, got) || utf8.ValidString(s) && !utf8.ValidString(got) {
				t.Errorf("Prefix(%q, %d) = %q", s, n, got)
			}
			// The longest: one more character of s would pass n.
			if rest := s[len(got):]; rest != "" {
				if _, size := utf8.DecodeRuneInString(rest); len(got)+size <= n {
					t.Errorf("Prefix(%q, %d) = %q, not the longest", s, n, got)
				}
			}
		}
	}
}
