package lsp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/explain"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/policytest"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/rpl-lang/rpl/vm"
	"github.com/tliron/glsp"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// codeLens puts "run test" above every test declaration and "explain a
// sample decision" above route.
func (s *Server) codeLens(_ *glsp.Context, p *protocol.CodeLensParams) ([]protocol.CodeLens, error) {
	path := uriToPath(p.TextDocument.URI)
	return parsed(s, string(protocol.MethodTextDocumentCodeLens), path, func(fn *lang.FileNode) ([]protocol.CodeLens, error) {
		return lenses(fn, p.TextDocument.URI), nil
	})
}

// lenses are codeLens's answer for fn, the file at uri.
func lenses(fn *lang.FileNode, uri protocol.DocumentUri) []protocol.CodeLens {
	lenses := []protocol.CodeLens{}
	for _, d := range fn.Decls {
		switch d := d.(type) {
		case *lang.TestDecl:
			lenses = append(lenses, protocol.CodeLens{Range: toRange(fn.File, d.Name.Sp), Command: &protocol.Command{
				Title: "▶ run test", Command: CommandRunTest, Arguments: []any{uri, d.Name.Value},
			}})
		case *lang.FuncDecl:
			if d.Name.Name == compiler.EntryRoute {
				lenses = append(lenses, protocol.CodeLens{Range: toRange(fn.File, d.Name.Sp), Command: &protocol.Command{
					Title: "explain a sample decision", Command: CommandExplain, Arguments: []any{uri},
				}})
			}
		}
	}
	return lenses
}

// CommandResult is what the lens commands return (and also show: a
// one-line summary as window/showMessage, the full text as
// window/logMessage).
type CommandResult struct {
	OK      bool   `json:"ok"`
	Summary string `json:"summary"`
	Output  string `json:"output"`
}

// commandTimeout bounds a command's evaluation.
const commandTimeout = 10 * time.Second

// executeCommand runs a code lens's command: rpl.runTest [uri, test name]
// or rpl.explain [uri, request?] (request: a JSON object; SampleRequest
// when absent). It checks the arguments and takes what the command reads
// of the editor's state here, in order with the changes; the command
// itself runs policy code, for up to commandTimeout, on a goroutine of its
// own (later), cancellable with $/cancelRequest.
func (s *Server) executeCommand(_ *glsp.Context, p *protocol.ExecuteCommandParams) (any, error) {
	arg := func(i int) string { // "" when absent or not a string
		v, _ := argAt(p.Arguments, i).(string)
		return v
	}
	var run func(context.Context) (*CommandResult, error)
	var err error
	switch p.Command {
	case CommandRunTest:
		// A test may be named "": the name must be there, as a string.
		if _, named := argAt(p.Arguments, 1).(string); arg(0) == "" || !named {
			return nil, refuse("%s takes a document URI and a test name", p.Command)
		}
		run, err = s.runTest(arg(0), arg(1))
	case CommandExplain:
		if arg(0) == "" {
			return nil, refuse("%s takes a document URI", p.Command)
		}
		req := []byte(SampleRequest)
		if len(p.Arguments) > 1 && p.Arguments[1] != nil {
			if req, err = json.Marshal(p.Arguments[1]); err != nil {
				return nil, refuse("request: %v", err)
			}
		}
		run = s.explain(arg(0), req)
	default:
		return nil, refuse("unknown command %s", p.Command)
	}
	if err != nil {
		return nil, err
	}
	s.later(p.Command, func(ctx context.Context) (any, error) {
		res, err := run(ctx)
		if err != nil || ctx.Err() != nil {
			return nil, err // a canceled command is answered as such, and shows nothing
		}
		typ := protocol.MessageTypeInfo
		if !res.OK {
			typ = protocol.MessageTypeError
		}
		s.notify(string(protocol.ServerWindowShowMessage), protocol.ShowMessageParams{Type: typ, Message: res.Summary})
		s.notify(string(protocol.ServerWindowLogMessage), protocol.LogMessageParams{Type: protocol.MessageTypeLog, Message: res.Output})
		return res, nil
	})
	return nil, nil
}

