package main

import (
	"crypto/ed25519"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/internal/atomicfile"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/policytest"
	"github.com/rpl-lang/rpl/vm"
	"github.com/spf13/cobra"
)

func newBuildCmd(e *env) *cobra.Command {
	var out, key, format string
	var skipTests, werror bool
	cmd := &cobra.Command{
		Use:   "build DIR -o FILE.rplb",
		Short: "Compile a directory of policies into a bundle",
		Long: `Build compiles every policy under DIR into one bundle (.rplb), the unit a
router loads: a manifest (policy ids, source files and their sha256, entry
points, tests, static cost bounds, compiler version, build time), the
compiled programs, DIR/catalogue.json when present (provider prices and
latencies), DIR/tenants.json when present (the tenant registry: tiers,
parents, policies, budgets; a tenant's policy must be in the bundle), and
with --sign an ed25519 signature. spec/bundle.md describes
the format.

A policy is a .rpl file under DIR (test files aside) with a route function,
its own or inherited; its id is its package name. Files without route must
be libraries, imported or extended by a policy. A DIR holding no .rpl file
is the error RPL218, as for rplc check.

Build refuses to write a bundle when a policy has errors or one of the
policies' tests fails; the tests run against the compiled program, with an
empty test state. --skip-tests builds anyway without running them, and the
manifest records it.

` + werrorHelp + ` No bundle is written then: the summary
says "build failed: 1 warning (--werror)", its JSON form has ok false and
that error.

The bundle's version is the sha256 of the file: the router names it in every
decision. The build time comes from SOURCE_DATE_EPOCH when it is set, so
that builds are reproducible. Keys for --sign are PEM (PKCS #8) files as
written by 'rplc keygen' or 'openssl genpkey -algorithm ed25519', or raw
32-byte seeds (the 32 bytes, or 64 hex digits).

` + outputHelp + `

The summary goes to standard output, diagnostics and failures to standard
error. With --format json the summary is one JSON document, printed also
when the build fails: ok, error (why it failed), file, version, size,
signed, key_id, tests_run, skipped (of those run, the tests that called
testing.skip: not failed, as in rplc test), tests_skipped (--skip-tests),
policies and failures (each a list, [] when none: the policies
built, the failed tests: policy, test, where the test is declared, test_file, test_line and
test_col, and where it failed, file, line, col, with code, message and
the stack of an error that is not a failed expect, as rplc test
--format json gives them),
catalogue_models, tenants and diagnostics: the warnings, and the
errors that failed the build, as rplc check --format json prints them
(file, line, col, end_line, end_col, severity, code, message).

Exit status: 0 when the bundle was written, 1 when the policies have errors
(or warnings, with --werror) or failing tests, or the --sign key cannot be read or holds no private key,
2 for a wrong command line (a DIR or key file that does not exist, a
--sign key that is a directory, an -o in a directory that does not exist
or is not one, an -o that names an input of the build: a policy source, the --sign key, the
tree's tenants.json or catalogue.json).`,
		Example: `  rplc build examples/policies -o policies.rplb
  rplc build --sign release.key -o policies.rplb policies/
  rplc build --skip-tests --format json -o dev.rplb policies/`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf(cmd, "build: want one directory, have %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			// "-" says that build reads a directory, not standard
			// input, as check says: it said "-: no such file or directory".
			if err := noStdin(cmd, args); err != nil {
				return err
			}
			if out == "" {
				return usageErrorf(cmd, "build: no output file (-o FILE.rplb)")
			}
			if err := noStdout(cmd, "-o", out, ""); err != nil {
				return err
			}
			if namesPolicy(out) {
				// A slip for .rplb would replace a policy's source.
				return usageErrorf(cmd, "build: -o %s names a policy source, which the bundle would replace (name it FILE.rplb)", out)
			}
			if err := outFileError(cmd, "build: ", "-o", out, "bundle file (FILE.rplb)"); err != nil {
				return err
			}
			if err := notDir(cmd, "build: --sign", key, "private key file"); err != nil {
				return err
			}
			// Nor an input of the build: the bundle replaced the
			// private key it was signed with, or the tenant registry
			// or price catalogue it carries.
			if key != "" && sameFile(out, key) {
				return usageErrorf(cmd, "build: -o %s is the --sign key, which the bundle would replace (name it FILE.rplb)", out)
			}
			for _, data := range []string{"tenants.json", "catalogue.json"} {
				if sameFile(out, filepath.Join(args[0], data)) {
					return usageErrorf(cmd, "build: -o %s is the tree's %s, which the bundle would replace (name it FILE.rplb)", out, data)
				}
			}
			return runBuild(cmd, e, args[0], out, key, format, skipTests, werror)
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "the bundle file to write")
	cmd.Flags().StringVar(&key, "sign", "", "sign the bundle with the ed25519 private key in this file")
	cmd.Flags().BoolVar(&skipTests, "skip-tests", false, "do not run the policies' tests (recorded in the manifest)")
	cmd.Flags().BoolVar(&werror, "werror", false, "count warnings as errors: write no bundle when there is any")
	cmd.Flags().StringVar(&format, "format", "text", "summary format: text or json")
	return cmd
}

// buildSummary is the --format json output of build.
type buildSummary struct {
	OK           bool   `json:"ok"`
	Error        string `json:"error,omitempty"`
	File         string `json:"file,omitempty"`
	Version      string `json:"version,omitempty"`
	Size         int    `json:"size,omitempty"`
	Signed       bool   `json:"signed"`
	KeyID        string `json:"key_id,omitempty"`
	TestsRun     int    `json:"tests_run"`
	Skipped      int    `json:"skipped"` // of TestsRun, those that called testing.skip
	TestsSkipped bool   `json:"tests_skipped"`
	// Policies and Failures are always there, [] when none (a failed
	// build's policies, a good build's failures), so that a CI script
	// reads both without asking whether they are.
	Policies  []buildPolicy  `json:"policies"`
	Failures  []buildFailure `json:"failures"`
	Catalogue int            `json:"catalogue_models,omitempty"`
	Tenants   int            `json:"tenants,omitempty"`
	// Diagnostics are the build's warnings, and its errors when it
	// failed on them, as rplc check --format json prints them.
	Diagnostics []jsonDiag `json:"diagnostics"`
}

type buildPolicy struct {
	ID        string `json:"id"`
	File      string `json:"file"`
	Tests     int    `json:"tests"`
	CostBound int64  `json:"cost_bound"`
	Bounded   bool   `json:"bounded"`
	Unbounded string `json:"unbounded,omitempty"` // why there is no bound
}

type buildFailure struct {
	Policy string `json:"policy"`
	Test   string `json:"test"`
	// TestFile, TestLine and TestCol are where the test is declared,
	// which finds it whatever its name ("" too), as rplc test
	// --format json places its tests; File, Line and Col are where it
	// failed.
	TestFile string `json:"test_file"`
	TestLine int    `json:"test_line"`
	TestCol  int    `json:"test_col"`
	File     string `json:"file"`
	Line     int    `json:"line"`
	Col      int    `json:"col"`
	Code     string `json:"code,omitempty"`
	Message  string `json:"message"`
	// Stack is the policy call stack of an error that is not a failed
	// expect, innermost first, as in rplc test --format json.
	Stack []jsonFrame `json:"stack,omitempty"`
}

func runBuild(cmd *cobra.Command, e *env, dir, out, keyFile, format string, skipTests, werror bool) error {
	if out != "" && stdStream(out) == os.Stdout {
		// -o /dev/stdout (redirected, piped): the bundle is standard
		// output's, and the summary goes to standard error; after the
		// bundle, it made a file no router takes.
		se := *e
		se.stdout = e.stderr
		e = &se
	}
	fi, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return usageErrorf(cmd, "%s: no such file or directory%s", dir, walkHint(dir))
		}
		return &exitError{code: exitFail, err: err}
	}
	if !fi.IsDir() {
		return usageErrorf(cmd, "%s: not a directory", dir)
	}
	opts := bundle.BuildOptions{SkipTests: skipTests}
	if keyFile != "" {
		// A key file that does not exist is a wrong command line (2); one
		// that cannot be read or holds no private key is a failure (1), as
		// for push and rollback --public-key.
		data, err := os.ReadFile(keyFile)
		if err != nil {
			err = readError(cmd, fmt.Errorf("--sign: %w", unwrapPath(err)))
		} else if opts.Key, err = bundle.ParsePrivateKey(data); err != nil {
			err = &exitError{code: exitFail, err: fmt.Errorf("--sign %s: %v%s", keyFile, err, publicKeyHint(keyFile, data))}
		}
		if err != nil {
			if ex, ok := errors.AsType[*exitError](err); ok && ex.code == exitFail && format == "json" {
				writeJSON(e.stdout, buildSummary{Error: ex.err.Error(), TestsSkipped: skipTests, Policies: []buildPolicy{}, Failures: []buildFailure{}, Diagnostics: []jsonDiag{}})
			}
			return err
		}
	}
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		// A manifest's time is RFC 3339: years 0 to 9999.
		if err != nil || n < -62167219200 || n > 253402300799 {
			return usageErrorf(cmd, "SOURCE_DATE_EPOCH=%q: want Unix seconds of a year from 0 to 9999", s)
		}
		opts.Built = time.Unix(n, 0)
		// The first second of year 1 is Go's zero time: Build took it for
		// no time given and wrote the time of the build, and a manifest
		// reads it as an unknown build time (spec/bundle.md).
		if opts.Built.IsZero() {
			return usageErrorf(cmd, "SOURCE_DATE_EPOCH=%q: 0001-01-01T00:00:00Z, which a bundle manifest reads as an unknown build time", s)
		}
	}

	res, berr := bundle.Build(dir, opts)
	root, _ := filepath.Abs(dir)
	names := newPathNamer(dir)
	display := func(file string) string {
		if file == "" || filepath.IsAbs(file) {
			return names.name(file)
		}
		return names.name(filepath.Join(root, filepath.FromSlash(file)))
	}
	sum := buildSummary{TestsSkipped: skipTests, Policies: []buildPolicy{}, Failures: []buildFailure{}, Diagnostics: []jsonDiag{}}
	if res != nil {
		// Diagnostics name files relative to DIR; show them relative to
		// the working directory, like check does.
		ds := make(lang.DiagList, len(res.Diags))
		for i, d := range res.Diags {
			c := *d
			if d.File != nil {
				c.File = lang.NewFile(display(d.File.Name), d.File.Src)
			}
			c.Related = nil
			for _, r := range d.Related {
				if r.File != nil {
					r.File = lang.NewFile(display(r.File.Name), r.File.Src)
				}
				c.Related = append(c.Related, r)
			}
			ds[i] = &c
		}
		printText(e.stderr, ds, useColor(e.stderr, e.color))
		sum.Diagnostics = jsonDiags(ds)
		sum.TestsRun, sum.Skipped = res.Tests, res.Skipped
		for _, f := range res.Failures {
			// A test goes on after a failed expect: the first failure
			// carries the others of the same run (Also), each reported,
			// as rplc test reports them.
			var ve *vm.Error
			errs := []*vm.Error{nil}
			if errors.As(f.Err, &ve) {
				errs = append([]*vm.Error{ve}, ve.Also...)
			}
			for _, ve := range errs {
				tf := display(f.Test.File)
				bf := buildFailure{Policy: f.Policy, Test: f.Test.Name, TestFile: tf, TestLine: f.Test.Line, TestCol: f.Test.Col,
					File: tf, Line: f.Test.Line, Col: f.Test.Col, Message: f.Err.Error()}
				suffix := "" // the code of an error that is not a failed expect
				if ve != nil {
					suffix = vm.CodeSuffix(ve.Code)
					bf.Code, bf.Message = string(ve.Code), ve.Msg
					if len(ve.Stack) > 0 {
						// Point at the failing expect, or where the error
						// happened, rather than the test, as rplc test does.
						top := ve.Stack[0]
						bf.File, bf.Line, bf.Col = display(top.File), top.Line, top.Col
					}
					if suffix != "" {
						// And its policy call stack, as rplc test's.
						bf.Stack = jsonStack(ve.Stack, display)
					}
				}
				sum.Failures = append(sum.Failures, bf)
				// On standard error whatever the summary's format, as
				// the diagnostics are (the help says so). Named as rplc
				// test names it, the empty name too, with the code of an
				// error that is not a failed expect, and its stack the
				// same (a test's frame is test "NAME", not its entry
				// test:NAME); its message as rplc test shows it too,
				// quoted when it holds a line end or a terminal's escape.
				fmt.Fprintf(e.stderr, "%s:%d:%d: %s (%s) failed: %s%s\n", bf.File, bf.Line, bf.Col, vm.TestLabel(f.Test.Name, display(f.Test.File), f.Test.Line), bf.Policy, policytest.Printable(bf.Message), suffix)
				if suffix != "" {
					vm.WriteStack(e.stderr, "    ", ve.Stack, display) // as rplc test and eval indent it
				}
			}
		}
	}
	if berr == nil && werror && countOf(res.Diags).warnings > 0 {
		berr = errWarnings
	}
	if berr != nil {
		msg := berr.Error()
		switch {
		case errors.Is(berr, bundle.ErrCheckFailed):
			msg = "build failed: " + countOf(res.Diags).errorsNotShown()
		case errors.Is(berr, errWarnings):
			msg = "build failed: " + plural(countOf(res.Diags).warnings, "warning") + " (--werror)"
		case errors.Is(berr, bundle.ErrTestsFailed):
			msg = fmt.Sprintf("build failed: %d of %d tests failed (--skip-tests builds anyway)", len(res.Failures), res.Tests)
		case errors.As(berr, new(*bundle.DataError)):
			// Shown above at its place (res.Diags), as a policy's are.
			msg = "build failed: 1 error"
		default:
			if pe, ok := errors.AsType[*fs.PathError](berr); ok {
				// A file of the tree: named as the diagnostics name theirs.
				msg = fmt.Sprintf("%s: %v", display(pe.Path), pe.Err)
			}
			msg = "build failed: " + msg
		}
		sum.Error = msg
		if format == "json" {
			writeJSON(e.stdout, sum)
			return failed
		}
		fmt.Fprintln(e.stderr, msg)
		return failed
	}

	if err := writeOutput(out, res.Data); err != nil {
		if format == "json" {
			sum.Error = err.Error()
			writeJSON(e.stdout, sum)
		}
		return &exitError{code: exitFail, err: err}
	}
	b := res.Bundle
	sum.OK, sum.File, sum.Version, sum.Size = true, out, b.Version(), b.Size
	sum.Signed, sum.KeyID = b.Signed, b.KeyID
	if b.Catalogue != nil {
		sum.Catalogue = len(b.Catalogue.Models)
	}
	if b.Tenants != nil {
		sum.Tenants = len(b.Tenants.Tenants)
	}
	for _, p := range b.Policies {
		sum.Policies = append(sum.Policies, buildPolicy{ID: p.ID, File: display(p.File), Tests: len(p.Tests), CostBound: p.CostBound, Bounded: p.Bounded, Unbounded: res.Unbounded[p.ID]})
	}
	if format == "json" {
		writeJSON(e.stdout, sum)
		return nil
	}
	printBuildSummary(e.stdout, sum)
	return nil
}

