package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/lsp"
	"github.com/sourcegraph/jsonrpc2"
)

// TestLSPSubprocess builds rplc and drives `rplc lsp` as an editor would,
// over its standard input and output: initialize, open a policy with an
// error, fix it with a change, hover, complete, shut down and exit.
func TestLSPSubprocess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds rplc")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "rplc")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ws := filepath.Join(dir, "ws")
	policy := filepath.Join(ws, "p.rpl")
	broken := "package p\n\nfn route(r: Request) -> Decision = to(r.tenant.tierr)\n"
	if err := os.MkdirAll(ws, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(policy, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}

	cmd := exec.CommandContext(t.Context(), bin, "lsp")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	published := make(chan map[string]any, 16)
	conn := jsonrpc2.NewConn(t.Context(), jsonrpc2.NewBufferedStream(pipe{stdout, stdin}, jsonrpc2.VSCodeObjectCodec{}),
		jsonrpc2.HandlerWithError(func(_ context.Context, _ *jsonrpc2.Conn, r *jsonrpc2.Request) (any, error) {
			if r.Method == "textDocument/publishDiagnostics" {
				var p map[string]any
				json.Unmarshal(*r.Params, &p)
				published <- p
			}
			return nil, nil
		}))
	call := func(method string, params any) map[string]any {
		t.Helper()
		var out any
		if err := conn.Call(t.Context(), method, params, &out); err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		m, _ := out.(map[string]any)
		return m
	}
	waitDiags := func(version float64) []any {
		t.Helper()
		for {
			select {
			case p := <-published:
				if v, _ := p["version"].(float64); v == version {
					ds, _ := p["diagnostics"].([]any)
					return ds
				}
			case <-t.Context().Done():
				t.Fatalf("no diagnostics for version %v", version)
			}
		}
	}
	uri := "file://" + filepath.ToSlash(policy)

	init := call("initialize", map[string]any{"processId": os.Getpid(), "rootUri": "file://" + filepath.ToSlash(ws), "capabilities": map[string]any{}})
	caps, _ := init["capabilities"].(map[string]any)
	if caps["positionEncoding"] != "utf-16" || caps["hoverProvider"] != true {
		t.Fatalf("capabilities %v", caps)
	}
	conn.Notify(t.Context(), "initialized", map[string]any{})
	conn.Notify(t.Context(), "textDocument/didOpen", map[string]any{"textDocument": map[string]any{
		"uri": uri, "languageId": "rpl", "version": 1, "text": broken}})
	ds := waitDiags(1)
	if len(ds) != 1 || ds[0].(map[string]any)["code"] != "RPL202" || !strings.Contains(ds[0].(map[string]any)["message"].(string), "did you mean tier") {
		t.Fatalf("diagnostics %v", ds)
	}

	fixed := "package p\n\nfn route(r: Request) -> Decision = to(r.tenant.tier)\n"
	conn.Notify(t.Context(), "textDocument/didChange", map[string]any{
		"textDocument":   map[string]any{"uri": uri, "version": 2},
		"contentChanges": []any{map[string]any{"text": fixed}},
	})
	if ds := waitDiags(2); len(ds) != 0 {
		t.Fatalf("diagnostics after the fix: %v", ds)
	}

	col := strings.Index("fn route(r: Request) -> Decision = to(r.tenant.tier)", "to(")
	h := call("textDocument/hover", map[string]any{"textDocument": map[string]any{"uri": uri}, "position": map[string]any{"line": 2, "character": col}})
	if v, _ := h["contents"].(map[string]any)["value"].(string); !strings.Contains(v, "fn to(target: string) -> Decision") {
		t.Errorf("hover %v", h)
	}
	col = strings.Index("fn route(r: Request) -> Decision = to(r.tenant.tier)", "r.tenant") + 2
	c := call("textDocument/completion", map[string]any{"textDocument": map[string]any{"uri": uri}, "position": map[string]any{"line": 2, "character": col}})
	var labels []string
	items, _ := c["items"].([]any)
	for _, it := range items {
		labels = append(labels, it.(map[string]any)["label"].(string))
	}
	if !strings.Contains(strings.Join(labels, " "), "tenant") || !strings.Contains(strings.Join(labels, " "), "estimate") {
		t.Errorf("completion %v", labels)
	}

	call("shutdown", nil)
	conn.Notify(t.Context(), "exit", nil)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("rplc lsp exited with %v", err)
	}
}

