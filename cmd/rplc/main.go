// Command rplc is the RPL toolchain: check, fmt, test, build, keygen, eval,
// explain, disasm, doc, migrate, push and lsp.
//
// The command is thin on purpose: parsing, checking and formatting live in
// package lang, builtins in stdlib, tests and coverage in policytest,
// bundles in compiler/bundle, CP1 migration in lang/migrate, the language
// server in lsp. rplc only finds files, calls those libraries and prints
// what they return. Each subcommand is one file
// (check.go, fmt.go, …); output.go holds what they share (diagnostic
// printing, colour, paths).
//
// Exit codes, the same in every command: 0 success; 1 the input has
// errors (a key file that holds no key, a request or state file that is
// not valid among them), a file could not be read or written, or rplc
// itself failed (an internal error); 2 the command line is wrong
// (unknown flag or command, missing argument, an empty path or flag
// value, no such path, an output file that exists without --force).
package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/internal/cliflag"
	"github.com/rpl-lang/rpl/lang"
)

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// env is what a command reads from and writes to; tests substitute it.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	color          string // --color: auto, always or never
}

// run executes rplc with args (without the program name) and returns the
// exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	out := &outWriter{w: stdout}
	e := &env{stdin: stdin, stdout: out, stderr: stderr}
	root := newRootCmd(e)
	root.SetArgs(goStyleTestFlags(args))
	return execute(root, out, stderr)
}

// execute runs root and says how it ended, on one path for every
// command: what went wrong on stderr, `rplc: ` first, and the exit code.
// A wrong command line (2) is followed by a hint to the help of the
// command it was given to; output lost (a full disk, a closed pipe) is a
// failure (1), said once, whatever else went wrong.
func execute(root *cobra.Command, out *outWriter, stderr io.Writer) int {
	failuresOfRun(root)
	cmd, err := root.ExecuteC()
	werr := out.failed()
	ex := exitOf(root, cmd, err, werr)
	code := exitOK
	if ex != nil {
		code = ex.code
		if ex.err != nil {
			fmt.Fprintf(stderr, "rplc: %v\n", ex.err)
		}
	}
	// Output lost is said too when the command failed for another reason
	// (the errors a check printed to a full disk, fmt -d's diffs): its
	// exit status was right, but nothing said the diagnostics were lost.
	// Unless the command said it already.
	if werr != nil && (ex == nil || ex.err == nil || !errors.Is(ex.err, werr)) {
		fmt.Fprintf(stderr, "rplc: %v\n", werr)
		if code == exitOK {
			code = exitFail
		}
	}
	if ex != nil && ex.code == exitUsage && ex.cmd != nil {
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", ex.cmd.CommandPath())
	}
	return code
}

// exitOf is what err, returned by root.ExecuteC with cmd, amounts to: nil
// for success, else an *exitError. An error that is not one comes from
// cobra itself (a command's own errors are exitErrors, failuresOfRun sees
// to it): an unknown command or flag, a bad flag value, a wrong number of
// arguments, all usage errors of cmd; except werr, output lost, which
// cobra returns from --version and help: a failure.
func exitOf(root, cmd *cobra.Command, err, werr error) *exitError {
	if err == nil {
		return nil
	}
	if ex, ok := errors.AsType[*exitError](err); ok {
		return ex
	}
	if werr != nil && errors.Is(err, werr) {
		return &exitError{code: exitFail, err: err}
	}
	if cmd == nil {
		cmd = root
	}
	return &exitError{code: exitUsage, err: err, cmd: cmd}
}

// failuresOfRun makes an error that a command's RunE returns, and that is
// not an *exitError, a failure (exit 1) of that command: left as it was,
// it read as cobra's, a wrong command line (exit 2, with a hint to the
// usage).
func failuresOfRun(c *cobra.Command) {
	if run := c.RunE; run != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			err := run(cmd, args)
			if _, ok := errors.AsType[*exitError](err); err != nil && !ok {
				return &exitError{code: exitFail, err: err}
			}
			return err
		}
	}
	for _, sub := range c.Commands() {
		failuresOfRun(sub)
	}
}

// outWriter is standard output, remembering the first write that failed.
type outWriter struct {
	w   io.Writer
	mu  sync.Mutex // the language server writes from several goroutines
	err error
}

