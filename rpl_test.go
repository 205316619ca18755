package rpl_test

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/lang"
)

func env(t testing.TB) *rpl.Env {
	t.Helper()
	e, err := rpl.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

const premiumPolicy = `package premium

const premium = ["gold", "platinum"]

fn route(r: Request) -> Decision {
  if r.tenant.tier in premium && r.estimate.input_tokens > 8_000 {
    return to("anthropic:claude-sonnet").fallback("openai:gpt-4o", on: [timeout, http_5xx], retries: 2)
  }
  to("openai:gpt-4o-mini")
}
`

func decide(t *testing.T, p *rpl.Program, reqJSON string) map[string]any {
	t.Helper()
	req, err := p.RequestFromJSON([]byte(reqJSON))
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Decide(context.Background(), req, rpl.DefaultInput(time.Unix(1_700_000_000, 0), "req-1"))
	if err != nil {
		t.Fatal(err)
	}
	return rpl.ToGo(p.DecisionType(), res.Value).(map[string]any)
}

func TestDecide(t *testing.T) {
	p, err := env(t).CompileSource("premium.rpl", []byte(premiumPolicy))
	if err != nil {
		t.Fatal(err)
	}
	d := decide(t, p, `{"tenant": {"id": "acme", "tier": "gold"}, "estimate": {"input_tokens": 9000}}`)
	if d["target"] != "anthropic:claude-sonnet" || d["action"] != "route" {
		t.Fatalf("premium long prompt: got %v", d)
	}
	fbs := d["fallbacks"].([]any)
	if len(fbs) != 1 || fbs[0].(map[string]any)["target"] != "openai:gpt-4o" || fbs[0].(map[string]any)["retries"] != int64(2) {
		t.Fatalf("fallbacks: %v", fbs)
	}
	d = decide(t, p, `{"tenant": {"id": "acme", "tier": "silver"}, "estimate": {"input_tokens": 9000}}`)
	if d["target"] != "openai:gpt-4o-mini" {
		t.Fatalf("silver: got %v", d["target"])
	}
}

func TestCompileErrorsAreDiagnostics(t *testing.T) {
	_, err := env(t).CompileSource("bad.rpl", []byte("package bad\nfn route(r: Request) -> Decision = to(r.tenant.teir)\n"))
	var diags lang.DiagList
	if !errors.As(err, &diags) || len(diags) != 1 || diags[0].Code != lang.CodeUnknownField {
		t.Fatalf("want one RPL202, got %v", err)
	}
	if got := err.Error(); !strings.Contains(got, "bad.rpl:2:48: error[RPL202]: Tenant has no field teir (did you mean tier?)") {
		t.Fatalf("message: %s", got)
	}
}

// A failed compile's error leads with the first error, though an unused
// import sorts before it, and counts the other errors only (the runtime
// reports a snapshot's load failures with this message).
func TestCompileErrorLeadsWithError(t *testing.T) {
	src := "package bad\n\nimport \"std/ab\"\n\nfn route(r: Request) -> Decision = to(r.tenant.teir)\nfn f() -> int = nope\n"
	_, err := env(t).CompileSource("bad.rpl", []byte(src))
	var diags lang.DiagList
	if !errors.As(err, &diags) || len(diags) != 3 || diags[0].Severity != lang.SevWarning {
		t.Fatalf("want a warning and two errors, got %v", err)
	}
	if got, want := err.Error(), "bad.rpl:5:48: error[RPL202]: Tenant has no field teir (did you mean tier?) (and 1 more error)"; got != want {
		t.Fatalf("message:\n got  %s\n want %s", got, want)
	}
}

// A policy needs route or tests: Env compiles files as policies (RPL212).
func TestCompileNoRoute(t *testing.T) {
	_, err := env(t).CompileSource("lib.rpl", []byte("package lib\n\nfn rout(r: Request) -> Decision = to(\"a:b\")\n"))
	var diags lang.DiagList
	if !errors.As(err, &diags) || len(diags) != 1 || diags[0].Code != lang.CodeNoRoute {
		t.Fatalf("want one RPL212, got %v", err)
	}
	if got := err.Error(); !strings.Contains(got, "lib.rpl:1:1: error[RPL212]: no route function") || !strings.Contains(got, "(did you mean rout?)") {
		t.Fatalf("message: %s", got)
	}
	// A test module, with tests and no route, compiles.
	mod := []byte("package m\n\ntest \"t\" {\n  expect 1 < 2\n}\n")
	if _, err := env(t).CompileSource("m.rpl", mod); err != nil {
		t.Fatal(err)
	}
	// Without its tests, to be run, it needs route: RPL212 too, not a
	// compiler error.
	path := filepath.Join(t.TempDir(), "m.rpl")
	if err := os.WriteFile(path, mod, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = env(t).CompileWith(path, rpl.CompileOptions{NoTests: true})
	if !errors.As(err, &diags) || len(diags) != 1 || diags[0].Code != lang.CodeNoRoute {
		t.Fatalf("NoTests: want one RPL212, got %v", err)
	}
	if got := err.Error(); !strings.Contains(got, "m.rpl:1:1: error[RPL212]: no route function: a policy needs fn route(r: Request) -> Decision to be run without its tests") {
		t.Fatalf("message: %s", got)
	}
}

// CompileWith passes the tools' options to the compiler; Compiled shows
// what it produced.
func TestCompileWith(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "premium.rpl")
	if err := os.WriteFile(path, []byte(premiumPolicy+"\ntest \"t\" {\n  expect true\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := env(t)
	plain, err := e.Compile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(plain.Tests()) != 1 || len(plain.Compiled().TracePoints) != 0 {
		t.Errorf("Compile: %d tests, %d trace points; want 1, 0", len(plain.Tests()), len(plain.Compiled().TracePoints))
	}
	traced, err := e.CompileWith(path, rpl.CompileOptions{NoTests: true, Trace: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(traced.Tests()) != 0 || len(traced.Compiled().TracePoints) == 0 {
		t.Errorf("CompileWith: %d tests, %d trace points; want 0, some", len(traced.Tests()), len(traced.Compiled().TracePoints))
	}
}

func TestRequestFromJSONMoney(t *testing.T) {
	p, err := env(t).CompileSource("premium.rpl", []byte(premiumPolicy))
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{`"$0.25"`, `"0.25"`, `0.25`, `2.5e-1`, `"$0.2_5"`} {
		req, err := p.RequestFromJSON([]byte(`{"constraints": {"max_cost": ` + in + `}, "tenant": {"budget": {"monthly": "-1.5"}}}`))
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		got := rpl.ToGo(p.RequestType(), req).(map[string]any)
		if c := got["constraints"].(map[string]any)["max_cost"]; c != "$0.25" {
			t.Errorf("%s: max_cost = %v", in, c)
		}
		if b := got["tenant"].(map[string]any)["budget"].(map[string]any)["monthly"]; b != "-$1.50" {
			t.Errorf("%s: budget = %v", in, b)
		}
	}
}

func TestRequestFromJSONErrors(t *testing.T) {
	p, err := env(t).CompileSource("premium.rpl", []byte(premiumPolicy))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ in, want string }{
		{`{"tenant": {"tier": 5}}`, "tenant.tier: want a string, have a number"},
		{`{"tenant": {"teir": "gold"}}`, "tenant.teir: unknown field (did you mean tier?)"},
		// Several unknown fields: the first in sorted order, whatever the
		// map's iteration order (the loop below runs each case 20 times).
		{`{"zz": 1, "tenant": {"yy": 1, "b": 2, "xx": 3}, "aa": {}}`, "aa: unknown field"},
		{`{"tenant": {"yy": 1, "b": 2, "xx": 3, "": 4}}`, `tenant[""]: unknown field`},
		{`{"": 1}`, `[""]: unknown field`},
		{`{"estimate": {"input_tokens": 1.5}}`, "estimate.input_tokens: want an integer, have 1.5"},
		{`{"estimate": {"input_tokens": 1.5e0}}`, "estimate.input_tokens: want an integer, have 1.5e0"},
		{`{"estimate": {"input_tokens": 1e19}}`, "estimate.input_tokens: want an integer, have 1e19"},
		{`{"constraints": {"max_cost": "lots"}}`, "constraints.max_cost: want money"},
		{`{"constraints": {"max_cost": 1e-10}}`, "constraints.max_cost: 1e-10 has more than 9 decimals"},
		{`{"constraints": {"max_cost": 1e10}}`, "constraints.max_cost: 1e10 is out of range (money is within ±$9223372036.854775807)"},
		// A string is a money literal (spec §2.6), its $ optional: no
		// space around it, no exponent, a digit on both sides of a point.
		{`{"constraints": {"max_cost": "$1e10"}}`, `constraints.max_cost: want money ("$0.25" or 0.25), have "$1e10"`},
		{`{"constraints": {"max_cost": " $0.25 "}}`, `constraints.max_cost: want money ("$0.25" or 0.25), have " $0.25 "`},
		{`{"constraints": {"max_cost": "0."}}`, `constraints.max_cost: want money ("$0.25" or 0.25), have "0."`},
		{`{"constraints": {"max_latency": "5 minutes"}}`, "constraints.max_latency: want a duration"},
		{`[1]`, "value: want an object, have a list"},
		{`{"id": "x"} {}`, "invalid JSON: line 1, column 13: data after the value"},
		// A } or ] after the value too, which Decoder.More does not
		// count: it was taken.
		{`{"id": "x"}}`, "invalid JSON: line 1, column 12: data after the value"},
		{"{\"id\": \"x\"}\n  ]", "invalid JSON: line 2, column 3: data after the value"},
		{`{"id": `, "invalid JSON: line 1, column 8: unexpected end of JSON input"},
		{"{\n  \"task\": {\"type\": \"code\",, }\n}", "invalid JSON: line 2, column 27: invalid character ','"},
	} {
		for range 20 {
			_, err := p.RequestFromJSON([]byte(c.in))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("%s: got %v, want %q", c.in, err, c.want)
			}
		}
	}
}

func TestDecideDoesNotAllocate(t *testing.T) {
	p, err := env(t).CompileSource("fast.rpl", []byte(premiumPolicy))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := p.RequestFromJSON([]byte(`{"tenant": {"tier": "silver"}}`))
	in := rpl.Input{}
	ctx := context.Background()
	p.Decide(ctx, req, in)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := p.Decide(ctx, req, in); err != nil {
			t.Fatal(err)
		}
	})
	// The decisions are constants (folded at compile time): nothing to build.
	t.Logf("%.1f allocations per decision", allocs)
	ev := p.Evaluator()
	if n := testing.AllocsPerRun(100, func() { ev.Decide(ctx, req, in) }); n != 0 {
		t.Errorf("Evaluator.Decide of a constant decision allocates %.1f times", n)
	}
	if allocs != 0 {
		t.Fatalf("Decide allocates %.1f times per run", allocs)
	}
}

// An enum member qualified by its type (spec §3.3, §6.9) compiles and runs
// as the member: in a fallback's triggers, a comparison, a match and a
// test, also where a local shadows the bare name, with and without the
// tracing of rplc explain.
const qualifiedEnumPolicy = `package qualified

type Reason = Trigger

fn kind(t: Trigger) -> string = match t {
  Trigger.timeout => "slow"
  Trigger.http_5xx | Trigger.http_429 => "http"
  _ => "other"
}

fn route(r: Request) -> Decision {
  let timeout = 250ms
  let on = if r.tenant.tier == "gold" {
    [Trigger.timeout, Reason.http_5xx]
  } else {
    [Trigger.any_error]
  }
  to("anthropic:claude-sonnet")
    .fallback("openai:gpt-4o", on: on, backoff: timeout)
    .tag("kind", kind(on[0]))
    .tag("first", string(on[0] == Trigger.timeout))
}

test "qualified members" {
  expect kind(Trigger.http_429) == "http"
  expect route({tenant: {tier: "gold"}}).fallbacks[0].on == [timeout, http_5xx]
}
`

func TestQualifiedEnumMember(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "qualified.rpl")
	if err := os.WriteFile(path, []byte(qualifiedEnumPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	e := env(t)
	for _, opts := range []rpl.CompileOptions{{}, {NoTests: true, Trace: true}} {
		p, err := e.CompileWith(path, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			tier, kind, first string
			on                []any
		}{
			{"gold", "slow", "true", []any{"timeout", "http_5xx"}},
			{"silver", "other", "false", []any{"any_error"}},
		} {
			d := decide(t, p, `{"tenant": {"tier": "`+c.tier+`"}}`)
			fb := d["fallbacks"].([]any)[0].(map[string]any)
			tags := d["tags"].(map[string]any)
			if !reflect.DeepEqual(fb["on"], c.on) || fb["backoff"] != "250ms" || tags["kind"] != c.kind || tags["first"] != c.first {
				t.Errorf("%+v, %s: fallback %v, tags %v", opts, c.tier, fb, tags)
			}
		}
		if want := map[bool]int{false: 1, true: 0}[opts.NoTests]; len(p.Tests()) != want {
			t.Errorf("%+v: %d tests, want %d", opts, len(p.Tests()), want)
		}
		for _, tc := range p.Tests() {
			if _, err := p.RunTest(context.Background(), tc.Name, rpl.DefaultInput(time.Unix(1_700_000_000, 0), "t"), rpl.Limits{}); err != nil {
				t.Errorf("test %q: %v", tc.Name, err)
			}
		}
	}
}

// JSON's null for a field that is not optional is the field's zero value,
// as an omitted field is, for an enum as for the other types: an enum's
// zero value is its first member (spec §3.3). For an optional it is none.
func TestFromJSONNullIsZero(t *testing.T) {
	e := env(t)
	trigger := e.Universe().Types["Trigger"].Type
	sub := lang.NewRecord("", []*lang.Field{{Name: "on", Type: trigger}})
	rt := lang.NewRecord("", []*lang.Field{
		{Name: "on", Type: trigger},
		{Name: "opt", Type: &lang.Optional{Elem: trigger}},
		{Name: "ons", Type: &lang.List{Elem: trigger}},
		{Name: "m", Type: &lang.Map{Key: lang.Typ[lang.String], Elem: trigger}},
		{Name: "sub", Type: sub},
		{Name: "n", Type: lang.Typ[lang.Int]},
		{Name: "s", Type: lang.Typ[lang.String]},
		{Name: "d", Type: lang.Typ[lang.Duration]},
		{Name: "xs", Type: &lang.List{Elem: lang.Typ[lang.Int]}},
	})
	zero := map[string]any{"on": "timeout", "opt": nil, "ons": []any{}, "m": map[string]any{},
		"sub": map[string]any{"on": "timeout"}, "n": int64(0), "s": "", "d": "0s", "xs": []any{}}
	for _, c := range []struct {
		in   string
		want map[string]any // the fields that differ from zero
	}{
		{`{}`, nil},
		{`null`, nil},
		{`{"on": null, "opt": null, "ons": null, "m": null, "sub": null, "n": null, "s": null, "d": null, "xs": null}`, nil},
		{`{"sub": {"on": null}}`, nil},
		{`{"on": "http_429", "opt": "any_error", "sub": {"on": "http_5xx"}}`, map[string]any{"on": "http_429", "opt": "any_error", "sub": map[string]any{"on": "http_5xx"}}},
		{`{"ons": [null, "http_5xx"], "m": {"a": null, "b": "connection_error"}, "xs": [null, 2]}`, map[string]any{
			"ons": []any{"timeout", "http_5xx"}, "m": map[string]any{"a": "timeout", "b": "connection_error"}, "xs": []any{int64(0), int64(2)}}},
	} {
		v, err := rpl.FromJSON(rt, []byte(c.in))
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		want := maps.Clone(zero)
		maps.Copy(want, c.want)
		if got := rpl.ToGo(rt, v); !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got  %v\n want %v", c.in, got, want)
		}
	}
	for _, c := range []struct{ in, want string }{
		{`{"on": "slow"}`, `on: "slow" is not a Trigger (want one of timeout, http_5xx, http_429, connection_error, any_error)`},
		{`{"on": ""}`, `on: "" is not a Trigger`},
		{`{"on": 5}`, "on: want Trigger, have a number"},
		{`{"ons": [null, true]}`, "ons[1]: want Trigger, have a boolean"},
	} {
		if _, err := rpl.FromJSON(rt, []byte(c.in)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.in, err, c.want)
		}
	}
}

// TestRequestFromJSONWholeNumbers: an integer field takes a whole number
// however JSON writes it, as feedback's do (1e3 was "want an integer").
func TestRequestFromJSONWholeNumbers(t *testing.T) {
	p, err := env(t).CompileSource("premium.rpl", []byte(premiumPolicy))
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{`9000`, `9e3`, `9000.0`, `0.9e4`, `90E+2`} {
		req, err := p.RequestFromJSON([]byte(`{"estimate": {"input_tokens": ` + in + `}}`))
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		got := rpl.ToGo(p.RequestType(), req).(map[string]any)
		if n := got["estimate"].(map[string]any)["input_tokens"]; n != int64(9000) {
			t.Errorf("%s: input_tokens = %v (%T)", in, n, n)
		}
	}
}
