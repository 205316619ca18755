// Package jsonx holds what the packages that validate JSON input share:
// naming what a decoded value is, for error messages such as
// `tenant.tier: want a string, have a number`, in one vocabulary (null, a
// boolean, a number, a string, a list, an object) whether the value was
// decoded (Kind), is still JSON text (KindOfJSON) or did not decode into
// a Go type (TypeError); and reading whole numbers written in any form
// into integers (Unmarshal).
package jsonx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/rpl-lang/rpl/internal/money"
	"github.com/rpl-lang/rpl/lang"
)

// The words for the kinds of JSON values, in every message of the
// packages that validate JSON: what a value is, and what a field wants.
const (
	kindNull   = "null"
	kindBool   = "a boolean"
	kindNumber = "a number"
	kindString = "a string"
	kindList   = "a list"
	kindObject = "an object"
	kindAny    = "a JSON value"
)

// Kind names the JSON kind of a value decoded by encoding/json (with or
// without UseNumber): null, a boolean, a number, a string, a list, an
// object.
func Kind(x any) string {
	switch x.(type) {
	case nil:
		return kindNull
	case bool:
		return kindBool
	case json.Number, float64:
		return kindNumber
	case string:
		return kindString
	case []any:
		return kindList
	case map[string]any:
		return kindObject
	}
	return fmt.Sprintf("%T", x)
}

// KindOfJSON names the kind of the JSON text raw, in the words of Kind,
// by its first byte after white space ("nothing" when there is none): for
// a value kept undecoded (a json.RawMessage).
func KindOfJSON(raw []byte) string {
	b := bytes.TrimLeft(raw, " \t\r\n")
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '"':
		return kindString
	case '{':
		return kindObject
	case '[':
		return kindList
	case 't', 'f':
		return kindBool
	case 'n':
		return kindNull
	}
	return kindNumber
}

// KindOf names the JSON kind a Go type decodes from, in the words of
// Kind: the "want" of an encoding/json type error, whose Type is a Go
// type (runtime.cp1Task) a client knows nothing about.
func KindOf(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Bool:
		return kindBool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return kindNumber
	case reflect.String:
		return kindString
	case reflect.Slice, reflect.Array:
		if t == reflect.TypeFor[json.RawMessage]() {
			return kindAny
		}
		return kindList
	case reflect.Struct, reflect.Map:
		return kindObject
	}
	return kindAny
}

// kindOfValue names, in the words of Kind, what an encoding/json type
// error says it had (UnmarshalTypeError.Value, in JSON's own words: array,
// bool, ...; a number there is "number" or "number 1.5").
func kindOfValue(v string) string {
	switch v {
	case "array":
		return kindList
	case "object":
		return kindObject
	case "bool":
		return kindBool
	case "string":
		return kindString
	case "number":
		return kindNumber
	case "null":
		return kindNull
	}
	if strings.HasPrefix(v, "number ") {
		return kindNumber
	}
	return v
}

// ParseMoney's errors: ErrMoneySyntax is (wrapped by) the error for text
// that is not an amount, for callers that word it with their own example;
// ErrMoneyRange is wrapped by the error for an amount beyond what int64
// nano-units hold (about 9.2 billion).
var (
	ErrMoneySyntax = errors.New("malformed money")
	ErrMoneyRange  = errors.New("out of range")
)

// moneySyntax is ParseMoney's error for text that is not an amount.
type moneySyntax string

func (s moneySyntax) Error() string {
	return fmt.Sprintf("want money (0.0123 or \"$0.0123\"), have %s", QuoteEcho(string(s)))
}

func (moneySyntax) Is(target error) bool { return target == ErrMoneySyntax }

// ParseMoney reads an amount as JSON carries it, a string ("0.25",
// "$0.25", "-0.5") or a number's text, exponent forms included (1.5e-3, as
// JavaScript and Python write small amounts), into nano-units, exactly.
// Its error says why it cannot: malformed (quoting s), more than 9
// decimals (finer than a nano-unit), or out of range, repeating at most
// MaxEcho bytes of s (Echo).
func ParseMoney(s string) (int64, error) { return parseMoney(s, false) }

