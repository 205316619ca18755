package jsonx

import (
	"reflect"
	"testing"
)

func TestParseMoney(t *testing.T) {
	for in, want := range map[string]int64{"0.25": 250_000_000, "$0.25": 250_000_000, " -0.5 ": -500_000_000, "-$1": -1_000_000_000, "3": 3_000_000_000} {
		if got, err := ParseMoney(in); err != nil || got != want {
			t.Errorf("ParseMoney(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "abc", "$$1", "--1", "1e3x"} {
		if _, err := ParseMoney(in); err == nil {
			t.Errorf("ParseMoney(%q): no error", in)
		}
	}
}

func TestKindOf(t *testing.T) {
	type rec struct{ A int }
	for v, want := range map[any]string{"": "a string", 1.5: "a number", true: "a boolean", rec{}: "an object", &rec{}: "an object"} {
		if got := KindOf(reflect.TypeOf(v)); got != want {
			t.Errorf("KindOf(%T) = %s, want %s", v, got, want)
		}
	}
	if got := KindOf(reflect.TypeOf([]int{})); got != "a list" {
		t.Errorf("KindOf([]int) = %s", got)
	}
}
