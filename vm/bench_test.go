package vm

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// Record layout of the benchmark request: fields sorted by name.
//
//	a: int, b: string, c: int, d: string
func benchRequest() Value {
	return NewRecord([]Value{Int(42), Str("gold"), Int(1200), Str("eu-west")})
}

// predicate is r.a > 10 && r.b == "gold" && r.c < 5000 && r.d != "blocked".
func predicate(super bool) func(a *Assembler) {
	return func(a *Assembler) {
		cmp := func(slot, k int, op, opk Opcode) {
			a.Emit(OpLocalField, 0, slot)
			if super {
				a.Emit(opk, k)
			} else {
				a.Emit(OpConst, k)
				a.Emit(op)
			}
		}
		cmp(0, 0, OpGtInt, OpGtIntConst)
		a.Emit(OpJmpIfFalseOrPop, a.JumpTo("end"))
		cmp(1, 1, OpEq, OpEqConst)
		a.Emit(OpJmpIfFalseOrPop, a.JumpTo("end"))
		cmp(2, 2, OpLtInt, OpLtIntConst)
		a.Emit(OpJmpIfFalseOrPop, a.JumpTo("end"))
		cmp(3, 3, OpNe, OpNeConst)
		a.Label("end")
		a.Emit(OpReturn)
	}
}

var predConsts = []Value{Int(10), Str("gold"), Int(5000), Str("blocked")}

type benchCase struct {
	name string
	p    *Program
	args []Value
	want Value
}

func benchCases(b testing.TB) []benchCase {
	set := SetSpec{Elems: strs("tenant-", 50)}
	req := benchRequest()
	tenant := NewRecord([]Value{Str("tenant-37")})
	return []benchCase{
		{"predicate4", build(b, predConsts, nil, nil, nil, fn{name: "pred", params: 1, asm: predicate(true)}), []Value{req}, Bool(true)},
		{"predicate4_plain", build(b, predConsts, nil, nil, nil, fn{name: "pred", params: 1, asm: predicate(false)}), []Value{req}, Bool(true)},
		{"set50", build(b, nil, []SetSpec{set}, nil, nil, fn{name: "in", params: 1, asm: func(a *Assembler) {
			a.Emit(OpLocalField, 0, 0)
			a.Emit(OpSetMember, 0)
			a.Emit(OpReturn)
		}}), []Value{tenant}, Bool(true)},
		{"set50_fused", build(b, nil, []SetSpec{set}, nil, nil, fn{name: "in", params: 1, asm: func(a *Assembler) {
			a.Emit(OpLocalFieldSetMember, 0, 0, 0)
			a.Emit(OpReturn)
		}}), []Value{tenant}, Bool(true)},
		{"call", build(b, []Value{Int(8000)}, nil, nil, nil,
			fn{name: "main", params: 1, asm: func(a *Assembler) {
				a.Emit(OpLoadLocal, 0)
				a.Emit(OpCall, 1, 1)
				a.Emit(OpReturn)
			}},
			// long_prompt(r) = r.c > 8000
			fn{name: "long_prompt", params: 1, asm: func(a *Assembler) {
				a.Emit(OpLocalField, 0, 2)
				a.Emit(OpGtIntConst, 0)
				a.Emit(OpReturn)
			}}), []Value{req}, Bool(false)},
		{"filter40", build(b, []Value{Int(0)}, nil, nil, nil, fn{name: "filter", params: 1, locals: 5, asm: filterPositive}),
			[]Value{NewList(ints(40))}, Value{}},
		// map40_len is len(xs.map(x => x * 10)) as compiled: LIST_CAP, then
		// APPEND_LOCAL in place; the list is reused from run to run.
		{"map40_len", mapProgram(b, nil, nil, OpNextLocal, true, func(a *Assembler) {
			a.Emit(OpLoadLocal, 4)
			a.Emit(OpLen)
			a.Emit(OpReturn)
		}), []Value{NewList(ints(40))}, Int(40)},
	}
}

