package vm

import (
	"errors"
	"slices"
	"testing"
)

// inlineSpec is a program whose code records inlined calls: in div, the
// division is the body of inner, inlined (at 5:7) into outer, itself
// inlined (at 1:3) into div; viacall calls div from code inlined from mid
// (at 20:4).
func inlineSpec(t *testing.T) *ProgramSpec {
	var s0, s1, e1, c0, c1 int
	spec := buildSpec(t, []Value{Int(1), Int(0)}, nil, nil,
		fn{name: "div", asm: func(a *Assembler) {
			s0 = a.PC()
			a.Emit(OpConst, 0)
			a.Emit(OpConst, 1)
			s1 = a.PC()
			a.Emit(OpDivInt)
			e1 = a.PC()
			a.Emit(OpReturn)
		}},
		fn{name: "viacall", asm: func(a *Assembler) {
			c0 = a.PC()
			a.Emit(OpCall, 0, 0)
			c1 = a.PC()
			a.Emit(OpReturn)
		}})
	spec.Functions[0].Lines = []LineEntry{{PC: 0, Line: 1, Col: 1}, {PC: uint32(s1), Line: 9, Col: 9}}
	spec.Functions[0].Inlined = []InlineEntry{
		{Start: uint32(s0), End: uint32(e1), Func: "outer", Line: 1, Col: 3},
		{Start: uint32(s1), End: uint32(e1), Func: "inner", Line: 5, Col: 7},
	}
	spec.Functions[1].Lines = []LineEntry{{PC: 0, Line: 2, Col: 2}}
	spec.Functions[1].Inlined = []InlineEntry{{Start: uint32(c0), End: uint32(c1), Func: "mid", Line: 20, Col: 4}}
	return spec
}

// TestInlinedBacktrace: an error in inlined code has a frame per inlined
// call, the callee at the failing position and each caller at its call
// site, in the failing function and in suspended callers alike, also
// after the binary encoding (format version 2, version 1 without inline
// tables).
func TestInlinedBacktrace(t *testing.T) {
	spec := inlineSpec(t)
	p, data := encoded(t, spec)
	if v, ok := ProgramVersion(data); !ok || v != 2 {
		t.Errorf("version %d, want 2", v)
	}
	q, err := Load(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := q.Spec().Functions[0].Inlined; !slices.Equal(got, spec.Functions[0].Inlined) {
		t.Errorf("decoded inline table %v, want %v", got, spec.Functions[0].Inlined)
	}
	want := []Frame{
		{Func: "inner", File: "test.rpl", Line: 9, Col: 9},
		{Func: "outer", File: "test.rpl", Line: 5, Col: 7},
		{Func: "div", File: "test.rpl", Line: 1, Col: 3},
		{Func: "mid", File: "test.rpl", Line: 2, Col: 2},
		{Func: "viacall", File: "test.rpl", Line: 20, Col: 4},
	}
	for _, prog := range []*Program{p, q} {
		_, err := run(t, prog, "div")
		if e := wantCode(t, err, CodeDivisionByZero); !slices.Equal(e.Stack, want[:3]) {
			t.Errorf("div: stack %v, want %v", e.Stack, want[:3])
		}
		_, err = run(t, prog, "viacall")
		if e := wantCode(t, err, CodeDivisionByZero); !slices.Equal(e.Stack, want) {
			t.Errorf("viacall: stack %v, want %v", e.Stack, want)
		}
	}

	plain := inlineSpec(t)
	for i := range plain.Functions {
		plain.Functions[i].Inlined = nil
	}
	data, err = EncodeSpec(plain)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := ProgramVersion(data); v != 1 {
		t.Errorf("without inline tables: version %d, want 1", v)
	}
	if _, err := Load(data, nil); err != nil {
		t.Fatal(err)
	}
}

// TestInlinedRejects: malformed inline tables are refused with an error,
// by NewProgram and by Load (never a panic), and a version this reader
// does not know is refused at the header.
func TestInlinedRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		inl  []InlineEntry
	}{
		{"empty range", []InlineEntry{{Start: 1, End: 1, Func: "f"}}},
		{"past the code", []InlineEntry{{Start: 0, End: 99, Func: "f"}}},
		{"no name", []InlineEntry{{Start: 0, End: 1}}},
		{"unsorted", []InlineEntry{{Start: 3, End: 4, Func: "f"}, {Start: 0, End: 1, Func: "g"}}},
		{"overlap", []InlineEntry{{Start: 0, End: 4, Func: "f"}, {Start: 3, End: 6, Func: "g"}}},
		{"inner first", []InlineEntry{{Start: 0, End: 3, Func: "f"}, {Start: 0, End: 6, Func: "g"}}},
	} {
		spec := inlineSpec(t)
		spec.Functions[0].Inlined = tc.inl
		var ipe *InvalidProgramError
		if _, err := NewProgram(spec, nil); !errors.As(err, &ipe) {
			t.Errorf("%s: NewProgram: %v, want an InvalidProgramError", tc.name, err)
		}
	}

	data, err := EncodeSpec(inlineSpec(t))
	if err != nil {
		t.Fatal(err)
	}
	// Every truncation and every corrupted byte: an error or a valid
	// program, never a panic.
	for i := range data {
		if _, err := Load(data[:i], nil); err == nil {
			t.Errorf("truncated to %d bytes: loaded", i)
		}
		for _, b := range []byte{0x00, 0x7f, 0xff} {
			bad := slices.Clone(data)
			bad[i] = b
			if _, err := Load(bad, nil); err != nil {
				var ipe *InvalidProgramError
				if !errors.As(err, &ipe) {
					t.Fatalf("byte %d = %#x: error %T %v", i, b, err, err)
				}
			}
		}
	}
	bad := slices.Clone(data)
	bad[len(Magic)] = FormatVersion + 1
	if _, err := Load(bad, nil); err == nil {
		t.Errorf("format version %d loaded", FormatVersion+1)
	}
}
