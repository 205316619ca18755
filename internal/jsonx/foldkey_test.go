package jsonx

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestFoldedKeys: the keys encoding/json would match to a name although
// they are not it exactly are found at their quotes, at the top level and
// in the nested objects named; exact names, escaped or not, and keys that
// match nothing are not; nor are keys of a nested object under a folded
// key, nor of an object not named in nested.
func TestFoldedKeys(t *testing.T) {
	shape := &Fields{Names: []string{"tenant_id", "task", "metadata"}, Nested: map[string]*Fields{"task": {Names: []string{"type"}}}}
	for in, want := range map[string]string{
		`{"tenant_id": "a", "TENANT_ID": "b"}`:                "[19]",
		`{"Tenant_Id": 1}`:                                    "[1]",
		`{"tenant\u005fid": 1, "ten\u0061nt_id": 2}`:          "[]",
		"{\"tas\u212a\": {\"TYPE\": 1}}":                      "[1]", // Kelvin sign folds to k
		`{"task": {"type": "x", "Type": "y"}, "x": 1}`:        "[23]",
		`{"metadata": {"TYPE": 1, "Tenant_ID": 2}}`:           "[]",
		`{"other": {"TENANT_ID": 1}, "TASK": {"TYPE": 2}}`:    "[28]",
		` { "a" : [1, {"TENANT_ID": 1}] , "TENANT_ID" : 3 } `: "[33]",
		`{"tenant_id": `:                                      "[]",
		`[{"TENANT_ID": 1}]`:                                  "[]",
	} {
		if got := fmt.Sprint(FoldedKeys([]byte(in), shape)); got != want {
			t.Errorf("FoldedKeys(%s) = %s, want %s", in, got, want)
		}
	}
}

// TestFieldKey: a key that encoding/json matches to a field's name
// without being spelt so, or matching a name twice in one object, is
// found at its path, with the name; keys spelt exactly (with escapes
// too), the same name in two objects, unknown keys, and keys outside the
// shape's objects (under an unknown key, in a map, at a level where the
// name is no field), which encoding/json ignores, are not.
func TestFieldKey(t *testing.T) {
	shape := &Fields{Names: []string{"format", "sources", "meta"}, Nested: map[string]*Fields{"sources": {Names: []string{"path"}}}}
	for in, want := range map[string]string{
		`{"format": 1, "Format": 2}`:                           `Format format true`,
		`{"sources": [{"path": 1}, {"PATH": 2}]}`:              `sources[1].PATH path false`,
		`{"sources": {"path": 1, "Path": 2}}`:                  `sources.Path path true`,
		`{"ſources": []}`:                                      `ſources sources false`,
		`{"format": 1, "sources": [{"path": 1}, {"path": 2}]}`: `  false`,
		`{"form\u0061t": 1, "other": {"x": 1}, "Other": 2}`:    `  false`,
		`{"other": {"PATH": 1, "Format": 2}, "PATH": 3}`:       `  false`,
		`{"meta": {"Format": 1, "format": 2}}`:                 `  false`,
		`{"sources": [[{"PATH": 1}], 5, {"path": 1}]}`:         `  false`,
		`{"SOURCES": [{"PATH": 1}]}`:                           `SOURCES sources false`,
	} {
		path, name, twice, _ := FieldKey([]byte(in), "", shape)
		if got := fmt.Sprint(path, " ", name, " ", twice); got != want {
			t.Errorf("FieldKey(%s) = %s, want %s", in, got, want)
		}
	}
}

// TestFieldsOf: a struct's fields by their JSON names (the tag's, else
// the field's), embedded structs' promoted, unexported and "-" fields
// left out, and the fields of its struct fields, of pointers and lists
// of them, nested; a field that decodes itself (time.Time) is none.
func TestFieldsOf(t *testing.T) {
	type inner struct {
		Path string `json:"path"`
	}
	type Embedded struct {
		Extra int `json:"extra"`
	}
	type outer struct {
		Embedded
		Format  int              `json:"format,omitempty"`
		Sources []inner          `json:"sources"`
		One     *inner           `json:"one"`
		Meta    map[string]inner `json:"meta"`
		At      time.Time        `json:"at"`
		Raw     json.RawMessage  `json:"raw"`
		Plain   string
		Skipped string `json:"-"`
		Dash    string `json:"-,"`
		hidden  string
	}
	f := FieldsOf(reflect.TypeFor[*outer]())
	got := fmt.Sprint(f.Names, len(f.Nested), f.Nested["sources"].Names, f.Nested["one"].Names)
	if want := "[extra format sources one meta at raw Plain -] 2 [path] [path]"; got != want {
		t.Errorf("FieldsOf = %s, want %s", got, want)
	}
	_ = outer{}.hidden
}

// TestUnknownKey: the first key, in the object's order, that is none of
// the names exactly (another case is another key), read with its escapes
// decoded; none for an object of names only, or for what is no object.
func TestUnknownKey(t *testing.T) {
	names := []string{"policy_id", "request"}
	for in, want := range map[string]string{
		`{"request": {}, "Policy_ID": "a", "x": 1}`: `Policy_ID true`,
		`{"polic\u0079_id": "a", "": 1}`:            ` true`,
		`{"policy_id": "a", "request": {"X": 1}}`:   ` false`,
		`[{"x": 1}]`:      ` false`,
		`{"requeſt": {}}`: `requeſt true`,
	} {
		k, ok := UnknownKey([]byte(in), names)
		if got := fmt.Sprint(k, " ", ok); got != want {
			t.Errorf("UnknownKey(%s) = %s, want %s", in, got, want)
		}
	}
}