func (o *outWriter) Write(p []byte) (int, error) {
	n, err := o.w.Write(p)
	if err != nil {
		o.mu.Lock()
		if o.err == nil {
			o.err = err
		}
		o.mu.Unlock()
	}
	return n, err
}

func (o *outWriter) failed() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.err
}

// exitError carries an exit code out of a command. A nil err means the
// command has already said everything it had to say.
type exitError struct {
	code int
	err  error
	cmd  *cobra.Command // for usage errors: whose --help to point at
	// diags are the diagnostics that made the command fail, printed
	// already, and what they amount to ("p.rpl: 2 errors"), for a
	// --format json document (failureJSON).
	diags   lang.DiagList
	summary string
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageErrorf reports a wrong command line (exit 2).
func usageErrorf(cmd *cobra.Command, format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...), cmd: cmd}
}

// failed reports that the input had errors which were already printed
// (exit 1).
var failed = &exitError{code: exitFail}

// readError reports a file that could not be read: a path that does not
// exist is a wrong command line (exit 2), any other failure exit 1.
func readError(cmd *cobra.Command, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return usageErrorf(cmd, "%v", err)
	}
	return &exitError{code: exitFail, err: err}
}

// pathsError reports the error of expanding the paths given
// (expandTrees): one that does not exist (a *lang.NotFoundError) is a
// wrong command line (exit 2), any other failure exit 1, as readError
// reports a file's.
func pathsError(cmd *cobra.Command, err error) error {
	if nf, ok := errors.AsType[*lang.NotFoundError](err); ok {
		return usageErrorf(cmd, "%v%s", err, walkHint(nf.Path))
	}
	return &exitError{code: exitFail, err: err}
}

// walkHint is what to add to the error of a path that does not exist
// when it is Go's pattern for a directory and those under it (./...,
// policies/...), the directory existing: rplc walks the directory
// itself, and said only "./...: no such file or directory".
func walkHint(path string) string {
	dir, ok := strings.CutSuffix(path, "...")
	if !ok {
		return ""
	}
	if dir == "" {
		dir = "."
	}
	if !isDir(dir) {
		return ""
	}
	return fmt.Sprintf(" (a directory is walked recursively: name %s)", dir)
}

// writeError reports output that could not be written (exit 1).
func writeError(err error) error { return &exitError{code: exitFail, err: err} }

// internalError reports a failure of rplc itself, not of its input or its
// command line (exit 1).
func internalError(err error) error {
	return &exitError{code: exitFail, err: fmt.Errorf("internal error: %v", err)}
}

