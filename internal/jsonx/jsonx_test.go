package jsonx

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestParseMoney(t *testing.T) {
	for in, want := range map[string]int64{
		"0.25": 250_000_000, "$0.25": 250_000_000, " -0.5 ": -500_000_000, "-$1": -1_000_000_000, "3": 3_000_000_000,
		".5": 500_000_000, "5.": 5_000_000_000, "0": 0, "-0": 0, "000.000": 0, "0e999999999999999999999": 0,
		// exponent forms, as a JSON number may be written
		"1.5e-3": 1_500_000, "1E2": 100_000_000_000, "2.5e+1": 25_000_000_000, "$1e-9": 1, "-12e-1": -1_200_000_000,
		"0.000000001": 1, "1000e-12": 1, "9223372036.854775807": math.MaxInt64, "-9223372036.854775807": -math.MaxInt64,
	} {
		if got, err := ParseMoney(in); err != nil || got != want {
			t.Errorf("ParseMoney(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"": `want money (0.0123 or "$0.0123"), have ""`, "abc": `have "abc"`, "$$1": "", "--1": "", "1e3x": "", "1e": "", "e3": "",
		".": "", "1.2.3": "", "1_000": "", "$": "", "0x10": "", "+1": "", "1 000": "", "Inf": "", "NaN": "",
		"1e-10":                 "1e-10 has more than 9 decimals",
		" 0.0000000001 ":        "0.0000000001 has more than 9 decimals",
		"1e-999999999999999999": "has more than 9 decimals",
		"9223372036.854775808":  "9223372036.854775808 is out of range (money is within ±$9223372036.854775807)",
		"-1e400":                "-1e400 is out of range (money is within ±$9223372036.854775807)",
		// 1e49 and 1e-51, whatever the zeros around the digit.
		"0." + strings.Repeat("0", 150) + "1e200": "is out of range",
		strings.Repeat("0", 150) + "1e-200":       "has more than 9 decimals",
	} {
		_, err := ParseMoney(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseMoney(%q): error %v, want %q", in, err, want)
			continue
		}
		syntax, tooMuch := errors.Is(err, ErrMoneySyntax), errors.Is(err, ErrMoneyRange)
		if syntax != strings.HasPrefix(err.Error(), "want money") || tooMuch != strings.Contains(want, "out of range") {
			t.Errorf("ParseMoney(%q): %v, syntax %v, range %v", in, err, syntax, tooMuch)
		}
	}
}

// TestKinds: one vocabulary for a decoded value, JSON text and a Go
// type's JSON.
func TestKinds(t *testing.T) {
	for text, want := range map[string]string{`null`: "null", ` true`: "a boolean", `false`: "a boolean", `-1`: "a number", `1e3`: "a number",
		`"x"`: "a string", "\n [1]": "a list", `{}`: "an object", ``: "nothing"} {
		if got := KindOfJSON([]byte(text)); got != want {
			t.Errorf("KindOfJSON(%q) = %s, want %s", text, got, want)
		}
		var x any
		if text != `` && json.Unmarshal([]byte(text), &x) == nil && Kind(x) != want {
			t.Errorf("Kind(%s) = %s, KindOfJSON says %s", text, Kind(x), want)
		}
	}
}

func TestKindOf(t *testing.T) {
	type rec struct{ A int }
	for v, want := range map[any]string{"": "a string", 1.5: "a number", true: "a boolean", rec{}: "an object", &rec{}: "an object"} {
		if got := KindOf(reflect.TypeOf(v)); got != want {
			t.Errorf("KindOf(%T) = %s, want %s", v, got, want)
		}
	}
	if got := KindOf(reflect.TypeOf([]int{})); got != "a list" {
		t.Errorf("KindOf([]int) = %s", got)
	}
}

// FuzzParseMoney checks ParseMoney against exact rational arithmetic: an
// amount in the accepted syntax parses iff it is a whole number of
// nano-units that int64 holds, and then to that number; any other text is
// a syntax error.
func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"0.25", "$0.25", "-$1", "1.5e-3", "1e-10", "9223372036.854775807", "9223372036.854775808", "1e400", "abc", ".5", "-0", "1_0"} {
		f.Add(s)
	}
	syntax := regexp.MustCompile(`^-?\$?([0-9]+\.?[0-9]*|\.[0-9]+)([eE]([+-]?[0-9]+))?$`)
	limit := new(big.Rat).SetInt64(math.MaxInt64)
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseMoney(s)
		text := strings.TrimSpace(s)
		m := syntax.FindStringSubmatch(text)
		if m == nil {
			if !errors.Is(err, ErrMoneySyntax) {
				t.Fatalf("ParseMoney(%q) = %d, %v; want a syntax error", s, n, err)
			}
			return
		}
		if e, _ := strconv.Atoi(m[3]); len(m[3]) > 6 || e > 400 || e < -400 {
			return // exact arithmetic on such exponents is too slow
		}
		num := strings.Replace(text, "$", "", 1)
		if strings.HasSuffix(m[1], ".") {
			num = strings.Replace(num, ".", "", 1) // big.Rat wants a digit after the point
		}
		want, ok := new(big.Rat).SetString(num)
		if !ok {
			t.Fatalf("reference cannot read %q", num)
		}
		want.Mul(want, big.NewRat(1e9, 1))
		switch {
		case !want.IsInt():
			if err == nil || !strings.Contains(err.Error(), "more than 9 decimals") {
				t.Fatalf("ParseMoney(%q) = %d, %v; want more than 9 decimals", s, n, err)
			}
		case new(big.Rat).Abs(want).Cmp(limit) > 0:
			if !errors.Is(err, ErrMoneyRange) {
				t.Fatalf("ParseMoney(%q) = %d, %v; want out of range", s, n, err)
			}
		case err != nil || want.Num().Int64() != n:
			t.Fatalf("ParseMoney(%q) = %d, %v; want %s", s, n, err, want.Num())
		}
	})
}

