package bundle

import (
	"fmt"
	"reflect"

	"github.com/rpl-lang/rpl/internal/jsonx"
)

// manifestShape is the shape of the manifest's JSON: its fields, its
// policies' (and theirs), and those of its blobs.
var manifestShape = jsonx.FieldsOf(reflect.TypeFor[Manifest]())

// foldedKey reports a key of a manifest field spelled otherwise in its
// object of js (valid JSON), which encoding/json reads as the field and
// a reader that compares keys exactly ignores ("CATALOGUE"), or given
// twice in two spellings ("format" and "Format"): json keeps the last
// (and appends a second list of policies to the first); jsonx.FieldKey.
// jsonx.DuplicateKey finds a key repeated as it is written. path names
// the key at fault as it is written, msg what is wrong with it.
func foldedKey(js []byte) (path, msg string, found bool) {
	path, name, twice, found := jsonx.FieldKey(js, "", manifestShape)
	switch {
	case !found:
		return "", "", false
	case twice:
		return path, jsonx.RepeatedKey, true
	}
	return path, fmt.Sprintf("want %q: a manifest field's key is written as it is named", name), true
}
