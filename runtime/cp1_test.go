package runtime_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/state"
)

// TestCP1FastSlowSame: a CP1 body is answered the same whichever decoder
// reads it. A "Version" key beside version sends the body to encoding/json
// (the fast decoder refuses a key that differs from a field only by case)
// without changing its meaning.
func TestCP1FastSlowSame(t *testing.T) {
	e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
	load(t, e, examples)
	ctx := context.Background()
	meta := runtime.CP1Meta{Arrival: time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)}
	for _, body := range []string{
		// A null after a string leaves it as it was.
		`{"version":"1","request_id":"a","tenant_id":"t","task":{"type":"chat","type":null}}`,
		`{"version":"1","request_id":"a","tenant_id":"t","task":{"type":"chat","payload_ref":"s3://x","payload_ref":null}}`,
		`{"version":"1","request_id":"a","tenant_id":"t","task":{"type":"chat","type":"code"}}`,
		`{"version":"1","request_id":"a","tenant_id":"t","task":{"type":"chat"},"constraints":{"max_latency_ms":5,"max_latency_ms":null}}`,
	} {
		fast, fastCode, _ := e.HandleCP1(ctx, []byte(body), meta, nil, nil)
		slowBody := strings.Replace(body, `{"version":"1",`, `{"Version":"1","version":"1",`, 1)
		slow, slowCode, _ := e.HandleCP1(ctx, []byte(slowBody), meta, nil, nil)
		if string(fast) != string(slow) || fastCode != slowCode {
			t.Errorf("%s\n  %s %s\nencoding/json's path:\n  %s %s", body, fastCode, fast, slowCode, slow)
		}
	}
}
