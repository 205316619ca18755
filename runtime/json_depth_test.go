package runtime_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime"
)

// TestJSONTooDeep: valid JSON nested deeper than encoding/json reads
// (10,000 levels) is refused as too deeply nested, saying how deep it
// may be, on every path, not as malformed JSON; 10,000 levels are read
// (CP1 keeps unknown fields; the others refuse x).
func TestJSONTooDeep(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	load(t, e, examples)
	ctx := context.Background()
	nest := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	const want = "too deeply nested: objects and lists nest 10000 levels deep at most"
	// The body's object is a level: x's value begins at the second.
	bodies := func(x string) map[string]func() []byte {
		return map[string]func() []byte{
			"v2": func() []byte {
				out, _, _ := e.HandleV2(ctx, []byte(`{"request": {"id": "r"}, "x": `+x+`}`), time.Now(), nil, nil)
				return out
			},
			"cp1": func() []byte {
				out, _, _ := e.HandleCP1(ctx, []byte(`{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "c"}, "x": `+x+`}`), runtime.CP1Meta{}, nil, nil)
				return out
			},
			"batch": func() []byte {
				out, _ := e.HandleV2Batch(ctx, []byte(`{"x": `+x+`, "requests": []}`), time.Now(), nil)
				return out
			},
			"feedback": func() []byte {
				out, _ := e.HandleFeedback([]byte(`{"request_id": "r", "target": "p:m", "status": "ok", "x": `+x+`}`), nil)
				return out
			},
		}
	}
	for name, do := range bodies(nest(10000)) {
		if out := string(do()); !strings.Contains(out, `"message":"`+want+` (at byte `) || strings.Contains(out, "malformed") {
			t.Errorf("%s, 10001 levels: %.300s\nwant %s", name, out, want)
		}
	}
	for name, do := range bodies(nest(9999)) {
		if out := string(do()); strings.Contains(out, "deep") || strings.Contains(out, "malformed") || name != "cp1" && !strings.Contains(out, `unknown field`) {
			t.Errorf("%s, 10000 levels: %.300s, want it read (v2 and feedback: the unknown field x)", name, out)
		}
	}
}
