package vm

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

func TestValueString(t *testing.T) {
	mp, err := NewMap([]Value{Str("b"), Str("a"), Str("b")}, []Value{Int(1), Int(2), Int(3)})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		v    Value
		want string
	}{
		{Nil(), "none"},
		{Bool(true), "true"},
		{Int(-42), "-42"},
		{Float(1), "1.0"},
		{Float(2.5), "2.5"},
		{Float(math.Inf(1)), "+Inf"},
		{Str("a\"b"), `"a\"b"`},
		{Duration(250 * time.Millisecond), "250ms"},
		{Duration(90 * time.Minute), "1h30m"},
		{Duration(1500 * time.Millisecond), "1s500ms"},
		{Duration(0), "0s"},
		{Duration(-2 * time.Minute), "-2m"},
		// Days, as a literal is written and the runtime's JSON writes
		// one: string(d) wrote hours at most (25h).
		{Duration(25 * time.Hour), "1d1h"},
		{Duration(math.MinInt64), "-106751d23h47m16s854ms775us808ns"},
		{Money(2_500_000), "$0.0025"},
		{Money(1e9), "$1.00"},
		{Money(-3_500_000_000), "-$3.50"},
		{Time(0), `time("1970-01-01T00:00:00Z")`},
		{NewList([]Value{Int(1), Int(2)}), "[1, 2]"},
		{NewList(nil), "[]"},
		{mp, `{"a": 2, "b": 3}`}, // ascending key order, as the language iterates maps, whatever the insertion order
		{NewRecord([]Value{Int(1), Str("x")}), `{1, "x"}`},
	}
	for _, c := range cases {
		if got := c.v.String(); got != c.want {
			t.Errorf("String() = %s, want %s", got, c.want)
		}
	}
}

func TestMapsAndCompare(t *testing.T) {
	// Large maps use an index; lookups agree with small ones.
	var keys, vals []Value
	for i := range 20 {
		keys = append(keys, Str(fmt.Sprint("k", i)), Int(int64(i)))
		vals = append(vals, Int(int64(i)), Int(int64(-i)))
	}
	mv, err := NewMap(keys, vals)
	if err != nil {
		t.Fatal(err)
	}
	m := mv.Map()
	if m.Len() != 40 {
		t.Fatalf("len %d", m.Len())
	}
	if v, ok := m.Get(Str("k7")); !ok || v.Int() != 7 {
		t.Errorf("k7 = %v %v", v, ok)
	}
	if v, ok := m.Get(Int(7)); !ok || v.Int() != -7 {
		t.Errorf("7 = %v %v", v, ok)
	}
	if _, ok := m.Get(Str("nope")); ok {
		t.Error("found a missing key")
	}
	if _, err := NewMap([]Value{Float(1)}, []Value{Int(1)}); err == nil {
		t.Error("float key accepted")
	}
	// Map equality and Compare ignore insertion order: Compare takes the
	// entries in ascending key order, as the language iterates maps.
	a, _ := NewMap([]Value{Str("x"), Str("y")}, []Value{Int(1), Int(2)})
	b, _ := NewMap([]Value{Str("y"), Str("x")}, []Value{Int(2), Int(1)})
	if !Equal(a, b) {
		t.Error("maps with equal entries differ")
	}
	if Compare(a, b) != 0 {
		t.Error("Compare of equal maps depends on their insertion order")
	}
	c, _ := NewMap([]Value{Str("y"), Str("x")}, []Value{Int(0), Int(2)}) // {"x": 2, "y": 0}
	if Compare(a, c) != -1 || Compare(c, a) != 1 {
		t.Errorf("Compare(%s, %s) = %d, want -1 (ascending key order)", a, c, Compare(a, c))
	}
	ordered := []Value{Nil(), Bool(false), Bool(true), Int(-1), Int(3), Float(math.NaN()), Float(-1), Float(2),
		Str(""), Str("a"), Str("b"), Duration(1), Money(1), Time(1),
		NewList(nil), NewList([]Value{Int(1)}), NewList([]Value{Int(1), Int(0)}), NewList([]Value{Int(2)})}
	for i := range ordered {
		for j := range ordered {
			want := cmp3(i, j)
			if got := Compare(ordered[i], ordered[j]); got != want {
				t.Errorf("Compare(%s, %s) = %d, want %d", ordered[i], ordered[j], got, want)
			}
		}
	}
	if Equal(Float(math.NaN()), Float(math.NaN())) {
		t.Error("NaN == NaN")
	}
	if !Equal(Str("ab"), Str(string([]byte{'a', 'b'}))) {
		t.Error("equal strings differ")
	}
}

func TestPool(t *testing.T) {
	p := straight(t, []Value{Str("x"), Str("y")}, nil, I(OpConst, 0), I(OpConst, 1), I(OpConcat))
	m := Get()
	v, st, err := m.Run(context.Background(), p, 0, nil, Limits{}, Input{})
	if err != nil || v.Str() != "xy" || st.Memory != 2+strHeader || st.Fuel != 4 {
		t.Fatalf("%v %+v %v", v, st, err)
	}
	Put(m)
	m = Get()
	defer Put(m)
	if v, _, err := m.Run(context.Background(), p, 0, nil, Limits{}, Input{}); err != nil || v.Str() != "xy" {
		t.Fatalf("%v %v", v, err)
	}
}

