package runtime_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime"
)

// TestV2NegativeBudget: a request's tenant budget below zero is
// invalid_request naming its path, as tenants.json refuses one (RPL217)
// and CP1 a negative max_cost, not a decision about a budget of -$5.
// A batch's item is that item's error.
func TestV2NegativeBudget(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	load(t, e, examples)
	ctx := context.Background()
	for _, c := range []struct{ budget, field string }{
		{`{"monthly": "-$5"}`, "request.tenant.budget.monthly"},
		{`{"daily": "-0.01"}`, "request.tenant.budget.daily"},
		{`{"monthly": "$5", "daily": "-$1"}`, "request.tenant.budget.daily"},
	} {
		req := `{"request": {"id": "x", "tenant": {"id": "a", "budget": ` + c.budget + `}, "task": {"type": "chat"}}}`
		want := `"details":{"field":"` + c.field + `"}`
		out, code, _ := e.HandleV2(ctx, []byte(req), time.Now(), nil, nil)
		if code != runtime.CodeInvalidRequest || !strings.Contains(string(out), want) || !strings.Contains(string(out), c.field+" must be ≥ 0") {
			t.Errorf("%s: %s %s, want invalid_request naming %s", req, code, out, c.field)
		}
		out, code = e.HandleV2Batch(ctx, []byte(`{"requests": [`+req+`]}`), time.Now(), nil)
		if code != "" || !strings.Contains(string(out), `"code":"invalid_request"`) || !strings.Contains(string(out), c.field) {
			t.Errorf("batch of %s: %s %s, want the item's invalid_request naming %s", req, code, out, c.field)
		}
	}
	// Zero and positive budgets are decided.
	req := `{"request": {"id": "x", "tenant": {"id": "a", "budget": {"monthly": "$0", "daily": "$5"}}, "task": {"type": "chat"}}}`
	if out, code, _ := e.HandleV2(ctx, []byte(req), time.Now(), nil, nil); code == runtime.CodeInvalidRequest {
		t.Errorf("%s: %s", req, out)
	}
}

// TestDecideTenantTooLong: a tenant id longer than feedback takes
// (runtime.MaxTenantLen) is refused on every decide path with feedback's
// words, so that no tenant is decided for that could never be charged;
// one of exactly MaxTenantLen bytes is decided and its feedback taken.
func TestDecideTenantTooLong(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	load(t, e, examples)
	ctx := context.Background()
	long, edge := strings.Repeat("t", runtime.MaxTenantLen+1), strings.Repeat("t", runtime.MaxTenantLen)
	fb := func(id string) string {
		return `{"request_id": "r", "tenant_id": "` + id + `", "target": "openai:gpt-4o", "status": "ok"}`
	}
	out, code := e.HandleFeedback([]byte(fb(long)), nil)
	if code != runtime.CodeInvalidRequest || !strings.Contains(string(out), `tenant_id: longer than 256 bytes`) {
		t.Fatalf("feedback for a tenant of %d bytes: %s %s", len(long), code, out)
	}
	v2 := func(id string) string {
		return `{"request": {"id": "r", "tenant": {"id": "` + id + `"}, "task": {"type": "chat"}}}`
	}
	cp1 := func(id string) string {
		return `{"version": "1", "request_id": "r", "tenant_id": "` + id + `", "task": {"type": "chat"}}`
	}
	out, code, _ = e.HandleV2(ctx, []byte(v2(long)), time.Now(), nil, nil)
	if code != runtime.CodeInvalidRequest || !strings.Contains(string(out), `"message":"request.tenant.id: longer than 256 bytes","details":{"field":"request.tenant.id"}`) {
		t.Errorf("v2: %s %s", code, out)
	}
	out, code = e.HandleV2Batch(ctx, []byte(`{"requests": [`+v2(long)+`, `+v2(edge)+`]}`), time.Now(), nil)
	if code != "" || !strings.Contains(string(out), `request.tenant.id: longer than 256 bytes`) || !strings.Contains(string(out), `},{"ok":true`) {
		t.Errorf("batch: %s %s", code, out)
	}
	out, code, _ = e.HandleCP1(ctx, []byte(cp1(long)), runtime.CP1Meta{Arrival: time.Now()}, nil, nil)
	if code != runtime.CodeInvalidRequest || !strings.Contains(string(out), `"message":"tenant_id: longer than 256 bytes","details":{"field":"tenant_id"}`) {
		t.Errorf("CP1: %s %s", code, out)
	}
	// MaxTenantLen bytes: decided, and charged.
	if out, code, _ := e.HandleV2(ctx, []byte(v2(edge)), time.Now(), nil, nil); code != "" {
		t.Errorf("v2 with %d bytes: %s %s", len(edge), code, out)
	}
	if out, code, _ := e.HandleCP1(ctx, []byte(cp1(edge)), runtime.CP1Meta{Arrival: time.Now()}, nil, nil); code != "" {
		t.Errorf("CP1 with %d bytes: %s %s", len(edge), code, out)
	}
	if out, code := e.HandleFeedback([]byte(fb(edge)), nil); code == runtime.CodeInvalidRequest {
		t.Errorf("feedback with %d bytes: %s %s", len(edge), code, out)
	}
}

