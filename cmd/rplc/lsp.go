package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rpl-lang/rpl/lsp"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/spf13/cobra"
)

func newLSPCmd(e *env) *cobra.Command {
	var debounce time.Duration
	var logFile string
	cmd := &cobra.Command{
		Use:   "lsp",
		Short: "Run the RPL language server over standard input and output",
		Long: `Lsp runs the RPL language server (package lsp): it speaks the Language
Server Protocol 3.17 over standard input and output, for editors such as
VS Code (editors/vscode). It reports diagnostics as you type, and offers
hover, completion, signature help, go to definition, references, rename,
document and workspace symbols, formatting, semantic tokens, quick fixes
and code lenses.

Nothing is printed on standard output but the protocol; with --log,
protocol errors go to that file, messages that could not be decoded
included (they are answered with a JSON-RPC error and skipped).

The exit status is 0 when the client sent shutdown before exit (or before
closing standard input), 1 otherwise: after exit without shutdown, or
when standard input ends without shutdown or breaks off inside a message;
2 for a wrong command line (a --log that is a directory, or in a directory
that does not exist or is not one).`,
		Example: `  rplc lsp
  rplc lsp --log /tmp/rplc-lsp.log`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			u, err := stdlib.Universe()
			if err != nil {
				return internalError(fmt.Errorf("standard library: %v", err))
			}
			if err := noStdout(cmd, "--log", logFile, "standard output carries the protocol"); err != nil {
				return err
			}
			if logFile != "" {
				// As build -o and test --coverprofile: it failed to
				// open, "--log: x: is a directory" or "--log:
				// nodir/l.log: no such file or directory", exit 1.
				if err := outFileError(cmd, "", "--log", logFile, "log file"); err != nil {
					return err
				}
			}
			var logw io.Writer
			if logFile != "" {
				f, err := os.OpenFile(logFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
				if err != nil {
					// Named as given, as build -o names its file.
					return &exitError{code: exitFail, err: fmt.Errorf("--log: %w", unwrapPath(err))}
				}
				defer f.Close()
				logw = f
			}
			srv := lsp.New(lsp.Options{Universe: u, Debounce: debounce, Log: logw, Version: "dev"})
			if err := srv.Serve(context.Background(), stdio{e.stdin, e.stdout}); err != nil {
				return &exitError{code: exitFail, err: err}
			}
			return nil
		},
	}
	cmd.Flags().DurationVar(&debounce, "debounce", lsp.DefaultDebounce, "how long diagnostics wait after the last change")
	cmd.Flags().StringVar(&logFile, "log", "", "append protocol errors to this file")
	return cmd
}

// stdio joins standard input and output into the server's connection.
type stdio struct {
	r io.Reader
	w io.Writer
}

func (s stdio) Read(p []byte) (int, error)  { return s.r.Read(p) }
func (s stdio) Write(p []byte) (int, error) { return s.w.Write(p) }
func (s stdio) Close() error                { return nil }
