package metrics

import (
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/runtime/tracing"
)

// TestSpansDroppedHelpNamesReasons: the help of rpl_spans_dropped_total
// says what each of the tracer's reasons means (rejected, added with
// OTLP partial successes, was not in it).
func TestSpansDroppedHelpNamesReasons(t *testing.T) {
	m := New()
	m.SpansDropped(func(string) int64 { return 0 }, tracing.DropReasons...)
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != "rpl_spans_dropped_total" {
			continue
		}
		for _, r := range tracing.DropReasons {
			if !strings.Contains(f.GetHelp(), r+" (") {
				t.Errorf("help does not say what %s is: %s", r, f.GetHelp())
			}
		}
		return
	}
	t.Fatal("no rpl_spans_dropped_total")
}
