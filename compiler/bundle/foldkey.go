package bundle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rpl-lang/rpl/internal/jsonx"
)

// manifestKeys numbers the keys of the manifest's objects (Manifest,
// PolicyEntry, Source, Blob), folded as encoding/json folds a key to
// match it to a field (foldKey).
var manifestKeys = func() map[string]int {
	manifestNames = []string{""}
	keys := map[string]int{}
	for _, t := range []reflect.Type{reflect.TypeFor[Manifest](), reflect.TypeFor[PolicyEntry](), reflect.TypeFor[Source](), reflect.TypeFor[Blob]()} {
		for f := range t.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			if k := foldKey([]byte(name)); keys[k] == 0 {
				keys[k] = len(keys) + 1
				manifestNames = append(manifestNames, name)
			}
		}
	}
	return keys
}()

// manifestNames are the keys manifestKeys numbers, as the manifest
// spells them.
var manifestNames []string

// foldKey is key as encoding/json compares it with a field's name, which
// it matches whatever the case: "Format", "FORMAT" and "format" are one
// key, and so are "ſources" and "sources" (encoding/json's foldName).
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

// foldedKey reports a key of a manifest field spelled otherwise in an
// object of js (valid JSON), which encoding/json reads as the field and
// a reader that compares keys exactly ignores ("CATALOGUE"), or given
// twice in two spellings ("format" and "Format"): json keeps the last
// (and appends a second list of policies to the first).
// jsonx.DuplicateKey finds a key repeated as it is written. path names
// the key at fault as it is written, msg what is wrong with it.
func foldedKey(js []byte) (path, msg string, found bool) {
	type frame struct {
		object bool
		index  int
		key    []byte // the last key, quoted
		seen   uint64 // the manifest keys given, by number
	}
	var stack []frame
	expectKey := false
	for i := 0; i < len(js); {
		switch js[i] {
		case '{':
			stack = append(stack, frame{object: true})
			expectKey = true
		case '[':
			stack = append(stack, frame{})
			expectKey = false
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			expectKey = false
		case ',':
			if n := len(stack); n > 0 {
				if top := &stack[n-1]; top.object {
					expectKey = true
				} else {
					top.index++
				}
			}
		case '"':
			end := i + 1
			for ; end < len(js); end++ {
				if js[end] == '\\' {
					end++
				} else if js[end] == '"' {
					end++
					break
				}
			}
			end = min(end, len(js))
			if expectKey && len(stack) > 0 {
				expectKey = false
				top := &stack[len(stack)-1]
				top.key = js[i:end]
				if k, ok := manifestKeys[foldKey(unquoteKey(top.key))]; ok && k < 64 {
					if twice, key := top.seen&(1<<k) != 0, string(unquoteKey(top.key)); twice || key != manifestNames[k] {
						msg := jsonx.RepeatedKey
						if !twice {
							msg = fmt.Sprintf("want %q: a manifest field's key is written as it is named", manifestNames[k])
						}
						p := ""
						for _, f := range stack {
							if f.object {
								p = jsonx.KeyPath(p, string(unquoteKey(f.key)))
							} else {
								p += "[" + strconv.Itoa(f.index) + "]"
							}
						}
						return p, msg, true
					}
					top.seen |= 1 << k
				}
			}
			i = end
			continue
		}
		i++
	}
	return "", "", false
}

// unquoteKey is the quoted key as encoding/json decodes it.
func unquoteKey(quoted []byte) []byte {
	if bytes.IndexByte(quoted, '\\') < 0 && len(quoted) >= 2 && utf8.Valid(quoted) {
		return quoted[1 : len(quoted)-1]
	}
	var s string
	if json.Unmarshal(quoted, &s) != nil {
		return quoted
	}
	return []byte(s)
}
