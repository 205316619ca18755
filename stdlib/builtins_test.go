package stdlib

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rpl-lang/rpl/internal/textcut"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/vm"
)

// TestTableComplete checks that every declared builtin but the ones the
// compiler lowers has an implementation in the table, under its link name,
// with its arity and cost — and that the table holds nothing else.
func TestTableComplete(t *testing.T) {
	tab, err := Table()
	if err != nil {
		t.Fatal(err)
	}
	u, err := Universe()
	if err != nil {
		t.Fatal(err)
	}
	lowered := map[string]bool{"filter": true, "map": true, "any": true, "all": true, "count": true, "min_by": true, "max_by": true}
	var want []string
	for _, b := range u.Builtins {
		key := b.Key()
		got, ok := tab.Lookup(key)
		if lowered[b.QualifiedName()] {
			if ok {
				t.Errorf("%s is lowered by the compiler but has an implementation", key)
			}
			continue
		}
		if !ok {
			t.Errorf("%s has no implementation", key)
			continue
		}
		want = append(want, key)
		n, most := len(b.Type.Params), len(b.Type.Params)
		if b.QualifiedName() == "string" {
			most++ // the shape of its argument's type, which the compiler passes (compiler.TakesShape)
		}
		if got.MinArgs != n || got.MaxArgs != most || got.Cost != b.Cost {
			t.Errorf("%s: arity %d..%d cost %d, want %d..%d, %d", key, got.MinArgs, got.MaxArgs, got.Cost, n, most, b.Cost)
		}
	}
	slices.Sort(want)
	if names := tab.Names(); !slices.Equal(names, want) {
		t.Errorf("table names\n%q\nwant\n%q", names, want)
	}
	if t2, _ := Table(); t2 != tab {
		t.Error("Table is not cached")
	}
}

type tcase struct {
	key  string
	args []vm.Value
	want vm.Value
}

func runCases(t *testing.T, cases []tcase) {
	t.Helper()
	for _, c := range cases {
		got, err := call(t, c.key, c.args...)
		if err != nil {
			t.Errorf("%s%v: %v", c.key, c.args, err)
			continue
		}
		if got.Kind() != c.want.Kind() || !vm.Equal(got, c.want) && !(c.want.Kind() == vm.KindFloat && math.IsNaN(c.want.Float()) && math.IsNaN(got.Float())) {
			t.Errorf("%s%v = %s (%s), want %s (%s)", c.key, c.args, got, got.Kind(), c.want, c.want.Kind())
		}
	}
}

func args(vs ...vm.Value) []vm.Value { return vs }

func TestStrings(t *testing.T) {
	runCases(t, []tcase{
		{"len(string)", args(str("héllo")), vm.Int(6)},
		{"len(list[T])", args(ints(1, 2, 3)), vm.Int(3)},
		{"lower(string)", args(str("HeLLo É")), str("hello é")},
		{"upper(string)", args(str("héllo")), str("HÉLLO")},
		{"trim(string)", args(str(" \t a b \n")), str("a b")},
		{"starts_with(string, string)", args(str("openai:gpt-4o"), str("openai:")), vm.Bool(true)},
		{"starts_with(string, string)", args(str("openai"), str("openai:")), vm.Bool(false)},
		{"ends_with(string, string)", args(str("gpt-4o-mini"), str("-mini")), vm.Bool(true)},
		{"contains(string, string)", args(str("summarize"), str("mar")), vm.Bool(true)},
		{"contains(string, string)", args(str("summarize"), str("")), vm.Bool(true)},
		{"contains(list[T], T)", args(strs("a", "b"), str("b")), vm.Bool(true)},
		{"contains(list[T], T)", args(ints(1, 2), vm.Int(3)), vm.Bool(false)},
		{"replace(string, string, string)", args(str("a-b-c"), str("-"), str("::")), str("a::b::c")},
		{"replace(string, string, string)", args(str("abc"), str("x"), str("y")), str("abc")},
		{"replace(string, string, string)", args(str("ab"), str(""), str(".")), str(".a.b.")},
		{"split(string, string)", args(str("a,b,,c"), str(",")), strs("a", "b", "", "c")},
		{"split(string, string)", args(str(""), str(",")), strs("")},
		{"split(string, string)", args(str("hé"), str("")), strs("h", "é")},
		{"split(string, string)", args(str(""), str("")), strs()},
		{"split(string, string)", args(str("a,"), str(",")), strs("a", "")},
		{"join(list[string], string)", args(strs("a", "b", "c"), str(", ")), str("a, b, c")},
		{"join(list[string], string)", args(strs(), str(", ")), str("")},
		{"substr(string, int, int)", args(str("abcdef"), vm.Int(1), vm.Int(3)), str("bc")},
		{"substr(string, int, int)", args(str("abcdef"), vm.Int(-5), vm.Int(100)), str("abcdef")},
		{"substr(string, int, int)", args(str("abcdef"), vm.Int(4), vm.Int(2)), str("")},
		{"matches(string, string)", args(str("gpt-4o-mini"), str(`^gpt-\d+o?(-mini)?$`)), vm.Bool(true)},
		{"matches(string, string)", args(str("claude"), str(`^gpt`)), vm.Bool(false)},
	})
}

