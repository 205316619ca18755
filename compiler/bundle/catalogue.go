package bundle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rpl-lang/rpl/internal/jsonx"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
)

// CatalogueFile is the name of the provider catalogue in a build directory.
const CatalogueFile = "catalogue.json"

// Catalogue is the provider catalogue: for each provider:model target, its
// price per million input and output tokens and its default latency (what
// the router assumes before any feedback). Its JSON form (catalogue.json,
// spec/bundle.md §3):
//
//	{"providers": [
//	  {"name": "openai", "latency_ms": 900, "models": [
//	    {"name": "gpt-4o", "input_per_mtok": "2.50", "output_per_mtok": "10.00"},
//	    {"name": "gpt-4o-mini", "input_per_mtok": 0.15, "output_per_mtok": 0.6, "latency_ms": 400}]}]}
type Catalogue struct {
	// Models, sorted by target.
	Models []Model
}

// Model is one catalogue entry.
type Model struct {
	Target   string // "provider:model"
	Provider string
	Name     string
	// Input and Output are prices per million tokens in nano-units of
	// the currency (like money values).
	Input, Output int64
	// Latency is the default expected latency.
	Latency time.Duration
}

// Lookup returns the model of target.
func (c *Catalogue) Lookup(target string) (Model, bool) {
	i := sort.Search(len(c.Models), func(i int) bool { return c.Models[i].Target >= target })
	if i < len(c.Models) && c.Models[i].Target == target {
		return c.Models[i], true
	}
	return Model{}, false
}

// Fill sets the catalogue's prices and latencies in s.
func (c *Catalogue) Fill(s *stdlib.MemState) {
	for _, m := range c.Models {
		s.SetPrice(m.Target, stdlib.Price{Input: m.Input, Output: m.Output})
		s.SetLatency(m.Target, m.Latency)
	}
}

// decodeList decodes data, the JSON object {"key": [...]} (what names
// it in errors), whose list holds objects with the given fields only,
// numbers kept as written (json.Number). It calls each with the list's
// objects one at a time, each decoded as it comes (at is its path,
// key[i]) and its fields checked before their values are decoded: a list
// of wrong elements is refused at the first, and an unknown field without
// decoding its value (a list of 3-byte empty objects allocated 46 times
// its size). A field's value that is a list longer than maxLen[field]
// (when given) is refused before it is decoded, for the same reason.
//
// A file that is not JSON is a *syntaxError, found before any value is
// decoded: the walk below reads valid JSON only.
func decodeList(data []byte, what, key string, fields []string, maxLen map[string]int, each func(at string, m map[string]any) error) error {
	return decodeValid(data, func(data []byte) error { return walkList(data, what, key, fields, maxLen, each) })
}

// walkList is decodeList's walk of data, valid JSON.
func walkList(data []byte, what, key string, fields []string, maxLen map[string]int, each func(at string, m map[string]any) error) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	token := func(dec *json.Decoder) (any, error) { return dec.Token() }
	// kind names a token's value as jsonx.Kind does.
	kind := func(t any) string {
		switch t {
		case json.Delim('{'):
			return jsonx.Kind(map[string]any{})
		case json.Delim('['):
			return jsonx.Kind([]any{})
		}
		return jsonx.Kind(t)
	}
	// decodeAny decodes the JSON value data, numbers as written.
	decodeAny := func(data []byte) (any, error) {
		var v any
		err := jsonx.DecodeOne(data, &v)
		return v, err
	}
	// fieldsOf decodes the object elem, at, field by field.
	// A key given twice would be read as its last: a budget or a tier
	// written twice, the first silently ignored.
	fieldsOf := func(elem []byte, at string) (map[string]any, error) {
		if path, dup := jsonx.DuplicateKey(elem, at, 0); dup {
			return nil, &PathError{Path: path, Msg: jsonx.RepeatedKey, Repeated: true}
		}
		fd := json.NewDecoder(bytes.NewReader(elem))
		token(fd) // {
		m := map[string]any{}
		for fd.More() {
			t, err := token(fd)
			if err != nil {
				return nil, err
			}
			k := t.(string)
			if !slices.Contains(fields, k) {
				return nil, unknownField(at, k, fields...)
			}
			var val json.RawMessage
			if err := fd.Decode(&val); err != nil {
				return nil, err
			}
			if n, bounded := maxLen[k]; bounded && jsonListLen(val) > n {
				return nil, pathErrorf(at+"."+k, "more than %d elements", n)
			}
			if m[k], err = decodeAny(val); err != nil {
				return nil, err
			}
		}
		return m, nil
	}
	t, err := token(dec)
	if err != nil {
		return err
	}
	if t != json.Delim('{') {
		return fmt.Errorf("%s: want an object, have %s", what, kind(t))
	}
	listed := false
	for dec.More() {
		if t, err = token(dec); err != nil {
			return err
		}
		if k := t.(string); k != key {
			return unknownField("", k, key)
		}
		if listed {
			return &PathError{Path: key, Msg: "listed twice", Repeated: true}
		}
		listed = true
		if t, err = token(dec); err != nil {
			return err
		}
		if t != json.Delim('[') {
			return pathErrorf(key, "want a list, have %s", kind(t))
		}
		for i := 0; dec.More(); i++ {
			var elem json.RawMessage
			if err := dec.Decode(&elem); err != nil {
				return err
			}
			at := fmt.Sprintf("%s[%d]", key, i)
			if k := jsonx.KindOfJSON(elem); k != jsonx.Kind(map[string]any{}) {
				return pathErrorf(at, "want an object, have %s", k)
			}
			m, err := fieldsOf(elem, at)
			if err == nil {
				err = each(at, m)
			}
			if err != nil {
				return err
			}
		}
		if _, err = token(dec); err != nil { // ]
			return err
		}
	}
	if _, err = token(dec); err != nil { // }
		return err
	}
	if !listed {
		return pathErrorf(key, "missing (want a list)")
	}
	return nil
}

