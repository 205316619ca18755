package jsonx

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// RepeatedKey is what an error says of a key that DuplicateKey found.
const RepeatedKey = "key given twice"

// DuplicateKey finds the first key that an object of data holds twice,
// which encoding/json would take silently (the last wins): a request
// that two readers could take differently. path names the key (both
// occurrences have that path), in the words of this project's errors, from base ("" or
// a path of its own): each key as KeyPath writes it (joined by dots,
// `[""]` for the empty key, quoted when it would be misread, cut when
// long), list indexes in brackets ("request.tenant.id",
// `feedback[2].status`, `metadata."a b"`). Keys compare as encoding/json
// decodes them ("a" and "\u0061" are one key). An error about it is
// placed at the second occurrence, the one that repeats the key and that
// the user deletes or renames (RepeatOffset finds it; PathOffset, the
// first). depth
// bounds the objects looked into: 1 is the top-level
// object's own keys, 0 any depth.
//
// data is valid JSON (decode it first): for anything else the answer
// means nothing, but DuplicateKey neither fails nor reads past data.
func DuplicateKey(data []byte, base string, depth int) (path string, found bool) {
	return findKey(data, base, depth, (*dupFrame).seen)
}

// findKey is the walk of the keys of data (valid JSON) that DuplicateKey
// and UnknownKey make, objects depth deep (0: all): the path of the
// first key for which stop, given its object (its key decoded as
// encoding/json decodes it, in key), is true.
func findKey(data []byte, base string, depth int, stop func(*dupFrame) bool) (path string, found bool) {
	var frames [8]dupFrame // most documents nest no deeper: no allocation
	stack := frames[:0]
	expectKey := false
	for i := 0; i < len(data); {
		switch data[i] {
		case '{':
			stack = append(stack, dupFrame{object: true})
			expectKey = true
		case '[':
			stack = append(stack, dupFrame{})
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
			end := stringEnd(data, i)
			if expectKey && len(stack) > 0 {
				expectKey = false
				top := &stack[len(stack)-1]
				top.key = keyOf(data[i:end])
				if (depth == 0 || len(stack) <= depth) && stop(top) {
					return pathOf(base, stack), true
				}
			}
			i = end
			continue
		}
		i++
	}
	return "", false
}

// dupFrame is an object or a list findKey is in.
type dupFrame struct {
	object bool
	index  int    // a list's element
	key    []byte // an object's last key, decoded
	n      int    // keys in keys
	keys   [16][]byte
	set    map[string]bool // the keys once there are more
}

// seen records f.key and reports whether f held it already.
func (f *dupFrame) seen() bool {
	if f.set == nil {
		for _, k := range f.keys[:f.n] {
			if bytes.Equal(k, f.key) {
				return true
			}
		}
		if f.n < len(f.keys) {
			f.keys[f.n] = f.key
			f.n++
			return false
		}
		f.set = make(map[string]bool, 2*f.n)
		for _, k := range f.keys {
			f.set[string(k)] = true
		}
	}
	if f.set[string(f.key)] {
		return true
	}
	f.set[string(f.key)] = true
	return false
}

// stringEnd is the index after the string that starts at data[i].
func stringEnd(data []byte, i int) int {
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(data)
}

// keyOf is a key as encoding/json decodes it, from its quoted form: as
// it is unless it has an escape or a byte that is not UTF-8 (decoded as
// U+FFFD, so that "k\xff" and "k\xfe" are one key).
func keyOf(quoted []byte) []byte {
	if bytes.IndexByte(quoted, '\\') < 0 && len(quoted) >= 2 && utf8.Valid(quoted) {
		return quoted[1 : len(quoted)-1]
	}
	var s string
	if json.Unmarshal(quoted, &s) != nil {
		return quoted
	}
	return []byte(s)
}

// pathOf is the path of the last key of the innermost frame: each key's
// step as KeyPath writes it, each list's index in brackets.
func pathOf(base string, stack []dupFrame) string {
	p := base
	for _, f := range stack {
		if f.object {
			p = KeyPath(p, string(f.key))
		} else {
			p += "[" + strconv.Itoa(f.index) + "]"
		}
	}
	return p
}