func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "rplc",
		Short: "The RPL (Router Policy Language) toolchain",
		Long: `rplc checks, formats, tests and builds RPL policies: the programs that
decide, for each request to an AI model, which provider and model serve it.

Exit status, the same for every command: 0 on success; 1 when the input has
errors (a key file that holds no key, a request or state file that is not
valid among them), a file cannot be read or written, or rplc itself fails
(an internal error); 2 for a wrong command line (unknown command or flag,
missing argument, an empty path or flag value, no such file, an output
file that exists without --force).`,
		Example: `  rplc check examples/policies
  rplc fmt -w policies/acme.rpl`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// Without a subcommand: print help, but exit 2, since nothing was done.
		// A word that is not a command is named, with the commands it
		// is close to (cobra.NoArgs, which root's RunE asks for, names
		// none: "rplc chek" did not say check).
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(s, " or "))
			}
			return errors.New(msg)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			cmd.SetOut(e.stderr)
			_ = cmd.Help()
			return &exitError{code: exitUsage}
		},
	}
	// --version: the toolchain as a bundle's manifest names it (its
	// compiler field), for a CI log to say which rplc built what.
	root.Version = bundle.CompilerVersion()
	root.SetVersionTemplate("{{.Version}}\n")
	root.Flags().Bool("version", false, "print the toolchain's version, as bundle manifests record it")
	root.PersistentFlags().StringVar(&e.color, "color", "auto", "colour diagnostics: auto (when a terminal and NO_COLOR is empty or unset), always or never")
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		switch e.color {
		case "auto", "always", "never":
		default:
			return usageErrorf(cmd, "invalid --color %q: want auto, always or never", e.color)
		}
		// Limits and times: 0 means the default, as each help says; a
		// negative one is a mistake, not the default.
		if err := cliflag.NonNegative(cmd.Flags(), "fuel", "memory", "debounce", "timeout"); err != nil {
			return usageErrorf(cmd, "invalid %v", err)
		}
		if err := noEmpty(cmd, args); err != nil {
			return err
		}
		// Every command's --format takes text or json.
		if f := cmd.Flags().Lookup("format"); f != nil {
			if v := f.Value.String(); v != "text" && v != "json" {
				return usageErrorf(cmd, "invalid --format %q: want text or json", v)
			}
		}
		return nil
	}
	root.SetFlagErrorFunc(flagError)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetIn(e.stdin)
	root.CompletionOptions.DisableDefaultCmd = true
	root.SuggestionsMinimumDistance = 2 // cobra's own, which SuggestionsFor does not apply
	// cobra's help command shows rplc's help and exits 0 for a topic that
	// names no command (root takes no arguments, so Find finds root): a
	// wrong command line, exit 2, as the same words without help are.
	root.SetHelpCommand(&cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		RunE: func(c *cobra.Command, args []string) error {
			cmd, rest, err := root.Find(args)
			if err != nil || len(rest) > 0 {
				return usageErrorf(root, "help: unknown command %q", strings.Join(args, " "))
			}
			return cmd.Help()
		},
	})
	root.AddCommand(newCheckCmd(e), newFmtCmd(e))
	root.AddCommand(newTestCmd(e), newEvalCmd(e), newExplainCmd(e), newDisasmCmd(e), newDocCmd(e))
	root.AddCommand(newBuildCmd(e), newKeygenCmd(e), newMigrateCmd(e))
	root.AddCommand(newLSPCmd(e))
	root.AddCommand(newPushCmd(e))
	root.AddCommand(newRollbackCmd(e))
	return root
}

// emptyFlags are the flags whose value names a file or a thing to use:
// given empty, as "$KEY" is when KEY is unset, they name nothing.
var emptyFlags = []string{"sign", "public-key", "nats-url", "coverprofile", "output", "request", "state", "policy", "package", "log", "version"}

// noEmpty refuses an empty path among args and an empty value of one of
// emptyFlags given on the command line (exit 2). An empty path was the
// working directory (rplc check "" checked, and fmt -w "" rewrote, every
// policy under it); an empty flag was taken as no flag: build --sign ""
// wrote an unsigned bundle and push --public-key "" pushed without the
// signature check, both exit 0, --coverprofile "" wrote no profile.
func noEmpty(cmd *cobra.Command, args []string) error {
	for _, a := range args {
		if a == "" && cmd.Name() != "help" { // help names commands, and says so
			return usageErrorf(cmd, "%s: an empty path names no file", cmd.Name())
		}
	}
	for _, name := range emptyFlags {
		f := cmd.Flags().Lookup(name)
		if f != nil && f.Changed && f.Value.Type() == "string" && f.Value.String() == "" {
			return usageErrorf(cmd, "invalid --%s \"\": empty (give a value, or leave the flag out)", name)
		}
	}
	return nil
}

// noStdin refuses the argument "-" (when no file has that name) of a
// command that reads files only: it said "-: no such file or directory",
// as if standard input were meant to work.
func noStdin(cmd *cobra.Command, args []string) error {
	for _, a := range args {
		if a == "-" {
			if _, err := os.Lstat(a); err != nil {
				return usageErrorf(cmd, "-: %s reads files, not standard input", cmd.Name())
			}
		}
	}
	return nil
}

// onlyRPL refuses a file named among args that is not a .rpl file: each
// path of check, fmt and test is a .rpl file or a directory, as their help
// says. check and fmt read any file named (a bundle, x.rplb, was reported
// as a syntax error at RPLB and lines of its bytes, exit 1); test refused
// it, exit 2. "-" is left to the command (fmt reads standard input).
func onlyRPL(cmd *cobra.Command, args []string) error {
	for _, a := range args {
		if a == "-" || strings.HasSuffix(a, ".rpl") {
			continue
		}
		if fi, err := os.Stat(a); err == nil && !fi.IsDir() {
			return usageErrorf(cmd, "%s: not a policy or test file (.rpl)", a)
		}
	}
	return nil
}

