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