// RoundMoney is ParseMoney with the digits past the ninth decimal rounded
// half to even, as money(x) rounds, rather than refused: for an amount
// computed in floating point (a provider's cost, 0.0024679999999999997),
// whose last digits are the arithmetic's, not the amount's.
func RoundMoney(s string) (int64, error) { return parseMoney(s, true) }

func parseMoney(s string, round bool) (int64, error) {
	text := strings.TrimSpace(s)
	t, neg := strings.CutPrefix(text, "-")
	t = strings.TrimPrefix(t, "$")
	mant, exp := t, 0
	if i := strings.IndexAny(t, "eE"); i >= 0 {
		digits := strings.TrimLeft(t[i+1:], "+-")
		if len(t[i+1:])-len(digits) > 1 || digits == "" || strings.TrimLeft(digits, "0123456789") != "" {
			return 0, moneySyntax(s)
		}
		// Out of int's range, e is ±MaxInt. Beyond ±(len(t)+100) (±100
		// was not: 0.[150 zeros]1e200 is 1e49, out of range, not finer
		// than a nano), every digit is out of range or finer either way.
		e, _ := strconv.Atoi(t[i+1:])
		mant, exp = t[:i], max(min(e, len(t)+100), -len(t)-100)
	}
	whole, frac, _ := strings.Cut(mant, ".")
	digits := whole + frac
	if digits == "" || strings.TrimLeft(digits, "0123456789") != "" {
		return 0, moneySyntax(s)
	}
	switch n, p := money.Nanos(digits, len(whole)+exp, neg, round); p {
	case money.Finer:
		return 0, fmt.Errorf("%s has more than 9 decimals (money is counted in nano-units, $0.000000001)", Echo(text))
	case money.Range:
		return 0, fmt.Errorf("%s is %w (money is within ±%s)", Echo(text), ErrMoneyRange, lang.FormatMoney(math.MaxInt64))
	default:
		return n, nil
	}
}

// DecodeOne decodes data, one JSON value and nothing but space after it,
// into v, as json.Unmarshal does, numbers decoded into an interface kept
// as written (json.Number). The decoder reads the value whole, and so
// finds a syntax error, before it decodes any of it. Its error is the
// decoder's (a *json.SyntaxError; io.ErrUnexpectedEOF for a value cut
// short, io.EOF for none, which At places and names; a type error), or
// for data after the value DataAfter's.
func DecodeOne(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if pe := DataAfter(data, dec.InputOffset()); pe != nil {
		return pe
	}
	return nil
}

// SortedKeys is the keys of a decoded JSON object in order: what a
// validator walks so that a document with several faults is refused at
// the same one every time.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// DataAfter is the error of data whose one value ends at end (a
// json.Decoder's InputOffset) and that holds more than space after it (a
// } or ] too, which Decoder.More does not count): "data after the value"
// at its first byte; nil when it holds none.
func DataAfter(data []byte, end int64) *PosError {
	if i := skipSpace(data, int(end)); i < len(data) {
		return PosAt(data, int64(i), "data after the value")
	}
	return nil
}

// ErrNoValue is the error of a document that holds no value, nothing or
// only space (At), which json.Unmarshal calls "unexpected end of JSON
// input" at its start.
var ErrNoValue = errors.New("no value (the input is empty)")

// At places a decoding error of encoding/json in data: a syntax error
// (or the text ending early) is prefixed with its line and column
// ("line 2, column 27: invalid character ',' looking for beginning of
// object key string"), input without a value says so; other errors
// are returned as they are.
func At(data []byte, err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		// The byte at fault, or the end of a document cut short
		// (SyntaxOffset).
		return PosAt(data, int64(SyntaxOffset(data, se)), se.Error())
	case errors.Is(err, io.ErrUnexpectedEOF):
		// In json.Unmarshal's words for it, which the documents read
		// with Unmarshal (a state, a catalogue) say.
		return PosAt(data, int64(len(data)), "unexpected end of JSON input")
	case errors.Is(err, io.EOF):
		// A json.Decoder's error for no value at all ("EOF").
		return ErrNoValue
	}
	return err
}