// TestAt: a syntax error is placed at the byte at fault, a text ending
// early at its end; other errors pass unchanged.
func TestAt(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{`{"a": 1,, }`, "line 1, column 9: invalid character ',' looking for beginning of object key string"},
		{"{\n  \"task\": {\"type\": \"code\",, }\n}", "line 2, column 27: invalid character ',' looking for beginning of object key string"},
		{"{\"a\":\n  tru }", "line 2, column 6: invalid character ' ' in literal true (expecting 'e')"},
		{"{\"a\": [1,\n", "line 2, column 1: unexpected end of JSON input"},
		{"", "line 1, column 1: unexpected end of JSON input"},
	} {
		var x any
		err := json.NewDecoder(strings.NewReader(c.text)).Decode(&x)
		if c.text == "" {
			err = io.ErrUnexpectedEOF
		}
		got := At([]byte(c.text), err)
		if got == nil || got.Error() != c.want {
			t.Errorf("%q: %v, want %s", c.text, got, c.want)
		}
		// Its place, for a tool to print as FILE:LINE:COL.
		if pe, ok := errors.AsType[*PosError](fmt.Errorf("wrapped: %w", got)); !ok || fmt.Sprintf("line %d, column %d: %s", pe.Line, pe.Col, pe.Msg) != c.want {
			t.Errorf("%q: PosError %+v", c.text, pe)
		}
	}
	// json.Unmarshal's error for a document cut short is a SyntaxError,
	// placed at the end, as a Decoder's io.ErrUnexpectedEOF is (it was
	// placed at the last byte, a column before).
	cut := []byte(`{"a":`)
	var x any
	if got, want := At(cut, json.Unmarshal(cut, &x)), "line 1, column 6: unexpected end of JSON input"; got == nil || got.Error() != want {
		t.Errorf("cut short: %v, want %s", got, want)
	}
	other := errors.New("json: unknown field \"x\"")
	if got := At([]byte(`{"x": 1}`), other); got != other {
		t.Errorf("other error: %v", got)
	}
}

