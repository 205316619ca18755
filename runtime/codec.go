package runtime

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/vm"
)

// AppendJSON appends the JSON encoding of v, a value of type t, to buf,
// in the shape rpl.ToGo gives (records as objects keyed by field name,
// money and durations as their literals, times as RFC 3339, none as
// null), without building intermediate Go values.
func AppendJSON(buf []byte, t lang.Type, v vm.Value) []byte {
	if v.IsNil() {
		return append(buf, "null"...)
	}
	switch t := t.(type) {
	case *lang.Optional:
		return AppendJSON(buf, t.Elem, v)
	case *lang.Enum:
		return AppendString(buf, v.Str())
	case *lang.List:
		buf = append(buf, '[')
		for i, e := range v.List() {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = AppendJSON(buf, t.Elem, e)
		}
		return append(buf, ']')
	case *lang.Map:
		m := v.Map()
		keys, vals := m.Keys(), m.Values()
		buf = append(buf, '{')
		for i, k := range keys {
			if i > 0 {
				buf = append(buf, ',')
			}
			if k.Kind() == vm.KindString {
				buf = AppendString(buf, k.Str())
			} else {
				buf = append(buf, '"')
				buf = strconv.AppendInt(buf, k.Int(), 10)
				buf = append(buf, '"')
			}
			buf = append(buf, ':')
			buf = AppendJSON(buf, t.Elem, vals[i])
		}
		return append(buf, '}')
	case *lang.Record:
		slots := v.Record()
		buf = append(buf, '{')
		for i, f := range t.Fields {
			if i >= len(slots) {
				break
			}
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = AppendString(buf, f.Name)
			buf = append(buf, ':')
			buf = AppendJSON(buf, f.Type, slots[i])
		}
		return append(buf, '}')
	case *lang.Basic:
		switch t.Kind {
		case lang.Bool:
			return strconv.AppendBool(buf, v.Bool())
		case lang.Int:
			return strconv.AppendInt(buf, v.Int(), 10)
		case lang.Float:
			return strconv.AppendFloat(buf, v.Float(), 'g', -1, 64)
		case lang.String:
			return AppendString(buf, v.Str())
		case lang.Money:
			return AppendString(buf, lang.FormatMoney(v.Money()))
		case lang.Duration:
			buf = append(buf, '"')
			buf = lang.AppendDuration(buf, v.Duration())
			return append(buf, '"')
		case lang.Time:
			buf = append(buf, '"')
			buf = v.Time().AppendFormat(buf, time.RFC3339Nano)
			return append(buf, '"')
		}
	}
	return AppendString(buf, v.String())
}

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
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
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
