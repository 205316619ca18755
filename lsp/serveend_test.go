package lsp_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/lsp"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/sourcegraph/jsonrpc2"
)

// endedConn is the server's end of a pipe, closed as rplc's standard
// input and output are (not at all), that counts what is written to it
// once the test has marked Serve returned.
type endedConn struct {
	net.Conn
	mu       sync.Mutex
	returned bool
	late     int // bytes written after Serve returned
}

func (c *endedConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.returned {
		c.late += len(p)
	}
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func (c *endedConn) Close() error { return nil }

// TestServeWaitsForPublish: a flush of diagnostics under way when the
// session ends is canceled, and Serve returns only once it has ended;
// nothing is written to the connection after Serve returns. The flush,
// on a goroutine of its own, outlived Serve (and went on checking and
// logging after rplc lsp had closed its log).
func TestServeWaitsForPublish(t *testing.T) {
	// Flushed at once, on a goroutine of its own, or by the debounce's
	// timer, on the timer's.
	for _, debounce := range []time.Duration{0, time.Nanosecond} {
		t.Run(fmt.Sprint("debounce ", debounce), func(t *testing.T) { testServeWaitsForPublish(t, debounce) })
	}
}

func testServeWaitsForPublish(t *testing.T, debounce time.Duration) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "p.rpl"), testedPolicy)
	held := make(chan string, 8)
	ended := make(chan error, 8)
	lsp.SetPublishHook(func(ctx context.Context, policy string) {
		held <- policy
		select {
		case <-ctx.Done():
			ended <- ctx.Err()
		case <-t.Context().Done(): // the test failed: let the flush go
			ended <- t.Context().Err()
		}
	})
	t.Cleanup(func() { lsp.SetPublishHook(nil) })
	u, err := stdlib.Universe()
	if err != nil {
		t.Fatal(err)
	}
	a, b := net.Pipe()
	defer a.Close()
	srvConn := &endedConn{Conn: a}
	served := make(chan error, 1)
	go func() {
		served <- lsp.New(lsp.Options{Universe: u, Debounce: debounce}).Serve(context.Background(), srvConn)
	}()
	conn := jsonrpc2.NewConn(context.Background(), jsonrpc2.NewBufferedStream(b, jsonrpc2.VSCodeObjectCodec{}),
		jsonrpc2.HandlerWithError(func(context.Context, *jsonrpc2.Conn, *jsonrpc2.Request) (any, error) { return nil, nil }))
	defer conn.Close()
	var res any
	if err := conn.Call(context.Background(), "initialize", map[string]any{"processId": nil, "rootUri": uri(dir), "capabilities": map[string]any{}}, &res); err != nil {
		t.Fatal(err)
	}
	if err := conn.Notify(context.Background(), "initialized", map[string]any{}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "p.rpl")
	if err := conn.Notify(context.Background(), "textDocument/didOpen", map[string]any{"textDocument": map[string]any{
		"uri": uri(path), "languageId": "rpl", "version": 1, "text": testedPolicy}}); err != nil {
		t.Fatal(err)
	}
	var policy string
	within(t, "the publish to be held", func() error { policy = <-held; return nil })
	if policy != path {
		t.Fatalf("held the publish of %s, want %s", policy, path)
	}
	within(t, "shutdown and exit", func() error {
		if err := conn.Call(context.Background(), "shutdown", nil, nil); err != nil {
			return err
		}
		return conn.Notify(context.Background(), "exit", nil)
	})
	var serveErr error
	within(t, "Serve's return", func() error { serveErr = <-served; return nil })
	srvConn.mu.Lock()
	srvConn.returned = true
	srvConn.mu.Unlock()
	if serveErr != nil {
		t.Errorf("Serve: %v", serveErr)
	}
	select {
	case err := <-ended:
		if err != context.Canceled {
			t.Errorf("the held publish ended with %v, want canceled", err)
		}
	default:
		t.Fatal("Serve returned with a publish of diagnostics still held")
	}
	// Whatever the server could still do is done: a write now would be
	// counted below.
	srvConn.mu.Lock()
	late := srvConn.late
	srvConn.mu.Unlock()
	if late != 0 {
		t.Errorf("%d bytes written after Serve returned", late)
	}
}

// stallConn is rplc's standard input and output (its Close ends neither)
// to a client that stops reading once stall is closed: a write then
// blocks, on an io.Pipe whose reader never reads, and closes stalled.
type stallConn struct {
	io.Reader
	out            io.Writer
	never          *io.PipeWriter
	stall, stalled chan struct{}
	once           sync.Once
}

func (c *stallConn) Write(p []byte) (int, error) {
	select {
	case <-c.stall:
		c.once.Do(func() { close(c.stalled) })
		return c.never.Write(p)
	default:
		return c.out.Write(p)
	}
}

func (c *stallConn) Close() error { return nil }

// pipeEnds is the client's end of the two pipes: it reads the server's
// output and writes its input, and Close ends both.
type pipeEnds struct {
	*io.PipeReader
	*io.PipeWriter
}

func (p pipeEnds) Close() error {
	p.PipeReader.Close()
	return p.PipeWriter.Close()
}