// errWarnings fails a build with --werror whose policies have warnings.
var errWarnings = errors.New("warnings (--werror)")

func printBuildSummary(w io.Writer, s buildSummary) {
	ps := s.Policies
	width := 0
	for _, p := range ps {
		width = max(width, len(p.ID))
	}
	for _, p := range ps {
		bound := fmt.Sprintf("cost bound %d", p.CostBound)
		if !p.Bounded {
			bound = "no static cost bound"
			if p.Unbounded != "" {
				bound += " (" + p.Unbounded + ")"
			}
		}
		fmt.Fprintf(w, "  %-*s  %-8s  %s\n", width, p.ID, plural(p.Tests, "test"), bound)
	}
	var parts []string
	parts = append(parts, policyCount(len(ps)))
	switch {
	case s.TestsSkipped:
		parts = append(parts, "tests skipped")
	default:
		parts = append(parts, plural(s.TestsRun-s.Skipped, "test")+" passed")
		if s.Skipped > 0 {
			parts = append(parts, fmt.Sprintf("%d skipped", s.Skipped))
		}
	}
	if s.Catalogue > 0 {
		parts = append(parts, fmt.Sprintf("catalogue of %s", plural(s.Catalogue, "model")))
	}
	if s.Tenants > 0 {
		parts = append(parts, plural(s.Tenants, "tenant"))
	}
	parts = append(parts, fmt.Sprintf("%d bytes", s.Size))
	if s.Signed {
		parts = append(parts, "signed by key "+s.KeyID)
	} else {
		parts = append(parts, "unsigned")
	}
	fmt.Fprintf(w, "wrote %s: %s\n", s.File, strings.Join(parts, ", "))
	fmt.Fprintf(w, "version %s\n", s.Version)
}

func writeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// writeOutput writes data to path, the file named by build -o, migrate
// -o, test --junit or --coverprofile, as the help texts say (outputHelp):
//
//   - a regular file, or nothing yet, is replaced whole (mode 0644)
//     through a temporary file beside it renamed over it
//     (atomicfile.Write), so that a watcher never sees half a bundle;
//   - through a symlink, the file it names is replaced so, and the link
//     kept (as rplc fmt -w does); a dangling one gets its file created;
//   - a device (/dev/null, /dev/stdout) or a FIFO, through symlinks
//     too, is opened and written in place, as a shell's > does:
//     renamed over, it was replaced by a regular file (as root, the
//     system's /dev/null itself), or refused "permission denied" (no
//     temporary file can be made in /dev);
//   - the file that is rplc's standard output or error (/dev/stdout, or
//     the file it is redirected to) is written through it.
//
// An error names path, not the temporary file.
func writeOutput(path string, data []byte) error {
	if err := writeOut(path, data); err != nil {
		return fmt.Errorf("%s: %w", path, bareError(err))
	}
	return nil
}

// outputHelp is what the help texts of build, migrate and test say of the
// files they write (writeOutput).
const outputHelp = `A file written is replaced whole (a temporary file renamed over it),
through a symlink the file it names; a device or FIFO (/dev/null,
/dev/stdout) is written in place, and the file standard output is
redirected to (/dev/stdout again) gets the data after what rplc printed
(build's summary then goes to standard error); a socket is refused.`