// TestLSPExitStatus runs `rplc lsp` in process on a scripted standard
// input: exit status 0 only when shutdown came before exit (or before the
// end of the input), 1 otherwise, as LSP 3.17 asks.
func TestLSPExitStatus(t *testing.T) {
	msg := func(m string) string { return fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(m), m) }
	initialize := msg(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"processId":null,"rootUri":null,"capabilities":{}}}`) +
		msg(`{"jsonrpc":"2.0","method":"initialized","params":{}}`)
	shutdown := msg(`{"jsonrpc":"2.0","id":2,"method":"shutdown"}`)
	exit := msg(`{"jsonrpc":"2.0","method":"exit"}`)
	tests := []struct {
		name, stdin string
		want        int
		stderr      string
	}{
		{"shutdown, exit", initialize + shutdown + exit, exitOK, ""},
		{"shutdown, end of input", initialize + shutdown, exitOK, ""},
		{"exit without shutdown", initialize + exit, exitFail, "without a shutdown request"},
		{"end of input without shutdown", initialize, exitFail, "without a shutdown request"},
		{"input cut off", initialize + shutdown + "Content-Length: 50\r\n\r\n{", exitFail, "unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			got := run([]string{"lsp"}, strings.NewReader(tt.stdin), &stdout, &stderr)
			if got != tt.want || (tt.stderr != "" && !strings.Contains(stderr.String(), tt.stderr)) {
				t.Errorf("exit status %d, want %d; stderr %q", got, tt.want, stderr.String())
			}
			if !strings.Contains(stdout.String(), `"capabilities"`) {
				t.Errorf("no answer to initialize on stdout: %q", stdout.String())
			}
		})
	}
}

type pipe struct {
	io.Reader
	io.WriteCloser
}

func (p pipe) Close() error { return p.WriteCloser.Close() }

// TestLSPExplainAsCLI: the editor's "explain a sample decision" shows the
// path rplc explain prints for its sample request, with a builtin's call
// on constants computed in advance (no step) in both. The lens compiled
// without the builtins, and the path had to(...) and fallback(...) steps
// of its own.
func TestLSPExplainAsCLI(t *testing.T) {
	dir := t.TempDir()
	policy := filepath.Join(dir, "chat.rpl")
	os.WriteFile(policy, []byte(`package chat

import "std/cost"

fn route(r: Request) -> Decision {
  if cost.remaining(r.tenant) < $5 {
    return to("openai:gpt-4o-mini").because("budget nearly spent")
  }
  match r.task.type {
    "code" => to("anthropic:claude-sonnet")
    _ => to("openai:gpt-4o").fallback("openai:gpt-4o-mini", on: [timeout, http_5xx])
  }
}
`), 0o644)
	req := filepath.Join(dir, "req.json")
	os.WriteFile(req, []byte(lsp.SampleRequest), 0o644)

	// The CLI's path: the lines between "path:" and "decision:".
	var stdout, stderr bytes.Buffer
	if code := run([]string{"explain", policy, "--request", req}, nil, &stdout, &stderr); code != exitOK {
		t.Fatalf("rplc explain: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	section := func(out string) string {
		_, after, _ := strings.Cut(out, "path:\n")
		path, _, _ := strings.Cut(after, "decision:\n")
		var b strings.Builder
		for line := range strings.Lines(path) {
			b.WriteString(strings.TrimSpace(line) + "\n")
		}
		return b.String()
	}
	cli := section(stdout.String())
	if cli == "" || strings.Contains(cli, "fallback(") {
		t.Fatalf("rplc explain's path:\n%s", stdout.String())
	}

	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan int, 1)
	go func() {
		var lspErr bytes.Buffer
		code := run([]string{"lsp"}, inR, outW, &lspErr)
		outW.Close()
		done <- code
	}()
	conn := jsonrpc2.NewConn(t.Context(), jsonrpc2.NewBufferedStream(pipe{outR, inW}, jsonrpc2.VSCodeObjectCodec{}),
		jsonrpc2.HandlerWithError(func(context.Context, *jsonrpc2.Conn, *jsonrpc2.Request) (any, error) { return nil, nil }))
	var ignored any
	if err := conn.Call(t.Context(), "initialize", map[string]any{"processId": nil, "rootUri": "file://" + filepath.ToSlash(dir), "capabilities": map[string]any{}}, &ignored); err != nil {
		t.Fatal(err)
	}
	conn.Notify(t.Context(), "initialized", map[string]any{})
	var res lsp.CommandResult
	if err := conn.Call(t.Context(), "workspace/executeCommand", map[string]any{"command": lsp.CommandExplain, "arguments": []any{"file://" + filepath.ToSlash(policy)}}, &res); err != nil {
		t.Fatal(err)
	}
	if lens := section(res.Output); lens != cli {
		t.Errorf("the lens's path:\n%s\nrplc explain's:\n%s", lens, cli)
	}
	conn.Call(t.Context(), "shutdown", nil, &ignored)
	conn.Notify(t.Context(), "exit", nil)
	conn.Close()
	if code := <-done; code != exitOK {
		t.Errorf("rplc lsp: exit %d", code)
	}
}