// ExampleMachine_Run builds a tiny program by hand (the compiler does this
// for real policies), encodes and loads it, and runs it with limits.
func ExampleMachine_Run() {
	// long_prompt(r) = r.estimate > 8000, with r a record {estimate, tier}.
	code, err := Asm(
		I(OpLocalField, 0, 0),
		I(OpGtIntConst, 0),
		I(OpReturn),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	spec := &ProgramSpec{
		Functions: []FunctionSpec{{
			Name: "long_prompt", File: "acme.rpl", NumParams: 1, NumLocals: 1,
			Code: code, Lines: []LineEntry{{PC: 0, Line: 3, Col: 40}},
		}},
		Constants: []Value{Int(8000)},
		Entries:   map[string]int{"long_prompt": 0},
	}
	p, err := NewProgram(spec, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	data, err := p.MarshalBinary()
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err = Load(data, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	entry, _ := p.Entry("long_prompt")
	m := Get()
	defer Put(m)
	req := NewRecord([]Value{Int(9000), Str("gold")})
	v, stats, err := m.Run(context.Background(), p, entry, []Value{req}, Limits{Fuel: 100}, Input{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(v, stats.Fuel)
	// Output: true 3
}

// TestTimeInRange: the times in range are those TimeOf keeps, to the
// nanosecond at both ends; in milliseconds, the bounds are whole
// milliseconds in range.
func TestTimeInRange(t *testing.T) {
	first, last := TimeRange()
	for _, c := range []struct {
		t  time.Time
		in bool
	}{
		{first, true},
		{last, true},
		{time.Unix(0, 0), true},
		{first.Add(-1), false},
		{last.Add(1), false},
		{time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), false},
	} {
		if got := TimeInRange(c.t); got != c.in {
			t.Errorf("TimeInRange(%s) = %v, want %v", c.t, got, c.in)
		}
		if kept := TimeOf(c.t).Time().Equal(c.t); kept != c.in {
			t.Errorf("TimeOf(%s) kept: %v, want %v", c.t, kept, c.in)
		}
	}
	for _, ms := range []int64{MinTimeMillis, MaxTimeMillis} {
		if tm := time.UnixMilli(ms); !TimeInRange(tm) {
			t.Errorf("%d ms (%s) out of range", ms, tm)
		}
	}
	if tm := time.UnixMilli(MaxTimeMillis + 1); TimeInRange(tm) {
		t.Errorf("%d ms (%s) in range", MaxTimeMillis+1, tm)
	}
	if tm := time.UnixMilli(MinTimeMillis - 1); TimeInRange(tm) {
		t.Errorf("%d ms (%s) in range", MinTimeMillis-1, tm)
	}
}

// String is for messages: a large value is cut after about MaxString
// bytes and followed by its length; Literal is whole.
func TestValueStringBounded(t *testing.T) {
	big := Str(strings.Repeat("a", 1<<20))
	elems := make([]Value, 100_000)
	for i := range elems {
		elems[i] = Int(int64(i))
	}
	keys := make([]Value, 5_000)
	for i := range keys {
		keys[i] = Int(int64(i))
	}
	mp, err := NewMap(keys, keys)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		v     Value
		tail  string
		whole int // len(Literal())
	}{
		{big, " (1048576 bytes)", 1<<20 + 2},
		{NewList(elems), " (100000 elements)", -1},
		{NewList([]Value{big}), " (1 element)", -1},
		{mp, " (5000 elements)", -1},
		{NewRecord(elems), " (100000 elements)", -1},
	} {
		s := c.v.String()
		if len(s) > MaxString+64 || !strings.HasSuffix(s, c.tail) || !strings.Contains(s, "...") {
			t.Errorf("%s value: String() is %d bytes, ending %q; want at most %d, cut, ending %q",
				c.v.Kind(), len(s), s[max(len(s)-40, 0):], MaxString+64, c.tail)
		}
		if l := c.v.Literal(); len(l) <= MaxString+64 || strings.Contains(l, "...") || (c.whole >= 0 && len(l) != c.whole) {
			t.Errorf("%s value: Literal() is %d bytes, want it whole", c.v.Kind(), len(l))
		}
	}
	// A short value is written whole, with no length; so is one whole
	// but a few bytes over MaxString (its quotes, a list's brackets).
	if s := NewList(elems[:3]).String(); s != "[0, 1, 2]" {
		t.Errorf("short list: %q", s)
	}
	for _, n := range []int{MaxString - 2, MaxString - 1, MaxString} {
		for _, v := range []Value{Str(strings.Repeat("b", n)), NewList([]Value{Str(strings.Repeat("b", n-2))})} {
			if s, l := v.String(), v.Literal(); s != l {
				t.Errorf("%s of %d bytes, whole: String() ends %q, want it as Literal()", v.Kind(), n, s[max(len(s)-30, 0):])
			}
		}
	}
	if s := Str(strings.Repeat("b", MaxString+1)).String(); !strings.HasSuffix(s, fmt.Sprintf(`"... (%d bytes)`, MaxString+1)) {
		t.Errorf("string of MaxString+1 bytes: String() ends %q, want it cut", s[max(len(s)-30, 0):])
	}
}

// A money's text is the money literal's (money.Append, which
// lang.FormatMoney writes too), made with one allocation, the string's: the
// machine had its own copy, which allocated two to five times.
func TestFormatMoneyOneAlloc(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{
		{0, "$0.00"}, {1, "$0.000000001"}, {-1, "-$0.000000001"}, {2_500_000, "$0.0025"}, {-3_500_000_000, "-$3.50"},
		{123_456_789_012, "$123.456789012"}, {math.MaxInt64, "$9223372036.854775807"}, {math.MinInt64, "-$9223372036.854775808"},
	} {
		n := c.n
		if got := formatMoney(n); got != c.want {
			t.Errorf("formatMoney(%d) = %s, want %s", n, got, c.want)
		}
		if a := testing.AllocsPerRun(100, func() { _ = formatMoney(n) }); a > 1 {
			t.Errorf("formatMoney(%d): %v allocations, want at most 1", n, a)
		}
	}
}
