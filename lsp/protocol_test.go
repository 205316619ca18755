package lsp_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/lsp"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/sourcegraph/jsonrpc2"
)

// rawClient talks to a Server over net.Pipe byte by byte, so that it can
// send what a well-behaved jsonrpc2.Conn never would.
type rawClient struct {
	tb     testing.TB
	conn   net.Conn
	msgs   chan map[string]any // every message from the server, in order
	served chan error          // Serve's result
	log    *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func newRawClient(tb testing.TB) *rawClient {
	tb.Helper()
	u, err := stdlib.Universe()
	if err != nil {
		tb.Fatal(err)
	}
	a, b := net.Pipe()
	c := &rawClient{tb: tb, conn: b, msgs: make(chan map[string]any, 64), served: make(chan error, 1), log: &syncBuffer{}}
	srv := lsp.New(lsp.Options{Universe: u, Log: c.log})
	go func() { c.served <- srv.Serve(context.Background(), a); a.Close() }()
	go func() {
		defer close(c.msgs)
		r := bufio.NewReader(b)
		for {
			n := -1
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					return
				}
				line = strings.TrimRight(line, "\r\n")
				if line == "" {
					break
				}
				if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
					n, _ = strconv.Atoi(v)
				}
			}
			body := make([]byte, n)
			if _, err := io.ReadFull(r, body); err != nil {
				return
			}
			var m map[string]any
			if err := json.Unmarshal(body, &m); err != nil {
				c.msgs <- map[string]any{"undecodable": string(body)}
				continue
			}
			c.msgs <- m
		}
	}()
	tb.Cleanup(func() { b.Close() })
	return c
}

func (c *rawClient) raw(s string) {
	c.tb.Helper()
	if _, err := io.WriteString(c.conn, s); err != nil {
		c.tb.Fatalf("write %q: %v", s, err)
	}
}

func (c *rawClient) send(m map[string]any) {
	c.tb.Helper()
	m["jsonrpc"] = "2.0"
	b, err := json.Marshal(m)
	if err != nil {
		c.tb.Fatal(err)
	}
	c.raw(fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(b), b))
}

// next is the next message from the server that is not a notification.
func (c *rawClient) next() map[string]any {
	c.tb.Helper()
	for {
		select {
		case m, ok := <-c.msgs:
			if !ok {
				c.tb.Fatal("the server closed the connection")
			}
			if _, notif := m["method"]; notif {
				continue
			}
			return m
		case <-time.After(time.Minute):
			c.tb.Fatal("no answer within a minute")
		}
	}
}

// call sends a request and returns the next answer, which must be its.
func (c *rawClient) call(id int, method string, params any) map[string]any {
	c.tb.Helper()
	c.send(map[string]any{"id": id, "method": method, "params": params})
	m := c.next()
	if m["id"] != float64(id) {
		c.tb.Fatalf("%s: answer %v, want id %d", method, m, id)
	}
	return m
}

// wait is Serve's result.
func (c *rawClient) wait() error {
	c.tb.Helper()
	select {
	case err := <-c.served:
		return err
	case <-time.After(time.Minute):
		c.tb.Fatal("Serve did not return within a minute")
		return nil
	}
}

func (c *rawClient) initialize() {
	c.tb.Helper()
	if m := c.call(1, "initialize", map[string]any{"processId": nil, "rootUri": nil, "capabilities": map[string]any{}}); m["error"] != nil {
		c.tb.Fatalf("initialize: %v", m)
	}
	c.send(map[string]any{"method": "initialized", "params": map[string]any{}})
}

// errorCode is the code of an error response, or 0.
func errorCode(m map[string]any) int {
	e, _ := m["error"].(map[string]any)
	code, _ := e["code"].(float64)
	return int(code)
}

