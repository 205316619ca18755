package vm

import (
	"context"
	"errors"
	"testing"
)

// fn is a test helper describing one function written with the Assembler.
type fn struct {
	name   string
	params int
	locals int
	asm    func(a *Assembler)
	lines  []LineEntry
}

func buildSpec(t testing.TB, consts []Value, sets []SetSpec, builtins []string, fns ...fn) *ProgramSpec {
	t.Helper()
	spec := &ProgramSpec{Constants: consts, Sets: sets, Builtins: builtins, Entries: map[string]int{}}
	for i, f := range fns {
		var a Assembler
		f.asm(&a)
		code, err := a.Code()
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		locals := max(f.locals, f.params)
		lines := f.lines
		if lines == nil {
			lines = []LineEntry{{PC: 0, Line: uint32(10 * (i + 1)), Col: 1}}
		}
		spec.Functions = append(spec.Functions, FunctionSpec{
			Name: f.name, File: "test.rpl", NumParams: f.params, NumLocals: locals, Code: code, Lines: lines,
		})
		spec.Entries[f.name] = i
	}
	return spec
}

func build(t testing.TB, consts []Value, sets []SetSpec, bt *BuiltinTable, builtins []string, fns ...fn) *Program {
	t.Helper()
	p, err := NewProgram(buildSpec(t, consts, sets, builtins, fns...), bt)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// encoded verifies spec (no builtins) and writes it in the binary format.
func encoded(t testing.TB, spec *ProgramSpec) (*Program, []byte) {
	t.Helper()
	p, err := NewProgram(spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	data, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return p, data
}

// one builds a program of a single function with no parameters.
func one(t testing.TB, consts []Value, asm func(a *Assembler)) *Program {
	t.Helper()
	return build(t, consts, nil, nil, nil, fn{name: "main", asm: asm})
}

func run(t testing.TB, p *Program, entry string, args ...Value) (Value, error) {
	t.Helper()
	m := NewMachine()
	v, _, err := m.RunNamed(context.Background(), p, entry, args, Limits{}, Input{})
	return v, err
}

func mustRun(t testing.TB, p *Program, entry string, args ...Value) Value {
	t.Helper()
	v, err := run(t, p, entry, args...)
	if err != nil {
		t.Fatalf("run %s: %v", entry, err)
	}
	return v
}

func wantCode(t testing.TB, err error, code Code) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want *Error with code %s", err, err, code)
	}
	if e.Code != code {
		t.Fatalf("error code %s (%v), want %s", e.Code, e, code)
	}
	return e
}
