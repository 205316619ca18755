package compiler

import (
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/vm"
)

// ShapeOf is the shape of values of type t (see vm.RecordShape): what
// writing one as a literal of t needs that the value does not carry, its
// records' field names and which strings are enum members; none when t
// holds neither. string(x) passes it to the builtin as a hidden argument,
// and rpl.Format writes values by it. A shape is bounded: parts of t
// nested deeper than a constant may be (shapeDepth), or past shapeSize
// names and nodes (a type of records whose fields all have the next
// record type is exponentially large written out), are left out, and
// written as String writes them.
func ShapeOf(t lang.Type) vm.Value {
	size := shapeSize
	return shapeOf(t, shapeDepth, &size)
}

// shapeDepth bounds how deep a shape's scalars lie, below the VM's limit
// on the nesting of constants (32); shapeSize how many names and nodes a
// shape has.
const (
	shapeDepth = 24
	shapeSize  = 4096
)

// shapeOf is ShapeOf with its scalars depth levels deep at most, and at
// most *size names and nodes, which it takes from *size.
func shapeOf(t lang.Type, depth int, size *int) vm.Value {
	if depth < 1 || *size <= 0 {
		return vm.Nil()
	}
	switch t := lang.Unwrap(t).(type) {
	case *lang.Record:
		if depth < 2 || *size < 1+len(t.Fields) { // the node and its names
			return vm.Nil()
		}
		*size -= 1 + len(t.Fields)
		names := make([]string, len(t.Fields))
		fields := make([]vm.Value, len(t.Fields))
		for i, f := range t.Fields {
			names[i], fields[i] = f.Name, shapeOf(f.Type, depth-2, size)
		}
		return vm.RecordShape(names, fields)
	case *lang.Enum:
		*size--
		return vm.EnumShape()
	case *lang.List:
		*size--
		return vm.ListShape(shapeOf(t.Elem, depth-1, size))
	case *lang.Map:
		*size--
		return vm.MapShape(shapeOf(t.Key, depth-1, size), shapeOf(t.Elem, depth-1, size))
	}
	return vm.Nil()
}

// shapeVersion is the bytecode format version of a program that passes
// string a shape: readers of older versions refuse it by its version.
const shapeVersion = 4

// TakesShape reports whether builtin b takes, after its one declared
// parameter, the shape of its argument's type (ShapeOf), which the
// compiler passes when it is not none: string does. A builtin table
// gives such a builtin one argument more than its parameters.
func TakesShape(b *lang.Builtin) bool {
	return b != nil && b.Module == "" && b.Name == "string" && len(b.Type.Params) == 1
}

// hiddenShape is the argument the compiler adds to a call of a builtin
// that TakesShape: the shape of its argument's type, when not none.
func (c *compiler) hiddenShape(call *lang.Call) (vm.Value, bool) {
	if len(call.Args) != 1 {
		return vm.Value{}, false
	}
	return shapeArg(call.Builtin, 1, c.info.Types[call.Args[0]])
}

// shapeArg is hiddenShape for a call of b with n arguments, the first of
// type t.
func shapeArg(b *lang.Builtin, n int, t lang.Type) (vm.Value, bool) {
	if !TakesShape(b) || n != 1 {
		return vm.Value{}, false
	}
	// A string, an enum member included, is written as it is: only what
	// holds a record or an enum needs a shape.
	if _, isEnum := lang.Unwrap(t).(*lang.Enum); isEnum {
		return vm.Value{}, false
	}
	shape := ShapeOf(t)
	return shape, !shape.IsNil()
}