// FuzzUnknownKey: on valid JSON, UnknownKey answers as a json.Decoder
// reading the object's keys in turn does (what it was before it shared
// DuplicateKey's walk), and on anything else it neither fails nor reads
// past data.
func FuzzUnknownKey(f *testing.F) {
	for _, s := range []string{`{"request": {}, "Policy_ID": "a"}`, `{"polic\u0079_id": 1, "": 2}`, `[{"x": 1}]`, `{"a": [{"x": 1}, "}"], "b\"": 1}`, `{"k\xff": 1}`, `"x"`, `{`} {
		f.Add(s)
	}
	names := []string{"policy_id", "request", "a"}
	f.Fuzz(func(t *testing.T, s string) {
		key, ok := UnknownKey([]byte(s), names)
		if !json.Valid([]byte(s)) {
			return
		}
		wantKey, wantOK := "", false
		dec := json.NewDecoder(strings.NewReader(s))
		if tok, err := dec.Token(); err == nil && tok == json.Delim('{') {
			for dec.More() {
				tok, _ := dec.Token()
				if k := tok.(string); !slices.Contains(names, k) {
					wantKey, wantOK = k, true
					break
				}
				var skip json.RawMessage
				if dec.Decode(&skip) != nil {
					t.Fatal("valid JSON")
				}
			}
		}
		if key != wantKey || ok != wantOK {
			t.Errorf("UnknownKey(%q) = %q %v, want %q %v", s, key, ok, wantKey, wantOK)
		}
	})
}

type fuzzOuter struct {
	A  string            `json:"a"`
	K  int               `json:"k"`
	S  []fuzzInner       `json:"s"`
	P  *fuzzInner        `json:"p"`
	M  map[string]string `json:"m"`
	Is bool              `json:"is"`
}

type fuzzInner struct {
	X  string `json:"x"`
	Sk string `json:"sk"`
}

// exactly is the JSON value v (decoded into any) as a reader that
// compares keys exactly reads it into a struct of shape f: the keys of
// f's objects that are none of their fields exactly dropped.
func exactly(v any, f *Fields) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			if slices.Contains(f.Names, k) {
				if n := f.Nested[k]; n != nil {
					x = exactly(x, n)
				}
				out[k] = x
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = exactly(x, f)
		}
		return out
	}
	return v
}

// FuzzFieldKey: on valid JSON without a key given twice, when FieldKey
// finds nothing encoding/json reads a struct as a reader that compares
// keys exactly does; and once the keys FoldedKeys finds are renamed (as
// CP1 makes them unknown), always. On anything else neither fails.
func FuzzFieldKey(f *testing.F) {
	for _, s := range []string{
		`{"a": "x", "A": "y"}`, `{"s": [{"x": "1", "X": "2"}], "p": {"SK": "z"}}`, `{"ſ": [{"ſk": "1"}], "\u212a": 1}`,
		`{"m": {"A": "1", "a": "2"}, "İs": true, "ıs": false}`, `{"s": [[{"X": 1}]], "q": {"A": 1}}`, `{"p": null, "s": null}`, `{"k": 1`,
	} {
		f.Add(s)
	}
	shape := FieldsOf(reflect.TypeFor[fuzzOuter]())
	f.Fuzz(func(t *testing.T, s string) {
		data := []byte(s)
		_, _, _, found := FieldKey(data, "", shape)
		offs := FoldedKeys(data, shape)
		if !json.Valid(data) {
			return
		}
		if _, dup := DuplicateKey(data, "", 0); dup {
			return
		}
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) != nil {
			return
		}
		canon, err := json.Marshal(exactly(v, shape))
		if err != nil {
			return
		}
		var want fuzzOuter
		if json.Unmarshal(canon, &want) != nil {
			return
		}
		renamed := MaskFoldedKeys(data, shape)
		if len(renamed) != len(data) || len(offs) == 0 && &renamed[0] != &data[0] {
			t.Fatalf("MaskFoldedKeys(%s) = %s", data, renamed)
		}
		var got fuzzOuter
		if err := json.Unmarshal(renamed, &got); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("renamed %s: %+v %v, want %+v", renamed, got, err, want)
		}
		if !found {
			var plain fuzzOuter
			if err := json.Unmarshal(data, &plain); err != nil || !reflect.DeepEqual(plain, want) {
				t.Errorf("%s, no key found: %+v %v, want %+v", s, plain, err, want)
			}
		}
	})
}

// TestMaskFoldedKeys: each key FoldedKeys finds is made unknown, its
// first character replaced by as many '#' as it has bytes, so that text
// that was UTF-8 stays so (a decoder refusing text that is not, as CP1's
// does, would refuse a valid body), its length unchanged; data itself
// when there is none.
func TestMaskFoldedKeys(t *testing.T) {
	shape := &Fields{Names: []string{"status", "kind", "id"}}
	for in, want := range map[string]string{
		`{"ſtatus": 1, "Kind": 2, "İd": 3, "ıd": 4}`: `{"##tatus": 1, "###ind": 2, "##d": 3, "##d": 4}`,
		`{"STATUS": 1, "\u017ftatus": 2}`:            `{"#TATUS": 1, "#u017ftatus": 2}`,
		`{"status": 1, "x": {"KIND": 2}}`:            `{"status": 1, "x": {"KIND": 2}}`,
	} {
		got := MaskFoldedKeys([]byte(in), shape)
		if string(got) != want || !utf8.Valid(got) {
			t.Errorf("MaskFoldedKeys(%s) = %s, want %s", in, got, want)
		}
	}
}