func TestJSONGet(t *testing.T) {
	doc := str(`{"a": {"b": [10, {"c": "x\u00e9"}, true, null, 1.5e3]}, "s": "q", "o": {"k": [1, 2]}}`)
	runCases(t, []tcase{
		{"json_get(string, string)", args(doc, str("s")), str("q")},
		{"json_get(string, string)", args(doc, str("a.b.0")), str("10")},
		{"json_get(string, string)", args(doc, str("a.b.1.c")), str("xé")},
		{"json_get(string, string)", args(doc, str("a.b.2")), str("true")},
		{"json_get(string, string)", args(doc, str("a.b.3")), vm.Nil()},
		{"json_get(string, string)", args(doc, str("a.b.4")), str("1.5e3")},
		{"json_get(string, string)", args(doc, str("o")), str(`{"k":[1,2]}`)},
		{"json_get(string, string)", args(doc, str("a.b.9")), vm.Nil()},
		{"json_get(string, string)", args(doc, str("a.x")), vm.Nil()},
		{"json_get(string, string)", args(doc, str("s.t")), vm.Nil()},
		{"json_get(string, string)", args(doc, str("a.b.-1")), vm.Nil()},
		{"json_get(string, string)", args(str(`{"a": `), str("a")), vm.Nil()},
		{"json_get(string, string)", args(str(`[1, 2]`), str("")), str("[1,2]")},
		// Not JSON as the router reads a request: half a surrogate pair
		// or a byte that is not UTF-8, wherever it is in doc.
		{"json_get(string, string)", args(str(`{"a":"\ud800"}`), str("a")), vm.Nil()},
		{"json_get(string, string)", args(str(`{"a":"\udc00x"}`), str("a")), vm.Nil()},
		{"json_get(string, string)", args(str(`{"a":1,"b":"\ud800"}`), str("a")), vm.Nil()},
		{"json_get(string, string)", args(str("{\"a\":\"\xff\"}"), str("a")), vm.Nil()},
		{"json_get(string, string)", args(str(`{"a":"\ud83d\ude00"}`), str("a")), str("\U0001F600")},
		{"json_get(string, string)", args(str(`{"a":"\\ud800"}`), str("a")), str(`\ud800`)},
	})
}

