package rpl

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/rpl-lang/rpl/internal/jsonx"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/vm"
)

// RequestFromJSON decodes a JSON object into a Request record. Omitted
// fields, and fields that are null, take their zero value (none for an
// optional); unknown fields and wrong types are errors naming the JSON path.
func (p *Program) RequestFromJSON(data []byte) (vm.Value, error) {
	if p.out.Request == nil {
		return vm.Value{}, fmt.Errorf("rpl: no Request type in the environment")
	}
	return FromJSON(p.out.Request, data)
}

// DecisionType is the record type of decisions.
func (p *Program) DecisionType() *lang.Record { return p.out.Decision }

// RequestType is the record type of requests.
func (p *Program) RequestType() *lang.Record { return p.out.Request }

// FromJSON decodes data as a value of type t.
func FromJSON(t lang.Type, data []byte) (vm.Value, error) { return FromJSONAt(t, data, "") }

// FromJSONAt is FromJSON for data found at path in a larger document
// ("request"): its errors name paths from there ("request.tenant.tier",
// `request[""]`, "request: want an object").
func FromJSONAt(t lang.Type, data []byte, path string) (vm.Value, error) {
	invalid := "invalid JSON"
	if path != "" {
		invalid = path + ": " + invalid
	}
	// Anything but space after the value is refused at its first byte,
	// as rplc check places it in tenants.json.
	var x any
	if err := jsonx.DecodeOne(data, &x); err != nil {
		return vm.Value{}, jsonx.Within(invalid, jsonx.At(data, err))
	}
	if p, dup := jsonx.DuplicateKey(data, path, 0); dup {
		return vm.Value{}, pathErr(p, jsonx.RepeatedKey) // encoding/json kept the last
	}
	return fromGo(t, x, path)
}

// TimeNumberMin is the least magnitude of a time that FromJSON and FromGo
// take as a number (Unix milliseconds), 0 apart: 1e11 ms is
// 1973-03-03T09:46:40Z, and a smaller number is rather Unix seconds (1e11
// s is in the year 5138), which read as milliseconds would be a day of
// 1970; it is refused, saying so.
const TimeNumberMin = 100_000_000_000

// TimeNumberTaken reports whether ms, a time given as a number, is taken
// as Unix milliseconds: 0, or at least TimeNumberMin in magnitude (the
// rule FromJSON applies, and the router's fast decoder with it).
func TimeNumberTaken(ms int64) bool {
	return ms == 0 || ms <= -TimeNumberMin || ms >= TimeNumberMin
}

// FromGo converts a value decoded by encoding/json (with UseNumber or
// not) into a value of type t. Durations are literals ("250ms") or a
// whole number of milliseconds (2000 is 2s; 1.5 is refused, as it might
// mean seconds); money is a decimal number (0.25, 2.5e-1) or a string
// written as a money literal is, its "$" optional ("$0.25", "0.25",
// "$1_000", "-$5"; " 1", "1.", ".5" and "$1e3" are refused, as such
// literals are: jsonx.ParseMoneyText);
// times are RFC 3339 strings or Unix milliseconds, 0 or at least
// TimeNumberMin in magnitude (1764358000, Unix seconds, is refused rather
// than read as 1970-01-21). The epoch (0, "1970-01-01T00:00:00Z") is the
// zero time, which a router and rplc eval take as no arrival given.
// nil (JSON's null) is
// none for an optional type and the zero value of any other type (spec
// §3: an enum's first member), as an omitted record field is.
func FromGo(t lang.Type, x any) (vm.Value, error) {
	return fromGo(t, x, "")
}

// PathError is an error of FromJSON, FromJSONAt or FromGo about the
// value at Path ("tenant.tier", `request.metadata[""]`; "value" for the
// whole value).
type PathError struct {
	Path, Msg string
}

func (e *PathError) Error() string { return e.Path + ": " + e.Msg }

