package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// brokenWriter fails every write, like a closed pipe.
type brokenWriter struct{}

func (brokenWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

// TestExitCodes checks the convention that every command follows (see the
// package doc and rplc --help): 1 when the input has errors, a file cannot
// be read or written, or rplc fails; 2 only for a wrong command line.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	policy := write("p.rpl", "package p\n\nfn route(r: Request) -> Decision = to(\"openai:gpt-4o\")\n\ntest \"t\" {\n  expect route({}).target == \"openai:gpt-4o\"\n}\n")
	lib := write("lib.rpl", "package lib\n\nconst target = \"openai:gpt-4o\"\n")
	if err := os.Mkdir(filepath.Join(dir, "w"), 0o755); err != nil {
		t.Fatal(err)
	}
	warned := write("w/w.rpl", "package w\n\nfn route(r: Request) -> Decision {\n  let x = 1\n  return to(\"openai:gpt-4o\")\n}\n") // a warning, no error
	unformatted := write("u.rpl", "package u\n\n\n\nconst x = 1\n")
	cp1 := write("cp1.json", `{"version": "1", "weights": {"openai": 50, "anthropic": 50}}`)
	req := write("req.json", `{"tenant": {"id": "acme"}}`)
	missing := filepath.Join(dir, "missing.json")
	// A link to nothing named on the command line is a path that does
	// not exist (2), for every command; one a walk finds is a file that
	// cannot be read (RPL203, 1).
	gone := filepath.Join(dir, "gone.rpl")
	if err := os.Symlink("nowhere.rpl", gone); err != nil {
		t.Fatal(err)
	}
	loop := filepath.Join(dir, "loop.rpl") // a link to itself: there, unreadable (1)
	if err := os.Symlink("loop.rpl", loop); err != nil {
		t.Fatal(err)
	}
	loopJSON := filepath.Join(dir, "loop.json") // a request or state that cannot be read (1)
	if err := os.Symlink("loop.json", loopJSON); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		args   []string
		stdout bool // write standard output to a writer that fails
		want   int
		stderr string
	}{
		{"eval", []string{"eval", policy, "--request", req}, false, exitOK, ""},
		{"eval, output not written", []string{"eval", policy, "--request", req}, true, exitFail, "broken pipe"},
		{"explain, output not written", []string{"explain", policy, "--request", req, "--format", "json"}, true, exitFail, "broken pipe"},
		{"disasm, output not written", []string{"disasm", policy}, true, exitFail, "broken pipe"},
		{"doc, output not written", []string{"doc", "--format", "json"}, true, exitFail, "broken pipe"},
		{"doc of an enum, output not written", []string{"doc", "Trigger", "--format", "json"}, true, exitFail, "broken pipe"},
		{"test, output not written", []string{"test", "--format", "json", policy}, true, exitFail, "broken pipe"},
		// Output lost is a failure whatever the command and format: a
		// check's warnings or a test's results written to a full disk.
		{"test text, output not written", []string{"test", policy}, true, exitFail, "broken pipe"},
		{"check, output not written", []string{"check", warned}, true, exitFail, "broken pipe"},
		{"explain text, output not written", []string{"explain", policy, "--request", req}, true, exitFail, "broken pipe"},
		{"doc text, output not written", []string{"doc"}, true, exitFail, "broken pipe"},
		{"migrate, output not written", []string{"migrate", cp1}, true, exitFail, "broken pipe"},
		// --version and --help too: the error cobra returns for them is
		// not a wrong command line (it was exit 2, "Run 'rplc --help'").
		// A command that fails on its input says its output was lost
		// as well: the exit status was right, but nothing said so.
		{"check with errors, output not written", []string{"check", lib}, true, exitFail, "broken pipe"},
		{"fmt -d, output not written", []string{"fmt", "-d", unformatted}, true, exitFail, "broken pipe"},
		{"--version, output not written", []string{"--version"}, true, exitFail, "broken pipe"},
		{"help, output not written", []string{"check", "--help"}, true, exitFail, "broken pipe"},
		// Files named as given, without the system call ("open x: …").
		{"eval, no such request file", []string{"eval", policy, "--request", missing}, false, exitUsage, "rplc: --request: " + missing + ": no such file or directory\n"},
		{"eval, no such state file", []string{"eval", policy, "--request", req, "--state", missing}, false, exitUsage, "rplc: --state: " + missing + ": no such file or directory\n"},
		{"eval, no such bundle", []string{"eval", filepath.Join(dir, "nope.rplb"), "--request", req}, false, exitUsage, "rplc: " + filepath.Join(dir, "nope.rplb") + ": no such file or directory\n"},
		{"check, a link to nothing", []string{"check", gone}, false, exitUsage, "gone.rpl: no such file or directory"},
		{"test, a link to nothing", []string{"test", gone}, false, exitUsage, "gone.rpl: no such file or directory"},
		{"fmt, a link to nothing", []string{"fmt", gone}, false, exitUsage, "gone.rpl: no such file or directory"},
		{"check, a link loop", []string{"check", loop}, false, exitFail, "rplc: " + loop + ": too many levels of symbolic links"},
		{"eval, a link loop", []string{"eval", loop, "--request", req}, false, exitFail, "rplc: " + loop + ": too many levels of symbolic links"},
		{"disasm, a link loop", []string{"disasm", loop}, false, exitFail, "rplc: " + loop + ": too many levels of symbolic links"},
		{"eval, request not readable", []string{"eval", policy, "--request", loopJSON}, false, exitFail, "too many levels of symbolic links"},
		{"eval, state not readable", []string{"eval", policy, "--request", req, "--state", loopJSON}, false, exitFail, "too many levels of symbolic links"},
		// A directory where the file goes is a wrong command line, as
		// POLICY a directory is.
		{"eval, request a directory", []string{"eval", policy, "--request", dir}, false, exitUsage, "--request " + dir + " is a directory"},
		{"eval, state a directory", []string{"eval", policy, "--request", req, "--state", dir}, false, exitUsage, "--state " + dir + " is a directory"},
		{"eval, a library", []string{"eval", lib, "--request", req}, false, exitFail, "error[RPL212]"},
		{"disasm, a library", []string{"disasm", lib}, false, exitFail, "error[RPL212]"},
		{"eval, no such policy", []string{"eval", filepath.Join(dir, "nope.rpl"), "--request", req}, false, exitUsage, "no such file"},
		{"eval, --policy on a source", []string{"eval", policy, "--request", req, "--policy", "foo"}, false, exitUsage, "--policy foo: chooses the policy of a bundle (.rplb)"},
		{"eval, negative fuel", []string{"eval", policy, "--request", req, "--fuel", "-1"}, false, exitUsage, "invalid --fuel -1: want a value ≥ 0"},
		{"test, negative fuel", []string{"test", "-fuel", "-5", policy}, false, exitUsage, "invalid --fuel -5"},
		{"test, zero fuel is the default", []string{"test", "--fuel", "0", policy}, false, exitOK, ""},
		// A file named that does not exist is a wrong command line, as
		// for build --sign.
		{"push, no such bundle", []string{"push", filepath.Join(dir, "nope.rplb"), "--nats-url", "nats://127.0.0.1:1"}, false, exitUsage, "rplc: " + filepath.Join(dir, "nope.rplb") + ": no such file or directory"},
		{"push, no such public key", []string{"push", req, "--public-key", missing}, false, exitUsage, "--public-key: " + missing + ": no such file or directory"},
		{"rollback, no such public key", []string{"rollback", "--nats-url", "nats://127.0.0.1:1", "--public-key", missing}, false, exitUsage, "--public-key: " + missing + ": no such file or directory"},
		{"build, no such key", []string{"build", dir, "-o", filepath.Join(dir, "x.rplb"), "--sign", missing}, false, exitUsage, "--sign: " + missing + ": no such file or directory"},
		// A key file that holds no key is a file with errors, not a wrong
		// command line: 1, for build and push alike.
		{"build, not a private key", []string{"build", dir, "-o", filepath.Join(dir, "x.rplb"), "--sign", req}, false, exitFail, "--sign " + req + ": "},
		{"push, not a public key", []string{"push", req, "--nats-url", "nats://127.0.0.1:1", "--public-key", req}, false, exitFail, "--public-key " + req + ": "},
		// So is a request or state file that is not valid: 1, for eval
		// and explain alike (it was 2, a wrong command line, against
		// rplc --help).
		{"eval, request not valid", []string{"eval", policy, "--request", cp1}, false, exitFail, "rplc: " + cp1 + ":1:13: "},
		{"eval, request not JSON", []string{"eval", policy, "--request", lib}, false, exitFail, "rplc: " + lib + ":1:1: invalid JSON: "},
		{"eval, state not valid", []string{"eval", policy, "--request", req, "--state", lib}, false, exitFail, "rplc: " + lib + ":1:1: invalid state: "},
		{"explain, request not valid", []string{"explain", policy, "--request", cp1}, false, exitFail, "rplc: " + cp1 + ":1:13: "},
		{"explain, state not valid", []string{"explain", policy, "--request", req, "--state", lib}, false, exitFail, "rplc: " + lib + ":1:1: invalid state: "},
		{"push, negative timeout", []string{"push", "--timeout", "-1s", "x.rplb"}, false, exitUsage, "invalid --timeout -1s"},
		{"push, negative fuel", []string{"push", "--fuel", "-1", "x.rplb"}, false, exitUsage, "invalid --fuel -1: want a value ≥ 0"},
		{"push, negative memory", []string{"push", "--memory", "-1", "x.rplb"}, false, exitUsage, "invalid --memory -1: want a value ≥ 0"},
		{"lsp, log in a missing directory", []string{"lsp", "--log", filepath.Join(dir, "nodir", "log")}, false, exitUsage, "rplc: --log " + filepath.Join(dir, "nodir", "log") + ": directory " + filepath.Join(dir, "nodir") + " does not exist\n"},
		{"lsp, log to -", []string{"lsp", "--log", "-"}, false, exitUsage, "rplc: --log -: lsp writes files, not standard output (standard output carries the protocol)"},
		{"lsp, negative debounce", []string{"lsp", "--debounce", "-1ms"}, false, exitUsage, "invalid --debounce -1ms"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			var out io.Writer = &stdout
			if tc.stdout {
				out = brokenWriter{}
			}
			if code := run(tc.args, strings.NewReader(""), out, &stderr); code != tc.want {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.want, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("stderr %q, want it to contain %q", stderr.String(), tc.stderr)
			}
			if tc.want != exitUsage && strings.Contains(stderr.String(), "for usage.") {
				t.Errorf("exit %d, not a wrong command line, points at the usage: %q", tc.want, stderr.String())
			}
		})
	}
}

