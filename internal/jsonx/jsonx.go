// Package jsonx holds what the packages that validate JSON input share:
// naming what a decoded value is, for error messages such as
// `tenant.tier: want string, have a number`.
package jsonx

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/rpl-lang/rpl/lang"
)

// Kind names the JSON kind of a value decoded by encoding/json (with or
// without UseNumber): null, a boolean, a number, a string, a list, an
// object.
func Kind(x any) string {
	switch x.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number, float64:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", x)
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
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		if t == reflect.TypeFor[json.RawMessage]() {
			return "a JSON value"
		}
		return "a list"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "a JSON value"
}

// ParseMoney reads an amount as JSON carries it ("0.25", "$0.25", "-0.5",
// or a number's text) into nano-units, by the rules of a money literal.
func ParseMoney(s string) (int64, error) {
	s = strings.TrimSpace(s)
	sign := ""
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		sign, s = "-", rest
	}
	return lang.ParseMoney(sign + "$" + strings.TrimPrefix(s, "$"))
}
