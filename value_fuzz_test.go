package rpl_test

import (
	"encoding/json"
	"errors"
	"regexp"
	"testing"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/vm"
)

// fuzzTypes are the types FuzzFromJSON decodes into: the environment's
// Request, and a record of every kind of value a request's fields may
// have.
func fuzzTypes(t testing.TB) []lang.Type {
	e, err := rpl.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.CompileSource("f.rpl", []byte("package f\nfn route(r: Request) -> Decision = to(\"a:b\")\n"))
	if err != nil {
		t.Fatal(err)
	}
	b := func(k lang.BasicKind) lang.Type { return lang.Typ[k] }
	all := lang.NewRecord("All", []*lang.Field{
		{Name: "b", Type: b(lang.Bool)},
		{Name: "i", Type: b(lang.Int)},
		{Name: "f", Type: b(lang.Float)},
		{Name: "s", Type: b(lang.String)},
		{Name: "m", Type: b(lang.Money)},
		{Name: "d", Type: b(lang.Duration)},
		{Name: "t", Type: b(lang.Time)},
		{Name: "e", Type: &lang.Enum{Name: "Trigger", Members: []string{"timeout", "any_error", "http_5xx"}}},
		{Name: "o", Type: &lang.Optional{Elem: b(lang.Money)}},
		{Name: "l", Type: &lang.List{Elem: b(lang.Duration)}},
		{Name: "ms", Type: &lang.Map{Key: b(lang.String), Elem: &lang.Optional{Elem: b(lang.Int)}}},
		{Name: "mi", Type: &lang.Map{Key: b(lang.Int), Elem: b(lang.Float)}},
		{Name: "r", Type: lang.NewRecord("Inner", []*lang.Field{{Name: "x", Type: b(lang.Time)}, {Name: "y", Type: &lang.List{Elem: b(lang.String)}}})},
	})
	return []lang.Type{p.RequestType(), all}
}

// lineCol is the position jsonx.At gives a syntax error.
var lineCol = regexp.MustCompile(`^invalid JSON: (line \d+, column \d+: |no value|data after the value)`)

// FuzzFromJSON: FromJSON decodes a document into a value of the type,
// or refuses it with a *PathError naming where, or as invalid JSON with
// the position of the fault; a value decoded, converted by ToGo and
// encoded by encoding/json, decodes to the same value.
func FuzzFromJSON(f *testing.F) {
	for _, s := range []string{
		`{"id": "r-1", "tenant": {"id": "acme", "tier": "gold", "parents": ["org"]}, "estimate": {"input_tokens": 9000}}`,
		`{"id": "r", "task": {"type": "chat"}, "constraints": {"max_latency": "800ms", "max_cost": "$0.25"}, "metadata": {"k": "v"}, "arrival": "2026-11-26T12:00:00Z"}`,
		`{"id": "r", "arrival": 1748865600000, "headers": {"x": "y"}, "session": {"id": "s"}, "user": {"id": "u"}, "model": "gpt-4o"}`,
		`{"b": true, "i": 5, "f": 1.5, "s": "x", "m": 0.25, "d": 250, "t": "2025-06-02T12:00:00.5+02:00", "e": "any_error", "o": null, "l": ["1s", 2], "ms": {"a": 1, "b": null}, "mi": {"7": 1e3}, "r": {"x": 0, "y": ["z"]}}`,
		`{"m": "$-1.5", "d": "-1h2m", "o": "3", "mi": {"-1": -0.0}, "i": 1e3}`,
		`{"i": 1.5}`, `{"id": 5}`, `{"tenant": {"tierr": "x"}}`, `{"a": 1, "a": 2}`, `{"": 1}`,
		`{`, ``, `null`, `[]`, `{} x`, `"\ud800"`,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	types := fuzzTypes(f)
	f.Fuzz(func(t *testing.T, data []byte, second bool) {
		typ := types[0]
		if second {
			typ = types[1]
		}
		v, err := rpl.FromJSON(typ, data)
		if err != nil {
			var pe *rpl.PathError
			if errors.As(err, &pe) {
				if pe.Path == "" || pe.Msg == "" {
					t.Fatalf("error %q at path %q: %q", pe.Msg, pe.Path, data)
				}
				return
			}
			if !lineCol.MatchString(err.Error()) {
				t.Fatalf("error neither at a path nor at a position: %v; %q", err, data)
			}
			return
		}
		js, err := json.Marshal(rpl.ToGo(typ, v))
		if err != nil {
			t.Fatalf("ToGo(%v) does not encode: %v; %q", v, err, data)
		}
		again, err := rpl.FromJSON(typ, js)
		if err != nil {
			t.Fatalf("%s, the value written back, refused: %v; from %q", js, err, data)
		}
		if !vm.Equal(v, again) {
			t.Fatalf("%q decodes to %v,\nwritten back %s, to %v", data, v, js, again)
		}
	})
}
