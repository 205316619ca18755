package jsonx

import (
	"bytes"
	"encoding/json"
	"slices"
	"unicode"
	"unicode/utf8"
)

// FoldedKeys is where the JSON object data holds a key that encoding/json
// would take for one of names although it is none of them exactly: the
// offset of each such key's opening quote. encoding/json matches a key to
// a struct field whatever its case ("TENANT_ID" for tenant_id, "requeſt_id"
// for request_id: ſ folds to s), so that a document holding tenant_id and
// TENANT_ID is read with the second, where a reader that compares keys
// exactly (a gateway in front, the contract's other implementations)
// reads the first. nested names, for a key that names an object of
// names exactly, the names of that object's keys, looked at likewise one
// level down. A key spelt with escapes that decodes to a name exactly is
// that name. Reading stops at the first text that is not JSON.
func FoldedKeys(data []byte, names []string, nested map[string][]string) []int {
	var out []int
	var walk func(i int, names []string, nested map[string][]string)
	walk = func(i int, names []string, nested map[string][]string) {
		i = skipSpace(data, i)
		if i >= len(data) || data[i] != '{' {
			return
		}
		i = skipSpace(data, i+1)
		for i < len(data) && data[i] == '"' {
			end := stringEnd(data, i)
			key := keyOf(data[i:end])
			exact := slices.Contains(names, string(key))
			if !exact && foldIndex(names, key) >= 0 {
				out = append(out, i)
			}
			j := skipSpace(data, end)
			if j >= len(data) || data[j] != ':' {
				return
			}
			j = skipSpace(data, j+1)
			if exact && nested[string(key)] != nil {
				walk(j, nested[string(key)], nil)
			}
			next, _ := nextElement(data, valueEnd(data, j), '}')
			if next < 0 {
				return
			}
			i = next
		}
	}
	walk(0, names, nested)
	return out
}

// foldKey is key as encoding/json compares it with a field's name, which
// it matches whatever the case: "Format", "FORMAT" and "format" are one
// key, and so are "ſources" and "sources" (encoding/json's foldName: each
// rune upper-cased after lower-casing).
func foldKey(key []byte) string {
	var buf [32]byte
	out := buf[:0]
	for i := 0; i < len(key); {
		if c := key[i]; c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			out = append(out, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(key[i:])
		out = utf8.AppendRune(out, unicode.ToUpper(unicode.ToLower(r)))
		i += n
	}
	return string(out)
}

// foldIndex is the index of the name in names that encoding/json matches
// key to (foldKey), -1 if none.
func foldIndex(names []string, key []byte) int {
	k := foldKey(key)
	return slices.IndexFunc(names, func(n string) bool { return foldKey([]byte(n)) == k })
}

// UnknownKey is the first key of the JSON object data that is none of
// names exactly (case included), keys read as encoding/json reads them
// (escapes decoded: "polici\u005fid" is policy_id, and the empty key is
// a key); ok is false when there is none or data is not an object.
// Exactly: encoding/json would take Policy_ID for policy_id, and a
// second key cased otherwise would silently replace the first
// ({"requests": [...], "Requests": []}). Call it with data checked
// whole (json.Valid, or decoded): it reads up to the first text that is
// not JSON.
func UnknownKey(data []byte, names []string) (key string, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return "", false
	}
	for dec.More() {
		t, err := dec.Token()
		k, isKey := t.(string)
		if err != nil || !isKey {
			return "", false
		}
		if !slices.Contains(names, k) {
			return k, true
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return "", false
		}
	}
	return "", false
}
