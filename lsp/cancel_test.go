package lsp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/lsp"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/sourcegraph/jsonrpc2"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// testedPolicy routes to a:b and has a test, t, that passes; the gate
// below, not the policy, makes its commands as slow as a test needs.
const testedPolicy = "package p\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n\ntest \"t\" {\n  expect route({}).target == \"a:b\"\n}\n"

// gate holds the work of each request that runs on a goroutine of its own
// (a command, references, rename) at its start (lsp.SetWorkHook) until the
// test lets it go or it is canceled: work as slow as the test needs,
// without timing.
type gate struct {
	started chan string   // the work's name (command or method), as it starts
	pass    chan struct{} // one value lets one command go on
	ended   chan error    // why the hold ended: nil, or the context's error
}

// checkAnswers are the requests whose work, when they go on a goroutine
// of their own, is a check, a parse or a walk and an answer read off it:
// the gate lets them go.
var checkAnswers = map[string]bool{"textDocument/hover": true, "textDocument/semanticTokens/full": true,
	"textDocument/definition": true, "textDocument/codeAction": true, "textDocument/prepareRename": true,
	"textDocument/completion": true, "textDocument/signatureHelp": true,
	"textDocument/documentSymbol": true, "textDocument/codeLens": true, "textDocument/formatting": true}

func newGate(t *testing.T) *gate {
	g := &gate{started: make(chan string, 8), pass: make(chan struct{}, 8), ended: make(chan error, 8)}
	lsp.SetWorkHook(func(ctx context.Context, name string) {
		if checkAnswers[name] {
			return // the answers that wait for a check only: not held
		}
		g.started <- name
		select {
		case <-g.pass:
			g.ended <- nil
		case <-ctx.Done():
			g.ended <- ctx.Err()
		case <-t.Context().Done(): // the test failed: let the server end
			g.ended <- t.Context().Err()
		}
	})
	t.Cleanup(func() { lsp.SetWorkHook(nil) })
	return g
}

// gatedTested is a client of a server in a new directory (dir) holding
// testedPolicy as p.rpl, open (u), its work held by g.
func gatedTested(t *testing.T) (dir string, g *gate, c *client, u string) {
	dir = t.TempDir()
	write(t, filepath.Join(dir, "p.rpl"), testedPolicy)
	g = newGate(t)
	c = newClient(t, dir, lsp.Options{})
	return dir, g, c, c.open("p.rpl")
}

// within runs f and fails the test when f has not returned within a
// minute: a server that handles the requests after held work only once
// it ends never answers them.
func within(t *testing.T, what string, f func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	case <-time.After(time.Minute):
		t.Fatalf("%s: not done within a minute", what)
	}
}

// dispatch sends workspace/executeCommand with the given id without
// waiting for its answer.
func (c *client) dispatch(id jsonrpc2.ID, command string, args ...any) jsonrpc2.Waiter {
	c.tb.Helper()
	w, err := c.conn.DispatchCall(context.Background(), "workspace/executeCommand",
		map[string]any{"command": command, "arguments": args}, jsonrpc2.PickID(id))
	if err != nil {
		c.tb.Fatal(err)
	}
	return w
}

func cancelParams(id any) map[string]any { return map[string]any{"id": id} }

// wantCode checks that err is a JSON-RPC error with code.
func wantCode(t *testing.T, what string, err error, code int64) {
	t.Helper()
	var je *jsonrpc2.Error
	if !asJSONRPC(err, &je) || je.Code != code {
		t.Fatalf("%s: %v, want error code %d", what, err, code)
	}
}

