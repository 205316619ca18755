package rpl_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/vm"
)

// TestFormat: values as RPL literals of their types; a value whose shape
// does not fit the type (or without a type) as vm.Value.String writes it.
func TestFormat(t *testing.T) {
	trigger := &lang.Enum{Name: "Trigger", Members: []string{"timeout", "any_error"}}
	item := lang.NewRecord("Item", []*lang.Field{
		{Name: "name", Type: lang.Typ[lang.String]},
		{Name: "on", Type: &lang.List{Elem: trigger}},
		{Name: "limit", Type: &lang.Optional{Elem: lang.Typ[lang.Int]}},
		{Name: "wait", Type: lang.Typ[lang.Duration]},
	})
	rec := vm.NewRecord([]vm.Value{vm.Nil(), vm.Str("n"), vm.NewList([]vm.Value{vm.Str("any_error")}), vm.Duration(250 * time.Millisecond)})
	m, err := vm.NewMap([]vm.Value{vm.Str("timeout")}, []vm.Value{vm.Money(2_500_000)})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		t    lang.Type
		v    vm.Value
		want string
	}{
		{item, rec, `{limit: none, name: "n", on: [any_error], wait: 250ms}`},
		{&lang.List{Elem: item}, vm.NewList([]vm.Value{rec}), `[{limit: none, name: "n", on: [any_error], wait: 250ms}]`},
		{&lang.Optional{Elem: item}, vm.Nil(), `none`},
		{&lang.Optional{Elem: trigger}, vm.Str("timeout"), `timeout`},
		{trigger, vm.Str("no member"), `"no member"`},
		{&lang.Map{Key: trigger, Elem: lang.Typ[lang.Money]}, m, `{timeout: $0.0025}`},
		{&lang.Map{Key: lang.Typ[lang.String], Elem: lang.Typ[lang.Money]}, m, `{"timeout": $0.0025}`},
		{lang.Typ[lang.Time], vm.TimeOf(time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)), `time("2025-06-02T12:00:00Z")`},
		{lang.Typ[lang.Float], vm.Float(1), `1.0`},
		{nil, rec, `{none, "n", ["any_error"], 250ms}`},
		{&lang.List{Elem: trigger}, rec, `{none, "n", ["any_error"], 250ms}`},                                     // not a list
		{lang.NewRecord("", []*lang.Field{{Name: "a", Type: trigger}}), rec, `{none, "n", ["any_error"], 250ms}`}, // 4 slots, not 1
	} {
		if got := rpl.Format(c.t, c.v); got != c.want {
			t.Errorf("Format(%v, %v) = %s, want %s", c.t, c.v, got, c.want)
		}
	}
}

// TestFormatMax: the text stops past the bound ("..."), in width and in
// depth, and the work with it: a million records through a shared list
// take a few KB (a walk of them all would take a second).
func TestFormatMax(t *testing.T) {
	row := lang.NewRecord("", []*lang.Field{{Name: "n", Type: lang.Typ[lang.Int]}, {Name: "s", Type: lang.Typ[lang.String]}})
	recs := make([]vm.Value, 1000)
	for i := range recs {
		recs[i] = vm.NewRecord([]vm.Value{vm.Int(int64(i)), vm.Str(strings.Repeat("x", 100))})
	}
	inner := vm.NewList(recs)
	outer := make([]vm.Value, 1000)
	for i := range outer {
		outer[i] = inner
	}
	typ := &lang.List{Elem: &lang.List{Elem: row}}
	s := rpl.FormatMax(typ, vm.NewList(outer), 2048)
	if len(s) > 2048+200 || !strings.HasPrefix(s, `[[{n: 0, s: "xxx`) || !strings.HasSuffix(s, "...], ...]") {
		t.Errorf("%d bytes: %.60s … %s", len(s), s, s[max(0, len(s)-40):])
	}
	// A long string is cut at what is left, at a rune boundary.
	if s := rpl.FormatMax(lang.Typ[lang.String], vm.Str(strings.Repeat("é", 100)), 11); s != `"ééééé"...` {
		t.Errorf("string cut: %s", s)
	}
	// Depth: as vm.Value.String, 64 levels.
	deep := vm.Int(1)
	var dt lang.Type = lang.Typ[lang.Int]
	for range 100 {
		deep = vm.NewList([]vm.Value{deep})
		dt = &lang.List{Elem: dt}
	}
	if s := rpl.Format(dt, deep); s != deep.String() || !strings.Contains(s, "[...]") {
		t.Errorf("deep: %s", s)
	}
}

// BenchmarkFormatMax: FormatMax of a million records through a shared
// list stops with its text (2 KB), not after walking them.
func BenchmarkFormatMax(b *testing.B) {
	row := lang.NewRecord("", []*lang.Field{{Name: "n", Type: lang.Typ[lang.Int]}})
	recs := make([]vm.Value, 1000)
	for i := range recs {
		recs[i] = vm.NewRecord([]vm.Value{vm.Int(int64(i))})
	}
	outer := make([]vm.Value, 1000)
	for i := range outer {
		outer[i] = vm.NewList(recs)
	}
	typ, v := &lang.List{Elem: &lang.List{Elem: row}}, vm.NewList(outer)
	for b.Loop() {
		rpl.FormatMax(typ, v, 2048)
	}
}