// BenchmarkMinByFloat runs min_by(xs, x => x) over 64 floats without NaN
// as compiled (BEFORE_FLOAT), and with the operator's LT_FLOAT in its
// place: what ordering NaN first costs on ordinary floats (callgrind
// counts 1 instruction per element more, about 0.2% of the loop).
func BenchmarkMinByFloat(b *testing.B) {
	for _, c := range []struct {
		name string
		op   Opcode
	}{{"before_float", OpBeforeFloat}, {"lt_float", OpLtFloat}} {
		p := build(b, []Value{Int(0)}, nil, nil, nil, fn{name: "min_by", params: 1, locals: 7, asm: minByLoop(c.op)})
		b.Run(c.name, func(b *testing.B) {
			m := NewMachine()
			ctx := context.Background()
			args := []Value{floats64()}
			if v, _, err := m.Run(ctx, p, 0, args, Limits{}, Input{}); err != nil || !Equal(v, Float(0.5)) {
				b.Fatalf("got %v, %v; want 0.5", v, err)
			}
			b.ReportAllocs()
			for b.Loop() {
				m.Run(ctx, p, 0, args, Limits{}, Input{})
			}
		})
	}
}

// floats64 is 64 distinct floats, not in order.
func floats64() Value {
	vs := make([]Value, 64)
	for i := range vs {
		vs[i] = Float(float64(i*37%64) + 0.5)
	}
	return NewList(vs)
}

// minByLoop is the compiler's lowering of min_by(xs, x => x) with better
// as the comparison that makes a key win: locals 0 xs, 1 list (iterated),
// 2 index, 3 x, 4 best element, 5 best key, 6 key.
func minByLoop(better Opcode) func(a *Assembler) {
	return func(a *Assembler) {
		a.Emit(OpLoadLocal, 0)
		a.Emit(OpStoreLocal, 1)
		a.Emit(OpConst, 0) // 0
		a.Emit(OpStoreLocal, 2)
		a.Emit(OpNil)
		a.Emit(OpStoreLocal, 4)
		a.Emit(OpJmp, a.JumpTo("step"))
		a.Label("top")
		a.Emit(OpLoadLocal, 3)
		a.Emit(OpStoreLocal, 6)
		a.Emit(OpLoadLocal, 4)
		a.Emit(OpIsNil)
		a.Emit(OpJmpIfTrue, a.JumpTo("take"))
		a.Emit(OpLoadLocal, 6)
		a.Emit(OpLoadLocal, 5)
		a.Emit(better)
		a.Emit(OpJmpIfFalse, a.JumpTo("step"))
		a.Label("take")
		a.Emit(OpLoadLocal, 3)
		a.Emit(OpStoreLocal, 4)
		a.Emit(OpLoadLocal, 6)
		a.Emit(OpStoreLocal, 5)
		a.Label("step")
		a.Emit(OpNextLocal, 1, 3, a.JumpTo("top"))
		a.Emit(OpLoadLocal, 4)
		a.Emit(OpReturn)
	}
}

func BenchmarkRun(b *testing.B) {
	// const is the fixed cost of a run: one constant returned.
	k := benchCase{"const", build(b, []Value{Int(7)}, nil, nil, nil, fn{name: "k", params: 1, asm: func(a *Assembler) {
		a.Emit(OpConst, 0)
		a.Emit(OpReturn)
	}}), []Value{benchRequest()}, Int(7)}
	for _, c := range append(benchCases(b), k) {
		b.Run(c.name, func(b *testing.B) {
			m := NewMachine()
			ctx := context.Background()
			v, _, err := m.Run(ctx, c.p, 0, c.args, Limits{}, Input{})
			if err != nil || (c.want.Kind() != KindNil && !Equal(v, c.want)) {
				b.Fatalf("got %v, %v; want %v", v, err, c.want)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				m.Run(ctx, c.p, 0, c.args, Limits{}, Input{})
			}
		})
	}
}

