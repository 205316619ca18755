package lsp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/lsp"
	"github.com/sourcegraph/jsonrpc2"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// TestCheckOffReader: a request whose answer needs a check (hover,
// semantic tokens, definition, code actions, prepareRename, references,
// rename; completion and signature help when no check is kept) checks on a goroutine of its own: the messages after it (a
// didChange, a formatting request) are handled while the check runs, and
// the answer is that of the text the request came after, not of the
// change sent after it (or ContentModified, for the answers that the
// client applies to the text, or shows as places in it). The
// check ran on the connection's goroutine, and held every later message
// (a $/cancelRequest, the edits being typed) until it ended.
func TestCheckOffReader(t *testing.T) {
	const before = "package p\n\nconst limit = 5\n\nfn route(r: Request) -> Decision = if limit > 3 { to(\"a:b\") } else { deny(\"no\") }\n"
	const after = "package p\n\nconst other   = 7\n\nfn route(r: Request) -> Decision = if other > 3 { to(\"a:b\") } else { deny(\"no\") }\n"
	for _, tc := range []struct {
		method string
		params func(u string) any
		want   func(raw json.RawMessage) bool // the answer is of before
		code   int64                          // else the error it is answered with
	}{
		{"textDocument/hover", func(u string) any { return docPos(u, pos(2, 7)) },
			func(raw json.RawMessage) bool { return strings.Contains(string(raw), "const limit") }, 0},
		{"textDocument/definition", func(u string) any { return docPos(u, pos(4, 40)) },
			func(raw json.RawMessage) bool {
				var locs []protocol.Location
				return json.Unmarshal(raw, &locs) == nil && len(locs) == 1 && locs[0].Range.Start == pos(2, 6)
			}, 0},
		{"textDocument/prepareRename", func(u string) any { return docPos(u, pos(2, 7)) },
			func(raw json.RawMessage) bool { return strings.Contains(string(raw), `"placeholder":"limit"`) }, 0},
		{"textDocument/semanticTokens/full", func(u string) any { return map[string]any{"textDocument": map[string]any{"uri": u}} },
			func(raw json.RawMessage) bool {
				var toks protocol.SemanticTokens
				// The first token, the package's name p, then limit at
				// line 2 (delta 2), column 6, 5 long.
				return json.Unmarshal(raw, &toks) == nil && len(toks.Data) >= 10 && toks.Data[5] == 2 && toks.Data[6] == 6 && toks.Data[7] == 5
			}, 0},
		// The scopes of the check of the text before.
		{"textDocument/completion", func(u string) any { return docPos(u, pos(4, 40)) },
			func(raw json.RawMessage) bool { return strings.Contains(string(raw), `"label":"limit"`) }, 0},
		{"textDocument/signatureHelp", func(u string) any {
			return docPos(u, pos(4, strings.Index(before, "to(")-strings.Index(before, "fn route")+3))
		},
			func(raw json.RawMessage) bool { return strings.Contains(string(raw), `"label":"to(`) }, 0},
		// Their places are of the text before: the change makes them
		// wrong, which their answer says.
		{"textDocument/references", func(u string) any { return refParams(u, pos(2, 7)) }, nil, -32801},
		{"textDocument/rename", func(u string) any {
			return map[string]any{"textDocument": map[string]any{"uri": u}, "position": pos(2, 7), "newName": "cap"}
		}, nil, -32801},
	} {
		t.Run(tc.method, func(t *testing.T) {
			dir := t.TempDir()
			write(t, filepath.Join(dir, "p.rpl"), before)
			var mu sync.Mutex
			armed := false
			held := make(chan struct{}, 1)
			release := make(chan struct{})
			lsp.SetCheckHook(func(policy string, joined bool) {
				mu.Lock()
				a := armed && !joined
				if a {
					armed = false
				}
				mu.Unlock()
				if a {
					held <- struct{}{}
					select {
					case <-release:
					case <-t.Context().Done():
					}
				}
			})
			t.Cleanup(func() { lsp.SetCheckHook(nil) })
			// No diagnostics until the test is over: the request's check
			// is the only one.
			c := newClient(t, dir, lsp.Options{Debounce: time.Hour})
			u := c.open("p.rpl")
			mu.Lock()
			armed = true
			mu.Unlock()
			w, err := c.conn.DispatchCall(context.Background(), tc.method, tc.params(u))
			if err != nil {
				t.Fatal(err)
			}
			within(t, "the request's check to start", func() error { <-held; return nil })
			var edits []protocol.TextEdit
			within(t, "a change and formatting while the check runs", func() error {
				c.change(u, after)
				return c.conn.Call(context.Background(), "textDocument/formatting",
					map[string]any{"textDocument": map[string]any{"uri": u}, "options": map[string]any{"tabSize": 2, "insertSpaces": true}}, &edits)
			})
			if len(edits) != 1 || edits[0].NewText != "const other = 7\n" {
				t.Errorf("formatting the changed text: %+v, want const other = 7", edits)
			}
			close(release)
			var raw json.RawMessage
			var err2 error
			within(t, "the answer", func() error { err2 = w.Wait(context.Background(), &raw); return nil })
			if tc.code != 0 {
				wantCode(t, tc.method, err2, tc.code)
				return
			}
			if err2 != nil {
				t.Fatalf("%s: %v", tc.method, err2)
			}
			if !tc.want(raw) {
				t.Errorf("%s: %s, want the answer for the text before the change", tc.method, raw)
			}
		})
	}
}

