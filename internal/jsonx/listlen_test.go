package jsonx

import (
	"encoding/json"
	"testing"
)

// TestListLen: a list's elements are counted as encoding/json decodes
// them, nested lists, objects and strings holding brackets, commas and
// escaped quotes counted as one element each; what is no list is not
// counted.
func TestListLen(t *testing.T) {
	for in, want := range map[string]int{
		`[]`: 0, ` [ ] `: 0, `[0]`: 1, `[0,1,2]`: 3, " [ 1 ,\n2\t]": 2,
		`[[1,2],[3]]`: 2, `[{"a": [1, 2]}, {"b": "]"}]`: 2, `["a,b", "c\"]", "\\"]`: 3,
		`[true, false, null, -1.5e3]`: 4, `[[], {}, ""]`: 3,
		`{}`: -1, `"[1]"`: -1, `null`: -1, `1`: -1, ``: -1, `[1,`: -1, `[1 2]`: -1,
	} {
		n, ok := ListLen([]byte(in))
		if want < 0 {
			if ok {
				t.Errorf("ListLen(%q) = %d, true; want no list", in, n)
			}
			continue
		}
		if !ok || n != want {
			t.Errorf("ListLen(%q) = %d, %v; want %d", in, n, ok, want)
		}
	}
}

// FuzzListLen: on a valid JSON document, ListLen counts a list as
// encoding/json decodes it, and counts nothing else.
func FuzzListLen(f *testing.F) {
	for _, s := range []string{`[]`, `[1,[2,3],{"a":"]"}]`, `["\"",",",[]]`, `{"a":[1]}`, `"x"`, ` [ null ] `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		var items []json.RawMessage
		isList := json.Unmarshal(data, &items) == nil && items != nil
		n, ok := ListLen(data)
		if ok != isList || ok && n != len(items) {
			t.Fatalf("ListLen(%q) = %d, %v; encoding/json: list %v of %d", data, n, ok, isList, len(items))
		}
	})
}