func writeOut(path string, data []byte) error {
	// The file rplc's standard output or error is (/dev/stdout, or the
	// file it is redirected to, named): the data goes through it, after
	// what rplc printed there. Renamed over, a regular file had the data
	// alone, and what rplc printed after it went to the file unlinked;
	// and a pipe made by another user could not be opened again by name
	// (/proc/self/fd/1).
	if f := stdStream(path); f != nil {
		_, err := f.Write(data)
		return err
	}
	fi, err := os.Stat(path)
	if err == nil && !fi.Mode().IsRegular() && !fi.IsDir() {
		// O_TRUNC, which a device or FIFO ignores, for a path made a
		// regular file since it was looked at.
		return writeInPlace(path, data, os.O_TRUNC)
	}
	li, lerr := os.Lstat(path)
	if lerr != nil || li.Mode()&fs.ModeSymlink == 0 {
		return atomicfile.Write(path, data, 0o644)
	}
	if err != nil {
		// Dangling: its file is created, as a shell's > creates it.
		return writeInPlace(path, data, os.O_CREATE|os.O_TRUNC)
	}
	if real, err := filepath.EvalSymlinks(path); err == nil && sameFile(path, real) {
		return atomicfile.Write(real, data, 0o644)
	}
	// A link the system follows to a file its text does not name
	// (/proc/self/fd/1, standard output, to a file deleted since): the
	// file is written in place.
	return writeInPlace(path, data, os.O_TRUNC)
}

