package vm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testBuiltins is a builtin table for encoding and fuzz tests.
func testBuiltins(t testing.TB) *BuiltinTable {
	bt, err := NewBuiltinTable(
		Builtin{Name: "len", MinArgs: 1, MaxArgs: 1, Cost: 1, Fn: func(c *Call, args []Value) (Value, error) {
			return Int(int64(args[0].Len())), nil
		}},
		Builtin{Name: "concat", MinArgs: 0, MaxArgs: -1, Cost: 1, Fn: func(c *Call, args []Value) (Value, error) {
			var b strings.Builder
			for _, a := range args {
				if err := c.Charge(int64(a.Len())); err != nil {
					return Value{}, err
				}
				b.WriteString(a.Str())
			}
			return c.NewStr(b.String())
		}},
	)
	if err != nil {
		t.Fatal(err)
	}
	return bt
}

// corpus returns a few programs that together use every opcode family.
func corpus(t testing.TB) []*Program {
	mp, _ := NewMap([]Value{Str("a"), Int(2)}, []Value{Int(1), Str("two")})
	ps := []*Program{limitProgram(t)}
	for _, c := range benchCases(t) {
		ps = append(ps, c.p)
	}
	ps = append(ps, build(t, []Value{
		Int(-3), Float(2.5), Str("héllo"), Duration(250 * time.Millisecond), Money(2_500_000),
		Time(1700000000e9), Nil(), Bool(true), NewList([]Value{Int(1), Str("x")}), mp,
		NewRecord([]Value{Int(1), NewList(nil)}),
	}, []SetSpec{{Elems: strs("s", 12)}, {Elems: ints(3)}}, testBuiltins(t), []string{"len", "concat"},
		fn{name: "main", locals: 2, lines: []LineEntry{{0, 1, 1}, {3, 2, 7}, {9, 4, 2}}, asm: func(a *Assembler) {
			a.Emit(OpConst, 2)
			a.Emit(OpCallBuiltin, 0, 1)
			a.Emit(OpConst, 2)
			a.Emit(OpConst, 2)
			a.Emit(OpCallBuiltin, 1, 2)
			a.Emit(OpSetMember, 0)
			a.Emit(OpMakeList, 2)
			a.Emit(OpReturn)
		}}))
	return ps
}

func TestEncodeRoundTrip(t *testing.T) {
	bt := testBuiltins(t)
	for i, p := range corpus(t) {
		data, err := p.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		q, err := Load(data, bt)
		if err != nil {
			t.Fatalf("program %d: %v", i, err)
		}
		if a, b := Disassemble(p), Disassemble(q); a != b {
			t.Fatalf("program %d: disassembly differs:\n%s\n----\n%s", i, a, b)
		}
		data2, _ := q.MarshalBinary()
		if !bytes.Equal(data, data2) {
			t.Fatalf("program %d: re-encoding differs", i)
		}
		for j, c := range p.consts {
			if !Equal(c, q.consts[j]) && c.Kind() != KindFloat {
				t.Errorf("program %d: constant %d: %s != %s", i, j, c, q.consts[j])
			}
		}
	}
}

func TestLoadRejects(t *testing.T) {
	bt := testBuiltins(t)
	good, err := corpus(t)[len(corpus(t))-1].MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	mutate := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "bad magic"},
		{"magic", mutate(func(b []byte) []byte { b[0] = 'X'; return b }), "bad magic"},
		{"version", mutate(func(b []byte) []byte { b[4] = 9; return b }), "unsupported format version 9"},
		{"truncated", good[:len(good)-3], "exceeds the data"},
		{"trailing", append(append([]byte(nil), good...), 0), "trailing bytes"},
		{"no-builtin", good, "unknown builtin"},
	}
	for _, c := range cases {
		tab := bt
		if c.name == "no-builtin" {
			tab = nil
		}
		_, err := Load(c.data, tab)
		var ipe *InvalidProgramError
		if !errors.As(err, &ipe) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want InvalidProgramError containing %q", c.name, err, c.want)
		}
	}
	// Every truncation is rejected, none panics.
	for n := range len(good) {
		if _, err := Load(good[:n], bt); err == nil {
			t.Fatalf("truncation to %d bytes accepted", n)
		}
	}
}

