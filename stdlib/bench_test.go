package stdlib

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

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

// BenchmarkMoneyFloat: money(float) reads the float's shortest decimal
// form, on the stack.
func BenchmarkMoneyFloat(b *testing.B) {
	benchBuiltin(b, "money(float)", vm.Float(-6.47605e-05))
}

// TestMoneyFloatNoAlloc: money(float) is on the decision path and
// allocates nothing (its digits were copied to the heap, 8 bytes a call).
func TestMoneyFloatNoAlloc(t *testing.T) {
	p := program(t, "money(float)", 1)
	m := vm.NewMachine()
	ctx := context.Background()
	for _, x := range []float64{-6.47605e-05, 1, 9.2e9, 0.0000000035, -12345678.123456789} {
		args := []vm.Value{vm.Float(x)}
		if n := testing.AllocsPerRun(50, func() {
			if _, _, err := m.Run(ctx, p, 0, args, vm.Limits{}, vm.Input{}); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("money(%v) allocates %v times a call", x, n)
		}
	}
}

// TestFloatOfMoneyNoAlloc: float(money) reads a big amount's digits on
// the stack.
func TestFloatOfMoneyNoAlloc(t *testing.T) {
	p := program(t, "float(money)", 1)
	m := vm.NewMachine()
	ctx := context.Background()
	for _, n := range []int64{math.MinInt64, 8_456_222_330_671_130_000, 1 << 53, 1} {
		args := []vm.Value{vm.Money(n)}
		if allocs := testing.AllocsPerRun(50, func() {
			if _, _, err := m.Run(ctx, p, 0, args, vm.Limits{}, vm.Input{}); err != nil {
				t.Fatal(err)
			}
		}); allocs != 0 {
			t.Errorf("float(%s) allocates %v times a call", vm.Money(n), allocs)
		}
	}
}

func BenchmarkFloatOfMoney(b *testing.B) {
	benchBuiltin(b, "float(money)", vm.Money(8_456_222_330_671_130_000))
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

// BenchmarkMatchesFuel runs matches on patterns of different shapes, each
// over 16 KB of input that keeps it busy (no match), and reports the time
// per fuel charged (ns/fuel): the charge tracks the work when that figure
// is about the same for every shape. The patterns are compiled (and
// cached) before the timing.
func BenchmarkMatchesFuel(b *testing.B) {
	// n distinct words of 6 letters, and text made of them.
	words := func(n int) []string {
		w := make([]string, n)
		x := uint32(1)
		for i := range w {
			var sb strings.Builder
			for range 6 {
				x = x*1103515245 + 12345
				sb.WriteByte(byte('a' + (x>>16)%26))
			}
			w[i] = sb.String()
		}
		return w
	}
	text := func(ws []string) string {
		j := strings.Join(ws, " ") + " "
		return strings.Repeat(j, 16<<10/len(j)+1)[:16<<10]
	}
	w10, w100, w1000 := words(10), words(100), words(1000)
	alt := func(ws []string) string { return "(?:" + strings.Join(ws, "|") + ")!" }
	for _, c := range []struct{ name, p, s string }{
		{"repeat1000", "a{1000}c", strings.Repeat("a", 16<<10)},
		{"repeat100", "a{100}c", strings.Repeat("a", 16<<10)},
		{"class", `[a-z]+@[a-z]+\.com`, text(w100)},
		{"nested", `(x+x+)+y`, strings.Repeat("x", 16<<10)},
		{"alt10", alt(w10), text(w10)},
		{"alt100", alt(w100), text(w100)},
		{"alt1000", alt(w1000), text(w1000)},
		{"altcap100", "(" + strings.Join(w100, "|") + ")!", text(w100)},
		{"altclass100", "(?:" + strings.Join(w100, "[a-z]|") + "[a-z])!", text(w100)},
		// Uncached (more than reCacheMaxSize instructions): compiled at
		// each call, on a short input.
		{"alt4000short", alt(words(4000)), "x"},
		{"repeat20000short", strings.Repeat("a{1000}", 20), "x"},
		{"alt100short", alt(w100), "x"},
		{"alt1000_64B", alt(w1000), text(w1000)[:64]},
		{"alt1000_1KB", alt(w1000), text(w1000)[:1024]},
		{"alt100_64B", alt(w100), text(w100)[:64]},
		{"repeat1000_64B", "a{1000}c", strings.Repeat("a", 64)},
	} {
		b.Run(c.name, func(b *testing.B) {
			benchFuel(b, "matches(string, string)", str(c.s), str(c.p))
		})
	}
}

// benchFuel runs the builtin key over args, and reports the fuel a call
// charges (fuel/op) and the time per fuel (ns/fuel).
func benchFuel(b *testing.B, key string, args ...vm.Value) {
	p := program(b, key, len(args))
	m := vm.NewMachine()
	ctx := context.Background()
	lim := vm.Limits{Fuel: math.MaxInt64, Memory: math.MaxInt64}
	_, st, err := m.Run(ctx, p, 0, args, lim, vm.Input{})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, _, err := m.Run(ctx, p, 0, args, lim, vm.Input{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(st.Fuel), "fuel/op")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(st.Fuel), "ns/fuel")
}

// BenchmarkSortFuel sorts lists of 10,000 ints, of strings and of
// one-element lists, shuffled, and reports the time per fuel charged
// (ns/fuel), to set against the other builtins' (BenchmarkMatchesFuel).
func BenchmarkSortFuel(b *testing.B) {
	const n = 10_000
	ints, strs, nested := make([]vm.Value, n), make([]vm.Value, n), make([]vm.Value, n)
	for i := range n {
		k := int64(i * 7919 % n)
		ints[i] = vm.Int(k)
		strs[i] = str(strings.Repeat("x", 24) + strconv.FormatInt(k, 10))
		nested[i] = vm.NewList([]vm.Value{vm.Int(k)})
	}
	for _, c := range []struct {
		name string
		xs   []vm.Value
	}{{"ints", ints}, {"strings", strs}, {"lists", nested}} {
		b.Run(c.name, func(b *testing.B) {
			benchFuel(b, "sort(list[T])", vm.NewList(c.xs))
		})
	}
}

// BenchmarkCaseFuel runs upper and lower (and, to set against them,
// replace and contains) over 16 KB of ASCII, of accented Latin, of Greek
// and Cyrillic, and of CJK text, and reports the time per fuel charged
// (ns/fuel), as BenchmarkMatchesFuel does.
func BenchmarkCaseFuel(b *testing.B) {
	fill := func(s string) string { return strings.Repeat(s, 16<<10/len(s)+1)[:16<<10] }
	texts := []struct{ name, s string }{
		{"ascii", fill("The Quick Brown Fox jumps over the lazy dog. ")},
		{"latin", fill("Ça été déjà là, Ångström Œuvre ÿ ß ")},
		{"greekcyrillic", fill("Αλφάβητο Ωμέγα Кириллица Привет ")},
		{"cjk", fill("漢字かなカナ한국어")},
	}
	for _, t := range texts {
		// Cut at a character's start: a cut character would be kept
		// as it is.
		for !utf8.ValidString(t.s) {
			t.s = t.s[:len(t.s)-1]
		}
		for _, c := range []struct {
			name, key string
			args      []vm.Value
		}{
			{"upper", "upper(string)", []vm.Value{str(t.s)}},
			{"lower", "lower(string)", []vm.Value{str(t.s)}},
			{"replace", "replace(string, string, string)", []vm.Value{str(t.s), str("o"), str("0")}},
			{"contains", "contains(string, string)", []vm.Value{str(t.s), str("zq")}},
		} {
			b.Run(c.name+"/"+t.name, func(b *testing.B) {
				benchFuel(b, c.key, c.args...)
			})
		}
	}
}

// BenchmarkJSONText is what json_get makes of a string or an object it
// returns: jsonText's two passes (the size, then the text), against
// json.Unmarshal and json.Compact, which it does not use (jsonText).
func BenchmarkJSONText(b *testing.B) {
	for _, c := range []struct{ name, raw string }{
		{"string", `"openai:gpt-4o-mini \u00e9t\u00e9 \ud83d\ude00 with a tab\t and more text to read"`},
		{"object", `{ "target": "openai:gpt-4o-mini", "weights": [ 1, 2, 3 ], "meta": { "a": "b c" } }`},
	} {
		b.Run(c.name+"/jsonText", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var size jsonOut
				jsonText(c.raw, &size)
				out := jsonOut{b: make([]byte, 0, size.n), write: true}
				jsonText(c.raw, &out)
			}
		})
		b.Run(c.name+"/encoding_json", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if c.raw[0] == '"' {
					var s string
					if err := json.Unmarshal([]byte(c.raw), &s); err != nil {
						b.Fatal(err)
					}
					continue
				}
				var buf bytes.Buffer
				if err := json.Compact(&buf, []byte(c.raw)); err != nil {
					b.Fatal(err)
				}
				_ = buf.String()
			}
		})
	}
}

