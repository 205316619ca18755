package compiler

import (
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/vm"
)

// ShapeOf is the shape of values of type t (see vm.RecordShape): what
// writing one as a literal of t needs that the value does not carry, its
// records' field names and its enum members; none when t holds neither.
// string(x) passes it to the builtin as a hidden argument, and
// rpl.Format writes values by it.
func ShapeOf(t lang.Type) vm.Value {
	switch t := lang.Unwrap(t).(type) {
	case *lang.Record:
		names := make([]string, len(t.Fields))
		fields := make([]vm.Value, len(t.Fields))
		for i, f := range t.Fields {
			names[i], fields[i] = f.Name, ShapeOf(f.Type)
		}
		return vm.RecordShape(names, fields)
	case *lang.Enum:
		return vm.EnumShape(t.Members)
	case *lang.List:
		return vm.ListShape(ShapeOf(t.Elem))
	case *lang.Map:
		return vm.MapShape(ShapeOf(t.Key), ShapeOf(t.Elem))
	}
	return vm.Nil()
}

// hiddenShape is the argument the compiler adds to a call of string: the
// shape of its argument's type, when not none (stdlib.Def.Shaped).
func (c *compiler) hiddenShape(call *lang.Call) (vm.Value, bool) {
	b := call.Builtin
	if b == nil || b.Module != "" || b.Name != "string" || len(call.Args) != 1 {
		return vm.Value{}, false
	}
	shape := ShapeOf(c.info.Types[call.Args[0]])
	return shape, !shape.IsNil()
}