// TestHoverWhileTestRuns: hover and completion are answered while a test
// run is in progress, and the run is answered when it ends. Requests were
// handled one at a time: hover waited for the whole test run.
func TestHoverWhileTestRuns(t *testing.T) {
	_, g, c, u := gatedTested(t)
	run := c.dispatch(jsonrpc2.ID{Num: 1000}, lsp.CommandRunTest, u, "t")
	if cmd := <-g.started; cmd != lsp.CommandRunTest {
		t.Fatalf("started %s", cmd)
	}
	var hover json.RawMessage
	within(t, "hover while the test runs", func() error {
		return c.conn.Call(context.Background(), "textDocument/hover", docPos(u, pos(2, 4)), &hover)
	})
	if !strings.Contains(string(hover), `fn route(r: Request) -\u003e Decision`) {
		t.Errorf("hover: %s", hover)
	}
	var items any
	within(t, "completion while the test runs", func() error {
		return c.conn.Call(context.Background(), "textDocument/completion", docPos(u, pos(2, 40)), &items)
	})
	g.pass <- struct{}{}
	var r lsp.CommandResult
	within(t, "the test run's answer", func() error { return run.Wait(context.Background(), &r) })
	if !r.OK || !strings.HasPrefix(r.Summary, "PASS: t") {
		t.Errorf("test run: %+v", r)
	}
}

// TestCancelCommand: $/cancelRequest stops a running command (its context
// is canceled) and answers it with RequestCancelled, for a numeric and a
// string id; the server goes on. The cancel was ignored, and came only
// after the command had ended.
func TestCancelCommand(t *testing.T) {
	_, g, c, u := gatedTested(t)
	for _, tc := range []struct {
		id   jsonrpc2.ID
		wire any
		cmd  string
		args []any
	}{
		{jsonrpc2.ID{Num: 1001}, 1001, lsp.CommandRunTest, []any{u, "t"}},
		{jsonrpc2.ID{Str: "explain-1", IsString: true}, "explain-1", lsp.CommandExplain, []any{u}},
	} {
		w := c.dispatch(tc.id, tc.cmd, tc.args...)
		<-g.started
		within(t, "cancel", func() error { return c.conn.Notify(context.Background(), "$/cancelRequest", cancelParams(tc.wire)) })
		if err := <-g.ended; err != context.Canceled {
			t.Fatalf("%s: the command's context ended with %v, want canceled", tc.cmd, err)
		}
		var r lsp.CommandResult
		var err error
		within(t, "the canceled command's answer", func() error { err = w.Wait(context.Background(), &r); return nil })
		wantCode(t, tc.cmd+" canceled", err, -32800)
	}
	// The server goes on: the next command runs to its end.
	g.pass <- struct{}{}
	var r lsp.CommandResult
	if err := c.call("workspace/executeCommand", map[string]any{"command": lsp.CommandRunTest, "arguments": []any{u, "t"}}, &r); err != nil || !r.OK {
		t.Fatalf("a command after the canceled ones: %+v %v", r, err)
	}
	c.mu.Lock()
	shown := len(c.shown)
	c.mu.Unlock()
	if shown != 1 {
		t.Errorf("%d messages shown, want 1: a canceled command shows nothing", shown)
	}
}

// TestCancelUnknownRequest: a cancel of a request already answered, of an
// id never sent, or without an id, is harmless: a command running
// meanwhile is not canceled by it and ends with its result. (The command
// held the server: the requests after it were not handled until it ended.)
func TestCancelUnknownRequest(t *testing.T) {
	_, g, c, u := gatedTested(t)
	g.pass <- struct{}{}
	var r lsp.CommandResult
	if err := c.dispatch(jsonrpc2.ID{Num: 2000}, lsp.CommandRunTest, u, "t").Wait(context.Background(), &r); err != nil || !r.OK {
		t.Fatalf("first run: %+v %v", r, err)
	}
	<-g.started
	w := c.dispatch(jsonrpc2.ID{Num: 2001}, lsp.CommandRunTest, u, "t")
	<-g.started
	within(t, "cancels of requests not running", func() error {
		for _, p := range []any{cancelParams(2000), cancelParams(4242), cancelParams("2001"), map[string]any{}, nil, cancelParams(map[string]any{})} {
			if err := c.conn.Notify(context.Background(), "$/cancelRequest", p); err != nil {
				return err
			}
		}
		var syms []any
		return c.conn.Call(context.Background(), "textDocument/documentSymbol", map[string]any{"textDocument": map[string]any{"uri": u}}, &syms)
	})
	g.pass <- struct{}{}
	within(t, "the command's answer", func() error { return w.Wait(context.Background(), &r) })
	if !r.OK {
		t.Errorf("the command after the cancels: %+v", r)
	}
	if err := <-g.ended; err != nil {
		t.Errorf("the command's context: %v", err)
	}
}

