package bundle

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/rpl-lang/rpl/internal/jsonx"
)

// manifestNames are the JSON names of the manifest's objects' fields
// (Manifest, PolicyEntry, Source, Blob), each once.
var manifestNames = func() []string {
	var names []string
	for _, t := range []reflect.Type{reflect.TypeFor[Manifest](), reflect.TypeFor[PolicyEntry](), reflect.TypeFor[Source](), reflect.TypeFor[Blob]()} {
		for f := range t.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name != "" && name != "-" && !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	return names
}()

// foldedKey reports a key of a manifest field spelled otherwise in an
// object of js (valid JSON), which encoding/json reads as the field and
// a reader that compares keys exactly ignores ("CATALOGUE"), or given
// twice in two spellings ("format" and "Format"): json keeps the last
// (and appends a second list of policies to the first); jsonx.FieldKey.
// jsonx.DuplicateKey finds a key repeated as it is written. path names
// the key at fault as it is written, msg what is wrong with it.
func foldedKey(js []byte) (path, msg string, found bool) {
	path, name, twice, found := jsonx.FieldKey(js, "", manifestNames)
	switch {
	case !found:
		return "", "", false
	case twice:
		return path, jsonx.RepeatedKey, true
	}
	return path, fmt.Sprintf("want %q: a manifest field's key is written as it is named", name), true
}
