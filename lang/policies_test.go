package lang_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/lang"
)

// TestCheckPolicyIDs checks RPL216: the policies of one tree (files with
// a route function, their own or inherited) must have distinct ids, their
// package names; libraries and test modules have none. The first policy in
// the order of the paths has an id; each later one with it is an error on
// its package name that names the first's file relative to the tree.
func TestCheckPolicyIDs(t *testing.T) {
	u := universe(t)
	const route = "\nfn route(r: Request) -> Decision = to(\"a:b\")\n"
	tests := []struct {
		name  string
		files map[string]string // every file that is not a test file is checked
		want  []string          // the RPL216 diagnostics, d.Error() with the related file
	}{
		{
			name:  "two directories",
			files: map[string]string{"p.rpl": "package p\n" + route, "sub/p.rpl": "package p\n" + route},
			want:  []string{"sub/p.rpl:1:9: error[RPL216]: policy id p is also the package of p.rpl (policy ids must be unique) [p.rpl:1:9: policy p declared here]"},
		},
		{
			name:  "one directory",
			files: map[string]string{"a.rpl": "package p\n" + route, "b.rpl": "# the second\npackage p\n" + route},
			want:  []string{"b.rpl:2:9: error[RPL216]: policy id p is also the package of a.rpl (policy ids must be unique) [a.rpl:1:9: policy p declared here]"},
		},
		{
			name:  "three",
			files: map[string]string{"a/p.rpl": "package p\n" + route, "b/p.rpl": "package p\n" + route, "p.rpl": "package p\n" + route},
			want: []string{
				"b/p.rpl:1:9: error[RPL216]: policy id p is also the package of a/p.rpl (policy ids must be unique) [a/p.rpl:1:9: policy p declared here]",
				"p.rpl:1:9: error[RPL216]: policy id p is also the package of a/p.rpl (policy ids must be unique) [a/p.rpl:1:9: policy p declared here]",
			},
		},
		{
			name:  "distinct",
			files: map[string]string{"p.rpl": "package p\n" + route, "sub/q.rpl": "package q\n" + route},
		},
		{
			name: "a library named like a policy",
			files: map[string]string{
				"p.rpl":     "package p\n\nimport \"lib/p\" as common\n\nfn route(r: Request) -> Decision = to(common.target)\n",
				"lib/p.rpl": "package p\n\nconst target = \"a:b\"\n",
			},
		},
		{
			name: "a test module named like a policy",
			files: map[string]string{
				"p.rpl":       "package p\n" + route,
				"tests/p.rpl": "package p\n\ntest \"sums\" {\n  expect 1 + 1 == 2\n}\n",
			},
		},
		{
			name: "an inherited route",
			files: map[string]string{
				"org.rpl":      "package org\n" + route,
				"team/org.rpl": "package org\n\nextends \"../org\"\n\nconst limit = 1\n",
			},
			want: []string{"team/org.rpl:1:9: error[RPL216]: policy id org is also the package of org.rpl (policy ids must be unique) [org.rpl:1:9: policy org declared here]"},
		},
		{
			name: "a parent that is a policy too",
			files: map[string]string{
				"org.rpl":  "package org\n" + route,
				"team.rpl": "package team\n\nextends \"org\"\n",
			},
		},
		{
			name: "test files",
			files: map[string]string{
				"p.rpl":      "package p\n" + route,
				"p_test.rpl": "package p\n\ntest \"t\" {\n  expect route({}).target == \"a:b\"\n}\n",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			const root = "/tree"
			read := func(p string) ([]byte, error) {
				if rel, err := filepath.Rel(root, p); err == nil {
					if s, ok := tc.files[filepath.ToSlash(rel)]; ok {
						return []byte(s), nil
					}
				}
				return nil, os.ErrNotExist
			}
			cfg := &lang.Config{Universe: u, ReadFile: read, Policy: true}
			var names []string
			for name := range tc.files {
				if !lang.IsTestFile(name) {
					names = append(names, name)
				}
			}
			slices.Sort(names)
			var mains []*lang.Package
			for _, name := range names {
				prog, diags := lang.Check(cfg, filepath.Join(root, name))
				for _, d := range diags {
					if d.Severity == lang.SevError && d.Code != lang.CodeNoRoute {
						t.Fatalf("%s: %v", name, d)
					}
				}
				mains = append(mains, prog.Main)
			}
			show := func(ds lang.DiagList) []string {
				var out []string
				for _, d := range ds {
					if d.Code != lang.CodeDuplicateID || d.Severity != lang.SevError {
						t.Errorf("%v: code %s, severity %s", d, d.Code, d.Severity)
					}
					s := strings.TrimPrefix(d.Error(), root+"/")
					for _, r := range d.Related {
						s += " [" + strings.TrimPrefix(r.File.Position(r.Span.Start).String(), root+"/") + ": " + r.Message + "]"
					}
					out = append(out, s)
				}
				return out
			}
			got := show(lang.CheckPolicyIDs(root, mains))
			if !slices.Equal(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
			// The order of mains does not matter, nor a file given twice,
			// nor a file that did not load.
			rev := append([]*lang.Package{nil}, mains...)
			rev = append(rev, mains...)
			slices.Reverse(rev)
			if got := show(lang.CheckPolicyIDs(root+"/", rev)); !slices.Equal(got, tc.want) {
				t.Errorf("in reverse order: got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestCheckPolicyIDsRelative checks that paths relative to the tree (as
// rplc build names files) are named as they are.
func TestCheckPolicyIDsRelative(t *testing.T) {
	u := universe(t)
	const src = "package p\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n"
	root := t.TempDir()
	read := func(p string) ([]byte, error) { return []byte(src), nil }
	cfg := &lang.Config{Universe: u, ReadFile: read, Policy: true}
	a, _ := lang.Check(cfg, "p.rpl")
	b, _ := lang.Check(cfg, "sub/p.rpl")
	ds := lang.CheckPolicyIDs(root, []*lang.Package{b.Main, a.Main})
	if len(ds) != 1 || ds[0].Error() != "sub/p.rpl:1:9: error[RPL216]: policy id p is also the package of p.rpl (policy ids must be unique)" {
		t.Errorf("got %v", ds)
	}
}

// TestPolicyIDs checks the rule as the router applies it to compiled
// programs: the first policy with an id has it.
func TestPolicyIDs(t *testing.T) {
	var ids lang.PolicyIDs
	if ids.Has("p") {
		t.Error("the zero value has p")
	}
	if err := ids.Add("p", "p.rpl"); err != nil {
		t.Fatal(err)
	}
	if err := ids.Add("q", "sub/q.rpl"); err != nil {
		t.Fatal(err)
	}
	err := ids.Add("p", "sub/p.rpl")
	if err == nil || err.Error() != "policy id p is also the package of p.rpl (policy ids must be unique)" {
		t.Errorf("Add of a second p: %v", err)
	}
	err = ids.Add("p", "z.rpl")
	if err == nil || !strings.Contains(err.Error(), "package of p.rpl ") {
		t.Errorf("Add of a third p: %v (want p.rpl named, the first)", err)
	}
	if !ids.Has("p") || !ids.Has("q") || ids.Has("r") {
		t.Error("Has")
	}
}
