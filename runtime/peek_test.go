package runtime

import (
	"encoding/json"
	"testing"
)

func TestPeekString(t *testing.T) {
	for _, c := range []struct {
		body string
		path []string
		want string
	}{
		{`{"request_id": "r"}`, []string{"request_id"}, "r"},
		{` {"a": [1, {"request_id": "no"}], "request_id": "r", "b": `, []string{"request_id"}, "r"},
		{`{"request_id": "r", "request_id": "s"}`, []string{"request_id"}, "s"},
		{`{"request_id": "r", "request_id": 5}`, []string{"request_id"}, ""},
		{`{"request_id": "r\u00e9\n"}`, []string{"request_id"}, "ré\n"},
		{`{"x": tru, "request_id": "r"}`, []string{"request_id"}, ""},
		{`{"request": {"id": "a"}, "request": {"tenant": {}}}`, []string{"request", "id"}, ""},
		{`{"request": {"id": "a"}, "request": 5}`, []string{"request", "id"}, ""},
		{`{"request": {"tenant": {"id": "t"}, "id": "a"}}`, []string{"request", "id"}, "a"},
		{`{"id": "a"}`, []string{"request", "id"}, ""},
		{`["request_id", "r"]`, []string{"request_id"}, ""},
		{``, []string{"request_id"}, ""},
		{`{"request_id": "r"}`, nil, ""},
		// Keys with escapes are read as encoding/json reads them.
		{`{"request_\u0069d": "r"}`, []string{"request_id"}, "r"},
		{`{"p\u006flicy_id": "x", "request": {"i\u0064": "r"}}`, []string{"request", "id"}, "r"},
		{`{"\u00e9": {"x": 1}, "request_id": "r", "request\u005fid": "s"}`, []string{"request_id"}, "s"},
		{`{"\u": 1, "request_id": "r"}`, []string{"request_id"}, ""},
	} {
		if got := peekString([]byte(c.body), c.path...); got != c.want {
			t.Errorf("peekString(%s, %q) = %q, want %q", c.body, c.path, got, c.want)
		}
	}
}

// FuzzPeekString: on any body, peekString returns; on a body that it can
// read whole and encoding/json accepts, it finds what encoding/json does.
func FuzzPeekString(f *testing.F) {
	for _, s := range []string{
		`{"request_id": "r", "trace_id": "t"}`,
		`{"request": {"id": "a", "tenant": {"id": "t"}}, "request": {"id": "b"}}`,
		`{"version": "1", "request_id": "r\u0041", "task": {"type": "chat"}}`,
		`{"request_id": 5}`,
		`{"a": [[[[{}]]]], "request_id": "r"`,
		`{"p\u006flicy_id": "x", "request": {"i\u0064": "r"}, "request_\u0069d": "s"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		id := peekString(body, "request_id")
		nested := peekString(body, "request", "id")
		whole := jscan{b: body, escKeys: true}
		whole.ws()
		if !whole.skip() || !whole.end() || !json.Valid(body) {
			return
		}
		var m map[string]any
		if json.Unmarshal(body, &m) != nil {
			return
		}
		want, _ := m["request_id"].(string)
		wantNested := ""
		if r, ok := m["request"].(map[string]any); ok {
			wantNested, _ = r["id"].(string)
		}
		if id != want || nested != wantNested {
			t.Errorf("%s: request_id %q, request.id %q; encoding/json %q, %q", body, id, nested, want, wantNested)
		}
	})
}