// PosError is an error at a byte of a JSON document, which its Error
// places in words ("line 2, column 27: invalid character ','", as
// LineCol names it), after what it is about, when said (About: "invalid
// state: line 2, column 27: …"); a tool that names the document, as rplc
// does, prints it as FILE:LINE:COL: Text() instead (Line, Col). At and
// ExactKeys return one.
type PosError struct {
	Line, Col int   // from 1, the column in bytes
	Offset    int64 // the byte at fault, from 0 (the length of the document: its end)
	Msg       string
	// About, when set, is what the error is about ("invalid state",
	// "request: invalid JSON"), said before the place (Within).
	About string
}

func (e *PosError) Error() string {
	if e.About != "" {
		return fmt.Sprintf("%s: line %d, column %d: %s", e.About, e.Line, e.Col, e.Msg)
	}
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Col, e.Msg)
}

// Text is the error without its place: "About: Msg", or Msg.
func (e *PosError) Text() string {
	if e.About != "" {
		return e.About + ": " + e.Msg
	}
	return e.Msg
}

// Within is err said to be about about ("invalid state"): a *PosError
// with About set (its Error "about: line 2, column 27: msg", and about
// kept apart for a tool that places it otherwise, Text), any other
// error as "about: err".
func Within(about string, err error) error {
	pe, ok := err.(*PosError)
	if !ok {
		return fmt.Errorf("%s: %w", about, err)
	}
	out := *pe
	if out.About != "" {
		about += ": " + out.About
	}
	out.About = about
	return &out
}

// PosAt is the error msg at the byte at index off of data (len(data): its
// end), placed as LineCol places it.
func PosAt(data []byte, off int64, msg string) *PosError {
	line, col := Position(data, off)
	return &PosError{Line: line, Col: col, Offset: off, Msg: msg}
}

// LineCol names the position of the byte at index off of data
// (len(data): its end) in an error's words: its line and its column, both
// from 1, the column in bytes.
func LineCol(data []byte, off int64) string {
	line, col := Position(data, off)
	return fmt.Sprintf("line %d, column %d", line, col)
}

// Position is the line and column of the byte at index off of data
// (len(data): its end), both from 1, the column in bytes.
func Position(data []byte, off int64) (line, col int) {
	before := data[:min(max(off, 0), int64(len(data)))]
	line = 1 + bytes.Count(before, []byte{'\n'})
	col = len(before) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// TypeError says, in a JSON document's words, why a value did not decode
// into its Go type (an encoding/json *UnmarshalTypeError): "want a string,
// have a number", "want an object, have a list", "want a whole number,
// have 1.5", "1e400 is out of range" (an unsigned integer's "-1 is out
// of range (0 to 18446744073709551615)"), the number cut as Echo cuts it (a
// client may send one as long as its body); ok is false for another
// error.
// Decode with Unmarshal: json.Unmarshal refuses 1e3 for an integer, which
// TypeError would then call out of range.
func TypeError(err error) (msg string, ok bool) {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return "", false
	}
	if num, isNum := strings.CutPrefix(te.Value, "number "); isNum {
		if _, whole := wholeNumber(num); !whole && isInteger(te.Type) {
			return "want a whole number, have " + Echo(num), true
		}
		return Echo(num) + " is out of range" + unsignedRange(te.Type), true
	}
	return fmt.Sprintf("want %s, have %s", KindOf(te.Type), kindOfValue(te.Value)), true
}

// unsignedRange is " (0 to max)" for an unsigned integer type t (or one
// t points to), "" for another: the range an unsigned number is refused
// out of, where "-1 is out of range" did not say that a number must be
// ≥ 0 (a state file's seed). A signed integer's message stays as it
// was: its fields (a count of tokens) have bounds of their own, which
// the int64 range would hide.
func unsignedRange(t reflect.Type) string {
	t = elem(t)
	switch t.Kind() {
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return fmt.Sprintf(" (0 to %d)", ^uint64(0)>>(64-t.Bits()))
	}
	return ""
}

// elem is t, or the type t points to, through pointers.
func elem(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// isInteger reports whether t (or what it points to) is an integer type.
func isInteger(t reflect.Type) bool {
	switch elem(t).Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return true
	}
	return false
}

