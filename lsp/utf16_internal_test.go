package lsp

import (
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	protocol "github.com/tliron/glsp/protocol_3_16"
)

// utf16Len counts a text's UTF-16 code units as an editor does (an
// invalid byte is one, the U+FFFD shown for it), and offsetIn finds the
// start of each character at the column that counts the units before it.
func TestUTF16Units(t *testing.T) {
	for _, text := range []string{"", "abc", "é ü", "😀x😀", "a\xffb\xe2\x82", "€𝄞\xc3"} {
		if got, want := utf16Len([]byte(text)), len(utf16.Encode([]rune(text))); got != want {
			t.Errorf("utf16Len(%q) = %d, want %d", text, got, want)
		}
		units := 0
		for i := 0; i <= len(text); {
			if got := offsetIn([]byte(text), []int32{0}, 0, protocol.Position{Character: uint32(units)}); got != i {
				t.Errorf("%q: column %d is offset %d, want %d", text, units, got, i)
			}
			if i == len(text) {
				break
			}
			r, size := utf8.DecodeRuneInString(text[i:])
			units += len(utf16.Encode([]rune{r}))
			i += size
		}
	}
}