// TestDecideTenantParentTooLong: a request's tenant parents are tenant
// ids, held to the same length (runtime.MaxTenantLen): a longer one is
// invalid_request naming it by its index, on the fast decoder's path and
// encoding/json's alike, and a batch's item is that item's error; parents
// of exactly MaxTenantLen bytes are decided.
func TestDecideTenantParentTooLong(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	load(t, e, examples)
	ctx := context.Background()
	long, edge := strings.Repeat("p", runtime.MaxTenantLen+1), strings.Repeat("p", runtime.MaxTenantLen)
	v2 := func(parentsKey string, parents ...string) string {
		return `{"request": {"id": "r", "tenant": {"id": "t", "` + parentsKey + `": ["` + strings.Join(parents, `", "`) + `"]}, "task": {"type": "chat"}}}`
	}
	const want = `"message":"request.tenant.parents[1]: longer than 256 bytes","details":{"field":"request.tenant.parents[1]"}},"request_id":"r"}`
	// "p\u0061rents" is parents, spelt so that the fast decoder gives up.
	for _, key := range []string{"parents", `p\u0061rents`} {
		body := v2(key, "org", long, "x")
		out, code, _ := e.HandleV2(ctx, []byte(body), time.Now(), nil, nil)
		if code != runtime.CodeInvalidRequest || !strings.HasSuffix(string(out), want) {
			t.Errorf("%s: %s %s\nwant …%s", key, code, out, want)
		}
		out, code = e.HandleV2Batch(ctx, []byte(`{"requests": [`+v2(key, edge)+`, `+body+`]}`), time.Now(), nil)
		if code != "" || !strings.Contains(string(out), `},`+asItem([]byte(`{"ok":false,"error":{"code":"invalid_request",`+want), 1)+`]}`) || !strings.HasPrefix(string(out), `{"ok":true,"results":[{"ok":true,`) {
			t.Errorf("%s, batch: %s %s", key, code, out)
		}
		if out, code, _ := e.HandleV2(ctx, []byte(v2(key, edge, edge)), time.Now(), nil, nil); code != "" {
			t.Errorf("%s with parents of %d bytes: %s %s", key, len(edge), code, out)
		}
	}
}

// asItem is the answer one, to a decide body alone, as the i'th item of
// a batch answers the same body: an error names the item, its message
// beginning "requests[i]: " and its details.field within the item.
func asItem(one []byte, i int) string {
	s := string(one)
	if !strings.HasPrefix(s, `{"ok":false,`) {
		return s
	}
	at := "requests[" + strconv.Itoa(i) + "]"
	s = strings.Replace(s, `"message":"`, `"message":"`+at+`: `, 1)
	const field = `"details":{"field":"`
	if j := strings.Index(s, field); j >= 0 {
		j += len(field)
		sep := "."
		if strings.HasPrefix(s[j:], "[") {
			sep = ""
		}
		s = s[:j] + at + sep + s[j:]
	}
	return s
}

// TestV2BatchItemErrorNamed: an item's error in a batch names the item
// by its index, in the message and details.field, as a feedback batch's
// do (feedback[2].status), whatever refused it (its shape, its request's
// fields, its decision); the results stay in order.
func TestV2BatchItemErrorNamed(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	load(t, e, examples)
	ctx := context.Background()
	const ok = `{"request": {"id": "a", "tenant": {"id": "t"}, "task": {"type": "chat"}}}`
	out, code := e.HandleV2Batch(ctx, []byte(`{"requests": [`+ok+`, 5, {"request": {"id": ""}}, {"request": {"id": "r", "tenant": {"id": "t", "budget": {"monthly": "-$5"}}}}, {"policy_id": "nope", "request": {"id": "n"}}, {"request": {"id": "b", "": 1}}, `+ok+`]}`), time.Now(), nil)
	for _, want := range []string{
		`{"ok":true,"results":[{"ok":true,`,
		`},{"ok":false,"error":{"code":"invalid_request","message":"requests[1]: want a request object (with request and policy_id), have a number","details":{"field":"requests[1]"}}},`,
		`{"ok":false,"error":{"code":"invalid_request","message":"requests[2]: request.id is required","details":{"field":"requests[2].request.id"}}},`,
		`{"ok":false,"error":{"code":"invalid_request","message":"requests[3]: request.tenant.budget.monthly must be ≥ 0, have -$5.00","details":{"field":"requests[3].request.tenant.budget.monthly"}},"request_id":"r"},`,
		`{"ok":false,"error":{"code":"policy_not_found","message":"requests[4]: no policy \"nope\"`,
		`"details":{"field":"requests[5].request[\"\"]"}},"request_id":"b"},{"ok":true,`,
	} {
		if code != "" || !strings.Contains(string(out), want) {
			t.Errorf("batch: %s %s\nwant %s", code, out, want)
		}
	}
}

// TestCheckRequestField: CheckRequest's error is the router's
// invalid_request for the value, its message and its field's path named
// from the request (no "request." before it), which rplc eval places in
// the request's file.
func TestCheckRequestField(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	for _, c := range []struct{ req, field, msg string }{
		{`{"tenant": {"id": "a", "budget": {"monthly": "-$5"}}}`, "tenant.budget.monthly", "tenant.budget.monthly must be ≥ 0, have -$5.00"},
		{`{"estimate": {"output_tokens": -3}}`, "estimate.output_tokens", "estimate.output_tokens must be ≥ 0, have -3"},
		{`{"tenant": {"id": "a", "parents": ["p", "` + strings.Repeat("x", runtime.MaxTenantLen+1) + `"]}}`, "tenant.parents[1]", "tenant.parents[1]: longer than 256 bytes"},
	} {
		err := runtime.CheckRequest(e.RequestType(), e.DecisionType(), request(t, e, c.req))
		re, ok := errors.AsType[*runtime.Error](err)
		if !ok || re.Code != runtime.CodeInvalidRequest || re.Message != c.msg || re.Details["field"] != c.field {
			t.Errorf("%s: %#v, want invalid_request %q at %s", c.req, err, c.msg, c.field)
		}
	}
	if err := runtime.CheckRequest(e.RequestType(), e.DecisionType(), request(t, e, `{"tenant": {"id": "a", "budget": {"monthly": "$5"}}}`)); err != nil {
		t.Errorf("a budget of $5: %v", err)
	}
}
