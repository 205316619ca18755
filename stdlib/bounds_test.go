package stdlib

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"regexp"
	"regexp/syntax"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/internal/jsonx"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/vm"
)

// TestMatchesChargesProgramSize: matches charges the size of the pattern's
// program times the bytes of s (a{1000}c over 128 KB ran 3.6 s on 37k fuel
// when only the bytes were charged); here 16 KB would be 0.25 s on 4k.
func TestMatchesChargesProgramSize(t *testing.T) {
	s := str(strings.Repeat("a", 16<<10))
	_, st, err := env{lim: vm.Limits{Fuel: 10000}}.call(t, "matches(string, string)", s, str("a{1000}c"))
	wantCode(t, err, vm.CodeFuelExhausted)
	// The charge is the same for a cached pattern (replays), and small
	// for a small pattern and string.
	for range 2 {
		_, st, err = env{}.call(t, "matches(string, string)", str("gpt-4o-mini"), str(`^gpt-4o(-mini)?$`))
		if err != nil {
			t.Fatal(err)
		}
		if st.Fuel < 20 || st.Fuel > 40*reCompileFuel {
			t.Errorf("fuel %d", st.Fuel)
		}
	}
}

// TestMatchesChargesCompiling: matches charges reCompileFuel for each
// instruction of the program it compiles, cached or not, for any shape:
// compiling takes 0.4 to 1.7 µs an instruction (BenchmarkMatchesFuel), and
// at 1 fuel an instruction a 4,000-word alternation, too large for the
// cache and so compiled at each call, took 60 to 130 ms on a short string
// for 42,286 fuel.
func TestMatchesChargesCompiling(t *testing.T) {
	words := make([]string, 4000)
	for i := range words {
		words[i] = fmt.Sprintf("w%05dq", i*7919%100000)
	}
	for _, p := range []string{
		"(?:" + strings.Join(words, "|") + ")!",
		strings.Repeat("[a-z]{1000}", 8),
		`^gpt-4o(-mini)?$`,
	} {
		tree, err := syntax.Parse(p, syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		prog, err := syntax.Compile(tree.Simplify())
		if err != nil {
			t.Fatal(err)
		}
		want := reCompileFuel * int64(len(prog.Inst))
		for range 2 { // compiled, then cached when small
			_, st, err := env{lim: vm.Limits{Fuel: math.MaxInt64, Memory: math.MaxInt64}}.call(t, "matches(string, string)", str("x"), str(p))
			if err != nil || st.Fuel < want {
				t.Errorf("matches(\"x\", %.20q) of %d instructions: %d fuel, %v; want %d at least", p, len(prog.Inst), st.Fuel, err, want)
			}
		}
		_, _, err = env{lim: vm.Limits{Fuel: want / 2, Memory: math.MaxInt64}}.call(t, "matches(string, string)", str("x"), str(p))
		wantCode(t, err, vm.CodeFuelExhausted)
	}
}

// TestMatchesChargesProgramMemory: a pattern whose program has more than
// reCacheMaxSize instructions is charged to the run's memory, 48 bytes an
// instruction, before it is compiled, and is not cached: a 6 KB pattern
// compiled to 43 MB that no limit counted and the cache kept.
func TestMatchesChargesProgramMemory(t *testing.T) {
	p := strings.Repeat("a{1000}", 20) // 20,000 instructions (reSize 40,000): 1.9 MB
	_, _, err := env{lim: vm.Limits{Memory: 1 << 20, Fuel: math.MaxInt64}}.call(t, "matches(string, string)", str("x"), str(p))
	wantCode(t, err, vm.CodeMemoryExhausted)
	for range 2 { // the same charge once it could have been cached
		_, st, err := env{lim: vm.Limits{Fuel: math.MaxInt64}}.call(t, "matches(string, string)", str("x"), str(p))
		if err != nil {
			t.Fatal(err)
		}
		if want := int64(20_000 * reInstBytes); st.Memory < want {
			t.Errorf("memory %d, want %d at least", st.Memory, want)
		}
	}
	if m := reCache.m.Load(); m != nil && (*m)[p] != nil {
		t.Error("a program of 20,000 instructions is cached")
	}
	// A small pattern costs no memory.
	if _, st, err := (env{}).call(t, "matches(string, string)", str("x"), str("^x+$")); err != nil || st.Memory != 0 {
		t.Errorf("matches of a small pattern: memory %d, %v", st.Memory, err)
	}
}

// TestRegexpCacheBytes: the cache keeps at most reCacheMaxBytes of
// patterns and programs, however many it may hold: 1024 programs of up
// to reCacheMaxSize instructions would be 800 MB.
func TestRegexpCacheBytes(t *testing.T) {
	empty := func() { // before and after: the cache it fills is the process's
		reCache.mu.Lock()
		reCache.m.Store(nil)
		reCache.bytes = 0
		reCache.mu.Unlock()
	}
	empty()
	t.Cleanup(empty)
	big := strings.Repeat("a{1000}", 7) // reSize about 14,000: 670 KB
	for i := range 60 {
		if _, err := compileRE(big + strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	var sum int64
	m := *reCache.m.Load()
	for p, re := range m {
		sum += reBytes(p, re.size)
	}
	if sum > reCacheMaxBytes || len(m) == 0 {
		t.Errorf("cache holds %d patterns of %d bytes, cap %d", len(m), sum, reCacheMaxBytes)
	}
}

// TestBuildersChargeCopies: fallback, pre, validate and post copy the
// decision's list they add to, and charge 1 fuel per 8 of its elements:
// they charged nothing for it, so adding to a decision in a loop copied
// n²/2 elements for 2 fuel a call.
func TestBuildersChargeCopies(t *testing.T) {
	const n = 100_000
	fb := record(t, "Fallback", map[string]vm.Value{"target": str("b"), "on": strs("any_error")})
	long := func(x vm.Value) vm.Value {
		xs := make([]vm.Value, n)
		for i := range xs {
			xs[i] = x
		}
		return vm.NewList(xs)
	}
	for _, c := range []struct {
		key, field string
		args       []vm.Value
		elem       vm.Value
	}{
		{keyFallback, "fallbacks", args(str("c"), vm.Nil(), vm.Nil(), vm.Nil()), fb},
		{"pre(Decision, string)", "pre", args(str("x")), str("x")},
		{"validate(Decision, string)", "validators", args(str("x")), str("x")},
		{"post(Decision, string)", "post", args(str("x")), str("x")},
	} {
		d := record(t, "Decision", map[string]vm.Value{"target": str("a"), c.field: long(c.elem)})
		a := append([]vm.Value{d}, c.args...)
		_, _, err := env{lim: vm.Limits{Fuel: 1000}}.call(t, c.key, a...)
		if err == nil {
			t.Errorf("%s of a decision with %d %s: no error on 1000 fuel", c.key, n, c.field)
			continue
		}
		wantCode(t, err, vm.CodeFuelExhausted)
		if v, st, err := (env{}).call(t, c.key, a...); err != nil || len(dfield(t, v, c.field).List()) != n+1 || st.Fuel < n/8 {
			t.Errorf("%s: %d fuel, %v", c.key, st.Fuel, err)
		}
	}
}

// TestConstMatchesParsesOnly: the check of a constant pattern (RPL326)
// parses it and does not compile it, which made the checker allocate
// 248 MB here (a program of a million instructions) at every check of
// the file; it refuses what the run refuses all the same.
func TestConstMatchesParsesOnly(t *testing.T) {
	p := strings.Repeat(`\pL{1000}`, 1000)
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	i, why := constMatches([]lang.ConstValue{"x", p})
	runtime.ReadMemStats(&m1)
	if i >= 0 {
		t.Fatal(why)
	}
	if d := m1.TotalAlloc - m0.TotalAlloc; d > 48<<20 { // compiled: 248 MB
		t.Errorf("checking a pattern of a million instructions allocated %d MB", d>>20)
	}
	// Nor does it parse a pattern whose classes cost more than a run's
	// default fuel to parse (seconds here, without a warning to give).
	heavy := strings.Repeat(`(?i)[\x{100}-\x{1e943}]`, 2000) + "("
	runtime.ReadMemStats(&m0)
	i, why = constMatches([]lang.ConstValue{"x", heavy})
	runtime.ReadMemStats(&m1)
	if d := m1.TotalAlloc - m0.TotalAlloc; i >= 0 || d > 1<<20 {
		t.Errorf("checking a pattern of 2000 folded ranges: %d %q, allocated %d KB", i, why, d>>10)
	}
	for _, bad := range []string{p + "(", `\8`, "a**", "x{1001}", strings.Repeat("(?:a{1000})", 4000)} {
		_, _, err := (env{}).call(t, "matches(string, string)", str("x"), str(bad))
		i, why := constMatches([]lang.ConstValue{"x", bad})
		if err == nil || i != 1 || !strings.HasSuffix(err.Error(), why) {
			t.Errorf("matches(\"x\", %.20q): run %v, check %d %q", bad, err, i, why)
		}
	}
}

// TestMatchesChargesUnicodeClasses: matches charges the Unicode classes
// of its pattern (\pL, \p{Greek}) by the size of their tables, before
// it parses the pattern, the same whether it is cached or not: they
// cost what their bytes do, and [\pL\pN] 3000 times (24 KB) ran 0.7 s
// on 9,016 fuel.
func TestMatchesChargesUnicodeClasses(t *testing.T) {
	p := strings.Repeat(`[\pL\pN]`, 3000)
	_, _, err := env{lim: vm.Limits{Fuel: 100_000}}.call(t, "matches(string, string)", str("x"), str(p))
	wantCode(t, err, vm.CodeFuelExhausted)
	for _, c := range []struct {
		p        string
		min, max int64 // the fuel of its classes
	}{
		{`\pL`, 187, 187}, // as the doc says
		{`\p{Greek}`, 10, 10},
		{`^\pL+$`, 150, 200},
		{`^\p{L}+$`, 150, 200},
		{`^\PL+$`, 150, 200},
		{`^\p{^Greek}+$`, 5, 20},
		{`^\\pL+$`, 0, 0}, // a backslash, then pL
		{`^\p{Nope}+$`, 0, 1},
		{`^\p{` + strings.Repeat("x", 1000), 0, 1},
	} {
		if f := classFuel(c.p); f < c.min || f > c.max {
			t.Errorf("classFuel(%.20q) = %d, want %d to %d", c.p, f, c.min, c.max)
		}
	}
	// The same fuel for a pattern parsed and one found in the cache.
	var fuel []int64
	for range 2 {
		_, st, err := env{}.call(t, "matches(string, string)", str("abc"), str(`^\pL+\p{Greek}*$`))
		if err != nil {
			t.Fatal(err)
		}
		fuel = append(fuel, st.Fuel)
	}
	if fuel[0] != fuel[1] || fuel[0] < 150 {
		t.Errorf("matches of a pattern with \\pL: fuel %v", fuel)
	}
}

// TestMatchesChargesCaseFolding: with case folding, matches charges the
// runes its classes' ranges fold one by one, before it parses the
// pattern: (?i)[\x{100}-\x{1e943}] 2000 times (46 KB) ran 13.9 s on
// 8,892 fuel.
func TestMatchesChargesCaseFolding(t *testing.T) {
	p := strings.Repeat(`(?i)[\x{100}-\x{1e943}]`, 20)
	_, _, err := env{lim: vm.Limits{Fuel: 100_000}}.call(t, "matches(string, string)", str("x"), str(p))
	wantCode(t, err, vm.CodeFuelExhausted)
	all := int64(maxFold-minFold+1) >> 3
	for _, c := range []struct {
		p    string
		want int64
	}{
		{`(?i)[a-z]`, 26 >> 3},
		{`[a-z]`, 0},
		{`(?i:x)[a-z0-9]`, 26 >> 3},
		{`(?i)[\x41-\x5a][\101-\132]`, 52 >> 3},
		{`(?i)[A-\x{1e943}]`, 0}, // every rune that folds: not walked
		{`(?i)[\x{100}-\x{1e943}]`, (maxFold - 0x100 + 1) >> 3},
		{`(?i)[\x{1f000}-\x{10ffff}]`, 0},
		{`(?i)[^\x{100}-\x{1e943}]`, (maxFold - 0x100 + 1) >> 3},
		{`(?i)[]a-z]`, 26 >> 3},
		{`(?i)[[:alpha:]a-z]`, 26 >> 3},
		{`(?i)\[a-z]`, 0},
		{`(?i)[\d-z]`, all},
		{`(?i)[a-\x{`, all},
		{`(?i)[\pL-z]`, all},
	} {
		if got := foldFuel(c.p); got != c.want {
			t.Errorf("foldFuel(%q) = %d, want %d", c.p, got, c.want)
		}
	}
	// The same fuel for a pattern parsed and one found in the cache.
	var fuel []int64
	for range 2 {
		_, st, err := env{}.call(t, "matches(string, string)", str("abc"), str(`(?i)^[\x{100}-\x{2000}]+$`))
		if err != nil {
			t.Fatal(err)
		}
		fuel = append(fuel, st.Fuel)
	}
	if fuel[0] != fuel[1] || fuel[0] < (0x2000-0x100)>>3 {
		t.Errorf("matches of a folded range: fuel %v", fuel)
	}
}

// TestReSize: the estimate of a program's size is close to what
// regexp/syntax compiles, counted repeats included.
func TestReSize(t *testing.T) {
	for _, p := range []string{"a", "^gpt-4o(-mini)?$", "a{1000}c", "(?:ab|cd){3,5}x*", `[a-z]+@[a-z]+\.com`, "(x+x+)+y", "a{2,}", `\pL{500}`, "(?i)hello world"} {
		tree, err := syntax.Parse(p, syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		prog, err := syntax.Compile(tree.Simplify())
		if err != nil {
			t.Fatal(err)
		}
		got, want := reSize(tree)+2, int64(len(prog.Inst))
		if got < want/2 || got > 2*want+4 {
			t.Errorf("%s: reSize %d, program %d", p, got, want)
		}
	}
}

// TestJSONGetDeepPath: json_get follows a path as deep as the document
// (BenchmarkJSONGetDeepPath times it: it parsed what was left of the
// document at every segment, and a 20 KB document with a 9989-segment
// path ran 8.7 s on 6,269 fuel).
func TestJSONGetDeepPath(t *testing.T) {
	doc, path := deepJSON(3000)
	v, _, err := env{}.call(t, "json_get(string, string)", str(doc), str(path))
	if err != nil || v.Str() != "[]" {
		t.Fatalf("%v, %v", v, err)
	}
	// Deeper than encoding/json reads: not JSON.
	deep := strings.Repeat("[", 10001) + strings.Repeat("]", 10001)
	if v := mustCall(t, "json_get(string, string)", str(deep), str("0")); !v.IsNil() {
		t.Errorf("%v", v)
	}
}

// TestJSONGetAsDecoding: json_get finds what decoding the document level
// by level finds (the implementation before the one-pass scan).
func TestJSONGetAsDecoding(t *testing.T) {
	docs := []string{
		`{"a": {"b": [10, {"c": "x\u00e9"}, true, null, 1.5e3]}, "s": "q", "o": {"k": [1, 2]}}`,
		` { "a" : 1 , "a" : { "b" : 2 } } `,
		`{"a": {"b": 2}, "a": 1}`,
		`{"": {"": 3}, "x.y": 4, "k\u0041": 5, "\u00e9": 6, "\ud800": 7}`,
		`{"\u0062c": 1, "b\u0064": 2, "\u00e9\u00e9": 3, "\/": 4, "\u00e9": 5, "k\u0041": 6, "\u0062c": 7}`,
		"{\"\xff\": 1, \"\xef\xbf\xbd\": 2, \"b\\u0063\xff\": 3}",
		`[[], {}, [[1]], "s", -0.5e-3, false]`,
		`{"a": [1, 2, 3], "b": "[1]"}`,
		`"\\ \" \/ \b \f \n \r \t \u0041 \u00e9 \u20AC \ud83d\ude00 \ud800 \udc00 \ud800\u0041 \ud800\ud800 \ud83d\uDE00x"`,
		"[\"\xff\xc3 \xe2\x82 \xed\xa0\x80 \u00e9\", \" \\\" x\\\\\" , \"\\t\"]",
		`  "just a string"  `, `12`, `null`, `[1, 2`, `{"a": 1} x`, `{"a": 1,}`, ``, `   `,
	}
	paths := []string{"", "a", "a.b", "a.b.0", "a.b.1.c", "a.b.4", "a.b.3", "a.b.9", "s", "s.t", "o", "o.k.1",
		".", "..", "x.y", "x", "kA", "é", "\ufffd", "0", "1", "2", "2.0", "2.0.0", "3", "4", "5", "6", "-1", "+1", "01", "a.", ".a", "b", "b.0",
		"bc", "bd", "éé", "/", "bc\ufffd", "\xff"}
	for _, d := range docs {
		for _, p := range paths {
			got, err := call(t, "json_get(string, string)", str(d), str(p))
			if err != nil {
				t.Fatal(err)
			}
			want := jsonGetDecoding(d, p)
			if got.Literal() != want.Literal() {
				t.Errorf("json_get(%q, %q) = %v, decoding finds %v", d, p, got, want)
			}
		}
	}
}

// jsonGetDecoding is json_get as it was: decode the rest of the document
// at each segment.
//
// jsonSpace is JSON's white space (bytes.TrimSpace trims U+00A0 too).
const jsonSpace = " \t\r\n"

func jsonGetDecoding(doc, path string) vm.Value {
	if i, _, _ := jsonx.Unreadable([]byte(doc)); i >= 0 {
		return vm.Nil() // not JSON as the router reads it
	}
	raw := json.RawMessage(doc)
	if path != "" {
		for seg := range strings.SplitSeq(path, ".") {
			raw = bytes.Trim(raw, jsonSpace)
			if len(raw) == 0 {
				return vm.Nil()
			}
			switch raw[0] {
			case '{':
				var obj map[string]json.RawMessage
				if json.Unmarshal(raw, &obj) != nil {
					return vm.Nil()
				}
				next, ok := obj[seg]
				if !ok {
					return vm.Nil()
				}
				raw = next
			case '[':
				i, err := strconv.Atoi(seg)
				if err != nil || i < 0 || strconv.Itoa(i) != seg { // canonical indexes only
					return vm.Nil()
				}
				var arr []json.RawMessage
				if json.Unmarshal(raw, &arr) != nil || i >= len(arr) {
					return vm.Nil()
				}
				raw = arr[i]
			default:
				return vm.Nil()
			}
		}
	}
	raw = bytes.Trim(raw, jsonSpace)
	if len(raw) == 0 || !json.Valid(raw) {
		return vm.Nil()
	}
	switch raw[0] {
	case 'n':
		return vm.Nil()
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return vm.Nil()
		}
		return vm.Str(s)
	case '{', '[':
		var b bytes.Buffer
		if json.Compact(&b, raw) != nil {
			return vm.Nil()
		}
		return vm.Str(b.String())
	}
	return vm.Str(string(raw))
}

// deepJSON returns n nested lists and the path to the innermost one.
func deepJSON(n int) (doc, path string) {
	return strings.Repeat("[", n) + strings.Repeat("]", n), strings.TrimSuffix(strings.Repeat("0.", n-1), ".")
}

// BenchmarkJSONGetDeepPath: a 3000-level path through a 6 KB document
// (0.5–0.8 s when each segment re-parsed the rest).
func BenchmarkJSONGetDeepPath(b *testing.B) {
	doc, path := deepJSON(3000)
	for b.Loop() {
		if v, _, err := (env{}).call(b, "json_get(string, string)", str(doc), str(path)); err != nil || v.Str() != "[]" {
			b.Fatalf("%v, %v", v, err)
		}
	}
}

// nest returns 10 references to a list of 10 references … (levels deep)
// to 1: 10^levels leaves, each level built anew (two nests are equal, not
// the same lists).
func nest(levels int) vm.Value {
	v := vm.Int(1)
	for range levels {
		xs := make([]vm.Value, 10)
		for i := range xs {
			xs[i] = v
		}
		v = vm.NewList(xs)
	}
	return v
}

// TestNestedCompareCharges: contains and sort charge what comparing nested
// lists walks, as == does, so that a limit stops them: they compared with
// vm.Equal and vm.Compare, 1 fuel for any size (two equal nests of 10^6
// leaves: a second of work on a handful of fuel).
func TestNestedCompareCharges(t *testing.T) {
	lim := env{lim: vm.Limits{Fuel: 10000}}
	_, _, err := lim.call(t, "contains(list[T], T)", vm.NewList([]vm.Value{nest(6)}), nest(6))
	wantCode(t, err, vm.CodeFuelExhausted)
	_, _, err = lim.call(t, "sort(list[T])", vm.NewList([]vm.Value{nest(6), nest(6)}))
	wantCode(t, err, vm.CodeFuelExhausted)
	// Small values are compared as before.
	if v := mustCall(t, "contains(list[T], T)", vm.NewList([]vm.Value{nest(1), nest(2)}), nest(2)); !v.Bool() {
		t.Error("contains: nest(2) not found")
	}
	if v := mustCall(t, "sort(list[T])", vm.NewList([]vm.Value{vm.NewList([]vm.Value{vm.Int(2)}), vm.NewList([]vm.Value{vm.Int(1)})})); v.String() != "[[1], [2]]" {
		t.Errorf("sort: %v", v)
	}
}

// TestStringMapAscending: string() writes a map's keys in ascending
// order, as the language iterates maps, so equal maps built in different
// orders (tags added z then a) give the same text (they gave
// {"z": "1", "a": "2"} and {"a": "2", "z": "1"}).
func TestStringMapAscending(t *testing.T) {
	za, _ := vm.NewMap([]vm.Value{str("z"), str("a")}, []vm.Value{str("1"), str("2")})
	az, _ := vm.NewMap([]vm.Value{str("a"), str("z")}, []vm.Value{str("2"), str("1")})
	s1, s2 := mustCall(t, "string(T)", za), mustCall(t, "string(T)", az)
	if s1.Str() != `{"a": "2", "z": "1"}` || s2.Str() != s1.Str() {
		t.Errorf("string: %s and %s", s1.Str(), s2.Str())
	}
}

// TestJSONGetIndexCanonical: only a canonical decimal indexes an array
// ("01" and "+1" read [10, 20][1]).
func TestJSONGetIndexCanonical(t *testing.T) {
	doc := str(`[10, 20]`)
	for path, want := range map[string]string{"1": "20", "0": "10", "01": "none", "+1": "none", "-0": "none", "1.": "none"} {
		v := mustCall(t, "json_get(string, string)", doc, str(path))
		if got := map[bool]string{true: "none", false: v.Str()}[v.IsNil()]; got != want {
			t.Errorf("json_get(%s, %q) = %s, want %s", doc, path, got, want)
		}
	}
}

// TestStringShapes: string's hidden argument, the shape of its argument's
// type that the compiler passes, names a record's fields and writes enum
// members bare. A shape that is malformed (a program may hold any
// constant there) or does not fit the value is passed over: the value is
// written as without one, and the run does not fail. The memory charged
// covers the names written.
func TestStringShapes(t *testing.T) {
	rec := vm.NewRecord([]vm.Value{list(str("timeout")), vm.Int(2)})
	enum := vm.EnumShape()
	good := vm.RecordShape([]string{"on", "times"}, []vm.Value{vm.ListShape(enum), vm.Nil()})
	if got := mustCall(t, "string(T)", rec, good).Str(); got != `{on: [timeout], times: 2}` {
		t.Errorf("shaped: %s", got)
	}
	const plain = `{["timeout"], 2}`
	for _, shape := range []vm.Value{
		vm.Nil(), vm.Int(3), str("record"), list(),
		list(str("record")),
		list(str("record"), list(vm.Int(1), vm.Int(2)), list(vm.Nil(), vm.Nil())), // names not strings
		list(str("record"), list(str("a")), list(vm.Nil(), vm.Nil())),             // names and fields differ
		vm.RecordShape([]string{"a", "b", "c"}, []vm.Value{vm.Nil(), vm.Nil(), vm.Nil()}),
		list(str("list")), list(str("map"), vm.Nil()), list(str("enum"), list(vm.Int(1))),
		vm.MapShape(vm.Nil(), enum), vm.ListShape(enum), enum,
	} {
		if got := mustCall(t, "string(T)", rec, shape).Str(); got != plain {
			t.Errorf("shape %s: %s, want %s", shape, got, plain)
		}
	}
	// Field shapes that do not fit are passed over field by field.
	odd := vm.RecordShape([]string{"on", "times"}, []vm.Value{vm.Int(7), enum})
	if got := mustCall(t, "string(T)", rec, odd).Str(); got != `{on: ["timeout"], times: 2}` {
		t.Errorf("odd field shapes: %s", got)
	}
	// A string that is no name is quoted under an enum's shape.
	if got := mustCall(t, "string(T)", list(str("timeout"), str("a b"), str("")), vm.ListShape(enum)).Str(); got != `[timeout, "a b", ""]` {
		t.Errorf("enum shape: %s", got)
	}
	// A shape far larger than the value costs what the value does: a
	// record shape of 200,000 names does not fit a record of 2 slots,
	// which is found without reading them (it took seconds, uncharged).
	huge := make([]string, 200_000)
	for i := range huge {
		huge[i] = "f"
	}
	recs := make([]vm.Value, 20_000)
	for i := range recs {
		recs[i] = rec
	}
	if _, st, err := (env{lim: vm.Limits{Fuel: 1_000_000}}).call(t, "string(T)", vm.NewList(recs), vm.ListShape(vm.RecordShape(huge, make([]vm.Value, len(huge))))); err != nil || st.Fuel > 200_000 {
		t.Errorf("a huge shape: fuel %d, %v", st.Fuel, err)
	}
	name := strings.Repeat("n", 5000)
	v, st, err := env{}.call(t, "string(T)", rec, vm.RecordShape([]string{name, "times"}, []vm.Value{vm.Nil(), vm.Nil()}))
	if err != nil || !strings.HasPrefix(v.Str(), "{"+name+": ") || st.Memory < int64(len(v.Str())) {
		t.Errorf("a long field name: %.20s…, memory %d, %v", v.Str(), st.Memory, err)
	}
	if _, _, err := (env{lim: vm.Limits{Memory: 4096}}).call(t, "string(T)", rec, vm.RecordShape([]string{name, "times"}, []vm.Value{vm.Nil(), vm.Nil()})); err == nil {
		t.Error("a long field name under a small memory limit: no error")
	} else {
		wantCode(t, err, vm.CodeMemoryExhausted)
	}
}

// BenchmarkSubstringSearch is contains, replace and split of a 2 MB
// periodic string and a 1 MB pattern that almost occurs in it: the worst
// case of strings.Index for long patterns (len(s)·len(pattern)/16 byte
// comparisons: replace took 2.8 s and split 5.2 s on ~196k fuel), which
// Knuth–Morris–Pratt makes linear (TestFinder checks its answers).
func BenchmarkSubstringSearch(b *testing.B) {
	unit := "a" + strings.Repeat("b", 15)
	s := strings.Repeat(unit, (2<<20)/16)
	sub := strings.Repeat(unit, (1<<20)/16) + "x"
	lim := vm.Limits{Fuel: 1 << 30, Memory: 1 << 30}
	for _, c := range []struct {
		key  string
		args []vm.Value
	}{
		{"contains(string, string)", args(str(s), str(sub))},
		{"replace(string, string, string)", args(str(s), str(sub), str("y"))},
		{"split(string, string)", args(str(s), str(sub))},
	} {
		b.Run(strings.Fields(strings.ReplaceAll(c.key, "(", " "))[0], func(b *testing.B) {
			for b.Loop() {
				if _, _, err := (env{lim: lim}).call(b, c.key, c.args...); err != nil {
					b.Fatalf("%s: %v", c.key, err)
				}
			}
		})
	}
}

// TestSearchBuiltins: contains, replace and split, which search with
// vm.Finder (its TestFinder checks the search itself), answer as the
// strings package does, for patterns short and long (over 64 bytes,
// searched another way), found, not found, and overlapping.
func TestSearchBuiltins(t *testing.T) {
	unit := "a" + strings.Repeat("b", 15)
	long := strings.Repeat(unit, 8)
	for _, c := range []struct{ s, p string }{
		{"a,b,,c", ","},
		{"aaaa", "aa"},
		{"abc", "x"},
		{long + "x" + long + long, long},
		{long + long, long + "x"},
		{strings.Repeat(long, 5), long + long},
		{long[1:] + long, long},
	} {
		if got, want := mustCall(t, "contains(string, string)", str(c.s), str(c.p)).Bool(), strings.Contains(c.s, c.p); got != want {
			t.Errorf("contains(%q, %q) = %v, want %v", c.s, c.p, got, want)
		}
		if got, want := mustCall(t, "replace(string, string, string)", str(c.s), str(c.p), str("<>")).Str(), strings.ReplaceAll(c.s, c.p, "<>"); got != want {
			t.Errorf("replace(%q, %q) = %q, want %q", c.s, c.p, got, want)
		}
		got := mustCall(t, "split(string, string)", str(c.s), str(c.p))
		if want := strings.Split(c.s, c.p); !vm.Equal(got, strs(want...)) {
			t.Errorf("split(%q, %q) = %v, want %q", c.s, c.p, got, want)
		}
	}
}

// TestSearchChargesPattern: contains, replace and split charge the
// bytes of the pattern they search for as well as those of s: a Finder
// of a long pattern reads all of it before the search, even when s is
// shorter (replace and split of "x" and an 8 MB pattern ran 150 ms on
// 8 fuel).
func TestSearchChargesPattern(t *testing.T) {
	long := str(strings.Repeat("ab", 1<<19)) // 1 MiB
	for _, c := range []struct {
		key  string
		args []vm.Value
		want vm.Value
	}{
		{"contains(string, string)", args(str("x"), long), vm.Bool(false)},
		{"replace(string, string, string)", args(str("x"), long, str("")), str("x")},
		{"split(string, string)", args(str("x"), long), strs("x")},
	} {
		_, _, err := env{lim: vm.Limits{Fuel: 1000}}.call(t, c.key, c.args...)
		if err == nil {
			t.Errorf("%s of \"x\" and a 1 MiB pattern: no error on 1000 fuel", c.key)
			continue
		}
		wantCode(t, err, vm.CodeFuelExhausted)
		if v, st, err := (env{}).call(t, c.key, c.args...); err != nil || !vm.Equal(v, c.want) || st.Fuel < 1<<16 {
			t.Errorf("%s: %v, %d fuel, %v; want %v, %d fuel at least", c.key, v, st.Fuel, err, c.want, 1<<16)
		}
	}
}

// TestGetChargesKey: get charges finding its key as m[key] does, 1 fuel
// per 64 bytes of a string key (it charged nothing for hashing a 1 MB
// key).
func TestGetChargesKey(t *testing.T) {
	key := strings.Repeat("k", 1<<20)
	m := kv(t, str(key), vm.Int(1))
	for _, k := range []vm.Value{str(key), str(strings.Repeat("q", 1<<20))} {
		_, small, err := env{}.call(t, "get(map[K, V], K, V)", m, str("k"), vm.Int(0))
		if err != nil {
			t.Fatal(err)
		}
		_, st, err := env{}.call(t, "get(map[K, V], K, V)", m, k, vm.Int(0))
		if err != nil {
			t.Fatal(err)
		}
		if want := small.Fuel + vm.KeyFuel(k); st.Fuel != want {
			t.Errorf("get with a 1 MB key: fuel %d, want %d", st.Fuel, want)
		}
	}
}

// keys and values order a map's keys: the comparisons that check or sort
// the order cost the bytes they compare (their common prefix, 1 per 64
// bytes), as sort's do. Before, only their number was charged: 64 keys
// of 4 KiB sharing 4000 bytes cost 59 fuel, sorted or not.
func TestKeysChargeKeyBytes(t *testing.T) {
	const n = 64
	prefix := strings.Repeat("p", 4000)
	for _, desc := range []bool{false, true} {
		var kvs []vm.Value
		for i := range n {
			j := i
			if desc {
				j = n - 1 - i
			}
			kvs = append(kvs, str(fmt.Sprintf("%s%096d", prefix, j)), vm.Int(int64(j)))
		}
		m := kv(t, kvs...)
		for _, key := range []string{"keys(map[K, V])", "values(map[K, V])"} {
			v, st, err := env{}.call(t, key, m)
			if err != nil {
				t.Fatal(err)
			}
			if got := v.List(); len(got) != n || (key[0] == 'v' && got[0].Int() != 0) || (key[0] == 'k' && got[0].Str() >= got[1].Str()) {
				t.Fatalf("%s: not in ascending key order", key)
			}
			// At least the n-1 comparisons of neighbours, 62 fuel each.
			if want := int64(n-1) * (4000 >> 6); st.Fuel < want {
				t.Errorf("%s, descending %v: %d fuel, want at least %d", key, desc, st.Fuel, want)
			}
		}
	}
}

// tag builds a new tags map: a map of up to 8 keys compares every pair of
// them, at the bytes of two keys of the same length, as equalities are
// charged; a larger one hashes each key once. Before, each key was
// charged once either way: 8 keys of 4 KiB sharing a prefix cost 8 keys'
// bytes for the 28 pairs compared.
func TestTagChargesKeyPairs(t *testing.T) {
	prefix := strings.Repeat("t", 4090)
	key := func(i int) vm.Value { return str(fmt.Sprintf("%s%06d", prefix, i)) }
	perKey := int64(4096 >> 6)
	for _, c := range []struct {
		n    int   // tags before
		want int64 // fuel for the keys, at least
	}{
		{7, 28 * perKey},  // 8 keys: 28 pairs
		{3, 6 * perKey},   // 4 keys: 6 pairs
		{12, 13 * perKey}, // 13 keys: hashed
	} {
		d := mustCall(t, keyTo, str("a"))
		for i := range c.n {
			d = mustCall(t, keyTag, d, key(i), str("v"))
		}
		_, st, err := env{}.call(t, keyTag, d, key(c.n), str("v"))
		if err != nil {
			t.Fatal(err)
		}
		if st.Fuel < c.want {
			t.Errorf("%d tags and a new one: %d fuel, want at least %d", c.n, st.Fuel, c.want)
		}
	}
}

// get and tag find a key as m[key] does (Call.Get): in a map of up to 8
// keys, the key's bytes for each key of its length it is compared with.
// They charged it once: a 4 KiB key missing from 8 of its length cost 64.
func TestGetChargesComparisons(t *testing.T) {
	prefix := strings.Repeat("g", 4090)
	key := func(i int) vm.Value { return str(fmt.Sprintf("%s%06d", prefix, i)) }
	var kvs []vm.Value
	d := mustCall(t, keyTo, str("a"))
	for i := range 8 {
		kvs = append(kvs, key(i), vm.Int(int64(i)))
		d = mustCall(t, "tag(Decision, string, string)", d, key(i), str("v"))
	}
	_, st, err := env{}.call(t, "get(map[K, V], K, V)", kv(t, kvs...), key(99), vm.Int(0))
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(8 * 64); st.Fuel < want {
		t.Errorf("get: %d fuel, want at least %d", st.Fuel, want)
	}
	// tag of a new key: its lookup compares it with all 8, then the map
	// of 9 hashes each key.
	_, st, err = env{}.call(t, "tag(Decision, string, string)", d, key(99), str("w"))
	if err != nil {
		t.Fatal(err)
	}
	if want := int64((8 + 9) * 64); st.Fuel < want {
		t.Errorf("tag: %d fuel, want at least %d", st.Fuel, want)
	}
}

// A draw orders the split's targets by name: up to 16 by an insertion
// sort, which compares up to n(n-1)/2 pairs, so each name is charged n/2
// times there rather than log2(n). 15 names of 4 KiB sharing 4090 bytes,
// in descending order, took 105 comparisons of 63 fuel each for 3842.
func TestDrawChargesInsertionSort(t *testing.T) {
	prefix := strings.Repeat("d", 4090)
	const n = 15
	var kvs []vm.Value
	for i := range n {
		kvs = append(kvs, str(fmt.Sprintf("%s%06d", prefix, n-i)), vm.Int(1))
	}
	_, st, err := env{}.call(t, keyArm, str("exp"), str("user-1"), kv(t, kvs...))
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(n * (n - 1) / 2 * (4090 >> 6)); st.Fuel < want {
		t.Errorf("ab.arm of %d long arms: %d fuel, want at least %d", n, st.Fuel, want)
	}
}

// string of a map writes its keys in ascending order, which sorts them:
// vm.SortFuel(n) and each key's bytes log2(n) times, as
// a draw orders its targets. It charged only the text: 1024 keys of 1 KiB
// sharing 1000 bytes, out of order, cost 1 per 16 bytes written, while
// the sort compared about 10 times as many bytes.
func TestStringChargesMapSort(t *testing.T) {
	const n = 1024
	prefix := strings.Repeat("s", 1000)
	var kvs []vm.Value
	for i := range n {
		kvs = append(kvs, str(fmt.Sprintf("%s%024d", prefix, i*613%n)), vm.Int(1))
	}
	m := kv(t, kvs...)
	_, st, err := env{}.call(t, "string(T)", m)
	if err != nil {
		t.Fatal(err)
	}
	write := int64(n * 1024 >> 4)
	if want := write + n*11*(1024>>6); st.Fuel < want {
		t.Errorf("string of %d long keys: %d fuel, want at least %d", n, st.Fuel, want)
	}
}

// A draw from more than 16 targets orders them by slices.SortFunc, as
// ascending does: each name is charged drawTimes(n) times, which covers
// the comparisons of names of 70 bytes sharing 64 (1 fuel each, 1 a name)
// in descending and 300 random orders of 17 to 128. At log2(n) times, 18
// names in a random order took 93 comparisons for 90 charged, and at
// log2(n)+2 times, 51 took 439 for 408.
// TestDrawChargesComparisons: a draw from a split (weighted, ab.arm,
// sticky) orders its targets, and charges 1 per 2 of n·log2(n) for the
// comparisons past 16 targets, as sort does: it charged 1 per 8 targets,
// and a draw from 10,000 short names sorted them for 1,260 fuel; then 1
// per 8 of n·log2(n), 17,500 fuel at 170 ns of CPU a fuel. keys, values
// and string order a map's keys alike.
func TestDrawChargesComparisons(t *testing.T) {
	const n = 10_000
	ks, ws := make([]vm.Value, n), make([]vm.Value, n)
	for i := range n {
		ks[i], ws[i] = str(fmt.Sprintf("t%05d", n-1-i)), vm.Int(1)
	}
	split, err := vm.NewMap(ks, ws)
	if err != nil {
		t.Fatal(err)
	}
	want := int64(n*14) >> 1 // log2(10,000) < 14
	d := mustCall(t, keyWeighted, split)
	for _, c := range []struct {
		key  string
		args []vm.Value
	}{
		{keyWeighted, args(split)},
		{keyArm, args(str("e"), str("k"), split)},
		{"sticky(Decision, string, duration)", args(d, str("session"), vm.Nil())},
		{"keys(map[K, V])", args(split)},
		{"values(map[K, V])", args(split)},
		{"string(T)", args(split)},
	} {
		_, st, err := env{}.call(t, c.key, c.args...)
		if err != nil || st.Fuel < want {
			t.Errorf("%s of %d targets: %d fuel, %v; want %d at least", c.key, n, st.Fuel, err, want)
		}
	}
}

// TestKeysInOrderChargeTheCheck: keys and values of a map whose keys
// are in order check that order and sort nothing: past 16 keys they are
// charged the check (1 per 8 keys), not a sort. Charged SortFuel, 10,000
// keys in order cost 70,006 fuel at 4.5 ns of CPU a fuel; in no order,
// ordering them takes 110 ns a fuel.
func TestKeysInOrderChargeTheCheck(t *testing.T) {
	const n = 10_000
	ks, vs := make([]vm.Value, n), make([]vm.Value, n)
	for i := range n {
		ks[i], vs[i] = str(fmt.Sprintf("t%05d", i)), vm.Int(1)
	}
	inOrder, err := vm.NewMap(ks, vs)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"keys(map[K, V])", "values(map[K, V])"} {
		_, st, err := env{}.call(t, key, inOrder)
		if err != nil || st.Fuel < n>>3 || st.Fuel >= n {
			t.Errorf("%s of %d keys in order: %d fuel, %v; want %d to %d", key, n, st.Fuel, err, n>>3, n)
		}
	}
}

// TestDrawChargesHash: weighted and sticky hash the split's target names
// for their draw (drawSeeded), and charge each name once more than
// ordering them does (chargeOrder, ab.arm's charge): names of 192 bytes
// cost 3 fuel more each than names of 6.
func TestDrawChargesHash(t *testing.T) {
	const n = 12
	split := func(prefix string) vm.Value {
		ks, ws := make([]vm.Value, n), make([]vm.Value, n)
		for i := range n {
			ks[i], ws[i] = str(fmt.Sprintf("%sp%02d:m", prefix, i)), vm.Int(1)
		}
		m, err := vm.NewMap(ks, ws)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	short, long := split(""), split(strings.Repeat("x", 187))
	names := long.Map().KeysFuel()
	if names != 3*n || short.Map().KeysFuel() != 0 {
		t.Fatalf("names cost %d and %d", names, short.Map().KeysFuel())
	}
	fuel := func(key string, a ...vm.Value) int64 {
		_, st, err := env{}.call(t, key, a...)
		if err != nil {
			t.Fatal(err)
		}
		return st.Fuel
	}
	for _, c := range []struct {
		name        string
		short, long int64
		want        int64
	}{
		{"weighted", fuel(keyWeighted, short), fuel(keyWeighted, long), names * (drawTimes(n) + 1)},
		{"sticky", fuel("sticky(Decision, string, duration)", mustCall(t, keyWeighted, short), str("s"), vm.Nil()),
			fuel("sticky(Decision, string, duration)", mustCall(t, keyWeighted, long), str("s"), vm.Nil()), names*(drawTimes(n)+1) + names/n}, // and finding its target in the split
		{"ab.arm", fuel(keyArm, str("e"), str("k"), short), fuel(keyArm, str("e"), str("k"), long), names * drawTimes(n)},
	} {
		if got := c.long - c.short; got != c.want {
			t.Errorf("%s: long names cost %d fuel more than short ones, want %d", c.name, got, c.want)
		}
	}
}

func TestDrawChargesSort(t *testing.T) {
	prefix := strings.Repeat("d", 64)
	rng := rand.New(rand.NewSource(1))
	for n := maxInsertionSort + 1; n <= 128; n++ {
		orders := [][]int{make([]int, n)}
		for i := range n {
			orders[0][i] = n - 1 - i
		}
		for range 300 {
			orders = append(orders, rng.Perm(n))
		}
		for _, order := range orders {
			keys := make([]vm.Value, n)
			var names int64
			for i, x := range order {
				keys[i] = str(fmt.Sprintf("%s%06d", prefix, x))
				names += vm.KeyFuel(keys[i])
			}
			idx := make([]int, n)
			for i := range idx {
				idx[i] = i
			}
			var compares int64
			slices.SortFunc(idx, func(i, j int) int { compares++; return vm.Compare(keys[i], keys[j]) })
			if got := names * drawTimes(n); got < compares {
				t.Fatalf("%d names in order %v: %d comparisons of 1 fuel, charged %d", n, order, compares, got)
			}
		}
	}
}

// TestMatchesDocFigures: the doc of matches gives the figures of the
// constants that make them (the cache's largest program, the memory and
// fuel an instruction costs), and no other number, so that neither can
// change without the other.
func TestMatchesDocFigures(t *testing.T) {
	want := map[string]bool{"1": true}
	for _, n := range []int64{reInstBytes, 1 << reParseShift, reCompileFuel, 1 << reMatchShift} {
		want[strconv.FormatInt(n, 10)] = true
	}
	want[groupDigits(reCacheMaxSize)] = true
	found := map[string]bool{}
	for _, n := range regexp.MustCompile(`\b(?:[0-9][0-9,]*[0-9]|[0-9])\b`).FindAllString(matchesDoc, -1) {
		if !want[n] {
			t.Errorf("the doc of matches says %s, which no constant gives", n)
		}
		found[n] = true
	}
	for n := range want {
		if !found[n] {
			t.Errorf("the doc of matches does not say %s", n)
		}
	}
	if groupDigits(16384) != "16,384" || groupDigits(999) != "999" || groupDigits(1234567) != "1,234,567" {
		t.Error("groupDigits")
	}
}

// TestRangeUnlimited: under fuel and memory limits too large to ever trip,
// range(n) of more than vm.MaxAlloc bytes of elements fails with
// memory_exhausted before it allocates them: it made a list of up to 2^40
// elements (24 TB), and the process died of Go's out-of-memory error.
func TestRangeUnlimited(t *testing.T) {
	lim := vm.Limits{Fuel: math.MaxInt64, Memory: math.MaxInt64}
	for _, n := range []int64{vm.MaxAlloc/24 + 1, 1<<40 - 1, math.MaxInt64} {
		_, st, err := env{lim: lim}.call(t, "range(int)", vm.Int(n))
		wantCode(t, err, vm.CodeMemoryExhausted)
		if st.Memory > vm.MaxAlloc {
			t.Errorf("range(%d): %d bytes charged", n, st.Memory)
		}
	}
}

// TestSortChargesComparisons: sort charges 1 fuel per 2 of n·log2(n)
// (stableSortFuel) for the comparisons and moves of its stable sort,
// whatever its elements: at 1 per 8, 10,000 ints sorted at 170 ns a fuel
// and more (BenchmarkSortFuel), 4 to 7 times the rate of lists of lists.
func TestSortChargesComparisons(t *testing.T) {
	const n = 10_000
	xs := make([]vm.Value, n)
	for i := range xs {
		xs[i] = vm.Int(int64(i * 7919 % n))
	}
	want := int64(n * 14 / 2) // log2(10,000) is 13.3
	_, st, err := env{lim: vm.Limits{Fuel: math.MaxInt64}}.call(t, "sort(list[T])", vm.NewList(xs))
	if err != nil || st.Fuel < want {
		t.Errorf("sort of %d ints: %d fuel, %v; want %d at least", n, st.Fuel, err, want)
	}
	_, _, err = env{lim: vm.Limits{Fuel: want / 2}}.call(t, "sort(list[T])", vm.NewList(xs))
	wantCode(t, err, vm.CodeFuelExhausted)
}

// TestJSONGetAccountsFirst: json_get accounts the memory of the string it
// returns before it makes it, and exactly: it decoded the value first
// (here 1 MB of text), then failed the limit with the 1 MB made. (A
// document of invalid UTF-8, which decoded to 3 times its bytes of
// U+FFFD, is none now: not JSON as the router reads it.)
func TestJSONGetAccountsFirst(t *testing.T) {
	const n = 1 << 20
	for _, c := range []struct{ doc, path string }{
		{`"` + strings.Repeat("é", n/2) + `"`, ""},
		{`{"a": ["` + strings.Repeat("\\n", n/2) + `"]}`, "a.0"},
		{`{"a": [` + strings.Repeat("1 , ", n/4) + `1]}`, "a"},
	} {
		doc, path := str(c.doc), str(c.path)
		v, st, err := env{lim: vm.Limits{Fuel: 1 << 30}}.call(t, "json_get(string, string)", doc, path)
		if err != nil {
			t.Fatal(err)
		}
		if want := int64(v.Len()) + strHeader; st.Memory != want {
			t.Errorf("%.20q: memory %d, want %d", c.doc, st.Memory, want)
		}
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		_, _, err = env{lim: vm.Limits{Fuel: 1 << 30, Memory: int64(v.Len())}}.call(t, "json_get(string, string)", doc, path)
		runtime.ReadMemStats(&m1)
		wantCode(t, err, vm.CodeMemoryExhausted)
		if d := m1.TotalAlloc - m0.TotalAlloc; d > n/4 {
			t.Errorf("%.20q: failing its memory limit allocated %d KB", c.doc, d>>10)
		}
	}
}

// TestMatchesConstFuel: what the static cost bound counts for a constant
// pattern (constMatchesFuel) is what a call with an empty s charges for
// it, exactly: the same difference for every pattern. A pattern whose
// classes alone cost more than the default fuel is not parsed to count
// its compiling, but counts that much: it counted 0.
func TestMatchesConstFuel(t *testing.T) {
	if n := constMatchesFuel([]lang.ConstValue{lang.NotConst, strings.Repeat(`\pL`, 6000)}); n <= vm.DefaultFuel {
		t.Errorf("a pattern of 6000 \\pL counted %d fuel, want more than the default %d", n, vm.DefaultFuel)
	}
	lim := env{lim: vm.Limits{Fuel: math.MaxInt64, Memory: math.MaxInt64}}
	diff := int64(-1)
	for _, p := range []string{"x", `^gpt-4o(-mini)?$`, `\pL+\d{3}`, "(?i)claude|gemini|llama|mistral", strings.Repeat(`\pL`, 4000)} {
		_, st, err := lim.call(t, "matches(string, string)", str(""), str(p))
		if err != nil {
			t.Fatal(err)
		}
		bound := constMatchesFuel([]lang.ConstValue{lang.NotConst, p})
		if d := st.Fuel - bound; diff < 0 {
			diff = d
		} else if d != diff {
			t.Errorf("matches(\"\", %.20q): %d fuel, counted %d: %d apart, where the others are %d", p, st.Fuel, bound, d, diff)
		}
	}
	if diff < 0 || diff > 20 {
		t.Errorf("a call beyond what is counted for its pattern: %d fuel", diff)
	}
}

// TestReplaceChargesOccurrences: replace charges 1 fuel per occurrence
// it replaces besides the bytes, as split charges 1 per element: each
// is a search and a copy, and 64 KB of "abab…" without its 32,768 "ab"
// was charged 4,104 fuel, what finding no "zz" in it costs (about 400 ns
// a fuel).
func TestReplaceChargesOccurrences(t *testing.T) {
	const n = 1 << 15
	s := str(strings.Repeat("ab", n))
	_, none, err := env{}.call(t, "replace(string, string, string)", s, str("zz"), str(""))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ old, repl, want string }{
		{"ab", "", ""},
		{"a", "x", strings.Repeat("xb", n)},
	} {
		v, st, err := env{}.call(t, "replace(string, string, string)", s, str(c.old), str(c.repl))
		if err != nil || v.Str() != c.want {
			t.Fatalf("replace(s, %q, %q): %v", c.old, c.repl, err)
		}
		if st.Fuel < none.Fuel+n {
			t.Errorf("replace(s, %q, %q) of %d occurrences: %d fuel, want at least %d (%d with none)", c.old, c.repl, n, st.Fuel, none.Fuel+n, none.Fuel)
		}
		_, _, err = env{lim: vm.Limits{Fuel: n}}.call(t, "replace(string, string, string)", s, str(c.old), str(c.repl))
		wantCode(t, err, vm.CodeFuelExhausted)
	}
}

// TestJSONGetKeysWithoutAllocating: json_get compares the keys of an
// object on its path with the path's segment without decoding them one
// by one into a string: each escaped key was decoded by json.Unmarshal,
// about 0.5 µs and 2 allocations a key (6,000 keys "\u0061" took 4 ms on
// 16,515 fuel). Keys of the segment's length are decoded into one
// buffer.
func TestJSONGetKeysWithoutAllocating(t *testing.T) {
	for _, key := range []string{`\u0061`, `\/`, `\u00e9`} {
		doc := str("{" + strings.Repeat(`"`+key+`":1,`, 1000) + `"b":2}`)
		p := program(t, "json_get(string, string)", 2)
		m := vm.NewMachine()
		args := []vm.Value{doc, str("b")}
		var v vm.Value
		var err error
		allocs := testing.AllocsPerRun(10, func() {
			v, _, err = m.Run(context.Background(), p, 0, args, vm.Limits{}, vm.Input{})
		})
		if err != nil || v.Str() != "2" {
			t.Fatalf("json_get of %q keys: %v, %v", key, v, err)
		}
		if allocs > 10 {
			t.Errorf("json_get past 1,000 keys %q: %.0f allocations, want at most 10", key, allocs)
		}
	}
}

// TestStringChargesScalars: string of a list charges 1 fuel per value
// and, for a number, money, duration or time, 3 more (the 48 bytes its
// text may take, at 1 per 16): writing one takes 2 to 5 times the work
// of a none, and at 1 fuel a value 10,000 floats, times or durations took
// 120 to 280 ns a fuel.
func TestStringChargesScalars(t *testing.T) {
	const n = 1000
	list := func(f func(i int) vm.Value) vm.Value {
		xs := make([]vm.Value, n)
		for i := range xs {
			xs[i] = f(i)
		}
		return vm.NewList(xs)
	}
	_, none, err := env{}.call(t, "string(T)", list(func(int) vm.Value { return vm.Nil() }))
	if err != nil {
		t.Fatal(err)
	}
	if none.Fuel >= 2*n {
		t.Errorf("string of %d nones: %d fuel, want less than %d", n, none.Fuel, 2*n)
	}
	for name, xs := range map[string]vm.Value{
		"ints":      list(func(i int) vm.Value { return vm.Int(int64(i) * 1234567891) }),
		"floats":    list(func(i int) vm.Value { return vm.Float(float64(i) * 1.234567891e-7) }),
		"money":     list(func(i int) vm.Value { return vm.Money(int64(i) * 1234567891) }),
		"durations": list(func(i int) vm.Value { return vm.Duration(time.Duration(i) * 1234567891) }),
		"times":     list(func(i int) vm.Value { return vm.Time(int64(i) * 1234567891) }),
	} {
		_, st, err := env{}.call(t, "string(T)", xs)
		if err != nil {
			t.Fatal(err)
		}
		if st.Fuel < none.Fuel+3*n {
			t.Errorf("string of %d %s: %d fuel, want at least %d (%d for as many nones)", n, name, st.Fuel, none.Fuel+3*n, none.Fuel)
		}
	}
}

// TestTagChargesEntries: tag builds a new tags map of the old one's
// entries and its own, charged as MAKE_MAP charges a map literal: 1 fuel
// per entry besides the keys' bytes. It charged 1 per 8: a tag on a
// decision of 10,000 tags (copying them, hashing their keys into an
// index) took 1.4 ms on 1,257 fuel.
func TestTagChargesEntries(t *testing.T) {
	const n = 10_000
	var ks, vs []vm.Value
	for i := range n {
		ks, vs = append(ks, str(fmt.Sprintf("t%d", i))), append(vs, str("v"))
	}
	tags, err := vm.NewMap(ks, vs)
	if err != nil {
		t.Fatal(err)
	}
	slots := append([]vm.Value(nil), mustCall(t, keyTo, str("x:y")).Record()...)
	slots[lay.decision.tags] = tags
	d := vm.NewRecord(slots)
	for _, key := range []string{"new", "t5000"} {
		v, st, err := env{}.call(t, "tag(Decision, string, string)", d, str(key), str("w"))
		if err != nil {
			t.Fatal(err)
		}
		if got := field(t, "Decision", v, "tags").Map(); got.Len() < n {
			t.Fatalf("tag %q: %d tags", key, got.Len())
		}
		if st.Fuel < n {
			t.Errorf("tag %q on %d tags: %d fuel, want at least %d", key, n, st.Fuel, n)
		}
	}
}

// TestSearchTableAccounted: contains, replace and split of a pattern of
// more than 64 bytes account the table of its search (vm.FinderBytes, 4
// bytes a byte of the pattern) to the run's memory before they search:
// it was made outside the memory limit, 32 MB for an 8 MB pattern.
func TestSearchTableAccounted(t *testing.T) {
	const n = 1 << 19
	s, pat := str(strings.Repeat("ab", n)), str(strings.Repeat("ab", n/2)+"x")
	table := vm.FinderBytes(pat.Str(), s.Str())
	if table != 4*int64(pat.Len()) {
		t.Fatalf("FinderBytes = %d, want %d", table, 4*pat.Len())
	}
	for _, c := range []struct {
		key  string
		args []vm.Value
	}{
		{"contains(string, string)", args(s, pat)},
		{"replace(string, string, string)", args(s, pat, str(""))},
		{"split(string, string)", args(s, pat)},
	} {
		_, st, err := env{}.call(t, c.key, c.args...)
		if err != nil || st.Memory < table {
			t.Errorf("%s: memory %d, %v; want %d at least", c.key, st.Memory, err, table)
		}
		_, _, err = env{lim: vm.Limits{Memory: 1 << 20}}.call(t, c.key, c.args...)
		wantCode(t, err, vm.CodeMemoryExhausted)
	}
}

// TestSearchTableOfConstant: the table of a search for a pattern that is
// one of the program's constants (contains, replace and split called
// with a constant, as instrumented programs do) is the program's, built
// once and charged to no run: each call charged it, 2 MB here under a
// limit of 1 MB, so a loop over contains(x, LONG_CONSTANT) ran out of
// memory.
func TestSearchTableOfConstant(t *testing.T) {
	tab, err := Table()
	if err != nil {
		t.Fatal(err)
	}
	const n = 1 << 19
	s, pat := str(strings.Repeat("ab", n)), str(strings.Repeat("ab", n/2)+"x")
	for _, key := range []string{"contains(string, string)", "replace(string, string, string)", "split(string, string)"} {
		var a vm.Assembler
		a.Emit(vm.OpLoadLocal, 0)
		a.Emit(vm.OpConst, 0)
		argc := 2
		if strings.HasPrefix(key, "replace") {
			a.Emit(vm.OpConst, 1)
			argc++
		}
		a.Emit(vm.OpCallBuiltin, 0, argc)
		a.Emit(vm.OpReturn)
		code, err := a.Code()
		if err != nil {
			t.Fatal(err)
		}
		p, err := vm.NewProgram(&vm.ProgramSpec{
			Constants: []vm.Value{pat, str("")},
			Functions: []vm.FunctionSpec{{Name: "main", File: "test.rpl", NumParams: 1, NumLocals: 1, Code: code,
				Lines: []vm.LineEntry{{PC: 0, Line: 1, Col: 1}}}},
			Builtins: []string{key},
			Entries:  map[string]int{"main": 0},
		}, tab)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			_, st, err := vm.NewMachine().Run(context.Background(), p, 0, []vm.Value{s}, vm.Limits{Memory: 1 << 20}, vm.Input{})
			if err != nil || st.Memory > int64(pat.Len()) {
				t.Errorf("%s: memory %d, %v; want no table charged", key, st.Memory, err)
			}
		}
	}
}
