package rpl_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/lang"
)

// TestFromJSONTimeRange: a time is Unix nanoseconds in an int64, so a
// JSON time before 1677-09-21T00:12:43.145224192Z or after
// 2262-04-11T23:47:16.854775807Z is refused with its path, as an
// RFC 3339 string and as Unix milliseconds, rather than wrapped to
// another time; the edges are kept exactly.
func TestFromJSONTimeRange(t *testing.T) {
	typ := lang.Typ[lang.Time]
	for _, c := range []struct {
		in   string
		want time.Time // zero: refused
	}{
		{`"2025-06-02T12:00:00Z"`, time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)},
		{`"1677-09-21T00:12:43.145224192Z"`, time.Unix(0, -1<<63)},
		{`"2262-04-11T23:47:16.854775807Z"`, time.Unix(0, 1<<63-1)},
		{`"2262-04-11T23:47:16.854775808Z"`, time.Time{}},
		{`"1677-09-21T00:12:43.145224191Z"`, time.Time{}},
		{`"3000-01-01T00:00:00Z"`, time.Time{}},
		{`"1600-01-01T00:00:00Z"`, time.Time{}},
		{`"9999-12-31T23:59:59+01:00"`, time.Time{}},
		{`1748865600000`, time.UnixMilli(1748865600000)},
		{`9223372036854`, time.UnixMilli(9223372036854)},
		{`-9223372036854`, time.UnixMilli(-9223372036854)},
		{`9223372036855`, time.Time{}},
		{`-9223372036855`, time.Time{}},
		{`99999999999999999`, time.Time{}},
	} {
		v, err := rpl.FromJSONAt(typ, []byte(c.in), "request.arrival")
		if c.want.IsZero() {
			if err == nil || !strings.Contains(err.Error(), "request.arrival: time") || !strings.Contains(err.Error(), "out of range") {
				t.Errorf("%s: %v, %v; want an out-of-range error at request.arrival", c.in, v, err)
			}
			continue
		}
		if err != nil || !v.Time().Equal(c.want) {
			t.Errorf("%s: %v, %v; want %v", c.in, v, err, c.want)
		}
	}
}

// TestFromJSONRepeatedKey: a key that an object holds twice is refused
// with its path, where encoding/json would keep the last value (a map's
// key as a record's field), however the key is spelt.
func TestFromJSONRepeatedKey(t *testing.T) {
	typ := &lang.Map{Key: lang.Typ[lang.String], Elem: &lang.List{Elem: &lang.Map{Key: lang.Typ[lang.String], Elem: lang.Typ[lang.Int]}}}
	for in, want := range map[string]string{
		`{"a": [], "a": []}`:                       "request.a: key given twice",
		`{"a": [{"x": 1}, {"y": 1, "\u0079": 2}]}`: "request.a[1].y: key given twice",
		`{"": [], "": []}`:                         `request[""]: key given twice`,
	} {
		v, err := rpl.FromJSONAt(typ, []byte(in), "request")
		var pe *rpl.PathError
		if err == nil || err.Error() != want || !errors.As(err, &pe) {
			t.Errorf("%s: %v, %v; want %s", in, v, err, want)
		}
	}
	if _, err := rpl.FromJSON(typ, []byte(`{"a": [{"x": 1}], "b": [{"x": 1}]}`)); err != nil {
		t.Errorf("the same key in two objects: %v", err)
	}
}

// TestFromJSONErrorsBounded: an error repeats at most jsonx.MaxEcho bytes
// of any one value of the input (a key, a string, a number's text), cut
// on a rune boundary and followed by its length, where a 1 MB value made
// a 1 MB message.
func TestFromJSONErrorsBounded(t *testing.T) {
	big := strings.Repeat("é", 1<<19) // 1 MiB, two bytes a rune
	cut := strings.Repeat("é", 64) + "… (1048576 bytes)"
	money, dur := lang.Typ[lang.Money], lang.Typ[lang.Duration]
	rec := &lang.Record{Fields: []*lang.Field{{Name: "a", Type: lang.Typ[lang.Int]}}}
	strMap := &lang.Map{Key: lang.Typ[lang.String], Elem: money}
	for _, c := range []struct {
		name string
		typ  lang.Type
		in   string
		want string
	}{
		{"unknown field", rec, `{"` + big + `": 1}`, "request." + cut + ": unknown field"},
		{"map key in the path", strMap, `{"` + big + `": "x"}`, "request." + cut + `: want money ("$0.25" or 0.25), have "x"`},
		{"money", money, `"` + big + `"`, `request: want money ("$0.25" or 0.25), have "` + cut[:len(cut)-len(" (1048576 bytes)")] + `" (1048576 bytes)`},
		{"money decimals", money, `"0.` + strings.Repeat("1", 1<<20) + `"`, "request: 0." + strings.Repeat("1", 126) + "… (1048578 bytes) has more than 9 decimals (money is counted in nano-units, $0.000000001)"},
		{"duration", dur, `"` + big + `"`, `request: want a duration such as "250ms", have "` + strings.Repeat("é", 64) + `…" (1048576 bytes)`},
		{"repeated key", strMap, `{"` + big + `": "1", "` + big + `": "2"}`, "request." + cut + ": key given twice"},
	} {
		_, err := rpl.FromJSONAt(c.typ, []byte(c.in), "request")
		if err == nil || err.Error() != c.want {
			got := "<nil>"
			if err != nil {
				got = err.Error()
				if len(got) > 400 {
					got = got[:400] + "…"
				}
			}
			t.Errorf("%s: %s\nwant %s", c.name, got, c.want)
		}
	}
}

// TestFromJSONKindWords: a value of the wrong JSON kind for a basic type
// is named in the words of jsonx.Kind, what is wanted as what is had
// ("want a string, have a number"): it said "want string", the type's
// name, unlike every other message of JSON input.
func TestFromJSONKindWords(t *testing.T) {
	for _, c := range []struct {
		kind lang.BasicKind
		in   string
		want string
	}{
		{lang.String, `5`, "request.id: want a string, have a number"},
		{lang.Bool, `"yes"`, "request.id: want a boolean, have a string"},
		{lang.Int, `"5"`, "request.id: want an integer, have a string"},
		{lang.Float, `[1.5]`, "request.id: want a number, have a list"},
		{lang.Money, `true`, `request.id: want money ("$0.25" or 0.25), have a boolean`},
		{lang.Duration, `{}`, `request.id: want a duration ("250ms" or whole milliseconds), have an object`},
		{lang.Time, `false`, "request.id: want a time (RFC 3339 or Unix milliseconds), have a boolean"},
	} {
		_, err := rpl.FromJSONAt(lang.Typ[c.kind], []byte(c.in), "request.id")
		if err == nil || err.Error() != c.want {
			t.Errorf("%s from %s: %v, want %s", lang.Typ[c.kind], c.in, err, c.want)
		}
	}
	// A list is named by its JSON kind too.
	_, err := rpl.FromJSONAt(&lang.List{Elem: lang.Typ[lang.String]}, []byte(`{}`), "request.tags")
	if want := "request.tags: want a list, have an object"; err == nil || err.Error() != want {
		t.Errorf("list[string] from {}: %v, want %s", err, want)
	}
}
