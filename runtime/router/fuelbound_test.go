package router_test

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/runtime/router"
)

// TestWarnsCostBoundOverFuel: a version whose policies' static cost
// bounds are over --fuel is activated (its tests run under the test
// limits) and the router warns of them, naming how many and the first
// ones with their bounds; under the default fuel it says nothing.
func TestWarnsCostBoundOverFuel(t *testing.T) {
	for _, tc := range []struct {
		fuel int64
		warn bool
	}{{10, true}, {0, false}} {
		var logs logBuffer
		r := startRouter(t, router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "-", NoNATS: true,
			Limits: rpl.Limits{Fuel: tc.fuel}, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if r.Engine.Current() == nil {
			t.Fatalf("--fuel %d: no version active", tc.fuel)
		}
		got := strings.Contains(logs.String(), "more fuel than --fuel gives")
		if got != tc.warn {
			t.Errorf("--fuel %d: warned %v, want %v:\n%s", tc.fuel, got, tc.warn, logs.String())
		}
		if tc.warn && !strings.Contains(logs.String(), "fuel=10 policies=") {
			t.Errorf("--fuel %d: the warning does not name the fuel and the policies:\n%s", tc.fuel, logs.String())
		}
	}
}
