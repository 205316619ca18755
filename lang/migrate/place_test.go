package migrate

import (
	"errors"
	"fmt"
	"testing"
)

// TestErrorsPlaced: each error of Parse has the line and column of the
// value its path names (a key written in brackets, weights["a.b"],
// included), of the object that lacks a field required, of the second
// occurrence of a key given twice; JSON that does not parse, an error
// about no path, has the byte at fault (its end for a file cut short),
// and an empty file none. The errors are in the order of their places
// (the unknown field, checked first, came before the invalid value
// above it).
func TestErrorsPlaced(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     []string
	}{
		{"fields", "{\n  \"version\": \"1\",\n  \"weights\": {\"a.b\": 1, \"c\":\n    -1},\n  \"stiky\": {}\n}",
			[]string{`4:5: weights.c: want an integer from 0 to 100, have -1`, `5:12: stiky: unknown field (did you mean sticky?)`}},
		{"bracketed key", "{\"version\": \"1\",\n \"weights\": {\"a b\": 101}}",
			[]string{`2:21: weights["a b"]: "a b" is not a target the router takes: it holds spaces or control characters`, `2:21: weights["a b"]: want an integer from 0 to 100, have 101`}},
		{"missing", "{\"version\": \"1\",\n \"providers\": [\n  {\"weight\": 1}]}",
			[]string{`3:3: providers[0].name: missing`}},
		{"duplicate", "{\"version\": \"1\",\n \"weights\": {\"a\": 1,\n  \"a\": 2}}",
			[]string{`3:8: weights.a: duplicate key: given twice in one object`}},
		{"not JSON", "{\"version\": \"1\",\n ]",
			[]string{`2:2: invalid JSON: invalid character ']' looking for beginning of object key string`}},
		{"cut short", "{\"version\": \"1\",\n  \"weights\": {",
			[]string{`2:15: invalid JSON: unexpected end of JSON input`}},
		{"data after", "{\"version\": \"1\", \"weights\": {\"a\": 1}}\n\n  x",
			[]string{`3:3: invalid JSON: data after the policy`}},
		{"BOM", "\ufeff{}", []string{`1:1: invalid JSON: the file starts with a UTF-8 byte order mark (BOM); save it without one`}},
		{"empty", "\n \n", []string{`0:0: invalid JSON: the file is empty`}},
		// Text read as U+FFFD: a provider named "open\ufffdai" was
		// migrated so, silently.
		{"not UTF-8", "{\"version\": \"1\",\n \"weights\": {\"open\xffai:x\": 1}}",
			[]string{`2:19: invalid JSON: invalid UTF-8 (JSON text is UTF-8, RFC 8259 §8.1)`}},
		{"half a pair", "{\"version\": \"1\",\n \"policy_id\": \"a\\ud800\", \"weights\": {\"a:x\": 1}}",
			[]string{`2:17: invalid string: \ud800 is half of a UTF-16 surrogate pair (two ids that differ there would be read as one)`}},
	} {
		_, err := Parse([]byte(c.in))
		var list ErrorList
		if !errors.As(err, &list) {
			t.Fatalf("%s: %v, want an ErrorList", c.name, err)
		}
		var got []string
		for _, e := range list {
			got = append(got, fmt.Sprintf("%d:%d: %v", e.Line, e.Col, e))
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s:\n got  %q\n want %q", c.name, got, c.want)
		}
	}
}

// TestWarningsPlaced: each warning is placed as an error is, at the value
// its path names, or at the nearest one on its way that the document
// holds (the sticky object that lacks session_key).
func TestWarningsPlaced(t *testing.T) {
	in := "{\"version\": \"1\",\n \"policy_id\": \"chat-v2\",\n \"weights\": {\"a\": 1},\n \"sticky\": {},\n \"rate_limit\":\n   {\"requests_per_second\": 5}}"
	pol, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range Warnings(pol, Options{}) {
		w.Place([]byte(in))
		got = append(got, fmt.Sprintf("%d:%d: %s", w.Line, w.Col, w.Path))
	}
	want := []string{"2:15: policy_id", "4:12: sticky.session_key", "6:4: rate_limit"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("warnings\n got  %q\n want %q", got, want)
	}
}