// TestZeroAlloc proves that programs that build nothing do not allocate.
func TestZeroAlloc(t *testing.T) {
	for _, c := range benchCases(t) {
		if c.name == "filter40" {
			continue
		}
		m := NewMachine()
		ctx := context.Background()
		allocs := testing.AllocsPerRun(100, func() {
			m.Run(ctx, c.p, 0, c.args, Limits{}, Input{})
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocs/run, want 0", c.name, allocs)
		}
	}
}

// BenchmarkMakeMap is MAKE_MAP of 4 short string keys (compared pairwise)
// and of 12 (hashed), in an arena reset between runs.
func BenchmarkMakeMap(b *testing.B) {
	for _, n := range []int{4, 12} {
		consts := strs("key-", n)
		consts = append(consts, Int(1))
		p := build(b, consts, nil, nil, nil, fn{name: "main", asm: func(a *Assembler) {
			for i := range n {
				a.Emit(OpConst, i)
				a.Emit(OpConst, n)
			}
			a.Emit(OpMakeMap, n)
			a.Emit(OpReturn)
		}})
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			m := NewMachine()
			ctx := context.Background()
			in := Input{Arena: new(Arena)}
			b.ReportAllocs()
			for b.Loop() {
				in.Arena.Reset()
				if _, _, err := m.Run(ctx, p, 0, nil, Limits{}, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkIndexMap is m[k] and k in m, for a map of 4 short string keys
// (scanned) and of 12 and 20,000 (hashed), k the third key (or absent);
// and for maps of 8 keys of 64 bytes and more (scanned, the lookup
// charged for the keys of k's length it compares: "long"), k the third
// or absent.
func BenchmarkIndexMap(b *testing.B) {
	for _, c := range []struct {
		name   string
		n      int
		prefix string
		k      string // "": the third key
	}{
		{"4", 4, "key-", ""},
		{"12", 12, "key-", ""},
		{"20000", 20000, "key-", ""},
		{"20000-absent", 20000, "key-", "key-x"},
		{"8-long", 8, strings.Repeat("k", 64) + "-", ""},
		{"8-long-absent", 8, strings.Repeat("k", 64) + "-", strings.Repeat("k", 64) + "-x"},
	} {
		n := c.n
		keys := strs(c.prefix, n)
		vals := ints(n)
		mp, err := NewMap(keys, vals)
		if err != nil {
			b.Fatal(err)
		}
		p := build(b, []Value{mp}, nil, nil, nil, fn{name: "main", params: 1, asm: func(a *Assembler) {
			a.Emit(OpConst, 0)
			a.Emit(OpLoadLocal, 0)
			a.Emit(OpIndexMap)
			a.Emit(OpPop)
			a.Emit(OpLoadLocal, 0)
			a.Emit(OpConst, 0)
			a.Emit(OpInMap)
			a.Emit(OpReturn)
		}})
		b.Run(c.name, func(b *testing.B) {
			m := NewMachine()
			ctx := context.Background()
			k := c.k
			if k == "" {
				k = keys[2].Str()
			}
			args := []Value{Str(k)}
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := m.Run(ctx, p, 0, args, Limits{}, Input{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEqualDeep is EQ, and BEFORE, of two equal lists of 16 records
// of a string, an int and a list of 4 ints (different objects, so that
// the deep walk compares every element pair, 3 levels down).
func BenchmarkEqualDeep(b *testing.B) {
	item := func(i int) Value {
		return NewRecord([]Value{Str(fmt.Sprint("name-", i)), Int(int64(i)), NewList(ints(4))})
	}
	list := func() Value {
		xs := make([]Value, 16)
		for i := range xs {
			xs[i] = item(i)
		}
		return NewList(xs)
	}
	for _, op := range []Opcode{OpEq, OpBefore} {
		p := build(b, nil, nil, nil, nil, fn{name: "main", params: 2, asm: func(a *Assembler) {
			a.Emit(OpLoadLocal, 0)
			a.Emit(OpLoadLocal, 1)
			a.Emit(op)
			a.Emit(OpReturn)
		}})
		b.Run(op.String(), func(b *testing.B) {
			m := NewMachine()
			ctx := context.Background()
			args := []Value{list(), list()}
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := m.Run(ctx, p, 0, args, Limits{}, Input{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
