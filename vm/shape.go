package vm

import (
	"math"
	"strings"
)

// A shape describes a value's static type for writing the value as a
// literal of that type (FormatShaped): the field names of its records and
// which of its strings are enum members, which a value does not carry at
// run time. A shape is itself a Value, so that a program can hold one as
// a constant (stdlib's string takes one as a hidden argument): none for a
// value written as String writes it, else a list whose first element says
// what it describes:
//
//	["record", [name, …], [shape, …]]   a record: its fields' names and shapes, by slot
//	["list", shape]                      a list and its elements' shape
//	["map", shape, shape]                a map, its keys' and its values' shapes
//	["enum"]                             an enum: its members are written bare
//
// An optional has the shape of what it wraps (none is written none). A
// shape is data of the program, not trusted: where it is malformed or
// does not fit the value, the value is written as String writes it, and
// what checking it costs is proportional to the value written.
const (
	shapeRecord = "record"
	shapeList   = "list"
	shapeMap    = "map"
	shapeEnum   = "enum"
)

// RecordShape is the shape of a record whose fields, by slot, have the
// names and shapes given.
func RecordShape(names []string, fields []Value) Value {
	ns := make([]Value, len(names))
	for i, n := range names {
		ns[i] = Str(n)
	}
	return NewList([]Value{Str(shapeRecord), NewList(ns), NewList(fields)})
}

// ListShape is the shape of a list whose elements have shape elem; none
// when elem is none.
func ListShape(elem Value) Value {
	if elem.IsNil() {
		return Nil()
	}
	return NewList([]Value{Str(shapeList), elem})
}

// MapShape is the shape of a map whose keys and values have the shapes
// given; none when both are none.
func MapShape(key, elem Value) Value {
	if key.IsNil() && elem.IsNil() {
		return Nil()
	}
	return NewList([]Value{Str(shapeMap), key, elem})
}

// EnumShape is the shape of an enum.
func EnumShape() Value { return NewList([]Value{Str(shapeEnum)}) }

// ShapeParts is what a shape says of the parts of a value (PartsOf).
type ShapeParts struct {
	// Names are a record's field names (strings), by slot; nil when the
	// record is written by position.
	Names []Value
	// Bare says a string is an enum member, written bare when a name.
	Bare  bool
	parts []Value // a record's fields' shapes, a list's [elem], a map's [key, elem]
}

// Part is the shape of part i: a record's field i, a list's elements
// (0), a map's keys (0) and values (1); none when the shape says nothing
// of it.
func (s ShapeParts) Part(i int) Value {
	if i < len(s.parts) {
		return s.parts[i]
	}
	return Nil()
}

// PartsOf is what shape says of v's parts: nothing where shape is none,
// or does not describe v (FormatShaped then writes v as String does).
// The work is O(1), or O(slots) for a record. For a writer's own bound of
// FormatShaped's text too (stdlib's string).
func PartsOf(shape, v Value) ShapeParts {
	if shape.k != KindList {
		return ShapeParts{}
	}
	s := shape.List()
	if len(s) == 0 || s[0].k != KindString {
		return ShapeParts{}
	}
	switch tag, ps := s[0].str(), s[1:]; {
	case tag == shapeRecord && v.k == KindRecord && len(ps) == 2 && ps[0].k == KindList && ps[1].k == KindList:
		names, fields, n := ps[0].List(), ps[1].List(), len(v.Record())
		if len(names) != n || len(fields) != n {
			return ShapeParts{}
		}
		for _, name := range names {
			if name.k != KindString {
				return ShapeParts{}
			}
		}
		return ShapeParts{Names: names, parts: fields}
	case tag == shapeList && v.k == KindList && len(ps) == 1, tag == shapeMap && v.k == KindMap && len(ps) == 2:
		return ShapeParts{parts: ps}
	case tag == shapeEnum && v.k == KindString && len(ps) == 0:
		return ShapeParts{Bare: true}
	}
	return ShapeParts{}
}

// isName reports whether s is an identifier, as enum members are.
func isName(s string) bool {
	for i, r := range s {
		if !(r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || i > 0 && '0' <= r && r <= '9') {
			return false
		}
	}
	return s != ""
}

// FormatShaped writes v to b as String does, but as a literal of the type
// shape describes: records with their field names ({name: "a", weight:
// 2}), enum members bare (timeout). Where v does not fit shape (or shape
// is none), v is written as String writes it. The text is cut once b is
// limit bytes long, as String's is.
func (v Value) FormatShaped(b *strings.Builder, shape Value, limit int) {
	v.format(b, shape, 0, limit, nil)
}

// StringShaped is v written by FormatShaped, whole.
func (v Value) StringShaped(shape Value) string {
	var b strings.Builder
	v.format(&b, shape, 0, math.MaxInt, nil)
	return b.String()
}

// StringShaped is v.StringShaped(shape) written in the run of c, which
// checks its deadline and context at each value written and each
// comparison of the keys of a map ordered (Pace): work charged before
// (string's), which stops with the run's deadline_exceeded or canceled.
func (c *Call) StringShaped(v, shape Value) (string, error) {
	var b strings.Builder
	work := writeFuel{max: math.MaxInt64, call: c}
	v.format(&b, shape, 0, math.MaxInt, &work)
	return b.String(), work.err
}