// TestServeEndsWriteBlocked: when the input ends, or Serve's context is
// canceled, while a publish of diagnostics is blocked writing to a client
// that no longer reads, over a connection whose Close does not end the
// write (rplc's standard output, a pipe the client does not empty), Serve
// returns: the write is abandoned. Serve waited for the flush, and the
// flush for the write, for ever.
func TestServeEndsWriteBlocked(t *testing.T) {
	for _, how := range []string{"input ends", "context canceled"} {
		t.Run(how, func(t *testing.T) { testServeEndsWriteBlocked(t, how) })
	}
}

func testServeEndsWriteBlocked(t *testing.T, how string) {
	dir := t.TempDir()
	u, err := stdlib.Universe()
	if err != nil {
		t.Fatal(err)
	}
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	neverR, neverW := io.Pipe()
	t.Cleanup(func() { neverR.Close() }) // the abandoned write ends with the test
	srvConn := &stallConn{Reader: inR, out: outW, never: neverW, stall: make(chan struct{}), stalled: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- lsp.New(lsp.Options{Universe: u}).Serve(ctx, srvConn) }()
	conn := jsonrpc2.NewConn(context.Background(), jsonrpc2.NewBufferedStream(pipeEnds{outR, inW}, jsonrpc2.VSCodeObjectCodec{}),
		jsonrpc2.HandlerWithError(func(context.Context, *jsonrpc2.Conn, *jsonrpc2.Request) (any, error) { return nil, nil }))
	defer conn.Close()
	var res any
	if err := conn.Call(context.Background(), "initialize", map[string]any{"processId": nil, "rootUri": uri(dir), "capabilities": map[string]any{}}, &res); err != nil {
		t.Fatal(err)
	}
	if err := conn.Notify(context.Background(), "initialized", map[string]any{}); err != nil {
		t.Fatal(err)
	}
	close(srvConn.stall) // the client reads no more
	if err := conn.Notify(context.Background(), "textDocument/didOpen", map[string]any{"textDocument": map[string]any{
		"uri": uri(filepath.Join(dir, "p.rpl")), "languageId": "rpl", "version": 1, "text": "package p\n\nfn f( -> Int = 1\n"}}); err != nil {
		t.Fatal(err)
	}
	within(t, "the publish to block", func() error { <-srvConn.stalled; return nil })
	want := lsp.ErrClosedWithoutShutdown
	if how == "input ends" {
		inW.Close()
	} else {
		cancel()
		want = context.Canceled
	}
	within(t, "Serve's return", func() error {
		if err := <-served; err != want {
			return fmt.Errorf("Serve: %v, want %v", err, want)
		}
		return nil
	})
}

// TestServeEndsReplyBlocked: when the input ends while the connection's
// goroutine is blocked answering a request (a client that reads no more:
// the answer's write, or the publish before it, waits), Serve returns once
// the write has been left for writeGrace, as when the input ends between
// messages. The connection's goroutine, blocked, never read the input's
// end, and Serve waited for its context for ever.
func TestServeEndsReplyBlocked(t *testing.T) {
	defer lsp.SetWriteGrace(lsp.SetWriteGrace(time.Millisecond))
	dir := t.TempDir()
	u, err := stdlib.Universe()
	if err != nil {
		t.Fatal(err)
	}
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	neverR, neverW := io.Pipe()
	t.Cleanup(func() { neverR.Close() }) // the abandoned write ends with the test
	srvConn := &stallConn{Reader: inR, out: outW, never: neverW, stall: make(chan struct{}), stalled: make(chan struct{})}
	served := make(chan error, 1)
	go func() { served <- lsp.New(lsp.Options{Universe: u}).Serve(context.Background(), srvConn) }()
	conn := jsonrpc2.NewConn(context.Background(), jsonrpc2.NewBufferedStream(pipeEnds{outR, inW}, jsonrpc2.VSCodeObjectCodec{}),
		jsonrpc2.HandlerWithError(func(context.Context, *jsonrpc2.Conn, *jsonrpc2.Request) (any, error) { return nil, nil }))
	defer conn.Close()
	var res any
	if err := conn.Call(context.Background(), "initialize", map[string]any{"processId": nil, "rootUri": uri(dir), "capabilities": map[string]any{}}, &res); err != nil {
		t.Fatal(err)
	}
	close(srvConn.stall) // the client reads no more
	// Answered null at once on the connection's goroutine: p.rpl is
	// neither open nor written, so there is no text to parse on a
	// goroutine of its own, and the connection's goroutine blocks writing.
	if _, err := conn.DispatchCall(context.Background(), "textDocument/documentSymbol",
		map[string]any{"textDocument": map[string]any{"uri": uri(filepath.Join(dir, "p.rpl"))}}); err != nil {
		t.Fatal(err)
	}
	within(t, "the answer to block", func() error { <-srvConn.stalled; return nil })
	inW.Close()
	within(t, "Serve's return", func() error {
		if err := <-served; err != lsp.ErrClosedWithoutShutdown {
			return fmt.Errorf("Serve: %v, want %v", err, lsp.ErrClosedWithoutShutdown)
		}
		return nil
	})
}
