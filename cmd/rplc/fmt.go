package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/rpl-lang/rpl/internal/atomicfile"
	"github.com/rpl-lang/rpl/lang"
	"github.com/spf13/cobra"
)

func newFmtCmd(e *env) *cobra.Command {
	var write, check, diff bool
	cmd := &cobra.Command{
		Use:   "fmt [-w | --check | -d] PATH...",
		Short: "Format policies in the canonical layout",
		Long: `Fmt formats policies in RPL's one canonical layout (see lang.Format).

Each PATH is a .rpl file or a directory, walked recursively for *.rpl files
(test files included; a file named twice or reached through a symlink as
well is formatted once); "-" formats standard input. By default the formatted
source of each file is printed to standard output. With -w, files whose
layout changes are rewritten in place (a read-only one is reported, not
rewritten). With --check, nothing is written: the
files that are not formatted are listed, and the exit status is 1 if there
are any. With -d (--diff), nothing is written either: each file that is not
formatted is shown as a unified diff from its text to its formatted text,
and the exit status is 1 if there are any.

A file with syntax errors is not formatted: its diagnostics are printed to
standard error and the exit status is 1. So is a directory holding no .rpl
file, the error RPL218 as rplc check reports it; the other paths are
formatted all the same.`,
		Example: `  rplc fmt acme.rpl
  rplc fmt -w examples/policies
  rplc fmt --check .
  rplc fmt -d policies/`,
		Args: requirePaths,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runFmt(cmd, e, args, write, check, diff)
		},
	}
	cmd.Flags().BoolVarP(&write, "write", "w", false, "rewrite files in place when their layout changes")
	cmd.Flags().BoolVar(&check, "check", false, "list unformatted files and exit 1 if there are any")
	cmd.Flags().BoolVarP(&diff, "diff", "d", false, "show the changes as unified diffs and exit 1 if there are any")
	cmd.MarkFlagsMutuallyExclusive("write", "check", "diff")
	return cmd
}

func runFmt(cmd *cobra.Command, e *env, args []string, write, check, diff bool) error {
	if err := onlyRPL(cmd, args); err != nil {
		return err
	}
	names := newPathNamer(args...)
	var files []string
	var noRPL lang.DiagList // directories named that hold no .rpl file
	stdin := false
	for _, a := range args {
		if a == "-" {
			if write {
				return usageErrorf(cmd, "cannot use -w with standard input")
			}
			if !stdin {
				// Standard input in its place among the files ("" is
				// no path: noEmpty refuses it), as -d and --check list
				// them: it came first whatever the order.
				files = append(files, "")
			}
			stdin = true
			continue
		}
		ts, empty, err := expandTreesEmpty([]string{a})
		if err != nil {
			return pathsError(cmd, err)
		}
		files = append(files, treeFiles(ts)...)
		for _, dir := range empty {
			// The error RPL218, as rplc check reports it; the other
			// paths are formatted all the same.
			noRPL = append(noRPL, names.display(lang.NoFiles(dir)))
		}
	}

	bad := len(noRPL) > 0 // syntax errors, unreadable or unwritable files, unformatted files under --check, directories without .rpl files
	color := useColor(e.stderr, e.color)
	printText(e.stderr, noRPL, color)
	one := func(display string, src []byte, path string) {
		out, err := lang.FormatSource(display, src)
		if err != nil {
			bad = true
			var dl lang.DiagList
			if errors.As(err, &dl) {
				printText(e.stderr, dl, color)
			} else {
				fmt.Fprintf(e.stderr, "%s: %v\n", display, err)
			}
			return
		}
		changed := !bytes.Equal(out, src)
		switch {
		case check:
			if changed {
				bad = true
				fmt.Fprintln(e.stdout, display)
			}
		case diff:
			if changed {
				bad = true
				unifiedDiff(e.stdout, display, src, out)
			}
		case write:
			if changed {
				if err := writeFileAtomic(path, out); err != nil {
					bad = true
					fmt.Fprintf(e.stderr, "rplc: %s: %v\n", display, bareError(err))
				}
			}
		default:
			if _, err := e.stdout.Write(out); err != nil {
				bad = true
				fmt.Fprintf(e.stderr, "rplc: %v\n", err)
			}
		}
	}

	seen := map[string]bool{} // files formatted, symlinks resolved: each once
	for _, f := range files {
		if f == "" {
			src, err := io.ReadAll(e.stdin)
			if err != nil {
				return &exitError{code: exitFail, err: err}
			}
			one("<stdin>", src, "")
			continue
		}
		r := realPath(f)
		if seen[r] {
			continue
		}
		seen[r] = true
		display := names.name(f)
		src, err := lang.ReadFile(f)
		if err != nil {
			bad = true
			fmt.Fprintf(e.stderr, "rplc: %s: %v\n", display, bareError(err))
			continue
		}
		one(display, src, f)
	}
	if bad {
		return failed
	}
	return nil
}

// errReadOnly is writeFileAtomic's refusal of a file without write
// permission.
var errReadOnly = errors.New("file is read-only (no write permission): not rewritten")

// writeFileAtomic replaces path with data, keeping its permissions, so
// that a crash never leaves a half-written policy (atomicfile.Write). A
// read-only file is refused (errReadOnly).
func writeFileAtomic(path string, data []byte) error {
	// Through a symbolic link, the file it names is formatted: renaming
	// over the link would replace it with a copy and leave the file as it
	// was.
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	// The rename would replace a file nobody may write (and root may
	// write any): a read-only file is left alone, as an editor leaves it.
	if fi.Mode().Perm()&0o222 == 0 {
		return errReadOnly
	}
	return atomicfile.Write(path, data, fi.Mode().Perm())
}