// syntaxError is a file that is not JSON: what the decoder found wrong,
// at Offset, the byte at fault (past the last value's end for a file cut
// short or empty); or, Unreadable, text that cannot be read, Msg worded
// whole as jsonx.UnreadableText words it for every tool ("invalid JSON:
// invalid UTF-8 …", "invalid string: \ud800 is half …").
type syntaxError struct {
	Offset     int64
	Msg        string
	Unreadable bool
}

func (e *syntaxError) Error() string {
	if e.Unreadable {
		return e.Msg
	}
	return "invalid JSON: " + e.Msg
}

// validJSON is a function as a json.Unmarshaler, to be called with a JSON
// value the decoder has read whole and found valid.
type validJSON func(data []byte) error

func (f validJSON) UnmarshalJSON(data []byte) error { return f(data) }

// decodeValid calls walk with data, one JSON value, once a decoder has
// read it and found it valid, and nothing but space after it (decodeJSON),
// and no text in it that encoding/json reads as U+FFFD, which is a
// *syntaxError at it (jsonx.UnreadableText: two tenant ids or model names
// that differ there would be one).
func decodeValid(data []byte, walk func(data []byte) error) error {
	var value []byte
	v := validJSON(func(data []byte) error { value = data; return nil })
	if err := decodeJSON(data, &v); err != nil {
		return err
	}
	if off, msg := jsonx.UnreadableText(data); off >= 0 {
		return &syntaxError{Offset: int64(off), Msg: msg, Unreadable: true}
	}
	return walk(value)
}

// decodeJSON decodes data, one JSON value and nothing but space after it,
// into v (jsonx.DecodeOne); a text that is not JSON is a *syntaxError at
// the byte at fault, which the decoder's errors place
// (json.SyntaxError.Offset counts that byte; io.ErrUnexpectedEOF and
// io.EOF are the text cut short and no text; data after the value is
// placed at its first byte).
func decodeJSON(data []byte, v any) error {
	err := jsonx.DecodeOne(data, v)
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return &syntaxError{Offset: max(se.Offset-1, 0), Msg: se.Error()}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return &syntaxError{Offset: int64(len(bytes.TrimRight(data, jsonSpace))), Msg: "unexpected end of JSON input"}
	}
	if pe, ok := err.(*jsonx.PosError); ok {
		return &syntaxError{Offset: pe.Offset, Msg: pe.Msg}
	}
	return err
}

// jsonSpace is the space JSON allows between tokens.
const jsonSpace = " \t\r\n"

// MaxModels is the most models a catalogue's provider lists.
const MaxModels = 1 << 16

