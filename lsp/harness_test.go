package lsp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/lsp"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/sourcegraph/jsonrpc2"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// client is an in-process LSP client talking to a Server over net.Pipe.
type client struct {
	tb   testing.TB
	conn *jsonrpc2.Conn
	dir  string

	mu      sync.Mutex
	diags   map[string]published // the latest per URI
	arrived chan struct{}        // signalled on each publication
	version map[string]int32
	texts   map[string]string
	shown   []protocol.ShowMessageParams // window/showMessage, in order
	answers []jsonrpc2.ID                // the ids of the responses received, in order
}

// newClient starts a server on one end of a pipe, initializes it with dir
// as the workspace folder, and shuts it down when the test ends.
func newClient(tb testing.TB, dir string, opts lsp.Options) *client {
	tb.Helper()
	root := uri(dir)
	return newClientInit(tb, dir, opts, map[string]any{
		"processId": nil, "rootUri": root, "capabilities": map[string]any{},
		"workspaceFolders": []map[string]any{{"uri": root, "name": "ws"}},
	})
}

// newClientInit is newClient with the initialize request's params.
func newClientInit(tb testing.TB, dir string, opts lsp.Options, init map[string]any) *client {
	tb.Helper()
	u, err := stdlib.Universe()
	if err != nil {
		tb.Fatal(err)
	}
	opts.Universe = u
	a, b := net.Pipe()
	srv := lsp.New(opts)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, a) }()
	c := &client{tb: tb, dir: dir, diags: map[string]published{},
		arrived: make(chan struct{}, 1), version: map[string]int32{}, texts: map[string]string{}}
	c.conn = jsonrpc2.NewConn(ctx, jsonrpc2.NewBufferedStream(b, jsonrpc2.VSCodeObjectCodec{}), jsonrpc2.HandlerWithError(c.handle),
		jsonrpc2.OnRecv(func(_ *jsonrpc2.Request, resp *jsonrpc2.Response) {
			if resp != nil {
				c.mu.Lock()
				c.answers = append(c.answers, resp.ID)
				c.mu.Unlock()
			}
		}))
	var res map[string]any
	c.call("initialize", init, &res)
	c.notify("initialized", map[string]any{})
	tb.Cleanup(func() {
		c.call("shutdown", nil, nil)
		c.notify("exit", nil)
		if err := <-served; err != nil {
			tb.Errorf("Serve: %v", err)
		}
		cancel()
		c.conn.Close()
	})
	return c
}

func uri(path string) string { return "file://" + filepath.ToSlash(path) }

func (c *client) handle(_ context.Context, _ *jsonrpc2.Conn, req *jsonrpc2.Request) (any, error) {
	if req.Method == "window/showMessage" && req.Params != nil {
		var p protocol.ShowMessageParams
		if err := json.Unmarshal(*req.Params, &p); err == nil {
			c.mu.Lock()
			c.shown = append(c.shown, p)
			c.mu.Unlock()
		}
	}
	if req.Method == "textDocument/publishDiagnostics" && req.Params != nil {
		var p published
		if err := json.Unmarshal(*req.Params, &p); err == nil {
			c.mu.Lock()
			c.diags[p.URI] = p
			c.mu.Unlock()
			select {
			case c.arrived <- struct{}{}:
			default:
			}
		}
	}
	return nil, nil
}

func (c *client) call(method string, params, result any) error {
	c.tb.Helper()
	err := c.conn.Call(context.Background(), method, params, result)
	if err != nil {
		if _, ok := err.(*jsonrpc2.Error); !ok {
			c.tb.Fatalf("%s: %v", method, err)
		}
	}
	return err
}

func (c *client) notify(method string, params any) {
	c.tb.Helper()
	if err := c.conn.Notify(context.Background(), method, params); err != nil {
		c.tb.Fatalf("%s: %v", method, err)
	}
}

// open opens the file at path (relative to the workspace) with its text
// on disk.
func (c *client) open(rel string) string {
	c.tb.Helper()
	path := filepath.Join(c.dir, rel)
	src, err := os.ReadFile(path)
	if err != nil {
		c.tb.Fatal(err)
	}
	u := uri(path)
	c.version[u] = 1
	c.texts[u] = string(src)
	c.notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{
		"uri": u, "languageId": "rpl", "version": 1, "text": string(src)}})
	return u
}

// change replaces the whole text of an open document.
func (c *client) change(u, text string) int32 {
	c.version[u]++
	c.texts[u] = text
	c.notify("textDocument/didChange", map[string]any{
		"textDocument":   map[string]any{"uri": u, "version": c.version[u]},
		"contentChanges": []map[string]any{{"text": text}},
	})
	return c.version[u]
}

// edit applies one incremental change.
func (c *client) edit(u string, r protocol.Range, text string) int32 {
	c.version[u]++
	c.notify("textDocument/didChange", map[string]any{
		"textDocument":   map[string]any{"uri": u, "version": c.version[u]},
		"contentChanges": []map[string]any{{"range": r, "text": text}},
	})
	return c.version[u]
}

// await waits until the latest publication of u satisfies ok, failing
// the test with fail's words on the last one when timeout fires. (The
// test's context ends only once the test has returned: it bounds no wait
// of the test's own goroutine.)
func (c *client) await(u string, timeout <-chan time.Time, ok func(published) bool, fail func(last published) string) published {
	c.tb.Helper()
	for {
		c.mu.Lock()
		p, have := c.diags[u]
		c.mu.Unlock()
		if have && ok(p) {
			return p
		}
		select {
		case <-c.arrived:
		case <-timeout:
			c.tb.Fatal(fail(p))
		}
	}
}

// waitFor waits until the latest diagnostics of u satisfy ok, for a
// minute at most.
func (c *client) waitFor(u string, ok func([]diagnostic) bool) []diagnostic {
	c.tb.Helper()
	return c.await(u, time.After(time.Minute), func(p published) bool { return ok(p.Diagnostics) }, func(p published) string {
		return fmt.Sprintf("diagnostics of %s not as wanted within a minute; last %+v", u, p.Diagnostics)
	}).Diagnostics
}

// waitDiags waits for the diagnostics of u at version (publication is
// asynchronous), for a minute at most.
func (c *client) waitDiags(u string, version int32) []diagnostic {
	c.tb.Helper()
	return c.await(u, time.After(time.Minute), func(p published) bool { return p.Version != nil && int32(*p.Version) == version }, func(p published) string {
		return fmt.Sprintf("no diagnostics for %s at version %d within a minute (last published: %+v)", u, version, p)
	}).Diagnostics
}

// published and diagnostic decode publishDiagnostics (glsp's
// IntegerOrString cannot be decoded: its UnmarshalJSON has a value
// receiver, so the code is decoded as any here).
type published struct {
	URI         string       `json:"uri"`
	Version     *uint32      `json:"version"`
	Diagnostics []diagnostic `json:"diagnostics"`
}

type diagnostic struct {
	Range              protocol.Range                          `json:"range"`
	Severity           int                                     `json:"severity"`
	Code               any                                     `json:"code"`
	Message            string                                  `json:"message"`
	Tags               []int                                   `json:"tags"`
	RelatedInformation []protocol.DiagnosticRelatedInformation `json:"relatedInformation"`
}

func pos(line, char int) protocol.Position {
	return protocol.Position{Line: uint32(line), Character: uint32(char)}
}

func docPos(u string, p protocol.Position) map[string]any {
	return map[string]any{"textDocument": map[string]any{"uri": u}, "position": p}
}
