package lsp

import (
	"bytes"

	"github.com/rpl-lang/rpl/lang"
)

// Comments and string literals are prose: completion offers nothing in
// them, signature help does not count their brackets and commas, and a
// rename does not take their words for uses. All three tell prose from
// code with lang.Tokens, the parser's own tokens, so that they agree with each
// other and with the language on escapes, on a '#' in a string or a quote
// in a comment, and on a string that its line ends before its closing
// quote.

// isProse reports whether t is a comment or a string literal.
func isProse(t lang.Token) bool {
	return t.Kind == lang.TokenComment || t.Kind == lang.TokenString || t.Kind == lang.TokenOpenString
}

// proseContains reports whether the cursor offset p is inside the prose
// token t: after its first byte, and before its end, or at its end when
// nothing closes it (a comment, an open string: text typed there is still
// theirs). Just after a string's closing quote is outside.
func proseContains(t lang.Token, p int) bool {
	if !isProse(t) || p <= int(t.Span.Start) {
		return false
	}
	if t.Kind == lang.TokenString {
		return p < int(t.Span.End)
	}
	return p <= int(t.Span.End)
}

// inCommentOrString reports whether the offset p is inside a comment or
// a string literal (other than an import's path, which importPathAt sees
// first). Neither spans lines, so the line of p is enough.
func inCommentOrString(src []byte, p int) bool {
	ls := bytes.LastIndexByte(src[:p], '\n') + 1
	le := len(src)
	if i := bytes.IndexByte(src[p:], '\n'); i >= 0 {
		le = p + i
	}
	for t := range lang.Tokens(src[ls:le]) {
		if int(t.Span.Start) >= p-ls {
			break
		}
		if proseContains(t, p-ls) {
			return true
		}
	}
	return false
}

// prevCode returns the offset of the last byte of the last token before p
// that is not a comment, or -1. Tokens do not span lines: it lexes the
// lines before p, from the last one back.
func prevCode(src []byte, p int) int {
	for end := p; ; {
		ls := bytes.LastIndexByte(src[:end], '\n') + 1
		last := -1
		for t := range lang.Tokens(src[ls:end]) {
			if t.Kind != lang.TokenComment {
				last = ls + int(t.Span.End) - 1
			}
		}
		if last >= 0 || ls == 0 {
			return last
		}
		end = ls - 1
	}
}