func TestConversions(t *testing.T) {
	ts := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	runCases(t, []tcase{
		{"string(T)", args(vm.Int(-42)), str("-42")},
		{"string(T)", args(vm.Float(0.5)), str("0.5")},
		{"string(T)", args(vm.Float(2)), str("2.0")},
		{"string(T)", args(vm.Duration(250 * time.Millisecond)), str("250ms")},
		{"string(T)", args(vm.Duration(90 * time.Minute)), str("1h30m")},
		{"string(T)", args(vm.Money(2_500_000)), str("$0.0025")},
		{"string(T)", args(vm.Money(-3_500_000_000)), str("-$3.50")},
		{"string(T)", args(vm.Bool(true)), str("true")},
		{"string(T)", args(str("as is")), str("as is")},
		{"string(T)", args(vm.TimeOf(ts)), str("2025-03-04T05:06:07Z")},
		{"string(T)", args(vm.Nil()), str("none")},
		{"string(T)", args(list(str("a"), vm.Int(1))), str(`["a", 1]`)},
		{"string(T)", args(kv(t, str("k"), vm.Money(1e9))), str(`{"k": $1.00}`)},
		{"int(float)", args(vm.Float(-2.9)), vm.Int(-2)},
		{"int(string)", args(str("123")), vm.Int(123)},
		{"int(string)", args(str("-7")), vm.Int(-7)},
		{"int(string)", args(str("1_000")), vm.Nil()},
		{"int(string)", args(str("12a")), vm.Nil()},
		{"int(string)", args(str("+42")), vm.Int(42)},
		{"int(string)", args(str("-007")), vm.Int(-7)},
		{"int(string)", args(str(" 42")), vm.Nil()},
		{"int(string)", args(str("0x10")), vm.Nil()},
		{"float(string)", args(str(".5")), vm.Float(0.5)},
		{"float(string)", args(str("5.")), vm.Float(5)},
		{"float(string)", args(str("0x1p-2")), vm.Nil()},
		{"float(string)", args(str("1_0.5")), vm.Nil()},
		{"int(string)", args(str("99999999999999999999")), vm.Nil()},
		{"float(int)", args(vm.Int(3)), vm.Float(3)},
		{"float(money)", args(vm.Money(2_500_000)), vm.Float(0.0025)},
		{"float(string)", args(str("1.5e2")), vm.Float(150)},
		{"float(string)", args(str("inf")), vm.Nil()},
		{"float(string)", args(str("NaN")), vm.Nil()},
		{"float(string)", args(str("")), vm.Nil()},
		{"float(string)", args(str("1e999")), vm.Nil()},
		{"money(float)", args(vm.Float(0.0025)), vm.Money(2_500_000)},
		{"money(float)", args(vm.Float(0.0000000025)), vm.Money(2)}, // half to even
		{"money(float)", args(vm.Float(0.0000000035)), vm.Money(4)}, // half to even
		// x as written, rounded once: the product x * 1e9 rounded first.
		{"money(float)", args(vm.Float(-0.0000000025)), vm.Money(-2)},
		{"money(float)", args(vm.Float(-0.0000000035)), vm.Money(-4)},
		{"money(float)", args(vm.Float(6.47605e-05)), vm.Money(64760)},
		{"money(float)", args(vm.Float(-6.47605e-05)), vm.Money(-64760)},
		{"money(float)", args(vm.Float(0.0002552685)), vm.Money(255268)},
		{"money(float)", args(vm.Float(1.0000000005)), vm.Money(1_000_000_000)},
		{"money(float)", args(vm.Float(-1.0000000015)), vm.Money(-1_000_000_002)},
		{"money(float)", args(vm.Float(0.0000000025000001)), vm.Money(3)}, // past the half
		{"money(float)", args(vm.Float(-8763847.90232)), vm.Money(-8_763_847_902_320_000)},
		{"money(float)", args(vm.Float(9007199.254740993)), vm.Money(9_007_199_254_740_993)},
		{"money(float)", args(vm.Float(-12345678.123456789)), vm.Money(-12_345_678_123_456_790)}, // -12345678.12345679
		{"money(float)", args(vm.Float(5e-10)), vm.Money(0)},
		{"money(float)", args(vm.Float(-5e-11)), vm.Money(0)},
		{"money(float)", args(vm.Float(1e-300)), vm.Money(0)},
		{"money(float)", args(vm.Float(9.2e9)), vm.Money(9_200_000_000_000_000_000)},
		{"money(float)", args(vm.Float(-1.5)), vm.Money(-1_500_000_000)},
		{"millis(duration)", args(vm.Duration(1500 * time.Microsecond)), vm.Int(1)},
		{"millis(duration)", args(vm.Duration(-1500 * time.Microsecond)), vm.Int(-1)},
		{"seconds(duration)", args(vm.Duration(1500 * time.Millisecond)), vm.Float(1.5)},
		// The float nearest: Duration.Seconds rounded the fraction, then the sum.
		{"seconds(duration)", args(vm.Duration(1682635046)), vm.Float(1.682635046)},
		{"seconds(duration)", args(vm.Duration(-1682635046)), vm.Float(-1.682635046)},
		{"seconds(duration)", args(vm.Duration(math.MaxInt64)), vm.Float(9223372036.854775807)},
	})
}

