package jsonx

import (
	"slices"
	"strings"
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
			key := string(keyOf(data[i:end]))
			exact := slices.Contains(names, key)
			if !exact && slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, key) }) {
				out = append(out, i)
			}
			j := skipSpace(data, end)
			if j >= len(data) || data[j] != ':' {
				return
			}
			j = skipSpace(data, j+1)
			if exact && nested[key] != nil {
				walk(j, nested[key], nil)
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