// Unmarshal is json.Unmarshal, except that an integer takes a whole
// number in any form JSON writes it (1e3, 2.5e2, 1000.0, 10e-1 are 1000,
// 250, 1000 and 1), where encoding/json takes digits alone (1000) and
// refuses the others as out of range. It does more than json.Unmarshal
// only when that refuses such a number: it decodes data again, once,
// with every whole number of at most 20 digits (what the widest integer
// holds) spelt in digits, so that a number that still does not fit is
// reported as written (TypeError: "1e30 is out of range"). A value that
// is not whole (1.5e0) stays an error, and so does any other; a float
// takes the same value from either spelling, but a json.RawMessage in v
// then holds the digits.
func Unmarshal(data []byte, v any) error {
	err := json.Unmarshal(data, v)
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) || !isInteger(te.Type) {
		return err
	}
	if num, isNum := strings.CutPrefix(te.Value, "number "); !isNum {
		return err
	} else if digits, _ := wholeNumber(num); digits == "" {
		return err
	}
	spelt, ends := wholeInDigits(data)
	err = json.Unmarshal(spelt, v)
	if errors.As(err, &te) && strings.HasPrefix(te.Value, "number ") {
		// The number as the client wrote it: te.Offset is where the
		// number the error is about ends.
		if lit, ok := ends[te.Offset]; ok {
			te.Value = "number " + lit
		}
	}
	return err
}

// ParseInt reads lit, a JSON number, as an int64 when it is a whole
// number however JSON writes it (1000, 1e3, 1000.0), as Unmarshal does;
// false when it is not whole or out of range.
func ParseInt(lit string) (int64, bool) {
	if n, err := strconv.ParseInt(lit, 10, 64); err == nil {
		return n, true
	}
	digits, _ := wholeNumber(lit)
	if digits == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	return n, err == nil
}

// maxDigits is the most digits of an integer Unmarshal spells out: the
// widest integer, a uint64, has 20.
const maxDigits = 20

// wholeNumber reads lit, a JSON number, exactly: whole reports whether it
// is a whole number, and digits is then its spelling in digits (with its
// sign), "" when it has more than maxDigits digits or is already so
// spelt.
func wholeNumber(lit string) (digits string, whole bool) {
	s, neg := strings.CutPrefix(lit, "-")
	mant, exp := s, int64(0)
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant = s[:i]
		e, err := strconv.ParseInt(s[i+1:], 10, 64)
		if err != nil { // beyond int64: far enough either way
			e = math.MaxInt32
			if strings.HasPrefix(s[i+1:], "-") {
				e = math.MinInt32
			}
		}
		exp = max(min(e, math.MaxInt32), math.MinInt32)
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	// lit is sig × 10^shift, sig without zeros at either end.
	sig := strings.TrimLeft(intPart+frac, "0")
	shift := exp - int64(len(frac))
	trimmed := strings.TrimRight(sig, "0")
	shift += int64(len(sig) - len(trimmed))
	sig = trimmed
	switch {
	case sig == "":
		sig, shift = "0", 0
	case shift < 0:
		return "", false
	}
	if int64(len(sig))+shift > maxDigits || !strings.ContainsAny(lit, ".eE") {
		return "", true
	}
	out := sig + strings.Repeat("0", int(shift))
	if neg {
		out = "-" + out
	}
	return out, true
}

// wholeInDigits is data, valid JSON, with every number that wholeNumber
// spells in digits so spelt, and the numbers it respelt as written, by
// the offset in the new text where each ends.
func wholeInDigits(data []byte) ([]byte, map[int64]string) {
	out := make([]byte, 0, len(data))
	ends := map[int64]string{}
	last := 0
	for i := 0; i < len(data); {
		switch c := data[i]; {
		case c == '"':
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					i++
				}
			}
			i++
		case c == '-' || c >= '0' && c <= '9':
			j := i + 1
			for j < len(data) && strings.IndexByte("0123456789+-.eE", data[j]) >= 0 {
				j++
			}
			if digits, _ := wholeNumber(string(data[i:j])); digits != "" {
				out = append(append(out, data[last:i]...), digits...)
				ends[int64(len(out))] = string(data[i:j])
				last = j
			}
			i = j
		default:
			i++
		}
	}
	return append(out, data[last:]...), ends
}