// TestCompletionWalkOffReader: the completion of an import's path lists
// the workspace's files on a goroutine of its own: the messages after it
// are handled while the workspace's walk (up to 100,000 entries) runs.
// It ran on the connection's goroutine.
func TestCompletionWalkOffReader(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "p.rpl"), "package p\n\nimport \"\"\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n")
	write(t, filepath.Join(dir, "lib", "shared.rpl"), "package shared\n\nconst x = 1\n")
	var once sync.Once
	held := make(chan struct{})
	release := make(chan struct{})
	old := lsp.SetWalkHook(func(string, int) {
		once.Do(func() {
			close(held)
			select {
			case <-release:
			case <-t.Context().Done():
			}
		})
	})
	t.Cleanup(func() { lsp.SetWalkHook(old) }) // after the server's end, which newClient's cleanup waits for
	c := newClient(t, dir, lsp.Options{Debounce: time.Hour})
	u := c.open("p.rpl")
	w, err := c.conn.DispatchCall(context.Background(), "textDocument/completion", docPos(u, pos(2, 8)))
	if err != nil {
		t.Fatal(err)
	}
	within(t, "the walk to start", func() error { <-held; return nil })
	within(t, "a change and formatting while the walk runs", func() error {
		c.change(u, "package p\n\nimport   \"\"\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n")
		var edits []protocol.TextEdit
		return c.conn.Call(context.Background(), "textDocument/formatting",
			map[string]any{"textDocument": map[string]any{"uri": u}, "options": map[string]any{"tabSize": 2, "insertSpaces": true}}, &edits)
	})
	close(release)
	var raw json.RawMessage
	within(t, "the completion", func() error { return w.Wait(context.Background(), &raw) })
	if !strings.Contains(string(raw), `"label":"lib/shared"`) {
		t.Errorf("completion of the import's path: %s, want lib/shared", raw)
	}
}

