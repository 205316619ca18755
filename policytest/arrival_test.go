package policytest_test

import (
	"testing"

	"github.com/rpl-lang/rpl/policytest"
)

// TestArrivalIsTestClock: in a test, a Request that leaves out its arrival
// arrives at the test's clock, as a router makes an absent arrival the time
// it received the request: r.arrival and now() agree (before and after
// testing.set_now, in a test block and in a test file's function), while a
// given arrival is kept.
func TestArrivalIsTestClock(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"p.rpl": `package p
fn route(r: Request) -> Decision {
  if hour(r.arrival) < 6 { return to("openai:gpt-4o-mini").because("night") }
  to("openai:gpt-4o")
}
fn at(r: Request) -> time = r.arrival
test "in the policy file" {
  expect route({}).target == "openai:gpt-4o"
  expect at({}) == now()
}
`,
		"p_test.rpl": `package p
import "std/testing"
fn req() -> Request = {id: "x"}
test "clock" {
  expect at({}) == now()
  expect at(req()) == now()
  let noon = now()
  testing.set_now("2025-06-03T02:00:00Z")
  expect at({model: "m"}) == now()
  expect route({}).target == "openai:gpt-4o-mini"
  expect at({arrival: noon}) == noon
  expect noon != now()
}
`,
	})
	res := run(t, dir, policytest.Config{})
	checkAllPass(t, res, 2)
	// Without testing.set_now the clock stays at its start, and so does
	// the arrival of such a request (a constant then, as {} was).
	dir = t.TempDir()
	writeFiles(t, dir, map[string]string{
		"p.rpl": `package p
fn route(r: Request) -> Decision {
  if hour(r.arrival) < 6 { return to("openai:gpt-4o-mini").because("night") }
  to("openai:gpt-4o")
}
fn at(r: Request) -> time = r.arrival
`,
		"p_test.rpl": `package p
fn req() -> Request = {id: "x"}
test "clock" {
  expect route({}).target == "openai:gpt-4o"
  expect at({}) == now()
  expect at(req()) == now()
  expect at({model: string(len(req().id))}) == now()
}
`,
	})
	checkAllPass(t, run(t, dir, policytest.Config{}), 1)
}

func checkAllPass(t *testing.T, res []*policytest.Result, n int) {
	t.Helper()
	if res[0].Diags.HasErrors() || res[0].Err != nil {
		t.Fatalf("diagnostics: %v %v", res[0].Diags, res[0].Err)
	}
	if len(res[0].Tests) != n {
		t.Fatalf("%d tests ran, want %d", len(res[0].Tests), n)
	}
	for _, tt := range res[0].Tests {
		if tt.Status != policytest.Pass {
			t.Errorf("test %q: %s %+v", tt.Name, tt.Status, tt.Failures)
		}
	}
}