// splitOf is a split of n targets "p<i>:model-<i>" (in an order that is
// not ascending) of weights 5, 6, ….
func splitOf(t testing.TB, n int) vm.Value {
	var kvs []vm.Value
	for i := n - 1; i >= 0; i-- {
		kvs = append(kvs, str("p"+strconv.Itoa(i%7)+":model-"+strconv.Itoa(i)), vm.Int(int64(5+i)))
	}
	return kv(t, kvs...)
}

// constProgram is a program whose main calls the builtin key on args,
// its constants (CONST), as a policy's weighted(split) of a const split
// runs.
func constProgram(t testing.TB, key string, args ...vm.Value) *vm.Program {
	t.Helper()
	var a vm.Assembler
	for i := range args {
		a.Emit(vm.OpConst, i)
	}
	a.Emit(vm.OpCallBuiltin, 0, len(args))
	a.Emit(vm.OpReturn)
	return mainProgram(t, &a, args, key)
}

// mainProgram is the program whose main is a's code, with consts and
// builtins (the table's).
func mainProgram(t testing.TB, a *vm.Assembler, consts []vm.Value, builtins ...string) *vm.Program {
	t.Helper()
	tab, err := Table()
	if err != nil {
		t.Fatal(err)
	}
	code, err := a.Code()
	if err != nil {
		t.Fatal(err)
	}
	p, err := vm.NewProgram(&vm.ProgramSpec{
		Functions: []vm.FunctionSpec{{Name: "main", File: "test.rpl", Code: code,
			Lines: []vm.LineEntry{{PC: 0, Line: 1, Col: 1}}}},
		Constants: consts,
		Builtins:  builtins,
		Entries:   map[string]int{"main": 0},
	}, tab)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// arenaRun runs p's main with a seed in an arena reset before each run,
// as a router decides, and fails t if the run fails.
func arenaRun(t testing.TB, p *vm.Program) func(seed uint64) {
	m := vm.NewMachine()
	var arena vm.Arena
	return func(seed uint64) {
		arena.Reset()
		if _, _, err := m.Run(context.Background(), p, 0, nil, vm.Limits{}, vm.Input{Seed: seed, Arena: &arena}); err != nil {
			t.Fatal(err)
		}
	}
}

// BenchmarkWeightedConst is weighted(split) of a constant split of 3, 20
// and 200 targets, in an arena reset between runs, as a router decides.
func BenchmarkWeightedConst(b *testing.B) {
	for _, n := range []int{3, 20, 200} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			run := arenaRun(b, constProgram(b, keyWeighted, splitOf(b, n)))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				run(uint64(i))
			}
		})
	}
}

