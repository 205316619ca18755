package lsp

import (
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/lang"
)

// Completion (inCommentOrString), rename (unparsedUse) and signature help
// (openCall) agree on what is a comment or a string literal: the word zz
// of each source is prose, or code, for all three. Completion is asked
// just after z and at the end of zz; rename is asked for uses of zz in
// a file whose parse has no identifier; signature help is asked at the
// end of zz, in a call g( opened on the line above, which the brackets
// and commas of prose must not disturb.
func TestProseAgrees(t *testing.T) {
	for _, tc := range []struct {
		name  string
		src   string
		prose bool
	}{
		{"code", `let a = zz`, false},
		{"string", `let a = "zz"`, true},
		{"escaped quote", `let a = "a\"zz"`, true},
		{"escaped backslash", `let a = "a\\" + zz`, false},
		{"escaped quote then close", `let a = "a\"" + zz`, false},
		{"hash in string", `let a = "#(" + zz`, false},
		{"quote in comment", `x # say "zz`, true},
		{"brackets in comment", `x # ), ( zz`, true},
		{"comment at EOF", `x # zz`, true},
		{"comment, newline", "x # a \"\nzz", false},
		{"comment, CRLF", "x # a (\r\nzz", false},
		{"lone CR is no line end", "x # a\rzz", true},
		{"unterminated string", `let a = "ab zz`, true},
		{"unterminated string, newline", "let a = \"ab\nzz", false},
		{"unterminated string, CRLF", "let a = \"ab)\r\nzz", false},
		{"backslash ends the line", "let a = \"ab\\\nzz", false},
		{"escaped backslash ends the line", "let a = \"ab\\\\\\\nzz", false},
		{"backslash ends the line, quote after", "let a = \"ab\\\nx\") + zz", true},
		{"strings around", `"a"zz"b"`, false},
		{"escapes", `let a = "\u00e9\x41\101\t" + zz`, false},
		{"non-ASCII", `let a = "é\"ü, zz"`, true},
		{"after a string", `let a = "a)," + zz`, false},
		{"byte order mark", "\uFEFF# c\nzz", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at := strings.Index(tc.src, "zz")
			src := []byte(tc.src)
			for _, p := range []int{at + 1, at + 2} {
				if got := inCommentOrString(src, p); got != tc.prose {
					t.Errorf("completion: inCommentOrString at %d = %v, want %v", p, got, tc.prose)
				}
			}
			fn := &lang.FileNode{File: lang.NewFile("t.rpl", src)}
			if got := unparsedUse(fn, "zz"); got.IsValid() == tc.prose {
				t.Errorf("rename: unparsedUse = %d, want a use: %v", got, !tc.prose)
			}
			call := "g(\n" + strings.TrimPrefix(tc.src, "\uFEFF")
			p := strings.Index(call, "zz") + 2
			if open, commas, _, direct, ok := openCall([]byte(call), p); !ok || open != 1 || !direct || commas != 0 {
				t.Errorf("signature help: openCall = %d, %d commas, direct %v, ok %v; want g( at 1, 0 commas, direct", open, commas, direct, ok)
			}
		})
	}
}

// The cursor just after a closing quote is out of the string; in an open
// string or a comment, it is in up to the end of the line, the end of the
// file included; before the quote or the '#', it is out.
func TestInCommentOrStringCursor(t *testing.T) {
	for _, tc := range []struct {
		src  string // @ is the cursor
		want bool
	}{
		{`a = "x"@`, false},
		{`a = @"x"`, false},
		{`a = "@x"`, true},
		{`a = "x@`, true},
		{"a = \"x@\n", true},
		{"a = \"x@\r\n", true},
		{`a @# x`, false},
		{`a #@ x`, true},
		{`a # x@`, true},
		{"a # x@\n", true},
		{"a # x\n@", false},
		{`a = "x\"@`, true},
		{`a = "x\\"@`, false},
	} {
		p := strings.IndexByte(tc.src, '@')
		src := []byte(tc.src[:p] + tc.src[p+1:])
		if got := inCommentOrString(src, p); got != tc.want {
			t.Errorf("%q: inCommentOrString = %v, want %v", tc.src, got, tc.want)
		}
	}
}

// Completion offers a call's named arguments, and signature help shows
// the one being written, by the code before the cursor: comments between
// it and the cursor do not count, whatever they hold.
func TestCommentsBeforeTheCursor(t *testing.T) {
	for _, tc := range []struct {
		src       string // @ is the cursor
		itemStart bool
		named     string
	}{
		{"g(a, @", true, ""},
		{"g(a, # note\n  @", true, ""},
		{"g( # a (\n  # b ,\n  @", true, ""},
		{"g(a # c,\n  @", false, ""},
		{"g(\"a,\" @", false, ""},
		{"g(a, on: @", false, "on"},
		{"g(a, test: @", false, "test"},
		{"g(a, # note: x\n  on: [@", false, "on"},
		{"g(a, on # the triggers\n  : [timeout, @", true, "on"},
		{"g(a, x.on: @", false, ""},
		{"g(a, \"on\": @", false, ""},
	} {
		p := strings.IndexByte(tc.src, '@')
		src := []byte(tc.src[:p] + tc.src[p+1:])
		if got := atItemStart(src, p); got != tc.itemStart {
			t.Errorf("%q: atItemStart = %v, want %v", tc.src, got, tc.itemStart)
		}
		if _, _, named, _, ok := openCall(src, p); !ok || named != tc.named {
			t.Errorf("%q: openCall names %q (ok %v), want %q", tc.src, named, ok, tc.named)
		}
	}
}