// TestCommandSeesChangesBefore: a command sees the documents as the
// changes sent before it left them, and none of those sent while it runs;
// those after it are applied and seen by the requests after them.
func TestCommandSeesChangesBefore(t *testing.T) {
	_, g, c, u := gatedTested(t)
	routeTo := func(target string) string { return strings.Replace(testedPolicy, "a:b", target, 1) }
	c.change(u, routeTo("c:d"))
	w := c.dispatch(jsonrpc2.ID{Num: 3000}, lsp.CommandExplain, u)
	<-g.started
	var syms []protocol.DocumentSymbol
	within(t, "a change while the command runs", func() error {
		c.change(u, "package p\n\nfn route(r: Request) -> Decision = to(\"e:f\")\n\nfn later() -> int = 1\n")
		return c.conn.Call(context.Background(), "textDocument/documentSymbol", map[string]any{"textDocument": map[string]any{"uri": u}}, &syms)
	})
	if len(syms) == 0 || syms[len(syms)-1].Name != "later" {
		t.Errorf("symbols after the change: %+v, want later last", syms)
	}
	g.pass <- struct{}{}
	var r lsp.CommandResult
	within(t, "the command's answer", func() error { return w.Wait(context.Background(), &r) })
	if !strings.Contains(r.Summary, "c:d") {
		t.Errorf("explain: %q, want the decision of the text sent before it (c:d)", r.Summary)
	}
	g.pass <- struct{}{}
	if err := c.call("workspace/executeCommand", map[string]any{"command": lsp.CommandExplain, "arguments": []any{u}}, &r); err != nil || !strings.Contains(r.Summary, "e:f") {
		t.Errorf("explain after the change: %+v %v, want e:f", r, err)
	}
}

// TestShutdownCancelsCommand: shutdown cancels a running command, which
// is answered with RequestCancelled before shutdown is answered; the
// session then ends properly. Shutdown waited for the command.
func TestShutdownCancelsCommand(t *testing.T) {
	_, g, c, u := gatedTested(t)
	w := c.dispatch(jsonrpc2.ID{Num: 4000}, lsp.CommandRunTest, u, "t")
	<-g.started
	within(t, "shutdown", func() error {
		return c.conn.Call(context.Background(), "shutdown", nil, nil, jsonrpc2.PickID(jsonrpc2.ID{Num: 4001}))
	})
	if err := <-g.ended; err != context.Canceled {
		t.Errorf("the command's context ended with %v, want canceled", err)
	}
	wantCode(t, "the command at shutdown", w.Wait(context.Background(), nil), -32800)
	c.mu.Lock()
	answers := slices.Clone(c.answers)
	c.mu.Unlock()
	i, j := slices.Index(answers, jsonrpc2.ID{Num: 4000}), slices.Index(answers, jsonrpc2.ID{Num: 4001})
	if i < 0 || j < i {
		t.Errorf("answers in the order %v: the command's (4000) must come before shutdown's (4001)", answers)
	}
}

// TestExitEndsCommand: exit (without shutdown) while a command runs
// cancels it, and Serve returns only once it has ended: no command
// outlives the session.
func TestExitEndsCommand(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "p.rpl"), testedPolicy)
	g := newGate(t)
	u, err := stdlib.Universe()
	if err != nil {
		t.Fatal(err)
	}
	a, b := net.Pipe()
	served := make(chan error, 1)
	go func() { served <- lsp.New(lsp.Options{Universe: u}).Serve(context.Background(), a) }()
	conn := jsonrpc2.NewConn(context.Background(), jsonrpc2.NewBufferedStream(b, jsonrpc2.VSCodeObjectCodec{}),
		jsonrpc2.HandlerWithError(func(context.Context, *jsonrpc2.Conn, *jsonrpc2.Request) (any, error) { return nil, nil }))
	defer conn.Close()
	var res any
	if err := conn.Call(context.Background(), "initialize", map[string]any{"processId": nil, "rootUri": uri(dir), "capabilities": map[string]any{}}, &res); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.DispatchCall(context.Background(), "workspace/executeCommand",
		map[string]any{"command": lsp.CommandRunTest, "arguments": []any{uri(filepath.Join(dir, "p.rpl")), "t"}}); err != nil {
		t.Fatal(err)
	}
	<-g.started
	within(t, "exit", func() error { return conn.Notify(context.Background(), "exit", nil) })
	var serveErr error
	within(t, "Serve's return", func() error { serveErr = <-served; return nil })
	if serveErr != lsp.ErrExitWithoutShutdown {
		t.Errorf("Serve: %v, want ErrExitWithoutShutdown", serveErr)
	}
	select {
	case err := <-g.ended:
		if err != context.Canceled {
			t.Errorf("the command's context ended with %v, want canceled", err)
		}
	default:
		t.Error("Serve returned with the command still running")
	}
}

