package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rpl-lang/rpl/lang/migrate"
	"github.com/spf13/cobra"
)

func newMigrateCmd(e *env) *cobra.Command {
	var outDir, pkg string
	cmd := &cobra.Command{
		Use:   "migrate FILE.json... [-o DIR]",
		Short: "Turn CP1 JSON routing policies into RPL",
		Long: `Migrate turns CP1 JSON routing policies into RPL policies that check, are in
the canonical layout and decide as the CP1 policies did: provider weights
(and the legacy weights map) become weighted(), fallbacks (and the legacy
fallback) .fallback() steps, sticky .sticky(), pre/validators/post the
extension pipeline, and the circuit breaker health checks. A header comment
names the source file and says what the router, not the policy, enforces
(backoff growth and jitter, breaker thresholds, rate limits). The mapping is
documented in package lang/migrate.

The RPL source goes to standard output, or with -o DIR to DIR/NAME.rpl,
where NAME is the package name: the policy_id, or the file's base name, made
an identifier (--package overrides it for a single file).

An unknown or invalid field is an error naming its JSON path, for example
  policy.json: fallbacks[1].backoff.base_ms: want a non-negative integer, have -5
Every error of every file is reported.

Exit status: 0 when every file was migrated, 1 when a file has errors or an
output could not be written, 2 for a wrong command line or a missing file.`,
		Example: `  rplc migrate cp1/chat.json
  rplc migrate -o policies/ cp1/*.json
  rplc migrate --package acme_chat -o policies/ cp1/chat.json`,
		Args: requirePaths,
		RunE: func(cmd *cobra.Command, args []string) error {
			if pkg != "" && len(args) > 1 {
				return usageErrorf(cmd, "--package names one policy, and %d files were given", len(args))
			}
			if pkg != "" && migrate.PackageName(pkg) != pkg {
				return usageErrorf(cmd, "--package %q is not a package name (try %s)", pkg, migrate.PackageName(pkg))
			}
			return runMigrate(cmd, e, args, outDir, pkg)
		},
	}
	cmd.Flags().StringVarP(&outDir, "output", "o", "", "write DIR/NAME.rpl files instead of printing the source")
	cmd.Flags().StringVar(&pkg, "package", "", "the package name of the migrated policy (one file only)")
	return cmd
}

func runMigrate(cmd *cobra.Command, e *env, args []string, outDir, pkg string) error {
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
	if outDir != "" {
		if err := os.MkdirAll(outDir, 0o755); err != nil {
			return &exitError{code: exitFail, err: unwrapPath(err)}
		}
	}
	bad := false
	written := map[string]string{} // output file → its source
	for i, a := range args {
		var pol *migrate.Policy
		pol, err := migrate.Parse(inputs[i])
		if err != nil {
			bad = true
			var list migrate.ErrorList
			if errors.As(err, &list) {
				for _, le := range list {
					fmt.Fprintf(e.stderr, "%s: %v\n", a, le)
				}
			} else {
				fmt.Fprintf(e.stderr, "%s: %v\n", a, err)
			}
			continue
		}
		opts := migrate.Options{Source: filepath.ToSlash(a), Package: pkg}
		if opts.Package == "" {
			if pol.ID != "" {
				opts.Package = migrate.PackageName(pol.ID)
			} else {
				opts.Package = migrate.PackageName(trimExt(filepath.Base(a)))
			}
		}
		src, err := migrate.Generate(pol, opts)
		if err != nil {
			bad = true
			fmt.Fprintf(e.stderr, "%s: internal error: %v\n", a, err)
			continue
		}
		if outDir == "" {
			if i > 0 {
				fmt.Fprintln(e.stdout)
			}
			e.stdout.Write(src)
			continue
		}
		out := filepath.Join(outDir, opts.Package+".rpl")
		if prev, dup := written[out]; dup {
			bad = true
			fmt.Fprintf(e.stderr, "%s: policy %s is also migrated from %s; give one of them another policy_id\n", a, opts.Package, prev)
			continue
		}
		if err := writeOutput(out, src); err != nil {
			bad = true
			fmt.Fprintf(e.stderr, "%v\n", unwrapPath(err))
			continue
		}
		written[out] = a
		fmt.Fprintf(e.stdout, "%s -> %s\n", a, out)
	}
	if bad {
		return failed
	}
	return nil
}

func trimExt(name string) string { return name[:len(name)-len(filepath.Ext(name))] }