// KeyPath is the path of the key of the object at ("" for the
// document) as this project's errors write it, the one writer of a key's
// step (DuplicateKey's and the bundle files' errors use it): keys joined
// by dots, the empty key as `[""]` (a path of dots would lose it, and a
// message would begin with its colon), a long key cut (Echo), and a key
// quoted (QuoteEcho) when it would be misread: one with a space or a
// control character (": " would end the path early, a control character
// would hide it), and one that begins as another step does, with `[` (an
// index or the empty key: a key "[0]" under a is a."[0]", not a[0]) or
// with `"` (a quoted key). Every form is one PathOffset reads.
func KeyPath(at, key string) string {
	if key == "" {
		return at + `[""]`
	}
	if key[0] == '[' || key[0] == '"' || strings.ContainsFunc(key, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		key = QuoteEcho(key)
	} else {
		key = Echo(key)
	}
	if at == "" {
		return key
	}
	return at + "." + key
}

// PathOffset is the offset in data of the value at path, a JSON path as
// this project's errors write one: keys joined by dots, list indexes in
// brackets (`tenants[4].policy`, `providers[0].models[1].latency_ms`), the
// empty key as `[""]`, a key written as Echo writes it (a long one cut:
// `abc… (300 bytes)`) or quoted as QuoteEcho quotes it (one with a space:
// `"na me"`). ok is false when data holds no such value or path is not
// one.
//
// A key may be spelt with the path's own punctuation ("x.y", "a[0]", `"`,
// which the writers do not escape), so path is not split on its own: it
// is matched against the keys data holds, each in every form a writer
// gives it. A path that two ways of reading match is the value of the
// first key (of a key given twice, its first occurrence: RepeatOffset
// finds the second); a cut key is
// found whole when no key before it shares its first MaxEcho bytes and
// its length.
func PathOffset(data []byte, path string) (off int64, ok bool) {
	return pathOffset(data, path, false)
}

// RepeatOffset is the offset in data of the value of the second
// occurrence of the key that path ends at, in the object that holds it
// twice (DuplicateKey's path): where an error that the key is given twice
// is placed, since that occurrence is the one that repeats it, the one to
// delete or rename. ok is false when no object on path's way holds the
// key twice. path is read as PathOffset reads it.
func RepeatOffset(data []byte, path string) (off int64, ok bool) {
	return pathOffset(data, path, true)
}

// NearestOffset is the offset in data of the value at path, read as
// PathOffset reads it, or, when data does not hold it, of the nearest
// value on its way that data holds: the object that lacks the key (an
// error about a value absent, read as null, "providers[0].name: want a
// non-empty string, have null", or a key required and missing) or the
// list too short for the index; the document itself when not even
// path's first step is there. exact is false when the value is such a
// parent. Where path has more than one reading, the deepest value any
// reading reaches is nearest.
func NearestOffset(data []byte, path string) (off int64, exact bool) {
	w := pathWalk{data: data, near: skipSpace(data, 0), nearRest: len(path)}
	if path != "" {
		if at, _ := w.find(w.near, path, true); at >= 0 {
			return int64(at), true
		}
	}
	return int64(min(w.near, len(data))), false
}

// ValueOffset is where an error about the value path names in data is
// placed: that value, or the nearest on its way (NearestOffset); for a
// key given twice (repeated), its second occurrence (RepeatOffset), where
// data has one.
func ValueOffset(data []byte, path string, repeated bool) int64 {
	if repeated {
		if off, ok := RepeatOffset(data, path); ok {
			return off
		}
	}
	off, _ := NearestOffset(data, path)
	return off
}

// PosOf is the error msg about the value path names in data, placed at it
// (ValueOffset).
func PosOf(data []byte, path string, repeated bool, msg string) *PosError {
	return PosAt(data, ValueOffset(data, path, repeated), msg)
}

