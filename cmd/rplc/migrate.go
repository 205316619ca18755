package main

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rpl-lang/rpl/internal/atomicfile"
	"github.com/rpl-lang/rpl/lang/migrate"
	"github.com/spf13/cobra"
)

func newMigrateCmd(e *env) *cobra.Command {
	var outDir, pkg string
	var force bool
	cmd := &cobra.Command{
		Use:   "migrate FILE.json... [-o DIR]",
		Short: "Turn CP1 JSON routing policies into RPL",
		Long: `Migrate turns CP1 JSON routing policies into RPL policies that check, are in
the canonical layout and decide as the CP1 policies did: provider weights
(and the legacy weights map) become weighted(), fallbacks (and the legacy
fallback) .fallback() steps, sticky .sticky(), pre/validators/post the
extension pipeline, and the circuit breaker health checks. A header comment
names the source file, says where the RPL policy differs (a policy_id that
is not a package name, a status widened to every 5xx, sticky sessions that
CP1 requests cannot carry) and lists the CP1 settings that are not carried
over, which neither the policy nor the router enforces (backoff growth, caps
and jitter, breaker thresholds and cooldowns, rate limits, extension
configuration). Each of these is also a warning on standard error, naming
its JSON path. The mapping is documented in package lang/migrate.

The RPL source goes to standard output, or with -o DIR to DIR/NAME.rpl,
where NAME is the package name: the policy_id, or the file's base name, made
an identifier (--package overrides it for a single file). A name ending in
_test gets a _policy suffix: NAME_test.rpl would be a test file. A
DIR/NAME.rpl that exists already is not replaced without --force: migrate
then names it and writes nothing.

` + outputHelp + `

An unknown or invalid field is an error naming its line and column (of
its value, or of the object that lacks it) and its JSON path, for example
  policy.json:12:20: fallbacks[1].backoff.base_ms: want a non-negative integer, have -5
A file that is not JSON, or holds text read as U+FFFD (a byte that is not
UTF-8, half a UTF-16 surrogate pair), is one error at the byte at fault
(policy.json:3:7: invalid JSON: invalid character ...), and each warning
is placed as an error is (policy.json:2:17: warning: policy_id: ...).
Every error of every file is reported, however many, in the order of
their places in the file, and so are a file's warnings. A key given twice in
one object is an error too, reported alone: the others would depend on
which of its values was meant.

Exit status: 0 when every file was migrated, 1 when a file has errors or an
output could not be written, 2 for a wrong command line, a missing file or
an existing output without --force.`,
		Example: `  rplc migrate cp1/chat.json
  rplc migrate -o policies/ cp1/*.json
  rplc migrate --package acme_chat -o policies/ cp1/chat.json`,
		Args: requirePaths,
		RunE: func(cmd *cobra.Command, args []string) error {
			// A file named twice (or through a symlink as well) is
			// migrated once: it was its own duplicate policy.
			args = uniqueFiles(args)
			// A directory is a wrong command line, as a file is to
			// build and a directory to eval: it failed with exit 1,
			// "cp1: is a directory", and nothing migrated.
			for _, a := range args {
				if isDir(a) {
					return usageErrorf(cmd, "%s is a directory: migrate takes CP1 policy files (FILE.json; %s/*.json for those it holds)", a, strings.TrimSuffix(a, "/"))
				}
			}
			if err := noStdout(cmd, "-o", outDir, "without -o it prints the policies"); err != nil {
				return err
			}
			if fi, err := os.Stat(outDir); outDir != "" && err == nil && !fi.IsDir() {
				// As build -o naming a directory: the other way round.
				return usageErrorf(cmd, "-o %s is a file: name the directory to write NAME.rpl files to", outDir)
			}
			if force && outDir == "" {
				return usageErrorf(cmd, "--force replaces the files of -o DIR, and there is no -o: the policies go to standard output")
			}
			if pkg != "" && len(args) > 1 {
				return usageErrorf(cmd, "--package names one policy, and %d files were given", len(args))
			}
			if strings.HasSuffix(pkg, "_test") {
				return usageErrorf(cmd, "--package %q ends in _test, which names a test file, not a policy (try %s)", pkg, migrate.PackageName(pkg))
			}
			if pkg != "" && migrate.PackageName(pkg) != pkg {
				return usageErrorf(cmd, "--package %q is not a package name (try %s)", pkg, migrate.PackageName(pkg))
			}
			return runMigrate(cmd, e, args, outDir, pkg, force)
		},
	}
	cmd.Flags().StringVarP(&outDir, "output", "o", "", "write DIR/NAME.rpl files instead of printing the source")
	cmd.Flags().BoolVar(&force, "force", false, "with -o, replace existing DIR/NAME.rpl files (through a symlink, the file it names)")
	cmd.Flags().StringVar(&pkg, "package", "", "the package name of the migrated policy (one file only)")
	return cmd
}

