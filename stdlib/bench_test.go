package stdlib

import (
	"context"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/vm"
)

func benchBuiltin(b *testing.B, key string, args ...vm.Value) {
	p := program(b, key, len(args))
	m := vm.NewMachine()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := m.Run(ctx, p, 0, args, vm.Limits{}, vm.Input{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStartsWith(b *testing.B) {
	benchBuiltin(b, "starts_with(string, string)", str("openai:gpt-4o-mini"), str("openai:"))
}

func BenchmarkMatchesCached(b *testing.B) {
	benchBuiltin(b, "matches(string, string)", str("openai:gpt-4o-mini"), str(`^openai:gpt-4o(-mini)?$`))
}

func BenchmarkLowerUnchanged(b *testing.B) {
	benchBuiltin(b, "lower(string)", str("openai:gpt-4o-mini"))
}

func BenchmarkWeighted(b *testing.B) {
	benchBuiltin(b, keyWeighted, kv(b, str("openai:gpt-4o-mini"), vm.Int(70), str("anthropic:claude-haiku"), vm.Int(30)))
}

func BenchmarkArm(b *testing.B) {
	benchBuiltin(b, keyArm, str("summarizer-v2"), str("user-12345"), kv(b, str("control"), vm.Int(90), str("candidate"), vm.Int(10)))
}

// BenchmarkToFallback is to("a").fallback("b", on: [timeout], retries: 2),
// as the compiler emits it.
func BenchmarkToFallback(b *testing.B) {
	tab, err := Table()
	if err != nil {
		b.Fatal(err)
	}
	var a vm.Assembler
	a.Emit(vm.OpConst, 0)
	a.Emit(vm.OpCallBuiltin, 0, 1)
	a.Emit(vm.OpConst, 1)
	a.Emit(vm.OpConst, 2)
	a.Emit(vm.OpConst, 3)
	a.Emit(vm.OpNil)
	a.Emit(vm.OpCallBuiltin, 1, 5)
	a.Emit(vm.OpReturn)
	code, err := a.Code()
	if err != nil {
		b.Fatal(err)
	}
	p, err := vm.NewProgram(&vm.ProgramSpec{
		Functions: []vm.FunctionSpec{{Name: "main", File: "b.rpl", Code: code, Lines: []vm.LineEntry{{Line: 1, Col: 1}}}},
		Constants: []vm.Value{str("anthropic:claude-sonnet"), str("openai:gpt-4o"), strs("timeout"), vm.Int(2)},
		Builtins:  []string{keyTo, keyFallback},
		Entries:   map[string]int{"main": 0},
	}, tab)
	if err != nil {
		b.Fatal(err)
	}
	m := vm.NewMachine()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := m.Run(ctx, p, 0, nil, vm.Limits{}, vm.Input{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSortNested sorts 256 one-element lists under a deadline: each
// deep comparison is charged to the run (Call.Compare).
func BenchmarkSortNested(b *testing.B) {
	elems := make([]vm.Value, 256)
	for i := range elems {
		elems[i] = vm.NewList([]vm.Value{vm.Int(int64((i * 7919) % 256))})
	}
	p := program(b, "sort(list[T])", 1)
	m := vm.NewMachine()
	ctx := context.Background()
	args := []vm.Value{vm.NewList(elems)}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := m.Run(ctx, p, 0, args, vm.Limits{Deadline: time.Now().Add(time.Hour)}, vm.Input{}); err != nil {
			b.Fatal(err)
		}
	}
}
