package bundle

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl"
)

// TestAcceptLimits: Accept runs the tests under the limits given, as a
// router runs them under its own, and refuses a bundle whose tests
// exhaust them; zero limits are the VM's defaults, under which
// TestsPass runs them.
func TestAcceptLimits(t *testing.T) {
	data := buildExamples(t, nil)
	b, err := Accept(context.Background(), data, ReadOptions{}, nil, rpl.Limits{})
	if err != nil {
		t.Fatalf("default limits: %v", err)
	}
	env, err := rpl.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.TestsPass(context.Background(), env, rpl.Limits{}); err != nil {
		t.Fatalf("TestsPass: %v", err)
	}
	for lim, code := range map[rpl.Limits]string{{Fuel: 5}: "fuel_exhausted", {Memory: 1}: "stack_overflow"} {
		_, err := Accept(context.Background(), data, ReadOptions{}, nil, lim)
		if !errors.Is(err, ErrTestsFailed) {
			t.Errorf("%+v: %v, want %v", lim, err, ErrTestsFailed)
		}
		// With its code, as rplc test and build say it: it was left out.
		if err == nil || !strings.Contains(err.Error(), " ["+code+"]") {
			t.Errorf("%+v: %v, without [%s]", lim, err, code)
		}
	}
}

// TestAcceptNoPolicies: a bundle without policies, which Write makes but
// routers refuse, is refused before it reaches their bucket.
func TestAcceptNoPolicies(t *testing.T) {
	data, err := Write(Manifest{}, nil, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Read(data, ReadOptions{}); err != nil {
		t.Fatalf("Read: %v (the bundle is well formed)", err)
	}
	if _, err := Accept(context.Background(), data, ReadOptions{}, nil, rpl.Limits{}); !errors.Is(err, ErrNoPolicies) {
		t.Fatalf("Accept: %v, want %v", err, ErrNoPolicies)
	}
}