// noStdout refuses "-" as the file or directory that flag names: it
// would create a file (or directory) named "-", where "-" elsewhere means
// standard input, and standard output may have been meant.
// hint, when not empty, says how to get standard output instead.
func noStdout(cmd *cobra.Command, flag, value, hint string) error {
	if value != "-" {
		return nil
	}
	if hint == "" {
		hint = "name one; ./- if a file named - is meant"
	}
	return usageErrorf(cmd, "%s -: %s writes files, not standard output (%s)", flag, cmd.Name(), hint)
}

// flagError is what a flag that cobra cannot parse is said as, to say
// what was meant:
//
//   - a long flag misspelt (--reqest) gets the nearest of the command's
//     flags, as an unknown command gets the nearest command;
//   - a long flag written with one dash, Go's spelling (-request), was
//     read as shorthand flags, "unknown shorthand flag: 'r' in -request"
//     ("in -rite" for -write, its -w taken): it gets the flag whose name
//     is the shorthands taken and the rest (rplc test takes go test's
//     spellings itself, goStyleTestFlags);
//   - go test's -json (or --json), where the command has --format,
//     gets --format json;
//   - a value that does not parse said Go's words ("strconv.ParseInt:
//     parsing \"x\": invalid syntax", "time: missing unit in duration"):
//     it says what the flag takes, as rplc's own checks of values do
//     ("invalid --fuel -1: want a value ≥ 0").
func flagError(cmd *cobra.Command, err error) error {
	var ne *pflag.NotExistError
	var ie *pflag.InvalidValueError
	var flags []*pflag.Flag // the command's, its own and inherited
	add := func(f *pflag.Flag) { flags = append(flags, f) }
	cmd.Flags().VisitAll(add)
	cmd.InheritedFlags().VisitAll(add)
	switch {
	case errors.As(err, &ne) && cmd.Flags().Lookup("format") != nil &&
		(ne.GetSpecifiedName() == "json" || strings.Split(ne.GetSpecifiedShortnames(), "=")[0] == "json"):
		// go test's -json (or --json), for a command whose JSON is
		// --format json: no flag is near the word.
		return fmt.Errorf("%w (JSON output is --format json)", err)
	case errors.As(err, &ne) && ne.GetSpecifiedShortnames() == "":
		var names []string
		for _, f := range flags {
			names = append(names, f.Name)
		}
		if n := lang.Nearest(ne.GetSpecifiedName(), names); n != "" {
			return fmt.Errorf("%w (did you mean --%s?)", err, n)
		}
	case errors.As(err, &ne):
		// The rest of the word from the letter refused (its value
		// after = aside), after the shorthands taken before it.
		rest, _, _ := strings.Cut(ne.GetSpecifiedShortnames(), "=")
		shorthand := func(r rune) bool {
			for _, f := range flags {
				if f.Shorthand == string(r) {
					return true
				}
			}
			return false
		}
		for _, f := range flags {
			taken, ok := strings.CutSuffix(f.Name, rest)
			if !ok || len(f.Name) < 2 || strings.ContainsFunc(taken, func(r rune) bool { return !shorthand(r) }) {
				continue
			}
			return fmt.Errorf("%w (a long flag takes two dashes: --%s)", err, f.Name)
		}
	case errors.As(err, &ie):
		f, v := ie.GetFlag(), ie.GetValue()
		switch f.Value.Type() {
		case "int", "int64":
			if errors.Is(err, strconv.ErrRange) {
				return fmt.Errorf("invalid --%s %q: out of range (%d to %d)", f.Name, v, math.MinInt64, math.MaxInt64)
			}
			return fmt.Errorf("invalid --%s %q: want a whole number", f.Name, v)
		case "duration":
			return fmt.Errorf("invalid --%s %q: want a duration such as 250ms or 2s (a number with its unit)", f.Name, v)
		case "bool":
			return fmt.Errorf("invalid --%s %q: want true or false", f.Name, v)
		}
	}
	return err
}

// requirePaths is a cobra.PositionalArgs that asks for at least one path.
func requirePaths(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return usageErrorf(cmd, "%s: no paths given", cmd.Name())
	}
	return nil
}