// TestDecodeOne: one value and space alone, numbers as written; data
// after the value is refused at its first byte, whose offset a tool that
// places errors itself reads; the decoder's errors are left for At.
func TestDecodeOne(t *testing.T) {
	var x any
	if err := DecodeOne([]byte(" {\"n\": 1.50}\n\t"), &x); err != nil {
		t.Fatal(err)
	}
	if n := x.(map[string]any)["n"]; n != json.Number("1.50") {
		t.Errorf("n = %#v, want json.Number(\"1.50\")", n)
	}
	for _, c := range []struct {
		text string
		off  int64
		want string
	}{
		{`{} x`, 3, "line 1, column 4: data after the value"},
		{"[1]\n\n  ]", 7, "line 3, column 3: data after the value"},
		{`1 2`, 2, "line 1, column 3: data after the value"},
	} {
		err := DecodeOne([]byte(c.text), &x)
		pe, ok := err.(*PosError)
		if !ok || pe.Error() != c.want || pe.Offset != c.off {
			t.Errorf("%q: %#v, want %s at offset %d", c.text, err, c.want, c.off)
		}
	}
	if err := DecodeOne([]byte(" \n"), &x); err != io.EOF {
		t.Errorf("space alone: %v, want io.EOF", err)
	}
	if err := DecodeOne([]byte(`{"a": [1,`), &x); err != io.ErrUnexpectedEOF {
		t.Errorf("cut short: %v, want io.ErrUnexpectedEOF", err)
	}
	var m map[string]int
	if _, ok := TypeError(DecodeOne([]byte(`{"a": "b"} x`), &m)); !ok {
		t.Errorf("a type error is the decoder's, before the data after it")
	}
}

// TestWithin: an error at a place said to be about something keeps the
// thing and the place apart, for a tool that prints the place first
// (rplc: "s.json:1:9: invalid state: msg"), and reads as a wrapped error
// otherwise; an error at no place is wrapped.
func TestWithin(t *testing.T) {
	err := Within("invalid state", Within("spend", PosAt([]byte(`{"a": 1,, }`), 8, "msg")))
	pe, ok := err.(*PosError)
	if !ok {
		t.Fatalf("%T %v, want a *PosError", err, err)
	}
	if got, want := pe.Error(), "invalid state: spend: line 1, column 9: msg"; got != want {
		t.Errorf("Error: %q, want %q", got, want)
	}
	if got, want := pe.Text(), "invalid state: spend: msg"; got != want || pe.Line != 1 || pe.Col != 9 {
		t.Errorf("Text: %q at %d:%d, want %q at 1:9", got, pe.Line, pe.Col, want)
	}
	if got, want := (&PosError{Line: 2, Col: 3, Msg: "msg"}).Text(), "msg"; got != want {
		t.Errorf("Text without About: %q, want %q", got, want)
	}
	other := errors.New("want an object")
	if err := Within("invalid state", other); err.Error() != "invalid state: want an object" || !errors.Is(err, other) {
		t.Errorf("another error: %v", err)
	}
}

// TestTypeError: why a value did not decode, in JSON words.
func TestTypeError(t *testing.T) {
	var dst struct {
		N int     `json:"n"`
		U uint64  `json:"u"`
		F float64 `json:"f"`
		S string  `json:"s"`
		P *uint8  `json:"p"`
	}
	for in, want := range map[string]string{
		`{"n": 1.5}`:   "want a whole number, have 1.5",
		`{"n": 1e30}`:  "1e30 is out of range",
		`{"u": -1}`:    "-1 is out of range (0 to 18446744073709551615)",
		`{"u": 1e20}`:  "1e20 is out of range (0 to 18446744073709551615)",
		`{"p": -1}`:    "-1 is out of range (0 to 255)",
		`{"f": 1e400}`: "1e400 is out of range",
		`{"s": 5}`:     "want a string, have a number",
		`{"n": "x"}`:   "want a number, have a string",
		`{"s": [1]}`:   "want a string, have a list",
		`{"s": {}}`:    "want a string, have an object",
		`{"s": true}`:  "want a string, have a boolean",
		`{"n": 1e-1}`:  "want a whole number, have 1e-1",
		// exactly: 1.0000000000000000001 is 1 as a float64, not whole
		`{"n": 1.0000000000000000001}`: "want a whole number, have 1.0000000000000000001",
	} {
		msg, ok := TypeError(json.Unmarshal([]byte(in), &dst))
		if !ok || msg != want {
			t.Errorf("%s: %q %v, want %q", in, msg, ok, want)
		}
	}
	if _, ok := TypeError(errors.New("other")); ok {
		t.Error("another error taken for a type error")
	}
}

