package policytest_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/policytest"
	"github.com/rpl-lang/rpl/vm"
)

const policy = `package p

import "std/cost"
import "std/health"

fn loop(n: int) -> int = if n == 0 { 0 } else { loop(n - 1) + 1 }

fn route(r: Request) -> Decision {
  if cost.month_spend(r.tenant) > $100 {
    return deny("budget")
  }
  if !health.healthy("openai:gpt-4o") {
    return to("anthropic:claude-haiku")
  }
  match r.task.type {
    "chat" => to("openai:gpt-4o")
    _ => to("openai:gpt-4o-mini")
  }
}
`

const tests = `package p

import "std/testing"

test "chat" {
  let d = route({task: {type: "chat"}})
  expect d.target == "openai:gpt-4o"
}

test "wrong" {
  let d = route({task: {type: "chat"}})
  expect d.target == "openai:gpt-4o-mini"
  expect d.priority < 10, "low priority"
  expect d.action == "route"
}

test "spend" {
  testing.set_spend("acme", month: $200)
  expect route({tenant: {id: "acme"}}).action == "deny"
}

test "state is per test" {
  expect route({tenant: {id: "acme"}}).action == "route"
}

test "health" {
  testing.set_health("openai:gpt-4o", healthy: false)
  expect route({}).target == "anthropic:claude-haiku"
}

test "deep" {
  expect loop(1000) == 1000
}

test "later" {
  testing.skip("not yet")
}
`

func setup(t *testing.T) string {
	dir := t.TempDir()
	for name, src := range map[string]string{"p.rpl": policy, "p_test.rpl": tests} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// writeFiles writes each of files (name: source) into dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func run(t *testing.T, dir string, cfg policytest.Config) []*policytest.Result {
	t.Helper()
	r, err := policytest.NewRunner()
	if err != nil {
		t.Fatal(err)
	}
	ps, err := policytest.Find([]string{dir})
	if err != nil || len(ps) != 1 {
		t.Fatalf("Find: %v %v", ps, err)
	}
	return r.Run(ps, cfg)
}

func TestRun(t *testing.T) {
	dir := setup(t)
	res := run(t, dir, policytest.Config{})
	status := map[string]policytest.Test{}
	for _, tt := range res[0].Tests {
		status[tt.Name] = tt
	}
	for name, want := range map[string]policytest.Status{
		"chat": policytest.Pass, "wrong": policytest.Fail, "spend": policytest.Pass,
		"state is per test": policytest.Pass, "health": policytest.Pass, "deep": policytest.Fail, "later": policytest.Skip,
	} {
		tt, ran := status[name]
		if !ran {
			t.Errorf("test %q did not run", name)
			continue
		}
		if got := tt.Status; got != want {
			t.Errorf("test %q: %s, want %s (%+v)", name, got, want, status[name].Failures)
		}
	}
	// Every failed expectation, with both values; the test goes on.
	var msgs []string
	for _, f := range status["wrong"].Failures {
		msgs = append(msgs, f.Message)
		if f.Pos.Line == 0 || !strings.HasSuffix(f.Pos.File, "p_test.rpl") {
			t.Errorf("failure at %v, want a position in p_test.rpl", f.Pos)
		}
	}
	want := []string{`d.target: expected "openai:gpt-4o-mini", got "openai:gpt-4o"`, `low priority (d.priority): expected < 10, got 50`}
	if strings.Join(msgs, "\n") != strings.Join(want, "\n") {
		t.Errorf("failures:\n%s\nwant:\n%s", strings.Join(msgs, "\n"), strings.Join(want, "\n"))
	}
	// A limit fails the test with the error and the policy stack.
	deep := status["deep"].Failures
	if len(deep) != 1 || deep[0].Code != vm.CodeStackOverflow || len(deep[0].Stack) < 2 || deep[0].Stack[0].Func != "loop" {
		t.Errorf("deep: %+v", deep)
	}
	if status["later"].Reason != "not yet" {
		t.Errorf("skip reason %q", status["later"].Reason)
	}
	if got := policytest.SummaryLine(res); got != "4 passed, 2 failed, 1 skipped" {
		t.Errorf("summary %q", got)
	}

	var buf bytes.Buffer
	policytest.WriteResult(&buf, res[0], policytest.ReportOptions{Name: filepath.Base})
	for _, want := range []string{
		"p_test.rpl:12:3: test \"wrong\" failed: d.target: expected \"openai:gpt-4o-mini\", got \"openai:gpt-4o\"\n",
		"p.rpl:6:53: test \"deep\" failed: stack overflow (call depth limit 200) [stack_overflow]\n    at loop (p.rpl:6:53) × 199\n",
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, buf.String())
		}
	}
}

// A test file without its policy fails with RPL215 on the test file, among
// the check diagnostics, and runs nothing.
func TestRunNoPolicy(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "lone_test.rpl"), []byte("package lone\n\ntest \"t\" {\n  expect true\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := run(t, dir, policytest.Config{})
	r := res[0]
	if !r.Failed() || r.Err != nil || len(r.Tests) != 0 {
		t.Fatalf("failed %v, err %v, tests %v", r.Failed(), r.Err, r.Tests)
	}
	if len(r.Diags) != 1 || r.Diags[0].Code != lang.CodeNoPolicy || filepath.Base(r.Diags[0].File.Name) != "lone_test.rpl" {
		t.Fatalf("diagnostics %v", r.Diags)
	}
	if got, want := r.Diags[0].Error(), filepath.Join(dir, "lone_test.rpl")+":1:1: error[RPL215]: test file without its policy lone.rpl"; !strings.HasPrefix(got, want) {
		t.Errorf("got %q, want %q...", got, want)
	}
}

