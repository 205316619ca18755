package jsonx

import (
	"bytes"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Unreadable is the offset in data, JSON text, of the first text that
// encoding/json reads as U+FFFD, and what it is, or -1: a byte that is
// not UTF-8 (notJSON: JSON text is UTF-8), else the \u escape of half a
// UTF-16 surrogate pair (the text may be JSON, RFC 8259 §8.2 allows the
// escape, but the string holding it is no Unicode). Read so, two ids
// that differ there would be one ("ac\xfeme" and "ac\xffme";
// "ac\ud800me" and "ac\udbffme"): a decide request, feedback,
// tenants.json and catalogue.json holding such text are refused, at it.
// A text without either costs a few ns a KB to scan.
func Unreadable(data []byte) (off int, why string, notJSON bool) {
	if i := invalidUTF8(data); i >= 0 {
		return i, "invalid UTF-8 (JSON text is UTF-8, RFC 8259 §8.1)", true
	}
	if i := loneSurrogate(data); i >= 0 {
		return i, fmt.Sprintf("%s is half of a UTF-16 surrogate pair (two ids that differ there would be read as one)", data[i:i+6]), false
	}
	return -1, "", false
}

// UnreadableText is Unreadable's offset with its message as an error at
// that offset words it, one wording for every document a tool reads:
// "invalid JSON: why" for a byte that is not UTF-8, "invalid string:
// why" for half a surrogate pair; -1 and "" when data holds neither.
func UnreadableText(data []byte) (off int, msg string) {
	off, why, notJSON := Unreadable(data)
	switch {
	case off < 0:
		return -1, ""
	case notJSON:
		return off, "invalid JSON: " + why
	}
	return off, "invalid string: " + why
}

// invalidUTF8 is the offset of the first byte of b that is not valid
// UTF-8, -1 if none.
func invalidUTF8(b []byte) int {
	if utf8.Valid(b) {
		return -1
	}
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}

// loneSurrogate is the offset in b of the first \u escape of a UTF-16
// surrogate that is not one of a pair (high then low), -1 if none. Each
// backslash starts an escape, as in a JSON string (outside one, JSON
// text has none).
func loneSurrogate(b []byte) int {
	hexAt := func(i int) (rune, bool) {
		if i+6 > len(b) || b[i] != '\\' || b[i+1] != 'u' {
			return 0, false
		}
		n, err := strconv.ParseUint(string(b[i+2:i+6]), 16, 16)
		return rune(n), err == nil
	}
	for i := 0; i < len(b); {
		j := bytes.IndexByte(b[i:], '\\')
		if j < 0 {
			break
		}
		i += j
		r, ok := hexAt(i)
		switch {
		case !ok:
			i += 2 // another escape (\\ included)
		case r >= 0xD800 && r < 0xDC00:
			if lo, ok := hexAt(i + 6); !ok || lo < 0xDC00 || lo >= 0xE000 {
				return i
			}
			i += 12
		case r >= 0xDC00 && r < 0xE000:
			return i
		default:
			i += 6
		}
	}
	return -1
}
