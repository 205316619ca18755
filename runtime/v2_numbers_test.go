package runtime_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime"
)

// TestDecideNumbersForDurationsAndTimes: a v2 request's duration given as
// a number is whole milliseconds and its time Unix milliseconds: a
// fraction of a millisecond (1.5, which might mean seconds) and a time in
// Unix seconds' range (1764358000, 1970-01-21 as milliseconds) are
// invalid_request naming the field, on the fast decoder's path and
// encoding/json's alike; 2000 is 2s and 1764358000000 is taken.
func TestDecideNumbersForDurationsAndTimes(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "default.rpl", "package default\n\nfn route(r: Request) -> Decision = to(\"a:b\").because(string(r.constraints.max_latency ?? 0s) + \" \" + string(r.arrival))\n")
	e := newEngine(t, runtime.Config{})
	load(t, e, dir)
	ctx := context.Background()
	// "m\u0061x_latency" and "\u0061rrival" are the fields, spelt so that
	// the fast decoder gives up.
	for _, slow := range []bool{false, true} {
		body := func(fields string) []byte {
			if slow {
				fields = strings.NewReplacer(`"max_latency"`, `"m\u0061x_latency"`, `"arrival"`, `"\u0061rrival"`).Replace(fields)
			}
			return []byte(`{"request": {"id": "r", "tenant": {"id": "t"}, ` + fields + `}}`)
		}
		for fields, want := range map[string]string{
			`"constraints": {"max_latency": 1.5}`: `"message":"request.constraints.max_latency: want a duration such as \"250ms\", or a whole number of milliseconds, have 1.5 (a string says its unit: \"1.5ms\", \"1.5s\")","details":{"field":"request.constraints.max_latency"}`,
			`"arrival": 1764358000`:               `"message":"request.arrival: want Unix milliseconds, have 1764358000, which looks like Unix seconds (as milliseconds it is 1970-01-21T10:05:58Z): give 1764358000000, or an RFC 3339 time","details":{"field":"request.arrival"}`,
		} {
			out, code, _ := e.HandleV2(ctx, body(fields), time.Now(), nil, nil)
			if code != runtime.CodeInvalidRequest || !strings.Contains(string(out), want) {
				t.Errorf("slow %v, %s: %s %s\nwant …%s", slow, fields, code, out, want)
			}
		}
		out, code, _ := e.HandleV2(ctx, body(`"constraints": {"max_latency": 2000}, "arrival": 1764358000000`), time.Now(), nil, nil)
		if code != "" || !strings.Contains(string(out), `"reason":"2s 2025-11-28T19:26:40Z"`) {
			t.Errorf("slow %v, whole milliseconds: %s %s", slow, code, out)
		}
	}
}
