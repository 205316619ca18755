package main

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"

	"github.com/spf13/cobra"

	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
)

func newCheckCmd(e *env) *cobra.Command {
	var format string
	var werror bool
	cmd := &cobra.Command{
		Use:   "check PATH...",
		Short: "Type-check policies and report every diagnostic",
		Long: `Check parses and type-checks policies and prints every diagnostic. A
policy without errors is compiled as well, as 'rplc build' compiles it,
for what only that finds (RPL322: code beyond the machine's limits, such
as too deep an operand stack or too many constants).

Each PATH is a .rpl file or a directory, walked recursively for *.rpl files
(a symlink to a directory is walked through; hidden directories are
skipped). A directory holding no .rpl file is an error (RPL218), not a
pass. A
file named twice, or reached through a symlink as well (a directory and a
link to it), is checked once, under the name given first; two names for
one file within a directory walked are two files of its tree, as a router
reads it.
A policy x.rpl is checked together with its test file x_test.rpl; naming
only x_test.rpl checks the pair too. Files that other policies import or
extend are checked on their own as well; a diagnostic in a file that several
policies load is reported once.

A file that no other checked file imports or extends is a policy: it needs a
route function, its own or inherited, or tests (RPL212). A file that another
one imports or extends is a library, which needs neither.

The policies with a route function of each directory PATH, walked as 'rplc
build' and the router load it, must have distinct ids, their package names
(RPL216); files named one by one are held to it with the other files named
in their directory. Such a directory's tenant registry (tenants.json) and
price catalogue (catalogue.json), when present, are checked as 'rplc
build' and the router check them, each tenant's policy among the tree's
(RPL217).

Diagnostics go to standard output, a summary line to standard error
("ok 3 files", or "2 errors, 1 warning in 3 files").

With --format json, each diagnostic is one JSON object on its own line, with
the fields file, line, col, end_line, end_col, severity, code and message
(and related, fixes when present); lines and columns are 1-based, columns
count bytes; a diagnostic about a whole file (one that cannot be read) has
line and column 0.

` + pathsHelp + `

` + werrorHelp + ` The summary line is then "1 warning in 3
files: 1 warning failed the run (--werror)"; the JSON lines are the same.

Exit status: 0 when there is no error (warnings and info are allowed,
warnings unless --werror), 1 when there is any error, any warning with
--werror, or a directory holds no .rpl file, 2 for a wrong command line or a path that does not exist.`,
		Example: `  rplc check examples/policies
  rplc check acme.rpl acme_test.rpl
  rplc check --format json policies/ | jq -r .code`,
		Args: requirePaths,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCheck(cmd, e, args, format, werror)
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	cmd.Flags().BoolVar(&werror, "werror", false, "count warnings as errors for the exit status")
	return cmd
}

func runCheck(cmd *cobra.Command, e *env, args []string, format string, werror bool) error {
	if err := noStdin(cmd, args); err != nil {
		return err
	}
	if err := onlyRPL(cmd, args); err != nil {
		return err
	}
	pts, empty, err := expandTreesEmpty(args)
	if err != nil {
		return pathsError(cmd, err)
	}
	u, err := stdlib.Universe()
	if err != nil {
		return internalError(fmt.Errorf("standard library: %v", err))
	}
	builtins, err := stdlib.Table()
	if err != nil {
		return internalError(fmt.Errorf("standard library: %v", err))
	}
	cfg := &lang.Config{Universe: u, Policy: true, Session: lang.NewSession()} // a library is checked once, not per importer

	var set diagSet
	loaded := map[string]bool{}           // every source file read, for the summary
	var trees lang.Trees                  // what each file is: a policy, a library, a test module (lang.Trees)
	checked := map[string]lang.TreeFile{} // by policy
	catalogues := treeCatalogues(pts)
	for _, policy := range policies(treeFiles(pts)) {
		cfg.Catalogue = catalogues[policy]
		prog, diags := lang.Check(cfg, policy)
		if !diags.HasErrors() && prog.Main != nil {
			// What only a build finds (RPL322), found as it would be.
			more, err := compiler.Verify(prog, builtins)
			if err != nil {
				return internalError(fmt.Errorf("%s: %v", policy, err))
			}
			diags = append(diags, more...)
		}
		tf, diags := trees.File(policy, prog, diags) // its RPL212 is the verdicts'
		checked[policy] = tf
		read := policy
		for _, d := range diags {
			if d.Code == lang.CodeNoPolicy {
				// A test file whose policy is missing (RPL215): only the
				// test file was read.
				read = d.File.Name
			}
		}
		set.add(diags...)
		if prog != nil {
			for _, pkg := range prog.Packages {
				for _, f := range pkg.Files {
					loaded[f.File.Name] = true
				}
			}
		}
		loaded[read] = true
	}
	// A file without route is a library, a test module (refused in a
	// directory walked) or refused (RPL212); the policies of a tree have
	// distinct ids (RPL216): as rplc build and a router say.
	for _, t := range pts {
		tree := trees.Tree(t.root, !t.walked)
		for _, p := range policies(t.files) {
			tree.Add(checked[p])
		}
		if t.walked {
			d, err := treeData(t.root, tree.Policies())
			if err != nil {
				return &exitError{code: exitFail, err: err}
			}
			set.add(d...)
		}
	}
	set.add(trees.Diags()...)
	for _, dir := range empty {
		set.add(lang.NoFiles(dir))
	}

	names := newPathNamer(args...)
	ds := make(lang.DiagList, len(set.diags))
	for i, d := range set.diags {
		ds[i] = names.display(d)
	}
	ds.Sort()

	switch format {
	case "json":
		if err := printJSON(e.stdout, ds); err != nil {
			return &exitError{code: exitFail, err: err}
		}
	default:
		printText(e.stdout, ds, useColor(e.stdout, e.color))
	}
	c := countOf(ds)
	line := summary(c, len(loaded))
	if werror && c.warnings > 0 {
		line += ": " + werrorNote(c.warnings)
	}
	fmt.Fprintln(e.stderr, line)
	if ds.HasErrors() || werror && c.warnings > 0 {
		return failed
	}
	return nil
}

// policies maps .rpl files to the policies to check, each once and in
// order: a test file x_test.rpl stands for its policy x.rpl, which lang.Check
// loads together with the test file.
func policies(files []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range files {
		p := lang.PolicyOf(f)
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// treeCatalogues is, for each policy of a directory walked, the targets
// of the catalogue.json at its tree's root (bundle.TreeTargets), for the
// warning of a target it does not list (RPL221).
func treeCatalogues(pts []policyTree) map[string][]string {
	out := map[string][]string{}
	for _, t := range pts {
		if !t.walked {
			continue
		}
		targets := bundle.TreeTargets(t.root)
		for _, p := range policies(t.files) {
			out[p] = targets
		}
	}
	return out
}

// treeData checks the tenants.json and catalogue.json of the policy tree
// at root, whose policies have the ids ids, as rplc build does
// (bundle.CheckTreeData): a file refused is an error RPL217 at its place
// (bundle.DataError.Diagnostic: the byte at fault of a file that is not
// JSON, the JSON value its message names, else the file's start).
func treeData(root string, ids map[string]bool) (lang.DiagList, error) {
	_, _, err := bundle.CheckTreeData(root, func(id string) bool { return ids[id] })
	if de, ok := errors.AsType[*bundle.DataError](err); ok {
		return lang.DiagList{de.Diagnostic(filepath.Join(root, de.File))}, nil
	}
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		// A file there that cannot be read (a directory): about the
		// whole file, line 0, as a policy that cannot be read.
		return lang.DiagList{{File: lang.NewFile(pe.Path, nil), Span: lang.Span{Start: lang.NoPos, End: lang.NoPos},
			Severity: lang.SevError, Code: lang.CodeTreeData, Message: fmt.Sprintf("cannot read: %v", pe.Err)}}, nil
	}
	return nil, err
}
