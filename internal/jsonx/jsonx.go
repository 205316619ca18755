// Package jsonx holds what the packages that validate JSON input share:
// naming what a decoded value is, for error messages such as
// `tenant.tier: want string, have a number`.
package jsonx

import (
	"encoding/json"
	"fmt"
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
