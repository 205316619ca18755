package jsonx

import "testing"

// TestUnreadable: the first text that encoding/json reads as U+FFFD, a
// byte that is not UTF-8 or the \u escape of half a surrogate pair, is
// found at its offset; a pair, an escaped backslash before a "u" and
// other escapes are read as they are.
func TestUnreadable(t *testing.T) {
	for in, want := range map[string]int{
		`{"a": "ac` + "\xfe" + `me"}`: 9,
		`{"a": "é` + "\xc3" + `"}`:    9,
		`{"a": "ac\ud800me"}`:         9,
		`{"a": "ac\udbffme"}`:         9,
		`{"a": "ac\udc00me"}`:         9,
		`{"a": "\ud800\u0041"}`:       7,
		`{"a": "x\\\ud800"}`:          10,
		`{"a": "\ud800`:               7,
		`{"a": "ac\ud83d\ude00me"}`:   -1,
		`{"a": "ac\\ud800me"}`:        -1,
		`{"a": "ac\u00e9me\n\"é"}`:    -1,
		``:                            -1,
	} {
		if got, why := Unreadable([]byte(in)); got != want || (got < 0) != (why == "") {
			t.Errorf("Unreadable(%q) = %d, %q, want %d", in, got, why, want)
		}
	}
}