func pathErr(path, format string, args ...any) error {
	if path == "" {
		path = "value"
	}
	return &PathError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

func fromGo(t lang.Type, x any, path string) (vm.Value, error) {
	switch t := t.(type) {
	case *lang.Optional:
		if x == nil {
			return vm.Nil(), nil
		}
		return fromGo(t.Elem, x, path)
	case *lang.Enum:
		if x == nil {
			return compiler.ZeroValue(t), nil // its first member, as for an omitted field
		}
		s, ok := x.(string)
		if !ok {
			return vm.Value{}, pathErr(path, "want %s, have %s", t, jsonx.Kind(x))
		}
		for _, m := range t.Members {
			if m == s {
				return vm.Str(s), nil
			}
		}
		return vm.Value{}, pathErr(path, "%s is not a %s (want one of %s)", jsonx.QuoteEcho(s), t, strings.Join(t.Members, ", "))
	case *lang.List:
		if x == nil {
			return compiler.ZeroValue(t), nil
		}
		xs, ok := x.([]any)
		if !ok {
			return vm.Value{}, pathErr(path, "want a list, have %s", jsonx.Kind(x))
		}
		out := make([]vm.Value, len(xs))
		for i, e := range xs {
			v, err := fromGo(t.Elem, e, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return vm.Value{}, err
			}
			out[i] = v
		}
		return vm.NewList(out), nil
	case *lang.Map:
		if x == nil {
			return compiler.ZeroValue(t), nil
		}
		m, ok := x.(map[string]any)
		if !ok {
			return vm.Value{}, pathErr(path, "want an object, have %s", jsonx.Kind(x))
		}
		keys := jsonx.SortedKeys(m)
		ks := make([]vm.Value, len(keys))
		vs := make([]vm.Value, len(keys))
		for i, k := range keys {
			kv, err := fromGo(t.Key, k, path)
			if err != nil {
				n, nerr := strconv.ParseInt(k, 10, 64)
				if nerr != nil || !isKind(t.Key, lang.Int) {
					return vm.Value{}, err
				}
				kv = vm.Int(n)
			}
			v, err := fromGo(t.Elem, m[k], jsonx.KeyPath(path, k))
			if err != nil {
				return vm.Value{}, err
			}
			ks[i], vs[i] = kv, v
		}
		return vm.NewMap(ks, vs)
	case *lang.Record:
		if x == nil {
			return compiler.ZeroValue(t), nil
		}
		m, ok := x.(map[string]any)
		if !ok {
			return vm.Value{}, pathErr(path, "want an object, have %s", jsonx.Kind(x))
		}
		// The first unknown field in sorted order, so that the error does
		// not depend on the map's iteration order.
		unknown, found := "", false
		for k := range m {
			if t.FieldIndex(k) < 0 && (!found || k < unknown) {
				unknown, found = k, true
			}
		}
		if found {
			names := make([]string, len(t.Fields))
			for i, f := range t.Fields {
				names[i] = f.Name
			}
			hint := ""
			if n := lang.Nearest(unknown, names); n != "" {
				hint = fmt.Sprintf(" (did you mean %s?)", n)
			}
			return vm.Value{}, pathErr(jsonx.KeyPath(path, unknown), "unknown field%s", hint)
		}
		slots := make([]vm.Value, len(t.Fields))
		for i, f := range t.Fields {
			fx, ok := m[f.Name]
			if !ok {
				slots[i] = compiler.ZeroValue(f.Type)
				continue
			}
			v, err := fromGo(f.Type, fx, jsonx.KeyPath(path, f.Name))
			if err != nil {
				return vm.Value{}, err
			}
			slots[i] = v
		}
		return vm.NewRecord(slots), nil
	case *lang.Basic:
		return fromGoBasic(t, x, path)
	}
	return vm.Value{}, pathErr(path, "cannot decode a value of type %s", t)
}

func isKind(t lang.Type, k lang.BasicKind) bool {
	b, ok := t.(*lang.Basic)
	return ok && b.Kind == k
}

func numberString(x any) (string, bool) {
	switch n := x.(type) {
	case json.Number:
		return n.String(), true
	case float64:
		return strconv.FormatFloat(n, 'f', -1, 64), true
	case int:
		return strconv.Itoa(n), true
	case int64:
		return strconv.FormatInt(n, 10), true
	}
	return "", false
}

func fromGoBasic(t *lang.Basic, x any, path string) (vm.Value, error) {
	if x == nil {
		return compiler.ZeroValue(t), nil
	}
	switch t.Kind {
	case lang.Bool:
		if b, ok := x.(bool); ok {
			return vm.Bool(b), nil
		}
	case lang.String:
		if s, ok := x.(string); ok {
			return vm.Str(s), nil
		}
	case lang.Int:
		if s, ok := numberString(x); ok {
			n, ok := jsonx.ParseInt(s)
			if !ok {
				return vm.Value{}, pathErr(path, "want an integer, have %s", jsonx.Echo(s))
			}
			return vm.Int(n), nil
		}
	case lang.Float:
		if s, ok := numberString(x); ok {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return vm.Value{}, pathErr(path, "want a number, have %s", jsonx.Echo(s))
			}
			return vm.Float(f), nil
		}
	case lang.Money:
		parse := jsonx.ParseMoney // a number's text, exponent forms included
		s, ok := numberString(x)
		if !ok {
			// A string is a money literal, its "$" optional.
			s, ok = x.(string)
			parse = jsonx.ParseMoneyText
		}
		if ok {
			n, err := parse(s)
			if errors.Is(err, jsonx.ErrMoneySyntax) {
				return vm.Value{}, pathErr(path, "want money (\"$0.25\" or 0.25), have %s", jsonx.QuoteEcho(s))
			} else if err != nil {
				return vm.Value{}, pathErr(path, "%v", err)
			}
			return vm.Money(n), nil
		}
	case lang.Duration:
		if s, ok := x.(string); ok {
			d, err := lang.ParseDuration(s)
			if err != nil {
				return vm.Value{}, pathErr(path, "want a duration such as \"250ms\", have %s", jsonx.QuoteEcho(s))
			}
			return vm.Duration(d), nil
		}
		if s, ok := numberString(x); ok {
			ms, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsInf(ms, 0) || math.Abs(ms) > float64(math.MaxInt64/int64(time.Millisecond)) {
				return vm.Value{}, pathErr(path, "duration in milliseconds out of range: %s", jsonx.Echo(s))
			}
			if ms != math.Trunc(ms) {
				// 1.5 might be meant as seconds: a string says its unit.
				return vm.Value{}, pathErr(path, "want a duration such as \"250ms\", or a whole number of milliseconds, have %s (a string says its unit: \"1.5ms\", \"1.5s\")", jsonx.Echo(s))
			}
			return vm.Duration(time.Duration(ms * float64(time.Millisecond))), nil
		}
	case lang.Time:
		// A time is Unix nanoseconds in an int64: from 1677-09-21 to
		// 2262-04-11. Beyond, it would wrap to another time silently.
		if s, ok := x.(string); ok {
			tm, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return vm.Value{}, pathErr(path, "want an RFC 3339 time, have %s", jsonx.QuoteEcho(s))
			}
			if !vm.TimeInRange(tm) {
				first, last := vm.TimeRange()
				return vm.Value{}, pathErr(path, "time out of range (%s to %s): %s", first.Format(time.RFC3339Nano), last.Format(time.RFC3339Nano), jsonx.Echo(s))
			}
			return vm.TimeOf(tm), nil
		}
		if s, ok := numberString(x); ok {
			ms, ok := jsonx.ParseInt(s)
			if !ok {
				return vm.Value{}, pathErr(path, "want Unix milliseconds, have %s", jsonx.Echo(s))
			}
			if ms < vm.MinTimeMillis || ms > vm.MaxTimeMillis {
				return vm.Value{}, pathErr(path, "time in Unix milliseconds out of range (%d to %d): %s", vm.MinTimeMillis, vm.MaxTimeMillis, jsonx.Echo(s))
			}
			if !TimeNumberTaken(ms) {
				return vm.Value{}, pathErr(path, "want Unix milliseconds, have %s, which looks like Unix seconds (as milliseconds it is %s): give %d, or an RFC 3339 time",
					jsonx.Echo(s), time.UnixMilli(ms).UTC().Format(time.RFC3339Nano), ms*1000)
			}
			return vm.Time(ms * int64(time.Millisecond)), nil
		}
	}
	return vm.Value{}, pathErr(path, "want %s, have %s", basicWant(t), jsonx.Kind(x))
}

