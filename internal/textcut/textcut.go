// Package textcut shortens text for messages without cutting a
// character: a cut inside a UTF-8 sequence would put an invalid byte in
// a terminal, a log line or JSON (where it reads as U+FFFD).
package textcut

import "unicode/utf8"

// Prefix is s when it is at most n bytes long, else its longest prefix
// of at most n bytes that ends at a character's boundary. A byte that
// is no part of a valid UTF-8 sequence is a character of its own, as
// utf8.DecodeRuneInString reads it: a run of stray continuation bytes
// (binary data, Latin-1 text) is cut at n, not before its first byte.
func Prefix(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	// The sequence that may hold byte n starts at most utf8.UTFMax-1
	// bytes before it.
	for i := n; i >= 0 && i > n-utf8.UTFMax; i-- {
		if utf8.RuneStart(s[i]) {
			if _, size := utf8.DecodeRuneInString(s[i:]); i+size > n {
				return s[:i] // a character crosses the cut
			}
			break
		}
	}
	return s[:n]
}

// Cut is s when it is at most max bytes long, else its Prefix of max-3
// bytes and "...", at most max bytes in all: below 3, max dots (none
// when max is 0 or less).
func Cut(s string, max int) string {
	if len(s) <= max {
		return s
	}
	if max <= 0 {
		return ""
	}
	if max < 3 {
		return "..."[:max]
	}
	return Prefix(s, max-3) + "..."
}