// stdStream is rplc's standard output or error when path names the file
// it is (/dev/stdout, /proc/self/fd/2, or the file it is redirected to),
// else nil.
func stdStream(path string) *os.File {
	fi, err := os.Stat(path)
	if err != nil || fi.IsDir() {
		return nil
	}
	for _, f := range []*os.File{os.Stdout, os.Stderr} {
		if sfi, serr := f.Stat(); serr == nil && os.SameFile(fi, sfi) {
			return f
		}
	}
	return nil
}

// writeInPlace opens the existing path for writing (with flag's
// O_CREATE, O_TRUNC) and writes data to it, synced when it is a regular
// file.
func writeInPlace(path string, data []byte, flag int) error {
	f, err := os.OpenFile(path, os.O_WRONLY|flag, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if fi, serr := f.Stat(); err == nil && serr == nil && fi.Mode().IsRegular() {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// bareError drops the operation and the path from an *os.PathError or
// *os.LinkError ("open .x.123: no such file" → "no such file"), for a
// message that names the file as the user gave it.
func bareError(err error) error {
	var pe *os.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		return pe.Err
	case errors.As(err, &le):
		return le.Err
	}
	return err
}

// publicKeyHint is what to add to the error of a --sign key file that
// holds a public key, KEY.pub given for KEY (a slip the PEM types alone
// did not say how to mend): the private key to give, the file beside it
// when there is one.
func publicKeyHint(keyFile string, data []byte) string {
	if blk, _ := pem.Decode(data); blk == nil || blk.Type != "PUBLIC KEY" {
		return ""
	}
	if priv, ok := strings.CutSuffix(keyFile, ".pub"); ok && priv != "" {
		if fi, err := os.Stat(priv); err == nil && fi.Mode().IsRegular() {
			return fmt.Sprintf(": a public key; sign with its private key, %s", priv)
		}
	}
	return ": a public key; sign with the private key (rplc keygen -o KEY writes KEY and KEY.pub)"
}

// sameFile reports whether a and b both exist and are one file (through
// symlinks and hard links too).
func sameFile(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	return err == nil && os.SameFile(fa, fb)
}

// namesDir reports whether path names a directory: one that exists, or
// any path ending in a separator ("out/", which a file cannot be; it was
// tried as a file, "out/: is a directory" where there was none).
func namesDir(path string) bool {
	return isDir(path) || strings.HasSuffix(path, string(filepath.Separator))
}

// outFileError refuses, before any work (exit 2), a file to write (out,
// the value of flag, naming what) that is a directory, or in a directory
// that does not exist or is not one: the command did its work (build
// compiled and ran every test) and then failed to write, "nodir/x.rplb:
// no such file or directory", exit 1. prefix is the command's, as its
// other errors about flag have it.
func outFileError(cmd *cobra.Command, prefix, flag, out, what string) error {
	if namesDir(out) {
		return usageErrorf(cmd, "%s%s %s is a directory: name the %s", prefix, flag, out, what)
	}
	if fi, err := os.Stat(out); err == nil && fi.Mode()&fs.ModeSocket != 0 {
		// No socket can be opened as a file (ENXIO), which the write
		// said only once the work was done.
		return usageErrorf(cmd, "%s%s %s is a socket: name the %s", prefix, flag, out, what)
	}
	dir := filepath.Dir(written(out))
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return usageErrorf(cmd, "%s%s %s: directory %s does not exist", prefix, flag, out, dir)
	case errors.Is(err, syscall.ENOTDIR) || err == nil && !fi.IsDir():
		return usageErrorf(cmd, "%s%s %s: %s is not a directory", prefix, flag, out, dir)
	}
	return nil // or left to the write, which says why
}

// charDevice reports whether path is a character device (through
// symlinks): /dev/null, a terminal.
func charDevice(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode()&fs.ModeCharDevice != 0
}

// namesPolicy reports whether the file to write, out, is a policy source
// (.rpl), by its name or through a symlink, which writeOutput follows.
func namesPolicy(out string) bool {
	if strings.HasSuffix(out, ".rpl") || strings.HasSuffix(written(out), ".rpl") {
		return true
	}
	real, err := filepath.EvalSymlinks(out)
	return err == nil && strings.HasSuffix(real, ".rpl")
}

// written is the file a write to out creates: out, or, out being a
// dangling symlink, the file it names (writeOutput creates it), for the
// checks made before the work to look at what the write will.
func written(out string) string {
	li, err := os.Lstat(out)
	if err != nil || li.Mode()&fs.ModeSymlink == 0 {
		return out
	}
	if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
		return out
	}
	target, err := os.Readlink(out)
	if err != nil {
		return out
	}
	if !filepath.IsAbs(target) {
		target = filepath.Join(filepath.Dir(out), target)
	}
	return written(target) // a chain of dangling links, each followed (a loop is no ErrNotExist)
}