// pathOffset is PathOffset, or RepeatOffset when repeat is set.
func pathOffset(data []byte, path string, repeat bool) (off int64, ok bool) {
	if path == "" {
		return 0, false
	}
	w := pathWalk{data: data, repeat: repeat}
	if at, _ := w.find(skipSpace(data, 0), path, true); at >= 0 {
		return int64(at), true
	}
	return 0, false
}

// pathWalk is a search of data for the value at a path.
type pathWalk struct {
	data []byte
	// repeat asks for the second occurrence of the key the path ends
	// at (RepeatOffset).
	repeat bool
	// near is the offset of the deepest value reached on the path's way,
	// nearRest what was left of the path there (NearestOffset).
	near, nearRest int
}

// find reads the value at data[i] for the value at rest within it
// (rest's first key has no dot before it when first): at is its offset,
// -1 when there is none; end is the index after the value at data[i],
// -1 when data ends first. The value at rest is the value itself when
// rest is empty, else the value at the rest of rest in the first of the
// object's values whose key rest begins with that holds it, or in the
// list's element that rest indexes. With repeat, a key that rest ends at
// is passed over the first time an object holds it: the value is its
// second occurrence's.
//
// Each value is read once for each way rest spells the chain of keys
// that leads to it, which is once but for contrived keys, so the work
// is bounded by the document's length.
func (w *pathWalk) find(i int, rest string, first bool) (at, end int) {
	data := w.data
	if i < len(data) && len(rest) < w.nearRest {
		w.near, w.nearRest = i, len(rest) // deeper on the way than any before
	}
	if rest == "" {
		return i, valueEnd(data, i)
	}
	if i >= len(data) {
		return -1, -1
	}
	close := byte('}')
	switch data[i] {
	case '{':
		passed := false // with repeat, the key rest ends at was seen once
		for i = skipSpace(data, i+1); i < len(data) && data[i] == '"'; {
			keyEnd := stringEnd(data, i)
			colon := skipSpace(data, keyEnd)
			if colon >= len(data) || data[colon] != ':' {
				return -1, -1
			}
			v := skipSpace(data, colon+1)
			forms := keyForms(rest, string(keyOf(data[i:keyEnd])), first)
			if len(forms) == 0 {
				end = valueEnd(data, v)
			}
			for _, after := range forms {
				if at, end = w.find(v, after, false); at >= 0 {
					if w.repeat && after == "" && !passed {
						passed = true // its first occurrence
						continue
					}
					return at, end
				}
			}
			if i, end = nextElement(data, end, '}'); i < 0 {
				return -1, end
			}
		}
	case '[':
		close = ']'
		n, after := pathIndex(rest)
		i = skipSpace(data, i+1)
		for k := 0; i < len(data) && data[i] != ']'; k++ {
			if k != n {
				end = valueEnd(data, i)
			} else if at, end = w.find(i, after, false); at >= 0 {
				return at, end
			}
			if i, end = nextElement(data, end, ']'); i < 0 {
				return -1, end
			}
		}
	default:
		return -1, valueEnd(data, i)
	}
	// An empty object or list, or one that ends after a comma.
	if i < len(data) && data[i] == close {
		return -1, i + 1
	}
	return -1, -1
}

// ListLen is the number of elements of data, a JSON list (space around
// it allowed), counted without decoding them: what a decoder checks a
// list's length against before it allocates an element each. ok is
// false when data is no list, or not valid JSON as far as the count
// reads.
func ListLen(data []byte) (n int, ok bool) {
	ok = elements(data, func(int, []byte) bool { n++; return true })
	return n, ok
}

// Elements yields the start offset and text of each element of the JSON
// list data (space around it allowed) in turn; nothing for another
// value. It reads no further than the first text that is not JSON.
func Elements(data []byte) iter.Seq2[int, []byte] {
	return func(yield func(int, []byte) bool) { elements(data, yield) }
}

// elements calls yield with each element of the list data, as Elements
// yields them, and reports whether the list closed after the last (false
// for another value, or text that is not JSON, or a stop).
func elements(data []byte, yield func(int, []byte) bool) (closed bool) {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '[' {
		return false
	}
	if i = skipSpace(data, i+1); i < len(data) && data[i] == ']' {
		return true
	}
	for {
		end := valueEnd(data, i)
		if end < 0 || !yield(i, data[i:end]) {
			return false
		}
		next, after := nextElement(data, end, ']')
		if next < 0 {
			return after >= 0
		}
		i = next
	}
}

