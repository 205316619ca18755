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
// value written as String writes it (nothing inside needs a name), else a
// list whose first element says what it describes:
//
//	["record", [name, …], [shape, …]]   a record: its fields' names and shapes, by slot
//	["list", shape]                      a list and its elements' shape
//	["map", shape, shape]                a map, its keys' and its values' shapes
//	["enum", [member, …]]                an enum: its members are written bare
//
// An optional has the shape of what it wraps (none is written none).
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

// EnumShape is the shape of an enum with the members given.
func EnumShape(members []string) Value {
	ms := make([]Value, len(members))
	for i, m := range members {
		ms[i] = Str(m)
	}
	return NewList([]Value{Str(shapeEnum), NewList(ms)})
}

// shapeOf splits shape into what it describes and its parts; "" for none
// or a value that is no shape.
func shapeOf(shape Value) (kind string, parts []Value) {
	if shape.k != KindList {
		return "", nil
	}
	s := shape.List()
	if len(s) == 0 || s[0].k != KindString {
		return "", nil
	}
	kind, parts = s[0].Str(), s[1:]
	switch {
	case kind == shapeRecord && len(parts) == 2 && allStrings(parts[0]) && parts[1].k == KindList && len(parts[0].List()) == len(parts[1].List()),
		kind == shapeList && len(parts) == 1,
		kind == shapeMap && len(parts) == 2,
		kind == shapeEnum && len(parts) == 1 && allStrings(parts[0]):
		return kind, parts
	}
	return "", nil // not a shape (a program may hold any constant)
}

// allStrings reports whether v is a list of strings.
func allStrings(v Value) bool {
	if v.k != KindList {
		return false
	}
	for _, x := range v.List() {
		if x.k != KindString {
			return false
		}
	}
	return true
}

// ShapeParts is what shape says of a value of kind k: for a record, its
// fields' names (strings) and shapes, by slot; for a list, [its elements'
// shape]; for a map, [its keys' shape, its values' shape]; for a string,
// the enum members (names) it is written bare as. Both are nil where shape
// is none, or does not describe a value of kind k: FormatShaped then
// writes the value as String does. Also for a writer's own bound of
// FormatShaped's text (stdlib's string).
func ShapeParts(shape Value, k Kind) (names, parts []Value) {
	kind, ps := shapeOf(shape)
	switch {
	case kind == shapeRecord && k == KindRecord:
		return ps[0].List(), ps[1].List()
	case kind == shapeList && k == KindList, kind == shapeMap && k == KindMap:
		return nil, ps
	case kind == shapeEnum && k == KindString:
		return ps[0].List(), nil
	}
	return nil, nil
}

// FormatShaped writes v to b as String does, but as a literal of the type
// shape describes: records with their field names ({name: "a", weight:
// 2}), enum members bare (timeout). Where v does not fit shape (or shape
// is none), v is written as String writes it. The text is cut once b is
// limit bytes long, as String's is.
func (v Value) FormatShaped(b *strings.Builder, shape Value, limit int) {
	v.format(b, shape, 0, limit)
}

// StringShaped is v written by FormatShaped, whole.
func (v Value) StringShaped(shape Value) string {
	var b strings.Builder
	v.format(&b, shape, 0, math.MaxInt)
	return b.String()
}