// tagsProgram is to("openai:gpt-4o").tag("k00", "v00")…, n tags, as a
// policy's chain of tags runs.
func tagsProgram(t testing.TB, n int) *vm.Program {
	t.Helper()
	consts := []vm.Value{str("openai:gpt-4o")}
	var a vm.Assembler
	a.Emit(vm.OpConst, 0)
	a.Emit(vm.OpCallBuiltin, 0, 1)
	for i := range n {
		consts = append(consts, str(fmt.Sprintf("k%02d", i)), str(fmt.Sprintf("v%02d", i)))
		a.Emit(vm.OpConst, len(consts)-2)
		a.Emit(vm.OpConst, len(consts)-1)
		a.Emit(vm.OpCallBuiltin, 1, 3)
	}
	a.Emit(vm.OpReturn)
	return mainProgram(t, &a, consts, keyTo, keyTag)
}

// BenchmarkTags is a chain of 8, 16 and 32 tags on a decision, in an
// arena reset between runs, as a router decides.
func BenchmarkTags(b *testing.B) {
	for _, n := range []int{8, 16, 32} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			run := arenaRun(b, tagsProgram(b, n))
			b.ReportAllocs()
			for b.Loop() {
				run(0)
			}
		})
	}
}

// TestTagsNoAlloc: a chain of 16 and 32 tags in a warm arena takes
// nothing from the Go heap (each tags map of more than 8 keys built a Go
// map for its index: 16 tags took 32 allocations).
func TestTagsNoAlloc(t *testing.T) {
	for _, n := range []int{16, 32} {
		run := arenaRun(t, tagsProgram(t, n))
		run(0)
		if allocs := testing.AllocsPerRun(20, func() { run(0) }); allocs != 0 {
			t.Errorf("%d tags: %v allocations a run", n, allocs)
		}
	}
}
