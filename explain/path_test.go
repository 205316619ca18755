package explain_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/explain"
	"github.com/rpl-lang/rpl/vm"
)

// TestCallReturns: each call's step holds the value it returned, from
// the body's end or an early return, and the steps after a call belong
// to its caller: a function whose whole body is a comparison showed its
// operand but not what it decided.
func TestCallReturns(t *testing.T) {
	const src = `package p

fn long(n: int) -> bool = n > 8000

fn tier(t: string) -> string {
  if t == "gold" {
    return "high"
  }
  "low"
}

fn route(r: Request) -> Decision {
  let x = tier(r.tenant.tier)
  if long(r.estimate.input_tokens) {
    return to("a:b").because(x)
  }
  to("c:d").because(x)
}
`
	p := traced(t, src)
	for _, c := range []struct{ req, want string }{
		{`{"tenant": {"id": "a", "tier": "gold"}, "estimate": {"input_tokens": 9000}}`, `
route(r = {…})
  tier(t = "gold") → "high"
    t = "gold"
    if t == "gold" → true: then
  long(n = 9000) → true
    n = 9000
  if long(r.estimate.input_tokens) → true: then
  because(to("a:b") = {…}, x = "high")
`},
		{`{"tenant": {"id": "a", "tier": "free"}, "estimate": {"input_tokens": 10}}`, `
route(r = {…})
  tier(t = "free") → "low"
    t = "free"
    if t == "gold" → false: else
  long(n = 10) → false
    n = 10
  if long(r.estimate.input_tokens) → false: else
  because(to("c:d") = {…}, x = "low")
`},
	} {
		steps, _ := run(t, p, c.req)
		var b strings.Builder
		explain.WriteText(&b, steps, nil)
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
			got = append(got, line[:strings.LastIndex(line, "  at ")])
		}
		if g, w := strings.Join(got, "\n"), strings.TrimSpace(c.want); g != w {
			t.Errorf("%s:\n%s\nwant\n%s", c.req, g, w)
		}
	}
}

// TestLambdaCallsQuiet: a lambda's calls past the first
// compiler.TraceLambdaCalls record nothing, not even the calls of the
// policy's functions they make (a recursive one, which is never
// inlined): a long list no longer filled the trace, and the steps after
// the loop were lost.
func TestLambdaCallsQuiet(t *testing.T) {
	const src = `package p

fn down(n: int) -> bool = if n <= 0 { true } else { down(n - 1) }

fn route(r: Request) -> Decision {
  let ok = range(1000).filter(i => down(i % 3))
  if len(ok) > 2 {
    return to("a:b")
  }
  to("c:d")
}
`
	steps, events := run(t, traced(t, src), `{"tenant": {"id": "a"}}`)
	// 10 calls of the lambda, each down's 1 to 3 calls of 5 events.
	if events > 300 {
		t.Errorf("%d trace events, want at most 300", events)
	}
	var b strings.Builder
	explain.WriteText(&b, steps, nil)
	for _, want := range []string{"… 990 more calls of the lambda not shown", "if len(ok) > 2 → true: then"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("no %q in\n%s", want, b.String())
		}
	}
}

// TestArgsAsWritten: a builtin's arguments are shown as written: one
// given by name with its name (on:, retries:, backoff: were dropped), a
// constant literal as written (enum members were quoted as the strings
// the run holds), and a receiver written over several lines on one line
// without a space before its dot.
func TestArgsAsWritten(t *testing.T) {
	const src = `package p

fn route(r: Request) -> Decision {
  to("a:" + r.tenant.id)
    .fallback("c:d", on: [timeout, http_5xx], retries: 1, backoff: 250ms)
    .tag("k", r.tenant.id)
}
`
	steps, _ := run(t, traced(t, src), `{"tenant": {"id": "x"}}`)
	var b strings.Builder
	explain.WriteText(&b, steps, nil)
	for _, want := range []string{
		`fallback(to("a:" + r.tenant.id) = {…}, "c:d", on: [timeout, http_5xx], retries: 1, backoff: 250ms)`,
		`tag(to("a:" + r.tenant.id).fallback("c:d", on: [timeout, http_5xx], retries: 1, backoff: 250ms) = {…}, "k", r.tenant.id = "x")`,
	} {
		if !strings.Contains(b.String(), want+"  at ") {
			t.Errorf("no %s in\n%s", want, b.String())
		}
	}
	// JSON says the same: the name apart, the literal as its value.
	js, err := json.Marshal(steps)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"param":"on","name":"","value":"[timeout, http_5xx]"}`; !strings.Contains(string(js), want) {
		t.Errorf("no %s in %s", want, js)
	}
}

// traced compiles src, a policy, for its route to be run traced.
func traced(t *testing.T, src string) *rpl.Program {
	t.Helper()
	e, err := rpl.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "p.rpl")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := e.CompileWith(path, rpl.CompileOptions{NoTests: true, Trace: true})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// run decides request, JSON, with p, traced, and returns the path it
// took and the number of trace events recorded.
func run(t *testing.T, p *rpl.Program, request string) ([]*explain.Step, int) {
	t.Helper()
	req, err := p.RequestFromJSON([]byte(request))
	if err != nil {
		t.Fatal(err)
	}
	in := rpl.DefaultInput(time.Unix(0, 0), "r")
	in.Probes = &vm.Probes{}
	if _, err := p.Decide(context.Background(), req, in); err != nil {
		t.Fatal(err)
	}
	return explain.Path(p.Compiled().TracePoints, in.Probes.Trace), len(in.Probes.Trace)
}
