package runtime_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime"
)

// decisionTextPolicy builds, with the builtins and with a record literal,
// decisions whose names (tag keys and values, sticky key, experiment,
// arm, extension names) hold a byte that is not UTF-8, or whose free
// text (reason, deny reason) does.
const decisionTextPolicy = `package dectext

import "std/ab"

fn route(r: Request) -> Decision {
  let d = to("openai:gpt-4o")
  match r.metadata["m"] ?? "" {
    "tags" => d.tag("k\xfe", "1").tag("k\xff", "2").tag("k\ufffd", "3"),
    "value" => d.tag("team", "a\xfe"),
    "sticky" => d.sticky("u\xfe"),
    "exp" => d.because(ab.arm("e\xfe", key: "u", split: {"a": 1})),
    "arm" => d.because(ab.arm("e", key: "u", split: {"a\xfe": 1})),
    "lit" => {action: "route", target: "openai:gpt-4o", experiment: "x", arm: "b\xff"},
    "pre" => d.pre("x\xfe"),
    "post" => d.post("ok").post("y\xc3"),
    "validate" => d.validate("z\xff"),
    "deny" => deny("no\xfe").because("r\xff"),
    _ => d.tag("clé", "välue").sticky("ü").pre("ok").because("r\xfe"),
  }
}
`

// TestDecisionText: a decision whose tag keys or values, sticky key,
// experiment, arm or extension names are not UTF-8 is the policy's
// failure, invalid_decision, naming the field and the text escaped,
// over v2 and CP1 alike: their JSON held such a byte as U+FFFD, so that
// the tags "k\xfe", "k\xff" and "k\ufffd" were answered as one key three
// times ({"k�":"1","k�":"2","k�":"3"}), which a consumer keeps once. The
// reason and the deny reason, text for people, are answered with U+FFFD;
// text that is UTF-8 (é, ü) is answered as it is.
func TestDecisionText(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "dectext.rpl", decisionTextPolicy)
	e := newEngine(t, runtime.Config{})
	load(t, e, dir)
	ctx := context.Background()
	for m, why := range map[string]string{
		"tags":     `tags: key "k\xfe" is not UTF-8 (two keys that differ there would be read as one)`,
		"value":    `tags["team"]: value "a\xfe" is not UTF-8 (two values that differ there would be read as one)`,
		"sticky":   `sticky_key "u\xfe" is not UTF-8 (two keys that differ there would be read as one)`,
		"exp":      `experiment "e\xfe" is not UTF-8 (two experiments that differ there would be read as one)`,
		"arm":      `arm "a\xfe" is not UTF-8 (two arms that differ there would be read as one)`,
		"lit":      `arm "b\xff" is not UTF-8 (two arms that differ there would be read as one)`,
		"pre":      `pre[0]: "x\xfe" is not UTF-8 (two names that differ there would be read as one)`,
		"post":     `post[1]: "y\xc3" is not UTF-8 (two names that differ there would be read as one)`,
		"validate": `validators[0]: "z\xff" is not UTF-8 (two names that differ there would be read as one)`,
		"deny":     "",
		"":         "",
	} {
		md := `{"m": "` + m + `"}`
		o := e.Decide(ctx, "dectext", request(t, e, `{"id": "r", "metadata": `+md+`}`), time.Time{})
		v2, code, _ := e.HandleV2(ctx, []byte(`{"policy_id": "dectext", "request": {"id": "r", "tenant": {"id": "t"}, "metadata": `+md+`}}`), time.Time{}, nil, nil)
		cp1, cp1Code, _ := e.HandleCP1(ctx, []byte(`{"version": "1", "request_id": "r", "tenant_id": "t", "policy_id": "dectext", "task": {"type": "chat"}, "metadata": `+md+`}`), runtime.CP1Meta{}, nil, nil)
		if why == "" {
			if o.Err != nil || code != "" {
				t.Errorf("%s: %v %s %s", m, o.Err, code, v2)
			}
			continue
		}
		if o.Err == nil || o.Failure == nil || o.Failure.Code != runtime.CodeInvalidDecision || o.Failure.Msg != why {
			t.Errorf("%s: err %v; want %s", m, o.Err, why)
		}
		if code != runtime.CodeDecisionFailed || !strings.Contains(string(v2), `"vm_code":"invalid_decision"`) {
			t.Errorf("%s: v2 %s %s", m, code, v2)
		}
		if cp1Code != runtime.CodeDecisionFailed || !strings.Contains(string(cp1), `"vm_code":"invalid_decision"`) {
			t.Errorf("%s: CP1 %s %s", m, cp1Code, cp1)
		}
	}
	// What is UTF-8 is answered as it is; the reason's stray byte as U+FFFD.
	v2, code, _ := e.HandleV2(ctx, []byte(`{"policy_id": "dectext", "request": {"id": "r", "tenant": {"id": "t"}}}`), time.Time{}, nil, nil)
	for _, want := range []string{`"tags":{"clé":"välue"}`, `"sticky_key":"ü"`, `"reason":"r` + "\ufffd" + `"`} {
		if code != "" || !strings.Contains(string(v2), want) {
			t.Errorf("v2 %s %s: want %s", code, v2, want)
		}
	}
}
