package runtime

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/rpl-lang/rpl/lang"
)

const hexDigits = "0123456789abcdef"

// plainWords returns the length of the longest prefix of s, in whole
// words of 8 bytes, whose bytes a JSON string holds as they are: ASCII,
// no control character, no quote, no backslash. It reads a word at a time
// (a byte is flagged by the high bit of its lane: below 0x20, equal to
// '"' or '\', or ≥ 0x80; a borrow can flag a lane only above a lane that
// is flagged itself, so a word without flags has no such byte).
func plainWords[S string | []byte](s S) int {
	const lsb, msb = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := s[i : i+8] // one bounds check for the word, not one per byte
		x := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
			uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
		q, b := x^(lsb*'"'), x^(lsb*'\\')
		if ((x-lsb*0x20)&^x|(q-lsb)&^q|(b-lsb)&^b|x)&msb != 0 {
			break
		}
	}
	return i
}

// AppendString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func AppendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := plainWords(s); i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, "\ufffd"...)
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

// AppendTime appends t in UTC as time.RFC3339Nano formats it (the
// fraction of a second without its trailing zeros, and none when it is
// zero). It writes the digits itself: Time.AppendFormat interprets its
// layout on every call, which took a third of a decision event's
// encoding (BenchmarkDecisionEventJSON). Years outside 0–9999 go through
// AppendFormat.
func AppendTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, time.RFC3339Nano)
	}
	hour, minute, sec := t.Clock()
	b = append(b, byte('0'+year/1000), byte('0'+year/100%10))
	b = append2(b, year%100, '-')
	b = append2(b, int(month), '-')
	b = append2(b, day, 'T')
	b = append2(b, hour, ':')
	b = append2(b, minute, ':')
	b = append(b, byte('0'+sec/10), byte('0'+sec%10))
	b = lang.AppendDecimals(b, uint64(t.Nanosecond()), 0)
	return append(b, 'Z')
}

// appendNanos appends n billionths (a money amount in nanodollars) as
// strconv.AppendFloat(b, float64(n)/1e9, 'f', -1, 64) does, from the
// integer: for |n| < 10^15 the decimal n/1e9 has at most 15 significant
// digits, so that it is the shortest decimal that reads back as that
// float. Larger amounts go through AppendFloat.
func appendNanos(b []byte, n int64) []byte {
	if n <= -1e15 || n >= 1e15 {
		return strconv.AppendFloat(b, float64(n)/1e9, 'f', -1, 64)
	}
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	b = strconv.AppendInt(b, n/1e9, 10)
	return lang.AppendDecimals(b, uint64(n%1e9), 0)
}

// append2 appends n (0–99) in two digits, then sep.
func append2(b []byte, n int, sep byte) []byte {
	return append(b, byte('0'+n/10), byte('0'+n%10), sep)
}