func TestMath(t *testing.T) {
	nan := vm.Float(math.NaN())
	runCases(t, []tcase{
		{"abs(int)", args(vm.Int(-3)), vm.Int(3)},
		{"abs(float)", args(vm.Float(-0.5)), vm.Float(0.5)},
		{"min(int, int)", args(vm.Int(2), vm.Int(-1)), vm.Int(-1)},
		{"max(int, int)", args(vm.Int(2), vm.Int(-1)), vm.Int(2)},
		{"min(money, money)", args(vm.Money(5), vm.Money(7)), vm.Money(5)},
		{"max(duration, duration)", args(vm.Duration(time.Second), vm.Duration(time.Minute)), vm.Duration(time.Minute)},
		{"min(float, float)", args(vm.Float(1.5), vm.Float(-2)), vm.Float(-2)},
		{"max(float, float)", args(vm.Float(1.5), nan), vm.Float(1.5)},
		{"min(float, float)", args(vm.Float(1.5), nan), nan},
		{"round(float)", args(vm.Float(2.5)), vm.Int(3)},
		{"round(float)", args(vm.Float(-2.5)), vm.Int(-3)},
		{"floor(float)", args(vm.Float(-2.5)), vm.Int(-3)},
		{"ceil(float)", args(vm.Float(2.1)), vm.Int(3)},
	})
	for _, c := range []tcase{
		{"abs(int)", args(vm.Int(math.MinInt64)), vm.Nil()},
		{"round(float)", args(vm.Float(1e19)), vm.Nil()},
		{"floor(float)", args(nan), vm.Nil()},
		{"ceil(float)", args(vm.Float(math.Inf(-1))), vm.Nil()},
		{"int(float)", args(vm.Float(9.3e18)), vm.Nil()},
		{"money(float)", args(vm.Float(1e10)), vm.Nil()},
		{"money(float)", args(vm.Float(-9.3e9)), vm.Nil()},
		{"money(float)", args(nan), vm.Nil()},
		{"sum(list[int])", args(ints(math.MaxInt64, 1)), vm.Nil()},
		{"sum(list[money])", args(list(vm.Money(math.MinInt64), vm.Money(-1))), vm.Nil()},
		{"sum(list[int])", args(ints(math.MaxInt64, 1, -1, 1)), vm.Nil()},
		{"sum(list[int])", args(ints(math.MinInt64, -1, -1, math.MaxInt64, math.MaxInt64, math.MaxInt64)), vm.Nil()},
	} {
		_, err := call(t, c.key, c.args...)
		e := wantCode(t, err, vm.CodeIntOverflow)
		if !strings.Contains(e.Msg, c.key) {
			t.Errorf("%s: message %q does not name the builtin", c.key, e.Msg)
		}
	}
	// The message says what the float was and which range it is out of
	// (they all said "integer overflow").
	inf, minf := vm.Float(math.Inf(1)), vm.Float(math.Inf(-1))
	for _, c := range []struct {
		key string
		x   vm.Value
		msg string
	}{
		{"int(float)", nan, "NaN has no int value"},
		{"round(float)", nan, "NaN has no int value"},
		{"floor(float)", nan, "NaN has no int value"},
		{"ceil(float)", nan, "NaN has no int value"},
		{"money(float)", nan, "NaN has no money value"},
		{"int(float)", inf, "+Inf is out of the int range"},
		{"round(float)", minf, "-Inf is out of the int range"},
		{"money(float)", inf, "+Inf is out of the money range"},
		{"money(float)", minf, "-Inf is out of the money range"},
		{"int(float)", vm.Float(-1e19), "-1e+19 is out of the int range"},
		{"int(float)", vm.Float(1e300), "1e+300 is out of the int range"},
		{"round(float)", vm.Float(9.3e18), "9.3e+18 is out of the int range"},
		{"floor(float)", vm.Float(-1e20), "-1e+20 is out of the int range"},
		{"ceil(float)", vm.Float(9.223372036854776e18), "9.223372036854776e+18 is out of the int range"},
		{"money(float)", vm.Float(1e300), "1e+300 is out of the money range"},
		{"money(float)", vm.Float(-9.3e9), "-9.3e+09 is out of the money range"},
	} {
		_, err := call(t, c.key, c.x)
		if e := wantCode(t, err, vm.CodeIntOverflow); e.Msg != c.key+": "+c.msg {
			t.Errorf("%s of %s: message %q, want %q", c.key, c.x, e.Msg, c.key+": "+c.msg)
		}
	}
}

// TestOutOfRangeMessages: a result out of the 64-bit range says which
// result and which range (they said only "integer overflow").
func TestOutOfRangeMessages(t *testing.T) {
	for _, c := range []struct {
		key  string
		args []vm.Value
		msg  string
	}{
		{"abs(int)", args(vm.Int(math.MinInt64)), "the absolute value of -9223372036854775808 is out of the int range"},
		{"sum(list[int])", args(ints(math.MaxInt64, 1)), "the sum is out of the int range"},
		{"sum(list[money])", args(list(vm.Money(math.MinInt64), vm.Money(-1))), "the sum is out of the money range"},
	} {
		_, err := call(t, c.key, c.args...)
		if e := wantCode(t, err, vm.CodeIntOverflow); e.Msg != c.key+": "+c.msg {
			t.Errorf("%s%v: message %q, want %q", c.key, c.args, e.Msg, c.key+": "+c.msg)
		}
	}
}