// TestUnmarshal: an integer takes a whole number however JSON writes it;
// what is not whole, or does not fit, is refused in the words of
// TypeError, quoting the number as written.
func TestUnmarshal(t *testing.T) {
	type rec struct {
		N   int             `json:"n"`
		U8  uint8           `json:"u8"`
		U   uint64          `json:"u"`
		F   float64         `json:"f"`
		S   string          `json:"s"`
		Raw json.RawMessage `json:"raw"`
		L   []int64         `json:"l"`
	}
	for in, want := range map[string]rec{
		`{"n": 1e3}`:                           {N: 1000},
		`{"n": 1E+3}`:                          {N: 1000},
		`{"n": 2.5e2}`:                         {N: 250},
		`{"n": 1000.0}`:                        {N: 1000},
		`{"n": 10e-1}`:                         {N: 1},
		`{"n": -1.20e1}`:                       {N: -12},
		`{"n": 0e400}`:                         {N: 0},
		`{"n": -0.0}`:                          {N: 0},
		`{"n": 0.0000e-999999999999999999999}`: {N: 0},
		`{"u": 1.8446744073709551615e19}`:      {U: math.MaxUint64},
		`{"u8": 2.55e2}`:                       {U8: 255},
		`{"l": [1e0, 2, 3.0e0], "f": 1.5e0, "s": "1e3"}`: {L: []int64{1, 2, 3}, F: 1.5, S: "1e3"},
		// a number in a string is not respelt, nor a float's value
		// changed; a raw value beside a respelt number has its digits
		`{"n": 1e1, "s": "\\\" 1e3", "f": 1e-1, "raw": 2e1}`: {N: 10, S: `\" 1e3`, F: 0.1, Raw: json.RawMessage(`20`)},
	} {
		var got rec
		if err := Unmarshal([]byte(in), &got); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %+v %v, want %+v", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		`{"n": 1.5e0}`:                           "want a whole number, have 1.5e0",
		`{"n": 1e400}`:                           "1e400 is out of range",
		`{"n": 1e19}`:                            "1e19 is out of range", // spelt in digits, out of int's range: quoted as written
		`{"u": -1e0}`:                            "-1e0 is out of range (0 to 18446744073709551615)",
		`{"u8": 2.56e2}`:                         "2.56e2 is out of range (0 to 255)",
		`{"u": 1.8446744073709551616e19}`:        "1.8446744073709551616e19 is out of range (0 to 18446744073709551615)",
		`{"n": 1e-999999999999999999999}`:        "want a whole number, have 1e-999999999999999999999",
		`{"n": 1e999999999999999999999}`:         "1e999999999999999999999 is out of range",
		`{"n": 1e3, "s": 5}`:                     "want a string, have a number", // the error after the number read
		`{"n": 1e3, "l": [1, 1e2, 2.5e2, 1e30]}`: "1e30 is out of range",
	} {
		var got rec
		msg, ok := TypeError(Unmarshal([]byte(in), &got))
		if !ok || msg != want {
			t.Errorf("%s: %q %v, want %q", in, msg, ok, want)
		}
	}
	// Another error passes unchanged.
	var n int
	if err := Unmarshal([]byte(`{`), &n); err == nil {
		t.Error("malformed JSON decoded")
	}
}

