package textcut

import (
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
	} {
		got := Cut(c.s, c.max)
		if got != c.want || len(got) > max(c.max, len(c.want)) || !utf8.ValidString(got) {
			t.Errorf("Cut(%q, %d) = %q, want %q", c.s, c.max, got, c.want)
		}
	}
	if got := Prefix("€uro", 2); got != "" {
		t.Errorf("Prefix inside the first character: %q", got)
	}
}