// TestParseOffReader: the requests that need the parse of a file only
// (document symbols, code lenses, formatting) parse on a goroutine of
// their own, the text taken when they came: the messages after them are
// handled meanwhile. A parse of some megabytes takes seconds (formatting
// four times that), and held every message after it. Formatting, whose
// edits the editor applies to the text, is answered ContentModified when
// the document changed meanwhile.
func TestParseOffReader(t *testing.T) {
	const before = "package p\n\nconst limit = 5\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n"
	const after = "package p\n\n\n\nconst other = 7\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n"
	for _, tc := range []struct {
		method string
		want   func(raw json.RawMessage) bool
		code   int64
	}{
		{"textDocument/documentSymbol", func(raw json.RawMessage) bool {
			return strings.Contains(string(raw), `"name":"limit"`) && !strings.Contains(string(raw), `"name":"other"`)
		}, 0},
		{"textDocument/codeLens", func(raw json.RawMessage) bool {
			var lenses []protocol.CodeLens
			return json.Unmarshal(raw, &lenses) == nil && len(lenses) == 1 && lenses[0].Range.Start.Line == 4
		}, 0},
		{"textDocument/formatting", nil, -32801},
	} {
		t.Run(tc.method, func(t *testing.T) {
			dir := t.TempDir()
			write(t, filepath.Join(dir, "p.rpl"), before)
			started := make(chan struct{}, 1)
			release := make(chan struct{})
			lsp.SetWorkHook(func(ctx context.Context, name string) {
				if name != tc.method {
					return
				}
				started <- struct{}{}
				select {
				case <-release:
				case <-t.Context().Done():
				}
			})
			t.Cleanup(func() { lsp.SetWorkHook(nil) })
			c := newClient(t, dir, lsp.Options{})
			u := c.open("p.rpl")
			w, err := c.conn.DispatchCall(context.Background(), tc.method,
				map[string]any{"textDocument": map[string]any{"uri": u}, "options": map[string]any{"tabSize": 2, "insertSpaces": true}})
			if err != nil {
				t.Fatal(err)
			}
			within(t, "the request's work to start on its own goroutine", func() error { <-started; return nil })
			within(t, "a change and hover while the work is held", func() error {
				c.change(u, after)
				var hover json.RawMessage
				return c.conn.Call(context.Background(), "textDocument/hover", docPos(u, pos(4, 7)), &hover)
			})
			close(release)
			var raw json.RawMessage
			var werr error
			within(t, "the answer", func() error { werr = w.Wait(context.Background(), &raw); return nil })
			if tc.code != 0 {
				wantCode(t, tc.method, werr, tc.code)
				return
			}
			if werr != nil {
				t.Fatalf("%s: %v", tc.method, werr)
			}
			if !tc.want(raw) {
				t.Errorf("%s: %s, want the answer for the text before the change", tc.method, raw)
			}
		})
	}
}