// The closing lines of a run: the coverage total over several policies
// (none with NoCover, which leaves out coverage measured for a profile
// only), then the summary line, which counts the policies whose tests did
// not run.
func TestWriteSummary(t *testing.T) {
	res := []*policytest.Result{
		{Policy: "a.rpl", Tests: []policytest.Test{{Name: "x", Status: policytest.Pass}}, Coverage: &policytest.Coverage{Stmts: 3, StmtsCovered: 2, Outcomes: 2, OutcomesCovered: 1}},
		{Policy: "b.rpl", Tests: []policytest.Test{{Name: "y", Status: policytest.Skip}}, Coverage: &policytest.Coverage{Stmts: 1, StmtsCovered: 1}},
		{Policy: "c.rpl", Err: fmt.Errorf("cannot load")},
	}
	for _, c := range []struct {
		o    policytest.ReportOptions
		want string
	}{
		{policytest.ReportOptions{}, "coverage: total: 75.0% of statements (3/4), 50.0% of branches (1/2)\n1 passed, 0 failed, 1 skipped, 1 policy with errors\n"},
		{policytest.ReportOptions{NoCover: true}, "1 passed, 0 failed, 1 skipped, 1 policy with errors\n"},
	} {
		var buf bytes.Buffer
		policytest.WriteSummary(&buf, res, c.o)
		if buf.String() != c.want {
			t.Errorf("NoCover %v: got %q, want %q", c.o.NoCover, buf.String(), c.want)
		}
	}
	res = append(res, &policytest.Result{Policy: "d.rpl", Err: fmt.Errorf("cannot load")})
	if got, want := policytest.SummaryLine(res), "1 passed, 0 failed, 1 skipped, 2 policies with errors"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
}

// A coverage with no branch (or no statement) says so: it was "100.0% of
// branches (0/0)", a coverage where there was nothing to measure.
func TestWriteResultNoBranches(t *testing.T) {
	for _, c := range []struct {
		cov  policytest.Coverage
		want string
	}{
		{policytest.Coverage{Stmts: 2, StmtsCovered: 1}, "coverage: p.rpl: 50.0% of statements (1/2), no branches\n"},
		{policytest.Coverage{Outcomes: 2, OutcomesCovered: 2}, "coverage: p.rpl: no statements, 100.0% of branches (2/2)\n"},
	} {
		var buf bytes.Buffer
		policytest.WriteResult(&buf, &policytest.Result{Policy: "p.rpl", Coverage: &c.cov}, policytest.ReportOptions{})
		if buf.String() != c.want {
			t.Errorf("got %q, want %q", buf.String(), c.want)
		}
	}
}

func TestRunFilter(t *testing.T) {
	res := run(t, setup(t), policytest.Config{Run: regexp.MustCompile("^(chat|spend)$")})
	if got := policytest.SummaryLine(res); got != "2 passed, 0 failed" {
		t.Errorf("summary %q", got)
	}
}

func TestCoverage(t *testing.T) {
	dir := setup(t)
	res := run(t, dir, policytest.Config{Cover: true})
	c := res[0].Coverage
	if c == nil {
		t.Fatal("no coverage")
	}
	// Every statement of route runs; loop's base case never does.
	if c.Stmts == 0 || c.StmtsCovered != c.Stmts-1 {
		t.Errorf("statements %d/%d, want all but one", c.StmtsCovered, c.Stmts)
	}
	var notTaken []string
	for _, k := range c.Uncovered() {
		notTaken = append(notTaken, k.Outcome)
	}
	if strings.Join(notTaken, ",") != "then" {
		t.Errorf("outcomes not taken: %v, want [then] (of n == 0)", notTaken)
	}

	// The profile is Go's format, which go tool cover reads.
	profile := filepath.Join(dir, "cover.out")
	f, err := os.Create(profile)
	if err != nil {
		t.Fatal(err)
	}
	if err := policytest.WriteProfile(f, policytest.ModeCount, dir, []*policytest.Coverage{c}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	data, _ := os.ReadFile(profile)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if lines[0] != "mode: count" || !regexp.MustCompile(`^\./p\.rpl:\d+\.\d+,\d+\.\d+ 1 \d+$`).MatchString(lines[1]) {
		t.Errorf("profile:\n%s", data)
	}
	gotool := filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	if _, err := os.Stat(gotool); err != nil {
		if gotool, err = exec.LookPath("go"); err != nil {
			t.Skip("no go tool")
		}
	}
	// -html reads the profile and the sources as text. (-func cannot: it
	// parses every file of the profile as Go source.)
	cmd := exec.Command(gotool, "tool", "cover", "-html="+profile, "-o", filepath.Join(dir, "cover.html"))
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go tool cover -html: %v\n%s", err, out)
	}
	html, _ := os.ReadFile(filepath.Join(dir, "cover.html"))
	if !bytes.Contains(html, []byte("p.rpl")) || !bytes.Contains(html, []byte(`class="cov0"`)) || !bytes.Contains(html, []byte(`class="cov8"`)) {
		t.Errorf("go tool cover -html output lacks the policy or its covered and uncovered spans")
	}
}