// ParseCatalogue reads and validates a catalogue. Errors name the JSON
// path: `providers[0].models[1].input_per_mtok: want money ("2.50" or 2.5), have "abc"`.
func ParseCatalogue(data []byte) (*Catalogue, error) {
	c := &Catalogue{}
	seen := map[string]string{}
	err := decodeList(data, "catalogue", "providers", []string{"name", "latency_ms", "models"}, map[string]int{"models": MaxModels}, func(at string, p map[string]any) error {
		if err := required(p, "name", at, "a non-empty string"); err != nil {
			return err
		}
		pname, err := name(p["name"], at+".name", true)
		if err != nil {
			return err
		}
		var plat time.Duration = -1
		if v, ok := p["latency_ms"]; ok {
			if plat, err = millis(v, at+".latency_ms"); err != nil {
				return err
			}
		}
		if err := required(p, "models", at, "a non-empty list"); err != nil {
			return err
		}
		models, ok := p["models"].([]any)
		if !ok || len(models) == 0 {
			return pathErrorf(at+".models", "want a non-empty list, have %s", jsonx.Kind(p["models"]))
		}
		for j, mx := range models {
			mat := fmt.Sprintf("%s.models[%d]", at, j)
			m, err := object(mx, mat, "name", "input_per_mtok", "output_per_mtok", "latency_ms")
			if err != nil {
				return err
			}
			if err := required(m, "name", mat, "a non-empty string"); err != nil {
				return err
			}
			mname, err := name(m["name"], mat+".name", false)
			if err != nil {
				return err
			}
			md := Model{Provider: pname, Name: mname, Target: pname + ":" + mname, Latency: plat}
			if prev, dup := seen[md.Target]; dup {
				return pathErrorf(mat, "%s is already listed at %s", jsonx.Echo(md.Target), prev)
			}
			seen[md.Target] = mat
			for _, f := range []struct {
				key string
				to  *int64
			}{{"input_per_mtok", &md.Input}, {"output_per_mtok", &md.Output}} {
				if err := required(m, f.key, mat, moneyWant); err != nil {
					return err
				}
				if *f.to, err = price(m[f.key], mat+"."+f.key); err != nil {
					return err
				}
			}
			if v, ok := m["latency_ms"]; ok {
				if md.Latency, err = millis(v, mat+".latency_ms"); err != nil {
					return err
				}
			}
			if md.Latency < 0 {
				return pathErrorf(mat+".latency_ms", "missing (give it on the model or its provider)")
			}
			c.Models = append(c.Models, md)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(c.Models, func(i, j int) bool { return c.Models[i].Target < c.Models[j].Target })
	return c, nil
}

// required is the error of the field k of the object at at, m, when m
// lacks it: "at.k: missing (want want)", placed at the object (a value
// given as null is there, and refused as null); nil when m has it.
func required(m map[string]any, k, at, want string) error {
	if _, ok := m[k]; ok {
		return nil
	}
	return pathErrorf(at+"."+k, "missing (want %s)", want)
}

// moneyWant is what a price must be.
const moneyWant = `money, "2.50" or 2.5`

// object checks that x is a JSON object with only the allowed fields.
func object(x any, at string, allowed ...string) (map[string]any, error) {
	m, ok := x.(map[string]any)
	if !ok {
		return nil, pathErrorf(at, "want an object, have %s", jsonx.Kind(x))
	}
	for _, k := range jsonx.SortedKeys(m) {
		known := false
		for _, a := range allowed {
			known = known || a == k
		}
		if !known {
			return nil, unknownField(at, k, allowed...)
		}
	}
	return m, nil
}

// unknownField is the error of field k of the object at, which may have
// the allowed fields only.
func unknownField(at, k string, allowed ...string) error {
	hint := ""
	if n := lang.Nearest(k, allowed); n != "" {
		hint = fmt.Sprintf(" (did you mean %s?)", n)
	}
	return pathErrorf(jsonx.KeyPath(at, k), "unknown field%s", hint)
}

func name(x any, at string, provider bool) (string, error) {
	s, ok := x.(string)
	if !ok || strings.TrimSpace(s) == "" {
		return "", pathErrorf(at, "want a non-empty string, have %s", jsonx.Kind(x))
	}
	if provider && strings.Contains(s, ":") {
		return "", pathErrorf(at, "%s: a provider name cannot contain ':'", jsonx.QuoteEcho(s))
	}
	return s, nil
}

func price(x any, at string) (int64, error) {
	var s string
	switch v := x.(type) {
	case json.Number:
		s = v.String()
	case string:
		s = strings.TrimSpace(v)
	default:
		return 0, pathErrorf(at, "want money (\"2.50\" or 2.5), have %s", jsonx.Kind(x))
	}
	n, err := jsonx.ParseMoney(s)
	if errors.Is(err, jsonx.ErrMoneySyntax) {
		return 0, pathErrorf(at, "want money (\"2.50\" or 2.5), have %s", jsonx.QuoteEcho(s))
	} else if err != nil {
		return 0, pathErrorf(at, "%v", err)
	}
	if n < 0 {
		return 0, pathErrorf(at, "negative price %s", lang.FormatMoney(n))
	}
	return n, nil
}

// maxMillis is the longest latency a duration holds, in milliseconds
// (about 292 years).
const maxMillis = math.MaxInt64 / int64(time.Millisecond)

func millis(x any, at string) (time.Duration, error) {
	want := fmt.Sprintf("want an integer from 0 to %d (milliseconds)", maxMillis)
	v, ok := x.(json.Number)
	if !ok {
		return 0, pathErrorf(at, "%s, have %s", want, jsonx.Kind(x))
	}
	n, err := strconv.ParseInt(v.String(), 10, 64)
	if err != nil || n < 0 || n > maxMillis {
		return 0, pathErrorf(at, "%s, have %s", want, v)
	}
	return time.Duration(n) * time.Millisecond, nil
}
