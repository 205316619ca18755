package runtime

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/vm"
)

// A compiled encoder writes the JSON that encoding/json makes of rpl.ToGo
// (the same values, compared decoded, numbers exactly), for values of
// every kind of type, none included, in a recursive record type with a
// key that needs escaping; and record keys in field order, map keys in
// map order.
func TestCompiledEncoder(t *testing.T) {
	node := lang.NewRecord("Node", nil)
	node.Fields = []*lang.Field{
		{Name: "at", Type: lang.Typ[lang.Time]},
		{Name: "cost", Type: lang.Typ[lang.Money]},
		{Name: "kids", Type: &lang.List{Elem: node}},
		{Name: "kind", Type: &lang.Enum{Name: "Kind", Members: []string{"a", "b"}}},
		{Name: "name\"q", Type: lang.Typ[lang.String]},
		{Name: "next", Type: &lang.Optional{Elem: node}},
		{Name: "on", Type: lang.Typ[lang.Bool]},
		{Name: "ratio", Type: lang.Typ[lang.Float]},
		{Name: "tags", Type: &lang.Map{Key: lang.Typ[lang.String], Elem: lang.Typ[lang.Int]}},
		{Name: "ttl", Type: lang.Typ[lang.Duration]},
		{Name: "weights", Type: &lang.Map{Key: lang.Typ[lang.Int], Elem: lang.Typ[lang.String]}},
	}
	rng := rand.New(rand.NewPCG(5, 6))
	var gen func(depth int) vm.Value
	gen = func(depth int) vm.Value {
		if rng.IntN(8) == 0 {
			return vm.Nil()
		}
		s := make([]vm.Value, len(node.Fields))
		s[0] = vm.TimeOf(time.Unix(rng.Int64N(2e9), rng.Int64N(1e9)).UTC())
		s[1] = vm.Money(rng.Int64N(1e12) - 5e11)
		var kids []vm.Value
		for range rng.IntN(3) * min(depth, 1) {
			kids = append(kids, gen(depth-1))
		}
		s[2] = vm.NewList(kids)
		s[3] = vm.Str([]string{"a", "b"}[rng.IntN(2)])
		s[4] = vm.Str([]string{"", "plain", "q\"\\\n\x01", "é✓", "bad\xff"}[rng.IntN(5)])
		s[5] = vm.Nil()
		if depth > 0 {
			s[5] = gen(depth - 1)
		}
		s[6] = vm.Bool(rng.IntN(2) == 0)
		s[7] = vm.Float(rng.NormFloat64() * 1e6)
		tags, _ := vm.NewMap([]vm.Value{vm.Str("x"), vm.Str("y\"")}, []vm.Value{vm.Int(rng.Int64()), vm.Int(-3)})
		s[8] = tags
		s[9] = vm.Duration(time.Duration(rng.Int64N(1e13)))
		weights, _ := vm.NewMap([]vm.Value{vm.Int(-1), vm.Int(7)}, []vm.Value{vm.Str("w"), vm.Nil()})
		s[10] = weights
		return vm.NewRecord(s)
	}
	// Numbers compare as integers when they are (exactly), else as floats
	// (the two encoders spell floats differently).
	var norm func(x any) any
	norm = func(x any) any {
		switch x := x.(type) {
		case json.Number:
			if i, err := x.Int64(); err == nil {
				return i
			}
			f, _ := x.Float64()
			return f
		case []any:
			for i := range x {
				x[i] = norm(x[i])
			}
		case map[string]any:
			for k := range x {
				x[k] = norm(x[k])
			}
		}
		return x
	}
	decode := func(b []byte) any {
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		var x any
		if err := d.Decode(&x); err != nil {
			t.Fatalf("%v: %s", err, b)
		}
		return norm(x)
	}
	enc := compileEncoder(node)
	for range 2000 {
		v := gen(3)
		got := enc(nil, v)
		want, err := json.Marshal(rpl.ToGo(node, v))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(decode(got), decode(want)) {
			t.Fatalf("compiled encoder:\n%s\nencoding/json of rpl.ToGo:\n%s", got, want)
		}
	}
	order := gen(0)
	for order.IsNil() {
		order = gen(0)
	}
	got := string(enc(nil, order))
	if !strings.HasPrefix(got, `{"at":`) || !strings.Contains(got, `"tags":{"x":`) || !strings.Contains(got, `"weights":{"-1":"w","7":null}`) {
		t.Errorf("keys out of order: %s", got)
	}
}
