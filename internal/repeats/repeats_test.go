package repeats

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestFilter: the first failure is told, the same again only after
// Every, another at once, and after a Reset the same one at once.
func TestFilter(t *testing.T) {
	at := time.Unix(1_000_000, 0)
	f := Filter{now: func() time.Time { return at }}
	a, b := errors.New("connection refused"), errors.New("authorization violation")
	step := func(what string, err error, want bool) {
		t.Helper()
		if got := f.Tell(err); got != want {
			t.Errorf("%s: Tell(%q) = %v, want %v", what, err, got, want)
		}
	}
	step("the first", a, true)
	step("the same at once", a, false)
	at = at.Add(Every - time.Millisecond)
	step("the same within a minute", a, false)
	at = at.Add(time.Millisecond)
	step("the same a minute after it was told", a, true)
	step("another", b, true)
	step("the first again, unlike the last told", a, true)
	f.Reset()
	step("the same after a reset", a, true)
}

// TestKinds: each kind is told once whatever comes between (a Filter
// tells every failure of a loop whose failures alternate), a kind
// forgotten past MaxKinds is told again, and after a Reset every kind is.
func TestKinds(t *testing.T) {
	var k Kinds
	for i, kind := range []string{"refused", "no such host", "refused", "no such host", "refused"} {
		if got := k.Tell(kind); got != (i < 2) {
			t.Errorf("Tell %d (%s) = %v", i, kind, got)
		}
	}
	for i := range MaxKinds - 1 { // refused, told first, is forgotten
		k.Tell(fmt.Sprint("kind ", i))
	}
	if k.Tell("no such host") || !k.Tell("refused") {
		t.Error("want the kind told longest ago forgotten, the others kept")
	}
	k.Reset()
	if !k.Tell("no such host") {
		t.Error("after Reset: not told")
	}
}