func TestListsAndMaps(t *testing.T) {
	m := kv(t, str("b"), vm.Int(2), str("a"), vm.Int(1), str("c"), vm.Int(3))
	runCases(t, []tcase{
		{"sort(list[T])", args(ints(3, 1, 2)), ints(1, 2, 3)},
		{"sort(list[T])", args(strs("b", "a", "B")), strs("B", "a", "b")},
		{"sort(list[T])", args(ints()), ints()},
		{"reverse(list[T])", args(ints(1, 2, 3)), ints(3, 2, 1)},
		{"first(list[T])", args(ints(4, 5)), vm.Int(4)},
		{"first(list[T])", args(ints()), vm.Nil()},
		{"last(list[T])", args(ints(4, 5)), vm.Int(5)},
		{"last(list[T])", args(ints()), vm.Nil()},
		{"sum(list[int])", args(ints(1, 2, 3)), vm.Int(6)},
		{"sum(list[float])", args(list(vm.Float(0.5), vm.Float(0.25))), vm.Float(0.75)},
		{"sum(list[money])", args(list(vm.Money(1), vm.Money(2))), vm.Money(3)},
		{"sum(list[int])", args(ints()), vm.Int(0)},
		// Exact whatever the order: a partial sum out of range is no error.
		{"sum(list[int])", args(ints(math.MaxInt64, 1, -1)), vm.Int(math.MaxInt64)},
		{"sum(list[int])", args(ints(math.MinInt64, -1, math.MaxInt64, 1)), vm.Int(-1)},
		{"sum(list[money])", args(list(vm.Money(math.MaxInt64), vm.Money(math.MaxInt64), vm.Money(math.MinInt64), vm.Money(math.MinInt64), vm.Money(7))), vm.Money(5)},
		{"range(int)", args(vm.Int(3)), ints(0, 1, 2)},
		{"range(int)", args(vm.Int(-1)), ints()},
		{"keys(map[K, V])", args(m), strs("a", "b", "c")},
		{"values(map[K, V])", args(m), ints(1, 2, 3)},
		{"keys(map[K, V])", args(kv(t, vm.Int(2), str("x"), vm.Int(1), str("y"))), ints(1, 2)},
		{"keys(map[K, V])", args(emptyMap), ints()},
		{"len(map[K, V])", args(m), vm.Int(3)},
		{"get(map[K, V], K, V)", args(m, str("b"), vm.Int(0)), vm.Int(2)},
		{"get(map[K, V], K, V)", args(m, str("z"), vm.Int(-1)), vm.Int(-1)},
	})
	// sort is stable and leaves its input alone.
	in := list(vm.Float(2), vm.Float(1))
	mustCall(t, "sort(list[T])", in)
	if in.List()[0].Float() != 2 {
		t.Error("sort modified its input")
	}
	sorted := ints(1, 2)
	if got := mustCall(t, "sort(list[T])", sorted); &got.List()[0] != &sorted.List()[0] {
		t.Error("sort of a sorted list copied it")
	}
}

func TestTime(t *testing.T) {
	now := time.Date(2025, 6, 1, 13, 30, 0, 0, time.FixedZone("x", 3600)) // a Sunday, 12:30 UTC
	e := env{in: vm.Input{Now: now}}
	v, _, err := e.call(t, "now()")
	if err != nil || !v.Time().Equal(now) {
		t.Fatalf("now() = %v, %v", v, err)
	}
	if h := mustCall(t, "hour(time)", vm.TimeOf(now)); h.Int() != 12 {
		t.Errorf("hour = %d, want 12 (UTC)", h.Int())
	}
	if d := mustCall(t, "weekday(time)", vm.TimeOf(now)); d.Int() != 0 {
		t.Errorf("weekday = %d, want 0", d.Int())
	}
	v, _, err = e.call(t, "since(time)", vm.TimeOf(now.Add(-90*time.Second)))
	if err != nil || v.Duration() != 90*time.Second {
		t.Errorf("since = %v, %v", v, err)
	}
	_, _, err = e.call(t, "since(time)", vm.Time(math.MinInt64))
	if e := wantCode(t, err, vm.CodeIntOverflow); e.Msg != `since(time): now() - time("1677-09-21T00:12:43.145224192Z") is out of the duration range` {
		t.Errorf("since of the earliest time: %q", e.Msg)
	}
	if v := mustCall(t, "now()"); v.Int() != 0 {
		t.Errorf("now() without Input.Now = %s, want the epoch", v)
	}
}

func TestHash(t *testing.T) {
	// FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c; masked to 63 bits.
	if h := mustCall(t, "hash(string)", str("a")); h.Int() != 0xaf63dc4c8601ec8c&mask63 {
		t.Errorf("hash(a) = %#x", h.Int())
	}
	if h := mustCall(t, "hash(string)", str("")); h.Int() != int64(uint64(fnvOffset)&mask63) {
		t.Errorf("hash() = %#x", h.Int())
	}
	b := mustCall(t, "bucket(string, int)", str("a"), vm.Int(10))
	if b.Int() != (0xaf63dc4c8601ec8c&mask63)%10 {
		t.Errorf("bucket(a, 10) = %d", b.Int())
	}
	for _, n := range []int64{0, -3} {
		_, err := call(t, "bucket(string, int)", str("a"), vm.Int(n))
		e := wantCode(t, err, vm.CodeBuiltinError)
		if !strings.Contains(e.Msg, "bucket count must be positive") {
			t.Errorf("bucket(a, %d): %q", n, e.Msg)
		}
	}
}

func TestRandom(t *testing.T) {
	var sum float64
	const n = 10_000
	for seed := range uint64(n) {
		e := env{in: vm.Input{Seed: seed}}
		v, _, err := e.call(t, "random()")
		if err != nil {
			t.Fatal(err)
		}
		f := v.Float()
		if f < 0 || f >= 1 {
			t.Fatalf("random() = %v", f)
		}
		again, _, _ := e.call(t, "random()")
		if again.Float() != f {
			t.Fatalf("seed %d: random() = %v then %v", seed, f, again.Float())
		}
		sum += f
	}
	if mean := sum / n; math.Abs(mean-0.5) > 0.02 {
		t.Errorf("mean of random() over %d seeds = %.3f", n, mean)
	}
}

