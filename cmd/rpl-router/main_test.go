package main

import (
	"bytes"
	"context"
	"testing"
)

// TestLogSampleFlags: serve and bench take a decision log sample from 0
// to 1, 0 meaning no decision log, and refuse any other value before
// starting anything.
func TestLogSampleFlags(t *testing.T) {
	for _, c := range []struct {
		s     float64
		noLog bool
	}{{0, true}, {0.25, false}, {0.7, false}, {1, false}} {
		if noLog, err := logSample("--log-sample", c.s); err != nil || noLog != c.noLog {
			t.Errorf("--log-sample %v: no log %v, %v; want %v", c.s, noLog, err, c.noLog)
		}
	}
	// Canceled, a router that started anyway would stop at once.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, v := range []string{"1.5", "-0.5", "NaN", "+Inf"} {
		for _, args := range [][]string{
			{"serve", "--log-sample", v, "--no-nats", "--http", "-", "--policies", "../../examples/policies", "--data-dir", t.TempDir()},
			{"bench", "--decision-log-sample", v, "--setups", "inproc", "--rates", "100", "--max=false", "--duration", "10ms", "--warmup", "0s", "--tenants", "0", "--probe", "0s", "--policies", "../../examples/policies"},
		} {
			c := root()
			var out bytes.Buffer
			c.SetOut(&out)
			c.SetErr(&out)
			c.SetArgs(args)
			err := c.ExecuteContext(ctx)
			if want := args[1] + " " + v + ": want a fraction of decisions from 0 to 1"; err == nil || err.Error() != want {
				t.Errorf("%s %s: %v, want %q", args[0], args[1], err, want)
			}
		}
	}
}

// TestNegativeFlags: a negative limit or time is refused before starting
// anything, naming the flag (it used to fall back to the default).
func TestNegativeFlags(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range [][2]string{{"fuel", "-1"}, {"memory", "-5"}, {"deadline", "-1s"}, {"drain", "-1s"}, {"shutdown-grace", "-2s"},
		{"log-max-age", "-1h0m0s"}, {"log-max-bytes", "-1"}, {"max-body", "-1"}, {"max-in-flight", "-3"}} {
		cmd := root()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs([]string{"serve", "--" + c[0], c[1], "--no-nats", "--http", "-", "--policies", "../../examples/policies", "--data-dir", t.TempDir()})
		err := cmd.ExecuteContext(ctx)
		if want := "--" + c[0] + " " + c[1] + ": want a value ≥ 0"; err == nil || err.Error() != want {
			t.Errorf("--%s %s: %v, want %q", c[0], c[1], err, want)
		}
	}
}
