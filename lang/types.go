package lang

import (
	"sort"
	"strings"
)

// Type is an RPL type. Types are compared structurally with Identical;
// a record's Name is for display only.
type Type interface {
	String() string
	isType()
}

// BasicKind enumerates the basic types.
type BasicKind uint8

const (
	Invalid  BasicKind = iota // the type of an erroneous expression; never reported twice
	Void                      // statements: if without else, expect
	Never                     // a block that always returns; fits any expected type
	NoneType                  // the type of the literal none; assignable to any T?
	Bool
	Int
	Float
	String
	Duration
	Money
	Time
)

// Basic is a predeclared type.
type Basic struct {
	Kind BasicKind
	name string
}

func (b *Basic) String() string { return b.name }
func (*Basic) isType()          {}

// Typ holds the basic types, indexed by kind.
var Typ = [...]*Basic{
	Invalid:  {Invalid, "invalid type"},
	Void:     {Void, "void"},
	Never:    {Never, "never"},
	NoneType: {NoneType, "none"},
	Bool:     {Bool, "bool"},
	Int:      {Int, "int"},
	Float:    {Float, "float"},
	String:   {String, "string"},
	Duration: {Duration, "duration"},
	Money:    {Money, "money"},
	Time:     {Time, "time"},
}

// List is list[Elem].
type List struct{ Elem Type }

func (t *List) String() string { return "list[" + t.Elem.String() + "]" }
func (*List) isType()          {}

// Map is map[Key, Elem]. Keys are strings, ints or enums.
type Map struct{ Key, Elem Type }

func (t *Map) String() string { return "map[" + t.Key.String() + ", " + t.Elem.String() + "]" }
func (*Map) isType()          {}

// Field is a record field.
type Field struct {
	Name string
	Type Type
}

// Record is a record type. Fields are sorted by name; a field's index in
// Fields is its slot at run time.
type Record struct {
	Name   string // the declared name, for messages; "" for literal types
	Fields []*Field
}

// NewRecord builds a record type, sorting the fields by name.
func NewRecord(name string, fields []*Field) *Record {
	fs := append([]*Field(nil), fields...)
	sort.Slice(fs, func(i, j int) bool { return fs[i].Name < fs[j].Name })
	return &Record{Name: name, Fields: fs}
}

// FieldIndex returns the slot of the named field, or -1.
func (t *Record) FieldIndex(name string) int {
	i := sort.Search(len(t.Fields), func(i int) bool { return t.Fields[i].Name >= name })
	if i < len(t.Fields) && t.Fields[i].Name == name {
		return i
	}
	return -1
}

func (t *Record) String() string {
	if t.Name != "" {
		return t.Name
	}
	return t.Literal()
}

// Literal spells the record type out field by field.
func (t *Record) Literal() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range t.Fields {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(f.Name)
		b.WriteString(": ")
		b.WriteString(f.Type.String())
	}
	b.WriteByte('}')
	return b.String()
}
func (*Record) isType() {}

// Optional is T?: a T or none.
type Optional struct{ Elem Type }

func (t *Optional) String() string { return t.Elem.String() + "?" }
func (*Optional) isType()          {}

// FuncParam is a parameter of a function type.
type FuncParam struct {
	Name     string
	Type     Type
	Optional bool // may be omitted; then the callee sees its zero value
}

// Func is a function type: user functions and builtins have one; lambdas
// are checked against one. Functions are not first-class values.
type Func struct {
	Params []*FuncParam
	Result Type
}

func (t *Func) String() string {
	var b strings.Builder
	b.WriteString("fn(")
	for i, p := range t.Params {
		if i > 0 {
			b.WriteString(", ")
		}
		if p.Name != "" {
			b.WriteString(p.Name)
			if p.Optional {
				b.WriteByte('?')
			}
			b.WriteString(": ")
		}
		b.WriteString(p.Type.String())
	}
	b.WriteString(") -> ")
	b.WriteString(t.Result.String())
	return b.String()
}
func (*Func) isType() {}

// Enum is a closed set of named constants (such as Trigger: timeout,
// http_5xx, …). Enum values are strings at run time.
type Enum struct {
	Name    string
	Members []string
}

func (t *Enum) String() string { return t.Name }
func (*Enum) isType()          {}

// TypeVar is a type parameter of a builtin signature (T, K, V, U).
type TypeVar struct{ Name string }

func (t *TypeVar) String() string { return t.Name }
func (*TypeVar) isType()          {}

// Identical reports whether a and b are the same type.
func Identical(a, b Type) bool {
	if a == b {
		return true
	}
	switch a := a.(type) {
	case *Basic:
		b, ok := b.(*Basic)
		return ok && a.Kind == b.Kind
	case *List:
		b, ok := b.(*List)
		return ok && Identical(a.Elem, b.Elem)
	case *Map:
		b, ok := b.(*Map)
		return ok && Identical(a.Key, b.Key) && Identical(a.Elem, b.Elem)
	case *Optional:
		b, ok := b.(*Optional)
		return ok && Identical(a.Elem, b.Elem)
	case *Record:
		b, ok := b.(*Record)
		if !ok || len(a.Fields) != len(b.Fields) {
			return false
		}
		for i, f := range a.Fields {
			if f.Name != b.Fields[i].Name || !Identical(f.Type, b.Fields[i].Type) {
				return false
			}
		}
		return true
	case *Enum:
		b, ok := b.(*Enum)
		return ok && a.Name == b.Name
	case *Func:
		b, ok := b.(*Func)
		if !ok || len(a.Params) != len(b.Params) || !Identical(a.Result, b.Result) {
			return false
		}
		for i, p := range a.Params {
			if !Identical(p.Type, b.Params[i].Type) {
				return false
			}
		}
		return true
	case *TypeVar:
		b, ok := b.(*TypeVar)
		return ok && a.Name == b.Name
	}
	return false
}

// AssignableTo reports whether a value of type v may be used where t is
// expected: identical types, T to T?, none to any T?, never to anything,
// and invalid types (already reported) to anything.
func AssignableTo(v, t Type) bool {
	if isBasic(v, Invalid) || isBasic(t, Invalid) || isBasic(v, Never) {
		return true
	}
	if Identical(v, t) {
		return true
	}
	if o, ok := t.(*Optional); ok {
		if isBasic(v, NoneType) {
			return true
		}
		return AssignableTo(v, o.Elem)
	}
	return false
}

func isBasic(t Type, k BasicKind) bool {
	b, ok := t.(*Basic)
	return ok && b.Kind == k
}

// IsInvalid reports whether t is the invalid type (an error was reported).
func IsInvalid(t Type) bool { return t == nil || isBasic(t, Invalid) }

// Ordered reports whether values of t can be compared with < and >.
func Ordered(t Type) bool {
	b, ok := t.(*Basic)
	if !ok {
		return false
	}
	switch b.Kind {
	case Int, Float, String, Duration, Money, Time:
		return true
	}
	return false
}

// Unwrap returns T for T?, else t.
func Unwrap(t Type) Type {
	if o, ok := t.(*Optional); ok {
		return o.Elem
	}
	return t
}
