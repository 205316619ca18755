package runtime_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/state"
)

// TestErrorEchoBounded: an error repeats at most runtime.MaxEcho bytes of
// any one value of the request, however long the value (a megabyte
// here): cut on a rune boundary, marked "…" and followed by its length,
// so that the error answer stays small whatever was sent.
func TestErrorEchoBounded(t *testing.T) {
	const n = 1 << 20
	big := func(c string) string { return strings.Repeat(c, n/len(c)) }
	cut := func(c string) string { // what an error keeps of big(c)
		return strings.Repeat(c, runtime.MaxEcho/len(c)) + "…"
	}
	x, digits := big("x"), big("1")
	dir := copyDir(t, examples, map[string]string{"tenants.json": `{"tenants": [{"id": "known"}]}`})
	e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
	load(t, e, dir)
	strict := newEngine(t, runtime.Config{RequireKnownTenant: true, State: state.NewMem(state.Options{})})
	load(t, strict, dir)
	nodef := newEngine(t, runtime.Config{})
	only := t.TempDir()
	writeFile(t, only, "only.rpl", "package only\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n")
	load(t, nodef, only)

	ctx, now := context.Background(), time.Now()
	cp1 := func(e *runtime.Engine) func(string) ([]byte, runtime.Code) {
		return func(body string) ([]byte, runtime.Code) {
			out, code, _ := e.HandleCP1(ctx, []byte(body), runtime.CP1Meta{Arrival: now}, nil, nil)
			return out, code
		}
	}
	v2 := func(e *runtime.Engine) func(string) ([]byte, runtime.Code) {
		return func(body string) ([]byte, runtime.Code) {
			out, code, _ := e.HandleV2(ctx, []byte(body), now, nil, nil)
			return out, code
		}
	}
	batch := func(body string) ([]byte, runtime.Code) { return e.HandleV2Batch(ctx, []byte(body), now, nil) }
	feedback := func(e *runtime.Engine) func(string) ([]byte, runtime.Code) {
		return func(body string) ([]byte, runtime.Code) { return e.HandleFeedback([]byte(body), nil) }
	}
	const (
		cp1Req = `"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "chat"}`
		fbReq  = `"request_id": "r", "tenant_id": "t", "target": "p:m", "status": "ok"`
	)
	length := " (1048576 bytes)"
	tenant, tenantLength := strings.Repeat("x", runtime.MaxTenantLen), " (256 bytes)"
	for _, c := range []struct {
		name   string
		handle func(string) ([]byte, runtime.Code)
		body   string
		code   runtime.Code
		msg    string // in the message
		field  string // details.field, when not ""
	}{
		{"cp1 version", cp1(e), `{"version": "` + x + `"}`, runtime.CodeInvalidRequest, `unsupported version "` + cut("x") + `"` + length + ` (want "1")`, "version"},
		{"cp1 numeric version", cp1(e), `{"version": ` + digits + `}`, runtime.CodeInvalidRequest, `unsupported version ` + cut("1") + length + ` (want "1")`, "version"},
		// A tenant id is at most runtime.MaxTenantLen bytes (longer is
		// refused before the tenant is looked up): more than MaxEcho.
		{"cp1 tenant", cp1(strict), `{` + cp1Req + `, "tenant_id": "` + tenant + `"}`, runtime.CodeUnauthorized, `tenant "` + cut("x") + `"` + tenantLength + ` is not registered`, ""},
		{"cp1 tenant, runes", cp1(strict), `{` + cp1Req + `, "tenant_id": "` + strings.Repeat("€", runtime.MaxTenantLen/3) + `"}`, runtime.CodeUnauthorized, `tenant "` + cut("€") + `" (255 bytes) is not registered`, ""},
		{"cp1 policy", cp1(e), `{` + cp1Req + `, "policy_id": "` + x + `"}`, runtime.CodePolicyNotFound, `no policy "` + cut("x") + `"` + length + ` in version`, ""},
		{"cp1 no policy for tenant", cp1(nodef), `{` + cp1Req + `, "tenant_id": "` + tenant + `"}`, runtime.CodePolicyNotFound, `no policy for tenant "` + cut("x") + `"` + tenantLength + ` and no default policy`, ""},
		{"cp1 number", cp1(e), `{` + cp1Req + `, "constraints": {"max_cost": ` + digits + `}}`, runtime.CodeInvalidRequest, `constraints.max_cost: ` + cut("1") + length + ` is out of range`, "constraints.max_cost"},
		{"v2 unknown field", v2(e), `{"request": {"id": "r"}, "` + x + `": 1}`, runtime.CodeInvalidRequest, cut("x") + length + `: unknown field (a v2 body is`, cut("x") + length},
		{"v2 policy", v2(e), `{"request": {"id": "r"}, "policy_id": "` + x + `"}`, runtime.CodePolicyNotFound, `no policy "` + cut("x") + `"` + length, ""},
		{"v2 tenant", v2(strict), `{"request": {"id": "r", "tenant": {"id": "` + tenant + `"}}}`, runtime.CodeUnauthorized, `tenant "` + cut("x") + `"` + tenantLength, ""},
		{"v2 request's unknown field", v2(e), `{"request": {"id": "r", "` + x + `": 1}}`, runtime.CodeInvalidRequest, `request.` + cut("x") + length + ": unknown field", "request." + cut("x") + length},
		{"v2 request's repeated key", v2(e), `{"request": {"id": "r", "metadata": {"` + x + `": "a", "` + x + `": "b"}}}`, runtime.CodeInvalidRequest, "request.metadata." + cut("x") + length + ": key given twice", "request.metadata." + cut("x") + length},
		{"v2 request's value", v2(e), `{"request": {"id": "r", "constraints": {"max_cost": "` + x + `"}}}`, runtime.CodeInvalidRequest, `request.constraints.max_cost: want money ("$0.25" or 0.25), have "xxx`, "request.constraints.max_cost"},
		{"batch unknown field", batch, `{"requests": [], "` + x + `": 1}`, runtime.CodeInvalidRequest, cut("x") + length + `: unknown field`, cut("x") + length},
		{"feedback status", feedback(e), `{` + strings.Replace(fbReq, `"ok"`, `"`+x+`"`, 1) + `}`, runtime.CodeInvalidRequest, `status: "` + cut("x") + `"` + length + ` is not one of ok,`, "status"},
		{"feedback target", feedback(e), `{` + strings.Replace(fbReq, `"p:m"`, `"`+x+`"`, 1) + `}`, runtime.CodeInvalidRequest, `target: "` + cut("x") + `"` + length + ` is not a target: longer than 256 bytes`, "target"},
		{"feedback provider_id", feedback(e), `{"request_id": "r", "status": "ok", "provider_id": "` + x + `"}`, runtime.CodeInvalidRequest, `provider_id: "` + cut("x") + `"` + length + ` is not a target`, "provider_id"},
		{"feedback tenant", feedback(strict), `{` + strings.Replace(fbReq, `"t"`, `"`+strings.Repeat("t", 200)+`"`, 1) + `}`, runtime.CodeUnauthorized, `tenant "` + strings.Repeat("t", runtime.MaxEcho) + `…" (200 bytes) is not registered`, ""},
		{"feedback unknown field", feedback(e), `{` + fbReq + `, "` + x + `": 1}`, runtime.CodeInvalidRequest, cut("x") + length + `: unknown field`, cut("x") + length},
		{"feedback unknown field, spaced", feedback(e), `{` + fbReq + `, "` + big("x ") + `": 1}`, runtime.CodeInvalidRequest, `"` + cut("x ") + `"` + length + `: unknown field`, `"` + cut("x ") + `"` + length},
		{"feedback beside a batch", feedback(e), `{"feedback": [], "` + x + `": 1}`, runtime.CodeInvalidRequest, cut("x") + length + `: not allowed beside a feedback batch`, cut("x") + length},
		{"feedback in a batch", feedback(e), `{"feedback": [{` + strings.Replace(fbReq, `"ok"`, `"`+x+`"`, 1) + `}]}`, runtime.CodeInvalidRequest, `feedback[0]: status: "` + cut("x") + `"` + length + ` is not one of`, "feedback[0].status"},
		{"feedback time", feedback(e), `{` + fbReq + `, "time": "` + x + `"}`, runtime.CodeInvalidRequest, `time: want an RFC 3339 time ("2026-11-26T12:00:00Z"), have "` + cut("x") + `"` + length, "time"},
		{"feedback number", feedback(e), `{` + fbReq + `, "latency_ms": ` + digits + `}`, runtime.CodeInvalidRequest, `latency_ms: ` + cut("1") + length + ` is out of range`, "latency_ms"},
		{"feedback integer", feedback(e), `{` + fbReq + `, "tokens_in": ` + digits + `}`, runtime.CodeInvalidRequest, `tokens_in: ` + cut("1") + length + ` is out of range`, "tokens_in"},
		{"feedback cost", feedback(e), `{` + fbReq + `, "cost": ` + digits + `}`, runtime.CodeInvalidRequest, `cost: ` + cut("1") + length + ` is more than the most one request may cost`, "cost"},
		{"feedback cost, string", feedback(e), `{` + fbReq + `, "cost": "` + x + `"}`, runtime.CodeInvalidRequest, `cost: want money (0.0123 or "$0.0123"), have "` + cut("x") + `"` + length, "cost"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, code := c.handle(c.body)
			if code != c.code {
				t.Fatalf("code %q, want %q: %.300s", code, c.code, out)
			}
			if len(out) > 2048 {
				t.Errorf("the answer is %d bytes: %.600s", len(out), out)
			}
			m := decodeJSON(t, out)
			errObj := m["error"].(map[string]any)
			if msg, _ := errObj["message"].(string); !strings.Contains(msg, c.msg) || !utf8.ValidString(msg) {
				t.Errorf("message\n%.600s\nwant it to hold\n%.600s", msg, c.msg)
			}
			if c.field != "" {
				if f, _ := errObj["details"].(map[string]any)["field"].(string); f != c.field {
					t.Errorf("details.field %.300q, want %.300q", f, c.field)
				}
			}
		})
	}

	if msg := runtime.CodingMessage(x); len(msg) > 512 || !strings.Contains(msg, `Content-Encoding "`+cut("x")+`"`+length+` is not supported`) {
		t.Errorf("CodingMessage: %.600s", msg)
	}
	if _, err := e.ActivateVersion(x); err == nil || !errors.Is(err, runtime.ErrUnknownVersion) || len(err.Error()) > 512 || !strings.Contains(err.Error(), `"`+cut("x")+`"`+length) {
		t.Errorf("ActivateVersion: %.600v", err)
	}
}

// TestErrorEchoShort: a value of runtime.MaxEcho bytes is repeated whole.
func TestErrorEchoShort(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	load(t, e, examples)
	id := strings.Repeat("p", runtime.MaxEcho)
	out, code, _ := e.HandleV2(context.Background(), []byte(`{"request": {"id": "r"}, "policy_id": "`+id+`"}`), time.Now(), nil, nil)
	if want := `no policy \"` + id + `\" in version`; code != runtime.CodePolicyNotFound || !strings.Contains(string(out), want) {
		t.Errorf("%s %s, want %s", code, out, want)
	}
}
