package compiler_test

import (
	"testing"

	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/vm"
)

// TestZeroValue pins the zero values of spec/language.md §3: an optional
// is none whatever it wraps (a list[T]? is none, not []), a list [], a map
// {}, a record has every field at its zero value. stdlib's fresh decision
// and the hosts' inputs take theirs from compiler.ZeroValue too.
func TestZeroValue(t *testing.T) {
	str := lang.Typ[lang.String]
	strs := &lang.List{Elem: str}
	emptyMap, _ := vm.NewMap(nil, nil)
	rec := &lang.Record{Fields: []*lang.Field{
		{Name: "n", Type: lang.Typ[lang.Int]},
		{Name: "xs", Type: strs},
		{Name: "ys", Type: &lang.Optional{Elem: strs}},
	}}
	cases := []struct {
		name string
		t    lang.Type
		want vm.Value
	}{
		{"int", lang.Typ[lang.Int], vm.Int(0)},
		{"string", str, vm.Str("")},
		{"duration", lang.Typ[lang.Duration], vm.Duration(0)},
		{"money", lang.Typ[lang.Money], vm.Money(0)},
		{"list", strs, vm.NewList(nil)},
		{"optional list", &lang.Optional{Elem: strs}, vm.Nil()},
		{"optional int", &lang.Optional{Elem: lang.Typ[lang.Int]}, vm.Nil()},
		{"map", &lang.Map{Key: str, Elem: str}, emptyMap},
		{"record", rec, vm.NewRecord([]vm.Value{vm.Int(0), vm.NewList(nil), vm.Nil()})},
	}
	for _, c := range cases {
		got := compiler.ZeroValue(c.t)
		if !vm.Equal(got, c.want) || got.Kind() != c.want.Kind() {
			t.Errorf("%s: zero value %s (%s), want %s (%s)", c.name, got, got.Kind(), c.want, c.want.Kind())
		}
	}
}