func TestErrors(t *testing.T) {
	for _, c := range []struct {
		key  string
		args []vm.Value
		msg  string
	}{
		{"matches(string, string)", args(str("x"), str("(")), "matches(string, string): invalid pattern: missing closing ): `(`"},
		{"matches(string, string)", args(str("x"), str(`\8`)), "invalid escape sequence"},
		{"to(string)", args(str("")), "empty target"},
		{"weighted(map[string, int])", args(emptyMap), "empty split"},
		{"weighted(map[string, int])", args(kv(t, str("a"), vm.Int(0))), "weights sum to 0"},
		{"weighted(map[string, int])", args(kv(t, str("a"), vm.Int(5), str("b"), vm.Int(-1))), `negative weight -1 for "b"`},
		{"weighted(map[string, int])", args(kv(t, str(""), vm.Int(5))), "empty target"},
		{"weighted(map[string, int])", args(kv(t, str("a"), vm.Int(math.MaxInt64), str("b"), vm.Int(math.MaxInt64))), "weights too large"},
		{"ab.arm(string, string, map[string, int])", args(str("e"), str("k"), kv(t, str("a"), vm.Int(-1))), "negative weight"},
	} {
		_, err := call(t, c.key, c.args...)
		e := wantCode(t, err, vm.CodeBuiltinError)
		if !strings.Contains(e.Error(), c.msg) {
			t.Errorf("%s: error %q, want %q", c.key, e.Error(), c.msg)
		}
	}
}

// TestErrorsCutText: an error that names a string the policy gave cuts
// it to 80 bytes: matches named the whole of an invalid pattern (RE2
// names it for a missing parenthesis), ab.arm a winner and its
// experiment, set_now its time, so that 1 MB of text gave a 1 MB error.
func TestErrorsCutText(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	st := &MemState{}
	st.SetWinner(big, big+"w")
	for _, c := range []struct {
		key  string
		e    env
		args []vm.Value
		msg  string
	}{
		{"matches(string, string)", env{}, args(str("x"), str("("+big)), "missing closing )"},
		{"matches(string, string)", env{}, args(str("x"), str(big+"\\8")), "invalid escape sequence"},
		{keyArm, env{in: vm.Input{Host: st}}, args(str(big), str("k"), kv(t, str("a"), vm.Int(1))), "is not an arm of the split"},
		{"testing.set_now(string)", env{in: vm.Input{Host: st}}, args(str(big)), "want an RFC 3339 time"},
		{"testing.set_now(string)", env{in: vm.Input{Host: st}}, args(str("3000-01-01T00:00:00." + strings.Repeat("1", 1000) + "Z")), "out of range"},
	} {
		_, _, err := c.e.call(t, c.key, c.args...)
		if err == nil {
			t.Errorf("%s: no error", c.key)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, c.msg) || len(msg) > 400 {
			t.Errorf("%s: error of %d bytes %q, want %q in at most 400", c.key, len(msg), textcut.Cut(msg, 400), c.msg)
		}
	}
	if _, why := constMatches([]lang.ConstValue{"x", "(" + big}); len(why) > 400 {
		t.Errorf("RPL326 of an invalid pattern: %d bytes", len(why))
	}
}