// argAt is args[i], or nil past the end.
func argAt(args []any, i int) any {
	if i < len(args) {
		return args[i]
	}
	return nil
}

// unsaved reports whether an open document differs from its file, for the
// commands that run saved files.
func (s *Server) unsaved(path string) bool {
	d := s.openDoc(path)
	if d == nil {
		return false
	}
	disk, err := lang.ReadFile(path)
	return err != nil || !bytes.Equal(disk, d.file.Src)
}

// shownName is how the user knows path: the URI of an open document that
// is no file (an untitled buffer, which path names under its scheme), else
// path.
func (s *Server) shownName(path string) string {
	if d := s.openDoc(path); d != nil && !strings.HasPrefix(string(d.uri), "file:") {
		return string(d.uri)
	}
	return path
}

// runTest returns the run of one test block with package policytest,
// exactly as `rplc test -run` does: on the saved files, against a fresh
// in-memory state. It refuses at once when a file is not saved.
func (s *Server) runTest(uri, name string) (func(context.Context) (*CommandResult, error), error) {
	path := uriToPath(uri)
	policy := policyOf(path)
	for _, p := range []string{policy, lang.TestFileName(policy)} {
		if s.unsaved(p) {
			return nil, refuse("save %s first: tests run the saved files, as rplc test does", s.shownName(p))
		}
	}
	return func(ctx context.Context) (*CommandResult, error) { return runPolicyTest(ctx, policy, name) }, nil
}