// TestOneExitPath checks how a run ends, for every kind of end, on the one
// path (execute): a wrong command line says cobra's error and where the
// usage is (2), a failure of a command says its error without the hint
// (1), and output lost is said whatever else happened.
func TestOneExitPath(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.rpl")
	if err := os.WriteFile(bad, []byte("package bad\n\nfn route(r: Request) -> Decision = to(1)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		broken bool // standard output fails
		want   int
		stderr string // all of it
	}{
		{"unknown flag", []string{"check", "--bogus", bad}, false, exitUsage,
			"rplc: unknown flag: --bogus\nRun 'rplc check --help' for usage.\n"},
		{"unknown shorthand flag", []string{"fmt", "-z", bad}, false, exitUsage,
			"rplc: unknown shorthand flag: 'z' in -z\nRun 'rplc fmt --help' for usage.\n"},
		{"too many arguments", []string{"keygen", "-o", filepath.Join(dir, "k"), "extra"}, false, exitUsage,
			"rplc: unknown command \"extra\" for \"rplc keygen\"\nRun 'rplc keygen --help' for usage.\n"},
		{"no argument", []string{"eval"}, false, exitUsage,
			"rplc: eval: want one policy, have 0 arguments\nRun 'rplc eval --help' for usage.\n"},
		{"bad flag value", []string{"test", "--fuel", "x", bad}, false, exitUsage,
			"rplc: invalid --fuel \"x\": want a whole number\nRun 'rplc test --help' for usage.\n"},
		// A command's own error that is not an exitError is its failure,
		// not a wrong command line.
		{"a command's plain error", []string{"boom"}, false, exitFail, "rplc: boom\n"},
		// cobra's error after output was lost: both said, and the command
		// line is what is wrong. The error was dropped for the output's.
		{"cobra's error with output lost", []string{"loud"}, true, exitUsage,
			"rplc: loud: wrong arguments\nrplc: broken pipe\nRun 'rplc loud --help' for usage.\n"},
		{"output lost alone", []string{"loud", "ok"}, true, exitFail, "rplc: broken pipe\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			out := &outWriter{w: &stdout}
			if tc.broken {
				out.w = brokenWriter{}
			}
			e := &env{stdin: strings.NewReader(""), stdout: out, stderr: &stderr}
			root := newRootCmd(e)
			root.AddCommand(&cobra.Command{Use: "boom", RunE: func(*cobra.Command, []string) error { return errors.New("boom") }})
			root.AddCommand(&cobra.Command{Use: "loud",
				Args: func(cmd *cobra.Command, args []string) error {
					fmt.Fprintln(cmd.OutOrStdout(), "checking the arguments")
					if len(args) == 0 {
						return errors.New("loud: wrong arguments")
					}
					return nil
				},
				RunE: func(*cobra.Command, []string) error { return nil },
			})
			root.SetArgs(tc.args)
			if code := execute(root, out, &stderr); code != tc.want {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.want, stderr.String())
			}
			if got := stderr.String(); got != tc.stderr {
				t.Errorf("stderr:\n%s\nwant:\n%s", got, tc.stderr)
			}
		})
	}
}

// TestCheckFailureExit1 checks that a policy with errors is a failure
// (1), said by its diagnostics, with no hint to the usage.
func TestCheckFailureExit1(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.rpl")
	if err := os.WriteFile(bad, []byte("package bad\n\nfn route(r: Request) -> Decision = to(1)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"check", bad}, strings.NewReader(""), &stdout, &stderr); code != exitFail {
		t.Fatalf("exit %d, want %d; stdout:\n%s\nstderr:\n%s", code, exitFail, stdout.String(), stderr.String())
	}
	if all := stdout.String() + stderr.String(); !strings.Contains(all, "error[RPL") || strings.Contains(all, "for usage") {
		t.Errorf("want a diagnostic with its code and no usage hint; stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
}