// TestProfileNested: a statement holding others (a let whose value is a
// block, a lambda's body) ends in the profile where the first of them
// starts. Their ranges overlapped: the let's covered the whole block.
func TestProfileNested(t *testing.T) {
	dir := t.TempDir()
	for name, src := range map[string]string{
		"n.rpl": `package n

fn route(r: Request) -> Decision {
  let m = {
    let a = 1
    a + 1
  }
  let xs = map([1, 2], x => { x * m })
  to(if xs[0] > 1 { "openai:gpt-4o" } else { "openai:gpt-4o-mini" })
}
`,
		"n_test.rpl": "package n\n\ntest \"t\" {\n  expect route({tenant: {id: \"a\"}, task: {type: \"chat\"}}).target == \"openai:gpt-4o\"\n}\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res := run(t, dir, policytest.Config{Cover: true})
	if res[0].Failed() || res[0].Coverage == nil {
		t.Fatalf("run: %+v", res[0])
	}
	var buf bytes.Buffer
	if err := policytest.WriteProfile(&buf, policytest.ModeSet, dir, []*policytest.Coverage{res[0].Coverage}); err != nil {
		t.Fatal(err)
	}
	type pos struct{ line, col int }
	before := func(a, b pos) bool { return a.line < b.line || (a.line == b.line && a.col < b.col) }
	var prevEnd pos
	var prev string
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n")[1:] {
		var s, e pos
		if _, err := fmt.Sscanf(l[strings.LastIndex(l, ":")+1:], "%d.%d,%d.%d", &s.line, &s.col, &e.line, &e.col); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		if before(s, prevEnd) {
			t.Errorf("%s overlaps %s", l, prev)
		}
		if !before(s, e) {
			t.Errorf("%s: empty range", l)
		}
		prevEnd, prev = e, l
	}
	if !strings.Contains(buf.String(), "./n.rpl:4.3,5.5 1 1") {
		t.Errorf("the let of a block: want 4.3,5.5 (up to the block's first statement)\n%s", buf.String())
	}
}