// TestCommandIDInUse: a request that reuses the id of a command still
// running is refused (InvalidRequest): the cancel of that id would
// otherwise reach only one of the two. The command goes on, and stays
// cancellable by its id.
func TestCommandIDInUse(t *testing.T) {
	_, g, c, u := gatedTested(t)
	id := jsonrpc2.ID{Str: "run", IsString: true}
	c.dispatch(id, lsp.CommandRunTest, u, "t")
	<-g.started
	var err error
	within(t, "the second request of the id", func() error {
		err = c.dispatch(id, lsp.CommandRunTest, u, "t").Wait(context.Background(), nil)
		return nil
	})
	wantCode(t, "the second request of the id", err, jsonrpc2.CodeInvalidRequest)
	c.notify("$/cancelRequest", cancelParams("run"))
	if err := <-g.ended; err != context.Canceled {
		t.Errorf("the first command's context ended with %v, want canceled", err)
	}
}

// startedIn waits for the next held work to start and checks its name;
// the work of a server that does it all at once, in turn, never starts.
func (g *gate) startedIn(t *testing.T, want string) {
	t.Helper()
	var got string
	within(t, want+" to start on its own goroutine", func() error { got = <-g.started; return nil })
	if got != want {
		t.Fatalf("started %s, want %s", got, want)
	}
}

// libWorkspace is a library whose constant two policies use, the library
// open.
func libWorkspace(t *testing.T) (*client, *gate, string) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "lib", "lib.rpl"), "package lib\n\nconst limit = 5\n")
	for _, p := range []string{"a", "b"} {
		write(t, filepath.Join(dir, p+".rpl"), "package "+p+"\n\nimport \"lib/lib\"\n\nfn route(r: Request) -> Decision = if lib.limit > 1 { to(\"a:b\") } else { deny(\"no\") }\n")
	}
	g := newGate(t)
	c := newClient(t, dir, lsp.Options{})
	return c, g, c.open("lib/lib.rpl")
}

func refParams(u string, p protocol.Position) map[string]any {
	return map[string]any{"textDocument": map[string]any{"uri": u}, "position": p, "context": map[string]any{"includeDeclaration": true}}
}

// TestHoverWhileReferences: references to a library's constant, which
// checks every policy of the workspace (a second and more in a large one
// after a change), lets hover be answered meanwhile, and can be canceled.
// It ran in turn, holding every request after it.
func TestHoverWhileReferences(t *testing.T) {
	c, g, u := libWorkspace(t)
	w, err := c.conn.DispatchCall(context.Background(), "textDocument/references", refParams(u, pos(2, 7)), jsonrpc2.PickID(jsonrpc2.ID{Num: 6000}))
	if err != nil {
		t.Fatal(err)
	}
	g.startedIn(t, "textDocument/references")
	var hover json.RawMessage
	within(t, "hover while references runs", func() error {
		return c.conn.Call(context.Background(), "textDocument/hover", docPos(u, pos(2, 7)), &hover)
	})
	if !strings.Contains(string(hover), "limit") {
		t.Errorf("hover: %s", hover)
	}
	g.pass <- struct{}{}
	var locs []protocol.Location
	within(t, "the references", func() error { return w.Wait(context.Background(), &locs) })
	if len(locs) != 3 {
		t.Errorf("references %+v, want the declaration and a use in each policy", locs)
	}

	w, err = c.conn.DispatchCall(context.Background(), "textDocument/references", refParams(u, pos(2, 7)), jsonrpc2.PickID(jsonrpc2.ID{Num: 6001}))
	if err != nil {
		t.Fatal(err)
	}
	g.startedIn(t, "textDocument/references")
	c.notify("$/cancelRequest", cancelParams(6001))
	within(t, "the canceled references", func() error { err = w.Wait(context.Background(), &locs); return nil })
	wantCode(t, "references canceled", err, -32800)

	// A change while the references are searched moves the target: the
	// places found would be of the text as it was. They were answered
	// all the same (the other policies matching nothing at the old
	// place, the answer silently short).
	w, err = c.conn.DispatchCall(context.Background(), "textDocument/references", refParams(u, pos(2, 7)), jsonrpc2.PickID(jsonrpc2.ID{Num: 6002}))
	if err != nil {
		t.Fatal(err)
	}
	g.startedIn(t, "textDocument/references")
	var syms []any
	within(t, "a change while the references run", func() error {
		c.change(u, "package lib\n\n# the limit\nconst limit = 5\n")
		return c.conn.Call(context.Background(), "textDocument/documentSymbol", map[string]any{"textDocument": map[string]any{"uri": u}}, &syms)
	})
	g.pass <- struct{}{}
	within(t, "the references during a change", func() error { err = w.Wait(context.Background(), &locs); return nil })
	wantCode(t, "references during a change", err, -32801)
}

