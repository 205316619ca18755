package lang_test

import (
	"os"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/lang"
)

// TestNoRoute checks RPL212: a file checked as a policy needs a route
// function (its own or inherited) or tests; a library needs neither; one
// compiled without its tests to be run (NeedRoute) needs route.
func TestNoRoute(t *testing.T) {
	u := universe(t)
	const route = "fn route(r: Request) -> Decision = to(\"a:b\")\n"
	tests := []struct {
		name    string
		files   map[string]string // p.rpl is checked
		library bool
		run     bool   // Config.NeedRoute: compiled without tests, to be run
		want    string // substring of the one RPL212 message; "" for none
		fix     string // the function the fix renames
	}{
		{name: "typo", files: map[string]string{"p.rpl": "package p\n\nfn rout(r: Request) -> Decision = to(\"a:b\")\n"}, want: "(did you mean rout?)", fix: "rout"},
		{name: "capital", files: map[string]string{"p.rpl": "package p\n\nfn Route(r: Request) -> Decision = to(\"a:b\")\n"}, want: "(did you mean Route?)", fix: "Route"},
		{name: "longer", files: map[string]string{"p.rpl": "package p\n\nfn helper() -> int = 1\nfn router(r: Request) -> Decision = to(\"a:b\")\n"}, want: "(did you mean router?)", fix: "router"},
		{name: "nothing close", files: map[string]string{"p.rpl": "package p\n\nconst limit = 1\nfn helper() -> int = limit\n"}, want: "a library needs none"},
		{name: "only in the test file", files: map[string]string{"p.rpl": "package p\n\nconst limit = 1\n", "p_test.rpl": "package p\n\nfn rout(r: Request) -> Decision = to(\"a:b\")\n"}, want: "a library needs none"},
		{name: "route", files: map[string]string{"p.rpl": "package p\n\n" + route}},
		{name: "inherited", files: map[string]string{"p.rpl": "package p\n\nextends \"org\"\n\nconst limit = 2\n", "org.rpl": "package org\n\nconst limit = 1\n" + route}},
		{name: "test module", files: map[string]string{"p.rpl": "package p\n\ntest \"t\" {\n  expect 1 + 1 == 2\n}\n"}},
		{name: "tests in the test file", files: map[string]string{"p.rpl": "package p\n\nfn f() -> int = 1\n", "p_test.rpl": "package p\n\ntest \"t\" {\n  expect f() == 1\n}\n"}},
		{name: "test module run", files: map[string]string{"p.rpl": "package p\n\ntest \"t\" {\n  expect 1 + 1 == 2\n}\n"}, run: true, want: "to be run without its tests (a test module, tests and no route, is run by rplc test)"},
		{name: "tests in the test file run", files: map[string]string{"p.rpl": "package p\n\nfn f() -> int = 1\n", "p_test.rpl": "package p\n\ntest \"t\" {\n  expect f() == 1\n}\n"}, run: true, want: "to be run without its tests"},
		{name: "typo with tests run", files: map[string]string{"p.rpl": "package p\n\nfn rout(r: Request) -> Decision = to(\"a:b\")\n\ntest \"t\" {\n  expect rout({}).target == \"a:b\"\n}\n"}, run: true, want: "(did you mean rout?)", fix: "rout"},
		{name: "route run", files: map[string]string{"p.rpl": "package p\n\n" + route + "\ntest \"t\" {\n  expect true\n}\n"}, run: true},
		{name: "inherited run", files: map[string]string{"p.rpl": "package p\n\nextends \"org\"\n\ntest \"t\" {\n  expect true\n}\n", "org.rpl": "package org\n\n" + route}, run: true},
		{name: "library", files: map[string]string{"p.rpl": "package p\n\nfn rout(r: Request) -> Decision = to(\"a:b\")\n"}, library: true},
		{name: "syntax error", files: map[string]string{"p.rpl": "package p\n\nfn route(r: Request) -> Decision = \n"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			read := func(p string) ([]byte, error) {
				if s, ok := tc.files[strings.TrimPrefix(p, "/v/")]; ok {
					return []byte(s), nil
				}
				return nil, os.ErrNotExist
			}
			_, diags := lang.Check(&lang.Config{Universe: u, ReadFile: read, Policy: !tc.library, NeedRoute: tc.run}, "/v/p.rpl")
			var got []*lang.Diagnostic
			for _, d := range diags {
				if d.Code == lang.CodeNoRoute {
					got = append(got, d)
				} else if d.Severity == lang.SevError && tc.name != "syntax error" {
					t.Errorf("unexpected: %v", d)
				}
			}
			if tc.want == "" {
				if len(got) != 0 {
					t.Fatalf("unexpected: %v", got[0])
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("got %d RPL212 diagnostics, want 1: %v", len(got), diags)
			}
			d := got[0]
			if pos := d.Position(); pos.Filename != "/v/p.rpl" || pos.Line != 1 || pos.Col != 1 || d.Span.End != lang.Pos(len("package p")) {
				t.Errorf("at %v span %v, want the package clause /v/p.rpl:1:1", pos, d.Span)
			}
			if !strings.HasPrefix(d.Error(), "/v/p.rpl:1:1: error[RPL212]: no route function: a policy needs fn route(r: Request) -> Decision") || !strings.Contains(d.Message, tc.want) {
				t.Errorf("message %q, want one containing %q", d.Error(), tc.want)
			}
			if tc.fix == "" {
				if len(d.Fixes) != 0 || len(d.Related) != 0 {
					t.Errorf("fixes %v, related %v: want none", d.Fixes, d.Related)
				}
				return
			}
			src := tc.files["p.rpl"]
			if len(d.Fixes) != 1 || src[d.Fixes[0].Span.Start:d.Fixes[0].Span.End] != tc.fix || d.Fixes[0].NewText != "route" {
				t.Errorf("fixes %+v, want one renaming %s to route", d.Fixes, tc.fix)
			}
			if len(d.Related) != 1 || d.Related[0].Message != tc.fix+" declared here" {
				t.Errorf("related %+v", d.Related)
			}
			var b strings.Builder
			lang.PrintSnippet(&b, d, lang.Style{})
			if !strings.Contains(b.String(), "package p\n") || !strings.Contains(b.String(), "^^^^^^^^^") {
				t.Errorf("snippet:\n%s", b.String())
			}
		})
	}
}