func TestVerifierRejects(t *testing.T) {
	bt := testBuiltins(t)
	code := func(instrs ...Instr) []byte { return MustAsm(instrs...) }
	cases := []struct {
		name string
		fn   FunctionSpec
		want string
	}{
		{"empty", FunctionSpec{}, "empty code"},
		{"unknown-op", FunctionSpec{Code: []byte{250}}, "unknown opcode 250"},
		{"truncated", FunctionSpec{Code: []byte{byte(OpConst), 0}}, "truncated operands"},
		{"fall-off", FunctionSpec{Code: code(I(OpNil))}, "runs off the end"},
		{"underflow", FunctionSpec{Code: code(I(OpPop), I(OpNil), I(OpReturn))}, "stack underflow"},
		{"return-empty", FunctionSpec{Code: code(I(OpReturn))}, "stack underflow"},
		{"const-range", FunctionSpec{Code: code(I(OpConst, 5), I(OpReturn))}, "const operand 5 out of range"},
		{"local-range", FunctionSpec{NumLocals: 1, Code: code(I(OpLoadLocal, 1), I(OpReturn))}, "local operand 1 out of range"},
		{"for-iter-local", FunctionSpec{NumLocals: 1, Code: code(I(OpForIter, 0, 0), I(OpReturn))}, "local operand 0 out of range"},
		// The loops' n names the pair of locals n and n+1 (spec/bytecode.md §2).
		{"for-iter-local-pair", FunctionSpec{NumLocals: 2, Code: code(I(OpForIterLocal, 1, 0, 0), I(OpNil), I(OpReturn))}, "local operand 1 out of range"},
		{"next-local-pair", FunctionSpec{NumLocals: 2, Code: code(I(OpNextLocal, 1, 0, 0), I(OpNil), I(OpReturn))}, "local operand 1 out of range"},
		{"next-range-pair", FunctionSpec{NumLocals: 2, Code: code(I(OpNextRange, 1, 0, 0), I(OpNil), I(OpReturn))}, "local operand 1 out of range"},
		{"jump-mid", FunctionSpec{Code: code(I(OpNil), I(OpJmp, 2), I(OpReturn))}, "not an instruction"},
		{"jump-out", FunctionSpec{Code: code(I(OpJmp, 100))}, "not an instruction"},
		{"merge", FunctionSpec{NumParams: 1, NumLocals: 1, Code: code(
			I(OpLoadLocal, 0), I(OpJmpIfFalse, 9), I(OpNil), I(OpNil), I(OpReturn))}, "inconsistent stack height"},
		{"call-argc", FunctionSpec{Code: code(I(OpCall, 0, 2), I(OpReturn))}, "want 0"},
		{"call-range", FunctionSpec{Code: code(I(OpCall, 7, 0), I(OpReturn))}, "func operand 7 out of range"},
		{"builtin-range", FunctionSpec{Code: code(I(OpCallBuiltin, 9, 0), I(OpReturn))}, "builtin operand 9 out of range"},
		{"set-range", FunctionSpec{Code: code(I(OpNil), I(OpSetMember, 0), I(OpReturn))}, "set operand 0 out of range"},
		{"locals", FunctionSpec{NumParams: 2, NumLocals: 1, Code: code(I(OpNil), I(OpReturn))}, "bad parameter/local counts"},
		{"max-stack", FunctionSpec{MaxStack: 1, Code: code(I(OpNil), I(OpNil), I(OpAddInt), I(OpReturn))}, "declared MaxStack 1 < computed 2"},
		{"lines", FunctionSpec{Lines: []LineEntry{{PC: 3}, {PC: 1}}, Code: code(I(OpNil), I(OpReturn))}, "line table not sorted"},
	}
	for _, c := range cases {
		spec := &ProgramSpec{Functions: []FunctionSpec{c.fn}, Entries: map[string]int{"f": 0}}
		_, err := NewProgram(spec, bt)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
	// Program-level checks.
	ok := FunctionSpec{Code: code(I(OpNil), I(OpReturn))}
	progs := []struct {
		name string
		spec ProgramSpec
		want string
	}{
		{"no-functions", ProgramSpec{}, "no functions"},
		{"no-entries", ProgramSpec{Functions: []FunctionSpec{ok}}, "no entry points"},
		{"entry-range", ProgramSpec{Functions: []FunctionSpec{ok}, Entries: map[string]int{"x": 1}}, "out of range"},
		{"set-mixed", ProgramSpec{Functions: []FunctionSpec{ok}, Entries: map[string]int{"x": 0},
			Sets: []SetSpec{{Elems: []Value{Int(1), Str("a")}}}}, "element 1 is a string"},
		{"set-kind", ProgramSpec{Functions: []FunctionSpec{ok}, Entries: map[string]int{"x": 0},
			Sets: []SetSpec{{Elems: []Value{Float(1)}}}}, "sets hold strings or ints"},
	}
	for _, c := range progs {
		_, err := NewProgram(&c.spec, bt)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}

// FuzzLoad feeds malformed programs to Load: it must return an error or a
// program, never panic; a loaded program must re-encode identically and
// run every entry point within small limits without a Go panic (run with
// -tags rplvmcheck so that an out-of-range access panics instead of
// corrupting memory).
func FuzzLoad(f *testing.F) {
	for _, p := range corpus(f) {
		data, err := p.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		f.Add(data[:len(data)/2])
		f.Add(data[:len(data)-1])
	}
	bt := testBuiltins(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Load(data, bt)
		if err != nil {
			var ipe *InvalidProgramError
			if !errors.As(err, &ipe) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		again, err := p.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		q, err := Load(again, bt)
		if err != nil {
			t.Fatalf("re-encoded program rejected: %v", err)
		}
		if Disassemble(p) != Disassemble(q) {
			t.Fatal("round trip changed the disassembly")
		}
		m := NewMachine()
		for i := range p.NumFunctions() {
			args := make([]Value, p.NumParams(i))
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_, _, err := m.Run(ctx, p, i, args, Limits{Fuel: 2000, Memory: 1 << 16, MaxDepth: 16}, Input{})
			cancel()
			var e *Error
			if errors.As(err, &e) && e.panicked {
				t.Fatalf("function %d panicked: %v", i, e.Cause)
			}
		}
	})
}

// TestWriteFuzzSeeds writes the seed corpus to testdata/fuzz/FuzzLoad when
// run with RPL_WRITE_FUZZ_SEEDS=1.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("RPL_WRITE_FUZZ_SEEDS") == "" {
		t.Skip("set RPL_WRITE_FUZZ_SEEDS=1 to rewrite the seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzLoad")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, p := range corpus(t) {
		data, _ := p.MarshalBinary()
		var b strings.Builder
		b.WriteString("go test fuzz v1\n[]byte(")
		b.WriteString(quoteBytes(data))
		b.WriteString(")\n")
		name := filepath.Join(dir, "seed-program-"+itoa(i))
		if err := os.WriteFile(name, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func quoteBytes(b []byte) string {
	var s strings.Builder
	s.WriteByte('"')
	for _, c := range b {
		if c >= 0x20 && c < 0x7f && c != '"' && c != '\\' {
			s.WriteByte(c)
		} else {
			s.WriteString(`\x`)
			s.WriteByte("0123456789abcdef"[c>>4])
			s.WriteByte("0123456789abcdef"[c&15])
		}
	}
	s.WriteByte('"')
	return s.String()
}

// FuzzCode feeds arbitrary code to the verifier and runs what it accepts:
// verified code must never make the interpreter panic or touch memory out
// of range (run with -tags rplvmcheck to turn out-of-range into panics).
func FuzzCode(f *testing.F) {
	for _, p := range corpus(f) {
		for _, fc := range p.funcs {
			f.Add(fc.code, uint8(fc.numParams), uint8(fc.numLocals))
		}
	}
	bt := testBuiltins(f)
	base := corpus(f)
	last := base[len(base)-1]
	f.Fuzz(func(t *testing.T, code []byte, params, locals uint8) {
		spec := &ProgramSpec{
			Constants: last.consts,
			Sets:      last.setSpecs,
			Builtins:  last.bnames,
			Functions: []FunctionSpec{
				{Name: "fuzz", NumParams: int(params % 4), NumLocals: int(locals % 8), Code: code},
				{Name: "one", NumParams: 1, NumLocals: 1, Code: MustAsm(I(OpLoadLocal, 0), I(OpReturn))},
			},
			Entries: map[string]int{"fuzz": 0},
		}
		p, err := NewProgram(spec, bt)
		if err != nil {
			return
		}
		m := NewMachine()
		argSets := [][]Value{
			{Nil(), Nil(), Nil()},
			{Int(3), Str("s3"), NewList(ints(3))},
			{NewRecord([]Value{Int(1), Str("x")}), last.consts[9], Money(5)},
		}
		for _, args := range argSets {
			_, _, err := m.Run(context.Background(), p, 0, args[:p.NumParams(0)], Limits{Fuel: 5000, Memory: 1 << 16, MaxDepth: 16}, Input{})
			var e *Error
			if errors.As(err, &e) && e.panicked {
				t.Fatalf("panicked: %v\n%s", e.Cause, Disassemble(p))
			}
		}
	})
}

// TestFormatVersion3: a program ordering with BEFORE, AFTER, BEFORE_FLOAT
// or AFTER_FLOAT (min_by and max_by) is written as format version 3, so
// that a reader of versions 1 and 2 refuses it by its version, not by an
// unknown opcode; one without them keeps the oldest version that holds
// it; and a version-1 or -2 program using them is refused.
func TestFormatVersion3(t *testing.T) {
	for _, c := range []struct {
		op   Opcode
		want int
	}{{OpLtInt, 1}, {OpBeforeFloat, 3}, {OpAfterFloat, 3}, {OpBefore, 3}, {OpAfter, 3}} {
		p := one(t, []Value{Int(1)}, func(a *Assembler) {
			a.Emit(OpConst, 0)
			a.Emit(OpConst, 0)
			a.Emit(c.op)
			a.Emit(OpReturn)
		})
		data, err := p.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := ProgramVersion(data); v != c.want {
			t.Errorf("%s: format version %d, want %d", c.op, v, c.want)
		}
		if _, err := Load(data, nil); err != nil {
			t.Errorf("%s: %v", c.op, err)
		}
		if c.want == 3 {
			old := bytes.Clone(data)
			old[len(Magic)] = 2
			if _, err := Load(old, nil); err == nil || !strings.Contains(err.Error(), "uses instructions of format version 3 in a program of version 2") {
				t.Errorf("%s in a version-2 program: %v", c.op, err)
			}
		}
	}
}

// TestFormatVersion4: a program whose spec needs version 4 (it passes
// string a shape: ProgramSpec.MinVersion) is written as version 4, which
// a reader of versions 1 to 3 refuses by its version rather than by the
// verifier's arity; it keeps its version when loaded and written again.
func TestFormatVersion4(t *testing.T) {
	spec := buildSpec(t, nil, nil, nil, fn{name: "main", asm: func(a *Assembler) { a.Emit(OpNil); a.Emit(OpReturn) }})
	spec.MinVersion = 4
	_, data := encoded(t, spec)
	if v, _ := ProgramVersion(data); v != 4 {
		t.Fatalf("format version %d, want 4", v)
	}
	q, err := Load(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	again, err := q.MarshalBinary()
	if err != nil || !bytes.Equal(again, data) {
		t.Errorf("loaded and written again: %v, equal %v", err, bytes.Equal(again, data))
	}
	spec.MinVersion = 0
	if _, data := encoded(t, spec); data[len(Magic)] != 1 {
		t.Errorf("without it: version %d, want 1", data[len(Magic)])
	}
}

// The entries section lists the entry points sorted by name, each once,
// as MarshalBinary writes them (spec/bytecode.md §4): Load refuses one
// out of order, or a name twice, at the offset of the entry at fault.
// Before, it took entries in any order.
func TestLoadEntriesOrder(t *testing.T) {
	spec := buildSpec(t, nil, nil, nil, fn{name: "main", asm: func(a *Assembler) {
		a.Emit(OpNil)
		a.Emit(OpReturn)
	}})
	spec.Entries = map[string]int{"a": 0, "b": 0}
	_, good := encoded(t, spec)
	if _, err := Load(good, nil); err != nil {
		t.Fatal(err)
	}
	// The section ends with the entries: str(a) 0 str(b) 0, one byte each.
	n := len(good)
	ia, ib := good[n-4], good[n-2]
	if good[n-3] != 0 || good[n-1] != 0 {
		t.Fatalf("unexpected end of the entries section % x", good[n-6:])
	}
	for _, c := range []struct {
		name   string
		first  byte
		second byte
		want   string
	}{
		{"unsorted", ib, ia, fmt.Sprintf(`entries section, byte %d: entry "a" after "b": entries are sorted by name`, n-2)},
		{"twice", ia, ia, fmt.Sprintf(`entries section, byte %d: entry "a" twice`, n-2)},
	} {
		data := append([]byte(nil), good...)
		data[n-4], data[n-2] = c.first, c.second
		_, err := Load(data, nil)
		var ipe *InvalidProgramError
		if !errors.As(err, &ipe) || err.Error() != "invalid program: "+c.want {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}