// A message that cannot be decoded is answered with a parse error or an
// invalid request, id null, and logged; the server goes on with the next
// message. A header block without a usable Content-Length is answered with
// a parse error and skipped. (jsonrpc2's own codec closed the connection on
// any of them, and the server exited as if the client had.)
func TestMalformedMessages(t *testing.T) {
	c := newRawClient(t)
	c.initialize()
	tests := []struct {
		name, raw string
		code      int
		id        any // the answer's: null unless the message has one
		log       string
	}{
		{"not json", "Content-Length: 10\r\n\r\n{not json}", -32700, nil, "parse error at byte 2 of the message"},
		{"array", "Content-Length: 2\r\n\r\n[]", -32600, nil, "invalid request"},
		{"batch", `Content-Length: 41` + "\r\n\r\n" + `[{"jsonrpc":"2.0","id":7,"method":"foo"}]`, -32600, nil, "invalid request"},
		{"no method", `Content-Length: 27` + "\r\n\r\n" + `{"jsonrpc":"2.0","id":99}  `, -32600, float64(99), "invalid request"},
		{"no content-length", "garbage\r\n\r\n", -32700, nil, "no Content-Length"},
		{"bad content-length", "Content-Length: abc\r\n\r\n{}", -32700, nil, "bad Content-Length"},
		// Past the limit: the body it announced swallowed every message
		// after it, and the session hung (found by a review).
		{"huge content-length", "Content-Length: 99999999999999\r\n\r\n{}", -32700, nil, `bad Content-Length "99999999999999": more than the limit of 67108864 bytes`},
		{"empty body", "Content-Length: 0\r\n\r\n", -32700, nil, "parse error"},
		// Bytes before the header on its line whose lower case is longer
		// (an invalid byte, İ): the header's offset, found in the lower
		// case, cut the line out of range, a panic that ended the server
		// (found by FuzzStream), or in the wrong place.
		{"invalid bytes before the header", "} \xff\xfe\xfd\xfcContent-Length: 2\r\n\r\n[]", -32600, nil, `skipped unframed input: "} \xff\xfe\xfd\xfc"`},
		{"İ before the header", "} İİİİContent-Length: 2\r\n\r\n[]", -32600, nil, `skipped unframed input: "} İİİİ"`},
	}
	for i, tt := range tests {
		c.raw(tt.raw)
		m := c.next()
		if id, ok := m["id"]; !ok || id != tt.id || errorCode(m) != tt.code {
			t.Errorf("%s: answer %v, want error %d with id %v", tt.name, m, tt.code, tt.id)
		}
		// The server still serves.
		id := 100 + i
		if m := c.call(id, "workspace/symbol", map[string]any{"query": "x"}); m["error"] != nil {
			t.Errorf("%s: then workspace/symbol: %v", tt.name, m)
		}
		if !strings.Contains(c.log.String(), tt.log) {
			t.Errorf("%s: the log lacks %q:\n%s", tt.name, tt.log, c.log)
		}
	}
	// A response the server cannot use is not answered.
	c.send(map[string]any{"id": map[string]any{}, "result": 1})
	if m := c.call(200, "workspace/symbol", map[string]any{"query": "x"}); m["error"] != nil {
		t.Errorf("workspace/symbol: %v", m)
	}
	if !strings.Contains(c.log.String(), "dropped an invalid response") {
		t.Errorf("the log lacks the dropped response:\n%s", c.log)
	}
	c.call(201, "shutdown", nil)
	c.send(map[string]any{"method": "exit"})
	if err := c.wait(); err != nil {
		t.Errorf("Serve: %v", err)
	}
}

// Input that breaks off inside a message ends the session with an error,
// even after shutdown.
func TestTruncatedMessage(t *testing.T) {
	c := newRawClient(t)
	c.initialize()
	c.call(2, "shutdown", nil)
	c.raw("Content-Length: 100\r\n\r\n{\"jsonrpc\":")
	c.conn.Close()
	if err := c.wait(); err == nil || !strings.Contains(err.Error(), "unexpected EOF") {
		t.Errorf("Serve: %v, want an unexpected EOF", err)
	}
}

// Serve returns nil only if shutdown came before exit or before the end of
// the input; `rplc lsp` turns its error into exit status 1, as LSP asks.
func TestExitWithoutShutdown(t *testing.T) {
	tests := []struct {
		name     string
		shutdown bool
		exit     bool
		want     error
	}{
		{"shutdown, exit", true, true, nil},
		{"shutdown, close", true, false, nil},
		{"exit", false, true, lsp.ErrExitWithoutShutdown},
		{"close", false, false, lsp.ErrClosedWithoutShutdown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newRawClient(t)
			c.initialize()
			if tt.shutdown {
				c.call(2, "shutdown", nil)
			}
			if tt.exit {
				c.send(map[string]any{"method": "exit"})
			} else {
				c.conn.Close()
			}
			if err := c.wait(); err != tt.want {
				t.Errorf("Serve: %v, want %v", err, tt.want)
			}
		})
	}
}

// Before initialize a request fails with LSP's ServerNotInitialized
// (-32002), not JSON-RPC's invalid request; a notification is dropped;
// initialize then works.
func TestRequestBeforeInitialize(t *testing.T) {
	c := newRawClient(t)
	c.send(map[string]any{"method": "textDocument/didOpen", "params": map[string]any{"textDocument": map[string]any{
		"uri": "file:///x.rpl", "languageId": "rpl", "version": 1, "text": "package x\n"}}})
	m := c.call(1, "textDocument/hover", map[string]any{"textDocument": map[string]any{"uri": "file:///x.rpl"}, "position": map[string]any{"line": 0, "character": 0}})
	if errorCode(m) != -32002 {
		t.Errorf("hover before initialize: %v, want error -32002", m)
	}
	if m := c.call(2, "initialize", map[string]any{"processId": nil, "rootUri": nil, "capabilities": map[string]any{}}); m["error"] != nil {
		t.Errorf("initialize: %v", m)
	}
	c.call(3, "shutdown", nil)
	c.send(map[string]any{"method": "exit"})
	if err := c.wait(); err != nil {
		t.Errorf("Serve: %v", err)
	}
}

