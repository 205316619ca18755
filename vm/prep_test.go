package vm

import "testing"

// TestPreparedConstMaps: the table's map preparer (SetMapPreparer) runs
// once on each map of a program's constants, nested ones too, when the
// program is built (NewProgram) or loaded (Load); a map it returns nil
// for, and every map that is not a constant, has no Prepared value; and
// the spec's values are not written (another program may share them).
func TestPreparedConstMaps(t *testing.T) {
	mk := func(kvs ...Value) Value {
		var keys, vals []Value
		for i := 0; i < len(kvs); i += 2 {
			keys, vals = append(keys, kvs[i]), append(vals, kvs[i+1])
		}
		m, err := NewMap(keys, vals)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	inner := mk(Str("b"), Int(2), Str("a"), Int(1))
	skip := mk(Str("skip"), Int(0))
	consts := []Value{
		inner,
		NewList([]Value{Int(1), inner}),
		NewRecord([]Value{Str("x"), mk(Str("k"), inner)}),
		skip,
		Str("plain"),
	}
	calls := 0
	bt, err := NewBuiltinTable()
	if err != nil {
		t.Fatal(err)
	}
	bt.SetMapPreparer(func(m Map) any {
		calls++
		if _, ok := m.Get(Str("skip")); ok {
			return nil
		}
		return m.Len()
	})
	spec := buildSpec(t, consts, nil, nil, fn{name: "main", asm: func(a *Assembler) { a.Emit(OpConst, 4); a.Emit(OpReturn) }})
	_, data := encoded(t, spec)
	loaded, err := Load(data, bt)
	if err != nil {
		t.Fatal(err)
	}
	calls = 0
	built, err := NewProgram(spec, bt)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 5 { // inner 3 times, the record's map, skip
		t.Errorf("the preparer ran %d times, want 5", calls)
	}
	for name, p := range map[string]*Program{"built": built, "loaded": loaded} {
		c := p.Constants()
		for what, got := range map[string]any{
			"a constant map":         c[0].Map().Prepared(),
			"a map in a list":        c[1].List()[1].Map().Prepared(),
			"a map in a record":      c[2].Record()[1].Map().Prepared(),
			"a map in that map":      mustGet(t, c[2].Record()[1].Map(), Str("k")).Map().Prepared(),
			"the outer map":          c[2].Record()[1].Map().Prepared(),
			"a map refused":          c[3].Map().Prepared(),
			"the spec's map":         consts[0].Map().Prepared(),
			"a map made at run time": mk(Str("a"), Int(1)).Map().Prepared(),
		} {
			want := any(nil)
			switch what {
			case "a constant map", "a map in a list", "a map in that map":
				want = 2
			case "a map in a record", "the outer map":
				want = 1
			}
			if got != want {
				t.Errorf("%s: %s: Prepared %v, want %v", name, what, got, want)
			}
		}
		if !Equal(c[2], consts[2]) || !Equal(c[1], consts[1]) {
			t.Errorf("%s: prepared constants %v, %v differ from the spec's %v, %v", name, c[1], c[2], consts[1], consts[2])
		}
	}
	if got := built.Constants()[4]; got != consts[4] {
		t.Errorf("a string constant is %v, want %v", got, consts[4])
	}
}

func mustGet(t *testing.T, m Map, k Value) Value {
	t.Helper()
	v, ok := m.Get(k)
	if !ok {
		t.Fatalf("no %v in %v", k, m)
	}
	return v
}
