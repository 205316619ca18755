package jsonx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestDuplicateKey(t *testing.T) {
	many := make([]string, 40)
	for i := range many {
		many[i] = fmt.Sprintf(`"k%d": %d`, i, i)
	}
	for _, c := range []struct {
		data, base string
		depth      int
		want       string // "" for none
	}{
		{`{"a": 1, "b": 2}`, "", 0, ""},
		{`{"a": 1, "a": 2}`, "", 0, "a"},
		{`{"a": 1, "b": {"c": 1, "c": 2}}`, "request", 0, "request.b.c"},
		{`{"a": 1, "b": {"c": 1, "c": 2}}`, "", 1, ""},
		{`{"a": {"x": 1}, "a": 2}`, "", 1, "a"},
		{`{"l": [{"x": 1}, {"y": 1, "z": "y", "y": 2}]}`, "", 0, "l[1].y"},
		{`[{"a": 1}, {"a": 1}]`, "feedback", 0, ""},
		{`[{"a": 1}, {"a": 1, "a": 1}]`, "feedback", 0, "feedback[1].a"},
		{`{"": 1, "": 2}`, "m", 0, `m[""]`},
		{`{"a": 1, "\u0061": 2}`, "", 0, "a"},
		{`{"a\"b": 1, "a\"b": 2}`, "", 0, `a"b`},
		// A key as KeyPath writes it: quoted when it would be misread.
		{`{"a b": 1, "a b": 2}`, "m", 0, `m."a b"`},
		{`{"x": {"[0]": 1, "[0]": 2}}`, "", 0, `x."[0]"`},
		{`{"[\"\"]": 1, "[\"\"]": 2}`, "", 0, `"[\"\"]"`},
		{`{"s": "{\"a\": 1, \"a\": 2}", "t": "a"}`, "", 0, ""}, // in a string: no object
		{`{"a": {}, "b": [], "c": {"a": 1}}`, "", 0, ""},
		{`{"A": 1, "a": 2}`, "", 0, ""},                    // keys are exact
		{"{\"k\xff\": 1, \"k\xfe\": 2}", "", 0, "k\uFFFD"}, // one key to encoding/json
		{"{" + strings.Join(many, ", ") + "}", "", 0, ""},
		{"{" + strings.Join(many, ", ") + `, "k3": 0}`, "", 0, "k3"},
		{"{" + strings.Join(many, ", ") + `, "k39": 0}`, "", 0, "k39"},
	} {
		got, found := DuplicateKey([]byte(c.data), c.base, c.depth)
		if found != (c.want != "") || got != c.want {
			t.Errorf("DuplicateKey(%s, %q, %d) = %q, %v; want %q", c.data, c.base, c.depth, got, found, c.want)
		}
	}
}

// FuzzDuplicateKey: on valid JSON DuplicateKey agrees with a walk of
// encoding/json's tokens; on anything it neither panics nor loops.
func FuzzDuplicateKey(f *testing.F) {
	for _, s := range []string{`{"a": 1, "a": 2}`, `{"a": [{"b": 1}, {"b": 2, "b": 3}]}`, `[1, "x", {"\u00e9": 1, "é": 2}]`, `{"a": "\"", "b": "\\"}`, `{`, `"\`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, found := DuplicateKey(data, "", 0)
		if !json.Valid(data) {
			return
		}
		_, want := tokenDuplicate(data)
		if found != want {
			t.Fatalf("DuplicateKey(%q) = %q, %v; encoding/json's tokens say %v", data, got, found, want)
		}
	})
}

// tokenDuplicate is DuplicateKey's answer by encoding/json's tokens,
// without the path.
func tokenDuplicate(data []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		object, wantKey bool
		keys            map[string]bool
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if k, ok := tok.(string); ok && top != nil && top.object && top.wantKey {
			if top.keys[k] {
				return k, true
			}
			top.keys[k] = true
			top.wantKey = false
			continue
		}
		if top != nil && top.object {
			top.wantKey = true // a value ends; the next string is a key
		}
		switch tok {
		case json.Delim('{'):
			if top != nil && top.object {
				top.wantKey = true
			}
			stack = append(stack, &frame{object: true, wantKey: true, keys: map[string]bool{}})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			if len(stack) > 0 && stack[len(stack)-1].object {
				stack[len(stack)-1].wantKey = true
			}
		}
	}
}
