package jsonx

import "testing"

// TestUnreadable: the first text that encoding/json reads as U+FFFD, a
// byte that is not UTF-8 (not JSON) or the \u escape of half a surrogate
// pair (JSON, its string no Unicode), is found at its offset; a pair, an
// escaped backslash before a "u" and other escapes are read as they are.
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
		got, why, notJSON := Unreadable([]byte(in))
		if got != want || (got < 0) != (why == "") || notJSON != (got >= 0 && in[got] != '\\') {
			t.Errorf("Unreadable(%q) = %d, %q, %v, want %d", in, got, why, notJSON, want)
		}
	}
}

// TestUnreadableText: the message of Unreadable's text names what it is,
// "invalid JSON" for a byte that is not UTF-8, "invalid string" for half
// a surrogate pair, then why, at Unreadable's offset.
func TestUnreadableText(t *testing.T) {
	for _, c := range []struct {
		in   string
		off  int
		want string
	}{
		{`{"a": "ac` + "\xfe" + `me"}`, 9, "invalid JSON: invalid UTF-8 (JSON text is UTF-8, RFC 8259 §8.1)"},
		{`{"a": "ac\udc00me"}`, 9, `invalid string: \udc00 is half of a UTF-16 surrogate pair (two ids that differ there would be read as one)`},
		{`{"a": "ac\ud83d\ude00me"}`, -1, ""},
	} {
		if off, msg := UnreadableText([]byte(c.in)); off != c.off || msg != c.want {
			t.Errorf("UnreadableText(%q) = %d, %q, want %d, %q", c.in, off, msg, c.off, c.want)
		}
	}
}