// FuzzUnmarshalInt checks Unmarshal against exact rational arithmetic: a
// JSON number decodes into an int64 iff it is a whole number that int64
// holds, and then to that number; else TypeError quotes it as written,
// cut as Echo cuts it (a number longer than MaxEcho bytes).
func FuzzUnmarshalInt(f *testing.F) {
	for _, s := range []string{"1e3", "1.5e0", "1e400", "-0.0", "10e-1", "9.223372036854775807e18", "9223372036854775808", "0.1e1", "12345678901234567890e-10"} {
		f.Add(s)
	}
	syntax := regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?([0-9]+))?$`)
	lo, hi := new(big.Rat).SetInt64(math.MinInt64), new(big.Rat).SetInt64(math.MaxInt64)
	f.Fuzz(func(t *testing.T, s string) {
		m := syntax.FindStringSubmatch(s)
		if m == nil {
			return
		}
		if e, err := strconv.Atoi(m[4]); err != nil && m[4] != "" || e > 400 {
			return // exact arithmetic on such exponents is too slow
		}
		want, ok := new(big.Rat).SetString(s)
		if !ok {
			t.Fatalf("reference cannot read %q", s)
		}
		var n int64
		err := Unmarshal([]byte(s), &n)
		msg, _ := TypeError(err)
		switch {
		case !want.IsInt():
			if msg != "want a whole number, have "+Echo(s) {
				t.Fatalf("%s: %d, %v; want not whole", s, n, err)
			}
		case want.Cmp(lo) < 0 || want.Cmp(hi) > 0:
			if msg != Echo(s)+" is out of range" {
				t.Fatalf("%s: %d, %v; want out of range", s, n, err)
			}
		case err != nil || want.Num().Int64() != n:
			t.Fatalf("%s: %d, %v; want %s", s, n, err, want.Num())
		}
	})
}

func TestParseInt(t *testing.T) {
	for lit, want := range map[string]int64{"0": 0, "-12": -12, "1e3": 1000, "1000.0": 1000, "-2.5e1": -25, "9.223372036854775807e18": math.MaxInt64} {
		if n, ok := ParseInt(lit); !ok || n != want {
			t.Errorf("ParseInt(%s) = %d, %v; want %d", lit, n, ok, want)
		}
	}
	for _, lit := range []string{"1.5", "1e-1", "1e19", "9223372036854775808", "1e400"} {
		if n, ok := ParseInt(lit); ok {
			t.Errorf("ParseInt(%s) = %d, want not an int64", lit, n)
		}
	}
}

func TestPathOffset(t *testing.T) {
	data := []byte(`{
  "tenants": [
    {"id": "a", "policy": "p"},
    {"id": "b", "parents": ["a", "c"], "policy" : "premiumx"}
  ],
  "empty": [[], {}, [ ], { }],
  "x.y": 1
}`)
	for path, want := range map[string]string{
		"tenants[1].policy":     `"premiumx"`,
		"tenants[1].parents[1]": `"c"`,
		"tenants[0]":            `{"id": "a"`,
		"tenants":               `[`,
		"x.y":                   `1`, // a key with a dot, written as it is
		"empty[3]":              `{ }`,
	} {
		off, ok := PathOffset(data, path)
		if !ok || !strings.HasPrefix(string(data[off:]), want) {
			t.Errorf("PathOffset(%s) = %d, %v: at %.12q, want %q", path, off, ok, data[min(off, int64(len(data))):], want)
		}
	}
	for _, path := range []string{"tenants[2]", "tenants[1].nope", "tenants.id", "tenants[0][1]", "", "a..b", "tenants[x]", "tenants[1]x", "tenants[+1]", "tenants[-0]", "empty[0][0]", "empty[1].a", "empty[4]", "x", `"x.y"x`} {
		if off, ok := PathOffset(data, path); ok {
			t.Errorf("PathOffset(%q) = %d, want none", path, off)
		}
	}
	if _, ok := PathOffset([]byte(`{"a": [1,`), "a[3]"); ok {
		t.Error("a path into truncated JSON was found")
	}
}

// awkwardKeys are keys a path spells with its own punctuation, quotes,
// or cuts: the keys a client or a policy author may write.
var awkwardKeys = []string{
	"plain", "a b", " ", "\t", "line\nbreak", `"`, `a"b`, `\`, "x.y", ".", "a.", "[0]", "a[0]", `[""]`, "[", "]",
	"", `""`, "é", "ünïcödé key", "日本語", "🙂", "<&>", "…", "a… (3 bytes)", "\x00", "\u2028",
	strings.Repeat("k", MaxEcho), strings.Repeat("k", MaxEcho+1), strings.Repeat("long key ", 40),
	strings.Repeat("é", 100), strings.Repeat("k", MaxEcho-1) + "日本", strings.Repeat(".", 300),
}

// TestKeyPath: a key's step, bare when it reads back as itself alone,
// else in the one form that does.
func TestKeyPath(t *testing.T) {
	long := strings.Repeat("k", MaxEcho+1)
	for _, c := range []struct{ at, key, want string }{
		{"", "tier", "tier"},
		{"tenants[0]", "tier", "tenants[0].tier"},
		{"m", "", `m[""]`},
		{"", "", `[""]`},
		{"m", "a b", `m."a b"`},
		{"m", "a: b", `m."a: b"`},
		{"m", "line\nbreak", `m."line\nbreak"`},
		{"m", "[0]", `m."[0]"`}, // not m[0], an index
		{"", "[0]", `"[0]"`},
		{"m", `[""]`, `m."[\"\"]"`}, // not m[""], the empty key
		{"m", `"q"`, `m."\"q\""`},   // not m."q", the key q quoted
		{"m", `a"b`, `m.a"b`},
		{"m", "x.y", "m.x.y"},
		{"m", "a[0]", "m.a[0]"},
		{"m", long, "m." + Echo(long)},
	} {
		if got := KeyPath(c.at, c.key); got != c.want {
			t.Errorf("KeyPath(%q, %q) = %s, want %s", c.at, c.key, got, c.want)
		}
	}
}

// TestPathOffsetRoundTrip: every path a writer of this project's paths
// gives a key (DuplicateKey's; Echo's form, QuoteEcho's, `[""]`, as
// catalogue.json's and the feedback decoder's errors write one) is read
// back to the key's value, however the key is spelt, beside a sibling
// whose path it could be mistaken for.
func TestPathOffsetRoundTrip(t *testing.T) {
	for _, k := range awkwardKeys {
		q, err := json.Marshal(k)
		if err != nil {
			t.Fatal(err)
		}
		// Written by DuplicateKey: the path of the key given twice,
		// its first occurrence for PathOffset, its second (where the
		// error that it is given twice is placed) for RepeatOffset.
		doc := `{"x": {"y": 0}, "a": [0, {"pad": 1, ` + string(q) + `: {"in": ["here"]}, ` + string(q) + `: 2}]}`
		path, dup := DuplicateKey([]byte(doc), "", 0)
		if !dup {
			t.Fatalf("%q: no duplicate key in %s", k, doc)
		}
		checkPathOffset(t, doc, path+".in[0]", `"here"`)
		checkPathOffset(t, doc, path, `{"in"`)
		checkRepeatOffset(t, doc, path, "2")

		// Written as an error names a field: Echo's form or QuoteEcho's,
		// `[""]` for the empty key, at the top or within.
		doc = `{` + string(q) + `: {"in": ["top"]}, "x": {"y": 0}, "a": [0, {"pad": 1, ` + string(q) + `: {"in": ["here"]}}]}`
		forms := []string{Echo(k), QuoteEcho(k)}
		if k == "" {
			forms = []string{`[""]`}
		}
		for _, form := range forms {
			at := "a[1]." + form
			if k == "" {
				at = "a[1]" + form
			}
			checkPathOffset(t, doc, at+".in[0]", `"here"`)
			checkPathOffset(t, doc, form+".in[0]", `"top"`)
			checkPathOffset(t, doc, form, `{"in"`)
		}
	}
}

func checkPathOffset(t *testing.T, doc, path, want string) {
	t.Helper()
	off, ok := PathOffset([]byte(doc), path)
	if !ok || !strings.HasPrefix(doc[off:], want) {
		t.Errorf("PathOffset(%q) = %d, %v: at %.12q, want %q\n%s", path, off, ok, doc[min(off, int64(len(doc))):], want, doc)
	}
}

func checkRepeatOffset(t *testing.T, doc, path, want string) {
	t.Helper()
	off, ok := RepeatOffset([]byte(doc), path)
	if !ok || !strings.HasPrefix(doc[off:], want) {
		t.Errorf("RepeatOffset(%q) = %d, %v: at %.12q, want %q\n%s", path, off, ok, doc[min(off, int64(len(doc))):], want, doc)
	}
}

// TestRepeatOffset: the value of a key given twice is its second
// occurrence's, in the object that holds it twice; none when no object
// on the path's way does.
func TestRepeatOffset(t *testing.T) {
	for _, c := range []struct{ doc, path, want string }{
		{`{"a": 1, "a": 2}`, "a", "2"},
		{`{"a": 1, "b": 0, "a": 2, "a": 3}`, "a", "2"},
		{`{"x": {"a": 1, "b": 0, "a": 2}}`, "x.a", "2"},
		{`[{"a": 1}, {"a": 1, "a": 3}]`, "[1].a", "3"},
		{`{"x": {"a": 1}, "y": {"a": 2, "a": 3}}`, "y.a", "3"},
		{`{"": 1, "": 2}`, `[""]`, "2"},
		{`{"a b": 1, "a b": 2}`, `"a b"`, "2"},
		{`{"a": 1}`, "a", ""},
		{`{"x": {"a": 1}, "x": {"a": 2}}`, "x.a", ""}, // x twice, a once in each
		{`{"a": 1, "b": 2}`, "c", ""},
	} {
		if c.want == "" {
			if off, ok := RepeatOffset([]byte(c.doc), c.path); ok {
				t.Errorf("RepeatOffset(%s, %q) = %d, want none", c.doc, c.path, off)
			}
			continue
		}
		checkRepeatOffset(t, c.doc, c.path, c.want)
	}
}

// TestNearestOffset: the value at a path, or when the document does not
// hold it, the nearest value on its way that it holds: the object that
// lacks the key, the list too short, the document itself.
func TestNearestOffset(t *testing.T) {
	for _, c := range []struct {
		doc, path, want string
		exact           bool
	}{
		{`{"providers": [{"name": "a"}]}`, "providers[0].name", `"a"`, true},
		{`{"providers": [{"models": []}]}`, "providers[0].name", `{"models"`, false},
		{`{"providers": [{"models": [{"x": 1}]}]}`, "providers[0].models[0].latency_ms", `{"x"`, false},
		{`{"providers": [{"models": [{"x": 1}]}]}`, "providers[0].models[3].name", `[{"x"`, false},
		{`{"a": {"b": 1}}`, "a.b.c", "1", false},
		{`{"a": 1}`, "providers", `{"a"`, false},
		{"\n  {}", "providers", "{}", false},
		{`{"a": 1}`, "", `{"a"`, false},
		{`{"x": {"y": {}}, "x.y": 1}`, "x.y.z", "{}", false}, // the deepest, the first so deep
		{`{"x.y": 1, "x": {"y": {}}}`, "x.y.z", "1", false},
		{`{"m": {"a b": {}}}`, `m."a b".c`, "{}", false},
	} {
		off, exact := NearestOffset([]byte(c.doc), c.path)
		if exact != c.exact || off < 0 || off > int64(len(c.doc)) || !strings.HasPrefix(c.doc[off:], c.want) {
			t.Errorf("NearestOffset(%s, %q) = %d, %v: at %.12q, want %q, %v", c.doc, c.path, off, exact, c.doc[min(max(off, 0), int64(len(c.doc))):], c.want, c.exact)
		}
	}
}

// TestPathOffsetAmbiguous: a path that two keys match is the value of
// the first that holds the rest of the path; so is a cut key's when
// another shares its first MaxEcho bytes and its length.
func TestPathOffsetAmbiguous(t *testing.T) {
	long1, long2 := strings.Repeat("k", MaxEcho)+"1", strings.Repeat("k", MaxEcho)+"2"
	for _, c := range []struct{ doc, path, want string }{
		{`{"x": {"y": 1}, "x.y": 2}`, "x.y", "1"},
		{`{"x.y": 2, "x": {"y": 1}}`, "x.y", "2"},
		{`{"x.y": {"z": 2}, "x": {"y": 1}}`, "x.y.z", "2"}, // only one holds the rest
		{`{"x": {"y": 1}, "x.y": {"z": 2}}`, "x.y.z", "2"},
		{`{"x": {"y": [1]}, "x.y": [[2]]}`, "x.y[0][0]", "2"},
		{`{"` + long1 + `": 1, "` + long2 + `": 2}`, Echo(long2), "1"},
		{`{"` + long1 + `": 1, "` + long2 + `": {"a": 2}}`, Echo(long1) + ".a", "2"},
	} {
		checkPathOffset(t, c.doc, c.path, c.want)
	}
}

// FuzzPathOffset: any document and path give an offset inside the
// document or none (PathOffset; NearestOffset always one), never a panic.
func FuzzPathOffset(f *testing.F) {
	f.Add([]byte(`{"tenants": [{"id": "a", "policy": "p"}]}`), "tenants[0].policy")
	f.Add([]byte(`[1, [2, {"a": 3}]]`), "[1][1].a")
	f.Add([]byte(`{"a": `), "a")
	f.Fuzz(func(t *testing.T, data []byte, path string) {
		if off, ok := PathOffset(data, path); ok && (off < 0 || off > int64(len(data))) {
			t.Fatalf("PathOffset(%q, %q) = %d, outside the document", data, path, off)
		}
		if off, _ := NearestOffset(data, path); off < 0 || off > int64(len(data)) {
			t.Fatalf("NearestOffset(%q, %q) = %d, outside the document", data, path, off)
		}
	})
}

// TestTypeErrorNumberBounded: TypeError repeats at most MaxEcho bytes of
// a number that does not fit (cut as Echo cuts it, its length after), for
// an integer's fraction and for a number out of range alike.
func TestTypeErrorNumberBounded(t *testing.T) {
	long := strings.Repeat("1", 1000)
	for _, c := range []struct {
		doc  string
		into any
		want string
	}{
		{long, new(int64), Echo(long) + " is out of range"},
		{long + ".5", new(int64), "want a whole number, have " + Echo(long+".5")},
		{"1.5", new(int64), "want a whole number, have 1.5"},
	} {
		msg, ok := TypeError(json.Unmarshal([]byte(c.doc), c.into))
		if !ok || msg != c.want {
			t.Errorf("TypeError for %.20s… = %q, %v; want %q", c.doc, msg, ok, c.want)
		}
		if len(msg) > MaxEcho+64 {
			t.Errorf("TypeError for %.20s… is %d bytes long", c.doc, len(msg))
		}
	}
}

// FuzzKeyPathRoundTrip: the path KeyPath writes for any key, at the top
// or within a list's object, beside siblings a path could be mistaken
// for, is read back by PathOffset to the key's value (its first
// occurrence) and by RepeatOffset to its second, as
// TestPathOffsetRoundTrip checks for awkwardKeys.
func FuzzKeyPathRoundTrip(f *testing.F) {
	for _, k := range append(awkwardKeys, "a", "x", "in") {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		q, err := json.Marshal(key)
		if err != nil {
			t.Skip()
		}
		var k string // the key the document holds (not UTF-8 becomes U+FFFD)
		if err := json.Unmarshal(q, &k); err != nil {
			t.Fatal(err)
		}
		if k == "pad" {
			t.Skip() // the sibling given first, which PathOffset finds
		}
		doc := `{` + string(q) + `: {"in": ["top"]}, "x": {"y": 0}, "a": [0, {"pad": 1, ` + string(q) + `: {"in": ["here"]}, ` + string(q) + `: 2}]}`
		if !json.Valid([]byte(doc)) {
			t.Fatalf("invalid document %s", doc)
		}
		checkPathOffset(t, doc, KeyPath("a[1]", k)+".in[0]", `"here"`)
		checkPathOffset(t, doc, KeyPath("a[1]", k), `{"in"`)
		checkRepeatOffset(t, doc, KeyPath("a[1]", k), "2")
		checkPathOffset(t, doc, KeyPath("", k)+".in[0]", `"top"`)
		checkPathOffset(t, doc, KeyPath("", k), `{"in"`)
	})
}
