package runtime

import (
	"strconv"

	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/vm"
)

// An encoder appends the JSON of a value of one type, in the shape
// rpl.ToGo gives (records as objects keyed by field name in field order,
// maps in their order, money and durations as their literals, times as
// RFC 3339, none as null), without building Go values and without
// walking the type for each value: it is built once per type
// (compileEncoder), with the records' keys quoted in advance.
// The engine builds the encoders of the Decision type and of its parts
// when it starts. On the decision path, walking lang.Type trees (type
// switches, field slices, names scanned again for escapes) touched memory
// that pacing between requests had let go cold.
type encoder func(buf []byte, v vm.Value) []byte

// compileEncoder returns the encoder of values of type t.
func compileEncoder(t lang.Type) encoder {
	c := encoders{built: map[lang.Type]*encoder{}}
	return c.of(t)
}

// encoders builds encoders, each type once. A type met again while its
// encoder is being built (a recursive one, through a list or an optional)
// gets a call through the slot the encoder will fill.
type encoders struct{ built map[lang.Type]*encoder }

func (c *encoders) of(t lang.Type) encoder {
	if p, ok := c.built[t]; ok {
		if *p != nil {
			return *p
		}
		return func(buf []byte, v vm.Value) []byte { return (*p)(buf, v) }
	}
	p := new(encoder)
	c.built[t] = p
	if o, ok := t.(*lang.Optional); ok {
		*p = c.of(o.Elem) // null already encodes as null
	} else {
		*p = orNull(c.build(t))
	}
	return *p
}

// orNull encodes a missing value (none) as null, whatever the type.
func orNull(enc encoder) encoder {
	return func(buf []byte, v vm.Value) []byte {
		if v.IsNil() {
			return append(buf, "null"...)
		}
		return enc(buf, v)
	}
}

func (c *encoders) build(t lang.Type) encoder {
	switch t := t.(type) {
	case *lang.Enum:
		return appendStr
	case *lang.List:
		elem := c.of(t.Elem)
		return func(buf []byte, v vm.Value) []byte {
			buf = append(buf, '[')
			for i, e := range v.List() {
				if i > 0 {
					buf = append(buf, ',')
				}
				buf = elem(buf, e)
			}
			return append(buf, ']')
		}
	case *lang.Map:
		elem := c.of(t.Elem)
		return func(buf []byte, v vm.Value) []byte {
			m := v.Map()
			vals := m.Values()
			buf = append(buf, '{')
			for i, k := range m.Keys() {
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
				buf = elem(buf, vals[i])
			}
			return append(buf, '}')
		}
	case *lang.Record:
		keys := make([]string, len(t.Fields)) // `"name":`, after a comma but for the first
		fields := make([]encoder, len(t.Fields))
		for i, f := range t.Fields {
			var k []byte
			if i > 0 {
				k = append(k, ',')
			}
			keys[i] = string(append(AppendString(k, f.Name), ':'))
			fields[i] = c.of(f.Type)
		}
		return func(buf []byte, v vm.Value) []byte {
			slots := v.Record()
			buf = append(buf, '{')
			for i := range min(len(slots), len(keys)) {
				buf = append(buf, keys[i]...)
				buf = fields[i](buf, slots[i])
			}
			return append(buf, '}')
		}
	case *lang.Basic:
		switch t.Kind {
		case lang.Bool:
			return func(buf []byte, v vm.Value) []byte { return strconv.AppendBool(buf, v.Bool()) }
		case lang.Int:
			return func(buf []byte, v vm.Value) []byte { return strconv.AppendInt(buf, v.Int(), 10) }
		case lang.Float:
			return func(buf []byte, v vm.Value) []byte { return strconv.AppendFloat(buf, v.Float(), 'g', -1, 64) }
		case lang.String:
			return appendStr
		case lang.Money:
			return func(buf []byte, v vm.Value) []byte {
				buf = append(buf, '"') // a money literal needs no escape
				buf = lang.AppendMoney(buf, v.Money())
				return append(buf, '"')
			}
		case lang.Duration:
			return func(buf []byte, v vm.Value) []byte {
				buf = append(buf, '"')
				buf = lang.AppendDuration(buf, v.Duration())
				return append(buf, '"')
			}
		case lang.Time:
			return func(buf []byte, v vm.Value) []byte {
				buf = append(buf, '"')
				buf = AppendTime(buf, v.Time())
				return append(buf, '"')
			}
		}
	}
	return func(buf []byte, v vm.Value) []byte { return AppendString(buf, v.Literal()) }
}

func appendStr(buf []byte, v vm.Value) []byte { return AppendString(buf, v.Str()) }