// TestRenameContentModified: a rename runs on a goroutine of its own and
// sees the changes sent before it; one during which a document changes
// is answered ContentModified, its edits being of the text as it was.
func TestRenameContentModified(t *testing.T) {
	c, g, u := libWorkspace(t)
	rename := func(id uint64) jsonrpc2.Waiter {
		w, err := c.conn.DispatchCall(context.Background(), "textDocument/rename",
			map[string]any{"textDocument": map[string]any{"uri": u}, "position": pos(2, 7), "newName": "cap"}, jsonrpc2.PickID(jsonrpc2.ID{Num: id}))
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	// The change before the rename is seen: its new use is renamed too.
	c.change(u, "package lib\n\nconst limit = 5\n\nconst twice = limit * 2\n")
	w := rename(7000)
	g.startedIn(t, "textDocument/rename")
	g.pass <- struct{}{}
	var edit struct {
		Changes map[string][]protocol.TextEdit `json:"changes"`
	}
	within(t, "the rename", func() error { return w.Wait(context.Background(), &edit) })
	if n := len(edit.Changes[u]); n != 2 || len(edit.Changes) != 3 {
		t.Errorf("rename: %d edits of the library (want 2), %d files (want 3): %+v", n, len(edit.Changes), edit.Changes)
	}
	// A change while the rename runs.
	w = rename(7001)
	g.startedIn(t, "textDocument/rename")
	var syms []any
	within(t, "a change while the rename runs", func() error {
		c.change(u, "package lib\n\n# the limit\nconst limit = 5\n")
		// Answered after the change is applied.
		return c.conn.Call(context.Background(), "textDocument/documentSymbol", map[string]any{"textDocument": map[string]any{"uri": u}}, &syms)
	})
	g.pass <- struct{}{}
	var err error
	within(t, "the rename during a change", func() error { err = w.Wait(context.Background(), &edit); return nil })
	wantCode(t, "rename during a change", err, -32801)
}

// TestWorkspaceSymbolCanceled: workspace/symbol, which reads every file of
// the workspace for each query (sent at each key typed, the one before
// canceled), lets hover be answered meanwhile, and a canceled query ends
// with RequestCancelled; the next is answered. Queries ran in turn, each
// waiting for the ones before.
func TestWorkspaceSymbolCanceled(t *testing.T) {
	c, g, u := libWorkspace(t)
	query := func(id uint64, q string) jsonrpc2.Waiter {
		w, err := c.conn.DispatchCall(context.Background(), "workspace/symbol", map[string]any{"query": q}, jsonrpc2.PickID(jsonrpc2.ID{Num: id}))
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	first := query(8000, "l")
	g.startedIn(t, "workspace/symbol")
	var hover json.RawMessage
	within(t, "hover while workspace/symbol runs", func() error {
		return c.conn.Call(context.Background(), "textDocument/hover", docPos(u, pos(2, 7)), &hover)
	})
	second := query(8001, "lim")
	g.startedIn(t, "workspace/symbol")
	c.notify("$/cancelRequest", cancelParams(8000))
	var err error
	within(t, "the canceled query", func() error { err = first.Wait(context.Background(), nil); return nil })
	wantCode(t, "the first query", err, -32800)
	g.pass <- struct{}{}
	var syms []protocol.SymbolInformation
	within(t, "the second query", func() error { return second.Wait(context.Background(), &syms) })
	if len(syms) != 1 || syms[0].Name != "limit" {
		t.Errorf("symbols %+v, want limit", syms)
	}
}

// TestWorkBound: no more requests' work (commands, references, rename,
// workspace/symbol) run at once than the bound; the one after waits,
// while hover is answered, starts when one of those running ends, and
// one canceled while it waits is answered RequestCancelled without
// having run. Every request started at once ran at once, however many.
func TestWorkBound(t *testing.T) {
	old := lsp.SetMaxWork(2)
	t.Cleanup(func() { lsp.SetMaxWork(old) })
	waited := make(chan string, 8)
	lsp.SetWaitHook(func(name string) { waited <- name })
	t.Cleanup(func() { lsp.SetWaitHook(nil) })
	_, g, c, u := gatedTested(t)
	run1 := c.dispatch(jsonrpc2.ID{Num: 9000}, lsp.CommandRunTest, u, "t")
	g.startedIn(t, lsp.CommandRunTest)
	run2 := c.dispatch(jsonrpc2.ID{Num: 9001}, lsp.CommandRunTest, u, "t")
	g.startedIn(t, lsp.CommandRunTest)
	// waits is the next request's work to wait, not to start.
	waits := func(want string) {
		t.Helper()
		within(t, want+" to wait", func() error {
			select {
			case name := <-waited:
				if name != want {
					return fmt.Errorf("%s waits, want %s", name, want)
				}
				return nil
			case name := <-g.started:
				return fmt.Errorf("%s started with %d running already", name, lsp.MaxWork())
			}
		})
	}
	explain := c.dispatch(jsonrpc2.ID{Num: 9002}, lsp.CommandExplain, u)
	waits(lsp.CommandExplain)
	canceled := c.dispatch(jsonrpc2.ID{Num: 9003}, lsp.CommandRunTest, u, "t")
	waits(lsp.CommandRunTest)
	var hover json.RawMessage
	within(t, "hover while the bound is reached", func() error {
		return c.conn.Call(context.Background(), "textDocument/hover", docPos(u, pos(2, 4)), &hover)
	})
	c.notify("$/cancelRequest", cancelParams(9003))
	var err error
	within(t, "the canceled waiting command", func() error { err = canceled.Wait(context.Background(), nil); return nil })
	wantCode(t, "a command canceled while it waits", err, -32800)
	select {
	case name := <-g.started:
		t.Fatalf("%s started before a running one ended", name)
	default:
	}
	// One ends: the explain waiting starts.
	g.pass <- struct{}{}
	var r lsp.CommandResult
	within(t, "the first run", func() error { return run1.Wait(context.Background(), &r) })
	if !r.OK {
		t.Errorf("first run: %+v", r)
	}
	g.startedIn(t, lsp.CommandExplain)
	g.pass <- struct{}{}
	g.pass <- struct{}{}
	within(t, "the second run", func() error { return run2.Wait(context.Background(), &r) })
	if !r.OK {
		t.Errorf("second run: %+v", r)
	}
	within(t, "the explain", func() error { return explain.Wait(context.Background(), &r) })
	if !strings.Contains(r.Summary, "a:b") {
		t.Errorf("explain: %+v", r)
	}
}

// TestWorkWaitingBound: beyond the requests' work running (maxWork) and
// waiting (maxWaiting), a request whose work would wait too is refused
// at once, RequestFailed, saying so: a client sending requests faster
// than they end (without cancelling them) made a goroutine, and an entry
// of the running requests, for each, without bound.
func TestWorkWaitingBound(t *testing.T) {
	old := lsp.SetMaxWork(1)
	t.Cleanup(func() { lsp.SetMaxWork(old) })
	oldWaiting := lsp.SetMaxWaiting(1)
	t.Cleanup(func() { lsp.SetMaxWaiting(oldWaiting) })
	waited := make(chan string, 8)
	lsp.SetWaitHook(func(name string) { waited <- name })
	t.Cleanup(func() { lsp.SetWaitHook(nil) })
	_, g, c, u := gatedTested(t)
	run := c.dispatch(jsonrpc2.ID{Num: 9000}, lsp.CommandRunTest, u, "t")
	g.startedIn(t, lsp.CommandRunTest)
	waiting := c.dispatch(jsonrpc2.ID{Num: 9001}, lsp.CommandExplain, u)
	within(t, "the second to wait", func() error { <-waited; return nil })
	refused := c.dispatch(jsonrpc2.ID{Num: 9002}, lsp.CommandRunTest, u, "t")
	answered := make(chan error, 1)
	go func() { answered <- refused.Wait(context.Background(), nil) }()
	within(t, "the third's answer", func() error {
		select {
		case err := <-answered:
			wantCode(t, "a request beyond the bound", err, -32803)
			if err == nil || !strings.Contains(err.Error(), "1 running and 1 waiting") {
				t.Errorf("refused with %v, want the bound named", err)
			}
		case name := <-waited:
			return fmt.Errorf("%s waits beyond the bound", name)
		}
		return nil
	})
	g.pass <- struct{}{}
	g.pass <- struct{}{}
	var r lsp.CommandResult
	within(t, "the run", func() error { return run.Wait(context.Background(), &r) })
	within(t, "the explain", func() error { return waiting.Wait(context.Background(), &r) })
}

// TestShutdownAnswersChecks: a request whose answer is a check or a parse
// on a goroutine of its own (document symbols here), running when
// shutdown comes, is answered with its answer before shutdown is, while a
// command running then is cancelled. Shutdown cancelled every such
// request: a document symbols sent just before it was answered
// RequestCancelled.
func TestShutdownAnswersChecks(t *testing.T) {
	_, g, c, u := gatedTested(t)
	cmd := c.dispatch(jsonrpc2.ID{Num: 4100}, lsp.CommandRunTest, u, "t")
	<-g.started
	// The parse is held until shutdown has cancelled what it cancels, or
	// until its own context is cancelled.
	cancelled := make(chan struct{})
	lsp.SetEndJobsHook(func(final bool) {
		if !final {
			close(cancelled)
		}
	})
	defer lsp.SetEndJobsHook(nil)
	held := make(chan error, 1)
	lsp.SetWorkHook(func(ctx context.Context, name string) {
		if name != "textDocument/documentSymbol" {
			return
		}
		select {
		case <-cancelled:
			held <- ctx.Err()
		case <-ctx.Done():
			held <- ctx.Err()
		case <-t.Context().Done():
		}
	})
	defer lsp.SetWorkHook(nil)
	syms, err := c.conn.DispatchCall(context.Background(), "textDocument/documentSymbol",
		map[string]any{"textDocument": map[string]any{"uri": u}}, jsonrpc2.PickID(jsonrpc2.ID{Num: 4101}))
	if err != nil {
		t.Fatal(err)
	}
	within(t, "shutdown", func() error {
		return c.conn.Call(context.Background(), "shutdown", nil, nil, jsonrpc2.PickID(jsonrpc2.ID{Num: 4102}))
	})
	within(t, "the parse's end", func() error {
		if err := <-held; err != nil {
			return fmt.Errorf("its context at shutdown: %v, want not cancelled", err)
		}
		return nil
	})
	var got []protocol.DocumentSymbol
	if err := syms.Wait(context.Background(), &got); err != nil || len(got) == 0 {
		t.Errorf("document symbols at shutdown: %v %+v, want the symbols", err, got)
	}
	wantCode(t, "the command at shutdown", cmd.Wait(context.Background(), nil), -32800)
	c.mu.Lock()
	answers := slices.Clone(c.answers)
	c.mu.Unlock()
	if i, j := slices.Index(answers, jsonrpc2.ID{Num: 4101}), slices.Index(answers, jsonrpc2.ID{Num: 4102}); i < 0 || j < i {
		t.Errorf("answers in the order %v: the symbols' (4101) must come before shutdown's (4102)", answers)
	}
}