func TestFuelAndMemory(t *testing.T) {
	big := str(strings.Repeat("A", 1<<20))

	// Fuel: 3 instructions + cost 2 + 1 per 16 bytes.
	_, st, err := env{lim: vm.Limits{Fuel: 1 << 30, Memory: 1 << 30}}.call(t, "lower(string)", big)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(3 + 2 + (1<<20)/16); st.Fuel != want {
		t.Errorf("lower of 1 MiB: fuel %d, want %d", st.Fuel, want)
	}
	if want := int64(1<<20 + strHeader); st.Memory != want {
		t.Errorf("lower of 1 MiB: memory %d, want %d", st.Memory, want)
	}
	_, _, err = env{lim: vm.Limits{Fuel: 1000}}.call(t, "lower(string)", big)
	wantCode(t, err, vm.CodeFuelExhausted)
	_, _, err = env{lim: vm.Limits{Memory: 1 << 10, Fuel: 1 << 30}}.call(t, "lower(string)", big)
	wantCode(t, err, vm.CodeMemoryExhausted)

	// No allocation when the result is the input.
	lowerIn := str("already lower")
	v, st, err := env{}.call(t, "lower(string)", lowerIn)
	if err != nil || st.Memory != 0 || v.Str() != lowerIn.Str() {
		t.Errorf("lower of a lower string: %v, memory %d, %v", v, st.Memory, err)
	}
	for _, c := range []struct {
		key  string
		args []vm.Value
	}{
		{"trim(string)", args(str("x"))},
		{"substr(string, int, int)", args(big, vm.Int(5), vm.Int(1<<19))},
		{"split(string, string)", args(str("abc"), str(","))}, // only the list
		{"string(T)", args(big)},
		{"first(list[T])", args(ints(1))},
	} {
		_, st, err := env{}.call(t, c.key, c.args...)
		if err != nil || st.Memory > listBytes(1) {
			t.Errorf("%s: memory %d, %v", c.key, st.Memory, err)
		}
	}

	// Size checks happen before the work.
	small := env{lim: vm.Limits{Memory: 1 << 16, Fuel: 1 << 40}}
	for _, c := range []struct {
		key  string
		args []vm.Value
	}{
		{"range(int)", args(vm.Int(1 << 50))},
		{"range(int)", args(vm.Int(math.MaxInt64))},
		{"replace(string, string, string)", args(big, str("A"), str("BB"))},
		{"join(list[string], string)", args(list(big, big), str(","))},
		{"split(string, string)", args(big, str(""))},
		{"string(T)", args(list(big, big))},
	} {
		_, _, err := small.call(t, c.key, c.args...)
		if err == nil {
			t.Errorf("%s: no error", c.key)
			continue
		}
		wantCode(t, err, vm.CodeMemoryExhausted)
	}
	// A list holding one big list many times runs out of fuel while string()
	// measures it, instead of formatting gigabytes.
	inner := make([]vm.Value, 1000)
	for i := range inner {
		inner[i] = vm.Int(int64(i))
	}
	outer := make([]vm.Value, 100_000)
	for i := range outer {
		outer[i] = vm.NewList(inner)
	}
	_, _, err = env{lim: vm.Limits{Memory: 1 << 40}}.call(t, "string(T)", vm.NewList(outer))
	wantCode(t, err, vm.CodeFuelExhausted)
}

func TestRegexpCache(t *testing.T) {
	p := `^x[0-9]+$`
	mustCall(t, "matches(string, string)", str("x1"), str(p))
	m := reCache.m.Load()
	if m == nil || (*m)[p] == nil {
		t.Fatal("pattern not cached")
	}
	// The cache is bounded.
	for i := range reCacheMax + 10 {
		if _, err := compileRE("^p" + strings.Repeat("a", i%7) + string(rune('a'+i%26)) + "$" + strings.Repeat("|q", i/26)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(*reCache.m.Load()); n > reCacheMax {
		t.Errorf("cache holds %d patterns, cap %d", n, reCacheMax)
	}
	if v := mustCall(t, "matches(string, string)", str("x12"), str(p)); !v.Bool() {
		t.Error("cached pattern does not match")
	}
}

// TestConcurrent runs builtins that share process-wide state (the regexp
// cache, a MemState being written) from several goroutines; run with -race.
func TestConcurrent(t *testing.T) {
	st := &MemState{}
	tenant := record(t, "Tenant", map[string]vm.Value{"id": str("acme")})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			e := env{in: vm.Input{Host: st}}
			for i := range 200 {
				pat := "^c" + strconv.Itoa((g*200+i)%50) + "$"
				if _, _, err := e.call(t, "matches(string, string)", str("c7"), str(pat)); err != nil {
					t.Error(err)
					return
				}
				if _, _, err := e.call(t, "cost.month_spend(Tenant)", tenant); err != nil {
					t.Error(err)
					return
				}
				st.SetSpend("acme", int64(i), 0)
			}
		})
	}
	wg.Wait()
}

// TestDrawn: only a key of the split with a positive weight is a draw
// that a sticky session keeps.
func TestDrawn(t *testing.T) {
	split, err := vm.NewMap([]vm.Value{vm.Str("a"), vm.Str("b")}, []vm.Value{vm.Int(0), vm.Int(3)})
	if err != nil {
		t.Fatal(err)
	}
	for target, want := range map[string]bool{"a": false, "b": true, "c": false} {
		if got := Drawn(split.Map(), vm.Str(target)); got != want {
			t.Errorf("Drawn(%s) = %v, want %v", target, got, want)
		}
	}
}

