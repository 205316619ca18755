package vm

import (
	"strings"
	"testing"
)

// nestedList is a constant of depth lists, one inside the other, the
// innermost empty.
func nestedList(depth int) Value {
	v := NewList(nil)
	for range depth - 1 {
		v = NewList([]Value{v})
	}
	return v
}

// TestConstDepthAgreesWithDecoder: spec/bytecode.md §3 lets constants nest
// at most MaxConstDepth deep, and NewProgram and Load must agree on it: a
// program NewProgram accepts is written by MarshalBinary and read back by
// Load, and one nested a level deeper is refused by both.
func TestConstDepthAgreesWithDecoder(t *testing.T) {
	ret := func(a *Assembler) { a.Emit(OpConst, 0); a.Emit(OpReturn) }
	ok := buildSpec(t, []Value{nestedList(MaxConstDepth)}, nil, nil, fn{name: "main", asm: ret})
	_, data := encoded(t, ok)
	if _, err := Load(data, nil); err != nil {
		t.Fatalf("Load of a constant nested %d deep: %v", MaxConstDepth, err)
	}
	deep := buildSpec(t, []Value{nestedList(MaxConstDepth + 1)}, nil, nil, fn{name: "main", asm: ret})
	if _, err := NewProgram(deep, nil); err == nil {
		t.Fatalf("NewProgram accepted a constant nested %d deep (max %d)", MaxConstDepth+1, MaxConstDepth)
	}
}

// TestMinVersionInRange: NewProgram refuses a ProgramSpec.MinVersion
// newer than FormatVersion (or negative), which MarshalBinary would write
// as a format version Load refuses; the versions a reader reads are
// accepted and round-trip.
func TestMinVersionInRange(t *testing.T) {
	ret := func(a *Assembler) { a.Emit(OpNil); a.Emit(OpReturn) }
	for v := 0; v <= FormatVersion; v++ {
		spec := buildSpec(t, nil, nil, nil, fn{name: "main", asm: ret})
		spec.MinVersion = v
		_, data := encoded(t, spec)
		if _, err := Load(data, nil); err != nil {
			t.Errorf("MinVersion %d: Load: %v", v, err)
		}
	}
	for _, v := range []int{-1, FormatVersion + 1} {
		spec := buildSpec(t, nil, nil, nil, fn{name: "main", asm: ret})
		spec.MinVersion = v
		if _, err := NewProgram(spec, nil); err == nil {
			t.Errorf("NewProgram accepted MinVersion %d (versions %d to %d)", v, MinFormatVersion, FormatVersion)
		}
	}
}

// TestInlineTableCheckedFirst: spec/bytecode.md §4 refuses a program
// whose inline table is bad before its code is verified, so the error is
// the inline table's even when a function's code is bad too (it was the
// code's when that function came first).
func TestInlineTableCheckedFirst(t *testing.T) {
	ret := func(a *Assembler) { a.Emit(OpNil); a.Emit(OpReturn) }
	spec := buildSpec(t, nil, nil, nil, fn{name: "bad", asm: ret}, fn{name: "main", asm: ret})
	spec.Functions[0].Code = []byte{byte(OpNil)} // runs off the end
	spec.Functions[1].Inlined = []InlineEntry{{Start: 1, End: 2, Func: "g"}, {Start: 0, End: 1, Func: "h"}}
	_, err := NewProgram(spec, nil)
	if err == nil || !strings.Contains(err.Error(), "inline entry 1") || !strings.Contains(err.Error(), "not sorted") {
		t.Errorf("error %v, want the inline table's (entry 1 not sorted)", err)
	}
}
