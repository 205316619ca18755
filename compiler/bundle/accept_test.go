package bundle

import (
	"context"
	"errors"
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
	for _, lim := range []rpl.Limits{{Fuel: 5}, {Memory: 1}} {
		_, err := Accept(context.Background(), data, ReadOptions{}, nil, lim)
		if !errors.Is(err, ErrTestsFailed) {
			t.Errorf("%+v: %v, want %v", lim, err, ErrTestsFailed)
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