// isDir reports whether path is a directory (through a symlink): where
// -o names the file to write, a mistake.
func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// notDir refuses a directory given as file, the value of flag, to read,
// naming what to give (exit 2): it was read, "--sign: d: is a directory",
// exit 1 as a file that cannot be read. flag is prefixed with the
// command's name where its other errors have it.
func notDir(cmd *cobra.Command, flag, file, what string) error {
	if file != "" && isDir(file) {
		return usageErrorf(cmd, "%s %s is a directory: name the %s", flag, file, what)
	}
	return nil
}

// unwrapPath drops the operation from an *os.PathError ("open x: no such
// file" → "x: no such file").
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}

// writeKeys writes the private key to out (mode 0600) and the public key
// to out.pub (0644). Without force each file is created exclusively (a
// file made meanwhile is not overwritten), the private key removed again
// when the public key's file exists. With force both are staged whole
// before either replaces its file, so that a failure to write one leaves
// the former pair, not a new private key beside the old public key.
func writeKeys(out string, priv, pub []byte, force bool) error {
	if !force {
		if err := atomicfile.WriteNew(out, priv, 0o600); err != nil {
			return err
		}
		if err := atomicfile.WriteNew(out+".pub", pub, 0o644); err != nil {
			os.Remove(out)
			return err
		}
		return nil
	}
	privTmp, err := atomicfile.Stage(out, priv, 0o600)
	if err != nil {
		return err
	}
	pubTmp, err := atomicfile.Stage(out+".pub", pub, 0o644)
	if err != nil {
		os.Remove(privTmp)
		return err
	}
	if err := os.Rename(privTmp, out); err != nil {
		os.Remove(privTmp)
		os.Remove(pubTmp)
		return err
	}
	if err := os.Rename(pubTmp, out+".pub"); err != nil {
		os.Remove(pubTmp)
		return fmt.Errorf("%w (%s is the new private key: run keygen again)", err, out)
	}
	return atomicfile.SyncDir(filepath.Dir(out))
}