// runPolicyTest runs test name of policy, for at most commandTimeout.
func runPolicyTest(ctx context.Context, policy, name string) (*CommandResult, error) {
	runner, err := policytest.NewRunner()
	if err != nil {
		return nil, refuse("%v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	r := runner.RunPolicy(policy, policytest.Config{Run: regexp.MustCompile("^" + regexp.QuoteMeta(name) + "$"), Context: ctx})
	var out bytes.Buffer
	for _, d := range r.Diags {
		if d.Severity == lang.SevError {
			fmt.Fprintln(&out, d.Error())
		}
	}
	policytest.WriteResult(&out, r, policytest.ReportOptions{Verbose: true})
	res := &CommandResult{OK: !r.Failed(), Output: out.String()}
	switch {
	case r.Diags.HasErrors():
		res.Summary = fmt.Sprintf("test %q did not run: the policy has errors: %v", name, r.Diags)
	case r.Err != nil:
		res.Summary = fmt.Sprintf("test %q did not run: %v", name, r.Err)
	case len(r.Tests) == 0:
		res.OK, res.Summary = false, fmt.Sprintf("no test %q in %s", name, policy)
	default:
		t := r.Tests[0]
		res.Summary = fmt.Sprintf("%s: %s (%s)", t.Status, t.Name, t.Duration.Round(time.Microsecond))
		if t.Status == policytest.Fail && len(t.Failures) > 0 {
			f := t.Failures[0]
			res.Summary += fmt.Sprintf(": %s at line %d", f.Message, f.Pos.Line)
		}
		if t.Status == policytest.Skip {
			res.Summary += ": " + t.Reason
		}
	}
	return res, nil
}

// SampleRequest is the request that "explain a sample decision" decides
// when no request is given: a chat request of a standard-tier tenant.
const SampleRequest = `{
  "id": "sample-request",
  "tenant": {"id": "sample-tenant", "tier": "standard", "budget": {"monthly": "$1000", "daily": "$50"}},
  "user": {"id": "sample-user"},
  "session": {"id": "sample-session"},
  "task": {"type": "chat"},
  "model": "",
  "estimate": {"input_tokens": 1000, "output_tokens": 500}
}`

// explain returns the decision of req by the policy as it is in the
// editor now (open buffers included), which shows the path it took, with
// the same libraries as `rplc explain`: rpl.Env's compile with Trace
// (its builtins computing their calls on constants), vm.Probes and
// package explain.
func (s *Server) explain(uri string, req []byte) func(context.Context) (*CommandResult, error) {
	policy := policyOf(uriToPath(uri))
	s.mu.Lock()
	ov := s.overlayLocked()
	s.mu.Unlock()
	return func(ctx context.Context) (*CommandResult, error) { return s.explainWith(ctx, policy, ov, req) }
}

// explainWith decides req with policy as ov has it, for at most
// commandTimeout.
func (s *Server) explainWith(ctx context.Context, policy string, ov overlay, req []byte) (*CommandResult, error) {
	checked, diags := s.checkToRun(policy, ov)
	switch {
	case diags.HasErrors():
		// The first error, with how many more: the policy may be no open
		// document, whose diagnostics the editor shows (a file gone).
		return nil, refuse("the policy has errors: fix them to explain a decision: %v", diags)
	case checked == nil:
		return nil, refuse("the policy has errors: fix them to explain a decision")
	}
	// Compiled as rplc explain compiles it (rpl.Env.CompileWith): without
	// the builtins, their calls on constants were steps of the path, and
	// the fuel counted them.
	env, err := rpl.NewEnv()
	if err != nil {
		return nil, refuse("%v", err)
	}
	p, err := env.CompileChecked(checked, rpl.CompileOptions{NoTests: true, Trace: true})
	if err != nil {
		return nil, refuse("%v", err)
	}
	out, prog := p.Compiled(), p.VM()
	route, ok := prog.Entry(compiler.EntryRoute)
	if !ok {
		return nil, refuse("%s has no route function", policy)
	}
	in, err := rpl.FromJSON(out.Request, req)
	if err != nil {
		return nil, refuse("request: %v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	// The input of a test of the policy: its clock and seed fixed, its
	// state fresh, so a sample decision is the same each time.
	run := stdlib.TestInput(checked.Main.Name)
	probes := &vm.Probes{}
	run.Probes = probes
	m := vm.Get()
	v, st, runErr := m.Run(ctx, prog, route, []vm.Value{in}, vm.Limits{}, run)
	vm.Put(m)

	var b strings.Builder
	b.WriteString("request:\n" + indent(req) + "\npath:\n")
	explain.WriteText(&indentWriter{b: &b}, explain.Path(out.TracePoints, probes.Trace), nil)
	res := &CommandResult{OK: runErr == nil}
	if runErr != nil {
		fmt.Fprintf(&b, "error: %v\n", runErr)
		res.Summary = fmt.Sprintf("route failed on the sample request: %v", runErr)
	} else {
		dec := rpl.ToGo(out.Decision, v)
		js, _ := json.MarshalIndent(dec, "  ", "  ")
		fmt.Fprintf(&b, "decision:\n  %s\n", js)
		res.Summary = "sample decision: " + decisionSummary(dec)
	}
	fmt.Fprintf(&b, "fuel: %d (traced run), memory: %d bytes, calls: %d\n", st.Fuel, st.Memory, st.Calls)
	res.Output = b.String()
	return res, nil
}

func decisionSummary(dec any) string {
	m, _ := dec.(map[string]any)
	if m == nil {
		return fmt.Sprint(dec)
	}
	s := fmt.Sprint(m["action"])
	if t, _ := m["target"].(string); t != "" {
		s += " " + t
	}
	if r, _ := m["deny_reason"].(string); r != "" {
		s += " (" + r + ")"
	}
	if r, _ := m["reason"].(string); r != "" {
		s += ", because " + r
	}
	return s
}

func indent(js []byte) string {
	var b bytes.Buffer
	if json.Indent(&b, js, "  ", "  ") != nil {
		return "  " + string(js)
	}
	return "  " + b.String()
}

// indentWriter indents every line by two spaces.
type indentWriter struct {
	b   *strings.Builder
	mid bool
}

func (w *indentWriter) Write(p []byte) (int, error) {
	for _, c := range p {
		if !w.mid {
			w.b.WriteString("  ")
			w.mid = true
		}
		w.b.WriteByte(c)
		if c == '\n' {
			w.mid = false
		}
	}
	return len(p), nil
}
