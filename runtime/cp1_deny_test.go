package runtime_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/runtime"
)

// TestCP1DenyAndFailure: CP1 has no deny in its five error codes, so a
// policy's deny is answered decision_failed, as its failure is; the
// details tell them apart: a deny's hold deny_reason (and reason, the
// policy's because), a failure's vm_code. Both answers pinned whole.
func TestCP1DenyAndFailure(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "guard.rpl", "package guard\n\nfn route(r: Request) -> Decision = deny(\"over_budget\").because(\"spent $950 of $1000\")\n")
	writeFile(t, dir, "broken.rpl", "package broken\n\nfn route(r: Request) -> Decision = to(r.task.type)\n")
	e := newEngine(t, runtime.Config{})
	s := load(t, e, dir)
	ctx := context.Background()
	for policy, want := range map[string]string{
		"guard": `{"ok":false,"error":{"code":"decision_failed","message":"request denied by policy guard: over_budget",` +
			`"details":{"deny_reason":"over_budget","policy_id":"guard","policy_version":"` + s.Version + `","reason":"spent $950 of $1000"}},` +
			`"context":{"request_id":"r-1"}}`,
		"broken": `{"ok":false,"error":{"code":"decision_failed","message":"policy broken failed: broken.rpl:3:38: to(string): target \"no target\": it holds spaces or control characters",` +
			`"details":{"policy_id":"broken","policy_version":"` + s.Version + `","vm_code":"builtin_error"}},` +
			`"context":{"request_id":"r-1"}}`,
	} {
		body := `{"version": "1", "request_id": "r-1", "tenant_id": "t", "policy_id": "` + policy + `", "task": {"type": "no target"}}`
		out, code, o := e.HandleCP1(ctx, []byte(body), runtime.CP1Meta{}, nil, nil)
		if code != runtime.CodeDecisionFailed || string(out) != want {
			t.Errorf("%s: %s %s\nwant %s", policy, code, out, want)
		}
		if wantResult := map[string]string{"guard": "deny", "broken": "decision_failed"}[policy]; o == nil || o.Result() != wantResult {
			t.Errorf("%s: outcome %v, want %s", policy, o, wantResult)
		}
	}
}

// TestCP1DenyLongReason: a deny's message repeats its reason cut to
// MaxEcho bytes, as an error repeats any one value, where it repeated it
// whole (a 500 KB reason, of a request's metadata, made the answer
// 1.5 MB); details.deny_reason and details.reason hold them whole.
func TestCP1DenyLongReason(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "echo.rpl", "package echo\n\nfn route(r: Request) -> Decision = deny(r.metadata[\"x\"] ?? \"none\").because(\"b\")\n")
	e := newEngine(t, runtime.Config{})
	s := load(t, e, dir)
	x := strings.Repeat("q", 500000)
	body := `{"version": "1", "request_id": "r-1", "tenant_id": "t", "policy_id": "echo", "task": {"type": "chat"}, "metadata": {"x": "` + x + `"}}`
	out, code, _ := e.HandleCP1(context.Background(), []byte(body), runtime.CP1Meta{}, nil, nil)
	want := `{"ok":false,"error":{"code":"decision_failed","message":"request denied by policy echo: ` + x[:runtime.MaxEcho] + `… (500000 bytes)",` +
		`"details":{"deny_reason":"` + x + `","policy_id":"echo","policy_version":"` + s.Version + `","reason":"b"}},` +
		`"context":{"request_id":"r-1"}}`
	if code != runtime.CodeDecisionFailed || string(out) != want {
		t.Errorf("%s, %d bytes; want %d bytes", code, len(out), len(want))
	}
}