func TestReadState(t *testing.T) {
	placed := regexp.MustCompile(`^(invalid state: )line \d+, column \d+: `)
	st, now, seed, err := policytest.ReadState([]byte(`{"now": "2025-06-01T14:00:00Z", "seed": 7,
		"spend": {"acme": {"month": "$950", "day": 40}},
		"prices": {"openai:gpt-4o": {"input": "$2.50", "output": "$10"}},
		"winners": {"x": "b"},
		"health": {"openai:gpt-4o": {"healthy": false, "error_rate": 0.5, "latency": "850ms"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if now.Hour() != 14 || seed == nil || *seed != 7 {
		t.Errorf("now %v seed %v", now, seed)
	}
	if st.MonthSpend("acme", now) != 950e9 || st.DaySpend("acme", now) != 40e9 {
		t.Errorf("spend %d %d", st.MonthSpend("acme", now), st.DaySpend("acme", now))
	}
	if p, ok := st.Price("openai:gpt-4o"); !ok || p.Input != 2.5e9 {
		t.Errorf("price %v", p)
	}
	if w, _ := st.Winner("x"); w != "b" || st.Healthy("openai:gpt-4o") || st.ErrorRate("openai:gpt-4o") != 0.5 {
		t.Error("winner or health")
	}
	// Errors name the path of the value at fault, a syntax error its
	// line and column.
	for _, c := range []struct{ in, want string }{
		{`{"spend": {"acme": {"mnth": "$1"}}}`, "spend.acme.mnth: unknown field (did you mean month?)"},
		{`{"spend": {"acme": {"week": "$1"}}}`, "spend.acme.week: unknown field"},
		{`{"spnd": {}}`, "spnd: unknown field (did you mean spend?)"},
		{`{"seed": "x"}`, "seed: want a number, have a string"},
		{`{"seed": -1}`, "seed: -1 is out of range"},
		{`{"seed": 1.5}`, "seed: want a whole number, have 1.5"},
		{`{"seed": 1.5e0}`, "seed: want a whole number, have 1.5e0"},
		{`{"seed": 1e20}`, "seed: 1e20 is out of range"},
		{`{"seed": 18446744073709551616}`, "seed: 18446744073709551616 is out of range"},
		{`{"spend": {"acme": {"month": "lots"}}}`, `spend.acme.month: want money such as "$0.25", have "lots"`},
		{`{"spend": {"acme": 5}}`, "spend.acme: want an object, have a number"},
		{`{"prices": {"a:b": {"input": true}}}`, "prices.a:b.input: want money"},
		{`{"health": {"a:b": {"error_rate": "high"}}}`, "health.a:b.error_rate: want a number, have a string"},
		{`{"winners": {"x": 1}}`, "winners.x: want a string, have a number"},
		{`[]`, "want an object"},
		{"{\n  \"seed\": 1,,\n}", "line 2, column 13: invalid character ','"},
		{`{"now": "2300-01-01T00:00:00Z"}`, `now: want an RFC 3339 time from 1677-09-21T00:12:43Z to 2262-04-11T23:47:16Z, have "2300-01-01T00:00:00Z"`},
		{`{"health": {"a:b": {"latency": "-5s"}}}`, `health.a:b.latency: want a duration ≥ 0`},
		{`{"prices": {"a:b": {"input": "-$1"}}}`, `prices.a:b: a price is negative`},
		{`{"spend": {"acme": {"month": "-$5"}}}`, `spend.acme.month: negative spend (a cost recorded is ≥ 0)`},
		{`{"spend": {"acme": {"day": -5}}}`, `spend.acme.day: negative spend`},
		// An id holding a dot is quoted: spend.a.b.month would read as
		// tenant a's field b.
		{`{"spend": {"a.b": {"month": "-$5"}}}`, `spend."a.b".month: negative spend`},
		{`{"spend": {"a.b": {"day": -5}}}`, `spend."a.b".day: negative spend`},
		{`{"spend": {"a.b": {"mnth": "$1"}}}`, `spend."a.b".mnth: unknown field (did you mean month?)`},
		{`{"spend": {"a.b": 5}}`, `spend."a.b": want an object, have a number`},
		{`{"prices": {"openai:gpt-4.1": {"input": "-$1"}}}`, `prices."openai:gpt-4.1": a price is negative`},
		{`{"prices": {"openai:gpt-4.1": {"input": true}}}`, `prices."openai:gpt-4.1".input: want money`},
		{`{"health": {"openai:gpt-4.1": {"error_rate": 2}}}`, `health."openai:gpt-4.1".error_rate: 2 outside [0, 1]`},
		{`{"health": {"openai:gpt-4.1": {"latency": "-5s"}}}`, `health."openai:gpt-4.1".latency: want a duration ≥ 0`},
		{`{"winners": {"exp.v2": 1}}`, `winners."exp.v2": want a string, have a number`},
		{`{"health": {"bad target": {"healthy": false}}}`, `health: "bad target" is not a target: `},
		{`{"prices": {"a:": {"input": "$1"}}}`, `prices: "a:" is not a target: want "provider:model"`},
		// A key given twice, read as its last.
		{`{"now": "2025-06-01T14:00:00Z", "now": "2025-06-02T14:00:00Z"}`, `now: key given twice`},
		{`{"spend": {"acme": {"day": "$1", "day": "$2"}}}`, `spend.acme.day: key given twice`},
	} {
		_, _, _, err := policytest.ReadState([]byte(c.in))
		// Its place, when it has one, is checked below (a syntax
		// error's here).
		got := ""
		if err != nil {
			got = err.Error()
			if !strings.HasPrefix(c.want, "line ") {
				got = placed.ReplaceAllString(got, "$1")
			}
		}
		if !strings.HasPrefix(got, "invalid state: "+c.want) {
			t.Errorf("%s: %v, want invalid state: %s…", c.in, err, c.want)
		}
	}
	// An error about a value, or a key given twice, is placed (for rplc,
	// FILE:LINE:COL): at the value, at the key's second occurrence.
	for _, c := range []struct{ in, want string }{
		{`{"spend": {"acme": {"mnth": "$1"}}}`, `invalid state: line 1, column 29: spend.acme.mnth: unknown field (did you mean month?)`},
		{"{\n  \"seed\": \"x\"}", `invalid state: line 2, column 11: seed: want a number, have a string`},
		{`{"now": "2025-06-01T14:00:00Z", "now": "2025-06-02T14:00:00Z"}`, `invalid state: line 1, column 40: now: key given twice`},
		// So is a value decoded and then refused: a bad time, a
		// negative amount, a rate outside [0, 1]; a key that is no
		// target at its value.
		{"{\n  \"now\": \"yesterday\"}", `invalid state: line 2, column 10: now: want an RFC 3339 time from 1677-09-21T00:12:43Z to 2262-04-11T23:47:16Z, have "yesterday"`},
		{"{\"spend\": {\"acme\": {\"month\": \"$1\",\n  \"day\": -5}}}", `invalid state: line 2, column 10: spend.acme.day: negative spend (a cost recorded is ≥ 0)`},
		{`{"spend": {"a.b": {"month": "-$5"}}}`, `invalid state: line 1, column 29: spend."a.b".month: negative spend (a cost recorded is ≥ 0)`},
		{`{"prices": {"a:b": {"input": "-$1"}}}`, `invalid state: line 1, column 20: prices.a:b: a price is negative (a catalogue refuses one)`},
		{`{"prices": {"a:": {"input": "$1"}}}`, `invalid state: line 1, column 19: prices: "a:" is not a target: want "provider:model", or a provider alone`},
		{`{"health": {"a:b": {"healthy": true}, "bad target": {}}}`, `invalid state: line 1, column 53: health: "bad target" is not a target: it holds spaces or control characters`},
		{`{"health": {"a:b": {"error_rate": 2}}}`, `invalid state: line 1, column 35: health.a:b.error_rate: 2 outside [0, 1]`},
		{`{"health": {"a:b": {"latency": "-5s"}}}`, `invalid state: line 1, column 32: health.a:b.latency: want a duration ≥ 0 such as "250ms" (0s: none observed), have "-5s"`},
		// A key given twice whose value (the last, as read) is refused
		// is that key given twice, at its second occurrence: the error
		// about the value was placed at the first.
		{`{"spend": {"acme": {"day": 1, "day": -5}}}`, `invalid state: line 1, column 38: spend.acme.day: key given twice`},
		{`{"seed": 1, "seed": "x"}`, `invalid state: line 1, column 21: seed: key given twice`},
		// Text read as U+FFFD, at it, as in a request: two experiments
		// that differ there were read as one.
		{`{"winners": {"a\ud800": "b"}}`, `invalid state: line 1, column 16: invalid string: \ud800 is half of a UTF-16 surrogate pair (two ids that differ there would be read as one)`},
		{"{\"spend\": {\"ac\xfeme\": {\"month\": \"$1\"}}}", `invalid state: line 1, column 15: invalid JSON: invalid UTF-8 (JSON text is UTF-8, RFC 8259 §8.1)`},
	} {
		if _, _, _, err := policytest.ReadState([]byte(c.in)); err == nil || err.Error() != c.want {
			t.Errorf("%s: %v, want %s", c.in, err, c.want)
		}
	}
	// A document that is no object says what it is, in JSON's words, not
	// encoding/json's Go types.
	for _, c := range []struct{ in, want string }{
		{`[1]`, "want an object, have a list"},
		{`"x"`, "want an object, have a string"},
		{`5`, "want an object, have a number"},
	} {
		_, _, _, err := policytest.ReadState([]byte(c.in))
		if err == nil || err.Error() != "invalid state: "+c.want {
			t.Errorf("%s: %v, want invalid state: %s", c.in, err, c.want)
		}
	}
}

// TestTestingSettersRefuse: std/testing sets only state a router can have.
// A latency of 0s is none observed (health.latency then answers its 1s
// default, where it answered 0s); a negative latency, a NaN error rate and
// a clock beyond what a time holds (2300 became 1715) are errors.
func TestTestingSettersRefuse(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"p.rpl": "package p\nimport \"std/health\"\nfn route(r: Request) -> Decision = to(\"a:b\").tag(\"l\", string(health.latency(\"a:b\")))\n",
		"p_test.rpl": `package p
import "std/testing"
test "zero latency is none" {
  testing.set_latency("a:b", 0s)
  expect route({}).tags["l"] == "1s"
}
test "negative latency" { testing.set_latency("a:b", -5s) }
fn huge() -> float = 1e308
test "nan error rate" { testing.set_health("a:b", healthy: true, error_rate: huge() * 10.0 - huge() * 10.0) }
test "clock out of range" { testing.set_now("2300-01-01T00:00:00Z") }
test "clock in range" {
  testing.set_now("2262-01-01T00:00:00Z")
  expect string(now()) == "2262-01-01T00:00:00Z"
}
`,
	}
	writeFiles(t, dir, files)
	res := run(t, dir, policytest.Config{})[0]
	if res.Err != nil || res.Diags.HasErrors() {
		t.Fatalf("%v %v", res.Err, res.Diags)
	}
	want := map[string]string{
		"zero latency is none": "",
		"negative latency":     "latency -5s is negative",
		"nan error rate":       "error_rate NaN outside [0, 1]",
		"clock out of range":   "2300-01-01T00:00:00Z is out of range",
		"clock in range":       "",
	}
	for _, tt := range res.Tests {
		var msg string
		for _, f := range tt.Failures {
			msg += f.Message
		}
		if w := want[tt.Name]; (w == "") != (msg == "") || !strings.Contains(msg, w) {
			t.Errorf("test %q: %q, want %q", tt.Name, msg, w)
		}
	}
}

// TestExtendsOverrideReachesDerivedConsts: a const the parent builds from
// a const the child redeclares takes the child's value (language.md §8.3:
// the redeclaration replaces the parent's "everywhere"); the parent's
// `const double = limit * 2` kept 20, folded with the parent's limit.
func TestExtendsOverrideReachesDerivedConsts(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"org.rpl": `package org
const limit = 10
const double = limit * 2
const rec = {n: limit}
const names = [1, limit]
fn route(r: Request) -> Decision =
  to("a:b").tag("l", string(limit)).tag("d", string(double)).tag("r", string(rec.n)).tag("s", string(names[1]))
`,
		"kid.rpl": "package kid\nextends \"org\"\nconst limit = 100\n",
		"kid_test.rpl": `package kid
test "derived consts see the override" {
  let d = route({})
  expect d.tags["l"] == "100"
  expect d.tags["d"] == "200"
  expect d.tags["r"] == "100"
  expect d.tags["s"] == "100"
}
`,
	}
	writeFiles(t, dir, files)
	r, err := policytest.NewRunner()
	if err != nil {
		t.Fatal(err)
	}
	res := r.RunPolicy(filepath.Join(dir, "kid.rpl"), policytest.Config{})
	if res.Err != nil || res.Diags.HasErrors() || len(res.Tests) != 1 {
		t.Fatalf("%v %v (%d tests)", res.Err, res.Diags, len(res.Tests))
	}
	for _, f := range res.Tests[0].Failures {
		t.Errorf("%s", f.Message)
	}
}

// TestRunTreeDuplicateID: the policies of a tree must have distinct ids
// (RPL216, lang.CheckPolicyIDs), as rplc build and a router require; the
// later one fails with the error, and its tests do not run.
func TestRunTreeDuplicateID(t *testing.T) {
	dir := t.TempDir()
	for name, src := range map[string]string{
		"p.rpl":          "package p\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n",
		"p_test.rpl":     "package p\n\ntest \"first\" {\n  expect route({}).target == \"a:b\"\n}\n",
		"sub/p.rpl":      "package p\n\nfn route(r: Request) -> Decision = to(\"a:c\")\n",
		"sub/p_test.rpl": "package p\n\ntest \"second\" {\n  expect route({}).target == \"a:c\"\n}\n",
		"sub/q.rpl":      "package q\n\nfn route(r: Request) -> Decision = to(\"a:d\")\n\ntest \"third\" {\n  expect true\n}\n",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r, err := policytest.NewRunner()
	if err != nil {
		t.Fatal(err)
	}
	ps, err := policytest.Find([]string{dir})
	if err != nil || len(ps) != 3 {
		t.Fatalf("Find: %v %v", ps, err)
	}
	res := r.RunTree(dir, ps, policytest.Config{})
	if len(res) != 3 {
		t.Fatalf("%d results", len(res))
	}
	for i, want := range []string{"first", "", "third"} {
		got := ""
		for _, tt := range res[i].Tests {
			got += tt.Name
		}
		if got != want {
			t.Errorf("%s: tests run %q, want %q", res[i].Policy, got, want)
		}
	}
	if res[0].Failed() || res[2].Failed() || !res[1].Failed() {
		t.Errorf("failed: %v %v %v, want only %s", res[0].Failed(), res[1].Failed(), res[2].Failed(), res[1].Policy)
	}
	// Each is a policy of the tree, by its id (what its tenants.json may
	// name), the one refused too, as lang.Tree.Policies has it.
	for i, want := range []string{"p", "p", "q"} {
		if res[i].ID != want {
			t.Errorf("%s: ID %q, want %q", res[i].Policy, res[i].ID, want)
		}
	}
	if d := res[1].Diags; len(d) != 1 || d[0].Code != lang.CodeDuplicateID || !strings.HasSuffix(d[0].Error(), "sub/p.rpl:1:9: error[RPL216]: policy id p is also the package of p.rpl (policy ids must be unique)") {
		t.Errorf("diagnostics of %s: %v", res[1].Policy, d)
	}
	// RunPolicy tests a policy alone, whatever its tree.
	if one := r.RunPolicy(ps[1], policytest.Config{}); one.Failed() || len(one.Tests) != 1 {
		t.Errorf("RunPolicy(%s): %v %v", ps[1], one.Diags, one.Tests)
	}
}

// TestReadStateWholeNumbers: the seed takes a whole number however JSON
// writes it, as a request's and feedback's integers do.
func TestReadStateWholeNumbers(t *testing.T) {
	_, _, seed, err := policytest.ReadState([]byte(`{"seed": 7e3}`))
	if err != nil || seed == nil || *seed != 7000 {
		t.Fatalf("seed %v, %v; want 7000", seed, err)
	}
}

// TestCoverageLeavesOutTests: a test block in the policy file is no code
// of the policy: its statements and branches are not counted (they were,
// 3 of 6 statements covered by their own running), and the outcomes not
// taken are listed in source order, not the order functions compiled in.
func TestCoverageLeavesOutTests(t *testing.T) {
	dir := t.TempDir()
	src := `package p

fn tier(r: Request) -> int = if r.tenant.tier == "gold" { 1 } else { 2 }

fn route(r: Request) -> Decision {
  if tier(r) == 1 {
    return to("a:b")
  }
  to("c:d")
}

test "gold" {
  let d = route({tenant: {tier: "gold"}})
  expect d.target == "a:b" || d.target == "x:y"
}
`
	if err := os.WriteFile(filepath.Join(dir, "p.rpl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	c := run(t, dir, policytest.Config{Cover: true})[0].Coverage
	if c == nil {
		t.Fatal("no coverage")
	}
	// tier's body and its two arms; route's if, return and to: 6, 4 run.
	if c.Stmts != 6 || c.StmtsCovered != 4 {
		t.Errorf("statements %d/%d, want 4/6", c.StmtsCovered, c.Stmts)
	}
	if c.Outcomes != 4 || c.OutcomesCovered != 2 {
		t.Errorf("branch outcomes %d/%d, want 2/4", c.OutcomesCovered, c.Outcomes)
	}
	for _, k := range c.Counters {
		if strings.HasPrefix(k.Func, "test:") {
			t.Errorf("counter of a test: %+v", k)
		}
	}
	var notTaken []string
	for _, k := range c.Uncovered() {
		notTaken = append(notTaken, fmt.Sprintf("%d:%d %s", k.Line, k.Col, k.Outcome))
	}
	if got, want := strings.Join(notTaken, ", "), "3:68 else, 8:4 else"; got != want {
		t.Errorf("not taken: %s, want %s", got, want)
	}
}

// TestCoverageCountsUntestedPolicy: a policy without tests is code no
// test ran, 0% covered, not left out of the coverage (and of the total
// and the profile, which a tree with an untested policy overstated).
func TestCoverageCountsUntestedPolicy(t *testing.T) {
	dir := setup(t)
	if err := os.WriteFile(filepath.Join(dir, "q.rpl"), []byte("package q\n\nfn route(r: Request) -> Decision = if r.task.type == \"chat\" { to(\"a:b\") } else { to(\"c:d\") }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := policytest.NewRunner()
	if err != nil {
		t.Fatal(err)
	}
	res := r.RunPolicy(filepath.Join(dir, "q.rpl"), policytest.Config{Cover: true})
	if res.Failed() || len(res.Tests) != 0 {
		t.Fatalf("failed %v (%v %v), tests %v", res.Failed(), res.Err, res.Diags, res.Tests)
	}
	c := res.Coverage
	if c == nil {
		t.Fatal("no coverage")
	}
	if c.Stmts != 3 || c.StmtsCovered != 0 || c.Outcomes != 2 || c.OutcomesCovered != 0 {
		t.Errorf("statements %d/%d, outcomes %d/%d; want 0/3, 0/2", c.StmtsCovered, c.Stmts, c.OutcomesCovered, c.Outcomes)
	}
	if res := r.RunPolicy(filepath.Join(dir, "q.rpl"), policytest.Config{}); res.Coverage != nil {
		t.Error("coverage without Config.Cover")
	}
}

// TestNotTakenTextCutAtCharacter: the condition a "not taken" line quotes
// is cut at a character, never inside a UTF-8 sequence.
func TestNotTakenTextCutAtCharacter(t *testing.T) {
	dir := t.TempDir()
	src := "package p\n\nfn route(r: Request) -> Decision {\n  if r.task.type == \"xy" + strings.Repeat("é", 40) + "\" {\n    return to(\"a:b\")\n  }\n  to(\"c:d\")\n}\n\ntest \"t\" {\n  expect route({}).target == \"c:d\"\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "p.rpl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	res := run(t, dir, policytest.Config{Cover: true})
	var buf bytes.Buffer
	policytest.WriteResult(&buf, res[0], policytest.ReportOptions{Verbose: true, Name: filepath.Base})
	out := buf.String()
	if !strings.Contains(out, ": then of if r.task.type == \"xyé") || !utf8.ValidString(out) {
		t.Errorf("report:\n%q", out)
	}
}

// TestCoverageExhaustiveStatementMatch: a statement match without a _
// arm whose arms cover every value of its subject has no "no arm"
// outcome, so tests that take each arm cover it all; it had one, which no
// test could take, and 100% was out of reach. A match that leaves a value
// without an arm keeps it.
func TestCoverageExhaustiveStatementMatch(t *testing.T) {
	dir := t.TempDir()
	src := `package p

fn route(r: Request) -> Decision {
  match r.model == "x" {
    true => { return to("a:b") }
    false => { return to("c:d") }
  }
  match r.model == "x" {
    true => { return to("e:f") }
  }
  to("g:h")
}

test "x" { expect route({model: "x"}).target == "a:b" }
test "y" { expect route({model: "y"}).target == "c:d" }
`
	if err := os.WriteFile(filepath.Join(dir, "p.rpl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	c := run(t, dir, policytest.Config{Cover: true})[0].Coverage
	if c == nil {
		t.Fatal("no coverage")
	}
	var notTaken []string
	for _, k := range c.Uncovered() {
		notTaken = append(notTaken, fmt.Sprintf("%d:%d %s", k.Line, k.Col, k.Outcome))
	}
	if got, want := strings.Join(notTaken, ", "), "9:13 arm 1, 10:4 no arm"; got != want {
		t.Errorf("not taken: %s, want %s", got, want)
	}
}

// TestVerboseNamesPrintable: a test name or a skip reason holding a line
// end or a terminal's escape is quoted in the verbose report, one line
// each; it was printed raw, breaking the line and reaching the terminal.
func TestVerboseNamesPrintable(t *testing.T) {
	dir := t.TempDir()
	src := "package p\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n\ntest \"two\\nlines\" {\n  expect true\n}\n\ntest \"red \\x1b[31m\" {\n  expect true\n}\n\ntest \"plain name\" {\n  expect true\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "p.rpl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	res := run(t, dir, policytest.Config{})
	var buf bytes.Buffer
	policytest.WriteResult(&buf, res[0], policytest.ReportOptions{Verbose: true, Name: filepath.Base})
	out := buf.String()
	for _, want := range []string{`--- PASS: "two\nlines" (`, `--- PASS: "red \x1b[31m" (`, `--- PASS: plain name (`} {
		if !strings.Contains(out, want) {
			t.Errorf("report without %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b") || strings.Count(out, "\n") != 4 {
		t.Errorf("report with a raw escape or a broken line:\n%q", out)
	}
}

// TestVerboseSkipReasonPrintable: a skip's reason is quoted as a test's
// name is when it holds a line end or a terminal escape.
func TestVerboseSkipReasonPrintable(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"p.rpl":      "package p\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n",
		"p_test.rpl": "package p\n\nimport \"std/testing\"\n\ntest \"skipped\" {\n  testing.skip(\"two\\nlines \\x1b[2J\")\n}\n",
	}
	writeFiles(t, dir, files)
	res := run(t, dir, policytest.Config{})
	var buf bytes.Buffer
	policytest.WriteResult(&buf, res[0], policytest.ReportOptions{Verbose: true, Name: filepath.Base})
	out := buf.String()
	if !strings.Contains(out, `skipped: "two\nlines \x1b[2J"`) || strings.Contains(out, "\x1b") {
		t.Errorf("report without the reason quoted, or with a raw escape:\n%q", out)
	}
}

// TestFailureMessagePrintable: a failure's message is quoted as a test's
// name is when it holds a line end or a terminal escape: an expect's
// message is any string (printed raw, it broke the report's line and
// reached the terminal).
func TestFailureMessagePrintable(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"p.rpl":      "package p\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n",
		"p_test.rpl": "package p\n\ntest \"t\" {\n  expect len(\"x\") == 2, \"two\\nlines \\x1b[2J\"\n  expect len(\"x\") == 3, \"plain\"\n}\n",
	}
	writeFiles(t, dir, files)
	res := run(t, dir, policytest.Config{})
	var buf bytes.Buffer
	policytest.WriteResult(&buf, res[0], policytest.ReportOptions{Name: filepath.Base})
	out := buf.String()
	for _, want := range []string{
		`p_test.rpl:4:3: test "t" failed: "two\nlines \x1b[2J (len(\"x\")): expected 2, got 1"` + "\n",
		`p_test.rpl:5:3: test "t" failed: plain (len("x")): expected 3, got 1` + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report without %q:\n%q", want, out)
		}
	}
	if strings.Contains(out, "\x1b") || strings.Count(out, "\n") != 2 {
		t.Errorf("report with a raw escape or a broken line:\n%q", out)
	}
}

// TestSkipAfterFailedExpect: a test that fails an expect and then skips
// fails by the expect alone, and keeps the skip's reason; the skip was
// listed as a failure of its own, a builtin_error with a backtrace.
func TestSkipAfterFailedExpect(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"p.rpl":      "package p\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n",
		"p_test.rpl": "package p\n\nimport \"std/testing\"\n\ntest \"fails then skips\" {\n  expect len(\"x\") == 2\n  testing.skip(\"later\")\n}\n\ntest \"skips\" {\n  testing.skip(\"not yet\")\n}\n\ntest \"no reason\" {\n  testing.skip(\"\")\n}\n",
	}
	writeFiles(t, dir, files)
	res := run(t, dir, policytest.Config{})
	if len(res[0].Tests) != 3 {
		t.Fatalf("%+v", res[0])
	}
	failed, skipped := res[0].Tests[0], res[0].Tests[1]
	if failed.Status != policytest.Fail || len(failed.Failures) != 1 || failed.Failures[0].Code != vm.CodeAssertionFailed || failed.Reason != "later" {
		t.Errorf("fails then skips: %v %+v reason %q", failed.Status, failed.Failures, failed.Reason)
	}
	if skipped.Status != policytest.Skip || len(skipped.Failures) != 0 || skipped.Reason != "not yet" {
		t.Errorf("skips: %v %+v reason %q", skipped.Status, skipped.Failures, skipped.Reason)
	}
	var buf bytes.Buffer
	policytest.WriteResult(&buf, res[0], policytest.ReportOptions{Verbose: true, Name: filepath.Base})
	out := buf.String()
	for _, want := range []string{
		`    p_test.rpl:6:3: test "fails then skips" failed: len("x"): expected 2, got 1` + "\n    then skipped: later\n",
		"--- SKIP: skips (", "    skipped: not yet\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report without %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "builtin_error") {
		t.Errorf("the skip reported as an error:\n%s", out)
	}
	// Not verbose, the failure keeps the skip's reason beside it (it was
	// dropped), and a skip alone says nothing.
	buf.Reset()
	policytest.WriteResult(&buf, res[0], policytest.ReportOptions{Name: filepath.Base})
	if out := buf.String(); out != `p_test.rpl:6:3: test "fails then skips" failed: len("x"): expected 2, got 1`+"\nthen skipped: later\n" {
		t.Errorf("report, not verbose:\n%q", out)
	}
	// A skip without a reason is its SKIP line alone: it was followed by
	// "skipped: " and nothing.
	if !strings.Contains(out, "--- SKIP: no reason (") || strings.Contains(out, "skipped: \n") {
		t.Errorf("a skip without a reason:\n%q", out)
	}
}

// TestUnnamedTestReport: a test named "" (allowed) is named where it is
// declared in every line of the report that names a test: the verbose
// list, a failure and a call stack. It was `--- FAIL:  (…)`, `test ""
// failed` and `at test ""`.
func TestUnnamedTestReport(t *testing.T) {
	dir := t.TempDir()
	src := "package p\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n\nfn boom(n: int) -> int = 10 / n\n\ntest \"\" {\n  expect boom(0) == 1\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "p.rpl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	res := run(t, dir, policytest.Config{})
	var buf bytes.Buffer
	policytest.WriteResult(&buf, res[0], policytest.ReportOptions{Verbose: true, Name: filepath.Base})
	out := buf.String()
	for _, want := range []string{
		"--- FAIL: (unnamed test at p.rpl:7) (",
		"    p.rpl:5:29: (unnamed test at p.rpl:7) failed: division by zero: 10 / 0 [division_by_zero]\n",
		"        at (unnamed test) (p.rpl:8:14)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report without %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, `""`) || strings.Contains(out, ":  (") {
		t.Errorf("report with an empty name:\n%s", out)
	}
}
