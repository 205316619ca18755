package runtime

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rpl-lang/rpl/internal/jsonx"
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

// A shape is what a value of one type must be at run time: its kind, and
// its parts'. A policy's code is typed by the checker, but a bundle's
// bytecode is only verified (its instructions, not its types): an
// unsigned bundle may return anything from route. The engine checks the
// decision route returns against the Decision type's shape
// (compileShape), which allocates nothing for a value that fits it.
type shape struct {
	kind     vm.Kind
	optional bool   // none fits too
	name     string // the type, for messages: "string", "Fallback"
	members  []string
	elem     *shape // a list's element, a map's value
	key      *shape // a map's key
	fields   []*shape
	names    []string // the fields' names
	// leaf: a value of the kind fits, whatever it holds (no members,
	// elements or fields to check).
	leaf bool
	// any: a type whose values are not checked (one the shapes do not
	// know), every value fitting it.
	any bool
}

// compileShape returns the shape of values of type t.
func compileShape(t lang.Type) *shape {
	return shapes{}.of(t)
}

type shapes map[lang.Type]*shape

func (c shapes) of(t lang.Type) *shape {
	if s, ok := c[t]; ok {
		return s
	}
	s := &shape{name: t.String()}
	c[t] = s // a recursive type's parts point back at it
	switch t := t.(type) {
	case *lang.Optional:
		*s = *c.of(t.Elem)
		s.optional = true
	case *lang.Enum:
		s.kind, s.members = vm.KindString, t.Members
	case *lang.List:
		s.kind, s.elem = vm.KindList, c.of(t.Elem)
	case *lang.Map:
		s.kind, s.key, s.elem = vm.KindMap, c.of(t.Key), c.of(t.Elem)
	case *lang.Record:
		s.kind = vm.KindRecord
		for _, f := range t.Fields {
			s.fields = append(s.fields, c.of(f.Type))
			s.names = append(s.names, f.Name)
		}
	case *lang.Basic:
		if int(t.Kind) < len(basicKinds) {
			s.kind = basicKinds[t.Kind]
		} else {
			s.any = true
		}
	default:
		s.any = true
	}
	s.leaf = s.members == nil && s.kind != vm.KindList && s.kind != vm.KindMap && s.kind != vm.KindRecord
	return s
}

var basicKinds = [...]vm.Kind{lang.Bool: vm.KindBool, lang.Int: vm.KindInt, lang.Float: vm.KindFloat,
	lang.String: vm.KindString, lang.Money: vm.KindMoney, lang.Duration: vm.KindDuration, lang.Time: vm.KindTime}

// problem is why v does not fit the shape s, "" when it does: where (a
// path to append to the value's name: ".retries", "[2]", "" for v
// itself) and what is wrong, as in `[2].retries is a string, not an
// int`. depth bounds the walk as the VM bounds values' nesting.
func (s *shape) problem(v vm.Value, depth int) string {
	if s.any || v.IsNil() && s.optional {
		return ""
	}
	if v.Kind() != s.kind {
		return " is " + kindPhrase(v) + ", not " + article(s.name)
	}
	if depth > vm.MaxFormatDepth {
		return ""
	}
	switch s.kind {
	case vm.KindString:
		if s.members != nil && !slices.Contains(s.members, v.Str()) {
			return fmt.Sprintf(" is %s, not one of %s", jsonx.QuoteEcho(v.Str()), s.name)
		}
	case vm.KindList:
		for i, e := range v.List() {
			if s.elem.fits(e) {
				continue
			}
			if why := s.elem.problem(e, depth+1); why != "" {
				return "[" + strconv.Itoa(i) + "]" + why
			}
		}
	case vm.KindMap:
		m := v.Map()
		vals := m.Values()
		for i, k := range m.Keys() {
			if s.key.fits(k) && s.elem.fits(vals[i]) {
				continue
			}
			if why := s.key.problem(k, depth+1); why != "" {
				return " has a key that" + why[len(" "):]
			}
			if why := s.elem.problem(vals[i], depth+1); why != "" {
				return "[" + keyPhrase(k) + "]" + why
			}
		}
	case vm.KindRecord:
		r := v.Record()
		if len(r) != len(s.fields) {
			return fmt.Sprintf(" is a record of %d fields, not %s (%d fields)", len(r), article(s.name), len(s.fields))
		}
		for i, f := range s.fields {
			if f.fits(r[i]) {
				continue
			}
			if why := f.problem(r[i], depth+1); why != "" {
				return "." + s.names[i] + why
			}
		}
	}
	return ""
}

// fits reports whether v fits s plainly: of its kind, with nothing in it
// to check (a leaf's kind, an empty list or map). The common case,
// checked without a call.
func (s *shape) fits(v vm.Value) bool {
	return s.any || v.Kind() == s.kind && (s.leaf || (s.kind == vm.KindList || s.kind == vm.KindMap) && v.Len() == 0)
}

// kindPhrase names v's kind with its article: "an int", "none".
func kindPhrase(v vm.Value) string {
	if v.IsNil() {
		return "none"
	}
	return article(v.Kind().String())
}

func article(name string) string {
	if name != "" && strings.ContainsRune("aeiouAEIOU", rune(name[0])) {
		return "an " + name
	}
	return "a " + name
}

func keyPhrase(k vm.Value) string {
	if k.Kind() == vm.KindString {
		return jsonx.QuoteEcho(k.Str())
	}
	return strconv.FormatInt(k.Int(), 10)
}
