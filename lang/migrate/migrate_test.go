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
		// JSON that does not parse: placed, and a BOM named.
		{"syntax", "{\"version\": \"1\",\n  \"weights\": {\"a\": 1,}}",
			"invalid JSON: line 2, column 22: invalid character '}' looking for beginning of object key string"},
		{"truncated", "{\"version\": \"1\",\n", "invalid JSON: line 2, column 1: unexpected end of JSON"},
		{"empty", " \n", "invalid JSON: the file is empty"},
		{"bom", "\ufeff{" + ok + "}", "invalid JSON: the file starts with a UTF-8 byte order mark (BOM); save it without one"},
		{"after", "{" + ok + "}\n ]", "invalid JSON: line 2, column 2: data after the policy"},
		// Keys that a dotted path would hide.
		{"empty field", `{"version": "1", "providers": [{"name": "a", "weight": 1, "": 2}]}`,
			`providers[0][""]: unknown field`},
		{"empty legacy name", `{"version": "1", "weights": {"": 1, "b": 1}}`, `weights[""]: empty provider name`},
		{"dotted legacy name", `{"version": "1", "weights": {"a.b": 200, "c": 1}}`,
			`weights["a.b"]: want an integer from 0 to 100, have 200`},
		{"dotted field", `{"version": "1", "weights": {"a": 1}, "sticky": {"ttl.x": 1}}`, `sticky["ttl.x"]: unknown field`},
		{"quoted key", `{"version": "1", "weights": {"a<b\n": 200, "c": 1}}`, `weights["a<b\n"]: want an integer from 0 to 100, have 200`},
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
// no error; a status widened to every 5xx is no difference (no header
// note) when "5xx" is asked for too.
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
	}
	// A single 5xx status alone is widened, and said.
	pol, err := Parse([]byte(`{"version": "1", "weights": {"a": 1}, "fallbacks": [{"when": {"status": [503]}, "to": "b"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if f := pol.Fallbacks[0]; strings.Join(f.Widened, ",") != "503" {
		t.Errorf("widened %v, want 503", f.Widened)
	}
}
