package migrate

import (
	"errors"
	"fmt"
	"testing"
)

// TestErrorsPlaced: each error of Parse has the line and column of the
// value its path names (a key written in brackets, weights["a.b"],
// included), of the object that lacks a field required, of the second
// occurrence of a key given twice; an error that is not about a path
// (JSON that does not parse) has none.
func TestErrorsPlaced(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     []string
	}{
		{"fields", "{\n  \"version\": \"1\",\n  \"weights\": {\"a.b\": 1, \"c\":\n    -1},\n  \"stiky\": {}\n}",
			[]string{`5:12: stiky: unknown field (did you mean sticky?)`, `4:5: weights.c: want an integer from 0 to 100, have -1`}},
		{"bracketed key", "{\"version\": \"1\",\n \"weights\": {\"a b\": 101}}",
			[]string{`2:21: weights["a b"]: "a b" is not a target the router takes: it holds spaces or control characters`, `2:21: weights["a b"]: want an integer from 0 to 100, have 101`}},
		{"missing", "{\"version\": \"1\",\n \"providers\": [\n  {\"weight\": 1}]}",
			[]string{`3:3: providers[0].name: missing`}},
		{"duplicate", "{\"version\": \"1\",\n \"weights\": {\"a\": 1,\n  \"a\": 2}}",
			[]string{`3:8: weights.a: duplicate key: given twice in one object`}},
		{"not JSON", "{\"version\": \"1\",\n ]",
			[]string{`0:0: invalid JSON: line 2, column 2: invalid character ']' looking for beginning of object key string`}},
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