// TestCaseInvalidUTF8: upper and lower map letters and keep every byte
// that is not valid UTF-8 as it is (strings.ToUpper made each one a
// 3-byte U+FFFD, before the result was accounted), and account the
// result before making it.
func TestCaseInvalidUTF8(t *testing.T) {
	runCases(t, []tcase{
		{"upper(string)", args(str("\xffé")), str("\xffÉ")},
		{"lower(string)", args(str("\xffÉ")), str("\xffé")},
		{"upper(string)", args(str("a\xe2\x82")), str("A\xe2\x82")}, // a cut character
		{"upper(string)", args(str("\xef\xbf\xbdb")), str("\xef\xbf\xbdB")},
	})
	invalid := strings.Repeat("\xff", 1<<20)
	v, st, err := env{lim: vm.Limits{Fuel: 1 << 30, Memory: 1 << 30}}.call(t, "upper(string)", str(invalid+"a"))
	if err != nil || v.Str() != invalid+"A" {
		t.Fatalf("upper of 1 MiB of invalid bytes and a: %d bytes, %v", len(v.Str()), err)
	}
	if want := int64(1<<20 + 1 + strHeader); st.Memory != want {
		t.Errorf("upper of 1 MiB of invalid bytes and a: memory %d, want %d", st.Memory, want)
	}
	_, _, err = env{lim: vm.Limits{Fuel: 1 << 30, Memory: 1<<20 + strHeader}}.call(t, "upper(string)", str(invalid+"a"))
	wantCode(t, err, vm.CodeMemoryExhausted)
	v, st, err = env{lim: vm.Limits{Fuel: 1 << 30}}.call(t, "lower(string)", str(invalid))
	if err != nil || v.Str() != invalid || st.Memory != 0 {
		t.Errorf("lower of invalid bytes: %d bytes, memory %d, %v; want the input, no memory", len(v.Str()), st.Memory, err)
	}
	// Valid UTF-8 maps as strings.ToUpper and ToLower do, every character.
	var all strings.Builder
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if utf8.ValidRune(r) {
			all.WriteRune(r)
		}
	}
	lim := env{lim: vm.Limits{Fuel: 1 << 30, Memory: 1 << 30}}
	for key, want := range map[string]string{"upper(string)": strings.ToUpper(all.String()), "lower(string)": strings.ToLower(all.String())} {
		v, st, err := lim.call(t, key, str(all.String()))
		if err != nil || v.Str() != want || st.Memory != int64(len(want))+strHeader {
			t.Errorf("%s of every character: %v, memory %d; differs from strings'", key, err, st.Memory)
		}
	}
}

// TestSetNowRange checks testing.set_now's bounds and that its error names
// them to the nanosecond: in whole seconds its first time was out of range.
func TestSetNowRange(t *testing.T) {
	first, last := vm.TimeRange()
	e := env{in: vm.Input{Host: &MemState{}}}
	for _, tt := range []struct {
		at string
		ok bool
	}{
		{first.Format(time.RFC3339Nano), true},
		{last.Format(time.RFC3339Nano), true},
		{"1677-09-21T00:12:43Z", false},
		{"2262-04-11T23:47:16.854775808Z", false},
	} {
		_, _, err := e.call(t, "testing.set_now(string)", str(tt.at))
		if (err == nil) != tt.ok {
			t.Errorf("set_now(%s): %v, want ok %v", tt.at, err, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "times are from 1677-09-21T00:12:43.145224192Z to 2262-04-11T23:47:16.854775807Z") {
			t.Errorf("set_now(%s): %v, want the range to the nanosecond", tt.at, err)
		}
	}
}

// TestCaseChargesWide: upper and lower charge 1 fuel per byte that is not
// ASCII past the ASCII start they leave as it is, on top of 1 per 16
// bytes: they charged 1 per 16 only, and took 160 to 760 ns a fuel on
// Latin, Greek, Cyrillic and CJK text (BenchmarkCaseFuel), where an ASCII
// text takes tens.
func TestCaseChargesWide(t *testing.T) {
	const n = 1 << 12
	for _, c := range []struct {
		key, s string
		wide   int
	}{
		{"upper(string)", strings.Repeat("é", n), 2 * n},
		{"lower(string)", strings.Repeat("É", n), 2 * n},
		{"upper(string)", strings.Repeat("漢", n), 3 * n}, // unchanged: looked up all the same
		{"lower(string)", "abc " + strings.Repeat("ÉA", n), 2 * n},
		{"upper(string)", strings.Repeat("ab", n) + "é", 2},
		{"upper(string)", strings.Repeat("AB", n), 0},
		{"lower(string)", strings.Repeat("AB", n) + "É", 2},
	} {
		_, st, err := env{lim: vm.Limits{Fuel: 1 << 30, Memory: 1 << 30}}.call(t, c.key, str(c.s))
		if err != nil {
			t.Fatal(err)
		}
		if want := int64(3 + 2 + len(c.s)/16 + c.wide); st.Fuel != want {
			t.Errorf("%s of %.12q…: fuel %d, want %d", c.key, c.s, st.Fuel, want)
		}
		_, _, err = env{lim: vm.Limits{Fuel: int64(3 + 2 + len(c.s)/16 + c.wide - 1)}}.call(t, c.key, str(c.s))
		wantCode(t, err, vm.CodeFuelExhausted)
	}
}