func newKeygenCmd(e *env) *cobra.Command {
	var out string
	var force bool
	cmd := &cobra.Command{
		Use:   "keygen -o KEY",
		Short: "Generate an ed25519 key pair for signing bundles",
		Long: `Keygen writes a new ed25519 private key to KEY (PEM, PKCS #8, mode 0600)
and its public key to KEY.pub (PEM, PKIX): the formats of
'openssl genpkey -algorithm ed25519' and 'openssl pkey -pubout'.
'rplc build --sign KEY' signs with the private key; routers that require
signed bundles are configured with the public key.

Exit status: 0 when the keys were written, 1 when they could not be, 2 for
a wrong command line (including an existing KEY without --force, a KEY
or KEY.pub that is a device, FIFO or socket, and a KEY in a directory that
does not exist or is not one).`,
		Example: `  rplc keygen -o release.key
  rplc build --sign release.key -o policies.rplb policies/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageErrorf(cmd, "keygen: no output file (-o KEY)")
			}
			if err := noStdout(cmd, "-o", out, ""); err != nil {
				return err
			}
			// A directory is not a key to overwrite, with --force or
			// without.
			if err := outFileError(cmd, "keygen: ", "-o", out, "private key file"); err != nil {
				return err
			}
			if isDir(out + ".pub") {
				// Nor is the public key's file: with --force, the new
				// private key replaced the old, and then the public
				// key failed ("rename .k.pub.123 k.pub: file exists"),
				// leaving a pair that does not match.
				return usageErrorf(cmd, "keygen: %s.pub, the public key's file, is a directory: name another private key file, or move it", out)
			}
			// Nor a device, FIFO or socket: keys are renamed into place,
			// and --force replaced the node (as root, /dev/null itself)
			// with a key. A symlink is replaced, not followed.
			for _, f := range []string{out, out + ".pub"} {
				if fi, err := os.Lstat(f); err == nil && fi.Mode()&(fs.ModeNamedPipe|fs.ModeSocket|fs.ModeDevice) != 0 {
					return usageErrorf(cmd, "keygen: %s is %s, not a key file: name a file", f, lang.ModeKind(fi.Mode()))
				}
			}
			priv, pub, err := bundle.GenerateKey(nil)
			if err != nil {
				return &exitError{code: exitFail, err: err}
			}
			if err := writeKeys(out, priv, pub, force); err != nil {
				if pe := (*fs.PathError)(nil); errors.As(err, &pe) && errors.Is(err, fs.ErrExist) {
					return usageErrorf(cmd, "%s exists (--force overwrites it)", pe.Path)
				}
				return &exitError{code: exitFail, err: unwrapPath(err)}
			}
			pk, _ := bundle.ParsePublicKey(pub)
			fmt.Fprintf(e.stdout, "wrote %s (private) and %s.pub (public), key id %s\n", out, out, bundle.KeyID(ed25519.PublicKey(pk)))
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "the private key file to write (the public key goes to FILE.pub)")
	cmd.Flags().BoolVar(&force, "force", false, "replace existing key files (a symlink is replaced, not followed)")
	return cmd
}