// TestRefusedRequestNotRun: a request refused as invalid is not run later
// with the message after it. {"id":{},"method":"shutdown"} half-filled the
// Conn's request-or-response before failing; a response next (the client's
// answer to a server request) left that request in place, and the server
// ran it: it answered a shutdown nobody sent, and refused what came after.
func TestRefusedRequestNotRun(t *testing.T) {
	c := newRawClient(t)
	c.initialize()
	bad := `{"jsonrpc":"2.0","id":{},"method":"shutdown"}`
	c.raw(fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(bad), bad))
	if m := c.next(); errorCode(m) != -32600 || m["id"] != nil {
		t.Fatalf("the refused request: %v, want -32600 with id null", m)
	}
	// An invalid request whose id reads as one is answered with it.
	c.send(map[string]any{"id": 5, "method": 5})
	if m := c.next(); errorCode(m) != -32600 || m["id"] != float64(5) {
		t.Fatalf("invalid request with id 5: %v, want -32600 with id 5", m)
	}
	c.send(map[string]any{"id": 7, "result": nil}) // a response: no answer
	if m := c.call(3, "shutdown", nil); m["error"] != nil {
		t.Fatalf("shutdown after the refused one: %v", m)
	}
}

// TestSecondInitialize: initialize is sent once per session; a second one
// is refused (invalid request) and changes nothing. It was answered as
// the first, its root added to the workspace folders.
func TestSecondInitialize(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	write(t, filepath.Join(other, "q.rpl"), "package q\n\nconst elsewhere = 1\n")
	c := newClient(t, dir, lsp.Options{})
	var res map[string]any
	err := c.call("initialize", map[string]any{"processId": nil, "rootUri": uri(other), "capabilities": map[string]any{}}, &res)
	if code := errorCodeOf(err); code != jsonrpc2.CodeInvalidRequest {
		t.Errorf("second initialize: %v, want an invalid request", err)
	}
	var syms []any
	if err := c.call("workspace/symbol", map[string]any{"query": "elsewhere"}, &syms); err != nil || len(syms) != 0 {
		t.Errorf("symbols of the second initialize's root: %v %v, want none", syms, err)
	}
}

// TestMissingParams: a request without the params its method takes is
// refused with invalid params saying so (it said "unexpected end of JSON
// input").
func TestMissingParams(t *testing.T) {
	c := newClient(t, t.TempDir(), lsp.Options{})
	for _, m := range []string{"textDocument/hover", "workspace/executeCommand", "textDocument/references"} {
		var r any
		err := c.call(m, nil, &r)
		if errorCodeOf(err) != jsonrpc2.CodeInvalidParams || !strings.Contains(err.Error(), m+" takes params, and the message has none") {
			t.Errorf("%s without params: %v", m, err)
		}
	}
}

func errorCodeOf(err error) int64 {
	var je *jsonrpc2.Error
	if asJSONRPC(err, &je) {
		return je.Code
	}
	return 0
}

// TestInitializedWithoutParams: initialized sent without params (JSON-RPC
// lets them be omitted; LSP's are {}), or with them by position, none
// ([], which JSON-RPC allows as well), is handled as with {}: the server
// registers its file watchers with a client that registers them
// dynamically, and logs no error. It was refused as invalid params, and
// the watchers were never registered: edits made outside the editor were
// not seen.
func TestInitializedWithoutParams(t *testing.T) {
	for name, params := range map[string]any{"omitted": nil, "empty array": []any{}} {
		t.Run(name, func(t *testing.T) { testInitializedWithoutParams(t, params) })
	}
}

func testInitializedWithoutParams(t *testing.T, params any) {
	c := newRawClient(t)
	caps := map[string]any{"workspace": map[string]any{"didChangeWatchedFiles": map[string]any{"dynamicRegistration": true}}}
	if m := c.call(1, "initialize", map[string]any{"processId": nil, "rootUri": nil, "capabilities": caps}); m["error"] != nil {
		t.Fatalf("initialize: %v", m)
	}
	msg := map[string]any{"method": "initialized"}
	if params != nil {
		msg["params"] = params
	}
	c.send(msg)
	// Messages are handled in order: once this is answered, initialized
	// was handled.
	c.send(map[string]any{"id": 2, "method": "workspace/symbol", "params": map[string]any{"query": "x"}})
	within(t, "the answer and client/registerCapability", func() error {
		answered, registered := false, false
		for !answered || !registered {
			m, ok := <-c.msgs
			if !ok {
				return fmt.Errorf("the connection closed (answered %v, registered %v)", answered, registered)
			}
			switch {
			case m["method"] == "client/registerCapability":
				registered = true
			case m["id"] == float64(2):
				if m["error"] != nil {
					return fmt.Errorf("workspace/symbol: %v", m)
				}
				if log := c.log.String(); strings.Contains(log, "initialized") {
					return fmt.Errorf("initialized without params: %s", log)
				}
				answered = true
			}
		}
		return nil
	})
}