func runMigrate(cmd *cobra.Command, e *env, args []string, outDir, pkg string, force bool) error {
	if err := noStdin(cmd, args); err != nil {
		return err
	}
	inputs := make([][]byte, len(args))
	for i, a := range args {
		data, err := os.ReadFile(a)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return usageErrorf(cmd, "%s: no such file or directory", a)
			}
			return &exitError{code: exitFail, err: unwrapPath(err)}
		}
		inputs[i] = data
	}
	bad := false
	printed := false // a policy is on standard output
	type output struct {
		from, file string // the CP1 file, the RPL file to write
		src        []byte
	}
	var outs []output
	written := map[string]string{} // output file → its source
	for i, a := range args {
		// errs reports the errors of a policy that cannot be migrated.
		errs := func(err error) {
			bad = true
			var list migrate.ErrorList
			if !errors.As(err, &list) {
				fmt.Fprintf(e.stderr, "%s: internal error: %v\n", a, err)
				return
			}
			for _, le := range list {
				if le.Line == 0 {
					le.Place(inputs[i]) // Generate's errors
				}
				if le.Line > 0 {
					fmt.Fprintf(e.stderr, "%s:%d:%d: %v\n", a, le.Line, le.Col, le)
				} else {
					fmt.Fprintf(e.stderr, "%s: %v\n", a, le)
				}
			}
		}
		pol, err := migrate.Parse(inputs[i])
		if err != nil {
			errs(err)
			continue
		}
		opts := migrate.Options{Source: filepath.ToSlash(a), Package: pkg}
		opts.Package = migrate.Package(pol, opts)
		src, err := migrate.Generate(pol, opts)
		if err != nil {
			errs(err)
			continue
		}
		// Placed as its errors are, at the value its path names, and
		// listed as they are, in the order of their places in the file
		// (they come in the order of the checks), one not placed last.
		warns := migrate.Warnings(pol, opts)
		for j := range warns {
			warns[j].Place(inputs[i])
		}
		slices.SortStableFunc(warns, func(a, b migrate.Warning) int {
			if (a.Line == 0) != (b.Line == 0) {
				return cmp.Compare(b.Line, a.Line) // a placed one first
			}
			return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
		})
		for _, w := range warns {
			if w.Line > 0 {
				fmt.Fprintf(e.stderr, "%s:%d:%d: warning: %v\n", a, w.Line, w.Col, w)
			} else {
				fmt.Fprintf(e.stderr, "%s: warning: %v\n", a, w)
			}
		}
		if outDir == "" {
			if printed {
				fmt.Fprintln(e.stdout)
			}
			e.stdout.Write(src)
			printed = true
			continue
		}
		out := filepath.Join(outDir, opts.Package+".rpl")
		if prev, dup := written[out]; dup {
			bad = true
			msg := fmt.Sprintf("policy %s is also migrated from %s; give one of them another policy_id", opts.Package, prev)
			if pkg == "" && pol.ID != "" {
				// The name is its policy_id's: placed there, as an
				// error about a field is.
				le := &migrate.Error{Path: "policy_id", Msg: msg}
				le.Place(inputs[i])
				fmt.Fprintf(e.stderr, "%s:%d:%d: %v\n", a, le.Line, le.Col, le)
			} else {
				fmt.Fprintf(e.stderr, "%s: %s\n", a, msg)
			}
			continue
		}
		written[out] = a
		outs = append(outs, output{a, out, src})
	}
	if len(outs) > 0 {
		// A directory where a policy goes is not replaced, with --force
		// or without: --force said "out/x.rpl: file exists", and without
		// it --force was suggested.
		for _, o := range outs {
			if isDir(o.file) {
				return usageErrorf(cmd, "%s is a directory, where the policy migrated from %s goes; nothing was written", o.file, o.from)
			}
		}
		// Files there already, a policy written by hand perhaps, are not
		// replaced without --force: nothing is written, and the command
		// line must change (as keygen's -o).
		if !force {
			var exist []string
			for _, o := range outs {
				if _, err := os.Lstat(o.file); err == nil {
					exist = append(exist, o.file)
				}
			}
			switch len(exist) {
			case 0:
			case 1:
				return usageErrorf(cmd, "%s exists (--force overwrites it); nothing was written", exist[0])
			default:
				return usageErrorf(cmd, "%s exist (--force overwrites them); nothing was written", strings.Join(exist, ", "))
			}
		}
		if err := os.MkdirAll(outDir, 0o755); err != nil {
			return &exitError{code: exitFail, err: unwrapPath(err)}
		}
	}
	for _, o := range outs {
		var err error
		if force {
			err = writeOutput(o.file, o.src)
		} else if err = atomicfile.WriteNew(o.file, o.src, 0o644); errors.Is(err, fs.ErrExist) {
			// Made meanwhile.
			err = fmt.Errorf("%s exists (--force overwrites it)", o.file)
		}
		if err != nil {
			bad = true
			fmt.Fprintf(e.stderr, "%v\n", unwrapPath(err))
			continue
		}
		fmt.Fprintf(e.stdout, "%s -> %s\n", o.from, o.file)
	}
	if bad {
		return failed
	}
	return nil
}
