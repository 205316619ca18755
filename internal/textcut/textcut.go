// Package textcut shortens text for messages without cutting a
// character: a cut inside a UTF-8 sequence would put an invalid byte in
// a terminal, a log line or JSON (where it reads as U+FFFD).
package textcut

import "unicode/utf8"

// Prefix is s when it is at most n bytes long, else its longest prefix
// of at most n bytes that ends at a character's boundary.
func Prefix(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:max(n, 0)]
}

// Cut is s when it is at most max bytes long, else its Prefix of max-3
// bytes and "...", at most max bytes in all.
func Cut(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return Prefix(s, max-3) + "..."
}