// basicWant names what a value of a basic type is read from, in the
// words of jsonx.Kind ("want a string, have a number") and of the
// messages above for a value of the right JSON kind but malformed.
func basicWant(t *lang.Basic) string {
	switch t.Kind {
	case lang.Bool:
		return "a boolean"
	case lang.String:
		return "a string"
	case lang.Int:
		return "an integer"
	case lang.Float:
		return "a number"
	case lang.Money:
		return `money ("$0.25" or 0.25)`
	case lang.Duration:
		return `a duration ("250ms" or whole milliseconds)`
	case lang.Time:
		return "a time (RFC 3339 or Unix milliseconds)"
	}
	return t.String()
}

// ToGo converts a value of type t into plain Go values that encode to
// JSON naturally: records become map[string]any keyed by field name, money
// and durations their literal spelling, times RFC 3339 strings, none nil.
func ToGo(t lang.Type, v vm.Value) any {
	if v.IsNil() {
		return nil
	}
	switch t := t.(type) {
	case *lang.Optional:
		return ToGo(t.Elem, v)
	case *lang.Enum:
		return v.Str()
	case *lang.List:
		elems := v.List()
		out := make([]any, len(elems))
		for i, e := range elems {
			out[i] = ToGo(t.Elem, e)
		}
		return out
	case *lang.Map:
		m := v.Map()
		keys, vals := m.Keys(), m.Values()
		out := make(map[string]any, len(keys))
		for i, k := range keys {
			ks := ""
			if k.Kind() == vm.KindString {
				ks = k.Str()
			} else {
				ks = strconv.FormatInt(k.Int(), 10)
			}
			out[ks] = ToGo(t.Elem, vals[i])
		}
		return out
	case *lang.Record:
		slots := v.Record()
		out := make(map[string]any, len(t.Fields))
		for i, f := range t.Fields {
			if i < len(slots) {
				out[f.Name] = ToGo(f.Type, slots[i])
			}
		}
		return out
	case *lang.Basic:
		switch t.Kind {
		case lang.Bool:
			return v.Bool()
		case lang.Int:
			return v.Int()
		case lang.Float:
			return v.Float()
		case lang.String:
			return v.Str()
		case lang.Money:
			return lang.FormatMoney(v.Money())
		case lang.Duration:
			return lang.FormatDuration(v.Duration())
		case lang.Time:
			return v.Time().Format(time.RFC3339Nano)
		}
	}
	return v.Literal()
}

// Format writes v, a value of type t, as an RPL literal of that type:
// records with their field names ({a: "x", b: 1}, in the order of
// t.Fields: by name), enum members bare (any_error), an optional as its
// value or none, lists [1, 2], maps {"k": v}, and strings, numbers,
// durations, money and times as vm.Value.String writes them. Where v does not have
// the shape of t (or t is nil), v is written as vm.Value.String does
// (records positionally, enums as strings).
func Format(t lang.Type, v vm.Value) string { return FormatMax(t, v, math.MaxInt) }

// FormatMax is Format cut after about max bytes, as the VM cuts the values
// of failure messages: an element that starts past max, and the rest of a
// string longer than what is left, are written as "...". The text is at
// most max plus a few bytes per level of nesting (as deep as 64 levels),
// and the work is proportional to it however large or widely shared v is.
func FormatMax(t lang.Type, v vm.Value, max int) string {
	var b strings.Builder
	v.FormatShaped(&b, compiler.ShapeOf(t), max)
	return b.String()
}
