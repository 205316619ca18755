package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/internal/testpolicy"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/policytest"
	"github.com/rpl-lang/rpl/runtime"
)

// TestTreeRulesAgree runs the policy trees of testdata/trees through every
// tool that holds a tree to its rules (lang.Trees: which files are
// policies, libraries and test modules, and which are refused) — rplc
// check of the directory, bundle.Build (rplc build), the router's loading
// of the directory and policytest.RunTrees (rplc test) — and wants the
// same errors from each, "file:line:col: error[code]: message", file
// relative to the tree; rplc test runs a test module where the others refuse it. lsp's
// TestTreeRulesAgree holds the editor to them.
func TestTreeRulesAgree(t *testing.T) {
	testpolicy.EachTreeCase(t, "../../testdata/trees", func(t *testing.T, tc testpolicy.TreeCase) {
		tree := tc.InTree()
		for tool, want := range map[string][]string{"rplc check": tree, "bundle.Build": tree, "router": tree, "policytest.RunTrees": tc.Want} {
			if got := treeErrors(t, tool, tc.Dir); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s:\n got %q\nwant %q", tool, got, want)
			}
		}
	})
}

// treeErrors is what tool says of the policy tree dir: its errors,
// sorted, each once, as "file:line:col: error[code]: message" with file
// relative to dir.
func treeErrors(t *testing.T, tool, dir string) []string {
	t.Helper()
	var out []string
	add := func(ds lang.DiagList) {
		for _, d := range ds {
			if d.Severity == lang.SevError {
				out = append(out, relTo(dir, d.Error()))
			}
		}
	}
	switch tool {
	case "rplc check":
		var stdout, stderr bytes.Buffer
		code := run([]string{"check", "--format", "json", dir}, nil, &stdout, &stderr)
		for line := range strings.Lines(stdout.String()) {
			var d jsonDiag
			if err := json.Unmarshal([]byte(line), &d); err != nil {
				t.Fatalf("rplc check: %v: %s", err, line)
			}
			if d.Severity == "error" {
				out = append(out, relTo(dir, fmt.Sprintf("%s:%d:%d: error[%s]: %s", d.File, d.Line, d.Col, d.Code, d.Message)))
			}
		}
		if (code == exitOK) != (len(out) == 0) {
			t.Errorf("rplc check: exit %d with errors %q (%s)", code, out, stderr.String())
		}
	case "bundle.Build":
		res, err := bundle.Build(dir, bundle.BuildOptions{})
		if res != nil {
			add(res.Diags)
		}
		_, data := errors.AsType[*bundle.DataError](err) // a tenants.json or catalogue.json refused
		if (err == nil) != (len(out) == 0) || err != nil && !errors.Is(err, bundle.ErrCheckFailed) && !data {
			t.Errorf("bundle.Build: %v with errors %q", err, out)
		}
	case "router":
		e, err := runtime.New(runtime.Config{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.BuildDir(context.Background(), dir)
		if le, ok := errors.AsType[*runtime.LoadError](err); ok {
			out = le.Problems
		} else if err != nil {
			t.Fatalf("router: %v", err)
		}
	case "policytest.RunTrees":
		ps, err := policytest.Find([]string{dir})
		if err != nil {
			t.Fatal(err)
		}
		r, err := policytest.NewRunner()
		if err != nil {
			t.Fatal(err)
		}
		for _, res := range r.RunTrees([]policytest.Tree{{Root: dir, Policies: ps}}, policytest.Config{})[0] {
			add(res.Diags)
			if res.Err != nil || !res.Diags.HasErrors() && res.Failed() {
				t.Errorf("policytest: %s: %v, tests %+v", res.Policy, res.Err, res.Tests)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out) // a library's error, said with each file that loads it too
}

// relTo is msg, "file:line:col: …", with file relative to dir.
func relTo(dir, msg string) string {
	file, rest, _ := strings.Cut(msg, ":")
	if r, err := filepath.Rel(dir, file); err == nil && filepath.IsAbs(file) {
		file = filepath.ToSlash(r)
	}
	return file + ":" + rest
}

// TestTreeDataAgree: a tree's tenants.json or catalogue.json refused is
// said alike by rplc check, bundle.Build (rplc build) and the router
// loading the directory: on one line, error RPL217 at its place. Text
// that encoding/json reads as U+FFFD (a byte that is not UTF-8, half a
// surrogate pair) is refused at it: read so, "ac\xfeme" and "ac\xffme"
// were one tenant.
func TestTreeDataAgree(t *testing.T) {
	const policy = "package p\n\nfn route(r: Request) -> Decision = to(\"p:m\")\n"
	for _, c := range []struct{ file, data, want string }{
		{"tenants.json", "{\"tenants\": [\n  {\"id\": \"a\"},\n  {\"id\": 3}]}", "tenants.json:3:10: error[RPL217]: tenants[1].id: want a non-empty string, have a number"},
		{"tenants.json", `{"tenants": [{"id": "a", "policy": "q"}]}`, "tenants.json:1:36: error[RPL217]: tenants[0].policy: tenant \"a\" names policy \"q\", which does not exist"},
		{"tenants.json", `{"tenants": [`, "tenants.json:1:14: error[RPL217]: invalid JSON: unexpected end of JSON input"},
		// A policy that cannot be a package name; one that can, but is
		// not in the tree, each value repeated cut after 128 bytes.
		{"tenants.json", `{"tenants": [{"id": "a", "policy": "q-r"}]}`, `tenants.json:1:36: error[RPL217]: tenants[0].policy: want a policy id, the package name of a policy (a letter or _, then letters, digits and _; not a keyword), have "q-r"`},
		{"tenants.json", `{"tenants": [{"id": "` + strings.Repeat("a", 256) + `", "policy": "` + strings.Repeat("q", 1000) + `"}]}`, "tenants.json:1:291: error[RPL217]: tenants[0].policy: tenant \"" + strings.Repeat("a", 128) + "…\" (256 bytes) names policy \"" + strings.Repeat("q", 128) + "…\" (1000 bytes), which does not exist"},
		{"catalogue.json", `{"providers": [{"name": "p", "latency_ms": 1, "models": [{"name": "m", "input_per_mtok": "x", "output_per_mtok": 1}]}]}`, `catalogue.json:1:90: error[RPL217]: providers[0].models[0].input_per_mtok: want money ("2.50" or 2.5), have "x"`},
		{"tenants.json", "{\"tenants\": [{\"id\": \"ac\xfeme\"}, {\"id\": \"ac\xffme\"}]}", "tenants.json:1:24: error[RPL217]: invalid JSON: invalid UTF-8 (JSON text is UTF-8, RFC 8259 §8.1)"},
		{"tenants.json", `{"tenants": [{"id": "a", "parents": ["ac\ud800me"]}]}`, `tenants.json:1:41: error[RPL217]: invalid string: \ud800 is half of a UTF-16 surrogate pair (two ids that differ there would be read as one)`},
		{"catalogue.json", "{\"providers\": [{\"name\": \"p\xff\", \"latency_ms\": 1, \"models\": [{\"name\": \"m\", \"input_per_mtok\": 1, \"output_per_mtok\": 1}]}]}", "catalogue.json:1:27: error[RPL217]: invalid JSON: invalid UTF-8 (JSON text is UTF-8, RFC 8259 §8.1)"},
		{"catalogue.json", `{"providers": [{"name": "p", "latency_ms": 1, "models": [{"name": "m\udfff", "input_per_mtok": 1, "output_per_mtok": 1}]}]}`, `catalogue.json:1:69: error[RPL217]: invalid string: \udfff is half of a UTF-16 surrogate pair (two ids that differ there would be read as one)`},
	} {
		dir := t.TempDir()
		for name, src := range map[string]string{"p.rpl": policy, c.file: c.data} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		for _, tool := range []string{"rplc check", "bundle.Build", "router"} {
			if got := treeErrors(t, tool, dir); fmt.Sprint(got) != fmt.Sprint([]string{c.want}) {
				t.Errorf("%s of %s %q:\n got %q\nwant %q", tool, c.file, c.data, got, c.want)
			}
		}
	}
}
