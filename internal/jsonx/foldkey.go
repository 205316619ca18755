package jsonx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Fields is the shape of the JSON that encoding/json decodes into a
// struct: Names, the JSON names of the struct's fields, and Nested, for
// a field that is itself a struct, a pointer to one or a list of them,
// that struct's Fields. A field of another type (a string, a map, whose
// keys are data, a json.RawMessage) has none.
type Fields struct {
	Names  []string
	Nested map[string]*Fields
}

// FieldsOf is the Fields of the struct type t (or a pointer to one, or a
// list of them), as encoding/json decodes it: each exported field by its
// tag's name, or its own without one, the fields of an embedded struct
// without a tag promoted; nil for another type, or one that decodes
// itself (a json.Unmarshaler: time.Time).
func FieldsOf(t reflect.Type) *Fields {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || reflect.PointerTo(t).Implements(reflect.TypeFor[json.Unmarshaler]()) {
		return nil
	}
	f := &Fields{}
	for sf := range t.Fields() {
		tag := sf.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		switch {
		case name == "-" && tag == "-":
			continue
		case sf.Anonymous && name == "":
			if e := FieldsOf(sf.Type); e != nil {
				f.Names = append(f.Names, e.Names...)
				for k, v := range e.Nested {
					f.nest(k, v)
				}
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		f.Names = append(f.Names, name)
		if e := FieldsOf(sf.Type); e != nil {
			f.nest(name, e)
		}
	}
	return f
}

func (f *Fields) nest(name string, e *Fields) {
	if f.Nested == nil {
		f.Nested = map[string]*Fields{}
	}
	f.Nested[name] = e
}

// FoldedKeys is where the JSON object data holds a key that encoding/json
// would take for one of its fields (shape) although it is none of them
// exactly: the offset of each such key's opening quote. encoding/json
// matches a key to a struct field whatever its case ("TENANT_ID" for
// tenant_id, "requeſt_id" for request_id: ſ folds to s), so that a
// document holding tenant_id and TENANT_ID is read with the second,
// where a reader that compares keys exactly (a gateway in front, the
// contract's other implementations) reads the first. The objects looked
// at are those shape describes: data, and the value of each field of
// shape.Nested spelt exactly, an object or a list's objects, likewise. A
// key spelt with escapes that decodes to a name exactly is that name.
// Reading stops at the first text that is not JSON.
func FoldedKeys(data []byte, shape *Fields) []int {
	var out []int
	walkFields(data, shape, func(w *fieldWalk, off int, _ string, exact, _ bool) bool {
		if !exact {
			out = append(out, off)
		}
		return true
	})
	return out
}

// MaskFoldedKeys is data with each key FoldedKeys finds made unknown,
// its first character replaced by as many '#' as it has bytes (no
// field's name starts so), and so ignored by encoding/json as a reader
// that compares keys exactly ignores it; data itself when there is none.
// Offsets are unchanged, and text that was UTF-8 stays so: ſ (two bytes,
// folding to s), K (the Kelvin sign, three, folding to k) and İ and ı
// (folding to i) are whole characters to replace.
func MaskFoldedKeys(data []byte, shape *Fields) []byte {
	offs := FoldedKeys(data, shape)
	if len(offs) == 0 {
		return data
	}
	b := bytes.Clone(data)
	for _, i := range offs {
		_, n := utf8.DecodeRune(b[i+1:])
		for k := range n {
			b[i+1+k] = '#'
		}
	}
	return b
}

// FieldKey finds the first key of the JSON object data (valid JSON)
// that encoding/json matches to one of its fields (shape, as
// FoldedKeys) although it is not spelt so ("CATALOGUE" for catalogue), or
// that matches the field a key before it in its object matched (twice:
// "format" and "Format", of which encoding/json keeps the last, and
// appends a list to a list), as a reader that compares keys exactly
// would not; name is the field's. Keys outside the objects of shape are
// not looked at: encoding/json ignores them, as such a reader does.
// path is as DuplicateKey's.
func FieldKey(data []byte, base string, shape *Fields) (path, name string, twice, found bool) {
	walkFields(data, shape, func(w *fieldWalk, _ int, n string, exact, tw bool) bool {
		path, name, twice, found = w.path(base), n, tw, true
		return false
	})
	return path, name, twice, found
}

// fieldWalk is walkFields' place in data: the keys and list indexes that
// lead to the key at hand.
type fieldWalk struct {
	data  []byte
	steps []fieldStep
	stop  bool
}

// fieldStep is a key (index < 0) or a list's element.
type fieldStep struct {
	key   []byte
	index int
}

// path is the path of the key at hand as DuplicateKey writes one, from
// base.
func (w *fieldWalk) path(base string) string {
	p := base
	for _, s := range w.steps {
		if s.index < 0 {
			p = KeyPath(p, string(s.key))
		} else {
			p += "[" + strconv.Itoa(s.index) + "]"
		}
	}
	return p
}

// walkFields calls hit, in the order of data, with each key of the
// objects of shape (as FoldedKeys looks at them) that encoding/json
// matches to a field of its object although it is not spelt so (exact
// false), or that matches the field a key before it in the object
// matched (twice): off is its opening quote, name the field's. hit
// returns whether to go on. Reading stops at the first text that is not
// JSON.
func walkFields(data []byte, shape *Fields, hit func(w *fieldWalk, off int, name string, exact, twice bool) bool) {
	w := &fieldWalk{data: data}
	if i := skipSpace(data, 0); i < len(data) && data[i] == '{' {
		w.object(i, shape, hit)
	}
}

// object walks the object at data[i], of fields f.
func (w *fieldWalk) object(i int, f *Fields, hit func(w *fieldWalk, off int, name string, exact, twice bool) bool) {
	data := w.data
	var matched uint64 // the names matched, by index
	i = skipSpace(data, i+1)
	for i < len(data) && data[i] == '"' {
		end := stringEnd(data, i)
		key := keyOf(data[i:end])
		j := skipSpace(data, end)
		if j >= len(data) || data[j] != ':' {
			return
		}
		j = skipSpace(data, j+1)
		if k := foldIndex(f.Names, key); k >= 0 {
			name := f.Names[k]
			exact := string(key) == name
			twice := k < 64 && matched&(1<<k) != 0
			if k < 64 {
				matched |= 1 << k
			}
			w.steps = append(w.steps, fieldStep{key: key, index: -1})
			if !exact || twice {
				w.stop = !hit(w, i, name, exact, twice)
			}
			if nested := f.Nested[name]; exact && nested != nil && !w.stop {
				w.value(j, nested, hit)
			}
			w.steps = w.steps[:len(w.steps)-1]
			if w.stop {
				return
			}
		}
		next, _ := nextElement(data, valueEnd(data, j), '}')
		if next < 0 {
			return
		}
		i = next
	}
}

// value walks the value at data[j] of a field of fields f: an object, or
// each object of a list.
func (w *fieldWalk) value(j int, f *Fields, hit func(w *fieldWalk, off int, name string, exact, twice bool) bool) {
	if j >= len(w.data) {
		return
	}
	switch w.data[j] {
	case '{':
		w.object(j, f, hit)
	case '[':
		n := 0
		for start, el := range Elements(w.data[j:]) {
			if el[0] == '{' {
				w.steps = append(w.steps, fieldStep{index: n})
				w.object(j+start, f, hit)
				w.steps = w.steps[:len(w.steps)-1]
				if w.stop {
					return
				}
			}
			n++
		}
	}
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
// ({"requests": [...], "Requests": []}). data is valid JSON (checked
// whole: json.Valid, or decoded), as for DuplicateKey, whose walk this
// is.
func UnknownKey(data []byte, names []string) (key string, ok bool) {
	_, ok = findKey(data, "", 1, func(f *dupFrame) bool {
		if slices.Contains(names, string(f.key)) {
			return false
		}
		key = string(f.key)
		return true
	})
	return key, ok
}

// ExactKeys is the error for the first key of data (valid JSON, decoded
// by encoding/json into the type whose Fields is shape) that
// encoding/json read otherwise than a reader comparing keys exactly
// (FieldKey): a field's key given twice in its object
// (encoding/json keeps the last), or spelt in another case, or with a character that
// folds to one of its letters (ſ for s, the Kelvin sign for k), which
// encoding/json takes for the field. The error names the key and its
// place ("line 1, column 3: LOCAL: want \"local\"..."); nil if none.
// Keys outside shape's objects (a decision's own) are data, not
// looked at.
func ExactKeys(data []byte, shape *Fields) error {
	path, msg, twice, found := InexactKey(data, shape)
	switch {
	case !found:
		return nil
	case twice:
		return PosOf(data, path, true, path+": "+msg)
	}
	off, _ := PathOffset(data, path)
	return PosAt(data, off, path+": "+msg)
}

// InexactKey is the first key of data that encoding/json reads otherwise
// than a reader comparing keys exactly (FieldKey, from the top): path
// names it as written, msg says what is wrong with it (RepeatedKey when
// twice, `want "name": keys are exact, case included` for a key spelt
// otherwise). ExactKeys places it in data; a bundle's manifest, inside a
// binary file, names its path alone.
func InexactKey(data []byte, shape *Fields) (path, msg string, twice, found bool) {
	path, name, twice, found := FieldKey(data, "", shape)
	switch {
	case !found:
		return "", "", false, false
	case twice:
		return path, RepeatedKey, true, true
	}
	return path, fmt.Sprintf("want %q: keys are exact, case included", name), false, true
}

// UnmarshalExact decodes data into v as Unmarshal does, its errors in the
// project's words (DecodeError), and its keys compared exactly
// (ExactKeys, shape being v's Fields): a key spelt in another case, or
// given twice, which encoding/json would take silently, is an error.
func UnmarshalExact(data []byte, v any, shape *Fields) error {
	if err := Unmarshal(data, v); err != nil {
		return DecodeError(data, err)
	}
	return ExactKeys(data, shape)
}
