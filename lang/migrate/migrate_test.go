package migrate

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/lang"
)

var update = flag.Bool("update", false, "rewrite testdata/cp1/*.rpl and invalid/*.err")

const cp1Dir = "../../testdata/cp1"

// TestGolden migrates every sample CP1 policy and compares with the
// expected RPL beside it (NAME.rpl); -update rewrites them.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(cp1Dir, "*.json"))
	if len(files) < 8 {
		t.Fatalf("%d sample policies, want at least 8", len(files))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Convert(data, Options{Source: filepath.Base(f)})
			if err != nil {
				t.Fatal(err)
			}
			// Canonical layout: formatting again changes nothing.
			again, err := lang.FormatSource(name+".rpl", got)
			if err != nil || string(again) != string(got) {
				t.Errorf("not in canonical layout (%v)", err)
			}
			golden := filepath.Join(cp1Dir, name+".rpl")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if string(got) != string(want) {
				t.Errorf("migrated source differs from %s (run with -update):\n%s", golden, got)
			}
		})
	}
}

// TestInvalid checks that each invalid sample gives exactly the errors in
// its .err file, one a line, each naming the JSON path.
func TestInvalid(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(cp1Dir, "invalid", "*.json"))
	if len(files) == 0 {
		t.Fatal("no invalid samples")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			data, _ := os.ReadFile(f)
			_, err := Convert(data, Options{})
			if err == nil {
				t.Fatal("no error")
			}
			if _, ok := err.(ErrorList); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			ef := strings.TrimSuffix(f, ".json") + ".err"
			if *update {
				os.WriteFile(ef, []byte(err.Error()+"\n"), 0o644)
				return
			}
			want, _ := os.ReadFile(ef)
			if got := err.Error() + "\n"; got != string(want) {
				t.Errorf("errors:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestPackageName(t *testing.T) {
	for in, want := range map[string]string{
		"simple-split": "simple_split", "Chat Policy v2": "chat_policy_v2", "2024-q1": "p_2024_q1",
		"": "policy", "---": "policy", "match": "match_policy", "a__b": "a__b", "tenant/acme": "tenant_acme",
		"chat_test": "chat_test_policy", "Routing-TEST": "routing_test_policy", "test": "test_policy", "_test": "_test_policy",
		"x_test_policy": "x_test_policy", "testing": "testing",
	} {
		if got := PackageName(in); got != want {
			t.Errorf("PackageName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestErrors checks the errors of policies that are invalid in the ways
// a review found reported badly or not at all.
func TestErrors(t *testing.T) {
	const ok = `"version": "1", "weights": {"a": 1}`
	for _, c := range []struct{ name, in, want string }{
		// A duplicate key, which encoding/json would take the last of.
		{"duplicate weight", `{"version": "1", "providers": [{"name": "a:x", "weight": 10, "weight": 90}]}`,
			"providers[0].weight: duplicate key: given twice in one object"},
		{"duplicate providers", `{"version": "1", "providers": [{"name": "a", "weight": 1}], "providers": [{"name": "b", "weight": 1}]}`,
			"providers: duplicate key: given twice in one object"},
		{"duplicate legacy weight", `{"version": "1", "weights": {"a": 10, "a": 0}}`,
			"weights.a: duplicate key: given twice in one object"},
		{"duplicate in a list", `{"version": "1", "weights": {"a": 1}, "pre": [{"id": "x", "id": "y"}]}`,
			"pre[0].id: duplicate key: given twice in one object"},
		// JSON that does not parse (placed by Line and Col:
		// TestErrorsPlaced), and a BOM named.
		{"syntax", "{\"version\": \"1\",\n  \"weights\": {\"a\": 1,}}",
			"invalid JSON: invalid character '}' looking for beginning of object key string"},
		{"truncated", "{\"version\": \"1\",\n", "invalid JSON: unexpected end of JSON input"},
		{"empty", " \n", "invalid JSON: the file is empty"},
		{"bom", "\ufeff{" + ok + "}", "invalid JSON: the file starts with a UTF-8 byte order mark (BOM); save it without one"},
		{"after", "{" + ok + "}\n ]", "invalid JSON: data after the policy"},
		// A version given as null is not missing.
		{"null version", `{"version": null, "weights": {"a": 1}}`, `version: missing (want "1")`},
		{"missing version", `{"weights": {"a": 1}}`, `version: missing (want "1")`},
		// Keys that a dotted path would hide.
		{"empty field", `{"version": "1", "providers": [{"name": "a", "weight": 1, "": 2}]}`,
			`providers[0][""]: unknown field`},
		{"empty legacy name", `{"version": "1", "weights": {"": 1, "b": 1}}`, `weights[""]: empty provider name`},
		{"dotted legacy name", `{"version": "1", "weights": {"a.b": 200, "c": 1}}`,
			`weights["a.b"]: want an integer from 0 to 100, have 200`},
		{"dotted field", `{"version": "1", "weights": {"a": 1}, "sticky": {"ttl.x": 1}}`, `sticky["ttl.x"]: unknown field`},
		{"quoted key", `{"version": "1", "weights": {"a<b\n": 200, "c": 1}}`,
			`weights["a<b\n"]: "a<b\n" is not a target the router takes: it holds spaces or control characters` + "\n" +
				`weights["a<b\n"]: want an integer from 0 to 100, have 200`},
		// Upper bounds named.
		{"threshold", `{` + ok + `, "circuit_breaker": {"failure_threshold": 3000000000}}`,
			"circuit_breaker.failure_threshold: want a positive integer of at most 2147483647, have 3000000000"},
		{"cooldown", `{` + ok + `, "circuit_breaker": {"cooldown_ms": 1e30}}`,
			"circuit_breaker.cooldown_ms: want a non-negative integer of at most 9223372036854, have 1e30"},
		{"beyond int64", `{` + ok + `, "rate_limit": {"requests_per_minute": 99999999999999999999}}`,
			"rate_limit.requests_per_minute: want a positive integer of at most 2147483647, have 99999999999999999999"},
		{"weight in range words", `{"version": "1", "providers": [{"name": "a", "weight": 101}]}`,
			"providers[0].weight: want an integer from 0 to 100, have 101"},
		// No sum of weights when a weight is in error.
		{"no follow-on sum", `{"version": "1", "providers": [{"name": "a", "weight": 120}, {"name": "b", "weight": 0}]}`,
			"providers[0].weight: want an integer from 0 to 100, have 120"},
		{"no follow-on legacy sum", `{"version": "1", "weights": {"a": -1, "b": 0}}`,
			"weights.a: want an integer from 0 to 100, have -1"},
		// Conditions: empty only when there are none at all.
		{"empty when", `{` + ok + `, "fallbacks": [{"when": {"status": [], "errors": []}, "to": "b"}]}`,
			"fallbacks[0].when: empty: a fallback needs a condition (or no list at all for any error)"},
		{"empty status", `{` + ok + `, "fallbacks": [{"when": {"status": []}, "to": "b"}]}`,
			"fallbacks[0].when.status: empty: a fallback needs a condition (or no list at all for any error)"},
		{"empty legacy conditions", `{` + ok + `, "fallback": {"provider": "b", "conditions": []}}`,
			"fallback.conditions: empty: a fallback needs a condition (or no list at all for any error)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.in))
			if err == nil {
				t.Fatal("no error")
			}
			if got := err.Error(); got != c.want {
				t.Errorf("errors:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
}

// TestEveryError: a policy with many errors has every one reported, as
// rplc migrate's help says, not the first 20.
func TestEveryError(t *testing.T) {
	var ps []string
	for i := range 30 {
		ps = append(ps, fmt.Sprintf(`{"name": "p%d", "weight": 101}`, i))
	}
	_, err := Parse([]byte(`{"version": "1", "providers": [` + strings.Join(ps, ", ") + `]}`))
	list, ok := err.(ErrorList)
	if !ok || len(list) != 30 {
		t.Fatalf("%d errors, want 30: %v", len(list), err)
	}
	if got, want := list[29].Error(), "providers[29].weight: want an integer from 0 to 100, have 101"; got != want {
		t.Errorf("last error %q, want %q", got, want)
	}
}

// TestConditionsAccepted: an empty list beside a list with conditions is
// no error; a status widened to every 5xx is no difference when "5xx" is
// asked for too.
func TestConditionsAccepted(t *testing.T) {
	for in, want := range map[string][]string{
		`{"status": [429], "errors": []}`:          {"http_429"},
		`{"status": [], "errors": ["timeout"]}`:    {"timeout"},
		`{"status": [503, "5xx"]}`:                 {"http_5xx"},
		`{"status": ["5xx", "503"], "errors": []}`: {"http_5xx"},
	} {
		pol, err := Parse([]byte(`{"version": "1", "weights": {"a": 1}, "fallbacks": [{"when": ` + in + `, "to": "b"}]}`))
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		f := pol.Fallbacks[0]
		if strings.Join(f.On, ",") != strings.Join(want, ",") || len(f.Widened) != 0 {
			t.Errorf("%s: on %v, widened %v; want on %v, none widened", in, f.On, f.Widened, want)
		}
		for _, w := range Warnings(pol, Options{}) {
			t.Errorf("%s: warning %v", in, w)
		}
	}
	// A single 5xx status alone is widened, and said.
	pol, err := Parse([]byte(`{"version": "1", "weights": {"a": 1}, "fallbacks": [{"when": {"status": [503]}, "to": "b"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if ws := Warnings(pol, Options{}); len(ws) != 1 || ws[0].Path != "fallbacks[0]" || !strings.Contains(ws[0].Msg, "503 becomes http_5xx") {
		t.Errorf("warnings %v, want the 503 widening", ws)
	}
}

// TestWarnings: every CP1 setting that is not carried over is a warning
// naming its JSON path, and the header says it is not enforced rather
// than that the router enforces it; a policy_id that changes, and a
// sticky block without session_key (which CP1 requests cannot use), are
// warnings too.
func TestWarnings(t *testing.T) {
	in := `{"version": "1", "policy_id": "chat-v2", "weights": {"a": 1, "b": 1},
	  "fallbacks": [{"to": "b", "backoff": {"strategy": "exponential", "base_ms": 100, "max_ms": 900, "jitter": true}},
	                {"to": "a", "backoff": {"base_ms": 100, "max_ms": 900}}],
	  "sticky": {"ttl": "5m"},
	  "post": ["x", {"id": "y", "config": {"k": 1}}],
	  "circuit_breaker": {"failure_threshold": 3, "cooldown_ms": 0, "half_open_requests": 2, "error_rate": 0.5},
	  "rate_limit": {"requests_per_second": 5}}`
	pol, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, w := range Warnings(pol, Options{}) {
		paths = append(paths, w.Path)
	}
	want := []string{"policy_id", "sticky.session_key",
		"fallbacks[0].backoff.strategy", "fallbacks[0].backoff.max_ms", "fallbacks[0].backoff.jitter",
		"circuit_breaker.failure_threshold", "circuit_breaker.cooldown_ms", "circuit_breaker.half_open_requests",
		"rate_limit", "post[1].config"}
	if strings.Join(paths, " ") != strings.Join(want, " ") {
		t.Errorf("warnings at\n%v\nwant\n%v", paths, want)
	}
	src, err := Generate(pol, Options{})
	if err != nil {
		t.Fatal(err)
	}
	header := string(src[:strings.Index(string(src), "\npackage ")])
	for _, bad := range []string{"Enforced by the router", "router's quotas", "router's retry settings", "router's extension registry"} {
		if strings.Contains(header, bad) {
			t.Errorf("header says %q:\n%s", bad, header)
		}
	}
	for _, good := range []string{
		"# Not carried over (neither this policy nor the router enforces them):",
		`CP1 clients must send policy_id "chat_v2", not "chat-v2"`,
		"CP1 clients' requests are never sticky",
		"rate_limit: 5 requests/s per tenant: a policy cannot count requests, and the router has no quotas",
	} {
		if !strings.Contains(strings.Join(strings.Fields(strings.ReplaceAll(header, "#", "")), " "), good) &&
			!strings.Contains(header, good) {
			t.Errorf("header lacks %q:\n%s", good, header)
		}
	}
	// The same policy_id as the package: no warning.
	pol.ID = "chat_v2"
	for _, w := range Warnings(pol, Options{}) {
		if w.Path == "policy_id" {
			t.Errorf("warning %v for an unchanged policy_id", w)
		}
	}
	// --package renames it: a warning.
	ws := Warnings(pol, Options{Package: "acme"})
	if len(ws) == 0 || ws[0].Path != "policy_id" || !strings.Contains(ws[0].Msg, `policy_id "acme"`) {
		t.Errorf("warnings %v, want the policy_id one first", ws)
	}
}

// TestWarningsInHeader: Warnings are the items of Generate's header
// under "Differences" and "Not carried over", in the header's order, for
// every sample CP1 policy and under --package.
func TestWarningsInHeader(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(cp1Dir, "*.json"))
	warned := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		pol, err := Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		for _, opts := range []Options{{Source: filepath.Base(f)}, {Source: filepath.Base(f), Package: "renamed"}} {
			src, err := Generate(pol, opts)
			if err != nil {
				t.Fatal(err)
			}
			header := string(src[:strings.Index(string(src), "\npackage ")+1])
			at := 0
			for _, w := range Warnings(pol, opts) {
				var item strings.Builder
				comment(&item, w.String())
				i := strings.Index(header[at:], item.String())
				if i < 0 {
					t.Errorf("%s, package %q: warning %q not in the header after byte %d:\n%s", f, opts.Package, w, at, header)
					break
				}
				at += i + item.Len()
				warned++
			}
			if items := strings.Count(header, "\n#   - "); items != len(Warnings(pol, opts))+len(notes(pol)) {
				t.Errorf("%s, package %q: %d header items, want %d warnings and %d notes:\n%s", f, opts.Package, items, len(Warnings(pol, opts)), len(notes(pol)), header)
			}
		}
	}
	if warned == 0 {
		t.Error("no sample policy has a warning")
	}
}

// TestTestSuffix: a package name ending in _test would make the generated
// file a test file (its check then reads NAME.rpl from the working
// directory): PackageName avoids it, Generate refuses it, and the check
// reads nothing but the generated source, wherever it runs.
func TestTestSuffix(t *testing.T) {
	t.Chdir(t.TempDir())
	// Files that a check reading the working directory would trip on.
	for _, f := range []string{"chat.rpl", "chat_test.rpl", "chat_test_policy_test.rpl", "routing.rpl"} {
		if err := os.WriteFile(f, []byte("package broken\n\nfn {\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src, err := Convert([]byte(`{"version": "1", "policy_id": "chat_test", "weights": {"a": 1}}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), "\npackage chat_test_policy\n") {
		t.Errorf("package is not chat_test_policy:\n%s", src)
	}
	src, err = Convert([]byte(`{"version": "1", "weights": {"a": 1}}`), Options{Source: "cp1/routing_test.json"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), "\npackage routing_test_policy\n") {
		t.Errorf("package is not routing_test_policy:\n%s", src)
	}
	if _, err := Convert([]byte(`{"version": "1", "weights": {"a": 1}}`), Options{Package: "x_test"}); err == nil ||
		!strings.Contains(err.Error(), `"x_test" is not a package name (try x_test_policy)`) {
		t.Errorf("Package x_test: %v", err)
	}
}

// TestCommentText: a source path, description, provider or extension
// name holding a newline or another control character stays on its
// comment line, escaped (a provider name holds no control character, which
// is no target, but may hold a bidirectional override).
func TestCommentText(t *testing.T) {
	in := `{"version": "1", "description": "one\u0000two\u2028three\nfour",
	  "providers": [{"name": "a\u202eb", "weight": 1}],
	  "fallbacks": [{"to": "c\u202e[31m", "when": {"errors": ["timeout"]}}],
	  "pre": [{"id": "x\ny", "config": {}}]}`
	src, err := Convert([]byte(in), Options{Source: "dir/a\nb\u202e.json"})
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	for _, want := range []string{
		`# Migrated by rplc migrate from "dir/a\nb\u202e.json".`,
		`# one\x00two\u2028three`,
		"# four\n",
		`#   - fallbacks[0]: c\u202e[31m when timeout.`,
		`extension "x\ny"`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("source lacks %q:\n%s", want, s)
		}
	}
	for i, l := range strings.Split(s, "\n") {
		if strings.ContainsFunc(l, func(r rune) bool { return r < ' ' && r != '\t' || r == '\u2028' || r == '\u202e' }) {
			t.Errorf("line %d holds a control character: %q", i+1, l)
		}
	}
}

// TestNamesAreTargets: a provider name, or a fallback's, that the router
// does not take as a target (lang.TargetProblem: feedback naming it is
// refused, so its circuit breaker never opens and no cost or latency of
// it is recorded) is an error at its JSON path; it was migrated silently.
func TestNamesAreTargets(t *testing.T) {
	const ok = `"version": "1", "weights": {"a": 1}`
	long := strings.Repeat("x", lang.MaxTargetLen+1)
	for _, c := range []struct{ in, want string }{
		{`{"version": "1", "providers": [{"name": "open ai", "weight": 1}]}`,
			`providers[0].name: "open ai" is not a target the router takes: it holds spaces or control characters`},
		{`{"version": "1", "providers": [{"name": "openai:", "weight": 1}, {"name": ":x", "weight": 1}]}`,
			`providers[0].name: "openai:" is not a target the router takes: want "provider:model", or a provider alone` + "\n" +
				`providers[1].name: ":x" is not a target the router takes: want "provider:model", or a provider alone`},
		{`{"version": "1", "weights": {"a\tb": 1}}`,
			`weights["a\tb"]: "a\tb" is not a target the router takes: it holds spaces or control characters`},
		{`{"version": "1", "providers": [{"name": "` + long + `", "weight": 1}]}`,
			fmt.Sprintf(`providers[0].name: %q is not a target the router takes: longer than %d bytes`, long, lang.MaxTargetLen)},
		{`{` + ok + `, "fallbacks": [{"to": "b "}]}`,
			`fallbacks[0].to: "b " is not a target the router takes: it holds spaces or control characters`},
		{`{` + ok + `, "fallback": {"provider": "b:"}}`,
			`fallback.provider: "b:" is not a target the router takes: want "provider:model", or a provider alone`},
	} {
		_, err := Parse([]byte(c.in))
		if err == nil {
			t.Errorf("%s: no error", c.in)
			continue
		}
		if got := err.Error(); got != c.want {
			t.Errorf("%s: errors:\n%s\nwant:\n%s", c.in, got, c.want)
		}
	}
}

// TestExportNulls: a CP1 export's null for a field it leaves out is the
// field absent, and a whole number written as a float (50.0, 5e1) is
// that integer, as the router reads a CP1 request: both were refused
// ("description: want a string, have null", "providers[0].weight: want
// an integer from 0 to 100, have 50.0").
func TestExportNulls(t *testing.T) {
	pol, err := Parse([]byte(`{"version": "1", "description": null, "providers": [{"name": "a", "weight": 50.0, "priority": null}, {"name": "b", "weight": 5e1}], "sticky": null, "circuit_breaker": null}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(pol.Providers) != 2 || pol.Providers[0].Weight != 50 || pol.Providers[1].Weight != 50 || pol.Sticky != nil || pol.CircuitBreaker != nil {
		t.Errorf("parsed %+v", pol)
	}
	if _, err := Parse([]byte(`{"version": "1", "providers": [{"name": "a", "weight": 50.5}]}`)); err == nil || err.Error() != "providers[0].weight: want an integer from 0 to 100, have 50.5" {
		t.Errorf("a fraction: %v", err)
	}
}