// TestStaleAnswersNotChecked: semantic tokens and code actions that wait
// for a check slot while their document changes are answered
// ContentModified without a check (the client asks again for the new
// text). Each was checked in turn, a check of the whole policy per
// keystroke of a fast typist whose client cancels none. A hover that
// waits likewise is answered, for the text it came after.
func TestStaleAnswersNotChecked(t *testing.T) {
	const before = "package p\n\nconst limit = 5\n\nfn route(r: Request) -> Decision = if limit > 3 { to(\"a:b\") } else { deny(\"no\") }\n"
	dir := t.TempDir()
	write(t, filepath.Join(dir, "p.rpl"), before)
	defer lsp.SetMaxWork(lsp.SetMaxWork(1)) // one check at a time
	var mu sync.Mutex
	checks := 0
	held := make(chan struct{}, 1)
	release := make(chan struct{})
	lsp.SetCheckHook(func(policy string, joined bool) {
		if joined {
			return
		}
		mu.Lock()
		checks++
		first := checks == 1
		mu.Unlock()
		if first {
			held <- struct{}{}
			select {
			case <-release:
			case <-t.Context().Done():
			}
		}
	})
	t.Cleanup(func() { lsp.SetCheckHook(nil) })
	waiting := make(chan string, 4)
	lsp.SetWaitHook(func(name string) { waiting <- name })
	t.Cleanup(func() { lsp.SetWaitHook(nil) })
	c := newClient(t, dir, lsp.Options{Debounce: time.Hour}) // no check but the requests'
	u := c.open("p.rpl")
	hover, err := c.conn.DispatchCall(context.Background(), "textDocument/hover", docPos(u, pos(2, 7)))
	if err != nil {
		t.Fatal(err)
	}
	within(t, "the hover's check to start", func() error { <-held; return nil })
	var stale []jsonrpc2.Waiter
	for _, m := range []struct {
		method string
		params any
	}{
		{"textDocument/semanticTokens/full", map[string]any{"textDocument": map[string]any{"uri": u}}},
		{"textDocument/codeAction", map[string]any{"textDocument": map[string]any{"uri": u}, "range": protocol.Range{Start: pos(2, 0), End: pos(2, 5)}, "context": map[string]any{"diagnostics": []any{}}}},
	} {
		w, err := c.conn.DispatchCall(context.Background(), m.method, m.params)
		if err != nil {
			t.Fatal(err)
		}
		within(t, m.method+" to wait", func() error {
			if got := <-waiting; got != m.method {
				return fmt.Errorf("%s waits, want %s", got, m.method)
			}
			return nil
		})
		stale = append(stale, w)
	}
	// A hover waits too: its answer, of the text it came after, is still
	// of use, and given.
	hover2, err := c.conn.DispatchCall(context.Background(), "textDocument/hover", docPos(u, pos(2, 7)))
	if err != nil {
		t.Fatal(err)
	}
	within(t, "the second hover to wait", func() error {
		if got := <-waiting; got != "textDocument/hover" {
			return fmt.Errorf("%s waits, want textDocument/hover", got)
		}
		return nil
	})
	c.change(u, strings.Replace(before, "5", "6", 1))
	// Answered in turn, after the change: it has been handled.
	if err := c.conn.Call(context.Background(), "rpl/none", nil, nil); err == nil {
		t.Fatal("rpl/none answered")
	}
	close(release)
	within(t, "the hover", func() error { return hover.Wait(context.Background(), nil) })
	for i, w := range stale {
		var err error
		within(t, "the waiting answers", func() error { err = w.Wait(context.Background(), nil); return nil })
		wantCode(t, fmt.Sprint("waiting request ", i), err, -32801)
	}
	var raw json.RawMessage
	within(t, "the second hover", func() error { err = hover2.Wait(context.Background(), &raw); return nil })
	if err != nil || !strings.Contains(string(raw), "const limit: int = 5") {
		t.Errorf("the hover that waited while its document changed: %s, %v; want the answer for the text before the change", raw, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if checks != 1 {
		t.Errorf("%d checks, want the hover's only", checks)
	}
}

// TestCheckWaitingBounded: the checks waiting for a slot are bounded at
// checkWaiting per slot, each keeping its generation's open documents: the next
// is refused at once (RequestFailed). Up to maxWaiting (256) waited, a
// copy of a large document each, for a fast typist whose client cancels
// none.
func TestCheckWaitingBounded(t *testing.T) {
	const text = "package p\n\nconst limit = 5\n\nfn route(r: Request) -> Decision = if limit > 3 { to(\"a:b\") } else { deny(\"no\") }\n"
	dir := t.TempDir()
	write(t, filepath.Join(dir, "p.rpl"), text)
	defer lsp.SetMaxWork(lsp.SetMaxWork(1))
	var once sync.Once
	held := make(chan struct{})
	release := make(chan struct{})
	lsp.SetCheckHook(func(string, bool) {
		once.Do(func() {
			close(held)
			select {
			case <-release:
			case <-t.Context().Done():
			}
		})
	})
	t.Cleanup(func() { lsp.SetCheckHook(nil) })
	c := newClient(t, dir, lsp.Options{Debounce: time.Hour})
	u := c.open("p.rpl")
	hover, err := c.conn.DispatchCall(context.Background(), "textDocument/hover", docPos(u, pos(2, 7)))
	if err != nil {
		t.Fatal(err)
	}
	within(t, "the hover's check to start", func() error { <-held; return nil })
	n := lsp.CheckWaiting // the waiting bound of one slot
	var waiting []jsonrpc2.Waiter
	for i := range n + 1 {
		w, err := c.conn.DispatchCall(context.Background(), "textDocument/hover", docPos(u, pos(2, 7)), jsonrpc2.PickID(jsonrpc2.ID{Num: uint64(7000 + i)}))
		if err != nil {
			t.Fatal(err)
		}
		waiting = append(waiting, w)
	}
	// Answered in turn: the refusal, sent as the last came, is in.
	if err := c.conn.Call(context.Background(), "rpl/none", nil, nil); err == nil {
		t.Fatal("rpl/none answered")
	}
	c.mu.Lock()
	answers := slices.Clone(c.answers)
	c.mu.Unlock()
	for i := range n + 1 {
		if got, want := slices.Contains(answers, jsonrpc2.ID{Num: uint64(7000 + i)}), i == n; got != want {
			t.Errorf("hover %d answered while the check runs: %v, want %v", i, got, want)
		}
	}
	close(release)
	within(t, "the hovers", func() error { return hover.Wait(context.Background(), nil) })
	for i, w := range waiting {
		var err error
		within(t, "the waiting hovers", func() error { err = w.Wait(context.Background(), nil); return nil })
		if i < n && err != nil {
			t.Errorf("hover %d: %v", i, err)
		}
		if i == n {
			wantCode(t, "the waiting hover past the bound", err, -32803)
		}
	}
}