// nextElement reads what follows an element of an object or a list
// (closed by the byte close) that ends at data[end] (-1: data ends
// first): the index of the next element, or -1 and the index after the
// object or list (-1 when data ends first).
func nextElement(data []byte, end int, close byte) (next, after int) {
	if end >= 0 {
		i := skipSpace(data, end)
		if i < len(data) && data[i] == ',' {
			return skipSpace(data, i+1), -1
		}
		if i < len(data) && data[i] == close {
			return -1, i + 1
		}
	}
	return -1, -1
}

// pathIndex reads the index that path begins with ("[4]..."): the index
// and the path after it; -1 when path does not begin with one.
func pathIndex(path string) (int, string) {
	after, ok := strings.CutPrefix(path, "[")
	digits, after, ok2 := strings.Cut(after, "]")
	n, err := strconv.Atoi(digits)
	if !ok || !ok2 || err != nil || digits[0] < '0' || digits[0] > '9' || !pathNext(after) {
		return -1, ""
	}
	return n, after
}

// keyForms is what remains of path after each way it may begin with key
// (after a dot unless first): `[""]` for the empty key, else the key as
// Echo writes it or as QuoteEcho quotes it, each followed by the path's
// end, a dot or a bracket.
func keyForms(path, key string, first bool) []string {
	if key == "" {
		if after, ok := strings.CutPrefix(path, `[""]`); ok && pathNext(after) {
			return []string{after}
		}
		return nil
	}
	if !first {
		var ok bool
		if path, ok = strings.CutPrefix(path, "."); !ok {
			return nil
		}
	}
	if path == "" || path[0] != key[0] && path[0] != '"' {
		return nil // neither form: the common case, without writing them
	}
	var out []string
	for _, form := range []string{Echo(key), QuoteEcho(key)} {
		if after, ok := strings.CutPrefix(path, form); ok && pathNext(after) {
			out = append(out, after)
		}
	}
	return out
}

// pathNext reports whether rest can follow a step of a path: nothing, a
// key after its dot, or an index or the empty key in brackets.
func pathNext(rest string) bool {
	return rest == "" || rest[0] == '.' || rest[0] == '['
}

// skipSpace is the index of the first byte from data[i] that is not JSON
// white space.
func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n') {
		i++
	}
	return i
}

// valueEnd is the index after the JSON value that starts at data[i]; -1
// when data ends first.
func valueEnd(data []byte, i int) int {
	if i >= len(data) {
		return -1
	}
	switch data[i] {
	case '"':
		if end := stringEnd(data, i); end > i+1 && data[end-1] == '"' {
			return end
		}
		return -1
	case '{', '[':
		depth := 0
		for j := i; j < len(data); j++ {
			switch data[j] {
			case '"':
				j = stringEnd(data, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(data) && strings.IndexByte(",]} \t\r\n", data[j]) < 0 {
		j++
	}
	if j == i {
		return -1
	}
	return j
}

// DecodeError is err, encoding/json's (or Unmarshal's) error
// decoding data, in the project's words: a value of the wrong type is
// named by its field's path and told as TypeError tells it
// ("fuel: want a number, have a string"), not by the Go types it was
// decoded into; a syntax error is placed (At).
func DecodeError(data []byte, err error) error {
	if msg, ok := TypeError(err); ok {
		if te := (*json.UnmarshalTypeError)(nil); errors.As(err, &te) && te.Field != "" {
			msg = Echo(te.Field) + ": " + msg
		}
		return errors.New(msg)
	}
	return At(data, err)
}

// SyntaxOffset is the byte of data at fault in se, encoding/json's error
// decoding data, counted from 0: se.Offset counts that byte itself; a
// document cut short is at fault at its end.
func SyntaxOffset(data []byte, se *json.SyntaxError) int {
	if se.Offset >= int64(len(data)) && strings.HasPrefix(se.Error(), "unexpected end") {
		return len(data)
	}
	return max(int(se.Offset)-1, 0)
}
