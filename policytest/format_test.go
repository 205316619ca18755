package policytest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/policytest"
)

// runSources writes the policy p.rpl and its test file p_test.rpl and runs
// their tests, returning the failure messages of each test by name.
func runSources(t *testing.T, policy, tests string) map[string][]string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range map[string]string{"p.rpl": policy, "p_test.rpl": tests} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res := run(t, dir, policytest.Config{})
	if res[0].Err != nil || res[0].Diags.HasErrors() {
		t.Fatalf("err %v, diagnostics %v", res[0].Err, res[0].Diags)
	}
	out := map[string][]string{}
	for _, tt := range res[0].Tests {
		for _, f := range tt.Failures {
			out[tt.Name] = append(out[tt.Name], f.Message)
		}
	}
	return out
}

const fmtPolicy = `package p

type Item = {name: string, tags: list[Trigger], limit: int?}

fn route(r: Request) -> Decision = fallback(to("openai:gpt-4o"), "y")
`

// TestFailureValuesTyped: a failed comparison shows its values as RPL
// literals of the operands' static types: records with their field names
// (in the type's field order), enum members bare, none or the value of an
// optional, maps with their keys. At run time records carry no names and
// enums are strings, so the VM alone printed {"x", 2} and ["any_error"].
func TestFailureValuesTyped(t *testing.T) {
	got := runSources(t, fmtPolicy, `package p

test "record" {
  let a = {b: 1, a: "x"}
  expect a == {b: 2, a: "x"}
}

test "nested" {
  let xs: list[Item] = [{name: "n", tags: [timeout], limit: none}]
  expect xs == [{name: "n", tags: [any_error, http_5xx], limit: 3}]
}

test "optional" {
  let o: int? = none
  expect o == 3
  let p: int? = 4
  expect p == none
  let q: Trigger? = timeout
  expect q != timeout, "not a timeout"
}

test "map" {
  let m = {"k": {a: 1, b: [timeout]}}
  expect m == {"k": {a: 2, b: []}}
  let e: map[Trigger, int] = {}
  expect e != {}
}

test "scalars" {
  expect 1.5 > 2.0
  expect 250ms == 1s
  expect $0.25 < $0.0025
  expect "a\"b" == "c"
  expect true == false
}
`)
	want := map[string][]string{
		"record": {`a: expected {a: "x", b: 2}, got {a: "x", b: 1}`},
		"nested": {`xs: expected [{limit: 3, name: "n", tags: [any_error, http_5xx]}], got [{limit: none, name: "n", tags: [timeout]}]`},
		"optional": {
			`o: expected 3, got none`,
			`p: expected none, got 4`,
			`not a timeout (q): expected != timeout, got timeout`,
		},
		"map": {
			`m: expected {"k": {a: 2, b: []}}, got {"k": {a: 1, b: [timeout]}}`,
			`e: expected != {}, got {}`,
		},
		"scalars": {
			`1.5: expected > 2.0, got 1.5`,
			`250ms: expected 1s, got 250ms`,
			`$0.25: expected < $0.0025, got $0.25`,
			`"a\"b": expected "c", got "a\"b"`,
			`true: expected false, got true`,
		},
	}
	check(t, got, want)
}

// TestFailureDecisionTyped: a Decision compared whole names its fields, so
// that the one that differs can be found (positionally, 15 values with a
// list of fallback records as {0s, ["any_error"], 0, "y"}).
func TestFailureDecisionTyped(t *testing.T) {
	got := runSources(t, fmtPolicy, `package p

test "decision" {
  expect route({}) == to("x")
  expect route({}).fallbacks == []
}
`)
	msgs := got["decision"]
	if len(msgs) != 2 {
		t.Fatalf("failures %q", msgs)
	}
	for _, want := range []string{
		`route({}): expected {action: "route", `,
		`target: "x", `,
		`, got {action: "route", `,
		`fallbacks: [{backoff: 0s, on: [any_error], retries: 0, target: "y"}]`,
		`priority: 50`,
		`target: "openai:gpt-4o"`,
	} {
		if !strings.Contains(msgs[0], want) {
			t.Errorf("message lacks %q:\n%s", want, msgs[0])
		}
	}
	if want := `route({}).fallbacks: expected [], got [{backoff: 0s, on: [any_error], retries: 0, target: "y"}]`; msgs[1] != want {
		t.Errorf("got  %s\nwant %s", msgs[1], want)
	}
}

// TestFailureValueCapped: the typed rendering keeps the VM's bound of about
// 2 KB a value ("..." past it), however large the value: here 10^6 records
// through a shared list.
func TestFailureValueCapped(t *testing.T) {
	got := runSources(t, fmtPolicy, `package p

test "huge" {
  let row = range(1000).map(i => {name: "item", n: i})
  let big = range(1000).map(i => row)
  expect big == []
}
`)
	msgs := got["huge"]
	if len(msgs) != 1 {
		t.Fatalf("failures %d", len(msgs))
	}
	m := msgs[0]
	if !strings.HasPrefix(m, `big: expected [], got [[{n: 0, name: "item"}, {n: 1, name: "item"}, `) {
		t.Errorf("message starts %.120q", m)
	}
	if len(m) > 2*2048+200 || !strings.HasSuffix(m, "...], ...]") {
		t.Errorf("message of %d bytes ending %q", len(m), m[max(0, len(m)-40):])
	}
}

func check(t *testing.T, got, want map[string][]string) {
	t.Helper()
	for name, w := range want {
		g := got[name]
		if strings.Join(g, "\n") != strings.Join(w, "\n") {
			t.Errorf("test %q failures:\n%s\nwant:\n%s", name, strings.Join(g, "\n"), strings.Join(w, "\n"))
		}
	}
}
