package runtime_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime"
)

// declitRulesPolicy builds its decisions with record literals that break
// the rules of priority, sticky, tag, pre, validate and post, or keep
// them.
const declitRulesPolicy = `package reclit

fn route(r: Request) -> Decision {
  let p = int(r.metadata["p"] ?? "50") ?? 50
  let ttl = 1ms * (int(r.metadata["ttl"] ?? "0") ?? 0)
  let k = r.metadata["k"] ?? ""
  let x = r.metadata["x"] ?? "ok"
  match r.metadata["m"] ?? "" {
    "tags" => {action: "route", target: "openai:gpt-4o", tags: {"a": "1", "b": x}},
    "notag" => {action: "route", target: "openai:gpt-4o", tags: {"a": "1", "": x}},
    "pre" => {action: "route", target: "openai:gpt-4o", pre: ["a", x]},
    "post" => {action: "route", target: "openai:gpt-4o", post: [x]},
    "validators" => {action: "route", target: "openai:gpt-4o", validators: ["v", "w", x]},
    _ => {action: "route", target: "openai:gpt-4o", priority: p, sticky_key: k, sticky_ttl: ttl},
  }
}
`

// TestLiteralDecisionRules: a decision built with a record literal keeps
// the rules the builtins keep for priority (0–100, which .priority(p)
// clamps), sticky (a key wants a positive ttl, or none: 0s), tag (no empty key), pre,
// validate and post (no empty name), or is the policy's failure,
// invalid_decision, over v2 and CP1 alike. A priority of 500 was answered
// 500 in v2 and 100 in CP1; a sticky key with a ttl of -5s made a
// session sticky (for the default 10 minutes); an empty tag key or
// extension name was answered.
func TestLiteralDecisionRules(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "reclit.rpl", declitRulesPolicy)
	e := newEngine(t, runtime.Config{})
	load(t, e, dir)
	ctx := context.Background()
	for md, why := range map[string]string{
		`{"p": "500"}`:                 "priority 500: not in 0–100",
		`{"p": "-7"}`:                  "priority -7: not in 0–100",
		`{"k": "s", "ttl": "-5000"}`:   "sticky_ttl: sticky ttl must be positive, got -5s",
		`{"m": "notag"}`:               "tags: key 1: empty tag key",
		`{"m": "pre", "x": ""}`:        "pre[1]: empty extension name",
		`{"m": "post", "x": ""}`:       "post[0]: empty extension name",
		`{"m": "validators", "x": ""}`: "validators[2]: empty extension name",
		`{"p": "0"}`:                   "",
		`{"p": "100"}`:                 "",
		`{"k": "s", "ttl": "1"}`:       "",
		`{"k": "s", "ttl": "0"}`:       "", // no ttl: sticky's default, as sticky(d, k)
		`{"ttl": "-5000"}`:             "", // no sticky key: the ttl is not read
		`{"m": "tags"}`:                "",
		`{"m": "pre"}`:                 "",
		`{"m": "post"}`:                "",
		`{"m": "validators"}`:          "",
	} {
		o := e.Decide(ctx, "reclit", request(t, e, `{"id": "r", "metadata": `+md+`}`), time.Time{})
		if why == "" {
			if o.Err != nil {
				t.Errorf("%s: %v", md, o.Err)
			}
			continue
		}
		if o.Err == nil || o.Failure == nil || o.Failure.Code != runtime.CodeInvalidDecision || !strings.HasPrefix(o.Failure.Msg, why) {
			t.Errorf("%s: err %v; want %s", md, o.Err, why)
		}
		v2, code, _ := e.HandleV2(ctx, []byte(`{"policy_id": "reclit", "request": {"id": "r", "tenant": {"id": "t"}, "metadata": `+md+`}}`), time.Time{}, nil, nil)
		if code != runtime.CodeDecisionFailed || !strings.Contains(string(v2), `"vm_code":"invalid_decision"`) {
			t.Errorf("%s: v2 %s %s", md, code, v2)
		}
		cp1, code, _ := e.HandleCP1(ctx, []byte(`{"version": "1", "request_id": "r", "tenant_id": "t", "policy_id": "reclit", "task": {"type": "chat"}, "metadata": `+md+`}`), runtime.CP1Meta{}, nil, nil)
		if code != runtime.CodeDecisionFailed || !strings.Contains(string(cp1), `"vm_code":"invalid_decision"`) {
			t.Errorf("%s: CP1 %s %s", md, code, cp1)
		}
	}
}
