package jsonx

import (
	"fmt"
	"testing"
)

// TestFoldedKeys: the keys encoding/json would match to a name although
// they are not it exactly are found at their quotes, at the top level and
// in the nested objects named; exact names, escaped or not, and keys that
// match nothing are not; nor are keys of a nested object under a folded
// key, nor of an object not named in nested.
func TestFoldedKeys(t *testing.T) {
	names := []string{"tenant_id", "task", "metadata"}
	nested := map[string][]string{"task": {"type"}}
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
		if got := fmt.Sprint(FoldedKeys([]byte(in), names, nested)); got != want {
			t.Errorf("FoldedKeys(%s) = %s, want %s", in, got, want)
		}
	}
}

// TestFieldKey: a key that encoding/json matches to a field's name
// without being spelt so, or matching a name twice in one object, is
// found at its path, with the name; keys spelt exactly (with escapes
// too), the same name in two objects, and unknown keys are not.
func TestFieldKey(t *testing.T) {
	names := []string{"format", "sources", "path"}
	for in, want := range map[string]string{
		`{"format": 1, "Format": 2}`:                           `Format format true`,
		`{"sources": [{"path": 1}, {"PATH": 2}]}`:              `sources[1].PATH path false`,
		`{"ſources": []}`:                                      `ſources sources false`,
		`{"format": 1, "sources": [{"path": 1}, {"path": 2}]}`: `  false`,
		`{"form\u0061t": 1, "other": {"x": 1}, "Other": 2}`:    `  false`,
	} {
		path, name, twice, _ := FieldKey([]byte(in), "", names)
		if got := fmt.Sprint(path, " ", name, " ", twice); got != want {
			t.Errorf("FieldKey(%s) = %s, want %s", in, got, want)
		}
	}
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
